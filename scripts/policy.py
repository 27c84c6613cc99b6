#!/usr/bin/env python3
"""Extract and check the IAM policy of a role defined in a CloudFormation or SAM template.

The policy is the one CloudFormation would create: a template with
`Transform: AWS::Serverless-2016-10-31` is first translated offline with samtranslator (the
library the SAM transform runs), then the role's intrinsic functions are resolved for the given
parameter values and pseudo parameters. That part, which knows nothing of IAM, is cfn.py; this
file picks the role, collects and normalises its policies, checks them and is the command line.

  policy.py extract TEMPLATE [options]  print {"Version", "Statement"}: every statement of every
                                        inline policy of the role (for a fake AWS to enforce)
  policy.py check TEMPLATE [options]    lint each inline policy with parliament (its bundled IAM
                                        Service Authorization Reference); exit 1 on a finding
                                        about resource types, unknown actions or prefixes, or
                                        malformed conditions or documents
  policy.py same TEMPLATE OTHER [options] [--other-role LOGICAL_ID] [--other-parameter NAME=VALUE ...]
                [--with-sam-added] [--with-trust] [--except-sid SID ...]
                                        exit 1, naming the first difference, unless the two
                                        roles have the same managed policies and inline
                                        statements, in order (of a SAM function's role: those of
                                        its Policies and of the template's own AWS::IAM::Policy /
                                        RolePolicy resources attached to it, not those SAM adds
                                        for other properties unless --with-sam-added), but for
                                        the statements whose Sid --except-sid names (on either
                                        side), and with --with-trust their trust policies too.
                                        OTHER's role is --other-role (default: --role)
                                        and its parameters the --other-parameter ones (default:
                                        --parameter's; the option without a value: none), so
                                        OTHER may be one the AWS CDK synthesised (cdk.out/*.json)
  policy.py write-test-policies [DIR]   write the policies the Rust tests load (TEST_POLICIES, below)
                                        into DIR (default tests/policies): each role's policy, as
                                        extract prints it, for the tests' accounts, regions and
                                        stack; scripts/test.sh fails when they differ from these

Options: --role LOGICAL_ID (of a CDK template, or its construct path), --parameter NAME=VALUE
(repeatable), --account, --region, --stack-name, -o FILE (write the extracted policy there).
Managed policies attached to the role are listed on stderr, not merged. Exit status: 0 clean, 1
failing findings, 2 usage or template errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from cfn import SAM_FUNCTION, Resolver, has_sam_transform, load_template, need, sam_translate, scalar
from cfn import TemplateError as PolicyError

POLICY_RESOURCE_TYPES = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy")

# parliament issue codes (parliament/config.yaml of parliament 1.6.4) that fail the check:
# malformed documents, unknown actions or prefixes, resource types, malformed conditions.
FAILING_CODES = {
    "EXCEPTION",  # parliament could not analyse the statement
    "MALFORMED_JSON",
    "MALFORMED",
    "DUPLICATE_SID",
    "INVALID_SID",
    "INVALID_VERSION",
    "UNKNOWN_PRINCIPAL",
    "UNKNOWN_FEDERATION_SOURCE",
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "INVALID_ARN",
    "RESOURCE_MISMATCH",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "UNKNOWN_OPERATOR",
    "MISMATCHED_TYPE",
    "MISMATCHED_TYPE_OPERATION_TO_NULL",
}
# Printed but not failing: advice about breadth or style, not about validity. Any code in
# neither set (a newer parliament) fails, so that nothing new is ignored silently.
ADVISORY_CODES = {
    "RESOURCE_STAR",  # expected for actions that have no resource type (codedeploy:StopDeployment)
    "RESOURCE_EFFECTIVELY_STAR",
    "MISMATCHED_TYPE_BUT_USABLE",
    "BAD_PATTERN_FOR_MFA",
    "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
    "NO_VERSION",
    "OLD_VERSION",
}

# Global condition keys that the IAM User Guide ("AWS global condition context keys") documents
# but parliament 1.6.4's list (parliament/statement.py GLOBAL_CONDITION_KEYS) lacks. Without them
# parliament would look the key up among the action's service keys and report a false
# UNKNOWN_CONDITION_FOR_ACTION. Value: the key's type, checked as parliament checks its own.
GLOBAL_CONDITION_KEYS_MISSING_FROM_PARLIAMENT = {
    "aws:AssumedRoot": "Bool",
    "aws:ChatbotSourceArn": "Arn",
    "aws:Ec2InstanceSourcePrivateIPv4": "Ip",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "String",
    "aws:SourceVpcArn": "Arn",
    "aws:ViaAWSService": "Bool",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "String",
}
# Actions that AWS documents but parliament's bundled reference does not know, as
# "service:Action": reason. An UNKNOWN_ACTION finding for one of them is reported as advisory
# (parliament then skips the rest of that statement's checks). Empty: none needed so far.
ACTIONS_MISSING_FROM_PARLIAMENT: dict[str, str] = {}


# --------------------------------------------------------------------------------------------
# The role and its policies


def choose_role(original: dict, translated: dict, role: str | None) -> str:
    """The role to check: --role, else the generated role of the only SAM function, else the
    only AWS::IAM::Role."""
    resources = translated["Resources"]
    roles = sorted(k for k, v in resources.items() if v.get("Type") == "AWS::IAM::Role")
    if role and role not in resources and "/" in role:
        role = by_construct_path(resources, roles, role)
    if role:
        if role not in resources:
            raise PolicyError(f"--role {role}: no such resource (roles: {', '.join(roles) or 'none'})")
        if resources[role].get("Type") != "AWS::IAM::Role":
            raise PolicyError(f"--role {role}: a {resources[role].get('Type')}, not an AWS::IAM::Role")
        return role
    functions = [k for k, v in original["Resources"].items() if v.get("Type") == SAM_FUNCTION]
    generated = [f"{f}Role" for f in functions if f"{f}Role" in roles]
    if len(functions) == 1 and generated:
        return generated[0]
    if len(roles) == 1:
        return roles[0]
    raise PolicyError(f"say which role with --role (roles in the template: {', '.join(roles) or 'none'})")


def by_construct_path(resources: dict, roles: list[str], path: str) -> str:
    """The role of a CDK template whose construct path (its `aws:cdk:path`) ends with `path`
    (`Breaker/FunctionRole`), for a logical ID that carries the CDK's hash."""
    found = [k for k in roles if f"/{(resources[k].get('Metadata') or {}).get('aws:cdk:path', '')}".endswith(
        (f"/{path}", f"/{path}/Resource"))]
    if len(found) != 1:
        raise PolicyError(f"--role {path}: {len(found)} roles have this construct path (roles: {', '.join(roles)})")
    return found[0]


