//! The one seam around the AWS CodeDeploy SDK: plain data in and out.
//!
//! One client per region, built on first use from the shared SDK configuration and reused across
//! invocations; at most [`MAX_CALLS_IN_FLIGHT`] calls run at once. Signing, retries (standard
//! mode, with backoff), timeouts, endpoints (including `AWS_ENDPOINT_URL_CODEDEPLOY`) and
//! credentials are the SDK's.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_codedeploy::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_codedeploy::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_codedeploy::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codedeploy::operation::stop_deployment::StopDeploymentError;
use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_codedeploy::Client;
use aws_smithy_http_client::tls;
use futures_util::future::join_all;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::signal::Target;
use crate::time::Time;

/// Deployment statuses in which a deployment can still be stopped.
pub const ACTIVE_STATUSES: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// BatchGetDeployments takes at most this many IDs per call.
const BATCH_LIMIT: usize = 25;

/// At most this many CodeDeploy calls are in flight at once, across all regions.
pub const MAX_CALLS_IN_FLIGHT: usize = 8;

/// The error code of work cut short by the invocation's deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The SDK configuration loader with this function's HTTPS client, retry and timeout policy.
/// Everything else (credentials, endpoint overrides) comes from the environment as usual.
pub fn sdk_config_loader() -> ConfigLoader {
    // The SDK's own client, with rustls on ring rather than aws-lc: the same TLS, a package
    // half the size.
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(5))
                .build(),
        )
}

/// What CodeDeploy says about one deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub id: String,
    pub application: String,
    pub group: String,
    /// `InProgress`, `Succeeded`, … as CodeDeploy spells it.
    pub status: String,
    /// `user`, `codeDeployRollback`, `autoscaling`, … as CodeDeploy spells it; `user` when
    /// CodeDeploy does not say.
    pub creator: String,
    /// When it was created (`createTime`), when CodeDeploy says.
    pub create_time: Option<Time>,
}

impl DeploymentInfo {
    /// Whether the deployment can still be stopped.
    pub fn is_active(&self) -> bool {
        ACTIVE_STATUSES.contains(&self.status.as_str())
    }
}

/// An error from CodeDeploy (after the SDK's retries), with its AWS error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The operation that failed.
    pub operation: &'static str,
    /// The AWS error code (`ThrottlingException`, …), or the SDK's failure kind.
    pub code: String,
    pub message: String,
}

impl AwsError {
    /// What to fix, for errors that retrying cannot.
    pub fn hint(&self) -> Option<&'static str> {
        match self.code.as_str() {
            "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => Some(
                "the function's IAM role may not make this call here: its policy (template.yaml) \
                 must allow StopDeployment on \"*\" (it has no resource type) and the other \
                 calls on this application or deployment group, and list this region in its \
                 Regions parameter",
            ),
            "DeploymentDoesNotExistException"
            | "ApplicationDoesNotExistException"
            | "DeploymentGroupDoesNotExistException" => {
                Some("check the name or ID, and that it lives in this account and region")
            }
            "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException" => Some("the function's credentials were refused"),
            _ => None,
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == DEADLINE_EXCEEDED {
            return write!(f, "deadline: {} {}", self.operation, self.message);
        }
        write!(
            f,
            "{} failed with {}: {}",
            self.operation, self.code, self.message
        )?;
        match self.hint() {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AwsError {}

fn aws_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    let code = match (&error, error.code()) {
        (_, Some(code)) => code.to_string(),
        (SdkError::TimeoutError(_), None) => "TimeoutError".into(),
        (SdkError::DispatchFailure(_), None) => "DispatchFailure".into(),
        (SdkError::ResponseError(_), None) => "ResponseError".into(),
        (SdkError::ConstructionFailure(_), None) => "ConstructionFailure".into(),
        _ => "Unknown".into(),
    };
    let message = error
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| DisplayErrorContext(&error).to_string());
    AwsError {
        operation,
        code,
        message,
    }
}

/// Removes a request's signature just before it is sent (see [`CodeDeploy::warm_up`]).
#[derive(Debug)]
struct Unsigned;

impl Intercept for Unsigned {
    fn name(&self) -> &'static str {
        "Unsigned"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_codedeploy::error::BoxError> {
        let headers = context.request_mut().headers_mut();
        headers.remove("authorization");
        headers.remove("x-amz-security-token");
        Ok(())
    }
}

fn deployment_info(info: &aws_sdk_codedeploy::types::DeploymentInfo) -> DeploymentInfo {
    DeploymentInfo {
        id: info.deployment_id().unwrap_or_default().to_string(),
        application: info.application_name().unwrap_or_default().to_string(),
        group: info.deployment_group_name().unwrap_or_default().to_string(),
        status: info
            .status()
            .map(|s| s.as_str())
            .unwrap_or_default()
            .to_string(),
        creator: info.creator().map_or("user", |c| c.as_str()).to_string(),
        create_time: info
            .create_time()
            .and_then(|t| t.to_millis().ok())
            .map(Time::from_millis),
    }
}

