#!/usr/bin/env bash
# Runs every check: formatting, lints (Rust and Python), the Python tooling's unit tests, the unit,
# parsing and behaviour tests (real SDK clients against the fake AWS), the templates' lint and IAM
# policies against the Service Authorization Reference (and the cargo lambda role's against the
# SAM function's), the SAM template lint and build, a cold start of the built bootstrap, a dry run
# of `cargo lambda deploy` on it, and the end-to-end run of every sample event through the real
# `cargo lambda watch` runtime, with the fake enforcing the templates' own policies; and the CDK
# constructs (cdk/): their build, tests and cdk-nag, their synthesised templates' lint, their roles
# against the templates', and two sample events under their roles. Installs its tools (Node.js
# too) into .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh
export SAM_CLI_TELEMETRY=0
echo "== cargo fmt (at ${SECONDS} s)"; cargo fmt --all --check
echo "== cargo clippy (at ${SECONDS} s)"; cargo clippy --workspace --all-targets --locked -- -D warnings
# The Python tooling: its lint (scripts/ruff.toml) and the unit tests of scripts/test_*.py.
echo "== python lint (at ${SECONDS} s)"; ruff check --config scripts/ruff.toml scripts bench/python
echo "== python unit tests (at ${SECONDS} s)"; python3 -m unittest discover -s scripts -p 'test_*.py'
# The IAM policies the behaviour tests load (tests/policies/) are the templates' own, regenerated.
echo "== test policies (at ${SECONDS} s)"; test_policies="$(mktemp -d)"; python3 scripts/policy.py write-test-policies "$test_policies"
diff -ru tests/policies "$test_policies" && rm -rf "$test_policies" || { rm -rf "$test_policies"
  echo "tests/policies/ differs from the templates: run python3 scripts/policy.py write-test-policies" >&2; exit 1; }
echo "== cargo test (at ${SECONDS} s)"; cargo test --workspace --locked
echo "== cfn-lint (at ${SECONDS} s)"; cfn-lint template.yaml templates/*.yaml
echo "== IAM policy check (at ${SECONDS} s)"
# template.yaml has three functions: the breaker (FunctionRole), the gate (GateFunctionRole) and
# the readiness check (ReadinessCheckFunctionRole), and EventBridge Scheduler's role for the
# check (ReadinessCheckRole).
python3 scripts/policy.py check template.yaml --role FunctionRole
python3 scripts/policy.py check template.yaml --role FunctionRole --parameter TargetAccounts=222233334444,333344445555 \
  --parameter Regions=us-east-1,eu-west-1 --parameter RollbackCompletedWithin=1800
python3 scripts/policy.py check template.yaml --role GateFunctionRole
python3 scripts/policy.py check template.yaml --role GateFunctionRole --parameter Notify=false
python3 scripts/policy.py check template.yaml --role ReadinessCheckFunctionRole
python3 scripts/policy.py check template.yaml --role ReadinessCheckFunctionRole \
  --parameter TargetAccounts=222233334444,333344445555 --parameter Regions=us-east-1,eu-west-1 \
  --parameter RollbackCompletedWithin=1800
python3 scripts/policy.py check template.yaml --role ReadinessCheckRole
python3 scripts/policy.py check templates/target-role.yaml \
  --parameter CentralRoleArn=arn:aws:iam::111122223333:role/breaker-FunctionRole-EXAMPLE
python3 scripts/policy.py check templates/target-role.yaml \
  --parameter CentralRoleArn=arn:aws:iam::111122223333:role/breaker-FunctionRole-EXAMPLE \
  --parameter CentralCheckRoleArn=arn:aws:iam::111122223333:role/breaker-ReadinessCheckFunctionRole-EXAMPLE \
  --parameter Regions=us-east-1,eu-west-1 --parameter RollbackCompletedWithin=1800
python3 scripts/policy.py check templates/forward-alarms.yaml --parameter CentralAccountId=111122223333 \
  --parameter ForwardCodeDeployEvents=true
python3 scripts/policy.py check templates/function-role.yaml --parameter NotifyEventBus=breaker-notifications
python3 scripts/policy.py check templates/function-role.yaml --parameter TargetAccounts=222233334444,333344445555 \
  --parameter Regions=us-east-1,eu-west-1 --parameter NotifyEventBus=ops --parameter RollbackCompletedWithin=1800
# The role for cargo lambda deploy grants what template.yaml's breaker gets, no more, no less,
# but for the canary judge's statements: a breaker deployed without SAM has no queue, mapping or
# rule to judge with (templates/function-role.yaml says why), so its role gets none of them.
# It creates no event bus and has no default one: it is given the name of the bus template.yaml
# creates (<stack>-notifications, stack `breaker` here), or of the one template.yaml is given.
judge_sids=(--except-sid JudgeDeploymentTargets --except-sid JudgeMetrics --except-sid SendWatches
  --except-sid ReceiveWatches)
python3 scripts/policy.py same template.yaml templates/function-role.yaml --role FunctionRole \
  --parameter NotifyEventBus=breaker-notifications "${judge_sids[@]}"
python3 scripts/policy.py same template.yaml templates/function-role.yaml --role FunctionRole \
  --parameter TargetAccounts=222233334444 --parameter Regions=us-east-1,eu-west-1 --parameter NotifyEventBus=ops \
  --parameter RollbackCompletedWithin=1800 "${judge_sids[@]}"
# The CDK constructs (cdk/, docs/cdk.md): the packages of cdk/package-lock.json (install scripts
# off: none is needed), the jsii build, jest (Template assertions, the snapshot, cdk-nag's
# AwsSolutions pack), and the app of cdk/app/synth.js synthesised offline: cfn-lint on its
# templates (W3005: the CDK's lambda.Function names its role in DependsOn as well as in Role), and
# its roles checked and held equal to the templates' (scripts/cdk_roles.py).
echo "== cdk (at ${SECONDS} s)"
(cd cdk && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run --silent build \
  && npx jest --ci --silent && npm run --silent synth)
cfn-lint --ignore-checks W3005 -- cdk/cdk.out/*.template.json
python3 scripts/cdk_roles.py
echo "== sam validate (at ${SECONDS} s)"; sam validate --lint -t template.yaml
# One release build of the three functions the template deploys, their LTO links side by side;
# sam build then finds each up to date (it runs the same cargo lambda build, one --bin at a time).
# x86_64: the arm64 Rust target is not installed on a fresh machine.
echo "== release build (at ${SECONDS} s)"
cargo lambda build --release --bin deployment-circuit-breaker --bin codedeploy-hook --bin readiness-check
echo "== sam build (at ${SECONDS} s)"; sam build --parameter-overrides Architecture=x86_64
echo "== built bootstrap (at ${SECONDS} s)"; python3 scripts/local.py bootstrap .aws-sam/build/Function/bootstrap
echo "== cargo lambda deploy --dry (at ${SECONDS} s)"; python3 scripts/deploy_dry_run.py .aws-sam/build/Function/bootstrap
echo "== end to end (at ${SECONDS} s)"; python3 scripts/local.py e2e
# A stop in a target account and the start of a canary judge's watch, under the roles the CDK
# constructs synthesised (the central stack's and team B's target role), not the templates'.
echo "== end to end under the CDK's roles (at ${SECONDS} s)"
python3 scripts/local.py e2e --cdk cdk/cdk.out events/eventbridge-alarm-other-account.json \
  events/eventbridge-codedeploy-deployment-start.json
echo "== done (at ${SECONDS} s)"
