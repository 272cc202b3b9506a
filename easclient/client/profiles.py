"""Device profiles: how a given kind of device presents itself and behaves.

A profile fixes what a server keys on — DeviceType, User-Agent, the DeviceId's shape, the
DeviceInformation it sends (MS-ASCMD 2.2.3.45) — and how it behaves: the protocol versions it
speaks, the query form, the Sync window size, which folders it syncs and its heartbeat strategy.

Where each value comes from (captures that devices left in public server logs, and client code):

- iPhone (iOS Mail): DeviceType ``iPhone``; User-Agent ``Apple-<model>/<build>`` with the model
  identifier's comma written as "C" — ``Apple-iPhone6C2/1202.411`` with Device Model
  ``iPhone6C2`` and Device OS ``iOS 8.1 12B411`` (Z-Push status dump in
  fmbiete/Z-Push-contrib#116), ``Apple-iPhone11C8/2007.75`` (Z-Push log in
  Intermesh/groupoffice#1036, 2023). The build part is the iOS build with its letter as a
  two-digit number (12B411 -> 1202.411), so iOS 17.4 (21E219) on an iPhone15,2 gives
  ``Apple-iPhone15C2/2105.219``. Recent iOS DeviceIds are 26 characters of ``0-9a-v``
  (``j95cmdo6sh45veof6dm6j3futk``, Z-Hub/Z-Push#43; ``kc28f3e3o53nhduj5rmqk1sge4``,
  Z-Hub/Z-Push#99). iOS speaks up to 16.1 (Exchange Online accepts only 16.1 from 2026-03,
  EAS-FACTS §1, and iPhones keep working there).
- Android (AOSP Exchange): DeviceType ``Android``; DeviceId ``androidc`` + digits
  (``androidc195792594``) and User-Agent ``Android/5.0.1-EAS-2.0`` (Z-Push device list in
  mail-in-a-box/mailinabox#937); AOSP's ``Eas.java`` builds the UA from the Android release and
  ``CLIENT_VERSION`` and speaks 2.5 through 14.1 (CyanogenMod/android_packages_apps_Exchange
  ``Eas.java``). Email window size 5 (``EMAIL_WINDOW_SIZE = "5"`` in the ICS-era
  ``EasSyncService``). Heartbeat: ``aosp`` (cm-14.1 ``EasPing.java``).
- Outlook for Windows (Outlook 2016 as an EAS client): DeviceType ``WindowsOutlook``, User-Agent
  ``Outlook/16.0 (16.0.7167.6539; C2R; x86)``, DeviceId 32 lowercase hex digits, protocol 14.0
  (the same mailinabox#937 device list).
- Windows Mobile 6.5 (PocketPC): DeviceType ``PocketPC``, DeviceId 32 uppercase hex digits
  (``BAD73E6E02156460E800185977C03182`` in a captured request quoted in a Java EAS client);
  User-Agent ``MSFT-PPC/5.2.5001`` (the example in Microsoft's ``New-ActiveSyncDeviceAccessRule``
  documentation); protocol 12.1 (Exchange 2007 SP1 era, base64 query allowed from 12.1);
  heartbeat ``technet`` (Microsoft's published Direct Push algorithm, see ``heartbeat.py``).

Values not found in a source are our choice and say so: the window sizes of iOS (25), Outlook
(100) and Windows Mobile (25), the heartbeat strategy of iOS and Outlook (``server``), and which
profiles use the base64 query form (iOS and Windows Mobile).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from easclient.errors import EasError
from easclient.protocol import ALL_VERSIONS
from easclient.protocol.settings import DeviceInformation

#: FolderHierarchy Type values of mail folders (MS-ASCMD 2.2.3.186.3; EAS-FACTS §7): user-created
#: generic 1 (mail on Exchange), Inbox 2, Drafts 3, Deleted Items 4, Sent Items 5, user-created
#: mail 12. Outbox (6) is where a device puts what it sends; devices do not sync it down.
MAIL_FOLDER_TYPES: frozenset[int] = frozenset({1, 2, 3, 4, 5, 12})


class ProfileError(EasError):
    """An unknown profile name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown device profile {name!r}; choose one of {', '.join(PROFILES)}")
        self.value = name


def _digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode("utf-8")).digest()


def _base32hex_lower(data: bytes, length: int) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    number = int.from_bytes(data, "big")
    out = []
    for _ in range(length):
        number, rest = divmod(number, 32)
        out.append(alphabet[rest])
    return "".join(out)


