"""Stand up (and take down) a real SOGo ActiveSync server on 127.0.0.1 for the interop tests.

Debian's ``sogo`` + ``sogo-activesync`` need PostgreSQL (user source and profile store), an IMAP
server (Dovecot, Maildir, passwd-file users) and memcached. Everything runs from one state
directory, on free ports below 32768, bound to 127.0.0.1 only, each daemon in a process group of
its own so that ``down`` ends exactly the processes ``up`` started (their ids are in
``harness.json``). Nothing under /etc is written and no service manager is involved: Debian's
packages may be forbidden to start services (policy-rc.d), and a test must not depend on them.

Standard library only, so it runs before the project's virtualenv exists. Needs root: it installs
packages and starts daemons as their own system users.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email.utils
import imaplib
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

PACKAGES = ("sogo", "sogo-activesync", "postgresql", "dovecot-imapd", "memcached")
DEFAULT_DIR = Path(os.environ.get("EAS_SOGO_DIR", "/tmp/easclient-sogo"))
ROOT = Path(__file__).resolve().parents[2]

#: Long-poll limits. SOGo's default maximum Ping interval is 10 s (push effectively off); the
#: watchdog (minutes) must outlive the longest request, and each Ping holds one worker.
MAX_PING_INTERVAL = 30
MAX_SYNC_INTERVAL = 30
INTERNAL_SYNC_INTERVAL = 5
WORKERS = 8
WATCHDOG_MINUTES = 5

MAILBOXES = ("INBOX", "Sent", "Drafts", "Trash")
MAIL_UID = 65534  # nobody: Dovecot accesses the Maildirs as this user
MAIL_GID = 65534


@dataclass
class User:
    uid: str
    password: str
    cn: str
    mail: str


USERS = (
    User("alice", "alice-pw", "Alice Example", "alice@example.test"),
    User("bob", "bob-pw", "Bob Example", "bob@example.test"),
)


@dataclass
class Harness:
    """What ``up`` leaves in ``harness.json`` for tests and ``down``."""

    dir: str
    url: str
    ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)
    #: A string each daemon's command line carries, so that a recycled pid is never taken
    #: for ours.
    markers: dict[str, str] = field(default_factory=dict)
    users: list[dict[str, str]] = field(default_factory=list)
    seeded: dict[str, list[str]] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> Harness:
        return cls(**json.loads((state_dir / "harness.json").read_text()))

    def save(self) -> None:
        path = Path(self.dir) / "harness.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


class HarnessError(RuntimeError):
    """The harness could not stand SOGo up; the message says which step and why."""


class CannotInstall(HarnessError):
    """Not root, or the packages cannot be installed: callers may skip rather than fail."""


#: sogo-up's exit code for CannotInstall (1 for every other failure).
EXIT_CANNOT_INSTALL = 3


# --- helpers ---------------------------------------------------------------------------------


def _log(msg: str) -> None:
    print(f"sogo-harness: {msg}", file=sys.stderr, flush=True)


def _free_ports(count: int) -> list[int]:
    """Ports in 20000-32000 (below the ephemeral range, so nothing else grabs them meanwhile)."""
    rng = random.Random()
    found: list[int] = []
    for _ in range(500):
        port = rng.randrange(20000, 32000)
        if port in found:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise HarnessError("no free ports in 20000-32000")


def _wait_port(port: int, what: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"{what} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise HarnessError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _run(cmd: list[str], *, user: str | None = None, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, user=user, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise HarnessError(f"{cmd[0]} failed ({res.returncode}): {res.stderr.strip()[-800:]}")
    return res


def _start(
    name: str, cmd: list[str], state: Path, *, user: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start a daemon in the foreground of its own process group, output to <name>.out."""
    out = open(state / f"{name}.out", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            cmd,
            user=user,
            group=pwd.getpwnam(user).pw_gid,
            extra_groups=[],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=state,
        )
    finally:
        out.close()


def _chown(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


# --- install ---------------------------------------------------------------------------------


def missing_packages() -> list[str]:
    missing = []
    for pkg in PACKAGES:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True
        )
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def install() -> None:
    missing = missing_packages()
    if not missing:
        return
    _log(f"installing {' '.join(missing)}")
    try:
        _run([str(ROOT / "scripts" / "install-system-deps"), *missing])
    except HarnessError as exc:
        raise CannotInstall(f"cannot install {' '.join(missing)}: {exc}") from exc


