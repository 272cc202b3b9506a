"""A small EAS server for the client's tests, built on the protocol classes.

``FakeServer.handle(method, target, headers, body) -> (status, headers, body)`` is pure Python,
so it can sit behind ``httpx.MockTransport`` (unit tests) or a real ``http.server`` on 127.0.0.1
(the kill-and-resume test runs it in a child process). It implements:

- OPTIONS with versions and commands; two-phase Provision (temporary key, then final key);
- FolderSync from key 0 (one shot) and later keys (no changes unless folders were changed);
- Sync with windows and MoreAvailable, where every SyncKey the server handed out stays valid,
  so a client that resends an old key (it never saw the answer) gets a correct answer again;
- Ping that answers at once with status 2 when folders have pending changes, else 1;
- ``inject(cmd, status=..., headers=..., body=...)``: canned answers consumed first (faults).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from easclient.protocol import (
    ALL_VERSIONS,
    Email,
    FolderAdd,
    FolderSyncResponse,
    PingResponse,
    ProvisionRequest,
    ProvisionResponse,
    SyncAdd,
    SyncChange,
    SyncCollectionResponse,
    SyncDelete,
    SyncRequest,
    SyncResponse,
    build_response,
    parse_request,
)
from easclient.protocol.options import options_headers
from easclient.wbxml import Element


@dataclass
class Canned:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Element | bytes | None = None


def _digest(email: Email) -> str:
    return hashlib.sha256(repr(email).encode()).hexdigest()


class FakeServer:
    def __init__(
        self,
        *,
        versions=ALL_VERSIONS,
        folders: dict[str, tuple[str, int]] | None = None,
        items_per_folder: int = 0,
        users: dict[str, str] | None = None,
        require_provision: bool = True,
        policy: bool = True,
        sync_delay: float = 0.0,
        path: str | None = None,
    ) -> None:
        self.versions = tuple(versions)
        self.path = path  # the only endpoint path answered (404 elsewhere); None: any
        self.folders = folders or {"5": ("Inbox", 2), "6": ("Sent Items", 5), "7": ("Calendar", 8)}
        self.mail: dict[str, dict[str, Email]] = {fid: {} for fid in self.folders}
        self.users = users
        self.require_provision = require_provision
        self.policy = policy
        self.sync_delay = sync_delay
        self.final_key = 3942919513
        self.temp_key = 1111
        self.lock = threading.Lock()
        self.canned: dict[str, deque[Canned]] = defaultdict(deque)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.responses_sent = 0  # counted by serve(), after the bytes went out
        # per collection: sync key -> {server_id: digest} the client holds at that key
        self.sync_states: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
        self.key_counter = 0
        self.provision_requests: list[ProvisionRequest] = []
        self.seq = 0
        for fid, (_, ftype) in self.folders.items():
            if ftype in (2, 5):
                for _ in range(items_per_folder):
                    self.add_mail(fid)

    # -- mailbox -------------------------------------------------------------------------
    def add_mail(self, fid: str, subject: str | None = None) -> str:
        self.seq += 1
        sid = f"{fid}:{self.seq}"
        self.mail[fid][sid] = Email(
            subject=subject or f"message {self.seq}",
            from_=f"sender{self.seq}@example.com",
            date_received="2026-11-29T10:00:00.000Z",
            read=False,
        )
        return sid

    def server_ids(self, fid: str) -> set[str]:
        return set(self.mail[fid])

    def inject(self, cmd: str, status: int = 200, headers=None, body=None, times: int = 1):
        for _ in range(times):
            self.canned[cmd].append(Canned(status, dict(headers or {}), body))

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes):
        with self.lock:
            return self._handle(method, target, headers, body)

    def _handle(self, method, target, headers, body):
        self.requests.append((method, target, dict(headers), body))
        if self.path is not None and target.split("?", 1)[0] != self.path:
            return 404, {}, b""
        if self.users is not None:
            auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            ok = any(
                auth == "Basic " + base64.b64encode(f"{u}:{p}".encode()).decode()
                for u, p in self.users.items()
            )
            if not ok:
                return 401, {}, b""
        if method == "OPTIONS":
            cmd = "OPTIONS"
        else:
            req = parse_request(method, target, headers, body)
            cmd = req.query.cmd
        queue = self.canned.get(cmd)
        if queue:
            c = queue.popleft()
            if isinstance(c.body, Element):
                r = build_response(c.body, status_code=c.status, headers=c.headers)
                return r.status_code, dict(r.headers), r.body
            return c.status, c.headers, c.body or b""
        if cmd == "OPTIONS":
            return 200, options_headers(self.versions), b""
        el = req.decode_body()
        version = req.query.version
        needs_key = cmd != "Provision" and self.require_provision and self.policy
        if needs_key and req.query.policy_key != self.final_key:
            return 449, {}, b""
        handler = getattr(self, f"_cmd_{cmd}")
        out = handler(el, version)
        r = build_response(out)
        return r.status_code, dict(r.headers), r.body

    # -- commands ------------------------------------------------------------------------
    def _cmd_Provision(self, el, version):
        req = ProvisionRequest.from_element(el)
        self.provision_requests.append(req)
        if req.remote_wipe_status is not None or req.account_only_remote_wipe_status is not None:
            return ProvisionResponse(status=1).to_element(version)
        if not self.policy:
            return ProvisionResponse(
                status=1, policy_type=req.policy_type, policy_status=2
            ).to_element(version)
        if req.policy_key is None:
            return ProvisionResponse(
                status=1,
                policy_type=req.policy_type,
                policy_status=1,
                policy_key=self.temp_key,
                policy_data={"DevicePasswordEnabled": "0"},
            ).to_element(version)
        if req.policy_key == self.temp_key:
            return ProvisionResponse(
                status=1, policy_type=req.policy_type, policy_status=1, policy_key=self.final_key
            ).to_element(version)
        return ProvisionResponse(status=1, policy_type=req.policy_type, policy_status=5).to_element(
            version
        )

    def _cmd_FolderSync(self, el, version):
        key = el.findtext("SyncKey")
        if key == "0":
            adds = tuple(FolderAdd(fid, "0", name, t) for fid, (name, t) in self.folders.items())
            return FolderSyncResponse(status=1, sync_key="F1", changes=adds).to_element(version)
        if key == "F1":
            return FolderSyncResponse(status=1, sync_key="F1").to_element(version)
        return FolderSyncResponse(status=9).to_element(version)

    def _new_key(self) -> str:
        self.key_counter += 1
        return f"S{self.key_counter}"

    def _cmd_Sync(self, el, version):
        if self.sync_delay:
            time.sleep(self.sync_delay)  # lets a test kill the client mid-run
        req = SyncRequest.from_element(el)
        cols = []
        for c in req.collections:
            fid = c.collection_id
            states = self.sync_states[fid]
            if fid not in self.mail:
                cols.append(SyncCollectionResponse(collection_id=fid, status=8))
                continue
            if c.sync_key == "0":
                key = self._new_key()
                states[key] = {}
                cols.append(SyncCollectionResponse(collection_id=fid, status=1, sync_key=key))
                continue
            known = states.get(c.sync_key)
            if known is None:
                cols.append(SyncCollectionResponse(collection_id=fid, status=3, sync_key="0"))
                continue
            current = {sid: _digest(m) for sid, m in self.mail[fid].items()}
            adds = [sid for sid in sorted(current) if sid not in known]
            deletes = [sid for sid in sorted(known) if sid not in current]
            window = c.window_size or req.window_size or 100
            changes = [s for s in sorted(current) if s in known and known[s] != current[s]]
            pending = (
                [("add", s) for s in adds]
                + [("change", s) for s in changes]
                + [("del", s) for s in deletes]
            )
            take, rest = pending[:window], pending[window:]
            new_known = dict(known)
            commands = []
            for kind, sid in take:
                if kind == "add":
                    new_known[sid] = current[sid]
                    commands.append(SyncAdd(sid, self.mail[fid][sid]))
                elif kind == "change":
                    new_known[sid] = current[sid]
                    read = self.mail[fid][sid].read
                    commands.append(SyncChange(sid, Email(read=read)))
                else:
                    new_known.pop(sid)
                    commands.append(SyncDelete(sid))
            key = self._new_key()
            states[key] = new_known
            cols.append(
                SyncCollectionResponse(
                    collection_id=fid,
                    status=1,
                    sync_key=key,
                    more_available=bool(rest),
                    commands=tuple(commands),
                )
            )
        return SyncResponse(collections=tuple(cols)).to_element(version)

    def _cmd_Ping(self, el, version):
        ids = [f.findtext("Id") for f in (el.find("Folders") or [])] if el is not None else []
        changed = []
        for fid in ids:
            states = self.sync_states.get(fid, {})
            latest = (
                states.get(f"S{max((int(k[1:]) for k in states), default=0)}") if states else None
            )
            if latest is not None and set(latest) != set(self.mail.get(fid, {})):
                changed.append(fid)
        if changed:
            return PingResponse(status=2, folders=tuple(changed)).to_element(version)
        return PingResponse(status=1).to_element(version)


def mock_transport(server: FakeServer):
    """An httpx.MockTransport that routes to ``server``."""
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        status, headers, body = server.handle(
            request.method, target, dict(request.headers), request.content
        )
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handler)


def serve(server: FakeServer):
    """Serve ``server`` over real HTTP on 127.0.0.1 in a thread; a context manager → base URL."""
    import contextlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK wait

        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, data = server.handle(self.command, self.path, dict(self.headers), body)
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            with server.lock:
                server.responses_sent += 1

        do_POST = do_OPTIONS = _any

        def log_message(self, *args):
            pass

    @contextlib.contextmanager
    def running():
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
        t.daemon = True
        t.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()
            t.join(5)

    return running()
