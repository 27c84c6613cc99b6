//! What the canary judge reads: what a deployment shifts traffic between (a Lambda alias's
//! versions, an ECS service's task sets), as CodeDeploy's deployment target says, and metrics
//! read per minute from CloudWatch (`GetMetricData`).

use std::collections::BTreeMap;

/// A metric to read per minute, with one statistic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricQuery {
    /// Names it in the answer: `[a-z][a-zA-Z0-9_]*`.
    pub id: String,
    pub namespace: String,
    pub name: String,
    /// The metric's whole set of dimensions (CloudWatch matches the set exactly).
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `p99`, …
    pub stat: String,
}

/// The values read, by query ID, then by the minute's start (epoch milliseconds). A minute
/// CloudWatch has no datapoint for is absent, not zero.
pub type PerMinute = BTreeMap<String, BTreeMap<i64, f64>>;

/// A Lambda deployment's versions, from its target's `lambdaFunctionInfo`.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaVersions {
    pub function: String,
    pub alias: String,
    /// The version traffic shifts from.
    pub current: String,
    /// The version traffic shifts to.
    pub target: String,
    /// The target version's share of the alias's traffic now, 0 to 1 (CodeDeploy reports it as
    /// a fraction).
    pub target_weight: Option<f64>,
}

/// An ECS blue/green deployment's target groups, from its target's `taskSetsInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsTaskSets {
    /// The original task set's (`Blue`).
    pub original: String,
    /// The replacement's (`Green`): the new version.
    pub replacement: String,
}

/// What a deployment shifts traffic between.
#[derive(Clone, Debug, PartialEq)]
pub enum Shift {
    Lambda(LambdaVersions),
    Ecs(EcsTaskSets),
}
