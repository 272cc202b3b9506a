"""What the Autodiscover tests stand on: a tiny DNS server on 127.0.0.1 (dnslib) that knows only
the names a test gives it (NXDOMAIN for the rest, so no lookup ever leaves this machine), and
mock EAS servers whose certificate names example.test and its subdomains."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import QTYPE, RCODE, RR, A, DNSRecord
from dnslib import SRV as SRVData
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from easclient.mock import MockConfig, MockServer, ServerHandle, parse_users

DOMAIN = "example.test"
ALICE = f"alice@{DOMAIN}"
PASSWORD = "alice-pw"
TLS_NAMES = ("127.0.0.1", "localhost", DOMAIN, f"*.{DOMAIN}", "other.test")


class _Zone(BaseResolver):
    def __init__(self, records: dict[tuple[str, str], list[RR]]) -> None:
        self.records = records
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request: DNSRecord, handler: object) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name, qtype))
        if not any(n == name for n, _ in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rr in self.records.get((name, qtype), []):
            reply.add_answer(rr)
        return reply


class LocalDns:
    """A DNS server on 127.0.0.1 (UDP, a free port) answering from ``add_*`` records."""

    def __init__(self) -> None:
        self.zone = _Zone({})
        quiet = DNSLogger(prefix=False, logf=lambda _line: None)
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=quiet)

    @property
    def address(self) -> str:
        host, port = self.server.server.server_address[:2]
        return f"{host}:{port}"

    def add_a(self, name: str, address: str = "127.0.0.1") -> None:
        self.zone.records.setdefault((name, "A"), []).append(
            RR(name, QTYPE.A, rdata=A(address), ttl=60)
        )

    def add_srv(self, name: str, target: str, port: int, priority: int = 0, weight: int = 0):
        self.zone.records.setdefault((name, "SRV"), []).append(
            RR(name, QTYPE.SRV, rdata=SRVData(priority, weight, port, target), ttl=60)
        )

    def __enter__(self) -> LocalDns:
        self.server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.server.server.server_close()


def port_of(handle: ServerHandle) -> int:
    return int(handle.url.rsplit(":", 1)[1].split("/")[0])


@contextmanager
def mock(*, tls: bool = True, scenario: dict | None = None, **kw: object) -> Iterator[ServerHandle]:
    """A mock EAS server (users alice and bob) whose Autodiscover plays ``scenario``."""
    config = MockConfig(
        host="127.0.0.1",
        port=0,
        users=tuple(parse_users(f"alice:{PASSWORD},bob:bob-pw")),
        heartbeat_min=1,
        messages_per_folder=3,
        tls=tls,
        tls_names=TLS_NAMES if tls else (),
        autodiscover_scenario=json.dumps(scenario) if scenario else "",
        **kw,  # type: ignore[arg-type]
    )
    handle = MockServer(config).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()
