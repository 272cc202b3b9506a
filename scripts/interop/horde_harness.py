"""Stand up (and take down) a real Horde Groupware ActiveSync server on 127.0.0.1 for the interop
tests: Debian's Horde Webmail 5.2 (Horde_ActiveSync 2.41) under its own Apache (mod_php), SQLite
storage and a private Dovecot for IMAP logins and mail.

Everything runs from one state directory, on free ports in 20000-32000 bound to 127.0.0.1, each
daemon in a process group of its own that ``down`` ends by the ids ``up`` recorded. Debian's Horde
reads its configuration from /etc/horde/<app>/ (the package's /usr/share/horde/*/config are
symlinks there); ``up`` writes there only symlinks into the state directory (each app's
``conf.php``, one ``registry.d`` and one IMP ``backends.d`` stanza) and ``down`` removes exactly
those. So one Horde harness runs at a time on a machine; a second ``up`` refuses while the first
one's daemons live.

Standard library only (it runs before the project's virtualenv exists); shares SOGo's harness
helpers that are the same logic (ports, daemons, process groups, IMAP). Needs root.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import imaplib
import json
import os
import pwd
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sogo_harness as common
from sogo_harness import (
    USERS,
    CannotInstall,
    HarnessError,
    User,
    imap_session,
    make_message,
)

__all__ = ["USERS", "CannotInstall", "HarnessError", "User", "imap_session", "make_message"]

#: What ``up`` installs when missing (also in scripts/install-system-deps's default list).
PACKAGES = (
    "php-horde-webmail",
    "php-horde-activesync",
    "apache2",
    "libapache2-mod-php",
    "php-sqlite3",
    "dovecot-imapd",
)
DEFAULT_DIR = Path(os.environ.get("EAS_HORDE_DIR", "/tmp/easclient-horde"))
ROOT = Path(__file__).resolve().parents[2]
PHP_DIR = Path(__file__).resolve().parent / "horde"
HORDE = Path("/usr/share/horde")
ETC_HORDE = Path("/etc/horde")
WEB_USER = "www-data"
EXIT_CANNOT_INSTALL = common.EXIT_CANNOT_INSTALL

#: Horde apps ActiveSync serves (mail, calendar, contacts, tasks, notes) and the ones switched
#: off here (they would need configurations of their own and serve nothing over EAS).
APPS = ("horde", "imp", "kronolith", "turba", "nag", "mnemo")
INACTIVE_APPS = ("ingo", "gollem", "trean")

#: The highest version the library speaks (the config form stops at 14.1; 16.0 works when set
#: in the configuration; there is no 16.1).
EAS_VERSION = "16.0"
#: Ping bounds (seconds). Horde's defaults (min 60, change poll 15) answer short test heartbeats
#: with Status 5 and notice a delivery only after 15 s.
HEARTBEAT_MIN = 5
HEARTBEAT_MAX = 120
HEARTBEAT_DEFAULT = 30
WAIT_INTERVAL = 1
#: Each open Ping holds an Apache worker.
WORKERS = 24

MAIL_UID = common.MAIL_UID
MAIL_GID = common.MAIL_GID
SEED_COUNTS = common.SEED_COUNTS
#: What the seed puts into each user's calendar, contacts, tasks and notes.
SEED_PIM = {
    "calendar": "Seed event for {uid}",
    "contacts": "Seed Contact {uid}",
    "tasks": "Seed task for {uid}",
    "notes": "Seed note for {uid}",
}


@dataclass
class Harness:
    """What ``up`` leaves in ``harness.json`` for tests and ``down``."""

    dir: str
    url: str
    ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    users: list[dict[str, str]] = field(default_factory=list)
    seeded: dict[str, list[str]] = field(default_factory=dict)
    settings: dict[str, int | str] = field(default_factory=dict)
    #: Symlinks written under /etc/horde, and directories made there for them (``down``
    #: removes both).
    links: list[str] = field(default_factory=list)
    made_dirs: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> Harness:
        return cls(**json.loads((state_dir / "harness.json").read_text()))

    def save(self) -> None:
        path = Path(self.dir) / "harness.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


def _log(msg: str) -> None:
    print(f"horde-harness: {msg}", file=sys.stderr, flush=True)


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
        common._run([str(ROOT / "scripts" / "install-system-deps"), *missing])
    except HarnessError as exc:
        raise CannotInstall(f"cannot install {' '.join(missing)}: {exc}") from exc


# --- configuration ---------------------------------------------------------------------------


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def horde_overrides(state: Path, ports: dict[str, int]) -> str:
    """Appended to Horde's generated defaults (conf.xml): SQLite, private dirs, ActiveSync."""
    db = state / "db" / "horde.sqlite"
    tmp = state / "tmp"
    log = state / "log"
    lines = [
        f"$conf['sql'] = array('phptype' => 'sqlite', 'database' => {_php_string(str(db))},"
        " 'charset' => 'utf-8');",
        f"$conf['tmpdir'] = {_php_string(str(tmp))};",
        f"$conf['cache']['params']['dir'] = {_php_string(str(tmp))};",
        f"$conf['log']['name'] = {_php_string(str(log / 'horde.log'))};",
        "$conf['log']['priority'] = 'WARNING';",
        "$conf['debug_level'] = E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_STRICT;",
        "$conf['server']['name'] = '127.0.0.1';",
        "$conf['cookie']['domain'] = '127.0.0.1';",
        "$conf['use_ssl'] = 0;",
        "$conf['auth']['admins'] = array('easclient-admin');",
        "$conf['auth']['checkip'] = false;",
        "$conf['auth']['checkbrowser'] = false;",
        "$conf['alarms']['driver'] = false;",
        "$conf['activesync']['enabled'] = true;",
        "$conf['activesync']['storage'] = 'Sql';",
        "$conf['activesync']['params']['driverconfig'] = 'horde';",
        "$conf['activesync']['emailsync'] = true;",
        f"$conf['activesync']['version'] = '{EAS_VERSION}';",
        "$conf['activesync']['auth']['type'] = 'basic';",
        "$conf['activesync']['autodiscovery'] = 'full';",
        "$conf['activesync']['logging']['type'] = false;",
        f"$conf['activesync']['ping']['heartbeatmin'] = {HEARTBEAT_MIN};",
        f"$conf['activesync']['ping']['heartbeatmax'] = {HEARTBEAT_MAX};",
        f"$conf['activesync']['ping']['heartbeatdefault'] = {HEARTBEAT_DEFAULT};",
        "$conf['activesync']['ping']['deviceping'] = true;",
        f"$conf['activesync']['ping']['waitinterval'] = {WAIT_INTERVAL};",
    ]
    if os.environ.get("EAS_HORDE_TRACE"):
        # Horde's full WBXML trace of every request (slow; for debugging the harness).
        lines += [
            "$conf['activesync']['logging']['type'] = 'onefile';",
            f"$conf['activesync']['logging']['path'] = {_php_string(str(log / 'activesync.log'))};",
            "$conf['activesync']['logging']['level'] = 2;",
        ]
    return "\n".join(lines) + "\n"


