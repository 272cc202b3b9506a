"""Request building, HTTP status → typed errors with header values (MS-ASHTTP 3.1.5.2)."""

from datetime import UTC, datetime

import pytest

from easclient.errors import EasError
from easclient.protocol import (
    AccountBlocked,
    AuthenticationFailed,
    BadRequest,
    EasHTTPError,
    EasRequest,
    EasResponse,
    Forbidden,
    Headers,
    MailboxFull,
    NotFound,
    PasswordExpired,
    ProtocolError,
    ProvisionRequired,
    Redirect,
    RequestQuery,
    ServerError,
    Throttled,
    build_request,
    check_http,
    decode_body,
    parse_request,
    parse_retry_after,
)
from easclient.protocol.http import endpoint_path
from easclient.protocol.options import build_options_request

IDENTITY = dict(user="rmjones", device_id="v140Device", device_type="SmartPhone")


def test_headers_are_case_insensitive_and_keep_spelling():
    h = Headers({"X-MS-Location": "https://a/"})
    assert h["x-ms-location"] == "https://a/" and list(h) == ["X-MS-Location"]
    h["x-ms-location"] = "https://b/"
    assert dict(h) == {"x-ms-location": "https://b/"} and h == {"X-MS-LOCATION": "https://b/"}


def test_plain_request_carries_version_and_policy_key_headers():
    req = build_request(
        "Sync", None, **IDENTITY, version="14.0", policy_key=1234, user_agent="Test/1.0"
    )
    assert req.method == "POST"
    assert req.target == (
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=rmjones&DeviceId=v140Device"
        "&DeviceType=SmartPhone"
    )
    assert req.headers == {
        "MS-ASProtocolVersion": "14.0",
        "X-MS-PolicyKey": "1234",
        "User-Agent": "Test/1.0",
    }
    assert req.url("https://mail.example.com") == "https://mail.example.com" + req.target
    assert req.url("https://mail.example.com/") == "https://mail.example.com" + req.target


@pytest.mark.parametrize(
    ("base", "path"),
    [
        ("https://mail.example.com", "/Microsoft-Server-ActiveSync"),
        ("https://mail.example.com/", "/Microsoft-Server-ActiveSync"),
        (
            "http://127.0.0.1:8080/SOGo/Microsoft-Server-ActiveSync",
            "/SOGo/Microsoft-Server-ActiveSync",
        ),
        (
            "http://127.0.0.1:8080/SOGo/Microsoft-Server-ActiveSync/",
            "/SOGo/Microsoft-Server-ActiveSync",
        ),
        ("https://[::1]:8443/eas?x=1#f", "/eas"),
    ],
)
def test_the_endpoint_path_comes_from_the_server_url(base, path):
    """A URL naming a path (SOGo's endpoint) is where requests go; no path means the standard
    one (MS-ASHTTP 2.2.1.1.1)."""
    assert endpoint_path(base) == path
    req = build_request("Sync", None, **IDENTITY, version="14.0")
    origin = base.split("/", 3)
    assert req.url(base) == f"{origin[0]}//{origin[2]}{path}?{req.query_string}"
    options = build_options_request()
    assert options.url(base) == f"{origin[0]}//{origin[2]}{path}"


def test_base64_request_carries_them_in_the_query():
    req = build_request("Sync", None, **IDENTITY, version="14.0", base64_query=True)
    assert req.target == "/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l"
    assert "MS-ASProtocolVersion" not in req.headers and "X-MS-PolicyKey" not in req.headers
    back = parse_request("POST", req.target, req.headers)
    assert back.base64_query and back.query == RequestQuery(
        "Sync", "", "v140Device", "SmartPhone", version="14.0"
    )


def test_base64_falls_back_to_plain_below_12_1():
    req = build_request("FolderSync", None, **IDENTITY, version="12.0", base64_query=True)
    assert not req.base64_query and req.query_string.startswith("Cmd=FolderSync&")
    assert req.headers["MS-ASProtocolVersion"] == "12.0"


def test_raw_body_and_multipart_header():
    req = build_request(
        "SendMail",
        b"From: a\r\n\r\nhi",
        **IDENTITY,
        version="12.1",
        extra_params={"SaveInSent": "T"},
    )
    assert req.headers["Content-Type"] == "message/rfc822" and req.body.endswith(b"hi")
    assert req.query_string.endswith("&SaveInSent=T")
    req = build_request("ItemOperations", None, **IDENTITY, accept_multipart=True)
    assert req.headers["MS-ASAcceptMultiPart"] == "T"


