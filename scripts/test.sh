#!/usr/bin/env bash
# Runs every check: formatting, lints, the unit, parsing and behaviour tests (real SDK client
# against the fake CodeDeploy), the SAM template lint, and the end-to-end run of every sample
# event through the real `cargo lambda watch` runtime. Installs its tools into .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh
echo "== cargo fmt"; cargo fmt --all --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"; cargo test --workspace --locked
echo "== cfn-lint"; cfn-lint template.yaml
echo "== end to end"; python3 scripts/local.py e2e
