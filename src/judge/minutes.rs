//! The values read for either platform's queries, as [`Minute`]s: each query names its side
//! and measure (`new_requests`, `old_errors`, `new_p99`, …, and `all_requests`, the whole's own).

use super::verdict::{Minute, Sample};
use crate::time::Time;
use crate::types::PerMinute;

/// Each minute either version took requests in, in order; p99s multiplied by `p99_to_ms` (an
/// ALB's response times are in seconds).
pub fn minutes(values: &PerMinute, p99_to_ms: f64) -> Vec<Minute> {
    let at = |id: &str, minute: i64| values.get(id).and_then(|s| s.get(&minute)).copied();
    let sample = |side: &str, minute: i64| {
        let requests = at(&format!("{side}_requests"), minute);
        // A minute with requests and no error datapoint had no errors.
        let errors = at(&format!("{side}_errors"), minute).or(requests.map(|_| 0.0));
        let p99_ms = at(&format!("{side}_p99"), minute).map(|p99| p99 * p99_to_ms);
        Sample {
            requests,
            errors,
            p99_ms,
        }
    };
    let mut starts: Vec<i64> = ["new_requests", "old_requests"]
        .iter()
        .filter_map(|id| values.get(*id))
        .flat_map(|s| s.keys().copied())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    (starts.into_iter())
        .map(|minute| Minute {
            at: Time::from_millis(minute),
            new: sample("new", minute),
            old: sample("old", minute),
            total: at("all_requests", minute),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_with_requests_and_no_error_datapoint_had_no_errors() {
        let mut values = PerMinute::new();
        values
            .entry("new_requests".into())
            .or_default()
            .insert(60_000, 10.0);
        values
            .entry("new_p99".into())
            .or_default()
            .insert(60_000, 0.25);
        values
            .entry("old_requests".into())
            .or_default()
            .insert(60_000, 90.0);
        values
            .entry("old_requests".into())
            .or_default()
            .insert(120_000, 95.0);
        values
            .entry("old_errors".into())
            .or_default()
            .insert(120_000, 2.0);
        let minutes = minutes(&values, 1000.0);
        assert_eq!(minutes.len(), 2);
        assert_eq!(minutes[0].new.errors, Some(0.0));
        assert_eq!(
            minutes[0].new.p99_ms,
            Some(250.0),
            "seconds to milliseconds"
        );
        assert_eq!(
            (minutes[1].new.requests, minutes[1].new.errors),
            (None, None)
        );
        assert_eq!(minutes[1].old.errors, Some(2.0));
        assert_eq!(minutes[0].total, None, "no datapoint: not known");
    }
}
