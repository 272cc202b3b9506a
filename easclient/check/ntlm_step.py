"""The NTLM finding: NTLM signs in the TCP connection (MS-NLMP 3.1), so a Ping sent on a new
connection — after a NAT, a proxy or the server dropped the idle one, which is what Direct Push
meets every heartbeat on a bad path — is challenged again before it can be held.

``fresh_connection`` runs just before the Ping step and closes the device's idle connections, so
the Ping goes out on a new one as it would after such a drop; ``ntlm_step`` after it reports what
the server did.
"""

from __future__ import annotations

from easclient.client.auth import SpnegoAuth

from .context import CheckContext
from .report import Result, Step

NAME, TITLE = "ntlm-connection", "NTLM on a new connection"


def _auth(ctx: CheckContext) -> SpnegoAuth | None:
    credential = ctx.options.credential
    return credential if isinstance(credential, SpnegoAuth) else None


def fresh_connection(ctx: CheckContext) -> None:
    """With NTLM: the Ping step's request goes out on a new connection (no row)."""
    device = ctx.facts.get("device")
    auth = _auth(ctx)
    if auth is None or device is None:
        return None
    ctx.facts["ntlm_before_ping"] = auth.rechallenged.get("Ping", 0)
    device.fresh_connections()
    return None


def ntlm_step(ctx: CheckContext) -> Step | None:
    """Whether the Ping on a new connection was challenged (None: not NTLM, or no Ping)."""
    auth = _auth(ctx)
    if auth is None or "ntlm_before_ping" not in ctx.facts:
        return None
    challenged = auth.rechallenged.get("Ping", 0) - ctx.facts["ntlm_before_ping"]
    data = {"handshakes": auth.handshakes, "ping_challenged": challenged}
    if challenged:
        return Step(
            NAME,
            TITLE,
            Result.WARN,
            "the Ping on a new connection was challenged again (401, NTLM handshake) before the "
            "server took it: NTLM signs in the connection, not the request",
            why="Each time a NAT or proxy drops the idle connection under a Ping, the device pays "
            "an extra handshake (two more round trips) before its next Ping is held; keep-alive "
            "connections reused after the server closed them are challenged too.",
            fix="Keep the path's idle timeouts above the heartbeat (see the heartbeat probe), or "
            "sign devices in with Basic over TLS or OAuth, which authenticate every request.",
            required=False,
            data=data,
        )
    return Step(
        NAME,
        TITLE,
        Result.PASS,
        "the Ping on a new connection was served without a new challenge",
        required=False,
        data=data,
    )
