"""Provision (MS-ASPROV, MS-ASCMD 2.2.1.14): the policy flow as trees and golden WBXML."""

import pytest

from easclient import wbxml
from easclient.protocol import (
    POLICY_TYPE_WAP,
    POLICY_TYPE_WBXML,
    DeviceInformation,
    PolicyAckStatus,
    PolicyStatus,
    ProtocolError,
    ProvisionRequest,
    ProvisionResponse,
    ProvisionStatus,
    RemoteWipeStatus,
    SettingsStatus,
    policy_doc_from_element,
    policy_doc_to_element,
    policy_type_for,
    wap_policy_from_string,
    wap_policy_to_string,
)
from easclient.wbxml import ns

from ._golden import END, SWITCH_PAGE, tag
from ._golden import wbxml as golden
from ._tags import assert_tags_in_version

P = ns("Provision")
S = ns("Settings")
VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
WBXML_VERSIONS = VERSIONS[1:]

DEVICE = DeviceInformation(
    model="iPhone9C1",
    friendly_name="Lab iPhone",
    os="iOS 16.7",
    os_language="en",
    user_agent="Apple-iPhone9C1/2006.12",
    mobile_operator="Example Mobile",
)
POLICY = {
    "DevicePasswordEnabled": "1",
    "AlphanumericDevicePasswordRequired": "0",
    "MinDevicePasswordLength": "4",
    "MaxInactivityTimeDeviceLock": "900",
}
FULL_POLICY = {
    **POLICY,
    "MaxDevicePasswordFailedAttempts": "",  # unset on the server: an empty element
    "AllowCamera": "1",
    "UnapprovedInROMApplicationList": ["Solitaire", "Minesweeper"],
    "ApprovedApplicationList": [],
}
WAP_DOC = (
    '<wap-provisioningdoc><characteristic type="SecurityPolicy">'
    '<parm name="4131" value="0"/><parm name="4133" value="1"/></characteristic>'
    '<characteristic type="Registry"><characteristic type="HKLM\\Comm\\Security\\Policy\\'
    'LASSD\\AE\\{50C13377-C66D-400C-889E-C316FC4AB374}"><parm name="AEFrequencyType" value="1"/>'
    '<parm name="AEFrequencyValue" value="5"/></characteristic></characteristic>'
    "</wap-provisioningdoc>"
)


def test_policy_type_by_version():
    assert policy_type_for("2.5") == POLICY_TYPE_WAP == "MS-WAP-Provisioning-XML"
    for v in WBXML_VERSIONS:
        assert policy_type_for(v) == POLICY_TYPE_WBXML == "MS-EAS-Provisioning-WBXML"
    assert ProvisionRequest.initial("2.5").policy_type == POLICY_TYPE_WAP
    assert ProvisionRequest.acknowledge(5, version="12.0").policy_type == POLICY_TYPE_WBXML


def test_initial_request_tree_with_device_information_from_14_1():
    req = ProvisionRequest.initial("14.1", DEVICE)
    el = req.to_element("14.1")
    assert [c.tag for c in el] == ["Settings:DeviceInformation", "Provision:Policies"]
    assert el.findtext("Settings:DeviceInformation/Settings:Set/Settings:Model") == "iPhone9C1"
    assert el.findtext("Policies/Policy/PolicyType") == POLICY_TYPE_WBXML
    assert el.find("Policies/Policy/PolicyKey") is None
    assert ProvisionRequest.from_element(el) == req


@pytest.mark.parametrize("version", ["2.5", "12.0", "12.1", "14.0"])
def test_device_information_left_out_before_14_1(version):
    el = ProvisionRequest.initial(version, DEVICE).to_element(version)
    assert el.find("Settings:DeviceInformation") is None
    assert ProvisionRequest.from_element(el) == ProvisionRequest.initial(version)


@pytest.mark.parametrize("version", ["14.1", "16.0", "16.1"])
def test_device_information_sent_from_14_1(version):
    el = ProvisionRequest.initial(version, DEVICE).to_element(version)
    assert_tags_in_version(el, version)
    assert ProvisionRequest.from_element(el).device_information == DEVICE


