#!/usr/bin/env bash
# Build the wheel and the sdist into dist/ (`python -m build`), leaving the source tree as it was.
#
#   packaging/build_dists.sh                    as `python -m build`
#   packaging/build_dists.sh --no-isolation     any option is passed on to `python -m build`
#
# setuptools writes vsdesk.egg-info/ into the source tree while it builds the sdist, and leaves
# it there. No setting of its moves it for good: `egg_base` (pyproject's experimental
# [tool.distutils.egg_info]) needs the folder to exist beforehand, and puts it into the sdist.
# So it is removed after the build, when the build made it: one already there (`pip install -e`
# makes one) is left alone, and nothing else is removed.
#
# Uses the repository's .venv (override with PYTHON=...), which needs `build`:
#   .venv/bin/pip install -e '.[packaging]'
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
EGG_INFO="$REPO/vsdesk.egg-info"

# shellcheck source=packaging/needs_python.sh
source "$REPO/packaging/needs_python.sh"
needs_python build_dists build "the 'build' package"

remove_egg_info_made_here() {
    if [[ -d "$EGG_INFO" && ! -L "$EGG_INFO" ]]; then
        rm -rf -- "$EGG_INFO"
    fi
}
if [[ ! -e "$EGG_INFO" ]]; then
    trap remove_egg_info_made_here EXIT  # (a failed build's too)
fi
cd "$REPO"
"$PYTHON" -m build "$@" "$REPO"
