"""The local stack: the fake AWS (CodeDeploy, STS, EventBridge, CloudWatch, the tagging API, IAM's
simulator, DynamoDB and SQS, seeded from scripts/seed.json with the function's account and team
B's, enforcing the IAM policies template.yaml and templates/target-role.yaml grant, as
scripts/policy.py extracts them) and the breaker, the gate and the readiness check, each under its
own `cargo lambda watch` (environment from scripts/local.env, with each one's own queue), the fake
playing the event source mappings of the gate's and the breaker's queues (it delivers each to its
function's runtime); and the sample events made fresh.
"""

import contextlib
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTION = "deployment-circuit-breaker"
# The gate (src/bin/codedeploy-hook.rs): its own runtime, signing with its own key, so that the
# fake enforces its own role's policy on it.
GATE = "codedeploy-hook"
GATE_KEY = "AKIDLOCALGATE"
# The readiness check (src/bin/readiness-check.rs), likewise: its own runtime and key, under its
# own role's policy.
CHECK = "readiness-check"
CHECK_KEY = "AKIDLOCALCHECK"
# Each runtime of the stack: the binary it serves and the key it signs with (None: the key of
# scripts/local.env, which the fake takes for the breaker's role).
RUNTIMES = {"function": (FUNCTION, None), "gate": (GATE, GATE_KEY), "check": (CHECK, CHECK_KEY)}
# The template parameters the local runs deploy with: the regions and the second account
# scripts/seed.json uses; and the role the fake says the function runs as.
TEMPLATE_PARAMETERS = ["Regions=us-east-1,eu-west-1", "TargetAccounts=222233334444"]
OWN = "123456789012"  # the function's account: LOCAL_ACCOUNT in scripts/local.env
TEAM_B = "222233334444"
TARGET_ROLE = f"arn:aws:iam::{TEAM_B}:role/deployment-circuit-breaker-target"
FUNCTION_ROLE = f"arn:aws:iam::{OWN}:role/deployment-circuit-breaker-FunctionRole"
GATE_ROLE = f"arn:aws:iam::{OWN}:role/deployment-circuit-breaker-GateFunctionRole"
# The role the check signs as; team B's role trusts it too (scripts/seed.json).
CHECK_ROLE = f"arn:aws:iam::{OWN}:role/deployment-circuit-breaker-ReadinessCheckFunctionRole"
# The same two roles as scripts/policy.py names them for stack `breaker`: what the readiness
# check simulates (FUNCTION_ROLE_ARN and GATE_ROLE_ARN in scripts/local.env).
DEPLOYED_FUNCTION_ROLE = f"arn:aws:iam::{OWN}:role/breaker-FunctionRole-416537C237A3"
DEPLOYED_GATE_ROLE = f"arn:aws:iam::{OWN}:role/breaker-GateFunctionRole-27F1AF715ED0"
TARGET_ROLE_PARAMETERS = [f"CentralRoleArn={FUNCTION_ROLE}", f"CentralCheckRoleArn={CHECK_ROLE}",
                          "Regions=us-east-1,eu-west-1"]
# Each runtime's own queue (its WATCH_QUEUE_URL), as template.yaml names it for stack `breaker`
# and scripts/seed.json creates it: the breaker's looks of its canary judge (WatchQueue,
# <stack>-watch) and the gate's waits (GateWatchQueue, <stack>-gate-watch); the readiness check
# has none. Never the gate's queue for the breaker: the gate would take the breaker's looks for
# forged waits, and the breaker the gate's for looks.
WATCH_QUEUES = {"function": "breaker-watch", "gate": "breaker-gate-watch"}
WATCH_REGION = "us-east-1"


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


def local_env(fake_port, access_key=None, runtime="function"):
    """The text of scripts/local.env, pointed at the fake on `fake_port` (signing with
    `access_key`, if given), with the WATCH_QUEUE_URL of `runtime`'s own queue, if it has one."""
    text = (ROOT / "scripts/local.env").read_text()
    if access_key:
        text = text.replace("AWS_ACCESS_KEY_ID=AKIDLOCALFAKE", f"AWS_ACCESS_KEY_ID={access_key}")
    if runtime in WATCH_QUEUES:
        text += f"WATCH_QUEUE_URL=http://127.0.0.1:4599/{OWN}/{WATCH_QUEUES[runtime]}\n"
    return text.replace("127.0.0.1:4599", f"127.0.0.1:{fake_port}")


def function_env(fake_port):
    """The breaker's environment from scripts/local.env, pointed at the fake on `fake_port`."""
    env = {}
    for line in local_env(fake_port).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value.strip("'")
    return env


def deliver_options(ports):
    """The fake's --deliver options for the runtimes on `ports` (by runtime): each queue of
    WATCH_QUEUES, as account:region:name, to its own runtime's invoke URL."""
    options = []
    for runtime, queue in WATCH_QUEUES.items():
        name, _ = RUNTIMES[runtime]
        url = f"http://127.0.0.1:{ports[runtime]}/2015-03-31/functions/{name}/invocations"
        options += ["--deliver", f"{OWN}:{WATCH_REGION}:{queue}={url}"]
    return options