# --- the daemons -----------------------------------------------------------------------------


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not versions:
        raise HarnessError("PostgreSQL binaries not found under /usr/lib/postgresql")
    return versions[-1].parent


def start_postgres(state: Path, port: int) -> subprocess.Popen:
    pg = state / "pg"
    pg.mkdir()
    _chown(pg, "postgres")
    data, sock = pg / "data", pg / "sock"
    sock.mkdir()
    _chown(sock, "postgres")
    bindir = _pg_bin()
    _run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        user="postgres",
        cwd=pg,
    )
    proc = _start(
        "postgres",
        [
            str(bindir / "postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(sock),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ],
        state,
        user="postgres",
    )  # fmt: skip
    _wait_port(port, "postgres", proc)
    # Ready to accept connections is a little later than listening.
    for _ in range(100):
        res = subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if res.returncode == 0:
            break
        time.sleep(0.1)
    sql = [
        "CREATE ROLE sogo LOGIN PASSWORD 'sogo';",
        "CREATE DATABASE sogo OWNER sogo;",
    ]
    _psql(port, "postgres", *sql)
    users_sql = [
        "CREATE TABLE sogo_users (c_uid varchar(64) PRIMARY KEY, c_name varchar(64) NOT NULL,"
        " c_password varchar(128) NOT NULL, c_cn varchar(128), mail varchar(128));"
    ]
    for u in USERS:
        users_sql.append(
            f"INSERT INTO sogo_users VALUES ('{u.uid}', '{u.uid}', '{u.password}', '{u.cn}',"
            f" '{u.mail}');"
        )
    _psql(port, "sogo", *users_sql, user="sogo")
    return proc


def _psql(port: int, db: str, *statements: str, user: str = "postgres") -> None:
    """Each statement in its own transaction (CREATE DATABASE refuses to share one)."""
    cmd = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        user,
        "-d",
        db,
    ]
    for sql in statements:
        cmd += ["-c", sql]
    _run(
        cmd,
        env={**os.environ, "PGPASSWORD": "sogo"},
    )  # fmt: skip


DOVECOT_CONF = """\
# Written by scripts/interop/sogo_harness.py: a private Dovecot for the SOGo interop tests.
protocols = imap
listen = 127.0.0.1
base_dir = {state}/dovecot/run
state_dir = {state}/dovecot/state
instance_name = easclient-interop-{imap_port}
log_path = {state}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{state}/mail/%u
first_valid_uid = 1000
first_valid_gid = 1000
last_valid_uid = 0
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {state}/dovecot/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {state}/dovecot/users
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
"""


def start_dovecot(state: Path, port: int) -> subprocess.Popen:
    dv = state / "dovecot"
    for sub in ("run", "state"):
        (dv / sub).mkdir(parents=True)
    mail = state / "mail"
    mail.mkdir()
    os.chown(mail, MAIL_UID, MAIL_GID)
    # Valid uids start at 1000 in the config above, so map "nobody" explicitly in the userdb.
    lines = [
        f"{u.uid}:{{PLAIN}}{u.password}:{MAIL_UID}:{MAIL_GID}::{mail / u.uid}::" for u in USERS
    ]
    (dv / "users").write_text("\n".join(lines) + "\n")
    # Dovecot's auth process reads it as the "dovecot" user; it holds (test) passwords.
    os.chown(dv / "users", 0, pwd.getpwnam("dovecot").pw_gid)
    os.chmod(dv / "users", 0o640)
    conf = dv / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(state=state, imap_port=port))
    proc = _start("dovecot", ["/usr/sbin/dovecot", "-F", "-c", str(conf)], state, user="root")
    _wait_port(port, "dovecot", proc)
    return proc


