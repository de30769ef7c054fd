#!/usr/bin/env bash
# Installs everything Nguồn needs to build, run and test, from Debian 12 packages and npm
# (with the committed lockfile). Idempotent: a second run changes nothing and is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql
  libsodium-dev libtomlplusplus-dev libutf8proc-dev libspdlog-dev libfmt-dev libcli11-dev
  libespeak-ng-dev espeak-ng-data libsndfile1-dev libmpg123-dev libebur128-dev libopusenc-dev
  libopusfile-dev libvorbis-dev
  mosquitto mosquitto-clients libmosquitto-dev libical-dev libasound2-dev libcurl4-openssl-dev
  libqrencode-dev libxml2-dev
  espeak-ng opus-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
  wrk curl chromium nodejs python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ships with NodeSource's nodejs; Debian's nodejs needs the separate npm package.
if ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends npm
fi

# The web console: install exactly the locked versions (skipped when already in place).
if [ -f web/package-lock.json ]; then
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "deps: ok"
