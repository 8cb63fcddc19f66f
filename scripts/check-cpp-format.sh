#!/usr/bin/env bash
# clang-format over the C++ sources (.clang-format at the root): checks, or rewrites with --fix.
# clang-format comes from the project .venv (scripts/python-requirements.txt) or PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=".venv/bin/clang-format"
[[ -x "$formatter" ]] || formatter="$(command -v clang-format || true)"
if [[ -z "$formatter" ]]; then
  echo "check-cpp-format: clang-format not found. Fix: npm run setup (installs it into .venv), or install clang-format." >&2
  exit 1
fi
mapfile -t files < <(git ls-files 'native/*.cc' 'native/*.h' 'scripts/bench/*.cc')
if [[ "${1:-}" == "--fix" ]]; then
  "$formatter" -i "${files[@]}"
else
  "$formatter" --dry-run --Werror "${files[@]}"
fi