def start_memcached(state: Path, port: int) -> subprocess.Popen:
    proc = _start(
        "memcached",
        ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "32"],
        state,
        user="memcache" if _user_exists("memcache") else "nobody",
    )
    _wait_port(port, "memcached", proc)
    return proc


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def sogo_defaults(ports: dict[str, int], state: Path) -> dict[str, str]:
    """sogod's configuration, passed on its command line (GNUstep's argument domain outranks
    /etc/sogo/sogo.conf, which is left untouched)."""
    db = f"postgresql://sogo:sogo@127.0.0.1:{ports['postgres']}/sogo"
    return {
        "WOPort": f"127.0.0.1:{ports['sogo']}",
        "WONoDetach": "YES",
        "WOPidFile": str(state / "sogo-home" / "sogod.pid"),
        "WOLogFile": "-",
        "WOWorkersCount": str(WORKERS),
        "WOWatchDogRequestTimeout": str(WATCHDOG_MINUTES),
        "SOGoProfileURL": f"{db}/sogo_user_profile",
        "OCSFolderInfoURL": f"{db}/sogo_folder_info",
        "OCSSessionsFolderURL": f"{db}/sogo_sessions_folder",
        "OCSEMailAlarmsFolderURL": f"{db}/sogo_alarms_folder",
        "OCSCacheFolderURL": f"{db}/sogo_cache_folder",
        "OCSStoreURL": f"{db}/sogo_store",
        "OCSAclURL": f"{db}/sogo_acl",
        "SOGoUserSources": (
            '({type = sql; id = users; viewURL = "'
            f'{db}/sogo_users"; canAuthenticate = YES; isAddressBook = NO;'
            " userPasswordAlgorithm = plain; displayName = Users;})"
        ),
        "SOGoIMAPServer": f"imap://127.0.0.1:{ports['imap']}",
        "SOGoSieveServer": "",
        "SOGoSieveScriptsEnabled": "NO",
        "SOGoVacationEnabled": "NO",
        "SOGoForwardEnabled": "NO",
        "SOGoMailDomain": "example.test",
        "SOGoMailingMechanism": "smtp",
        "SOGoSMTPServer": "smtp://127.0.0.1:25",
        "SOGoMemcachedHost": f"127.0.0.1:{ports['memcached']}",
        "SOGoTimeZone": "UTC",
        "SOGoLanguage": "English",
        "SOGoSentFolderName": "Sent",
        "SOGoDraftsFolderName": "Drafts",
        "SOGoTrashFolderName": "Trash",
        "SOGoMaximumPingInterval": str(MAX_PING_INTERVAL),
        "SOGoMaximumSyncInterval": str(MAX_SYNC_INTERVAL),
        "SOGoInternalSyncInterval": str(INTERNAL_SYNC_INTERVAL),
        "SOGoMaximumSyncWindowSize": "100",
        "SOGoEnableEMailAlarms": "NO",
    }


def start_sogo(state: Path, ports: dict[str, int]) -> subprocess.Popen:
    home = state / "sogo-home"
    home.mkdir()
    _chown(home, "sogo")
    args = ["/usr/sbin/sogod"]
    for key, value in sogo_defaults(ports, state).items():
        args += [f"-{key}", value]
    env = {
        "HOME": str(home),
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "GNUSTEP_USER_ROOT": str(home / "GNUstep"),
    }
    proc = _start("sogod", args, state, user="sogo", env=env)
    _wait_port(ports["sogo"], "sogod", proc, timeout=60)
    return proc


