//! CodeDeploy's lifecycle hooks: which lifecycle event a deployment is in, and what it shifts
//! traffic between (`ListDeploymentTargets`, `BatchGetDeploymentTargets`) and a hook's answer
//! (`PutLifecycleEventHookExecutionStatus`).

use aws_sdk_codedeploy::error::SdkError;
use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusError as PutError;
use aws_sdk_codedeploy::types::{DeploymentTarget, LifecycleEventStatus, TargetLabel};

use super::calls::Deadline;
use super::codedeploy::CodeDeploy;
use super::errors::aws_error;
use crate::time::Time;
use crate::types::{
    Account, AwsError, EcsTaskSets, HookAnswer, LambdaVersions, LifecycleEvent, Shift,
};

/// BatchGetDeploymentTargets takes at most this many target IDs a call.
const TARGETS_LIMIT: usize = 25;

/// How a hook's answer was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answered {
    Now,
    /// CodeDeploy had its answer already (a retried or repeated invocation): not an error.
    AlreadyCompleted,
}

/// What a target shifts traffic between: a Lambda target's versions (`lambdaFunctionInfo`), an
/// ECS target's task sets' target groups (`taskSetsInfo`).
fn shift(target: &DeploymentTarget) -> Option<Shift> {
    if let Some(ecs) = target.ecs_target() {
        let group = |label: TargetLabel| {
            (ecs.task_sets_info().iter())
                .find(|set| set.task_set_label() == Some(&label))
                .and_then(|set| set.target_group()?.name().map(str::to_string))
        };
        return Some(Shift::Ecs(EcsTaskSets {
            original: group(TargetLabel::Blue)?,
            replacement: group(TargetLabel::Green)?,
        }));
    }
    let info = target.lambda_target()?.lambda_function_info()?;
    Some(Shift::Lambda(LambdaVersions {
        function: info.function_name()?.to_string(),
        alias: info.function_alias()?.to_string(),
        current: info.current_version()?.to_string(),
        target: info.target_version()?.to_string(),
        target_weight: Some(info.target_version_weight()),
    }))
}

/// The lifecycle events of a target, whatever its compute platform.
fn lifecycle_events(target: &DeploymentTarget) -> &[aws_sdk_codedeploy::types::LifecycleEvent] {
    if let Some(lambda) = target.lambda_target() {
        lambda.lifecycle_events()
    } else if let Some(ecs) = target.ecs_target() {
        ecs.lifecycle_events()
    } else if let Some(instance) = target.instance_target() {
        instance.lifecycle_events()
    } else {
        &[]
    }
}

impl CodeDeploy {
    /// The lifecycle event `deployment` (in `account` and `region`) is in now: the first
    /// `InProgress` event of its targets (`None` when none is: its hook was answered, or it is
    /// between events); and, for a Lambda or ECS deployment, what it shifts traffic between.
    pub async fn lifecycle_event(
        &self,
        deadline: Deadline,
        (account, region): (&Account, &str),
        deployment: &str,
    ) -> Result<(Option<LifecycleEvent>, Option<Shift>), AwsError> {
        let client = self.client(account, region).await;
        let work = async {
            let mut ids = Vec::new();
            let mut token = None;
            loop {
                let page = client
                    .list_deployment_targets()
                    .deployment_id(deployment)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| aws_error("ListDeploymentTargets", e))?;
                ids.extend(page.target_ids().iter().cloned());
                token = page
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(String::from);
                if token.is_none() {
                    break;
                }
            }
            let mut versions = None;
            for chunk in ids.chunks(TARGETS_LIMIT) {
                let output = client
                    .batch_get_deployment_targets()
                    .deployment_id(deployment)
                    .set_target_ids(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| aws_error("BatchGetDeploymentTargets", e))?;
                let targets = output.deployment_targets();
                versions = versions.or_else(|| targets.iter().find_map(shift));
                let events = targets.iter().flat_map(lifecycle_events);
                let mut in_progress =
                    events.filter(|e| e.status() == Some(&LifecycleEventStatus::InProgress));
                if let Some(event) = in_progress.next() {
                    let event = LifecycleEvent {
                        name: event.lifecycle_event_name().unwrap_or_default().to_string(),
                        status: "InProgress".into(),
                        start_time: event
                            .start_time()
                            .and_then(|t| t.to_millis().ok())
                            .map(Time::from_millis),
                    };
                    return Ok((Some(event), versions));
                }
            }
            Ok((None, versions))
        };
        self.call(deadline, account, "BatchGetDeploymentTargets", work)
            .await
    }

    /// Answers a hook (PutLifecycleEventHookExecutionStatus).
    pub async fn answer_hook(
        &self,
        deadline: Deadline,
        region: &str,
        (deployment, execution): (&str, &str),
        answer: HookAnswer,
    ) -> Result<Answered, AwsError> {
        let own = Account::Own(String::new());
        let request = self
            .client(&own, region)
            .await
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(deployment)
            .lifecycle_event_hook_execution_id(execution)
            .status(LifecycleEventStatus::from(answer.as_str()));
        let work = async {
            match request.send().await {
                Ok(_) => Ok(Answered::Now),
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        PutError::LifecycleEventAlreadyCompletedException(_)
                    ) =>
                {
                    Ok(Answered::AlreadyCompleted)
                }
                Err(e) => Err(aws_error("PutLifecycleEventHookExecutionStatus", e)),
            }
        };
        let operation = "PutLifecycleEventHookExecutionStatus";
        self.call(deadline, &own, operation, work).await
    }
}
