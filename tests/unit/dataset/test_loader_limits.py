"""The loaders' promises under attack, each with its control beside it.

YAML semantics follow the official YAML test suite where failgate's strict
reader keeps YAML at all; JSON lines follow RFC 8259 plus the limits every
loader shares (`jsonstrict.MAX_DEPTH`, Python's 4,300-digit integers).
"""

from __future__ import annotations

import datetime
import json

import pytest

from failgate.dataset.jsonstrict import MAX_DEPTH, JsonLineError, loads_line, loads_or_none, split_lines
from failgate.dataset.yamlstrict import YamlLoadError, load_yaml, load_yaml_text


def refusal(text: str | bytes) -> tuple[str, int, int, str]:
    with pytest.raises(YamlLoadError) as info:
        if isinstance(text, bytes):
            load_yaml(text, "f.yaml", expect_mapping=False)
        else:
            load_yaml_text(text, "f.yaml")
    finding = info.value.finding
    return finding.code, finding.location.line, finding.location.col, finding.message


# -- YAML keys: distinct values are distinct keys ----------------------------


@pytest.mark.parametrize("text", ["1: a\ntrue: b\n", "0: a\nfalse: b\n", "1: a\n1.0: b\n"])
def test_different_yaml_keys_are_not_called_duplicates(text: str) -> None:
    code, line, _, message = refusal(text)
    assert code == "KEY_TYPE" and line == 2 and "different YAML keys" in message


def test_control_quoted_keys_load() -> None:
    assert load_yaml_text('"1": a\n"true": b\n', "f").data == {"1": "a", "true": "b"}


def test_repeated_nan_keys_are_duplicates() -> None:
    assert refusal(".nan: a\n.nan: b\n")[:2] == ("DUPLICATE_KEY", 2)
    assert refusal("a: 1\na: 2\n")[:2] == ("DUPLICATE_KEY", 2)  # control: the usual duplicate


# -- positions: git's lines, characters not bytes ----------------------------


def test_control_character_column_counts_characters_on_its_line() -> None:
    assert refusal("a: x\nééé: b\x07\n")[:3] == ("ENCODING", 2, 7)
    assert refusal("éé: x\n\x07\n".encode())[:3] == ("ENCODING", 2, 1)


def test_invalid_utf8_column_counts_characters() -> None:
    assert refusal("a: 1\nééé: \xff\n".encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))[:3] == (
        "ENCODING",
        2,
        6,
    )


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_nel_ls_ps_are_not_line_breaks_for_line_numbers(separator: str) -> None:
    text = f'a: "one{separator}two"\nb: 2\nb: 3\n'
    assert refusal(text)[:2] == ("DUPLICATE_KEY", 3)
    doc = load_yaml_text(f'a: "one{separator}two"\nb: 2\n', "f")
    assert doc.data["a"] == f"one{separator}two"
    assert doc.locate(["b"]).line == 2  # control: without the separator it is line 2 as well
    assert load_yaml_text('a: "one two"\nb: 2\n', "f").locate(["b"]).line == 2


def test_a_raw_nel_is_refused_rather_than_folded_into_a_space() -> None:
    """libyaml (YAML 1.1) turns a NEL inside quotes into a space: silently another value."""
    assert refusal('a: 1\nb: "one\x85two"\n')[:3] == ("ENCODING", 2, 8)
    assert load_yaml_text('b: "one\\Ntwo"\n', "f").data == {"b": "one\x85two"}  # control: the escape


def test_syntax_error_points_at_the_line_that_stops_not_the_blank_line_after() -> None:
    code, line, _, _ = refusal("a: 1\nb:\n  c: [1,\n\n\n")
    assert (code, line) == ("YAML_SYNTAX", 3)
    assert refusal("a: 1\nb: 2\nc: d: e\n\n")[:2] == ("YAML_SYNTAX", 3)  # control: already on its line


@pytest.mark.parametrize("text", ['key: "value"# c\n', "key: 'value'#c\n", "key: [a]#c\n", "key: {a: 1}#c\n"])
def test_text_libyaml_would_drop_is_refused(text: str) -> None:
    code, line, _, message = refusal(text)
    assert (code, line) == ("YAML_SYNTAX", 1) and "space before '#'" in message


