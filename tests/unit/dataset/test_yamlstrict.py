from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from failgate.dataset.yamlstrict import YamlLoadError, load_yaml


def load_error(data: bytes):
    with pytest.raises(YamlLoadError) as info:
        load_yaml(data, "f.yaml")
    return info.value.finding


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"a: 1\nb: 2\na: 3\n", "DUPLICATE_KEY", 3),
        (b"a:\n\tb: 1\n", "TAB", 2),
        (b"\xef\xbb\xbfa: 1\n", "BOM", 1),
        (b"a: 1\nb: \xff\n", "ENCODING", 2),
        (b"", "EMPTY", 1),
        (b"# only a comment\n\n", "EMPTY", 1),
        (b"- 1\n- 2\n", "NOT_MAPPING", 1),
        (b"just a string\n", "NOT_MAPPING", 1),
        (b'a: 1\nb: "unclosed\nc: 3\n', "YAML_SYNTAX", 2),
        (b"a: &x [1, 2]\nb: *x\n", "ALIAS", 1),  # the anchor is where it starts
        (b"a: [1, 2]\nb: *x\n", "ALIAS", 2),
        (b"a: &x [1, 2]\n", "ALIAS", 1),
        (b"a: !!binary aGVsbG8=\n", "TAG", 1),
        (b"a: !custom x\n", "TAG", 1),
        (b"a: 1\n---\nb: 2\n", "MULTI_DOCUMENT", 2),
        (b"base: &b {x: 1}\nc:\n  <<: *b\n", "ALIAS", 1),
        (b"c:\n  <<: {x: 1}\n", "ALIAS", 2),
        (b"a: 1\n  b: 2\n", "YAML_SYNTAX", 2),
    ],
)
def test_refusals_name_the_line(data: bytes, code: str, line: int) -> None:
    finding = load_error(data)
    assert finding.code == code
    assert finding.location.line == line
    assert finding.location.path == "f.yaml"


def test_yaml_11_traps_stay_strings() -> None:
    doc = load_yaml(
        b"intent: no\nok: yes\nswitch: on\nday: 2024-03-19\nmode: 0777\nt: true\nn: null\nf: 1.5\n", "f.yaml"
    )
    assert doc.data == {
        "intent": "no",
        "ok": "yes",
        "switch": "on",
        "day": "2024-03-19",
        "mode": 777,
        "t": True,
        "n": None,
        "f": 1.5,
    }


def test_billion_laughs_refused_fast() -> None:
    bomb = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi"):
        bomb += f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n".encode()
    started = time.perf_counter()
    finding = load_error(bomb)
    elapsed = time.perf_counter() - started
    assert finding.code == "ALIAS"
    assert elapsed < 1.0  # a guard against expansion, not a benchmark


def test_node_locations_follow_json_paths() -> None:
    doc = load_yaml(b"cases:\n  - id: A\n    severity: high\n  - id: B\n", "c.yaml")
    assert doc.locate(["cases", 0, "severity"]).line == 3
    assert doc.locate(["cases", 1]).line == 4
    assert doc.locate_key(["cases", 0], "severity").col == 5
    # A path that does not resolve points at the deepest node that does.
    assert doc.locate(["cases", 0, "missing"]).line == 2


def test_collect_mode_keeps_going_after_duplicates() -> None:
    doc = load_yaml(b"a: 1\na: 2\nb: 3\nb: 4\n", "f.yaml", collect=True)
    assert doc.data == {"a": 1, "b": 3}
    assert [f.location.line for f in doc.findings] == [2, 4]


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=6))
def test_round_trip_of_failgate_writes(data: dict) -> None:
    """Whatever failgate writes (promote, remove, intake files), the strict loader reads back as is."""
    from failgate.dataset.casefile import dump_yaml

    assert load_yaml(dump_yaml(data).encode(), "f.yaml").data == data


@pytest.mark.parametrize(
    "value", ["0E0", "1e5", "0o17", "0x1F", ".inf", "-.5", "true", "null", "~", "12", "no", "2026-05-01"]
)
def test_strings_that_look_like_yaml_12_numbers_are_quoted(value: str) -> None:
    """PyYAML (YAML 1.1) writes `0E0` and `0o17` plain; strict YAML 1.2 reads them as numbers."""
    from failgate.dataset.casefile import dump_yaml

    assert load_yaml(dump_yaml({"intent": value}).encode(), "f.yaml").data == {"intent": value}


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        load_yaml(data, "f.yaml")
    except YamlLoadError as exc:
        assert exc.finding.location.path == "f.yaml"
