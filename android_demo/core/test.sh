#!/usr/bin/env bash
# Build and test android_demo/core without Gradle or an Android SDK (what CI runs):
#   1. Kotlin compiler (PyPI kotlin-jupyter-kernel, pinned by version and sha256) and JUnit 4
#      (Debian junit4, libhamcrest-java), installed when missing and cached under build/;
#   2. compile src/main and src/test with K2JVMCompiler (skipped when the sources did not change);
#   3. real manifests: the folders in $LAMSCN_MANIFEST_DIRS (colon-separated), else build/manifests/
#      (built there with `export/build.py --target android` when the repo's .venv exists, again when
#      contract/, export/, training/, streaming/ or the checkpoint changed) and dist/android/;
#   4. run every *Test class; the last line is `N passed, N failed, N skipped`, non-zero exit on a
#      failure or when no test ran.
# Usage: android_demo/core/test.sh            (the runner jar: build/lamscn-core.jar, `java -jar ... stream ...`)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
JARS=$BUILD/toolchain/jars
WHEEL_PIN="kotlin-jupyter-kernel==0.19.0.944 --hash=sha256:dc654a426a28e6621aeb0bd7772d268a9a877aabae4a17b73383752a416281a3"
COMPILER=$JARS/kotlin-jupyter-kernel-0.19.0-944-all.jar
STDLIB=$JARS/kotlin-stdlib-2.3.10-RC.jar
SERIALIZATION=$JARS/kotlinx-serialization-core-jvm-1.9.0.jar:$JARS/kotlinx-serialization-json-jvm-1.9.0.jar
JUNIT=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
MODELS=(lamscn_1lead_cinc2017 lamscn_12lead_ptbxl17)

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# 1. toolchain
{ command -v java && command -v jar; } >/dev/null || apt_install openjdk-17-jdk-headless
[ -f /usr/share/java/junit4.jar ] && [ -f /usr/share/java/hamcrest-core.jar ] || apt_install junit4 libhamcrest-java
if [ ! -f "$COMPILER" ]; then
  PY=$REPO/.venv/bin/python; [ -x "$PY" ] || PY=python3
  mkdir -p "$BUILD/toolchain"
  echo "$WHEEL_PIN" > "$BUILD/toolchain/requirements.txt"
  "$PY" -m pip download -q --no-deps --require-hashes -r "$BUILD/toolchain/requirements.txt" -d "$BUILD/toolchain"
  "$PY" - "$BUILD"/toolchain/kotlin_jupyter_kernel-0.19.0.944-*.whl "$JARS" <<'PYEOF'
import pathlib, sys, zipfile
out = pathlib.Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith("run_kotlin_kernel/jars/") and name.endswith(".jar"):
            (out / pathlib.PurePosixPath(name).name).write_bytes(z.read(name))
PYEOF
  rm "$BUILD"/toolchain/kotlin_jupyter_kernel-0.19.0.944-*.whl
fi

# 2. compile (main, then tests against it), only when a source changed
kotlinc() {
  java -XX:TieredStopAtLevel=1 -Xss8m -cp "$COMPILER" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -no-stdlib -no-reflect \
    -jvm-target 17 -language-version 2.1 -api-version 2.1 -Werror -nowarn "$@"
}
STAMP=$BUILD/classes.sha256
SUM=$(find "$HERE/src/main" "$HERE/src/test" -name '*.kt' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$SUM" ]; then
  rm -rf "$BUILD/classes" "$STAMP"
  echo "compiling android_demo/core (main, test) ..."
  kotlinc -cp "$STDLIB:$SERIALIZATION" -d "$BUILD/classes/main" "$HERE/src/main/kotlin"
  kotlinc -cp "$STDLIB:$SERIALIZATION:$JUNIT:$BUILD/classes/main" -d "$BUILD/classes/test" "$HERE/src/test/kotlin"
  printf 'Main-Class: lamscn.core.StreamRunner\nClass-Path: toolchain/jars/kotlin-stdlib-2.3.10-RC.jar toolchain/jars/kotlinx-serialization-core-jvm-1.9.0.jar toolchain/jars/kotlinx-serialization-json-jvm-1.9.0.jar\n' > "$BUILD/manifest.mf"
  (cd "$BUILD/classes/main" && jar cfm "$BUILD/lamscn-core.jar" "$BUILD/manifest.mf" .)
  echo "$SUM" > "$STAMP"
fi

# 3. real manifests
if [ -z "${LAMSCN_MANIFEST_DIRS:-}" ]; then
  DIRS=()
  for m in "${MODELS[@]}"; do
    dir=$BUILD/manifests/$m/android
    log=$BUILD/manifests/$m.failed.log
    inputs=("$REPO/contract" "$REPO/export" "$REPO/training" "$REPO/streaming" "$REPO/checkpoints/$m")  # what a manifest is made from
    if [ -f "$log" ] && [ -z "$(find "${inputs[@]}" -newer "$log" -print -quit 2>/dev/null)" ]; then
      echo "not rebuilding the $m manifest: export/build.py failed and none of its inputs changed since ($log)"
    elif { [ ! -f "$dir/manifest.json" ] \
           || [ -n "$(find "${inputs[@]}" -type f ! -name '*.pyc' -newer "$dir/manifest.json" -print -quit 2>/dev/null)" ]; } \
         && [ -x "$REPO/.venv/bin/python" ]; then
      echo "building the $m manifest with export/build.py --target android ..."
      mkdir -p "$BUILD/manifests"
      (cd "$REPO" && .venv/bin/python export/build.py --target android --model "$m" --out "$BUILD/manifests/$m" \
        > "$log" 2>&1 && rm "$log") || echo "export/build.py failed for $m: $(tail -n 1 "$log")"
    fi
    [ -f "$dir/manifest.json" ] && DIRS+=("$dir")
  done
  [ -f "$REPO/dist/android/manifest.json" ] && DIRS+=("$REPO/dist/android")  # what `build.py --target android` wrote
  LAMSCN_MANIFEST_DIRS=$(IFS=:; echo "${DIRS[*]:-}")
fi
export LAMSCN_MANIFEST_DIRS LAMSCN_GOLDEN_DIR=${LAMSCN_GOLDEN_DIR:-$REPO/golden}

# 4. run
exec java -XX:TieredStopAtLevel=1 -cp "$BUILD/classes/test:$BUILD/classes/main:$STDLIB:$SERIALIZATION:$JUNIT" \
  lamscn.core.TestMain "$BUILD/classes/test"
