"""Mock-server configuration: users, server personalities, protocol versions.

A *personality* reproduces the Ping heartbeat bounds and quirks of one real server family (values
from EAS-FACTS §6/§9); every bound can be overridden so tests can use heartbeats of a few seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from easclient.errors import EasError


class MockConfigError(EasError):
    """A mock-server setting that cannot be used (the message names the value)."""


class Quirk(StrEnum):
    """A documented departure of a real server from MS-ASCMD / MS-ASHTTP, reproduced on request.

    Each personality switches on the quirks of its server (``Personality.quirks``); a config can
    choose others (``MockConfig.quirks``). The ``exchange`` personality has none.
    """

    #: SOGo: Provision answers Policy Status 2 (no policy) without a PolicyKey, never asks for
    #: provisioning (no 449) and leaves Provision out of MS-ASProtocolCommands.
    NO_POLICY = "no-policy"
    #: SOGo: a Ping above the maximum is held for the whole maximum, then answered Status 5.
    PING_STATUS5_HELD = "ping-status5-held"
    #: SOGo: the folder counts as changed for Ping until the client has sent back the SyncKey
    #: of its last Sync (a Status 2 whose Sync brings nothing).
    PING_UNCONFIRMED_SYNCKEY = "ping-unconfirmed-synckey"
    #: SOGo: a well-formed SyncKey it never issued, on a synced folder: Status 1, no changes.
    UNKNOWN_SYNCKEY_STATUS1 = "unknown-synckey-status1"
    #: SOGo: a SyncKey it cannot parse: HTTP 501.
    MALFORMED_SYNCKEY_501 = "malformed-synckey-501"
    #: SOGo: Sync Status 12 for a device that has not run FolderSync yet.
    SYNC_NEEDS_FOLDERSYNC = "sync-needs-foldersync"
    #: SOGo: no Authorization header: 403 without WWW-Authenticate (a wrong password is 401).
    NO_CREDENTIALS_403 = "no-credentials-403"
    #: SOGo: no DeviceId in the query: HTTP 500.
    MISSING_DEVICEID_500 = "missing-deviceid-500"
    #: SOGo: 16.0 and 16.1 are left out of MS-ASProtocolVersions but served all the same.
    UNADVERTISED_16 = "unadvertised-16"
    #: SOGo: Settings UserInformation without its Status element.
    SETTINGS_USERINFO_NO_STATUS = "settings-userinfo-no-status"
    #: Z-Push: an out-of-range heartbeat is cached all the same, and an empty Ping whose cached
    #: heartbeat is out of range gets Status 3 (request/ping.php).
    EMPTY_PING_STATUS3 = "empty-ping-status3"
    #: Z-Push: a 503 says Retry-After 300 (RETRY_AFTER_DELAY in config.php) unless told otherwise.
    RETRY_AFTER_300 = "retry-after-300"
    #: SOGo: SendMail replaces the message's From with the user's own identity
    #: (SOGoActiveSyncDispatcher.m, processSendMail). Without a quirk the mock refuses a From
    #: the user does not own, as Exchange does without Send As permission.
    SENDMAIL_FROM_REPLACED = "sendmail-from-replaced"
    #: Z-Push (IMAP backend, IMAP_DEFAULTFROM unset): SendMail relays the client's From as it
    #: is (backend/imap/imap.php, setFromHeaderValue).
    SENDMAIL_FROM_KEPT = "sendmail-from-kept"
    #: Horde: from 14.0 an unprovisioned device gets HTTP 449 *and* a WBXML Status 142 body
    #: (MS-ASPROV has HTTP 200 + Status 142 there).
    PROVISION_449_WITH_STATUS = "provision-449-with-status"
    #: Horde: the temporary PolicyKey of the first Provision phase is stored as the device's key
    #: at once, so requests carrying it are served before the acknowledgement.
    TEMPORARY_POLICYKEY_ACCEPTED = "temporary-policykey-accepted"
    #: Horde under PHP 8: a 2.5 Sync that is not the priming one (SyncKey 0) is answered
    #: HTTP 200 ``text/html`` (a TypeError in a message destructor ends the response).
    SYNC_25_TEXT_HTML = "sync-25-text-html"
    #: Horde_ActiveSync 2.41: 16.0 is the highest version it advertises; 16.1 is served all the
    #: same (like 16.0).
    UNADVERTISED_16_1 = "unadvertised-16-1"


SOGO_QUIRKS = frozenset(
    {
        Quirk.NO_POLICY,
        Quirk.PING_STATUS5_HELD,
        Quirk.PING_UNCONFIRMED_SYNCKEY,
        Quirk.UNKNOWN_SYNCKEY_STATUS1,
        Quirk.MALFORMED_SYNCKEY_501,
        Quirk.SYNC_NEEDS_FOLDERSYNC,
        Quirk.NO_CREDENTIALS_403,
        Quirk.MISSING_DEVICEID_500,
        Quirk.UNADVERTISED_16,
        Quirk.SETTINGS_USERINFO_NO_STATUS,
        Quirk.SENDMAIL_FROM_REPLACED,
    }
)


@dataclass(frozen=True, slots=True)
class Personality:
    """How one server family bounds and caches Ping (MS-ASCMD 2.2.1.13; EAS-FACTS §9), and
    which of its documented quirks (:class:`Quirk`) it shows.

    ``heartbeat_min`` / ``heartbeat_max`` are the bounds (``None``: unbounded on that side);
    an out-of-range HeartbeatInterval gets Ping Status 5 carrying the violated bound.
    """

    name: str
    server_version: str
    heartbeat_min: int | None
    heartbeat_max: int | None
    max_folders: int = 300
    quirks: frozenset[Quirk] = frozenset()
    #: how clients may sign in: "basic", "bearer" (OAuth tokens from the mock's /_idp/), "ntlm"
    auth_schemes: tuple[str, ...] = ("basic",)
    #: the versions offered when the config does not name its own
    versions: tuple[str, ...] | None = None
    #: commands advertised in OPTIONS beyond the ones the mock answers (Exchange Online: Find)
    extra_commands: tuple[str, ...] = ()

    def has(self, quirk: Quirk) -> bool:
        return quirk in self.quirks

    @property
    def empty_ping_out_of_range_status3(self) -> bool:
        return Quirk.EMPTY_PING_STATUS3 in self.quirks

    @property
    def cache_out_of_range(self) -> bool:
        return Quirk.EMPTY_PING_STATUS3 in self.quirks

    def check_heartbeat(self, seconds: int) -> int | None:
        """The bound ``seconds`` violates (to send back with Status 5), or None when in range."""
        if self.heartbeat_min is not None and seconds < self.heartbeat_min:
            return self.heartbeat_min
        if self.heartbeat_max is not None and seconds > self.heartbeat_max:
            return self.heartbeat_max
        return None


#: What the interop tests saw Debian's Horde Groupware (Horde_ActiveSync 2.41, PHP 8.2) do.
HORDE_QUIRKS = frozenset(
    {
        Quirk.PROVISION_449_WITH_STATUS,
        Quirk.TEMPORARY_POLICYKEY_ACCEPTED,
        Quirk.SYNC_25_TEXT_HTML,
        Quirk.UNADVERTISED_16_1,
    }
)

PERSONALITIES: dict[str, Personality] = {
    # Exchange 2007/2010 defaults (event 1009 text): 60..3540 s. Follows the spec: no quirks.
    "exchange": Personality("exchange", "14.3", 60, 3540),
    # SOGo answers Pings for at most 10 s unless SOGoMaximumPingInterval is raised; its other
    # departures are the ones the interop tests pin against SOGo 5.8 (tests/interop).
    "sogo": Personality("sogo", "14.1", 1, 10, quirks=SOGO_QUIRKS),
    # Z-Push / grommunio: no bounds unless configured; empty Ping with out-of-range cached
    # heartbeat answers Status 3 (Z-Push request/ping.php); Retry-After 300 s (config.php).
    "zpush": Personality(
        "zpush",
        "2.7",
        None,
        None,
        quirks=frozenset(
            {Quirk.EMPTY_PING_STATUS3, Quirk.RETRY_AFTER_300, Quirk.SENDMAIL_FROM_KEPT}
        ),
    ),
    # Horde ActiveSync: Ping bounds 60..2700 s (heartbeatmin/heartbeatmax defaults), Status 5
    # at once; MS-Server-ActiveSync names the configured version (16.0, its highest); the
    # departures pinned against Debian's Horde 5.2 in tests/interop/test_horde_*.py.
    "horde": Personality("horde", "16.0", 60, 2700, quirks=HORDE_QUIRKS),
    # Exchange Online: Basic authentication retired (OAuth bearer tokens only), 16.1 only,
    # Find advertised; the MS-Server-ActiveSync header names a 15.20 build.
    "exchange-online": Personality(
        "exchange-online",
        "15.20",
        60,
        3540,
        auth_schemes=("bearer",),
        versions=("16.1",),
        extra_commands=("Find",),
    ),
}

#: Sign-in schemes the mock can offer.
AUTH_SCHEMES = ("basic", "bearer", "ntlm")

#: Versions a server offers in MS-ASProtocolVersions by default.
DEFAULT_VERSIONS: tuple[str, ...] = ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
_KNOWN_VERSIONS = frozenset(DEFAULT_VERSIONS)


def parse_quirks(spec: str | Iterable[str]) -> list[str]:
    """Quirk names from ``"no-policy,ping-status5-held"`` or a list (``"none"``: no quirks)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [i.strip() for i in items if i.strip() and i.strip().lower() != "none"]
    known = {q.value for q in Quirk}
    bad = [n for n in names if n not in known]
    if bad:
        raise MockConfigError(f"unknown quirk(s) {bad}; choose from {', '.join(sorted(known))}")
    return list(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class User:
    """One mailbox owner. ``address`` is the SMTP address (``name@domain``)."""

    name: str
    password: str
    address: str


def parse_users(spec: str | list[str], domain: str = "example.test") -> list[User]:
    """Users from ``"alice:pw1,bob:pw2"`` (or a list of ``"name:password"``)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    users: list[User] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name or not password:
            raise MockConfigError(f"a user must be written name:password, got {name!r}")
        if name.lower() in seen:
            raise MockConfigError(f"user {name!r} given twice")
        seen.add(name.lower())
        address = name if "@" in name else f"{name}@{domain}"
        users.append(User(name, password, address))
    if not users:
        raise MockConfigError("no users given")
    return users


def generate_users(count: int, seed: int = 0, domain: str = "example.test") -> list[User]:
    """``count`` users ``user0001`` … with passwords derived from ``seed`` (reproducible)."""
    if count < 1:
        raise MockConfigError(f"user count must be at least 1, got {count}")
    import random

    rng = random.Random(f"users-{seed}")
    width = max(4, len(str(count)))
    return [
        User(
            f"user{i:0{width}d}",
            f"pw-{rng.getrandbits(48):012x}",
            f"user{i:0{width}d}@{domain}",
        )
        for i in range(1, count + 1)
    ]


@dataclass(frozen=True)
class MockConfig:
    """Everything the mock server needs; pass it to :class:`easclient.mock.MockServer`.

    ``heartbeat_min`` / ``heartbeat_max`` override the personality's bounds (0 or a negative
    value removes that bound). ``require_provisioning``: devices must run Provision first (449
    otherwise). ``control_token``: secret for the ``/_mock/`` API (random when empty).
    """

    host: str = "127.0.0.1"
    port: int = 0
    users: tuple[User, ...] = field(default_factory=lambda: tuple(parse_users("alice:alice-pw")))
    personality: str = "exchange"
    heartbeat_min: int | None = None
    heartbeat_max: int | None = None
    versions: tuple[str, ...] = DEFAULT_VERSIONS
    seed: int = 0
    messages_per_folder: int = 20
    require_provisioning: bool = True
    #: From 14.0 on, answer an unprovisioned device with Status 142/144 (and a pending wipe
    #: with 140) in the command's body instead of HTTP 449 (MS-ASPROV 3.2.5.1.2).
    provision_status_codes: bool = False
    control_token: str = ""
    faults_file: str | None = None
    tls: bool = False
    tls_names: tuple[str, ...] = ()
    tls_dir: str | None = None
    #: Sign-in schemes offered instead of the personality's (see ``AUTH_SCHEMES``).
    auth_schemes: tuple[str, ...] | None = None
    #: Lifetimes of the mock identity provider's access and refresh tokens, seconds.
    token_lifetime: float = 3600.0
    refresh_lifetime: float = 86400.0
    #: Mutual TLS: refuse a TLS client without a certificate from the mock's CA (which issues
    #: one, ``ServerHandle.client_cert``).
    require_client_cert: bool = False
    domain: str = "example.test"
    #: A parked Ping also listens for the client going away (costs one task per Ping).
    watch_disconnects: bool = True
    log_requests: bool = False
    #: Quirk names (:class:`Quirk` values) to show instead of the personality's own; None: the
    #: personality's, ``()``: none (the personality's bounds on a spec-following server).
    quirks: tuple[str, ...] | None = None
    #: The domain whose addresses Autodiscover answers for ("": ``domain``).
    autodiscover_domain: str = ""
    #: What Autodiscover answers: a JSON object (see easclient.mock.autodiscover); "": settings.
    autodiscover_scenario: str = ""
    #: Seconds a connection may take to send a request's headers (from connect, or from the
    #: first byte of a kept-alive connection's next request); then 408 and close.
    header_timeout: float = 20.0
    #: Seconds a request may take to send its whole body once its headers are in; then 408.
    #: A Ping's heartbeat starts after its body, so a long Ping is never a slow request.
    body_timeout: float = 60.0
    #: The largest request body accepted (bytes); a larger one gets 413.
    max_body_size: int = 32 * 1024 * 1024
    #: Open connections one client address may hold (0: no cap); more are answered 503
    #: and closed. Load runs, whose thousands of devices share 127.0.0.1, turn it off.
    max_connections_per_address: int = 1000
    #: Request bodies above this size (bytes) are decoded in a worker thread, so one huge
    #: WBXML body does not hold up every other user's requests on the event loop.
    decode_in_thread_above: int = 64 * 1024

    def __post_init__(self) -> None:
        if self.personality not in PERSONALITIES:
            raise MockConfigError(
                f"unknown personality {self.personality!r}; "
                f"choose one of {', '.join(sorted(PERSONALITIES))}"
            )
        bad = [v for v in self.versions if v not in _KNOWN_VERSIONS]
        if bad or not self.versions:
            raise MockConfigError(f"unknown protocol version(s) {bad or self.versions!r}")
        if self.messages_per_folder < 0:
            raise MockConfigError(
                f"messages per folder must be >= 0, got {self.messages_per_folder}"
            )
        if not 0 <= self.port <= 65535:
            raise MockConfigError(f"port out of range: {self.port}")
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if not 0 < value < 10**6:
                raise MockConfigError(
                    f"{name.replace('_', ' ')} must be above 0 and below 1e6 s, got {value}"
                )
        if self.max_body_size < 1:
            raise MockConfigError(f"max body size must be at least 1, got {self.max_body_size}")
        if self.max_connections_per_address < 0:
            raise MockConfigError(
                "max connections per address must be >= 0 (0: no cap), "
                f"got {self.max_connections_per_address}"
            )
        if self.decode_in_thread_above < 0:
            raise MockConfigError(
                f"decode-in-thread threshold must be >= 0, got {self.decode_in_thread_above}"
            )
        if not self.control_token:
            object.__setattr__(self, "control_token", secrets.token_urlsafe(18))
        if self.quirks is not None:
            object.__setattr__(self, "quirks", tuple(parse_quirks(self.quirks)))
        if self.autodiscover_scenario:
            from .autodiscover import parse_scenario  # here: that module imports this one

            parse_scenario(self.autodiscover_scenario)
        if self.auth_schemes is not None:
            bad = [a for a in self.auth_schemes if a not in AUTH_SCHEMES]
            if bad or not self.auth_schemes:
                raise MockConfigError(
                    f"unknown sign-in scheme(s) {bad or self.auth_schemes!r}; "
                    f"choose from {', '.join(AUTH_SCHEMES)}"
                )
        own = PERSONALITIES[self.personality].versions
        if own is not None and self.versions == DEFAULT_VERSIONS:
            object.__setattr__(self, "versions", own)
        if self.require_client_cert and not self.tls:
            raise MockConfigError("require_client_cert needs tls (mutual TLS is TLS)")

    def effective_personality(self) -> Personality:
        """The personality with this config's heartbeat overrides applied."""
        p = PERSONALITIES[self.personality]
        if self.heartbeat_min is not None:
            p = replace(p, heartbeat_min=self.heartbeat_min if self.heartbeat_min > 0 else None)
        if self.heartbeat_max is not None:
            p = replace(p, heartbeat_max=self.heartbeat_max if self.heartbeat_max > 0 else None)
        if self.quirks is not None:
            p = replace(p, quirks=frozenset(Quirk(q) for q in self.quirks))
        if p.heartbeat_min and p.heartbeat_max and p.heartbeat_min > p.heartbeat_max:
            raise MockConfigError(
                f"heartbeat minimum {p.heartbeat_min} is above maximum {p.heartbeat_max}"
            )
        return p

    def user(self, name: str) -> User | None:
        low = name.lower()
        for u in self.users:
            if u.name.lower() == low or u.address.lower() == low:
                return u
        return None
