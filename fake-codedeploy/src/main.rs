//! Runs the fake CodeDeploy for local use:
//! `fake-codedeploy [--listen ADDR] [--seed FILE] [--policy FILE] [--quiet]`.

use std::net::SocketAddr;

use fake_codedeploy::iam::Policy;
use fake_codedeploy::{FakeCodeDeploy, Seed};

const USAGE: &str = "usage: fake-codedeploy [--listen 127.0.0.1:4599] [--seed seed.json] \
                     [--policy policy.json] [--quiet]";

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut listen: SocketAddr = "127.0.0.1:4599".parse().expect("valid default");
    let mut seed = Seed::default();
    let mut policy: Option<Policy> = None;
    let mut verbose = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args.next().ok_or(USAGE)?;
                listen = value
                    .parse()
                    .map_err(|e| format!("--listen {value}: {e}"))?;
            }
            "--seed" => {
                let path = args.next().ok_or(USAGE)?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                seed = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            }
            "--policy" => {
                let path = args.next().ok_or(USAGE)?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                policy = Some(serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?);
            }
            "--quiet" => verbose = false,
            _ => return Err(USAGE.into()),
        }
    }
    let fake = FakeCodeDeploy::start_on(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let deployments = seed.deployments.len();
    fake.seed(seed);
    fake.set_verbose(verbose);
    let enforced = if policy.is_some() {
        "the caller's IAM policy enforced"
    } else {
        "every call allowed"
    };
    fake.set_policy(policy);
    println!(
        "fake CodeDeploy on {} with {deployments} deployments, {enforced}",
        fake.endpoint()
    );
    std::future::pending::<()>().await;
    Ok(())
}
