"""Running the mock server: uvicorn in this thread, in a background thread, or in a subprocess.

``MockServer(config).start_in_thread()`` returns a :class:`ServerHandle` (``.url``, ``.users``,
``.control``, ``.ca_file``, ``.stop()``); ``MockServer(config).run()`` serves until
SIGINT/SIGTERM; :func:`spawn` starts ``eas mock-server`` in a subprocess and reads its one line
of JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import uvicorn

from easclient.tls import httpx_verify
from easclient.url import parse_server_url

from .app import build_app
from .config import MockConfig, MockConfigError, User
from .control_client import ControlClient
from .limits import limited_h11_protocol
from .state import MockState
from .tls import TLSFiles, make_tls_files
from .waiting import SHUTDOWN

log = logging.getLogger("easclient.mock")


@dataclass
class ServerHandle:
    """A running mock server, as tests and scripts use it."""

    url: str
    users: tuple[User, ...]
    control_token: str
    ca_file: str | None = None
    #: a certificate (with its key) the mock's CA issued, for ``require_client_cert``
    client_cert: str | None = None
    _stop: object = field(default=None, repr=False)
    _control: ControlClient | None = field(default=None, repr=False)

    @property
    def control(self) -> ControlClient:
        """A control-API client (made on first use)."""
        if self._control is None:
            verify = httpx_verify(self.ca_file, client_cert=self.client_cert)
            self._control = ControlClient(self.url, self.control_token, verify=verify)
        return self._control

    @property
    def user(self) -> User:
        """The first user (most tests need one)."""
        return self.users[0]

    def info(self) -> dict:
        """What ``eas mock-server`` prints: url, control_token, users, ca_file."""
        out = {
            "url": self.url,
            "control_token": self.control_token,
            "users": [
                {"name": u.name, "password": u.password, "address": u.address} for u in self.users
            ],
        }
        if self.ca_file:
            out["ca_file"] = self.ca_file
        if self.client_cert:
            out["client_cert"] = self.client_cert
        return out

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if callable(self._stop):
            self._stop()
            self._stop = None

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _lookup_factory(server: uvicorn.Server):
    """Find the transport of a client address among uvicorn's open connections."""

    def lookup(client: tuple[str, int]):
        for proto in list(server.server_state.connections):
            if getattr(proto, "client", None) == client:
                return getattr(proto, "transport", None)
        return None

    return lookup


