"""A hostile EAS server for the client's bounds (issue 11): a real asyncio server on 127.0.0.1.

Commands not chosen to misbehave are answered by a :class:`~.fake_server.FakeServer` (OPTIONS,
two-phase Provision, FolderSync, Sync, Ping), so a client gets as far as the command under test.
The chosen commands get one of :class:`Behaviour`:

- ``endless-chunked``: a chunked body that never ends;
- ``huge-length``: ``Content-Length: 2147483648`` and zeros behind it;
- ``trickle``: a 1000-byte body, one byte every 0.2 s (each read returns in time);
- ``empty-200``: a 200 with no body;
- ``empty-sync``: a 200 whose WBXML body is a bare ``<Sync/>``;
- ``junk-gzip``: ``Content-Encoding: gzip`` and a body that is not gzip;
- ``throttle``: 503 with ``Retry-After: 99999999`` and an 8 KB X-MS-ASThrottle;
- ``huge-policy-key``: a Provision answer whose PolicyKey has 100,000 digits.

Every loop that writes is bounded in bytes and seconds, and stops when the client hangs up.
``sent`` counts the hostile bytes written (what the server pushed, not what the client kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from enum import StrEnum

from easclient import wbxml
from easclient.protocol import ProvisionResponse, parse_request
from easclient.wbxml import Element

from .fake_server import FakeServer


class Behaviour(StrEnum):
    ENDLESS_CHUNKED = "endless-chunked"
    HUGE_LENGTH = "huge-length"
    TRICKLE = "trickle"
    EMPTY_200 = "empty-200"
    EMPTY_SYNC = "empty-sync"
    JUNK_GZIP = "junk-gzip"
    THROTTLE = "throttle"
    HUGE_POLICY_KEY = "huge-policy-key"


WBXML = "application/vnd.ms-sync.wbxml"
#: The most a streaming behaviour writes, and for how long, whatever the client does.
STREAM_CAP_BYTES = 4 * 1024**3
STREAM_CAP_SECONDS = 40.0
CHUNK = 64 * 1024


def _huge_policy_key_body() -> bytes:
    el = ProvisionResponse(
        status=1,
        policy_type="MS-EAS-Provisioning-WBXML",
        policy_status=1,
        policy_key=1111,
        policy_data={"DevicePasswordEnabled": "0"},
    ).to_element("14.1")
    key = "9" * 100_000
    xml = wbxml.to_xml(el).replace("<PolicyKey>1111<", f"<PolicyKey>{key}<")
    return wbxml.encode(wbxml.from_xml(xml))


class HostileServer:
    """Serve ``fake``, but answer ``commands`` with ``behaviour``; :meth:`run` → base URL."""

    def __init__(
        self, fake: FakeServer, behaviour: Behaviour | None, commands: set[str] | None = None
    ) -> None:
        self.fake = fake
        self.behaviour = behaviour
        self.commands = set(commands or ())
        self.sent = 0
        self.hostile_requests = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- HTTP/1.1, just enough --------------------------------------------------------------
    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            for _ in range(1000):  # requests per connection
                line = await reader.readline()
                if not line.strip():
                    return
                method, target, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                for _h in range(200):
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip()] = v.strip()
                lower = {k.lower(): v for k, v in headers.items()}
                n = int(lower.get("content-length") or 0)
                body = await reader.readexactly(n) if n else b""
                if method == "OPTIONS":
                    cmd = "OPTIONS"
                else:
                    cmd = parse_request(method, target, headers, body).query.cmd  # type: ignore[union-attr]
                if self.behaviour is not None and cmd in self.commands:
                    self.hostile_requests += 1
                    await self._hostile(writer)
                    return  # a hostile answer ends the connection
                status, out, data = await asyncio.to_thread(
                    self.fake.handle, method, target, headers, body
                )
                head = [f"HTTP/1.1 {status} X"]
                head += [f"{k}: {v}" for k, v in out.items() if k.lower() != "content-length"]
                head.append(f"Content-Length: {len(data)}")
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up, or the server is stopping
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()

    async def _stream(self, writer: asyncio.StreamWriter, make_chunk) -> None:
        started = time.monotonic()
        zeros = bytes(CHUNK)
        while self.sent < STREAM_CAP_BYTES and time.monotonic() - started < STREAM_CAP_SECONDS:
            await self._write(writer, make_chunk(zeros))
            self.sent += CHUNK

    async def _hostile(self, writer: asyncio.StreamWriter) -> None:
        b = self.behaviour
        ok = f"HTTP/1.1 200 OK\r\nContent-Type: {WBXML}\r\n"
        if b is Behaviour.ENDLESS_CHUNKED:
            await self._write(writer, (ok + "Transfer-Encoding: chunked\r\n\r\n").encode())
            await self._stream(writer, lambda z: b"%x\r\n" % len(z) + z + b"\r\n")
        elif b is Behaviour.HUGE_LENGTH:
            await self._write(writer, (ok + "Content-Length: 2147483648\r\n\r\n").encode())
            await self._stream(writer, lambda z: z)
        elif b is Behaviour.TRICKLE:
            await self._write(writer, (ok + "Content-Length: 1000\r\n\r\n").encode())
            for _ in range(1000):
                await self._write(writer, b"\x03")
                self.sent += 1
                await asyncio.sleep(0.2)
        elif b is Behaviour.EMPTY_200:
            await self._write(writer, (ok + "Content-Length: 0\r\n\r\n").encode())
        elif b is Behaviour.EMPTY_SYNC:
            data = wbxml.encode(Element("AirSync:Sync"))
            await self._write(writer, (ok + f"Content-Length: {len(data)}\r\n\r\n").encode() + data)
        elif b is Behaviour.JUNK_GZIP:
            data = os.urandom(4096)
            head = ok + f"Content-Encoding: gzip\r\nContent-Length: {len(data)}\r\n\r\n"
            await self._write(writer, head.encode() + data)
        elif b is Behaviour.THROTTLE:
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 99999999\r\n"
                f"X-MS-ASThrottle: {'CommandFrequency' * 512}\r\nContent-Length: 0\r\n\r\n"
            )
            await self._write(writer, head.encode())
        elif b is Behaviour.HUGE_POLICY_KEY:
            data = _huge_policy_key_body()
            await self._write(writer, (ok + f"Content-Length: {len(data)}\r\n\r\n").encode() + data)
        else:  # pragma: no cover
            raise AssertionError(b)

    # -- running ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def run(self) -> Iterator[str]:
        """Serve on 127.0.0.1 in a thread of its own; yields ``http://127.0.0.1:PORT``."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        stop: asyncio.Future[None] | None = None
        port: list[int] = []

        async def main() -> None:
            nonlocal stop
            stop = loop.create_future()
            server = await asyncio.start_server(self._serve_client, "127.0.0.1", 0)
            port.append(server.sockets[0].getsockname()[1])
            ready.set()
            await stop
            server.close()
            # Connections still being served (a stream the client left) end here.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        try:
            yield f"http://127.0.0.1:{port[0]}"
        finally:
            assert stop is not None
            loop.call_soon_threadsafe(stop.set_result, None)
            thread.join(10)
            loop.close()
