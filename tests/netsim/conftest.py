"""Fixtures for the NAT simulation tests. The kernel NAT needs root and iproute2, nftables and
conntrack; without them its tests skip with the reason (CI runs as root, so they run there)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from easclient.netsim.errors import KernelNatUnavailable
from easclient.netsim.kernel import KernelNat, KernelNatConfig, build, check_available


@pytest.fixture
def kernel_nat_factory() -> Iterator[Callable[..., KernelNat]]:
    """Build one or more kernel-NAT topologies (`factory(tcp_timeout_established=2, …)`);
    all are torn down at the end of the test, whatever happened."""
    try:
        check_available()
    except KernelNatUnavailable as exc:
        pytest.skip(exc.reason)
    built: list[KernelNat] = []

    def factory(**config: object) -> KernelNat:
        try:
            net = build(KernelNatConfig(**config))  # type: ignore[arg-type]
        except KernelNatUnavailable as exc:
            pytest.skip(exc.reason)
        built.append(net)
        return net

    try:
        yield factory
    finally:
        for net in built:
            net.close()
