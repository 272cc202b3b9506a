"""Provision (MS-ASPROV; MS-ASCMD 2.2.1.14): fetch the security policy, acknowledge it, wipe.

The flow (MS-ASPROV 3.1.5.1):

1. ``ProvisionRequest.initial(version, device_information)``: asks for the policy. From 14.1 the
   request carries ``Settings:DeviceInformation`` (servers of 16.x answer 165 without it).
2. The response holds a temporary PolicyKey and the policy: at 12.0+ an ``EASProvisionDoc``
   (read into a dict of setting name → value), at 2.5 ``MS-WAP-Provisioning-XML`` as a string.
3. ``ProvisionRequest.acknowledge(policy_key, version=…)``: PolicyKey + Status 1.
4. The response's PolicyKey is final: send it as X-MS-PolicyKey from now on.

A response with ``RemoteWipe`` (or 16.1's ``AccountOnlyRemoteWipe``) asks the device to wipe; the
device answers with ``remote_wipe_status`` (this project only records the request).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import IntEnum

from easclient.errors import excerpt
from easclient.wbxml import Element, ns

from ._elements import expect_root, in_version, opt_status, opt_text, status, to_int
from .errors import ProtocolError
from .settings import DeviceInformation
from .status import (
    PolicyAckStatus,
    PolicyStatus,
    ProvisionStatus,
    RemoteWipeStatus,
    SettingsStatus,
    status_of,
)
from .versions import version_at_least

__all__ = [
    "POLICY_TYPE_WAP",
    "POLICY_TYPE_WBXML",
    "PolicyValue",
    "ProvisionRequest",
    "ProvisionResponse",
    "policy_doc_from_element",
    "policy_doc_to_element",
    "policy_type_for",
    "wap_policy_from_string",
    "wap_policy_to_string",
]

P = ns("Provision")
S = ns("Settings")

POLICY_TYPE_WBXML = "MS-EAS-Provisioning-WBXML"  # 12.0 and later
POLICY_TYPE_WAP = "MS-WAP-Provisioning-XML"  # 2.5: Data is a WAP provisioning XML string

#: A policy setting's value: text, or for the two list settings the list of their entries.
PolicyValue = str | list[str]

# The EASProvisionDoc settings that are lists, and the element of each entry (MS-ASPROV
# 2.2.2.55 UnapprovedInROMApplicationList/ApplicationName, 2.2.2.22 ApprovedApplicationList/Hash).
_LIST_ENTRIES = {
    "UnapprovedInROMApplicationList": "ApplicationName",
    "ApprovedApplicationList": "Hash",
}


def policy_type_for(version: str) -> str:
    """The PolicyType a client of ``version`` asks for."""
    return POLICY_TYPE_WBXML if version_at_least(version, "12.0") else POLICY_TYPE_WAP


def policy_doc_to_element(settings: dict[str, PolicyValue], version: str | None = None) -> Element:
    """``Provision:EASProvisionDoc`` from a dict of setting name → value (in dict order).

    With ``version``, settings that version does not have (per the code-page table, e.g.
    AllowCamera before 12.1) are left out, as a server speaking it would.
    """
    children = []
    for name, value in settings.items():
        if version is not None and not in_version(f"Provision:{name}", version):
            continue
        if isinstance(value, list | tuple):
            entry = _LIST_ENTRIES.get(name)
            if entry is None:
                raise ProtocolError(f"the policy setting {name} takes no list", element=name)
            children.append(P(name, *(P(entry, str(v)) for v in value)))
        else:
            children.append(P(name, str(value) if value is not None else None))
    return P.EASProvisionDoc(*children)


def policy_doc_from_element(el: Element) -> dict[str, PolicyValue]:
    """The settings of a ``Provision:EASProvisionDoc`` as a dict (empty elements → "")."""
    expect_root(el, "Provision:EASProvisionDoc")
    settings: dict[str, PolicyValue] = {}
    for child in el:
        if child.name in _LIST_ENTRIES or child.children:
            settings[child.name] = [
                c.text if isinstance(c.text, str) else "" for c in child.children
            ]
        elif isinstance(child.text, bytes):
            settings[child.name] = child.text.decode("utf-8", "replace")
        else:
            settings[child.name] = child.text or ""
    return settings


def wap_policy_from_string(data: str) -> dict[str, str]:
    """The parameters of a 2.5 ``MS-WAP-Provisioning-XML`` document (MS-ASPROV 2.2.2.24.2).

    Keys are the characteristic types down to the parm, joined with "/", e.g.
    ``"SecurityPolicy/4131"`` or ``"Registry/HKLM\\Comm\\…\\AE\\{…}/AEFrequencyValue"``.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ProtocolError(
            f"the 2.5 policy is not well-formed XML: {e}", value=data[:80]
        ) from None
    if root.tag != "wap-provisioningdoc":
        raise ProtocolError(f"expected wap-provisioningdoc, got {root.tag}", value=root.tag)
    params: dict[str, str] = {}

    def walk(node: ET.Element, path: tuple[str, ...]) -> None:
        for child in node:
            if child.tag == "characteristic":
                walk(child, (*path, child.get("type", "")))
            elif child.tag == "parm":
                params["/".join((*path, child.get("name", "")))] = child.get("value", "")

    walk(root, ())
    return params


