"""Errors of the NAT/firewall simulator."""

from __future__ import annotations

from easclient.errors import EasError


class NetsimError(EasError):
    """A NAT simulation could not be set up or driven as asked (bad config, missing tool)."""


class KernelNatUnavailable(NetsimError):
    """The kernel NAT needs root and the `ip`, `nft` and `conntrack` tools; `reason` says which
    one is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
