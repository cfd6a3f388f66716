#!/usr/bin/env bash
# Soak benchmark (figures, not a test): runs the daemon (`aggregator run`) for DURATION seconds
# against a local feed server (benches/soak_server.py, 127.0.0.1 only) and samples the daemon's
# memory every 10 s: VmRSS and VmHWM from /proc/PID/status into a CSV (elapsed_s,rss_kb,hwm_kb).
#
# The server carries 35 feeds:
#   - 20 good RSS feeds (30 items, 1-3 new a minute — four of them a batch every 3 minutes, so
#     polls in between get 304s —, ETag/Last-Modified and 304): English, Korean UTF-8, one EUC-KR;
#   - 5 big feeds of 10,000 items (~300-char descriptions, 20 new a minute, no validators: each
#     poll downloads and parses ~5.0 MB, under the default 5 MiB max_body_bytes, which is kept);
#   - hostile, one feed each: gzip bomb (1 MB inflating to 1 GiB), endless body, slowloris, a
#     redirect loop, XXE, billion laughs, malformed XML, one huge item near the body cap, churn
#     (every item new on every poll), and a 503 with Retry-After: 3600 (on its own port, addressed
#     as `localhost` so that its host-wide pause cannot hold back the other feeds).
# The generated config polls every feed each minute (`interval` = `min_interval` = 1m,
# concurrency 8, per_host 8, host_spacing 0s, timeout 20s) and has a few watchlists (English and
# Korean terms). At the end it stops the daemon with SIGTERM, prints a summary (peak RSS, RSS at
# 5/10/20/30 min, mean and max over the last third, least-squares slope over the last 10 minutes
# — the last third for runs shorter than 30 minutes —, items stored, each feed's last result)
# and stops the server.
#
#   bash benches/soak.sh                                          # 30 minutes
#   DURATION=600 LABEL=arena1 EXTRA_ENV=MALLOC_ARENA_MAX=1 bash benches/soak.sh
#
# Knobs (environment):
#   DURATION   seconds to run the daemon (default 1800)
#   BIN        a prebuilt aggregator binary (default: build target/release/aggregator, under
#              flock /tmp/aggregator-cargo.lock)
#   EXTRA_ENV  VAR=value words added to the daemon's environment, e.g. MALLOC_ARENA_MAX=1
#   OUT        where the CSV goes (default: the temp dir, copied to ./target/soak-LABEL.csv)
#   LABEL      names the copies in ./target (default: a timestamp); the daemon's log is copied to
#              ./target/soak-LABEL.log
#
# Everything else lives in a temp dir removed on exit; the script ends only the server and the
# daemon it started, by their pids. Needs python3 (3.11, standard library) and /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
DURATION=${DURATION:-1800}
LABEL=${LABEL:-$(date +%Y%m%d-%H%M%S)}
EXTRA_ENV=${EXTRA_ENV:-}
STEP=10

