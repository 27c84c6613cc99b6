#!/usr/bin/env bash
# Runs every check: formatting, lints, the unit, parsing and behaviour tests (real SDK client
# against the fake CodeDeploy), the template's IAM policy against the Service Authorization
# Reference, the SAM template lint and build, a cold start of the built bootstrap, and the
# end-to-end run of every sample event through the real `cargo lambda watch` runtime, with the
# fake enforcing the template's own policy. Installs its tools into .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh
export SAM_CLI_TELEMETRY=0
echo "== cargo fmt"; cargo fmt --all --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"; cargo test --workspace --locked
echo "== cfn-lint"; cfn-lint template.yaml
echo "== IAM policy check"; python3 scripts/policy.py check template.yaml
echo "== sam validate"; sam validate --lint -t template.yaml
# x86_64: the arm64 Rust target is not installed on a fresh machine.
echo "== sam build"; sam build --parameter-overrides Architecture=x86_64
echo "== built bootstrap"; python3 scripts/local.py bootstrap .aws-sam/build/Function/bootstrap
echo "== end to end"; python3 scripts/local.py e2e
