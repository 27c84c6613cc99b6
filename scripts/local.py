#!/usr/bin/env python3
"""Runs the function locally under `cargo lambda watch` against the fake CodeDeploy.

    local.py try [EVENT_FILE]   invoke one event (its times set to now), print the result and the
                                StopDeployment calls
    local.py e2e                invoke every file in events/ and check each result and stop
    local.py bootstrap FILE     cold-start a built `bootstrap` (as `sam build` makes it) under a
                                minimal Lambda Runtime API and check it stops a deployment

Each starts the fake AWS (CodeDeploy, STS and EventBridge, seeded from scripts/seed.json with the
function's account and team B's, enforcing the IAM policies template.yaml and
templates/target-role.yaml grant, as scripts/policy.py extracts them) and the function
(environment from scripts/local.env), and stops them again on success, failure or Ctrl-C. No AWS
account is used.
"""

import contextlib
import datetime
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTION = "deployment-circuit-breaker"
# The template parameters the local runs deploy with: the regions and the second account
# scripts/seed.json uses; and the role the fake says the function runs as.
TEMPLATE_PARAMETERS = ["Regions=us-east-1,eu-west-1", "TargetAccounts=222233334444"]
TEAM_B = "222233334444"
TARGET_ROLE = f"arn:aws:iam::{TEAM_B}:role/deployment-circuit-breaker-target"
FUNCTION_ROLE = "arn:aws:iam::123456789012:role/deployment-circuit-breaker-FunctionRole"
TARGET_ROLE_PARAMETERS = [f"CentralRoleArn={FUNCTION_ROLE}", "Regions=us-east-1,eu-west-1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, what, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds} s")


