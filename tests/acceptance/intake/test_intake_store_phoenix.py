"""`failgate ingest --source NAME` against a real `phoenix serve` (its local sqlite database,
127.0.0.1), loaded through Phoenix's own OTLP endpoint by the OpenTelemetry SDK with
OpenInference attributes: the failure filter (`status_code=ERROR`) and the window run in
Phoenix's span query, and the spans come back through the OpenInference reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from store_servers import free_port, run_in_store_env, running, store_executable
from unit.intake.test_intake import dataset_repo

LOADER = r"""
import json, sys, time
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode, set_span_in_context

provider = TracerProvider(resource=Resource({"openinference.project.name": "support"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1] + "/v1/traces")))
tracer = provider.get_tracer("failgate-test-loader")


def run(question, answer, *, tool_error=None, crash=None, start=None):
    messages = {"messages": [{"role": "user", "content": question}]}
    root = tracer.start_span("support-agent", start_time=start)
    root.set_attribute("openinference.span.kind", "AGENT")
    root.set_attribute("input.value", json.dumps(messages))
    root.set_attribute("input.mime_type", "application/json")
    context = set_span_in_context(root)
    tool = tracer.start_span("cancel_order", context=context, start_time=start)
    tool.set_attribute("openinference.span.kind", "TOOL")
    tool.set_attribute("tool.name", "cancel_order")
    tool.set_attribute("input.value", json.dumps({"order_id": "5521"}))
    if tool_error:
        tool.record_exception(RuntimeError(tool_error))
        tool.set_status(Status(StatusCode.ERROR, tool_error))
    else:
        tool.set_attribute("output.value", "cancelled")
        tool.set_status(Status(StatusCode.OK))
    tool.end(end_time=None if start is None else start + 10**8)
    root.set_attribute("output.value", answer)
    if crash:
        root.set_status(Status(StatusCode.ERROR, crash))
    else:
        root.set_status(Status(StatusCode.OK))
    root.end(end_time=None if start is None else start + 10**9)


run("Cancel order 5521 please, I am bob@example.com", "Sorry, something went wrong.", tool_error="gateway timeout")
for n in range(3):
    run(f"Stop order 900{n} from shipping", "", crash=f"agent crashed on order 900{n}")
run("What are your opening hours?", "We open at 9.")
run("Cancel order 1111", "", crash="agent crashed", start=time.time_ns() - 10 * 86400 * 10**9)
provider.shutdown()
print("support")
"""


@pytest.fixture(scope="module")
def phoenix_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    executable = store_executable("phoenix")
    workdir = tmp_path_factory.mktemp("phoenix")
    port = free_port()
    env = {
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
    }
    url = f"http://127.0.0.1:{port}"
    with running([str(executable), "serve"], f"{url}/v1/projects", workdir, env):
        project = run_in_store_env(executable, LOADER, url)
        _wait_for_spans(url, project, SPANS_LOADED)
        yield url, project


SPANS_LOADED = 12  # LOADER's six runs, an agent span and a tool span each


def _wait_for_spans(url: str, project: str, expected: int) -> None:
    """Phoenix acknowledges an OTLP export before its spans are in its database: wait until all are,
    or a test would query a store still filling up (bounded: 60 s)."""
    import json
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    seen = -1
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/projects/{project}/spans?limit=1000", timeout=10) as answer:
                seen = len(json.loads(answer.read()).get("data") or [])
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            seen = 0  # the project is created with its first stored span: not there yet
        if seen >= expected:
            return
        time.sleep(0.25)
    raise RuntimeError(f"Phoenix holds {seen} of the {expected} spans loaded after 60 s")


def _configure(repo: Path, url: str, project: str) -> None:
    config = repo / "failgate.toml"
    config.write_text(
        config.read_text() + f'\n[intake.sources.phoenix]\nkind = "phoenix"\nurl = "{url}"\nproject = "{project}"\n'
    )


def test_pulls_the_weeks_failed_traces_from_phoenix(
    phoenix_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main
    from failgate.intake.sources import phoenix

    url, project = phoenix_store
    monkeypatch.setattr(phoenix, "PAGE_LIMIT", 2)  # four error spans in the window: two pages
    monkeypatch.setattr(phoenix, "TRACES_PER_QUERY", 3)  # four failed traces: two span queries
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, url, project)
    assert main(["ingest", "--source", "phoenix"]) == 0
    out = capsys.readouterr().out
    (review,) = sorted((repo / "evals/failures/_intake").glob("*.yaml"))
    text = review.read_text()
    for found in ("Cancel order 5521", "Stop order 9000", "Stop order 9001", "Stop order 9002"):
        assert found in text
    assert "gateway timeout" in text  # the TOOL span's error, as the tool call's error
    assert "bob@example.com" not in text  # redacted like a file
    assert "opening hours" not in text  # a run without an error span is never pulled
    assert "order 1111" not in text  # ten days old: outside the query's window
    assert "8 records read" in out  # the spans of four traces, two each: nothing else left the store


def test_a_wider_window_reaches_the_older_failure(
    phoenix_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from failgate.cli import main

    url, project = phoenix_store
    repo = dataset_repo(tmp_path, monkeypatch)
    monkeypatch.setenv("PHOENIX_API_KEY", "")
    assert main(["ingest", "--from", f"phoenix+{url}?project={project}", "--since", "14d"]) == 0
    (review,) = sorted((repo / "evals/failures/_intake").glob("*.yaml"))
    assert "order 1111" in review.read_text()


def test_an_unknown_project_names_the_source_and_page_and_writes_nothing(
    phoenix_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main

    url, _ = phoenix_store
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, url, "no-such-project")
    assert main(["ingest", "--source", "phoenix"]) == 2
    err = capsys.readouterr().err
    assert "source 'phoenix', error spans page 1" in err and "HTTP 404" in err
    assert not list(repo.glob("evals/failures/_intake/*.yaml"))
