"""`eas check` end to end: the CLI against the mock EAS server over real HTTP(S) on 127.0.0.1,
directly, with a certificate for another name, behind a proxy that blocks OPTIONS, and through
the userspace NAT proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from easclient.check import CheckOptions, Result, parse_target
from easclient.check.demo import DemoSettings, run_demo
from easclient.check.session import check_url
from easclient.cli.groups import group
from easclient.netsim import NatProxyConfig, OnIdle, TlsBridge, start_in_thread

from .conftest import endpoint_at_path, options_blocking_proxy

app = group("diagnose")  # the diagnose commands only


def run(server, *args: str):
    """``eas check`` with the mock's first user; the password only in the environment."""
    user = server.user
    result = CliRunner().invoke(
        app,
        ["check", *args, "--user", user.name, "--password-env", "CHECK_PW"],
        env={"CHECK_PW": user.password},
        catch_exceptions=False,
    )
    return result


def steps(output: str) -> dict[str, dict]:
    return {s["name"]: s for s in json.loads(output)["steps"]}


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.eas_mock(tls=True)
def test_good_tls_every_step_passes(eas_mock_server, tmp_path) -> None:
    junit = tmp_path / "check.xml"
    url = f"https://localhost:{_port(eas_mock_server.url)}"
    r = run(
        eas_mock_server,
        url,
        "--ca-file",
        eas_mock_server.ca_file,
        "--ping-heartbeat",
        "1",
        "--json",
        "--junit",
        str(junit),
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "pass" and doc["ok"] is True
    by_name = {s["name"]: s for s in doc["steps"]}
    assert list(by_name) == [
        "dns",
        "tcp",
        "tls",
        "tls-trust",
        "tls-name",
        "tls-dates",
        "options",
        "provision",
        "foldersync",
        "sync",
        "ping",
    ]
    assert all(s["result"] == "pass" for s in doc["steps"])
    assert "MS-Server-ActiveSync" in by_name["options"]["detail"]
    assert by_name["sync"]["data"]["items"] == 10
    assert by_name["ping"]["data"]["outcome"] == "no-changes"
    assert eas_mock_server.user.password not in r.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "11" and suite.get("failures") == "0"
    assert eas_mock_server.user.password not in junit.read_text()


@pytest.mark.eas_mock(tls=True, tls_names=("mail.internal.test",))
def test_certificate_for_another_name(eas_mock_server) -> None:
    url = f"https://localhost:{_port(eas_mock_server.url)}"
    r = run(eas_mock_server, url, "--ca-file", eas_mock_server.ca_file, "--json")
    assert r.exit_code == 1, r.output
    s = steps(r.stdout)
    assert s["tls-name"]["result"] == "fail"
    assert s["tls-name"]["detail"] == (
        "the certificate names mail.internal.test but the device asked for localhost"
    )
    assert s["tls-trust"]["result"] == "pass"
    # devices stop at TLS, so the EAS steps say so rather than fail on their own
    assert s["options"]["result"] == "skip" and "TLS" in s["options"]["detail"]
    # --insecure reports the same finding without requiring it, and checks EAS on
    r = run(eas_mock_server, url, "--insecure", "--ping-heartbeat", "1", "--json")
    s = steps(r.stdout)
    assert s["tls-name"]["result"] == "fail" and s["tls-name"]["required"] is False
    assert s["ping"]["result"] == "pass"
    assert r.exit_code == 0, r.output


def test_options_blocked_by_a_proxy(eas_mock_server) -> None:
    upstream = ("127.0.0.1", _port(eas_mock_server.url))
    with options_blocking_proxy(upstream) as proxy:
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        r = run(eas_mock_server, url, "--ping-heartbeat", "1", "--json")
    assert r.exit_code == 1, r.output
    assert len(proxy.blocked_heads) == 1
    s = steps(r.stdout)
    assert s["options"]["result"] == "fail"
    assert "OPTIONS blocked by a proxy" in s["options"]["detail"]
    assert "MS-Server-ActiveSync" in s["options"]["fix"]
    # devices go on with a fallback version, and so does the check: the rest works
    for name in ("provision", "foldersync", "sync", "ping"):
        assert s[name]["result"] == "pass", s[name]
    assert s["tls"]["result"] == "warn"  # plain http://


@pytest.mark.parametrize(
    ("on_idle", "outcome", "words"),
    [(OnIdle.DROP, "blackhole", "black hole"), (OnIdle.RESET, "reset", "reset")],
)
def test_ping_through_a_nat_that_forgets(eas_mock_server, on_idle, outcome, words) -> None:
    cfg = NatProxyConfig(
        target_host="127.0.0.1",
        target_port=_port(eas_mock_server.url),
        idle_timeout=1.0,
        on_idle=on_idle,
    )
    with start_in_thread(cfg) as nat:
        target = parse_target(f"http://127.0.0.1:{nat.port}")
        options = CheckOptions(
            user=eas_mock_server.user.name,
            password=eas_mock_server.user.password,
            ping_heartbeat=3,
            ping_margin=1.0,
        )
        report = check_url(target, options)
    ping = report.step("ping")
    assert ping.result is Result.FAIL and ping.required
    assert ping.data["outcome"] == outcome and words in ping.seen
    assert "idle timeout" in ping.fix and "KB905013" in ping.fix
    assert report.step("sync").result is Result.PASS  # quick requests get through
    assert report.exit_code == 1


def test_resolve_pins_every_request_to_the_cached_address(eas_mock_server) -> None:
    # The mock listens on 127.0.0.1 only; DNS for "localhost" says 127.0.0.1 too. Pin it to an
    # address where nothing listens: every EAS request must fail, proving they all use the pin.
    url = f"http://localhost:{_port(eas_mock_server.url)}"
    r = run(eas_mock_server, url, "--resolve", "localhost:127.0.0.9", "--json")
    s = steps(r.stdout)
    assert s["dns"]["result"] == "warn" and "127.0.0.9" in s["dns"]["detail"]
    assert s["tcp"]["result"] == "fail"
    assert s["options"]["result"] == "skip"
    r = run(eas_mock_server, url, "--resolve", "localhost:127.0.0.1", "--ping-heartbeat", "1")
    assert r.exit_code == 0, r.output
    assert "verdict: WARN" in r.stdout  # plain http:// is a warning


@pytest.mark.eas_mock(tls=True, host="127.0.0.2")
def test_resolve_with_tls_uses_the_name_for_sni_and_host(eas_mock_server) -> None:
    url = f"https://localhost:{_port(eas_mock_server.url)}"
    r = run(
        eas_mock_server,
        url,
        "--resolve",
        "localhost:127.0.0.2",
        "--ca-file",
        eas_mock_server.ca_file,
        "--ping-heartbeat",
        "1",
        "--json",
    )
    s = steps(r.stdout)
    assert s["tcp"]["data"]["connections"][0]["address"] == "127.0.0.2"
    assert s["tls-name"]["result"] == "pass"
    assert all(s[n]["result"] == "pass" for n in ("options", "provision", "sync", "ping"))
    assert r.exit_code == 0, r.output


def test_without_user_the_eas_steps_say_why(eas_mock_server) -> None:
    url = eas_mock_server.url
    r = CliRunner().invoke(app, ["check", url, "--json"], catch_exceptions=False)
    s = steps(r.stdout)
    assert s["options"]["result"] == "warn" and "--user" in s["options"]["detail"]
    assert s["provision"]["result"] == "skip" and s["provision"]["required"] is False
    assert json.loads(r.stdout)["verdict"] == "warn"
    assert r.exit_code == 0  # not asked for, so not failed: the verdict says what was left out


def test_wrong_password_fails_with_401(eas_mock_server) -> None:
    r = CliRunner().invoke(
        app,
        ["check", eas_mock_server.url, "--user", "alice", "--json"],
        env={"EAS_PASSWORD": "wrong"},
        catch_exceptions=False,
    )
    s = steps(r.stdout)
    assert s["options"]["result"] == "fail" and "401" in s["options"]["detail"]
    assert s["provision"]["result"] == "skip"
    assert s["provision"]["detail"] == "authentication failed"
    assert r.exit_code == 1
    assert "wrong" not in r.stdout


def test_demo_with_small_numbers_reports_the_nat_finding() -> None:
    settings = DemoSettings(
        idle_timeout=1.0,
        ping_heartbeat=3,
        ping_margin=1.0,
        probe_min=1,
        probe_max=3,
        probe_lanes=3,
        probe_budget=10,
    )
    report = run_demo(settings=settings)
    assert report.notes and "1 s (drop)" in report.notes[0]
    assert report.step("sync").result is Result.PASS
    ping = report.step("ping")
    assert ping.result is Result.FAIL and ping.data["outcome"] == "blackhole"
    probe = report.step("heartbeat-probe")
    assert probe.data["failure_mode"] == "blackhole"
    assert probe.data["longest_surviving_heartbeat"] in (None, 1)
    assert report.exit_code == 1


def test_bad_input_is_one_line_on_stderr() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "easclient.cli",
            "check",
            "https://h.test",
            "--resolve",
            "h.test:nope",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"EAS_PASSWORD": "x", "PATH": ""},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "eas: error: --resolve 'h.test:nope': 'nope' is not an IP address"
    )


