"""JSON over HTTP for the store clients, on the standard library's urllib.

A store pull is a handful of paged GETs and POSTs; urllib does that without a
dependency a hook would pay for. What a store client needs beyond a bare
request, and only that, lives here:

- every error names the source and the page (manual, "Pull from the trace
  store"): unreachable, refused credentials, a body that is not JSON;
- 429 and 503 are retried after the server's `Retry-After` (seconds or an
  HTTP date), capped so a misconfigured store cannot hold a CI job for hours;
- credentials travel in headers built from environment variables and are
  never part of a message.
"""

from __future__ import annotations

import base64
import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from failgate.findings import FailgateError

MAX_RETRIES = 5
MAX_RETRY_AFTER_S = 120.0  # one wait; a longer Retry-After is an outage, said as one
DEFAULT_RETRY_AFTER_S = 2.0


class SourceError(FailgateError):
    """A store pull that failed: the message names the source and the page."""


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return DEFAULT_RETRY_AFTER_S
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class StoreClient:
    """One store's base URL, headers and error wording; `get`/`post` return decoded JSON."""

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        *,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        credentials_hint: str = "",
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s
        self.sleep = sleep
        self.credentials_hint = credentials_hint
        self.requests = 0
        self.waited_s = 0.0

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, page: str = "") -> Any:
        query = urllib.parse.urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
        return self._request("GET", path + (f"?{query}" if query else ""), None, page)

    def post(self, path: str, body: Any, *, page: str = "") -> Any:
        return self._request("POST", path, json.dumps(body).encode(), page)

    def _where(self, method: str, path: str, page: str) -> str:
        shown = path.split("?", 1)[0]
        return f"source {self.source!r}" + (f", {page}" if page else "") + f" ({method} {self.base_url}{shown})"

    def _request(self, method: str, path: str, data: bytes | None, page: str) -> Any:
        headers = {"Accept": "application/json", "User-Agent": "failgate-ingest", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        where = self._where(method, path, page)
        for attempt in range(MAX_RETRIES + 1):
            request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
                break
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 503) and attempt < MAX_RETRIES:
                    wait = retry_after_seconds(exc.headers.get("Retry-After"))
                    if wait > MAX_RETRY_AFTER_S:
                        raise SourceError(
                            f"{where}: HTTP {exc.code}, the store asks to wait {wait:.0f} s "
                            f"(more than {MAX_RETRY_AFTER_S:.0f}); run the pull again later"
                        ) from None
                    self.waited_s += wait
                    self.sleep(wait)
                    continue
                raise SourceError(f"{where}: {self._http_problem(exc)}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise SourceError(
                    f"{where}: the store is unreachable ({reason}); check the source's url and that the store is up"
                ) from None
        else:  # pragma: no cover - the loop either breaks or raises
            raise SourceError(f"{where}: still rate limited after {MAX_RETRIES} retries")
        from failgate.dataset.jsonstrict import JsonLineError, loads_line

        try:
            # A store's page is user data: the nesting and integer limits of every reader hold.
            return loads_line(body.decode("utf-8") if isinstance(body, bytes) else body, strict=False)
        except (JsonLineError, UnicodeDecodeError) as exc:
            raise SourceError(f"{where}: the response is not JSON ({exc}); is the url the store's API?") from None

    def _http_problem(self, exc: urllib.error.HTTPError) -> str:
        try:
            detail = exc.read(300).decode("utf-8", "replace").strip().replace("\n", " ")
        except OSError:
            detail = ""
        if exc.code in (401, 403):
            hint = f"; check {self.credentials_hint}" if self.credentials_hint else ""
            return f"HTTP {exc.code}: the store refused the credentials{hint}"
        if exc.code == 429:
            return f"HTTP 429: still rate limited after {MAX_RETRIES} retries"
        return f"HTTP {exc.code}" + (f": {detail}" if detail else "")
