#!/usr/bin/env bash
# Run every fuzz target for a bounded time, one after another: `fuzz/run.sh [SECONDS] [TARGET...]`
# (default 60 seconds each, all targets). Stable Rust is enough: `-s none` builds without a sanitizer
# (they need nightly), so libFuzzer's coverage guidance and our own assertions do the finding.
# Seeds are read from fuzz/seeds/TARGET (checked in); what the fuzzer learns goes to fuzz/corpus/TARGET
# and crashes to fuzz/artifacts/TARGET (both ignored by git). Each target's log is fuzz/logs/TARGET.log;
# the last lines printed are the runs and seconds per target, for TESTING.md.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(env_sh dockerfile fly_toml application mix_deps runtime)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

flags=(-O -a -s none)
# Build once, then run the binaries: `cargo fuzz run` would rebuild (and pick up half-edited sources).
cargo fuzz build "${flags[@]}"
bin="target/$(rustc -vV | sed -n 's/^host: //p')/release"
mkdir -p logs
status=0
summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "== $target: ${seconds}s"
  if ! "$bin/$target" "corpus/$target" "seeds/$target" \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" >"logs/$target.log" 2>&1; then
    status=1
    echo "!! $target failed: see fuzz/logs/$target.log and fuzz/artifacts/$target/"
    tail -n 40 "logs/$target.log"
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "logs/$target.log" | grep -Eo '[0-9]+$' | tail -n1 || true)
  took=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "logs/$target.log" | grep -Eo 'in [0-9]+' | grep -Eo '[0-9]+' | tail -n1 || true)
  cov=$(grep -Eo 'cov: [0-9]+' "logs/$target.log" | tail -n1 | grep -Eo '[0-9]+' || true)
  corpus=$(ls "corpus/$target" | wc -l)
  summary+=("$target runs=${runs:-?} seconds=${took:-?} cov=${cov:-?} corpus=$corpus")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