def imp_backend(ports: dict[str, int]) -> str:
    return (
        "<?php\n// Written by scripts/interop/horde_harness.py: the private Dovecot.\n"
        "$servers['imap'] = array_merge(isset($servers['imap']) ? $servers['imap'] : array(),"
        " array(\n"
        "    'disabled' => false,\n"
        "    'name' => 'easclient interop IMAP',\n"
        "    'hostspec' => '127.0.0.1',\n"
        f"    'port' => {ports['imap']},\n"
        "    'secure' => false,\n"
        "    'protocol' => 'imap',\n"
        "    'hordeauth' => false,\n"
        "    'maildomain' => 'example.test',\n"
        "    'cache' => false,\n"
        "));\n"
        "foreach (array_keys($servers) as $k) {\n"
        "    if ($k !== 'imap') { $servers[$k]['disabled'] = true; }\n"
        "}\n"
    )


def registry_stanza() -> str:
    body = "".join(
        f"if (isset($this->applications['{app}'])) "
        f"{{ $this->applications['{app}']['status'] = 'inactive'; }}\n"
        for app in INACTIVE_APPS
    )
    return "<?php\n// Written by scripts/interop/horde_harness.py.\n" + body


def write_config(state: Path, ports: dict[str, int]) -> dict[str, str]:
    """Each app's conf.php (Horde's generated defaults + our overrides) in STATE/etc; returns
    {link under /etc/horde: target in STATE}."""
    etc = state / "etc"
    links: dict[str, str] = {}
    for app in APPS:
        (etc / app).mkdir(parents=True)
        # Horde_Config silently drops the defaults of keys it finds in an existing conf.php;
        # genconf.php hands it a dummy configuration instead of reading one.
        res = common._run(["php", str(PHP_DIR / "genconf.php"), app])
        php = res.stdout
        if "CONFIG END" not in php:
            raise HarnessError(f"Horde_Config generated no configuration for {app}")
        if app == "horde":
            php += horde_overrides(state, ports)
        target = etc / app / "conf.php"
        target.write_text(php)
        links[str(ETC_HORDE / app / "conf.php")] = str(target)
    stanza = etc / "horde" / "registry-easclient.php"
    stanza.write_text(registry_stanza())
    links[str(ETC_HORDE / "horde" / "registry.d" / "zz-easclient-interop.php")] = str(stanza)
    backend = etc / "imp" / "backends-easclient.php"
    backend.write_text(imp_backend(ports))
    links[str(ETC_HORDE / "imp" / "backends.d" / "zz-easclient-interop.php")] = str(backend)
    for path in etc.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return links


