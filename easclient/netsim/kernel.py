"""The kernel's own NAT, in network namespaces (root only): ``device`` ↔ ``nat`` ↔ ``server``.

Unlike the userspace proxy, this is real conntrack: TCP keepalive probes pass through it and
refresh the mapping, expiry follows ``net.netfilter.nf_conntrack_tcp_timeout_established``
(a per-namespace sysctl), and a MASQUERADE address change drops the mappings that used the old
address.

Topology (addresses exist only inside these namespaces; none of them is reachable from the host):

    inside host ──veth── nat ──veth── outside host
    100.64.0.2      100.64.0.1 | 198.18.0.1 (public)      198.18.0.2

``NatMode.CARRIER``: the device is the inside host (carrier-grade NAT, MASQUERADE on the way
out), the server is outside. ``NatMode.SERVER_BEHIND_NAT``: the server is inside, reached
through a DNAT port-forward on the public address; the device is outside.

100.64.0.0/10 is the shared address space of carrier NAT (RFC 6598) and 198.18.0.0/15 is
reserved for benchmarking (RFC 2544); neither is routed on the Internet.

Code runs inside a namespace as ``ip netns exec NAME …`` subprocesses (robust: no thread ever
changes namespace).
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from easclient.netsim.errors import KernelNatUnavailable, NetsimError
from easclient.netsim.peers import PollResult

NS_PREFIX = "easnat-"
INSIDE_NET = "100.64.0"
OUTSIDE_NET = "198.18.0"
_NAME_RE = re.compile(rf"^{re.escape(NS_PREFIX)}(\d+)x[0-9a-f]+-(dev|nat|srv)$")
_CMD_TIMEOUT = 15.0


class NatMode(enum.StrEnum):
    CARRIER = "carrier"
    """Device behind the NAT (MASQUERADE), server outside — a phone on carrier NAT."""
    SERVER_BEHIND_NAT = "server-behind-nat"
    """Server behind the NAT (DNAT port-forward on the public address), device outside."""


@dataclass(frozen=True)
class KernelNatConfig:
    mode: NatMode = NatMode.CARRIER
    tcp_timeout_established: int | None = None
    """Seconds an idle established TCP mapping lives (kernel default: 432000 = 5 days)."""
    tcp_loose: bool = True
    """``nf_conntrack_tcp_loose``: pick up mid-stream TCP as a new flow (the kernel default).
    With False such packets are INVALID."""
    drop_invalid: bool = False
    """A strict stateful firewall: ``ct state invalid drop`` in the forward chain."""
    masquerade: bool = True
    """MASQUERADE what the inside host sends out. With SERVER_BEHIND_NAT and False, the NAT
    is a pure port-forward: only conntrack maps the server's answers back."""
    forward_ports: tuple[int, ...] = (8080,)
    """SERVER_BEHIND_NAT: TCP ports forwarded from the public address to the server."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", NatMode(self.mode))
        timeout = self.tcp_timeout_established
        if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
            raise NetsimError(
                f"tcp_timeout_established must be whole seconds >= 1, got {timeout!r}"
            )
        for port in self.forward_ports:
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise NetsimError(f"forward port must be 1..65535, got {port!r}")


@dataclass(frozen=True)
class ConntrackEntry:
    """One conntrack entry as `conntrack -L` shows it."""

    protocol: str
    timeout: int
    state: str
    original: tuple[str, str, int, int]
    """(src, dst, sport, dport) as the first packet had it."""
    reply: tuple[str, str, int, int]
    assured: bool


_ENTRY_RE = re.compile(
    r"^(?P<proto>\w+)\s+\d+\s+(?P<timeout>\d+)\s+(?:(?P<state>[A-Z_]+)\s+)?"
    r"src=(?P<s1>\S+) dst=(?P<d1>\S+) sport=(?P<sp1>\d+) dport=(?P<dp1>\d+) .*?"
    r"src=(?P<s2>\S+) dst=(?P<d2>\S+) sport=(?P<sp2>\d+) dport=(?P<dp2>\d+)"
)


def parse_conntrack(text: str) -> list[ConntrackEntry]:
    """Parse `conntrack -L` output (or /proc/net/nf_conntrack, whose lines carry two more
    leading fields) into entries; lines for protocols without ports are skipped."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("ipv4 ") or line.startswith("ipv6 "):
            line = line.split(None, 2)[2]
        m = _ENTRY_RE.match(line)
        if not m:
            continue
        entries.append(
            ConntrackEntry(
                protocol=m["proto"],
                timeout=int(m["timeout"]),
                state=m["state"] or "",
                original=(m["s1"], m["d1"], int(m["sp1"]), int(m["dp1"])),
                reply=(m["s2"], m["d2"], int(m["sp2"]), int(m["dp2"])),
                assured="[ASSURED]" in line,
            )
        )
    return entries


