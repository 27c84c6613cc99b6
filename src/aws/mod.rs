//! The one seam around AWS: plain data in and out. CodeDeploy in every account and region
//! ([`codedeploy`]), other accounts reached through a role they let the function assume
//! ([`accounts`]), and EventBridge for notifications ([`events`]).
//!
//! Signing, retries (standard mode, with backoff), timeouts, endpoints (including
//! `AWS_ENDPOINT_URL_<SERVICE>`) and credentials are the SDK's; every call is bounded by the
//! invocation's deadline, and at most [`MAX_CALLS_IN_FLIGHT`] run at once.

pub mod accounts;
pub mod codedeploy;
pub mod events;

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::identity::IdentityCache;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_codedeploy::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_codedeploy::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_codedeploy::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::Config;

pub use accounts::Account;
pub use codedeploy::{CodeDeploy, DeploymentInfo, Stopped, ACTIVE_STATUSES};
pub use events::{Delivery, EventBus};

/// Every AWS service the function calls.
pub struct Aws {
    pub codedeploy: CodeDeploy,
    pub events: EventBus,
}

impl Aws {
    /// The clients for `config`, from `base` (see [`sdk_config_loader`]).
    pub fn new(base: SdkConfig, config: &Config) -> Aws {
        let events = EventBus::new(&base, &config.notify_event_bus);
        let codedeploy = CodeDeploy::new(base, &config.target_role_name, &config.function_name);
        Aws { codedeploy, events }
    }

    /// Readies, within `limit`, the connections the first invocation will use: CodeDeploy in
    /// the function's region, and EventBridge when it notifies (see [`Unsigned`]).
    pub async fn warm_up(&self, config: &Config, limit: Duration) {
        let codedeploy = self.codedeploy.warm_up(&config.default_region, limit);
        if config.notify {
            tokio::join!(codedeploy, self.events.warm_up(limit));
        } else {
            codedeploy.await;
        }
    }
}

/// At most this many calls to CodeDeploy are in flight at once, across all accounts and regions
/// (and as many to EventBridge).
pub const MAX_CALLS_IN_FLIGHT: usize = 8;

/// The error code of work cut short by the invocation's deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The error code of a call whose credentials could not be had (see [`accounts`]).
pub const CREDENTIALS_ERROR: &str = "CredentialsError";

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
        // One cache for every client, so each account's credentials (an assumed role's) are
        // fetched once for all its regions.
        .identity_cache(IdentityCache::lazy().build())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(5))
                .build(),
        )
}

/// An error from AWS (after the SDK's retries), with its AWS error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The operation that failed.
    pub operation: &'static str,
    /// The AWS error code (`ThrottlingException`, …), or the SDK's failure kind.
    pub code: String,
    pub message: String,
    /// The role the call was made as, in another account (see [`accounts`]).
    pub via_role: Option<String>,
}

impl AwsError {
    pub(crate) fn new(operation: &'static str, code: &str, message: impl Into<String>) -> Self {
        AwsError {
            operation,
            code: code.into(),
            message: message.into(),
            via_role: None,
        }
    }

    /// What to fix, for errors that retrying cannot.
    pub fn hint(&self) -> Option<String> {
        let hint = match (self.code.as_str(), &self.via_role) {
            ("AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation", role) => {
                self.denied(role.as_deref())
            }
            (
                "DeploymentDoesNotExistException"
                | "ApplicationDoesNotExistException"
                | "DeploymentGroupDoesNotExistException",
                _,
            ) => "check the name or ID, and that it lives in this account and region".into(),
            ("UnrecognizedClientException" | "InvalidSignatureException", _)
            | ("ExpiredTokenException", _) => "the function's credentials were refused".into(),
            (CREDENTIALS_ERROR, _) => "no credentials could be had for this account".into(),
            _ => return None,
        };
        Some(hint)
    }
}

