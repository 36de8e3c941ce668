"""The bundled support-bot example: valid, internally consistent, and green
against the demo agent, with each bug switch turning exactly one mode red."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from failgate.dataset import model, schemas
from failgate.dataset.hashing import input_hash
from failgate.dataset.history import regression_counts
from failgate.dataset.yamlstrict import load_yaml
from failgate.examples import SUPPORT_BOT_DATASET, support_bot

DATASET = SUPPORT_BOT_DATASET


def _yaml(name: str) -> dict[str, Any]:
    path = DATASET / name
    data = load_yaml(path.read_bytes(), str(path)).data
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return _yaml("cases.yaml")["cases"]


@pytest.fixture(scope="module")
def removed() -> list[dict[str, Any]]:
    return _yaml("cases_removed.yaml")["removed"]


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATASET / "history.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("file_name", "schema"),
    [("cases.yaml", "cases"), ("cases_removed.yaml", "cases_removed"), ("watchlist.yaml", "watchlist")],
)
def test_files_load_strictly_and_match_their_schema(file_name: str, schema: str) -> None:
    errors = [e.message for e in schemas.validator_for(schema).iter_errors(_yaml(file_name))]
    assert errors == []
    first_line = (DATASET / file_name).read_text().splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema=https://failgate.dev/schemas/{schema}.schema.json"


def test_history_events_match_the_schema(history: list[dict[str, Any]]) -> None:
    validator = schemas.validator_for("history-event")
    for event in history:
        assert [e.message for e in validator.iter_errors(event)] == [], event
    assert len({e["id"] for e in history}) == len(history)
    assert [e["ts"] for e in history] == sorted(e["ts"] for e in history)


def test_header_is_the_v1_taxonomy() -> None:
    header = _yaml("cases.yaml")
    assert header["schema_version"] == 1
    assert tuple(header["failure_modes"]) == model.FAILURE_MODES_V1


def test_ids_are_unique_and_never_reused(cases: list[dict[str, Any]], removed: list[dict[str, Any]]) -> None:
    ids = [c["id"] for c in cases]
    gone = {r["id"] for r in removed}
    watch = {c["id"] for c in _yaml("watchlist.yaml")["cases"]}
    assert len(ids) == len(set(ids))
    assert not gone & set(ids) and not watch & set(ids) and not watch & gone
    assert all(r["case"]["id"] == r["id"] for r in removed)


def test_input_hashes_match(cases: list[dict[str, Any]], removed: list[dict[str, Any]]) -> None:
    everything = cases + [r["case"] for r in removed] + _yaml("watchlist.yaml")["cases"]
    for case in everything:
        assert case["input_hash"] == input_hash(case["input"]), case["id"]


def test_regressed_count_matches_history(cases: list[dict[str, Any]], history: list[dict[str, Any]]) -> None:
    regressed = regression_counts(history)  # its events predate detail.after: one regression each
    assert regressed == Counter(e["case_id"] for e in history if e["type"] == "regressed")
    assert {c["id"]: c["regressed_count"] for c in cases} == {c["id"]: regressed.get(c["id"], 0) for c in cases}
    assert sorted(c["regressed_count"] for c in cases)[-2:] == [2, 2]


def test_history_covers_every_case(
    cases: list[dict[str, Any]], removed: list[dict[str, Any]], history: list[dict[str, Any]]
) -> None:
    known = {c["id"] for c in cases} | {r["id"] for r in removed}
    assert {e["case_id"] for e in history} == known
    promoted = Counter(e["case_id"] for e in history if e["type"] == "promoted")
    assert all(promoted[cid] == 1 for cid in known)
    assert {e["case_id"] for e in history if e["type"] == "removed"} == {r["id"] for r in removed}
    deprecated = {c["id"] for c in cases if c["status"] == "deprecated"}
    assert deprecated and {e["case_id"] for e in history if e["type"] == "status_changed"} == deprecated
    assert any(e["type"] == "result" for e in history) and any(e["type"] == "remediated" for e in history)


def test_coverage_of_the_vocabulary(cases: list[dict[str, Any]]) -> None:
    assert {c["failure_mode"] for c in cases} == set(model.FAILURE_MODES_V1)
    assert {c["severity"] for c in cases} == set(model.SEVERITIES)
    assert {c["blast_radius"] for c in cases} == set(model.BLAST_RADII)
    assert {c["status"] for c in cases} == set(model.STATUSES)
    multi_turn = [c for c in cases if sum(m["role"] == "user" for m in c["input"].get("messages", [])) > 1]
    assert len(multi_turn) >= 3
    assert any(isinstance(v, dict) and "turn" in v for c in multi_turn for r in c["expected"] for v in r.values())
    assert all(c["remediation"] for c in cases)


def test_no_intent_dominates(cases: list[dict[str, Any]]) -> None:
    intents = Counter(c["intent"] for c in cases)
    assert max(intents.values()) / len(cases) <= 0.30, intents


def test_fixtures_exist_inside_the_dataset(cases: list[dict[str, Any]]) -> None:
    fixtures = [f for c in cases for f in c["input"].get("fixtures", [])]
    assert fixtures
    for fixture in fixtures:
        path = (DATASET / fixture).resolve()
        assert path.is_file() and DATASET.resolve() in path.parents


def test_discovery_dates_span_about_ten_days(cases: list[dict[str, Any]]) -> None:
    dates = sorted(c["discovered_at"] for c in cases)
    assert dates[0] >= "2026-01-01" and (int(dates[-1][-2:]) - int(dates[0][-2:])) % 31 <= 11


# -- the agent ------------------------------------------------------------------


def _active(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in cases if c["status"] == "active"]


def _text(response: dict[str, Any], value: Any) -> tuple[str, str]:
    """(needle, text) for a text rule, honouring `turn` (1-based)."""
    if isinstance(value, str):
        return value, response["output"]
    turn = value.get("turn", "final")
    return value["value"], response["output"] if turn == "final" else response["turns"][turn - 1]


@pytest.fixture(autouse=True)
def _no_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(support_bot.BUG_ENV, raising=False)


def test_agent_answers_every_turn_in_the_contract_shape(cases: list[dict[str, Any]]) -> None:
    for case in cases:
        response = support_bot.run(case["input"])
        users = [m for m in case["input"]["messages"] if m["role"] == "user"]
        assert len(response["turns"]) == len(users)
        assert response["output"] == response["turns"][-1]
        assert isinstance(response["latency_ms"], int)
        assert all(set(call) == {"name", "arguments"} for call in response["tool_calls"])


def test_agent_satisfies_the_text_rules(cases: list[dict[str, Any]]) -> None:
    """Direct checks of the text rules; the full judge is exercised by `failgate eval`."""
    for case in _active(cases):
        response = support_bot.run(case["input"])
        for rule in case["expected"]:
            ((name, value),) = rule.items()
            if name == "contains":
                needle, text = _text(response, value)
                assert needle in text, (case["id"], needle, text)
            elif name == "not_contains":
                needle, text = _text(response, value)
                if isinstance(value, dict) and value.get("case_sensitive") is False:
                    needle, text = needle.lower(), text.lower()
                assert needle not in text, (case["id"], needle, text)
            elif name == "regex":
                needle, text = _text(response, value)
                assert re.search(needle, text), (case["id"], needle, text)
            elif name == "max_latency_ms":
                assert response["latency_ms"] <= value, case["id"]


EXPECTED_RED = {
    "double-refund": "tool_invocation",
    "stale-policy": "retrieval_miss",
    "ungrounded": "hallucination",
    "forget-context": "multi_turn_drift",
    "overcautious": "refusal_overreach",
    "no-cache": "latency_breach",
    "no-guardrails": "blast_radius_breach",
}


def test_the_llm_judged_case_passes_and_the_ungrounded_bug_fails_it(
    cases: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, demo_judge: Any, tmp_path: Path
) -> None:
    from failgate.eval.judge import JudgeOptions, LLMSettings, judge_case, parse_response
    from failgate.examples.support_bot_judge import MODEL

    (case,) = [c for c in cases if any("llm_rubric" in r for r in c["expected"])]
    assert case["failure_mode"] == "hallucination"
    options = JudgeOptions(llm=LLMSettings(base_url=demo_judge.base_url, model=MODEL), cache_dir=str(tmp_path))

    def outcome() -> list[bool]:
        return [r.passed for r in judge_case(case, parse_response(support_bot.run(case["input"]), 1.0), options)]

    assert outcome() == [True, True]
    monkeypatch.setenv(support_bot.BUG_ENV, "ungrounded")
    assert outcome() == [True, False]


def test_the_bundled_gold_set_is_valid() -> None:
    from failgate.checks.gold import load_gold

    path = DATASET.parent / "judge_gold.yaml"
    assert load_gold(path.read_bytes(), str(path))[1] == []


def test_every_bug_is_documented() -> None:
    assert set(support_bot.BUGS) == set(EXPECTED_RED)


@pytest.mark.parametrize("bug", sorted(EXPECTED_RED))
def test_each_bug_turns_exactly_one_mode_red(bug: str, tmp_path: Path, demo_judge: Any) -> None:
    """Through the real `failgate eval` on a copy of the example, as the demo runs it."""
    from failgate.examples.support_bot_judge import config_lines

    root = tmp_path / "consumer"
    shutil.copytree(DATASET, root / "evals" / "failures")
    (root / "failgate.toml").write_text(
        'agent = "failgate.examples.support_bot:run"\n' + config_lines(demo_judge.base_url)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)

    def eval_failures(extra_env: dict[str, str]) -> tuple[int, set[str]]:
        proc = subprocess.run(
            [sys.executable, "-m", "failgate", "eval", "--no-watchlist"],
            cwd=root,
            capture_output=True,
            text=True,
            env={**env, **extra_env},
            timeout=120,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, set(re.findall(r"^FAIL (AGTFAIL-\d+)", proc.stdout, re.MULTILINE))

    assert eval_failures({}) == (0, set())
    code, failed = eval_failures({support_bot.BUG_ENV: bug})
    cases = {c["id"]: c for c in _yaml("cases.yaml")["cases"]}
    assert code == 1 and failed
    assert {cases[cid]["failure_mode"] for cid in failed} == {EXPECTED_RED[bug]}


def test_worker_mode_answers_line_by_line() -> None:
    requests = [
        {"id": "AGTFAIL-0003", "input": {"messages": [{"role": "user", "content": "Where is order 8831?"}]}},
        {"id": "x", "input": {"messages": [{"role": "user", "content": "Do you ship to Canada?"}]}},
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "failgate.examples.support_bot", "--worker"],
        input="".join(json.dumps(r) + "\n" for r in requests) + "not json\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["AGTFAIL-0003", "x", None]
    assert "no tracking number yet" in lines[0]["output"]
    assert "error" in lines[2]