/// How a StopDeployment call ended, when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Stopped; CodeDeploy's stop status (`Pending` or `Succeeded`).
    Now(String),
    /// It had already completed (a race, or a duplicate delivery).
    AlreadyCompleted,
}

/// When an invocation must have answered: Lambda's deadline less a margin to report in.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Instant);

impl Deadline {
    /// Time kept back from Lambda's deadline to finish the report and answer.
    pub const MARGIN: Duration = Duration::from_millis(500);

    /// Deadlines before this (2001-09-09) are not wall-clock times: `cargo lambda watch` sends
    /// its timeout as a bare `600000`, which is taken as milliseconds from now.
    const FIRST_WALL_CLOCK_MS: u64 = 1_000_000_000_000;

    /// The deadline of a Lambda invocation (`Context::deadline`, epoch milliseconds), less
    /// [`Deadline::MARGIN`].
    pub fn lambda(deadline_ms: u64) -> Deadline {
        let left = if deadline_ms < Self::FIRST_WALL_CLOCK_MS {
            Duration::from_millis(deadline_ms)
        } else {
            (UNIX_EPOCH + Duration::from_millis(deadline_ms))
                .duration_since(SystemTime::now())
                .unwrap_or_default()
        };
        Deadline::after(left.saturating_sub(Self::MARGIN))
    }

    /// A deadline `time` from now.
    pub fn after(time: Duration) -> Deadline {
        Deadline(Instant::now() + time)
    }

    /// Runs `work`, or gives up with [`DEADLINE_EXCEEDED`] when the deadline comes first.
    async fn bound<T>(
        self,
        operation: &'static str,
        work: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let late = || AwsError {
            operation,
            code: DEADLINE_EXCEEDED.into(),
            message: "did not finish before the invocation's deadline".into(),
        };
        if Instant::now() >= self.0 {
            return Err(late());
        }
        tokio::time::timeout_at(self.0, work)
            .await
            .unwrap_or_else(|_| Err(late()))
    }
}

/// CodeDeploy in every region, through one cached client per region.
pub struct CodeDeploy {
    base: SdkConfig,
    clients: Mutex<HashMap<String, Client>>,
    in_flight: Semaphore,
}

impl CodeDeploy {
    /// Builds clients from `base` (see [`sdk_config_loader`]).
    pub fn new(base: SdkConfig) -> Self {
        CodeDeploy {
            base,
            clients: Mutex::new(HashMap::new()),
            in_flight: Semaphore::new(MAX_CALLS_IN_FLIGHT),
        }
    }

    /// Runs one CodeDeploy call when its turn among the calls in flight comes, giving up when
    /// `deadline` comes first (waiting included, so nothing is sent after the deadline).
    async fn call<T>(
        &self,
        deadline: Deadline,
        operation: &'static str,
        work: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        deadline
            .bound(operation, async {
                // The semaphore is never closed; without a permit the call simply goes ahead.
                let _turn = self.in_flight.acquire().await.ok();
                work.await
            })
            .await
    }

    /// Readies the client of `region` for the first real call, within `limit`: builds it (which
    /// loads the CA bundle), and sends one request through it with its signature removed.
    /// CodeDeploy rejects that request (`MissingAuthenticationTokenException`) before any
    /// authorization, so it needs no permission and does nothing; on its way it resolves the
    /// endpoint and the credentials, signs, and opens the TLS connection the first real call
    /// reuses. A failure only means the first call does this work itself.
    pub async fn warm_up(&self, region: &str, limit: Duration) {
        let request = self
            .client(region)
            .list_applications()
            .customize()
            .interceptor(Unsigned)
            .send();
        match tokio::time::timeout(limit, request).await {
            Ok(answer) => {
                let answer = answer.map_err(|e| aws_error("ListApplications", e));
                tracing::debug!(region, ?answer, "warmed up the connection to CodeDeploy");
            }
            Err(_) => tracing::debug!(region, "warming up the connection took too long"),
        }
    }

