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

if ! command -v "$PYTHON" >/dev/null; then
    echo "build_bundle: no Python at $PYTHON; make the repository's venv first:" \
         "python3 -m venv '$REPO/.venv' && '$REPO/.venv/bin/pip' install -e '$REPO[packaging]'" \
         "(or name another Python with PYTHON=...)" >&2
    exit 2
fi
"$PYTHON" -c "import PyInstaller" 2>/dev/null || {
    echo "build_bundle: PyInstaller is missing; run: $PYTHON -m pip install -e '$REPO[packaging]'" >&2
    exit 2
}
cd "$REPO"
start=$(date +%s)
nice -n 10 "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$REPO/dist" --workpath "$REPO/build/pyinstaller" packaging/vsdesk.spec
echo "build_bundle: built $REPO/dist/vsdesk/vsdesk in $(( $(date +%s) - start )) s," \
     "$(du -sh "$REPO/dist/vsdesk" | cut -f1) on disk"
if [[ "${1:-}" == "--check" ]]; then
    "$REPO/packaging/check_bundle.sh" "$REPO/dist/vsdesk/vsdesk"
fi
