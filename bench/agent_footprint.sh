#!/usr/bin/env bash
# Resident memory and idle CPU of one real nguon-agent, connected to Mosquitto (dynamic-security
# plugin, scripts/broker.sh) with a bundle provisioned by nguon-server. Target: RSS <= 15 MB.
#
# Usage: bench/agent_footprint.sh [BUILD_DIR=/work/main/build/release]
# Builds nothing: BUILD_DIR must contain nguon-server, nguon-admin, nguon-agent and
# bench/bench_broadcast_fanout (used to log in, synthesize the audio and provision the device).
# Environment: SETTLE (10: seconds after start before reading memory), IDLE (30: seconds of CPU
# measurement), SINK (null: the agent's --sink; "alsa" needs sound hardware), HEARTBEAT (60: the
# agent's default), TARGET_KB (15360), KEEP=1 (keep the temporary directory).
# Prints VmRSS/VmHWM/VmSize/threads from /proc/PID/status after SETTLE s, then utime+stime from
# /proc/PID/stat over IDLE s as a percentage of one core, then the memory again.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-/work/main/build/release}
settle=${SETTLE:-10}
idle=${IDLE:-30}
sink=${SINK:-null}
heartbeat=${HEARTBEAT:-60}
target_kb=${TARGET_KB:-15360}

die() {
  echo "agent_footprint: $*" >&2
  exit 1
}

server_bin=$build_dir/apps/server/nguon-server
admin_bin=$build_dir/apps/admin/nguon-admin
agent_bin=$build_dir/apps/agent/nguon-agent
bench_bin=$build_dir/bench/bench_broadcast_fanout
for bin in "$server_bin" "$admin_bin" "$agent_bin" "$bench_bin"; do
  [[ -x $bin ]] || die "missing $bin (build it first)"
done

work=$(mktemp -d /tmp/nguon-footprint.XXXXXX)
pids=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  "$repo/scripts/broker.sh" stop "$work/broker" > /dev/null 2>&1 || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "agent_footprint: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mqtt_port=$(free_port)
"$repo/scripts/broker.sh" start "$work/broker" "$mqtt_port" > "$work/broker.out" 2>&1 ||
  die "broker: $(cat "$work/broker.out")"
http_port=$(free_port)
cat > "$work/nguon.toml" << EOF
[server]
listen = "127.0.0.1"
port = $http_port
threads = 2
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
[devices]
media_base_url = "http://127.0.0.1:$http_port/api/v1/device-media"
[log]
level = "warn"
EOF
admin() { "$admin_bin" -c "$work/nguon.toml" "$@"; }
admin migrate > "$work/admin.log" 2>&1 || die "migrate: $(cat "$work/admin.log")"
admin import-units >> "$work/admin.log" 2>&1 || die "import-units: $(cat "$work/admin.log")"
out=$(admin create-admin --username admin 2>> "$work/admin.log") || die "create-admin: $out"
admin_pw=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$out")
out=$(admin users create --username editor --name editor --unit 38 --role editor@38 \
  2>> "$work/admin.log") || die "users create: $out"
editor_pw=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$out")
printf 'admin %s\neditor %s\n' "$admin_pw" "$editor_pw" > "$work/creds"

"$server_bin" -c "$work/nguon.toml" > "$work/server.out" 2>&1 &
pids+=($!)
for ((i = 0; i < 200; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz") == 200 ]] && break
  kill -0 "${pids[-1]}" 2> /dev/null || die "server exited: $(cat "$work/server.out")"
  sleep 0.1
done
"$bench_bin" setup --port "$http_port" --creds "$work/creds" --n 1 --out "$work/bundles" \
  --jobs 1 > "$work/setup.out" || die "setup failed"
bundle=$(ls "$work"/bundles/*.json)

"$agent_bin" --bundle "$bundle" --state "$work/state" --sink "$sink" --heartbeat "$heartbeat" \
  --log-level warn > "$work/agent.out" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")

mem() {
  awk '/^(VmRSS|VmHWM|VmSize|RssAnon|RssFile|Threads):/ { printf "%s %s%s ", $1, $2, ($3 ? " " $3 : "") }' \
    "/proc/$agent_pid/status"
}
# Proportional set size: shared library pages divided among the processes mapping them.
pss() {
  awk '/^(Pss|Pss_Anon|Pss_File):/ { printf "%s %s kB ", $1, $2 }' "/proc/$agent_pid/smaps_rollup" 2> /dev/null
}
ticks() { awk '{ print $14 + $15 }' "/proc/$agent_pid/stat"; }

echo "agent_footprint: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) CPU(s), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); sink=$sink heartbeat=${heartbeat}s"
sleep "$settle"
kill -0 "$agent_pid" 2> /dev/null || die "agent exited: $(cat "$work/agent.out")"
echo "after ${settle} s: $(mem)"
hz=$(getconf CLK_TCK)
t_before=$(ticks)
ns_before=$(date +%s%N)
sleep "$idle"
t_after=$(ticks)
ns_after=$(date +%s%N)
echo "after $((settle + idle)) s: $(mem)"
echo "  $(pss)"
echo "  shared libraries loaded: $(awk '$6 ~ /\.so/ { print $6 }' "/proc/$agent_pid/maps" | sort -u | wc -l)"
cpu=$(awk -v t="$((t_after - t_before))" -v hz="$hz" -v ns="$((ns_after - ns_before))" \
  'BEGIN { printf "%.3f", 100 * (t / hz) / (ns / 1e9) }')
echo "idle CPU over ${idle} s: $((t_after - t_before)) ticks of 1/${hz} s = ${cpu} % of one core"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$agent_pid/status")
verdict=$( ((hwm <= target_kb)) && echo "meets" || echo "MISSES")
echo "RESULT rss_kb=$rss hwm_kb=$hwm cpu_percent=$cpu ($verdict target <= $target_kb kB)"
