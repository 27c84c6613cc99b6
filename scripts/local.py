#!/usr/bin/env python3
"""Runs the function locally under `cargo lambda watch` against the fake AWS.

    local.py try [EVENT_FILE|check]
                                invoke one event (its times set to now; a lifecycle hook goes to
                                the gate, a readiness check to the check function), print the
                                result, the StopDeployment calls and hook answers
    local.py e2e [--cdk CDK_OUT] [EVENT_FILE ...]
                                invoke every file in events/ (or those named) and check each
                                result and stop; with --cdk, under the IAM policies of the CDK
                                app synthesised in CDK_OUT (cdk/app/synth.js), not the templates'
    local.py bootstrap FILE     cold-start a built `bootstrap` (as `sam build` makes it) under a
                                minimal Lambda Runtime API and check it stops a deployment

Each starts the fake AWS and the functions (see stack.py), and stops them again on success,
failure or Ctrl-C. No AWS account is used; the checks of `e2e` are in e2e.py.
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e
from stack import (EVENTS, FUNCTION, OWN, RUNTIMES, Stack, function_env, here_and_now, runtime_of,
                   stop)


def shorten(line, limit=600):
    """A line cut to `limit` characters: the check's report line holds the whole report."""
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line)} characters)"


def print_check(report):
    """The readiness check's report, for a person: each account and region, what guards each
    group, and the findings with what to do."""
    print(f"== readiness check: {report['check']} ({report['failures']} failures, "
          f"{report['unguardedGroups']} unguarded groups, {report['danglingMappings']} dangling "
          "mappings)")
    for place in report["locations"]:
        role = place.get("role", "its own role")
        print(f"-- account {place['account']} {place['region']} as {role}: reads {place['reads']}")
        for group in place["groups"]:
            guards = ", ".join(f"{g['name']} ({g['state']}, by {'/'.join(g['sources'])})"
                               for g in group["guards"]) or "NO ALARM"
            print(f"   {group['application']}/{group['group']} "
                  f"({group['activeDeployments']} active): {guards}")
        permissions = place["permissions"]
        for decision in permissions.get("decisions", []):
            print(f"   simulated: {decision['action']} on {decision['resource']}: "
                  f"{decision['decision']}")
        if permissions["status"] != "checked":
            print(f"   simulated: {permissions['status']} {permissions.get('error', '')}")
    print("== findings:")
    for finding in report["findings"]:
        where = " ".join(filter(None, (finding.get("account"), finding.get("region"))))
        print(f"   [{finding['kind']}] {where}: {finding['problem']}")
        print(f"      what to do: {finding['fix']}")
    print(f"== {report['simulatorLimits']}")
    print(f"== outcome event: {report['event']}")


def try_event(logs, event):
    if event == "check":
        event = str(EVENTS / "check.json")
    path = Path(event)
    if not path.is_file():
        print(f"no such event file: {event} (see events/README.md)", file=sys.stderr)
        return 2
    with Stack(logs) as stack:
        ok, output = stack.invoke_event(path.resolve())
        stops = stack.fake("GET", "stops")
        result = json.loads(output) if ok else None
        name, _ = RUNTIMES[runtime_of(path)]
        print(f"== {path.name} → {name} returned:" if ok else f"== {path.name} → {name} failed:")
        if ok and "simulatorLimits" in result:
            print_check(result)
        else:
            print(json.dumps(result, indent=2) if ok else output.strip())
        print(f"== StopDeployment calls the fake CodeDeploy received: {len(stops)}")
        for s in stops:
            print(f"   account {s['account']} {s['region']} {s['deploymentId']} "
                  f"autoRollbackEnabled={s['autoRollbackEnabled']}")
        for answer in stack.fake("GET", "hooks"):
            print(f"== lifecycle hook answered: {answer['deploymentId']} {answer['status']}")
        for assumed in stack.fake("GET", "assumed"):
            print(f"== assumed {assumed['roleArn']} as session {assumed['sessionName']}, "
                  f"by {assumed['caller']}")
        events = stack.fake("GET", "events")
        print(f"== events put on the bus (NOTIFY): {len(events)}")
        for event in events:
            print(f"   {shorten(event['detailType'] + ': ' + json.dumps(event['detail']))}")
        print(f"== {name}'s log lines:")
        for line in stack.function_log(runtime_of(path)).splitlines():
            if line.startswith("{"):
                print(f"   {shorten(line)}")
    return 0 if ok else 1


class RuntimeApi(http.server.ThreadingHTTPServer):
    """A minimal Lambda Runtime API (2018-06-01) that hands one event to one function process and
    keeps its answer; later polls wait until it is closed."""

    daemon_threads = True
    FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{OWN}:function:{FUNCTION}"

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
        self.reply(202)
        if self.path.endswith("/response") or self.path.endswith("/error"):
            api.answer = (self.path.endswith("/response"), body.decode(errors="replace"))
            api.answered.set()


def bootstrap(logs, path):
    """Cold-starts a built bootstrap on one sample event against the fake; checks it stopped."""
    binary = Path(path).resolve()
    if not binary.is_file():
        print(f"no such file: {path} (run `sam build` first)", file=sys.stderr)
        return 2
    name = "alarm-lambda-action.json"
    with Stack(logs, watch=False) as stack:
        # Dated once the fake's deployments exist: an alarm older than them would rightly be held.
        api = RuntimeApi(here_and_now(json.loads((EVENTS / name).read_text())))
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
        problems = e2e.check(name, ok, output, stack.fake("GET", "stops"))
    for problem in problems:
        print(f"FAILED {binary}: {problem}")
    status = "ok" if not problems else "FAILED"
    print(f"built bootstrap {binary}: cold start on events/{name} in {elapsed:.0f} ms ... {status}")
    return 1 if problems else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("try", "e2e", "bootstrap") or (
            argv[1] == "bootstrap" and len(argv) < 3) or (argv[1:3] == ["e2e", "--cdk"] and len(argv) < 4):
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="circuit-breaker-") as logs:
        try:
            if argv[1] == "e2e":
                cdk = argv[3] if argv[2:3] == ["--cdk"] else None
                only = [Path(a).name for a in argv[4 if cdk else 2:]]
                return e2e.e2e(logs, cdk=cdk, only=only)
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
