"""Mock-server capacity: parked Pings held by one process, memory per parked Ping, requests/s.

Not a test: it prints figures. In the same run it measures a bare uvicorn + starlette long-poll
server as the baseline and prints the ratios. Each server runs in its own process; the clients
run in another process (the open-file limit is per process), opening connections from several
127.x source addresses once one address would run out of ephemeral ports (~28k).

    python benchmarks/mock_capacity.py                 # quick: 2,000 parked requests
    python benchmarks/mock_capacity.py --parked 18000  # the full run
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import subprocess
import sys
import time
from pathlib import Path

from _proc import cpu_seconds, raise_nofile, rss_kib

# Below the 28,232 ephemeral ports of one source address; each run also takes its own block of
# source addresses, since the previous run's closed connections keep ports in TIME_WAIT.
PORTS_PER_ADDRESS = 10_000
HEARTBEAT = 3000  # seconds: the parked requests outlive the measurement


# -- helpers ---------------------------------------------------------------------------------


def http_request(method: str, target: str, host: str, headers: dict, body: bytes, auth=None):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        lines.append(f"Authorization: Basic {token}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def load_spec(path: str) -> dict:
    spec = json.loads(Path(path).read_text())
    Path(path).unlink()
    return spec


# -- baseline server -------------------------------------------------------------------------


def run_baseline_server(address: str) -> None:
    """A bare uvicorn + starlette app: POST /poll waits (long poll), POST /now answers."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    raise_nofile()
    event = asyncio.Event()

    async def poll(request):
        await request.body()
        await event.wait()
        return PlainTextResponse("ok")

    async def now(request):
        await request.body()
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/poll", poll, methods=["POST"]), Route("/now", now, methods=["POST"])]
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 0))
    sock.listen(4096)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        backlog=4096,
        timeout_keep_alive=75,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)

    async def main():
        task = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        print(json.dumps({"url": f"http://{address}:{sock.getsockname()[1]}"}), flush=True)
        await task

    asyncio.run(main())


# -- client process --------------------------------------------------------------------------


