#!/usr/bin/env bash
# The benchmark (not a test): builds the release functions for x86_64 and arm64, then prints
#  1. cold start, time to stop, warm latency, CPU time and peak memory, against a Python boto3
#     baseline run by awslambdaric, both under the same local Lambda Runtime API and fake
#     CodeDeploy, in four modes: plain HTTP, TLS, and TLS inside a 128 MB function's CPU quota
#     (from the process's start, and once init is done);
#  2. binary and zip sizes (every function the templates deploy);
#  3. the in-process micro-benchmark of payload → signals → decisions per trigger kind.
#   bench/run.sh [--cold N] [--warm N] [--modes …] [--rust-env NAME=VALUE]
#                                       (defaults: 15 cold starts, 200 warm invocations, all modes)
# The arm64 build needs the Rust target: rustup target add aarch64-unknown-linux-gnu.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

venv=bench/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! cmp -s bench/python/requirements.txt "$venv/.installed" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt
  cp bench/python/requirements.txt "$venv/.installed"
fi

functions=(deployment-circuit-breaker codedeploy-hook readiness-check)
echo "== building (release)" >&2
for arch in x86-64 arm64; do
  cargo lambda build --quiet --release --"$arch" --output-format zip \
    "${functions[@]/#/--bin=}" --lambda-dir "target/lambda-$arch" >&2
  unzip -o -q "target/lambda-$arch/deployment-circuit-breaker/bootstrap.zip" -d "target/lambda-$arch/unzipped"
done
cargo build --quiet --release -p circuit-breaker-bench >&2

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo
target/release/circuit-breaker-bench \
  --rust target/lambda-x86-64/unzipped/bootstrap \
  --python "$venv/bin/python" bench/python "$@"

size() { stat -c %s "$1" | awk '{ if ($1 < 100000) printf "%.1f kB", $1 / 1000; else printf "%.2f MB", $1 / 1000000 }'; }
handler_zip="$(mktemp -d)/handler.zip"
(cd bench/python && zip -q "$handler_zip" handler.py)
echo
echo "| package | x86_64 | arm64 |"
echo "| --- | --- | --- |"
echo "| the breaker's bootstrap (stripped) | $(size target/lambda-x86-64/unzipped/bootstrap) | $(size target/lambda-arm64/unzipped/bootstrap) |"
for function in "${functions[@]}"; do
  echo "| $function bootstrap.zip | $(size "target/lambda-x86-64/$function/bootstrap.zip") | $(size "target/lambda-arm64/$function/bootstrap.zip") |"
done
echo "| Python handler.zip (boto3 comes with the runtime) | $(size "$handler_zip") | same |"
echo
echo "== payload → signals → decisions (criterion, in process)"
cargo bench --quiet --bench pipeline -- --noplot 2>/dev/null | grep -E "time:|^payload" || cargo bench --bench pipeline
