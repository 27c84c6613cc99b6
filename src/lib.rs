//! deployment-circuit-breaker: stops a bad AWS CodeDeploy deployment, with rollback, the moment
//! an alarm or a deployment event says it is bad.
//!
//! The pipeline, one module per step:
//! [`payload`] (the bytes) → [`signal`] (payload → normalised signals) → [`resolve`] (signals →
//! deployments to stop) → [`candidates`] (one per deployment) → [`decide`] (the safety rails) → [`act`] (reads and stops, through
//! [`aws`], the one seam around AWS) → [`report`] (the result), [`notify`] (events for people) and [`metrics`] (EMF lines), wired
//! together for one invocation by [`handler`], configured by [`config`]. The vocabulary the steps
//! share lives below them all, in [`types`]; imports point only down the pipeline (see
//! `tests/layers.rs`).
//!
//! Which groups an alarm maps to is one rule, [`mapping`], read both ways. Which deployments
//! the breaker made, and so never stops, is a record only the functions write: [`redeploys`].
//!
//! The gate, a CodeDeploy lifecycle hook (the `codedeploy-hook` binary), reuses the bottom of
//! it: [`guards`] (the alarms that guard a group) → [`gate`] (judge, bake, answer).
//!
//! The readiness check (the `readiness-check` binary, `{"check": true}`) reads every account
//! and region the breaker may act in, and maps what guards each group: [`guards`] →
//! [`readiness`].
//!
//! Each of the three is a [`runtime::Function`]; its binary's `main` is one call to
//! [`runtime::serve`].

pub mod act;
pub mod aws;
pub mod canary;
pub mod candidates;
pub mod config;
pub mod decide;
pub mod gate;
mod glob;
pub mod guards;
pub mod handler;
pub mod judge;
pub mod mapping;
pub mod metrics;
pub mod notify;
pub mod payload;
pub mod readiness;
pub mod redeploys;
pub mod report;
pub mod resolve;
pub mod runtime;
pub mod signal;
pub mod time;
pub mod types;
