# Sourced by the build scripts, with REPO and PYTHON set. `needs_python SCRIPT MODULE WHAT`
# exits 2 saying how to put it right, unless $PYTHON exists and imports MODULE (said as WHAT):
# a bare "…/.venv/bin/python: No such file or directory" told nobody what to do.
needs_python() {
    local script="$1" module="$2" what="$3"
    if ! command -v "$PYTHON" >/dev/null; then
        echo "$script: no Python at $PYTHON; make the repository's venv first:" \
             "python3 -m venv '$REPO/.venv' && '$REPO/.venv/bin/pip' install -e '$REPO[packaging]'" \
             "(or name another Python with PYTHON=...)" >&2
        exit 2
    fi
    "$PYTHON" -c "import $module" 2>/dev/null || {
        echo "$script: $what is missing; run: $PYTHON -m pip install -e '$REPO[packaging]'" >&2
        exit 2
    }
}
