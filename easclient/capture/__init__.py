"""Captured device conversations: read and check them, compare answers, replay them.

The format is written by :class:`easclient.client.capture.CaptureWriter` (the client's
``--capture``, the mitmproxy addon in :mod:`easclient.capture.mitm`, ``eas replay --capture``);
:func:`read_capture` reads it, :func:`find_leaks` checks it holds no secret, and
:class:`Replayer` sends it again to another server and reports where the answers differ.
"""

from .compare import Difference, Shape, compare, summary
from .idmap import IdMap
from .model import (
    SCHEMA_VERSION,
    Body,
    Capture,
    CaptureError,
    Exchange,
    iter_capture,
    parse_line,
    read_capture,
)
from .redact import Leak, find_leaks, secret_forms
from .replay import Answer, Replayer, ReplayReport, ReplayStep, TargetUnreachable, replay

__all__ = [
    "SCHEMA_VERSION",
    "Answer",
    "Body",
    "Capture",
    "CaptureError",
    "Difference",
    "Exchange",
    "IdMap",
    "Leak",
    "ReplayReport",
    "ReplayStep",
    "Replayer",
    "Shape",
    "TargetUnreachable",
    "compare",
    "find_leaks",
    "iter_capture",
    "parse_line",
    "read_capture",
    "replay",
    "secret_forms",
    "summary",
]
