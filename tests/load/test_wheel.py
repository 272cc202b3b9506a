"""What a load worker on another machine gets: only the wheel. Build it, install it into a fresh
virtualenv outside the checkout, and run ``eas load --master`` with two ``eas load --worker``
processes from there (locust's master/worker mode on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import site
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .harness import Run

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv holding the built wheel; its other dependencies are this environment's
    (a path entry, not a site directory: the editable install's finder is not loaded there)."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(base / "dist"), str(ROOT)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    (wheel,) = (base / "dist").glob("easclient-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)  # ensurepip: offline, bundled
    py = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "_outer_deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return env_dir


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_the_wheel_holds_the_locust_side(wheel_venv, tmp_path):
    eas = str(wheel_venv / "bin" / "eas")
    r = subprocess.run(
        [eas, "load", "--locustfile"], capture_output=True, text=True, cwd=tmp_path,
        env=_clean_env(), timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path.is_file() and path.is_relative_to(wheel_venv), path
    assert not path.is_relative_to(ROOT)
    scenarios = {p.stem for p in (path.parent / "scenarios").glob("*.py")}
    assert {"direct_push", "nat_churn", "throttled"} <= scenarios


def test_master_and_two_workers_from_the_wheel(wheel_venv, tmp_path):
    eas = str(wheel_venv / "bin" / "eas")
    port = _free_port()
    env = _clean_env()
    out = tmp_path / "out"
    master = subprocess.Popen(
        [eas, "load", "--master", "--expect-workers", "2", "--master-bind-port", str(port),
         "--scenario", "direct-push", "--devices", "6", "--spawn-rate", "6", "--duration", "8",
         "--heartbeat-scale", "0.008", "--delivery-rate", "60", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [eas, "load", "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        stdout, stderr = master.communicate(timeout=150)
        for w in workers:
            w.communicate(timeout=30)
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
                p.wait()
    run = Run("wheel-master", master.returncode, stdout, stderr, out, 6)
    run.assert_clean()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2  # both workers' reports reached the master
    assert summary["devices_started"] == 6 and summary["devices_ready"] == 6
    assert summary["push_latency_ms"]["count"] >= 3
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]
