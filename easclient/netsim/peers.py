"""Tiny long-poll peers for NAT tests: a server that holds requests open like a Ping, and a
client that reports what it saw. Plain blocking sockets, so they also run inside network
namespaces as `ip netns exec NS python -m easclient.netsim.peers server|client …`, printing
JSON lines.

The wire protocol is one line per request, answered like an HTTP long poll:
  ``POLL <seconds>``  answer ``DONE <seconds>`` after that long (a Ping's heartbeat);
  ``HOLD``            never answer (until the client goes away);
  ``ECHO <text>``     answer ``<text>`` at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Self

_MAX_WAIT = 120.0  # no peer waits longer than this for anything


def _outcome(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, BrokenPipeError):
        return "broken-pipe"
    return f"error:{type(exc).__name__}"


@dataclass
class ServerSession:
    """What the server saw on one connection."""

    peer: str
    requests: list[str] = field(default_factory=list)
    answers_sent: int = 0
    end: str = ""
    """How it ended: "eof" (client FIN), "reset", "timeout", "error:…", or "stopped"."""
    at: float = 0.0


class LongPollServer:
    """A threaded long-poll server on (host, port); `sessions` records each connection."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_sessions: int = 200):
        self._sock = socket.create_server((host, port), reuse_port=False)
        self._sock.settimeout(0.2)
        self.host, self.port = self._sock.getsockname()[:2]
        self.sessions: list[ServerSession] = []
        self.on_session_end: Callable[[ServerSession], None] | None = None
        self._max_sessions = max_sessions
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, name="long-poll-server", daemon=True)
        self._t0 = time.monotonic()

    def start(self) -> Self:
        self._thread.start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    # shutdown() wakes a thread blocked in recv(); close() alone may not.
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:  # let each session record how it ended (bounded)
            thread.join(2)
        self._sock.close()

    def _serve(self) -> None:
        accepted = 0
        while not self._stop.is_set() and accepted < self._max_sessions:
            try:
                conn, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted += 1
            session = ServerSession(peer=f"{peer[0]}:{peer[1]}")
            with self._lock:
                self.sessions.append(session)
                self._conns.add(conn)
            thread = threading.Thread(target=self._session, args=(conn, session), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _session(self, conn: socket.socket, session: ServerSession) -> None:
        conn.settimeout(_MAX_WAIT)
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\n" not in buf:
                    data = conn.recv(4096)
                    if not data:
                        session.end = "stopped" if self._stop.is_set() else "eof"
                        return
                    buf += data
                line, buf = buf.split(b"\n", 1)
                request = line.decode(errors="replace").strip()
                session.requests.append(request)
                answer = self._answer(request)
                if answer is not None:
                    conn.sendall(answer)
                    session.answers_sent += 1
            session.end = "stopped"
        except OSError as exc:
            session.end = _outcome(exc)
        finally:
            session.at = round(time.monotonic() - self._t0, 3)
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
            if self.on_session_end is not None:
                self.on_session_end(session)

    def _answer(self, request: str) -> bytes | None:
        verb, _, arg = request.partition(" ")
        if verb == "ECHO":
            return arg.encode() + b"\n"
        if verb == "POLL":
            try:
                wait = min(float(arg), _MAX_WAIT)
            except ValueError:
                return b"ERROR bad seconds\n"
            if self._stop.wait(wait):
                return None
            return f"DONE {arg}\n".encode()
        if verb == "HOLD":
            return None
        return b"ERROR unknown request\n"


@dataclass
class PollResult:
    """What a long-poll client saw: for each step, "data:<line>", "eof", "reset", "timeout"."""

    steps: list[str] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    local: str = ""


def set_keepalive(sock: socket.socket, idle: float, interval: float, count: int = 3) -> None:
    """Turn on TCP keepalive: first probe after `idle` s, then every `interval` s."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, max(1, int(idle)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, int(interval)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)


def _read_line(sock: socket.socket, timeout: float) -> str:
    sock.settimeout(timeout)
    buf = b""
    try:
        while b"\n" not in buf:
            data = sock.recv(4096)
            if not data:
                return "eof" if not buf else "data:" + buf.decode(errors="replace")
            buf += data
    except OSError as exc:
        return _outcome(exc)
    return "data:" + buf.split(b"\n", 1)[0].decode(errors="replace")


def long_poll(
    host: str,
    port: int,
    requests: list[str],
    *,
    read_timeout: float,
    keepalive: tuple[float, float] | None = None,
    connect_timeout: float = 5.0,
) -> PollResult:
    """Connect, then for each request send it and read one answer line (or the failure).
    Stops at the first reset or EOF."""
    result = PollResult()
    t0 = time.monotonic()
    with socket.create_connection((host, port), timeout=connect_timeout) as sock:
        result.local = "{}:{}".format(*sock.getsockname()[:2])
        if keepalive is not None:
            set_keepalive(sock, *keepalive)
        for request in requests:
            try:
                sock.sendall(request.encode() + b"\n")
            except OSError as exc:
                result.steps.append(_outcome(exc))
            else:
                result.steps.append(_read_line(sock, read_timeout))
            result.elapsed.append(round(time.monotonic() - t0, 3))
            if result.steps[-1] in ("eof", "reset", "broken-pipe"):
                break
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m easclient.netsim.peers")
    sub = parser.add_subparsers(dest="role", required=True)
    srv = sub.add_parser("server", help="serve long polls; print one JSON line per session")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--max-seconds", type=float, default=60.0)
    cli = sub.add_parser("client", help="run long polls; print the result as one JSON line")
    cli.add_argument("--host", required=True)
    cli.add_argument("--port", type=int, required=True)
    cli.add_argument("--read-timeout", type=float, required=True)
    cli.add_argument("--keepalive", type=float, nargs=2, metavar=("IDLE", "INTERVAL"))
    cli.add_argument("requests", nargs="+")
    args = parser.parse_args(argv)
    if args.role == "server":
        server = LongPollServer(args.host, args.port)

        def report(session: ServerSession) -> None:
            print(json.dumps(asdict(session)), flush=True)

        server.on_session_end = report
        with server:
            print(json.dumps({"ready": True, "port": server.port}), flush=True)
            # Ends when the parent closes our stdin or the time bound runs out.
            stop = threading.Event()

            def stop_at_eof() -> None:
                sys.stdin.read()
                stop.set()

            threading.Thread(target=stop_at_eof, daemon=True).start()
            stop.wait(args.max_seconds)
        return 0
    result = long_poll(
        args.host,
        args.port,
        args.requests,
        read_timeout=args.read_timeout,
        keepalive=tuple(args.keepalive) if args.keepalive else None,
    )
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
