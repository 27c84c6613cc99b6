//! What the gate is asked to answer: a CodeDeploy lifecycle hook, as CodeDeploy invokes a hook
//! function, or the looks it sent itself through its own queue (`WATCH_QUEUE_URL`), as the
//! queue's event source mapping delivers them. Nothing else is taken for either: any other
//! payload is refused, unanswered, with the reason.

use serde::{Deserialize, Serialize};

use crate::types::{from_queue, is_deployment_id};

/// A hook to answer: CodeDeploy's payload, word for word.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HookCall {
    #[serde(rename = "DeploymentId")]
    pub deployment_id: String,
    #[serde(rename = "LifecycleEventHookExecutionId")]
    pub execution_id: String,
}

/// A look the gate sent itself: the hook, and which look it is (from 1). It proves nothing by
/// itself: the hook's record says whether this look is the one expected.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Look {
    #[serde(rename = "DeploymentId")]
    pub deployment_id: String,
    #[serde(rename = "LifecycleEventHookExecutionId")]
    pub execution_id: String,
    pub look: u32,
    /// The token its record was written with ([`crate::types::token`]).
    #[serde(default)]
    pub token: String,
}

impl Look {
    pub fn hook(&self) -> HookCall {
        HookCall {
            deployment_id: self.deployment_id.clone(),
            execution_id: self.execution_id.clone(),
        }
    }
}

/// One message of the queue, carrying a look (or why it carries none).
pub type Delivered = crate::types::Delivered<Look>;

/// What one invocation asks of the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Called {
    Hook(HookCall),
    Looks(Vec<Delivered>),
}

/// What a payload asks: a hook, or looks from `queue` (the watch queue's ARN, when there is one).
pub fn parse(payload: &[u8], queue: Option<&str>) -> Result<Called, String> {
    let direct = match serde_json::from_slice::<HookCall>(payload) {
        Ok(call) => return valid(&call).map(|()| Called::Hook(call)),
        Err(e) => e,
    };
    let looks = from_queue::<Look>(payload, queue).map_err(|foreign| match foreign {
        None => format!(
            "not a CodeDeploy lifecycle hook ({{\"DeploymentId\", \
             \"LifecycleEventHookExecutionId\"}}) nor the gate's own queue's messages: {direct}"
        ),
        Some(source) => format!(
            "messages from {source}, not from the gate's own queue ({})",
            queue.unwrap_or("none: WATCH_QUEUE_URL is not set")
        ),
    })?;
    let valid_look = |d: Delivered| Delivered {
        body: (d.body)
            .map_err(|e| format!("not a look the gate sends itself: {e}"))
            .and_then(|look| valid(&look.hook()).map(|()| look)),
        ..d
    };
    Ok(Called::Looks(looks.into_iter().map(valid_look).collect()))
}

/// Whether `call` names a deployment and an execution ID as CodeDeploy gives them.
fn valid(call: &HookCall) -> Result<(), String> {
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
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOOK: &str = r#"{"DeploymentId":"d-ABCDEF123","LifecycleEventHookExecutionId":"eyJ1"}"#;
    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:breaker-gate-watch";

    fn sqs(source: &str, bodies: &[String]) -> Vec<u8> {
        let records: Vec<_> = (bodies.iter().enumerate())
            .map(|(i, body)| {
                json!({"messageId": format!("m{i}"), "receiptHandle": "h",
                "body": body, "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                "eventSource": "aws:sqs", "eventSourceARN": source, "awsRegion": "us-east-1"})
            })
            .collect();
        json!({ "Records": records }).to_string().into_bytes()
    }

    #[test]
    fn codedeploy_hook_payloads_and_the_gates_own_looks_are_read() {
        let Called::Hook(call) = parse(HOOK.as_bytes(), Some(QUEUE)).unwrap() else {
            panic!("a hook")
        };
        assert_eq!(call.deployment_id, "d-ABCDEF123");
        let look = json!({"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "eyJ1",
            "look": 3});
        let bodies = [look.to_string(), "{}".to_string()];
        let Called::Looks(looks) = parse(&sqs(QUEUE, &bodies), Some(QUEUE)).unwrap() else {
            panic!("looks")
        };
        assert_eq!(
            looks[0].body.as_ref().map(|l| (l.look, l.hook())),
            Ok((3, call))
        );
        assert!(
            looks[1].body.is_err(),
            "a message that is no look is reported, not taken"
        );
    }

    #[test]
    fn messages_from_another_queue_are_refused_whole() {
        let other = "arn:aws:sqs:us-east-1:123456789012:someone-elses";
        let error = parse(&sqs(other, &[HOOK.to_string()]), Some(QUEUE)).unwrap_err();
        assert!(error.contains(other), "{error}");
        assert!(parse(&sqs(QUEUE, &[HOOK.to_string()]), None).is_err());
    }

    #[test]
    fn nothing_else_is_taken_for_a_hook() {
        for payload in [
            json!({"DeploymentId": "d-ABCDEF123"}),
            json!({"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "x", "more": 1}),
            json!({"DeploymentId": "nope", "LifecycleEventHookExecutionId": "x"}),
            json!({"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": ""}),
            json!({"source": "deployment-circuit-breaker",
                   "detail-type": "Deployment Gate Bake Continues",
                   "detail": {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "x"}}),
            json!({"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
                   "detail": {}}),
        ] {
            assert!(
                parse(payload.to_string().as_bytes(), Some(QUEUE)).is_err(),
                "{payload}"
            );
        }
        assert!(parse(b"not json", Some(QUEUE)).is_err());
    }
}
