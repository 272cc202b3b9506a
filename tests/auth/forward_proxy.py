"""A real forward proxy for the tests: proxy.py (PyPI ``proxy.py``) in a subprocess on
127.0.0.1, with its idle timeout (``--timeout``: a tunnel with no bytes either way for that long
is closed, as corporate proxies do) and its access log in a file."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ForwardProxy:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextmanager
def forward_proxy(tmp: Path, *, idle_timeout: int = 600) -> Iterator[ForwardProxy]:
    """proxy.py listening on 127.0.0.1 (a free port), closing tunnels idle ``idle_timeout`` s."""
    port_file, log = tmp / "proxy.port", tmp / "proxy.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-workers",
            "1",
            "--num-acceptors",
            "1",
            "--timeout",
            str(int(idle_timeout)),
            "--log-level",
            "INFO",
            "--log-file",
            str(log),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"proxy.py exited with status {proc.returncode}")
            time.sleep(0.05)
        else:
            raise RuntimeError("proxy.py did not start within 30 s")
        yield ForwardProxy(f"http://127.0.0.1:{int(text.split()[0])}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class NamingProxy:
    """A minimal CONNECT proxy that alone knows where ``name`` is (127.0.0.1): the network a
    device behind a proxy lives in, where the server's name does not resolve and only the proxy
    reaches it. One thread per tunnel, bounded by the test's lifetime."""

    def __init__(self, name: str) -> None:
        import socket
        import threading

        self.name = name
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        import threading

        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._tunnel, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _tunnel(self, conn) -> None:
        import select
        import socket

        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = conn.recv(1024)
                if not chunk:
                    return
                head += chunk
            method, target = head.split(b" ", 2)[:2]
            host, _, port = target.decode().rpartition(":")
            if method != b"CONNECT" or host != self.name:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", int(port)), 5) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                conn.setblocking(False)
                upstream.setblocking(False)
                while not self._stop.is_set():
                    ready, _, _ = select.select([conn, upstream], [], [], 0.2)
                    for src in ready:
                        dst = upstream if src is conn else conn
                        try:
                            data = src.recv(65536)
                        except BlockingIOError:
                            continue
                        if not data:
                            return
                        dst.setblocking(True)
                        dst.sendall(data)
                        dst.setblocking(False)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for t in self._threads:
            t.join(2)
