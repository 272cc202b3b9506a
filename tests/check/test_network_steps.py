"""DNS, TCP and TLS steps against real sockets on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest

from easclient.check.context import CheckContext, CheckOptions
from easclient.check.network import classify, dns_step, tcp_step
from easclient.check.report import Result
from easclient.check.runner import NETWORK_STEPS, run_steps
from easclient.check.target import parse_target
from easclient.check.tls import CertInfo, name_in_cert
from easclient.errors import EasError

from .conftest import issue, serve, server_context


def _check(url: str, resolve: list[str] | None = None, **opts: object):
    ctx = CheckContext(parse_target(url, resolve), CheckOptions(**opts))  # type: ignore[arg-type]
    return ctx, run_steps(ctx, NETWORK_STEPS)


def _results(report) -> dict[str, Result]:
    return {s.name: s.result for s in report.steps}


# --- target parsing ---------------------------------------------------------------------------


def test_parse_target_defaults_and_resolve_forms() -> None:
    t = parse_target("mail.example.test")
    assert (t.scheme, t.host, t.port, t.pinned) == ("https", "mail.example.test", 443, None)
    assert parse_target("http://h/x", ["h:10.0.0.9"]).pinned == "10.0.0.9"
    assert parse_target("https://h:8443", ["h:8443:10.0.0.9"]).pinned == "10.0.0.9"
    assert parse_target("https://h", ["h:[::1]"]).pinned == "::1"
    assert parse_target("https://[::1]:9/").host_is_address
    assert parse_target("https://h/Microsoft-Server-ActiveSync/").path is None
    assert parse_target("https://h/SOGo/Microsoft-Server-ActiveSync").path == (
        "/SOGo/Microsoft-Server-ActiveSync"
    )


@pytest.mark.parametrize(
    ("url", "resolve", "needle"),
    [
        ("ftp://h", None, "ftp://h"),
        ("https://h:99999", None, "h:99999"),
        ("https://h", ["h"], "'h'"),
        ("https://h", ["h:not-an-ip"], "not-an-ip"),
        ("https://h", ["other:10.0.0.1"], "other"),
        ("https://h:443", ["h:80:10.0.0.1"], "port 80"),
    ],
)
def test_parse_target_rejects_bad_input_naming_it(url, resolve, needle) -> None:
    # A URL is refused by the one URL normaliser (UrlError), --resolve by the check (CheckError).
    with pytest.raises(EasError, match=needle):
        parse_target(url, resolve)


# --- DNS ------------------------------------------------------------------------------------


def test_classify_addresses() -> None:
    assert classify("127.0.0.1") == "loopback"
    assert classify("10.1.2.3") == "private"
    assert classify("100.64.0.7") == "cgnat"
    assert classify("8.8.8.8") == "public"
    assert classify("203.0.113.5") == "documentation"
    assert classify("fd00::1") == "private"
    assert classify("2606:4700::1111") == "public"
    assert classify("fe80::1") == "link-local"


def test_dns_real_lookup_of_localhost() -> None:
    ctx = CheckContext(parse_target("https://localhost:1"), CheckOptions())
    step = dns_step(ctx)
    assert step.result is Result.PASS
    assert "127.0.0.1" in ctx.addresses
    assert "loopback" in step.seen


def test_dns_mixed_public_and_private_warns() -> None:
    ctx = CheckContext(
        parse_target("https://mail.example.test"),
        CheckOptions(),
        resolver=lambda host, port: ["8.8.4.4", "10.0.0.5", "2606:4700::1111"],
    )
    step = dns_step(ctx)
    assert step.result is Result.WARN
    assert "A 10.0.0.5 (private)" in step.seen and "AAAA 2606:4700::1111 (public)" in step.seen
    assert [a["family"] for a in step.data["addresses"]] == ["A", "A", "AAAA"]


def test_dns_failure_fails_and_pinned_failure_warns() -> None:
    def nxdomain(host: str, port: int) -> list[str]:
        import socket

        raise socket.gaierror(-2, "Name or service not known")

    ctx = CheckContext(parse_target("https://gone.example.test"), CheckOptions(), resolver=nxdomain)
    assert dns_step(ctx).result is Result.FAIL
    ctx = CheckContext(
        parse_target("https://gone.example.test", ["gone.example.test:127.0.0.1"]),
        CheckOptions(),
        resolver=nxdomain,
    )
    step = dns_step(ctx)
    assert step.result is Result.WARN and ctx.addresses == ["127.0.0.1"]


def test_dns_pinned_address_differs_from_dns_warns() -> None:
    ctx = CheckContext(parse_target("https://localhost", ["localhost:127.0.0.2"]), CheckOptions())
    step = dns_step(ctx)
    assert step.result is Result.WARN
    assert "cached address 127.0.0.2" in step.seen and "127.0.0.1" in step.seen
    assert ctx.addresses == ["127.0.0.2"]


# --- TCP ------------------------------------------------------------------------------------


def test_tcp_nothing_listening_fails(free_port: int) -> None:
    _ctx, report = _check(f"https://127.0.0.1:{free_port}")
    tcp = report.step("tcp")
    assert tcp.result is Result.FAIL and "refused" in tcp.seen
    assert report.step("tls").result is Result.SKIP
    assert not report.ok and report.exit_code == 1


def test_tcp_some_addresses_dead_warns(free_port: int) -> None:
    with serve("127.0.0.1") as srv:
        ctx = CheckContext(
            parse_target(f"http://box.example.test:{srv.port}"),
            CheckOptions(),
            resolver=lambda h, p: ["127.0.0.3", "127.0.0.1"],
        )
        dns_step(ctx)
        step = tcp_step(ctx)
    assert step.result is Result.WARN
    assert ctx.connect_address == "127.0.0.1"
    assert [c["ok"] for c in step.data["connections"]] == [False, True]


# --- TLS ------------------------------------------------------------------------------------


def test_tls_good_certificate_passes_every_step(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "localhost"))) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    assert _results(report) == {
        "dns": Result.PASS,
        "tcp": Result.PASS,
        "tls": Result.PASS,
        "tls-trust": Result.PASS,
        "tls-name": Result.PASS,
        "tls-dates": Result.PASS,
    }
    assert srv.sni_seen and set(srv.sni_seen) == {"localhost"}
    chain = report.step("tls").data["chain"]
    assert chain[0]["dns_names"] == ["localhost"]
    assert report.ok and report.exit_code == 0 and report.verdict.value == "pass"


def test_tls_certificate_for_another_name_fails_in_plain_words(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "mail.internal.test"))) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    step = report.step("tls-name")
    assert step.result is Result.FAIL and step.required
    assert (
        step.seen == "the certificate names mail.internal.test but the device asked for localhost"
    )
    assert "NAT" in step.why and "localhost" in step.fix
    assert report.step("tls-trust").result is Result.PASS
    assert report.exit_code == 1


def test_tls_connecting_by_address_to_a_certificate_naming_a_host(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "mail.example.test"))) as srv:
        _ctx, report = _check(f"https://127.0.0.1:{srv.port}", ca_file=ca_file)
    step = report.step("tls-name")
    assert step.result is Result.FAIL
    assert step.seen == "the certificate names mail.example.test but you connected to 127.0.0.1"
    assert "by address" in step.why
    assert srv.sni_seen == [None, None]  # no SNI for an address (RFC 6066 3)


def test_tls_address_in_certificate_passes(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "127.0.0.1"))) as srv:
        _ctx, report = _check(f"https://127.0.0.1:{srv.port}", ca_file=ca_file)
    assert report.step("tls-name").result is Result.PASS


def test_resolve_connects_to_pinned_address_with_the_url_name_as_sni(ca, ca_file) -> None:
    with serve("127.0.0.2", context=server_context(issue(ca, "localhost"))) as srv:
        ctx, report = _check(
            f"https://localhost:{srv.port}", ["localhost:127.0.0.2"], ca_file=ca_file
        )
    assert ctx.connect_address == "127.0.0.2"
    assert set(srv.sni_seen) == {"localhost"}
    assert report.step("tls-name").result is Result.PASS
    assert report.step("dns").result is Result.WARN  # DNS says 127.0.0.1 now


def test_tls_expired_certificate_fails_dates_and_trust_is_not_judged(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "localhost", expired=True))) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    dates = report.step("tls-dates")
    assert dates.result is Result.FAIL and "expired on" in dates.seen
    assert report.step("tls-trust").result is Result.SKIP
    assert report.exit_code == 1


def test_tls_expiring_soon_warns_but_passes(ca, ca_file) -> None:
    with serve(context=server_context(issue(ca, "localhost", days=10))) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    dates = report.step("tls-dates")
    assert dates.result is Result.WARN and "expires in 9 days" in dates.seen
    assert report.ok and report.verdict.value == "warn"


def test_tls_untrusted_ca_fails_trust_unless_insecure(ca) -> None:
    with serve(context=server_context(issue(ca, "localhost"))) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}")
        trust = report.step("tls-trust")
        assert trust.result is Result.FAIL and trust.required
        assert "only its own certificate" in trust.seen  # trustme sends no intermediate
        _ctx, report = _check(f"https://localhost:{srv.port}", insecure=True)
    assert report.step("tls-trust").result is Result.FAIL
    assert not report.step("tls-trust").required
    assert report.ok


def test_chain_as_presented_with_an_intermediate(ca, ca_file) -> None:
    intermediate = ca.create_child_ca()
    leaf = intermediate.issue_cert("localhost")
    with serve(context=server_context(leaf)) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    chain = report.step("tls").data["chain"]
    assert len(chain) == 2  # leaf and intermediate, as the server sent them
    assert chain[0]["issuer"] == chain[1]["subject"]
    assert report.step("tls-trust").result is Result.PASS


def test_a_server_that_forgets_its_intermediate(ca, ca_file) -> None:
    intermediate = ca.create_child_ca()
    leaf = intermediate.issue_cert("localhost")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Only the leaf, no intermediate: what a half-done certificate install serves.
    with (
        leaf.cert_chain_pems[0].tempfile() as cert_file,
        leaf.private_key_pem.tempfile() as key_file,
    ):
        ctx.load_cert_chain(cert_file, key_file)
    with serve(context=ctx) as srv:
        _ctx, report = _check(f"https://localhost:{srv.port}", ca_file=ca_file)
    assert len(report.step("tls").data["chain"]) == 1
    trust = report.step("tls-trust")
    assert trust.result is Result.FAIL
    assert "sends only its own certificate" in trust.seen
    assert "intermediate" in trust.fix


def test_tls_against_plain_http_says_so(free_port: int) -> None:
    with serve() as srv:
        _ctx, report = _check(f"https://127.0.0.1:{srv.port}")
    tls = report.step("tls")
    assert tls.result is Result.FAIL and "plain HTTP" in tls.seen
    assert report.step("tls-name").result is Result.SKIP


def test_plain_http_url_warns_about_clear_text() -> None:
    with serve() as srv:
        _ctx, report = _check(f"http://127.0.0.1:{srv.port}")
    assert report.step("tls").result is Result.WARN and not report.step("tls").required
    assert report.ok


# --- name matching ----------------------------------------------------------------------------


def _cert(dns=(), ips=(), cn=None, san=True) -> CertInfo:
    now = dt.datetime.now(dt.UTC)
    return CertInfo("CN=x", "CN=ca", now, now, list(dns), list(ips), cn, san)


@pytest.mark.parametrize(
    ("cert", "used", "ok"),
    [
        (_cert(["*.example.test"]), "mail.example.test", True),
        (_cert(["*.example.test"]), "a.b.example.test", False),
        (_cert(["*.example.test"]), "example.test", False),
        (_cert(["MAIL.Example.TEST"]), "mail.example.test", True),
        (_cert(["*.test"]), "example.test", False),
        (_cert(["127.0.0.1"]), "127.0.0.1", False),  # an address in a dNSName does not count
        (_cert(ips=["::1"]), "::1", True),
        (_cert(cn="mail.example.test", san=False), "mail.example.test", True),
        (_cert(["other.test"], cn="mail.example.test"), "mail.example.test", False),
    ],
)
def test_a_name_matches_a_certificate_as_rfc_6125_says(cert: CertInfo, used: str, ok: bool) -> None:
    assert name_in_cert(cert, used) is ok
