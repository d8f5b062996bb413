#!/usr/bin/env bash
# Runs each fuzz target for a given time (seconds, default 600) with cargo-fuzz on nightly, one
# or two at a time. A crash stops that target; its input lands in fuzz/artifacts/<target>/ —
# fix the fault, then copy the input to fuzz/regressions/<target>/ so the normal test run
# (tests/fuzz_regressions.rs) keeps replaying it.
#
#   scripts/fuzz.sh [seconds] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(phone_number bulk_input graph_responses loopback_callback)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-fuzz/target}"
cargo +nightly fuzz build --release
jobs_at_once="${FUZZ_JOBS:-2}"
run_one() {
  local target="$1"
  mkdir -p "fuzz/corpus/$target"
  echo "fuzz: $target for ${seconds}s"
  cargo +nightly fuzz run --release "$target" "fuzz/corpus/$target" "fuzz/regressions/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"fuzz/$target.log" 2>&1 && status=ok || status=FOUND
  local runs
  runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "fuzz/$target.log" | tail -1 | grep -o '[0-9]*$' || true)"
  echo "fuzz: $target $status, ${runs:-?} runs (log fuzz/$target.log)"
}
active=0
for target in "${targets[@]}"; do
  run_one "$target" &
  active=$((active + 1))
  if [ "$active" -ge "$jobs_at_once" ]; then
    wait -n || true
    active=$((active - 1))
  fi
done
wait
