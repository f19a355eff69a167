"""The service as a real uvicorn process: events survive SIGKILL, SIGTERM drains, `longtail monitor --once` reads it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from typer.testing import CliRunner

from longtail.cli.main import app as cli
from longtail.models.recommend import MostPopular
from longtail.serve.export import build_model_dir, index_interactions
from longtail.serve.journal import Journal

pytestmark = pytest.mark.slow
TOKEN = "process-token"
# uvicorn re-raises the signal it caught once its graceful shutdown is done
CLEAN_EXIT = (0, -signal.SIGTERM)
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(model_dir, journal, log):
    """``longtail serve`` on 127.0.0.1 and a free port; yields (process, base URL) once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "longtail.cli.main", "serve", str(model_dir), "--port", str(port),
               "--journal", str(journal), "--token", TOKEN, "--log-level", "warning", "--drain", "5"]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not start in {START_TIMEOUT} s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def popular_dir(shop, tmp_path_factory):
    ix = index_interactions(shop)
    model = MostPopular().fit(ix.users, ix.items, ix.n_users, ix.n_items)
    return build_model_dir(tmp_path_factory.mktemp("process") / "model", shop, model)


def batch(n: int, start: int) -> dict:
    return {"events": [{"type": ["impression", "click", "purchase"][i % 3], "user_id": (start + i) % 6 + 1,
                        "item_id": [10, 20, 40, 60][i % 4], "request_id": f"r{start + i}"} for i in range(n)]}


def post_until_refused(url: str, worker: int, acknowledged: list, lock: threading.Lock) -> None:
    """Post event batches until the server stops answering; record the request ids of acknowledged events."""
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as session:
        for b in range(500):
            try:
                response = session.post(url + "/events", json=batch(20, 100_000 * (worker + 1) + 20 * b))
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                with lock:
                    acknowledged.extend(f"r{100_000 * (worker + 1) + 20 * b + i}" for i in range(20))


def stored_request_ids(journal) -> list[str]:
    stored = Journal(journal)
    ids = [e.request_id for e in stored.read()]
    stored.close()
    return ids


def test_events_survive_sigkill_replay_and_sigterm_drains(popular_dir, tmp_path):
    """One server killed with SIGKILL after events were acknowledged, a second one stopped with SIGTERM under load."""
    journal, log = tmp_path / "events.sqlite", tmp_path / "log.txt"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    accepted = []
    with server(popular_dir, journal, log) as (process, url):
        for b in range(10):
            response = httpx.post(url + "/events", json=batch(30, 30 * b), headers=headers, timeout=10)
            assert response.status_code == 200
            accepted += [f"r{30 * b + i}" for i in range(30)]
        assert httpx.post(url + "/recommend", json={"user_id": 1, "k": 3}, headers=headers).status_code == 200
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    assert sorted(stored_request_ids(journal)) == sorted(accepted)

    with server(popular_dir, journal, log) as (process, url):
        # the restarted service counts the journal's window again
        stats = httpx.get(url + "/stats", headers=headers).json()
        assert stats["events"]["counts"] == {"impression": 100, "click": 100, "purchase": 100}
        result = CliRunner().invoke(cli, ["monitor", url, "--token", TOKEN, "--once"], env={"COLUMNS": "160"})
        assert result.exit_code == 0, result.output
        assert "served exposure" in result.output and "events by item popularity" in result.output
        denied = CliRunner().invoke(cli, ["monitor", url, "--once"], env={"LONGTAIL_TOKEN": ""})
        assert denied.exit_code == 2 and "bearer token" in denied.output

        acknowledged, lock = [], threading.Lock()
        threads = [threading.Thread(target=post_until_refused, args=(url, w, acknowledged, lock)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) in CLEAN_EXIT
        for t in threads:
            t.join(timeout=30)
    assert len(acknowledged) >= 200
    assert_checkpointed(journal)
    stored = stored_request_ids(journal)
    assert set(accepted) | set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))


def assert_checkpointed(journal):
    """The lifespan's shutdown ran: the journal folded its WAL back into the database and closed."""
    wal = journal.with_name(journal.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_serve_command_reports_a_bad_model_dir(tmp_path):
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such model folder" in result.output


def test_monitor_reports_unreachable_and_bad_urls():
    port = free_port()
    result = CliRunner().invoke(cli, ["monitor", f"http://127.0.0.1:{port}", "--once"])
    assert result.exit_code == 2 and "cannot reach the service" in result.output
    result = CliRunner().invoke(cli, ["monitor", "ftp://example", "--once"])
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
