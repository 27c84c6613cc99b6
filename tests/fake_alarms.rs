//! The fake's CloudWatch alarms, tagging API, CodeDeploy lifecycle hooks and principals, met by
//! the real SDK clients: DescribeAlarms over RPC v2 CBOR, GetResources over JSON 1.1.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::AlarmType;
use aws_sdk_codedeploy::config::{Credentials, Region};
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use deployment_circuit_breaker::aws::sdk_config_loader;
use fake_aws::{Alarm, Deployment, FakeAws, Principal};
use serde_json::json;

const HOME: &str = "us-east-1";

async fn sdk(fake: &FakeAws, access_key: &str) -> SdkConfig {
    sdk_config_loader()
        .endpoint_url(fake.endpoint())
        .region(Region::new(HOME))
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .load()
        .await
}

async fn cloudwatch(fake: &FakeAws) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&sdk(fake, "AKIDTEST").await)
}

fn secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs() as i64
}

/// Five metric alarms `app-1`…`app-5`, a composite `app-c`, and alarms elsewhere.
async fn five_alarms() -> FakeAws {
    let fake = FakeAws::start().await.expect("fake starts");
    for n in 1..=5 {
        fake.put_alarm(Alarm::new(HOME, &format!("app-{n}")));
    }
    fake.put_alarm(
        Alarm::new(HOME, "app-c")
            .composite()
            .suppressed("WaitPeriod"),
    );
    fake.put_alarm(Alarm::new("eu-west-1", "app-elsewhere"));
    fake.put_alarm(Alarm::new(HOME, "app-foreign").account("999988887777"));
    fake
}

#[tokio::test]
async fn describe_alarms_returns_composites_only_when_asked_and_paginates() {
    let fake = five_alarms().await;
    fake.set_page_size(2);
    let cw = cloudwatch(&fake).await;

    let mut names = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let page = cw
            .describe_alarms()
            .set_next_token(token)
            .send()
            .await
            .expect("DescribeAlarms");
        pages += 1;
        assert!(page.composite_alarms().is_empty());
        names.extend(
            page.metric_alarms()
                .iter()
                .filter_map(|a| a.alarm_name())
                .map(String::from),
        );
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["app-1", "app-2", "app-3", "app-4", "app-5"]);
    assert_eq!(pages, 3);

    let both = cw
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .alarm_name_prefix("app-c")
        .send()
        .await
        .expect("DescribeAlarms");
    let composite = &both.composite_alarms()[0];
    assert_eq!(composite.alarm_name(), Some("app-c"));
    assert_eq!(
        composite.actions_suppressed_by().map(|b| b.as_str()),
        Some("WaitPeriod")
    );
    assert!(both.metric_alarms().is_empty());
}

#[tokio::test]
async fn describe_alarms_keeps_timestamps_filters_by_prefix_and_refuses_too_many_names() {
    let fake = five_alarms().await;
    let since = SystemTime::now() - Duration::from_millis(3_600_250);
    fake.put_alarm(Alarm::new(HOME, "app-1").state("ALARM", since));
    let cw = cloudwatch(&fake).await;

    let found = cw
        .describe_alarms()
        .alarm_names("app-1")
        .send()
        .await
        .expect("DescribeAlarms");
    let alarm = &found.metric_alarms()[0];
    assert_eq!(alarm.state_value().map(|s| s.as_str()), Some("ALARM"));
    let transitioned = alarm.state_transitioned_timestamp().expect("a timestamp");
    assert_eq!(transitioned.secs(), secs(since));
    assert_eq!(alarm.state_updated_timestamp(), Some(transitioned));

    fake.set_alarm_state(HOME, "app-1", "ALARM");
    let again = cw
        .describe_alarms()
        .alarm_names("app-1")
        .send()
        .await
        .expect("DescribeAlarms");
    let alarm = &again.metric_alarms()[0];
    assert_eq!(alarm.state_transitioned_timestamp(), Some(transitioned));
    assert!(alarm.state_updated_timestamp().expect("a timestamp").secs() > transitioned.secs());

    let prefixed = cw
        .describe_alarms()
        .alarm_name_prefix("app-4")
        .send()
        .await
        .expect("prefix");
    assert_eq!(prefixed.metric_alarms().len(), 1);
    assert_eq!(prefixed.metric_alarms()[0].alarm_name(), Some("app-4"));

    let names: Vec<String> = (0..101).map(|n| format!("alarm-{n}")).collect();
    let error = cw
        .describe_alarms()
        .set_alarm_names(Some(names))
        .send()
        .await
        .expect_err("over 100 names");
    assert_eq!(error.code(), Some("ValidationError"), "{error:?}");
}

