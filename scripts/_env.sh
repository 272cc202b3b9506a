# Shared by scripts/test and scripts/check: pick (or make) the virtualenv to install into.
# Inside an active virtualenv we use it; otherwise .venv beside the project.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv 2>/dev/null || {
            # Debian's python3 ships venv separately.
            "$ROOT/scripts/install-system-deps" python3-venv
            python3 -m venv .venv
        }
    fi
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi

# pip_quiet ARGS…: pip install, its build-backend chatter shown only when the install fails.
pip_quiet() {
    local log
    log=$(mktemp)
    if ! python -m pip install -q "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "$(basename "$0"): pip install $* failed" >&2
        return 1
    fi
    rm -f "$log"
}
