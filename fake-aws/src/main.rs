//! Runs the fake AWS for local use: `fake-aws [--listen ADDR] [--seed FILE] [--policy FILE]
//! [--role-policy ARN=FILE ...] [--principal ACCESS_KEY=ROLE_ARN=FILE ...]
//! [--deliver ACCOUNT:REGION:QUEUE=INVOKE_URL ...] [--quiet]`.
//!
//! `--policy` is the function's IAM policy; `--role-policy` gives a role of the seed its policy
//! (both as `scripts/policy.py extract` writes them); `--principal` adds to the seed's
//! principals one that signs with that access key as that role, under that policy.
//! `--deliver` runs an SQS event source mapping (batches of 10, `ReportBatchItemFailures`) from
//! a queue of the seed to a function's invoke URL, such as `cargo lambda watch`'s
//! `http://127.0.0.1:9000/2015-03-31/functions/NAME/invocations`.

use std::net::SocketAddr;
use std::sync::Arc;

use fake_aws::event_source::deliver;
use fake_aws::iam::Policy;
use fake_aws::{Delivery, FakeAws, Principal, Seed};
use serde::de::DeserializeOwned;

const USAGE: &str = "usage: fake-aws [--listen 127.0.0.1:4599] [--seed seed.json] \
                     [--policy policy.json] [--role-policy ROLE_ARN=policy.json ...] \
                     [--principal ACCESS_KEY=ROLE_ARN=policy.json ...] \
                     [--deliver ACCOUNT:REGION:QUEUE=INVOKE_URL ...] [--quiet]";

fn read_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

/// What the command line asks for.
struct Args {
    listen: SocketAddr,
    seed: Seed,
    function_policy: Option<Policy>,
    deliveries: Vec<Delivery>,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut listen: SocketAddr = "127.0.0.1:4599".parse().expect("valid default");
    let mut seed = Seed::default();
    let mut function_policy: Option<Policy> = None;
    let mut role_policies = Vec::new();
    let mut principals = Vec::new();
    let mut deliveries: Vec<Delivery> = Vec::new();
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
                seed = read_json(&args.next().ok_or(USAGE)?)?;
            }
            "--policy" => function_policy = Some(read_json(&args.next().ok_or(USAGE)?)?),
            "--role-policy" => {
                let value = args.next().ok_or(USAGE)?;
                let (arn, path) = value.split_once('=').ok_or(USAGE)?;
                role_policies.push((arn.to_string(), read_json::<Policy>(path)?));
            }
            "--principal" => principals.push(principal(&args.next().ok_or(USAGE)?)?),
            "--deliver" => deliveries.push(args.next().ok_or(USAGE)?.parse()?),
            "--quiet" => verbose = false,
            _ => return Err(USAGE.into()),
        }
    }
    for (arn, policy) in role_policies {
        let role = seed
            .roles
            .iter_mut()
            .find(|role| role.arn == arn)
            .ok_or_else(|| format!("--role-policy: the seed has no role {arn}"))?;
        role.policy = Some(policy);
    }
    seed.principals.extend(principals);
    for d in &deliveries {
        let seeded = |q: &&fake_aws::Queue| {
            (&q.account, &q.region, &q.name) == (&d.account, &d.region, &d.queue)
        };
        if !seed.queues.iter().any(|q| seeded(&q)) {
            return Err(format!(
                "--deliver: the seed has no queue {} in {} {}",
                d.queue, d.account, d.region
            ));
        }
    }
    Ok(Args {
        listen,
        seed,
        function_policy,
        deliveries,
        verbose,
    })
}

/// `--principal ACCESS_KEY=ROLE_ARN=FILE`.
fn principal(value: &str) -> Result<Principal, String> {
    let mut parts = value.splitn(3, '=');
    let (Some(key), Some(role), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(USAGE.into());
    };
    Ok(Principal {
        access_key: key.into(),
        role: role.into(),
        policy: Some(read_json(path)?),
    })
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let Args {
        listen,
        seed,
        function_policy,
        deliveries,
        verbose,
    } = parse_args()?;
    let fake = FakeAws::start_on(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let (deployments, roles, alarms) =
        (seed.deployments.len(), seed.roles.len(), seed.alarms.len());
    let (tables, queues) = (seed.tables.len(), seed.queues.len());
    let (datapoints, target_groups) = (seed.metrics.len(), seed.target_groups.len());
    fake.seed(seed);
    fake.set_verbose(verbose);
    let enforced = if function_policy.is_some() {
        "the function's IAM policy enforced"
    } else {
        "every call of the function allowed"
    };
    fake.set_policy(function_policy);
    println!(
        "fake AWS on {} with {deployments} deployments, {alarms} alarms, {datapoints} metric \
         datapoints, {target_groups} target groups, {roles} roles, {tables} tables and {queues} \
         queues, {enforced}",
        fake.endpoint()
    );
    let fake = Arc::new(fake);
    for delivery in deliveries {
        println!("delivering {} to {}", delivery.queue, delivery.url);
        tokio::spawn(deliver(fake.clone(), delivery));
    }
    std::future::pending::<()>().await;
    Ok(())
}