class MockServer:
    """One mock EAS server (see :class:`~easclient.mock.config.MockConfig`)."""

    def __init__(self, config: MockConfig | None = None, *, http: str = "h11") -> None:
        self.config = config or MockConfig()
        self.state = MockState(self.config)
        self.app = build_app(self.state)
        self.http = http
        self.tls: TLSFiles | None = None
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- setup -----------------------------------------------------------------------------
    def _bind(self) -> socket.socket:
        host, port = self.config.host, self.config.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every answer sent in two writes (headers, body) waits
        # ~40 ms for the client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            raise MockConfigError(f"cannot listen on {host}:{port}: {e.strerror}") from None
        sock.listen(4096)
        sock.setblocking(False)
        return sock

    @property
    def url(self) -> str:
        if self._sock is None:
            raise RuntimeError("the server is not bound yet")
        host, port = self._sock.getsockname()[:2]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{port}"

    def prepare(self) -> None:
        """Bind the socket and make certificates (so the URL is known before serving)."""
        if self._sock is not None:
            return
        self._sock = self._bind()
        if self.config.tls:
            host = parse_server_url(self.url).host
            names = list(self.config.tls_names) or [host, "localhost"]
            self.tls = make_tls_files(names, self.config.tls_dir)
        self.state.url = self.url
        uv_config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=self.config.log_requests,
            lifespan="off",
            http=limited_h11_protocol(self.state) if self.http == "h11" else self.http,
            ws="none",
            backlog=4096,
            timeout_keep_alive=75,
            timeout_graceful_shutdown=3,
            server_header=False,
            ssl_certfile=self.tls.cert_file if self.tls else None,
            ssl_keyfile=self.tls.key_file if self.tls else None,
            # Mutual TLS: a certificate from the mock's CA, required.
            ssl_cert_reqs=ssl.CERT_REQUIRED if self._mutual_tls else ssl.CERT_NONE,
            ssl_ca_certs=self.tls.ca_file if self.tls and self._mutual_tls else None,
        )
        self._server = uvicorn.Server(uv_config)
        self.state.transport_lookup = _lookup_factory(self._server)

    @property
    def _mutual_tls(self) -> bool:
        return self.config.require_client_cert and self.tls is not None

    def handle(self, stop=None) -> ServerHandle:
        return ServerHandle(
            self.url,
            self.config.users,
            self.config.control_token,
            self.tls.ca_file if self.tls else None,
            self.tls.client_cert_file if self.tls and self.config.require_client_cert else None,
            stop,
        )

    # -- running ---------------------------------------------------------------------------
    async def serve(self) -> None:
        """Serve until :meth:`request_stop` (or uvicorn's signal handling) ends it."""
        self.prepare()
        assert self._server is not None and self._sock is not None
        self._loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._sock])

    def _release_parked(self) -> None:
        # End parked Pings at once so shutdown does not wait for their heartbeats; they are
        # answered 503 + Retry-After, never a Status 1 for a heartbeat that did not happen.
        self.state.stopping = True
        for _, device in self.state.devices.all():
            fut = device.parked
            if fut is not None and not fut.done():
                fut.set_result(SHUTDOWN)

    def request_stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._release_parked)

    def run(self, on_ready=None) -> None:
        """Serve in this thread until SIGINT/SIGTERM; ``on_ready(handle)`` once listening."""
        self.prepare()

        # Our own handlers: uvicorn's re-raise the signal after shutdown (exit status -15),
        # while a mock stopped on purpose should end with status 0.
        server = self._server
        assert server is not None
        # (uvicorn's method replaced on the instance by a context manager that does nothing)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_stop)
            task = asyncio.ensure_future(self.serve())
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
            if server.started and on_ready is not None:
                on_ready(self.handle())
            await task

        asyncio.run(main())

    def start_in_thread(self, timeout: float = 15.0) -> ServerHandle:
        """Serve in a daemon thread; returns once the server accepts connections."""
        self.prepare()
        assert self._server is not None
        # Signals are the starting thread's business, not this server's.
        # (uvicorn's method replaced on the instance by a context manager that does nothing)
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
        errors: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(self.serve())
            except BaseException as e:  # reported to the starting thread
                errors.append(e)

        thread = threading.Thread(target=target, name="eas-mock-server", daemon=True)
        thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started and thread.is_alive() and waited < timeout:
            deadline.wait(0.01)
            waited += 0.01
        if not self._server.started:
            self.request_stop()
            raise MockConfigError(f"the mock server did not start: {errors[:1] or 'timeout'}")

        def stop() -> None:
            self.request_stop()
            thread.join(timeout=10)

        return self.handle(stop)


# -- subprocess -------------------------------------------------------------------------------


@dataclass
class SubprocessServer:
    """``eas mock-server`` in a child process (for load tests and benchmarks)."""

    process: subprocess.Popen
    handle: ServerHandle

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> int:
        self.handle.stop()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode


def spawn(args: Sequence[str] = (), *, timeout: float = 30.0) -> SubprocessServer:
    """Start ``eas mock-server ARGS`` in a subprocess and wait for its JSON line."""
    cmd = [sys.executable, "-m", "easclient.cli", "mock-server", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None, text=True)
    result: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        result.append(proc.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    line = result[0] if result else ""
    if not line.strip():
        proc.kill()
        proc.wait()
        raise MockConfigError(f"eas mock-server did not report ready (exit {proc.returncode})")
    info = json.loads(line)
    users = tuple(User(u["name"], u["password"], u["address"]) for u in info["users"])
    handle = ServerHandle(
        info["url"], users, info["control_token"], info.get("ca_file"), info.get("client_cert")
    )
    return SubprocessServer(proc, handle)
