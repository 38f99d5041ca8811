#!/usr/bin/env bash
# Runs each test program given, each in its own process with a time limit,
# and ends with one summary line over all their cases: "N passed, N failed".
# A program may come with arguments, as one word
# ("build/rel/bench/juli-bench --smoke"); one that prints no cmocka summary
# counts as one case, passed when it exits 0. JULI_BIN (set by make) is where the end-to-end tests
# find the daemons.
set -u
limit=${JULI_TEST_TIMEOUT:-120}
passed=0 failed=0 broken=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "$@"; do
  name=$(basename "${t%% *}")
  log=$(mktemp)
  start=$(date +%s%N)
  # shellcheck disable=SC2086 # a program and its arguments
  timeout -k 5 "$limit" $t >"$log" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  secs=$((ms / 1000)).$((ms % 1000 / 100))
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  if [ -z "$p$f" ] && [ "$rc" -eq 0 ]; then p=1; fi  # no cmocka summary
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or timed out
  passed=$((passed + p)) failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then
    broken+=("$name")
    echo "--- $name (exit $rc, ${secs}s) ---"
    cat "$log"
  else
    echo "ok   $name: $p passed (${secs}s)"
  fi
  rm -f "$log"
done
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
