"""The EAS protocol core, sans I/O: request builders, response parsers, typed results.

Everything public is re-exported here (see notes/PROTOCOL-API.md for the contract).
"""

from __future__ import annotations

import importlib as _importlib
import importlib.util as _importlib_util

from .commands import *  # noqa: F403
from .commands import __all__ as _commands_all
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .http import *  # noqa: F403
from .http import __all__ as _http_all
from .query import *  # noqa: F403
from .query import __all__ as _query_all
from .status import *  # noqa: F403
from .status import __all__ as _status_all
from .versions import *  # noqa: F403
from .versions import __all__ as _versions_all

__all__ = [
    *_commands_all,
    *_errors_all,
    *_http_all,
    *_query_all,
    *_status_all,
    *_versions_all,
]

# Command modules, re-exported as they land. A module that exists but fails to import still
# raises: only a module that is not there yet is skipped.
_COMMAND_MODULES = (
    "options",
    "email",
    "settings",
    "provision",
    "foldersync",
    "ping",
    "sync",
    "getitemestimate",
    "multipart",
    "itemoperations",
    "sendmail",
)
for _name in _COMMAND_MODULES:
    if _importlib_util.find_spec(f"{__name__}.{_name}") is None:
        continue
    _module = _importlib.import_module(f"{__name__}.{_name}")
    # A module without __all__ exports the public classes and functions it defines.
    _public = getattr(_module, "__all__", None) or [
        n
        for n, v in vars(_module).items()
        if not n.startswith("_") and getattr(v, "__module__", None) == _module.__name__
    ]
    for _symbol in _public:
        globals()[_symbol] = getattr(_module, _symbol)
        __all__.append(_symbol)
for _leftover in ("_name", "_module", "_symbol", "_public"):
    globals().pop(_leftover, None)
