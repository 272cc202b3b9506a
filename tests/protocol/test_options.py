"""OPTIONS (MS-ASHTTP 3.1.5.1): the server's versions and commands."""

import pytest

from easclient.protocol import (
    AuthenticationFailed,
    EasResponse,
    OptionsBlocked,
    OptionsResult,
    VersionError,
    build_options_request,
    options_headers,
    parse_options,
)

EXCHANGE_2010 = {
    "Allow": "OPTIONS,POST",
    "MS-Server-ActiveSync": "14.3",
    "MS-ASProtocolVersions": "2.0,2.1,2.5,12.0,12.1,14.0,14.1",
    "MS-ASProtocolCommands": "Sync,SendMail,SmartForward,SmartReply,GetAttachment,GetHierarchy,"
    "CreateCollection,DeleteCollection,MoveCollection,FolderSync,FolderCreate,FolderDelete,"
    "FolderUpdate,MoveItems,GetItemEstimate,MeetingResponse,Search,Settings,Ping,ItemOperations,"
    "Provision,ResolveRecipients,ValidateCert",
}


def test_parse_exchange_options():
    result = parse_options(EasResponse(200, EXCHANGE_2010))
    assert result.server_version == "14.3"
    assert result.versions == ("2.0", "2.1", "2.5", "12.0", "12.1", "14.0", "14.1")
    assert result.supported_versions == ("2.5", "12.0", "12.1", "14.0", "14.1")
    assert result.choose_version() == "14.1"
    assert result.choose_version(["2.5", "12.0"]) == "12.0"
    assert result.supports("Provision") and not result.supports("Find")
    assert len(result.commands) == 23


def test_missing_server_header_means_blocked_options():
    headers = {k: v for k, v in EXCHANGE_2010.items() if k != "MS-Server-ActiveSync"}
    with pytest.raises(OptionsBlocked, match="blocked by a proxy"):
        parse_options(EasResponse(200, headers))


def test_no_versions_is_an_error():
    with pytest.raises(VersionError, match="MS-ASProtocolVersions"):
        parse_options(EasResponse(200, {"MS-Server-ActiveSync": "15.1"}))


def test_http_errors_come_first():
    with pytest.raises(AuthenticationFailed):
        parse_options(EasResponse(401, {}))


def test_server_headers_round_trip():
    headers = options_headers(["12.1", "14.1", "16.1"], ["Sync", "Ping"], "15.20")
    assert headers["MS-ASProtocolVersions"] == "12.1,14.1,16.1"
    assert parse_options(EasResponse(200, headers)) == OptionsResult(
        ("12.1", "14.1", "16.1"), ("Sync", "Ping"), "15.20"
    )
    default = parse_options(EasResponse(200, options_headers()))
    assert default.choose_version() == "16.1" and default.supports("Find")


def test_options_request():
    req = build_options_request("Apple-iPhone9C1/1602.92")
    assert req.method == "OPTIONS" and req.target == "/Microsoft-Server-ActiveSync"
    assert req.headers == {"User-Agent": "Apple-iPhone9C1/1602.92"} and req.body == b""