def wap_policy_to_string(params: dict[str, str]) -> str:
    """A ``wap-provisioningdoc`` string from :func:`wap_policy_from_string`'s dict form."""
    root = ET.Element("wap-provisioningdoc")
    nodes: dict[tuple[str, ...], ET.Element] = {(): root}
    for key, value in params.items():
        *types, name = key.split("/")  # registry paths use "\\", never "/"
        parent: tuple[str, ...] = ()
        for t in types:
            here = (*parent, t)
            if here not in nodes:
                nodes[here] = ET.SubElement(nodes[parent], "characteristic", type=t)
            parent = here
        ET.SubElement(nodes[parent], "parm", name=name, value=value)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _policy_key(el: Element) -> int | None:
    raw = opt_text(el, "Provision:PolicyKey")
    if raw is None or raw == "":
        return None
    key = to_int(raw, "Provision:PolicyKey")
    if not 0 <= key <= 0xFFFFFFFF:
        raise ProtocolError(f"Provision:PolicyKey {excerpt(raw)} is not a uint32", value=raw)
    return key


def _typed(obj: object, name: str, enum: type[IntEnum]) -> None:
    # Codes given as plain ints become enum members, so values compare the same however built.
    object.__setattr__(obj, name, status_of(enum, getattr(obj, name)))


def _wipe_status(el: Element | None) -> RemoteWipeStatus | int | None:
    return None if el is None else opt_status(el, "Provision:Status", RemoteWipeStatus)


@dataclass(frozen=True, slots=True)
class ProvisionRequest:
    """A Provision request: initial (no key), acknowledgement (key + status), or wipe ack.

    ``policy_type`` None leaves out ``Policies`` (a request that only acknowledges a wipe).
    ``device_information`` is sent from 14.1 on and dropped for earlier versions.
    """

    policy_type: str | None = POLICY_TYPE_WBXML
    policy_key: int | None = None
    policy_status: PolicyAckStatus | int | None = None
    remote_wipe_status: RemoteWipeStatus | int | None = None
    account_only_remote_wipe_status: RemoteWipeStatus | int | None = None
    device_information: DeviceInformation | None = None

    def __post_init__(self) -> None:
        _typed(self, "policy_status", PolicyAckStatus)
        _typed(self, "remote_wipe_status", RemoteWipeStatus)
        _typed(self, "account_only_remote_wipe_status", RemoteWipeStatus)

    @classmethod
    def initial(
        cls, version: str = "14.1", device_information: DeviceInformation | None = None
    ) -> ProvisionRequest:
        """The first request of the flow, with the PolicyType that ``version`` uses."""
        return cls(policy_type=policy_type_for(version), device_information=device_information)

    @classmethod
    def acknowledge(
        cls,
        policy_key: int,
        status: PolicyAckStatus | int = PolicyAckStatus.Success,
        *,
        version: str = "14.1",
    ) -> ProvisionRequest:
        """The acknowledgement of the temporary ``policy_key`` (MS-ASPROV 3.1.5.1.2)."""
        return cls(
            policy_type=policy_type_for(version), policy_key=policy_key, policy_status=status
        )

    def to_element(self, version: str = "14.1") -> Element:
        children = []
        if self.device_information is not None and version_at_least(version, "14.1"):
            children.append(self.device_information.to_element(version))
        if self.policy_type is not None:
            policy = [P.PolicyType(self.policy_type)]
            if self.policy_key is not None:
                policy.append(P.PolicyKey(self.policy_key))  # before Status (MS-ASPROV 2.2.2.41)
            if self.policy_status is not None:
                policy.append(P.Status(int(self.policy_status)))
            children.append(P.Policies(P.Policy(*policy)))
        if self.remote_wipe_status is not None:
            children.append(P.RemoteWipe(P.Status(int(self.remote_wipe_status))))
        if self.account_only_remote_wipe_status is not None:
            children.append(
                P.AccountOnlyRemoteWipe(P.Status(int(self.account_only_remote_wipe_status)))
            )
        return P.Provision(*children)

    @classmethod
    def from_element(cls, el: Element) -> ProvisionRequest:
        expect_root(el, "Provision:Provision")
        policy = el.find("Provision:Policies/Provision:Policy")
        info = el.find("Settings:DeviceInformation")
        policy_type = None
        key = ack = None
        if policy is not None:
            policy_type = opt_text(policy, "Provision:PolicyType")
            if policy_type is None:
                raise ProtocolError("Provision:Policy lacks its PolicyType", element="PolicyType")
            key = _policy_key(policy)
            ack = opt_status(policy, "Provision:Status", PolicyAckStatus)
        return cls(
            policy_type=policy_type,
            policy_key=key,
            policy_status=ack,
            remote_wipe_status=_wipe_status(el.find("Provision:RemoteWipe")),
            account_only_remote_wipe_status=_wipe_status(
                el.find("Provision:AccountOnlyRemoteWipe")
            ),
            device_information=None if info is None else DeviceInformation.from_element(info),
        )


