//! Calls to AWS within the invocation's deadline, a bounded number at a time.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::types::{AwsError, DEADLINE_EXCEEDED};

/// At most this many calls to CodeDeploy are in flight at once, across all accounts and regions
/// (and as many to EventBridge).
pub const MAX_CALLS_IN_FLIGHT: usize = 8;

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

    /// How long until the deadline (zero once it passed).
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// A deadline `margin` before this one.
    pub fn sooner(self, margin: Duration) -> Deadline {
        Deadline(self.0.checked_sub(margin).unwrap_or(self.0))
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
}
