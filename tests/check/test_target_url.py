"""URLs `eas check` and `eas heartbeat-probe` refuse, each with the offending value."""

from __future__ import annotations

import pytest

from easclient.check.target import parse_target
from easclient.url import UrlError


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1", "not a URL: 'http://[::1'"),
        ("https://mail.example.com/?x=1", "must not carry a query or fragment"),
        ("https://mail.example.com/Microsoft-Server-ActiveSync#top", "query or fragment"),
    ],
)
def test_bad_url_names_itself(url: str, message: str) -> None:
    with pytest.raises(UrlError) as caught:
        parse_target(url)
    assert message in str(caught.value)
    assert url in str(caught.value)