@pytest.mark.eas_mock(heartbeat_min=2)
def test_ping_below_the_server_minimum_follows_status_5(eas_mock_server) -> None:
    r = run(eas_mock_server, eas_mock_server.url, "--ping-heartbeat", "1", "--json")
    ping = steps(r.stdout)["ping"]
    assert ping["result"] == "pass", ping
    assert "from 1 s to its bound, 2 s" in ping["detail"]
    assert ping["data"]["heartbeat"] == 2 and ping["data"]["outcome"] == "no-changes"
    r = run(
        eas_mock_server,
        eas_mock_server.url,
        *("--ping-heartbeat", "1", "--ping-follow-max", "1", "--json"),
    )
    ping = steps(r.stdout)["ping"]
    assert ping["result"] == "pass" and "it allows 2 s; not held" in ping["detail"]


@pytest.mark.eas_mock(tls=True)
def test_a_firewall_that_bridges_tls_with_its_own_certificate(eas_mock_server) -> None:
    bridge = TlsBridge(
        hostnames=("firewall.internal.test",), upstream_ca_file=eas_mock_server.ca_file
    )
    cfg = NatProxyConfig(
        target_host="127.0.0.1", target_port=_port(eas_mock_server.url), tls=bridge
    )
    with start_in_thread(cfg) as nat:
        url = f"https://localhost:{nat.port}"
        r = run(eas_mock_server, url, "--ca-file", eas_mock_server.ca_file, "--json")
    s = steps(r.stdout)
    assert s["tls-trust"]["result"] == "fail"
    assert "easclient NAT proxy" in s["tls-trust"]["detail"]  # whose certificate it really is
    assert s["tls-name"]["detail"] == (
        "the certificate names firewall.internal.test but the device asked for localhost"
    )
    assert r.exit_code == 1


