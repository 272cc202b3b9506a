"""Mutual TLS: the mock requires a certificate from its CA; the transport and the CLI present
one with --client-cert, and `eas check` says in plain words when none was presented."""

from __future__ import annotations

import json

import pytest

from easclient.client import HttpxTransport, NetworkError
from easclient.client.auth import BasicAuth
from easclient.errors import EasError
from easclient.protocol import build_options_request

from .conftest import eas

pytestmark = pytest.mark.eas_mock(tls=True, require_client_cert=True)


def test_transport_presents_the_client_certificate(eas_mock_server) -> None:
    server = eas_mock_server
    assert server.client_cert and server.ca_file
    auth = BasicAuth(server.user.name, server.user.password)
    with HttpxTransport(
        server.url, auth=auth, ca_file=server.ca_file, client_cert=server.client_cert
    ) as tr:
        assert tr.send(build_options_request()).status_code == 200
    with (
        HttpxTransport(server.url, auth=auth, ca_file=server.ca_file) as tr,
        pytest.raises(NetworkError),
    ):
        tr.send(build_options_request())


def test_unreadable_client_certificate_is_one_error(tmp_path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(EasError, match="not a PEM certificate and key"):
        HttpxTransport("https://127.0.0.1:9", client_cert=str(bad))
    with pytest.raises(EasError, match="no such file"):
        HttpxTransport("https://127.0.0.1:9", client_cert=str(tmp_path / "missing.pem"))


def test_cli_options_with_client_certificate(eas_mock_server) -> None:
    server = eas_mock_server
    common = ["options", server.url, "-u", "alice", "--ca-file", server.ca_file, "--json"]
    env = {"EAS_PASSWORD": server.user.password}
    r = eas(*common, "--client-cert", server.client_cert, env=env)
    assert r.returncode == 0, r.stderr
    assert "16.1" in json.loads(r.stdout)["versions"]
    r = eas(*common, "--auth", "certificate", env=env)
    assert r.returncode == 2
    assert r.stderr == "eas: error: --auth certificate needs --client-cert PEM\n"


def test_check_reports_a_missing_client_certificate(eas_mock_server) -> None:
    server = eas_mock_server
    env = {"EAS_PASSWORD": server.user.password}
    args = ["check", server.url, "-u", "alice", "--ca-file", server.ca_file, "--json"]
    r = eas(*args, "--ping-heartbeat", "1", env=env)
    assert r.returncode == 1
    step = {s["name"]: s for s in json.loads(r.stdout)["steps"]}["tls-client-cert"]
    assert step["result"] == "fail"
    assert "requires a client certificate" in step["detail"]
    assert "--client-cert" in step["fix"]
    r = eas(*args, "--ping-heartbeat", "1", "--client-cert", server.client_cert, env=env)
    assert r.returncode == 0, r.stdout
    steps = {s["name"]: s for s in json.loads(r.stdout)["steps"]}
    assert steps["tls-client-cert"]["result"] == "pass"
    assert steps["ping"]["result"] == "pass"
