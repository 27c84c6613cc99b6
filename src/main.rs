//! The Lambda entry point: configuration and clients once at start, then one handler call per
//! invocation, on the payload's bytes.

use deployment_circuit_breaker::aws::{sdk_config_loader, Aws, Deadline};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::handler::{handle, Invocation};
use deployment_circuit_breaker::payload::{Payloads, TakePayload};
use deployment_circuit_breaker::runtime::{init_logging, one_at_a_time};
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
use serde::de::IgnoredAny;
use std::time::Duration;

fn main() -> Result<(), Error> {
    one_at_a_time();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
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