def test_acknowledgement_puts_policy_key_before_status():
    req = ProvisionRequest.acknowledge(1307199584)
    el = req.to_element()
    assert [c.name for c in el.find("Policies/Policy")] == ["PolicyType", "PolicyKey", "Status"]
    assert el.findtext("Policies/Policy/PolicyKey") == "1307199584"
    back = ProvisionRequest.from_element(el)
    assert back == req and back.policy_status is PolicyAckStatus.Success


def test_remote_wipe_acknowledgement_without_policies():
    req = ProvisionRequest(policy_type=None, remote_wipe_status=RemoteWipeStatus.Success)
    el = req.to_element("14.1")
    assert el == P.Provision(P.RemoteWipe(P.Status("1")))
    assert ProvisionRequest.from_element(el) == req
    account_only = ProvisionRequest(policy_type=None, account_only_remote_wipe_status=2)
    el = account_only.to_element("16.1")
    assert_tags_in_version(el, "16.1")
    assert el == P.Provision(P.AccountOnlyRemoteWipe(P.Status("2")))
    assert ProvisionRequest.from_element(el).account_only_remote_wipe_status is (
        RemoteWipeStatus.Failure
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "req",
    [
        ProvisionRequest(),
        ProvisionRequest(POLICY_TYPE_WAP),
        ProvisionRequest(policy_key=7, policy_status=PolicyAckStatus.PartialSuccess),
        ProvisionRequest(policy_key=7, policy_status=9),  # unknown code kept
        ProvisionRequest(policy_type=None, remote_wipe_status=1),
    ],
)
def test_request_round_trip(req, version):
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert ProvisionRequest.from_element(el) == req


def test_policy_doc_dict_both_ways():
    el = policy_doc_to_element(FULL_POLICY)
    assert el.find("UnapprovedInROMApplicationList") == P.UnapprovedInROMApplicationList(
        P.ApplicationName("Solitaire"), P.ApplicationName("Minesweeper")
    )
    assert el.find("ApprovedApplicationList") == P.ApprovedApplicationList()
    assert el.find("MaxDevicePasswordFailedAttempts").text is None
    assert policy_doc_from_element(el) == FULL_POLICY
    assert list(policy_doc_from_element(el)) == list(FULL_POLICY)  # order kept


def test_policy_doc_from_a_server_tree():
    el = P.EASProvisionDoc(
        P.DevicePasswordEnabled("0"),
        P.ApprovedApplicationList(P.Hash("3E5D1B"), P.Hash("9A0C44")),
        P.AllowBrowser("1"),
    )
    assert policy_doc_from_element(el) == {
        "DevicePasswordEnabled": "0",
        "ApprovedApplicationList": ["3E5D1B", "9A0C44"],
        "AllowBrowser": "1",
    }


def test_policy_doc_filtered_by_version():
    el = policy_doc_to_element(FULL_POLICY, "12.0")  # AllowCamera and the lists came in 12.1
    assert_tags_in_version(el, "12.0")
    assert policy_doc_from_element(el) == {**POLICY, "MaxDevicePasswordFailedAttempts": ""}


def test_policy_doc_rejects_a_list_for_a_plain_setting():
    with pytest.raises(ProtocolError, match="AllowCamera"):
        policy_doc_to_element({"AllowCamera": ["1"]})


def _initial_response(version: str) -> ProvisionResponse:
    if version == "2.5":
        return ProvisionResponse(1, POLICY_TYPE_WAP, 1, 3942919513, WAP_DOC)
    doc = FULL_POLICY if version != "12.0" else {**POLICY, "MaxDevicePasswordFailedAttempts": ""}
    info = SettingsStatus.Success if version in ("14.1", "16.0", "16.1") else None
    return ProvisionResponse(
        ProvisionStatus.Success, POLICY_TYPE_WBXML, PolicyStatus.Success, 1307199584, doc,
        device_information_status=info,
    )  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_response_round_trip(version):
    for resp in (
        _initial_response(version),
        ProvisionResponse(1, policy_type_for(version), 1, 3942919513),  # acknowledgement answer
        ProvisionResponse(1, remote_wipe=True),
        ProvisionResponse(ProvisionStatus.ProtocolError),
        ProvisionResponse(1, policy_type_for(version), PolicyStatus.WrongPolicyKey),
        ProvisionResponse(165),
        ProvisionResponse(9, policy_type_for(version), 8),  # unknown codes kept
    ):
        el = resp.to_element(version)
        assert_tags_in_version(el, version)
        assert ProvisionResponse.from_element(el) == resp


