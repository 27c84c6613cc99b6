"""The end-to-end checks: every sample event, and the behaviours only the whole stack shows, run
through the real `cargo lambda watch` runtime against the fake AWS (see stack.py).

Run with `python3 scripts/local.py e2e`.
"""

import json
import time

from stack import CHECK_ROLE, EVENTS, FUNCTION_ROLE, OWN, TARGET_ROLE, TEAM_B, Stack, here_and_now

# What each sample event must do against scripts/seed.json (with scripts/local.env):
# outcome per deployment, the StopDeployment calls as (account, region, id) in any order, and, for
# events that call for no action, the start of the ignore reason.
EXPECTED = {
    "alarm-lambda-action.json": {
        "actions": {"d-SHOPPROD1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-SHOPPROD1")],
    },
    "eventbridge-alarm-state-change.json": {
        "actions": {"d-CHECKOUT1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-CHECKOUT1")],
    },
    "eventbridge-alarm-deployment-dimension.json": {
        "actions": {"d-SEARCHEU1": "stopped"},
        "stops": [(OWN, "eu-west-1", "d-SEARCHEU1")],
    },
    "eventbridge-alarm-back-to-ok.json": {
        "ignored": "state is OK, not ALARM",
        "stops": [],
    },
    "sns-alarm.json": {
        "actions": {"d-PAYMENTS1": "stopped", "d-PAYROLLB1": "skipped"},
        "stops": [(OWN, "us-east-1", "d-PAYMENTS1")],
    },
    "sns-alarm-composite.json": {
        "actions": {"d-SHOPCANA1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-SHOPCANA1")],
    },
    "sns-codedeploy-instance-failure.json": {
        "actions": {"d-BILLING01": "stopped"},
        "stops": [(OWN, "us-east-1", "d-BILLING01")],
    },
    "sns-codedeploy-trigger-setup.json": {
        "ignored": "plain-text message",
        "stops": [],
    },
    "eventbridge-codedeploy-instance-failure.json": {
        "actions": {"d-REPORTS01": "already_completed"},
        "stops": [],
    },
    "sqs-batch.json": {
        "batchItemFailures": ["b7c1a8e0-3f4d-4a5b-9c6d-7e8f9a0b1c2d"],
        "stops": [(OWN, "us-east-1", "d-BILLING01"), (OWN, "us-east-1", "d-CHECKOUT1")],
    },
    "kill-switch.json": {
        "actions": {"d-SHOPPROD1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-SHOPPROD1")],
    },
    "eventbridge-alarm-other-account.json": {
        "actions": {"d-TEAMB0001": "stopped"},
        "stops": [(TEAM_B, "us-east-1", "d-TEAMB0001")],
    },
    # The gate (a second runtime): web-5xx-rate, tagged web/live, entered ALARM after d-WEBLAMBD1
    # was created, so the hook is answered Failed, once; the gate never stops anything itself.
    "codedeploy-hook.json": {
        "gate": "failed",
        "answers": [("d-WEBLAMBD1", "Failed")],
        "stops": [],
    },
    # The readiness check (a third runtime, signing as the check function's role), with the
    # policies the templates synthesise enforced and simulated: every read allowed to the check's
    # role and team B's, every change call simulated allowed to the breaker's, the gate's and team
    # B's; the one failure is the seed's alarm tagged for web/canary, a group that does not
    # exist. Nothing is stopped.
    "check.json": {
        "check": "failed",
        "failures": ["danglingTag"],
        "gaps": ["unguardedGroup"],
        "stops": [],
    },
    # CodeDeploy starting a Lambda deployment: the canary judge (JUDGE=report, the default) begins
    # watching it, its first poll on the breaker's own queue (breaker-watch) JUDGE_INTERVAL later.
    "eventbridge-codedeploy-deployment-start.json": {
        "judging": {"d-WEBLAMBD1": "watching"},
        "stops": [],
    },
    "kill-switch-application.json": {
        "actions": {"d-SHOPCANA1": "stopped", "d-SHOPPROD1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-SHOPCANA1"), (OWN, "us-east-1", "d-SHOPPROD1")],
    },
}


