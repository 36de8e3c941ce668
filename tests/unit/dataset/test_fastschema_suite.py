"""The fast checker against the official draft-07 JSON-Schema-Test-Suite.

`tests/data/json-schema-test-suite/` holds, unmodified, the suite's files for
every keyword `failgate.dataset.fastschema` compiles (see its README for the
commit). For each group the fast checker either declines (returns None, and
validate then uses jsonschema) or must agree with the suite and with the
jsonschema validator failgate uses on every test. Declining is counted: a
keyword file where it declines every group would prove nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failgate.dataset.fastschema import compile_schema
from failgate.dataset.schemas import _validator_class

SUITE = Path(__file__).parents[2] / "data" / "json-schema-test-suite" / "draft7"
FILES = sorted(SUITE.glob("*.json"))
# Declined by design: remote refs (definitions.json validates against the
# draft-07 meta-schema by URL), `$id` bases, tuple `items`, patternProperties
# and keywords failgate's schemas do not use.
ALL_DECLINED = {"definitions"}


def _groups(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fast_checker_agrees_with_the_suite_and_jsonschema(path: Path) -> None:
    compiled = declined = 0
    disagreements = []
    for group in _groups(path):
        check = compile_schema(group["schema"])
        if check is None:
            declined += 1
            continue
        compiled += 1
        validator = _validator_class()(group["schema"])
        for case in group["tests"]:
            fast = check(case["data"])
            reference = validator.is_valid(case["data"])
            if not (fast == reference == case["valid"]):
                disagreements.append((group["description"], case["description"], fast, reference, case["valid"]))
    assert not disagreements
    assert compiled > 0 or path.stem in ALL_DECLINED, (compiled, declined)


def test_control_a_wrong_checker_is_caught() -> None:
    """The comparison above would notice a checker that gets equality wrong."""
    group = next(g for g in _groups(SUITE / "enum.json") if g["description"] == "enum with [false] does not match [0]")
    check = compile_schema(group["schema"])
    assert check is not None
    assert [check(case["data"]) for case in group["tests"]] == [case["valid"] for case in group["tests"]]
    assert compile_schema({"enum": [[False]]})([0]) is False  # type: ignore[misc]


def test_the_vendored_files_cover_every_compiled_keyword() -> None:
    from failgate.dataset import fastschema

    keywords = {name[2:] for name in dir(fastschema._Generator) if name.startswith("k_")}
    names = {p.stem for p in FILES}
    aliases = {"if": "if-then-else"}
    assert {aliases.get(k, k) for k in keywords} <= names
    assert (SUITE.parent / "LICENSE").is_file()