def test_response_typed_fields():
    el = P.Provision(
        S.DeviceInformation(S.Status("1")),
        P.Status("1"),
        P.Policies(
            P.Policy(
                P.PolicyType(POLICY_TYPE_WBXML),
                P.Status("1"),
                P.PolicyKey("1307199584"),
                P.Data(P.EASProvisionDoc(P.DevicePasswordEnabled("1"))),
            )
        ),
    )
    resp = ProvisionResponse.from_element(el)
    assert resp.status is ProvisionStatus.Success
    assert resp.policy_status is PolicyStatus.Success
    assert resp.device_information_status is SettingsStatus.Success
    assert resp.policy_key == 1307199584 and resp.policy_data == {"DevicePasswordEnabled": "1"}
    assert not resp.remote_wipe and not resp.account_only_remote_wipe
    assert resp.to_element("14.1") == el  # the schema's order: DeviceInformation, Status, …


def test_2_5_policy_is_a_string():
    resp = ProvisionResponse.from_element(_initial_response("2.5").to_element("2.5"))
    assert resp.policy_type == POLICY_TYPE_WAP and resp.policy_data == WAP_DOC
    # Some 2.5 servers send the document as opaque bytes; it still reads as text.
    el = P.Provision(
        P.Status("1"),
        P.Policies(P.Policy(P.PolicyType(POLICY_TYPE_WAP), P.Status("1"), P.PolicyKey("1"),
                            P.Data(WAP_DOC.encode()))),
    )  # fmt: skip
    assert ProvisionResponse.from_element(el).policy_data == WAP_DOC


def test_remote_wipe_directives():
    resp = ProvisionResponse.from_element(P.Provision(P.Status("1"), P.RemoteWipe()))
    assert resp.remote_wipe and not resp.account_only_remote_wipe
    resp = ProvisionResponse.from_element(P.Provision(P.Status("1"), P.AccountOnlyRemoteWipe()))
    assert resp.account_only_remote_wipe and not resp.remote_wipe


@pytest.mark.parametrize(
    ("el", "match"),
    [
        (S.Settings(P.Status("1")), "Provision:Provision"),
        (P.Provision(), "Status"),
        (P.Provision(P.Status("1"), P.Policies(P.Policy(P.PolicyType("x"), P.PolicyKey("k")))),
         "'k'"),
        (P.Provision(P.Status("1"), P.Policies(P.Policy(P.PolicyType("x"),
                                                        P.PolicyKey("4294967296")))), "uint32"),
    ],
)  # fmt: skip
def test_malformed_responses(el, match):
    with pytest.raises(ProtocolError, match=match):
        ProvisionResponse.from_element(el)


def test_malformed_request():
    with pytest.raises(ProtocolError, match="PolicyType"):
        ProvisionRequest.from_element(P.Provision(P.Policies(P.Policy(P.PolicyKey("1")))))


# -- golden bytes: one full exchange at 14.1, and 2.5 ---------------------------------------
# Provision page 14: Provision 05, Policies 06, Policy 07, PolicyType 08, PolicyKey 09,
# Data 0A, Status 0B, RemoteWipe 0C, EASProvisionDoc 0D, DevicePasswordEnabled 0E,
# AlphanumericDevicePasswordRequired 0F, MinDevicePasswordLength 14,
# MaxInactivityTimeDeviceLock 15. Settings page 18: Status 06, Set 08, DeviceInformation 16,
# Model 17, FriendlyName 19, OS 1A, OSLanguage 1B, UserAgent 20, MobileOperator 22.

INITIAL_REQUEST = golden(
    SWITCH_PAGE, 14, tag(0x05),
    SWITCH_PAGE, 18, tag(0x16), tag(0x08),
    tag(0x17), "iPhone9C1", END,
    tag(0x19), "Lab iPhone", END,
    tag(0x1A), "iOS 16.7", END,
    tag(0x1B), "en", END,
    tag(0x20), "Apple-iPhone9C1/2006.12", END,
    tag(0x22), "Example Mobile", END,
    END, END,
    SWITCH_PAGE, 14, tag(0x06), tag(0x07), tag(0x08), "MS-EAS-Provisioning-WBXML", END, END, END,
    END,
)  # fmt: skip

