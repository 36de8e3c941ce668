"""Calling the judge model: chat-completions over httpx, retries, the verdict cache.

httpx is a dependency of failgate-git, imported only when a case uses
`llm_rubric` (the `openai` client is itself built on httpx; we need
one POST, not its object model). One `JudgeSession` per settings per process:
one connection pool, one concurrency limit (`max_concurrency`) across every
runner thread, and counters the run reports ("N judge calls failed").

Retries: 429 and 5xx answers, timeouts and connection errors are retried up
to `retries` times. A `Retry-After` header (seconds or an HTTP date) is
honoured up to `MAX_RETRY_AFTER_S`; a longer one fails the call at once
rather than stalling the run. Without it: exponential backoff with jitter.
Other 4xx (bad key, unknown model) are not retried: they will not heal.

Limits (the judge endpoint is a server the configuration names, and its answer is
read by the gate): one total deadline per attempt, `timeout_s`, over connecting,
waiting and reading the whole body (httpx's timeout is per read, so an answer that
trickles a byte a second never tripped it); at most `MAX_BODY_BYTES` of decoded
body (a gzip bomb stops there, not at MemoryError); the answer read with the strict
JSON reader's depth and integer limits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from failgate.eval.judge.llm import TEMPLATE_VERSION, LLMSettings, NotAVerdict, parse_verdict

MAX_RETRY_AFTER_S = 60.0
CACHE_SUBDIR = "llm-verdicts"
MAX_BODY_BYTES = 4 * 1024 * 1024  # decoded; a chat completion with one verdict is a few kB


class JudgeCallError(Exception):
    """The judge could not give a verdict: the rule fails with this reason."""


@dataclasses.dataclass
class CallStats:
    calls: int = 0  # verdicts asked of the model (not from the cache)
    cached: int = 0  # verdicts read from the cache
    failed: int = 0  # calls that ended without a verdict

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def cache_key(settings: LLMSettings, body: dict[str, Any]) -> str:
    """The request as sent plus the server's host: same request to the same
    judge, same verdict (the fingerprint's parts, the case input and the reply
    are all inside the body)."""
    blob = json.dumps(
        {"host": settings.host, "template": TEMPLATE_VERSION, "body": body},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class VerdictCache:
    """One small JSON file per verdict under the cache's `llm-verdicts/` (`config.cache_location`).
    Only real verdicts are stored, never a failed call."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[bool, str] | None:
        try:
            data = json.loads(self._path(key).read_text("utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if isinstance(data, dict) and isinstance(data.get("passed"), bool) and isinstance(data.get("reason"), str):
            return data["passed"], data["reason"]
        return None  # a damaged entry is a miss, never a verdict

    def put(self, key: str, passed: bool, reason: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Rename makes the entry whole or absent; no fsync, since a lost
            # cache entry costs one call, not a wrong verdict.
            # Named like every failgate temp file, so what a killed run left is found and deleted.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.failgate-tmp")
            tmp.write_text(json.dumps({"passed": passed, "reason": reason}), "utf-8")
            os.replace(tmp, path)
            from failgate.journal import stray_temps

            for stray in stray_temps(path.parent):
                stray.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only checkout still judges, it only caches nothing


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class JudgeSession:
    def __init__(
        self, settings: LLMSettings, cache: VerdictCache | None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.stats = CallStats()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, settings.max_concurrency))
        self._sleep = sleep
        self._client: Any = None

    def _count(self, field: str) -> None:
        with self._lock:
            setattr(self.stats, field, getattr(self.stats, field) + 1)

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    import httpx
                except ImportError:
                    raise JudgeCallError(
                        "llm_rubric needs httpx, one of failgate-git's dependencies, which this environment "
                        "lacks: reinstall failgate-git (pip install --force-reinstall failgate-git)"
                    ) from None
                limit = max(1, self.settings.max_concurrency)
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.settings.timeout_s),
                    limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
                )
            return self._client

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        name = self.settings.api_key_env
        if name:
            key = os.environ.get(name)
            if not key:
                raise JudgeCallError(
                    f"the judge's API key variable {name} is not set ([tool.failgate.judge.llm] api_key_env)"
                )
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post(self, body: dict[str, Any]) -> str:
        url = (self.settings.base_url or "").rstrip("/") + "/chat/completions"
        headers = self._headers()
        client = self._http()  # says what is missing when httpx is
        import httpx

        attempts = self.settings.retries + 1
        last = ""
        for attempt in range(attempts):
            wait: float | None = None
            try:
                with self._slots:
                    status, reply_headers, text = _bounded_post(client, url, body, headers, self.settings.timeout_s)
            except _Deadline:
                last = f"the judge did not answer within {self.settings.timeout_s:g} s"
            except httpx.HTTPError as exc:
                last = f"cannot reach the judge at {url}: {type(exc).__name__}: {exc}"
            else:
                if status == 200:
                    return _content(text)
                snippet = " ".join(text.split())[:160]
                last = f"the judge answered HTTP {status}: {snippet}"
                if status != 429 and status < 500:
                    raise JudgeCallError(last)
                wait = retry_after_seconds(reply_headers.get("Retry-After"))
                if wait is not None and wait > MAX_RETRY_AFTER_S:
                    raise JudgeCallError(
                        f"{last} (asked to retry after {wait:.0f} s, more than {MAX_RETRY_AFTER_S:.0f} s)"
                    )
            if attempt + 1 < attempts:
                self._sleep(wait if wait is not None else min(8.0, 0.25 * 2**attempt) * (0.5 + random.random()))
        raise JudgeCallError(f"{last} (after {attempts} attempt{'s' if attempts != 1 else ''})")

    def verdict(self, body: dict[str, Any], *, fresh: bool = False) -> tuple[bool, str]:
        """(passed, reason), or JudgeCallError. `fresh` skips the cache (repeats)."""
        key = cache_key(self.settings, body)
        if self.cache is not None and not fresh:
            hit = self.cache.get(key)
            if hit is not None:
                self._count("cached")
                return hit
        self._count("calls")
        try:
            passed, reason = parse_verdict(self._post(body))
        except NotAVerdict as exc:
            self._count("failed")
            raise JudgeCallError(str(exc)) from None
        except JudgeCallError:
            self._count("failed")
            raise
        if self.cache is not None:
            self.cache.put(key, passed, reason)
        return passed, reason

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class _Deadline(Exception):
    """The attempt ran past its total deadline."""


