#!/usr/bin/env bash
# Fuzzes the payload parser (fuzz/fuzz_targets/parse.rs) for SECONDS (default 600), starting from
# every fixture and sample event. Needs the nightly toolchain and `cargo install cargo-fuzz`.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
corpus=fuzz/corpus/parse
mkdir -p "$corpus"
for file in tests/fixtures/*.json events/*.json; do
  name="$(basename "$file" .json)"
  # The first byte chooses how the rest arrives: 0 = the event, 1 = SNS Message, 2 = SQS body.
  for mode in 0 1 2; do
    { printf "\\x0$mode"; cat "$file"; } > "$corpus/$mode-$name"
  done
done
cd fuzz
exec cargo +nightly fuzz run parse corpus/parse -- -max_total_time="$seconds" -max_len=65536 -print_final_stats=1
