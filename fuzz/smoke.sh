#!/usr/bin/env bash
# Fuzz smoke run for CI: builds every fuzz target once (stable toolchain, no sanitizer) and runs
# each for a few seconds from the committed seeds. Exits non-zero if any target crashes, hangs,
# or allocates past the limits; the input that did it is left in fuzz/artifacts/<target>/.
#
#   fuzz/smoke.sh                      # from anywhere in the checkout
#   FUZZ_SECONDS=30 fuzz/smoke.sh      # longer per target (default 5)
#   CARGO_LOCK=/tmp/x.lock fuzz/smoke.sh   # run every cargo command under `flock $CARGO_LOCK`
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-5}
targets=(feed date watch_query search_query config opml)
lock=()
if [ -n "${CARGO_LOCK:-}" ]; then
  lock=(flock "$CARGO_LOCK")
fi

if ! cargo fuzz --version 2>/dev/null | grep -q '0\.13\.2'; then
  "${lock[@]}" cargo install cargo-fuzz --locked --version 0.13.2
fi

# -s none: no sanitizer, so no nightly-only -Z flags (Rust code is memory safe; SQLite and the
# other C code are not instrumented either way). -a: debug assertions and overflow checks, so
# arithmetic overflow is a panic, not a silent wrap. opt-level 1 without debug info builds in
# about 3 minutes on 2 cores instead of 4+ and runs nearly as fast for a few seconds; its own
# target dir keeps the long-run build (opt-level 3) in target/ intact.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-1}
export CARGO_PROFILE_RELEASE_DEBUG=${CARGO_PROFILE_RELEASE_DEBUG:-0}
"${lock[@]}" cargo fuzz build -s none -a --target-dir target/smoke

bin=target/smoke/x86_64-unknown-linux-gnu/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  dict=()
  case $t in
    feed) dict=(-dict=dicts/feed.dict) ;;
    config) dict=(-dict=dicts/config.dict) ;;
    date) dict=(-dict=dicts/date.dict) ;;
    watch_query | search_query) dict=(-dict=dicts/query.dict) ;;
  esac
  mkdir -p "$work/$t" "artifacts/$t"
  # New inputs go to the scratch directory; seeds/ is only read.
  if "$bin/$t" "$work/$t" "seeds/$t" "${dict[@]}" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$work/$t.log" 2>&1; then
    echo "$t: ok, $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -Eo '[0-9]+$') runs, $(grep -E 'DONE' "$work/$t.log" | grep -Eo 'cov: [0-9]+ ft: [0-9]+')"
  else
    echo "$t: FAILED (artifact in fuzz/artifacts/$t/); last lines of its log:"
    tail -n 40 "$work/$t.log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke: failures in ${failed[*]}"
  exit 1
fi
echo "fuzz smoke: all ${#targets[@]} targets ran ${seconds}s each without a finding"
