"""Autodiscover against the mock server over real sockets on 127.0.0.1, one test per path a
device can take (MS-ASCMD 2.2.1.1; RCA's order). Every lookup goes to a DNS server the test
starts; names it does not know are NXDOMAIN, so nothing leaves this machine."""

from __future__ import annotations

import pytest

from easclient.client import BasicAuth
from easclient.client.discover import (
    DiscoveryError,
    DiscoveryOptions,
    discover,
    parse_connect_to,
    parse_dns_server,
    recall,
    remember,
)
from easclient.client.state import DeviceState
from easclient.protocol.autodiscover import AutodiscoverError

from .autodiscover_env import ALICE, DOMAIN, PASSWORD, LocalDns, mock, port_of


@pytest.fixture
def dns():
    with LocalDns() as server:
        yield server


def options(dns: LocalDns, ca_file: str | None, connect_to: dict | None = None, **kw):
    return DiscoveryOptions(
        auth=BasicAuth("alice", PASSWORD),
        ca_file=ca_file,
        timeout=5.0,
        dns_server=parse_dns_server(dns.address),
        connect_to=connect_to or {},
        **kw,
    )


def kinds(result):
    return [a.kind for a in result.attempts]


def test_root_domain_answers_first(dns):
    with mock() as server:
        to = {(DOMAIN, 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert result.url == f"{server.url}/Microsoft-Server-ActiveSync"
    assert kinds(result) == ["root-domain"]
    win = result.winner
    assert win is not None and win.ok and win.http_status == 200
    assert win.url == f"https://{DOMAIN}/autodiscover/autodiscover.xml"
    assert "--connect-to" in win.dns
    assert win.tls is not None and "certificate verified" in win.tls


def test_autodiscover_host_after_the_root_domain_has_no_address(dns):
    with mock() as server:
        to = {(f"autodiscover.{DOMAIN}", 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert result.found
    assert kinds(result) == ["root-domain", "autodiscover-host"]
    first = result.attempts[0]
    assert "NXDOMAIN" in first.dns and first.http_status is None and not first.ok
    assert (DOMAIN, "A") in dns.zone.queries  # the root domain was really asked first


def test_http_redirect_is_followed_to_https(dns):
    with (
        mock() as https,
        mock(
            tls=False,
            scenario={"get_redirect": f"https://mail.{DOMAIN}/autodiscover/autodiscover.xml"},
        ) as plain,
    ):
        to = {
            (f"autodiscover.{DOMAIN}", 80): ("127.0.0.1", port_of(plain)),
            (f"mail.{DOMAIN}", 443): ("127.0.0.1", port_of(https)),
        }
        result = discover(ALICE, options(dns, https.ca_file, to))
    assert result.url == f"{https.url}/Microsoft-Server-ActiveSync"
    assert kinds(result) == ["root-domain", "autodiscover-host", "http-redirect", "redirect-target"]
    get = result.attempts[2]
    assert get.method == "GET" and get.http_status == 302 and get.tls is None
    assert "following (https)" in get.outcome
    assert result.winner is result.attempts[3]
    assert result.winner.url == f"https://mail.{DOMAIN}/autodiscover/autodiscover.xml"


def test_http_redirect_to_http_is_refused_and_said(dns):
    with mock(
        tls=False, scenario={"get_redirect": f"http://mail.{DOMAIN}/autodiscover/autodiscover.xml"}
    ) as plain:
        to = {
            (f"autodiscover.{DOMAIN}", 80): ("127.0.0.1", port_of(plain)),
            (f"mail.{DOMAIN}", 80): ("127.0.0.1", port_of(plain)),
        }
        result = discover(ALICE, options(dns, None, to))
    assert not result.found
    get = next(a for a in result.attempts if a.kind == "http-redirect")
    assert get.http_status == 302
    assert "refused, a redirect must lead to https" in get.outcome
    assert not any(a.url.startswith(f"http://mail.{DOMAIN}") for a in result.attempts)
    assert "redirect-target" not in kinds(result)


def test_srv_record_leads_to_the_server(dns):
    with mock() as server:
        dns.add_srv(f"_autodiscover._tcp.{DOMAIN}", f"adsrv.{DOMAIN}.", port_of(server))
        dns.add_a(f"adsrv.{DOMAIN}")
        result = discover(ALICE, options(dns, server.ca_file))
    assert result.url == f"{server.url}/Microsoft-Server-ActiveSync"
    assert kinds(result) == [
        "root-domain",
        "autodiscover-host",
        "http-redirect",
        "srv-lookup",
        "srv-target",
    ]
    lookup, target = result.attempts[3], result.attempts[4]
    assert f"SRV 0 0 {port_of(server)} adsrv.{DOMAIN}." in lookup.dns
    assert target.url == f"https://adsrv.{DOMAIN}:{port_of(server)}/autodiscover/autodiscover.xml"
    assert target.dns == f"adsrv.{DOMAIN}: A 127.0.0.1"
    assert target.ok


def test_v2_json_when_the_server_has_no_pox(dns):
    with mock(scenario={"mode": "v2-only"}) as server:
        to = {(f"autodiscover.{DOMAIN}", 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert result.url == f"{server.url}/Microsoft-Server-ActiveSync"
    assert kinds(result)[-1] == "v2-json"
    pox = result.attempts[1]
    assert pox.kind == "autodiscover-host" and pox.http_status == 404
    v2 = result.winner
    assert v2 is not None and "Email=alice%40example.test&Protocol=ActiveSync" in v2.url


def test_a_redirect_chain_stops_after_ten_hops(dns):
    chain = {f"u{i}@{DOMAIN}": f"u{i + 1}@{DOMAIN}" for i in range(20)}
    chain[ALICE] = f"u0@{DOMAIN}"
    with mock(scenario={"redirects": chain}) as server:
        to = {("", 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert not result.found
    assert "more than 10 address redirects" in result.reason
    assert len(result.attempts) == 11  # the first answer and ten followed redirects
    assert result.addresses == [ALICE] + [f"u{i}@{DOMAIN}" for i in range(10)]
    assert "over the limit" in result.attempts[-1].outcome


def test_a_redirect_loop_is_caught(dns):
    loop = {ALICE: f"bob@{DOMAIN}", f"bob@{DOMAIN}": ALICE}
    with mock(scenario={"redirects": loop}) as server:
        to = {("", 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert not result.found
    assert result.reason == f"redirect loop: {ALICE} → bob@{DOMAIN} → {ALICE}"
    assert len(result.attempts) == 2


def test_a_redirect_to_another_domain_starts_over_there(dns):
    with mock(scenario={"redirects": {"carol@other.test": ALICE}}) as server:
        to = {
            (DOMAIN, 443): ("127.0.0.1", port_of(server)),
            ("other.test", 443): ("127.0.0.1", port_of(server)),
        }
        result = discover("carol@other.test", options(dns, server.ca_file, to))
    assert result.found
    assert [a.url for a in result.attempts] == [
        "https://other.test/autodiscover/autodiscover.xml",
        f"https://{DOMAIN}/autodiscover/autodiscover.xml",
    ]
    assert result.attempts[1].email == ALICE


def test_an_error_answer_is_reported_and_the_search_goes_on(dns):
    message = "The directory service could not be reached"
    with mock(scenario={"errors": {ALICE: message}}) as server:
        to = {(DOMAIN, 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert not result.found
    first = result.attempts[0]
    assert first.http_status == 200
    assert "Status 2 (PROTOCOL_ERROR)" in first.outcome and message in first.outcome
    assert "DebugData 'MailUser'" in first.outcome
    assert len(result.attempts) == 5  # every other candidate was still tried


def test_a_top_level_error_code_is_reported(dns):
    with mock(scenario={"error_code": 600}) as server:
        to = {(DOMAIN, 443): ("127.0.0.1", port_of(server))}
        result = discover(ALICE, options(dns, server.ca_file, to))
    assert "ErrorCode 600 (INVALID_REQUEST)" in result.attempts[0].outcome


def test_wrong_password_and_untrusted_certificate_are_named(dns):
    with mock() as server:
        to = {
            (DOMAIN, 443): ("127.0.0.1", port_of(server)),
            (f"autodiscover.{DOMAIN}", 443): ("127.0.0.1", port_of(server)),
        }
        # Only the root domain: v2 (unauthenticated) would answer at autodiscover.DOMAIN.
        opts = options(dns, server.ca_file, {(DOMAIN, 443): to[(DOMAIN, 443)]})
        opts.auth = BasicAuth("alice", "wrong")
        bad_pw = discover(ALICE, opts)
        untrusted = discover(ALICE, options(dns, None, to))
    assert bad_pw.attempts[0].outcome == "HTTP 401: the credentials were refused"
    assert not bad_pw.found
    assert untrusted.attempts[0].outcome.startswith("TLS failed: certificate not trusted")
    assert untrusted.attempts[0].tls.startswith("failed:")


def test_the_url_is_kept_in_the_device_state(tmp_path):
    with DeviceState(tmp_path / "s.sqlite3") as state:
        assert recall(state, ALICE) is None
        remember(state, ALICE, "https://mail.example.test/Microsoft-Server-ActiveSync")
    with DeviceState(tmp_path / "s.sqlite3") as state:
        assert recall(state, "ALICE@example.test") == (
            "https://mail.example.test/Microsoft-Server-ActiveSync"
        )


@pytest.mark.parametrize(
    "entry",
    ["example.test:443", "a:b:c:d", "::127.0.0.1:0", "x:443:127.0.0.1:99999"],
)
def test_bad_connect_to_is_named(entry):
    with pytest.raises(DiscoveryError, match="--connect-to"):
        parse_connect_to([entry])


def test_connect_to_and_dns_server_forms():
    assert parse_connect_to(["::127.0.0.1:8443", "a.test:80:[::1]:81"]) == {
        ("", 0): ("127.0.0.1", 8443),
        ("a.test", 80): ("::1", 81),
    }
    assert parse_dns_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_dns_server("[::1]:53") == ("::1", 53)
    with pytest.raises(DiscoveryError, match="IP address"):
        parse_dns_server("ns.example.test:53")


def test_not_an_address_is_refused():
    with pytest.raises(AutodiscoverError, match="not an e-mail address"):
        discover("alice-at-example.test")


def test_the_whole_run_has_a_deadline(dns):
    ticks = iter(range(0, 10_000, 50))  # every clock reading is 50 s after the last
    opts = options(dns, None, deadline=120.0)
    result = discover(ALICE, opts, clock=lambda: float(next(ticks)))
    assert not result.found and result.reason == "gave up after 120 s"
    assert result.attempts[-1].outcome == "not tried: the 120 s deadline passed"
    assert len(result.attempts) < 5


class _Inner:
    """A transport double for the unit tests of RediscoveringTransport (our own Transport)."""

    def __init__(self, answers):
        self.base_url = "https://old.example.test"
        self.answers = list(answers)
        self.sent_to: list[str] = []

    def send(self, request, *, read_timeout=None):
        self.sent_to.append(self.base_url)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        pass


def test_a_connect_failure_rediscovers_once_and_resends():
    from easclient.client import NetworkError, PingOutcome
    from easclient.client.discover import RediscoveringTransport
    from easclient.protocol import EasResponse

    refused = NetworkError("refused", outcome=PingOutcome.CONNECT_ERROR, url="x")
    inner = _Inner([refused, EasResponse(200), refused])
    found = []
    t = RediscoveringTransport(inner, lambda: found.append(1) or "https://new.example.test")
    assert t.send(object()).status_code == 200  # type: ignore[arg-type]
    assert inner.sent_to == ["https://old.example.test", "https://new.example.test"]
    assert t.base_url == "https://new.example.test" and found == [1]
    with pytest.raises(NetworkError):  # a second failure is the answer: no second discovery
        t.send(object())  # type: ignore[arg-type]
    assert found == [1]


def test_a_ping_the_path_dropped_does_not_rediscover():
    from easclient.client import NetworkError, PingOutcome
    from easclient.client.discover import RediscoveringTransport

    dropped = NetworkError("blackhole", outcome=PingOutcome.BLACKHOLE, url="x")
    t = RediscoveringTransport(_Inner([dropped]), lambda: pytest.fail("rediscovered"))
    with pytest.raises(NetworkError):
        t.send(object())  # type: ignore[arg-type]


def test_451_without_a_location_rediscovers_and_with_one_is_left_to_the_device():
    from easclient.client.discover import RediscoveringTransport
    from easclient.protocol import EasResponse

    inner = _Inner([EasResponse(451), EasResponse(200)])
    t = RediscoveringTransport(inner, lambda: "https://new.example.test")
    assert t.send(object()).status_code == 200  # type: ignore[arg-type]
    assert inner.sent_to[-1] == "https://new.example.test"
    located = EasResponse(451, {"X-MS-Location": "https://there.example.test"})
    t2 = RediscoveringTransport(_Inner([located]), lambda: pytest.fail("rediscovered"))
    assert t2.send(object()).status_code == 451  # type: ignore[arg-type]


def test_connect_takes_an_e_mail_address(dns):
    """EasClient.connect(email): Autodiscover first, then the device against the URL found."""
    from easclient.client import EasClient
    from easclient.protocol.autodiscover import AutodiscoverError

    with mock() as server:
        to = {(DOMAIN, 443): ("127.0.0.1", port_of(server))}
        found = options(dns, server.ca_file, to)
        with EasClient.connect(
            ALICE, auth=BasicAuth("alice", PASSWORD), ca_file=server.ca_file, discovery=found
        ) as client:
            assert client.transport.base_url.startswith(server.url)
            report = client.sync_all_mail()
        assert report.folders
        nowhere = options(dns, server.ca_file, {}, deadline=5.0)
        with pytest.raises(AutodiscoverError, match="found no ActiveSync server"):
            EasClient.connect(ALICE, auth=BasicAuth("alice", PASSWORD), discovery=nowhere)
