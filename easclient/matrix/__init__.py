"""`eas matrix`: what a server answers, per protocol version and command, and where it departs
from the spec. Built on the client's flows (:mod:`easclient.client`) and the protocol module."""

from .config import MatrixConfig, MatrixError
from .model import Deviation, MatrixReport, StepResult, VersionRun
from .render import render_json, render_table
from .runner import run_matrix

__all__ = [
    "Deviation",
    "MatrixConfig",
    "MatrixError",
    "MatrixReport",
    "StepResult",
    "VersionRun",
    "render_json",
    "render_table",
    "run_matrix",
]