def wait_options(url: str, proc: subprocess.Popen, user: User, timeout: float = 60.0) -> None:
    """Until OPTIONS on the ActiveSync endpoint answers 200 with MS-ASProtocolVersions."""
    auth = base64.b64encode(f"{user.uid}:{user.password}".encode()).decode()
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"sogod exited with {proc.returncode}; see sogod.out")
        req = urllib.request.Request(
            url, method="OPTIONS", headers={"Authorization": f"Basic {auth}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                if resp.headers.get("MS-ASProtocolVersions"):
                    return
                last = f"HTTP {resp.status} without MS-ASProtocolVersions"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise HarnessError(f"SOGo's OPTIONS did not answer within {timeout:.0f} s: {last}")


# --- mail ------------------------------------------------------------------------------------


def make_message(
    user: User, n: int, *, subject: str | None = None, body: str | None = None
) -> bytes:
    """A small RFC 5322 message; the body carries a marker the tests can look for."""
    subject = subject or f"Seed {n} for {user.uid}"
    body = (
        body or f"Hello {user.cn}, this is seeded message number {n}.\r\nMarker: {user.uid}-{n}\r\n"
    )
    date = email.utils.formatdate(time.time() - 3600 * (10 - n), usegmt=True)
    lines = [
        "From: Sender Example <sender@example.test>",
        f"To: {user.cn} <{user.mail}>",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <seed-{user.uid}-{n}-{time.time_ns()}@example.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    return "\r\n".join(lines).encode()


@contextlib.contextmanager
def imap_session(ports: dict[str, int], user: User):
    imap = imaplib.IMAP4("127.0.0.1", ports["imap"], timeout=15)
    try:
        imap.login(user.uid, user.password)
        yield imap
    finally:
        with contextlib.suppress(Exception):
            imap.logout()


def enable_condstore(imap: imaplib.IMAP4, mailboxes: list[str] | None = None) -> None:
    """SOGo reads HIGHESTMODSEQ from a plain SELECT; Dovecot reports it only once a client has
    used CONDSTORE on the mailbox (LDA and APPEND do not switch it on)."""
    typ, caps = imap.capability()
    if b"CONDSTORE" not in caps[0].split():
        raise HarnessError(f"IMAP server lacks CONDSTORE: {caps[0]!r}")
    with contextlib.suppress(imaplib.IMAP4.error):
        imap.enable("CONDSTORE")
    if mailboxes is None:
        typ, data = imap.list()
        mailboxes = [_mailbox_name(line) for line in data if line]
    for box in mailboxes:
        typ, _ = imap.select(_quote(box))
        if typ != "OK":
            raise HarnessError(f"SELECT {box} failed")
        imap.close()


def _mailbox_name(line: bytes) -> str:
    text = line.decode()
    name = text.rsplit(' "/" ', 1)[-1].strip()
    return name.strip('"')


def _quote(box: str) -> str:
    return '"' + box.replace("\\", "\\\\").replace('"', '\\"') + '"'


def deliver(
    ports: dict[str, int],
    user: User,
    message: bytes,
    mailbox: str = "INBOX",
) -> None:
    """Put a message into a mailbox (IMAP APPEND) and keep CONDSTORE on for it."""
    with imap_session(ports, user) as imap:
        typ, data = imap.append(_quote(mailbox), None, None, message)
        if typ != "OK":
            raise HarnessError(f"APPEND to {mailbox} failed: {data!r}")
        enable_condstore(imap, [mailbox])


def create_mailbox(ports: dict[str, int], user: User, mailbox: str) -> None:
    with imap_session(ports, user) as imap:
        typ, data = imap.create(_quote(mailbox))
        if typ != "OK":
            raise HarnessError(f"CREATE {mailbox} failed: {data!r}")
        imap.subscribe(_quote(mailbox))
        enable_condstore(imap, [mailbox])


def delete_mailbox(ports: dict[str, int], user: User, mailbox: str) -> None:
    with imap_session(ports, user) as imap:
        imap.unsubscribe(_quote(mailbox))
        typ, data = imap.delete(_quote(mailbox))
        if typ != "OK":
            raise HarnessError(f"DELETE {mailbox} failed: {data!r}")


#: Messages per user at start: alice gets more, so a second user's view is distinguishable.
SEED_COUNTS = {"alice": 6, "bob": 3}


def seed(ports: dict[str, int]) -> dict[str, list[str]]:
    seeded: dict[str, list[str]] = {}
    for user in USERS:
        subjects = []
        with imap_session(ports, user) as imap:
            for n in range(1, SEED_COUNTS[user.uid] + 1):
                msg = make_message(user, n)
                subjects.append(f"Seed {n} for {user.uid}")
                typ, data = imap.append("INBOX", None, None, msg)
                if typ != "OK":
                    raise HarnessError(f"APPEND failed for {user.uid}: {data!r}")
            enable_condstore(imap)
        seeded[user.uid] = subjects
    return seeded


# --- up / down -------------------------------------------------------------------------------


def up(state: Path, *, install_packages: bool = True) -> Harness:
    if os.geteuid() != 0:
        raise CannotInstall("needs root: installs packages and starts daemons as their users")
    if install_packages:
        install()
    elif missing := missing_packages():
        raise CannotInstall(f"packages not installed: {' '.join(missing)}")
    if (state / "harness.json").exists():
        down(state)
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    os.chmod(state, 0o755)
    names = ["postgres", "imap", "memcached", "sogo"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    url = f"http://127.0.0.1:{ports['sogo']}/SOGo/Microsoft-Server-ActiveSync"
    h = Harness(
        dir=str(state),
        url=url,
        ports=ports,
        users=[asdict(u) for u in USERS],
        settings={
            "max_ping_interval": MAX_PING_INTERVAL,
            "max_sync_interval": MAX_SYNC_INTERVAL,
            "internal_sync_interval": INTERNAL_SYNC_INTERVAL,
            "workers": WORKERS,
        },
    )
    t0 = time.monotonic()
    try:
        # Record each pid as soon as it exists, so a failure part-way still cleans up.
        for name, starter in (
            ("postgres", lambda: start_postgres(state, ports["postgres"])),
            ("dovecot", lambda: start_dovecot(state, ports["imap"])),
            ("memcached", lambda: start_memcached(state, ports["memcached"])),
        ):
            proc = starter()
            h.pids[name] = proc.pid
            h.markers[name] = _marker(name, state, ports)
            h.save()
        h.seeded = seed(ports)
        proc = start_sogo(state, ports)
        h.pids["sogod"] = proc.pid
        h.markers["sogod"] = _marker("sogod", state, ports)
        h.save()
        wait_options(url, proc, USERS[0])
    except BaseException:
        h.save()
        down(state)
        raise
    h.save()
    _log(f"SOGo up at {url} in {time.monotonic() - t0:.1f} s (state in {state})")
    return h


def _marker(name: str, state: Path, ports: dict[str, int]) -> str:
    return {
        "postgres": str(state / "pg" / "data"),
        "dovecot": str(state / "dovecot" / "dovecot.conf"),
        "memcached": f"-p {ports['memcached']}",
        "sogod": f"127.0.0.1:{ports['sogo']}",
    }[name]


def _is_ours(pid: int, marker: str | None) -> bool:
    """Whether process group ``pid`` is still the one we started (its leader's command line
    carries ``marker``). A group whose leader has exited is ours: Linux does not hand out a
    pid while a process group of that id lives."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return marker is None or marker in cmdline


def down(state: Path) -> None:
    """End the process groups ``up`` started (by the ids it recorded), sogod first."""
    try:
        h = Harness.load(state)
    except FileNotFoundError:
        return
    # (signal, seconds to wait before SIGKILL). sogod's watchdog waits for busy workers (a
    # parked Ping) on SIGTERM, and this server's state is thrown away: no need to wait long.
    # PostgreSQL's SIGINT is its "fast" shutdown (SIGTERM would wait for clients to leave).
    stops = {
        "sogod": (signal.SIGTERM, 1.0),
        "memcached": (signal.SIGTERM, 5.0),
        "dovecot": (signal.SIGTERM, 5.0),
        "postgres": (signal.SIGINT, 10.0),
    }
    for name, (sig, wait) in stops.items():
        pid = h.pids.get(name)
        if not pid:
            continue
        if not _is_ours(pid, h.markers.get(name)):
            _log(f"{name}: pid {pid} is no longer ours; left alone")
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.05)
        if _group_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
    h.pids = {}
    h.markers = {}
    h.save()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader of our own still answers; reap it if it is our child.
    with contextlib.suppress(ChildProcessError, OSError):
        pid, _ = os.waitpid(pgid, os.WNOHANG)
        if pid == pgid:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sogo-harness", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["up", "down", "install"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state directory")
    parser.add_argument(
        "--no-install", action="store_true", help="fail instead of installing packages"
    )
    args = parser.parse_args(argv)
    try:
        if args.action == "install":
            install()
        elif args.action == "up":
            h = up(args.dir, install_packages=not args.no_install)
            print(json.dumps({"url": h.url, "dir": h.dir}))
        else:
            down(args.dir)
    except CannotInstall as exc:
        print(f"sogo-harness: cannot run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_INSTALL
    except (HarnessError, imaplib.IMAP4.error, OSError, subprocess.SubprocessError) as exc:
        print(f"sogo-harness: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
