"""The store client's HTTP edge against a real server on 127.0.0.1: Retry-After in both of its
forms, a wait too long to honour, and messages that name the source and the page, never a secret."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest
from recording_server import Received, Reply, serve

from failgate.intake.sources.http import SourceError, StoreClient, basic_auth, retry_after_seconds


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    now = time.time()
    assert 9 <= retry_after_seconds(email.utils.formatdate(now + 10, usegmt=True), now=now) <= 10
    assert retry_after_seconds(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0  # already past
    assert retry_after_seconds("soon") == 2.0 and retry_after_seconds(None) == 2.0


def _flaky(first: Reply) -> Any:
    calls: list[Received] = []

    def handler(req: Received) -> Reply:
        calls.append(req)
        return first if len(calls) == 1 else Reply(200, {"data": [1]})

    return handler


def test_a_503_with_an_http_date_is_waited_for_then_retried() -> None:
    waits: list[float] = []
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    with serve(_flaky(Reply(503, {}, {"Retry-After": when}))) as server:
        client = StoreClient("prod", server.url, sleep=waits.append)
        assert client.get("/x", page="page 1") == {"data": [1]}
    assert len(waits) == 1 and 3 <= waits[0] <= 5 and len(server.requests) == 2


def test_a_wait_too_long_to_honour_stops_the_pull_and_says_so() -> None:
    waits: list[float] = []
    with serve(_flaky(Reply(429, {}, {"Retry-After": "3600"}))) as server:
        client = StoreClient("prod", server.url, sleep=waits.append)
        with pytest.raises(
            SourceError, match=r"source 'prod', page 3 \(GET .*/x\): HTTP 429, the store asks to wait 3600 s"
        ):
            client.get("/x", page="page 3")
    assert waits == [] and len(server.requests) == 1


def test_a_server_that_keeps_refusing_is_given_up_on() -> None:
    waits: list[float] = []
    with serve(lambda req: Reply(429, {}, {"Retry-After": "0"})) as server:
        client = StoreClient("prod", server.url, sleep=waits.append)
        with pytest.raises(SourceError, match="still rate limited"):
            client.get("/x", page="page 1")
    assert len(server.requests) == 6  # the first try and five retries


def test_an_error_body_never_echoes_the_credentials() -> None:
    secret = "sk-lf-do-not-print"
    with serve(lambda req: Reply(401, {"message": "Invalid credentials"})) as server:
        client = StoreClient("prod", server.url, basic_auth("pk", secret), credentials_hint="$LF_PUBLIC and $LF_SECRET")
        with pytest.raises(SourceError) as caught:
            client.get("/api/public/observations", {"level": "ERROR"}, page="error observations page 1")
    message = str(caught.value)
    assert "refused the credentials; check $LF_PUBLIC and $LF_SECRET" in message and secret not in message
    assert "?level" not in message  # the query string is left out of the message
