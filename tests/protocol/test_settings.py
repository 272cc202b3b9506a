"""Settings (MS-ASCMD 2.2.1.18) and DeviceInformation (2.2.3.45): trees, round trips, bytes."""

from __future__ import annotations

import pytest

from easclient.protocol.errors import ProtocolError
from easclient.protocol.settings import (
    DeviceInformation,
    SettingsRequest,
    SettingsResponse,
    UserAccount,
    UserInformation,
)
from easclient.protocol.status import SettingsStatus
from easclient.wbxml import E, decode, encode, from_xml, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml

S = ns("Settings")
VERSIONS_WITH_DEVICE_INFO = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]

FULL = DeviceInformation(
    model="Manufacturer-Name-Number",
    imei="123456789012345",
    friendly_name="My PPC Phone",
    os="PPC",
    os_language="us-EN",
    phone_number="206-555-0112",
    user_agent="TestAgent/1.0",
    enable_outbound_sms=True,
    mobile_operator="T-Mojo",
)


def test_device_information_tree_follows_schema_order() -> None:
    # The MS-ASMS 4.4 example, with a UserAgent added; children in MS-ASCMD 6.39 order.
    el = FULL.to_element("14.1")
    assert el.tag == "Settings:DeviceInformation"
    (set_,) = el.children
    assert set_.tag == "Settings:Set"
    assert [c.name for c in set_] == [
        "Model", "IMEI", "FriendlyName", "OS", "OSLanguage", "PhoneNumber", "UserAgent",
        "EnableOutboundSMS", "MobileOperator",
    ]  # fmt: skip
    assert set_.findtext("EnableOutboundSMS") == "1"
    assert set_.findtext("Model") == "Manufacturer-Name-Number"


def test_only_given_fields_are_sent() -> None:
    el = DeviceInformation(model="iPhone15,2", enable_outbound_sms=False).to_element()
    assert el == S.DeviceInformation(S.Set(S.Model("iPhone15,2"), S.EnableOutboundSMS("0")))


@pytest.mark.parametrize("version", VERSIONS_WITH_DEVICE_INFO)
@pytest.mark.parametrize(
    "info", [FULL, DeviceInformation(), DeviceInformation(model="m", enable_outbound_sms=False)]
)
def test_device_information_round_trip(info: DeviceInformation, version: str) -> None:
    el = info.to_element(version)
    back = DeviceInformation.from_element(el)
    # A version without a tag leaves that field out; everything it has comes back unchanged.
    sent = {c.name for c in el.find("Set")}
    for attr in ("model", "imei", "friendly_name", "os", "mobile_operator"):
        assert getattr(back, attr) in (getattr(info, attr), None)
    if "Model" in sent or info.model is None:
        assert back.model == info.model
    if version in ("14.1", "16.0", "16.1"):
        assert back == info


def test_from_set_element_too() -> None:
    assert DeviceInformation.from_element(S.Set(S.Model("x"))) == DeviceInformation(model="x")


def test_unknown_children_are_ignored() -> None:
    el = S.DeviceInformation(S.Set(S.Model("x"), S("FutureThing", "y")))
    assert DeviceInformation.from_element(el) == DeviceInformation(model="x")


@pytest.mark.parametrize(
    "el",
    [
        E("AirSync:Sync"),
        S.DeviceInformation(),
        S.DeviceInformation(S.Set(S.EnableOutboundSMS("yes"))),
    ],
)
def test_bad_device_information_is_a_protocol_error(el) -> None:
    with pytest.raises(ProtocolError):
        DeviceInformation.from_element(el)


# -- SettingsRequest / SettingsResponse ------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS_WITH_DEVICE_INFO)
@pytest.mark.parametrize(
    "request_",
    [
        SettingsRequest(device_information=DeviceInformation(model="m", os="o")),
        SettingsRequest(get_user_information=True),
        SettingsRequest(DeviceInformation(model="m"), get_user_information=True),
        SettingsRequest(),
    ],
)
def test_settings_request_round_trip(request_: SettingsRequest, version: str) -> None:
    assert SettingsRequest.from_element(request_.to_element(version)) == request_


def test_settings_request_tree() -> None:
    el = SettingsRequest(DeviceInformation(model="m"), get_user_information=True).to_element()
    assert el == S.Settings(S.DeviceInformation(S.Set(S.Model("m"))), S.UserInformation(S.Get()))


LEGACY_USER = UserInformation(SettingsStatus.Success, email_addresses=("a@x.test", "b@x.test"))
ACCOUNT_USER = UserInformation(
    SettingsStatus.Success,
    accounts=(
        UserAccount(
            account_id="1",
            account_name="Main",
            user_display_name="A. User",
            send_disabled=False,
            email_addresses=("a@x.test", "alias@x.test"),
            primary_smtp_address="a@x.test",
        ),
    ),
)