    fn client(&self, region: &str) -> Client {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let config = aws_sdk_codedeploy::config::Builder::from(&self.base)
                    .region(Region::new(region.to_string()))
                    .build();
                Client::from_conf(config)
            })
            .clone()
    }

    /// The names of every deployment group of an application (ListDeploymentGroups, all pages).
    pub async fn deployment_groups(
        &self,
        deadline: Deadline,
        region: &str,
        application: &str,
    ) -> Result<Vec<String>, AwsError> {
        let pages = self
            .client(region)
            .list_deployment_groups()
            .application_name(application)
            .into_paginator()
            .items()
            .send();
        let work = async {
            pages
                .try_collect()
                .await
                .map_err(|e| aws_error("ListDeploymentGroups", e))
        };
        self.call(deadline, "ListDeploymentGroups", work).await
    }

    /// The IDs of a group's deployments that can still be stopped (ListDeployments, all pages).
    pub async fn active_deployments(
        &self,
        deadline: Deadline,
        region: &str,
        application: &str,
        group: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut request = self
            .client(region)
            .list_deployments()
            .application_name(application)
            .deployment_group_name(group);
        for status in ACTIVE_STATUSES {
            request = request.include_only_statuses(DeploymentStatus::from(status));
        }
        let pages = request.into_paginator().items().send();
        let work = async {
            pages
                .try_collect()
                .await
                .map_err(|e| aws_error("ListDeployments", e))
        };
        self.call(deadline, "ListDeployments", work).await
    }

    /// What CodeDeploy knows of these deployments, one result per ID in order: `None` for a
    /// deployment it does not know. BatchGetDeployments takes 25 IDs a call; the calls run
    /// together, and a failed call fails only the IDs it carried.
    pub async fn deployments(
        &self,
        deadline: Deadline,
        region: &str,
        ids: &[String],
    ) -> Vec<Result<Option<DeploymentInfo>, AwsError>> {
        let client = self.client(region);
        let batches = join_all(ids.chunks(BATCH_LIMIT).map(|chunk| {
            let request = client
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()));
            let work = async {
                let output = request
                    .send()
                    .await
                    .map_err(|e| aws_error("BatchGetDeployments", e))?;
                Ok(output
                    .deployments_info()
                    .iter()
                    .map(deployment_info)
                    .collect::<Vec<_>>())
            };
            self.call(deadline, "BatchGetDeployments", work)
        }))
        .await;
        ids.chunks(BATCH_LIMIT)
            .zip(batches)
            .flat_map(|(chunk, batch)| {
                chunk.iter().map(move |id| match &batch {
                    Ok(infos) => Ok(infos.iter().find(|info| &info.id == id).cloned()),
                    Err(e) => Err(e.clone()),
                })
            })
            .collect()
    }

    /// The deployment IDs a target stands for, one result per lookup: the ID itself, or the
    /// active deployments of the group, or of every group of the application (looked up
    /// together, so one group's failure leaves the others' results intact).
    pub async fn deployment_ids(
        &self,
        deadline: Deadline,
        region: &str,
        target: &Target,
    ) -> Vec<Result<Vec<String>, AwsError>> {
        match target {
            Target::Deployment(id) => vec![Ok(vec![id.clone()])],
            Target::Group {
                application,
                group: Some(group),
            } => vec![
                self.active_deployments(deadline, region, application, group)
                    .await,
            ],
            Target::Group {
                application,
                group: None,
            } => {
                match self.deployment_groups(deadline, region, application).await {
                    Err(e) => vec![Err(e)],
                    Ok(groups) => {
                        join_all(groups.iter().map(|group| {
                            self.active_deployments(deadline, region, application, group)
                        }))
                        .await
                    }
                }
            }
        }
    }

    /// Stops a deployment (StopDeployment), rolling it back when `auto_rollback` is set.
    pub async fn stop(
        &self,
        deadline: Deadline,
        region: &str,
        id: &str,
        auto_rollback: bool,
    ) -> Result<Stopped, AwsError> {
        let request = self
            .client(region)
            .stop_deployment()
            .deployment_id(id)
            .auto_rollback_enabled(auto_rollback);
        let work = async {
            match request.send().await {
                Ok(output) => Ok(Stopped::Now(
                    output
                        .status()
                        .map(|s| s.as_str())
                        .unwrap_or("Pending")
                        .to_string(),
                )),
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        StopDeploymentError::DeploymentAlreadyCompletedException(_)
                    ) =>
                {
                    Ok(Stopped::AlreadyCompleted)
                }
                Err(e) => Err(aws_error("StopDeployment", e)),
            }
        };
        self.call(deadline, "StopDeployment", work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    async fn quick_work(deadline: Deadline) -> Result<(), AwsError> {
        let work = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(())
        };
        deadline.bound("work", work).await
    }

    #[tokio::test]
    async fn lambda_deadlines_are_epoch_milliseconds_less_the_margin() {
        assert!(quick_work(Deadline::lambda(now_ms() + 10_000))
            .await
            .is_ok());
        let late = quick_work(Deadline::lambda(now_ms() + 300))
            .await
            .unwrap_err();
        assert_eq!(late.code, DEADLINE_EXCEEDED, "300 ms is inside the margin");
        assert!(quick_work(Deadline::lambda(now_ms() - 1_000))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn cargo_lambda_relative_deadline_counts_from_now() {
        assert!(quick_work(Deadline::lambda(600_000)).await.is_ok());
        assert!(quick_work(Deadline::lambda(100)).await.is_err());
    }

    #[test]
    fn errors_say_what_to_fix() {
        let error = |code: &str| AwsError {
            operation: "StopDeployment",
            code: code.into(),
            message: "no".into(),
        };
        assert!(error("AccessDeniedException")
            .to_string()
            .contains("IAM role"));
        assert!(error("DeploymentGroupDoesNotExistException")
            .to_string()
            .contains("account and region"));
        assert_eq!(
            error("ThrottlingException").to_string(),
            "StopDeployment failed with ThrottlingException: no"
        );
        assert_eq!(
            error(DEADLINE_EXCEEDED).to_string(),
            "deadline: StopDeployment no"
        );
    }
}
