"""A real SOGo ActiveSync server for the session: scripts/interop/sogo-up brings it up on
127.0.0.1 (installing Debian's packages if needed), sogo-down ends exactly what it started.

Without root (or without a Debian package source) the interop tests are skipped with the reason;
in CI (root, Debian's registry) they run."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs

import httpx
import pytest

from easclient.client import BasicAuth, DeviceState, EasClient, get_profile
from easclient.protocol import ProvisionRequest, ProvisionResponse

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "interop"

#: The versions every flow test runs at: what SOGo advertises from 12.1 on, and 16.1, which it
#: does not advertise (to show how it answers).
VERSIONS = ("12.1", "14.0", "14.1", "16.1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here that talks to a third-party server (SOGo, or the mock's personalities
    of one) carries the ``interop`` marker."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and not item.name.startswith("test_unit_"):
            item.add_marker(pytest.mark.interop)


def _harness_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sogo_harness", SCRIPTS / "sogo_harness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sogo_harness"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Sogo:
    """The running server: URL, users, ports, and the harness's mail helpers."""

    url: str
    ports: dict[str, int]
    settings: dict[str, int]
    seeded: dict[str, list[str]]
    harness: ModuleType

    def user(self, uid: str):
        return next(u for u in self.harness.USERS if u.uid == uid)

    def deliver(self, uid: str, subject: str, body: str = "delivered by a test") -> None:
        user = self.user(uid)
        msg = self.harness.make_message(user, 99, subject=subject, body=body + "\r\n")
        self.harness.deliver(self.ports, user, msg)

    def inbox_count(self, uid: str) -> int:
        with self.harness.imap_session(self.ports, self.user(uid)) as imap:
            typ, data = imap.select("INBOX", readonly=True)
            assert typ == "OK"
            return int(data[0])