# A hook after the last traffic shift (scripts/seed.json): with BAKE_SECONDS (scripts/local.env)
# the gate answers it only once the bake is over, from a later look through its queue.
BAKE_HOOK = {"DeploymentId": "d-WEBBAKE01",
             "LifecycleEventHookExecutionId":
                 "eyJlbmNyeXB0ZWREYXRhIjoiV2ViQmFrZUFmdGVyQWxsb3dUcmFmZmljIn0="}


# The readiness check's findings that are failures (src/check/report.rs, Kind::is_failure).
FAILURE_KINDS = {"roleNotAssumable", "readFailed", "changeDenied", "notSimulated", "busRejected",
                 "danglingTag", "danglingRule"}


# Raw bodies no trigger sends: each must be answered with the function's own InvalidPayload
# error, and the function must live on.
HOSTILE = {
    "JSON nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "invalid UTF-8 outside SQS": b'{"deploymentId": "d-\xff"}',
    "null": b"null",
    "an array": b"[1, 2, 3]",
    "not JSON": b"stop everything",
}


def undecodable_batch():
    """An SQS batch whose first record's body is not UTF-8 and whose second is the checkout alarm,
    fresh: only the first must fail; the second must stop d-CHECKOUT1."""
    alarm = here_and_now(json.loads((EVENTS / "eventbridge-alarm-state-change.json").read_text()))
    records = [{"eventSource": "aws:sqs", "messageId": "undecodable", "body": "PLACEHOLDER"},
               {"eventSource": "aws:sqs", "messageId": "alarm", "body": json.dumps(alarm)}]
    return json.dumps({"Records": records}).encode().replace(b"PLACEHOLDER", b"\xff\xfe")

# What must never reach the logs at INFO: credentials (from scripts/local.env, and the check's
# key, stack.py's) and payload text.
SECRETS = ["AKIDLOCALFAKE", "AKIDLOCALCHECK", "local-fake-secret", "Threshold Crossed",
           "5xx rate of the shop API"]


def check(name, ok, output, stops, answers=()):
    """Returns the list of problems with one invocation."""
    expected = EXPECTED[name]
    problems = []
    if not ok:
        return [f"invocation failed: {output.strip()}"]
    result = json.loads(output)
    if "gate" in expected:
        if result.get("outcome") != expected["gate"]:
            problems.append(f"gate outcome {result.get('outcome')}, expected {expected['gate']}: "
                            f"{result.get('reason')}")
        got = [(a["deploymentId"], a["status"]) for a in answers]
        if got != expected["answers"]:
            problems.append(f"hook answers {got}, expected {expected['answers']}")
    elif "check" in expected:
        kinds = {f["kind"]: f for f in result.get("findings", [])}
        failures = sorted(k for k in kinds if k in FAILURE_KINDS)
        if result.get("check") != expected["check"] or failures != expected["failures"]:
            problems.append(f"check {result.get('check')} with failures {failures}, expected "
                            f"{expected['check']} with {expected['failures']}: "
                            f"{[kinds[k]['problem'] for k in failures]}")
        gaps = sorted(k for k in kinds if k not in FAILURE_KINDS)
        if gaps != expected["gaps"]:
            problems.append(f"gaps {gaps}, expected {expected['gaps']}")
    elif "batchItemFailures" in expected:
        failed = [item["itemIdentifier"] for item in result.get("batchItemFailures", [])]
        if failed != expected["batchItemFailures"]:
            problems.append(f"batchItemFailures {failed}, expected {expected['batchItemFailures']}")
    else:
        actions = {a["deploymentId"]: a["outcome"] for a in result.get("actions", [])}
        if actions != expected.get("actions", {}):
            problems.append(f"actions {actions}, expected {expected.get('actions', {})}")
        judging = {j["deploymentId"]: j["outcome"] for j in result.get("judging", [])}
        if judging != expected.get("judging", {}):
            problems.append(f"judging {judging}, expected {expected.get('judging', {})}")
        if "ignored" in expected:
            reasons = [i["reason"] for i in result.get("ignored", [])]
            if not any(r.startswith(expected["ignored"]) for r in reasons):
                problems.append(f"ignored {reasons}, expected one starting {expected['ignored']!r}")
    got = sorted((s["account"], s["region"], s["deploymentId"]) for s in stops)
    if got != sorted(expected["stops"]):
        problems.append(f"StopDeployment calls {got}, expected {expected['stops']}")
    if any(s.get("autoRollbackEnabled") is not True for s in stops):
        problems.append(f"a stop without autoRollbackEnabled=true: {stops}")
    return problems


