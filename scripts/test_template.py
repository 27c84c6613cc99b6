"""Checks of the templates that neither cfn-lint nor the IAM policy check makes: what the
functions, the local stack (scripts/local.env, scripts/seed.json, scripts/stack.py) and the fake
must agree on (the state table's and the gate's and the breaker's queues' names, the queues'
settings), and the safety settings of the queues, the rules' targets, the topic, the state table
and the alarms; and which functions get the canary judge's settings, queue, rule and reads (the
gate and the breaker, and the target role, unless Judge is off; never the readiness check, nor
templates/function-role.yaml); and that `policy.py same` compares template.yaml's breaker role
with one the AWS CDK synthesised (a small CDK-like template written here). Each template is
resolved as CloudFormation would create it for stack `breaker` (cfn.py; template.yaml through the
SAM transform first), with the parameters of the tests' world (policy.py TEST_WORLD) or others.

Run by scripts/test.sh: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import functools
import io
import json
import logging
import re
import tempfile
import unittest
from pathlib import Path

import policy
import stack as local_stack
from cfn import Resolver, has_sam_transform, load_template, sam_translate
from policy import TEST_ACCOUNT, TEST_REGION, TEST_STACK, TEST_TEAM_B, TEST_WORLD, load_role

ROOT = Path(__file__).resolve().parent.parent
MAX_DELAY = 900  # SQS's longest DelaySeconds: the longest wait the gate, or the breaker, can ask for
DLQ_RETENTION = 1209600  # 14 days, SQS's longest
TOPIC = f"arn:aws:sns:{TEST_REGION}:{TEST_ACCOUNT}:operators"
FORWARD = ["CentralAccountId=111122223333", "ForwardCodeDeployEvents=true"]
# template.yaml in the tests' world, with the one parameter that has no default.
WORLD = TEST_WORLD + ["AllowedDeploymentGroups=*/*"]
# Parameter sets of template.yaml that change which resources exist.
TEMPLATE_VARIANTS = [
    WORLD,
    WORLD + ["Triggers=SnsTopic"],  # JudgeRule the only rule
    WORLD + ["Triggers=SnsTopic", "Judge=off"],  # no rule: no target to fail
    WORLD + ["Triggers=AlarmRule", "Notify=false"],
    WORLD + ["Judge=off"],  # no queue, rule or alarm of the breaker's judge
    ["AllowedDeploymentGroups=*/*", f"OperatorTopicArn={TOPIC}", "RollbackCompletedWithin=1800"],
]
# The statements of the breaker's role for its canary judge during a deployment (Judge not off).
BREAKER_JUDGE_SIDS = ("JudgeDeploymentTargets", "JudgeMetrics", "SendWatches", "ReceiveWatches")
# The resources of template.yaml for it, created only when Judge is not off.
BREAKER_JUDGE_RESOURCES = ("WatchQueue", "WatchDeadLetterQueue", "WatchMapping", "WatchQueuePolicy",
                           "WatchDeadLetterQueuePolicy", "JudgeRule", "JudgeRulePermission",
                           "WatchDeadLetterAlarm", "WatchAgeAlarm")
# What the breaker's judge may read, as it reads it, and what only a queue's users call.
JUDGE_READS = {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "codedeploy:ListDeploymentTargets",
               "codedeploy:BatchGetDeploymentTargets"}
QUEUE_USE = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
START = {"source": ["aws.codedeploy"], "detail-type": ["CodeDeploy Deployment State-change Notification"],
         "detail": {"state": ["START"]}}


@functools.lru_cache(maxsize=None)
def stack(template: str, parameters: tuple[str, ...] = tuple(WORLD)) -> Resolver:
    """A resolver of `template` (translated when it is a SAM one) for these parameters."""
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
    original = load_template(str(ROOT / template))
    overrides = dict(p.split("=", 1) for p in parameters)
    resolver = Resolver(original, overrides, TEST_ACCOUNT, TEST_REGION, TEST_STACK)
    if has_sam_transform(original):
        translated = sam_translate(original, resolver.parameter_values(), TEST_REGION)
        resolver = Resolver(translated, overrides, TEST_ACCOUNT, TEST_REGION, TEST_STACK)
    return resolver


def created(r: Resolver, kind: str) -> list[str]:
    """The logical ids of the resources of this type that these parameters create."""
    return sorted(k for k, v in r.resources.items()
                  if v.get("Type") == kind and ("Condition" not in v or r.condition(v["Condition"])))


def properties(r: Resolver, logical_id: str) -> dict:
    return r.resolve(r.resources[logical_id].get("Properties", {}))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def queue_policies(r: Resolver, queue: str) -> list[dict]:
    """The statements of every queue policy that applies to `queue`."""
    url = r.ref(queue)
    return [s for p in created(r, "AWS::SQS::QueuePolicy") if url in properties(r, p)["Queues"]
            for s in as_list(properties(r, p)["PolicyDocument"]["Statement"])]


def denies_insecure_transport(statements: list[dict], action: str) -> bool:
    return any(s["Effect"] == "Deny" and s.get("Principal") == "*" and action in as_list(s["Action"])
               and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)


def role_statements(template: str, role: str, parameters: list[str]) -> dict[str, dict]:
    """The role's statements, by Sid, as scripts/policy.py extracts them."""
    args = argparse.Namespace(role=role, parameter=[tuple(p.split("=", 1)) for p in parameters],
                              account=TEST_ACCOUNT, region=TEST_REGION, stack_name=TEST_STACK)
    _, policies, _, _, _, _ = load_role(str(ROOT / template), args)
    return {s["Sid"]: s for _, d in policies for s in d["Statement"] if "Sid" in s}


def is_created(r: Resolver, logical_id: str) -> bool:
    resource = r.resources[logical_id]
    return "Condition" not in resource or r.condition(resource["Condition"])


