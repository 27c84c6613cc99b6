//! Payload parsing: every documented and captured payload in `tests/fixtures/` (see its
//! SOURCES.md) yields the right signal, and variants cover tags, dimensions, SQS envelopes and
//! the kill switch. One test binary, one module per event source.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod alarm_action;
mod alarm_times;
mod codedeploy;
mod eventbridge;
mod kill_switch;
mod not_triggers;
mod sns;
mod sqs;
