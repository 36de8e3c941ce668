"""Hangs to bound: a catastrophic pattern in a case rule or in the refusal
patterns, and an ingest input with no newline. Each attack beside its control.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from failgate.cli import main
from failgate.eval.judge import CASE_BUDGET_S, JudgeOptions, judge_case, parse_response
from failgate.eval.judge.text import REGEX_BUDGET_S

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
DS = "evals/failures"
# Python's `re` needs on the order of 2**n steps for these on n a's and a '!';
# the `regex` package is faster on some, but not without end.
EVIL = r"(a|aa)+$"
LONG = "a" * 5000 + "!"
# The bounds below are on this process's CPU time: a runaway pattern burns CPU without
# end, while wall time also counts what a loaded machine (parallel workers) gives others.


def test_a_catastrophic_rule_pattern_fails_its_rule_with_timed_out() -> None:
    case = {"expected": [{"regex": EVIL}, {"contains": "aaa"}]}
    started = time.process_time()
    results = judge_case(case, parse_response({"output": LONG}, 1.0))
    assert time.process_time() - started < REGEX_BUDGET_S + 3
    assert not results[0].passed and results[0].got.startswith(
        "final answer: timed out: /(a|aa)+$/ did not finish within 1 s"
    )
    assert results[1].passed  # the other rules are still judged


def test_control_the_same_pattern_on_a_short_text_matches() -> None:
    results = judge_case({"expected": [{"regex": EVIL}]}, parse_response({"output": "aaaa"}, 1.0))
    assert results[0].passed


def test_a_catastrophic_refusal_pattern_fails_not_refused_with_timed_out() -> None:
    options = JudgeOptions(refusal_patterns=(EVIL,))
    results = judge_case({"expected": [{"not_refused": True}]}, parse_response({"output": LONG}, 1.0), options)
    assert not results[0].passed and "refusal pattern timed out" in results[0].got
    # control: no refusal pattern matches a short ordinary answer
    ok = judge_case({"expected": [{"not_refused": True}]}, parse_response({"output": "Refund issued"}, 1.0), options)
    assert ok[0].passed


def test_the_case_budget_bounds_many_slow_rules() -> None:
    rules = [{"regex": EVIL + "x" * i} for i in range(int(CASE_BUDGET_S / REGEX_BUDGET_S) + 3)]
    started = time.process_time()
    results = judge_case({"expected": rules}, parse_response({"output": LONG}, 1.0))
    assert time.process_time() - started < CASE_BUDGET_S + 2 * REGEX_BUDGET_S + 2
    assert all(not r.passed and "timed out" in r.got for r in results)
    assert "judge budget of 5 s was spent" in results[-1].got


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "evals").mkdir(parents=True)
    shutil.copytree(EXAMPLE, root / DS)
    (root / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n')
    monkeypatch.chdir(root)
    return root


def test_eval_with_a_catastrophic_rule_finishes_and_names_the_rule(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = project / DS / "cases.yaml"
    text = cases.read_text()
    cases.write_text(
        text.replace('      - contains: "30 days"\n', f'      - contains: "30 days"\n      - regex: "{EVIL}"\n', 1)
    )
    assert main(["validate"]) == 0  # a valid pattern: the budget, not validate, is the guard
    records = [{"id": "AGTFAIL-0002", "output": "Returns within 30 days. " + LONG, "latency_ms": 5}]
    (project / "rec.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    started = time.monotonic()
    assert main(["eval", "--recorded", "rec.jsonl", "--case", "AGTFAIL-0002", "--no-progress"]) == 1
    assert time.monotonic() - started < 20
    out = capsys.readouterr().out
    assert "AGTFAIL-0002" in out and "timed out" in out
    # Control: the same case with an answer the pattern handles quickly passes.
    (project / "rec.jsonl").write_text(
        json.dumps({"id": "AGTFAIL-0002", "output": "30 days aa", "latency_ms": 5}) + "\n"
    )
    assert main(["eval", "--recorded", "rec.jsonl", "--case", "AGTFAIL-0002", "--no-progress"]) == 0


# -- ingest of a huge record ------------------------------------------------------------
@pytest.mark.parametrize("lead", ["{", "x"])  # a JSON-looking start and a plain one take different readers
def test_ingest_of_a_huge_file_with_no_newline_skips_it_with_memory_bounded(
    project: Path, lead: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracemalloc

    from failgate.intake.traces import stream

    monkeypatch.setattr(stream, "MAX_RECORD", 1 << 20)
    huge = project / "huge.jsonl"
    with huge.open("w") as handle:  # 24 MB, one line, no newline
        handle.write(lead + '"trace_id": "t1", "input": "')
        for _ in range(24):
            handle.write("a" * (1 << 20))
        handle.write('"}')
    tracemalloc.start()
    try:
        code = main(["ingest", "huge.jsonl"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    captured = capsys.readouterr()
    assert code == 0, captured
    assert "huge.jsonl:1" in captured.out + captured.err and "maximum record size" in captured.out + captured.err
    assert peak < 12 << 20, f"peak {peak >> 20} MB for a 24 MB line"


def test_control_ingest_of_a_normal_record_after_a_huge_line(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from failgate.intake.traces import stream

    monkeypatch.setattr(stream, "MAX_RECORD", 1 << 20)
    good = {
        "trace_id": "t2",
        "intent": "refund_request",
        "input": "Refund order 9?",
        "output": "I can't help with that.",
    }
    (project / "mixed.jsonl").write_text("x" * (3 << 20) + "\n" + json.dumps(good) + "\n")
    assert main(["ingest", "mixed.jsonl"]) == 0
    out = capsys.readouterr()
    assert "mixed.jsonl:1" in out.out + out.err and "new candidates              1" in out.out


# -- the gate, end to end ----------------------------------------------------------------
LONG_AGENT = """\
import json, pathlib
HERE = pathlib.Path(__file__).resolve().parent


