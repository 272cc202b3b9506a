"""The kernel's NAT in network namespaces: what an idle long poll really meets when conntrack
forgets it, and what TCP keepalive and an address change do. Runs as root (CI); skips elsewhere.

Each test starts its clients together and waits once, so a test takes about one scenario's
time (a conntrack timeout of 2 s, answers 3 s late).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from easclient.netsim.errors import NetsimError
from easclient.netsim.kernel import (
    NS_PREFIX,
    KernelNatConfig,
    NatMode,
    kernel_nat,
    list_namespaces,
    parse_conntrack,
    sweep_stale,
)

TIMEOUT = 2  # nf_conntrack_tcp_timeout_established in the nat namespace
LATE = TIMEOUT + 1  # the server answers the poll after the mapping expired
KEEPALIVE = (1, 1)  # first probe after 1 s idle, then every 1 s: below TIMEOUT


def _sessions_by_peer_port(sessions: list[dict]) -> dict[int, dict]:
    return {int(s["peer"].rpartition(":")[2]): s for s in sessions}


def _local_port(result) -> int:
    return int(result.local.rpartition(":")[2])


@pytest.mark.root
def test_setup_time_teardown_and_stale_sweep(kernel_nat_factory):
    sysctl = "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
    net = kernel_nat_factory(tcp_timeout_established=TIMEOUT)
    # Figure for the report, not a benchmark: namespace set-up is ~0.05 s on this machine.
    print(f"kernel NAT set-up: {net.setup_seconds:.3f} s")
    assert net.setup_seconds < 2.0
    assert set(net.namespaces) <= set(list_namespaces())
    assert net.run("nat", ["cat", sysctl]).strip() == str(TIMEOUT)
    # Conntrack sysctls are per namespace: the host keeps its own value.
    with open(sysctl) as f:
        assert f.read().strip() != str(TIMEOUT)
    net.close()
    assert not set(net.namespaces) & set(list_namespaces())

    # A namespace left by a run whose process is gone is swept; our own live ones are not.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"{NS_PREFIX}{dead.pid}x0a0b0c-nat"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    try:
        assert stale in sweep_stale()
        assert stale not in list_namespaces()
        live = kernel_nat_factory()  # build() sweeps too, and never its own run's namespaces
        assert sweep_stale() == []
        assert set(live.namespaces) <= set(list_namespaces())
    finally:
        subprocess.run(["ip", "netns", "del", stale], capture_output=True)


def _host_network_settings() -> dict[str, str]:
    """The host's nftables ruleset and the sysctls the topology sets in its nat namespace."""
    seen = {"nft": subprocess.run(["nft", "list", "ruleset"], capture_output=True).stdout.decode()}
    for key in (
        "net/ipv4/ip_forward",
        "net/netfilter/nf_conntrack_tcp_loose",
        "net/netfilter/nf_conntrack_tcp_timeout_established",
    ):
        try:
            with open(f"/proc/sys/{key}") as f:
                seen[key] = f.read().strip()
        except FileNotFoundError:  # conntrack not loaded on the host
            seen[key] = "absent"
    return seen


@pytest.mark.root
def test_interrupted_run_tears_down_and_leaves_the_host_alone(kernel_nat_factory):
    kernel_nat_factory()  # skips with the reason where the kernel NAT is unavailable
    before = _host_network_settings()
    config = KernelNatConfig(
        mode=NatMode.SERVER_BEHIND_NAT, tcp_timeout_established=7, tcp_loose=False
    )
    # Ctrl-C in the middle of a test.
    with pytest.raises(KeyboardInterrupt), kernel_nat(config) as net:
        names = set(net.namespaces)
        assert names <= set(list_namespaces())
        raise KeyboardInterrupt
    assert not names & set(list_namespaces())
    assert _host_network_settings() == before


@pytest.mark.root
def test_carrier_nat_forgets_idle_connections_and_keepalive_keeps_them(kernel_nat_factory):
    net = kernel_nat_factory(tcp_timeout_established=TIMEOUT)
    server = net.start_server(8080)
    late = net.start_client([f"POLL {LATE}", "ECHO next"], read_timeout=LATE + 1.5)
    hold = net.start_client(["HOLD", "ECHO next"], read_timeout=LATE + 0.5)
    kept = net.start_client([f"POLL {LATE}"], read_timeout=LATE + 1.5, keepalive=KEEPALIVE)
    time.sleep(TIMEOUT + 0.7)
    mapped_ports = {e.original[2] for e in net.tcp_mappings(8080)}
    late_r, hold_r, kept_r = (net.finish_client(p) for p in (late, hold, kept))
    sessions = _sessions_by_peer_port(server.stop())

    # Only the connection with keepalive still had its mapping after the timeout.
    assert mapped_ports == {_local_port(kept_r)}
    # The server's answer after expiry never arrived: the client saw nothing until its own
    # read timeout; the server's answer met the NAT host, which reset the server.
    assert late_r.steps == ["timeout", "reset"]
    assert sessions[_local_port(late_r)]["end"] == "reset"
    # …and the client's next send got an RST (from the server, whose socket was gone).
    assert late_r.elapsed[1] - late_r.elapsed[0] < 0.5
    # When the server had not answered, the next send re-creates the mapping (conntrack's
    # default loose pick-up, MASQUERADE keeps the port) and gets through.
    assert hold_r.steps == ["timeout", "data:next"]
    # Keepalive probes below the timeout kept the mapping: the late answer arrived.
    assert kept_r.steps == [f"data:DONE {LATE}"]


