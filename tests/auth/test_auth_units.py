"""The credentials on their own: --token-command, the refresh-once-on-401 flow, the parsing of
WWW-Authenticate and JWT payloads, and the CLI's one-line refusals."""

from __future__ import annotations

import json
import sys

import httpx
import pytest

from easclient.client.auth import (
    AuthError,
    CommandTokenSource,
    RefreshingBearerAuth,
    jwt_claims,
    offered_schemes,
)

from .conftest import eas


def _command(tmp_path, body: str) -> str:
    script = tmp_path / "mint.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


def test_token_command_reuses_until_expiry_and_reruns_on_refresh(tmp_path) -> None:
    counter = tmp_path / "n"
    cmd = _command(
        tmp_path,
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "print(json.dumps({'access_token': f'tok-{n}', 'expires_in': 3600}))\n",
    )
    now = [1000.0]
    source = CommandTokenSource(cmd, clock=lambda: now[0])
    assert source.access_token() == "tok-1"
    assert source.access_token() == "tok-1"  # still valid: not run again
    assert source.access_token(refresh=True) == "tok-2"  # refused by the server: run again
    now[0] += 3600 - 30  # within a minute of expiry
    assert source.access_token() == "tok-3"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("import sys; print('boom', file=sys.stderr); sys.exit(3)", "exited with status 3: 'boom'"),
        ("print()", "printed no token"),
        ("print('two words')", "printed no token"),
        ("print('{\"expires_in\": 5}')", "JSON without an access_token"),
    ],
)
def test_token_command_failures_are_one_line(tmp_path, body, message) -> None:
    with pytest.raises(AuthError) as err:
        CommandTokenSource(_command(tmp_path, body)).access_token()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_token_command_missing_program_and_timeout(tmp_path) -> None:
    with pytest.raises(AuthError, match="no such program"):
        CommandTokenSource("/nonexistent/mint-token").access_token()
    slow = _command(tmp_path, "import time; time.sleep(5)")
    with pytest.raises(AuthError, match=r"no token within 0\.5 s"):
        CommandTokenSource(slow, timeout=0.5).access_token()


class _Counting:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def access_token(self, *, refresh: bool = False) -> str:
        self.calls.append(refresh)
        return f"tok-{len(self.calls)}"


def test_a_401_gets_one_retry_with_a_new_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200)

    source = _Counting()
    auth = RefreshingBearerAuth(source)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get("https://h.test/").status_code == 200  # refused, renewed, served
        assert client.get("https://h.test/").status_code == 200
    assert seen == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
    assert source.calls == [False, True, False]
    assert auth.refreshed_on_401 == 1
    assert auth.secrets() == ("tok-1", "tok-2", "tok-3")
    assert "tok" not in repr(auth)


def test_offered_schemes_and_jwt_claims() -> None:
    assert offered_schemes('Bearer authorization_uri="https://x/a", error="invalid_token"') == [
        "bearer"
    ]
    assert offered_schemes('Basic realm="r", NTLM, Negotiate') == ["basic", "ntlm", "negotiate"]
    assert offered_schemes("") == []
    assert jwt_claims("not.a.jwt!") == {} and jwt_claims("opaque") == {}
    payload = "eyJhdWQiOiJ4In0"  # {"aud":"x"}
    assert jwt_claims(f"h.{payload}.s") == {"aud": "x"}


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--auth", "bearer"], "--auth bearer needs --token-env VAR or --token-command CMD"),
        (["--auth", "oauth"], "--auth oauth needs --client-id (your own app registration"),
        (["--client-key", "k.pem"], "--client-key k.pem: no such file"),
        (["--token-env", "A", "--token-command", "x"], "--token-env and --token-command: give one"),
        (["--proxy", "ftp://p:21"], "proxy must be http(s)://host:port"),
    ],
)
def test_cli_refusals_are_one_line(extra, line) -> None:
    r = eas(
        "sync", "https://127.0.0.1:9", "-u", "alice", *extra, env={"A": "t", "EAS_PASSWORD": "p"}
    )
    assert r.returncode == 2
    assert r.stderr.startswith("eas: error: ") and line in r.stderr
    assert r.stderr.count("\n") == 1


def test_check_json_refusal_for_a_missing_certificate_file() -> None:
    r = eas("check", "https://127.0.0.1:9", "--client-cert", "/nonexistent.pem", "--json")
    assert r.returncode == 2
    assert "--client-cert /nonexistent.pem: no such file" in r.stderr
    assert not r.stdout or json.loads(r.stdout)
