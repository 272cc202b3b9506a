"""Settings (MS-ASCMD 2.2.1.18) and DeviceInformation (2.2.3.45): trees, round trips, bytes."""

from __future__ import annotations

import pytest
from easclient.protocol.errors import ProtocolError

from easclient.protocol.settings import DeviceInformation
from easclient.wbxml import E, ns

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
