"""Autodiscover's sans-I/O core: the MobileSync request and response (MS-ASCMD 2.2.1.1, the
examples of 4.2), v2 JSON, and the candidate order with its redirect rules — bytes in, values
and next candidates out, no network."""

from __future__ import annotations

import pytest

from easclient.protocol.autodiscover import (
    MAX_AUTODISCOVER_BYTES,
    REQUEST_SCHEMA,
    RESPONSE_SCHEMA,
    AutodiscoverError,
    AutodiscoverErrorCode,
    AutodiscoverResponse,
    AutodiscoverV2Answer,
    CandidateKind,
    Discovery,
    SrvRecord,
    build_autodiscover_error,
    build_autodiscover_redirect,
    build_autodiscover_request,
    build_autodiscover_settings,
    domain_of,
    parse_autodiscover_request,
    parse_autodiscover_response,
    parse_autodiscover_v2,
    v2_query,
)

# MS-ASCMD 4.2.4 (Response - Case Server Settings), as the spec prints it.
SPEC_SETTINGS = b"""<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <DisplayName>Chris Gray</DisplayName>
      <EMailAddress>chris@woodgrovebank.com</EMailAddress>
    </User>
    <Action>
      <Settings>
        <Server>
          <Type>MobileSync</Type>
          <Url> https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync </Url>
          <Name> https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync </Name>
        </Server>
        <Server>
          <Type>CertEnroll</Type>
          <Url>https://cert.woodgrovebank.com/CertEnroll</Url>
          <Name />
          <ServerData>CertEnrollTemplate</ServerData>
        </Server>
      </Settings>
    </Action>
  </Response>
</Autodiscover>"""

# MS-ASCMD 4.2.2 (Response - Case Error).
SPEC_ACTION_ERROR = b"""<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User><EMailAddress>chris@woodgrovebank.com</EMailAddress></User>
    <Action><Error><Status>2</Status>
      <Message>The directory service could not be reached</Message>
      <DebugData>MailUser</DebugData></Error></Action>
  </Response>
</Autodiscover>"""

# MS-ASCMD 2.2.3.64's case: the provider cannot be found (ErrorCode 600).
SPEC_TOP_ERROR = b"""<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Error Time="16:56:32.6164027" Id="1054084152">
      <ErrorCode>600</ErrorCode><Message>Invalid Request</Message><DebugData />
    </Error>
  </Response>
</Autodiscover>"""


def test_request_names_both_schemas_and_round_trips():
    body = build_autodiscover_request("alice@example.test")
    assert REQUEST_SCHEMA.encode() in body and RESPONSE_SCHEMA.encode() in body
    assert parse_autodiscover_request(body) == "alice@example.test"


def test_spec_settings_example():
    r = parse_autodiscover_response(SPEC_SETTINGS)
    assert r.display_name == "Chris Gray" and r.culture == "en:us"
    assert r.mobile_sync_url == "https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync"
    cert = r.servers[1]
    assert (cert.type, cert.url, cert.name, cert.server_data) == (
        "CertEnroll",
        "https://cert.woodgrovebank.com/CertEnroll",
        None,
        "CertEnrollTemplate",
    )


def test_spec_error_examples():
    action = parse_autodiscover_response(SPEC_ACTION_ERROR)
    assert action.error is not None and action.error.status == 2
    assert action.error.debug_data == "MailUser"
    assert "Status 2 (PROTOCOL_ERROR)" in action.error.describe()
    top = parse_autodiscover_response(SPEC_TOP_ERROR)
    assert top.error is not None and top.error.error_code == 600
    assert "ErrorCode 600 (INVALID_REQUEST)" in top.error.describe()


def test_builders_round_trip():
    s = parse_autodiscover_response(
        build_autodiscover_settings("a@x.test", "https://m.x.test/Microsoft-Server-ActiveSync")
    )
    assert s.mobile_sync_url == "https://m.x.test/Microsoft-Server-ActiveSync"
    assert parse_autodiscover_response(build_autodiscover_redirect("a@x.test", "b@y.test")) == (
        AutodiscoverResponse(culture="en:us", email="a@x.test", redirect="b@y.test")
    )
    e = parse_autodiscover_response(
        build_autodiscover_error(None, "x", error_code=AutodiscoverErrorCode.NO_PROVIDER)
    )
    assert e.error is not None and e.error.error_code == 601


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><Autodiscover/>', "DTD"),
        (b"<Autodiscover><Response>", "not well-formed"),
        (b"<Other/>", "not Autodiscover"),
        (b"<Autodiscover/>", "no Response"),
        (b"<Autodiscover><Response><Action/></Response></Autodiscover>", "no Redirect"),
        (
            b"<Autodiscover><Response><Error><ErrorCode>6x</ErrorCode></Error></Response>"
            b"</Autodiscover>",
            "not a number",
        ),
        (b"<Autodiscover>" + b" " * MAX_AUTODISCOVER_BYTES + b"</Autodiscover>", "more than"),
    ],
)
def test_bad_answers_are_named(body, message):
    with pytest.raises(AutodiscoverError, match=message):
        parse_autodiscover_response(body)


def test_billion_laughs_is_refused_before_expansion():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Autodiscover>&b;</Autodiscover>'
    )
    with pytest.raises(AutodiscoverError, match="DTD"):
        parse_autodiscover_response(bomb)


