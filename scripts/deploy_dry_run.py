#!/usr/bin/env python3
"""Check what `cargo lambda deploy` would create, without AWS: a dry run (`--dry`) of the
command docs/deploying.md gives, with no credentials, on a built bootstrap.

  python3 scripts/deploy_dry_run.py BINARY

Fails unless the function gets Cargo.toml's [package.metadata.lambda.deploy] (memory, timeout,
tracing, log retention, AWS_LAMBDA_LOG_FORMAT=JSON) and the command line's role,
ALLOWED_DEPLOYMENT_GROUPS and STATE_TABLE, every environment variable (the reason for --admerge). The binary is
copied to a temporary directory first: the dry run writes bootstrap.zip next to it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::123456789012:role/example"
GROUPS = "ALLOWED_DEPLOYMENT_GROUPS=shop/*"
# The table templates/function-role.yaml creates for a role stack of that name (<stack>-state).
STATE = "STATE_TABLE=deployment-circuit-breaker-role-state"
EXPECTED = {"memory": 128, "timeout": 60, "tracing": "PassThrough", "log_retention": 30, "role": ROLE}
ENV_VARS = ["AWS_LAMBDA_LOG_FORMAT=JSON", GROUPS, STATE]


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if not Path(sys.argv[1]).is_file():
        sys.exit(f"deploy_dry_run.py: {sys.argv[1]}: no such file (build the function first)")
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp, "bootstrap")
        shutil.copy2(sys.argv[1], binary)
        command = ["cargo", "lambda", "deploy", "--dry", "--region", "us-east-1", "-o", "json", "--admerge",
                   "--env-var", GROUPS, "--env-var", STATE, "--role", ROLE, "--binary-path", str(binary),
                   "deployment-circuit-breaker"]
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode:
        print(f"deploy_dry_run.py: {' '.join(command)}: exit {result.returncode}")
        return 1
    # cargo lambda 1.9.2 prints its progress line ("loading binary data") on stdout too.
    config = json.loads(result.stdout[result.stdout.find("{"):])["config"]
    wrong = [f"{k} is {json.dumps(config.get(k))}, not {json.dumps(v)}"
             for k, v in EXPECTED.items() if config.get(k) != v]
    wrong += [f"env_var {json.dumps(config.get('env_var'))} lacks {v}" for v in ENV_VARS
              if v not in (config.get("env_var") or [])]
    for problem in wrong:
        print(f"cargo lambda deploy --dry: {problem}")
    if wrong:
        print(f"cargo lambda deploy --dry: FAILED (config: {json.dumps(config)})")
        return 1
    print(f"cargo lambda deploy --dry: OK ({', '.join(f'{k} {v}' for k, v in EXPECTED.items() if k != 'role')}, "
          f"role and every environment variable set)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