def install_links(h: Harness, links: dict[str, str]) -> None:
    """Symlink the configuration into /etc/horde; refuse to replace anything that is not ours."""
    for link, target in links.items():
        path = Path(link)
        if path.is_symlink():
            old = Path(os.readlink(path))
            owner = _link_owner(old)
            if owner is None:
                raise HarnessError(f"{link} is a symlink to {old}, not ours: left alone")
            _other_harness_gone(owner)
            path.unlink()
        elif path.exists():
            raise HarnessError(f"{link} exists (a Horde configured by hand?): left alone")
        if not path.parent.exists():
            path.parent.mkdir()
            h.made_dirs.append(str(path.parent))
        path.symlink_to(target)
        h.links.append(link)
        h.save()


def _link_owner(target: Path) -> Path | None:
    """The state directory of an earlier harness a link points into (STATE/etc/<app>/<file>,
    STATE holding harness.json or gone), or None when the link is someone else's."""
    if len(target.parents) < 3 or target.parent.parent.name != "etc":
        return None
    state = target.parents[2]
    if (state / "harness.json").exists() or not state.exists():
        return state
    return None


def _other_harness_gone(state: Path) -> None:
    """A stale link from an earlier run is replaced; a live harness's is not."""
    if not (state / "harness.json").exists():
        return
    other = Harness.load(state)
    if any(
        common._group_alive(pid) and _is_ours(pid, other.markers.get(name))
        for name, pid in other.pids.items()
    ):
        raise HarnessError(f"another Horde harness runs from {state}: one at a time")


def remove_links(h: Harness) -> None:
    for link in h.links:
        path = Path(link)
        if path.is_symlink() and os.readlink(path).startswith(h.dir):
            path.unlink()
    h.links = []
    for made in reversed(h.made_dirs):
        with contextlib.suppress(OSError):  # not empty: something else put a file there
            Path(made).rmdir()
    h.made_dirs = []


# --- the daemons -----------------------------------------------------------------------------