def test_v2():
    assert v2_query("a@x.test") == (
        "/autodiscover/autodiscover.json?Email=a%40x.test&Protocol=ActiveSync"
    )
    assert parse_autodiscover_v2(
        b'{"Protocol": "ActiveSync", "Url": "https://o.test/Microsoft-Server-ActiveSync"}'
    ) == AutodiscoverV2Answer("ActiveSync", "https://o.test/Microsoft-Server-ActiveSync")
    for bad in (b"[1]", b"{", b'{"Protocol": "ActiveSync"}', b"\xff"):
        with pytest.raises(AutodiscoverError):
            parse_autodiscover_v2(bad)


@pytest.mark.parametrize("bad", ["alice", "@x.test", "a@", "a@-x.test", "a b@x.test", "a@x..test"])
def test_bad_addresses(bad):
    with pytest.raises(AutodiscoverError, match="not an e-mail address"):
        domain_of(bad)


def _drain(d: Discovery):
    """Every candidate, each failing."""
    out = []
    for _ in range(100):
        c = d.next_candidate()
        if c is None:
            return out
        out.append(c)
        d.on_failure(c, "no")
    raise AssertionError("the machine did not stop")


def test_the_candidate_order():
    cands = _drain(Discovery("alice@Example.Test"))
    assert [(c.kind, c.method, c.url) for c in cands] == [
        (CandidateKind.ROOT_DOMAIN, "POST", "https://example.test/autodiscover/autodiscover.xml"),
        (
            CandidateKind.AUTODISCOVER_HOST,
            "POST",
            "https://autodiscover.example.test/autodiscover/autodiscover.xml",
        ),
        (
            CandidateKind.HTTP_REDIRECT,
            "GET",
            "http://autodiscover.example.test/autodiscover/autodiscover.xml",
        ),
        (CandidateKind.SRV_LOOKUP, "SRV", "_autodiscover._tcp.example.test"),
        (
            CandidateKind.V2_JSON,
            "GET",
            "https://autodiscover.example.test/autodiscover/autodiscover.json"
            "?Email=alice%40Example.Test&Protocol=ActiveSync",
        ),
    ]
    assert not any(c.authenticated for c in cands if c.url.startswith("http://"))


def test_http_redirect_only_to_https():
    d = Discovery("a@x.test")
    for _ in range(3):
        c = d.next_candidate()
    assert c is not None and c.kind is CandidateKind.HTTP_REDIRECT
    said = d.on_http_redirect(c, 302, "http://evil.test/autodiscover/autodiscover.xml")
    assert "refused" in said
    assert d.next_candidate().kind is CandidateKind.SRV_LOOKUP
    d = Discovery("a@x.test")
    for _ in range(3):
        c = d.next_candidate()
    d.on_http_redirect(c, 302, "https://mail.x.test/autodiscover/autodiscover.xml")
    nxt = d.next_candidate()
    assert (nxt.kind, nxt.method, nxt.url) == (
        CandidateKind.REDIRECT_TARGET,
        "POST",
        "https://mail.x.test/autodiscover/autodiscover.xml",
    )


def test_a_post_redirect_is_not_followed():
    d = Discovery("a@x.test")
    c = d.next_candidate()
    assert "not followed" in d.on_http_redirect(c, 302, "https://elsewhere.test/")
    assert d.next_candidate().kind is CandidateKind.AUTODISCOVER_HOST


def test_srv_targets_by_priority_then_weight():
    d = Discovery("a@x.test")
    for _ in range(4):
        c = d.next_candidate()
    d.on_srv(
        c,
        [
            SrvRecord(10, 0, 443, "late.x.test."),
            SrvRecord(0, 5, 8443, "light.x.test."),
            SrvRecord(0, 50, 443, "heavy.x.test."),
            SrvRecord(0, 0, 0, "bad-port.x.test."),
        ],
    )
    urls = [d.next_candidate().url for _ in range(3)]
    assert urls == [
        "https://heavy.x.test/autodiscover/autodiscover.xml",
        "https://light.x.test:8443/autodiscover/autodiscover.xml",
        "https://late.x.test/autodiscover/autodiscover.xml",
    ]
    assert d.next_candidate().kind is CandidateKind.V2_JSON


def test_redirects_restart_and_stop():
    d = Discovery("a0@x.test", max_hops=3)
    for i in range(3):
        c = d.next_candidate()
        said = d.on_response(c, AutodiscoverResponse(redirect=f"a{i + 1}@y{i}.test"))
        assert "starting over" in said
    c = d.next_candidate()
    assert c.url == "https://y2.test/autodiscover/autodiscover.xml" and c.hop == 3
    d.on_response(c, AutodiscoverResponse(redirect="a9@z.test"))
    assert d.next_candidate() is None and "more than 3" in d.reason
    loop = Discovery("a@x.test")
    c = loop.next_candidate()
    loop.on_response(c, AutodiscoverResponse(redirect="b@y.test"))
    c = loop.next_candidate()
    loop.on_response(c, AutodiscoverResponse(redirect="A@x.test"))
    assert loop.next_candidate() is None and loop.reason.startswith("redirect loop")


def test_settings_end_the_search_and_errors_do_not():
    d = Discovery("a@x.test")
    c = d.next_candidate()
    d.on_response(c, parse_autodiscover_response(SPEC_ACTION_ERROR))
    c2 = d.next_candidate()
    assert c2.kind is CandidateKind.AUTODISCOVER_HOST
    d.on_response(c2, parse_autodiscover_response(SPEC_SETTINGS))
    assert d.url == "https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync"
    assert d.winner is c2 and d.next_candidate() is None
