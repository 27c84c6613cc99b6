//! The SDK's set-up: this function's HTTPS client, retry and timeout policy, and the warm-up of
//! a client at start.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::identity::IdentityCache;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader};
use aws_sdk_codedeploy::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_codedeploy::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_codedeploy::error::{BoxError, ProvideErrorMetadata, SdkError};

use super::errors::aws_error;

/// The SDK configuration loader with this function's HTTPS client, retry and timeout policy.
/// Everything else (credentials, endpoint overrides) comes from the environment as usual.
pub fn sdk_config_loader() -> ConfigLoader {
    // HTTP/1.1 over rustls on ring (see `http1`): the SDK's own client's TLS, without HTTP/2.
    let https = super::http1::Http1::new();
    let loader = aws_config::defaults(BehaviorVersion::latest());
    // Lambda gives the role's credentials in the environment. Reading them there, rather than
    // building the default chain (its web-identity provider builds an STS client, its profile
    // provider reads files), takes 1.2 ms off the CPU of init (bench/README.md). Without them
    // in the environment, the default chain as usual.
    let loader = if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        loader.credentials_provider(EnvironmentVariableCredentialsProvider::new())
    } else {
        loader
    };
    loader
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
