//! The Lambda entry point: configuration and clients once at start, then one handler call per
//! invocation, on the payload's bytes.

use deployment_circuit_breaker::aws::{sdk_config_loader, Aws, Deadline};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::handler::{handle, Invocation};
use deployment_circuit_breaker::payload::{Payloads, TakePayload};
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
use serde::de::IgnoredAny;
use std::time::Duration;
use tracing_subscriber::filter::LevelFilter;

fn main() -> Result<(), Error> {
    one_at_a_time();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// The function serves one invocation at a time. lambda_runtime warns whenever
/// `AWS_LAMBDA_MAX_CONCURRENCY` is set, also to 1, which is what `cargo lambda watch` sets: a
/// warning a newcomer takes for a problem. A value of 1 asks for what the function does, so it
/// is dropped (here, before any thread exists); any other value still gets the warning.
fn one_at_a_time() {
    if std::env::var("AWS_LAMBDA_MAX_CONCURRENCY").is_ok_and(|n| n.trim() == "1") {
        std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
    }
}

async fn run() -> Result<(), Error> {
    init_logging();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "bad configuration"))?;
    let aws = Aws::new(sdk_config_loader().load().await, &config);
    if config.warm_up {
        // Init is off the path from alarm to stop, and Lambda gives it more CPU than an invoke.
        aws.warm_up(&config, Duration::from_secs(2)).await;
    }
    let (config, aws) = (&config, &aws);
    let payloads = Payloads::default();
    let taken = payloads.clone();
    // The runtime decodes `null` (see `payload`); the handler decodes the bytes itself.
    let handler = service_fn(move |event: LambdaEvent<IgnoredAny>| {
        let payload = taken.take(&event.context.request_id);
        async move {
            let deadline = Deadline::lambda(event.context.deadline);
            let arn = &event.context.invoked_function_arn;
            let invocation = Invocation::new(deadline, arn, config.local_account.as_deref())?;
            handle(&payload, &invocation, config, aws, &mut std::io::stdout()).await
        }
    });
    Runtime::new(handler)
        .layer(TakePayload(payloads))
        .layer(TracingLayer::new())
        .run()
        .await
}

/// Logs as Lambda's advanced logging controls ask: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, at
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, as a level; else INFO), without timestamps (Lambda
/// adds them) or colours.
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}
