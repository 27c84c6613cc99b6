//! What both binaries (the breaker's and the gate's) set up before serving invocations: the
//! process's concurrency and the logs.

use tracing_subscriber::filter::LevelFilter;

/// The function serves one invocation at a time. lambda_runtime warns whenever
/// `AWS_LAMBDA_MAX_CONCURRENCY` is set, also to 1, which is what `cargo lambda watch` sets: a
/// warning a newcomer takes for a problem. A value of 1 asks for what the function does, so it
/// is dropped (call this before any thread exists); any other value still gets the warning.
pub fn one_at_a_time() {
    if std::env::var("AWS_LAMBDA_MAX_CONCURRENCY").is_ok_and(|n| n.trim() == "1") {
        std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
    }
}

/// Logs as Lambda's advanced logging controls ask: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, at
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, as a level; else INFO), without timestamps (Lambda
/// adds them) or colours.
pub fn init_logging() {
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
