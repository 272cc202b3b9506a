"""The protocol layer's exceptions: malformed input, global status codes and HTTP errors.

Every one subclasses :class:`easclient.errors.EasError` and carries the offending value, so the
CLI can print one clear line and callers can branch on the type.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

from easclient.errors import EasError, excerpt

from .status import status_name

__all__ = [
    "AccountBlocked",
    "AuthenticationFailed",
    "BadRequest",
    "DeviceInformationRequired",
    "EasHTTPError",
    "EasStatusError",
    "EmptyResponse",
    "Forbidden",
    "MailboxFull",
    "NotFound",
    "OptionsBlocked",
    "PasswordExpired",
    "ProtocolError",
    "ProvisionRequired",
    "ProvisioningRequiredStatus",
    "QueryError",
    "Redirect",
    "RemoteWipeRequested",
    "ServerError",
    "Throttled",
    "VersionError",
    "check_global_status",
]


class ProtocolError(EasError):
    """A message that does not follow the protocol: names the element or value at fault."""

    def __init__(self, message: str, *, element: str | None = None, value: object = None):
        super().__init__(message)
        self.element = element
        self.value = value


class EmptyResponse(ProtocolError):
    """An answer without the content the spec requires of it: e.g. nothing (or a bare
    ``<Sync/>``) to the priming Sync with SyncKey 0, which must return the collection's new
    SyncKey (MS-ASCMD 2.2.3.181.4, 3.1.5.4); an empty FolderSync or Provision answer
    (MS-ASCMD 2.2.1.5, 2.2.1.14: Status is required). An empty answer to a later Sync is
    legal: no changes (MS-ASCMD 2.2.1.21.2)."""


class QueryError(EasError):
    """A request query (plain or base64, MS-ASHTTP 2.2.1.1.1) that cannot be built or read."""

    def __init__(self, message: str, *, value: object = None):
        super().__init__(message)
        self.value = value


class VersionError(EasError):
    """An unknown protocol version, or no version both sides support."""

    def __init__(self, message: str, *, value: object = None):
        super().__init__(message)
        self.value = value


class OptionsBlocked(ProtocolError):
    """The OPTIONS response lacks MS-Server-ActiveSync: most often a proxy blocking OPTIONS."""


# -- status codes in response bodies (MS-ASCMD 2.2.2) --------------------------------------


class EasStatusError(EasError):
    """A response carried a global status code (101-177, MS-ASCMD 2.2.2)."""

    def __init__(self, code: int, command: str | None = None, message: str | None = None):
        self.code = code
        self.command = command
        name = status_name(code)
        super().__init__(
            message or f"{command or 'request'}: status {code} ({name or 'unknown status'})"
        )


class ProvisioningRequiredStatus(EasStatusError):
    """Status 142 DeviceNotProvisioned, 143 PolicyRefresh or 144 InvalidPolicyKey: provision."""


class RemoteWipeRequested(EasStatusError):
    """Status 140: the server asks the device to wipe itself (acknowledge via Provision)."""


class DeviceInformationRequired(EasStatusError):
    """Status 165: resend Provision with Settings:DeviceInformation."""


def check_global_status(code: int | None, command: str | None = None) -> None:
    """Raise the typed error for a global status 101-177; other codes pass.

    142-144 → :class:`ProvisioningRequiredStatus`, 140 → :class:`RemoteWipeRequested`,
    165 → :class:`DeviceInformationRequired`, any other 101-177 → :class:`EasStatusError`.
    """
    if code is None:
        return
    code = int(code)
    if not 101 <= code <= 177:
        return
    if 142 <= code <= 144:
        raise ProvisioningRequiredStatus(code, command)
    if code == 140:
        raise RemoteWipeRequested(code, command)
    if code == 165:
        raise DeviceInformationRequired(code, command)
    raise EasStatusError(code, command)


# -- HTTP status codes (MS-ASHTTP 3.1.5.2, EAS-FACTS 3) -------------------------------------


class EasHTTPError(EasError):
    """A non-success HTTP status; ``status_code`` and the response ``headers`` are kept."""

    def __init__(
        self, status_code: int, headers: Mapping[str, str] | None = None, message: str = ""
    ):
        self.status_code = status_code
        self.headers = dict(headers or {})
        super().__init__(message or f"HTTP {status_code}")


class BadRequest(EasHTTPError):
    """400: the server could not read the request; resending it unchanged will fail again."""


class AuthenticationFailed(EasHTTPError):
    """401: wrong credentials or an expired token."""


class Forbidden(EasHTTPError):
    """403: authenticated, but EAS is not allowed for this user or device."""


class NotFound(EasHTTPError):
    """404: wrong URL, or EAS not enabled on the server."""


class ProvisionRequired(EasHTTPError):
    """449: run Provision, then retry the request."""


class Redirect(EasHTTPError):
    """451: re-issue the request to ``location`` (from X-MS-Location)."""

    def __init__(self, status_code: int, headers: Mapping[str, str] | None, location: str | None):
        self.location = location
        where = excerpt(location) if location else "nowhere: the X-MS-Location header is missing"
        super().__init__(status_code, headers, f"HTTP {status_code}: redirected to {where}")


class AccountBlocked(EasHTTPError):
    """456: the account is blocked; stop."""


class PasswordExpired(EasHTTPError):
    """457: the password has expired; ``credential_service_url`` says where to change it."""

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str] | None,
        credential_service_url: str | None,
    ):
        self.credential_service_url = credential_service_url
        url = credential_service_url
        where = f" (change it at {excerpt(url)})" if url else ""
        super().__init__(status_code, headers, f"HTTP {status_code}: password expired{where}")


class ServerError(EasHTTPError):
    """500, 501, 502 and other 5xx without a more specific meaning."""


class Throttled(EasHTTPError):
    """503: server busy or throttling.

    ``retry_after`` is the delay in seconds when Retry-After gave one; ``retry_after_date`` is
    the moment when it gave an HTTP-date (use :meth:`retry_after_seconds` with the caller's
    clock: this layer reads none). ``reason`` is X-MS-ASThrottle, when sent.
    """

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str] | None,
        *,
        retry_after: float | None = None,
        retry_after_date: _dt.datetime | None = None,
        reason: str | None = None,
    ):
        self.retry_after = retry_after
        self.retry_after_date = retry_after_date
        self.reason = reason
        parts = [f"HTTP {status_code}: server busy or throttling"]
        if reason:
            parts.append(f"X-MS-ASThrottle: {excerpt(reason)}")
        if retry_after is not None:
            parts.append(f"retry after {retry_after:g} s")
        elif retry_after_date is not None:
            parts.append(f"retry after {retry_after_date.isoformat()}")
        super().__init__(status_code, headers, "; ".join(parts))

    def retry_after_seconds(self, now: _dt.datetime) -> float | None:
        """The delay to wait from ``now`` (aware datetime), never negative; None if not given."""
        if self.retry_after is not None:
            return self.retry_after
        if self.retry_after_date is not None:
            return max(0.0, (self.retry_after_date - now).total_seconds())
        return None


class MailboxFull(EasHTTPError):
    """507: the user's mailbox is full."""
