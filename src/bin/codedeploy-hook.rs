//! The gate's Lambda entry point (`CodeDeployHook_<stack>`): its clients (see `gate`) served by
//! the one runtime.

use deployment_circuit_breaker::aws::GateAws;
use deployment_circuit_breaker::runtime::serve;

fn main() -> Result<(), lambda_runtime::Error> {
    serve::<GateAws>()
}
