//! The one shape of the three functions (the breaker, the gate, the readiness check): each is a
//! [`Function`], and its binary's `main` is `serve::<ItsFunction>()`. Serving sets up the
//! process (concurrency, logs, configuration, clients), takes each invocation's payload as bytes
//! (see [`crate::payload`]), and hands it to the function with what the runtime tells of the
//! invocation ([`Invocation`]), the metrics going to standard output.

use std::io::Write;

use aws_config::SdkConfig;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
use serde::de::IgnoredAny;
use serde::Serialize;
use tracing_subscriber::filter::LevelFilter;

use crate::aws::{sdk_config_loader, Deadline};
use crate::config::Config;
use crate::payload::{Payloads, TakePayload};
use crate::report::{Failure, FailureKind};
use crate::time::Time;
use crate::types::is_account;

/// What the runtime tells about one invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// When to give up on AWS calls.
    pub deadline: Deadline,
    /// The function's own account.
    pub account: String,
    /// When the invocation started.
    pub now: Time,
}

impl Invocation {
    /// An invocation starting now, of the function `function_arn`: its account is the
    /// function's own, else `local_account` (`LOCAL_ACCOUNT`); fails when neither names one.
    pub fn new(
        deadline: Deadline,
        function_arn: &str,
        local_account: Option<&str>,
    ) -> Result<Invocation, Failure> {
        let account = function_arn
            .split(':')
            .nth(4)
            .filter(|account| is_account(account))
            .or(local_account)
            .ok_or_else(|| Failure {
                kind: FailureKind::UnknownAccount,
                message: format!(
                    "the invoked function ARN `{function_arn}` names no account, so signals \
                     from other accounts cannot be told apart (set LOCAL_ACCOUNT when running \
                     outside Lambda)"
                ),
            })?;
        Ok(Invocation {
            deadline,
            account: account.to_string(),
            now: Time::now(),
        })
    }
}

/// One of the functions: its clients, made once at start, and what it does with one payload.
// The futures run on one thread (see `serve`): they need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Function: Sized {
    type Response: Serialize;

    /// The clients, from the SDK's configuration and the function's; readies what the first
    /// invocation will use, when that is worth it.
    async fn start(base: SdkConfig, config: &Config) -> Self;

    /// Serves one invocation, writing its metrics (EMF lines) to `metrics`.
    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<Self::Response, Failure>;
}

/// Runs `F` under the Lambda runtime until the process ends.
pub fn serve<F: Function>() -> Result<(), Error> {
    one_at_a_time();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run::<F>())
}

async fn run<F: Function>() -> Result<(), Error> {
    init_logging();
    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "bad configuration"))?;
    let function = F::start(sdk_config_loader().load().await, &config).await;
    let (config, function) = (&config, &function);
    let payloads = Payloads::default();
    let taken = payloads.clone();
    // The runtime decodes `null` (see `payload`); the function decodes the bytes itself.
    let handler = service_fn(move |event: LambdaEvent<IgnoredAny>| {
        let payload = taken.take(&event.context.request_id);
        // Boxed: the gate's future nests too deep for the compiler to lay out inline.
        Box::pin(async move {
            let deadline = Deadline::lambda(event.context.deadline);
            let arn = &event.context.invoked_function_arn;
            let invocation = Invocation::new(deadline, arn, config.local_account.as_deref())?;
            let out = &mut std::io::stdout();
            function.handle(&payload, &invocation, config, out).await
        })
    });
    Runtime::new(handler)
        .layer(TakePayload(payloads))
        .layer(TracingLayer::new())
        .run()
        .await
}

/// The function serves one invocation at a time. lambda_runtime warns whenever
/// `AWS_LAMBDA_MAX_CONCURRENCY` is set, also to 1, which is what `cargo lambda watch` sets: a
/// warning a newcomer takes for a problem. A value of 1 asks for what the function does, so it
/// is dropped (call this before any thread exists); any other value still gets the warning.
fn one_at_a_time() {
    if std::env::var("AWS_LAMBDA_MAX_CONCURRENCY").is_ok_and(|n| n.trim() == "1") {
        std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
    }
}

/// Logs as Lambda's advanced logging controls ask: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, at
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, as a level; else INFO), without timestamps (Lambda
/// adds them) or colours.
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}