impl AwsError {
    /// What the role that was denied this call must be granted, and where.
    fn denied(&self, role: Option<&str>) -> String {
        let (who, policy) = match role {
            None => ("the function's IAM role", "template.yaml"),
            Some(role) => (role, "templates/target-role.yaml"),
        };
        let grant = match self.operation {
            "StopDeployment" => "StopDeployment on \"*\" (it has no resource type)",
            "ListDeploymentGroups" => "ListDeploymentGroups on this application",
            "ListDeployments" => "ListDeployments on this deployment group",
            "BatchGetDeployments" => "BatchGetDeployments on this deployment group",
            "PutEvents" => {
                return format!(
                    "{who} may not put events on this bus: template.yaml grants PutEvents on the \
                     NotifyEventBus of its own account and region only"
                )
            }
            _ => "this call",
        };
        format!(
            "{who} may not make this call here: its policy ({policy}) must allow {grant}, in a \
             region its Regions parameter lists"
        )
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

/// The error of a failed SDK call: its AWS error code, or the SDK's failure kind, or
/// [`CREDENTIALS_ERROR`] when no credentials could be had for it (an AssumeRole refused, say).
pub(crate) fn aws_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + Error + 'static,
    R: fmt::Debug + 'static,
{
    if let Some(credentials) = credentials_error(&error) {
        let message = DisplayErrorContext(credentials).to_string();
        return AwsError::new(operation, CREDENTIALS_ERROR, message);
    }
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
    AwsError::new(operation, &code, message)
}

/// The credentials error somewhere in `error`'s chain of sources, if any.
fn credentials_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a CredentialsError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(credentials) = error.downcast_ref::<CredentialsError>() {
            return Some(credentials);
        }
        current = error.source();
    }
    None
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
        let late = || {
            let message = "did not finish before the invocation's deadline";
            AwsError::new(operation, DEADLINE_EXCEEDED, message)
        };
        if Instant::now() >= self.0 {
            return Err(late());
        }
        tokio::time::timeout_at(self.0, work)
            .await
            .unwrap_or_else(|_| Err(late()))
    }
}

/// Removes a request's signature just before it is sent: how a client is warmed up at start.
/// AWS rejects an unsigned request (`MissingAuthenticationTokenException`) before any
/// authorization, so it needs no permission and does nothing; on its way the client resolves
/// the endpoint and the credentials, signs, and opens the TLS connection the first real call
/// reuses. A failure only means the first call does this work itself.
#[derive(Debug)]
pub(crate) struct Unsigned;

impl Intercept for Unsigned {
    fn name(&self) -> &'static str {
        "Unsigned"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        headers.remove("authorization");
        headers.remove("x-amz-security-token");
        Ok(())
    }
}

/// Waits up to `limit` for a warm-up request (see [`Unsigned`]) to `service`, and logs how it
/// ended; any answer will do, a refusal included.
pub(crate) async fn warm_up<T, E, R>(
    service: &str,
    operation: &'static str,
    limit: Duration,
    request: impl Future<Output = Result<T, SdkError<E, R>>>,
) where
    T: fmt::Debug,
    E: ProvideErrorMetadata + Error + 'static,
    R: fmt::Debug + 'static,
{
    match tokio::time::timeout(limit, request).await {
        Ok(answer) => {
            let answer = answer.map_err(|e| aws_error(operation, e));
            tracing::debug!(service, ?answer, "warmed up the connection");
        }
        Err(_) => tracing::debug!(service, "warming up the connection took too long"),
    }
}

/// Runs calls to AWS within the invocation's deadline, a bounded number at a time.
#[derive(Debug)]
pub(crate) struct Calls {
    in_flight: Semaphore,
}

impl Default for Calls {
    fn default() -> Self {
        Calls {
            in_flight: Semaphore::new(MAX_CALLS_IN_FLIGHT),
        }
    }
}

impl Calls {
    /// Runs one call when its turn among the calls in flight comes, giving up when `deadline`
    /// comes first (waiting included, so nothing is sent after the deadline).
    pub(crate) async fn run<T>(
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
        let error = |code: &str| AwsError::new("StopDeployment", code, "no");
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
