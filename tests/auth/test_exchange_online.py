"""The exchange-online personality (Bearer only, 16.1 only, Find advertised) and what `eas check`
says about it: Basic refused in plain words, the 16.1-only offer, and the token's audience,
scopes and expiry (never the token)."""

from __future__ import annotations

import json
import sys

import pytest

from easclient.mock import MockConfig, MockServer, parse_users

from .conftest import eas


@pytest.fixture
def exo(tmp_path):
    """An exchange-online mock and its token issuer (in this process)."""
    server = MockServer(
        MockConfig(
            users=tuple(parse_users("alice@contoso.test:alice-pw")),
            personality="exchange-online",
            tls=True,
            heartbeat_min=1,
        )
    )
    handle = server.start_in_thread()
    try:
        yield handle, server.app.state.auth.tokens
    finally:
        handle.stop()


def _steps(stdout: str) -> dict:
    return {s["name"]: s for s in json.loads(stdout)["steps"]}


def test_basic_against_exchange_online_is_explained(exo) -> None:
    handle, _ = exo
    r = eas(
        "check", handle.url, "-u", "alice@contoso.test", "--ca-file", handle.ca_file, "--json",
        env={"EAS_PASSWORD": "alice-pw"},
    )  # fmt: skip
    assert r.returncode == 1
    step = _steps(r.stdout)["options"]
    assert step["result"] == "fail"
    assert "this server refuses Basic; it offers only Bearer (OAuth)" in step["detail"]
    assert "--auth oauth" in step["fix"]
    assert "alice-pw" not in r.stdout


def test_bearer_token_from_a_command_and_its_claims(exo, tmp_path) -> None:
    handle, tokens = exo
    token, _ = tokens.access_token("alice@contoso.test", "app-id", "EAS.AccessAsUser.All")
    script = tmp_path / "mint.py"
    script.write_text(f"print({json.dumps({'access_token': token, 'expires_in': 3600})!r})\n")
    r = eas(
        "check", handle.url, "--auth", "bearer", "-u", "alice@contoso.test",
        "--token-command", f"{sys.executable} {script}",
        "--ca-file", handle.ca_file, "--json", "--ping-heartbeat", "1",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout
    steps = _steps(r.stdout)
    assert steps["token"]["result"] == "pass"
    assert "audience https://outlook.office365.com" in steps["token"]["detail"]
    assert "scopes EAS.AccessAsUser.All" in steps["token"]["detail"]
    assert "user alice@contoso.test" in steps["token"]["detail"]
    assert "expires " in steps["token"]["detail"]
    assert "only 16.1 offered (as Exchange Online): using 16.1" in steps["options"]["detail"]
    assert "Find" in steps["options"]["data"]["commands"]
    assert steps["ping"]["result"] == "pass"
    assert token not in r.stdout and token.split(".")[1] not in r.stdout


def test_a_token_without_the_scope_is_named(exo, tmp_path) -> None:
    handle, tokens = exo
    token, _ = tokens.access_token("alice@contoso.test", "app-id", "Mail.Read")
    r = eas(
        "check", handle.url, "--auth", "bearer", "--token-env", "TK",
        "-u", "alice@contoso.test", "--ca-file", handle.ca_file, "--json",
        env={"TK": token},
    )  # fmt: skip
    assert r.returncode == 1
    steps = _steps(r.stdout)
    assert "lacks the EAS.AccessAsUser.All scope" in steps["token"]["detail"]
    assert "the bearer token was refused (insufficient scope)" in steps["options"]["detail"]


def test_a_device_stopping_at_14_1_is_told_why(exo) -> None:
    handle, tokens = exo
    token, _ = tokens.access_token("alice@contoso.test", "app-id", "EAS.AccessAsUser.All")
    r = eas(
        "check", handle.url, "--token-env", "TK", "-u", "alice@contoso.test",
        "--profile", "android-ics", "--ca-file", handle.ca_file, "--json",
        env={"TK": token},
    )  # fmt: skip
    assert r.returncode == 1
    step = _steps(r.stdout)["options"]
    assert "The server offers only 16.x, as Exchange Online does." in step["why"]
    assert "speaks 16.1" in step["fix"]
