"""Each limit — time, depth, size, count, network — holds on every path that reads user data, not only the first.

`LIMITS` is the table: for each limit, every reader of user data it guards, with the attack that breaks a
reader that lacks it (a 100,000-deep value, a 5,000-digit integer, a catastrophic pattern, an oversized
answer, a repeat of a billion, a URL to fetch). Then a meta-test reads failgate's source: every call that
parses JSON, TOML or YAML is either one of the guarded readers in the table or listed in `NOT_USER_DATA`
with the reason its input is failgate's own. A new parser call on user data without an entry here fails.
Controls: the same readers accept a sane value of the same shape.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from failgate.findings import FailgateError

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src" / "failgate"
DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = "9" * 5000
EVIL = "^(a|aa)+$"
LONG_A = "a" * 40 + "b"


# -- depth and integer digits ------------------------------------------------------------------------------
def yaml_reader(text: str) -> None:
    from failgate.dataset.yamlstrict import load_yaml_text

    with pytest.raises(FailgateError):
        load_yaml_text(f"a: {text}\n", "cases.yaml")


def jsonl_reader(text: str) -> None:
    from failgate.dataset.jsonstrict import JsonLineError, loads_line

    with pytest.raises(JsonLineError):
        loads_line(text)


def history_fold(text: str) -> None:
    from failgate.dataset.jsonstrict import loads_or_none

    assert loads_or_none(text) is None


def trace_lines(text: str, tmp: Path) -> None:
    from failgate.intake.traces.stream import RecordError, iter_records

    export = tmp / "t.jsonl"
    export.write_text('{"trace_id": "a", "x": ' + text + "}\n" + '{"trace_id": "b"}\n')
    records = [value for _, value in iter_records(export)]
    assert isinstance(records[0], RecordError) and records[1] == {"trace_id": "b"}


def trace_array(text: str, tmp: Path) -> None:
    from failgate.intake.traces.stream import RecordError, iter_records

    export = tmp / "t.json"
    export.write_text('[{"trace_id": "a", "x": ' + text + "}]\n")
    assert isinstance(next(v for _, v in iter_records(export)), RecordError)


def judge_body(text: str) -> None:
    from failgate.eval.judge.llm_transport import JudgeCallError, _content

    with pytest.raises(JudgeCallError):
        _content('{"choices": [{"message": {"content": "x"}}], "extra": ' + text + "}")


def judge_verdict(text: str) -> None:
    from failgate.eval.judge.llm import NotAVerdict, parse_verdict

    with pytest.raises(NotAVerdict):
        parse_verdict('{"pass": ' + text + "}")


def schema_answer(text: str) -> None:
    from failgate.eval.judge import JudgeOptions, judge_case, parse_response

    (result,) = judge_case(
        {"id": "AGTFAIL-0001", "expected": [{"json_schema": {"type": "object"}}]},
        parse_response({"output": '{"a": ' + text + "}"}, 1.0),
        JudgeOptions(),
    )
    assert not result.passed and "not JSON" in result.got


def worker_answer(text: str) -> None:
    from failgate.eval.agents import AgentError
    from failgate.eval.agents.worker import WorkerPoolAgent

    with pytest.raises(AgentError, match="not JSON"):
        WorkerPoolAgent._parse(('{"id": "AGTFAIL-0001", "x": ' + text + "}").encode(), "AGTFAIL-0001")


def config_toml(text: str, tmp: Path) -> None:
    from failgate.config import _read_toml

    path = tmp / "failgate.toml"
    path.write_text(f"x = {text}\n")
    with pytest.raises(FailgateError) as caught:
        _read_toml(path)
    assert caught.value.findings and caught.value.findings[0].location.line == 1


def journal_file(text: str, tmp: Path) -> None:
    from failgate.journal import JOURNAL_NAME, recover

    (tmp / JOURNAL_NAME).write_text('{"steps": ' + text + "}")
    with pytest.raises(FailgateError):
        recover(tmp)


def lock_file(text: str, tmp: Path) -> None:
    import os

    from failgate.atomic import _holder

    path = tmp / "lock"
    path.write_text(text[:4096])
    fd = os.open(path, os.O_RDONLY)
    try:
        assert "left no details" in _holder(fd)
    finally:
        os.close(fd)


def verdict_cache(text: str, tmp: Path) -> None:
    from failgate.eval.judge.llm_transport import VerdictCache

    cache = VerdictCache(tmp)
    key = "ab" + "0" * 62
    (tmp / "ab").mkdir(exist_ok=True)
    (tmp / "ab" / f"{key}.json").write_text(text)
    assert cache.get(key) is None


def github_event(text: str, tmp: Path) -> None:
    from failgate.gate.base import _github_event

    (tmp / "event.json").write_text(text)
    assert _github_event({"GITHUB_EVENT_PATH": str(tmp / "event.json")}) == {}


def config_at_a_revision(text: str) -> None:
    from failgate.gate.policy import config_at

    found = config_at(lambda path: f"x = {text}\n".encode() if path == "failgate.toml" else None, "")
    assert found.raw == {} and "not valid TOML" in str(found.problem)


def decoded_strings(text: str) -> None:
    from failgate.intake.traces.shapes import decoded

    assert decoded(text) == text  # left as text, not a crash


DEPTH_READERS: dict[str, Callable[..., None]] = {
    "dataset/yamlstrict.py:load_yaml_text": yaml_reader,
    "dataset/jsonstrict.py:loads_line": jsonl_reader,
    "dataset/jsonstrict.py:loads_or_none": history_fold,
    "intake/traces/stream.py:_iter_lines": trace_lines,
    "intake/traces/stream.py:_iter_array": trace_array,
    "eval/judge/llm_transport.py:_content": judge_body,
    "eval/judge/llm.py:parse_verdict": judge_verdict,
    "eval/judge/structured.py:check": schema_answer,
    "eval/agents/worker.py:_parse": worker_answer,
    "config/__init__.py:_read_toml": config_toml,
    "journal.py:recover": journal_file,
    "atomic.py:_holder": lock_file,
    "eval/judge/llm_transport.py:get": verdict_cache,
    "gate/base.py:_github_event": github_event,
    "intake/traces/shapes.py:decoded": decoded_strings,
    "gate/policy.py:config_at": config_at_a_revision,
}
TAKES_TMP = {trace_lines, trace_array, config_toml, journal_file, lock_file, verdict_cache, github_event}


def attack(reader: Callable[..., None], text: str, tmp_path: Path) -> None:
    reader(text, tmp_path) if reader in TAKES_TMP else reader(text)


@pytest.mark.parametrize("reader", DEPTH_READERS.values(), ids=DEPTH_READERS.keys())
def test_depth_limit(reader: Callable[..., None], tmp_path: Path) -> None:
    attack(reader, DEEP, tmp_path)


INT_READERS = {
    k: v
    for k, v in DEPTH_READERS.items()
    if v in (yaml_reader, jsonl_reader, history_fold, trace_lines, judge_verdict, config_toml, worker_answer)
}


@pytest.mark.parametrize("reader", INT_READERS.values(), ids=INT_READERS.keys())
def test_integer_digits_limit(reader: Callable[..., None], tmp_path: Path) -> None:
    if reader is trace_lines:
        attack(reader, HUGE_INT, tmp_path)
    elif reader is judge_verdict:
        judge_verdict(HUGE_INT)
    else:
        attack(reader, HUGE_INT, tmp_path)


def test_control_the_readers_accept_a_sane_value(tmp_path: Path) -> None:
    from failgate.config import _read_toml
    from failgate.dataset.jsonstrict import loads_line
    from failgate.dataset.yamlstrict import load_yaml_text
    from failgate.eval.judge.llm import parse_verdict

    assert load_yaml_text("a: [[1]]\n", "c.yaml").data == {"a": [[1]]}
    assert loads_line('{"a": [[1]], "n": 12345}') == {"a": [[1]], "n": 12345}
    assert parse_verdict('{"pass": true, "reason": "ok"}') == (True, "ok")
    (tmp_path / "f.toml").write_text("x = [[1]]\n")
    assert _read_toml(tmp_path / "f.toml")[0] == {"x": [[1]]}


# -- time ---------------------------------------------------------------------------------------------------
def judged(rule: dict[str, Any], response: dict[str, Any]) -> tuple[bool, str]:
    from failgate.eval.judge import JudgeOptions, judge_case, parse_response

    (result,) = judge_case({"id": "AGTFAIL-0001", "expected": [rule]}, parse_response(response, 1.0), JudgeOptions())
    return result.passed, result.got


def redactor_pattern() -> str:
    from failgate.intake.redact import make_redactor

    with pytest.raises(FailgateError, match="did not finish within"):
        make_redactor([("<X>", EVIL)])(LONG_A)
    return "timed out"


def refusal_pattern() -> str:
    from failgate.eval.judge import JudgeOptions, judge_case, parse_response

    options = JudgeOptions(refusal_patterns=(EVIL,))
    (result,) = judge_case(
        {"id": "AGTFAIL-0001", "expected": [{"not_refused": True}]}, parse_response({"output": LONG_A}, 1.0), options
    )
    return result.got


TIME_PATHS: dict[str, Callable[[], str]] = {
    "regex rule": lambda: judged({"regex": EVIL}, {"output": LONG_A})[1],
    "json_schema pattern": lambda: judged({"json_schema": {"pattern": EVIL}}, {"output": json.dumps(LONG_A)})[1],
    "tool_args_schema pattern": lambda: judged(
        {"tool_args_schema": {"name": "t", "schema": {"properties": {"q": {"pattern": EVIL}}}}},
        {"output": "", "tool_calls": [{"name": "t", "arguments": {"q": LONG_A}}]},
    )[1],
    "refusal patterns": refusal_pattern,
    "redact_patterns": redactor_pattern,
}


@pytest.mark.parametrize("path", TIME_PATHS.values(), ids=TIME_PATHS.keys())
def test_time_budget(path: Callable[[], str]) -> None:
    start = time.monotonic()
    got = path()
    assert "timed out" in got, got
    assert time.monotonic() - start < 15


# -- size ---------------------------------------------------------------------------------------------------
def test_size_limit_worker_answer_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from failgate.eval.agents import AgentError, AgentRequest
    from failgate.eval.agents import worker as worker_module

    monkeypatch.setattr(worker_module, "MAX_ANSWER_BYTES", 1 << 20)
    script = tmp_path / "w.py"
    script.write_text("import sys\nfor line in sys.stdin:\n    sys.stdout.write('x' * (3 << 20)); sys.stdout.flush()\n")
    agent = worker_module.WorkerPoolAgent([sys.executable, str(script)], cwd=tmp_path)
    try:
        with pytest.raises(AgentError, match="over 1 MB"):
            agent.call(AgentRequest("AGTFAIL-0001", {}, 0, 30))
    finally:
        agent.close()


def test_size_limit_trace_record_and_verdict(tmp_path: Path) -> None:
    from failgate.eval.judge.llm import MAX_VERDICT_CHARS, NotAVerdict, parse_verdict
    from failgate.eval.judge.llm_transport import MAX_BODY_BYTES
    from failgate.intake.traces.stream import MAX_RECORD

    with pytest.raises(NotAVerdict, match="characters long"):
        parse_verdict('{"pass": true, "reason": "' + "x" * MAX_VERDICT_CHARS + '"}')
    assert MAX_BODY_BYTES <= 64 << 20 and MAX_RECORD <= 64 << 20  # the other two: tests/test_judge_endpoint_limits.py,
    # tests/test_intake_hostile_limits.py attack them for real


# -- count --------------------------------------------------------------------------------------------------
def test_count_limit_repeat_is_the_schemas_maximum() -> None:
    import json

    from failgate.dataset.model import MAX_REPEAT

    def maxima(node: object) -> list[object]:
        # every "maximum" under a schema fragment: a fixed repeat, and a sequential one's min and max
        if isinstance(node, dict):
            return ([node["maximum"]] if "maximum" in node else []) + [m for v in node.values() for m in maxima(v)]
        if isinstance(node, list):
            return [m for v in node for m in maxima(v)]
        return []

    def find_repeat(node: object) -> object:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict) and "repeat" in node["properties"]:
                return node["properties"]["repeat"]
            return next((r for v in node.values() if (r := find_repeat(v)) is not None), None)
        if isinstance(node, list):
            return next((r for v in node if (r := find_repeat(v)) is not None), None)
        return None

    for name in ("cases.schema.json", "aggregate-cases.schema.json"):
        repeat = find_repeat(json.loads((ROOT / "schemas" / name).read_text()))
        found = maxima(repeat)
        assert found and set(found) == {MAX_REPEAT}, (name, found)


def test_count_limit_findings_per_code() -> None:
    import io

    from failgate.findings import Finding, Location
    from failgate.reporting import MAX_PER_CODE, print_findings

    many = [Finding("SCHEMA", f"bad {i}", Location("c.yaml", i + 1, 1)) for i in range(MAX_PER_CODE + 250)]
    out = io.StringIO()
    print_findings([*many, Finding("DUPLICATE_KEY", "x", Location("c.yaml", 1, 1))], out, github=False)
    lines = out.getvalue().splitlines()
    assert len(lines) == MAX_PER_CODE + 1 + 1
    assert lines[-1] == f"failgate: ... and 250 more SCHEMA findings (the first {MAX_PER_CODE} shown)"
    control = io.StringIO()
    print_findings(many[:3], control, github=False)
    assert len(control.getvalue().splitlines()) == 3


# -- network ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["json_schema", "tool_args_schema"])
def test_network_never_from_a_rule(rule: str) -> None:
    from failgate.eval.judge import validate_rules

    schema = {"$ref": "http://127.0.0.1:9/schema.json"}
    value = schema if rule == "json_schema" else {"name": "t", "schema": schema}
    problems = validate_rules([{rule: value}])
    assert problems and "never fetches" in problems[0][1]


# -- the meta-test: every parse of user data is in the table ------------------------------------------------
PARSERS = {("json", "loads"), ("json", "load"), ("tomllib", "loads"), ("ast", "literal_eval")}
# Calls whose input failgate wrote itself (or ships): not user data.
NOT_USER_DATA = {
    "dataset/schemas.py": "failgate's own schema files, shipped in the wheel",
    "intake/promotion.py": "re-reads the history line it has just written",
    "dataset/removal.py": "re-reads the history line it has just written",
    "merge/crossed.py": "compares an event it has just rewritten (renumber, the crossing undone)",
    "demo/step_merge.py": "the demo's own throwaway repository",
    "eval/agents/callable_worker.py": "requests failgate itself writes to the worker",
    "gitrepo.py": "failgate's own staging mark in the git directory",
    "examples": "the bundled example agent, not failgate's reading of user data",
    "demo/step_weekly.py": "the demo's own webhook server, reading what failgate itself sent",
}
# Readers guarded in the table above, by file: the parse calls in them are what the table attacks.
GUARDED = {
    "dataset/jsonstrict.py",
    "eval/judge/llm.py",
    "intake/traces/stream.py",
    "intake/traces/shapes.py",
    "journal.py",
    "atomic.py",
    "eval/judge/llm_transport.py",
    "gate/base.py",
    "config/__init__.py",
    "eval/cases.py",  # the last-failed cache: ValueError and RecursionError read as "nothing recorded"
    "merge/__init__.py",  # renumber's note in the rebase state directory: read as "nothing renamed"
    "dataset/history.py",  # orjson with its own depth limit, else loads_or_none
    "gate/policy.py",  # the configuration at a revision (the base's, the branch's)
}


def parse_calls() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in PARSERS:
                    found.append(path.relative_to(SRC).as_posix())
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raw_decode":
                found.append(path.relative_to(SRC).as_posix())
    return found


def test_every_parse_of_user_data_is_a_guarded_reader() -> None:
    unlisted = sorted(
        {
            file
            for file in parse_calls()
            if file not in GUARDED and file not in NOT_USER_DATA and file.split("/")[0] not in NOT_USER_DATA
        }
    )
    assert not unlisted, (
        f"these files parse JSON/TOML/Python literals but are not in the limits table: {unlisted}; read through "
        "dataset.jsonstrict, or add the reader to DEPTH_READERS with its attack (or to NOT_USER_DATA with why)"
    )


def test_the_meta_test_sees_the_readers_it_guards() -> None:
    """Control: the scan finds the parse calls of readers the table attacks."""
    files = set(parse_calls())
    assert {"dataset/jsonstrict.py", "journal.py", "atomic.py", "config/__init__.py"} <= files
    covered = {key.split(":")[0] for key in DEPTH_READERS}
    assert covered - {"dataset/yamlstrict.py", "eval/judge/structured.py", "eval/agents/worker.py"} <= GUARDED


# -- the same limits through the command line -------------------------------------------------------------
def failgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "failgate", *args], cwd=cwd, capture_output=True, text=True)


def test_validate_refuses_a_billion_repeats_and_eval_does_not_run_them(example_project: Path) -> None:
    cases = example_project / "evals/failures/cases.yaml"
    text = cases.read_text()
    first = text.index("  - id: AGTFAIL-")
    second = text.index("\n  - id: AGTFAIL-", first + 1)
    block = text[first:second]
    cases.write_text(text[:first] + block.rstrip("\n") + "\n    repeat: 1000000000\n" + text[second:])
    result = failgate(example_project, "validate", "--no-cache")
    assert result.returncode == 1 and "repeat" in result.stdout + result.stderr
    start = time.monotonic()
    run = failgate(example_project, "eval", "--case", block.split()[2])
    assert run.returncode == 1 and "over the maximum of 100" in run.stdout, run.stdout + run.stderr
    assert time.monotonic() - start < 120
    cases.write_text(text[:first] + block.rstrip("\n") + "\n    repeat: 3\n" + text[second:])
    assert failgate(example_project, "validate", "--no-cache").returncode == 0  # control
    assert failgate(example_project, "eval", "--repeat", "1000000000").returncode == 2


@pytest.mark.parametrize(
    ("config", "needle", "line"),
    [
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested deeper than failgate reads", 1),
        ('dataset = "evals/failures"\njobs = ' + HUGE_INT + "\n", "more than 4300 digits", 2),
        ('[judge.llm]\nbase_url = "http://[::1"\nmodel = "m"\n', "judge.llm.base_url", 2),
        ('[judge.llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\ntimeout_s = 1e308\n', "timeout_s", 4),
    ],
    ids=["deep TOML", "5000-digit int", "bad IPv6 base_url", "timeout 1e308"],
)
def test_a_hostile_configuration_is_one_line_at_its_key(
    example_project: Path, config: str, needle: str, line: int
) -> None:
    (example_project / "failgate.toml").write_text(config)
    result = failgate(example_project, "validate")
    assert result.returncode == 2, result.stderr
    assert f"failgate.toml:{line}: CONFIG" in result.stderr and needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
