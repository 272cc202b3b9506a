"""The gevent transport tells apart how an exchange failed (reset, close, black hole, refused),
on the wire: NAT proxies that end an idle Ping each in their own way. The transport runs in a
subprocess, because gevent must not patch this pytest process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

from easclient.load.scenario import LOADTESTS_DIR
from easclient.mock import spawn
from easclient.netsim import NatProxyConfig, start_in_thread

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from easclient.client import BasicAuth, EasClient, NetworkError, get_profile
    from easclient import MemoryState
    from easclient.protocol import build_options_request
    from loadtests.transport import GeventTransport

    url, user, password, paths = sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    connects = []
    tr = GeventTransport(url, auth_header=BasicAuth(user, password).header(),
                         tcp_keepalive=30, on_connect=connects.append)
    client = EasClient(tr, user=user, profile=get_profile("android"), device_id="T1",
                       state=MemoryState(), ping_margin=0.5)
    client.sync_all_mail()
    out = {"after_sync_connects": list(connects)}
    for label, host, port in paths:
        tr.close()
        tr.connect_address = (host, port) if host else None
        out[label] = client.ping(heartbeat=1).outcome.value
    try:
        GeventTransport(f"http://127.0.0.1:{sys.argv[6]}", connect_timeout=2).send(
            build_options_request("t"))
    except NetworkError as exc:
        out["refused"] = exc.outcome.value
    out["connects"] = connects
    print(json.dumps(out))
    """
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failures_are_classified_on_the_wire():
    server = spawn(["--heartbeat-min", "1", "--messages-per-folder", "2"])
    proxies = []
    try:
        port = int(server.handle.url.rsplit(":", 1)[1])
        paths = []
        for on_idle in ("reset", "close", "drop"):
            # The proxy forgets the connection after 0.5 s of silence; the Ping waits 1 s.
            proxy = start_in_thread(
                NatProxyConfig("127.0.0.1", port, idle_timeout=0.5, on_idle=on_idle)
            )
            proxies.append(proxy)
            paths.append([on_idle, proxy.host, proxy.port])
        paths.append(["direct", None, None])
        user = server.handle.user
        args = [str(LOADTESTS_DIR.parent), server.handle.url, user.name, user.password]
        args += [json.dumps(paths), str(_closed_port())]
        r = subprocess.run(
            [sys.executable, "-c", SCRIPT, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for proxy in proxies:
            proxy.stop()
        server.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout)
    assert result["after_sync_connects"] == [False]  # one keep-alive connection for the sync
    assert result["reset"] == "reset"
    assert result["close"] == "closed"
    assert result["drop"] == "blackhole"  # noticed at heartbeat + margin
    assert result["direct"] == "no-changes"
    assert result["refused"] == "connect-error"
    # One connection per path after the first: each counted as a reconnect.
    assert result["connects"] == [False, True, True, True, True]