def _device_id(style: str, seed: str) -> str:
    d = _digest(seed)
    if style == "ios":
        return _base32hex_lower(d, 26)
    if style == "android":
        return "androidc" + str(int.from_bytes(d[:5], "big") % 10**10).zfill(10)
    if style == "hex-lower":
        return d[:16].hex()
    if style == "hex-upper":
        return d[:16].hex().upper()
    raise ValueError(f"unknown DeviceId style {style!r}")


@dataclass(frozen=True)
class DeviceProfile:
    """How one kind of device presents itself and behaves."""

    name: str
    description: str
    device_type: str
    user_agent: str
    model: str
    os: str
    friendly_name: str
    versions: tuple[str, ...]
    window_size: int
    heartbeat: str
    device_id_style: str
    base64_query: bool = False
    os_language: str = "en-US"
    mobile_operator: str | None = None
    folder_types: frozenset[int] = field(default=MAIL_FOLDER_TYPES)

    def device_id(self, seed: str) -> str:
        """A DeviceId of this device's shape, stable for a given ``seed`` (e.g. user@host), so
        that a rerun is the same device to the server."""
        return _device_id(self.device_id_style, f"{self.name}\0{seed}")

    def device_information(self) -> DeviceInformation:
        """Settings:DeviceInformation for Provision (14.1+) or Settings (MS-ASCMD 2.2.3.45)."""
        return DeviceInformation(
            model=self.model,
            friendly_name=self.friendly_name,
            os=self.os,
            os_language=self.os_language,
            user_agent=self.user_agent,
            mobile_operator=self.mobile_operator,
        )

    def with_versions(self, versions: tuple[str, ...]) -> DeviceProfile:
        return replace(self, versions=versions)


PROFILES: dict[str, DeviceProfile] = {
    p.name: p
    for p in (
        DeviceProfile(
            name="iphone",
            description="iPhone, iOS Mail",
            device_type="iPhone",
            user_agent="Apple-iPhone15C2/2105.219",
            model="iPhone15C2",
            os="iOS 17.4 21E219",
            friendly_name="iPhone",
            versions=tuple(ALL_VERSIONS),
            window_size=25,
            heartbeat="server",
            device_id_style="ios",
            base64_query=True,
        ),
        DeviceProfile(
            name="android",
            description="Android phone, AOSP Exchange (Email app)",
            device_type="Android",
            user_agent="Android/7.1.2-EAS-2.0",
            model="Nexus 5X",
            os="Android 7.1.2",
            friendly_name="Nexus 5X",
            versions=("2.5", "12.0", "12.1", "14.0", "14.1"),
            window_size=5,
            heartbeat="aosp",
            device_id_style="android",
        ),
        DeviceProfile(
            name="android-ics",
            description="Android 4.0 phone, AOSP Exchange (ICS heartbeat)",
            device_type="Android",
            user_agent="Android/4.0.4-EAS-1.3",
            model="Galaxy Nexus",
            os="Android 4.0.4",
            friendly_name="Galaxy Nexus",
            versions=("2.5", "12.0", "12.1", "14.0", "14.1"),
            window_size=5,
            heartbeat="aosp-ics",
            device_id_style="android",
        ),
        DeviceProfile(
            name="outlook",
            description="Outlook for Windows (2016) as an EAS client",
            device_type="WindowsOutlook",
            user_agent="Outlook/16.0 (16.0.7167.6539; C2R; x86)",
            model="Outlook",
            os="Windows 10",
            friendly_name="Outlook",
            versions=("2.5", "12.0", "12.1", "14.0"),
            window_size=100,
            heartbeat="server",
            device_id_style="hex-lower",
        ),
        DeviceProfile(
            name="windows-mobile",
            description="Windows Mobile 6.5 PocketPC",
            device_type="PocketPC",
            user_agent="MSFT-PPC/5.2.5001",
            model="PocketPC",
            os="Windows CE 5.2",
            friendly_name="Windows Mobile 6.5",
            versions=("2.5", "12.0", "12.1"),
            window_size=25,
            heartbeat="technet",
            device_id_style="hex-upper",
            base64_query=True,
        ),
    )
}


def get_profile(name: str) -> DeviceProfile:
    """The profile called ``name`` (:class:`ProfileError` naming the choices otherwise)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(name) from None
