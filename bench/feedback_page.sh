#!/usr/bin/env bash
# Throughput of the public answer page (issue 5): GET /portal/requests/{id} of nguon-server, a
# server-rendered HTML page of one answered feedback (no session: what any citizen or search
# engine fetches), compared with bench_hello_server's GET /, with the same number of I/O threads.
# The issue names no target for this one: the ratio is reported for information (TARGET=x makes
# the script compare against x, STRICT=1 then fails below it). For information it also measures
# bench_hello_server padded to the page's size ("hello same size").
#
# Setup, all through the same interfaces a deployment uses: nguon-admin migrate, import-units,
# create-admin; the admin creates (POST /api/v1/users) a feedback handler and a separate approver
# on commune 14797 (Phường Hạc Thành) so the four-eyes rule stays on; the handler enters one
# feedback (POST /api/v1/feedback, staff entry), accepts it, drafts and submits an answer; the
# approver approves it (published). The page must answer 200 and show the answer.
#
# Usage: bench/feedback_page.sh [BUILD_DIR=/work/main/build/release]
# Builds nothing: BUILD_DIR must contain bench_hello_server, nguon-server and nguon-admin.
# Environment: THREADS (server I/O threads, both servers, default 2), DURATION (wrk -d, 10s),
# CONNECTIONS (wrk -c, 32), WRK_THREADS (wrk -t, 2), WARMUP (wrk -d before each measurement,
# 2s; 0 to skip), SIZED=0 (skip the same-size baseline), TARGET (none), STRICT=1 (exit 3 when
# the ratio is below TARGET), LANG_QUERY (e.g. "?lang=en" for the English page; default none).
# Everything listens on 127.0.0.1 on free ports; the servers started here are stopped on exit.
set -euo pipefail

build_dir=${1:-/work/main/build/release}
threads=${THREADS:-2}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
wrk_threads=${WRK_THREADS:-2}
warmup=${WARMUP:-2s}
target=${TARGET:-}
sized=${SIZED:-1}
lang_query=${LANG_QUERY:-}

