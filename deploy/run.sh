#!/usr/bin/env bash
# make run: the stack on loopback, stores under ./var, in the foreground
# until Ctrl-C, which stops every daemon cleanly (SIGTERM, then wait).
set -u
cd "$(dirname "$0")/.."
conf=deploy/juli.ini
mkdir -p var
pids=()
stop() {
  trap - INT TERM
  echo
  echo "juli: stopping ${#pids[@]} daemon(s)"
  kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit 0
}
trap stop INT TERM
for d in intake dispatch scoring; do
  [ -x "bin/juli-$d" ] || continue
  "bin/juli-$d" -c "$conf" 2>>"var/$d.log" &
  pids+=($!)
done
sleep 0.5
for p in "${pids[@]}"; do
  if ! kill -0 "$p" 2>/dev/null; then
    echo "juli: a daemon did not start; see var/*.log:" >&2
    tail -n 3 var/*.log >&2
    stop
  fi
done
cat <<MSG
juli is running (logs in var/*.log, stores in var/*.db):
  intake    api tcp://127.0.0.1:7101  events tcp://127.0.0.1:7102  metrics http://127.0.0.1:9101/metrics
  dispatch  api tcp://127.0.0.1:7201  events tcp://127.0.0.1:7202  metrics http://127.0.0.1:9201/metrics
  scoring   api tcp://127.0.0.1:7301  events tcp://127.0.0.1:7302  metrics http://127.0.0.1:9301/metrics
Try:
  bin/julictl health
  bin/julictl submit --text "3号楼楼道堆放垃圾很久没人清扫" --channel app --address "车站路1号"
  bin/julictl tail --after 0
Ctrl-C stops everything.
MSG
wait "${pids[@]}"
