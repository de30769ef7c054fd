#!/usr/bin/env bash
# Throughput of nguon-server on an authenticated read (GET /api/v1/units/38/children: the 166
# communes of Thanh Hóa, with session lookup, authorization and a SQLite read) compared with
# bench_hello_server, a bare Beast keep-alive server. The ratio nguon/hello is the share of the
# raw HTTP stack's throughput the application keeps; the target is >= 0.5. For information it
# also measures bench_hello_server padded to nguon's response size ("hello same size"): what
# moving a body that large costs by itself, so the rest is the application's own work.
#
# Usage: bench/api_throughput.sh [BUILD_DIR=/work/main/build/release]
# Builds nothing: BUILD_DIR must contain bench_hello_server, nguon-server and nguon-admin.
# Environment: THREADS (server I/O threads, both servers, default 2), DURATION (wrk -d, 10s),
# CONNECTIONS (wrk -c, 32), WRK_THREADS (wrk -t, 2), WARMUP (wrk -d before each measurement,
# 2s; 0 to skip), TARGET (0.5), STRICT=1 (exit 3 when the ratio is below TARGET), SIZED=0 (skip
# the same-size baseline).
# Everything listens on 127.0.0.1 on free ports; the servers started here are stopped on exit.
set -euo pipefail

build_dir=${1:-/work/main/build/release}
threads=${THREADS:-2}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
wrk_threads=${WRK_THREADS:-2}
warmup=${WARMUP:-2s}
target=${TARGET:-0.5}
sized=${SIZED:-1}

die() {
  echo "api_throughput: $*" >&2
  exit 1
}

hello_bin=$build_dir/bench/bench_hello_server
server_bin=$build_dir/apps/server/nguon-server
admin_bin=$build_dir/apps/admin/nguon-admin
for bin in "$hello_bin" "$server_bin" "$admin_bin"; do
  [[ -x $bin ]] || die "missing $bin (build it first, e.g. cmake --build --preset release)"
done
command -v wrk > /dev/null || die "wrk not found"
command -v curl > /dev/null || die "curl not found"

work=$(mktemp -d /tmp/nguon-bench.XXXXXX)
pids=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for_line FILE REGEX PID: waits (at most 15 s) until FILE has a line matching REGEX.
wait_for_line() {
  local i
  for ((i = 0; i < 150; i++)); do
    grep -qE "$2" "$1" 2> /dev/null && return 0
    kill -0 "$3" 2> /dev/null || die "server exited early; output: $(cat "$1")"
    sleep 0.1
  done
  die "timed out waiting for /$2/ in $1"
}

# --- baseline -------------------------------------------------------------------------------
"$hello_bin" "$threads" 0 > "$work/hello.out" 2>&1 &
pids+=($!)
wait_for_line "$work/hello.out" '^port=[0-9]+$' "${pids[-1]}"
hello_port=$(sed -n 's/^port=\([0-9]*\)$/\1/p' "$work/hello.out")

# --- nguon-server -----------------------------------------------------------------------------
# Log level info: the "listening" line carries the port; requests are not logged at info.
cat > "$work/nguon.toml" << EOF
[server]
listen = "127.0.0.1"
port = 0
threads = $threads
[storage]
data_dir = "$work/var"
[deployment]
scope = "38"
[security]
argon2_profile = "min"
login_attempts_per_minute_per_ip = 100000
[log]
level = "info"
EOF
"$admin_bin" -c "$work/nguon.toml" migrate > "$work/admin.log" 2>&1 || die "migrate failed: $(cat "$work/admin.log")"
"$admin_bin" -c "$work/nguon.toml" import-units >> "$work/admin.log" 2>&1 ||
  die "import-units failed: $(cat "$work/admin.log")"
created=$("$admin_bin" -c "$work/nguon.toml" create-admin --username admin 2>> "$work/admin.log") ||
  die "create-admin failed: $(cat "$work/admin.log")"
password=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$created")
[[ -n $password ]] || die "no password in create-admin output: $created"

