#!/usr/bin/env bash
# Live broadcast latency on loopback (issue 6): starts Mosquitto (scripts/broker.sh) and
# nguon-server on free ports with a fresh SQLite data directory, then runs
# bench_live_latency, which provisions DEVICES agents (file sinks), goes live on their communes
# and measures packet → device sink against a direct listener of the mount. Target: p99 ≤ 3 s.
#
# Usage: bench/live_latency.sh [BUILD_DIR=/work/main/build/release]
# Environment: DEVICES (3), SPEAK_SECONDS (20), KEEP=1 (keep the temporary directory).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-/work/main/build/release}
devices=${DEVICES:-3}
seconds=${SPEAK_SECONDS:-20}
server_bin=$build_dir/apps/server/nguon-server
admin_bin=$build_dir/apps/admin/nguon-admin
agent_bin=$build_dir/apps/agent/nguon-agent
bench_bin=$build_dir/bench/bench_live_latency
for bin in "$server_bin" "$admin_bin" "$agent_bin" "$bench_bin"; do
  [[ -x $bin ]] || { echo "live_latency: missing $bin (build it first)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/nguon-live.XXXXXX)
server_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  [[ -n $server_pid ]] && { kill -TERM "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; }
  "$repo/scripts/broker.sh" stop "$work/broker" > /dev/null 2>&1 || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "live_latency: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mqtt_port=$(free_port)
http_port=$(free_port)
"$repo/scripts/broker.sh" start "$work/broker" "$mqtt_port" > "$work/broker.out" 2>&1 ||
  { cat "$work/broker.out" >&2; exit 1; }
cat > "$work/nguon.toml" << EOF2
[server]
listen = "127.0.0.1"
port = $http_port
[storage]
data_dir = "$work/var"
[deployment]
scope = "38"
[security]
argon2_profile = "min"
[broker]
enabled = true
port = $mqtt_port
username = "nguon-server"
password_file = "$work/broker/server.password"
[log]
level = "warn"
EOF2
admin() { "$admin_bin" -c "$work/nguon.toml" "$@"; }
admin migrate > "$work/admin.log" 2>&1
admin import-units >> "$work/admin.log" 2>&1
out=$(admin create-admin --username admin 2>> "$work/admin.log")
password=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$out")
"$server_bin" -c "$work/nguon.toml" >> "$work/server.out" 2>&1 &
server_pid=$!
for ((i = 0; i < 600; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz") == 200 ]] && break
  kill -0 "$server_pid" 2> /dev/null || { cat "$work/server.out" >&2; exit 1; }
  sleep 0.1
done
echo "live_latency: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) CPU(s), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); build $build_dir"
mkdir -p "$work/devices"
${GDB:+gdb -batch -ex "catch throw" -ex run -ex bt --args} "$bench_bin" --port "$http_port" --password "$password" --agent "$agent_bin" \
  --work "$work/devices" --devices "$devices" --seconds "$seconds"
