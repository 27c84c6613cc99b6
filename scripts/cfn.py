"""CloudFormation templates offline: load_template (cfn-lint's decoder), sam_translate (the SAM
transform, by samtranslator) and Resolver (intrinsic functions, conditions, parameters and pseudo
parameters, for fixed parameter values). Every problem raises TemplateError.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import importlib
import json
import re
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
SAM_FUNCTION = "AWS::Serverless::Function"


class TemplateError(Exception):
    """A template, parameter or resolution problem, worded for the user."""


# --------------------------------------------------------------------------------------------
# Loading and SAM translation


def need(module: str, package: str) -> Any:
    """Import a module of the pinned tools, or say how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise TemplateError(
            f"cannot import {module} ({e}): install {package} from scripts/requirements-dev.txt, "
            "e.g. `source scripts/dev-env.sh` and run policy.py with that venv's python3"
        ) from e


def _plain(value: Any) -> Any:
    """Turn cfn-lint's decoded nodes into plain JSON-able Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()  # YAML reads an unquoted 2012-10-17 as a date
    return value


def load_template(path: str) -> dict:
    """Parse a YAML (short-form tags included) or JSON template with cfn-lint's decoder."""
    decode = need("cfnlint.decode", "cfn-lint").decode
    template, matches = decode(path)
    if matches:
        raise TemplateError(f"cannot parse {path}:\n" + "\n".join(f"  {m}" for m in matches))
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources section)")
    return _plain(template)


def has_sam_transform(template: dict) -> bool:
    transform = template.get("Transform", [])
    return SAM_TRANSFORM in (transform if isinstance(transform, list) else [transform])


def sam_translate(template: dict, parameters: dict[str, str], region: str) -> dict:
    """Translate a SAM template to CloudFormation offline, as the SAM transform would.

    No AWS call: the boto3 session only carries the region, and managed policies named by
    name are looked up in samtranslator's bundled map only (an unknown name stays as given).
    """
    need("samtranslator", "aws-sam-translator")
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(template)
    _replace_local_uris(template)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return translator.translate(template, parameter_values=dict(parameters), get_managed_policy_map=dict)
    except InvalidDocumentException as e:
        causes = "\n".join(f"  {c.message}" for c in e.causes)
        raise TemplateError(f"the SAM transform rejects the template:\n{causes}") from e


