//! The canary judge: during a canary or linear deployment, the new version against the old
//! while both take traffic, from what AWS already measures per version. [`stats`] (the tests)
//! → [`verdict`] (the rules, and when the data cannot say), fed per platform: [`lambda`], [`ecs`], read as [`minutes`].

pub mod ecs;
pub mod lambda;
mod minutes;
pub mod stats;
pub mod verdict;

pub use minutes::minutes;
pub use verdict::{judge, Canary, Minute, Sample, Verdict};