DOVECOT_CONF = """\
# Written by scripts/interop/horde_harness.py: a private Dovecot for the Horde interop tests.
protocols = imap
listen = 127.0.0.1
base_dir = {state}/dovecot/run
state_dir = {state}/dovecot/state
instance_name = easclient-horde-{imap_port}
log_path = {state}/log/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Horde logs every user in from 127.0.0.1: a per-IP penalty after one wrong password (a test)
# would slow everyone's later logins by seconds.
auth_failure_delay = 0
mail_location = maildir:{state}/mail/%u
first_valid_uid = 1000
first_valid_gid = 1000
last_valid_uid = 0
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 200
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
    lines = [
        f"{u.uid}:{{PLAIN}}{u.password}:{MAIL_UID}:{MAIL_GID}::{mail / u.uid}::" for u in USERS
    ]
    (dv / "users").write_text("\n".join(lines) + "\n")
    os.chown(dv / "users", 0, pwd.getpwnam("dovecot").pw_gid)
    os.chmod(dv / "users", 0o640)
    conf = dv / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(state=state, imap_port=port))
    proc = common._start(
        "dovecot", ["/usr/sbin/dovecot", "-F", "-c", str(conf)], state, user="root"
    )
    common._wait_port(port, "dovecot", proc)
    return proc


APACHE_MODULES = (
    "mpm_prefork",
    "authz_core",
    "mime",
    "alias",
    "env",
    "dir",
    "setenvif",
)


def apache_conf(state: Path, port: int) -> str:
    ap = state / "apache"
    mods = "\n".join(
        f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in APACHE_MODULES
    )
    php_so = sorted(Path("/usr/lib/apache2/modules").glob("libphp*.so"))
    if not php_so:
        raise HarnessError("mod_php not found under /usr/lib/apache2/modules")
    tmp = state / "tmp"
    return f"""\
# Written by scripts/interop/horde_harness.py: Horde's ActiveSync endpoint for the interop tests.
ServerRoot {ap}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {ap}/httpd.pid
DefaultRuntimeDir {ap}
Mutex file:{ap} default
User {WEB_USER}
Group {WEB_USER}
ErrorLog {state}/log/apache-error.log
LogLevel warn
{mods}
LoadModule php_module {php_so[-1]}
StartServers 4
MinSpareServers 2
MaxSpareServers 8
ServerLimit {WORKERS}
MaxRequestWorkers {WORKERS}
MaxConnectionsPerChild 0
KeepAlive On
Timeout 300
TypesConfig /etc/mime.types
DocumentRoot {HORDE}
DirectoryIndex index.php
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {HORDE}>
    AllowOverride None
    Require all granted
</Directory>
Alias /Microsoft-Server-ActiveSync {HORDE}/rpc.php
Alias /autodiscover/autodiscover.xml {HORDE}/rpc.php
Alias /Autodiscover/Autodiscover.xml {HORDE}/rpc.php
Alias /horde {HORDE}
# Horde reverse-resolves the client on every login; no DNS query leaves the machine.
SetEnv REMOTE_HOST localhost
php_admin_value session.save_path {tmp}/sessions
php_admin_value upload_tmp_dir {tmp}
php_admin_value sys_temp_dir {tmp}
php_admin_value error_log {state}/log/php-error.log
php_admin_value log_errors On
php_admin_value display_errors Off
php_admin_value memory_limit 256M
php_admin_value max_execution_time 0
"""


def start_apache(state: Path, port: int) -> subprocess.Popen:
    ap = state / "apache"
    ap.mkdir()
    conf = ap / "httpd.conf"  # Apache wants an absolute -f path
    conf.write_text(apache_conf(state, port))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    common._run(["/usr/sbin/apache2", "-t", "-f", str(conf)], env=env)
    proc = common._start(
        "apache",
        ["/usr/sbin/apache2", "-f", str(conf), "-DFOREGROUND"],
        state,
        user="root",
        env=env,
    )
    common._wait_port(port, "apache", proc)
    return proc


def prepare_dirs(state: Path) -> None:
    web = pwd.getpwnam(WEB_USER)
    for sub in ("db", "tmp", "tmp/sessions", "log"):
        d = state / sub
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, web.pw_uid, web.pw_gid)
    # php-net-dns2's file cache fatals on PHP 8 at the end of every request until its cache
    # file exists.
    cache = state / "tmp" / f"horde_dns.cache{socket.gethostname()}"
    cache.touch()
    os.chown(cache, web.pw_uid, web.pw_gid)


def _php(state: Path, *args: str, timeout: float = 120) -> str:
    """A PHP CLI run as the web server's user (the SQLite file and caches are its)."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": str(state / "tmp")}
    res = subprocess.run(
        ["php", "-d", f"sys_temp_dir={state / 'tmp'}", "-d", "display_errors=stderr", *args],
        user=WEB_USER,
        group=WEB_USER,
        extra_groups=[],
        capture_output=True,
        text=True,
        env=env,
        cwd=state / "tmp",
        timeout=timeout,
    )
    if res.returncode != 0:
        raise HarnessError(
            f"php {Path(args[0]).name} {' '.join(args[1:2])} failed ({res.returncode}): "
            f"{(res.stderr or res.stdout).strip()[-800:]}"
        )
    return res.stdout


