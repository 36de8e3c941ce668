"""`failgate ingest --source NAME` against Langfuse's public API, served on 127.0.0.1.

The server answers as Langfuse's public API reference documents it (Basic auth
with the public and secret keys; `page` / `limit` and `meta.totalPages`;
`level`, `fromStartTime`, `name`, `operator`, `value` filters; trace objects
holding their observations and scores), with bodies shaped like real
downloads: JSON-encoded inputs, observations with `level` and `statusMessage`.
It pages two rows at a time, so the client has to follow pages."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from recording_server import Received, Reply, serve
from unit.intake.test_intake import dataset_repo

PUBLIC, SECRET = "pk-lf-test", "sk-lf-very-secret-value"
SERVER_PAGE = 2
NOW = _dt.datetime.now(_dt.timezone.utc)


def _iso(days_ago: float) -> str:
    return (NOW - _dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _trace(tid: str, question: str, days_ago: float, *, tool_error: str | None = None, score: Any = None) -> dict:
    start = _iso(days_ago)
    observations = [
        {
            "id": f"{tid}-gen",
            "traceId": tid,
            "type": "GENERATION",
            "name": "ChatOpenAI",
            "startTime": start,
            "endTime": start,
            "level": "DEFAULT",
            "statusMessage": None,
            "parentObservationId": None,
            "input": json.dumps([{"role": "user", "content": question}]),
            "output": json.dumps({"role": "assistant", "content": "Let me check that order."}),
        }
    ]
    if tool_error:
        observations.append(
            {
                "id": f"{tid}-tool",
                "traceId": tid,
                "type": "TOOL",
                "name": "cancel_order",
                "startTime": start,
                "endTime": start,
                "level": "ERROR",
                "statusMessage": tool_error,
                "parentObservationId": f"{tid}-gen",
                "input": json.dumps({"order_id": "5521"}),
                "output": None,
            }
        )
    scores = []
    if score is not None:
        scores.append(
            {
                "id": f"{tid}-score",
                "traceId": tid,
                "name": "user-feedback",
                "value": score,
                "source": "API",
                "dataType": "NUMERIC",
                "comment": "did not help",
                "timestamp": start,
            }
        )
    return {
        "id": tid,
        "timestamp": start,
        "name": "support-agent",
        "input": json.dumps({"messages": [{"role": "user", "content": question}]}),
        "output": json.dumps({"role": "assistant", "content": "Let me check that order."}),
        "metadata": json.dumps({"intent": "order_change"}),
        "tags": [],
        "latency": 1.2,
        "observations": observations,
        "scores": scores,
    }


TRACES = {
    t["id"]: t
    for t in [
        _trace("e1", "Cancel order 5521 please", 1, tool_error="gateway timeout from orders-api"),
        _trace("e2", "Cancel my order 7730, mail me at ann@example.com", 2, tool_error="order locked"),
        _trace("e3", "Stop order 9001 from shipping", 3, tool_error="HTTP 500 from orders-api"),
        _trace("fb", "Why was I charged twice?", 1, score=-1),
        _trace("ok", "What are your opening hours?", 1),
        _trace("old", "Cancel order 1111", 10, tool_error="gateway timeout"),
    ]
}


class FakeLangfuse:
    """Langfuse's public API over TRACES; `faults` maps a request key to a canned reply (served once)."""

    def __init__(self) -> None:
        self.faults: dict[str, Reply] = {}

    def __call__(self, req: Received) -> Reply:
        auth = req.headers.get("authorization", "")
        if auth != "Basic " + base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode():
            return Reply(401, {"message": "Invalid credentials"})
        q = {k: v[0] for k, v in req.query.items()}
        key = f"{req.path}?page={q.get('page', '')}"
        if key in self.faults:
            return self.faults.pop(key)
        if req.path == "/api/public/observations":
            rows = [o for t in TRACES.values() for o in t["observations"]]
            if "level" in q:
                rows = [o for o in rows if o["level"] == q["level"]]
            if "fromStartTime" in q:
                rows = [o for o in rows if o["startTime"] >= q["fromStartTime"]]
            return self._page(rows, q)
        if req.path == "/api/public/v2/scores":
            rows = [s for t in TRACES.values() for s in t["scores"]]
            rows = [s for s in rows if s["name"] == q.get("name", s["name"])]
            if "fromTimestamp" in q:
                rows = [s for s in rows if s["timestamp"] >= q["fromTimestamp"]]
            if "operator" in q:
                value = float(q["value"])
                rows = [s for s in rows if (s["value"] < value if q["operator"] == "<" else s["value"] > value)]
            return self._page(rows, q)
        if req.path.startswith("/api/public/traces/"):
            tid = req.path.rsplit("/", 1)[1]
            return Reply(200, TRACES[tid]) if tid in TRACES else Reply(404, {"message": "Trace not found"})
        return Reply(404, {"message": "not found"})

    def _page(self, rows: list[dict], q: dict[str, str]) -> Reply:
        page, limit = int(q.get("page", 1)), min(int(q.get("limit", 50)), SERVER_PAGE)
        total = max(1, math.ceil(len(rows) / limit))
        data = rows[(page - 1) * limit : page * limit]
        return Reply(
            200, {"data": data, "meta": {"page": page, "limit": limit, "totalItems": len(rows), "totalPages": total}}
        )