class Stack:
    """The fake AWS, enforcing the templates' policies, and the function under
    `cargo lambda watch` (or, with `watch=False`, the fake alone), and the gate and the readiness
    check each under another."""

    def __init__(self, logs, watch=True, cdk=None):
        self.fake_port = free_port()
        self.cdk = cdk
        self.ports = {name: free_port() for name in RUNTIMES}
        self.logs = Path(logs)
        self.watch = watch
        self.processes = []

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            # What started must not outlive a start that failed.
            self.__exit__()
            raise

    def start(self):
        # The builds `cargo lambda watch` would otherwise do on the first invoke, after the event
        # was dated: the fake alone (it shares no AWS SDK crate with the functions, so building it
        # with the workspace would compile the whole SDK once more, with the workspace's
        # features), and the package's binaries as `cargo run --bin` builds them, all three.
        binaries = [arg for binary, _ in RUNTIMES.values() for arg in ("--bin", binary)]
        for build in (["-p", "fake-aws", "--bin", "fake-aws"], binaries):
            subprocess.run(["cargo", "build", "--quiet", *build], cwd=ROOT, check=True)
        policy, gate_policy, check_policy, target_policy = self.policies()
        fake = self.spawn(
            [str(ROOT / "target/debug/fake-aws"), "--listen", f"127.0.0.1:{self.fake_port}",
             "--seed", str(ROOT / "scripts/seed.json"), "--policy", str(policy),
             "--role-policy", f"{TARGET_ROLE}={target_policy}",
             "--role-policy", f"{DEPLOYED_FUNCTION_ROLE}={policy}",
             "--role-policy", f"{DEPLOYED_GATE_ROLE}={gate_policy}",
             "--principal", f"{GATE_KEY}={GATE_ROLE}={gate_policy}",
             "--principal", f"{CHECK_KEY}={CHECK_ROLE}={check_policy}",
             *self.deliveries()],
            "fake.log",
        )
        wait_for_port(self.fake_port, fake, "fake-aws")
        if not self.watch:
            return self
        for name, (_, key) in RUNTIMES.items():
            port = self.ports[name]
            env_file = self.logs / f"{name}.env"
            env_file.write_text(local_env(self.fake_port, key, name))
            watch = self.spawn(
                ["cargo", "lambda", "watch", "--ignore-changes", "--invoke-port", str(port),
                 "--env-file", str(env_file)],
                f"{name}.log",
            )
            wait_for_port(port, watch, f"cargo lambda watch ({name})")
        return self

    def deliveries(self):
        """The fake's --deliver options: it plays the event source mappings of the gate's and the
        breaker's queues (GateWatchMapping, WatchMapping), posting the batches of each to its own
        function's runtime (their ports chosen before the fake starts, the runtimes started after
        it). None without the runtimes (`watch=False`): the messages then stay in the queues, for
        a test to read."""
        return deliver_options(self.ports) if self.watch else []

    def policies(self):
        """The policies of the breaker's, the gate's, the check's and team B's target role: as
        template.yaml and templates/target-role.yaml grant them, or, with `cdk` (a cdk.out
        directory of cdk/app/synth.js), as the CDK constructs do (stacks `breaker` and `member`,
        synthesised for the same parameters)."""
        if self.cdk:
            central, member = Path(self.cdk) / "breaker.template.json", Path(self.cdk) / "member.template.json"
            return (*(self.extract(central, [], f"{role}.json", "--role", f"Breaker/{role}")
                      for role in ("FunctionRole", "GateFunctionRole", "ReadinessCheckFunctionRole")),
                    self.extract(member, [], "target-policy.json", "--role", "TargetRole/Role", "--account", TEAM_B))
        return (
            self.extract("template.yaml", TEMPLATE_PARAMETERS, "policy.json", "--role", "FunctionRole"),
            self.extract("template.yaml", TEMPLATE_PARAMETERS, "gate-policy.json", "--role", "GateFunctionRole"),
            self.extract("template.yaml", TEMPLATE_PARAMETERS, "check-policy.json",
                         "--role", "ReadinessCheckFunctionRole"),
            self.extract("templates/target-role.yaml", TARGET_ROLE_PARAMETERS, "target-policy.json",
                         "--account", TEAM_B),
        )

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
        and then changed by `change` (a function of the event), if given. A lifecycle hook goes
        to the gate, a readiness check to the check function, each as it is."""
        runtime = runtime_of(path)
        if runtime != "function":
            return self.invoke("--data-file", str(path), runtime=runtime)
        if not fresh:
            return self.invoke("--data-file", str(path))
        event = here_and_now(json.loads(Path(path).read_text()))
        if change:
            change(event)
        fresh_file = self.logs / f"fresh-{Path(path).name}"
        fresh_file.write_text(json.dumps(event))
        return self.invoke("--data-file", str(fresh_file))

    def invoke(self, *data, runtime="function"):
        """Invokes the function (or, with `runtime` "gate" or "check", the gate or the readiness
        check) with `cargo lambda invoke`; returns (ok, output)."""
        name, _ = RUNTIMES[runtime]
        result = subprocess.run(
            ["cargo", "lambda", "invoke", "--invoke-port", str(self.ports[runtime]), *data, name],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        return result.returncode == 0, (result.stdout if result.returncode == 0 else result.stderr)

    def post(self, body):
        """Sends raw bytes to the runtime emulator as an invocation; returns (HTTP status, body)."""
        url = f"http://127.0.0.1:{self.ports['function']}/2015-03-31/functions/{FUNCTION}/invocations"
        request = urllib.request.Request(url, data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def function_log(self, name="function"):
        return (self.logs / f"{name}.log").read_text(errors="replace")


def is_hook(path):
    """Whether an event file is a CodeDeploy lifecycle hook's payload (the gate's)."""
    return "LifecycleEventHookExecutionId" in json.loads(Path(path).read_text())


def is_check(path):
    """Whether an event file is a readiness check's payload (`{"check": ...}`: the check
    function's, which refuses any but `{"check": true}`)."""
    payload = json.loads(Path(path).read_text())
    return isinstance(payload, dict) and "check" in payload


def runtime_of(path):
    """The runtime an event file goes to: "gate", "check" or "function" (the breaker)."""
    return "gate" if is_hook(path) else "check" if is_check(path) else "function"


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