def test_parse_request_of_plain_target():
    req = parse_request(
        "post",
        "/Microsoft-Server-ActiveSync?Cmd=Ping&User=u&DeviceId=d&DeviceType=t",
        {"MS-ASProtocolVersion": "16.1", "X-MS-PolicyKey": "7"},
    )
    assert isinstance(req, EasRequest) and req.method == "POST" and not req.base64_query
    assert req.query == RequestQuery("Ping", "u", "d", "t", version="16.1", policy_key=7)
    options = parse_request("OPTIONS", "/Microsoft-Server-ActiveSync", {})
    assert options.query is None and options.target == "/Microsoft-Server-ActiveSync"


@pytest.mark.parametrize("code", [200, 204])
def test_success_passes(code):
    check_http(EasResponse(code))


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, BadRequest),
        (401, AuthenticationFailed),
        (403, Forbidden),
        (404, NotFound),
        (449, ProvisionRequired),
        (451, Redirect),
        (456, AccountBlocked),
        (457, PasswordExpired),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, Throttled),
        (507, MailboxFull),
        (418, EasHTTPError),
    ],
)
def test_every_documented_code_maps_to_its_error(code, error):
    with pytest.raises(EasHTTPError) as info:
        check_http(EasResponse(code, {"X-Test": "1"}))
    assert type(info.value) is error and isinstance(info.value, EasError)
    assert info.value.status_code == code and info.value.headers == {"X-Test": "1"}
    assert str(code) in str(info.value)


def test_451_carries_x_ms_location():
    with pytest.raises(Redirect) as info:
        check_http(
            EasResponse(
                451, {"x-ms-location": "https://cas2.example.com/Microsoft-Server-ActiveSync"}
            )
        )
    assert info.value.location == "https://cas2.example.com/Microsoft-Server-ActiveSync"
    with pytest.raises(Redirect, match="missing") as info:
        check_http(EasResponse(451))
    assert info.value.location is None


def test_457_carries_credential_service_url():
    url = "https://account.example.com/change-password"
    with pytest.raises(PasswordExpired, match="change-password") as info:
        check_http(EasResponse(457, {"X-MS-Credential-Service-Url": url}))
    assert info.value.credential_service_url == url


def test_503_retry_after_seconds_and_throttle_reason():
    with pytest.raises(Throttled) as info:
        check_http(EasResponse(503, {"Retry-After": "120", "X-MS-ASThrottle": "CommandFrequency"}))
    err = info.value
    assert err.retry_after == 120.0 and err.retry_after_date is None
    assert err.reason == "CommandFrequency" and "CommandFrequency" in str(err)
    assert err.retry_after_seconds(datetime(2030, 1, 1, tzinfo=UTC)) == 120.0


def test_503_retry_after_http_date():
    with pytest.raises(Throttled) as info:
        check_http(EasResponse(503, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}))
    err = info.value
    assert err.retry_after is None
    assert err.retry_after_date == datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    assert err.retry_after_seconds(datetime(2026, 10, 21, 7, 26, 30, tzinfo=UTC)) == 90.0
    assert err.retry_after_seconds(datetime(2026, 10, 22, tzinfo=UTC)) == 0.0  # already past
    assert err.reason is None


def test_503_without_or_with_garbage_retry_after():
    # "²" and "١٢" pass str.isdigit(); headers arrive as latin-1 text, so "²" can come in
    for headers in ({}, {"Retry-After": "soon"}, {"Retry-After": "²"}, {"Retry-After": "١٢"}):
        with pytest.raises(Throttled) as info:
            check_http(EasResponse(503, headers))
        assert info.value.retry_after is None and info.value.retry_after_date is None
        assert info.value.retry_after_seconds(datetime(2030, 1, 1, tzinfo=UTC)) is None
    assert parse_retry_after(" 0 ") == (0.0, None)


def test_decode_body_empty_and_wrong_types():
    assert decode_body(EasResponse(200)) is None
    with pytest.raises(ProtocolError, match="text/html"):
        decode_body(EasResponse(200, {"Content-Type": "text/html; charset=utf-8"}, b"<html>"))
    with pytest.raises(ProtocolError, match="multipart"):
        decode_body(
            EasResponse(
                200, {"Content-Type": "application/vnd.ms-sync.multipart"}, b"\x01\x00\x00\x00"
            )
        )


def test_decode_body_reads_wbxml_under_both_content_types():
    body = bytes.fromhex("03016a00000d45470331000101")  # Ping{Status 1}: WBXML, page 13
    for content_type in (None, "application/vnd.ms-sync.wbxml", "application/vnd.ms-sync"):
        headers = {} if content_type is None else {"Content-Type": content_type}
        el = decode_body(EasResponse(200, headers, body))
        assert el.tag == "Ping:Ping" and el.findtext("Status") == "1"
    with pytest.raises(ProtocolError, match="not valid WBXML"):
        decode_body(EasResponse(200, {"Content-Type": "application/vnd.ms-sync.wbxml"}, b"\x07"))
