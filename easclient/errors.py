"""The project's own exceptions: one tree under :class:`EasError`, so ``except EasError`` catches
everything easclient raises on purpose (the CLI prints any of them as one line).

The tree, as ``httpx`` draws its own (module of each class in brackets)::

    EasError                          every error of ours; .value = the offending value (or None)
    ├── UrlError                      [easclient.url] a server URL we cannot use
    ├── TlsConfigError                [easclient.tls] a CA file that cannot be loaded
    ├── ProtocolError                 [protocol] a message that breaks the protocol
    │   └── OptionsBlocked              OPTIONS refused (a proxy in the way)
    ├── QueryError                    [protocol] a request query that cannot be built or read
    ├── VersionError                  [protocol] unknown version, or none in common
    ├── EasStatusError                [protocol] a global Status 101-177 (MS-ASCMD 2.2.2)
    │   ├── ProvisioningRequiredStatus  142-144
    │   ├── RemoteWipeRequested         140
    │   └── DeviceInformationRequired   165
    ├── EasHTTPError                  [protocol] an HTTP error answer (MS-ASHTTP 3.2.5.1)
    │   ├── BadRequest                  400
    │   ├── AuthenticationFailed        401
    │   ├── Forbidden                   403
    │   ├── NotFound                    404
    │   ├── ProvisionRequired           449
    │   ├── Redirect                    451
    │   ├── AccountBlocked              456
    │   ├── PasswordExpired             457
    │   ├── ServerError                 500 and other 5xx
    │   ├── Throttled                   503
    │   └── MailboxFull                 507
    ├── NetworkError                  [client] no HTTP answer: reset, closed, timeout, TLS
    ├── StateError                    [client] the device's state store refused a change
    ├── ProfileError                  [client] an unknown device profile
    ├── DeviceError                   [client] a flow could not go on
    │   ├── RedirectLoop                451s in a circle, or too many
    │   ├── ProvisionFailed             the server refused to provision
    │   ├── RemoteWipeAcknowledged      a remote wipe was asked for (and acknowledged)
    │   └── SyncFailed                  a Sync/FolderSync status we cannot recover from
    ├── CaptureError                  [capture] a capture file that cannot be read
    ├── TargetUnreachable             [capture.replay] the replay target does not answer
    ├── CheckError                    [check] bad input to `eas check`
    ├── TlsHandshakeError             [check.tls] the TLS handshake itself failed
    ├── MatrixError                   [matrix] the matrix could not start
    ├── MockConfigError               [mock] a mock server setting out of range
    ├── FaultError                    [mock] a fault rule that cannot be applied
    ├── ControlError                  [mock] the mock's control API refused a call
    ├── NetsimError                   [netsim] a NAT simulation that cannot be set up
    │   └── KernelNatUnavailable        no root, or no ip/nft/conntrack
    ├── LoadError                     [load] a load run that cannot start
    ├── ScenarioError                 [load] a scenario file that cannot be used
    ├── FleetError                    [load] bad fleet input (users file, push options)
    └── CliError                      [cli] a bad command-line value

The WBXML codec keeps its own ``WBXMLError`` (a ``ValueError``): it imports nothing of ours.
"""

from __future__ import annotations

#: How many characters of an offending value an error message quotes.
EXCERPT_LIMIT = 60


def excerpt(value: object, limit: int = EXCERPT_LIMIT) -> str:
    """A bounded, printable quote of ``value`` for an error message: its repr, cut to about
    ``limit`` characters with the full length said, so a hostile 100 KB header or a
    100,000-digit number never becomes a 100 KB error line."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value[: limit + 1])
        size = len(value)
        text = repr(raw[:limit])
    else:
        s = value if isinstance(value, str) else str(value)
        size = len(s)
        text = repr(s[:limit])
    if size <= limit:
        return text
    unit = "bytes" if isinstance(value, bytes | bytearray | memoryview) else "characters"
    return f"{text}… ({size:,} {unit})"


class EasError(Exception):
    """Base for errors easclient raises on purpose; the CLI prints them as one line.

    ``value`` is the offending value when there is one (a URL, a file name, a status code), for
    callers that branch on it; the message quotes it through :func:`excerpt`.
    """

    value: object = None

    def __init__(self, *args: object, value: object = None) -> None:
        super().__init__(*args)
        if value is not None:
            self.value = value