@pytest.fixture(scope="session")
def sogo() -> Iterator[Sogo]:
    if os.geteuid() != 0:
        pytest.skip("SOGo interop needs root: it installs Debian packages and starts daemons")
    harness = _harness_module()
    if harness.missing_packages() and shutil.which("apt-get") is None:
        pytest.skip("SOGo's packages are missing and there is no apt-get to install them")
    # Not under pytest's tmp (0700): postgres, dovecot and sogo read from here as their users.
    state = Path(tempfile.mkdtemp(prefix="easclient-sogo-"))
    os.chmod(state, 0o755)
    try:
        res = subprocess.run(
            [str(SCRIPTS / "sogo-up"), "--dir", str(state)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if res.returncode == harness.EXIT_CANNOT_INSTALL:
            pytest.skip(f"SOGo cannot be installed here: {res.stderr.strip()[-400:]}")
        if res.returncode != 0:
            logs = "".join(
                f"\n--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                for p in sorted(state.glob("*.out"))
            )
            pytest.fail(f"sogo-up failed ({res.returncode}): {res.stderr.strip()[-1500:]}{logs}")
        h = harness.Harness.load(state)
        yield Sogo(h.url, h.ports, h.settings, h.seeded, harness)
    finally:
        subprocess.run(
            [str(SCRIPTS / "sogo-down"), "--dir", str(state)], capture_output=True, timeout=120
        )
        shutil.rmtree(state, ignore_errors=True)


class CountingTransport(httpx.BaseTransport):
    """Counts the commands sent (plain query form) and the HTTP codes seen."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.commands: Counter[str] = Counter()
        self.http: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        cmd = parse_qs(request.url.query.decode()).get("Cmd")
        if cmd:
            self.commands[cmd[0]] += 1
        response = self.inner.handle_request(request)
        self.http.append(response.status_code)
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Device:
    client: EasClient
    counter: CountingTransport
    state: DeviceState


@pytest.fixture
def make_device(sogo: Sogo, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    """A fresh device (own DeviceId and state) of the client, talking to SOGo."""
    opened: list[EasClient] = []

    def make(
        user: str = "alice",
        version: str = "14.1",
        *,
        password: str | None = None,
        base64_query: bool = False,
        profile: str = "iphone",
    ) -> Device:
        # One connection per request: SOGo's sogod (no proxy in front) resets reused ones now
        # and then, which the matrix reports as a deviation of its own.
        counter = CountingTransport(
            httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
        )
        u = sogo.user(user)
        p = get_profile(profile)
        client = EasClient.connect(
            sogo.url,  # .../SOGo/Microsoft-Server-ActiveSync: the client sends requests there
            auth=BasicAuth(user, password if password is not None else u.password),
            profile=p,
            state=tmp_path / f"{uuid.uuid4().hex}.db",
            device_id=p.device_id(f"interop-{uuid.uuid4().hex}"),
            protocol=version,
            read_timeout=60,
            http_transport=counter,
            base64_query=base64_query,
        )
        opened.append(client)
        assert isinstance(client.state, DeviceState)
        return Device(client, counter, client.state)

    yield make
    for client in opened:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed in its own thread already
            client.close()


# --- Horde ------------------------------------------------------------------------------------

#: What Horde advertises (the harness configures its highest, 16.0) from 12.0 on.
HORDE_VERSIONS = ("12.0", "12.1", "14.0", "14.1", "16.0")


def _horde_harness_module() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))  # horde_harness shares sogo_harness's helpers
    spec = importlib.util.spec_from_file_location("horde_harness", SCRIPTS / "horde_harness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["horde_harness"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Horde:
    """The running Horde: URL, users, ports, settings, and server-side administration."""

    url: str
    dir: Path
    ports: dict[str, int]
    settings: dict[str, int | str]
    seeded: dict[str, list[str]]
    timings: dict[str, float]
    harness: ModuleType

    def user(self, uid: str):
        return next(u for u in self.harness.USERS if u.uid == uid)

    def deliver(self, uid: str, subject: str, body: str = "delivered by a test") -> None:
        user = self.user(uid)
        msg = self.harness.make_message(user, 99, subject=subject, body=body + "\r\n")
        self.harness.deliver(self.ports, user, msg)

    def inbox_count(self, uid: str) -> int:
        with self.harness.imap_session(self.ports, self.user(uid)) as imap:
            typ, data = imap.select("INBOX", readonly=True)
            assert typ == "OK"
            return int(data[0])

    def admin(self, *args: str) -> dict:
        """Horde's own administration (scripts/interop/horde/admin.php): wipe, policy, …"""
        return self.harness.admin(self.dir, *args)


@pytest.fixture(scope="session")
def horde() -> Iterator[Horde]:
    if os.geteuid() != 0:
        pytest.skip("Horde interop needs root: it installs Debian packages and starts daemons")
    harness = _horde_harness_module()
    if harness.missing_packages() and shutil.which("apt-get") is None:
        pytest.skip("Horde's packages are missing and there is no apt-get to install them")
    # Not under pytest's tmp (0700): Apache's children and Dovecot read from here.
    state = Path(tempfile.mkdtemp(prefix="easclient-horde-"))
    os.chmod(state, 0o755)
    try:
        res = subprocess.run(
            [str(SCRIPTS / "horde-up"), "--dir", str(state)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if res.returncode == harness.EXIT_CANNOT_INSTALL:
            pytest.skip(f"Horde cannot be installed here: {res.stderr.strip()[-400:]}")
        if res.returncode != 0:
            logs = "".join(
                f"\n--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                for p in sorted([*state.glob("*.out"), *state.glob("log/*.log")])
            )
            pytest.fail(f"horde-up failed ({res.returncode}): {res.stderr.strip()[-1500:]}{logs}")
        h = harness.Harness.load(state)
        yield Horde(h.url, state, h.ports, h.settings, h.seeded, h.timings, harness)
    finally:
        subprocess.run(
            [str(SCRIPTS / "horde-down"), "--dir", str(state)], capture_output=True, timeout=120
        )
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def horde_device(horde: Horde, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    """A fresh device (own DeviceId and state) of the client, talking to Horde."""
    opened: list[EasClient] = []

    def make(
        user: str = "alice",
        version: str = "14.1",
        *,
        password: str | None = None,
        profile: str = "iphone",
        base64_query: bool = False,
    ) -> Device:
        counter = CountingTransport(httpx.HTTPTransport())
        u = horde.user(user)
        p = get_profile(profile)
        client = EasClient.connect(
            horde.url,  # .../Microsoft-Server-ActiveSync: the client sends requests there
            auth=BasicAuth(user, password if password is not None else u.password),
            profile=p,
            state=tmp_path / f"{uuid.uuid4().hex}.db",
            device_id=p.device_id(f"horde-{uuid.uuid4().hex}"),
            protocol=version,
            read_timeout=60,
            http_transport=counter,
            base64_query=base64_query,
        )
        opened.append(client)
        assert isinstance(client.state, DeviceState)
        return Device(client, counter, client.state)

    yield make
    for client in opened:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed in its own thread already
            client.close()


def provision_exchange(
    client: EasClient, request: ProvisionRequest, version: str
) -> ProvisionResponse:
    """One Provision request of a :class:`ProvisionFlow` sent through ``client`` and its answer
    parsed, for tests that look at each answer of the flow (the client's own ``provision()``
    only keeps the final key)."""
    el = client.execute("Provision", request.to_element(version))
    assert el is not None, "Provision answered with an empty body"
    return ProvisionResponse.from_element(el)
