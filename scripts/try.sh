#!/usr/bin/env bash
# Runs the function locally on one sample event, with no AWS account:
#   scripts/try.sh [events/<file>.json]     (default: events/alarm-lambda-action.json)
#   scripts/try.sh check                    the readiness check (events/check.json), printed readably
# Starts a fake CodeDeploy seeded with the deployments the sample events map to, runs the function
# under `cargo lambda watch`, invokes it, prints its result and the StopDeployment calls the fake
# received, and cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh
exec python3 scripts/local.py try "$@"
