//! CodeDeploy's lifecycle event hooks and deployment targets. A deployment has one target (its
//! Lambda alias, ECS service or instance), whose lifecycle events follow the deployment's hooks;
//! `PutLifecycleEventHookExecutionStatus` accepts one answer a hook, and a `Failed` one fails
//! the deployment (which CodeDeploy then rolls back). A Lambda target tells the versions it
//! shifts traffic between (`lambdaFunctionInfo`, once the deployment has a
//! [`LambdaFunction`]), an ECS target its blue and green task sets (`taskSetsInfo`, once it has
//! [`TaskSet`]s). IAM: none of these actions takes a resource type, so each is authorized on
//! `*`. Its state: the answers given.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::codedeploy::authorize;
use crate::protocol::{client_error, ApiError};
use crate::seed::{in_progress, Deployment};
use crate::{epoch_seconds, md5, string_field, FakeAws, Input, State, ACCOUNT};

pub use crate::seed::Hook;

const LAMBDA_EVENTS: [&str; 3] = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"];
const ECS_EVENTS: [&str; 9] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "BeforeAllowTestTraffic",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];
const SERVER_EVENTS: [&str; 7] = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
];
/// BatchGetDeploymentTargets accepts at most this many target IDs.
const TARGETS_LIMIT: usize = 25;

/// A `PutLifecycleEventHookExecutionStatus` call that answered a hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookAnswer {
    pub account: String,
    pub region: String,
    pub deployment_id: String,
    pub execution_id: String,
    pub status: String,
}

/// The hooks' state: the answers given.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) answers: Vec<HookAnswer>,
}

/// A Lambda deployment's function, alias and the versions it shifts traffic between, as its
/// target's `lambdaFunctionInfo` tells them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LambdaFunction {
    pub function_name: String,
    pub function_alias: String,
    /// The version production traffic points to (the old one).
    pub current_version: String,
    /// The version it points to once deployed (the new one).
    pub target_version: String,
    /// The percentage of production traffic the target version receives.
    pub target_version_weight: f64,
}

/// An ECS deployment's task set, as its target's `taskSetsInfo` tells it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskSet {
    /// `ecs-svc/…` (which CodeDeploy answers as `identifer`).
    pub identifier: String,
    /// `Blue` (the original) or `Green` (the replacement).
    pub label: TaskSetLabel,
    /// The percentage of production traffic it serves.
    pub traffic_weight: f64,
    /// The name of its target group.
    pub target_group: String,
    /// `PRIMARY`, `ACTIVE` or `DRAINING`.
    pub status: String,
    pub desired_count: i64,
    pub running_count: i64,
    pub pending_count: i64,
}

/// Whether a task set is the original or the replacement: CodeDeploy's `TargetLabel`, `Blue`
/// or `Green` on the wire (which its documentation writes `BLUE` and `GREEN`, as a seed may).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum TaskSetLabel {
    #[serde(alias = "BLUE")]
    Blue,
    #[serde(alias = "GREEN")]
    Green,
}

impl TaskSet {
    /// The `label` task set of deployment `id`, serving `weight` percent of production traffic
    /// from `target_group`, two tasks running of two: the blue one `PRIMARY`, the green one
    /// `ACTIVE`.
    pub fn new(id: &str, label: TaskSetLabel, target_group: &str, weight: f64) -> Self {
        let digest = md5::hex(format!("{id}/{label:?}").as_bytes());
        let number = u64::from_str_radix(&digest[..15], 16).unwrap_or_default();
        TaskSet {
            identifier: format!("ecs-svc/{:019}", number % 10_000_000_000_000_000_000),
            label,
            traffic_weight: weight,
            target_group: target_group.into(),
            status: match label {
                TaskSetLabel::Blue => "PRIMARY",
                TaskSetLabel::Green => "ACTIVE",
            }
            .into(),
            desired_count: 2,
            running_count: 2,
            pending_count: 0,
        }
    }

    /// As BatchGetDeploymentTargets writes it.
    fn info(&self) -> Value {
        json!({
            "identifer": self.identifier,
            "desiredCount": self.desired_count,
            "pendingCount": self.pending_count,
            "runningCount": self.running_count,
            "status": self.status,
            "trafficWeight": self.traffic_weight,
            "targetGroup": {"name": self.target_group},
            "taskSetLabel": self.label,
        })
    }
}

impl Deployment {
    /// The same deployment, its lifecycle `event` in progress since now, waiting for the
    /// answer to `execution_id`.
    pub fn hook(self, event: &str, execution_id: &str) -> Self {
        self.hook_since(event, execution_id, SystemTime::now())
    }

    /// Like [`Deployment::hook`], the event in progress since `start`.
    pub fn hook_since(mut self, event: &str, execution_id: &str, start: SystemTime) -> Self {
        self.hooks.push(Hook {
            event: event.into(),
            execution_id: execution_id.into(),
            status: in_progress(),
            start_time: Some(epoch_seconds(start)),
            no_start_time: false,
        });
        self
    }

