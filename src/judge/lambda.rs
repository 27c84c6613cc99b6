//! A Lambda deployment's versions as CloudWatch measures them: per version (`ExecutedVersion`)
//! of the alias, per minute, `Invocations` and `Errors` (Sum) and `Duration` (p99); and the
//! alias's own `Invocations`, which the versions' must add up to.

use super::verdict::{Minute, Sample};
use crate::time::Time;
use crate::types::{LambdaVersions, MetricQuery, PerMinute};

/// The queries for `versions`: for each of `new` and `old`, `requests`, `errors` and `p99`;
/// and `all_requests`, the alias's own.
pub fn queries(versions: &LambdaVersions) -> Vec<MetricQuery> {
    let resource = format!("{}:{}", versions.function, versions.alias);
    let query = |id: &str, name: &str, stat: &str, version: Option<&str>| {
        let mut dimensions = vec![
            ("FunctionName".to_string(), versions.function.clone()),
            ("Resource".to_string(), resource.clone()),
        ];
        if let Some(version) = version {
            dimensions.push(("ExecutedVersion".to_string(), version.to_string()));
        }
        MetricQuery {
            id: id.into(),
            namespace: "AWS/Lambda".into(),
            name: name.into(),
            dimensions,
            stat: stat.into(),
        }
    };
    let mut all = Vec::new();
    for (side, version) in [("new", &versions.target), ("old", &versions.current)] {
        all.push(query(
            &format!("{side}_requests"),
            "Invocations",
            "Sum",
            Some(version),
        ));
        all.push(query(
            &format!("{side}_errors"),
            "Errors",
            "Sum",
            Some(version),
        ));
        all.push(query(
            &format!("{side}_p99"),
            "Duration",
            "p99",
            Some(version),
        ));
    }
    all.push(query("all_requests", "Invocations", "Sum", None));
    all
}

/// The minutes read for [`queries`], in order: each minute either version took requests in.
pub fn minutes(values: &PerMinute) -> Vec<Minute> {
    let series = |id: &str| values.get(id);
    let at = |id: &str, minute: i64| series(id).and_then(|s| s.get(&minute)).copied();
    let sample = |side: &str, minute: i64| {
        let requests = at(&format!("{side}_requests"), minute);
        // A minute with requests and no error datapoint had no errors.
        let errors = at(&format!("{side}_errors"), minute).or(requests.map(|_| 0.0));
        let p99_ms = at(&format!("{side}_p99"), minute);
        Sample {
            requests,
            errors,
            p99_ms,
        }
    };
    let mut starts: Vec<i64> = ["new_requests", "old_requests"]
        .iter()
        .filter_map(|id| series(id))
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

    fn versions() -> LambdaVersions {
        LambdaVersions {
            function: "checkout".into(),
            alias: "live".into(),
            current: "41".into(),
            target: "42".into(),
            target_weight: Some(0.1),
        }
    }

    #[test]
    fn each_version_is_read_by_the_aliass_executed_version() {
        let queries = queries(&versions());
        assert_eq!(queries.len(), 7);
        let new = queries.iter().find(|q| q.id == "new_errors").unwrap();
        assert_eq!(
            new.dimensions,
            vec![
                ("FunctionName".into(), "checkout".into()),
                ("Resource".into(), "checkout:live".into()),
                ("ExecutedVersion".into(), "42".into())
            ]
        );
        let all = queries.iter().find(|q| q.id == "all_requests").unwrap();
        assert_eq!(all.dimensions.len(), 2, "the alias's own: no version");
        assert!(queries.iter().any(|q| q.id == "old_p99" && q.stat == "p99"));
    }

    #[test]
    fn a_minute_with_requests_and_no_error_datapoint_had_no_errors() {
        let mut values = PerMinute::new();
        values
            .entry("new_requests".into())
            .or_default()
            .insert(60_000, 10.0);
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
        let minutes = minutes(&values);
        assert_eq!(minutes.len(), 2);
        assert_eq!(minutes[0].new.errors, Some(0.0));
        assert_eq!(
            (minutes[1].new.requests, minutes[1].new.errors),
            (None, None)
        );
        assert_eq!(minutes[1].old.errors, Some(2.0));
        assert_eq!(minutes[0].total, None, "no datapoint: not known");
    }
}
