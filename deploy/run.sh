#!/usr/bin/env bash
# make run: the stack on loopback with deploy/juli.ini, stores under ./var,
# in the foreground until Ctrl-C, which stops every daemon cleanly
# (SIGTERM, then wait). On the first start (no var/imported yet) it loads
# the demo community, deploy/demo, with julictl import.
#
# A daemon that does not come up (a port taken, a bad config) has its log
# tail shown and the others are stopped; so does one that dies later.
set -u
cd "$(dirname "$0")/.."
conf=deploy/juli.ini
demo=deploy/demo
ctl=(bin/julictl -c "$conf")
daemons=(intake dispatch scoring)
mkdir -p var

# The value of KEY in [SECTION] of the config, or DEFAULT.
ini() {
  awk -v s="[$1]" -v k="$2" -v d="$3" '
    /^[ \t]*\[/ { gsub(/[ \t]/, ""); in_s = ($0 == s); next }
    in_s && $0 ~ "^[ \t]*" k "[ \t]*=" {
      sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]*;.*$/, ""); v = $0 }
    END { print (v == "" ? d : v) }' "$conf"
}

declare -A pid=()
stopping=0
stop() { # stop [EXIT-CODE]
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM HUP
  local live=()
  for d in "${daemons[@]}"; do
    [ -n "${pid[$d]:-}" ] && kill -0 "${pid[$d]}" 2>/dev/null &&
      live+=("$d")
  done
  echo
  echo "juli: stopping ${live[*]:-nothing}"
  for d in "${live[@]}"; do kill -TERM "${pid[$d]}" 2>/dev/null; done
  for d in "${live[@]}"; do
    wait "${pid[$d]}"
    rc=$?
    [ "$rc" -ne 0 ] && echo "juli: $d exited with status $rc (see var/$d.log)"
  done
  exit "${1:-0}"
}
trap 'stop 0' INT TERM HUP

# Shows why daemon D is not running, then stops the others.
died() {
  echo "juli: juli-$1 is not running; the end of var/$1.log:" >&2
  tail -n 5 "var/$1.log" >&2
  stop 1
}

for d in "${daemons[@]}"; do
  if [ ! -x "bin/juli-$d" ]; then
    echo "juli: bin/juli-$d is missing: run make first" >&2
    stop 1
  fi
  echo "--- $(date '+%F %T') start" >>"var/$d.log"
  # A session of its own: Ctrl-C reaches this script only, which then
  # sends each daemon one SIGTERM (a second signal while a daemon stops
  # would cut its shutdown short).
  setsid "bin/juli-$d" -c "$conf" </dev/null 2>>"var/$d.log" &
  pid[$d]=$!
done

# Up means answering health, within 10 s.
for d in "${daemons[@]}"; do
  for _ in $(seq 50); do
    kill -0 "${pid[$d]}" 2>/dev/null || died "$d"
    "${ctl[@]}" --timeout 200 health "$d" >/dev/null 2>&1 && continue 2
  done
  died "$d"
done

if [ ! -e var/imported ]; then
  echo "juli: first start: importing the demo community from $demo"
  if "${ctl[@]}" --timeout 10000 import "$demo"; then
    touch var/imported
  else
    echo "juli: the import did not finish cleanly; it runs again at the" \
         "next start" >&2
  fi
fi

# A stairwell of the demo and its leader, for the examples.
sw=HCZ-G1-C1-B3U2
leader=$(awk -F, -v n="$sw" '$1 == n && $2 == "stairwell_leader" {
  print $3 " " $4 }' "$demo/staff.csv" 2>/dev/null)
leader_id=${leader%% *}

echo "juli is running (logs in var/*.log, stores in var/*.db):"
for d in "${daemons[@]}"; do
  api=$(ini "$d" api -)
  ev=$(ini "$d" events -)
  m=$(ini "$d" metrics off)
  [ "$m" != off ] && m="http://$m/metrics"
  printf '  %-9s api %s  events %s  metrics %s\n' "$d" "$api" "$ev" "$m"
done
cat <<MSG
Try (julictl reads the same config with -c $conf, or JULI_CONFIG=$conf):
  bin/julictl submit --text "3栋2单元楼道堆放杂物很久没人清扫" --channel app --stairwell $sw
  bin/julictl tasks --assignee ${leader_id:-M0001}      # ${leader#* }, stairwell leader of $sw
  bin/julictl units --category elderly
('bin/julictl --help' lists every command.) Ctrl-C stops everything.
MSG

# Until Ctrl-C, or until a daemon dies on its own.
while :; do
  wait -n "${pid[@]}"
  [ "$stopping" = 1 ] && exit 0
  for d in "${daemons[@]}"; do
    kill -0 "${pid[$d]}" 2>/dev/null || died "$d"
  done
done