def _configure(repo: Path, url: str, extra: str = "") -> None:
    config = repo / "failgate.toml"
    config.write_text(
        config.read_text()
        + f'\n[intake.sources.prod]\nkind = "langfuse"\nurl = "{url}"\n'
        + 'user_env = "LF_PUBLIC"\npassword_env = "LF_SECRET"\n'
        + extra
    )


def _intake_files(repo: Path) -> list[Path]:
    return sorted((repo / "evals/failures/_intake").glob("*.yaml"))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = FakeLangfuse()
    with serve(fake) as server:
        repo = dataset_repo(tmp_path, monkeypatch)
        _configure(repo, server.url)
        monkeypatch.setenv("LF_PUBLIC", PUBLIC)
        monkeypatch.setenv("LF_SECRET", SECRET)
        yield repo, server, fake


def test_pulls_the_weeks_failures_with_the_filter_in_langfuses_query(store: Any, capsys: Any) -> None:
    from failgate.cli import main

    repo, server, _ = store
    assert main(["ingest", "--source", "prod"]) == 0
    out = capsys.readouterr().out
    fetched = sorted(p.rsplit("/", 1)[1] for p in server.paths() if p.startswith("/api/public/traces/"))
    # Only the failed traces of the window are fetched: the success and the ten-day-old failure never leave the store.
    assert fetched == ["e1", "e2", "e3", "fb"]
    obs_queries = [r.query for r in server.requests if r.path == "/api/public/observations"]
    assert all(q["level"] == ["ERROR"] for q in obs_queries)
    start = _dt.datetime.fromisoformat(obs_queries[0]["fromStartTime"][0].replace("Z", "+00:00"))
    assert abs((NOW - start) - _dt.timedelta(days=7)) < _dt.timedelta(minutes=5)  # the store pull's default window
    assert [q["page"] for q in obs_queries] == [["1"], ["2"]]  # three error rows, two per page
    (review,) = _intake_files(repo)
    text = review.read_text()
    for question in ("Cancel order 5521", "Stop order 9001", "charged twice"):
        assert question in text
    assert "ann@example.com" not in text  # the redactor ran on what the store returned
    assert "opening hours" not in text and "order 1111" not in text
    assert "source 'prod'" in text or "langfuse source 'prod'" in text
    assert SECRET not in out


def test_a_score_rule_threshold_is_pushed_into_the_scores_query(store: Any) -> None:
    from failgate.cli import main

    repo, server, _ = store
    with (repo / "failgate.toml").open("a") as f:
        f.write('\n[[intake.score_rules]]\nname = "helpfulness"\nfail_below = 0.5\nfailure_mode = "hallucination"\n')
    assert main(["ingest", "--source", "prod"]) == 0
    rule_queries = [
        r.query for r in server.requests if r.path == "/api/public/v2/scores" and r.query["name"] == ["helpfulness"]
    ]
    assert rule_queries and rule_queries[0]["operator"] == ["<"] and rule_queries[0]["value"] == ["0.5"]


