#!/usr/bin/env bash
# Runs a local Mosquitto broker for Nguồn on loopback, with the dynamic-security plugin:
#   scripts/broker.sh start DIR [PORT]   # creates DIR on first use, starts the broker (daemon)
#   scripts/broker.sh stop DIR
# On first use it initialises DIR/dynsec.json with the server's broker account "nguon-server"
# (the plugin's admin role: it provisions device accounts) and writes its password to
# DIR/server.password (mode 0600). Anonymous clients are refused; devices get their own
# accounts when the server provisions them. Broker state persists in DIR.
set -euo pipefail
cmd=${1:?usage: broker.sh start|stop DIR [PORT]}
dir=${2:?usage: broker.sh start|stop DIR [PORT]}
port=${3:-1883}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

plugin=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib/arm-linux-gnueabihf /usr/lib; do
  [ -f "$d/mosquitto_dynamic_security.so" ] && plugin="$d/mosquitto_dynamic_security.so" && break
done

stop_broker() {
  if [ -f "$dir/mosquitto.pid" ]; then
    pid=$(cat "$dir/mosquitto.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/mosquitto.pid"
  fi
}

case "$cmd" in
  stop) stop_broker; exit 0 ;;
  start) ;;
  *) echo "usage: broker.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac

[ -n "$plugin" ] || { echo "broker: mosquitto_dynamic_security.so not found (apt install mosquitto)" >&2; exit 1; }
if [ ! -f "$dir/dynsec.json" ]; then
  umask 077
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/server.password"
  mosquitto_ctrl dynsec init "$dir/dynsec.json" nguon-server "$(cat "$dir/server.password")" >/dev/null
fi
cat >"$dir/mosquitto.conf" <<CONF
# Written by scripts/broker.sh. Loopback only; see docs/operations.md for production.
listener $port 127.0.0.1
user $(id -un)
allow_anonymous false
plugin $plugin
plugin_opt_config_file $dir/dynsec.json
persistence true
persistence_location $dir/
max_queued_messages 100000
pid_file $dir/mosquitto.pid
log_dest file $dir/mosquitto.log
CONF
stop_broker
# More simulated devices than the default descriptor limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mosquitto -d -c "$dir/mosquitto.conf"
for _ in $(seq 50); do
  [ -f "$dir/mosquitto.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0
  sleep 0.1
done
echo "broker: mosquitto did not start; see $dir/mosquitto.log" >&2
exit 1
