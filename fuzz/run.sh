#!/usr/bin/env bash
# Run every fuzz target for a bounded time, one after another: `fuzz/run.sh [SECONDS] [TARGET...]`
# (default 60 seconds each, all targets). Stable Rust is enough: `-s none` builds without a sanitizer
# (they need nightly), so libFuzzer's coverage guidance and our own assertions do the finding.
# Seeds are the checked-in fixture projects' files (tests/fixtures, examples), gathered per target into
# fuzz/seeds/TARGET at each run (not checked in: they would be copies); what the fuzzer learns goes to fuzz/corpus/TARGET
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

# Each target's seeds: the files of its kind in every fixture project.
seed_patterns() {
  case "$1" in
    env_sh) echo "-name env.sh.eex" ;;
    dockerfile) echo "-name Dockerfile" ;;
    fly_toml) echo "-name fly.toml" ;;
    application) echo "-path */lib/*.ex" ;;
    mix_deps) echo "-name mix.exs" ;;
    runtime) echo "-path */config/*.exs" ;;
  esac
}
gather_seeds() {
  local target=$1 i=0
  rm -rf "seeds/$target"
  mkdir -p "seeds/$target"
  # shellcheck disable=SC2046 # the pattern is meant to split into find's words
  find ../tests/fixtures ../examples -type f $(seed_patterns "$target") -print0 |
    while IFS= read -r -d '' file; do
      i=$((i + 1))
      cp "$file" "seeds/$target/$i-$(basename "$file")"
    done
}

flags=(-O -a -s none)
# Build once, then run the binaries: `cargo fuzz run` would rebuild (and pick up half-edited sources).
cargo fuzz build "${flags[@]}"
bin="target/$(rustc -vV | sed -n 's/^host: //p')/release"
mkdir -p logs
status=0
summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  gather_seeds "$target"
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
  corpus=$(find "corpus/$target" -type f | wc -l)
  summary+=("$target runs=${runs:-?} seconds=${took:-?} cov=${cov:-?} corpus=$corpus")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
