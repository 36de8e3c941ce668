"""A short, bounded fuzz run over the loaders, validate and the merge drivers.

Inputs are the example dataset's real files with a few hostile edits spliced
in (brackets, quotes, tabs, control characters, NEL/LS, a lone surrogate,
invalid UTF-8, 5,000-digit numbers, 70-deep nesting, anchors, tags, glued
comments, a second document...), and trace exports likewise. The promise: whatever the bytes, each
function answers with its data or its typed error (a finding), never another
exception. Bounded by `max_examples` (about 15 s in all on the 2-core CI box);
CI=true replays a fixed sequence (tests/conftest.py).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failgate.dataset.jsonstrict import JsonLineError, loads_line
from failgate.dataset.yamlstrict import YamlLoadError, load_yaml, load_yaml_text

EXAMPLE = Path(__file__).parents[2] / "src" / "failgate" / "examples" / "support-bot"
CASES = (EXAMPLE / "cases.yaml").read_bytes()
REMOVED = (EXAMPLE / "cases_removed.yaml").read_bytes()
HISTORY = (EXAMPLE / "history.jsonl").read_bytes()
WATCHLIST = (EXAMPLE / "watchlist.yaml").read_bytes()

SNIPPETS = [
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"- ",
    b"\t",
    b"#",
    b'"',
    b"'",
    b"&a ",
    b"*a",
    b"!!str ",
    b"!!python/name:os.system ",
    b"\x07",
    b"\x00",
    "\x85".encode(),
    "\u2028".encode(),
    b"\xed\xa0\x80",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n",
    b"  ",
    b"---\n",
    b"<<: ",
    b".nan",
    b"true",
    b"1.0",
    b"AGTFAIL-0001",
    b'"AGTFAIL-0001\\n"',
    b"1" * 5000,
    b"[" * 70,
    b"{" * 70,
    b'"v"# c',
    b"]#c",
    b"\\ud800",
    b"NaN",
    b"-Infinity",
    b'"id": ',
    b'"case_id": [1]',
    b"{1: a, b: c}",
    b'"\\u2028"',
    b"null",
    b"- id: AGTFAIL-0001\n",
    b"key: value\n",
    b"%YAML 1.2\n",
    b"? ",
    b"|\n",
    b">-\n",
]

# 60 per target keeps the run near 15 s; FAILGATE_FUZZ_EXAMPLES=400 hunts longer (about a minute).
FUZZ = settings(
    max_examples=int(os.environ.get("FAILGATE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate-line"]))
        at = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[at:at] = draw(st.sampled_from(SNIPPETS) | st.binary(max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "replace":
            data[at : at + 1] = draw(st.sampled_from(SNIPPETS))
        else:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
    return bytes(data)


@FUZZ
@given(mutated(CASES))
def test_the_yaml_loader_answers_with_data_or_a_finding(data: bytes) -> None:
    try:
        doc = load_yaml(data, "cases.yaml", collect=True)
    except YamlLoadError as exc:
        assert exc.finding.location.path == "cases.yaml" and exc.finding.location.line >= 0
        return
    assert doc.locate(["cases", 0, "id"]).line >= 1


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab: -[]{}#\"'\n\t&*!.1\x85\u2028\ud800\x07")), max_size=60))
def test_load_yaml_text_takes_any_text(text: str) -> None:
    try:
        load_yaml_text(text, "f.yaml", collect=True)
    except YamlLoadError:
        pass


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('{}[]":,1e.-\\u0dfaNI \u2028')), max_size=80))
def test_json_lines_answer_with_a_value_or_a_line_error(line: str) -> None:
    try:
        loads_line(line)
    except JsonLineError as exc:
        assert exc.col >= 0


@FUZZ
@given(mutated(CASES), mutated(HISTORY), mutated(WATCHLIST))
def test_validate_answers_with_findings(cases: bytes, history: bytes, watchlist: bytes) -> None:
    from failgate.checks.validate import validate_dataset
    from failgate.dataset.parse import parse_dataset

    dataset = parse_dataset("ds", cases=cases, removed=REMOVED, history=history, watchlist=watchlist)
    for finding in validate_dataset(dataset):
        assert finding.location.path.startswith("ds/")


@FUZZ
@given(mutated(HISTORY))
def test_check_ledger_and_history_folds_answer(history: bytes) -> None:
    from failgate.checks.ledger import check_ledger
    from failgate.dataset.history import fold_bytes, fold_latest, split_range
    from failgate.dataset.parse import parse_dataset

    base = parse_dataset("ds", cases=CASES, removed=REMOVED, history=HISTORY, watchlist=WATCHLIST)
    now = parse_dataset("ds", cases=CASES, removed=REMOVED, history=history, watchlist=WATCHLIST)
    check_ledger(base, now)
    fold_bytes(history)
    fold_latest(history, ["AGTFAIL-0001", "AGTFAIL-0002"])
    split_range(HISTORY, history)


@FUZZ
@given(mutated(HISTORY), mutated(HISTORY))
def test_the_history_merge_driver_merges_or_conflicts(ours: bytes, theirs: bytes) -> None:
    from failgate.merge.history import merge_history_streams

    out = io.BytesIO()
    report = merge_history_streams(io.BytesIO(HISTORY), io.BytesIO(ours), io.BytesIO(theirs), out)
    assert isinstance(report.clean, bool)


@FUZZ
@given(mutated(REMOVED), mutated(REMOVED))
def test_the_ledger_merge_driver_merges_or_conflicts(ours: bytes, theirs: bytes) -> None:
    from failgate.merge.ledger import merge_ledger

    assert isinstance(merge_ledger(REMOVED, ours, theirs).clean, bool)


@FUZZ
@given(mutated(CASES), mutated(CASES))
def test_the_cases_merge_driver_merges_or_conflicts(ours: bytes, theirs: bytes) -> None:
    from failgate.merge.cases import merge_cases

    assert isinstance(merge_cases(CASES, ours, theirs).clean, bool)


TRACES = (
    b'{"trace_id": "t1", "timestamp": "2026-05-07T10:00:00Z", "input": "Where is order 8820?", '
    b'"output": "I\'m sorry, but I can\'t help with that.", "tool_calls": [{"name": "lookup", "arguments": {"id": 1}}]}\n'
    b'{"trace_id": "t2", "input": {"messages": [{"role": "user", "content": "refund 8812"}]}, "output": "done", '
    b'"latency_ms": 812, "error": null, "tags": ["web"]}\n'
)


@FUZZ
@given(mutated(TRACES))
def test_the_trace_reader_skips_what_it_cannot_read(data: bytes) -> None:
    import tempfile

    from failgate.intake.traces import read_traces
    from failgate.intake.traces.model import ReadStats

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "traces.jsonl"
        path.write_bytes(data)
        stats = ReadStats()
        for trace in read_traces([path], stats=stats):
            assert trace.where.startswith(str(path))
