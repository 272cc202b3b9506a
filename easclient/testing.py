"""pytest plugin (entry point ``pytest11``): fixtures that run the mock EAS server.

Fixtures:

``eas_mock_server``          a fresh server for one test, on a free port on 127.0.0.1
``eas_mock_server_session``  one server shared by the whole session (state accumulates)
``eas_mock_config``          the :class:`~easclient.mock.MockConfig` the fresh server gets;
                             override it in a conftest, or per test with the ``eas_mock``
                             marker: ``@pytest.mark.eas_mock(personality="sogo")``
``eas_client``               a factory of ready clients (:meth:`easclient.EasClient.connect`),
                             by default of ``eas_mock_server`` as its first user; all closed
                             when the test ends

Each server fixture yields a :class:`~easclient.mock.ServerHandle`: ``.url``, ``.users``
(``.user`` is the first), ``.control`` (deliver mail, set faults, read statistics) and
``.ca_file`` with TLS. Defaults suit tests: users ``alice`` and ``bob``, Ping heartbeats
allowed from 1 s, ten generated mails in each Inbox.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from easclient.client import EasClient
    from easclient.mock import ServerHandle

#: What the fixtures start with, unless a test says otherwise.
TEST_DEFAULTS: dict[str, object] = {
    "heartbeat_min": 1,
    "messages_per_folder": 10,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "eas_mock(**settings): MockConfig settings for the eas_mock_server fixture",
    )


def _make_config(**settings: object):
    from easclient.mock import MockConfig, parse_users

    values: dict[str, Any] = dict(TEST_DEFAULTS)  # MockConfig's keyword arguments
    values.setdefault("users", tuple(parse_users("alice:alice-pw,bob:bob-pw")))
    values.update(settings)
    if isinstance(values.get("users"), str):
        values["users"] = tuple(parse_users(values["users"]))
    values["host"] = values.get("host", "127.0.0.1")
    values["port"] = 0
    return MockConfig(**values)


@pytest.fixture
def eas_mock_config(request: pytest.FixtureRequest):
    """The configuration of ``eas_mock_server`` (settings from an ``eas_mock`` marker)."""
    marker = request.node.get_closest_marker("eas_mock")
    return _make_config(**(marker.kwargs if marker else {}))


@pytest.fixture
def eas_mock_server(eas_mock_config) -> Iterator:
    """A fresh mock EAS server for this test."""
    from easclient.mock import MockServer

    handle = MockServer(eas_mock_config).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def eas_mock_server_session() -> Iterator:
    """One mock EAS server for the whole session."""
    from easclient.mock import MockServer

    handle = MockServer(_make_config()).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def eas_client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., EasClient]]:
    """``eas_client(server=None, *, user=None, **connect_options) -> EasClient``.

    ``server`` is a :class:`~easclient.mock.ServerHandle` (default: this test's
    ``eas_mock_server``; its CA is trusted with TLS) or a URL (then give ``auth``). ``user``
    names one of the server's users (default the first). Each client is a device of its own
    (its own DeviceId), with its state in a file under ``tmp_path`` and back-off sleeps that
    return at once (``sleep=``), unless the options say otherwise.
    """
    from easclient.client import BasicAuth, EasClient, get_profile

    made: list[EasClient] = []
    numbers = itertools.count()

    def make(
        server: ServerHandle | str | None = None, *, user: str | None = None, **options: Any
    ) -> EasClient:
        n = next(numbers)
        if server is None:
            server = request.getfixturevalue("eas_mock_server")
        if isinstance(server, str):
            url = server
        else:
            url = server.url
            account = next((u for u in server.users if u.name == user), server.user)
            options.setdefault("auth", BasicAuth(account.name, account.password))
            if server.ca_file:
                options.setdefault("ca_file", server.ca_file)
        profile = options.setdefault("profile", "iphone")
        device = get_profile(profile) if isinstance(profile, str) else profile
        options.setdefault("device_id", device.device_id(f"pytest-{n}:{user or ''}"))
        options.setdefault("state", tmp_path / f"eas-client-{n}.sqlite3")
        options.setdefault("sleep", lambda seconds: None)
        client = EasClient.connect(url, user=user, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
