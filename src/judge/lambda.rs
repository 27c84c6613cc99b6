//! A Lambda deployment's versions as CloudWatch measures them: per version (`ExecutedVersion`)
//! of the alias, per minute, `Invocations` and `Errors` (Sum) and `Duration` (p99); and the
//! alias's own `Invocations`, which the versions' must add up to.

use crate::types::{LambdaVersions, MetricQuery};

/// The queries for `versions`: for each of `new` and `old`, `requests`, `errors` and `p99`;
/// and `all_requests`, the alias's own (read as [`super::minutes`]).
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
}
