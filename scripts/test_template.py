"""Checks of the templates that neither cfn-lint nor the IAM policy check makes: what the
functions, the local stack (scripts/local.env, scripts/seed.json) and the fake must agree on (the
state table's and the gate's queue's names, the queue's settings), and the safety settings of the
queues, the rules' targets, the topic, the state table and the alarms; and that only the gate gets
the canary judge's settings and metric reads. Each template is resolved as CloudFormation would
create it for stack `breaker` (cfn.py; template.yaml through the SAM transform first), with the
parameters of the tests' world (policy.py TEST_WORLD) or others.

Run by scripts/test.sh: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import re
import unittest
from pathlib import Path

from cfn import Resolver, has_sam_transform, load_template, sam_translate
from policy import TEST_ACCOUNT, TEST_REGION, TEST_STACK, TEST_WORLD, load_role

ROOT = Path(__file__).resolve().parent.parent
MAX_DELAY = 900  # SQS's longest DelaySeconds: the longest wait the gate can ask for
DLQ_RETENTION = 1209600  # 14 days, SQS's longest
TOPIC = f"arn:aws:sns:{TEST_REGION}:{TEST_ACCOUNT}:operators"
FORWARD = ["CentralAccountId=111122223333", "ForwardCodeDeployEvents=true"]
# template.yaml in the tests' world, with the one parameter that has no default.
WORLD = TEST_WORLD + ["AllowedDeploymentGroups=*/*"]
# Parameter sets of template.yaml that change which resources exist.
TEMPLATE_VARIANTS = [
    WORLD,
    WORLD + ["Triggers=SnsTopic"],  # no rule: no target to fail
    WORLD + ["Triggers=AlarmRule", "Notify=false"],
    ["AllowedDeploymentGroups=*/*", f"OperatorTopicArn={TOPIC}", "RollbackCompletedWithin=1800"],
]


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
    _, policies, _, _, _ = load_role(str(ROOT / template), args)
    return {s["Sid"]: s for _, d in policies for s in d["Statement"] if "Sid" in s}


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
        self.assertEqual(gate["WATCH_QUEUE_URL"], f"https://sqs.{TEST_REGION}.amazonaws.com/{TEST_ACCOUNT}/breaker-gate-watch")
        self.assertEqual(gate["STATE_TABLE"], "breaker-state")
        self.assertEqual(breaker["STATE_TABLE"], "breaker-state")
        self.assertNotIn("WATCH_QUEUE_URL", breaker)
        env = local_env()
        self.assertEqual(env["STATE_TABLE"], gate["STATE_TABLE"])
        self.assertEqual(env["WATCH_QUEUE_URL"], f"http://127.0.0.1:4599/{TEST_ACCOUNT}/breaker-gate-watch")
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:4599")
        self.assertEqual(env["AWS_ENDPOINT_URL_SQS"], "http://127.0.0.1:4599")

    def test_the_seed_creates_what_the_template_does(self):
        r = stack("template.yaml")
        seed = json.loads((ROOT / "scripts/seed.json").read_text())
        self.assertIn({"region": TEST_REGION, "name": r.ref("StateTable")}, seed["tables"])
        queues = {q["name"]: q for q in seed["queues"]}
        watch, dlq = properties(r, "GateWatchQueue"), properties(r, "GateWatchDeadLetterQueue")
        seeded = queues[watch["QueueName"]]
        self.assertEqual(seeded["region"], TEST_REGION)
        self.assertEqual(seeded["visibilityTimeout"], watch["VisibilityTimeout"])
        self.assertEqual(seeded["deadLetter"], {"name": dlq["QueueName"],
                                                "maxReceiveCount": watch["RedrivePolicy"]["maxReceiveCount"]})
        self.assertEqual(queues[dlq["QueueName"]], {"region": TEST_REGION, "name": dlq["QueueName"]})

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
        self.assertNotIn("SendWatches", breaker)
        # templates/function-role.yaml's own table, for a breaker deployed without SAM.
        own = stack("templates/function-role.yaml", ("NotifyEventBus=breaker-notifications",))
        statements = role_statements("templates/function-role.yaml", "FunctionRole",
                                     ["NotifyEventBus=breaker-notifications"])
        self.assertEqual(statements["StateTable"]["Resource"], [own.get_att("StateTable", "Arn")])


class TheCanaryJudge(unittest.TestCase):
    """Only the gate judges so far (docs/canary-judge.md): it gets JUDGE and JUDGE_P, and
    cloudwatch:GetMetricData, which has no resource type, on "*" in its region; the breaker and
    the readiness check get neither. Judge=off grants nothing."""

    def test_only_the_gate_reads_metrics(self):
        gate = role_statements("template.yaml", "GateFunctionRole", TEST_WORLD)
        self.assertEqual(gate["JudgeMetrics"], {
            "Sid": "JudgeMetrics", "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": TEST_REGION}}})
        for role in ("FunctionRole", "ReadinessCheckFunctionRole"):
            statements = role_statements("template.yaml", role, TEST_WORLD)
            with self.subTest(role=role):
                self.assertNotIn("JudgeMetrics", statements)
                self.assertFalse([s for s in statements.values() if "cloudwatch:GetMetricData" in s["Action"]])
        off = role_statements("template.yaml", "GateFunctionRole", TEST_WORLD + ["Judge=off"])
        self.assertNotIn("JudgeMetrics", off)

    def test_the_gate_gets_the_mode_and_level(self):
        r = stack("template.yaml")
        gate = properties(r, "GateFunction")["Environment"]["Variables"]
        self.assertEqual((gate["JUDGE"], gate["JUDGE_P"]), ("report", "0.001"))
        r = stack("template.yaml", tuple(WORLD + ["Judge=enforce", "JudgeP=0.01"]))
        gate = properties(r, "GateFunction")["Environment"]["Variables"]
        self.assertEqual((gate["JUDGE"], gate["JUDGE_P"]), ("enforce", "0.01"))
        for function in ("Function", "ReadinessCheckFunction"):
            variables = properties(r, function)["Environment"]["Variables"]
            self.assertFalse({"JUDGE", "JUDGE_P"} & set(variables), function)

    def test_the_parameters_admit_what_the_gate_accepts(self):
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


class TheGatesQueue(unittest.TestCase):
    def test_visibility_timeout_is_six_gate_timeouts(self):
        r = stack("template.yaml")
        timeout = properties(r, "GateFunction")["Timeout"]
        self.assertLessEqual(timeout, 60)  # one poll, never a whole bake
        self.assertGreaterEqual(properties(r, "GateWatchQueue")["VisibilityTimeout"], 6 * timeout)

    def test_the_mapping_brings_batches_back_to_the_gate(self):
        r = stack("template.yaml")
        (mapping,) = created(r, "AWS::Lambda::EventSourceMapping")
        self.assertEqual(properties(r, mapping), {
            "EventSourceArn": r.get_att("GateWatchQueue", "Arn"), "FunctionName": r.ref("GateFunction"),
            "BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"], "Enabled": True})

    def test_only_the_gate_s_role_sends(self):
        r = stack("template.yaml")
        deny = [s for s in queue_policies(r, "GateWatchQueue") if s.get("Sid") == "OnlyTheGateSends"]
        self.assertEqual(deny, [{
            "Sid": "OnlyTheGateSends", "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage",
            "Resource": r.get_att("GateWatchQueue", "Arn"),
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": r.get_att("GateFunctionRole", "Arn")}}}])

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
        r = stack("template.yaml")
        body = json.loads(properties(r, "Dashboard")["DashboardBody"])
        alarms = {r.get_att(a, "Arn") for a in created(r, "AWS::CloudWatch::Alarm")}
        queues = {r.get_att(q, "QueueName") for q in created(r, "AWS::SQS::Queue")}
        cells = set()
        for widget in body["widgets"]:
            area = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                    for y in range(widget["y"], widget["y"] + widget["height"])}
            self.assertFalse(cells & area, widget["properties"].get("title"))
            cells |= area
            self.assertLessEqual(set(widget["properties"].get("alarms", [])), alarms)
            for metric in widget["properties"].get("metrics", []):
                if metric[0] == "AWS/SQS":
                    self.assertIn(metric[3], queues)
        shown = {a for w in body["widgets"] for a in w["properties"].get("alarms", [])}
        for alarm in ("GateWatchAgeAlarm", "GateWatchDeadLetterAlarm", "GateFailedInvocationsAlarm",
                      "RuleTargetsDeadLetterAlarm"):
            self.assertIn(r.get_att(alarm, "Arn"), shown)

    def test_shows_the_canary_judge(self):
        """docs/canary-judge.md: its counts and BadMinuteToGateAnswer, without dimensions, and
        the gate's judged reports from its own log group."""
        r = stack("template.yaml")
        body = json.loads(properties(r, "Dashboard")["DashboardBody"])
        shown = {m[1] for w in body["widgets"] for m in w["properties"].get("metrics", [])
                 if m[0] == "DeploymentCircuitBreaker" and (len(m) == 2 or isinstance(m[2], dict))}
        self.assertLessEqual({"JudgePass", "JudgeFail", "JudgeInconclusive", "BadMinuteToGateAnswer"}, shown)
        queries = [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
        (judged,) = [q for q in queries if '"judge"' in q]
        self.assertTrue(judged.startswith(f"SOURCE '{r.ref('GateLogGroup')}' |"), judged)


if __name__ == "__main__":
    unittest.main()
