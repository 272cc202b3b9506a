"""Replaying a captured conversation against another server, as the captured device.

Each recorded request is sent again in order with the device's identity as captured (DeviceId,
DeviceType, User-Agent, protocol version, query form) and its body as captured (so heartbeats,
window sizes, options and folder lists are the device's), except for what servers hand out
themselves — SyncKeys, PolicyKeys, folder and item ServerIds — which :class:`IdMap` rewrites
from the answers this server gave. Credentials are the caller's (the capture has none). Every
step is reported side by side with the recorded answer (:mod:`.compare`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from easclient import wbxml
from easclient.client.heartbeat import PingOutcome
from easclient.client.transport import NetworkError, Transport
from easclient.errors import EasError
from easclient.protocol import EasRequest, Headers, RequestQuery
from easclient.wbxml import Element

from .bootstrap import Bootstrap, Identity, recorded_policy_keys
from .compare import Difference, Shape, compare, summary
from .idmap import IdMap
from .model import Capture, Exchange

#: Recorded request headers not sent again: credentials (redacted anyway), hop-by-hop and
#: framing headers the transport sets itself, and the policy key (rewritten below).
_DROP_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "host",
        "content-length",
        "connection",
        "transfer-encoding",
        "accept-encoding",
        "x-ms-policykey",
    }
)


class TargetUnreachable(EasError):
    """The replay's first request found no server, or was refused its credentials: nothing
    that follows could be compared, so the replay stops instead of reporting every step."""


#: Failures of a first request that say the target is wrong, not that it answers differently.
_NO_TARGET = frozenset({PingOutcome.CONNECT_ERROR, PingOutcome.TLS_ERROR})


@dataclass(frozen=True)
class Answer:
    """One side of a step: the HTTP status (None: no answer), a summary line and the XML."""

    status: int | None
    summary: str
    xml: str | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "summary": self.summary,
            "xml": self.xml,
            "error": self.error,
        }


@dataclass(frozen=True)
class ReplayStep:
    """One replayed exchange."""

    index: int
    line: int
    command: str
    recorded: Answer
    live: Answer
    differences: tuple[Difference, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "line": self.line,
            "command": self.command,
            "recorded": self.recorded.to_dict(),
            "live": self.live.to_dict(),
            "differences": [d.to_dict() for d in self.differences],
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


@dataclass
class ReplayReport:
    """The whole replay."""

    capture: str | None
    target: str
    device: dict[str, str]
    steps: list[ReplayStep] = field(default_factory=list)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    bootstrap: list[str] = field(default_factory=list)

    @property
    def differing(self) -> list[ReplayStep]:
        return [s for s in self.steps if not s.same]

    def to_dict(self) -> dict:
        return {
            "capture": self.capture,
            "target": self.target,
            "device": self.device,
            "steps": [s.to_dict() for s in self.steps],
            "differing_steps": len(self.differing),
            "ids": self.ids,
            "bootstrap": self.bootstrap,
        }


def _heartbeat(el: Element | None) -> int | None:
    """The seconds a request asks the server to hold it (Ping or Sync HeartbeatInterval, Sync
    Wait in minutes; MS-ASCMD 2.2.3.79, 2.2.3.187)."""
    if el is None:
        return None
    for name, factor in (("HeartbeatInterval", 1), ("Wait", 60)):
        value = el.findtext(name)
        if value and value.isdigit():
            return int(value) * factor
    return None


def _decode_live(body: bytes, content_type: str | None) -> tuple[Element | None, str | None]:
    media = (content_type or "").split(";")[0].strip().lower()
    if not body or media not in ("", "application/vnd.ms-sync.wbxml"):
        return None, None
    try:
        return wbxml.decode(body), None
    except wbxml.WBXMLError as exc:
        return None, f"answer does not decode as WBXML: {exc}"


class Replayer:
    """Sends a capture's requests through ``transport`` and compares the answers."""

    def __init__(
        self,
        transport: Transport,
        *,
        user: str | None = None,
        ping_margin: float = 10.0,
        bootstrap: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.user = user
        self.ping_margin = ping_margin
        self.bootstrap = bootstrap
        self.ids = IdMap()
        self._clock = clock
        self._last_heartbeat: int | None = None
        self._boot: Bootstrap | None = None
        self._answered = False  # has this server answered any request yet?
        self._unreachable: NetworkError | None = None

    def build(self, ex: Exchange) -> tuple[EasRequest, list[str], Element | None]:
        """The request to send for ``ex`` (ids rewritten), notes about it, and its body tree."""
        notes: list[str] = []
        query: RequestQuery | None = ex.request_query()
        if query is not None:
            query.params = self.ids.rewrite_params(query.params)
            query.policy_key = self.ids.rewrite_policy_key(query.policy_key)
            if self.user is not None:
                query.user = self.user
        headers = Headers(
            {k: v for k, v in ex.request_headers.items() if k.lower() not in _DROP_HEADERS}
        )
        recorded_key = Headers(ex.request_headers).get("X-MS-PolicyKey")
        if recorded_key is not None:
            live_key = self.ids.rewrite_policy_key(recorded_key)
            headers["X-MS-PolicyKey"] = str(live_key if live_key is not None else recorded_key)
        element: Element | None = None
        body = b""
        if ex.request is not None:
            if ex.request.truncated:
                notes.append("request body was truncated in the capture; sent as captured")
            element = ex.request.element()
            if element is not None:
                element = self.ids.rewrite(element)
                body = wbxml.encode(element)
            else:
                body = ex.request.raw()
        request = EasRequest(ex.method, ex.path, query, headers, body, ex.base64_query)
        return request, notes, element

    def step(self, index: int, ex: Exchange) -> ReplayStep:
        primed = self._boot.prime(ex) if self._boot is not None else []
        request, notes, element = self.build(ex)
        notes = primed + notes
        heartbeat = _heartbeat(element)
        if ex.command == "Ping":
            if heartbeat is None:
                heartbeat = self._last_heartbeat  # an empty Ping reuses the cached heartbeat
            else:
                self._last_heartbeat = heartbeat
        read_timeout = None if heartbeat is None else heartbeat + self.ping_margin
        recorded_el = ex.response_element()
        recorded = Answer(ex.status, summary(ex.status, recorded_el, ex.error), None, ex.error)
        if ex.response is not None and ex.response.xml is not None:
            recorded = Answer(ex.status, recorded.summary, ex.response.xml, ex.error)
        started = self._clock()
        try:
            response = self.transport.send(request, read_timeout=read_timeout)
        except NetworkError as exc:
            if not self._answered and exc.outcome in _NO_TARGET:
                self._unreachable = exc
            seconds = self._clock() - started
            live = Answer(None, summary(None, None, str(exc)), None, str(exc))
            diffs = compare(Shape.of(ex.status, recorded_el), Shape.of(None, None))
            if ex.status is None:
                diffs = []  # no answer then, none now
            return ReplayStep(
                index, ex.line, ex.command, recorded, live, tuple(diffs), seconds, tuple(notes)
            )
        seconds = self._clock() - started
        self._answered = True
        live_el, problem = _decode_live(response.body, response.headers.get("Content-Type"))
        if problem:
            notes.append(problem)
        live = Answer(
            response.status_code,
            summary(response.status_code, live_el),
            wbxml.to_xml(live_el) if live_el is not None else None,
        )
        self.ids.learn_answers(recorded_el, live_el)
        diffs = compare(
            Shape.of(ex.status, recorded_el),
            Shape.of(response.status_code, live_el),
            recorded_headers=ex.response_headers,
            live_headers=dict(response.headers),
            options=ex.method == "OPTIONS",
        )
        return ReplayStep(
            index, ex.line, ex.command, recorded, live, tuple(diffs), seconds, tuple(notes)
        )

    def run(
        self,
        capture: Capture,
        *,
        on_step: Callable[[ReplayStep], None] | None = None,
        commands: frozenset[str] | None = None,
    ) -> ReplayReport:
        """Replay every exchange (or only ``commands``) in order."""
        report = ReplayReport(capture.path, self.transport.base_url, capture.device)
        if self.bootstrap:
            self._start(capture)
        for index, ex in enumerate(capture, 1):
            if commands is not None and ex.command not in commands:
                continue
            answered_before = self._answered
            step = self.step(index, ex)
            self._stop_if_no_target(step, answered_before)
            report.steps.append(step)
            if on_step is not None:
                on_step(step)
        report.ids = self.ids.snapshot()
        if self._boot is not None:
            report.bootstrap = list(self._boot.log)
        return report

    def _stop_if_no_target(self, step: ReplayStep, answered_before: bool) -> None:
        """Raise :class:`TargetUnreachable` when the first request could not reach the server
        (connect or TLS failure) or its first answer refused the credentials (a 401 where the
        recording has none)."""
        base = self.transport.base_url
        if self._unreachable is not None:
            raise TargetUnreachable(f"{base}: {self._unreachable}; nothing replayed")
        if not answered_before and step.live.status == 401 and step.recorded.status != 401:
            who = f"user {self.user!r}" if self.user else "the credentials given"
            raise TargetUnreachable(
                f"{base}: HTTP 401 to the first request ({step.command}): the server refused "
                f"{who}; nothing replayed"
            )

    def _start(self, capture: Capture) -> None:
        """For a capture that starts mid-conversation (see :mod:`.bootstrap`)."""
        identity = Identity.of(capture, self.user)
        if identity is None:
            return
        self._boot = Bootstrap(self.transport, self.ids, identity)
        keys = recorded_policy_keys(capture)
        if keys and not any(ex.command == "Provision" for ex in capture):
            self._boot.provision(keys)


def replay(
    capture: Capture,
    transport: Transport,
    *,
    user: str | None = None,
    ping_margin: float = 10.0,
    bootstrap: bool = False,
    on_step: Callable[[ReplayStep], None] | None = None,
) -> ReplayReport:
    """Replay ``capture`` through ``transport`` (see :class:`Replayer`)."""
    replayer = Replayer(transport, user=user, ping_margin=ping_margin, bootstrap=bootstrap)
    return replayer.run(capture, on_step=on_step)
