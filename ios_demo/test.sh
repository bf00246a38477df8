#!/usr/bin/env bash
# Build and test the iOS demo's Swift package (Linux or macOS). The last line is
# "N passed, N failed, N skipped"; the exit status is non-zero on a failure or when no test ran.
#
# Exported manifests for the real-manifest tests: LAMSCN_MANIFEST_DIRS (colon-separated folders
# holding manifest.json) if set; else the patch model's export built into .build/manifests/ with
# `python export/build.py --target ios` when the repo's .venv exists, and the 12-lead one from
# dist/ios (or built the same way); without either those tests are skipped with the reason.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
export PATH="/opt/swift/usr/bin:$PATH"
cd "$here"

fail() { echo "error: $1"; echo "0 passed, 1 failed"; exit 1; }
command -v swift >/dev/null || fail "swift not found (expected at /opt/swift/usr/bin or on PATH)"

# Build (once, and again when the checkpoint or the code that makes a manifest changes) one model's iOS export.
# A failed build leaves build.failed and is not retried until its inputs change.
export_model() {
  local model="$1" out="$here/.build/manifests/$1"
  local manifest="$out/ios/manifest.json" stamp="$out/ios/manifest.json"
  [ -f "$manifest" ] || stamp="$out/build.failed"
  if [ ! -f "$stamp" ] || [ -n "$(find "$repo/checkpoints/$model" "$repo/contract" "$repo/export" "$repo/training" "$repo/streaming" \
                                  -newer "$stamp" -type f ! -name '*.pyc' 2>/dev/null | head -1)" ]; then
    echo "building the iOS export of $model into $out (python export/build.py)"
    mkdir -p "$out"
    rm -f "$out/build.failed"
    if ! (cd "$repo" && .venv/bin/python export/build.py --target ios --model "$model" --out "$out") >"$out/build.log" 2>&1; then
      echo "warning: the export of $model failed (see $out/build.log): its manifest tests are skipped"
      rm -rf "$out/ios"
      touch "$out/build.failed"
      return
    fi
  fi
  [ -f "$manifest" ] && dirs+=("$out/ios")
}

if [ -z "${LAMSCN_MANIFEST_DIRS:-}" ]; then
  dirs=()
  if [ -x "$repo/.venv/bin/python" ]; then
    export_model lamscn_1lead_cinc2017
    # the 12-lead default model: the lead's dist/ios when it exists, else built here
    if [ -f "$repo/dist/ios/manifest.json" ]; then dirs+=("$repo/dist/ios"); else export_model lamscn_12lead_ptbxl17; fi
  else
    echo "note: $repo/.venv not found: the exported-manifest tests are skipped"
    [ -f "$repo/dist/ios/manifest.json" ] && dirs+=("$repo/dist/ios")
  fi
  LAMSCN_MANIFEST_DIRS="$(IFS=:; echo "${dirs[*]:-}")"
fi
echo "manifests: ${LAMSCN_MANIFEST_DIRS:-none}"
export LAMSCN_MANIFEST_DIRS="${LAMSCN_MANIFEST_DIRS:-}"

swift build --build-tests -Xswiftc -warnings-as-errors || fail "swift build --build-tests failed"
log="$(mktemp)"
swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# XCTest's closing summary: "Executed N tests, with [K tests skipped and ]M failures (U unexpected)".
summary="$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with" "$log" | tail -1)"
rm -f "$log"
executed="$(sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")"
skipped="$(sed -nE 's/.* ([0-9]+) tests? skipped.*/\1/p' <<<"$summary")"
failures="$(sed -nE 's/.* ([0-9]+) failures?.*/\1/p' <<<"$summary")"
executed="${executed:-0}"; skipped="${skipped:-0}"; failures="${failures:-0}"
if [ "$status" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
echo "$((executed - skipped - failures < 0 ? 0 : executed - skipped - failures)) passed, $failures failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failures" -eq 0 ] && [ "$executed" -gt 0 ]