die() {
  echo "feedback_page: $*" >&2
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
admin_password=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$created")
[[ -n $admin_password ]] || die "no password in create-admin output: $created"

"$server_bin" -c "$work/nguon.toml" > "$work/nguon.out" 2>&1 &
pids+=($!)
wait_for_line "$work/nguon.out" '"msg":"listening"' "${pids[-1]}"
nguon_port=$(grep '"msg":"listening"' "$work/nguon.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' | head -n1)
[[ -n $nguon_port ]] || die "no port in listening line: $(cat "$work/nguon.out")"
base=http://127.0.0.1:$nguon_port

# login USER PASSWORD: sets $cookie and $csrf (the browser's session cookie and CSRF token).
login() {
  local out headers body
  out=$(curl -sS -D - -X POST -H 'Content-Type: application/json' \
    --data "{\"username\":\"$1\",\"password\":\"$2\"}" "$base/api/v1/auth/login")
  headers=$(tr -d '\r' <<< "$out")
  local session
  session=$(sed -n 's/^[Ss]et-[Cc]ookie: *nguon_session=\([^;]*\).*/\1/p' <<< "$headers" | head -n1)
  body=$(tail -n1 <<< "$headers")
  csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' <<< "$body")
  [[ -n $session && -n $csrf ]] || die "login as $1 failed: $out"
  cookie="Cookie: nguon_session=$session"
}

# call METHOD PATH [JSON] with the current session; prints the body; fails unless 2xx.
call() {
  local status
  status=$(curl -sS -o "$work/call.out" -w '%{http_code}' -X "$1" -H "$cookie" \
    -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' --data "${3:-}" "$base$2")
  [[ $status == 2* ]] || die "$1 $2 returned $status: $(head -c 400 "$work/call.out")"
  cat "$work/call.out"
}

login admin "$admin_password"
handler_password=bench-handler-$RANDOM$RANDOM
approver_password=bench-approver-$RANDOM$RANDOM
call POST /api/v1/users "{\"username\":\"xuly.bench\",\"display_name\":\"Ngô Thị Hạnh\",\
\"unit_code\":\"14797\",\"password\":\"$handler_password\",\
\"roles\":[{\"role\":\"feedback_handler\",\"unit_code\":\"14797\"}]}" > /dev/null
call POST /api/v1/users "{\"username\":\"duyet.bench\",\"display_name\":\"Phạm Văn Hùng\",\
\"unit_code\":\"14797\",\"password\":\"$approver_password\",\
\"roles\":[{\"role\":\"approver\",\"unit_code\":\"14797\"}]}" > /dev/null

# A realistic submission (~300 characters) and answer (~450 characters).
description="Đoạn đường liên thôn từ nhà văn hóa tổ dân phố Đông Hải đến cổng trường tiểu học bị \
sụt lún nhiều chỗ, xuất hiện các ổ gà sâu khoảng 20 cm. Mỗi khi trời mưa nước đọng thành vũng, \
xe máy chở học sinh đi qua rất dễ ngã. Đề nghị UBND phường kiểm tra, sớm bố trí kinh phí sửa \
chữa và đặt biển cảnh báo tạm thời."
answer="UBND phường Hạc Thành đã giao Tổ công trình đô thị kiểm tra hiện trường ngày 24/11. Đoạn \
đường dài khoảng 350 m có 12 ổ gà, trong đó 4 ổ sâu trên 15 cm. Phường đã đặt biển cảnh báo và \
rào chắn tạm thời; việc vá mặt đường bằng bê tông nhựa được bố trí từ nguồn kinh phí duy tu năm \
2026, thi công xong trước ngày 10/12. Trong thời gian thi công, đề nghị bà con đi chậm, nhường \
đường cho xe chở học sinh. Cảm ơn ông đã phản ánh."
login xuly.bench "$handler_password"
entered=$(call POST /api/v1/feedback "{\"service_code\":\"roads\",\
\"title\":\"Đường liên thôn xuống cấp\",\"description\":\"$description\",\
\"commune_code\":\"14797\",\"contact_name\":\"Nguyễn Văn Bình\",\
\"contact_email\":\"binh.nguyen@example.vn\"}")
id=$(grep -o '"id":[0-9]*' <<< "$entered" | head -n1 | cut -d: -f2)
[[ -n $id ]] || die "no feedback id in: $entered"
call POST "/api/v1/feedback/$id/accept" > /dev/null
call POST "/api/v1/feedback/$id/answer" "{\"text\":\"$answer\"}" > /dev/null
call POST "/api/v1/feedback/$id/answer/submit" > /dev/null
login duyet.bench "$approver_password"
approved=$(call POST "/api/v1/feedback/$id/answer/approve")
grep -q '"answer_status":"published"' <<< "$approved" || die "answer not published: $approved"

page_path=/portal/requests/$id$lang_query
nguon_url=$base$page_path
hello_url=http://127.0.0.1:$hello_port/
status=$(curl -sS -o "$work/page.html" -w '%{http_code}' "$nguon_url")
[[ $status == 200 ]] || die "GET $page_path returned $status: $(head -c 300 "$work/page.html")"
grep -q 'Tổ công trình đô thị' "$work/page.html" || die "the page does not show the answer"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$hello_url")
[[ $status == 200 ]] || die "GET hello / returned $status"
body_bytes=$(wc -c < "$work/page.html")
content_type=$(curl -sS -o /dev/null -w '%{content_type}' "$nguon_url")

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

# run_wrk NAME URL: prints the RESULT line; fails on any error response.
run_wrk() {
  local name=$1 url=$2
  local args=(-t"$wrk_threads" -c"$connections" --timeout 5s -s "$work/report.lua")
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

echo "feedback_page: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) CPU(s), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) before the runs"
echo "  servers: $threads I/O thread(s) each; wrk -t$wrk_threads -c$connections -d$duration" \
  "(warm-up $warmup); page $page_path: $body_bytes bytes, $content_type"
hello=$(run_wrk hello "$hello_url")
nguon=$(run_wrk nguon "$nguon_url")
sized_result=
if [[ $sized == 1 ]]; then
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
row "nguon GET $page_path" "$nguon"
ratio=$(awk -v n="$(get "$nguon" rps)" -v h="$(get "$hello" rps)" 'BEGIN { printf "%.3f", n / h }')
if [[ -n $sized_result ]]; then
  awk -v n="$(get "$nguon" rps)" -v h="$(get "$sized_result" rps)" \
    'BEGIN { printf "ratio nguon/hello-same-size = %.3f (information only)\n", n / h }'
fi
code=0
if [[ -z $target ]]; then
  echo "ratio nguon/hello = $ratio (no target named in issue 5; for information)"
elif awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
  echo "ratio nguon/hello = $ratio (meets target >= $target)"
else
  echo "ratio nguon/hello = $ratio (BELOW target >= $target)"
  [[ ${STRICT:-0} == 1 ]] && code=3
fi
exit "$code"