class Checks:
    """Counts checks as they pass or fail, printing each, and keeps why each failure failed."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def record(self, label, ok, why=""):
        print(f"e2e {label} ... {'ok' if ok else 'FAILED'}")
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{label}: {why}")

    def report(self):
        for failure in self.failures:
            print(f"FAILED {failure}")
        print(f"e2e: {self.passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0


def unlisted_account(event):
    event["account"] = "333344445555"
    event["resources"] = ["arn:aws:cloudwatch:us-east-1:333344445555:alarm:orders-5xx-rate"]


def unreadable_times(event):
    event["time"] = "when it happened"
    event["alarmData"]["state"]["timestamp"] = "a moment ago"


def e2e(logs, cdk=None, only=()):
    """Every sample event and the whole stack's behaviours; with `only`, just those sample events.
    With `cdk`, under the roles of the CDK app synthesised there (see Stack.policies)."""
    checks = Checks()
    files = sorted(p.name for p in EVENTS.glob("*.json"))
    for name in sorted(set(files) ^ set(EXPECTED)) if not only else sorted(set(only) - (set(files) & set(EXPECTED))):
        checks.record(f"events/{name}", False, "a sample without an expectation, or the reverse")
    assumed_roles = []
    with Stack(logs, cdk=cdk) as stack:
        for name in files:
            if name not in EXPECTED or (only and name not in only):
                continue
            stack.fake("POST", "reset")
            ok, output = stack.invoke_event(EVENTS / name)
            problems = check(name, ok, output, stack.fake("GET", "stops"), stack.fake("GET", "hooks"))
            # Once per runtime: the check assumes team B's role as its own role, the breaker (on
            # team B's alarm) as its; later invocations reuse the credentials.
            assumed_roles += stack.fake("GET", "assumed")
            checks.record(f"events/{name}", not problems, "; ".join(problems))
        if only:
            return checks.report()

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-ascii", json.dumps(BAKE_HOOK), runtime="gate")
        waiting = ok and json.loads(output).get("outcome") == "waiting" \
            and not stack.fake("GET", "hooks")
        answers = []
        for _ in range(100):
            answers = [(a["deploymentId"], a["status"]) for a in stack.fake("GET", "hooks")]
            if answers:
                break
            time.sleep(0.2)
        records = [item for table in stack.fake("GET", "tables") for item in table["items"]]
        checks.record("a bake waits on the gate's queue, and a later look answers it at its end",
                      waiting and answers == [("d-WEBBAKE01", "Succeeded")]
                      and [r.get("answer", {}).get("S") for r in records] == ["Succeeded"],
                      f"answers {answers}, records {records}, {output.strip()}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-ascii", '{"hello": "world"}')
        checks.record("invalid payload",
                      not ok and "InvalidPayload" in output and "unrecognised event" in output,
                      f"expected an InvalidPayload error, got {output.strip()}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-file", str(EVENTS / "codedeploy-hook.json"))
        checks.record("the breaker refuses a lifecycle hook and names the gate",
                      not ok and "InvalidPayload" in output and "CodeDeployHook_" in output
                      and not stack.fake("GET", "hooks"), output.strip())

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-file", str(EVENTS / "check.json"))
        checks.record("the breaker refuses a readiness check and names the check function",
                      not ok and "InvalidPayload" in output and "readiness-check" in output
                      and not stack.fake("GET", "calls"), output.strip())

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-file", str(EVENTS / "kill-switch.json"), runtime="check")
        checks.record("the readiness check refuses a kill switch, and stops nothing",
                      not ok and "InvalidPayload" in output and not stack.fake("GET", "stops")
                      and not stack.fake("GET", "calls"), output.strip())

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "alarm-lambda-action.json", fresh=False)
        told = [e["detailType"] for e in stack.fake("GET", "events")]
        services = {call["service"] for call in stack.fake("GET", "calls")}
        checks.record("a sample event as it is, long ago: ignored as stale, and told",
                      ok and '"stale: happened at 2024-02-17' in output
                      and told == ["Signal Dropped"] and services == {"events"}, output.strip())

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "eventbridge-alarm-other-account.json",
                                        change=unlisted_account)
        checks.record("an alarm from an account not in TARGET_ACCOUNTS is ignored",
                      ok and '"foreign account 333344445555' in output
                      and not stack.fake("GET", "calls"), output.strip())

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "eventbridge-alarm-other-account.json")
        events = stack.fake("GET", "events")
        told = ok and len(events) == 1 and events[0]["detailType"] == "Deployment Stopped" and \
            events[0]["detail"]["action"]["account"] == TEAM_B and \
            events[0]["detail"]["signal"]["name"] == "orders-5xx-rate"
        # Only a session of team B's role acts in team B's account (the role was assumed when the
        # sample ran above; its credentials are still cached).
        accounts = {call["account"] for call in stack.fake("GET", "calls")
                    if call["service"] == "codedeploy"}
        by_breaker = [a["roleArn"] for a in assumed_roles if a["caller"] == FUNCTION_ROLE]
        through_role = accounts == {TEAM_B} and by_breaker == [TARGET_ROLE]
        checks.record("team B's alarm acts through its role, and the stop is put on the bus",
                      told and through_role,
                      f"assumed {assumed_roles}, in {accounts}, events {events}, {output.strip()}")
        by_check = [a["roleArn"] for a in assumed_roles if a["caller"] == CHECK_ROLE]
        checks.record("the readiness check assumes team B's role as the check's own role",
                      by_check == [TARGET_ROLE]
                      and all(a["caller"] in (FUNCTION_ROLE, CHECK_ROLE) for a in assumed_roles),
                      f"assumed {assumed_roles}")

        emf = [json.loads(line) for line in stack.function_log().splitlines()
               if line.startswith("{") and '"_aws"' in line]
        checks.record("metrics in embedded metric format on stdout",
                      any(doc.get("Stopped") == 1 and doc.get("Account") == TEAM_B
                          and doc["_aws"]["CloudWatchMetrics"][0]["Namespace"]
                          == "DeploymentCircuitBreaker"
                          and isinstance(doc.get("SignalToStop"), int) for doc in emf),
                      f"no EMF line for team B's stop: {emf}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "alarm-lambda-action.json", change=unreadable_times)
        noted = "no readable time in the payload: taken as now" in stack.function_log()
        checks.record("a signal without a readable time acts as of now, and the log says so",
                      ok and '"stopped"' in output and noted,
                      f"logged {noted}, result {output.strip()}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-ascii", json.dumps(
            {"applicationName": "shop", "region": "ap-south-1", "reason": "outside Regions"}))
        checks.record("the template's policy is enforced: a region outside Regions is denied",
                      not ok and "DeploymentLookupFailed" in output
                      and "AccessDeniedException" in output
                      and "codedeploy:ListDeploymentGroups" in output, output.strip())

        for label, body in HOSTILE.items():
            stack.fake("POST", "reset")
            status, answer = stack.post(body)
            checks.record(f"hostile payload: {label}",
                          status >= 400 and '"errorType":"InvalidPayload"' in answer.replace(" ", "")
                          and not stack.fake("GET", "calls"), f"HTTP {status} {answer[:200]}")
        stack.fake("POST", "reset")
        status, answer = stack.post(undecodable_batch())
        stopped = [s["deploymentId"] for s in stack.fake("GET", "stops")]
        checks.record("an undecodable SQS record fails alone, the other record is acted on",
                      status == 200 and json.loads(answer) == {
                          "batchItemFailures": [{"itemIdentifier": "undecodable"}]}
                      and stopped == ["d-CHECKOUT1"], f"HTTP {status} {answer[:300]}, {stopped}")

        ok, output = stack.invoke_event(EVENTS / "kill-switch.json")
        checks.record("still serving after hostile payloads", ok and '"stopped"' in output,
                      output.strip())

        json_lines = [line for line in stack.function_log().splitlines() if line.startswith("{")]
        check_lines = [line for line in stack.function_log("check").splitlines()
                       if line.startswith("{")]
        leaked = [s for s in SECRETS if any(s in line for line in json_lines + check_lines)]
        checks.record("no credentials or payloads in INFO logs", not leaked,
                      f"the function's or the check's logs contain {leaked}")

        decisions = [json.loads(line) for line in json_lines if '"decision"' in line]
        checks.record("JSON decision logs",
                      any(d["fields"].get("deployment_id") == "d-SHOPPROD1"
                          and d["fields"].get("outcome") == "stopped" for d in decisions),
                      "no JSON log line with the decision for d-SHOPPROD1")
    return checks.report()
