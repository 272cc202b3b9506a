"""The Settings command (MS-ASCMD 2.2.1.18) and the DeviceInformation it shares with Provision.

``DeviceInformation`` (MS-ASCMD 2.2.3.45) is the ``Settings:DeviceInformation`` element: a ``Set``
of the device's properties. Provision carries it from 14.1 on (MS-ASPROV 2.2.2.53); earlier
versions (12.0 to 14.0) send it with the Settings command instead; 2.5 has no way to send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.errors import excerpt
from easclient.wbxml import Element, ns

from ._elements import (
    as_tuples,
    expect_root,
    in_version,
    opt_bool,
    opt_status,
    opt_text,
    prune,
    status,
)
from .errors import ProtocolError
from .status import SettingsStatus
from .versions import version_at_least

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
            if value is None or not in_version(f"Settings:{name}", version):
                continue
            children.append(S(name, value))  # bool -> "1"/"0" in Element
        return S.DeviceInformation(S.Set(*children))

    @classmethod
    def from_element(cls, el: Element) -> DeviceInformation:
        """Read a ``Settings:DeviceInformation`` element (or its ``Set`` child)."""
        if el.tag == "Settings:DeviceInformation":
            inner = el.find("Settings:Set")
            if inner is None:
                raise ProtocolError(f"Settings:DeviceInformation without a Set: {excerpt(el)}")
            el = inner
        if el.tag != "Settings:Set":
            raise ProtocolError(f"expected Settings:DeviceInformation, got {el.tag}")
        values: dict[str, object] = {}
        for attr, name in _DEVICE_FIELDS:
            text = el.findtext(f"Settings:{name}")
            if text is None:
                continue
            if attr == "enable_outbound_sms":
                if text not in ("0", "1"):
                    raise ProtocolError(
                        f"Settings:EnableOutboundSMS must be 0 or 1, got {excerpt(text)}"
                    )
                values[attr] = text == "1"
            else:
                values[attr] = text
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SettingsRequest:
    """A Settings request (MS-ASCMD 2.2.1.18): DeviceInformation Set and/or UserInformation Get.

    The spec lets a request carry several named properties, handled in order; we send
    DeviceInformation first, then UserInformation (Oof, DevicePassword and
    RightsManagementInformation are not modelled).
    """

    device_information: DeviceInformation | None = None
    get_user_information: bool = False

    def to_element(self, version: str = "14.1") -> Element:
        children = []
        if self.device_information is not None:
            children.append(self.device_information.to_element(version))
        if self.get_user_information:
            children.append(S.UserInformation(S.Get()))
        return prune(
            S.Settings(*children),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> SettingsRequest:
        expect_root(el, "Settings:Settings")
        info = el.find("Settings:DeviceInformation")
        user = el.find("Settings:UserInformation")
        return cls(
            device_information=None if info is None else DeviceInformation.from_element(info),
            get_user_information=user is not None and user.find("Settings:Get") is not None,
        )


@dataclass(frozen=True, slots=True)
class UserAccount:
    """One ``Account`` of a UserInformation response (MS-ASCMD 2.2.3.2; 14.1+)."""

    account_id: str | None = None
    account_name: str | None = None
    user_display_name: str | None = None
    send_disabled: bool | None = None
    email_addresses: tuple[str, ...] = ()
    primary_smtp_address: str | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "email_addresses")

    def to_element(self, version: str = "14.1") -> Element:
        addresses = [S.SMTPAddress(a) for a in self.email_addresses]
        if self.primary_smtp_address is not None:
            addresses.append(S.PrimarySmtpAddress(self.primary_smtp_address))
        return S.Account(
            None if self.account_id is None else S.AccountId(self.account_id),
            None if self.account_name is None else S.AccountName(self.account_name),
            None if self.user_display_name is None else S.UserDisplayName(self.user_display_name),
            None if self.send_disabled is None else S.SendDisabled(self.send_disabled),
            S.EmailAddresses(*addresses) if addresses else None,
        )

    @classmethod
    def from_element(cls, el: Element) -> UserAccount:
        addresses = el.find("Settings:EmailAddresses")
        return cls(
            account_id=opt_text(el, "Settings:AccountId"),
            account_name=opt_text(el, "Settings:AccountName"),
            user_display_name=opt_text(el, "Settings:UserDisplayName"),
            send_disabled=opt_bool(el, "Settings:SendDisabled"),
            email_addresses=tuple(
                a.text for a in (addresses or []) if a.name == "SMTPAddress" and a.text
            ),
            primary_smtp_address=None
            if addresses is None
            else opt_text(addresses, "Settings:PrimarySmtpAddress"),
        )


@dataclass(frozen=True, slots=True)
class UserInformation:
    """The UserInformation part of a Settings response (MS-ASCMD 2.2.3.192).

    Up to 14.0 the server lists ``email_addresses`` (``Get/EmailAddresses/SMTPAddress``); from
    14.1 on it lists ``accounts`` (``Get/Accounts/Account``), each with its own addresses.

    ``status`` is None when the server left the Status out (SOGo 5.8 does, though MS-ASCMD
    2.2.3.177.15 requires it): unknown, not success.
    """

    status: SettingsStatus | int | None
    email_addresses: tuple[str, ...] = ()
    accounts: tuple[UserAccount, ...] = ()

    def __post_init__(self) -> None:
        as_tuples(self, "email_addresses", "accounts")

    def to_element(self, version: str = "14.1") -> Element:
        get = None
        if version_at_least(version, "14.1"):
            if self.accounts:
                get = S.Get(S.Accounts(*(a.to_element(version) for a in self.accounts)))
        elif self.email_addresses:
            get = S.Get(S.EmailAddresses(*(S.SMTPAddress(a) for a in self.email_addresses)))
        code = None if self.status is None else S.Status(int(self.status))
        return S.UserInformation(code, get)

    @classmethod
    def from_element(cls, el: Element) -> UserInformation:
        get = el.find("Settings:Get")
        addresses: tuple[str, ...] = ()
        accounts: tuple[UserAccount, ...] = ()
        if get is not None:
            addresses = tuple(
                a.text or "" for a in get.findall("Settings:EmailAddresses/Settings:SMTPAddress")
            )
            accounts = tuple(
                UserAccount.from_element(a)
                for a in get.findall("Settings:Accounts/Settings:Account")
            )
        return cls(
            status=opt_status(el, "Settings:Status", SettingsStatus),
            email_addresses=addresses,
            accounts=accounts,
        )


@dataclass(frozen=True, slots=True)
class SettingsResponse:
    """A Settings response (MS-ASCMD 2.2.1.18): the command's Status, then one per property.

    ``device_information_status`` is the Status inside ``DeviceInformation`` (None when the
    request did not set it).
    """

    status: SettingsStatus | int
    device_information_status: SettingsStatus | int | None = None
    user_information: UserInformation | None = None

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            S.Settings(
                S.Status(int(self.status)),
                None
                if self.device_information_status is None
                else S.DeviceInformation(S.Status(int(self.device_information_status))),
                None
                if self.user_information is None
                else self.user_information.to_element(version),
            ),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> SettingsResponse:
        expect_root(el, "Settings:Settings")
        info = el.find("Settings:DeviceInformation")
        user = el.find("Settings:UserInformation")
        return cls(
            status=status(el, "Settings:Status", SettingsStatus),
            device_information_status=None
            if info is None
            else opt_status(info, "Settings:Status", SettingsStatus),
            user_information=None if user is None else UserInformation.from_element(user),
        )


__all__ = [
    "DeviceInformation",
    "SettingsRequest",
    "SettingsResponse",
    "UserAccount",
    "UserInformation",
]
