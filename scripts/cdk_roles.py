#!/usr/bin/env python3
"""Holds the roles of the CDK app's stacks (cdk/cdk.out, `npm run synth` in cdk/) to the templates'.

    cdk_roles.py [CDK_OUT]

Each stack's metadata (`deployment-circuit-breaker`, written by cdk/app/synth.js) says which
construct stands for which template, with which parameters. For each role that template makes
with those parameters, the construct's role (by its construct path) must be there, pass
`policy.py check`, and have the same statements and trust policy as the template's (`policy.py
same --with-sam-added --with-trust`, the statements SAM adds for a function's other properties
included); a role the template does not make must not be there either, nor any role no construct
stands for. Exit 1 at any difference.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import policy
from cfn import Resolver, load_template

ROOT = Path(__file__).resolve().parent.parent
# The roles each template makes, by logical ID, and the construct path of each in its construct.
ROLES = {
    "template.yaml": {
        "FunctionRole": "FunctionRole",
        "GateFunctionRole": "GateFunctionRole",
        "ReadinessCheckFunctionRole": "ReadinessCheckFunctionRole",
        "ReadinessCheckRole": "ReadinessCheckRole",
    },
    "templates/target-role.yaml": {"Role": "Role"},
    "templates/forward-alarms.yaml": {"ForwardRole": "Role"},
}


def made(template: str, role: str, parameters: list[str], where: tuple[str, str], stack: str) -> bool:
    """Whether `template` makes `role` with these parameters (its Condition, if any, holds; a role
    SAM makes for a function, `<function>Role`, is made with the function)."""
    original = load_template(str(ROOT / template))
    resolver = Resolver(original, dict(p.split("=", 1) for p in parameters), *where, stack)
    resources = original["Resources"]
    condition = resources.get(role, resources.get(role.removesuffix("Role"), {})).get("Condition")
    return condition is None or resolver.condition(condition)


def roles(cdk: dict) -> set[str]:
    """The construct paths of a synthesised stack's roles, below the stack (`Breaker/FunctionRole`)."""
    paths = {(r.get("Metadata") or {}).get("aws:cdk:path", "") for r in cdk["Resources"].values()
             if r.get("Type") == "AWS::IAM::Role"}
    return {p.split("/", 1)[1].removesuffix("/Resource") for p in paths}


def run(argv: list[str]) -> tuple[int, str]:
    """policy.py with `argv`, its exit status and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = policy.main(argv)
    return status, out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else ""


def check_stack(path: Path) -> int:
    cdk = json.loads(path.read_text())
    stack = path.name.removesuffix(".template.json")
    # The stack's environment, aws://ACCOUNT/REGION.
    account, region = json.loads((path.parent / "manifest.json").read_text())["artifacts"][stack]["environment"] \
        .split("/")[2:4]
    present, claimed = roles(cdk), set()
    failures = 0
    for stands in (cdk.get("Metadata") or {}).get("deployment-circuit-breaker", []):
        template, construct, parameters = stands["template"], stands["construct"], stands["parameters"]
        common = ["--account", account, "--region", region, "--stack-name", stack]
        for role, role_path in ROLES[template].items():
            label = f"{stack} {construct}/{role_path} as {template} {role}"
            claimed.add(f"{construct}/{role_path}")
            if not made(template, role, parameters, (account, region), stack):
                ok = f"{construct}/{role_path}" not in present
                print(f"{label}: not made {'by either: OK' if ok else 'by the template, but by the construct: FAILED'}")
                failures += not ok
                continue
            status, said = run(["check", str(path), "--role", f"{construct}/{role_path}", *common])
            failures += status != 0
            print(f"{label}: {said}")
            status, said = run([
                "same", str(ROOT / template), str(path), "--role", role, "--other-role", f"{construct}/{role_path}",
                *[a for p in parameters for a in ("--parameter", p)], "--other-parameter", "--with-sam-added",
                "--with-trust", *common,
            ])
            failures += status != 0
            print(f"{label}: {said}")
    for unclaimed in sorted(present - claimed):
        print(f"{stack} {unclaimed}: a role no template has: FAILED")
        failures += 1
    return failures


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "cdk/cdk.out"
    stacks = sorted(out.glob("*.template.json"))
    if not stacks:
        print(f"cdk_roles.py: no stacks in {out}: run `npm run synth` in cdk/", file=sys.stderr)
        return 2
    failures = sum(check_stack(path) for path in stacks)
    outcome = f"{failures} failing: FAILED" if failures else "none failing: OK"
    print(f"cdk_roles.py: {len(stacks)} stacks, {outcome}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
