"""The one URL normaliser (easclient.url): what the client, `eas check`, the matrix and the load
generator are given, and the URLs every one of them refuses with the offending value."""

from __future__ import annotations

import pytest

from easclient.errors import EasError
from easclient.url import UrlError, parse_server_url, resolve_target


@pytest.mark.parametrize(
    ("url", "base", "endpoint"),
    [
        ("https://mail.example.com", "https://mail.example.com", None),
        ("https://mail.example.com/", "https://mail.example.com", None),
        ("mail.example.com", "https://mail.example.com", None),
        (
            "https://mail.example.com/Microsoft-Server-ActiveSync",
            "https://mail.example.com/Microsoft-Server-ActiveSync",
            None,
        ),
        (
            "http://127.0.0.1:20000/SOGo/Microsoft-Server-ActiveSync/",
            "http://127.0.0.1:20000/SOGo/Microsoft-Server-ActiveSync",
            "/SOGo/Microsoft-Server-ActiveSync",
        ),
        ("https://[::1]:8443", "https://[::1]:8443", None),
    ],
)
def test_the_base_keeps_the_endpoint_path_the_client_sends_to(url, base, endpoint):
    server = parse_server_url(url)
    assert server.base == base and server.endpoint_path == endpoint


def test_the_default_port_follows_the_scheme():
    assert parse_server_url("mail.example.com").origin == "https://mail.example.com:443"
    assert parse_server_url("http://h").effective_port == 80
    assert parse_server_url("http://[::1]:81/x").netloc == "[::1]:81"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host", "must be http(s)"),
        ("http://", "must be http(s)"),
        ("https:///path", "must be http(s)"),
        ("http://h/eas?x=1", "query or fragment"),
        ("http://h/#f", "query or fragment"),
        ("http://[::1", "not a URL"),
        ("http://127.0.0.1:99999", "port out of range"),
        ("http://h:0", "port out of range"),
    ],
)
def test_a_url_we_cannot_use_is_refused_with_its_value(url, message):
    with pytest.raises(UrlError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_server_url(url)
    assert info.value.value == url and repr(url) in str(info.value)
    assert isinstance(info.value, EasError)


def test_an_email_address_waits_for_autodiscover():
    with pytest.raises(UrlError, match="Autodiscover") as info:
        resolve_target("alice@example.com")
    assert info.value.value == "alice@example.com"
    assert resolve_target("https://mail.example.com/").base == "https://mail.example.com"


def test_a_hostile_url_is_quoted_in_bounded_length():
    with pytest.raises(UrlError) as info:
        parse_server_url("ftp://" + "a" * 100_000)
    assert len(str(info.value)) < 300