@pytest.mark.root
def test_strict_firewall_gives_silence(kernel_nat_factory):
    """With nf_conntrack_tcp_loose=0 and `ct state invalid drop` a forgotten connection stays
    silent: the client's next send is dropped, no RST ever comes."""
    net = kernel_nat_factory(tcp_timeout_established=TIMEOUT, tcp_loose=False, drop_invalid=True)
    server = net.start_server(8080)
    # The same client as in the carrier test, where the next send got through.
    hold = net.start_client(["HOLD", "ECHO next"], read_timeout=TIMEOUT + 0.5)
    result = net.finish_client(hold)
    sessions = server.stop()
    assert result.steps == ["timeout", "timeout"]
    assert sessions[0]["requests"] == ["HOLD"]


@pytest.mark.root
def test_server_behind_nat(kernel_nat_factory):
    """DNAT port-forward: an idle mapping expires the same way, and keepalive keeps it."""
    forward = kernel_nat_factory(
        mode="server-behind-nat", masquerade=False, tcp_timeout_established=TIMEOUT
    )
    # With MASQUERADE for the server's own outbound traffic as well, the server's late answer
    # re-creates a mapping with the same public port: the device gets it.
    masq = kernel_nat_factory(mode="server-behind-nat", tcp_timeout_established=TIMEOUT)
    assert forward.server_target == forward.public_addr
    servers = [forward.start_server(8080), masq.start_server(8080)]
    late = forward.start_client([f"POLL {LATE}", "ECHO next"], read_timeout=LATE + 1.5)
    kept = forward.start_client([f"POLL {LATE}"], read_timeout=LATE + 1.5, keepalive=KEEPALIVE)
    masq_late = masq.start_client([f"POLL {LATE}"], read_timeout=LATE + 1.5)
    late_r, kept_r, masq_r = (
        forward.finish_client(late),
        forward.finish_client(kept),
        masq.finish_client(masq_late),
    )
    for server in servers:
        server.stop()
    assert late_r.steps == ["timeout", "reset"]
    assert kept_r.steps == [f"data:DONE {LATE}"]
    assert masq_r.steps == [f"data:DONE {LATE}"]


@pytest.mark.root
def test_public_address_change(kernel_nat_factory):
    """MASQUERADE drops the entries of the old address at once; with keepalive the next probe
    meets the server as a stranger and the RST comes back fast."""
    net = kernel_nat_factory(tcp_timeout_established=60)
    server = net.start_server(8080)
    kept = net.start_client(["HOLD"], read_timeout=5, keepalive=KEEPALIVE)
    plain = net.start_client(["HOLD", "ECHO next"], read_timeout=2.5)
    deadline = time.monotonic() + 5
    while len(net.tcp_mappings(8080)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    before = net.tcp_mappings(8080)
    assert {e.reply[1] for e in before} == {"198.18.0.1"}
    assert net.change_public_address() == "198.18.0.3"
    assert net.tcp_mappings(8080) == []
    kept_r, plain_r = net.finish_client(kept), net.finish_client(plain)
    server.stop()
    assert kept_r.steps == ["reset"]
    assert kept_r.elapsed[0] < 2.5  # a keepalive probe, not the 5 s read timeout
    # Without keepalive: silence until the read timeout, then the next send is reset.
    assert plain_r.steps == ["timeout", "reset"]
    assert {e.reply[1] for e in net.tcp_mappings(8080)} <= {"198.18.0.3"}


@pytest.mark.root
def test_flush_conntrack(kernel_nat_factory):
    net = kernel_nat_factory()
    server = net.start_server(8080)
    client = net.start_client(["HOLD", "ECHO after flush"], read_timeout=1.0)
    deadline = time.monotonic() + 5
    while not net.tcp_mappings(8080) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert net.tcp_mappings(8080)[0].state == "ESTABLISHED"
    net.flush_conntrack()
    assert net.tcp_mappings(8080) == []
    result = net.finish_client(client)
    server.stop()
    # Default loose pick-up: the next send makes a new mapping and gets through.
    assert result.steps == ["timeout", "data:after flush"]
    assert net.tcp_mappings(8080)


def test_parse_conntrack_formats():
    listing = (
        "tcp      6 2 ESTABLISHED src=100.64.0.2 dst=198.18.0.2 sport=58296 dport=8080 "
        "src=198.18.0.2 dst=198.18.0.1 sport=8080 dport=58296 [ASSURED] mark=0 use=1\n"
        "udp      17 29 src=100.64.0.2 dst=198.18.0.2 sport=5353 dport=53 [UNREPLIED] "
        "src=198.18.0.2 dst=198.18.0.1 sport=53 dport=5353 mark=0 use=1\n"
        "icmp     1 29 src=100.64.0.2 dst=198.18.0.2 type=8 code=0 id=1 src=198.18.0.2 "
        "dst=198.18.0.1 type=0 code=0 id=1 mark=0 use=1\n"
        "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n"
    )
    proc_line = "ipv4     2 " + listing.splitlines()[0]
    tcp, udp = parse_conntrack(listing)
    assert tcp.protocol == "tcp" and tcp.timeout == 2 and tcp.state == "ESTABLISHED"
    assert tcp.original == ("100.64.0.2", "198.18.0.2", 58296, 8080)
    assert tcp.reply == ("198.18.0.2", "198.18.0.1", 8080, 58296)
    assert tcp.assured and not udp.assured
    assert udp.state == "" and udp.original[3] == 53
    assert parse_conntrack(proc_line) == [tcp]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"tcp_timeout_established": 0}, "got 0"),
        ({"tcp_timeout_established": 2.5}, "got 2.5"),
        ({"forward_ports": (0,)}, "got 0"),
        ({"mode": "hairpin"}, "hairpin"),
    ],
)
def test_bad_kernel_config_is_refused(kwargs, needle):
    with pytest.raises((NetsimError, ValueError), match=needle):
        KernelNatConfig(**kwargs)