# Local code and definition paths that `sam package` would upload, by SAM resource type.
LOCAL_URI_PROPERTIES = {
    SAM_FUNCTION: "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}


def _replace_local_uris(template: dict) -> None:
    """Replace local paths by a placeholder S3 URI, as `sam validate` does: the transform
    accepts only S3 locations, and the code itself is never read."""

    def replace(properties: dict, key: str) -> None:
        value = properties.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            properties[key] = "s3://bucket/value"

    for kind, properties in (template.get("Globals") or {}).items():
        if kind == "Function" and isinstance(properties, dict):
            replace(properties, "CodeUri")
    for resource in template["Resources"].values():
        key = LOCAL_URI_PROPERTIES.get(resource.get("Type") if isinstance(resource, dict) else None)
        if key and isinstance(resource.get("Properties"), dict):
            replace(resource["Properties"], key)


# --------------------------------------------------------------------------------------------
# Intrinsic functions

NO_VALUE = object()  # AWS::NoValue: the key or list element disappears


def _show(value: Any) -> str:
    """A resolved value as JSON, for messages (NO_VALUE shown as the Ref it came from)."""
    return json.dumps(value, default=lambda v: {"Ref": "AWS::NoValue"} if v is NO_VALUE else repr(v))


# CloudFormation resource types whose Ref / Fn::GetAtt can be computed offline:
# (name property, Ref value, {attribute: value}). Placeholders: {p} partition, {r} region,
# {a} account, {u} URL suffix, {name} physical name, {path} IAM path, {bus} "bus/" of a rule on a
# custom event bus, {busref} "bus|" for its Ref.
RESOURCE_TYPES: dict[str, tuple[str, str, dict[str, str]]] = {
    "AWS::IAM::Role": ("RoleName", "{name}", {"Arn": "arn:{p}:iam::{a}:role{path}{name}"}),
    "AWS::IAM::ManagedPolicy": (
        "ManagedPolicyName",
        "arn:{p}:iam::{a}:policy{path}{name}",
        {"PolicyArn": "arn:{p}:iam::{a}:policy{path}{name}"},
    ),
    "AWS::SQS::Queue": (
        "QueueName",
        "https://sqs.{r}.{u}/{a}/{name}",
        {
            "Arn": "arn:{p}:sqs:{r}:{a}:{name}",
            "QueueName": "{name}",
            "QueueUrl": "https://sqs.{r}.{u}/{a}/{name}",
        },
    ),
    "AWS::SNS::Topic": (
        "TopicName",
        "arn:{p}:sns:{r}:{a}:{name}",
        {"TopicArn": "arn:{p}:sns:{r}:{a}:{name}", "TopicName": "{name}"},
    ),
    "AWS::Lambda::Function": ("FunctionName", "{name}", {"Arn": "arn:{p}:lambda:{r}:{a}:function:{name}"}),
    "AWS::Events::EventBus": (
        "Name",
        "{name}",
        {"Arn": "arn:{p}:events:{r}:{a}:event-bus/{name}", "Name": "{name}"},
    ),
    "AWS::Events::Rule": ("Name", "{busref}{name}", {"Arn": "arn:{p}:events:{r}:{a}:rule/{bus}{name}"}),
    "AWS::Logs::LogGroup": ("LogGroupName", "{name}", {"Arn": "arn:{p}:logs:{r}:{a}:log-group:{name}:*"}),
    "AWS::S3::Bucket": ("BucketName", "{name}", {"Arn": "arn:{p}:s3:::{name}"}),
    "AWS::DynamoDB::Table": ("TableName", "{name}", {"Arn": "arn:{p}:dynamodb:{r}:{a}:table/{name}"}),
    # For the dashboard's alarm widgets, not for policies.
    "AWS::CloudWatch::Alarm": ("AlarmName", "{name}", {"Arn": "arn:{p}:cloudwatch:{r}:{a}:alarm:{name}"}),
}


def _partition(region: str) -> tuple[str, str]:
    """Partition and URL suffix of a region."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def scalar(value: Any) -> str:
    """A scalar as CloudFormation passes it on: booleans lower-case, numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise TemplateError(f"expected a string, got {_show(value)}")


class Resolver:
    """Resolves intrinsic functions of a (translated) template for fixed parameter values."""

    def __init__(self, template: dict, overrides: dict[str, str], account: str, region: str, stack: str):
        self.template = template
        self.resources: dict = template.get("Resources", {})
        self.parameters: dict = template.get("Parameters", {}) or {}
        for name in overrides:
            if name not in self.parameters:
                raise TemplateError(f"--parameter {name}: the template has no parameter {name}")
        self.overrides = overrides
        partition, suffix = _partition(region)
        self.fmt = {"p": partition, "r": region, "a": account, "u": suffix}
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            "AWS::URLSuffix": suffix,
            "AWS::StackName": stack,
            "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/"
            "00000000-0000-0000-0000-000000000000",
            "AWS::NotificationARNs": [],
        }
        self.stack = stack
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []

    def parameter_values(self) -> dict[str, str]:
        """Defaults overridden by --parameter, for the SAM translator (which also resolves some)."""
        values = {n: scalar(p["Default"]) for n, p in self.parameters.items() if "Default" in p}
        values.update(self.overrides)
        return values

    # -- values --

    def parameter(self, name: str) -> Any:
        spec = self.parameters[name]
        if name in self.overrides:
            value = self.overrides[name]
        elif "Default" in spec:
            value = scalar(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default: pass --parameter {name}=VALUE")
        kind = str(spec.get("Type", "String"))
        if kind.startswith("AWS::SSM::Parameter::Value") and name not in self.overrides:
            raise TemplateError(f"parameter {name} is read from SSM: pass --parameter {name}=VALUE")
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<") or "<List<" in kind
        items = value.split(",") if is_list else [value]
        allowed = [scalar(v) for v in spec.get("AllowedValues", [])]
        for item in items:
            if allowed and item not in allowed:
                raise TemplateError(f"parameter {name}={value!r}: not one of AllowedValues {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern and not re.fullmatch(pattern, item):
                raise TemplateError(f"parameter {name}={value!r}: does not match AllowedPattern {pattern}")
        return items if is_list else value

    def condition(self, name: str) -> bool:
        """Value of a named condition of the template's Conditions section."""
        if not isinstance(name, str):
            raise TemplateError(f"expected a condition name, got {_show(name)}")
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {}) or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name}")
            if name in self._evaluating:
                loop = " -> ".join(self._evaluating + [name])
                raise TemplateError(f"conditions refer to each other in a loop: {loop}")
            self._evaluating.append(name)
            try:
                self._conditions[name] = self.boolean(conditions[name], f"condition {name}")
            finally:  # a caller may catch the error and go on: no false loop afterwards
                self._evaluating.pop()
        return self._conditions[name]

    def boolean(self, value: Any, where: str) -> bool:
        if isinstance(value, dict) and list(value) == ["Condition"]:
            return self.condition(value["Condition"])
        result = self.resolve(value)
        if not isinstance(result, bool):
            raise TemplateError(f"{where}: expected a condition function, got {_show(value)}")
        return result

    def physical(self, logical_id: str) -> tuple[dict, str]:
        """The resource and its physical name (its name property, or one made up, as
        CloudFormation would: stack, logical id and a stable suffix).

        A resource the AWS CDK synthesised (`aws:cdk:path` metadata) is named after its
        construct's id instead (_construct_id) unless another resource of its type has the same
        one: only so that a construct named like a template's resource compares equal with it
        (policy.py same), e.g. CDK's BreakerFunctionRole1A2B3C4D (.../FunctionRole/Resource) with
        SAM's FunctionRole. CloudFormation's own made-up names end in a random suffix anyway.
        """
        if not isinstance(logical_id, str):
            raise TemplateError(f"expected a logical id, got {_show(logical_id)}")
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"reference to {logical_id}: no such parameter, pseudo parameter or resource")
        if "Condition" in resource and not self.condition(resource["Condition"]):
            raise TemplateError(
                f"reference to {logical_id}, which is not created with these parameters "
                f"(its condition {resource['Condition']} is false)"
            )
        kind = resource.get("Type", "")
        if kind not in RESOURCE_TYPES:
            raise TemplateError(f"reference to {logical_id}: policy.py does not support resource type {kind}")
        properties = resource.get("Properties", {}) or {}
        name = self._property(properties, RESOURCE_TYPES[kind][0], None)
        if name is None:  # absent, or !Ref AWS::NoValue: CloudFormation makes one up
            own_id = self._own_id(logical_id, resource)
            digest = hashlib.sha256(own_id.encode()).hexdigest()[:12].upper()
            name = f"{self.stack}-{own_id}-{digest}"
            if kind == "AWS::S3::Bucket":
                name = name.lower()
            if kind == "AWS::SQS::Queue" and scalar(self._property(properties, "FifoQueue", False)) == "true":
                name += ".fifo"
        return resource, scalar(name)

    def _own_id(self, logical_id: str, resource: dict) -> str:
        """The id a made-up name is made from: the CDK construct's, when no other resource of the
        type shares it (two ServiceRoles of two functions keep names as distinct as their logical
        ids), else the logical id."""
        own = _construct_id(resource)
        if own is None:
            return logical_id
        sharing = [k for k, v in self.resources.items()
                   if isinstance(v, dict) and v.get("Type") == resource["Type"] and _construct_id(v) == own]
        return own if sharing == [logical_id] else logical_id

    def _property(self, properties: dict, key: str, default: Any) -> Any:
        """A resolved property; the default when it is absent or resolves to AWS::NoValue."""
        value = self.resolve(properties.get(key, default))
        return default if value is NO_VALUE else value

    def _format(self, template: str, logical_id: str) -> str:
        resource, name = self.physical(logical_id)
        properties = resource.get("Properties", {}) or {}
        path = scalar(self._property(properties, "Path", "/"))
        bus = scalar(self._property(properties, "EventBusName", "default"))
        bus = bus.rsplit("event-bus/", 1)[-1]
        custom_bus = resource["Type"] == "AWS::Events::Rule" and bus != "default"
        return template.format(
            name=name,
            path=path,
            bus=f"{bus}/" if custom_bus else "",
            busref=f"{bus}|" if custom_bus else "",
            **self.fmt,
        )

    def ref(self, name: str) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref: expected a name, got {_show(name)}")
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameter(name)
        resource, _ = self.physical(name)
        return self._format(RESOURCE_TYPES[resource["Type"]][1], name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource, _ = self.physical(logical_id)
        attributes = RESOURCE_TYPES[resource["Type"]][2]
        if attribute not in attributes:
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{attribute}: attribute {attribute} of {resource['Type']} is not "
                f"supported by policy.py (supported: {', '.join(sorted(attributes))})"
            )
        return self._format(attributes[attribute], logical_id)

    # -- functions --

    def sub(self, argument: Any) -> str:
        if isinstance(argument, list) and len(argument) == 2:
            text, variables = argument
            if not isinstance(variables, dict):
                raise TemplateError(f"Fn::Sub: expected a map of variables, got {_show(variables)}")
            variables = {k: self.resolve(v) for k, v in variables.items()}
        else:
            text, variables = argument, {}
        if not isinstance(text, str):
            raise TemplateError(f"Fn::Sub: expected a string, got {_show(text)}")

        def replace(match: re.Match) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return scalar(variables[name])
            if "." in name and name not in self.pseudo:
                return self.get_att(*name.split(".", 1))
            value = self.ref(name)
            if value is NO_VALUE or isinstance(value, list):
                raise TemplateError(f"Fn::Sub: ${{{name}}} is not a string")
            return scalar(value)

        return re.sub(r"\$\{([^}]*)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function in value; NO_VALUE for AWS::NoValue."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key.startswith("Fn::"):
                return self.function(key, argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def function(self, key: str, argument: Any) -> Any:
        def args(count: int) -> list:
            if not isinstance(argument, list) or len(argument) != count:
                raise TemplateError(f"{key}: expected a list of {count} arguments, got {_show(argument)}")
            return argument

        if key == "Fn::Sub":
            return self.sub(argument)
        if key == "Fn::If":
            name, if_true, if_false = args(3)
            return self.resolve(if_true if self.condition(name) else if_false)
        if key == "Fn::Equals":
            left, right = (self.resolve(a) for a in args(2))
            return json.dumps(_canonical(left)) == json.dumps(_canonical(right))
        if key == "Fn::Not":
            return not self.boolean(args(1)[0], key)
        if key in ("Fn::And", "Fn::Or"):
            if not isinstance(argument, list) or not argument:
                raise TemplateError(f"{key}: expected a list of conditions")
            values = [self.boolean(a, key) for a in argument]
            return all(values) if key == "Fn::And" else any(values)
        if key == "Fn::Split":
            delimiter, text = args(2)
            if not isinstance(delimiter, str) or not delimiter:
                raise TemplateError(f"Fn::Split: expected a delimiter string, got {_show(delimiter)}")
            return scalar(self.resolve(text)).split(delimiter)
        if key == "Fn::Join":
            delimiter, items = args(2)
            if not isinstance(delimiter, str):
                raise TemplateError(f"Fn::Join: expected a delimiter string, got {_show(delimiter)}")
            items = self.resolve(items)
            if not isinstance(items, list):
                raise TemplateError(f"Fn::Join: expected a list, got {_show(items)}")
            return delimiter.join(scalar(i) for i in items)
        if key == "Fn::Select":
            index, items = args(2)
            index, items = scalar(self.resolve(index)), self.resolve(items)
            if not re.fullmatch(r"\d+", index):
                raise TemplateError(f"Fn::Select: expected an index, got {_show(index)}")
            if not isinstance(items, list) or not int(index) < len(items):
                raise TemplateError(f"Fn::Select: index {index} out of range of {_show(items)}")
            return items[int(index)]
        if key == "Fn::GetAtt":
            target = argument.split(".", 1) if isinstance(argument, str) else argument
            if not isinstance(target, list) or len(target) != 2:
                raise TemplateError(f"Fn::GetAtt: expected [resource, attribute], got {_show(argument)}")
            return self.get_att(target[0], scalar(self.resolve(target[1])))
        if key == "Fn::FindInMap":
            names = [scalar(self.resolve(a)) for a in args(3)]
            try:
                return self.resolve(self.template["Mappings"][names[0]][names[1]][names[2]])
            except (KeyError, TypeError):
                raise TemplateError(f"Fn::FindInMap: no entry {'/'.join(names)}") from None
        raise TemplateError(f"{key} is not supported by scripts/cfn.py")


def _construct_id(resource: dict) -> str | None:
    """The id of the CDK construct a resource is (`aws:cdk:path` Stack/Breaker/FunctionRole/Resource:
    FunctionRole; the element before a last Resource or Default), None without that metadata."""
    metadata = resource.get("Metadata")
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    parts = [p for p in path.split("/") if p] if isinstance(path, str) else []
    if len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts.pop()
    return parts[-1] if parts else None


def _canonical(value: Any) -> Any:
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return scalar(value)