@pytest.mark.parametrize(
    ("version", "response"),
    [
        ("12.1", SettingsResponse(SettingsStatus.Success, SettingsStatus.Success, LEGACY_USER)),
        ("14.0", SettingsResponse(SettingsStatus.Success, None, LEGACY_USER)),
        ("14.1", SettingsResponse(SettingsStatus.Success, SettingsStatus.Success, ACCOUNT_USER)),
        ("16.1", SettingsResponse(SettingsStatus.Success, None, ACCOUNT_USER)),
        ("16.1", SettingsResponse(SettingsStatus.ProtocolError)),
        ("14.1", SettingsResponse(SettingsStatus.Success, SettingsStatus.DeniedByPolicy)),
        ("14.1", SettingsResponse(SettingsStatus.Success, 99)),  # unknown code kept as int
    ],
)
def test_settings_response_round_trip(version: str, response: SettingsResponse) -> None:
    assert SettingsResponse.from_element(response.to_element(version)) == response


def test_settings_response_from_spec_shape() -> None:
    # The response order of MS-ASCMD 2.2.1.18: the command Status, then one per property.
    el = S.Settings(
        S.Status("1"),
        S.DeviceInformation(S.Status("1")),
        S.UserInformation(
            S.Status("1"),
            S.Get(S.EmailAddresses(S.SMTPAddress("one@x.test"), S.SMTPAddress("two@x.test"))),
        ),
    )
    resp = SettingsResponse.from_element(el)
    assert resp.status is SettingsStatus.Success
    assert resp.device_information_status is SettingsStatus.Success
    assert resp.user_information == UserInformation(
        SettingsStatus.Success, email_addresses=("one@x.test", "two@x.test")
    )


def test_settings_response_as_sogo_sends_it() -> None:
    """SOGo 5.8's answer at 12.1-14.1 (pinned in tests/interop): no Status inside
    UserInformation, none for DeviceInformation, addresses in the pre-14.1 shape. The missing
    Status reads as unknown (None), not success."""
    xml = (
        '<Settings xmlns="Settings:"><Status>1</Status><UserInformation><Get><EmailAddresses>'
        "<SMTPAddress>alice@example.test</SMTPAddress></EmailAddresses></Get></UserInformation>"
        "</Settings>"
    )
    resp = SettingsResponse.from_element(decode(encode(from_xml(xml))))
    assert resp.status is SettingsStatus.Success
    assert resp.device_information_status is None
    assert resp.user_information == UserInformation(None, email_addresses=("alice@example.test",))
    assert resp.user_information.status is not SettingsStatus.Success
    # and back: no Status is written where there was none
    assert resp.to_element("14.0").find("Settings:UserInformation/Settings:Status") is None
    assert SettingsResponse.from_element(resp.to_element("14.0")) == resp


def test_user_information_status_that_is_not_a_number_is_refused() -> None:
    el = S.Settings(S.Status("1"), S.UserInformation(S.Status("ok")))
    with pytest.raises(ProtocolError, match="ok"):
        SettingsResponse.from_element(el)


def test_global_status_in_settings_is_kept() -> None:
    resp = SettingsResponse.from_element(S.Settings(S.Status("142")))
    assert resp.status == 142
    assert resp.status.name == "DeviceNotProvisioned"


@pytest.mark.parametrize(
    "el",
    [
        S.Settings(),  # no Status
        S.Settings(S.Status("one")),
        E("Provision:Provision", E("Provision:Status", "1")),
    ],
)
def test_bad_settings_response(el) -> None:
    with pytest.raises(ProtocolError):
        SettingsResponse.from_element(el)


# -- golden bytes (tokens from MS-ASWBXML code page 18, Settings) ------------------------------


SETTINGS_PAGE = 18
DEVICE_INFO_BYTES = wbxml(
    SWITCH_PAGE, SETTINGS_PAGE,
    tag(0x05),  # Settings
    tag(0x16),  # DeviceInformation
    tag(0x08),  # Set
    tag(0x17), "iPhone15,2", END,  # Model
    tag(0x1A), "iOS 17.1", END,  # OS
    tag(0x21), "0", END,  # EnableOutboundSMS
    END, END, END,
)  # fmt: skip
DEVICE_INFO_REQUEST = SettingsRequest(
    DeviceInformation(model="iPhone15,2", os="iOS 17.1", enable_outbound_sms=False)
)


def test_settings_request_golden_bytes() -> None:
    assert encode(DEVICE_INFO_REQUEST.to_element("14.0")) == DEVICE_INFO_BYTES
    assert SettingsRequest.from_element(decode(DEVICE_INFO_BYTES)) == DEVICE_INFO_REQUEST


def test_settings_response_golden_bytes() -> None:
    data = wbxml(
        SWITCH_PAGE, SETTINGS_PAGE,
        tag(0x05),  # Settings
        tag(0x06), "1", END,  # Status
        tag(0x16), tag(0x06), "1", END, END,  # DeviceInformation/Status
        tag(0x1D),  # UserInformation
        tag(0x06), "1", END,
        tag(0x07), tag(0x1E), tag(0x1F), "me@x.test", END, END, END,  # Get/EmailAddresses/SMTP
        END,
        END,
    )  # fmt: skip
    resp = SettingsResponse(
        SettingsStatus.Success,
        SettingsStatus.Success,
        UserInformation(SettingsStatus.Success, email_addresses=("me@x.test",)),
    )
    assert SettingsResponse.from_element(decode(data)) == resp
    assert encode(resp.to_element("12.1")) == data
