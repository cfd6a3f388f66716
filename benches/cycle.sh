#!/usr/bin/env bash
# Daemon cycle benchmark (figures, not a test). Serves N generated feeds × 30 items from a local
# nginx (ETag and Last-Modified on), then measures one cold and one warm (all 304) cycle of:
#   floor       curl --parallel (8 at a time): the plain concurrent download of the same files
#   aggregator  aggregator poll --once (one cycle: fetch, parse, dedup, match, store), and
#               aggregator run until its first cycle is done (wall includes the 0.1 s polls
#               of `feeds` that watch for the end)
#   newsboat    newsboat -x reload (reload-threads 8)
# and reports wall time, CPU time (user+sys) and peak RSS of each.
#
#   bash benches/cycle.sh            # 1,000 feeds
#   FEEDS=10000 bash benches/cycle.sh
#   SKIP_NEWSBOAT=1 bash benches/cycle.sh
#   BASELINE=/path/to/older/aggregator bash benches/cycle.sh   # an earlier build beside this
#                                    # one, in the same run (each on a database of its own)
#   WEB=1 bash benches/cycle.sh      # the daemon with its web view on (loopback, open access),
#                                    # the stories page asked for every 0.1 s during its cycle
#
# Installs nginx and newsboat from Debian if missing. Starts nginx on 127.0.0.1 and stops it
# (by its own pid file) on exit. Everything lives in a temp dir, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-1000}
PAR=8

need=()
command -v nginx >/dev/null || need+=(nginx)
[ -n "${SKIP_NEWSBOAT:-}" ] || command -v newsboat >/dev/null || need+=(newsboat)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/aggregator-cycle.XXXXXX)
nginx_pid="$work/nginx.pid"
cleanup() {
  if [ -f "$nginx_pid" ]; then kill "$(cat "$nginx_pid")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
bin=$PWD/target/release/aggregator
INGEST_GENERATE_ONLY="$work/www" INGEST_FEEDS="$FEEDS" cargo bench --quiet --bench ingest >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
web_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $nginx_pid;
error_log $work/nginx/error.log;
user root;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  types { application/rss+xml xml; }
  etag on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do [ -f "$nginx_pid" ] && break; sleep 0.1; done

urls="$work/urls.txt"
(cd "$work/www" && ls ./*.xml) | sed "s|^\./|http://127.0.0.1:$port/|" > "$urls"
n=$(wc -l < "$urls")

# aggregator config: every feed on one local host, so the per-host budget is opened up.
cfg="$work/aggregator.toml"
{
  echo "database = \"$work/agg.db\""
  echo "watchlists = \"$PWD/config/watchlists.toml\""
  echo "[defaults]"
  echo "concurrency = $PAR"
  echo "per_host = $PAR"
  echo "host_spacing = \"0s\""
  echo "timezone = \"+09:00\""
  if [ -n "${WEB:-}" ]; then
    printf '[web]\nenabled = true\nlisten = "127.0.0.1:%s"\n' "$web_port"
  fi
  i=0
  while read -r u; do
    i=$((i + 1))
    printf '[[feed]]\nname = "f%05d"\nurl = "%s"\n' "$i" "$u"
  done < "$urls"
} > "$cfg"

# curl: one config file of URLs, fetched $PAR at a time into /dev/null.
curlcfg="$work/curl.cfg"
sed 's|.*|url = "&"\noutput = "/dev/null"|' "$urls" > "$curlcfg"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    echo "$label failed:"; cat "$work/err"; return 1; }
  read -r wall user sys rss < "$work/time"
  printf '%-22s %8.2f s wall %8.2f s cpu %8.1f MB peak RSS\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $rss / 1024" | bc)"
}

echo "cycle benchmark: $n feeds × 30 items from nginx on 127.0.0.1:$port, $PAR at a time"
measure "floor cold" curl -s --parallel --parallel-max $PAR -K "$curlcfg"
measure "floor warm (304)" curl -s --parallel --parallel-max $PAR -z "$(date -u -R -d '+1 day')" -K "$curlcfg"
measure "aggregator cold" "$bin" --config "$cfg" poll --once
if [ -n "${BASELINE:-}" ]; then
  AGGREGATOR_DATABASE="$work/baseline.db" measure "baseline cold" "$BASELINE" --config "$cfg" poll --once
fi
measure "aggregator warm" "$bin" --config "$cfg" poll --once
if [ -n "${BASELINE:-}" ]; then
  AGGREGATOR_DATABASE="$work/baseline.db" measure "baseline warm" "$BASELINE" --config "$cfg" poll --once
fi
"$bin" --config "$cfg" poll --once | sed 's/^/  (third poll) /'

# The daemon itself: `aggregator run` on a fresh database until every feed has been fetched once
# (its first, cold cycle), then SIGTERM.
daemon_cycle() {
  AGGREGATOR_DATABASE="$work/daemon.db" /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$bin" --config "$cfg" run 2>"$work/daemon.log" &
  local timer=$!
  local pid=""
  for _ in $(seq 100); do pid=$(pgrep -P "$timer" || true); [ -n "$pid" ] && break; sleep 0.05; done
  local fetched=0
  for _ in $(seq 6000); do
    # (Before the daemon has created its database, `feeds` fails: not fetched yet.)
    fetched=$( (AGGREGATOR_DATABASE="$work/daemon.db" "$bin" --config "$cfg" feeds --format csv 2>/dev/null || true) \
      | awk -F, 'NR > 1 && $3 != ""' | wc -l)
    [ "$fetched" -ge "$n" ] && break
    if [ -n "${WEB:-}" ]; then
      curl -s -o /dev/null "http://127.0.0.1:$web_port/?all=1" || true
    fi
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$timer" || true
  read -r wall user sys rss < "$work/time"
  printf '%-22s %8.2f s wall %8.2f s cpu %8.1f MB peak RSS  (%s feeds fetched, then SIGTERM)\n' \
    "aggregator run (cold)" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $rss / 1024" | bc)" "$fetched"
}
daemon_cycle
if [ -z "${SKIP_NEWSBOAT:-}" ]; then
  mkdir -p "$work/nb"
  echo "reload-threads $PAR" > "$work/nb/config"
  export HOME="$work/nb"
  measure "newsboat cold" newsboat -x reload -u "$urls" -c "$work/nb/cache.db" -C "$work/nb/config"
  measure "newsboat warm" newsboat -x reload -u "$urls" -c "$work/nb/cache.db" -C "$work/nb/config"
fi