@pytest.mark.slow
def test_the_demonstration_from_the_command_line() -> None:
    r = CliRunner().invoke(app, ["check", "--json"], catch_exceptions=False)
    doc = json.loads(r.stdout)
    by_name = {s["name"]: s for s in doc["steps"]}
    assert "simulated NAT" in doc["notes"][0]
    for name in ("dns", "tcp", "tls", "tls-trust", "tls-name", "options", "provision", "sync"):
        assert by_name[name]["result"] == "pass", by_name[name]
    assert by_name["ping"]["result"] == "fail"
    assert by_name["ping"]["data"]["outcome"] == "blackhole"
    probe = by_name["heartbeat-probe"]["data"]
    assert abs(probe["longest_surviving_heartbeat"] - 4) <= 2  # the demo NAT forgets after 4 s
    assert doc["seconds"] < 60
    # The report fails on purpose; the demonstration itself held, says so, and exits 0.
    assert "demonstration held" in r.stderr
    assert r.exit_code == 0


def test_the_demonstration_fails_when_it_does_not_show_the_nat_finding() -> None:
    from easclient.check.demo import DemoSettings, demonstration_held
    from easclient.check.report import Report, Result, Step

    def report(ping_outcome: str, ping_result: Result, probe_found: int | None) -> Report:
        r = Report(target="demo")
        r.add(Step("options", "OPTIONS", Result.PASS, "ok"))
        r.add(Step("ping", "Ping", ping_result, "x", data={"outcome": ping_outcome}))
        r.add(
            Step(
                "heartbeat-probe",
                "Probe",
                Result.FAIL,
                "x",
                required=False,
                data={"longest_surviving_heartbeat": probe_found},
            )
        )
        return r

    s = DemoSettings()
    assert demonstration_held(report("blackhole", Result.FAIL, 4), s)[0]
    assert not demonstration_held(report("no-changes", Result.PASS, 4), s)[0]
    assert not demonstration_held(report("reset", Result.FAIL, 4), s)[0]
    held, line = demonstration_held(report("blackhole", Result.FAIL, 9), s)
    assert not held and "~4 s" in line
    broken = report("blackhole", Result.FAIL, 4)
    broken.steps[0].result = Result.FAIL
    assert demonstration_held(broken, s) == (
        False,
        "demonstration went wrong before the Ping: OPTIONS failed",
    )


