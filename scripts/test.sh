#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: formatting and static checks, unit,
# store-contract (SQLite and a throwaway PostgreSQL), integration (real server and binaries),
# browser tests (headless Chromium), and the unit tests again under ASan+UBSan.
# Exit status is non-zero if anything fails; the last line is "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${NGUON_JOBS:-$(nproc)}

bash scripts/deps.sh || { echo "dependency setup failed"; exit 1; }

passed=0
failed=0
failures=()
step() {  # step NAME COMMAND...
  local name=$1
  shift
  echo
  echo "=== $name ==="
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "--- $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "--- $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

cxx_files() { git ls-files '*.cpp' '*.h' 2>/dev/null || find core adapters app apps tests bench -name '*.cpp' -o -name '*.h'; }

check_format() { cxx_files | xargs clang-format --dry-run -Werror; }

build_dev() {
  cmake --preset dev >/dev/null && cmake --build build/dev -j "$jobs"
}

ctest_dev() { ctest --test-dir build/dev --output-on-failure -L "$1"; }

# clang-tidy on the domain core, the agent and the adapters without Boost (Boost headers make
# tidy slow).
tidy() {
  local files
  files=$(git ls-files 'core/*.cpp' 'adapters/crypto/*.cpp' 'adapters/db/*/*.cpp' 'adapters/audio/*.cpp' \
    'adapters/mqtt/*.cpp' 'adapters/calendar/*.cpp' 'adapters/sink/*.cpp' 'adapters/qr/*.cpp' \
    'adapters/mail/*.cpp' 'adapters/cap/*.cpp' 'adapters/fetch/*.cpp' 'agent/*.cpp')
  # The compile database holds GCC-only flags; clang-tidy must not fail on them.
  clang-tidy -p build/dev --quiet --extra-arg=-Wno-unknown-warning-option $files 2>&1 |
    grep -v "warnings generated"
  return "${PIPESTATUS[0]}"
}

# Each libFuzzer target (clang, ASan+UBSan) on a copy of its seed corpus for a short while: a
# smoke run that catches crashes new code brings into the untrusted-input parsers.
fuzz_smoke() {
  cmake --preset fuzz >/dev/null &&
    cmake --build build/fuzz -j "$jobs" --target normalizer_fuzz audio_decode_fuzz protocol_fuzz forms_fuzz image_sanitize_fuzz cap_fuzz || return 1
  local target corpus ok=0
  for target in normalizer audio_decode protocol forms image_sanitize cap; do
    corpus=$(mktemp -d)
    cp fuzz/corpus/"$target"/* "$corpus"/
    if build/fuzz/fuzz/"$target"_fuzz -max_total_time="${NGUON_FUZZ_SECONDS:-30}" \
      -print_final_stats=1 "$corpus" >"$corpus.log" 2>&1; then
      echo "$target: $(grep -E '^stat::number_of_executed_units' "$corpus.log")"
    else
      ok=1
      tail -n 40 "$corpus.log"
    fi
    rm -rf "$corpus" "$corpus.log"
  done
  return $ok
}

web_build() { (cd web && npm run build --silent); }

browser_tests() {
  NGUON_BIN_DIR="$root/build/dev/apps" node --test tests/browser/
}

asan_unit() {
  cmake --preset asan-ubsan >/dev/null &&
    cmake --build build/asan-ubsan -j "$jobs" --target unit_tests normalizer_tests audio_tests tts_tests \
      agent_unit_tests agent_runtime_tests device_tests schedule_tests mail_tests workdays_tests forms_tests \
      feedback_tests portal_tests open311_tests cap_tests alert_tests live_tests &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build/asan-ubsan --output-on-failure -L unit
}

step "format (clang-format)" check_format
step "build (dev preset)" build_dev
if [ "$failed" -eq 0 ] || [ -x build/dev/tests/unit_tests ]; then
  step "unit tests" ctest_dev unit
  step "store contract (SQLite + PostgreSQL)" ctest_dev contract
  step "integration tests" ctest_dev integration
  step "static analysis (clang-tidy)" tidy
fi
if [ -f web/package.json ]; then
  step "web console build" web_build
  step "browser tests (headless Chromium)" browser_tests
fi
step "unit tests under ASan+UBSan" asan_unit
step "fuzz smoke (libFuzzer)" fuzz_smoke

echo
if [ "$failed" -ne 0 ]; then
  printf 'failed steps:\n'
  printf '  - %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