    /// Like [`Deployment::hook`], with no start time reported for the event.
    pub fn hook_without_start_time(mut self, event: &str, execution_id: &str) -> Self {
        self.hooks.push(Hook {
            event: event.into(),
            execution_id: execution_id.into(),
            status: in_progress(),
            start_time: None,
            no_start_time: true,
        });
        self
    }

    /// The same Lambda deployment, shifting `weight` percent of the traffic of `function`'s
    /// `alias` from version `current` to version `target`.
    pub fn lambda_versions(
        mut self,
        function: &str,
        alias: &str,
        current: &str,
        target: &str,
        weight: f64,
    ) -> Self {
        self.compute_platform = "Lambda".into();
        self.lambda_function = Some(LambdaFunction {
            function_name: function.into(),
            function_alias: alias.into(),
            current_version: current.into(),
            target_version: target.into(),
            target_version_weight: weight,
        });
        self
    }

    /// The same ECS deployment, its blue task set (behind `blue_target_group`) serving
    /// `100 - green_weight` percent of production traffic and its green one (behind
    /// `green_target_group`) `green_weight` percent.
    pub fn ecs_task_sets(
        mut self,
        blue_target_group: &str,
        green_target_group: &str,
        green_weight: f64,
    ) -> Self {
        self.compute_platform = "ECS".into();
        self.task_sets = vec![
            TaskSet::new(
                &self.id,
                TaskSetLabel::Blue,
                blue_target_group,
                100.0 - green_weight,
            ),
            TaskSet::new(
                &self.id,
                TaskSetLabel::Green,
                green_target_group,
                green_weight,
            ),
        ];
        self
    }

    /// Shifts traffic: the Lambda target version's weight, or the green task set's (the blue
    /// one's the rest of 100).
    fn set_weight(&mut self, weight: f64) {
        if let Some(function) = &mut self.lambda_function {
            function.target_version_weight = weight;
        }
        for task_set in &mut self.task_sets {
            task_set.traffic_weight = match task_set.label {
                TaskSetLabel::Green => weight,
                TaskSetLabel::Blue => 100.0 - weight,
            };
        }
    }

    /// Its target's ID: the Lambda alias (`{function}:{alias}`, or `{application}:live`), the
    /// ECS service (`{application}:{group}`) or an instance.
    fn target_id(&self) -> String {
        match self.compute_platform.as_str() {
            "Lambda" => match &self.lambda_function {
                Some(f) => format!("{}:{}", f.function_name, f.function_alias),
                None => format!("{}:live", self.application),
            },
            "ECS" => format!("{}:{}", self.application, self.group),
            _ => format!("i-{}", self.id.trim_start_matches("d-").to_lowercase()),
        }
    }

    /// Its target as BatchGetDeploymentTargets writes it.
    fn target(&self) -> Value {
        let (region, account) = (&self.region, &self.account);
        let id = self.target_id();
        let (kind, field, arn, events) = match self.compute_platform.as_str() {
            "Lambda" => (
                "LambdaTarget",
                "lambdaTarget",
                format!("arn:aws:lambda:{region}:{account}:function:{id}"),
                &LAMBDA_EVENTS[..],
            ),
            "ECS" => (
                "ECSTarget",
                "ecsTarget",
                format!(
                    "arn:aws:ecs:{region}:{account}:service/{}",
                    id.replace(':', "/")
                ),
                &ECS_EVENTS[..],
            ),
            _ => (
                "InstanceTarget",
                "instanceTarget",
                format!("arn:aws:ec2:{region}:{account}:instance/{id}"),
                &SERVER_EVENTS[..],
            ),
        };
        let status = match self.status.as_str() {
            "Created" | "Queued" => "Pending",
            "Stopped" => "Failed",
            other => other,
        };
        let updated = self
            .hooks
            .iter()
            .filter_map(|h| h.start_time)
            .chain(self.complete_time)
            .chain(self.create_time)
            .fold(None, |latest: Option<f64>, t| {
                Some(latest.map_or(t, |l| l.max(t)))
            });
        let mut target = json!({
            "deploymentId": self.id,
            "targetId": id,
            "targetArn": arn,
            "status": status,
            "lastUpdatedAt": updated,
            "lifecycleEvents": self.lifecycle_events(events),
        });
        match (kind, &self.lambda_function) {
            ("LambdaTarget", Some(function)) => target["lambdaFunctionInfo"] = json!(function),
            ("ECSTarget", _) if !self.task_sets.is_empty() => {
                let infos: Vec<Value> = self.task_sets.iter().map(TaskSet::info).collect();
                target["taskSetsInfo"] = json!(infos);
            }
            _ => {}
        }
        json!({ "deploymentTargetType": kind, field: target })
    }