def role_policies(resolver: Resolver, role_id: str) -> tuple[list[tuple[str, dict]], list[str]]:
    """Inline policy documents of the role (its Policies, and AWS::IAM::Policy / RolePolicy
    resources attached to it) as (name, document), and the ARNs of its managed policies."""
    resources = resolver.resources
    role = resources[role_id]
    if "Condition" in role and not resolver.condition(role["Condition"]):
        raise PolicyError(
            f"role {role_id} is not created with these parameters (condition {role['Condition']} is false)"
        )
    properties = role.get("Properties", {}) or {}
    inline = [p if isinstance(p, dict) else {} for p in _as_list(resolver.resolve(properties.get("Policies", [])))]
    policies = [(f"{role_id}/{p.get('PolicyName', n)}", p.get("PolicyDocument")) for n, p in enumerate(inline)]
    role_name = resolver.ref(role_id)
    for logical_id, resource in sorted(resources.items()):
        if resource.get("Type") not in POLICY_RESOURCE_TYPES:
            continue
        attached = resource.get("Properties", {}) or {}
        if _names_role(resolver, attached, role_id, role_name):
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            policies.append((logical_id, resolver.resolve(attached.get("PolicyDocument"))))
    for name, document in policies:
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not all(isinstance(s, dict) for s in _as_list(statements)) or statements in (None, []):
            raise PolicyError(f"policy {name}: no PolicyDocument with a Statement of objects")
    return policies, _as_list(resolver.resolve(properties.get("ManagedPolicyArns", [])))