INITIAL_RESPONSE = golden(
    SWITCH_PAGE, 14, tag(0x05),
    SWITCH_PAGE, 18, tag(0x16), tag(0x06), "1", END, END,
    SWITCH_PAGE, 14, tag(0x0B), "1", END,
    tag(0x06), tag(0x07),
    tag(0x08), "MS-EAS-Provisioning-WBXML", END,
    tag(0x0B), "1", END,
    tag(0x09), "1307199584", END,
    tag(0x0A), tag(0x0D),
    tag(0x0E), "1", END,
    tag(0x0F), "0", END,
    tag(0x14), "4", END,
    tag(0x15), "900", END,
    END, END,
    END, END,
    END,
)  # fmt: skip

ACK_REQUEST = golden(
    SWITCH_PAGE, 14, tag(0x05), tag(0x06), tag(0x07),
    tag(0x08), "MS-EAS-Provisioning-WBXML", END,
    tag(0x09), "1307199584", END,
    tag(0x0B), "1", END,
    END, END, END,
)  # fmt: skip

ACK_RESPONSE = golden(
    SWITCH_PAGE, 14, tag(0x05), tag(0x0B), "1", END, tag(0x06), tag(0x07),
    tag(0x08), "MS-EAS-Provisioning-WBXML", END,
    tag(0x0B), "1", END,
    tag(0x09), "3942919513", END,
    END, END, END,
)  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "value", "data"),
    [
        (ProvisionRequest, ProvisionRequest.initial("14.1", DEVICE), INITIAL_REQUEST),
        (
            ProvisionResponse,
            ProvisionResponse(1, POLICY_TYPE_WBXML, 1, 1307199584, POLICY,
                              device_information_status=1),
            INITIAL_RESPONSE,
        ),
        (ProvisionRequest, ProvisionRequest.acknowledge(1307199584), ACK_REQUEST),
        (ProvisionResponse, ProvisionResponse(1, POLICY_TYPE_WBXML, 1, 3942919513), ACK_RESPONSE),
    ],
)  # fmt: skip
def test_14_1_exchange_golden_bytes_both_ways(cls, value, data):
    assert wbxml.encode(value.to_element("14.1"), version="14.1") == data
    assert cls.from_element(wbxml.decode(data)) == value


def test_2_5_exchange_golden_bytes_both_ways():
    request = golden(
        SWITCH_PAGE, 14, tag(0x05), tag(0x06), tag(0x07),
        tag(0x08), "MS-WAP-Provisioning-XML", END, END, END, END,
    )  # fmt: skip
    req = ProvisionRequest.initial("2.5", DEVICE)  # DeviceInformation cannot travel at 2.5
    assert wbxml.encode(req.to_element("2.5"), version="2.5") == request
    assert ProvisionRequest.from_element(wbxml.decode(request)) == ProvisionRequest.initial("2.5")
    response = golden(
        SWITCH_PAGE, 14, tag(0x05), tag(0x0B), "1", END, tag(0x06), tag(0x07),
        tag(0x08), "MS-WAP-Provisioning-XML", END,
        tag(0x0B), "1", END,
        tag(0x09), "3942919513", END,
        tag(0x0A), WAP_DOC, END,
        END, END, END,
    )  # fmt: skip
    resp = _initial_response("2.5")
    assert wbxml.encode(resp.to_element("2.5"), version="2.5") == response
    assert ProvisionResponse.from_element(wbxml.decode(response)) == resp


def test_2_5_wap_policy_parameters_both_ways():
    params = wap_policy_from_string(WAP_DOC)
    ae = "Registry/HKLM\\Comm\\Security\\Policy\\LASSD\\AE\\{50C13377-C66D-400C-889E-C316FC4AB374}"
    assert params == {
        "SecurityPolicy/4131": "0",
        "SecurityPolicy/4133": "1",
        f"{ae}/AEFrequencyType": "1",
        f"{ae}/AEFrequencyValue": "5",
    }
    assert wap_policy_from_string(wap_policy_to_string(params)) == params


@pytest.mark.parametrize(
    ("data", "match"),
    [("<wap-provisioningdoc><parm", "well-formed"), ("<policy/>", "wap-provisioningdoc")],
)
def test_2_5_wap_policy_malformed(data, match):
    with pytest.raises(ProtocolError, match=match):
        wap_policy_from_string(data)