    /// Events before the latest hooked one succeeded, a hooked event has its hook's status, the
    /// later ones are pending; without hooks, all succeeded once the deployment did.
    fn lifecycle_events(&self, events: &[&str]) -> Vec<Value> {
        let hook_of = |event: &str| self.hooks.iter().rev().find(|h| h.event == event);
        let latest = events.iter().rposition(|e| hook_of(e).is_some());
        let done = self.status == "Succeeded";
        events
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let hook = hook_of(name);
                let status = match (hook, latest) {
                    (Some(hook), _) => hook.status.as_str(),
                    (None, Some(latest)) if i < latest => "Succeeded",
                    (None, None) if done => "Succeeded",
                    _ => "Pending",
                };
                let mut event = json!({"lifecycleEventName": name, "status": status});
                if let Some(start) = hook.and_then(|h| h.start_time) {
                    event["startTime"] = json!(start);
                }
                event
            })
            .collect()
    }
}

impl FakeAws {
    /// The hooks answered so far, in order.
    pub fn hook_answers(&self) -> Vec<HookAnswer> {
        self.lock().hooks.answers.clone()
    }

    /// Shifts the traffic of a deployment of the function's own account, as CodeDeploy does
    /// at each step of a canary or linear deployment: its Lambda target version's weight, or
    /// its green task set's (the blue one's the rest of 100). Panics when there is no such
    /// deployment.
    pub fn shift_traffic(&self, region: &str, id: &str, weight: f64) {
        let mut state = self.lock();
        let deployment = (state.codedeploy.deployments.iter_mut())
            .find(|d| d.is_in(ACCOUNT, region) && d.id == id)
            .unwrap_or_else(|| panic!("the fake has no deployment {id} in {region}"));
        deployment.set_weight(weight);
    }
}

/// `ListDeploymentTargets`: the deployment's one target.
pub(crate) fn list_deployment_targets(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let deployment = named_deployment(state, input)?;
    let (page, next) = state.page(&[deployment.target_id()], input.body)?;
    Ok(json!({ "targetIds": page, "nextToken": next }))
}

/// `BatchGetDeploymentTargets`: the deployment's target, once for each of its IDs given.
pub(crate) fn batch_get_deployment_targets(
    state: &mut State,
    input: &Input,
) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let deployment = named_deployment(state, input)?;
    let ids = input.body["targetIds"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if ids.is_empty() {
        return Err(client_error(
            "DeploymentTargetIdRequiredException",
            "A deployment target ID must be specified.",
        ));
    }
    if ids.len() > TARGETS_LIMIT {
        return Err(client_error(
            "DeploymentTargetListSizeExceededException",
            format!("The maximum number of deployment target IDs is {TARGETS_LIMIT}."),
        ));
    }
    let target_id = deployment.target_id();
    if let Some(unknown) = ids
        .iter()
        .find(|id| id.as_str() != Some(target_id.as_str()))
    {
        return Err(client_error(
            "DeploymentTargetDoesNotExistException",
            format!("The deployment target {unknown} does not exist."),
        ));
    }
    let targets: Vec<Value> = ids.iter().map(|_| deployment.target()).collect();
    Ok(json!({ "deploymentTargets": targets }))
}

/// The deployment the call names.
fn named_deployment<'a>(state: &'a State, input: &Input) -> Result<&'a Deployment, ApiError> {
    let codedeploy = &state.codedeploy;
    let index = codedeploy.named_deployment(input.account(), input.region, input.body)?;
    Ok(&codedeploy.deployments[index])
}

/// `PutLifecycleEventHookExecutionStatus`: a hook still in progress takes the answer, and a
/// `Failed` one fails the deployment.
pub(crate) fn put_lifecycle_event_hook_execution_status(
    state: &mut State,
    input: &Input,
) -> Result<Value, ApiError> {
    authorize(state, input)?;
    let (account, region, body) = (input.account(), input.region, input.body);
    let index = state.codedeploy.named_deployment(account, region, body)?;
    let status = string_field(body, "status")
        .filter(|s| ["Succeeded", "Failed"].contains(s))
        .ok_or_else(|| {
            client_error(
                "InvalidLifecycleEventHookExecutionStatusException",
                "The status must be Succeeded or Failed.",
            )
        })?;
    let execution_id = string_field(body, "lifecycleEventHookExecutionId").unwrap_or_default();
    let deployment = &mut state.codedeploy.deployments[index];
    let hook = deployment
        .hooks
        .iter_mut()
        .find(|h| h.execution_id == execution_id)
        .ok_or_else(|| {
            client_error(
                "InvalidLifecycleEventHookExecutionIdException",
                format!("The lifecycle event hook execution ID {execution_id} is invalid."),
            )
        })?;
    if hook.status != "InProgress" {
        return Err(client_error(
            "LifecycleEventAlreadyCompletedException",
            format!("The lifecycle event {} has already completed.", hook.event),
        ));
    }
    hook.status = status.into();
    if status == "Failed" {
        deployment.status = "Failed".into();
        deployment.complete_time = Some(epoch_seconds(SystemTime::now()));
    }
    state.hooks.answers.push(HookAnswer {
        account: account.into(),
        region: region.into(),
        deployment_id: deployment.id.clone(),
        execution_id: execution_id.into(),
        status: status.into(),
    });
    Ok(json!({ "lifecycleEventHookExecutionId": execution_id }))
}

#[cfg(test)]
#[path = "hooks_tests.rs"]
mod tests;