#[tokio::test]
async fn get_resources_finds_alarms_by_current_or_former_tags() {
    let fake = FakeAws::start().await.expect("fake starts");
    for name in ["a", "b", "c"] {
        fake.put_alarm(
            Alarm::new(HOME, name)
                .tag("team", "shop")
                .tag("tier", "web"),
        );
    }
    fake.put_alarm(Alarm::new(HOME, "billing").tag("team", "billing"));
    fake.untag_alarm(HOME, "b", "team");
    fake.set_page_size(2);
    let tagging = aws_sdk_resourcegroupstagging::Client::new(&sdk(&fake, "AKIDTEST").await);

    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = tagging
            .get_resources()
            .resource_type_filters("cloudwatch:alarm")
            .tag_filters(TagFilter::builder().key("team").values("shop").build())
            .set_pagination_token(token.clone())
            .send()
            .await
            .expect("GetResources");
        for mapping in page.resource_tag_mapping_list() {
            let tags: Vec<String> = mapping
                .tags()
                .iter()
                .map(|t| format!("{}={}", t.key(), t.value()))
                .collect();
            found.push((mapping.resource_arn().unwrap_or_default().to_string(), tags));
        }
        token = page.pagination_token().map(String::from);
        if token.as_deref() == Some("") {
            break;
        }
        assert!(token.is_some(), "a page before the last has a token");
    }
    let arn = |name: &str| format!("arn:aws:cloudwatch:{HOME}:123456789012:alarm:{name}");
    assert_eq!(
        found,
        [
            (arn("a"), vec!["team=shop".into(), "tier=web".into()]),
            (arn("b"), vec!["tier=web".into()]),
            (arn("c"), vec!["team=shop".into(), "tier=web".into()]),
        ]
    );

    let others = tagging
        .get_resources()
        .resource_type_filters("ec2:instance")
        .send()
        .await
        .expect("GetResources");
    assert!(others.resource_tag_mapping_list().is_empty());
}

#[tokio::test]
async fn a_lifecycle_hook_is_in_progress_until_its_one_answer() {
    let fake = FakeAws::start().await.expect("fake starts");
    let started = SystemTime::now() - Duration::from_secs(90);
    fake.add(
        Deployment::new(HOME, "d-HOOK00001", "shop", "prod")
            .platform("Lambda")
            .hook_since("BeforeAllowTraffic", "exec-1", started),
    );
    let codedeploy = aws_sdk_codedeploy::Client::new(&sdk(&fake, "AKIDTEST").await);

    let ids = codedeploy
        .list_deployment_targets()
        .deployment_id("d-HOOK00001")
        .send()
        .await
        .expect("ListDeploymentTargets");
    let targets = codedeploy
        .batch_get_deployment_targets()
        .deployment_id("d-HOOK00001")
        .set_target_ids(Some(ids.target_ids().to_vec()))
        .send()
        .await
        .expect("BatchGetDeploymentTargets");
    let target = targets.deployment_targets()[0]
        .lambda_target()
        .expect("a Lambda target");
    let events = target.lifecycle_events();
    assert_eq!(events[0].lifecycle_event_name(), Some("BeforeAllowTraffic"));
    assert_eq!(events[0].status(), Some(&LifecycleEventStatus::InProgress));
    assert_eq!(
        events[0].start_time().map(|t| t.secs()),
        Some(secs(started))
    );
    assert_eq!(events[1].status(), Some(&LifecycleEventStatus::Pending));

    let answer = || {
        codedeploy
            .put_lifecycle_event_hook_execution_status()
            .deployment_id("d-HOOK00001")
            .lifecycle_event_hook_execution_id("exec-1")
            .status(LifecycleEventStatus::Succeeded)
            .send()
    };
    let first = answer().await.expect("the first answer");
    assert_eq!(first.lifecycle_event_hook_execution_id(), Some("exec-1"));
    let second = answer().await.expect_err("a second answer");
    assert!(
        second
            .into_service_error()
            .is_lifecycle_event_already_completed_exception(),
        "refused as already completed"
    );
    assert_eq!(fake.hook_answers().len(), 1);
}

#[tokio::test]
async fn a_principal_is_held_to_its_own_policy() {
    let fake = five_alarms().await;
    let policy = json!({"Statement": [{"Effect": "Allow", "Action": "tag:GetResources",
                                       "Resource": "*"}]});
    fake.add_principal(Principal {
        access_key: "AKIDGATE".into(),
        role: "arn:aws:iam::123456789012:role/gate".into(),
        policy: Some(serde_json::from_value(policy).expect("a policy")),
    });
    let config = sdk(&fake, "AKIDGATE").await;

    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    tagging.get_resources().send().await.expect("allowed");
    let denied = aws_sdk_cloudwatch::Client::new(&config)
        .describe_alarms()
        .send()
        .await
        .expect_err("not allowed");
    assert_eq!(denied.code(), Some("AccessDeniedException"), "{denied:?}");
    assert!(
        denied
            .message()
            .is_some_and(|m| m.contains("assumed-role/gate/")),
        "{denied:?}"
    );
    // The function itself is not held to the principal's policy.
    cloudwatch(&fake)
        .await
        .describe_alarms()
        .send()
        .await
        .expect("allowed");
}