def local_env() -> dict[str, str]:
    lines = (ROOT / "scripts/local.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


class TheLocalStackAgrees(unittest.TestCase):
    """The names and settings the functions get from template.yaml are those scripts/local.env
    gives them and scripts/seed.json makes the fake create, and the extracted policies name."""

    def test_the_functions_environment(self):
        r = stack("template.yaml")
        gate = properties(r, "GateFunction")["Environment"]["Variables"]
        breaker = properties(r, "Function")["Environment"]["Variables"]
        check = properties(r, "ReadinessCheckFunction")["Environment"]["Variables"]
        sqs = f"https://sqs.{TEST_REGION}.amazonaws.com/{TEST_ACCOUNT}"
        self.assertEqual(gate["WATCH_QUEUE_URL"], f"{sqs}/breaker-gate-watch")
        self.assertEqual(breaker["WATCH_QUEUE_URL"], f"{sqs}/breaker-watch")
        self.assertNotIn("WATCH_QUEUE_URL", check)
        self.assertEqual(gate["STATE_TABLE"], "breaker-state")
        self.assertEqual(breaker["STATE_TABLE"], "breaker-state")
        off = properties(stack("template.yaml", tuple(WORLD + ["Judge=off"])), "Function")
        self.assertNotIn("WATCH_QUEUE_URL", off["Environment"]["Variables"])
        env = local_env()
        self.assertEqual(env["STATE_TABLE"], gate["STATE_TABLE"])
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:4599")
        self.assertEqual(env["AWS_ENDPOINT_URL_SQS"], "http://127.0.0.1:4599")

    def test_each_local_runtime_gets_its_own_queue(self):
        """scripts/local.env is every runtime's: it names no queue, and scripts/stack.py gives
        each the one template.yaml gives its function (never the gate's to the breaker), and
        delivers each queue to its own function's runtime."""
        r = stack("template.yaml")
        self.assertNotIn("WATCH_QUEUE_URL", local_env())
        functions = {"function": "Function", "gate": "GateFunction", "check": "ReadinessCheckFunction"}
        self.assertEqual(sorted(functions), sorted(local_stack.RUNTIMES))
        for runtime, function in functions.items():
            variables = properties(r, function)["Environment"]["Variables"]
            lines = [line for line in local_stack.local_env(4599, None, runtime).splitlines()
                     if line.startswith("WATCH_QUEUE_URL=")]
            with self.subTest(runtime=runtime):
                if "WATCH_QUEUE_URL" not in variables:
                    self.assertEqual(lines, [])
                    continue
                name = variables["WATCH_QUEUE_URL"].rsplit("/", 1)[1]
                self.assertEqual(lines, [f"WATCH_QUEUE_URL=http://127.0.0.1:4599/{TEST_ACCOUNT}/{name}"])
        self.assertEqual(local_stack.function_env(4599)["WATCH_QUEUE_URL"],
                         f"http://127.0.0.1:4599/{TEST_ACCOUNT}/{r.ref('WatchQueue').rsplit('/', 1)[1]}")
        options = local_stack.deliver_options({"function": 1, "gate": 2, "check": 3})
        self.assertEqual(sorted(options[1::2]), sorted([
            f"{TEST_ACCOUNT}:{TEST_REGION}:breaker-gate-watch=http://127.0.0.1:2/2015-03-31/functions/"
            f"{local_stack.GATE}/invocations",
            f"{TEST_ACCOUNT}:{TEST_REGION}:breaker-watch=http://127.0.0.1:1/2015-03-31/functions/"
            f"{local_stack.FUNCTION}/invocations"]))
        self.assertEqual(set(options[0::2]), {"--deliver"})

    def test_the_seed_creates_what_the_template_does(self):
        r = stack("template.yaml")
        seed = json.loads((ROOT / "scripts/seed.json").read_text())
        self.assertIn({"region": TEST_REGION, "name": r.ref("StateTable")}, seed["tables"])
        queues = {q["name"]: q for q in seed["queues"]}
        for queue, dead_letters in (("GateWatchQueue", "GateWatchDeadLetterQueue"),
                                    ("WatchQueue", "WatchDeadLetterQueue")):
            watch, dlq = properties(r, queue), properties(r, dead_letters)
            with self.subTest(queue=queue):
                seeded = queues[watch["QueueName"]]
                self.assertEqual(seeded["region"], TEST_REGION)
                self.assertEqual(seeded["visibilityTimeout"], watch["VisibilityTimeout"])
                self.assertEqual(seeded["deadLetter"], {"name": dlq["QueueName"],
                                                        "maxReceiveCount": watch["RedrivePolicy"]["maxReceiveCount"]})
                self.assertEqual(queues[dlq["QueueName"]], {"region": TEST_REGION, "name": dlq["QueueName"]})
        self.assertEqual(sorted(queues), sorted(properties(r, q)["QueueName"] for q in (
            "GateWatchQueue", "GateWatchDeadLetterQueue", "WatchQueue", "WatchDeadLetterQueue")))

    def test_the_policies_name_the_table_and_queue_created(self):
        r = stack("template.yaml")
        table, queue = r.get_att("StateTable", "Arn"), r.get_att("GateWatchQueue", "Arn")
        gate = role_statements("template.yaml", "GateFunctionRole", TEST_WORLD)
        breaker = role_statements("template.yaml", "FunctionRole", TEST_WORLD)
        for role in (gate, breaker):
            self.assertEqual(role["StateTable"]["Resource"], [table])
        # What each calls: the gate reads and writes its hooks' records; the breaker also gives
        # back a redeploy's reservation when CodeDeploy refused it.
        self.assertEqual(gate["StateTable"]["Action"], ["dynamodb:GetItem", "dynamodb:PutItem"])
        self.assertEqual(breaker["StateTable"]["Action"], ["dynamodb:GetItem", "dynamodb:PutItem",
                                                           "dynamodb:DeleteItem"])
        self.assertEqual(gate["SendWatches"]["Resource"], [queue])
        self.assertEqual(gate["ReceiveWatches"]["Resource"], [queue])
        looks = r.get_att("WatchQueue", "Arn")
        self.assertEqual(breaker["SendWatches"]["Resource"], [looks])
        self.assertEqual(breaker["ReceiveWatches"]["Resource"], [looks])
        # templates/function-role.yaml's own table, for a breaker deployed without SAM.
        own = stack("templates/function-role.yaml", ("NotifyEventBus=breaker-notifications",))
        statements = role_statements("templates/function-role.yaml", "FunctionRole",
                                     ["NotifyEventBus=breaker-notifications"])
        self.assertEqual(statements["StateTable"]["Resource"], [own.get_att("StateTable", "Arn")])


class TheCanaryJudge(unittest.TestCase):
    """The gate judges at AfterAllowTraffic, the breaker during a deployment (docs/canary-judge.md):
    both get JUDGE and JUDGE_P, the breaker JUDGE_INTERVAL and its own queue too, and both
    cloudwatch:GetMetricData and ListMetrics, which have no resource type, on "*" (the gate in its
    region, the breaker in Regions); the readiness check gets none of it. Judge=off grants none of
    it, and creates none of the breaker's queue, rule and alarms."""

    def test_the_gate_and_the_breaker_read_metrics(self):
        gate = role_statements("template.yaml", "GateFunctionRole", TEST_WORLD)
        self.assertEqual(gate["JudgeMetrics"], {
            "Sid": "JudgeMetrics", "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": TEST_REGION}}})
        breaker = role_statements("template.yaml", "FunctionRole", TEST_WORLD)
        self.assertEqual(breaker["JudgeMetrics"], {
            "Sid": "JudgeMetrics", "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})
        home = role_statements("template.yaml", "FunctionRole", [p for p in TEST_WORLD if not p.startswith("Regions=")])
        self.assertEqual(home["JudgeMetrics"]["Condition"], {"StringEquals": {"aws:RequestedRegion": [TEST_REGION]}})
        check = role_statements("template.yaml", "ReadinessCheckFunctionRole", TEST_WORLD)
        self.assertNotIn("JudgeMetrics", check)
        self.assertFalse([s for s in check.values() if JUDGE_READS & set(s["Action"])])
        for role in ("GateFunctionRole", "FunctionRole"):
            off = role_statements("template.yaml", role, TEST_WORLD + ["Judge=off"])
            with self.subTest(role=role):
                self.assertNotIn("JudgeMetrics", off)

    def test_the_breaker_s_role_judges_only_under_judge_on(self):
        r = stack("template.yaml")
        queue = r.get_att("WatchQueue", "Arn")
        regions = {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
        expected = {
            "JudgeDeploymentTargets": {
                "Sid": "JudgeDeploymentTargets", "Effect": "Allow",
                "Action": ["codedeploy:ListDeploymentTargets", "codedeploy:BatchGetDeploymentTargets"],
                "Resource": ["*"], "Condition": regions},
            "JudgeMetrics": {
                "Sid": "JudgeMetrics", "Effect": "Allow",
                "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], "Resource": ["*"],
                "Condition": regions},
            # What it calls itself: the next look, and a look pushed back.
            "SendWatches": {
                "Sid": "SendWatches", "Effect": "Allow",
                "Action": ["sqs:SendMessage", "sqs:ChangeMessageVisibility"], "Resource": [queue]},
            # What WatchMapping does as its role.
            "ReceiveWatches": {
                "Sid": "ReceiveWatches", "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [queue]},
        }
        for judge in ("report", "enforce"):
            statements = role_statements("template.yaml", "FunctionRole", TEST_WORLD + [f"Judge={judge}"])
            with self.subTest(judge=judge):
                self.assertEqual({sid: statements[sid] for sid in BREAKER_JUDGE_SIDS}, expected)
        off = role_statements("template.yaml", "FunctionRole", TEST_WORLD + ["Judge=off"])
        self.assertFalse(set(BREAKER_JUDGE_SIDS) & set(off))
        self.assertFalse([s for s in off.values() if (JUDGE_READS | QUEUE_USE) & set(s["Action"])])

    def test_the_breaker_s_queue_rule_and_alarms_exist_only_under_judge_on(self):
        on, off = stack("template.yaml"), stack("template.yaml", tuple(WORLD + ["Judge=off"]))
        for logical_id in BREAKER_JUDGE_RESOURCES:
            with self.subTest(resource=logical_id):
                self.assertTrue(is_created(on, logical_id))
                self.assertFalse(is_created(off, logical_id))
        outputs = load_template(str(ROOT / "template.yaml"))["Outputs"]
        for output in ("WatchQueueUrl", "WatchDeadLetterQueueUrl"):
            self.assertEqual(outputs[output].get("Condition"), "JudgeOn", output)

    def test_the_functions_get_the_mode_level_and_interval(self):
        r = stack("template.yaml")
        gate = properties(r, "GateFunction")["Environment"]["Variables"]
        self.assertEqual((gate["JUDGE"], gate["JUDGE_P"]), ("report", "0.001"))
        breaker = properties(r, "Function")["Environment"]["Variables"]
        self.assertEqual((breaker["JUDGE"], breaker["JUDGE_P"], breaker["JUDGE_INTERVAL"]), ("report", "0.001", "60"))
        r = stack("template.yaml", tuple(WORLD + ["Judge=enforce", "JudgeP=0.01", "JudgeInterval=300"]))
        gate = properties(r, "GateFunction")["Environment"]["Variables"]
        self.assertEqual((gate["JUDGE"], gate["JUDGE_P"]), ("enforce", "0.01"))
        self.assertNotIn("JUDGE_INTERVAL", gate)  # the gate judges once, at the hook
        breaker = properties(r, "Function")["Environment"]["Variables"]
        self.assertEqual((breaker["JUDGE"], breaker["JUDGE_P"], breaker["JUDGE_INTERVAL"]), ("enforce", "0.01", "300"))
        variables = properties(r, "ReadinessCheckFunction")["Environment"]["Variables"]
        self.assertFalse({"JUDGE", "JUDGE_P", "JUDGE_INTERVAL", "WATCH_QUEUE_URL"} & set(variables))

    def test_the_parameters_admit_what_the_functions_accept(self):
        parameters = load_template(str(ROOT / "template.yaml"))["Parameters"]
        self.assertEqual(parameters["Judge"]["AllowedValues"], ["off", "report", "enforce"])
        pattern = re.compile(parameters["JudgeP"]["AllowedPattern"])
        self.assertRegex(parameters["JudgeP"]["Default"], pattern)
        # JUDGE_P: above 0 and below 0.5 (src/config/parse.rs parse_judge_p).
        for value in ("0.001", "0.01", ".05", "0.1", "0.4999", "0.40", "0.0001"):
            with self.subTest(value=value):
                self.assertTrue(pattern.fullmatch(value) and 0 < float(value) < 0.5)
        for value in ("0", "0.0", "0.000", "0.5", "0.50", "0.6", "1", "-0.1", "1e-3", "", "0.001 "):
            with self.subTest(value=value):
                self.assertIsNone(pattern.fullmatch(value))

    def test_the_judge_interval_is_a_minute_to_sqs_s_longest_delay(self):
        """JUDGE_INTERVAL: each look a message delayed that long (SQS: at most 900 s); the
        metrics are per minute, so no more often than every 60 s."""
        interval = load_template(str(ROOT / "template.yaml"))["Parameters"]["JudgeInterval"]
        self.assertEqual((interval["Type"], interval["Default"], interval["MinValue"], interval["MaxValue"]),
                         ("Number", 60, 60, MAX_DELAY))
        for value in ("60", "900"):
            r = stack("template.yaml", tuple(WORLD + [f"JudgeInterval={value}"]))
            self.assertEqual(properties(r, "Function")["Environment"]["Variables"]["JUDGE_INTERVAL"], value)

    def test_the_target_role_lets_the_breaker_judge_there(self):
        """In a target account the breaker reads through the target role: the same reads, in
        Regions, unless the central stack's Judge (given to the role too) is off."""
        parameters = ["CentralRoleArn=arn:aws:iam::111122223333:role/breaker-FunctionRole-EXAMPLE",
                      "Regions=us-east-1,eu-west-1"]
        target = role_statements("templates/target-role.yaml", "Role", parameters)
        breaker = role_statements("template.yaml", "FunctionRole", TEST_WORLD)
        for sid in ("JudgeDeploymentTargets", "JudgeMetrics"):
            with self.subTest(sid=sid):
                self.assertEqual(target[sid], breaker[sid])
        off = role_statements("templates/target-role.yaml", "Role", parameters + ["Judge=off"])
        self.assertFalse([s for s in off.values() if JUDGE_READS & set(s["Action"])])

    def test_the_role_for_cargo_lambda_deploy_does_not_judge(self):
        """templates/function-role.yaml: the breaker's statements but the judge's (no queue,
        mapping or rule to judge with): exactly template.yaml's with Judge=off, which scripts/test.sh
        checks otherwise with `policy.py same --except-sid`."""
        bus = "NotifyEventBus=breaker-notifications"
        own = role_statements("templates/function-role.yaml", "FunctionRole", [bus])
        self.assertFalse(set(BREAKER_JUDGE_SIDS) & set(own))
        off = role_statements("template.yaml", "FunctionRole", ["AllowedDeploymentGroups=*/*", bus, "Judge=off"])
        on = role_statements("template.yaml", "FunctionRole", ["AllowedDeploymentGroups=*/*", bus])
        self.assertEqual(off, own)
        self.assertEqual(sorted(set(on) - set(own)), sorted(BREAKER_JUDGE_SIDS))


PARTITION = {"Ref": "AWS::Partition"}
CDK_ROLE = "BreakerFunctionRole1A2B3C4D"
CDK_QUEUE, CDK_TABLE, CDK_BUS = "BreakerFailedInvocations3A4B5C6D", "BreakerStateTable7E8F9A0B", "BreakerBus1C2D3E4F"
# The breaker's statements as the CDK writes its grants (the role's DefaultPolicy), as template.yaml's.
CDK_FAILURE = {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [CDK_QUEUE, "Arn"]}}
CDK_NOTIFY = {"Action": "events:PutEvents", "Effect": "Allow", "Resource": {"Fn::GetAtt": [CDK_BUS, "Arn"]},
              "Sid": "Notify"}
CDK_STATE_TABLE = {"Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], "Effect": "Allow",
                   "Resource": [{"Fn::GetAtt": [CDK_TABLE, "Arn"]}, {"Ref": "AWS::NoValue"}], "Sid": "StateTable"}


def cdk_resource(path: str, kind: str, properties: dict) -> dict:
    return {"Type": kind, "Properties": properties, "Metadata": {"aws:cdk:path": f"Breaker/Breaker/{path}"}}


def cdk_template(statements: list[dict], parameters: dict | None = None, bus_name: str = "") -> dict:
    """A stack `Breaker` as the AWS CDK synthesises it, of a construct `Breaker`: the breaker's
    function and role (granted `statements`), its failure destination, state table and event bus
    (named `bus_name`, else <stack>-notifications), and what the CDK adds on its own."""
    stack = {"Ref": "AWS::StackName"}
    return {
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                                            "Default": "/cdk-bootstrap/hnb659fds/version"}, **(parameters or {})},
        "Resources": {
            CDK_ROLE: cdk_resource("FunctionRole/Resource", "AWS::IAM::Role", {
                "AssumeRolePolicyDocument": {"Statement": [{
                    "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}],
                    "Version": "2012-10-17"},
                "ManagedPolicyArns": [{"Fn::Join": [
                    "", ["arn:", PARTITION, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}]}),
            "BreakerFunctionRoleDefaultPolicy5E6F7A8B": cdk_resource(
                "FunctionRole/DefaultPolicy/Resource", "AWS::IAM::Policy", {
                    "PolicyDocument": {"Statement": statements, "Version": "2012-10-17"},
                    "PolicyName": "BreakerFunctionRoleDefaultPolicy5E6F7A8B", "Roles": [{"Ref": CDK_ROLE}]}),
            "BreakerFunction9C0D1E2F": cdk_resource("Function/Resource", "AWS::Lambda::Function", {
                "Role": {"Fn::GetAtt": [CDK_ROLE, "Arn"]}, "Runtime": "provided.al2023", "Handler": "bootstrap"}),
            CDK_QUEUE: cdk_resource("FailedInvocations/Resource", "AWS::SQS::Queue",
                                    {"MessageRetentionPeriod": DLQ_RETENTION}),
            CDK_TABLE: cdk_resource("StateTable/Resource", "AWS::DynamoDB::Table", {
                "TableName": {"Fn::Join": ["", [stack, "-state"]]}, "BillingMode": "PAY_PER_REQUEST"}),
            CDK_BUS: cdk_resource("Bus/Resource", "AWS::Events::EventBus", {
                "Name": bus_name or {"Fn::Join": ["", [stack, "-notifications"]]}}),
            # Another role, of a construct the CDK adds, with its own policy.
            "LogRetentionServiceRole9741ECFB": cdk_resource("LogRetention/ServiceRole/Resource", "AWS::IAM::Role", {}),
            "LogRetentionServiceRoleDefaultPolicyADDA7DEB": cdk_resource(
                "LogRetention/ServiceRole/DefaultPolicy/Resource", "AWS::IAM::Policy", {
                    "PolicyDocument": {"Statement": [{"Action": "logs:PutRetentionPolicy", "Effect": "Allow",
                                                      "Resource": "*"}], "Version": "2012-10-17"},
                    "PolicyName": "LogRetentionServiceRoleDefaultPolicyADDA7DEB",
                    "Roles": [{"Ref": "LogRetentionServiceRole9741ECFB"}]}),
            "BreakerLogRetention2B3C4D5E": cdk_resource("LogRetention/Resource", "Custom::LogRetention", {
                "ServiceToken": {"Fn::GetAtt": ["BreakerFunction9C0D1E2F", "Arn"]}}),
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sI"},
                            "Metadata": {"aws:cdk:path": "Breaker/CDKMetadata/Default"},
                            "Condition": "CDKMetadataAvailable"},
        },
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
        "Rules": {"CheckBootstrapVersion": {"Assertions": [{"Assert": {"Fn::Not": [{"Fn::Contains": [
            ["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]}, "AssertDescription": "bootstrap"}]}},
    }


class TheRoleAsTheCdkSynthesisesIt(unittest.TestCase):
    """`policy.py same` between template.yaml's breaker role (SAM's FunctionRole) and the role of
    a template the CDK synthesised (cdk_template): --other-role, --other-parameter and
    --with-sam-added; the CDK's made-up names follow the construct's id, so its FailedInvocations
    queue has the name of template.yaml's."""

    @classmethod
    def setUpClass(cls):
        logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
        # Every statement of template.yaml's breaker but those the fixture grants too.
        sids = role_statements("template.yaml", "FunctionRole", [])
        cls.except_sids = [a for sid in sids if sid not in ("Notify", "StateTable") for a in ("--except-sid", sid)]

    def same(self, template: dict, *options: str) -> tuple[int, str, str]:
        """policy.py same template.yaml (FunctionRole) against `template`: exit status, stdout, stderr."""
        with tempfile.NamedTemporaryFile("w", suffix=".template.json", delete=False) as f:
            json.dump(template, f)
        self.addCleanup(Path(f.name).unlink)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = policy.main(["same", str(ROOT / "template.yaml"), f.name, "--role", "FunctionRole",
                                  *self.except_sids, *options])
        return status, out.getvalue(), err.getvalue()

    def test_the_same_statements_are_the_same(self):
        status, out, _ = self.same(cdk_template([CDK_NOTIFY, CDK_STATE_TABLE]), "--other-role", CDK_ROLE)
        self.assertEqual(status, 0, out)
        self.assertIn("2 statements, the same: OK", out)

    def test_a_differing_statement_is_named(self):
        fewer = {**CDK_STATE_TABLE, "Action": CDK_STATE_TABLE["Action"][:2]}
        status, out, _ = self.same(cdk_template([CDK_NOTIFY, fewer]), "--other-role", CDK_ROLE)
        self.assertEqual(status, 1)
        self.assertIn("differ at Statement[1] (Sid StateTable).Action: 3 items, against 2: FAILED", out)
        other_bus = cdk_template([CDK_NOTIFY, CDK_STATE_TABLE], bus_name="ops")
        status, out, _ = self.same(other_bus, "--other-role", CDK_ROLE)
        self.assertEqual(status, 1)
        self.assertIn('Statement[0] (Sid Notify).Resource[0]: "arn:aws:events:us-east-1:123456789012:event-bus/'
                      'breaker-notifications" against "arn:aws:events:us-east-1:123456789012:event-bus/ops"', out)

    def test_with_trust_the_trust_policies_are_compared_too(self):
        template = cdk_template([CDK_NOTIFY, CDK_STATE_TABLE])
        status, out, _ = self.same(template, "--other-role", CDK_ROLE, "--with-trust")
        self.assertEqual(status, 0, out)  # SAM's lambda.amazonaws.com in a list, the CDK's alone
        trust = template["Resources"][CDK_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        trust["Principal"] = {"Service": "edgelambda.amazonaws.com"}
        status, out, _ = self.same(template, "--other-role", CDK_ROLE)
        self.assertEqual(status, 0, out)  # without --with-trust, not compared
        status, out, _ = self.same(template, "--other-role", CDK_ROLE, "--with-trust")
        self.assertEqual(status, 1)
        self.assertIn('Trust[0].Principal.Service[0]: "lambda.amazonaws.com" against "edgelambda.amazonaws.com"', out)

    def test_the_other_role_and_parameters(self):
        template = cdk_template([CDK_NOTIFY, CDK_STATE_TABLE])
        status, _, err = self.same(template)  # the other role is --role's, by default
        self.assertEqual(status, 2)
        self.assertIn(".template.json: --role FunctionRole: no such resource", err)
        # The bus by name, as events.EventBus.fromEventBusName grants it, in a parameter of its
        # own; an unreferenced parameter without a default is no error.
        by_name = {**CDK_NOTIFY, "Resource": {"Fn::Join": ["", [
            "arn:", PARTITION, ":events:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":event-bus/",
            {"Ref": "BusName"}]]}}
        template = cdk_template([by_name, CDK_STATE_TABLE],
                                {"BusName": {"Type": "String"}, "Unused": {"Type": "String"}})
        ops = ("--other-role", CDK_ROLE, "--parameter", "NotifyEventBus=ops")
        status, _, err = self.same(template, *ops)  # the other parameters are --parameter's, by default
        self.assertEqual(status, 2)
        self.assertIn("--parameter NotifyEventBus: the template has no parameter NotifyEventBus", err)
        status, out, _ = self.same(template, *ops, "--other-parameter", "BusName=ops")
        self.assertEqual(status, 0, out)
        # --other-parameter without a value: none.
        status, out, _ = self.same(cdk_template([CDK_NOTIFY, CDK_STATE_TABLE], bus_name="ops"), *ops,
                                   "--other-parameter")
        self.assertEqual(status, 0, out)

    def test_with_sam_added_the_failure_destination_s_statement_is_compared(self):
        """SAM grants the breaker SendMessage on its failure destination (its
        EventInvokeConfig's OnFailure) in a policy of its own, before the function's Policies."""
        template = cdk_template([CDK_FAILURE, CDK_NOTIFY, CDK_STATE_TABLE])
        status, out, err = self.same(template, "--other-role", CDK_ROLE)
        self.assertEqual(status, 1)
        self.assertIn("FunctionEventInvokeConfigOnFailureSQSPolicy (added by SAM; see --with-sam-added)", err)
        status, out, err = self.same(template, "--other-role", CDK_ROLE, "--with-sam-added")
        self.assertEqual(status, 0, out)
        self.assertIn("3 statements, the same: OK", out)
        self.assertNotIn("added by SAM", err)


class TheBreakersQueue(unittest.TestCase):
    """The breaker's own queue of looks (WatchQueue), as the gate's (GateWatchQueue), and the rule
    of deployments starting (JudgeRule) from which it judges."""

    def test_visibility_timeout_is_six_breaker_timeouts(self):
        r = stack("template.yaml")
        timeout = properties(r, "Function")["Timeout"]
        self.assertGreaterEqual(properties(r, "WatchQueue")["VisibilityTimeout"], 6 * timeout)

    def test_a_look_that_failed_five_times_goes_to_the_dead_letter_queue(self):
        r = stack("template.yaml")
        self.assertEqual(properties(r, "WatchQueue")["QueueName"], "breaker-watch")
        self.assertEqual(properties(r, "WatchQueue")["RedrivePolicy"], {
            "deadLetterTargetArn": r.get_att("WatchDeadLetterQueue", "Arn"), "maxReceiveCount": 5})

    def test_the_mapping_brings_batches_back_to_the_breaker(self):
        r = stack("template.yaml")
        mappings = {properties(r, m)["EventSourceArn"]: properties(r, m)
                    for m in created(r, "AWS::Lambda::EventSourceMapping")}
        self.assertEqual(mappings[r.get_att("WatchQueue", "Arn")], {
            "EventSourceArn": r.get_att("WatchQueue", "Arn"), "FunctionName": r.ref("Function"),
            "BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 2}, "Enabled": True})
        # The looks leave some of the breaker's reserved slots to the signals that stop.
        reserved = properties(r, "Function")["ReservedConcurrentExecutions"]
        self.assertLess(2, int(reserved))
        off = stack("template.yaml", tuple(WORLD + ["Judge=off"]))
        self.assertEqual(created(off, "AWS::Lambda::EventSourceMapping"), ["GateWatchMapping"])

    def test_only_the_breaker_s_role_sends(self):
        r = stack("template.yaml")
        assert_only_sender(self, r, ("WatchQueue", "OnlyTheBreakerSends"), "FunctionRole")
        # and the gate's role sends only to its own queue
        self.assertNotIn(r.get_att("WatchQueue", "Arn"),
                         role_statements("template.yaml", "GateFunctionRole", TEST_WORLD)["SendWatches"]["Resource"])

    def test_the_age_alarm_is_well_above_the_longest_wait(self):
        r = stack("template.yaml")
        alarm = properties(r, "WatchAgeAlarm")
        self.assertEqual((alarm["Namespace"], alarm["MetricName"]), ("AWS/SQS", "ApproximateAgeOfOldestMessage"))
        self.assertEqual(alarm["Dimensions"], [{"Name": "QueueName", "Value": r.get_att("WatchQueue", "QueueName")}])
        interval = load_template(str(ROOT / "template.yaml"))["Parameters"]["JudgeInterval"]
        self.assertGreaterEqual(alarm["Threshold"], 2 * interval["MaxValue"])

    def test_the_judge_rule_sends_deployments_starting_to_the_breaker(self):
        for parameters in (WORLD, WORLD + ["Triggers=SnsTopic"], WORLD + ["Triggers=CodeDeployRule"]):
            r = stack("template.yaml", tuple(parameters))
            rule = properties(r, "JudgeRule")
            with self.subTest(parameters=parameters):
                self.assertEqual(rule["EventPattern"], {**START, "account": [TEST_ACCOUNT, TEST_TEAM_B]})
                (target,) = rule["Targets"]
                self.assertEqual(target["Arn"], r.get_att("Function", "Arn"))
                self.assertEqual(target["DeadLetterConfig"], {"Arn": r.get_att("RuleTargetsDeadLetterQueue", "Arn")})
                if is_created(r, "CodeDeployRule"):  # the same retries as the breaker's other CodeDeploy rule
                    (other,) = properties(r, "CodeDeployRule")["Targets"]
                    self.assertEqual(target["RetryPolicy"], other["RetryPolicy"])
                self.assertEqual(target["RetryPolicy"], {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 3600})
                permission = properties(r, "JudgeRulePermission")
                self.assertEqual((permission["Action"], permission["FunctionName"], permission["Principal"],
                                  permission["SourceArn"]),
                                 ("lambda:InvokeFunction", r.get_att("Function", "Arn"), "events.amazonaws.com",
                                  r.get_att("JudgeRule", "Arn")))
        own = properties(stack("template.yaml", ("AllowedDeploymentGroups=*/*",)), "JudgeRule")
        self.assertEqual(own["EventPattern"]["account"], [TEST_ACCOUNT])


def assert_only_sender(test, r, queue_and_sid, role):
    """The queue's policy denies SendMessage to all but `role`, in one statement named `sid`."""
    queue, sid = queue_and_sid
    deny = [s for s in queue_policies(r, queue) if s.get("Sid") == sid]
    test.assertEqual(deny, [{
        "Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage",
        "Resource": r.get_att(queue, "Arn"),
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": r.get_att(role, "Arn")}}}])


class TheGatesQueue(unittest.TestCase):
    def test_visibility_timeout_is_six_gate_timeouts(self):
        r = stack("template.yaml")
        timeout = properties(r, "GateFunction")["Timeout"]
        self.assertLessEqual(timeout, 60)  # one poll, never a whole bake
        self.assertGreaterEqual(properties(r, "GateWatchQueue")["VisibilityTimeout"], 6 * timeout)

    def test_the_mapping_brings_batches_back_to_the_gate(self):
        r = stack("template.yaml")
        self.assertEqual(properties(r, "GateWatchMapping"), {
            "EventSourceArn": r.get_att("GateWatchQueue", "Arn"), "FunctionName": r.ref("GateFunction"),
            "BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 2}, "Enabled": True})

    def test_the_polls_leave_the_hooks_room_and_a_throttle_alarms(self):
        r = stack("template.yaml")
        polls = properties(r, "GateWatchMapping")["ScalingConfig"]["MaximumConcurrency"]
        self.assertLess(polls, int(r.parameter("GateConcurrency")))
        alarm = properties(r, "GateThrottlesAlarm")
        self.assertEqual((alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]), ("AWS/Lambda", "Throttles", 0))
        self.assertEqual(alarm["Dimensions"], [{"Name": "FunctionName", "Value": r.ref("GateFunction")}])

    def test_only_the_gate_s_role_sends(self):
        r = stack("template.yaml")
        assert_only_sender(self, r, ("GateWatchQueue", "OnlyTheGateSends"), "GateFunctionRole")

    def test_no_rule_invokes_the_gate(self):
        for parameters in TEMPLATE_VARIANTS:
            r = stack("template.yaml", tuple(parameters))
            gate = r.get_att("GateFunction", "Arn")
            for rule in created(r, "AWS::Events::Rule"):
                self.assertNotIn(gate, [t["Arn"] for t in properties(r, rule)["Targets"]], rule)

    def test_the_age_alarm_is_well_above_the_longest_wait(self):
        r = stack("template.yaml")
        alarm = properties(r, "GateWatchAgeAlarm")
        self.assertEqual((alarm["Namespace"], alarm["MetricName"]), ("AWS/SQS", "ApproximateAgeOfOldestMessage"))
        queue = r.get_att("GateWatchQueue", "QueueName")
        self.assertEqual(alarm["Dimensions"], [{"Name": "QueueName", "Value": queue}])
        self.assertGreaterEqual(alarm["Threshold"], 2 * MAX_DELAY)


class QueuesRulesAndTopics(unittest.TestCase):
    """Every queue encrypted and refusing requests without TLS; every rule target, the gate's
    and the breaker's asynchronous invocations failing into a dead-letter queue that keeps
    messages 14 days, with an alarm; every alarm wired to the operators' topic."""

    def templates(self):
        for parameters in TEMPLATE_VARIANTS:
            yield "template.yaml", stack("template.yaml", tuple(parameters))
        for parameters in (FORWARD, FORWARD[:1], FORWARD + [f"OperatorTopicArn={TOPIC}"]):
            yield "templates/forward-alarms.yaml", stack("templates/forward-alarms.yaml", tuple(parameters))

    def dead_letter_queues(self, r: Resolver) -> dict[str, str]:
        """The queue each failure ends in (by ARN), and what fails into it."""
        by_arn = {r.get_att(q, "Arn"): q for q in created(r, "AWS::SQS::Queue")}
        found = {}
        for queue in created(r, "AWS::SQS::Queue"):
            redrive = properties(r, queue).get("RedrivePolicy")
            if redrive:
                found[by_arn[redrive["deadLetterTargetArn"]]] = queue
        for rule in created(r, "AWS::Events::Rule"):
            for target in properties(r, rule)["Targets"]:
                if "DeadLetterConfig" in target:  # its absence fails the test of the rules
                    found[by_arn[target["DeadLetterConfig"]["Arn"]]] = rule
        for config in created(r, "AWS::Lambda::EventInvokeConfig"):
            destination = properties(r, config)["DestinationConfig"]["OnFailure"]["Destination"]
            found[by_arn[destination]] = config
        return found

    def test_every_queue_is_encrypted_and_refuses_requests_without_tls(self):
        for template, r in self.templates():
            for queue in created(r, "AWS::SQS::Queue"):
                with self.subTest(template=template, queue=queue):
                    self.assertIs(properties(r, queue)["SqsManagedSseEnabled"], True)
                    self.assertTrue(denies_insecure_transport(queue_policies(r, queue), "sqs:*"))

    def test_every_rule_target_has_a_dead_letter_queue_its_rule_may_send_to(self):
        for template, r in self.templates():
            for rule in created(r, "AWS::Events::Rule"):
                for target in properties(r, rule)["Targets"]:
                    with self.subTest(template=template, rule=rule):
                        self.assertIn("DeadLetterConfig", target)
                        queue = {r.get_att(q, "Arn"): q for q in created(r, "AWS::SQS::Queue")}[
                            target["DeadLetterConfig"]["Arn"]]
                        allowed = [s for s in queue_policies(r, queue) if s["Effect"] == "Allow"
                                   and s["Principal"] == {"Service": "events.amazonaws.com"}]
                        self.assertEqual(len(allowed), 1)
                        self.assertEqual(allowed[0]["Action"], "sqs:SendMessage")
                        rules = as_list(allowed[0]["Condition"]["ArnEquals"]["aws:SourceArn"])
                        self.assertIn(r.get_att(rule, "Arn"), rules)
                        if target["Arn"].startswith("arn:aws:lambda:"):  # not for an event bus target
                            self.assertLessEqual(target["RetryPolicy"]["MaximumEventAgeInSeconds"], 3600)

    def test_each_function_invoked_asynchronously_fails_into_a_queue(self):
        r = stack("template.yaml")
        configs = {properties(r, c)["FunctionName"]: c for c in created(r, "AWS::Lambda::EventInvokeConfig")}
        functions = ("Function", "GateFunction", "ReadinessCheckFunction")
        self.assertEqual(sorted(configs), sorted(r.ref(f) for f in functions))
        gate = properties(r, configs[r.ref("GateFunction")])
        destination = gate["DestinationConfig"]["OnFailure"]["Destination"]
        self.assertEqual(destination, r.get_att("GateFailedInvocations", "Arn"))
        self.assertEqual(gate["MaximumRetryAttempts"], 2)

    def test_every_dead_letter_queue_keeps_14_days_and_has_an_alarm(self):
        for template, r in self.templates():
            alarms = [properties(r, a) for a in created(r, "AWS::CloudWatch::Alarm")]
            alarmed = {a["Dimensions"][0]["Value"] for a in alarms
                       if a.get("Namespace") == "AWS/SQS" and a["MetricName"] == "ApproximateNumberOfMessagesVisible"}
            queues = self.dead_letter_queues(r)
            self.assertTrue(queues, template)
            for queue, source in queues.items():
                with self.subTest(template=template, queue=queue, source=source):
                    self.assertEqual(properties(r, queue)["MessageRetentionPeriod"], DLQ_RETENTION)
                    self.assertIn(r.get_att(queue, "QueueName"), alarmed)

    def test_every_alarm_tells_the_operators(self):
        for template, parameters in (("template.yaml", [f"OperatorTopicArn={TOPIC}"] + WORLD),
                                     ("templates/forward-alarms.yaml", FORWARD + [f"OperatorTopicArn={TOPIC}"])):
            r = stack(template, tuple(parameters))
            for alarm in created(r, "AWS::CloudWatch::Alarm"):
                with self.subTest(template=template, alarm=alarm):
                    self.assertEqual(properties(r, alarm)["AlarmActions"], [TOPIC])

    def test_the_topic_refuses_publishes_without_tls(self):
        r = stack("template.yaml", tuple(WORLD + ["Triggers=SnsTopic"]))
        (policy,) = created(r, "AWS::SNS::TopicPolicy")
        statements = as_list(properties(r, policy)["PolicyDocument"]["Statement"])
        self.assertTrue(denies_insecure_transport(statements, "sns:Publish"))


class TheStateTable(unittest.TestCase):
    def test_settings(self):
        for template, parameters in (("template.yaml", tuple(WORLD)),
                                     ("templates/function-role.yaml", ("NotifyEventBus=breaker-notifications",))):
            r = stack(template, parameters)
            table = r.resources["StateTable"]
            with self.subTest(template=template):
                self.assertEqual((table["DeletionPolicy"], table["UpdateReplacePolicy"]), ("Delete", "Retain"))
                p = properties(r, "StateTable")
                self.assertEqual(p["TableName"], "breaker-state")
                self.assertEqual(p["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
                self.assertEqual(p["AttributeDefinitions"], [{"AttributeName": "pk", "AttributeType": "S"}])
                self.assertEqual(p["BillingMode"], "PAY_PER_REQUEST")
                self.assertEqual(p["TimeToLiveSpecification"], {"AttributeName": "expiresAt", "Enabled": True})
                self.assertEqual(p["SSESpecification"], {"SSEEnabled": True})
                self.assertEqual(p["PointInTimeRecoverySpecification"], {"PointInTimeRecoveryEnabled": True})

    def test_only_the_functions_roles_write(self):
        for template, parameters, roles in (
            ("template.yaml", tuple(WORLD), ("FunctionRole", "GateFunctionRole")),
            ("templates/function-role.yaml", ("NotifyEventBus=breaker-notifications",), ("FunctionRole",)),
        ):
            r = stack(template, parameters)
            statements = properties(r, "StateTable")["ResourcePolicy"]["PolicyDocument"]["Statement"]
            with self.subTest(template=template):
                self.assertTrue(denies_insecure_transport(statements, "dynamodb:*"))
                (deny,) = [s for s in statements if s["Sid"].startswith("OnlyTheFunction")]
                self.assertEqual(deny["Effect"], "Deny")
                self.assertEqual(deny["Resource"], r.get_att("StateTable", "Arn"))
                self.assertTrue({"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                 "dynamodb:BatchWriteItem"} <= set(deny["Action"]))
                self.assertEqual(as_list(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]),
                                 [r.get_att(role, "Arn") for role in roles])


class TheDashboard(unittest.TestCase):
    def test_is_json_of_widgets_that_do_not_overlap_and_name_the_stack_s_alarms_and_queues(self):
        """With the breaker's judge (its queues' alarms and widgets) and without."""
        for parameters in (WORLD, WORLD + ["Judge=off"]):
            r = stack("template.yaml", tuple(parameters))
            body = json.loads(properties(r, "Dashboard")["DashboardBody"])
            alarms = {r.get_att(a, "Arn") for a in created(r, "AWS::CloudWatch::Alarm")}
            queues = {r.get_att(q, "QueueName") for q in created(r, "AWS::SQS::Queue")}
            cells = set()
            for widget in body["widgets"]:
                with self.subTest(parameters=parameters, widget=widget["properties"].get("title")):
                    area = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                            for y in range(widget["y"], widget["y"] + widget["height"])}
                    self.assertFalse(cells & area)
                    self.assertLessEqual(max(x for x, _ in area), 23)  # 24 columns
                    cells |= area
                    self.assertLessEqual(set(widget["properties"].get("alarms", [])), alarms)
                    for metric in widget["properties"].get("metrics", []):
                        if metric[0] == "AWS/SQS":
                            self.assertIn(metric[3], queues)
            shown = {a for w in body["widgets"] for a in w["properties"].get("alarms", [])}
            shown_queues = {m[3] for w in body["widgets"] for m in w["properties"].get("metrics", [])
                            if m[0] == "AWS/SQS"}
            judging = is_created(r, "WatchQueue")
            expected = ["GateThrottlesAlarm", "GateWatchAgeAlarm", "GateWatchDeadLetterAlarm",
                        "GateFailedInvocationsAlarm", "RuleTargetsDeadLetterAlarm"]
            expected += ["WatchAgeAlarm", "WatchDeadLetterAlarm"] if judging else []
            for alarm in expected:
                self.assertIn(r.get_att(alarm, "Arn"), shown, parameters)
            if judging:
                self.assertLessEqual({"breaker-watch", "breaker-watch-dlq"}, shown_queues)
            else:
                self.assertFalse({"breaker-watch", "breaker-watch-dlq"} & shown_queues)

    def test_shows_the_canary_judge(self):
        """docs/canary-judge.md: its counts (the gate's and the breaker's, under the same names),
        BadMinuteToGateAnswer and the breaker's FirstBadMinuteToStop, without dimensions, and the
        gate's judged reports from its own log group."""
        r = stack("template.yaml")
        body = json.loads(properties(r, "Dashboard")["DashboardBody"])
        shown = {m[1] for w in body["widgets"] for m in w["properties"].get("metrics", [])
                 if m[0] == "DeploymentCircuitBreaker" and (len(m) == 2 or isinstance(m[2], dict))}
        self.assertLessEqual({"JudgePass", "JudgeFail", "JudgeInconclusive", "BadMinuteToGateAnswer",
                              "FirstBadMinuteToStop"}, shown)
        queries = [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
        (judged,) = [q for q in queries if '"judge"' in q]
        self.assertTrue(judged.startswith(f"SOURCE '{r.ref('GateLogGroup')}' |"), judged)


class TheMemberAccounts(unittest.TestCase):
    """templates/forward-alarms.yaml forwards each deployment starting to the central bus, once,
    for the central JudgeRule, unless told not to."""

    def start_rules(self, r: Resolver) -> list[str]:
        """The rules that forward a deployment's START."""
        found = []
        for rule in created(r, "AWS::Events::Rule"):
            pattern = properties(r, rule)["EventPattern"]
            if (pattern["source"] == ["aws.codedeploy"] and "START" in pattern["detail"]["state"]
                    and START["detail-type"][0] in pattern["detail-type"]):
                found.append(rule)
        return found

    def test_deployment_starts_are_forwarded_once_by_default(self):
        for parameters, rules in ((FORWARD[:1], ["DeploymentStartForwardRule"]),
                                  (FORWARD, ["CodeDeployForwardRule"]),
                                  (FORWARD + ["ForwardDeploymentStarts=false"], ["CodeDeployForwardRule"]),
                                  (FORWARD[:1] + ["ForwardDeploymentStarts=false"], [])):
            r = stack("templates/forward-alarms.yaml", tuple(parameters))
            with self.subTest(parameters=parameters):
                self.assertEqual(self.start_rules(r), rules)

    def test_the_start_rule_forwards_starts_only_to_the_central_bus(self):
        r = stack("templates/forward-alarms.yaml", tuple(FORWARD[:1]))
        rule = properties(r, "DeploymentStartForwardRule")
        self.assertEqual(rule["EventPattern"], {**START, "account": [TEST_ACCOUNT]})
        (target,) = rule["Targets"]
        self.assertEqual(target["Arn"], f"arn:aws:events:{TEST_REGION}:111122223333:event-bus/default")
        self.assertEqual(target["RoleArn"], r.get_att("ForwardRole", "Arn"))
        # The forwarding role may be used by this stack's rules only, this one among them.
        trust = properties(r, "ForwardRole")["AssumeRolePolicyDocument"]["Statement"][0]
        pattern = trust["Condition"]["ArnLike"]["aws:SourceArn"]
        self.assertTrue(fnmatch.fnmatchcase(r.get_att("DeploymentStartForwardRule", "Arn"), pattern), pattern)

    def test_the_central_judge_rule_takes_the_target_accounts_forwarded_starts(self):
        central = properties(stack("template.yaml"), "JudgeRule")["EventPattern"]
        member = properties(stack("templates/forward-alarms.yaml", tuple(FORWARD[:1])),
                            "DeploymentStartForwardRule")["EventPattern"]
        self.assertEqual({k: v for k, v in central.items() if k != "account"},
                         {k: v for k, v in member.items() if k != "account"})
        self.assertIn(TEST_TEAM_B, central["account"])


if __name__ == "__main__":
    unittest.main()
