//! Runs the fake CodeDeploy for local use: `fake-codedeploy [--listen ADDR] [--seed FILE]`.

use std::net::SocketAddr;

use fake_codedeploy::{FakeCodeDeploy, Seed};

const USAGE: &str = "usage: fake-codedeploy [--listen 127.0.0.1:4599] [--seed seed.json] [--quiet]";

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut listen: SocketAddr = "127.0.0.1:4599".parse().expect("valid default");
    let mut seed = Seed::default();
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
    println!(
        "fake CodeDeploy on {} with {deployments} deployments",
        fake.endpoint()
    );
    std::future::pending::<()>().await;
    Ok(())
}
