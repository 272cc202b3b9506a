"""Malformed input reaches the caller only as our own error types, never as a bare
IndexError / KeyError / ValueError / AttributeError (the project's "bad input -> clear error").

Random trees keep the right root and draw their children from the namespaces the commands use,
with values that are numbers, booleans, junk text and bytes, so the parsers get past
``expect_root`` and meet missing, repeated, misplaced and mistyped elements.
"""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from easclient.protocol import (
    EasHTTPError,
    EasResponse,
    FolderSyncRequest,
    FolderSyncResponse,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
    ItemOperationsRequest,
    ItemOperationsResponse,
    PingRequest,
    PingResponse,
    ProtocolError,
    ProvisionRequest,
    ProvisionResponse,
    QueryError,
    SendMailRequest,
    SendMailResponse,
    SettingsRequest,
    SettingsResponse,
    SyncRequest,
    SyncResponse,
    check_http,
    decode_body,
    parse_query,
)
from easclient.protocol.itemoperations import parse_itemoperations_body
from easclient.protocol.multipart import parse_multipart
from easclient.wbxml import BY_NAME, Element

_NAMESPACES = (
    "AirSync",
    "AirSyncBase",
    "Email",
    "FolderHierarchy",
    "GetItemEstimate",
    "ItemOperations",
    "Ping",
    "Provision",
    "Settings",
    "ComposeMail",
    "Search",
    "Move",
    "MeetingResponse",
    "GAL",
    "Find",
)
_TAGS = sorted(t for t, tag in BY_NAME.items() if tag.namespace in _NAMESPACES)
_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["0", "1", "2", "7", "-1", " 3 ", "142", "99999999999", "x", "²", "1.5"]),
    st.text(max_size=8),
    st.binary(max_size=8),
)


def _trees(root: str) -> st.SearchStrategy[Element]:
    # Half the tags from the root's own namespace, so that the structure a parser walks
    # (Collections/Collection/Commands/Add …) turns up often enough.
    own = sorted(t for t in _TAGS if t.startswith(root.partition(":")[0] + ":"))
    tags = st.one_of(st.sampled_from(own), st.sampled_from(_TAGS))
    leaf = st.builds(lambda tag, text: Element._raw(tag, [], text), tags, _VALUES)
    nodes = st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda tag, children: Element._raw(tag, children, None),
            tags,
            st.lists(kids, max_size=5),
        ),
        max_leaves=25,
    )
    return st.builds(
        lambda children: Element._raw(root, children, None), st.lists(nodes, max_size=6)
    )


_PARSERS = [
    (FolderSyncRequest, "FolderHierarchy:FolderSync"),
    (FolderSyncResponse, "FolderHierarchy:FolderSync"),
    (GetItemEstimateRequest, "GetItemEstimate:GetItemEstimate"),
    (GetItemEstimateResponse, "GetItemEstimate:GetItemEstimate"),
    (ItemOperationsRequest, "ItemOperations:ItemOperations"),
    (ItemOperationsResponse, "ItemOperations:ItemOperations"),
    (PingRequest, "Ping:Ping"),
    (PingResponse, "Ping:Ping"),
    (ProvisionRequest, "Provision:Provision"),
    (ProvisionResponse, "Provision:Provision"),
    (SendMailRequest, "ComposeMail:SendMail"),
    (SendMailResponse, "ComposeMail:SendMail"),
    (SettingsRequest, "Settings:Settings"),
    (SettingsResponse, "Settings:Settings"),
    (SyncRequest, "AirSync:Sync"),
    (SyncResponse, "AirSync:Sync"),
]


@pytest.mark.parametrize(("cls", "root"), _PARSERS, ids=[c.__name__ for c, _ in _PARSERS])
def test_from_element_on_random_trees_raises_only_protocol_error(cls, root):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_trees(root))
    def check(tree: Element) -> None:
        with contextlib.suppress(ProtocolError):
            cls.from_element(tree)

    check()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_base64_query_of_any_bytes_raises_only_query_error(raw: bytes):
    with contextlib.suppress(QueryError):
        parse_query(base64.b64encode(raw).decode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_bodies_of_any_bytes_raise_only_protocol_error(body: bytes):
    for parse in (
        parse_multipart,
        lambda b: decode_body(EasResponse(200, {}, b)),
        lambda b: parse_itemoperations_body(b, "application/vnd.ms-sync.wbxml"),
        lambda b: parse_itemoperations_body(b, "application/vnd.ms-sync.multipart"),
    ):
        with contextlib.suppress(ProtocolError):
            parse(body)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40))
def test_any_retry_after_header_gives_only_the_http_error(value: str):
    # Header values reach us as latin-1 text, so "²" and friends can arrive.
    with pytest.raises(EasHTTPError):
        check_http(EasResponse(503, {"Retry-After": value}))
