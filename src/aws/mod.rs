//! The one seam around AWS: plain data in and out. CodeDeploy in every account and region
//! ([`codedeploy`]; a group's configuration and the redeploy in `deployment_groups`), other
//! accounts reached through a role they let the function assume ([`accounts`]), and
//! EventBridge for notifications ([`events`]); for the gate, in its own account and region,
//! CodeDeploy's lifecycle hooks ([`hooks`]), CloudWatch alarms ([`cloudwatch`]) and the tagging
//! API ([`tagging`]); for the readiness check, those and IAM's
//! policy simulator ([`iam`]) in every account and region. Each function gets only the clients
//! it calls ([`Aws`], [`GateAws`], [`ReadinessAws`]): what a binary never builds, it never links.
//! The breaker and the gate keep records in a DynamoDB table only their roles write
//! ([`StateTable`]); each waits through its own SQS queue ([`WatchQueue`]): the gate for a bake,
//! the breaker between the canary judge's polls, which read CloudWatch's metrics
//! (`metric_data`) in the deployment's account.
//!
//! Signing, retries (standard mode, with backoff), timeouts, endpoints (including
//! `AWS_ENDPOINT_URL_<SERVICE>`) and credentials are the SDK's, its requests sent over HTTP/1.1
//! (`http1`); every call is bounded by the
//! invocation's deadline, and at most [`MAX_CALLS_IN_FLIGHT`] run at once.

pub mod accounts;
mod calls;
pub mod cloudwatch;
pub mod codedeploy;
mod deployment_groups;
mod errors;
pub mod events;
mod hooks;
mod http1;
pub mod iam;
mod metric_data;
mod queue;
mod sdk;
mod shapes;
mod state;
pub mod tagging;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;

use crate::config::Config;
use crate::types::{Account, Location};

pub use calls::{Deadline, MAX_CALLS_IN_FLIGHT};
pub use cloudwatch::Alarms;
pub use codedeploy::{CodeDeploy, Stopped};
pub use events::{Delivery, EventBus};
pub use hooks::Answered;
pub use iam::{Simulated, Simulator};
pub use metric_data::TargetGroupDimensions;
pub use queue::{WatchQueue, MAX_DELAY};
pub use sdk::sdk_config_loader;
pub use state::{Expect, StateTable, Written};
pub use tagging::{Tagged, Tagging};

/// Every AWS service the function calls.
pub struct Aws {
    pub codedeploy: CodeDeploy,
    pub events: EventBus,
    /// The records of redeploys and of the deployments the canary judge watches
    /// (`STATE_TABLE`).
    pub state: Option<StateTable>,
    /// Its own queue, for the canary judge's polls (`WATCH_QUEUE_URL`).
    pub queue: Option<WatchQueue>,
}

impl Aws {
    /// The clients for `config`, from `base` (see [`sdk_config_loader`]).
    pub fn new(base: SdkConfig, config: &Config) -> Aws {
        let events = EventBus::new(&base, &config.notify_event_bus);
        let state = (config.state_table.as_deref()).map(|table| StateTable::new(&base, table));
        let queue = (config.watch_queue_url.as_deref()).map(|url| WatchQueue::new(&base, url));
        let codedeploy = CodeDeploy::new(base, &config.target_role_name, &config.function_name);
        Aws {
            codedeploy,
            events,
            state,
            queue,
        }
    }

    /// CloudWatch in `account` and `region`, for the canary judge's metrics.
    pub async fn alarms(&self, account: &Account, region: &str) -> Alarms {
        Alarms::new(&self.codedeploy.sdk_config(account, region).await)
    }

    /// Readies, within `limit`, the connections the first invocation will use: CodeDeploy in
    /// the function's region, and EventBridge when it notifies (see [`sdk::Unsigned`]).
    pub async fn warm_up(&self, config: &Config, limit: Duration) {
        let codedeploy = self.codedeploy.warm_up(&config.own_region, limit);
        if config.notify {
            tokio::join!(codedeploy, self.events.warm_up(limit));
        } else {
            codedeploy.await;
        }
    }
}

/// Every AWS service the readiness check calls: CodeDeploy everywhere (and the roles of the
/// other accounts), EventBridge for its event, and the clients it reads each account and
/// region with, made once for each.
pub struct ReadinessAws {
    pub codedeploy: CodeDeploy,
    pub events: EventBus,
    located: Mutex<HashMap<Location, Arc<Located>>>,
}

/// The clients the readiness check reads one account and region with.
pub struct Located {
    pub alarms: Alarms,
    pub tagging: Tagging,
    pub simulator: Simulator,
}

impl ReadinessAws {
    /// The clients for `config`, from `base` (see [`sdk_config_loader`]).
    pub fn new(base: SdkConfig, config: &Config) -> ReadinessAws {
        let events = EventBus::new(&base, &config.notify_event_bus);
        let codedeploy = CodeDeploy::new(base, &config.target_role_name, &config.function_name);
        ReadinessAws {
            codedeploy,
            events,
            located: Mutex::new(HashMap::new()),
        }
    }

    /// The clients of `location`, with its account's credentials: made on first use, then kept.
    pub async fn located(&self, location: &Location) -> Arc<Located> {
        let lock = || (self.located.lock()).unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(located) = lock().get(location) {
            return located.clone();
        }
        let base = (self.codedeploy)
            .sdk_config(&location.account, &location.region)
            .await;
        let located = Arc::new(Located {
            alarms: Alarms::new(&base),
            tagging: Tagging::new(&base),
            simulator: Simulator::new(&base),
        });
        lock().entry(location.clone()).or_insert(located).clone()
    }
}

/// Every AWS service the gate calls, all in its own account and region.
pub struct GateAws {
    pub codedeploy: CodeDeploy,
    pub alarms: Alarms,
    pub tagging: Tagging,
    pub events: EventBus,
    /// The hooks it watches (`STATE_TABLE`), and its queue of waits (`WATCH_QUEUE_URL`).
    pub watch: Option<(StateTable, WatchQueue)>,
}

impl GateAws {
    /// The clients for `config`, from `base` (see [`sdk_config_loader`]).
    pub fn new(base: SdkConfig, config: &Config) -> GateAws {
        GateAws {
            alarms: Alarms::new(&base),
            tagging: Tagging::new(&base),
            events: EventBus::new(&base, &config.notify_event_bus),
            watch: (config.state_table.as_deref())
                .zip(config.watch_queue_url.as_deref())
                .map(|(table, queue)| {
                    (StateTable::new(&base, table), WatchQueue::new(&base, queue))
                }),
            codedeploy: CodeDeploy::new(base, &config.target_role_name, &config.function_name),
        }
    }
}