def _names_role(resolver: Resolver, properties: dict, role_id: str, role_name: str) -> bool:
    """Whether an AWS::IAM::Policy (Roles) or AWS::IAM::RolePolicy (RoleName) attaches to the role."""
    targets = _as_list(properties.get("Roles", [])) + [properties.get("RoleName")]
    for target in targets:
        if target == {"Ref": role_id}:
            return True
        if isinstance(target, (str, dict)):
            try:
                if resolver.resolve(target) == role_name:
                    return True
            except PolicyError:
                pass  # a reference this script cannot resolve names some other role
    return False


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def normalise(statement: dict) -> dict:
    """A statement with Action/Resource (and Not-) and each kind of Principal as lists, and
    condition values as strings."""
    out = dict(statement)
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in out:
            out[key] = _as_list(out[key])
    if isinstance(out.get("Principal"), dict):
        out["Principal"] = {kind: [scalar(x) for x in _as_list(v)] for kind, v in out["Principal"].items()}
    if isinstance(out.get("Condition"), dict):
        out["Condition"] = {
            op: {k: [scalar(x) for x in v] if isinstance(v, list) else scalar(v) for k, v in block.items()}
            if isinstance(block, dict)
            else block
            for op, block in out["Condition"].items()
        }
    return out


def normalise_document(document: dict) -> dict:
    out = dict(document)
    out["Statement"] = [normalise(s) for s in _as_list(document["Statement"])]
    return out


# --------------------------------------------------------------------------------------------
# parliament


def _import_parliament():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
        need("parliament.statement", "parliament")  # says how to install it when missing
        import parliament

    for key, kind in GLOBAL_CONDITION_KEYS_MISSING_FROM_PARLIAMENT.items():
        parliament.statement.GLOBAL_CONDITION_KEYS.setdefault(key, kind)
    return parliament


def _policy_text(document: dict) -> tuple[str, list[int]]:
    """The document as indented JSON, and the first line of each statement in it."""
    head = {k: v for k, v in document.items() if k != "Statement"}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + ['  "Statement": [']
    starts = []
    statements = document["Statement"]
    for i, statement in enumerate(statements):
        starts.append(len(lines) + 1)
        body = json.dumps(statement, indent=2).splitlines()
        lines += ["    " + line for line in body]
        if i < len(statements) - 1:
            lines[-1] += ","
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n", starts


def check_policies(policies: list[tuple[str, dict]], label: str) -> int:
    """Run parliament on each document, print every finding, return how many fail the check."""
    parliament = _import_parliament()
    total = failing = 0
    failing_codes: set[str] = set()
    for name, document in policies:
        text, starts = _policy_text(document)
        statements = document["Statement"]
        result = parliament.analyze_policy_string(text, filepath=name, ignore_private_auditors=True)
        for finding in result.findings:
            finding = parliament.enhance_finding(finding)
            location = finding.location or {}
            line = location.get("line") or location.get("lineno")
            where = name
            if line:
                index = max((i for i, start in enumerate(starts) if start <= line), default=None)
                if index is not None:
                    sid = statements[index].get("Sid")
                    where += f" statement {index}" + (f" (Sid {sid})" if sid else "")
                where += f" line {line}"
            if location.get("string") is not None:
                where += f" at {json.dumps(location['string'])}"
            detail = finding.detail
            fails = finding.issue in FAILING_CODES or finding.issue not in ADVISORY_CODES
            if finding.issue == "UNKNOWN_ACTION" and isinstance(location.get("string"), str):
                reason = ACTIONS_MISSING_FROM_PARLIAMENT.get(location["string"])
                if reason:
                    fails, detail = False, f"{detail} (allowed: {reason})"
            total += 1
            if fails:
                failing += 1
                failing_codes.add(finding.issue)
            message = finding.title.strip().rstrip(".")
            if detail:
                detail = detail if isinstance(detail, str) else json.dumps(detail)
                message = detail if detail.startswith(message) else f"{message}: {detail}"
            print(f"{'FAIL' if fails else 'note'} {finding.issue} [{finding.severity}] {where}: {message}")
    statements = sum(len(d["Statement"]) for _, d in policies)
    summary = (
        f"{label}: {len(policies)} polic{'y' if len(policies) == 1 else 'ies'}, "
        f"{statements} statement{'' if statements == 1 else 's'}, {total} finding{'' if total == 1 else 's'}"
    )
    if failing:
        print(f"{summary}, {failing} failing ({', '.join(sorted(failing_codes))}): FAILED")
    else:
        print(f"{summary}, none failing: OK")
    return failing


