"""Paraphraser against a stub OpenAI-compatible server on 127.0.0.1."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from longtail.augment import Paraphraser
from longtail.errors import LongtailError


class _Stub(BaseHTTPRequestHandler):
    mode = "ok"
    requests: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.mode == "slow":
            time.sleep(0.6)
        if self.mode == "error":
            self._send(500, b'{"error": "model not loaded"}')
            return
        text = body["messages"][-1]["content"]
        content = f' "{text.upper()} (v{body["seed"] % 7})" '
        reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        if self.mode == "garbled":
            reply = {"unexpected": True}
        if self.mode == "empty":
            reply["choices"][0]["message"]["content"] = "  "
        self._send(200, json.dumps(reply).encode())

    def _send(self, code, payload):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except BrokenPipeError:  # the client gave up (timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Stub.mode, _Stub.requests = "ok", []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_paraphrases_in_order_with_seeded_requests(server):
    para = Paraphraser(server + "/", model="tiny", temperature=0.5, api_key="k")
    texts = [f"title {i}" for i in range(6)]
    first = para.augment(texts, 0)
    assert [t.split(" (v")[0] for t in first] == [t.upper() for t in texts]  # quotes and spaces stripped
    assert para.augment(texts, 0) == first
    request = _Stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    assert request["body"]["model"] == "tiny" and request["body"]["temperature"] == 0.5
    assert request["body"]["messages"][0]["role"] == "system"


def test_off_by_default(monkeypatch):
    monkeypatch.delenv("LONGTAIL_LLM_URL", raising=False)
    para = Paraphraser()
    assert not para.enabled
    with pytest.raises(LongtailError, match="paraphrasing is off"):
        para.augment(["a"], 0)


def test_url_from_environment(monkeypatch, server):
    monkeypatch.setenv("LONGTAIL_LLM_URL", server)
    assert Paraphraser().augment(["x"], 1)[0].startswith("X")


@pytest.mark.parametrize(
    "mode, message", [("error", "HTTP 500"), ("garbled", "not a chat completion"), ("empty", "empty")]
)
def test_bad_replies_raise_with_the_url(server, mode, message):
    _Stub.mode = mode
    with pytest.raises(LongtailError, match=message) as info:
        Paraphraser(server).augment(["a"], 0)
    assert f"{server}/v1/chat/completions" in str(info.value)


def test_timeout_and_refused_connection(server):
    _Stub.mode = "slow"
    with pytest.raises(LongtailError, match="timeout"):
        Paraphraser(server, timeout=0.2).augment(["a"], 0)
    with pytest.raises(LongtailError, match="127.0.0.1:9/v1"):
        Paraphraser("http://127.0.0.1:9", timeout=1).augment(["a"], 0)


def test_bad_parameters():
    with pytest.raises(ValueError, match="timeout"):
        Paraphraser("http://x", timeout=0)
    with pytest.raises(ValueError, match="max_workers"):
        Paraphraser("http://x", max_workers=0)