def test_a_429_is_retried_after_the_servers_retry_after(store: Any) -> None:
    from failgate.cli import main

    repo, server, fake = store
    fake.faults["/api/public/observations?page=2"] = Reply(429, {"message": "rate limited"}, {"Retry-After": "1"})
    began = time.monotonic()
    assert main(["ingest", "--source", "prod"]) == 0
    assert time.monotonic() - began >= 1.0
    pages = [r.query["page"][0] for r in server.requests if r.path == "/api/public/observations"]
    assert pages == ["1", "2", "2"]
    assert "e3" in " ".join(server.paths())  # the retried page's rows were not lost
    assert len(_intake_files(repo)) == 1


def test_refused_credentials_name_the_source_and_page_and_write_nothing(
    store: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main

    repo, _, _ = store
    monkeypatch.setenv("LF_SECRET", "sk-lf-wrong-key")
    assert main(["ingest", "--source", "prod"]) == 2
    err = capsys.readouterr().err
    assert "source 'prod'" in err and "error observations page 1" in err and "credentials" in err
    assert "$LF_PUBLIC" in err and "sk-lf-wrong-key" not in err
    assert _intake_files(repo) == []


def test_a_page_that_does_not_parse_names_the_page_and_writes_nothing(store: Any, capsys: Any) -> None:
    from failgate.cli import main

    repo, _, fake = store
    fake.faults["/api/public/observations?page=2"] = Reply(
        200, b"<html>proxy error</html>", {"Content-Type": "text/html"}
    )
    assert main(["ingest", "--source", "prod"]) == 2
    err = capsys.readouterr().err
    assert "source 'prod', error observations page 2" in err and "not JSON" in err
    assert _intake_files(repo) == []
    assert main(["ingest", "--source", "prod"]) == 0  # control: the same pull without the fault writes its file
    assert len(_intake_files(repo)) == 1


def test_an_unreachable_store_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    import socket

    from failgate.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LF_PUBLIC", PUBLIC)
    monkeypatch.setenv("LF_SECRET", SECRET)
    assert main(["ingest", "--source", "prod"]) == 2
    err = capsys.readouterr().err
    assert "source 'prod'" in err and "unreachable" in err and "Traceback" not in err
    assert _intake_files(repo) == []


def test_a_credential_variable_the_config_names_must_be_set(
    store: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main

    _, server, _ = store
    monkeypatch.delenv("LF_SECRET")
    assert main(["ingest", "--source", "prod"]) == 2
    assert "LF_SECRET" in capsys.readouterr().err
    assert server.requests == []  # nothing is sent without the credentials


def test_secrets_are_refused_in_the_configuration_and_the_url(store: Any, capsys: Any) -> None:
    from failgate.cli import main

    repo, server, _ = store
    assert main(["ingest", "--from", f"langfuse+http://{PUBLIC}:{SECRET}@127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "environment variables" in err and SECRET not in err
    config = repo / "failgate.toml"
    config.write_text(config.read_text().replace('password_env = "LF_SECRET"', f'password_env = "{SECRET}"'))
    assert main(["ingest", "--source", "prod"]) == 2
    assert "never the secret itself" in capsys.readouterr().err
    assert server.requests == []


def test_from_url_uses_the_stores_usual_variables(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from failgate.cli import main

    repo, server, _ = store
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", SECRET)
    assert main(["ingest", "--from", f"langfuse+{server.url}", "--since", "36h"]) == 0
    fetched = sorted(p.rsplit("/", 1)[1] for p in server.paths() if p.startswith("/api/public/traces/"))
    assert fetched == ["e1", "fb"]  # --since 36h: the two-day-old failures stay in the store