# --------------------------------------------------------------------------------------------
# Command line


def _parse_parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("template", help="CloudFormation or SAM template (YAML or JSON)")
    common.add_argument(
        "--role", help="logical id of the AWS::IAM::Role, or in a CDK template its construct path "
        "(Breaker/FunctionRole); default: the SAM function's role, or the only role"
    )
    common.add_argument(
        "--parameter", action="append", default=[], type=_parse_parameter, metavar="NAME=VALUE",
        help="template parameter value (repeatable; default: the parameter's Default)",
    )
    common.add_argument("--account", default="123456789012", help="AWS::AccountId (default %(default)s)")
    common.add_argument("--region", default="us-east-1", help="AWS::Region (default %(default)s)")
    common.add_argument("--stack-name", default="breaker", help="AWS::StackName (default %(default)s)")
    common.add_argument("-o", "--output", help="also write the extracted policy JSON to this file")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("extract", parents=[common], help="print the role's inline policy statements")
    commands.add_parser("check", parents=[common], help="check the role's inline policies with parliament")
    same = commands.add_parser("same", parents=[common], help="compare the roles of two templates")
    same.add_argument("other", help="the template to compare with (the same options but --other-*)")
    same.add_argument("--other-role", metavar="LOGICAL_ID", help="the role in OTHER (default: --role's)")
    same.add_argument(
        "--other-parameter", action="extend", nargs="*", type=_parse_parameter, metavar="NAME=VALUE",
        help="OTHER's parameter values (repeatable; default: --parameter's; without a value: none)",
    )
    same.add_argument(
        "--with-sam-added", action="store_true",
        help="also compare the statements SAM adds to a function's role for its other properties",
    )
    same.add_argument("--with-trust", action="store_true", help="also compare the roles' trust policies")
    same.add_argument(
        "--except-sid", action="append", default=[], metavar="SID",
        help="leave the statements with this Sid out of the comparison, on both sides (repeatable)",
    )
    tests = commands.add_parser("write-test-policies", help="write the policies the Rust tests load")
    tests.add_argument("directory", nargs="?", default=str(TEST_POLICY_DIR), help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.command != "write-test-policies" and not re.fullmatch(r"\d{12}", args.account):
        parser.error(f"--account {args.account}: expected 12 digits")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)  # its parse errors are reported below
    try:
        return run(args)
    except PolicyError as e:
        print(f"policy.py: error: {e}", file=sys.stderr)
        return 2