@dataclass(frozen=True, slots=True)
class ProvisionResponse:
    """The server's answer.

    ``policy_data`` is the EASProvisionDoc as a dict (12.0+), the WAP provisioning XML string
    (2.5), or None (acknowledgement responses carry no Data). ``remote_wipe`` /
    ``account_only_remote_wipe`` are set when the server asks for a wipe.
    ``device_information_status`` answers the DeviceInformation the request carried (14.1+).
    """

    status: ProvisionStatus | int
    policy_type: str | None = None
    policy_status: PolicyStatus | int | None = None
    policy_key: int | None = None
    policy_data: dict[str, PolicyValue] | str | None = None
    remote_wipe: bool = False
    account_only_remote_wipe: bool = False
    device_information_status: SettingsStatus | int | None = None

    def __post_init__(self) -> None:
        _typed(self, "status", ProvisionStatus)
        _typed(self, "policy_status", PolicyStatus)
        _typed(self, "device_information_status", SettingsStatus)

    def to_element(self, version: str = "14.1") -> Element:
        children = []
        # settings:DeviceInformation comes first (MS-ASPROV 6.3, ProvisionResponse.xsd).
        if self.device_information_status is not None and version_at_least(version, "14.1"):
            children.append(S.DeviceInformation(S.Status(int(self.device_information_status))))
        children.append(P.Status(int(self.status)))
        if self.policy_type is not None:
            policy = [P.PolicyType(self.policy_type)]
            if self.policy_status is not None:
                policy.append(P.Status(int(self.policy_status)))
            if self.policy_key is not None:
                policy.append(P.PolicyKey(self.policy_key))
            if isinstance(self.policy_data, str):
                policy.append(P.Data(self.policy_data))
            elif self.policy_data is not None:
                policy.append(P.Data(policy_doc_to_element(self.policy_data, version)))
            children.append(P.Policies(P.Policy(*policy)))
        if self.remote_wipe:
            children.append(P.RemoteWipe())
        if self.account_only_remote_wipe:
            children.append(P.AccountOnlyRemoteWipe())
        return P.Provision(*children)

    @classmethod
    def from_element(cls, el: Element) -> ProvisionResponse:
        expect_root(el, "Provision:Provision")
        policy = el.find("Provision:Policies/Provision:Policy")
        info = el.find("Settings:DeviceInformation")
        policy_type = policy_status = key = data = None
        if policy is not None:
            policy_type = opt_text(policy, "Provision:PolicyType")
            policy_status = opt_status(policy, "Provision:Status", PolicyStatus)
            key = _policy_key(policy)
            data = _policy_data(policy.find("Provision:Data"))
        return cls(
            status=status(el, "Provision:Status", ProvisionStatus),
            policy_type=policy_type,
            policy_status=policy_status,
            policy_key=key,
            policy_data=data,
            remote_wipe=el.find("Provision:RemoteWipe") is not None,
            account_only_remote_wipe=el.find("Provision:AccountOnlyRemoteWipe") is not None,
            device_information_status=None
            if info is None
            else opt_status(info, "Settings:Status", SettingsStatus),
        )


def _policy_data(data: Element | None) -> dict[str, PolicyValue] | str | None:
    if data is None:
        return None
    doc = data.find("Provision:EASProvisionDoc")
    if doc is not None:
        return policy_doc_from_element(doc)
    if isinstance(data.text, bytes):  # some 2.5 servers send the WAP document as opaque
        return data.text.decode("utf-8", "replace")
    return data.text or ""
