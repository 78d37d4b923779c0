#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/vsdesk/ (executable dist/vsdesk/vsdesk) with PyInstaller.
#
#   packaging/build_bundle.sh            build (slow: TensorFlow is big; see packaging/README.md)
#   packaging/build_bundle.sh --check    build, then run packaging/check_bundle.sh on the result
#
# Uses the repository's .venv (override with PYTHON=...), which needs the `packaging` extra:
#   .venv/bin/pip install -e '.[packaging]'
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
export TF_CPP_MIN_LOG_LEVEL=2

# shellcheck source=packaging/needs_python.sh
source "$REPO/packaging/needs_python.sh"
needs_python build_bundle PyInstaller "PyInstaller"
cd "$REPO"
start=$(date +%s)
nice -n 10 "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$REPO/dist" --workpath "$REPO/build/pyinstaller" packaging/vsdesk.spec
echo "build_bundle: built $REPO/dist/vsdesk/vsdesk in $(( $(date +%s) - start )) s," \
     "$(du -sh "$REPO/dist/vsdesk" | cut -f1) on disk"
if [[ "${1:-}" == "--check" ]]; then
    "$REPO/packaging/check_bundle.sh" "$REPO/dist/vsdesk/vsdesk"
fi