case $DURATION in '' | *[!0-9]*) echo "DURATION must be whole seconds" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/aggregator-soak.XXXXXX)
server_pid=""
daemon_pid=""
cleanup() {
  local pid
  for pid in "$daemon_pid" "$server_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The binary: built from this tree unless given, then copied into the temp dir so a rebuild of
# target/ during a long run does not change what runs (or what reads the database afterwards).
if [ -z "${BIN:-}" ]; then
  flock /tmp/aggregator-cargo.lock cargo build --release --quiet
  BIN=$root/target/release/aggregator
fi
cp "$BIN" "$work/aggregator"
bin=$work/aggregator
echo "soak: $("$bin" --version 2>/dev/null || echo aggregator) from $BIN; label $LABEL; $DURATION s"

# The feed server.
python3 "$root/benches/soak_server.py" --port-file "$work/port" --manifest "$work/feeds.txt" \
  2>"$work/server.log" &
server_pid=$!
for _ in $(seq 600); do
  [ -s "$work/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "soak: the feed server died:"; cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "soak: the feed server did not start"; cat "$work/server.log"; exit 1; }
port=$(cat "$work/port")

# The config: every feed on one local host, so the per-host budget is opened up.
cfg=$work/aggregator.toml
cat > "$work/watchlists.toml" <<'TOML'
[[watchlist]]
name = "dprk"
terms = [["Kim Yo-jong", "김여정"], "Pyongyang", "북한", "ballistic missile*", "미사일 발사"]

[[watchlist]]
name = "japan"
terms = [["Kishida", "기시다"], "Japan-DPRK summit", "일본", "납치 문제"]
priority = "high"

[[watchlist]]
name = "markets"
query = '(KOSPI OR 코스피 OR 한국은행 OR "central bank") AND NOT sports'
TOML
{
  echo "database = \"$work/soak.db\""
  echo 'watchlists = "watchlists.toml"'
  echo
  echo '[defaults]'
  echo 'interval = "1m"'
  echo 'min_interval = "1m"'
  echo 'concurrency = 8'
  echo 'per_host = 8'
  echo 'host_spacing = "0s"'
  echo 'timeout = "20s"'
  echo 'timezone = "+09:00"'
  while read -r name url _kind; do
    printf '\n[[feed]]\nname = "%s"\nurl = "%s"\n' "$name" "$url"
  done < "$work/feeds.txt"
} > "$cfg"
unset AGGREGATOR_DATABASE AGGREGATOR_CONFIG
"$bin" --config "$cfg" config check > "$work/config-check.txt" || {
  echo "soak: config check failed:"; cat "$work/config-check.txt"; exit 1; }
nfeeds=$(wc -l < "$work/feeds.txt")
echo "soak: feed server on 127.0.0.1:$port ($nfeeds feeds), config checked; work dir $work"

csv=${OUT:-$work/rss.csv}
mkdir -p "$(dirname "$csv")"
echo "elapsed_s,rss_kb,hwm_kb" > "$csv"

# The daemon. `env` execs it, so $! is the daemon's own pid.
# shellcheck disable=SC2086 # EXTRA_ENV is a list of VAR=value words
env $EXTRA_ENV "$bin" --config "$cfg" run 2>"$work/daemon.log" &
daemon_pid=$!
start=${EPOCHREALTIME/./}
start=$((start / 1000)) # ms

sample() { # elapsed seconds -> one CSV row; fails when the daemon is gone
  local rss hwm
  read -r rss hwm < <(awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {print r, h}' \
    "/proc/$daemon_pid/status" 2>/dev/null) || return 1
  [ -n "$rss" ] || return 1
  echo "$1,$rss,$hwm" >> "$csv"
}

died=""
k=0
while :; do
  now=${EPOCHREALTIME/./}
  now=$((now / 1000))
  due=$((start + k * STEP * 1000))
  if [ "$now" -lt "$due" ]; then
    sleep "$(printf '%d.%03d' $(((due - now) / 1000)) $(((due - now) % 1000)))"
  fi
  if ! kill -0 "$daemon_pid" 2>/dev/null || ! sample $((k * STEP)); then
    died=$((k * STEP)); break
  fi
  if [ $((k % 30)) -eq 0 ] && [ "$k" -gt 0 ]; then
    echo "soak: $((k * STEP)) s: $(tail -1 "$csv")"
  fi
  [ $((k * STEP)) -ge "$DURATION" ] && break
  k=$((k + 1))
done

# CPU time, threads and open files just before the stop.
cpu="" threads="" fds=""
if [ -z "$died" ]; then
  read -r ut st < <(awk '{print $14, $15}' "/proc/$daemon_pid/stat")
  cpu=$(awk -v u="$ut" -v s="$st" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (u + s) / hz}')
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$daemon_pid/status")
  fds=$(find "/proc/$daemon_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
fi

# Stop the daemon: SIGTERM by its pid, then wait (in-flight fetches get timeout + 5 s).
stop_note=""
if [ -z "$died" ]; then
  t0=$SECONDS
  kill -TERM "$daemon_pid"
  for _ in $(seq 600); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL "$daemon_pid"; stop_note="did not stop within 60 s of SIGTERM: killed"
  fi
  rc=0; wait "$daemon_pid" || rc=$?
  stop_note=${stop_note:-"stopped $((SECONDS - t0)) s after SIGTERM, exit code $rc"}
else
  rc=0; wait "$daemon_pid" || rc=$?
  stop_note="DIED after ~$died s, exit code $rc (log tail below)"
fi
daemon_pid=""

# What it stored and how each feed fared (read after the stop, from the same binary).
"$bin" --config "$cfg" stats --format json > "$work/stats.json" 2>"$work/stats.err" || true
"$bin" --config "$cfg" feeds --format json > "$work/feeds.json" 2>"$work/feeds.err" || true
for f in h-xxe h-billion-laughs; do
  "$bin" --config "$cfg" list --items --feed "$f" --format json > "$work/$f.json" 2>/dev/null || true
done
db_kb=$(du -ck "$work"/soak.db* 2>/dev/null | awk 'END {print $1}')

kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""

if [ -z "${OUT:-}" ]; then
  mkdir -p "$root/target"
  cp "$csv" "$root/target/soak-$LABEL.csv"
  csv_shown=$root/target/soak-$LABEL.csv
else
  csv_shown=$csv
fi
cp "$work/daemon.log" "$root/target/soak-$LABEL.log" 2>/dev/null || true

echo
echo "== soak $LABEL: $DURATION s, ${EXTRA_ENV:-no extra env} =="
echo "daemon: $stop_note; cpu ${cpu:-?} s; threads ${threads:-?}; open fds ${fds:-?}; database ${db_kb:-?} kB"
python3 - "$csv" "$DURATION" "$work" <<'PY'
import csv, json, sys, collections
path, duration, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [(int(r["elapsed_s"]), int(r["rss_kb"]), int(r["hwm_kb"])) for r in csv.DictReader(open(path))]
mb = lambda kb: f"{kb / 1024:.1f} MB"
if not rows:
    print("no samples"); sys.exit(0)
end = rows[-1][0]
peak = max(max(r[1], r[2]) for r in rows)
print(f"samples: {len(rows)} (every 10 s, 0-{end} s)")
print(f"peak RSS (VmHWM): {mb(peak)}")
at = []
for m in (5, 10, 20, 30):
    s = [r for r in rows if r[0] <= m * 60]
    at.append(f"{m} min {mb(s[-1][1])}" if s and end >= m * 60 else f"{m} min n/a")
print("RSS at: " + ", ".join(at))
third = [r for r in rows if r[0] >= end - end / 3]
rss = [r[1] for r in third]
print(f"last third ({third[0][0]}-{end} s): mean {mb(sum(rss) / len(rss))}, max {mb(max(rss))}, "
      f"min {mb(min(rss))}")
win = 600 if end >= 1800 else end / 3
pts = [r for r in rows if r[0] >= end - win]
if len(pts) >= 2:
    n = len(pts)
    xs = [r[0] / 60 for r in pts]
    ys = [r[1] for r in pts]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    label = "last 10 min" if win == 600 else f"last third, {int(win)} s"
    print(f"slope ({label}, least squares): {slope:+.1f} kB/min")
print(f"RSS first/last sample: {mb(rows[0][1])} / {mb(rows[-1][1])}")

kinds = {}
for line in open(f"{work}/feeds.txt"):
    name, url, kind = line.split()
    kinds[name] = kind
try:
    stats = json.load(open(f"{work}/stats.json"))
    print(f"\ndatabase: {stats['items']} items, {stats['stories']} stories, {stats['matches']} matches")
    per = collections.Counter()
    for f in stats["feeds"]:
        per[kinds.get(f["feed"], "?")] += f["items"]
    print("items by kind: " + ", ".join(f"{k} {per[k]}" for k in ("good", "big", "hostile")))
    for w in stats.get("watchlists", []):
        print(f"  watchlist {w['watchlist']}: {w['items']} items, {w['stories']} stories")
except Exception as e:
    print(f"\nstats unavailable: {e}: {open(work + '/stats.err').read().strip()}")
try:
    feeds = json.load(open(f"{work}/feeds.json"))
    results = collections.Counter()
    print("\nfeeds (last result, HTTP status, items stored, errors in a row, last error):")
    for f in feeds:
        s = f.get("state") or {}
        kind = kinds.get(f["name"], "?")
        results[(kind, s.get("last_result"))] += 1
        if kind == "good":
            continue
        err = (s.get("last_error") or "").replace("\n", " ")
        if len(err) > 110:
            err = err[:107] + "..."
        print(f"  {f['name']:<17} {str(s.get('last_result')):<12} {str(s.get('last_http_status')):<4} "
              f"{s.get('items', 0):>6} {s.get('error_streak', 0):>3}  {err}")
    good = {r: c for (k, r), c in results.items() if k == "good"}
    print(f"  good feeds (20): " + ", ".join(f"{c} {r}" for r, c in sorted(good.items(), key=str)))
except Exception as e:
    print(f"\nfeeds unavailable: {e}: {open(work + '/feeds.err').read().strip()}")
for name in ("h-xxe", "h-billion-laughs"):
    try:
        text = open(f"{work}/{name}.json").read()
        items = json.loads(text)
    except (OSError, ValueError):
        continue
    for it in items:
        shown = lambda v: repr((v or "")[:60]) + (f" ({len(v)} chars)" if v and len(v) > 60 else "")
        print(f"{name} stored: title {shown(it.get('title'))}, summary {shown(it.get('summary'))}")
    if name == "h-xxe":
        print("XXE: /etc/passwd content in stored items: " + ("YES" if "root:" in text else "no"))
PY

log=$work/daemon.log
echo
echo "daemon log: $(wc -l < "$log") lines, $(grep -c ' WARN ' "$log" || true) WARN, $(grep -c ' ERROR ' "$log" || true) ERROR (copied to target/soak-$LABEL.log)"
# The most frequent WARN/ERROR messages, with numbers, quoted values and addresses folded.
grep -E ' (WARN|ERROR) ' "$log" \
  | sed -E 's/^.*(WARN|ERROR) /\1 /; s/"[^"]*"/"…"/g; s/[0-9]+(\.[0-9]+)?/N/g' \
  | cut -c1-160 | sort | uniq -c | sort -rn | head -12 || true
if [ -n "$died" ]; then echo "--- daemon log tail ---"; tail -30 "$log"; fi
echo "server: $(grep -c '"GET ' "$work/server.log" || true) requests, $(grep -c '" 304 ' "$work/server.log" || true) answered 304," \
  "$(grep -c 'Request timed out' "$work/server.log" || true) idle keep-alive connections closed after 120 s," \
  "$(grep -c 'Traceback' "$work/server.log" || true) tracebacks"
echo "CSV: $csv_shown"