def stop(process):
    """Stops a process and everything it started (it leads its own process group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def function_env(fake_port):
    """The function's environment from scripts/local.env, pointed at the fake on `fake_port`."""
    env = {}
    for line in (ROOT / "scripts/local.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value.strip("'").replace("127.0.0.1:4599", f"127.0.0.1:{fake_port}")
    return env


class Stack:
    """The fake CodeDeploy, enforcing the template's policy, and the function under
    `cargo lambda watch` (or, with `watch=False`, the fake alone)."""

    def __init__(self, logs, watch=True):
        self.fake_port = free_port()
        self.runtime_port = free_port()
        self.logs = Path(logs)
        self.watch = watch
        self.processes = []

    def __enter__(self):
        subprocess.run(
            ["cargo", "build", "--quiet", "--workspace", "--bins"],
            cwd=ROOT,
            check=True,
        )
        policy = self.extract("template.yaml", TEMPLATE_PARAMETERS, "policy.json")
        target_policy = self.extract("templates/target-role.yaml", TARGET_ROLE_PARAMETERS,
                                     "target-policy.json", "--account", TEAM_B)
        fake = self.spawn(
            [str(ROOT / "target/debug/fake-aws"), "--listen", f"127.0.0.1:{self.fake_port}",
             "--seed", str(ROOT / "scripts/seed.json"), "--policy", str(policy),
             "--role-policy", f"{TARGET_ROLE}={target_policy}"],
            "fake.log",
        )
        wait_for_port(self.fake_port, fake, "fake-codedeploy")
        if not self.watch:
            return self
        env_file = self.logs / "function.env"
        env = (ROOT / "scripts/local.env").read_text()
        env_file.write_text(env.replace("127.0.0.1:4599", f"127.0.0.1:{self.fake_port}"))
        watch = self.spawn(
            ["cargo", "lambda", "watch", "--ignore-changes", "--invoke-port", str(self.runtime_port),
             "--env-file", str(env_file)],
            "function.log",
        )
        wait_for_port(self.runtime_port, watch, "cargo lambda watch")
        return self

    def extract(self, template, parameters, name, *options):
        """Writes the IAM policy `template` gives its role, for the fake to enforce."""
        path = self.logs / name
        arguments = [arg for p in parameters for arg in ("--parameter", p)]
        subprocess.run(
            [sys.executable, str(ROOT / "scripts/policy.py"), "extract", str(ROOT / template),
             *arguments, *options, "-o", str(path)],
            cwd=ROOT, check=True, stderr=subprocess.DEVNULL,
        )
        return path

    def __exit__(self, *_):
        for process in reversed(self.processes):
            stop(process)

    def spawn(self, command, log, env=None):
        out = open(self.logs / log, "w")
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, env=env)
        self.processes.append(process)
        return process

    def fake(self, method, command):
        request = urllib.request.Request(f"http://127.0.0.1:{self.fake_port}/_fake/{command}",
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def invoke_event(self, path, fresh=True, change=None):
        """Invokes the function on an event file, its times set to now unless `fresh` is false,
        and then changed by `change` (a function of the event), if given."""
        if not fresh:
            return self.invoke("--data-file", str(path))
        event = here_and_now(json.loads(Path(path).read_text()))
        if change:
            change(event)
        fresh_file = self.logs / f"fresh-{Path(path).name}"
        fresh_file.write_text(json.dumps(event))
        return self.invoke("--data-file", str(fresh_file))

    def invoke(self, *data):
        """Invokes the function with `cargo lambda invoke`; returns (ok, output)."""
        result = subprocess.run(
            ["cargo", "lambda", "invoke", "--invoke-port", str(self.runtime_port), *data, FUNCTION],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        return result.returncode == 0, (result.stdout if result.returncode == 0 else result.stderr)

    def post(self, body):
        """Sends raw bytes to the runtime emulator as an invocation; returns (HTTP status, body)."""
        url = f"http://127.0.0.1:{self.runtime_port}/2015-03-31/functions/{FUNCTION}/invocations"
        request = urllib.request.Request(url, data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def function_log(self):
        return (self.logs / "function.log").read_text(errors="replace")


# Fields that hold when a payload's signal happened (see src/signal/).
TIME_FIELDS = {"time", "timestamp", "Timestamp", "StateChangeTime", "lastUpdatedAt", "completeTime",
               "createTime"}


def here_and_now(value, now=None):
    """The payload with every time field set to now, also inside messages nested as JSON text
    (SNS `Message`, SQS `body`): the sample events' times are fixed, and the function ignores
    signals older than MAX_SIGNAL_AGE."""
    now = now or datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    if isinstance(value, dict):
        return {key: now if key in TIME_FIELDS and isinstance(field, str) else here_and_now(field, now)
                for key, field in value.items()}
    if isinstance(value, list):
        return [here_and_now(item, now) for item in value]
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            nested = json.loads(value)
        except ValueError:
            return value
        return json.dumps(here_and_now(nested, now)) if isinstance(nested, dict) else value
    return value


# What each sample event must do against scripts/seed.json (with scripts/local.env):
# outcome per deployment, the StopDeployment calls as (account, region, id) in any order, and, for
# events that call for no action, the start of the ignore reason.
OWN = "123456789012"
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
    "kill-switch-application.json": {
        "actions": {"d-SHOPCANA1": "stopped", "d-SHOPPROD1": "stopped"},
        "stops": [(OWN, "us-east-1", "d-SHOPCANA1"), (OWN, "us-east-1", "d-SHOPPROD1")],
    },
}


# Raw bodies no trigger sends: each must be answered with the function's own InvalidPayload
# error, and the function must live on.
HOSTILE = {
    "JSON nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "invalid UTF-8 outside SQS": b'{"deploymentId": "d-\xff"}',
    "null": b"null",
    "an array": b"[1, 2, 3]",
    "not JSON": b"stop everything",
}

# An SQS batch whose first record cannot be decoded: only that record fails; the other is acted on.
UNDECODABLE_RECORD = (b'{"Records":[{"eventSource":"aws:sqs","messageId":"undecodable","body":"\xff\xfe"},'
                      b'{"eventSource":"aws:sqs","messageId":"plain","body":"{\\"Type\\":\\"Notification\\",'
                      b'\\"Message\\":\\"plain text\\"}"}]}')

# What must never reach the logs at INFO: credentials (from scripts/local.env) and payload text.
SECRETS = ["AKIDLOCALFAKE", "local-fake-secret", "Threshold Crossed", "5xx rate of the shop API"]


def check(name, ok, output, stops):
    """Returns the list of problems with one invocation."""
    expected = EXPECTED[name]
    problems = []
    if not ok:
        return [f"invocation failed: {output.strip()}"]
    result = json.loads(output)
    if "batchItemFailures" in expected:
        failed = [item["itemIdentifier"] for item in result.get("batchItemFailures", [])]
        if failed != expected["batchItemFailures"]:
            problems.append(f"batchItemFailures {failed}, expected {expected['batchItemFailures']}")
    else:
        actions = {a["deploymentId"]: a["outcome"] for a in result.get("actions", [])}
        if actions != expected.get("actions", {}):
            problems.append(f"actions {actions}, expected {expected.get('actions', {})}")
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


def e2e(logs):
    files = sorted(p.name for p in EVENTS.glob("*.json"))
    untested = sorted(set(files) - set(EXPECTED))
    missing = sorted(set(EXPECTED) - set(files))
    failures = [f"events/{n}: no expectation in scripts/local.py" for n in untested]
    failures += [f"events/{n}: expected but missing" for n in missing]
    passed, failed = 0, len(failures)
    with Stack(logs) as stack:
        for name in files:
            if name not in EXPECTED:
                continue
            stack.fake("POST", "reset")
            ok, output = stack.invoke_event(EVENTS / name)
            problems = check(name, ok, output, stack.fake("GET", "stops"))
            if name == "eventbridge-alarm-other-account.json":
                assumed_roles = stack.fake("GET", "assumed")
            status = "ok" if not problems else "FAILED"
            print(f"e2e events/{name} ... {status}")
            failures += [f"events/{name}: {problem}" for problem in problems]
            passed += not problems
            failed += bool(problems)

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-ascii", '{"hello": "world"}')
        bad_payload_ok = not ok and "InvalidPayload" in output and "unrecognised event" in output
        print(f"e2e invalid payload ... {'ok' if bad_payload_ok else 'FAILED'}")
        passed += bad_payload_ok
        failed += not bad_payload_ok
        if not bad_payload_ok:
            failures.append(f"invalid payload: expected an InvalidPayload error, got {output.strip()}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "alarm-lambda-action.json", fresh=False)
        stale_ok = ok and '"stale: happened at 2024-02-17' in output and not stack.fake("GET", "calls")
        print(f"e2e a sample event as it is, long ago: ignored as stale ... {'ok' if stale_ok else 'FAILED'}")
        passed += stale_ok
        failed += not stale_ok
        if not stale_ok:
            failures.append(f"an old event was not ignored as stale: {output.strip()}")

        def unlisted_account(event):
            event["account"] = "333344445555"
            event["resources"] = ["arn:aws:cloudwatch:us-east-1:333344445555:alarm:orders-5xx-rate"]

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "eventbridge-alarm-other-account.json",
                                        change=unlisted_account)
        foreign_ok = (ok and '"foreign account 333344445555' in output
                      and not stack.fake("GET", "calls"))
        print(f"e2e an alarm from an account not in TARGET_ACCOUNTS is ignored ... "
              f"{'ok' if foreign_ok else 'FAILED'}")
        passed += foreign_ok
        failed += not foreign_ok
        if not foreign_ok:
            failures.append(f"an unlisted account's alarm: {output.strip()}")

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
        through_role = accounts == {TEAM_B} and [a["roleArn"] for a in assumed_roles] == [TARGET_ROLE]
        print(f"e2e team B's alarm acts through its role, and the stop is put on the bus ... "
              f"{'ok' if told and through_role else 'FAILED'}")
        passed += told and through_role
        failed += not (told and through_role)
        if not (told and through_role):
            failures.append(f"other account: assumed {assumed_roles}, in {accounts}, events {events}, "
                            f"{output.strip()}")

        emf = [json.loads(line) for line in stack.function_log().splitlines()
               if line.startswith("{") and '"_aws"' in line]
        emf_ok = any(doc.get("Stopped") == 1 and doc.get("Account") == TEAM_B
                     and doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DeploymentCircuitBreaker"
                     and isinstance(doc.get("SignalToStop"), int) for doc in emf)
        print(f"e2e metrics in embedded metric format on stdout ... {'ok' if emf_ok else 'FAILED'}")
        passed += emf_ok
        failed += not emf_ok
        if not emf_ok:
            failures.append(f"no EMF line for team B's stop: {emf}")

        def unreadable_times(event):
            event["time"] = "when it happened"
            event["alarmData"]["state"]["timestamp"] = "a moment ago"

        stack.fake("POST", "reset")
        ok, output = stack.invoke_event(EVENTS / "alarm-lambda-action.json", change=unreadable_times)
        noted = "no readable time in the payload: taken as now" in stack.function_log()
        now_ok = ok and '"stopped"' in output and noted
        print(f"e2e a signal without a readable time acts as of now, and the log says so ... "
              f"{'ok' if now_ok else 'FAILED'}")
        passed += now_ok
        failed += not now_ok
        if not now_ok:
            failures.append(f"unreadable time: logged {noted}, result {output.strip()}")

        stack.fake("POST", "reset")
        ok, output = stack.invoke("--data-ascii", json.dumps(
            {"applicationName": "shop", "region": "ap-south-1", "reason": "outside Regions"}))
        denied = (not ok and "DeploymentLookupFailed" in output and "AccessDeniedException" in output
                  and "codedeploy:ListDeploymentGroups" in output)
        print(f"e2e the template's policy is enforced: a region outside Regions is denied ... "
              f"{'ok' if denied else 'FAILED'}")
        passed += denied
        failed += not denied
        if not denied:
            failures.append(f"a call outside the template's policy was not denied: {output.strip()}")

        for label, body in HOSTILE.items():
            stack.fake("POST", "reset")
            status, answer = stack.post(body)
            hostile_ok = (status >= 400 and '"errorType":"InvalidPayload"' in answer.replace(" ", "")
                          and not stack.fake("GET", "calls"))
            print(f"e2e hostile payload: {label} ... {'ok' if hostile_ok else 'FAILED'}")
            passed += hostile_ok
            failed += not hostile_ok
            if not hostile_ok:
                failures.append(f"hostile payload {label}: HTTP {status} {answer[:200]}")
        status, answer = stack.post(UNDECODABLE_RECORD)
        record_ok = status == 200 and json.loads(answer) == {
            "batchItemFailures": [{"itemIdentifier": "undecodable"}]}
        print(f"e2e an undecodable SQS record fails alone ... {'ok' if record_ok else 'FAILED'}")
        passed += record_ok
        failed += not record_ok
        if not record_ok:
            failures.append(f"undecodable SQS record: HTTP {status} {answer[:300]}")

        ok, output = stack.invoke_event(EVENTS / "kill-switch.json")
        alive = ok and '"stopped"' in output
        print(f"e2e still serving after hostile payloads ... {'ok' if alive else 'FAILED'}")
        passed += alive
        failed += not alive
        if not alive:
            failures.append(f"the function did not serve after hostile payloads: {output.strip()}")

        json_lines = [line for line in stack.function_log().splitlines() if line.startswith("{")]
        leaked = [s for s in SECRETS if any(s in line for line in json_lines)]
        print(f"e2e no credentials or payloads in INFO logs ... {'ok' if not leaked else 'FAILED'}")
        passed += not leaked
        failed += bool(leaked)
        if leaked:
            failures.append(f"the function's logs contain {leaked}")

        decisions = [json.loads(line) for line in json_lines if '"decision"' in line]
        json_logs_ok = any(d["fields"].get("deployment_id") == "d-SHOPPROD1"
                           and d["fields"].get("outcome") == "stopped" for d in decisions)
        print(f"e2e JSON decision logs ... {'ok' if json_logs_ok else 'FAILED'}")
        passed += json_logs_ok
        failed += not json_logs_ok
        if not json_logs_ok:
            failures.append("no JSON log line with the decision for d-SHOPPROD1")

    for failure in failures:
        print(f"FAILED {failure}")
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failures else 0


def try_event(logs, event):
    path = Path(event)
    if not path.is_file():
        print(f"no such event file: {event} (see events/README.md)", file=sys.stderr)
        return 2
    with Stack(logs) as stack:
        ok, output = stack.invoke_event(path.resolve())
        stops = stack.fake("GET", "stops")
        print(f"== {path.name} → the function returned:" if ok else f"== {path.name} → the function failed:")
        print(json.dumps(json.loads(output), indent=2) if ok else output.strip())
        print(f"== StopDeployment calls the fake CodeDeploy received: {len(stops)}")
        for stop in stops:
            print(f"   account {stop['account']} {stop['region']} {stop['deploymentId']} "
                  f"autoRollbackEnabled={stop['autoRollbackEnabled']}")
        for assumed in stack.fake("GET", "assumed"):
            print(f"== assumed {assumed['roleArn']} as session {assumed['sessionName']}")
        events = stack.fake("GET", "events")
        print(f"== events put on the bus (NOTIFY): {len(events)}")
        for event in events:
            print(f"   {event['detailType']}: {json.dumps(event['detail'])}")
        print("== the function's log lines:")
        for line in stack.function_log().splitlines():
            if line.startswith("{"):
                print(f"   {line}")
    return 0 if ok else 1


class RuntimeApi(http.server.ThreadingHTTPServer):
    """A minimal Lambda Runtime API (2018-06-01) that hands one event to one function process and
    keeps its answer; later polls wait until it is closed."""

    daemon_threads = True
    FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"

    def __init__(self, event):
        super().__init__(("127.0.0.1", 0), RuntimeApiHandler)
        self.event = json.dumps(event).encode()
        self.handed = False
        self.answer = None  # (ok, body)
        self.answered = threading.Event()
        self.closed = threading.Event()


class RuntimeApiHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        api = self.server
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self.reply(404)
        if api.handed:
            api.closed.wait()
            return self.reply(500)
        api.handed = True
        deadline = int((time.time() + 60) * 1000)
        self.reply(200, api.event, [
            ("Lambda-Runtime-Aws-Request-Id", "bootstrap-1"),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn", api.FUNCTION_ARN),
            ("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5d7e4b1b2a1a6b0c;Sampled=0"),
            ("Content-Type", "application/json"),
        ])

    def do_POST(self):
        api = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/response") or self.path.endswith("/error"):
            api.answer = (self.path.endswith("/response"), body.decode(errors="replace"))
            api.answered.set()
        self.reply(202)


def bootstrap(logs, path):
    """Cold-starts a built bootstrap on one sample event against the fake; checks it stopped."""
    binary = Path(path).resolve()
    if not binary.is_file():
        print(f"no such file: {path} (run `sam build` first)", file=sys.stderr)
        return 2
    name = "alarm-lambda-action.json"
    event = here_and_now(json.loads((EVENTS / name).read_text()))
    with Stack(logs, watch=False) as stack:
        api = RuntimeApi(event)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        env = function_env(stack.fake_port)
        env.pop("LOCAL_ACCOUNT")  # the Runtime API gives a real function ARN
        env.update({
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        })
        started = time.monotonic()
        process = stack.spawn([str(binary)], "function.log", env=env)
        answered = api.answered.wait(60)
        elapsed = (time.monotonic() - started) * 1000
        api.closed.set()
        stop(process)
        api.shutdown()
        ok, output = api.answer if answered else (False, "no answer within 60 s")
        problems = check(name, ok, output, stack.fake("GET", "stops"))
    for problem in problems:
        print(f"FAILED {binary}: {problem}")
    status = "ok" if not problems else "FAILED"
    print(f"built bootstrap {binary}: cold start on events/{name} in {elapsed:.0f} ms ... {status}")
    return 1 if problems else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("try", "e2e", "bootstrap") or (
            argv[1] == "bootstrap" and len(argv) < 3):
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="circuit-breaker-") as logs:
        try:
            if argv[1] == "e2e":
                return e2e(logs)
            if argv[1] == "bootstrap":
                return bootstrap(logs, argv[2])
            return try_event(logs, argv[2] if len(argv) > 2 else str(EVENTS / "alarm-lambda-action.json"))
        except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            print(f"error: {e}", file=sys.stderr)
            for log in sorted(Path(logs).glob("*.log")):
                print(f"--- {log.name} (last lines)", file=sys.stderr)
                print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