def test_a_proxy_answering_504_during_the_ping(eas_mock_server) -> None:
    eas_mock_server.control.add_fault(action="http_status", command="Ping", status=504, seconds=0.0)
    r = run(eas_mock_server, eas_mock_server.url, "--ping-heartbeat", "1", "--json")
    ping = steps(r.stdout)["ping"]
    assert ping["result"] == "fail" and ping["data"]["outcome"] == "http-error"
    assert "reverse proxy" in ping["why"] and "timeout" in ping["fix"]
    assert r.exit_code == 1


def test_a_ping_woken_by_new_mail_passes(eas_mock_server) -> None:
    user = eas_mock_server.user.name
    deliver = threading.Timer(1.0, lambda: eas_mock_server.control.deliver(user, 1))
    deliver.start()
    try:
        started = time.monotonic()
        r = run(eas_mock_server, eas_mock_server.url, "--ping-heartbeat", "30", "--json")
    finally:
        deliver.cancel()
    ping = steps(r.stdout)["ping"]
    assert ping["result"] == "pass" and ping["data"]["outcome"] == "changes", ping
    assert time.monotonic() - started < 20  # woken, not held for the heartbeat


def test_no_password_without_a_terminal_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "check", "http://127.0.0.1:9", "--user", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={"PATH": ""},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "eas: error: no password: set EAS_PASSWORD, use --password-env VAR, or run on a terminal"
    )


@pytest.mark.parametrize("profile", ["android", "android-ics", "outlook", "windows-mobile"])
def test_every_device_profile_gets_through(eas_mock_server, profile) -> None:
    r = run(
        eas_mock_server,
        eas_mock_server.url,
        "--profile",
        profile,
        "--ping-heartbeat",
        "1",
        "--json",
    )
    s = steps(r.stdout)
    for name in ("options", "provision", "foldersync", "sync", "ping"):
        assert s[name]["result"] == "pass", (profile, s[name])
    assert r.exit_code == 0


def test_a_device_the_server_refuses_at_provision(eas_mock_server) -> None:
    eas_mock_server.control.add_fault(action="http_status", command="Provision", status=403)
    r = run(eas_mock_server, eas_mock_server.url, "--json")
    s = steps(r.stdout)
    assert s["options"]["result"] == "pass"
    assert s["provision"]["result"] == "fail" and "403" in s["provision"]["detail"]
    assert "quarantine" in s["provision"]["fix"]
    assert [s[n]["result"] for n in ("foldersync", "sync", "ping")] == ["skip"] * 3
    assert r.exit_code == 1


@pytest.mark.parametrize("standard_too", [False, True])
def test_an_endpoint_at_another_path(eas_mock_server, standard_too) -> None:
    upstream = ("127.0.0.1", _port(eas_mock_server.url))
    with endpoint_at_path(upstream, b"/SOGo", standard_too) as relay:
        url = f"http://127.0.0.1:{relay.server_address[1]}/SOGo/Microsoft-Server-ActiveSync"
        r = run(eas_mock_server, url, "--ping-heartbeat", "1", "--json")
    s = steps(r.stdout)
    for name in ("provision", "foldersync", "sync", "ping"):
        assert s[name]["result"] == "pass", s[name]  # every request went to the URL's path
    options = s["options"]
    if standard_too:
        assert options["result"] == "pass"
        assert "the standard path answers as well" in options["detail"]
    else:
        assert options["result"] == "warn"
        assert "/Microsoft-Server-ActiveSync answers HTTP 404" in options["detail"]
        assert "Devices cannot be given a path" in options["why"]
    assert r.exit_code == 0