def migrate(state: Path) -> None:
    """Create Horde's schema. ``content`` first: kronolith/turba/nag/mnemo need its tables and
    horde-db-migrate's own order leaves them half-built while still exiting 0."""
    _php(state, "/usr/bin/horde-db-migrate", "content", "up", timeout=300)
    _php(state, "/usr/bin/horde-db-migrate", timeout=300)
    db = state / "db" / "horde.sqlite"
    out = subprocess.run(
        ["php", "-r", f"$d = new PDO('sqlite:{db}'); echo implode(',', $d->query("
         "\"SELECT name FROM sqlite_master WHERE name LIKE 'kronolith_events'\")"
         "->fetchAll(PDO::FETCH_COLUMN));"],
        capture_output=True, text=True,
    )  # fmt: skip
    if "kronolith_events" not in out.stdout:
        raise HarnessError("Horde's schema is incomplete after horde-db-migrate")


def admin(state: Path, *args: str) -> dict:
    """Run scripts/interop/horde/admin.php (Horde's own APIs) and return its JSON answer.

    It runs from the state directory (copied there by ``up``): the web server's user may not
    be allowed into the checkout."""
    out = _php(state, str(state / "admin.php"), *args)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise HarnessError(f"admin.php {args[0]} printed no JSON: {out.strip()[-300:]}") from exc


