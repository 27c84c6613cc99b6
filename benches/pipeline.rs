//! Payload → signals → decisions, in process, for each sample event (`events/`): decoding the
//! bytes, parsing, resolution and the rails, with no AWS call.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use deployment_circuit_breaker::candidates::Ask;
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::decide::decide;
use deployment_circuit_breaker::resolve::{requests, signal_time, Invoked};
use deployment_circuit_breaker::signal::{parse_bytes, Item, Parsed, UrlRequest};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::DeploymentInfo;

fn pipeline(bytes: &[u8], config: &Config, deployment: &DeploymentInfo) -> usize {
    let invoked = Invoked {
        now: Time::now(),
        account: "123456789012",
    };
    let items = match parse_bytes(bytes) {
        Ok(Parsed::Direct(items)) => items,
        Ok(Parsed::Sqs(records)) => records.into_iter().filter_map(|r| r.item.ok()).collect(),
        Ok(Parsed::Url(UrlRequest::KillSwitch(item))) => vec![item],
        Ok(Parsed::Url(_)) | Err(_) => return 0,
    };
    let mut decisions = 0;
    for item in items {
        let Item::Signal(signal) = item else { continue };
        for request in requests(
            &signal,
            signal_time(&signal, invoked.now).0,
            &invoked,
            config,
        )
        .unwrap_or_default()
        {
            let ask = Ask {
                record: 0,
                by_id: false,
                reason: request.reason,
                signal: request.signal,
            };
            black_box(decide(deployment, &request.account, &ask, config));
            decisions += 1;
        }
    }
    decisions
}

fn benchmarks(c: &mut Criterion) {
    let config = Config::from_lookup(|name| match name {
        "AWS_REGION" => Some("us-east-1".into()),
        "ALLOWED_DEPLOYMENT_GROUPS" => Some("*/*".into()),
        // The sample events' times are fixed; the benchmark measures the whole path.
        "MAX_SIGNAL_AGE" => Some("0".into()),
        "ALARM_RULES" => Some(
            r#"[{"alarm":"payments-*","application":"payments","deploymentGroup":"prod"}]"#.into(),
        ),
        "STOP_ON_CODEDEPLOY_EVENTS" => Some("InstanceFailure,DeploymentFailure".into()),
        _ => None,
    })
    .expect("valid configuration");
    let deployment = DeploymentInfo {
        id: "d-SHOPPROD1".into(),
        application: "shop".into(),
        group: "prod".into(),
        status: "InProgress".into(),
        creator: "user".into(),
        create_time: Some(Time::from_millis(0)),
        ..DeploymentInfo::default()
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/events");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("events/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut group = c.benchmark_group("payload → signals → decisions");
    for path in files {
        let bytes = std::fs::read(&path).expect("event");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        group.bench_function(name, |b| {
            b.iter(|| pipeline(black_box(&bytes), &config, &deployment))
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
