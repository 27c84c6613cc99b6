"""Unit tests of cfn.py's Resolver: intrinsic functions, conditions, parameters (defaults,
overrides, lists, AllowedValues / AllowedPattern, SSM), pseudo parameters, Ref / Fn::GetAtt of the
supported resource types (of a template the AWS CDK synthesised too), and the TemplateError raised
on what it does not support.

Run by scripts/test.sh: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile
import unittest

from cfn import NO_VALUE, Resolver, TemplateError, has_sam_transform, load_template, scalar

ACCOUNT = "111122223333"
REGION = "eu-west-1"
STACK = "breaker"

PARAMETERS = {
    "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
    "Timeout": {"Type": "Number", "Default": 1800},
    "Notify": {"Type": "String", "Default": True},  # YAML `Default: true` decodes to a bool
    "Regions": {"Type": "CommaDelimitedList", "Default": "us-east-1,eu-west-1"},
    "Accounts": {"Type": "List<String>", "Default": ""},
    "Bus": {"Type": "String", "Default": ""},
    "Required": {"Type": "String"},
    "Prefix": {"Type": "String", "Default": "app", "AllowedPattern": "[a-z]+"},
    "Zones": {"Type": "CommaDelimitedList", "Default": "a", "AllowedValues": ["a", "b"]},
    "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/config/name"},
    "ListFromSsm": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/config/list"},
}

CONDITIONS = {
    "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
    "Notifies": {"Fn::Equals": [{"Ref": "Notify"}, True]},
    "HasBus": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Bus"}, ""]}]},
    "ProdAndNotifies": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "Notifies"}]},
    "DevOrBus": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "HasBus"}]},
    "Nested": {
        "Fn::Or": [
            {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": [{"Ref": "Timeout"}, "60"]}]},
            {"Fn::Not": [{"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "HasBus"}]}]},
        ]
    },
}

RESOURCES = {
    "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "breaker-role"}},
    "PathRole": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/service/", "RoleName": "r"}},
    "UnnamedRole": {"Type": "AWS::IAM::Role", "Properties": {}},
    "SubNamedRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::Sub": "${AWS::StackName}-${Env}"}}},
    "MaybeNamedRole": {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": {"Fn::If": ["HasBus", "named", {"Ref": "AWS::NoValue"}]}},
    },
    "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "p", "Path": "/x/"}},
    "Queue": {"Type": "AWS::SQS::Queue"},
    "NamedQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
    "Fifo": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
    "Function": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "fn"}},
    "EventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "notifications"}},
    "DefaultRule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "on-alarm"}},
    "BusRule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "fwd", "EventBusName": {"Ref": "EventBus"}}},
    "ArnBusRule": {
        "Type": "AWS::Events::Rule",
        "Properties": {"Name": "fwd", "EventBusName": "arn:aws:events:eu-west-1:111122223333:event-bus/ops"},
    },
    "ExplicitDefaultBusRule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "r", "EventBusName": "default"}},
    "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/fn"}},
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "state"}},
    "DevOnly": {"Type": "AWS::SNS::Topic", "Condition": "IsDev", "Properties": {"TopicName": "dev"}},
    "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "queue-age"}},
    "UnnamedAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
    "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {}},
}

MAPPINGS = {
    "RegionMap": {
        "eu-west-1": {"Short": "euw1", "Names": ["a", {"Ref": "Env"}]},
        "us-east-1": {"Short": "use1"},
    },
    "Index": {"Of": {"Last": 2}},
}


def template(**sections) -> dict:
    base = {
        "Parameters": PARAMETERS,
        "Conditions": CONDITIONS,
        "Resources": RESOURCES,
        "Mappings": MAPPINGS,
    }
    base.update(sections)
    return copy.deepcopy(base)


def resolver(overrides: dict | None = None, region: str = REGION, **sections) -> Resolver:
    overrides = {"Required": "given", **(overrides or {})}
    return Resolver(template(**sections), overrides, ACCOUNT, region, STACK)


class CfnTestCase(unittest.TestCase):
    @contextlib.contextmanager
    def assertRaisesTemplateError(self, *message_parts: str):
        """A TemplateError whose message contains each part (any other exception goes through)."""
        with self.assertRaises(TemplateError) as caught:
            yield
        for part in message_parts:
            self.assertIn(part, str(caught.exception))


class PseudoParameters(CfnTestCase):
    def test_values(self):
        r = resolver()
        self.assertEqual(r.resolve({"Ref": "AWS::AccountId"}), ACCOUNT)
        self.assertEqual(r.resolve({"Ref": "AWS::Region"}), REGION)
        self.assertEqual(r.resolve({"Ref": "AWS::Partition"}), "aws")
        self.assertEqual(r.resolve({"Ref": "AWS::URLSuffix"}), "amazonaws.com")
        self.assertEqual(r.resolve({"Ref": "AWS::StackName"}), STACK)
        self.assertEqual(
            r.resolve({"Ref": "AWS::StackId"}),
            "arn:aws:cloudformation:eu-west-1:111122223333:stack/breaker/00000000-0000-0000-0000-000000000000",
        )
        self.assertEqual(r.resolve({"Ref": "AWS::NotificationARNs"}), [])

    def test_china_partition(self):
        r = resolver(region="cn-north-1")
        self.assertEqual(r.resolve({"Ref": "AWS::Partition"}), "aws-cn")
        self.assertEqual(r.resolve({"Ref": "AWS::URLSuffix"}), "amazonaws.com.cn")
        self.assertEqual(
            r.resolve({"Fn::GetAtt": ["Table", "Arn"]}), "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/state"
        )
        self.assertEqual(
            r.resolve({"Ref": "NamedQueue"}), "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/jobs"
        )

    def test_gov_cloud_partition(self):
        r = resolver(region="us-gov-west-1")
        self.assertEqual(r.resolve({"Ref": "AWS::Partition"}), "aws-us-gov")
        self.assertEqual(r.resolve({"Ref": "AWS::URLSuffix"}), "amazonaws.com")

    def test_no_value_disappears(self):
        r = resolver()
        self.assertIs(r.resolve({"Ref": "AWS::NoValue"}), NO_VALUE)
        self.assertEqual(r.resolve(["a", {"Ref": "AWS::NoValue"}, "b"]), ["a", "b"])
        self.assertEqual(r.resolve({"Keep": "x", "Drop": {"Ref": "AWS::NoValue"}}), {"Keep": "x"})

    def test_plain_values_pass_through(self):
        r = resolver()
        self.assertEqual(r.resolve("text"), "text")
        self.assertEqual(r.resolve(42), 42)
        self.assertIsNone(r.resolve(None))
        # A map of more than one key is data, even with a Ref among its keys; its values resolve.
        self.assertEqual(r.resolve({"Ref": "Env", "Other": {"Ref": "Env"}}), {"Ref": "Env", "Other": "prod"})
        # A single key that is no function is data too.
        self.assertEqual(r.resolve({"Key": {"Ref": "AWS::Region"}}), {"Key": REGION})


class Parameters(CfnTestCase):
    def test_default_and_override(self):
        self.assertEqual(resolver().resolve({"Ref": "Env"}), "prod")
        self.assertEqual(resolver({"Env": "dev"}).resolve({"Ref": "Env"}), "dev")

    def test_defaults_are_strings(self):
        r = resolver()
        self.assertEqual(r.resolve({"Ref": "Timeout"}), "1800")
        self.assertEqual(r.resolve({"Ref": "Notify"}), "true")

    def test_lists(self):
        r = resolver()
        self.assertEqual(r.resolve({"Ref": "Regions"}), ["us-east-1", "eu-west-1"])
        self.assertEqual(r.resolve({"Ref": "Accounts"}), [""])
        r = resolver({"Accounts": "222233334444,333344445555", "Regions": "us-west-2"})
        self.assertEqual(r.resolve({"Ref": "Accounts"}), ["222233334444", "333344445555"])
        self.assertEqual(r.resolve({"Ref": "Regions"}), ["us-west-2"])

    def test_required_parameter(self):
        self.assertEqual(resolver().resolve({"Ref": "Required"}), "given")
        r = Resolver(template(), {}, ACCOUNT, REGION, STACK)
        with self.assertRaisesTemplateError("Required has no default", "--parameter Required=VALUE"):
            r.resolve({"Ref": "Required"})

    def test_unknown_override(self):
        with self.assertRaisesTemplateError("--parameter Nope", "no parameter Nope"):
            resolver({"Nope": "x"})

    def test_allowed_values(self):
        with self.assertRaisesTemplateError("Env='staging'", "AllowedValues"):
            resolver({"Env": "staging"}).resolve({"Ref": "Env"})
        self.assertEqual(resolver({"Zones": "a,b"}).resolve({"Ref": "Zones"}), ["a", "b"])
        with self.assertRaisesTemplateError("Zones='a,c'", "AllowedValues"):
            resolver({"Zones": "a,c"}).resolve({"Ref": "Zones"})

    def test_allowed_values_are_compared_as_text(self):
        parameters = {"Size": {"Type": "Number", "Default": 2, "AllowedValues": [1, 2]}}
        r = Resolver(template(Parameters=parameters), {}, ACCOUNT, REGION, STACK)
        self.assertEqual(r.resolve({"Ref": "Size"}), "2")

    def test_allowed_pattern_matches_whole_value(self):
        self.assertEqual(resolver({"Prefix": "abc"}).resolve({"Ref": "Prefix"}), "abc")
        with self.assertRaisesTemplateError("Prefix='abc1'", "AllowedPattern [a-z]+"):
            resolver({"Prefix": "abc1"}).resolve({"Ref": "Prefix"})

    def test_ssm_parameters_need_a_value(self):
        with self.assertRaisesTemplateError("FromSsm is read from SSM", "--parameter FromSsm=VALUE"):
            resolver().resolve({"Ref": "FromSsm"})
        self.assertEqual(resolver({"FromSsm": "v"}).resolve({"Ref": "FromSsm"}), "v")
        self.assertEqual(resolver({"ListFromSsm": "x,y"}).resolve({"Ref": "ListFromSsm"}), ["x", "y"])

    def test_parameter_values_for_the_translator(self):
        values = resolver({"Env": "dev"}).parameter_values()
        self.assertEqual(values["Env"], "dev")
        self.assertEqual(values["Timeout"], "1800")
        self.assertEqual(values["Notify"], "true")
        self.assertEqual(values["Regions"], "us-east-1,eu-west-1")
        self.assertEqual(values["Required"], "given")
        no_overrides = Resolver(template(), {}, ACCOUNT, REGION, STACK).parameter_values()
        self.assertNotIn("Required", no_overrides)

    def test_template_without_parameters(self):
        r = Resolver({"Resources": {}, "Parameters": None}, {}, ACCOUNT, REGION, STACK)
        self.assertEqual(r.resolve({"Fn::Sub": "${AWS::Region}"}), REGION)
        with self.assertRaisesTemplateError("reference to Env"):
            r.resolve({"Ref": "Env"})


class Conditions(CfnTestCase):
    def test_equals(self):
        r = resolver()
        self.assertTrue(r.resolve({"Fn::Equals": ["a", "a"]}))
        self.assertFalse(r.resolve({"Fn::Equals": ["a", "b"]}))
        self.assertTrue(r.resolve({"Fn::Equals": [{"Ref": "Timeout"}, 1800]}))
        self.assertTrue(r.resolve({"Fn::Equals": [{"Ref": "Regions"}, ["us-east-1", "eu-west-1"]]}))
        self.assertFalse(r.resolve({"Fn::Equals": [{"Ref": "Regions"}, "us-east-1,eu-west-1"]}))

    def test_named_conditions_follow_parameters(self):
        prod, dev = resolver(), resolver({"Env": "dev", "Bus": "ops", "Notify": "false"})
        self.assertEqual([prod.condition(c) for c in CONDITIONS], [True, False, True, False, True, False, False])
        self.assertEqual([dev.condition(c) for c in CONDITIONS], [False, True, False, True, False, True, False])

    def test_nested_conditions(self):
        self.assertTrue(resolver({"Env": "dev", "Timeout": "60"}).condition("Nested"))
        self.assertFalse(resolver({"Env": "dev", "Timeout": "61", "Bus": "b"}).condition("Nested"))
        self.assertTrue(resolver({"Env": "dev", "Timeout": "61"}).condition("Nested"))

    def test_functions_with_condition_references(self):
        r = resolver()
        self.assertFalse(r.resolve({"Fn::Not": [{"Condition": "IsProd"}]}))
        self.assertTrue(r.resolve({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["x", "x"]}]}))
        self.assertFalse(r.resolve({"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}))
        self.assertTrue(r.resolve({"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]}))
        self.assertFalse(r.resolve({"Fn::Or": [{"Condition": "IsDev"}, {"Fn::Equals": ["x", "y"]}]}))

    def test_conditions_are_evaluated_once(self):
        r = resolver()
        self.assertTrue(r.condition("IsProd"))
        r.template["Conditions"]["IsProd"] = {"Fn::Equals": ["a", "b"]}
        self.assertTrue(r.condition("IsProd"))

    def test_unknown_condition(self):
        with self.assertRaisesTemplateError("unknown condition Nope"):
            resolver().condition("Nope")
        with self.assertRaisesTemplateError("unknown condition Nope"):
            resolver().resolve({"Fn::If": ["Nope", 1, 2]})

    def test_condition_name_must_be_a_string(self):
        with self.assertRaisesTemplateError("expected a condition name"):
            resolver().resolve({"Fn::If": [{"Ref": "Env"}, 1, 2]})

    def test_loop(self):
        conditions = {"A": {"Fn::Not": [{"Condition": "B"}]}, "B": {"Fn::Not": [{"Condition": "A"}]}}
        with self.assertRaisesTemplateError("in a loop: A -> B -> A"):
            resolver(Conditions=conditions).condition("A")

    def test_a_failed_condition_is_no_loop_afterwards(self):
        conditions = {"Bad": {"Fn::Equals": [{"Ref": "Required"}, "x"]}}
        r = Resolver(template(Conditions=conditions), {}, ACCOUNT, REGION, STACK)
        for _ in range(2):  # policy.py catches the error and may ask again
            with self.assertRaisesTemplateError("Required has no default"):
                r.condition("Bad")

    def test_condition_must_be_a_function(self):
        with self.assertRaisesTemplateError("condition Bad: expected a condition function", '"true"'):
            resolver(Conditions={"Bad": "true"}).condition("Bad")
        with self.assertRaisesTemplateError("Fn::Not: expected a condition function"):
            resolver().resolve({"Fn::Not": ["yes"]})
        with self.assertRaisesTemplateError("Fn::And: expected a condition function"):
            resolver().resolve({"Fn::And": [{"Condition": "IsProd"}, {"Ref": "Env"}]})

    def test_argument_shapes(self):
        with self.assertRaisesTemplateError("Fn::Equals: expected a list of 2 arguments"):
            resolver().resolve({"Fn::Equals": ["a"]})
        with self.assertRaisesTemplateError("Fn::Not: expected a list of 1 arguments"):
            resolver().resolve({"Fn::Not": {"Condition": "IsProd"}})
        with self.assertRaisesTemplateError("Fn::And: expected a list of conditions"):
            resolver().resolve({"Fn::And": []})
        with self.assertRaisesTemplateError("Fn::Or: expected a list of conditions"):
            resolver().resolve({"Fn::Or": {"Condition": "IsProd"}})


class If(CfnTestCase):
    def test_branches(self):
        value = {"Fn::If": ["IsProd", "p", {"Ref": "Env"}]}
        self.assertEqual(resolver().resolve(value), "p")
        self.assertEqual(resolver({"Env": "dev"}).resolve(value), "dev")

    def test_only_the_chosen_branch_is_resolved(self):
        value = {"Fn::If": ["IsProd", "p", {"Ref": "Required"}]}
        self.assertEqual(Resolver(template(), {}, ACCOUNT, REGION, STACK).resolve(value), "p")

    def test_no_value_branch_disappears(self):
        value = {"Statement": ["a", {"Fn::If": ["IsDev", "b", {"Ref": "AWS::NoValue"}]}],
                 "Extra": {"Fn::If": ["IsDev", "e", {"Ref": "AWS::NoValue"}]}}
        self.assertEqual(resolver().resolve(value), {"Statement": ["a"]})
        self.assertEqual(resolver({"Env": "dev"}).resolve(value), {"Statement": ["a", "b"], "Extra": "e"})

    def test_nested(self):
        value = {"Fn::If": ["IsProd", {"Fn::If": ["HasBus", {"Fn::Sub": "bus-${Bus}"}, "no-bus"]}, "dev"]}
        self.assertEqual(resolver().resolve(value), "no-bus")
        self.assertEqual(resolver({"Bus": "ops"}).resolve(value), "bus-ops")
        self.assertEqual(resolver({"Env": "dev", "Bus": "ops"}).resolve(value), "dev")

    def test_argument_count(self):
        with self.assertRaisesTemplateError("Fn::If: expected a list of 3 arguments"):
            resolver().resolve({"Fn::If": ["IsProd", "a"]})


class Sub(CfnTestCase):
    def test_string_form(self):
        r = resolver()
        self.assertEqual(
            r.resolve({"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Env}-q"}),
            "arn:aws:sqs:eu-west-1:111122223333:prod-q",
        )
        self.assertEqual(r.resolve({"Fn::Sub": "${Timeout}s ${Notify}"}), "1800s true")
        self.assertEqual(r.resolve({"Fn::Sub": "no variables"}), "no variables")

    def test_resources_and_attributes(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::Sub": "${Role}"}), "breaker-role")
        self.assertEqual(r.resolve({"Fn::Sub": "${Role.Arn}/*"}), "arn:aws:iam::111122223333:role/breaker-role/*")

    def test_literal(self):
        self.assertEqual(resolver().resolve({"Fn::Sub": "${!Env}-${Env}"}), "${Env}-prod")

    def test_list_form(self):
        value = {"Fn::Sub": ["${Name}-${Env}-${Joined}", {"Name": "n", "Joined": {"Fn::Join": ["+", ["a", "b"]]}}]}
        self.assertEqual(resolver().resolve(value), "n-prod-a+b")

    def test_variables_shadow_parameters(self):
        self.assertEqual(resolver().resolve({"Fn::Sub": ["${Env}", {"Env": "mine"}]}), "mine")

    def test_nested_in_if(self):
        value = {"Fn::If": ["IsProd", {"Fn::Sub": "${AWS::StackName}-prod"}, {"Fn::Sub": "${AWS::StackName}-dev"}]}
        self.assertEqual(resolver({"Env": "dev"}).resolve(value), "breaker-dev")

    def test_errors(self):
        r = resolver()
        with self.assertRaisesTemplateError("${Regions} is not a string"):
            r.resolve({"Fn::Sub": "${Regions}"})
        with self.assertRaisesTemplateError("${AWS::NoValue} is not a string"):
            r.resolve({"Fn::Sub": "${AWS::NoValue}"})
        with self.assertRaisesTemplateError("reference to Nope: no such parameter"):
            r.resolve({"Fn::Sub": "${Nope}"})
        with self.assertRaisesTemplateError("Fn::Sub: expected a string"):
            r.resolve({"Fn::Sub": {"Ref": "Env"}})
        with self.assertRaisesTemplateError("Fn::Sub: expected a map of variables"):
            r.resolve({"Fn::Sub": ["${A}", ["A", "b"]]})
        with self.assertRaisesTemplateError("expected a string", "AWS::NoValue"):
            r.resolve({"Fn::Sub": ["${A}", {"A": {"Ref": "AWS::NoValue"}}]})
        with self.assertRaisesTemplateError("expected a string", '["x", "y"]'):
            r.resolve({"Fn::Sub": ["${A}", {"A": ["x", "y"]}]})


class SplitJoinSelect(CfnTestCase):
    def test_split(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::Split": [",", "a,b,,c"]}), ["a", "b", "", "c"])
        self.assertEqual(r.resolve({"Fn::Split": ["-", {"Ref": "Env"}]}), ["prod"])
        self.assertEqual(r.resolve({"Fn::Split": ["/", {"Fn::Sub": "${Env}/${AWS::Region}"}]}), ["prod", REGION])

    def test_join(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::Join": [",", {"Ref": "Regions"}]}), "us-east-1,eu-west-1")
        self.assertEqual(r.resolve({"Fn::Join": ["", ["a", {"Ref": "Env"}, 1, True]]}), "aprod1true")
        self.assertEqual(r.resolve({"Fn::Join": ["-", ["a", {"Ref": "AWS::NoValue"}, "b"]]}), "a-b")
        self.assertEqual(r.resolve({"Fn::Join": ["-", []]}), "")

    def test_select(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::Select": [1, {"Ref": "Regions"}]}), "eu-west-1")
        self.assertEqual(r.resolve({"Fn::Select": ["0", ["x", "y"]]}), "x")
        self.assertEqual(r.resolve({"Fn::Select": [{"Fn::FindInMap": ["Index", "Of", "Last"]}, ["a", "b", "c"]]}), "c")

    def test_nested(self):
        # Selecting the account id out of an ARN, and rebuilding a list from a parameter.
        value = {"Fn::Select": [4, {"Fn::Split": [":", {"Fn::GetAtt": ["Table", "Arn"]}]}]}
        self.assertEqual(resolver().resolve(value), ACCOUNT)
        value = {"Fn::Split": [",", {"Fn::Join": [",", [{"Fn::Select": [0, {"Ref": "Regions"}]}, "x"]]}]}
        self.assertEqual(resolver().resolve(value), ["us-east-1", "x"])

    def test_select_errors(self):
        r = resolver()
        with self.assertRaisesTemplateError("Fn::Select: index 2 out of range"):
            r.resolve({"Fn::Select": [2, {"Ref": "Regions"}]})
        with self.assertRaisesTemplateError("Fn::Select: expected an index", '"-1"'):
            r.resolve({"Fn::Select": [-1, ["a"]]})
        with self.assertRaisesTemplateError("Fn::Select: expected an index", '"first"'):
            r.resolve({"Fn::Select": ["first", ["a"]]})
        with self.assertRaisesTemplateError("Fn::Select: index 0 out of range", '"a"'):
            r.resolve({"Fn::Select": [0, "a"]})
        with self.assertRaisesTemplateError("Fn::Select: expected a list of 2 arguments"):
            r.resolve({"Fn::Select": [0]})

    def test_split_and_join_errors(self):
        r = resolver()
        with self.assertRaisesTemplateError("Fn::Split: expected a list of 2 arguments"):
            r.resolve({"Fn::Split": ","})
        with self.assertRaisesTemplateError("Fn::Split: expected a delimiter string"):
            r.resolve({"Fn::Split": ["", "a"]})
        with self.assertRaisesTemplateError("expected a string", '["a"]'):
            r.resolve({"Fn::Split": [",", ["a"]]})
        with self.assertRaisesTemplateError("Fn::Join: expected a list", '"prod"'):
            r.resolve({"Fn::Join": [",", {"Ref": "Env"}]})
        with self.assertRaisesTemplateError("Fn::Join: expected a list", "AWS::NoValue"):
            r.resolve({"Fn::Join": [",", {"Ref": "AWS::NoValue"}]})
        with self.assertRaisesTemplateError("Fn::Join: expected a delimiter string"):
            r.resolve({"Fn::Join": [{"Ref": "Env"}, ["a"]]})
        with self.assertRaisesTemplateError("expected a string", '["b"]'):
            r.resolve({"Fn::Join": [",", ["a", ["b"]]]})


class FindInMap(CfnTestCase):
    def test_lookup(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::FindInMap": ["RegionMap", {"Ref": "AWS::Region"}, "Short"]}), "euw1")
        self.assertEqual(resolver(region="us-east-1").resolve(
            {"Fn::FindInMap": ["RegionMap", {"Ref": "AWS::Region"}, "Short"]}), "use1")

    def test_result_is_resolved(self):
        self.assertEqual(resolver().resolve({"Fn::FindInMap": ["RegionMap", REGION, "Names"]}), ["a", "prod"])

    def test_missing_entry(self):
        with self.assertRaisesTemplateError("Fn::FindInMap: no entry RegionMap/us-east-1/Names"):
            resolver().resolve({"Fn::FindInMap": ["RegionMap", "us-east-1", "Names"]})
        with self.assertRaisesTemplateError("Fn::FindInMap: no entry Nope/a/b"):
            resolver().resolve({"Fn::FindInMap": ["Nope", "a", "b"]})
        with self.assertRaisesTemplateError("Fn::FindInMap: no entry RegionMap/x/y"):
            Resolver({"Resources": {}}, {}, ACCOUNT, REGION, STACK).resolve({"Fn::FindInMap": ["RegionMap", "x", "y"]})
        with self.assertRaisesTemplateError("Fn::FindInMap: expected a list of 3 arguments"):
            resolver().resolve({"Fn::FindInMap": ["RegionMap", REGION]})


class ResourceReferences(CfnTestCase):
    def ref_and_attributes(self, logical_id: str, attributes: list[str], **overrides) -> list[str]:
        r = resolver(overrides)
        values = [r.resolve({"Ref": logical_id})]
        values += [r.resolve({"Fn::GetAtt": [logical_id, a]}) for a in attributes]
        return values

    def test_each_supported_type(self):
        a, r = ACCOUNT, REGION
        cases = {
            "Role": (["Arn"], ["breaker-role", f"arn:aws:iam::{a}:role/breaker-role"]),
            "PathRole": (["Arn"], ["r", f"arn:aws:iam::{a}:role/service/r"]),
            "Policy": (["PolicyArn"], [f"arn:aws:iam::{a}:policy/x/p"] * 2),
            "NamedQueue": (
                ["Arn", "QueueName", "QueueUrl"],
                [f"https://sqs.{r}.amazonaws.com/{a}/jobs", f"arn:aws:sqs:{r}:{a}:jobs", "jobs",
                 f"https://sqs.{r}.amazonaws.com/{a}/jobs"],
            ),
            "Topic": (["TopicArn", "TopicName"], [f"arn:aws:sns:{r}:{a}:alerts"] * 2 + ["alerts"]),
            "Function": (["Arn"], ["fn", f"arn:aws:lambda:{r}:{a}:function:fn"]),
            "EventBus": (["Arn", "Name"], ["notifications", f"arn:aws:events:{r}:{a}:event-bus/notifications",
                                           "notifications"]),
            "DefaultRule": (["Arn"], ["on-alarm", f"arn:aws:events:{r}:{a}:rule/on-alarm"]),
            "ExplicitDefaultBusRule": (["Arn"], ["r", f"arn:aws:events:{r}:{a}:rule/r"]),
            "BusRule": (["Arn"], ["notifications|fwd", f"arn:aws:events:{r}:{a}:rule/notifications/fwd"]),
            "ArnBusRule": (["Arn"], ["ops|fwd", f"arn:aws:events:{r}:{a}:rule/ops/fwd"]),
            "LogGroup": (["Arn"], ["/aws/lambda/fn", f"arn:aws:logs:{r}:{a}:log-group:/aws/lambda/fn:*"]),
            "Table": (["Arn"], ["state", f"arn:aws:dynamodb:{r}:{a}:table/state"]),
            "Alarm": (["Arn"], ["queue-age", f"arn:aws:cloudwatch:{r}:{a}:alarm:queue-age"]),
        }
        for logical_id, (attributes, expected) in cases.items():
            with self.subTest(logical_id):
                self.assertEqual(self.ref_and_attributes(logical_id, attributes), expected)

    def test_generated_names(self):
        r = resolver()
        self.assertEqual(r.resolve({"Ref": "UnnamedRole"}), "breaker-UnnamedRole-8C6F07323907")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Queue", "QueueName"]}), "breaker-Queue-3B2FE03E3689")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Fifo", "QueueName"]}), "breaker-Fifo-5A20FAE2E7BB.fifo")
        self.assertEqual(r.resolve({"Ref": "Bucket"}), "breaker-bucket-c83b65791b5b")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}), "arn:aws:s3:::breaker-bucket-c83b65791b5b")
        self.assertRegex(r.resolve({"Fn::GetAtt": ["UnnamedAlarm", "Arn"]}),
                         r"^arn:aws:cloudwatch:eu-west-1:111122223333:alarm:breaker-UnnamedAlarm-[0-9A-F]{12}$")

    def test_generated_names_are_stable_and_distinct(self):
        first, second = resolver(), resolver()
        self.assertEqual(first.resolve({"Ref": "UnnamedRole"}), second.resolve({"Ref": "UnnamedRole"}))
        self.assertRegex(first.resolve({"Ref": "UnnamedRole"}), r"^breaker-UnnamedRole-[0-9A-F]{12}$")
        self.assertNotEqual(first.resolve({"Ref": "Queue"}), first.resolve({"Ref": "Fifo"}))

    def test_names_from_intrinsics(self):
        self.assertEqual(resolver({"Env": "dev"}).resolve({"Ref": "SubNamedRole"}), "breaker-dev")
        self.assertEqual(resolver({"Bus": "b"}).resolve({"Ref": "MaybeNamedRole"}), "named")

    def test_name_that_resolves_to_no_value_is_generated(self):
        r = resolver()
        self.assertRegex(r.resolve({"Ref": "MaybeNamedRole"}), r"^breaker-MaybeNamedRole-[0-9A-F]{12}$")
        self.assertRegex(
            r.resolve({"Fn::GetAtt": ["MaybeNamedRole", "Arn"]}),
            r"^arn:aws:iam::111122223333:role/breaker-MaybeNamedRole-[0-9A-F]{12}$",
        )

    def test_optional_path_and_bus(self):
        resources = {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": "r", "Path": {"Fn::If": ["HasBus", "/bus/", {"Ref": "AWS::NoValue"}]}}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {
                "Name": "n", "EventBusName": {"Fn::If": ["HasBus", {"Ref": "Bus"}, {"Ref": "AWS::NoValue"}]}}},
        }
        r = resolver(Resources=resources)
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Role", "Arn"]}), "arn:aws:iam::111122223333:role/r")
        self.assertEqual(r.resolve({"Ref": "Rule"}), "n")
        r = resolver({"Bus": "ops"}, Resources=resources)
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Role", "Arn"]}), "arn:aws:iam::111122223333:role/bus/r")
        self.assertEqual(r.resolve({"Ref": "Rule"}), "ops|n")

    def test_get_att_forms(self):
        r = resolver()
        self.assertEqual(r.resolve({"Fn::GetAtt": "Role.Arn"}), r.resolve({"Fn::GetAtt": ["Role", "Arn"]}))
        attribute = {"Fn::If": ["IsProd", "TopicName", "TopicArn"]}
        self.assertEqual(r.resolve({"Fn::GetAtt": ["Topic", attribute]}), "alerts")

    def test_resource_with_false_condition(self):
        with self.assertRaisesTemplateError("reference to DevOnly", "condition IsDev is false"):
            resolver().resolve({"Ref": "DevOnly"})
        with self.assertRaisesTemplateError("reference to DevOnly", "condition IsDev is false"):
            resolver().resolve({"Fn::Sub": "${DevOnly.TopicName}"})
        self.assertEqual(resolver({"Env": "dev"}).resolve({"Fn::GetAtt": ["DevOnly", "TopicName"]}), "dev")

    def test_errors(self):
        r = resolver()
        with self.assertRaisesTemplateError("reference to Nope: no such parameter, pseudo parameter or resource"):
            r.resolve({"Ref": "Nope"})
        with self.assertRaisesTemplateError("reference to Nope"):
            r.resolve({"Fn::GetAtt": ["Nope", "Arn"]})
        with self.assertRaisesTemplateError("does not support resource type AWS::Lambda::EventSourceMapping"):
            r.resolve({"Ref": "Mapping"})
        with self.assertRaisesTemplateError("Fn::GetAtt Alarm.AlarmName", "supported: Arn"):
            r.resolve({"Fn::GetAtt": ["Alarm", "AlarmName"]})
        with self.assertRaisesTemplateError("Fn::GetAtt Role.RoleId", "not supported", "supported: Arn"):
            r.resolve({"Fn::GetAtt": ["Role", "RoleId"]})
        with self.assertRaisesTemplateError("Fn::GetAtt Queue.Nope", "supported: Arn, QueueName, QueueUrl"):
            r.resolve({"Fn::Sub": "${Queue.Nope}"})
        with self.assertRaisesTemplateError("Fn::GetAtt: expected [resource, attribute]"):
            r.resolve({"Fn::GetAtt": "Role"})
        with self.assertRaisesTemplateError("Fn::GetAtt: expected [resource, attribute]"):
            r.resolve({"Fn::GetAtt": ["Role", "Arn", "More"]})
        with self.assertRaisesTemplateError("expected a logical id"):
            r.resolve({"Fn::GetAtt": [{"Ref": "Env"}, "Arn"]})
        with self.assertRaisesTemplateError("Ref: expected a name"):
            r.resolve({"Ref": ["Role"]})


def cdk(path: str, kind: str, **properties) -> dict:
    """A resource as the AWS CDK synthesises it, with its construct path."""
    return {"Type": kind, "Properties": properties, "Metadata": {"aws:cdk:path": path}}


class CdkTemplates(CfnTestCase):
    """What the AWS CDK synthesises: made-up names from the construct's id (so that a construct
    named like a template's resource compares equal), and the functions it writes in policies."""

    def test_made_up_names_come_from_the_construct_s_id(self):
        resources = {
            "BreakerFunctionRole1A2B3C4D": cdk("Stack/Breaker/FunctionRole/Resource", "AWS::IAM::Role"),
            "BreakerFunction5E6F7A8B": cdk("Stack/Breaker/Function/Resource", "AWS::Lambda::Function"),
            "BreakerQueue9C0D1E2F": cdk("Stack/Breaker/Queue/Default", "AWS::SQS::Queue"),
            "BreakerTopic3A4B5C6D": cdk("Stack/Breaker/Topic", "AWS::SNS::Topic"),
            "BreakerNamed7E8F9A0B": cdk("Stack/Breaker/Named/Resource", "AWS::IAM::Role", RoleName="given"),
        }
        r = resolver(Resources=resources)
        self.assertEqual(r.resolve({"Ref": "BreakerFunctionRole1A2B3C4D"}), "breaker-FunctionRole-416537C237A3")
        self.assertEqual(r.resolve({"Fn::GetAtt": ["BreakerFunction5E6F7A8B", "Arn"]}),
                         f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:breaker-Function-C803710302D5")
        # As a template's resource of that logical id (ResourceReferences.test_generated_names).
        self.assertEqual(r.resolve({"Fn::GetAtt": ["BreakerQueue9C0D1E2F", "QueueName"]}), "breaker-Queue-3B2FE03E3689")
        self.assertEqual(r.resolve({"Ref": "BreakerTopic3A4B5C6D"}),
                         f"arn:aws:sns:{REGION}:{ACCOUNT}:breaker-Topic-7E61847D61D6")
        self.assertEqual(r.resolve({"Ref": "BreakerNamed7E8F9A0B"}), "given")

    def test_a_construct_id_two_resources_share_leaves_them_their_logical_ids(self):
        resources = {
            "BreakerServiceRole1A2B3C4D": cdk("Stack/Breaker/ServiceRole/Resource", "AWS::IAM::Role"),
            "GateServiceRole5E6F7A8B": cdk("Stack/Gate/ServiceRole/Resource", "AWS::IAM::Role"),
            "OtherServiceRole9C0D1E2F": cdk("Stack/Other/ServiceRole/Resource", "AWS::SQS::Queue"),
        }
        r = resolver(Resources=resources)
        self.assertEqual(r.resolve({"Ref": "BreakerServiceRole1A2B3C4D"}),
                         "breaker-BreakerServiceRole1A2B3C4D-6ECFBAF49C9C")
        self.assertRegex(r.resolve({"Ref": "GateServiceRole5E6F7A8B"}), r"^breaker-GateServiceRole5E6F7A8B-")
        self.assertRegex(r.resolve({"Fn::GetAtt": ["OtherServiceRole9C0D1E2F", "QueueName"]}),
                         r"^breaker-ServiceRole-[0-9A-F]{12}$")  # a queue: no role's name

    def test_what_the_cdk_writes_in_a_role_s_policies(self):
        partition, stack = {"Ref": "AWS::Partition"}, {"Ref": "AWS::StackName"}
        resources = {
            "FunctionRole1A2B3C4D": cdk("Stack/Breaker/FunctionRole/Resource", "AWS::IAM::Role"),
            "Function5E6F7A8B": cdk("Stack/Breaker/Function/Resource", "AWS::Lambda::Function",
                                    Role={"Fn::GetAtt": ["FunctionRole1A2B3C4D", "Arn"]}),
            "Queue9C0D1E2F": cdk("Stack/Breaker/FailedInvocations/Resource", "AWS::SQS::Queue"),
            "Bus3A4B5C6D": cdk("Stack/Breaker/Bus/Resource", "AWS::Events::EventBus",
                               Name={"Fn::Join": ["", [stack, "-notifications"]]}),
            "Table7E8F9A0B": cdk("Stack/Breaker/Table/Resource", "AWS::DynamoDB::Table",
                                 TableName={"Fn::Join": ["", [stack, "-state"]]}),
            "Topic1C2D3E4F": cdk("Stack/Breaker/Topic/Resource", "AWS::SNS::Topic"),
            # Never referenced from a policy: neither needs a Ref or Fn::GetAtt of its own.
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Condition": "CDKMetadataAvailable",
                            "Properties": {"Analytics": "v2:deflate64:H4sI"},
                            "Metadata": {"aws:cdk:path": "Stack/CDKMetadata/Default"}},
            "LogRetention5A6B7C8D": cdk("Stack/Breaker/LogRetention/Resource", "Custom::LogRetention",
                                        ServiceToken={"Fn::GetAtt": ["Function5E6F7A8B", "Arn"]}),
        }
        parameters = {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                                 "Default": "/cdk-bootstrap/hnb659fds/version"},
            "Unreferenced": {"Type": "String"},  # no default: an error only where referenced
        }
        r = Resolver({"Parameters": parameters, "Resources": resources}, {}, ACCOUNT, REGION, STACK)
        a, region = ACCOUNT, REGION
        basic = {"Fn::Join": ["", ["arn:", partition, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}
        self.assertEqual(r.resolve(basic), "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        function = {"Fn::GetAtt": ["Function5E6F7A8B", "Arn"]}
        table = {"Fn::GetAtt": ["Table7E8F9A0B", "Arn"]}
        self.assertEqual(r.resolve([
            {"Fn::GetAtt": ["FunctionRole1A2B3C4D", "Arn"]},
            function,
            {"Fn::Join": ["", [function, ":*"]]},
            {"Fn::GetAtt": ["Queue9C0D1E2F", "Arn"]},
            {"Fn::GetAtt": ["Bus3A4B5C6D", "Arn"]},
            table,
            {"Ref": "AWS::NoValue"},  # a table's grant to its indexes, when it has none
            {"Ref": "Topic1C2D3E4F"},
            {"Fn::Select": [1, {"Fn::Split": ["/", table]}]},
        ]), [
            f"arn:aws:iam::{a}:role/breaker-FunctionRole-416537C237A3",
            f"arn:aws:lambda:{region}:{a}:function:breaker-Function-C803710302D5",
            f"arn:aws:lambda:{region}:{a}:function:breaker-Function-C803710302D5:*",
            f"arn:aws:sqs:{region}:{a}:breaker-FailedInvocations-D30BE816CA66",
            f"arn:aws:events:{region}:{a}:event-bus/breaker-notifications",
            f"arn:aws:dynamodb:{region}:{a}:table/breaker-state",
            f"arn:aws:sns:{region}:{a}:breaker-Topic-7E61847D61D6",
            "breaker-state",
        ])
        self.assertEqual(r.parameter_values(), {"BootstrapVersion": "/cdk-bootstrap/hnb659fds/version"})
        with self.assertRaisesTemplateError("does not support resource type Custom::LogRetention"):
            r.resolve({"Fn::GetAtt": ["LogRetention5A6B7C8D", "Arn"]})


class Unsupported(CfnTestCase):
    def test_functions(self):
        for function, argument in [
            ("Fn::Base64", "text"),
            ("Fn::GetAZs", ""),
            ("Fn::ImportValue", "export"),
            ("Fn::Cidr", ["10.0.0.0/16", 2, 8]),
            ("Fn::Length", [1, 2]),
            ("Fn::ToJsonString", {"a": 1}),
            ("Fn::Transform", {"Name": "AWS::Include"}),
        ]:
            with self.subTest(function), self.assertRaisesTemplateError(f"{function} is not supported by"):
                resolver().resolve({"Statement": [{"Resource": {function: argument}}]})


class Scalar(CfnTestCase):
    def test_values(self):
        self.assertEqual(scalar(True), "true")
        self.assertEqual(scalar(False), "false")
        self.assertEqual(scalar(3), "3")
        self.assertEqual(scalar(1.5), "1.5")
        self.assertEqual(scalar("s"), "s")
        with self.assertRaisesTemplateError('expected a string, got {"a": 1}'):
            scalar({"a": 1})
        with self.assertRaisesTemplateError('expected a string, got {"Ref": "AWS::NoValue"}'):
            scalar(NO_VALUE)
        with self.assertRaisesTemplateError("expected a string, got null"):
            scalar(None)


class Loading(CfnTestCase):
    """load_template with cfn-lint's decoder (from scripts/requirements-dev.txt), then the resolver."""

    def load(self, text: str) -> dict:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return load_template(f.name)

    def test_short_form_tags(self):
        loaded = self.load(
            "Transform: AWS::Serverless-2016-10-31\n"
            "Parameters:\n  Env: {Type: String, Default: prod}\n"
            "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
            "Resources:\n"
            "  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n"
            "      QueueName: !If [IsProd, !Sub '${AWS::StackName}-jobs', !Ref AWS::NoValue]\n"
            "  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n"
            "        Version: 2012-10-17\n"
            "        Statement:\n          - Effect: Allow\n            Action: sqs:SendMessage\n"
            "            Resource: !GetAtt Queue.Arn\n"
        )
        self.assertTrue(has_sam_transform(loaded))
        document = loaded["Resources"]["Policy"]["Properties"]["PolicyDocument"]
        self.assertEqual(document["Version"], "2012-10-17")  # a YAML date, back to text
        resolved = Resolver(loaded, {}, ACCOUNT, REGION, STACK).resolve(document)
        self.assertEqual(resolved["Statement"][0]["Resource"], "arn:aws:sqs:eu-west-1:111122223333:breaker-jobs")
        resolved = Resolver(loaded, {"Env": "dev"}, ACCOUNT, REGION, STACK).resolve(document)
        self.assertEqual(resolved["Statement"][0]["Resource"], "arn:aws:sqs:eu-west-1:111122223333:breaker-Queue-"
                         "3B2FE03E3689")

    def test_not_a_template(self):
        with self.assertRaisesTemplateError("not a CloudFormation template"):
            self.load("Parameters: {}\n")

    def test_transform_forms(self):
        self.assertTrue(has_sam_transform({"Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]}))
        self.assertFalse(has_sam_transform({"Transform": "AWS::LanguageExtensions"}))
        self.assertFalse(has_sam_transform({}))


if __name__ == "__main__":
    unittest.main()
