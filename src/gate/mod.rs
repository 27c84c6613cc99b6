//! The gate: a CodeDeploy lifecycle hook that answers `Failed` when an alarm guarding the
//! deployment's group entered ALARM after the deployment was created, so that CodeDeploy rolls
//! it back before more traffic moves, and that bakes after the last traffic shift. The steps:
//! [`call`] (the payload) → [`verdict`] (each alarm judged) → [`bake`] (the watch) →
//! [`report`], wired together by [`serve`]. It runs as its own binary, `codedeploy-hook`.

mod bake;
pub mod call;
pub mod report;
mod serve;
pub mod verdict;

pub use call::{HookCall, BAKE_CONTINUES};
pub use report::{GateOutcome, GateReport};
pub use serve::serve;
pub use verdict::{Judged, Judgement};
