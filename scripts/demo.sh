#!/usr/bin/env bash
# Sets up everything and runs the Nguồn demo: the server on SQLite with the units of Thanh Hóa
# province (38), demo villages and users, on http://127.0.0.1:8080 (NGUON_SERVER_PORT and
# NGUON_SERVER_LISTEN override); a local Mosquitto broker on 127.0.0.1:18830 (NGUON_BROKER_PORT)
# and eight simulated loudspeaker clusters and boards in two demo communes (nguon-simulator),
# so the device dashboard is alive; a local SMTP sink on 127.0.0.1:18825 (NGUON_SMTP_PORT) that
# keeps the e-mails sent to citizens as files in var/demo/mail/. Data lives in var/demo/; run
# again to reuse it (the admin password is regenerated and printed each time). Stop with Ctrl-C
# (stops them all).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" --target nguon-server nguon-admin nguon-simulator \
  nguon-smtp-sink
(cd web && npm run build --silent)

demo=var/demo
mkdir -p "$demo"
config="$demo/nguon.toml"
if [ ! -f "$config" ]; then
  cat >"$config" <<TOML
# Demo configuration (see docs/configuration.md). Paths are relative to this file.
[server]
listen = "127.0.0.1"
port = 8080
web_root = "$root/web/dist"

[storage]
backend = "sqlite"
data_dir = "."

[deployment]
scope = "38"
data_dir = "$root/data"

[log]
level = "info"
TOML
fi
# The broker section (added to configurations made before the demo had devices).
if ! grep -q '^\[broker\]' "$config"; then
  cat >>"$config" <<TOML

[broker]
enabled = true
port = 18830
username = "nguon-server"
password_file = "broker/server.password"
TOML
fi
# Outgoing mail goes to the local sink (added to configurations made before feedback existed).
smtp_port=${NGUON_SMTP_PORT:-18825}
if ! grep -q '^\[mail\]' "$config"; then
  cat >>"$config" <<TOML

[mail]
enabled = true
host = "127.0.0.1"
port = $smtp_port
from_address = "no-reply@nguon.localhost"
TOML
fi
export NGUON_MAIL_PORT="$smtp_port"  # overrides mail.port, whatever the file says
# NGUON_BROKER_PORT also overrides broker.port for the server and the CLI.
broker_port=${NGUON_BROKER_PORT:-18830}
bash scripts/broker.sh start "$demo/broker" "$broker_port"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/broker.sh stop "$demo/broker"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin=build/release/apps/admin/nguon-admin
"$admin" -c "$config" migrate
"$admin" -c "$config" import-units
"$admin" -c "$config" demo-seed >>"$demo/new-users.jsonl"
admin_json=$("$admin" -c "$config" create-admin --username admin)
password=$(printf '%s' "$admin_json" | sed -E 's/.*"password":"([^"]+)".*/\1/')
"$admin" -c "$config" demo-devices --bundles "$demo/devices" >/dev/null
build/release/tests/mail/nguon-smtp-sink --port "$smtp_port" --maildir "$demo/mail" \
  >"$demo/smtp-sink.log" 2>&1 &
pids+=($!)
build/release/apps/simulator/nguon-simulator --bundles "$demo/devices" --sink "file:$demo/sink" \
  --media-cache "$demo/sim-media" --heartbeat 30 --log-level warn >"$demo/simulator.log" 2>&1 &
pids+=($!)
port=${NGUON_SERVER_PORT:-8080}
listen=${NGUON_SERVER_LISTEN:-127.0.0.1}

cat <<MSG

  Nguồn demo — Tỉnh Thanh Hóa (38)
  URL:       http://$listen:$port/
  Login:     admin
  Password:  $password      (new each run)

  Demo users (passwords shown once, when first created; also in $demo/new-users.jsonl):
$(sed 's/^/    /' "$demo/new-users.jsonl")
  Reset any of them with: $admin -c $config users reset-password --username NAME

  Citizen portal:  http://$listen:$port/portal   (feedback without logging in)
  Open311 API:     http://$listen:$port/open311/v2/discovery.json
  E-mails sent to citizens are kept in $demo/mail/
  Emergency alerts: "Cảnh báo" holds a typhoon warning pushed by the demo weather service
  (CAP 1.2); approve it to hear it on Phường Hạc Thành's simulated loudspeakers. Public CAP
  feed of the alerts issued here: http://$listen:$port/cap/alerts.atom
  Live broadcast: "Phát trực tiếp", pick Phường Hạc Thành, allow the microphone (Chromium,
  Chrome, Edge, recent Firefox/Safari): the simulated loudspeakers there relay your voice;
  what they received is in $demo/sink/<device>/stream-*.bin (Ogg Opus).

MSG
build/release/apps/server/nguon-server -c "$config" &
pids+=($!)
server_pid=$!
# Emergency alerts: the demo weather service pushes a typhoon warning for Phường Hạc Thành
# (CAP 1.2, docs/cap.md) once the server answers; it waits in "Cảnh báo" for an operator's
# approval, then plays on the commune's simulated loudspeakers. A second run answers 409
# (already received), which is fine.
cap_token=$(sed -n 's/.*"cap_source":.*"token":"\([0-9a-f]*\)".*/\1/p' "$demo/new-users.jsonl" | tail -n 1)
if [ -n "$cap_token" ]; then
  (
    for _ in $(seq 1 100); do
      curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
      sleep 0.2
    done
    curl -s -o /dev/null -H "Authorization: Bearer $cap_token" -H "Content-Type: application/cap+xml" \
      --data-binary @tests/broadcast/data/bao-so-3-hac-thanh.cap "http://127.0.0.1:$port/api/v1/cap" || true
  ) &
fi
wait "$server_pid"
