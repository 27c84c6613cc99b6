//! The gate's Lambda entry point (`CodeDeployHook_<stack>`): configuration and clients once at
//! start, then one hook served per invocation (see `gate`).

use deployment_circuit_breaker::aws::{sdk_config_loader, Deadline, GateAws};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::gate::serve;
use deployment_circuit_breaker::handler::Invocation;
use deployment_circuit_breaker::runtime::{init_logging, one_at_a_time};
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
use serde_json::value::RawValue;

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
    let aws = GateAws::new(sdk_config_loader().load().await, &config);
    let (config, aws) = (&config, &aws);
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        let deadline = Deadline::lambda(event.context.deadline);
        let arn = &event.context.invoked_function_arn;
        let invocation = Invocation::new(deadline, arn, config.local_account.as_deref())?;
        let payload = event.payload.get().as_bytes();
        // Boxed: the gate's future nests too deep for the compiler to lay out inline.
        Box::pin(serve(
            payload,
            &invocation,
            config,
            aws,
            &mut std::io::stdout(),
        ))
        .await
    });
    Runtime::new(handler).layer(TracingLayer::new()).run().await
}
