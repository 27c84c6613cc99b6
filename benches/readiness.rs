//! How much one readiness check covers within its timeout (not a test): accounts × regions ×
//! groups against the fake, every AWS call answered after a latency like AWS's, reading as the
//! check function does (its own clients, at most 8 CodeDeploy calls in flight).
//!
//! `cargo bench --bench readiness [-- LATENCY_MS [ACCOUNTS×REGIONS×GROUPS ...]]`
//! (default: 30 ms, and 1×1×20 2×2×50 5×2×100 10×4×100)

use std::time::{Duration, Instant};

use aws_sdk_codedeploy::config::{Credentials, Region};
use deployment_circuit_breaker::aws::{sdk_config_loader, Deadline, ReadinessAws};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::readiness::check;
use deployment_circuit_breaker::runtime::Function;
use fake_aws::{Alarm, FakeAws, FaultKind, Group, Role, ACCOUNT, FUNCTION_ROLE};

/// Every call the check makes, each delayed by the latency.
const OPERATIONS: [&str; 9] = [
    "ListApplications",
    "ListDeploymentGroups",
    "ListDeployments",
    "BatchGetDeploymentGroups",
    "DescribeAlarms",
    "GetResources",
    "SimulatePrincipalPolicy",
    "AssumeRole",
    "PutEvents",
];
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];
/// The check function's timeout in template.yaml.
const TIMEOUT: Duration = Duration::from_secs(300);

struct Estate {
    accounts: usize,
    regions: usize,
    groups: usize,
}

fn estate(text: &str) -> Option<Estate> {
    let mut parts = text.split(['×', 'x']).map(|n| n.parse::<usize>().ok());
    let (accounts, regions, groups) = (parts.next()??, parts.next()??, parts.next()??);
    (regions <= REGIONS.len()).then_some(Estate {
        accounts,
        regions,
        groups,
    })
}

/// `groups` groups (ten an application, each with an alarm of its own) in every account and region.
fn seed(fake: &FakeAws, estate: &Estate) -> Vec<String> {
    let targets: Vec<String> = (1..estate.accounts)
        .map(|n| format!("{:012}", 222_233_330_000 + n))
        .collect();
    for account in &targets {
        fake.add_role(Role {
            arn: format!("arn:aws:iam::{account}:role/deployment-circuit-breaker-target"),
            trusted: vec![FUNCTION_ROLE.into()],
            policy: None,
        });
    }
    let accounts = std::iter::once(ACCOUNT.to_string()).chain(targets.iter().cloned());
    for account in accounts {
        for region in &REGIONS[..estate.regions] {
            for n in 0..estate.groups {
                let alarm = format!("app{}-g{n}-5xx", n / 10);
                fake.put_group(Group {
                    account: account.clone(),
                    region: region.to_string(),
                    application: format!("app{}", n / 10),
                    group: format!("g{n}"),
                    alarms: vec![alarm.clone()],
                });
                fake.put_alarm(Alarm::new(region, &alarm).account(&account));
            }
        }
    }
    targets
}

async fn run(estate: &Estate, latency: Duration) -> String {
    let fake = FakeAws::start().await.expect("the fake starts");
    let targets = seed(&fake, estate);
    for operation in OPERATIONS {
        fake.inject(operation, None, usize::MAX, FaultKind::Delay(latency));
    }
    let regions = REGIONS[..estate.regions].join(",");
    let targets = targets.join(",");
    let vars = [
        ("AWS_REGION", "us-east-1"),
        ("ALLOWED_DEPLOYMENT_GROUPS", "*/*"),
        ("NOTIFY", "false"),
        ("REGIONS", regions.as_str()),
        ("TARGET_ACCOUNTS", targets.as_str()),
        ("FUNCTION_ROLE_ARN", FUNCTION_ROLE),
    ];
    let config = Config::from_lookup(|name| {
        (vars.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("the configuration is valid");
    let sdk = sdk_config_loader()
        .endpoint_url(fake.endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
        .load()
        .await;
    let aws = ReadinessAws::start(sdk, &config).await;
    let started = Instant::now();
    let report = check(
        ACCOUNT,
        Deadline::after(TIMEOUT),
        &config,
        &aws,
        &mut std::io::sink(),
    )
    .await;
    let took = started.elapsed();
    let mapped: usize = report.locations.iter().map(|l| l.groups.len()).sum();
    let calls = fake.calls().len();
    if let Some(finding) = report.findings.iter().find(|f| f.kind.is_failure()) {
        eprintln!(
            "{}×{}×{}: {}",
            estate.accounts, estate.regions, estate.groups, finding.problem
        );
    }
    format!(
        "| {}×{}×{} | {mapped} | {calls} | {:.1} s | {} ({} failures) |",
        estate.accounts,
        estate.regions,
        estate.groups,
        took.as_secs_f64(),
        report.check.as_str(),
        report.failures
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; anything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let latency = args.first().and_then(|ms| ms.parse().ok()).unwrap_or(30);
    let mut estates: Vec<Estate> = args.iter().skip(1).filter_map(|e| estate(e)).collect();
    if estates.is_empty() {
        estates = ["1×1×20", "2×2×50", "5×2×100", "10×4×100"]
            .iter()
            .filter_map(|e| estate(e))
            .collect();
    }
    println!(
        "Each call answered after {latency} ms; the check's timeout is {} s.\n",
        TIMEOUT.as_secs()
    );
    println!("| accounts×regions×groups | groups mapped | calls | check took | outcome |");
    println!("|---|---|---|---|---|");
    for estate in &estates {
        println!("{}", run(estate, Duration::from_millis(latency)).await);
    }
}
