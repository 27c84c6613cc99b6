//! The Lambda entry point: configuration and clients once at start, then one handler call per
//! invocation.

use deployment_circuit_breaker::codedeploy::{sdk_config_loader, CodeDeploy, Deadline};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::handler::handle;
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "bad configuration"))?;
    let codedeploy = CodeDeploy::new(sdk_config_loader().load().await);
    let (config, codedeploy) = (&config, &codedeploy);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = Deadline::lambda(event.context.deadline);
        handle(&event.payload, deadline, config, codedeploy).await
    }))
    .await
}
