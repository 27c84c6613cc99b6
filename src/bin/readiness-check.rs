//! The readiness check's Lambda entry point (`ReadinessCheckFunction`): its clients (see
//! `readiness`) served by the one runtime.

use deployment_circuit_breaker::aws::ReadinessAws;
use deployment_circuit_breaker::runtime::serve;

fn main() -> Result<(), lambda_runtime::Error> {
    serve::<ReadinessAws>()
}
