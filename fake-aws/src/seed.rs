//! The seeded world: the deployments (with their lifecycle hooks and targets), deployment
//! groups, roles, alarms, metrics, target groups, principals, tables and queues a fake starts
//! from ([`Seed`]), how `POST /_fake/reset` restores them (tables and queues empty),
//! and the [`FakeAws`] methods that add to that world or read a deployment's status.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::caller::{Principal, Role};
use crate::cloudwatch::Alarm;
use crate::dynamodb::Table;
use crate::elb::TargetGroup;
use crate::hooks::{LambdaFunction, TaskSet};
use crate::metrics::MetricPoint;
use crate::queues::Queue;
use crate::{epoch_seconds, own_account, FakeAws, State, ACCOUNT};

/// A deployment known to the fake.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Deployment {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub id: String,
    pub application: String,
    pub group: String,
    #[serde(default = "in_progress")]
    pub status: String,
    /// `None` (JSON `null`): CodeDeploy does not report one.
    #[serde(default = "user")]
    pub creator: Option<String>,
    /// `createTime`, in seconds since the epoch; when not given, the time the deployment was
    /// added (or the seed restored).
    #[serde(default, rename = "createTime")]
    pub create_time: Option<f64>,
    /// `completeTime`, in seconds since the epoch, for a deployment that finished.
    #[serde(default, rename = "completeTime")]
    pub complete_time: Option<f64>,
    /// `Server` (the default), `Lambda` or `ECS`.
    #[serde(default = "server", rename = "computePlatform")]
    pub compute_platform: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The revision it deploys and the one before it, as CodeDeploy's `RevisionLocation`.
    #[serde(default)]
    pub revision: Option<Value>,
    #[serde(default, rename = "previousRevision")]
    pub previous_revision: Option<Value>,
    /// Its lifecycle event hooks, in the order they were called.
    #[serde(default)]
    pub hooks: Vec<Hook>,
    /// A Lambda deployment's function and the versions it shifts traffic between (its
    /// target's `lambdaFunctionInfo`).
    #[serde(
        default,
        rename = "lambdaFunction",
        skip_serializing_if = "Option::is_none"
    )]
    pub lambda_function: Option<LambdaFunction>,
    /// An ECS deployment's task sets (its target's `taskSetsInfo`).
    #[serde(default, rename = "taskSets", skip_serializing_if = "Vec::is_empty")]
    pub task_sets: Vec<TaskSet>,
}

/// A lifecycle event hook CodeDeploy called, waiting for (or given) its answer.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Hook {
    /// The lifecycle event (`BeforeAllowTraffic`, …).
    pub event: String,
    #[serde(rename = "executionId")]
    pub execution_id: String,
    /// `InProgress` until answered, then `Succeeded` or `Failed`.
    #[serde(default = "in_progress")]
    pub status: String,
    /// When the event started, in seconds since the epoch; when not given, the time the
    /// deployment was added (or the seed restored).
    #[serde(default, rename = "startTime")]
    pub start_time: Option<f64>,
    /// CodeDeploy reports no start time for it (it may leave `startTime` out).
    #[serde(default, rename = "noStartTime")]
    pub no_start_time: bool,
}

/// A deployment group, for groups that have no deployment or that list alarms.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct Group {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub application: String,
    pub group: String,
    /// The alarms of its alarm configuration.
    #[serde(default)]
    pub alarms: Vec<String>,
}

/// The starting state: what [`FakeAws::seed`] loads and `POST /_fake/reset` restores.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub alarms: Vec<Alarm>,
    #[serde(default)]
    pub principals: Vec<Principal>,
    /// DynamoDB tables, empty: `{"account"?, "region", "name"}`; partition key `pk`.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// SQS queues, empty: `{"account"?, "region", "name", "visibilityTimeout"?,
    /// "deadLetter"?: {"name", "maxReceiveCount"}}`.
    #[serde(default)]
    pub queues: Vec<Queue>,
    /// CloudWatch metrics' datapoints: `{"account"?, "region", "namespace", "name",
    /// "dimensions"?: {name: value}, "unit"?, "timestamp": seconds, "value": sample}`, or
    /// `"stats": {"Sum": 41, "p99": 812.0}` (a minute's statistics) in place of `value`.
    #[serde(default)]
    pub metrics: Vec<MetricPoint>,
    /// Elastic Load Balancing target groups: `{"account"?, "region", "name", "id"?,
    /// "loadBalancers"?: [name or ARN], "targetType"?, "protocol"?, "port"?, "vpcId"?}`.
    #[serde(default, rename = "targetGroups")]
    pub target_groups: Vec<TargetGroup>,
}

fn server() -> String {
    "Server".into()
}

pub(crate) fn in_progress() -> String {
    "InProgress".into()
}

fn user() -> Option<String> {
    Some("user".into())
}

impl Deployment {
    /// An `InProgress` deployment created by a user, in the function's own account.
    pub fn new(region: &str, id: &str, application: &str, group: &str) -> Self {
        Deployment {
            account: ACCOUNT.into(),
            region: region.into(),
            id: id.into(),
            application: application.into(),
            group: group.into(),
            status: in_progress(),
            creator: user(),
            create_time: None,
            complete_time: None,
            compute_platform: server(),
            description: None,
            revision: None,
            previous_revision: None,
            hooks: Vec::new(),
            lambda_function: None,
            task_sets: Vec::new(),
        }
    }