def _bounded_post(
    client: Any, url: str, body: dict[str, Any], headers: dict[str, str], timeout_s: float
) -> tuple[int, Any, str]:
    """(status, headers, decoded text) of one POST, all of it within `timeout_s` and `MAX_BODY_BYTES`.

    A watchdog closes the response at the deadline, which ends a read blocked on a server that sends
    nothing more; the loop's own check ends one that trickles."""
    import httpx

    deadline = time.monotonic() + timeout_s
    try:
        return _read_bounded(client.stream("POST", url, json=body, headers=headers, timeout=timeout_s), deadline)
    except httpx.TimeoutException:
        raise _Deadline() from None


def _read_bounded(stream: Any, deadline: float) -> tuple[int, Any, str]:
    import httpx

    with stream as reply:
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), reply.close)
        watchdog.daemon = True
        watchdog.start()
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in reply.iter_bytes():  # decoded: gzip and deflate count after decompression
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise JudgeCallError(
                        f"the judge's answer is over {MAX_BODY_BYTES // (1024 * 1024)} MiB decoded; not read further"
                    )
                chunks.append(chunk)
                if time.monotonic() >= deadline:
                    raise _Deadline()
        except (httpx.HTTPError, httpx.StreamError, OSError):
            if time.monotonic() >= deadline:
                raise _Deadline() from None
            raise
        finally:
            watchdog.cancel()
        if time.monotonic() >= deadline:
            raise _Deadline()
        encoding = reply.encoding or "utf-8"
        return reply.status_code, reply.headers, b"".join(chunks).decode(encoding, "replace")


def _content(text: str) -> str:
    from failgate.dataset.jsonstrict import JsonLineError, loads_line

    try:
        data = loads_line(text, strict=False)
    except JsonLineError as exc:
        raise JudgeCallError(
            f"the judge's HTTP answer is not JSON failgate reads ({exc.message}): {' '.join(text.split())[:120]!r}"
        ) from None
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise JudgeCallError(
            f"the judge's answer has no choices[0].message.content: {json.dumps(data)[:160]}"
        ) from None
    if not isinstance(content, str):
        raise JudgeCallError(f"the judge's message content is not text: {str(content)[:160]!r}")
    return content


_SESSIONS: dict[tuple[LLMSettings, str | None], JudgeSession] = {}
_SESSIONS_LOCK = threading.Lock()


def session_for(settings: LLMSettings, cache_dir: str | None) -> JudgeSession:
    """The process's session for these settings (and cache directory, None: no cache)."""
    key = (settings, cache_dir)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            cache = VerdictCache(Path(cache_dir) / CACHE_SUBDIR) if cache_dir else None
            _SESSIONS[key] = JudgeSession(settings, cache)
        return _SESSIONS[key]


def total_stats() -> CallStats:
    """Counters summed over every session of this process (a run reports the
    difference between its start and its end)."""
    total = CallStats()
    with _SESSIONS_LOCK:
        sessions = list(_SESSIONS.values())
    for session in sessions:
        with session._lock:
            total.calls += session.stats.calls
            total.cached += session.stats.cached
            total.failed += session.stats.failed
    return total
