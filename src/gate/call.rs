//! What the gate is asked to answer: a CodeDeploy lifecycle hook, as CodeDeploy invokes a hook
//! function, or a bake the gate handed on to itself through its bus. Nothing else is taken for
//! one: any other payload is refused, unanswered, with the reason.

use serde::{Deserialize, Serialize};

use crate::types::{detail_type, is_deployment_id, SOURCE};

/// The detail type of the event by which a bake goes on in a fresh invocation.
pub const BAKE_CONTINUES: &str = detail_type::GATE_BAKE_CONTINUES;

/// A hook to answer: CodeDeploy's payload, word for word.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HookCall {
    #[serde(rename = "DeploymentId")]
    pub deployment_id: String,
    #[serde(rename = "LifecycleEventHookExecutionId")]
    pub execution_id: String,
}

impl HookCall {
    /// The execution ID as reports, logs and events name it: a short hash. The ID is a
    /// capability (whoever holds it may answer the hook), so it never appears whole there.
    pub fn execution_hash(&self) -> String {
        // FNV-1a: the ID is a long random token, so 48 bits of it name it without giving it away.
        let hash = (self.execution_id.bytes()).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        format!("{:012x}", hash >> 16)
    }
}

/// The EventBridge event that carries a bake on.
#[derive(Deserialize)]
struct Continued {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: HookCall,
}

/// The hook a payload asks about, and whether it comes back for a bake under way.
pub fn parse(payload: &[u8]) -> Result<(HookCall, bool), String> {
    let (call, continued) = match serde_json::from_slice::<HookCall>(payload) {
        Ok(call) => (call, false),
        Err(direct) => match serde_json::from_slice::<Continued>(payload) {
            Ok(event) if event.source == SOURCE && event.detail_type == BAKE_CONTINUES => {
                (event.detail, true)
            }
            _ => {
                return Err(format!(
                    "not a CodeDeploy lifecycle hook ({{\"DeploymentId\", \
                     \"LifecycleEventHookExecutionId\"}}) nor a bake handed on as \
                     `{BAKE_CONTINUES}`: {direct}"
                ))
            }
        },
    };
    if !is_deployment_id(&call.deployment_id) {
        return Err(format!("`{}` is not a deployment ID", call.deployment_id));
    }
    let id = &call.execution_id;
    if id.is_empty() || id.len() > 256 || !id.chars().all(|c| c.is_ascii_graphic()) {
        // Not echoed: it may be a real ID, which is a capability.
        return Err(format!(
            "the LifecycleEventHookExecutionId ({} characters) is not one CodeDeploy gives",
            id.len()
        ));
    }
    Ok((call, continued))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOOK: &str = r#"{"DeploymentId":"d-ABCDEF123","LifecycleEventHookExecutionId":"eyJ1"}"#;

    #[test]
    fn codedeploy_hook_payloads_and_handed_on_bakes_are_read() {
        let (call, continued) = parse(HOOK.as_bytes()).unwrap();
        assert_eq!(
            (call.deployment_id.as_str(), continued),
            ("d-ABCDEF123", false)
        );
        let event = json!({"version": "0", "id": "1", "source": SOURCE,
            "detail-type": BAKE_CONTINUES, "account": "123456789012", "region": "us-east-1",
            "time": "2026-12-03T10:00:00Z", "resources": [],
            "detail": serde_json::from_str::<serde_json::Value>(HOOK).unwrap()});
        let (again, continued) = parse(event.to_string().as_bytes()).unwrap();
        assert_eq!((again, continued), (call, true));
    }

    #[test]
    fn nothing_else_is_taken_for_a_hook() {
        for payload in [
            json!({"DeploymentId": "d-ABCDEF123"}),
            json!({"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "x", "more": 1}),
            json!({"DeploymentId": "nope", "LifecycleEventHookExecutionId": "x"}),
            json!({"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": ""}),
            json!({"source": "other", "detail-type": BAKE_CONTINUES,
                   "detail": {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "x"}}),
            json!({"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
                   "detail": {}}),
        ] {
            assert!(parse(payload.to_string().as_bytes()).is_err(), "{payload}");
        }
        assert!(parse(b"not json").is_err());
    }
}