    /// The same deployment, `Succeeded` at `time`.
    pub fn succeeded(mut self, time: SystemTime) -> Self {
        self.status = "Succeeded".into();
        self.complete_time = Some(epoch_seconds(time));
        self
    }

    /// The same deployment on another compute platform (`Lambda`, `ECS`).
    pub fn platform(mut self, platform: &str) -> Self {
        self.compute_platform = platform.into();
        self
    }

    /// The same deployment with these revisions (CodeDeploy's `RevisionLocation`).
    pub fn revisions(mut self, revision: Value, previous: Option<Value>) -> Self {
        self.revision = Some(revision);
        self.previous_revision = previous;
        self
    }

    /// The same deployment in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same deployment with another status (`Succeeded`, `Baking`, …).
    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    /// The same deployment with another creator (`codeDeployRollback`, …).
    pub fn creator(mut self, creator: &str) -> Self {
        self.creator = Some(creator.into());
        self
    }

    /// The same deployment without a creator, as CodeDeploy answers for some.
    pub fn without_creator(mut self) -> Self {
        self.creator = None;
        self
    }

    /// The same deployment, created at `time`.
    pub fn created(mut self, time: SystemTime) -> Self {
        self.create_time = Some(epoch_seconds(time));
        self
    }

    /// Whether the deployment lives in `account` and `region`.
    pub(crate) fn is_in(&self, account: &str, region: &str) -> bool {
        self.account == account && self.region == region
    }

    /// With its creation time (and its hooks' start times) set to now when it has none.
    fn dated(mut self) -> Self {
        let now = epoch_seconds(SystemTime::now());
        self.create_time = self.create_time.or(Some(now));
        for hook in self.hooks.iter_mut().filter(|h| !h.no_start_time) {
            hook.start_time = hook.start_time.or(Some(now));
        }
        self
    }
}

impl State {
    /// Restores the seed and forgets what was received, injected and made since. Credentials
    /// STS issued stay valid until they expire, whatever else is restored.
    pub(crate) fn reset(&mut self) {
        let seed = &self.seed;
        let deployments = seed.deployments.iter().cloned().map(Deployment::dated);
        self.codedeploy.deployments = deployments.collect();
        self.codedeploy.groups = seed.groups.iter().cloned().collect();
        self.identities.roles = seed.roles.clone();
        self.identities.principals = seed.principals.clone();
        self.cloudwatch.alarms = seed.alarms.iter().cloned().map(Alarm::dated).collect();
        self.cloudwatch.metrics = seed.metrics.clone();
        self.elb.target_groups = seed.target_groups.clone();
        let tables = seed.tables.iter().map(|t| (t.clone(), Default::default()));
        self.dynamodb.tables = tables.collect();
        let queues = seed
            .queues
            .iter()
            .map(|q| (q.key(), (q.clone(), Vec::new())));
        self.sqs.queues = queues.collect();
        self.faults.clear();
        self.journal.calls.clear();
        self.journal.served.clear();
        self.codedeploy.stops.clear();
        self.codedeploy.created.clear();
        self.sts.assumed.clear();
        self.events.events.clear();
        self.hooks.answers.clear();
        self.events.rejections.clear();
        self.journal.max_in_flight = 0;
    }
}

impl FakeAws {
    /// Adds a deployment (and so its application and group).
    pub fn add(&self, deployment: Deployment) {
        self.lock().codedeploy.deployments.push(deployment.dated());
    }

    /// Adds a deployment group with no deployments, in the function's own account.
    pub fn add_group(&self, region: &str, application: &str, group: &str) {
        self.lock().codedeploy.groups.insert(Group {
            account: ACCOUNT.into(),
            region: region.into(),
            application: application.into(),
            group: group.into(),
            alarms: Vec::new(),
        });
    }

    /// Adds (or replaces) a deployment group.
    pub fn put_group(&self, group: Group) {
        let mut state = self.lock();
        let groups = &mut state.codedeploy.groups;
        groups.retain(|g| {
            (&g.account, &g.region, &g.application, &g.group)
                != (
                    &group.account,
                    &group.region,
                    &group.application,
                    &group.group,
                )
        });
        groups.insert(group);
    }

    /// Replaces the state with `seed`, which `POST /_fake/reset` restores later.
    pub fn seed(&self, seed: Seed) {
        let mut state = self.lock();
        state.seed = seed;
        state.reset();
    }

    /// Completes a deployment of the function's own account with `status` (`Succeeded`, …),
    /// now, as CodeDeploy does at its end.
    pub fn complete(&self, region: &str, id: &str, status: &str) {
        let mut state = self.lock();
        let deployments = state.codedeploy.deployments.iter_mut();
        for deployment in deployments.filter(|d| d.is_in(ACCOUNT, region) && d.id == id) {
            deployment.status = status.into();
            deployment.complete_time = Some(epoch_seconds(SystemTime::now()));
        }
    }

    /// The current status of a deployment of the function's own account.
    pub fn status_of(&self, region: &str, id: &str) -> Option<String> {
        self.status_in(ACCOUNT, region, id)
    }

    /// The current status of a deployment.
    pub fn status_in(&self, account: &str, region: &str, id: &str) -> Option<String> {
        self.lock()
            .codedeploy
            .deployments
            .iter()
            .find(|d| d.is_in(account, region) && d.id == id)
            .map(|d| d.status.clone())
    }
}
