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