def wait_options(url: str, proc: subprocess.Popen, user: User, timeout: float = 60.0) -> None:
    auth = base64.b64encode(f"{user.uid}:{user.password}".encode()).decode()
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"apache exited with {proc.returncode}; see apache.out")
        req = urllib.request.Request(
            url, method="OPTIONS", headers={"Authorization": f"Basic {auth}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                if resp.headers.get("MS-ASProtocolVersions"):
                    return
                last = f"HTTP {resp.status} without MS-ASProtocolVersions"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise HarnessError(f"Horde's OPTIONS did not answer within {timeout:.0f} s: {last}")


# --- mail ------------------------------------------------------------------------------------


def deliver(ports: dict[str, int], user: User, message: bytes, mailbox: str = "INBOX") -> None:
    """Put a message into a mailbox (IMAP APPEND)."""
    with imap_session(ports, user) as imap:
        typ, data = imap.append(common._quote(mailbox), None, None, message)
        if typ != "OK":
            raise HarnessError(f"APPEND to {mailbox} failed: {data!r}")


def seed_mail(ports: dict[str, int]) -> dict[str, list[str]]:
    seeded: dict[str, list[str]] = {}
    for user in USERS:
        subjects = []
        with imap_session(ports, user) as imap:
            for n in range(1, SEED_COUNTS[user.uid] + 1):
                typ, data = imap.append("INBOX", None, None, make_message(user, n))
                if typ != "OK":
                    raise HarnessError(f"APPEND failed for {user.uid}: {data!r}")
                subjects.append(f"Seed {n} for {user.uid}")
        seeded[user.uid] = subjects
    return seeded


# --- up / down -------------------------------------------------------------------------------


def up(state: Path, *, install_packages: bool = True) -> Harness:
    if os.geteuid() != 0:
        raise CannotInstall("needs root: installs packages and starts daemons")
    t0 = time.monotonic()
    if install_packages:
        install()
    elif missing := missing_packages():
        raise CannotInstall(f"packages not installed: {' '.join(missing)}")
    t_install = time.monotonic() - t0
    if (state / "harness.json").exists():
        down(state)
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    os.chmod(state, 0o755)
    names = ["imap", "http"]
    ports = dict(zip(names, common._free_ports(len(names)), strict=True))
    url = f"http://127.0.0.1:{ports['http']}/Microsoft-Server-ActiveSync"
    h = Harness(
        dir=str(state),
        url=url,
        ports=ports,
        users=[asdict(u) for u in USERS],
        settings={
            "version": EAS_VERSION,
            "heartbeat_min": HEARTBEAT_MIN,
            "heartbeat_max": HEARTBEAT_MAX,
            "heartbeat_default": HEARTBEAT_DEFAULT,
            "wait_interval": WAIT_INTERVAL,
            "workers": WORKERS,
        },
    )
    h.save()
    t1 = time.monotonic()
    try:
        prepare_dirs(state)
        shutil.copy(PHP_DIR / "admin.php", state / "admin.php")
        os.chmod(state / "admin.php", 0o644)
        install_links(h, write_config(state, ports))
        proc = start_dovecot(state, ports["imap"])
        h.pids["dovecot"] = proc.pid
        h.markers["dovecot"] = str(state / "dovecot" / "dovecot.conf")
        h.save()
        h.seeded = seed_mail(ports)
        migrate(state)
        admin(state, "perms")
        pim: dict[str, dict] = {}
        for user in USERS:
            pim[user.uid] = admin(state, "seed", user.uid)
        for user in USERS:
            h.seeded[f"{user.uid}:pim"] = [
                title.format(uid=user.uid) for title in SEED_PIM.values()
            ]
        proc = start_apache(state, ports["http"])
        h.pids["apache"] = proc.pid
        h.markers["apache"] = str(state / "apache" / "httpd.conf")
        h.save()
        wait_options(url, proc, USERS[0])
    except BaseException:
        h.save()
        down(state)
        raise
    h.timings = {"install_s": round(t_install, 2), "start_s": round(time.monotonic() - t1, 2)}
    h.save()
    _log(f"Horde up at {url} in {time.monotonic() - t1:.1f} s (state in {state})")
    return h


def _is_ours(pid: int, marker: str | None) -> bool:
    return common._is_ours(pid, marker)


def down(state: Path) -> None:
    """End the process groups ``up`` started (by the ids it recorded), remove the /etc links."""
    try:
        h = Harness.load(state)
    except FileNotFoundError:
        return
    # Apache's SIGTERM ends the children at once (a parked Ping included); the state is
    # thrown away.
    stops = {"apache": (signal.SIGTERM, 5.0), "dovecot": (signal.SIGTERM, 5.0)}
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
        while time.monotonic() < deadline and common._group_alive(pid):
            time.sleep(0.05)
        if common._group_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
    h.pids = {}
    h.markers = {}
    remove_links(h)
    h.save()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="horde-harness", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["up", "down", "install", "admin"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state directory")
    parser.add_argument(
        "--no-install", action="store_true", help="fail instead of installing packages"
    )
    parser.add_argument("args", nargs="*", help="for admin: admin.php's command and arguments")
    args = parser.parse_args(argv)
    try:
        if args.action == "install":
            install()
        elif args.action == "up":
            h = up(args.dir, install_packages=not args.no_install)
            print(json.dumps({"url": h.url, "dir": h.dir, "timings": h.timings}))
        elif args.action == "admin":
            print(json.dumps(admin(args.dir, *args.args)))
        else:
            down(args.dir)
    except CannotInstall as exc:
        print(f"horde-harness: cannot run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_INSTALL
    except (HarnessError, imaplib.IMAP4.error, OSError, subprocess.SubprocessError) as exc:
        print(f"horde-harness: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
