#!/usr/bin/env bash
# Broadcast fan-out: from the API call that orders province 38 to play, to 99 % of N simulated
# devices reporting "playing", against the raw broker baseline in the same run: one
# `mosquitto_pub -q 1` to the same area topic, to the same subscribers. Both are timed at the
# same two places: at the devices (ours: each device hands its `playing` event to its
# connection; the baseline: the raw publish reaches it; the simulator records both) and at an
# observer subscribed to the devices' events (ours: `playing`; the baseline: the `rejected`
# event each device answers the unsigned publish with). Targets: ours / baseline <= 1.5 at both
# places, and p99 <= 2 s at N = 10,000 at the observer.
#
# Usage: bench/broadcast_fanout.sh [BUILD_DIR=/work/main/build/release]
# Builds nothing: BUILD_DIR must contain nguon-server, nguon-admin, nguon-simulator and
# bench/bench_broadcast_fanout. Needs mosquitto, mosquitto_ctrl, mosquitto_pub.
# Environment: N ("1000 10000"), REPS (3: measurements per N, each with a fresh simulator
# process), JOBS (1: parallel provisioning connections; provisions are serialized by the
# server anyway), BULK_ABOVE (2000: above this N, device broker accounts are written in bulk,
# see bench/README.md), THREADS (2: server I/O threads),
# TIMEOUT (60 s per measurement), TARGET_RATIO (1.5), TARGET_P99_MS (2000), KEEP=1 (keep the
# temporary directory), STRICT=1 (exit 3 when a target is missed), SIM_ARGS (extra
# nguon-simulator options, split on spaces, e.g. SIM_ARGS=--no-verify-cache).
# Everything listens on 127.0.0.1 on free ports; every process started here is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-/work/main/build/release}
sizes=${N:-1000 10000}
reps=${REPS:-3}
jobs=${JOBS:-1}
bulk_above=${BULK_ABOVE:-2000}
threads=${THREADS:-2}
timeout_s=${TIMEOUT:-60}
target_ratio=${TARGET_RATIO:-1.5}
target_p99=${TARGET_P99_MS:-2000}
read -r -a sim_args <<< "${SIM_ARGS:-}"

die() {
  echo "broadcast_fanout: $*" >&2
  exit 1
}

server_bin=$build_dir/apps/server/nguon-server
admin_bin=$build_dir/apps/admin/nguon-admin
sim_bin=$build_dir/apps/simulator/nguon-simulator
bench_bin=$build_dir/bench/bench_broadcast_fanout
for bin in "$server_bin" "$admin_bin" "$sim_bin" "$bench_bin"; do
  [[ -x $bin ]] || die "missing $bin (build it first)"
done
for cmd in mosquitto mosquitto_pub mosquitto_ctrl curl python3; do
  command -v "$cmd" > /dev/null || die "$cmd not found"
done
pub_bin=$(command -v mosquitto_pub)

ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/nguon-fanout.XXXXXX)
pids=()
brokers=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid dir
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  for dir in "${brokers[@]}"; do "$repo/scripts/broker.sh" stop "$dir" > /dev/null 2>&1 || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "broadcast_fanout: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# stop_pid PID: SIGTERM, wait, and forget it.
stop_pid() {
  local pid=$1 keep=() p
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0; }

# wait_quiet PID...: until the processes together use < 5 % of a core over 1 s (at most 120 s),
# so that one measurement does not start while the previous one's reports are being processed.
wait_quiet() {
  local hz i p before after
  hz=$(getconf CLK_TCK)
  for ((i = 0; i < 120; i++)); do
    before=0
    for p in "$@"; do before=$((before + $(cpu_ticks "$p"))); done
    sleep 1
    after=0
    for p in "$@"; do after=$((after + $(cpu_ticks "$p"))); done
    ((after - before <= hz / 20)) && return 0
  done
  echo "broadcast_fanout: warning: processes still busy after 120 s" >&2
}

