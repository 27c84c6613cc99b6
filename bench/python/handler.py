"""The baseline: the same work as the Rust function, the way teams write it today with boto3.

EventBridge alarm with tags -> ListDeployments -> BatchGetDeployments -> StopDeployment ->
PutEvents (the notification).
"""

import json

import boto3

ACTIVE = ["Created", "Queued", "InProgress", "Baking", "Ready"]
ROLLBACK_CREATORS = ("codeDeployRollback", "CloudFormationRollback")

codedeploy = boto3.client("codedeploy")
events = boto3.client("events")


def handler(event, context):
    detail = event["detail"]
    if detail["state"]["value"] != "ALARM" or detail.get("previousState", {}).get("value") == "ALARM":
        return {"actions": []}
    tags = detail.get("alarmTags") or {}
    ids = []
    pages = codedeploy.get_paginator("list_deployments").paginate(
        applicationName=tags["codedeploy-application"],
        deploymentGroupName=tags["codedeploy-deployment-group"],
        includeOnlyStatuses=ACTIVE,
    )
    for page in pages:
        ids += page["deployments"]
    actions = []
    for start in range(0, len(ids), 25):
        found = codedeploy.batch_get_deployments(deploymentIds=ids[start:start + 25])
        for deployment in found["deploymentsInfo"]:
            if deployment.get("creator") in ROLLBACK_CREATORS or deployment["status"] not in ACTIVE:
                continue
            stopped = codedeploy.stop_deployment(deploymentId=deployment["deploymentId"], autoRollbackEnabled=True)
            actions.append({"deploymentId": deployment["deploymentId"], "outcome": "stopped",
                            "stopStatus": stopped["status"]})
    if actions:
        events.put_events(Entries=[
            {"Source": "deployment-circuit-breaker", "DetailType": "Deployment Stopped",
             "Detail": json.dumps({"action": action, "signal": {"kind": "alarm",
                                                                "name": detail["alarmName"]}})}
            for action in actions])
    return {"actions": actions}
