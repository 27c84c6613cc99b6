//! A canary's traffic in the fake's CloudWatch, as AWS publishes it: per minute, each version's
//! requests, errors and p99 latency. For Lambda, `AWS/Lambda` per `ExecutedVersion` of the alias
//! `checkout:live` (and the alias's own total); for ECS, `AWS/ApplicationELB` per target group.

use std::time::SystemTime;

use fake_aws::{FakeAws, Metric, TargetGroup};

use super::{ACCOUNT, HOME};

/// One version's traffic each minute: requests, errors, p99 (ms).
pub type PerMinute = (f64, f64, f64);

/// `checkout:live`'s traffic at each of `minutes`: `new` on version 42, `old` on 41 (`None`: no
/// traffic on it).
pub fn lambda_traffic(
    fake: &FakeAws,
    minutes: &[SystemTime],
    new: PerMinute,
    old: Option<PerMinute>,
) {
    lambda_traffic_in(fake, ACCOUNT, minutes, new, old);
}

/// Like [`lambda_traffic`], in `account`.
pub fn lambda_traffic_in(
    fake: &FakeAws,
    account: &str,
    minutes: &[SystemTime],
    new: PerMinute,
    old: Option<PerMinute>,
) {
    let metric = |name: &str, version: Option<&str>| {
        let metric = Metric::new(HOME, "AWS/Lambda", name)
            .account(account)
            .dimension("FunctionName", "checkout")
            .dimension("Resource", "checkout:live");
        match version {
            Some(version) => metric.dimension("ExecutedVersion", version),
            None => metric,
        }
    };
    let mut all = metric("Invocations", None);
    for (version, traffic) in [("42", Some(new)), ("41", old)] {
        let Some((requests, errors, p99)) = traffic else {
            continue;
        };
        let (mut invocations, mut errs, mut duration) = (
            metric("Invocations", Some(version)),
            metric("Errors", Some(version)),
            metric("Duration", Some(version)),
        );
        for &minute in minutes {
            invocations = invocations.minute(minute, &[("Sum", requests)]);
            errs = errs.minute(minute, &[("Sum", errors)]);
            duration = duration.minute(minute, &[("p99", p99)]);
        }
        fake.put_metric(invocations);
        fake.put_metric(errs);
        fake.put_metric(duration);
    }
    for &minute in minutes {
        let total = new.0 + old.map_or(0.0, |o| o.0);
        all = all.minute(minute, &[("Sum", total)]);
    }
    fake.put_metric(all);
}

/// The target groups `shop-green` (`new`) and `shop-blue` (`old`) behind load balancer `web`,
/// and their traffic at each of `minutes`.
pub fn ecs_traffic(fake: &FakeAws, minutes: &[SystemTime], new: PerMinute, old: PerMinute) {
    for (name, (requests, errors, p99)) in [("shop-green", new), ("shop-blue", old)] {
        let group = TargetGroup::new(HOME, name).load_balancer("web");
        fake.put_target_group(group.clone());
        let metric = |metric: &str| {
            let lb = group.load_balancer_dimension().expect("a load balancer");
            Metric::new(HOME, "AWS/ApplicationELB", metric)
                .dimension("TargetGroup", &group.dimension())
                .dimension("LoadBalancer", &lb)
        };
        let (mut count, mut fives, mut time) = (
            metric("RequestCount"),
            metric("HTTPCode_Target_5XX_Count"),
            metric("TargetResponseTime"),
        );
        for &minute in minutes {
            count = count.minute(minute, &[("Sum", requests)]);
            fives = fives.minute(minute, &[("Sum", errors)]);
            time = time.minute(minute, &[("p99", p99 / 1000.0)]);
        }
        fake.put_metric(count);
        fake.put_metric(fives);
        fake.put_metric(time);
    }
}