def test_control_comments_after_a_space_and_hashes_inside_strings_load() -> None:
    assert load_yaml_text('key: "value" # c\nb: "#x"\nc: [a] # c\nd: \'a"#\'\n', "f").data == {
        "key": "value",
        "b": "#x",
        "c": ["a"],
        "d": 'a"#',
    }


def test_a_lone_surrogate_given_as_text_is_a_finding() -> None:
    assert refusal("a: ok\nb: x\ud800\n")[:3] == ("ENCODING", 2, 5)
    assert refusal('a: "\\ud800"\n')[0] == "YAML_SYNTAX"
    assert load_yaml_text('a: "\\U0001F600"\n', "f").data == {"a": "\U0001f600"}  # control: YAML's escape


# -- limits shared by every loader -------------------------------------------


def test_nesting_limit_is_the_same_for_yaml_and_json() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert load_yaml_text(f"a: {ok[1:-1]}\n", "f")  # a mapping, then MAX_DEPTH - 1 lists: MAX_DEPTH in all
    assert refusal(f"a: {deep}\n")[0] == "TOO_DEEP"
    assert loads_line(ok) is not None
    with pytest.raises(JsonLineError, match="nested more than"):
        loads_line(deep)
    assert loads_or_none("[" * 100_000 + "]" * 100_000) is None  # the tolerant reader skips, never recurses


def test_huge_integers_are_refused_and_4300_digits_read() -> None:
    assert refusal("a: " + "1" * 4301 + "\n")[0] == "NUMBER"
    assert load_yaml_text("a: " + "1" * 4300 + "\n", "f").data["a"] > 0
    with pytest.raises(JsonLineError, match="digits"):
        loads_line('{"a": ' + "1" * 4301 + "}")
    assert loads_line('{"a": ' + "1" * 4300 + "}")["a"] > 0
    assert load_yaml_text('a: "' + "1" * 5000 + '"\n', "f").data["a"] == "1" * 5000  # quoted: text


@pytest.mark.parametrize(
    "line, words",
    [
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "Infinity"),
        ('{"a": "\\udfff"}', "surrogate"),
        ('{"a": ', "not valid JSON"),
    ],
)
def test_strict_json_lines_refuse(line: str, words: str) -> None:
    with pytest.raises(JsonLineError, match=words):
        loads_line(line)


def test_control_strict_json_reads_pairs_and_escapes() -> None:
    assert loads_line('{"a": "\\ud83d\\ude00", "b": [1.5, {"c": null}]}') == {
        "a": "\U0001f600",
        "b": [1.5, {"c": None}],
    }


def test_jsonl_splits_on_newline_only() -> None:
    text = json.dumps({"a": "x\u2028y\x85z\x0c"}, ensure_ascii=False) + "\r\n" + "{}\n"
    assert [line for _, line in split_lines(text) if line] == [text.split("\r\n")[0], "{}"]
    assert len(text.splitlines()) > 2  # control: what str.splitlines() would have made of it


# -- the dataset's files ------------------------------------------------------


def _dataset(history: str, cases: bytes | None = None):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from failgate.dataset.parse import parse_dataset

    example = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
    return parse_dataset(
        "ds",
        cases=cases if cases is not None else (example / "cases.yaml").read_bytes(),
        removed=(example / "cases_removed.yaml").read_bytes(),
        history=(example / "history.jsonl").read_bytes() + history.encode(),
    )


