#!/usr/bin/env bash
# Idempotent setup: npm dependencies, the project-local Python venv (libtorch + test tools),
# the native addon and the TypeScript build. Each step is skipped when already up to date.
#   scripts/setup.sh            set up what is missing
#   scripts/setup.sh --rebuild  also rebuild the native addon from scratch
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
log() { printf '[bertrun setup] %s\n' "$*"; }

rebuild=0
[[ "${1:-}" == "--rebuild" ]] && rebuild=1

# 1. npm dependencies (cmake-js, node-addon-api, typescript, jest).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 2. Python venv with torch (its libtorch is what the addon links) and the reference tools.
stamp=".venv/.bertrun-requirements"
if [[ "${BERTRUN_SKIP_VENV:-0}" != "1" ]] && ! cmp -s scripts/python-requirements.txt "$stamp" 2>/dev/null; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "installing python3 and python3-venv (Debian packages)"
    if command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
    else
      echo "bertrun: python3 with the venv module is required to install libtorch (torch==2.11.0)." >&2
      echo "Fix: install python3 and python3-venv, or set LIBTORCH to an unpacked libtorch and BERTRUN_SKIP_VENV=1." >&2
      exit 1
    fi
  fi
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  log "installing torch==2.11.0 and test tools into .venv (a few GB, once)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/python-requirements.txt
  cp scripts/python-requirements.txt "$stamp"
fi

# 3. Native addon: configure when libtorch changed or on --rebuild; otherwise an incremental build.
libtorch_root="$(node scripts/find-libtorch.js --root)"
built_root=""
if [[ -f build/bertrun-build.json ]]; then
  built_root="$(node -e 'console.log(require(process.argv[1]).root)' "$ROOT/build/bertrun-build.json")"
fi
if [[ $rebuild == 1 || "$built_root" != "$libtorch_root" || ! -f build/build.ninja && ! -f build/Makefile ]]; then
  log "configuring the native addon against libtorch at $libtorch_root"
  rm -rf build
  npx cmake-js configure --out build --log-level error >/dev/null
fi
log "building the native addon (first build takes a few minutes on 2 cores)"
cmake --build build --config Release --parallel "$(nproc 2>/dev/null || echo 2)" >build/last-build.log 2>&1 || {
  tail -50 build/last-build.log >&2
  echo "bertrun: native build failed (full log: build/last-build.log)" >&2
  exit 1
}

# 4. TypeScript.
npx tsc -p tsconfig.build.json
chmod +x dist/lib/cli/main.js  # the `bertrun` bin, for npm link / npx from a clone
log "ready"
