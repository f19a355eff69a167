"""`longtail serve` options (uvicorn.run replaced), and `longtail monitor` against a uvicorn server in a thread."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn
from serve_samples import TOKEN
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from longtail.cli.main import app as cli
from longtail.serve import ServeConfig, create_app


@pytest.fixture(scope="module")
def url(model_dir, tmp_path_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(model_dir, ServeConfig(token=TOKEN, journal=tmp_path_factory.mktemp("cli") / "events.sqlite"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for user in (1, 2, 999):
        httpx.post(base + "/recommend", json={"user_id": user, "k": 3, "region": "DE"}, headers=headers)
    httpx.post(base + "/events", json={"events": [{"type": "impression", "user_id": 1, "item_id": 10},
                                                  {"type": "click", "user_id": 1, "item_id": 10}]}, headers=headers)
    yield base
    server.should_exit = True
    thread.join(timeout=30)


def test_monitor_once_prints_the_snapshot(url):
    result = CliRunner().invoke(cli, ["monitor", url, "--once", "--token", TOKEN], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    stats = httpx.get(url + "/stats", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    out = result.output
    assert "served exposure" in out and "exposure mix" in out and "online training signals" in out
    assert f"{stats['exposure']['gini']:.3f}" in out
    assert "cold starts {'region': 1}" in out
    head = stats["events"]["by_popularity"]["head"]
    assert head["impressions"] == 1 and head["clicks"] == 1 and "100.0%" in out


def test_monitor_refreshes_a_bounded_number_of_times(url):
    result = CliRunner().invoke(cli, ["monitor", url, "--count", "2", "--interval", "0.2"], env={"LONGTAIL_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "served exposure" in result.output


@pytest.fixture
def captured_run(monkeypatch):
    """Replaces uvicorn.run: records the app and the options `longtail serve` would run it with."""
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    return calls


def test_serve_binds_loopback_port_8000_by_default_and_reads_the_token_from_the_environment(model_dir, tmp_path, captured_run):
    result = CliRunner().invoke(cli, ["serve", str(model_dir), "--journal", str(tmp_path / "j.sqlite")],
                                env={"LONGTAIL_TOKEN": "env-token"})
    assert result.exit_code == 0, result.output
    (app, options), = captured_run
    assert options["host"] == "127.0.0.1" and options["port"] == 8000
    assert options["timeout_graceful_shutdown"] == 10.0  # --drain
    assert "warning" not in result.output
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/stats").status_code == 401
        assert c.get("/stats", headers={"Authorization": "Bearer env-token"}).status_code == 200


def test_serve_warns_when_binding_elsewhere_without_a_token(model_dir, tmp_path, captured_run):
    result = CliRunner().invoke(cli, ["serve", str(model_dir), "--host", "0.0.0.0", "--port", "9100",
                                      "--journal", str(tmp_path / "j.sqlite")], env={"LONGTAIL_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert "binding to 0.0.0.0 without a token" in result.output
    (app, options), = captured_run
    assert options["host"] == "0.0.0.0" and options["port"] == 9100
    with TestClient(app) as c:
        assert c.get("/stats").status_code == 200  # no token: open, as warned
