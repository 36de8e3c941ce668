"""`failgate ingest --source NAME` against a real `mlflow server` (sqlite, 127.0.0.1), loaded
through MLflow's own tracing client: the failure filter and the window run in MLflow's
search-traces filter syntax, and what comes back goes through failgate's readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from store_servers import free_port, run_in_store_env, running, store_executable
from unit.intake.test_intake import dataset_repo

LOADER = r"""
import sys, time
import mlflow

# Synchronous export: every trace is in the server, spans included, before this script exits.
mlflow.config.enable_async_logging(False)

mlflow.set_tracking_uri(sys.argv[1])
experiment = mlflow.set_experiment("support")


@mlflow.trace(span_type="TOOL")
def cancel_order(order_id):
    raise RuntimeError("gateway timeout from orders-api")


@mlflow.trace(span_type="AGENT")
def caught_tool_error(messages):
    try:
        cancel_order("5521")
    except RuntimeError:
        pass
    return "Sorry, something went wrong."


@mlflow.trace(span_type="AGENT")
def crashed(messages):
    raise ValueError("agent crashed while reading order 9001")


@mlflow.trace(span_type="AGENT")
def fine(messages):
    return "We open at 9."


def user(text):
    return [{"role": "user", "content": text}]


caught_tool_error(user("Cancel order 5521 please, I am bob@example.com"))
for n in range(3):
    try:
        crashed(user(f"Stop order 900{n} from shipping"))
    except ValueError:
        pass
fine(user("What are your opening hours?"))
old = time.time_ns() - 10 * 86400 * 10**9
span = mlflow.start_span_no_context(
    "crashed", span_type="AGENT", inputs={"messages": user("Cancel order 1111")}, start_time_ns=old
)
span.set_status("ERROR")
span.end(end_time_ns=old + 10**9)
print(experiment.experiment_id)
"""


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    executable = store_executable("mlflow")
    workdir = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(executable),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--default-artifact-root",
        str(workdir / "artifacts"),
    ]
    with running(command, f"{url}/health", workdir, {}):
        experiment = run_in_store_env(executable, LOADER, url)
        yield url, experiment


def _configure(repo: Path, url: str, experiment: str) -> None:
    config = repo / "failgate.toml"
    config.write_text(
        config.read_text() + f'\n[intake.sources.traces]\nkind = "mlflow"\nurl = "{url}"\nproject = "{experiment}"\n'
    )


def test_pulls_the_weeks_failed_traces_from_mlflow(
    mlflow_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main
    from failgate.intake.sources import mlflow

    url, experiment = mlflow_store
    monkeypatch.setattr(mlflow, "PAGE_LIMIT", 2)  # three crashed runs: two pages of the status search
    searched: list[str] = []
    original = mlflow._search

    def spy(client: Any, experiments: list[str], condition: str) -> Any:
        searched.append(condition)
        return original(client, experiments, condition)

    monkeypatch.setattr(mlflow, "_search", spy)
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, url, experiment)
    assert main(["ingest", "--source", "traces"]) == 0
    out = capsys.readouterr().out
    assert [c.split(" AND ")[0] for c in searched] == ["trace.status = 'ERROR'", "span.status = 'ERROR'"]
    assert all(" AND trace.timestamp_ms >= " in c for c in searched)
    (review,) = sorted((repo / "evals/failures/_intake").glob("*.yaml"))
    text = review.read_text()
    for found in ("Cancel order 5521", "Stop order 9000", "Stop order 9001", "Stop order 9002"):
        assert found in text
    assert "gateway timeout from orders-api" in text  # the TOOL span's exception, as the tool call's error
    assert "bob@example.com" not in text  # redacted like a file
    assert "opening hours" not in text  # a run that did not fail is never pulled
    assert "order 1111" not in text  # ten days old: outside the query's window
    assert "traces  " in out and "4 records read" in out


def test_a_wider_window_reaches_the_older_failure(
    mlflow_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from failgate.cli import main

    url, experiment = mlflow_store
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, url, experiment)
    assert main(["ingest", "--source", "traces", "--since", "14d"]) == 0
    (review,) = sorted((repo / "evals/failures/_intake").glob("*.yaml"))
    assert "order 1111" in review.read_text()


def test_a_filter_the_store_refuses_names_the_source_and_writes_nothing(
    mlflow_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from failgate.cli import main

    url, experiment = mlflow_store
    repo = dataset_repo(tmp_path, monkeypatch)
    _configure(repo, url, experiment)
    with (repo / "failgate.toml").open("a") as f:
        f.write('filter = "nonsense.key ~~ 1"\n')
    assert main(["ingest", "--source", "traces"]) == 2
    err = capsys.readouterr().err
    assert "source 'traces'" in err and "page 1" in err and "HTTP 400" in err
    assert not list((repo / "evals/failures").glob("_intake/*.yaml"))