def run(inp):
    long = json.loads((HERE / "behavior.json").read_text()).get("long")
    return {"output": inp.get("say", "") + ("a" * 5000 + "!" if long else "")}
"""


def test_the_gate_finishes_on_a_catastrophic_pattern_and_blocks(git_repo: Path) -> None:
    from conftest import commit_all, git
    from gate_repo import failgate, record_baseline, setup_consumer

    setup_consumer(git_repo)
    (git_repo / "gateagent.py").write_text(LONG_AGENT)
    cases = git_repo / DS / "cases.yaml"
    # Matches "ok N" at once; on "ok N" + 5,000 a's + "!" the first alternative backtracks without end.
    cases.write_text(
        cases.read_text().replace(
            '      - contains: "ok 2"\n', '      - contains: "ok 2"\n      - regex: "(a|aa)+$|^ok \\\\d+$"\n'
        )
    )
    commit_all(git_repo, "a rule with a catastrophic alternative")
    record_baseline(git_repo)
    git(git_repo, "checkout", "-q", "-b", "feature")
    control = failgate(git_repo, "gate")
    assert control.returncode == 0, control.stdout + control.stderr  # control: short answers, green
    (git_repo / "behavior.json").write_text('{"broken": [], "long": true}\n')
    commit_all(git_repo, "agent rambles")
    started = time.monotonic()
    result = failgate(git_repo, "gate")
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FLIP AGTFAIL-0002" in result.stdout and "timed out" in result.stdout


def test_validate_warns_about_a_nested_quantifier_at_its_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = project / DS / "cases.yaml"
    text = cases.read_text().replace(
        '      - contains: "30 days"\n', '      - contains: "30 days"\n      - regex: "(a+)+$"\n', 1
    )
    cases.write_text(text)
    line = text.splitlines().index('      - regex: "(a+)+$"') + 1
    assert main(["validate"]) == 0  # a warning: the eval's budget is the guard
    out = capsys.readouterr().out
    assert f"evals/failures/cases.yaml:{line}:9: REGEX_BACKTRACK" in out and "(a+)+ -> a+" in out
    # Control: a pattern without a nested quantifier is not flagged.
    cases.write_text(text.replace('"(a+)+$"', '"(within )?30 days"'))
    assert main(["validate"]) == 0
    assert "REGEX_BACKTRACK" not in capsys.readouterr().out