def _codes(dataset, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    from failgate.checks.validate import validate_dataset

    return [f.code for f in validate_dataset(dataset, **kw) if f.is_error]


EVENT = {
    "id": "01KQ763K187GQCGWNGTTZHYYZB",
    "ts": "2026-04-27T10:00:09Z",
    "case_id": "AGTFAIL-0001",
    "type": "remediated",
}


def test_a_line_separator_inside_a_history_string_is_one_event() -> None:
    line = json.dumps({**EVENT, "actor": "a\u2028b\x85c"}, ensure_ascii=False) + "\n"
    dataset = _dataset(line)
    assert dataset.history[-1].event is not None and dataset.history[-1].event["actor"] == "a\u2028b\x85c"
    assert _codes(dataset) == []


def test_events_from_the_future_beyond_clock_skew() -> None:
    now = datetime.datetime(2030, 5, 1, 12, tzinfo=datetime.timezone.utc)
    assert "FUTURE_EVENT" in _codes(_dataset(json.dumps({**EVENT, "ts": "2030-05-02T12:00:01Z"}) + "\n"), now=now)
    # control: within a day's skew
    assert "FUTURE_EVENT" not in _codes(_dataset(json.dumps({**EVENT, "ts": "2030-05-02T11:59:59Z"}) + "\n"), now=now)


def test_one_yaml_error_brings_no_cascade_of_unknown_cases() -> None:
    from pathlib import Path

    example = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"
    broken = (example / "cases.yaml").read_bytes().replace(b"cases:\n", b"cases: [\n", 1)
    assert _codes(_dataset("", broken)) == ["YAML_SYNTAX"]
    # control: with cases.yaml readable, an event about an unknown case is reported
    assert _codes(_dataset(json.dumps({**EVENT, "case_id": "AGTFAIL-9999"}) + "\n")) == ["UNKNOWN_CASE"]


def test_history_folds_skip_lines_too_deep_to_read() -> None:
    from failgate.dataset.history import fold_bytes, fold_latest

    deep = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    good = json.dumps({**EVENT, "type": "result", "outcome": "pass"}).encode() + b"\n"
    fold = fold_bytes(good + deep)
    assert fold.skipped == 1 and fold.cases["AGTFAIL-0001"].last_outcome == "pass"
    assert (
        fold_latest(good + deep.replace(b'"a"', b'"result"'), ["AGTFAIL-0001"]).cases["AGTFAIL-0001"].last_outcome
        == "pass"
    )


def test_recorded_outputs_split_on_newline_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from failgate.eval.agents.recorded import RecordedAgent

    path = tmp_path / "rec.jsonl"
    path.write_text(
        json.dumps({"id": "AGTFAIL-0001", "output": "a\u2028b"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    agent = RecordedAgent(path)
    assert agent.responses["AGTFAIL-0001"] == [{"output": "a\u2028b"}]


def test_renumber_keeps_a_history_line_holding_a_line_separator_whole() -> None:
    from failgate.merge.renumber import _event_ids, rename_events

    line = json.dumps({**EVENT, "actor": "a\u2028b\x85c"}, ensure_ascii=False)
    other = json.dumps({**EVENT, "id": "01KQ763K187GQCGWNGTTZHYYZC", "case_id": "AGTFAIL-0002"})
    history = line + "\n" + other + "\n"
    assert _event_ids(history, "AGTFAIL-0001") == {EVENT["id"]}
    renamed, count = rename_events(history, {EVENT["id"]}, "AGTFAIL-0001", "AGTFAIL-0031")
    assert count == 1
    assert renamed == line.replace("AGTFAIL-0001", "AGTFAIL-0031") + "\n" + other + "\n"
    # control: str.splitlines() would have cut the first event into three pieces
    assert len(line.splitlines()) == 3


def test_a_long_run_of_digits_as_text_is_written_quoted_and_reads_back() -> None:
    """The writer quotes what the strict reader would not read back as text."""
    from failgate.dataset.casefile import append_entry

    doc = load_yaml_text("schema_version: 1\nremoved: []\n", "r.yaml")
    digits = "1" * 5000
    text = append_entry(doc, "removed", {"id": "AGTFAIL-0001", "reason": digits})
    assert load_yaml_text(text, "r.yaml").data["removed"][0]["reason"] == digits
    # control: a short number-like text is quoted the same way
    text = append_entry(doc, "removed", {"id": "AGTFAIL-0001", "reason": "12"})
    assert load_yaml_text(text, "r.yaml").data["removed"][0]["reason"] == "12"