def check_available() -> None:
    """Raise KernelNatUnavailable saying what is missing (root, `ip`, `nft`, `conntrack`)."""
    if os.geteuid() != 0:
        raise KernelNatUnavailable("the kernel NAT needs root (network namespaces, nftables)")
    missing = [tool for tool in ("ip", "nft", "conntrack") if shutil.which(tool) is None]
    if missing:
        raise KernelNatUnavailable(
            f"the kernel NAT needs {', '.join(missing)} "
            "(Debian: iproute2, nftables, conntrack; see scripts/install-system-deps)"
        )


def _run(argv: Sequence[str], *, input: str | None = None) -> str:
    try:
        proc = subprocess.run(
            list(argv), input=input, capture_output=True, text=True, timeout=_CMD_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetsimError(f"{' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        raise NetsimError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def list_namespaces() -> list[str]:
    out = _run(["ip", "netns", "list"])
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def sweep_stale(prefix: str = NS_PREFIX) -> list[str]:
    """Delete our namespaces left behind by runs whose process is gone; return their names."""
    removed = []
    for name in list_namespaces():
        m = _NAME_RE.match(name) if name.startswith(prefix) else None
        if m and not _pid_alive(int(m[1])):
            with contextlib.suppress(NetsimError):
                _run(["ip", "netns", "del", name])
                removed.append(name)
    return removed


@dataclass
class NsServer:
    """A long-poll server (easclient.netsim.peers) running inside a namespace."""

    proc: subprocess.Popen
    port: int

    def stop(self, timeout: float = 5.0) -> list[dict]:
        """Stop it; return the sessions it reported (one dict per connection)."""
        import json

        try:
            # The server stops when its stdin closes.
            out, _ = self.proc.communicate(input="", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@dataclass
class KernelNat:
    """A built topology. Use `with kernel_nat(config) as net:`; everything is removed on exit."""

    config: KernelNatConfig
    run_id: str
    device_ns: str
    nat_ns: str
    server_ns: str
    device_addr: str
    server_addr: str
    public_addr: str
    setup_seconds: float = 0.0
    _procs: list[subprocess.Popen] = field(default_factory=list)
    _next_public: int = 3
    _closed: bool = False

    # -- addresses ---------------------------------------------------------------------------

    @property
    def server_target(self) -> str:
        """The address the device connects to: the server itself (carrier NAT) or the NAT's
        public address (server behind NAT)."""
        if self.config.mode is NatMode.CARRIER:
            return self.server_addr
        return self.public_addr

    @property
    def namespaces(self) -> tuple[str, str, str]:
        return self.device_ns, self.nat_ns, self.server_ns

    def ns(self, role: str) -> str:
        """Namespace name for "device", "nat" or "server"."""
        try:
            return {"device": self.device_ns, "nat": self.nat_ns, "server": self.server_ns}[role]
        except KeyError:
            raise NetsimError(f"role must be device, nat or server, got {role!r}") from None

    # -- running things inside ------------------------------------------------------------------

    def run(self, role: str, argv: Sequence[str], *, input: str | None = None) -> str:
        """Run a command inside a namespace and return its stdout (NetsimError on failure)."""
        return _run(["ip", "netns", "exec", self.ns(role), *argv], input=input)

    def popen(self, role: str, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen:
        """Start a process inside a namespace; it is killed when the topology is closed."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(role), *argv], **kwargs)
        self._procs.append(proc)
        return proc

    def start_server(self, port: int = 8080, *, role: str = "server") -> NsServer:
        """Start a long-poll server in `role`'s namespace and wait until it listens."""
        import json
        import selectors

        proc = self.popen(
            role,
            # All addresses of the namespace: it has only its own veth and loopback.
            [
                sys.executable,
                "-m",
                "easclient.netsim.peers",
                "server",
                "--host",
                "0.0.0.0",
                "--port",
                str(port),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=_CMD_TIMEOUT)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("{"):
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            raise NetsimError(f"long-poll server in {self.ns(role)} did not start: {err.strip()}")
        return NsServer(proc=proc, port=json.loads(line)["port"])

    def start_client(
        self,
        requests: Sequence[str],
        *,
        read_timeout: float,
        port: int = 8080,
        host: str | None = None,
        keepalive: tuple[int, int] | None = None,
        role: str = "device",
    ) -> subprocess.Popen:
        """Start a long-poll client in the device's namespace (result: `finish_client`)."""
        argv = [
            sys.executable,
            "-m",
            "easclient.netsim.peers",
            "client",
            "--host",
            host or self.server_target,
            "--port",
            str(port),
            "--read-timeout",
            str(read_timeout),
        ]
        if keepalive is not None:
            argv += ["--keepalive", str(keepalive[0]), str(keepalive[1])]
        return self.popen(
            role, [*argv, *requests], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    @staticmethod
    def finish_client(proc: subprocess.Popen, timeout: float = 60.0) -> PollResult:
        import json

        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise NetsimError("long-poll client did not finish in time") from None
        if proc.returncode != 0:
            raise NetsimError(f"long-poll client failed: {err.strip()}")
        return PollResult(**json.loads(out))

    def long_poll(self, requests: Sequence[str], *, read_timeout: float, **kw) -> PollResult:
        """Run a long-poll client in the device namespace to the end; see peers.long_poll."""
        proc = self.start_client(requests, read_timeout=read_timeout, **kw)
        return self.finish_client(proc, timeout=read_timeout * (len(requests) + 1) + 30)

    # -- the NAT's state ------------------------------------------------------------------------

    def conntrack(self) -> list[ConntrackEntry]:
        """The nat namespace's conntrack table."""
        return parse_conntrack(self.run("nat", ["conntrack", "-L"]))

    def tcp_mappings(self, port: int) -> list[ConntrackEntry]:
        """TCP entries whose original destination port is `port`."""
        return [e for e in self.conntrack() if e.protocol == "tcp" and e.original[3] == port]

    def flush_conntrack(self) -> None:
        """Forget every mapping at once (`conntrack -F`), as a NAT reboot would."""
        self.run("nat", ["conntrack", "-F"])

    def set_tcp_timeout_established(self, seconds: int) -> None:
        self._sysctl({"net/netfilter/nf_conntrack_tcp_timeout_established": str(seconds)})

    def change_public_address(self, new_address: str | None = None) -> str:
        """Re-address the NAT's outside interface (a new public address from the provider).
        MASQUERADE drops the mappings that used the old address. Returns the new address."""
        if new_address is None:
            new_address = f"{OUTSIDE_NET}.{self._next_public}"
            self._next_public += 1
        if not new_address.startswith(OUTSIDE_NET + "."):
            raise NetsimError(
                f"the public address must be in {OUTSIDE_NET}.0/24, got {new_address!r}"
            )
        nat = self.nat_ns
        # Delete first: deleting a primary address also deletes its secondaries.
        _run(["ip", "-n", nat, "addr", "del", f"{self.public_addr}/24", "dev", "outside"])
        _run(["ip", "-n", nat, "addr", "add", f"{new_address}/24", "dev", "outside"])
        self.public_addr = new_address
        return new_address

    def _sysctl(self, values: dict[str, str]) -> None:
        script = " && ".join(f"echo {v} > /proc/sys/{k}" for k, v in values.items())
        self.run("nat", ["sh", "-c", script])

    # -- teardown -------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                proc.wait(timeout=5)
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        for name in self.namespaces:
            with contextlib.suppress(NetsimError):
                _run(["ip", "netns", "del", name])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _nft_ruleset(config: KernelNatConfig) -> str:
    rules = ["table ip easnat {"]
    if config.masquerade:
        rules += [
            "  chain postrouting {",
            "    type nat hook postrouting priority srcnat; policy accept;",
            f'    oifname "outside" ip saddr {INSIDE_NET}.0/24 masquerade',
            "  }",
        ]
    if config.mode is NatMode.SERVER_BEHIND_NAT and config.forward_ports:
        ports = ", ".join(str(p) for p in config.forward_ports)
        rules += [
            "  chain prerouting {",
            "    type nat hook prerouting priority dstnat; policy accept;",
            f'    iifname "outside" tcp dport {{ {ports} }} dnat to {INSIDE_NET}.2',
            "  }",
        ]
    rules += [
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
    ]
    if config.drop_invalid:
        rules.append("    ct state invalid drop")
    rules += ["  }", "}"]
    return "\n".join(rules) + "\n"


def build(config: KernelNatConfig | None = None) -> KernelNat:
    """Build the three namespaces; on any failure remove what was made and raise.

    Raises KernelNatUnavailable when this machine cannot do it (not root, tools missing,
    namespaces not permitted), NetsimError for anything else.
    """
    config = config or KernelNatConfig()
    check_available()
    started = time.perf_counter()
    sweep_stale()
    run_id = f"{os.getpid()}x{secrets.token_hex(3)}"
    names = {role: f"{NS_PREFIX}{run_id}-{role}" for role in ("dev", "nat", "srv")}
    carrier = config.mode is NatMode.CARRIER
    inside_role, outside_role = ("dev", "srv") if carrier else ("srv", "dev")
    inside, nat, outside = names[inside_role], names["nat"], names[outside_role]
    net = KernelNat(
        config=config,
        run_id=run_id,
        device_ns=names["dev"],
        nat_ns=nat,
        server_ns=names["srv"],
        device_addr=f"{INSIDE_NET}.2" if carrier else f"{OUTSIDE_NET}.2",
        server_addr=f"{OUTSIDE_NET}.2" if carrier else f"{INSIDE_NET}.2",
        public_addr=f"{OUTSIDE_NET}.1",
    )
    try:
        try:
            _run(["ip", "netns", "add", nat])
        except NetsimError as exc:
            raise KernelNatUnavailable(f"cannot create a network namespace: {exc}") from exc
        _run(["ip", "netns", "add", inside])
        _run(["ip", "netns", "add", outside])
        # Made inside the namespaces, so the interface names never clash between runs.
        batch = "\n".join(
            [
                f"link add inside netns {nat} type veth peer name eth0 netns {inside}",
                f"link add outside netns {nat} type veth peer name eth0 netns {outside}",
            ]
        )
        _run(["ip", "-batch", "-"], input=batch + "\n")
        for ns, lines in (
            (
                nat,
                [
                    f"addr add {INSIDE_NET}.1/24 dev inside",
                    f"addr add {OUTSIDE_NET}.1/24 dev outside",
                    "link set lo up",
                    "link set inside up",
                    "link set outside up",
                ],
            ),
            (
                inside,
                [
                    f"addr add {INSIDE_NET}.2/24 dev eth0",
                    "link set lo up",
                    "link set eth0 up",
                    f"route add default via {INSIDE_NET}.1",
                ],
            ),
            (
                outside,
                [f"addr add {OUTSIDE_NET}.2/24 dev eth0", "link set lo up", "link set eth0 up"],
            ),
        ):
            _run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")
        # The nat table loads conntrack; its sysctls exist (per namespace) only after that.
        _run(["ip", "netns", "exec", nat, "nft", "-f", "-"], input=_nft_ruleset(config))
        sysctls = {
            "net/ipv4/ip_forward": "1",
            "net/netfilter/nf_conntrack_tcp_loose": "1" if config.tcp_loose else "0",
        }
        if config.tcp_timeout_established is not None:
            sysctls["net/netfilter/nf_conntrack_tcp_timeout_established"] = str(
                config.tcp_timeout_established
            )
        net._sysctl(sysctls)
    except BaseException:
        net.close()
        raise
    net.setup_seconds = time.perf_counter() - started
    return net


@contextlib.contextmanager
def kernel_nat(config: KernelNatConfig | None = None) -> Iterator[KernelNat]:
    """`with kernel_nat(KernelNatConfig(tcp_timeout_established=3)) as net: …`"""
    net = build(config)
    try:
        yield net
    finally:
        net.close()


__all__ = [
    "ConntrackEntry",
    "KernelNat",
    "KernelNatConfig",
    "NatMode",
    "NsServer",
    "build",
    "check_available",
    "kernel_nat",
    "parse_conntrack",
    "sweep_stale",
]
