//! The gate: a CodeDeploy lifecycle hook that answers `Failed` when an alarm guarding the
//! deployment's group entered ALARM after the deployment was created, so that CodeDeploy rolls
//! it back before more traffic moves, and that bakes after the last traffic shift. The steps:
//! [`call`] (the payload) → `check` (one look: each alarm judged by [`verdict`], and the whole
//! traffic shift by the canary judge, [`crate::canary`]) → `watch` (the
//! looks again, through the gate's own queue, and the record of each watched hook) →
//! [`report`], wired together by [`serve`]. It runs as its own binary, `codedeploy-hook`.

pub mod call;
mod check;
pub mod report;
mod serve;
pub mod verdict;
mod watch;

pub use call::{HookCall, Look};
pub use report::{GateOutcome, GateReport};
pub use serve::{serve, GateResponse, ItemFailure, LooksReport};
pub use verdict::{Judged, Judgement};
pub use watch::Watched;
