#!/usr/bin/env bash
# Bulletin -> broadcast audio: our in-process pipeline (bench_tts_pipeline: normalise,
# synthesize with libespeak-ng, conform to 48 kHz, loudness-normalise and encode to Ogg Opus)
# against the shell pipeline a user would write on the same text:
#   espeak-ng -v vi -s 150 -w x.wav -f TEXT; opusenc --bitrate 24 --speech --downmix-mono x.wav x.opus
# The baseline gets the raw text (espeak-ng reads numbers and abbreviations by its own rules) and
# does no loudness normalisation. Both are timed with the wall clock, best of RUNS; ours excludes
# the one-time start-up a server pays once (dictionary parse, espeak-ng initialisation), the
# baseline includes its two process start-ups and the WAV round trip through the file system.
# Targets (from the issue): ours/baseline <= 1.0 ("no slower"), <= 200 KB (200,000 bytes) per
# minute of speech.
#
# Usage: bench/tts_pipeline.sh [BUILD_DIR=/work/main/build/release]
# Builds nothing: BUILD_DIR must contain bench/bench_tts_pipeline.
# Environment: RUNS (best of, default 3), MAX_SECONDS (time budget of our runs, default 75: no
# further run starts when the time so far plus the last run's would exceed it, which keeps the
# script under 2 minutes as long as one run of ours takes under ~75 s; 0 = none), TEXT (default
# bench/bulletin_1000_words.txt), BREAKDOWN=1 (also time the parts of encode_broadcast, about
# 1 min more), STRICT=1 (exit 3 when a target is missed).
# Temporary files live in a mktemp directory removed on exit.
set -euo pipefail
export LC_ALL=C.UTF-8 # '.' as the decimal separator in $EPOCHREALTIME and awk

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:-/work/main/build/release}
runs=${RUNS:-3}
max_seconds=${MAX_SECONDS:-75}
text=${TEXT:-$here/bulletin_1000_words.txt}
breakdown=${BREAKDOWN:-0}
strict=${STRICT:-0}

die() {
  echo "tts_pipeline: $*" >&2
  exit 1
}

bin=$build_dir/bench/bench_tts_pipeline
[[ -x $bin ]] || die "missing $bin (build it first: cmake --build --preset release --target bench_tts_pipeline)"
[[ -r $text ]] || die "cannot read $text"
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "RUNS must be 1..99"
command -v espeak-ng > /dev/null || die "espeak-ng not found"
command -v opusenc > /dev/null || die "opusenc not found"

work=$(mktemp -d /tmp/nguon-tts-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:   $(espeak-ng --version | head -n1 | cut -d' ' -f1-5); $(opusenc --version | head -n1)"
echo "text:    $text ($(wc -w < "$text") words, $(wc -c < "$text") bytes)"
echo "runs:    best of $runs (ours within a $max_seconds s budget)"
echo

# --- ours -------------------------------------------------------------------------------------
echo "== ours: $bin"
extra=()
[[ $breakdown == 1 ]] && extra+=(--breakdown)
"$bin" --runs "$runs" --max-seconds "$max_seconds" --out "$work/ours.opus" "${extra[@]}" "$text" | tee "$work/ours.txt"
field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
ours_total=$(field total_s "$work/ours.txt")
ours_audio=$(field audio_seconds "$work/ours.txt")
ours_bpm=$(field bytes_per_minute "$work/ours.txt")
ours_lufs=$(field decoded_lufs "$work/ours.txt")
ours_peak=$(field decoded_true_peak "$work/ours.txt")
[[ -n $ours_total && -n $ours_bpm ]] || die "could not read bench_tts_pipeline's output"
echo

# --- baseline ---------------------------------------------------------------------------------
echo "== baseline: espeak-ng -v vi -s 150 -w x.wav -f TEXT; opusenc --quiet --bitrate 24 --speech --downmix-mono x.wav x.opus"
best=""
for ((i = 1; i <= runs; i++)); do
  rm -f "$work/x.wav" "$work/x.opus"
  t0=$EPOCHREALTIME
  espeak-ng -v vi -s 150 -w "$work/x.wav" -f "$text"
  t1=$EPOCHREALTIME
  opusenc --quiet --bitrate 24 --speech --downmix-mono "$work/x.wav" "$work/x.opus"
  t2=$EPOCHREALTIME
  read -r espeak_s opusenc_s total_s < <(awk -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { printf "%.3f %.3f %.3f\n", b - a, c - b, c - a }')
  printf 'run %d/%d: espeak-ng %s s, opusenc %s s, total %s s\n' "$i" "$runs" "$espeak_s" \
    "$opusenc_s" "$total_s"
  if [[ -z $best ]] || awk -v x="$total_s" -v y="$best" 'BEGIN { exit !(x < y) }'; then
    best=$total_s best_espeak=$espeak_s best_opusenc=$opusenc_s
  fi
done
"$bin" --measure "$work/x.opus" | tee "$work/base.txt"
base_audio=$(field decoded_seconds "$work/base.txt")
base_bpm=$(field bytes_per_minute "$work/base.txt")
base_lufs=$(field decoded_lufs "$work/base.txt")
base_peak=$(field decoded_true_peak "$work/base.txt")
echo

# --- summary ----------------------------------------------------------------------------------
awk -v ot="$ours_total" -v oa="$ours_audio" -v ob="$ours_bpm" -v ol="$ours_lufs" \
  -v op="$ours_peak" -v bt="$best" -v be="$best_espeak" -v bo="$best_opusenc" \
  -v ba="$base_audio" -v bb="$base_bpm" -v bl="$base_lufs" -v bp="$base_peak" 'BEGIN {
  printf "%-10s %9s %9s %8s %13s %10s %10s\n", "", "total s", "audio s", "RTF", "bytes/min",
         "LUFS", "dBTP"
  printf "%-10s %9.3f %9.1f %8.1f %13.0f %10.2f %10.2f\n", "ours", ot, oa, oa / ot, ob, ol, op
  printf "%-10s %9.3f %9.1f %8.1f %13.0f %10.2f %10.2f   (espeak-ng %.3f s + opusenc %.3f s)\n",
         "baseline", bt, ba, ba / bt, bb, bl, bp, be, bo
  printf "ratio ours/baseline (wall time, same text): %.2f   per audio second: %.2f\n", ot / bt,
         (ot / oa) / (bt / ba)
}'
fail=0
verdict() { # NAME OK(0/1) DETAIL
  if [[ $2 == 1 ]]; then echo "PASS $1 ($3)"; else echo "FAIL $1 ($3)"; fail=1; fi
}
ok=$(awk -v o="$ours_total" -v b="$best" 'BEGIN { print (o <= b) ? 1 : 0 }')
verdict "no slower than the shell pipeline" "$ok" \
  "ratio $(awk -v o="$ours_total" -v b="$best" 'BEGIN { printf "%.2f", o / b }') <= 1.00"
ok=$(awk -v x="$ours_bpm" 'BEGIN { print (x <= 200000) ? 1 : 0 }')
verdict "bytes per minute of speech" "$ok" "$ours_bpm <= 200000"
if [[ $strict == 1 && $fail == 1 ]]; then exit 3; fi
exit 0