def load_role(template: str, args: argparse.Namespace) -> tuple[str, list[tuple[str, dict]], list, bool, set, list]:
    """The role's logical id, normalised inline policies, managed policy ARNs, whether the
    template is a SAM one, the logical ids of the policy resources the template itself defines
    (before the SAM transform adds its own), and the normalised statements of its trust policy."""
    original = load_template(template)
    overrides = dict(args.parameter)
    resolver = Resolver(original, overrides, args.account, args.region, args.stack_name)
    translated = original
    sam = has_sam_transform(original)
    if sam:
        translated = sam_translate(original, resolver.parameter_values(), args.region)
        resolver = Resolver(translated, overrides, args.account, args.region, args.stack_name)
    role = choose_role(original, translated, args.role)
    policies, managed = role_policies(resolver, role)
    own_policy_resources = {
        k for k, v in original["Resources"].items() if isinstance(v, dict) and v.get("Type") in POLICY_RESOURCE_TYPES
    }
    normalised = [(name, normalise_document(document)) for name, document in policies]
    trust = resolver.resolve((resolver.resources[role].get("Properties") or {}).get("AssumeRolePolicyDocument", {}))
    trust_statements = [normalise(s) for s in _as_list(trust.get("Statement", []))] if isinstance(trust, dict) else []
    return role, normalised, managed, sam, own_policy_resources, trust_statements


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, as a path and both values; None when equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}: only in the {'first' if key in a else 'second'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            sid = x.get("Sid") if isinstance(x, dict) else None
            found = first_difference(x, y, f"{path}[{i}]" + (f" (Sid {sid})" if sid else ""))
            if found:
                return found
        return None if len(a) == len(b) else f"{path}: {len(a)} items, against {len(b)}"
    return None if a == b else f"{path}: {json.dumps(a)} against {json.dumps(b)}"


def other_side(args: argparse.Namespace) -> argparse.Namespace:
    """The options for OTHER: --other-role and --other-parameter where given."""
    other = argparse.Namespace(**vars(args))
    other.role = args.other_role or args.role
    if args.other_parameter is not None:
        other.parameter = args.other_parameter
    return other


def compare(args: argparse.Namespace) -> int:
    sides = []
    excepted: set[str] = set()
    for template, side in ((args.template, args), (args.other, other_side(args))):
        try:
            role, policies, managed, sam, own_resources, trust = load_role(template, side)
        except PolicyError as e:
            raise PolicyError(f"{template}: {e}") from e
        if sam and not args.with_sam_added:  # SAM names the policies of a function's Policies <Role>Policy0, 1, ...
            own = re.compile(rf"{re.escape(role)}/{re.escape(role)}Policy\d+")
            # in the Policies, or a policy resource of the template
            written = {name for name, _ in policies if own.fullmatch(name) or name in own_resources}
            for name, _ in policies:
                if name not in written:
                    print(f"{template}: not compared: {name} (added by SAM; see --with-sam-added)",
                          file=sys.stderr)
            policies = [(name, d) for name, d in policies if name in written]
        statements = []
        for name, document in policies:
            for statement in document["Statement"]:
                if statement.get("Sid") in args.except_sid:
                    print(f"{template}: not compared: {name} statement Sid {statement['Sid']} (--except-sid)",
                          file=sys.stderr)
                    excepted.add(statement["Sid"])
                else:
                    statements.append(statement)
        sides.append({"ManagedPolicyArns": sorted(map(scalar, managed)), "Statement": statements,
                      **({"Trust": trust} if args.with_trust else {})})
    unused = sorted(set(args.except_sid) - excepted)
    if unused:
        raise PolicyError(f"--except-sid {', '.join(unused)}: no such statement in either template")
    difference = first_difference(*sides)
    if difference:
        print(f"{args.template} and {args.other} differ at {difference.lstrip('.')}: FAILED")
        return 1
    print(f"{args.template} and {args.other}: {len(sides[0]['Statement'])} statements, the same: OK")
    return 0


def merged_text(policies: list[tuple[str, dict]]) -> tuple[dict, str]:
    """Every statement of the role's inline policies as one document, and as extract prints it."""
    merged = {"Version": "2012-10-17", "Statement": [s for _, d in policies for s in d["Statement"]]}
    return merged, json.dumps(merged, indent=2) + "\n"


# --------------------------------------------------------------------------------------------
# The policies the Rust tests load (tests/common/mod.rs `template_policy`), so that the tests'
# fake enforces what the templates grant, not copies written by hand.

ROOT = Path(__file__).resolve().parent.parent
TEST_POLICY_DIR = ROOT / "tests/policies"
# The tests' world (tests/common/mod.rs): the function's account and region, stack `breaker`
# (as scripts/stack.py), the second region and target accounts (teams B and C) the tests use, and the
# bus the function notifies on when NOTIFY_EVENT_BUS is unset ("default").
TEST_ACCOUNT, TEST_REGION, TEST_STACK = "123456789012", "us-east-1", "breaker"
TEST_TEAM_B, TEST_TEAM_C = "222233334444", "333344445555"
TEST_WORLD = ["Regions=us-east-1,eu-west-1", f"TargetAccounts={TEST_TEAM_B}", "NotifyEventBus=default"]
# The roles team B's target role trusts: the fake's names of the breaker's and the check's roles
# (fake_aws::FUNCTION_ROLE, scripts/stack.py). Only its trust policy, never extracted, uses them.
TEST_TARGET_ROLE = [
    f"CentralRoleArn=arn:aws:iam::{TEST_ACCOUNT}:role/deployment-circuit-breaker-FunctionRole",
    f"CentralCheckRoleArn=arn:aws:iam::{TEST_ACCOUNT}:role/deployment-circuit-breaker-ReadinessCheckFunctionRole",
    "Regions=us-east-1,eu-west-1",
]
# File name: (template, role, parameters, account). Each variant differs from the world in one
# parameter.
TEST_POLICIES = {
    "FunctionRole.json": ("template.yaml", "FunctionRole", TEST_WORLD, TEST_ACCOUNT),
    "FunctionRole.home-region.json": (
        "template.yaml", "FunctionRole", [p for p in TEST_WORLD if not p.startswith("Regions=")], TEST_ACCOUNT,
    ),
    "FunctionRole.redeploys.json": (
        "template.yaml", "FunctionRole", TEST_WORLD + ["RollbackCompletedWithin=1800"], TEST_ACCOUNT,
    ),
    "GateFunctionRole.json": ("template.yaml", "GateFunctionRole", TEST_WORLD, TEST_ACCOUNT),
    "ReadinessCheckFunctionRole.json": ("template.yaml", "ReadinessCheckFunctionRole", TEST_WORLD, TEST_ACCOUNT),
    "ReadinessCheckFunctionRole.two-target-accounts.json": (
        "template.yaml", "ReadinessCheckFunctionRole",
        [p if not p.startswith("TargetAccounts=") else f"{p},{TEST_TEAM_C}" for p in TEST_WORLD], TEST_ACCOUNT,
    ),
    "TargetRole.json": ("templates/target-role.yaml", "Role", TEST_TARGET_ROLE, TEST_TEAM_B),
}


def write_test_policies(directory: str) -> int:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    # samtranslator warns of its unpublished metrics when a second translation drops the first's
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
    readme = [
        "# Generated: the IAM policies the Rust tests load (tests/common/mod.rs `template_policy`)",
        "",
        "Each is what a template grants a role, as SAM synthesises it and `scripts/policy.py extract`",
        "prints it, for the tests' world (account, regions, stack). Do not edit: after changing a",
        "template, run `python3 scripts/policy.py write-test-policies` (in the venv of",
        "`scripts/dev-env.sh`); `scripts/test.sh` fails when these differ from the templates.",
        "",
        f"Stack `{TEST_STACK}`, region `{TEST_REGION}`.",
        "",
        "| file | template | role | account | parameters |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, (template, role, parameters, account) in TEST_POLICIES.items():
        args = argparse.Namespace(
            role=role, parameter=[_parse_parameter(p) for p in parameters], account=account,
            region=TEST_REGION, stack_name=TEST_STACK,
        )
        _, policies, _, _, _, _ = load_role(str(ROOT / template), args)
        merged, text = merged_text(policies)
        (out / name).write_text(text)
        print(f"{out / name}: {len(merged['Statement'])} statements of {template} {role}", file=sys.stderr)
        readme.append(f"| {name} | {template} | {role} | {account} | {' '.join(parameters)} |")
    (out / "README.md").write_text("\n".join(readme) + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.command == "same":
        return compare(args)
    if args.command == "write-test-policies":
        return write_test_policies(args.directory)
    role, policies, managed, _, _, _ = load_role(args.template, args)
    for arn in managed:
        print(f"{role}: managed policy (not merged): {arn if isinstance(arn, str) else json.dumps(arn)}",
              file=sys.stderr)
    merged, text = merged_text(policies)
    if args.output:
        Path(args.output).write_text(text)
    if args.command == "check":
        return 1 if check_policies(policies, f"{args.template} {role}") else 0
    names = ", ".join(name for name, _ in policies) or "no inline policy"
    print(f"{role}: {len(merged['Statement'])} statements from {names}", file=sys.stderr)
    if not args.output:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
