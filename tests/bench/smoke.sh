#!/usr/bin/env bash
# Smoke run of every benchmark script in tests/bench/ at a tiny size (issue 13): a
# benchmark that nothing runs rots (draw-vs-random.sh once stopped at its first statement
# for months). Each script runs under its own throwaway cluster (pg_virtualenv), as its
# header says, and must exit 0 and print its ratio line; the figures themselves mean
# nothing at these sizes and are not checked. scripts/test runs this after ctest.
#   tests/bench/smoke.sh [build-dir]
# Each script's output is kept in <build-dir>/bench-smoke/<script>.log.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:-$ROOT/build}")
BIN=$BUILD/twindraw
LOGS=$BUILD/bench-smoke
mkdir -p "$LOGS"
cmake --build "$BUILD" -j2 --target twindraw twindraw_bench_server twindraw_bench_tiles >"$LOGS/build.log" 2>&1 \
  || { cat "$LOGS/build.log" >&2; echo "bench smoke: the benchmark programs do not build" >&2; exit 1; }

failed=()
ran=()
smoke() {  # smoke <script> <arguments...>: runs tests/bench/<script> under pg_virtualenv
  local script=$1 start rc line
  shift
  ran+=("$script")
  start=$(date +%s)
  # Its own throwaway cluster; stdin closed so that nothing waits on a terminal.
  pg_virtualenv -t -v 15 "$ROOT/tests/bench/$script" "$@" </dev/null >"$LOGS/$script.log" 2>&1
  rc=$?
  # The ratio line: "ratio …: <number>" (its wording differs per script, its value is not checked).
  line=$(grep -aE 'ratio[^:]*:.*[0-9]\.[0-9]' "$LOGS/$script.log" | head -1)
  if [ "$rc" -ne 0 ]; then
    failed+=("$script (exit $rc)")
    echo "bench smoke: $script FAILED (exit $rc) after $(($(date +%s) - start)) s; last lines of $LOGS/$script.log:" >&2
    tail -20 "$LOGS/$script.log" >&2
  elif [ -z "$line" ]; then
    failed+=("$script (no ratio line)")
    echo "bench smoke: $script printed no ratio line; see $LOGS/$script.log" >&2
  else
    echo "bench smoke: $script ok in $(($(date +%s) - start)) s: $line"
  fi
}

# Tiny sizes: a few hundred enterprises, one-second load runs.
smoke import-vs-ogr2ogr.sh "$BIN" 20000
smoke draw-vs-random.sh "$BIN" 20000
TWINDRAW_BENCH_DURATION=1s TWINDRAW_BENCH_WARMUP=1s TWINDRAW_BENCH_ROUNDS=1 TWINDRAW_BENCH_CONNECTIONS=8 \
  smoke auth-load.sh "$BUILD" 300
smoke heat-tiles.sh "$BIN" 300 5000 5
smoke tiles-cached.sh "$BIN" 300 1
smoke tiles-metatile.sh "$BIN" 300

# Every benchmark script is in the list above (a new one must be added there).
for f in "$ROOT"/tests/bench/*.sh; do
  name=$(basename "$f")
  [ "$name" = smoke.sh ] && continue
  [[ " ${ran[*]} " == *" $name "* ]] || failed+=("$name (not run by tests/bench/smoke.sh)")
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'bench smoke: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "bench smoke: all ${#ran[@]} benchmark scripts completed and printed their ratio"
