//! What `BatchGetDeploymentTargets` tells of a Lambda or ECS deployment's traffic.

use serde_json::{json, Value};

use crate::router::call;
use crate::{Deployment, FakeAws, Seed, State, ACCOUNT};

const REGION: &str = "us-east-1";

fn target_of(state: &mut State, id: &str, target_id: &str) -> Value {
    let body = json!({"deploymentId": id, "targetIds": [target_id]});
    let operation = ("codedeploy", "BatchGetDeploymentTargets", REGION);
    let answer = call(state, "AKIDEXAMPLE", operation, &body);
    let answer = answer.unwrap_or_else(|e| panic!("{}: {}", e.1, e.2)).json();
    answer["deploymentTargets"][0].clone()
}

fn state_with(deployments: Vec<Deployment>) -> State {
    let mut state = State::default();
    state.codedeploy.deployments = deployments;
    state
}

#[test]
fn a_lambda_target_tells_the_versions_it_shifts_traffic_between() {
    let deployment = Deployment::new(REGION, "d-LAMBDA001", "shop", "prod")
        .lambda_versions("checkout", "live", "7", "8", 10.0);
    let mut state = state_with(vec![deployment]);
    let target = target_of(&mut state, "d-LAMBDA001", "checkout:live");
    assert_eq!(target["deploymentTargetType"], "LambdaTarget");
    let lambda = &target["lambdaTarget"];
    assert_eq!(
        lambda["targetArn"],
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:checkout:live")
    );
    let info = json!({"functionName": "checkout", "functionAlias": "live",
                      "currentVersion": "7", "targetVersion": "8", "targetVersionWeight": 10.0});
    assert_eq!(lambda["lambdaFunctionInfo"], info);
    assert!(lambda["lambdaFunctionInfo"]["targetVersionWeight"].is_f64());
    // Without versions, as before: no lambdaFunctionInfo.
    let plain = Deployment::new(REGION, "d-LAMBDA002", "shop", "prod").platform("Lambda");
    let mut state = state_with(vec![plain]);
    let target = target_of(&mut state, "d-LAMBDA002", "shop:live");
    assert!(target["lambdaTarget"].get("lambdaFunctionInfo").is_none());
}

#[test]
fn an_ecs_target_tells_its_blue_and_green_task_sets() {
    let deployment = Deployment::new(REGION, "d-ECSDEPL01", "shop", "prod").ecs_task_sets(
        "shop-blue",
        "shop-green",
        10.0,
    );
    let mut state = state_with(vec![deployment]);
    let target = target_of(&mut state, "d-ECSDEPL01", "shop:prod");
    assert_eq!(target["deploymentTargetType"], "ECSTarget");
    let sets = target["ecsTarget"]["taskSetsInfo"]
        .as_array()
        .cloned()
        .expect("task sets");
    assert_eq!(sets.len(), 2);
    let (blue, green) = (&sets[0], &sets[1]);
    let identifer = blue["identifer"].as_str().expect("an identifer");
    assert!(
        identifer.starts_with("ecs-svc/") && identifer.len() == 27,
        "{identifer}"
    );
    assert_ne!(blue["identifer"], green["identifer"]);
    let without_id = |set: &Value| {
        let mut set = set.clone();
        set.as_object_mut().unwrap().remove("identifer");
        set
    };
    assert_eq!(
        without_id(blue),
        json!({"taskSetLabel": "Blue", "trafficWeight": 90.0, "status": "PRIMARY",
               "targetGroup": {"name": "shop-blue"}, "desiredCount": 2, "runningCount": 2,
               "pendingCount": 0})
    );
    assert_eq!(green["taskSetLabel"], "Green");
    assert_eq!(green["status"], "ACTIVE");
    assert_eq!(green["targetGroup"], json!({"name": "shop-green"}));
    assert!(green["trafficWeight"].is_f64() && green["trafficWeight"] == 10.0);
}

#[tokio::test]
async fn traffic_shifts_and_seeds_carry_the_versions_and_task_sets() {
    let fake = FakeAws::start().await.expect("a fake");
    let seed: Seed = serde_json::from_value(json!({"deployments": [
        {"region": REGION, "id": "d-LAMBDA001", "application": "shop", "group": "prod",
         "computePlatform": "Lambda",
         "lambdaFunction": {"functionName": "checkout", "functionAlias": "live",
                            "currentVersion": "7", "targetVersion": "8",
                            "targetVersionWeight": 10}},
        {"region": REGION, "id": "d-ECSDEPL01", "application": "shop", "group": "prod",
         "computePlatform": "ECS",
         "taskSets": [{"identifier": "ecs-svc/1", "label": "Blue", "trafficWeight": 100,
                       "targetGroup": "blue", "status": "PRIMARY", "desiredCount": 1,
                       "runningCount": 1, "pendingCount": 0},
                      {"identifier": "ecs-svc/2", "label": "GREEN", "trafficWeight": 0,
                       "targetGroup": "green", "status": "ACTIVE", "desiredCount": 1,
                       "runningCount": 0, "pendingCount": 1}]},
    ]}))
    .expect("a seed");
    fake.seed(seed);
    fake.shift_traffic(REGION, "d-LAMBDA001", 40.0);
    fake.shift_traffic(REGION, "d-ECSDEPL01", 25.0);
    let mut state = crate::lock(&fake.state);
    let lambda = target_of(&mut state, "d-LAMBDA001", "checkout:live");
    assert_eq!(
        lambda["lambdaTarget"]["lambdaFunctionInfo"]["targetVersionWeight"],
        40.0
    );
    let ecs = target_of(&mut state, "d-ECSDEPL01", "shop:prod");
    let sets = &ecs["ecsTarget"]["taskSetsInfo"];
    assert_eq!(
        (&sets[0]["trafficWeight"], &sets[1]["trafficWeight"]),
        (&json!(75.0), &json!(25.0))
    );
    assert_eq!(sets[1]["identifer"], "ecs-svc/2");
    assert_eq!(sets[1]["pendingCount"], 1);
}
