#!/usr/bin/env bash
# make demo: a month of the demo community in about three real minutes.
#
# A fresh stack under var/demo (its own stores and logs), on the default
# ports of deploy/juli.ini, living in simulated time: the [clock] section
# this script adds starts it on the first day of the previous month (in
# the community's time zone) and runs it SPEED times faster than real
# time, so a 30-day month takes 30 × 86400 / 14400 = 180 s. Then:
# import the demo community (deploy/demo), `julictl simulate` the whole
# month, print the month's report and write it as var/demo/report.html,
# and stop the daemons. Ctrl-C stops everything cleanly at any point.
#
# Production never has a [clock] section: only this generated file does.
set -u
cd "$(dirname "$0")/.."
SPEED=${JULI_DEMO_SPEED:-14400}
base=deploy/juli.ini
dir=var/demo
conf=$dir/juli.ini
ctl=(bin/julictl -c "$conf")
daemons=(intake dispatch scoring)

say() { echo "juli demo: $*"; }

declare -A pid=()
halting=0
halt() { # halt EXIT-CODE: stop the daemons still running, then exit
  [ "$halting" = 1 ] && return
  halting=1
  trap - INT TERM HUP
  for d in "${!pid[@]}"; do kill -TERM "${pid[$d]}" 2>/dev/null; done
  for d in "${!pid[@]}"; do
    wait "${pid[$d]}" || say "juli-$d exited with status $? (see $dir/$d.log)"
  done
  [ "$1" = 0 ] || say "stopped; the daemons' logs are in $dir/"
  exit "$1"
}
trap 'echo; halt 130' INT TERM HUP

# -- the ports: those of deploy/juli.ini, and only when free ----------------
busy=()
for addr in $(sed -nE 's/^[ \t]*(api|events|metrics)[ \t]*=[ \t]*([^ \t;]+).*/\2/p' \
                "$base"); do
  addr=${addr#tcp://}
  host=${addr%:*} port=${addr##*:}
  [ "$addr" = off ] && continue
  [ "$host" = '*' ] || [ "$host" = 0.0.0.0 ] && host=127.0.0.1
  # A connection accepted means something listens there.
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && busy+=("$addr")
done
if [ ${#busy[@]} -gt 0 ]; then
  say "${busy[*]} taken: is 'make run' running? Stop make run first." >&2
  exit 1
fi

# -- the config: deploy/juli.ini, stores under var/demo, a simulated clock --
tz=$(sed -nE 's/^[ \t]*timezone[ \t]*=[ \t]*([^ \t;]+).*/\1/p' "$base")
tz=${tz:-Asia/Shanghai}
first=$(TZ=$tz date -d "$(TZ=$tz date +%Y-%m-01) -1 month" +%F)
month=${first%-01}
days=$(date -d "$first +1 month -1 day" +%-d)
mkdir -p "$dir"
rm -f "$dir"/*.db "$dir"/*.db-wal "$dir"/*.db-shm "$dir"/*.log \
  "$dir/report.html"
awk -v dir="$PWD/$dir" '
  /^[ \t]*\[/ { s = $0; gsub(/[][ \t]/, "", s); print
                if (s == "intake" || s == "dispatch" || s == "scoring")
                  print "db = " dir "/" s ".db"
                next }
  (s == "intake" || s == "dispatch" || s == "scoring") &&
    /^[ \t]*db[ \t]*=/ { next }
  { print }' "$base" > "$conf"
cat >> "$conf" <<INI

; Added by deploy/demo.sh: the stack lives in simulated time (clock.h).
[clock]
start = $first
speed = $SPEED
epoch = $(( $(date +%s%3N) + 2000 ))
INI

# -- the stack --------------------------------------------------------------
for d in "${daemons[@]}"; do
  if [ ! -x "bin/juli-$d" ]; then say "bin/juli-$d is missing: run make" >&2
    halt 1; fi
  # A session of its own: Ctrl-C reaches this script, which stops it.
  setsid "bin/juli-$d" -c "$conf" </dev/null 2>"$dir/$d.log" &
  pid[$d]=$!
done
for d in "${daemons[@]}"; do
  up=0
  for _ in $(seq 50); do
    kill -0 "${pid[$d]}" 2>/dev/null || break
    if "${ctl[@]}" --timeout 200 health "$d" >/dev/null 2>&1; then
      up=1; break; fi
  done
  if [ "$up" = 0 ]; then
    say "juli-$d did not start; the end of $dir/$d.log:" >&2
    tail -n 5 "$dir/$d.log" >&2
    halt 1
  fi
done
say "the stack runs on the ports of $base, stores in $dir/"

"${ctl[@]}" --timeout 10000 import deploy/demo >/dev/null || halt 1
say "imported deploy/demo; simulating $month ($days days at $SPEED times" \
    "real time: about $(( days * 86400 / SPEED )) s)"
"${ctl[@]}" simulate --days "$days" || halt 1
echo
"${ctl[@]}" report --period "$month" --html "$dir/report.html" || halt 1
echo
say "the report as a page: $dir/report.html"
halt 0
