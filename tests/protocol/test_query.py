"""Both query forms of MS-ASHTTP 2.2.1.1.1, encoded and decoded."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easclient.protocol import Command, QueryError, RequestQuery, parse_query

SPEC_PLAIN = "Cmd=Sync&User=rmjones&DeviceId=v140Device&DeviceType=SmartPhone"
SPEC_BASE64 = "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l"


def test_spec_pair_plain_to_base64():
    q = parse_query("?" + SPEC_PLAIN, {"MS-ASProtocolVersion": "14.0"})
    assert q == RequestQuery("Sync", "rmjones", "v140Device", "SmartPhone", version="14.0")
    assert q.to_base64() == SPEC_BASE64


def test_spec_pair_base64_to_plain():
    q = parse_query("/Microsoft-Server-ActiveSync?" + SPEC_BASE64)
    assert (q.cmd, q.device_id, q.device_type, q.version) == (
        "Sync",
        "v140Device",
        "SmartPhone",
        "14.0",
    )
    assert q.locale == 0x0409 and q.policy_key is None and q.params == {} and q.user == ""
    # The base64 form leaves out the (optional) User; the plain form names it.
    q.user = "rmjones"
    assert q.to_plain() == SPEC_PLAIN
    assert q.plain_headers() == {"MS-ASProtocolVersion": "14.0"}


def test_base64_layout_byte_by_byte():
    q = RequestQuery(
        "SmartReply",
        "jdoe",
        "ABC",
        "iPhone",
        version="16.1",
        locale=0x0407,
        policy_key=3942919513,
        params={"ItemId": "5:12", "CollectionId": "5", "SaveInSent": "T"},
    )
    raw = base64.b64decode(q.to_base64())
    assert raw == (
        bytes([161, 3, 0x07, 0x04, 3])
        + b"ABC"
        + bytes([4])
        + (3942919513).to_bytes(4, "little")
        + bytes([6])
        + b"iPhone"
        + bytes([3, 4])
        + b"5:12"
        + bytes([1, 1])
        + b"5"
        + bytes([7, 1, 0x01])
    )
    back = parse_query(q.to_base64())
    assert back == RequestQuery(
        "SmartReply",
        "",
        "ABC",
        "iPhone",
        version="16.1",
        locale=0x0407,
        policy_key=3942919513,
        params={"ItemId": "5:12", "CollectionId": "5", "SaveInSent": "T"},
    )


def test_base64_with_policy_key_user_and_multipart_round_trips():
    q = RequestQuery(
        "ItemOperations",
        "jdoe@example.com",
        "dev1",
        "Android",
        params={"AcceptMultiPart": "T"},
        version="14.1",
        policy_key=0,
    )
    encoded = q.to_base64(include_user=True)
    assert parse_query(encoded) == q
    assert base64.b64decode(encoded)[-(2 + len(q.user)) :] == bytes([8, 16]) + b"jdoe@example.com"


def test_base64_percent_encoded_and_unpadded_still_parse():
    q = RequestQuery("Ping", "", "d", "t", version="14.1", policy_key=1)
    encoded = q.to_base64()
    assert parse_query(encoded.replace("+", "%2B").replace("/", "%2F").rstrip("=")) == q


def test_plain_parse_of_a_real_looking_url():
    url = (
        "https://mail.example.com/Microsoft-Server-ActiveSync?Cmd=SmartForward"
        "&User=EXAMPLE%5Cjdoe&DeviceId=ApplF4KDN0ZR0D6&DeviceType=iPhone"
        "&ItemId=5%3A12&CollectionId=5&SaveInSent=T"
    )
    headers = {
        "ms-asprotocolversion": "14.1",
        "X-MS-PolicyKey": "1471272447",
        "User-Agent": "Apple-iPhone9C1/1602.92",
    }
    q = parse_query(url, headers)
    assert q == RequestQuery(
        "SmartForward",
        "EXAMPLE\\jdoe",
        "ApplF4KDN0ZR0D6",
        "iPhone",
        params={"ItemId": "5:12", "CollectionId": "5", "SaveInSent": "T"},
        version="14.1",
        policy_key=1471272447,
    )
    assert q.to_plain() == url.split("?", 1)[1]
    assert parse_query(q.to_plain(), q.plain_headers()) == q


def test_plain_accept_multipart_travels_as_header():
    q = RequestQuery("ItemOperations", "u", "d", "t", params={"AcceptMultiPart": "T"})
    assert "AcceptMultiPart" not in q.to_plain()
    assert q.plain_headers()["MS-ASAcceptMultiPart"] == "T"
    assert parse_query(q.to_plain(), q.plain_headers()) == q


@pytest.mark.parametrize(
    ("qs", "headers", "match"),
    [
        ("", None, "no query"),
        ("Cmd=Sync&User=u&DeviceId=d", {"MS-ASProtocolVersion": "14.1"}, "DeviceType"),
        ("Cmd=Sync&User=u&DeviceId=d&DeviceType=t", None, "MS-ASProtocolVersion"),
        ("Cmd=Sync&User=u&DeviceId=d&DeviceType=t", {"MS-ASProtocolVersion": "15.0"}, "15.0"),
        (
            "Cmd=Sync&User=u&DeviceId=d&DeviceType=t&User=v",
            {"MS-ASProtocolVersion": "14.1"},
            "twice",
        ),
        (
            "Cmd=Sync&User=u&DeviceId=d&DeviceType=t",
            {"MS-ASProtocolVersion": "14.1", "X-MS-PolicyKey": "abc"},
            "'abc'",
        ),
        *(
            (
                "Cmd=Sync&User=u&DeviceId=d&DeviceType=t",
                {"MS-ASProtocolVersion": "14.1", "X-MS-PolicyKey": key},
                "not a uint32",
            )
            for key in ("-1", "4294967296", "1_0", "\u0661")  # each one int() accepts
        ),
        ("!!notbase64!!", None, "neither plain nor valid base64"),
        (base64.b64encode(bytes([140, 0, 9, 4, 10]) + b"v14").decode(), None, "ends inside"),
        (base64.b64encode(bytes([140, 0, 9])).decode(), None, "ends before its locale"),
        (base64.b64encode(bytes([120, 0, 9, 4, 0, 0, 0])).decode(), None, "not allowed"),
        (base64.b64encode(bytes([99, 0, 9, 4, 0, 0, 0])).decode(), None, "byte 99"),
        (base64.b64encode(bytes([140, 30, 9, 4, 0, 0, 0])).decode(), None, "command code 30"),
        (base64.b64encode(bytes([140, 0, 9, 4, 0, 2, 1, 2, 0])).decode(), None, "2 bytes"),
        (base64.b64encode(bytes([140, 0, 9, 4, 0, 0, 0, 9, 0])).decode(), None, "tag 9"),
    ],
)
def test_bad_queries_raise_query_error(qs, headers, match):
    with pytest.raises(QueryError, match=match):
        parse_query(qs, headers)


def test_to_base64_refuses_what_it_cannot_say():
    base = dict(cmd="Sync", user="u", device_id="d", device_type="t")
    with pytest.raises(QueryError, match=r"12\.1 or later"):
        RequestQuery(**base, version="12.0").to_base64()
    with pytest.raises(QueryError, match="'Foo'"):
        RequestQuery(**base, params={"Foo": "1"}).to_base64()
    with pytest.raises(QueryError, match="255"):
        RequestQuery("Sync", "u", "d" * 256, "t").to_base64()
    with pytest.raises(QueryError, match="uint32"):
        RequestQuery(**base, policy_key=2**32).to_base64()
    with pytest.raises(QueryError, match="'Frobnicate'"):
        RequestQuery("Frobnicate", "u", "d", "t").to_base64()


def test_default_version_for_plain_without_header():
    q = parse_query("Cmd=Ping&User=u&DeviceId=d&DeviceType=t", default_version="2.5")
    assert q.version == "2.5"


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_params = st.dictionaries(
    st.sampled_from(["AttachmentName", "CollectionId", "ItemId", "LongId", "Occurrence"]), _text
)


@settings(max_examples=200, deadline=None)
@given(
    cmd=st.sampled_from([c.value for c in Command]),
    user=_text,
    device_id=_text,
    device_type=_text,
    params=_params,
    save_in_sent=st.booleans(),
    multipart=st.booleans(),
    version=st.sampled_from(["12.1", "14.0", "14.1", "16.0", "16.1"]),
    locale=st.integers(0, 0xFFFF),
    policy_key=st.none() | st.integers(0, 2**32 - 1),
)
def test_base64_and_plain_round_trip_any_query(
    cmd, user, device_id, device_type, params, save_in_sent, multipart, version, locale, policy_key
):
    params = dict(params)
    if save_in_sent:
        params["SaveInSent"] = "T"
    if multipart:
        params["AcceptMultiPart"] = "T"
    q = RequestQuery(cmd, user, device_id, device_type, params, version, locale, policy_key)
    assert parse_query(q.to_base64(include_user=True)) == (
        q if user else RequestQuery(cmd, "", device_id, device_type, params, version, locale,
                                    policy_key)
    )  # fmt: skip
    plain = parse_query(q.to_plain(), q.plain_headers())
    assert plain == RequestQuery(cmd, user, device_id, device_type, params, version, 0x0409,
                                 policy_key)  # fmt: skip