# sim_field FILE KEY: KEY of the simulator's last counts line.
sim_field() { tail -n1 "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# wait_sim_connected OUT N PID
wait_sim_connected() {
  local i c
  for ((i = 0; i < 1200; i++)); do
    c=$(sim_field "$1" connected)
    [[ ${c:-0} -ge $2 ]] && return 0
    kill -0 "$3" 2> /dev/null || die "simulator exited: $(tail -n5 "$1")"
    sleep 0.1
  done
  die "simulator: only ${c:-0} of $2 connected after 120 s"
}

# wait_not_playing OUT: until the simulator reports no device playing (at most 60 s).
wait_not_playing() {
  local i p
  for ((i = 0; i < 600; i++)); do
    p=$(sim_field "$1" playing)
    [[ ${p:-1} -eq 0 ]] && return 0
    sleep 0.1
  done
  echo "broadcast_fanout: warning: $p devices still playing after 60 s" >&2
}

get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
# o / b with two decimals, "n/a" when o was not reached (negative) or b is not positive.
ratio_of() { awk -v o="$1" -v b="$2" 'BEGIN { if (o == "" || o < 0 || b <= 0) print "n/a"; else printf "%.2f", o / b }'; }

echo "broadcast_fanout: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) CPU(s), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); N=\"$sizes\" REPS=$reps SIM_ARGS=\"${SIM_ARGS:-}\";" \
  "$(mosquitto -h 2> /dev/null | head -n1)"

summary=()
code=0
for n in $sizes; do
  dir=$work/n$n
  mkdir -p "$dir"
  # --- broker --------------------------------------------------------------------------------
  mqtt_port=$(free_port)
  "$repo/scripts/broker.sh" start "$dir/broker" "$mqtt_port" > "$dir/broker.out" 2>&1 ||
    die "broker: $(cat "$dir/broker.out")"
  brokers+=("$dir/broker")
  broker_pid=$(cat "$dir/broker/mosquitto.pid")
  # --- server --------------------------------------------------------------------------------
  http_port=$(free_port)
  bulk=0
  ((n > bulk_above)) && bulk=1
  accounts=dynsec
  ((bulk)) && accounts=external
  write_config() {
    cat > "$dir/nguon.toml" << EOF
[server]
listen = "127.0.0.1"
port = $http_port
threads = $threads
[storage]
data_dir = "$dir/var"
[deployment]
scope = "38"
[security]
argon2_profile = "min"
login_attempts_per_minute_per_ip = 100000
[broker]
enabled = true
port = $mqtt_port
username = "nguon-server"
password_file = "$dir/broker/server.password"
accounts = "$1"
[devices]
media_base_url = "http://127.0.0.1:$http_port/api/v1/device-media"
[log]
level = "warn"
EOF
  }
  write_config "$accounts"
  admin() { "$admin_bin" -c "$dir/nguon.toml" "$@"; }
  admin migrate > "$dir/admin.log" 2>&1 || die "migrate: $(cat "$dir/admin.log")"
  admin import-units >> "$dir/admin.log" 2>&1 || die "import-units: $(cat "$dir/admin.log")"
  out=$(admin create-admin --username admin 2>> "$dir/admin.log") || die "create-admin: $out"
  admin_pw=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$out")
  out=$(admin users create --username editor --name editor --unit 38 --role editor@38 \
    2>> "$dir/admin.log") || die "users create: $out"
  editor_pw=$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<< "$out")
  printf 'admin %s\neditor %s\n' "$admin_pw" "$editor_pw" > "$dir/creds"

  start_server() {
    "$server_bin" -c "$dir/nguon.toml" >> "$dir/server.out" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for ((i = 0; i < 600; i++)); do
      [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz") == 200 ]] && return 0
      kill -0 "$server_pid" 2> /dev/null || die "server exited: $(cat "$dir/server.out")"
      sleep 0.1
    done
    die "server not ready after 60 s"
  }
  if ((bulk)); then
    # Started once with the plugin so that it gives its own account the "nguon-server" role
    # (publishing orders, manifests), then without it for the provisioning.
    write_config dynsec
    start_server
    stop_pid "$server_pid"
    write_config external
  fi
  start_server

  # --- devices -------------------------------------------------------------------------------
  setup_out=$("$bench_bin" setup --port "$http_port" --creds "$dir/creds" --n "$n" \
    --out "$dir/bundles" --jobs "$jobs") || die "setup failed"
  sha=$(sed -n 's/^sha256=//p' <<< "$setup_out")
  echo "N=$n: $(grep '^SETUP' <<< "$setup_out") broker=:$mqtt_port server=:$http_port accounts=$accounts"
  if ((bulk)); then
    # Same broker state as provisioning through the plugin, written once (see README).
    stop_pid "$server_pid"
    "$repo/scripts/broker.sh" stop "$dir/broker" > /dev/null 2>&1
    python3 "$repo/bench/dynsec_bulk_accounts.py" "$dir/broker/dynsec.json" "$dir/bundles" ||
      die "bulk accounts failed"
    "$repo/scripts/broker.sh" start "$dir/broker" "$mqtt_port" > "$dir/broker.out" 2>&1 ||
      die "broker: $(cat "$dir/broker.out")"
    broker_pid=$(cat "$dir/broker/mosquitto.pid")
    write_config dynsec
    start_server
  fi
  wait_quiet "$server_pid" "$broker_pid"

  for ((rep = 1; rep <= reps; rep++)); do
    # A fresh simulator per repetition: it records each device's FIRST non-retained arrival.
    arrivals=$dir/arrivals.$rep
    reports=$dir/reports.$rep
    sim_out=$dir/sim.$rep.out
    "$sim_bin" --bundles "$dir/bundles" --sink null --media-cache "$dir/media" \
      --record-arrivals "$arrivals" --record-reports "$reports" "${sim_args[@]}" \
      > "$sim_out" 2> "$dir/sim.$rep.err" &
    sim_pid=$!
    pids+=("$sim_pid")
    t_conn=$(date +%s.%N)
    wait_sim_connected "$sim_out" "$n" "$sim_pid"
    conn_s=$(awk -v a="$t_conn" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    wait_quiet "$server_pid" "$broker_pid" "$sim_pid"
    sim_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$sim_pid/status")
    load=$(cut -d' ' -f1-3 /proc/loadavg)

    base=$("$bench_bin" baseline --mqtt-port "$mqtt_port" --password-file "$dir/broker/server.password" \
      --n "$n" --arrivals "$arrivals" --pub "$pub_bin" --timeout "$timeout_s" \
      --watch "server=$server_pid,broker=$broker_pid,simulator=$sim_pid") || die "baseline failed"
    wait_quiet "$server_pid" "$broker_pid" "$sim_pid"

    # Warm-up order: the shared media cache gets (and trusts) the audio, as a real device's
    # prefetched manifest would; then stopped.
    warm=$("$bench_bin" order --port "$http_port" --mqtt-port "$mqtt_port" \
      --password-file "$dir/broker/server.password" --creds "$dir/creds" --sha "$sha" --n "$n" \
      --timeout "$timeout_s" --stop) || die "warm-up order failed"
    wait_not_playing "$sim_out"
    wait_quiet "$server_pid" "$broker_pid" "$sim_pid"

    ours=$("$bench_bin" order --port "$http_port" --mqtt-port "$mqtt_port" \
      --password-file "$dir/broker/server.password" --creds "$dir/creds" --sha "$sha" --n "$n" \
      --timeout "$timeout_s" --watch "server=$server_pid,broker=$broker_pid,simulator=$sim_pid" \
      --reports "$reports" --stop) || die "order failed"
    wait_not_playing "$sim_out"
    wait_quiet "$server_pid" "$broker_pid" "$sim_pid"
    # Issue 6: the same emergency issued as a CAP alert from the console (the API call also
    # writes the CAP document and synthesizes the bulletin; the devices fetch the new audio).
    alert=$("$bench_bin" order --port "$http_port" --mqtt-port "$mqtt_port" \
      --password-file "$dir/broker/server.password" --creds "$dir/creds" --sha "$sha" --n "$n" \
      --timeout "$timeout_s" --watch "server=$server_pid,broker=$broker_pid,simulator=$sim_pid" \
      --alert --stop) || die "alert failed"
    wait_not_playing "$sim_out"
    wait_quiet "$server_pid" "$broker_pid" "$sim_pid"
    stop_pid "$sim_pid"

    b99=$(get "$base" arrival_t99_ms)
    r99=$(get "$base" rejected_t99_ms)
    o99=$(get "$ours" playing_t99_ms)
    d99=$(get "$ours" parallel_t99_ms)
    s99=$(get "$ours" reported_t99_ms)
    a99=$(get "$alert" playing_t99_ms)
    ratio_dev=$(ratio_of "$d99" "$b99")
    ratio_obs=$(ratio_of "$o99" "$r99")
    ratio_mixed=$(ratio_of "$o99" "$b99")
    echo "N=$n run $rep (connect ${conn_s} s, simulator RSS ${sim_rss} kB, load average $load)"
    echo "  baseline: $base"
    echo "  warm-up:  $warm"
    echo "  ours:     $ours"
    echo "  alert:    $alert"
    printf '  time to 99%%, at the devices: ours reported playing %s ms (%s ms one after another on the simulator'"'"'s thread), baseline arrived %s ms (ratio %s)\n' \
      "$d99" "$s99" "$b99" "$ratio_dev"
    printf '  time to 99%%, at the observer: ours playing events %s ms, baseline rejected events %s ms (ratio %s)\n' \
      "$o99" "$r99" "$ratio_obs"
    printf '  ours at the observer against the baseline at the devices: ratio %s\n' "$ratio_mixed"
    summary+=("$(printf '%6s %3s %8s %9s %9s %8s %9s %9s %8s %8s %9s %9s %8s' "$n" "$rep" \
      "$(get "$ours" api_ms)" "$d99" "$b99" "$ratio_dev" "$o99" "$r99" "$ratio_obs" "$ratio_mixed" \
      "$(get "$alert" api_ms)" "$a99" "$(ratio_of "$a99" "$r99")")")
    missed=$(awk -v d="$ratio_dev" -v r="$ratio_obs" -v t="$target_ratio" -v o="$o99" \
      -v p="$target_p99" -v n="$n" \
      'BEGIN { m = (d == "n/a" || r == "n/a" || d > t || r > t); if (n >= 10000 && (o < 0 || o > p)) m = 1; print m }')
    if [[ $missed == 1 && ${STRICT:-0} == 1 ]]; then code=3; fi
  done
  stop_pid "$server_pid"
  "$repo/scripts/broker.sh" stop "$dir/broker" > /dev/null 2>&1 || true
done

echo
echo "time to 99% of N devices (ms from t0; targets: ratios <= $target_ratio, ours_t99 <= $target_p99 ms at 10,000)"
echo "  dev: at the devices (ours: the playing event handed to the connection, devices in parallel; baseline: the raw publish arrived)"
echo "  obs: at the observer subscribed to the devices' events (ours: playing; baseline: rejected)"
echo "  mixed: ours at the observer / the baseline at the devices; alert ratio: alert_t99 / base_obs"
printf '%6s %3s %8s %9s %9s %8s %9s %9s %8s %8s %9s %9s %8s\n' N run api_ms ours_dev base_dev \
  ratio ours_obs base_obs ratio mixed alert_api alert_obs ratio
for line in "${summary[@]}"; do echo "$line"; done
exit "$code"
