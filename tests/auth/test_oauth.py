"""OAuth sign-in through MSAL itself against the mock identity provider over TLS: the device code
flow (approved through the control API), the authorization code flow with PKCE on a loopback
redirect (the "browser" step done with httpx), silent renewal before expiry and on a 401, an
expired refresh token in one line, and the CLI end to end without a token in its output."""

from __future__ import annotations

import json
import re
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from easclient.client import DeviceState, EasClient, HttpxTransport, get_profile
from easclient.client.auth import AuthError, RefreshingBearerAuth, jwt_claims
from easclient.client.oauth import MsalTokenSource, OAuthSettings
from easclient.mock import MockConfig, MockServer, parse_users

from .conftest import ROOT

USER = "alice@contoso.test"
APP = "11111111-2222-3333-4444-555555555555"  # a test app registration id


@pytest.fixture
def exo():
    server = MockServer(
        MockConfig(
            users=tuple(parse_users(f"{USER}:alice-pw")),
            personality="exchange-online",
            tls=True,
            heartbeat_min=1,
            token_lifetime=3600,
        )
    )
    handle = server.start_in_thread()
    try:
        yield handle, server.app.state.auth.tokens
    finally:
        handle.stop()


def _ca(handle) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=handle.ca_file)


def _control(handle, path: str, payload: dict | None = None) -> dict:
    r = httpx.post(
        f"{handle.url}/_mock/idp/{path}",
        json=payload or {},
        headers={"Authorization": f"Bearer {handle.control_token}"},
        verify=_ca(handle),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _approver(handle):
    """A `say` that approves the device code it is shown, as the user would elsewhere."""
    shown: list[str] = []

    def say(message: str) -> None:
        shown.append(message)
        code = re.search(r"enter the code (\w+)", message)
        if code:
            assert _control(handle, "approve", {"user_code": code.group(1), "user": USER})[
                "approved"
            ]

    return say, shown


def _settings(handle, **kw) -> OAuthSettings:
    return OAuthSettings(
        client_id=APP,
        authority=f"{handle.url}/_idp/contoso",
        ca_file=handle.ca_file,
        login_hint=USER,
        **kw,
    )


def _folder_sync(handle, auth) -> int:
    with (
        HttpxTransport(handle.url, auth=auth, ca_file=handle.ca_file) as tr,
        DeviceState(":memory:") as state,
    ):
        client = EasClient(
            tr, user=USER, profile=get_profile("iphone"), device_id="OAUTH1", state=state
        )
        client.provision()
        return len(client.folder_sync())


def test_device_code_flow_signs_in_and_caches(exo, tmp_path) -> None:
    handle, _ = exo
    say, shown = _approver(handle)
    cache = tmp_path / "tokens.json"
    source = MsalTokenSource(_settings(handle, device_code=True), cache, say=say)
    token = source.access_token()
    claims = jwt_claims(token)
    assert claims["upn"] == USER and "EAS.AccessAsUser.All" in claims["scp"]
    assert any("enter the code" in m for m in shown)
    assert _folder_sync(handle, RefreshingBearerAuth(source)) > 0
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    # The next run signs in silently from the cache (asking the user would fail here).
    again = MsalTokenSource(_settings(handle, device_code=True), cache, interactive=False)
    assert again.access_token() == token


def test_pkce_flow_through_a_scripted_browser(exo, tmp_path) -> None:
    handle, _ = exo
    seen: dict[str, str] = {}

    def browser(url: str) -> None:
        seen["auth_uri"] = url
        with httpx.Client(verify=_ca(handle)) as web:
            r = web.get(url)  # the sign-in page asks for credentials
            assert r.status_code == 401
            r = web.get(url, auth=(USER, "alice-pw"))
            assert r.status_code == 302
            back = r.headers["location"]
            assert back.startswith("http://localhost:") and "code=" in back
            assert httpx.get(back).status_code == 200  # the loopback listener

    source = MsalTokenSource(_settings(handle), tmp_path / "t.json", open_url=browser)
    token = source.access_token()
    assert jwt_claims(token)["upn"] == USER
    assert "code_challenge_method=S256" in seen["auth_uri"]
    assert _folder_sync(handle, RefreshingBearerAuth(source)) > 0


def test_pkce_verifier_is_checked(exo) -> None:
    handle, _ = exo
    base = f"{handle.url}/_idp/contoso/oauth2/v2.0"
    params = {
        "client_id": APP,
        "response_type": "code",
        "redirect_uri": "http://localhost:9/",
        "scope": "offline_access",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    with httpx.Client(verify=_ca(handle)) as web:
        r = web.get(f"{base}/authorize", params=params, auth=(USER, "alice-pw"))
        code = httpx.URL(r.headers["location"]).params["code"]
        form = {
            "grant_type": "authorization_code",
            "client_id": APP,
            "code": code,
            "redirect_uri": "http://localhost:9/",
            "code_verifier": "not-the-verifier",
        }
        r = web.post(f"{base}/token", data=form)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_renewal_before_expiry_and_on_a_401(tmp_path) -> None:
    # Access tokens of 2 minutes: MSAL renews any that has less than 5 minutes left.
    server = MockServer(
        MockConfig(
            users=tuple(parse_users(f"{USER}:alice-pw")),
            personality="exchange-online",
            tls=True,
            token_lifetime=120,
        )
    )
    handle = server.start_in_thread()
    tokens = server.app.state.auth.tokens
    try:
        say, _ = _approver(handle)
        source = MsalTokenSource(_settings(handle, device_code=True), tmp_path / "t", say=say)
        first = source.access_token()
        second = source.access_token()
        assert second != first and tokens.refreshed == 1
    finally:
        handle.stop()


def test_renewal_on_a_401(exo, tmp_path) -> None:
    handle, tokens = exo
    say, _ = _approver(handle)
    source = MsalTokenSource(_settings(handle, device_code=True), tmp_path / "t", say=say)
    source.access_token()
    # The server stops taking the tokens it issued: one 401, one renewal, then served.
    _control(handle, "revoke-access-tokens")
    auth = RefreshingBearerAuth(source)
    assert _folder_sync(handle, auth) > 0
    assert auth.refreshed_on_401 == 1 and tokens.refreshed == 1


def test_expired_refresh_token_is_one_clear_line(exo, tmp_path) -> None:
    handle, _ = exo
    say, _ = _approver(handle)
    source = MsalTokenSource(_settings(handle, device_code=True), tmp_path / "t", say=say)
    source.access_token()
    assert _control(handle, "expire-refresh-tokens")["expired"] == 1
    _control(handle, "revoke-access-tokens")
    with pytest.raises(AuthError) as err:
        _folder_sync(handle, RefreshingBearerAuth(source))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("the saved sign-in was refused (invalid_grant: AADSTS700082")
    assert "sign in again" in message


def test_cli_device_code_sign_in_then_silent(exo, tmp_path) -> None:
    handle, _ = exo
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin"}
    args = [
        sys.executable, "-m", "easclient.cli", "sync", handle.url, "-u", USER,
        "--auth", "oauth", "--device-code", "--client-id", APP,
        "--authority", f"{handle.url}/_idp/contoso", "--ca-file", handle.ca_file,
        "--state", str(tmp_path / "dev.sqlite3"), "--json",
    ]  # fmt: skip
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    err_lines: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            code = re.search(r"enter the code (\w+)", line)
            if code:
                _control(handle, "approve", {"user_code": code.group(1), "user": USER})

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        # stderr is the reader's alone (communicate() would read it too, and could take the
        # line with the code before the reader sees it); the --json output is small.
        proc.wait(timeout=120)
        assert proc.stdout is not None
        out = proc.stdout.read()
    finally:
        proc.kill()
    reader.join(10)
    assert proc.returncode == 0, "".join(err_lines)
    assert json.loads(out)
    cache = tmp_path / "dev.oauth.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    # Again: silent, from the cache beside the device state; no token in the output.
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "enter the code" not in r.stderr
    refresh = json.loads(Path(cache).read_text())["RefreshToken"]
    secrets = [v["secret"] for v in refresh.values()]
    secrets += [v["secret"] for v in json.loads(cache.read_text())["AccessToken"].values()]
    for secret in secrets:
        assert secret not in r.stdout + r.stderr + out + "".join(err_lines)
    # The sign-in expired: one line, exit 2.
    _control(handle, "expire-refresh-tokens")
    _control(handle, "revoke-access-tokens")
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "AADSTS700082" in r.stderr, r.stderr
    assert "sign in again" in r.stderr
