"""Paraphrasing through a local OpenAI-compatible chat endpoint.

Off by default: nothing calls a model unless a base URL is given (argument or
``LONGTAIL_LLM_URL``). Each text is one ``POST {base_url}/v1/chat/completions``
request; the request carries a seed drawn from ``rng`` so servers that honour
it give repeatable output.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from longtail.augment._checks import as_generator, check_count, check_positive
from longtail.errors import LongtailError

URL_ENV = "LONGTAIL_LLM_URL"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PROMPT = (
    "Rewrite the product title you are given with different wording but the same meaning and the same "
    "product facts (brand, size, colour, quantity). Reply with the new title only."
)


class Paraphraser:
    """Text augmenter that asks a chat model for one paraphrase per text.

    Errors (refused connection, timeout, HTTP error, malformed reply) raise
    :class:`~longtail.errors.LongtailError` naming the URL.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        model: str = "default",
        system_prompt: str = DEFAULT_PROMPT,
        temperature: float = 0.7,
        max_tokens: int = 128,
        timeout: float = 30.0,
        max_workers: int = 4,
        api_key: str | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get(URL_ENV) or "").rstrip("/") or None
        self.model = model
        self.system_prompt = system_prompt
        self.temperature = check_positive("temperature", temperature, allow_zero=True)
        self.max_tokens = check_count("max_tokens", max_tokens)
        self.timeout = check_positive("timeout", timeout)
        self.max_workers = check_count("max_workers", max_workers)
        self.api_key = api_key

    @property
    def enabled(self) -> bool:
        """Whether an endpoint is configured."""
        return self.base_url is not None

    @property
    def url(self) -> str:
        """The chat-completions URL requests go to."""
        if self.base_url is None:
            raise LongtailError(
                f"paraphrasing is off: no endpoint configured; pass base_url= or set {URL_ENV} "
                "to a local OpenAI-compatible server (e.g. http://127.0.0.1:8000)"
            )
        return f"{self.base_url}/v1/chat/completions"

    def augment(self, texts: Sequence[str], rng: np.random.Generator | int) -> list[str]:
        """One paraphrase per text, in order (requests run ``max_workers`` at a time)."""
        url = self.url
        seeds = as_generator(rng).integers(0, 2**31 - 1, size=len(texts))
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            return list(pool.map(lambda pair: self._paraphrase(url, *pair), zip(texts, seeds.tolist())))

    def _paraphrase(self, url: str, text: str, seed: int) -> str:
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self.system_prompt},
                {"role": "user", "content": text},
            ],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": seed,
            "n": 1,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
        # a local server must not be sent through a proxy configured for the outside world
        local = urllib.parse.urlsplit(url).hostname in _LOOPBACK
        handlers = [urllib.request.ProxyHandler({})] if local else []
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise LongtailError(f"paraphrase request to {url} failed with HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LongtailError(
                f"paraphrase request to {url} failed ({reason}); check the server is running "
                f"or raise timeout (now {self.timeout:g} s)"
            ) from exc
        try:
            content = json.loads(body)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LongtailError(
                f"paraphrase reply from {url} is not a chat completion ({body[:200]!r})"
            ) from exc
        paraphrase = str(content).strip().strip('"').strip()
        if not paraphrase:
            raise LongtailError(f"paraphrase reply from {url} is empty for text {text[:80]!r}")
        return paraphrase