async def park_client(spec: dict) -> None:
    """Open spec["n"] connections, send each its request, then wait; report on stdin commands."""
    raise_nofile()
    host, port = spec["host"], spec["port"]
    requests = [bytes.fromhex(r) for r in spec["requests"]]
    answered = 0
    conns: list[asyncio.StreamWriter] = []
    failed = 0

    async def one(i: int) -> None:
        nonlocal answered, failed
        src = f"127.0.{spec['source_block']}.{1 + i // PORTS_PER_ADDRESS}"
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(src, 0))
        except OSError:
            failed += 1
            return
        conns.append(writer)
        writer.write(requests[i % len(requests)] if len(requests) > 1 else requests[0])
        await writer.drain()
        data = await reader.read(65536)
        if data:
            answered += 1

    tasks = []
    batch = 500
    for start in range(0, spec["n"], batch):
        for i in range(start, min(start + batch, spec["n"])):
            tasks.append(asyncio.ensure_future(one(i)))
        await asyncio.sleep(0.05)
    # Report once every connection is open (or failed), so RSS is read with all of them.
    deadline = time.monotonic() + 300
    while len(conns) + failed < spec["n"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    print(json.dumps({"opened": len(conns), "failed": failed}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        print(json.dumps({"answered": answered, "open": len(conns)}), flush=True)
        if line == "close" or not line:
            for w in conns:
                w.close()
            for t in tasks:
                t.cancel()
            return


async def throughput_client(spec: dict) -> None:
    """Closed loop: spec["concurrency"] keep-alive connections for spec["seconds"]."""
    host, port = spec["host"], spec["port"]
    request = bytes.fromhex(spec["request"])
    deadline = time.monotonic() + spec["seconds"]
    done = 0
    errors = 0

    async def worker() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.4.1", 0))
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                done += 1
            else:
                errors += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    print(json.dumps({"done": done, "errors": errors}), flush=True)


# -- orchestration ---------------------------------------------------------------------------


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(15)


def start_client(role: str, spec: dict) -> subprocess.Popen:
    import tempfile

    # The spec can hold thousands of requests: too much for a command line.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    return subprocess.Popen(
        [sys.executable, __file__, "--role", role, "--spec", f.name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_json(proc: subprocess.Popen, timeout: float) -> dict:
    import select

    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError("the client process did not report in time")
    return json.loads(proc.stdout.readline())


def measure_parked(name: str, pid: int, spec: dict, count_parked, settle: float) -> dict:
    """RSS of ``pid`` before and after spec["n"] parked requests."""
    time.sleep(0.5)
    before = rss_kib(pid)
    started = time.monotonic()
    client = start_client("park", spec)
    opened = read_json(client, 600)
    deadline = time.monotonic() + 120
    parked = count_parked()
    while parked is not None and parked < opened["opened"] and time.monotonic() < deadline:
        time.sleep(0.5)
        parked = count_parked()
    time.sleep(settle)
    after = rss_kib(pid)
    elapsed = time.monotonic() - started
    return {
        "name": name,
        "client": client,
        "opened": opened["opened"],
        "failed": opened["failed"],
        "parked": parked,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "kb_per_parked": (after - before) / max(1, opened["opened"]),
        "seconds_to_park": round(elapsed, 1),
    }


def close_client(client: subprocess.Popen) -> dict:
    client.stdin.write("close\n")
    client.stdin.flush()
    result = read_json(client, 60)
    client.wait(60)
    return result


def measure_rps(pid: int, host: str, port: int, request: bytes, seconds: float, conc: int) -> dict:
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    client = start_client(
        "rps",
        {
            "host": host,
            "port": port,
            "request": request.hex(),
            "seconds": seconds,
            "concurrency": conc,
        },
    )
    result = read_json(client, seconds + 60)
    client.wait(30)
    wall = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    return {
        "requests": result["done"],
        "errors": result["errors"],
        "rps": result["done"] / wall,
        "server_cpu_s": round(cpu, 2),
        "rps_per_core": result["done"] / cpu if cpu else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parked", type=int, default=2000, help="parked requests per server")
    parser.add_argument("--users", type=int, default=1000, help="mailbox users in the mock")
    parser.add_argument("--rps-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--settle", type=float, default=2.0, help="s to wait before reading RSS")
    parser.add_argument(
        "--no-disconnect-watch",
        action="store_true",
        help="mock: parked Pings do not listen for the client going away",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--server-address",
        default="127.0.3.1",
        help="loopback address the servers listen on (away from 127.0.0.1, whose ephemeral "
        "ports other programs may be using up)",
    )
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--spec", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "baseline-server":
        run_baseline_server(args.server_address)
        return
    if args.role == "park":
        asyncio.run(park_client(load_spec(args.spec)))
        return
    if args.role == "rps":
        asyncio.run(throughput_client(load_spec(args.spec)))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from easclient.mock import spawn
    from easclient.protocol import build_request
    from easclient.protocol.ping import PingFolder, PingRequest
    from easclient.protocol.settings import SettingsRequest

    limit = raise_nofile()
    if args.parked > limit - 200:
        parser.error(f"--parked {args.parked} needs more than the open-file limit {limit} allows")
    results = {}
    children: list[subprocess.Popen] = []
    try:
        # -- baseline ----------------------------------------------------------------------------
        if not args.skip_baseline:
            base = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--role",
                    "baseline-server",
                    "--server-address",
                    args.server_address,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            url = json.loads(base.stdout.readline())["url"]
            host, port = url.split("//")[1].split(":")
            port = int(port)
            body = b"x" * 60
            poll = http_request("POST", "/poll", host, {}, body)
            now = http_request("POST", "/now", host, {}, body)
            measure_rps(base.pid, host, port, now, 1.0, 4)  # warm-up
            rps = measure_rps(base.pid, host, port, now, args.rps_seconds, args.concurrency)
            parked = measure_parked(
                "baseline",
                base.pid,
                {
                    "host": host,
                    "port": port,
                    "n": args.parked,
                    "requests": [poll.hex()],
                    "source_block": 1,
                },
                lambda: None,
                args.settle,
            )
            close_client(parked.pop("client"))
            stop_process(base)
            results["baseline"] = {**parked, **{f"rps_{k}": v for k, v in rps.items()}}

        # -- the mock ----------------------------------------------------------------------------
        server_args = [
            "--host",
            args.server_address,
            "--user-count",
            str(args.users),
            "--no-provisioning",
            "--messages-per-folder",
            "0",
            "--seed",
            "1",
            # Every parked Ping comes from this machine: the per-address cap would refuse them.
            "--max-connections-per-address",
            "0",
        ]
        if args.no_disconnect_watch:
            server_args.append("--no-disconnect-watch")
        mock = spawn(server_args)
        children.append(mock.process)
        handle = mock.handle
        host, port = handle.url.split("//")[1].split(":")
        port = int(port)
        users = handle.users

        def eas_bytes(cmd, element, user, device_id):
            req = build_request(
                cmd,
                element,
                user=user.name,
                device_id=device_id,
                device_type="Bench",
                version="14.1",
            )
            headers = {k: v for k, v in req.headers.items()}
            return http_request(
                "POST", req.target, host, headers, req.body, (user.name, user.password)
            )

        settings = eas_bytes(
            "Settings",
            SettingsRequest(get_user_information=True).to_element(),
            users[0],
            "rps-device",
        )
        measure_rps(mock.pid, host, port, settings, 1.0, 4)  # warm-up
        rps = measure_rps(mock.pid, host, port, settings, args.rps_seconds, args.concurrency)
        ping_body = PingRequest(HEARTBEAT, (PingFolder("2", "Email"),)).to_element()
        pings = [
            eas_bytes("Ping", ping_body, users[i % len(users)], f"bench{i:06d}").hex()
            for i in range(args.parked)
        ]
        parked = measure_parked(
            "mock",
            mock.pid,
            {
                "host": host,
                "port": port,
                "n": args.parked,
                "requests": pings,
                "source_block": 2,
            },
            lambda: handle.control.stats()["parked_pings"],
            args.settle,
        )
        client = parked.pop("client")
        # Push check: deliver to a few users; exactly their devices' Pings must answer.
        woken_users = users[:5]
        expected = sum(1 for i in range(args.parked) if i % len(users) < len(woken_users))
        t0 = time.monotonic()
        for user in woken_users:
            handle.control.deliver(user.name, 1)
        time.sleep(1.0)
        client.stdin.write("status\n")
        client.stdin.flush()
        status = read_json(client, 30)
        push = {
            "expected_answers": expected,
            "answered": status["answered"],
            "seconds": round(time.monotonic() - t0, 2),
        }
        close_client(client)
        time.sleep(1.0)
        after_close = handle.control.stats()["parked_pings"]
        mock.stop()
        results["mock"] = {
            **parked,
            **{f"rps_{k}": v for k, v in rps.items()},
            "push": push,
            "parked_after_clients_closed": after_close,
        }

    finally:
        for child in children:
            if child.poll() is None:
                stop_process(child)

    # -- report ------------------------------------------------------------------------------
    print(f"parked requests per server: {args.parked} (open-file limit {limit})")
    for name, r in results.items():
        print(
            f"{name:9s} opened {r['opened']:6d} failed {r['failed']:4d} parked {r['parked']!s:>6}"
            f"  RSS {r['rss_before_kb'] / 1024:7.1f} -> {r['rss_after_kb'] / 1024:7.1f} MiB"
            f"  {r['kb_per_parked']:5.1f} KB/parked"
            f"  {r['rps_rps']:7.0f} req/s  {r['rps_rps_per_core']:7.0f} req/s per core"
            f"  ({r['rps_errors']} errors)"
        )
    if "mock" in results:
        m = results["mock"]
        print(
            f"mock push check: {m['push']}; parked after clients closed: "
            f"{m['parked_after_clients_closed']}"
        )
    if "baseline" in results and "mock" in results:
        b, m = results["baseline"], results["mock"]
        print(
            f"ratio mock/baseline: memory per parked {m['kb_per_parked'] / b['kb_per_parked']:.2f}"
            f"  requests/s per core {m['rps_rps_per_core'] / b['rps_rps_per_core']:.2f}"
        )
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
