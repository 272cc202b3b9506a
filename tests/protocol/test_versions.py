"""Protocol versions, their order, negotiation and command codes (MS-ASHTTP 2.2.1.1)."""

import pytest

from easclient.errors import EasError
from easclient.protocol import (
    ALL_VERSIONS,
    Command,
    ProtocolVersion,
    QueryError,
    VersionError,
    base64_query_allowed,
    choose_version,
    version_at_least,
)


def test_versions_order_by_protocol_not_text():
    assert ALL_VERSIONS == ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
    assert ProtocolVersion.V2_5 < ProtocolVersion.V12_0  # "2.5" > "12.0" as text
    assert ProtocolVersion.V16_1 > "14.1"
    assert ProtocolVersion.V14_1 >= "14.1" and ProtocolVersion.V14_1 <= "14.1"
    assert sorted(["16.1", "2.5", "12.1"], key=ProtocolVersion.parse) == ["2.5", "12.1", "16.1"]
    assert ProtocolVersion.V14_1 == "14.1" and str(ProtocolVersion.V14_1) == "14.1"


@pytest.mark.parametrize(
    ("version", "byte"),
    [
        ("2.5", 25),
        ("12.0", 120),
        ("12.1", 121),
        ("14.0", 140),
        ("14.1", 141),
        ("16.0", 160),
        ("16.1", 161),
    ],
)
def test_version_byte_is_version_times_ten(version, byte):
    assert ProtocolVersion.parse(version).byte == byte
    assert ProtocolVersion.from_byte(byte) == version


def test_unknown_version_is_a_clear_error():
    with pytest.raises(VersionError, match=r"'15\.0'") as info:
        ProtocolVersion.parse("15.0")
    assert isinstance(info.value, EasError) and info.value.value == "15.0"
    with pytest.raises(VersionError):
        ProtocolVersion.from_byte(150)


def test_base64_query_allowed_from_12_1():
    assert [v for v in ALL_VERSIONS if base64_query_allowed(v)] == [
        "12.1",
        "14.0",
        "14.1",
        "16.0",
        "16.1",
    ]
    assert version_at_least("16.0", "14.1") and not version_at_least("12.1", "14.0")


def test_choose_version_highest_common():
    # Exchange 2010 SP1's OPTIONS header, as one string, with versions we do not speak.
    assert choose_version("2.0,2.1,2.5,12.0,12.1,14.0,14.1") == "14.1"
    assert choose_version(["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]) == "16.1"
    assert choose_version("2.5,12.0,12.1,14.0,14.1", ["2.5", "12.1"]) == "12.1"
    assert choose_version(" 2.5 , 12.0 ", None) == "12.0"


def test_choose_version_without_overlap_raises():
    with pytest.raises(VersionError, match="no protocol version in common"):
        choose_version("2.5,12.0", ["16.1"])
    with pytest.raises(VersionError, match="no protocol version in common"):
        choose_version("", None)
    with pytest.raises(VersionError, match=r"'13\.0'"):
        choose_version("14.1", ["13.0"])


def test_command_codes():
    # MS-ASHTTP 2.2.1.1.1.1.2
    expected = {
        "Sync": 0,
        "SendMail": 1,
        "SmartForward": 2,
        "SmartReply": 3,
        "GetAttachment": 4,
        "FolderSync": 9,
        "FolderCreate": 10,
        "FolderDelete": 11,
        "FolderUpdate": 12,
        "MoveItems": 13,
        "GetItemEstimate": 14,
        "MeetingResponse": 15,
        "Search": 16,
        "Settings": 17,
        "Ping": 18,
        "ItemOperations": 19,
        "Provision": 20,
        "ResolveRecipients": 21,
        "ValidateCert": 22,
        "Find": 23,
    }
    for name, code in expected.items():
        assert Command.parse(name).code == code
        assert Command.from_code(code) is Command(name)
    with pytest.raises(QueryError, match="24"):
        Command.from_code(24)
    with pytest.raises(QueryError, match="'sync'"):
        Command.parse("sync")


def test_builders_prune_by_version_and_refuse_unknown_versions():
    from easclient.protocol._elements import in_version, prune
    from easclient.wbxml import E

    assert in_version("AirSync:Wait", "12.1") and not in_version("AirSync:Wait", "12.0")
    assert in_version("Zzz:Unlisted", "2.5")  # tags the table does not list are kept
    assert in_version("AirSync:Wait", " 12.1 ")  # spelled as parse() accepts
    doc = E("AirSync:Sync", E("AirSync:Wait", "5"), E("AirSync:WindowSize", "10"))
    assert prune(doc, "12.0") == E("AirSync:Sync", E("AirSync:WindowSize", "10"))
    assert prune(doc, "12.1") == doc and prune(doc, "12.1") is not doc
    with pytest.raises(VersionError):
        in_version("AirSync:Wait", "13.0")
    assert version_at_least(ProtocolVersion.V14_1, "14.0") and not version_at_least("12.1", "14.0")
    with pytest.raises(VersionError):
        version_at_least("14.2", "14.0")