"$server_bin" -c "$work/nguon.toml" > "$work/nguon.out" 2>&1 &
pids+=($!)
wait_for_line "$work/nguon.out" '"msg":"listening"' "${pids[-1]}"
nguon_port=$(grep '"msg":"listening"' "$work/nguon.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' | head -n1)
[[ -n $nguon_port ]] || die "no port in listening line: $(cat "$work/nguon.out")"

login_headers=$(curl -sS -o /dev/null -D - -X POST -H 'Content-Type: application/json' \
  --data "{\"username\":\"admin\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$nguon_port/api/v1/auth/login")
session=$(tr -d '\r' <<< "$login_headers" | sed -n 's/^[Ss]et-[Cc]ookie: *nguon_session=\([^;]*\).*/\1/p' | head -n1)
[[ -n $session ]] || die "login failed: $login_headers"
cookie="Cookie: nguon_session=$session"

nguon_path=${ENDPOINT:-/api/v1/units/38/children}
nguon_url=http://127.0.0.1:$nguon_port$nguon_path
hello_url=http://127.0.0.1:$hello_port/
status=$(curl -sS -o "$work/children.json" -w '%{http_code}' -H "$cookie" "$nguon_url")
[[ $status == 200 ]] || die "GET $nguon_path returned $status: $(head -c 300 "$work/children.json")"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$hello_url")
[[ $status == 200 ]] || die "GET hello / returned $status"
body_bytes=$(wc -c < "$work/children.json")

# --- measurement ------------------------------------------------------------------------------
# wrk counts HTTP statuses >= 400 in errors.status; done() prints one parseable line.
cat > "$work/report.lua" << 'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

# run_wrk NAME URL [HEADER]: prints the RESULT line; fails on any error response.
run_wrk() {
  local name=$1 url=$2
  local args=(-t"$wrk_threads" -c"$connections" --timeout 5s -s "$work/report.lua")
  [[ $# -ge 3 ]] && args+=(-H "$3")
  if [[ $warmup != 0 ]]; then
    wrk "${args[@]}" -d"$warmup" "$url" > "$work/$name.warmup" 2>&1 ||
      die "wrk warm-up failed for $name: $(cat "$work/$name.warmup")"
  fi
  wrk "${args[@]}" -d"$duration" "$url" > "$work/$name.wrk" 2>&1 ||
    die "wrk failed for $name: $(cat "$work/$name.wrk")"
  local line
  line=$(grep '^RESULT ' "$work/$name.wrk") || die "no RESULT from wrk for $name: $(cat "$work/$name.wrk")"
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
  local requests status_errors socket_errors
  requests=$(field requests)
  status_errors=$(field status_errors)
  socket_errors=$(field socket_errors)
  ((requests > 0)) || die "$name: no requests completed"
  ((status_errors == 0)) || die "$name: $status_errors responses with status >= 400"
  ((socket_errors == 0)) || die "$name: $socket_errors socket errors/timeouts"
  echo "$line"
}

echo "api_throughput: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) CPU(s), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) before the runs"
echo "  servers: $threads I/O thread(s) each; wrk -t$wrk_threads -c$connections -d$duration" \
  "(warm-up $warmup); nguon body $body_bytes bytes"
hello=$(run_wrk hello "$hello_url")
nguon=$(run_wrk nguon "$nguon_url" "$cookie")
sized_result=
if [[ $sized == 1 ]]; then
  # Same server, body padded to the size of the nguon response measured above.
  "$hello_bin" "$threads" 0 "$body_bytes" > "$work/sized.out" 2>&1 &
  pids+=($!)
  wait_for_line "$work/sized.out" '^port=[0-9]+$' "${pids[-1]}"
  sized_port=$(sed -n 's/^port=\([0-9]*\)$/\1/p' "$work/sized.out")
  sized_result=$(run_wrk sized "http://127.0.0.1:$sized_port/")
fi

get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
row() {
  printf '%-40s %10s %9s %9s %10s\n' "$1" "$(get "$2" rps)" "$(get "$2" p50_ms)" \
    "$(get "$2" p99_ms)" "$(get "$2" requests)"
}
printf '%-40s %10s %9s %9s %10s\n' endpoint req/s p50_ms p99_ms requests
row "hello GET / (33 B)" "$hello"
[[ -n $sized_result ]] && row "hello same size GET / ($body_bytes B)" "$sized_result"
row "nguon GET $nguon_path" "$nguon"
ratio=$(awk -v n="$(get "$nguon" rps)" -v h="$(get "$hello" rps)" 'BEGIN { printf "%.3f", n / h }')
if [[ -n $sized_result ]]; then
  awk -v n="$(get "$nguon" rps)" -v h="$(get "$sized_result" rps)" \
    'BEGIN { printf "ratio nguon/hello-same-size = %.3f (information only)\n", n / h }'
fi
if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
  verdict="meets target >= $target"
  code=0
else
  verdict="BELOW target >= $target"
  code=0
  [[ ${STRICT:-0} == 1 ]] && code=3
fi
echo "ratio nguon/hello = $ratio ($verdict)"
exit "$code"
