//! An ECS blue/green deployment's task sets as CloudWatch measures them: per target group of
//! the application load balancer, per minute, `RequestCount` and `HTTPCode_Target_5XX_Count`
//! (Sum) and `TargetResponseTime` (p99, in seconds). The replacement (`Green`) is the new
//! version, the original (`Blue`) the old.

use crate::types::MetricQuery;

/// A target group's CloudWatch dimensions: `TargetGroup` and `LoadBalancer` values.
pub type Dimensions<'a> = (&'a str, Option<&'a str>);

/// The queries for the `new` and `old` target groups: for each, `requests`, `errors` and `p99`
/// (read as [`super::minutes`], p99s in seconds).
pub fn queries(new: Dimensions, old: Dimensions) -> Vec<MetricQuery> {
    let mut all = Vec::new();
    for (side, (target_group, load_balancer)) in [("new", new), ("old", old)] {
        let mut dimensions = vec![("TargetGroup".to_string(), target_group.to_string())];
        if let Some(load_balancer) = load_balancer {
            dimensions.push(("LoadBalancer".to_string(), load_balancer.to_string()));
        }
        for (measure, name, stat) in [
            ("requests", "RequestCount", "Sum"),
            ("errors", "HTTPCode_Target_5XX_Count", "Sum"),
            ("p99", "TargetResponseTime", "p99"),
        ] {
            all.push(MetricQuery {
                id: format!("{side}_{measure}"),
                namespace: "AWS/ApplicationELB".into(),
                name: name.into(),
                dimensions: dimensions.clone(),
                stat: stat.into(),
            });
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_set_is_read_by_its_target_group_on_its_load_balancer() {
        let queries = queries(
            ("targetgroup/green/2", Some("app/web/1")),
            ("targetgroup/blue/3", Some("app/web/1")),
        );
        assert_eq!(queries.len(), 6);
        let errors = queries.iter().find(|q| q.id == "new_errors").unwrap();
        assert_eq!(errors.name, "HTTPCode_Target_5XX_Count");
        assert_eq!(
            errors.dimensions,
            vec![
                ("TargetGroup".into(), "targetgroup/green/2".into()),
                ("LoadBalancer".into(), "app/web/1".into())
            ]
        );
        assert!(queries
            .iter()
            .any(|q| q.id == "old_p99" && q.name == "TargetResponseTime"));
    }
}
