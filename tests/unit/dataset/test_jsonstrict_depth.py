"""The depth limit every JSON loader shares holds without the per-character scan on ordinary records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from failgate.dataset.jsonstrict import (
    MAX_DEPTH,
    JsonLineError,
    _deepest_column,
    loads_line,
    loads_or_none,
    nesting_depth,
)

json_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\an\u00e9\u2028', max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[{"\\k', max_size=3), inner, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=600, deadline=None)
@given(json_values, st.integers(min_value=1, max_value=8), st.booleans())
def test_on_any_json_the_fast_check_reports_exactly_what_the_character_walk_reports(
    value: object, limit: int, ascii_only: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nesting_depth(text, limit) == _deepest_column(text, limit)


nested = st.recursive(
    st.sampled_from(["1", '"[{"', '"\\""', "[]", "{}"]),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")
        | st.lists(inner, max_size=3).map(lambda xs: "{" + ",".join(f'"k{i}":{x}' for i, x in enumerate(xs)) + "}")
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(nested, st.integers(min_value=1, max_value=8))
def test_on_nested_json_the_fast_check_agrees_with_the_walk(text: str, limit: int) -> None:
    assert nesting_depth(text, limit) == _deepest_column(text, limit)


def test_one_level_past_the_limit_is_refused_and_the_limit_itself_is_read() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    past = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert loads_line(at_limit) is not None
    try:
        loads_line(past)
    except JsonLineError as exc:
        assert exc.col == MAX_DEPTH + 1
    else:
        raise AssertionError("a line nested past the limit was read")
    assert loads_or_none(past) is None and loads_or_none(at_limit) is not None


def test_brackets_inside_strings_and_escaped_quotes_do_not_count() -> None:
    deep_text = json.dumps({"note": "[" * 500 + '\\"' + "{" * 500})
    assert nesting_depth(deep_text) == 0
    mixed = '{"a": [' * 40 + '"x\\"]}"' + "]}" * 40
    assert nesting_depth(mixed) == 32 * len('{"a": [') + 1  # 80 levels: the 65th opens the 33rd group
    assert nesting_depth(mixed, limit=80) == 0


def test_a_wide_record_of_many_shallow_containers_is_within_the_limit() -> None:
    wide = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "[{hi}]"}]}] * 300)
    assert nesting_depth(wide) == 0
    assert loads_line(wide)[0]["role"] == "user"


def test_lines_deeper_than_the_limit_are_refused_whichever_way_the_parser_stops() -> None:
    for depth in (MAX_DEPTH + 1, 500, 5_000, 100_000):  # read then walked; or stopped by RecursionError
        line = '{"a": ' * depth + "1" + "}" * depth
        try:
            loads_line(line, strict=False)
        except JsonLineError as exc:
            assert "nested more than" in exc.message and exc.col == MAX_DEPTH * len('{"a": ') + 1
        else:
            raise AssertionError(f"a line {depth} deep was read")
        assert loads_or_none(line) is None
    truncated = "[" * 200
    with pytest.raises(JsonLineError, match="nested more than"):
        loads_line(truncated)


def test_a_deep_item_of_a_streamed_array_is_skipped_and_its_neighbours_read(tmp_path: Path) -> None:
    from failgate.intake.traces.stream import RecordError, iter_records

    deep = "[" * 200 + "]" * 200
    path = tmp_path / "export.json"
    path.write_text('{"data": [\n{"id": 1},\n' + deep + ',\n{"id": 2}\n]}\n')  # pretty-printed: streamed
    records = [r for _, r in iter_records(path)]
    assert records[0] == {"id": 1} and records[2] == {"id": 2}
    assert isinstance(records[1], RecordError)
