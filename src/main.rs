//! The breaker's Lambda entry point: its clients (see `handler`) served by the one runtime.

use deployment_circuit_breaker::aws::Aws;
use deployment_circuit_breaker::runtime::serve;

fn main() -> Result<(), lambda_runtime::Error> {
    serve::<Aws>()
}
