"""The Settings command (MS-ASCMD 2.2.1.18) and the DeviceInformation it shares with Provision.

``DeviceInformation`` (MS-ASCMD 2.2.3.45) is the ``Settings:DeviceInformation`` element: a ``Set``
of the device's properties. Provision carries it from 14.1 on (MS-ASPROV 2.2.2.53); earlier
versions (12.0 to 14.0) send it with the Settings command instead; 2.5 has no way to send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import BY_NAME, Element, ns

from .errors import ProtocolError

S = ns("Settings")

#: Settings:Set children in the order of the request schema (MS-ASCMD 6.39), with our field names.
_DEVICE_FIELDS: tuple[tuple[str, str], ...] = (
    ("model", "Model"),
    ("imei", "IMEI"),
    ("friendly_name", "FriendlyName"),
    ("os", "OS"),
    ("os_language", "OSLanguage"),
    ("phone_number", "PhoneNumber"),
    ("user_agent", "UserAgent"),
    ("enable_outbound_sms", "EnableOutboundSMS"),
    ("mobile_operator", "MobileOperator"),
)


def _in_version(tag: str, version: str) -> bool:
    """Whether ``version`` has ``tag`` according to the code-page table (unknown tags: yes)."""
    entry = BY_NAME.get(tag)
    return entry is None or entry.in_version(version)


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """The device's properties (MS-ASCMD 2.2.3.45; children of ``Set``, 2.2.3.167).

    Every field is optional; Provision at 14.1+ requires at least ``model`` (MS-ASPROV 2.2.2.53).
    ``enable_outbound_sms`` lets the server relay SMS through the device (MS-ASMS 4.4).
    """

    model: str | None = None
    imei: str | None = None
    friendly_name: str | None = None
    os: str | None = None
    os_language: str | None = None
    phone_number: str | None = None
    user_agent: str | None = None
    enable_outbound_sms: bool | None = None
    mobile_operator: str | None = None

    def to_element(self, version: str = "14.1") -> Element:
        """``Settings:DeviceInformation`` with a ``Set`` of the fields given.

        Fields the protocol ``version`` does not have (per the code-page table) are left out, as
        a device speaking that version would.
        """
        children = []
        for attr, name in _DEVICE_FIELDS:
            value = getattr(self, attr)
            if value is None or not _in_version(f"Settings:{name}", version):
                continue
            children.append(S(name, value))  # bool -> "1"/"0" in Element
        return S.DeviceInformation(S.Set(*children))

    @classmethod
    def from_element(cls, el: Element) -> DeviceInformation:
        """Read a ``Settings:DeviceInformation`` element (or its ``Set`` child)."""
        if el.name == "DeviceInformation":
            inner = el.find("Set")
            if inner is None:
                raise ProtocolError(f"Settings:DeviceInformation without a Set: {el!r}")
            el = inner
        if el.name != "Set":
            raise ProtocolError(f"expected Settings:DeviceInformation, got {el.tag}")
        values: dict[str, object] = {}
        for attr, name in _DEVICE_FIELDS:
            text = el.findtext(name)
            if text is None:
                continue
            if attr == "enable_outbound_sms":
                if text not in ("0", "1"):
                    raise ProtocolError(f"Settings:EnableOutboundSMS must be 0 or 1, got {text!r}")
                values[attr] = text == "1"
            else:
                values[attr] = text
        return cls(**values)  # type: ignore[arg-type]
