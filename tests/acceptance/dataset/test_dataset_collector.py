"""No cyclic garbage collection while a large dataset is parsed or validated.

Parsed YAML is acyclic, so every collection during the parse searched a million
live containers for cycles and found none: 22-25 % of a cold validate's CPU at
10,000 cases. Observed through `gc.callbacks` (what the collector itself reports),
never timed; beside each attack, the control that the observation can fail.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from failgate import cli
from failgate.collector import paused
from failgate.dataset.yamlstrict import load_yaml_text

ENTRIES = 3000
TEXT = "entries:\n" + "".join(f"  - {{id: e{n}, tags: [a, b], input: {{say: 'hi {n}'}}}}\n" for n in range(ENTRIES))


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every cyclic collection that starts while the test runs."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)


def test_parsing_runs_no_collection(collections: list[int]) -> None:
    assert gc.isenabled()
    doc = load_yaml_text(TEXT, "big.yaml")
    assert len(doc.data["entries"]) == ENTRIES
    # At most the one young-generation pass that the first allocation after the parse
    # starts (everything built at once is looked at once), and no older generation.
    assert len(collections) <= 1 and 2 not in collections, collections
    assert gc.isenabled()  # the collector is back once the parse is done


def test_control_the_same_values_built_with_the_collector_on_are_collected_over(collections: list[int]) -> None:
    built = [{"id": f"e{n}", "tags": ["a", "b"], "input": {"say": f"hi {n}"}} for n in range(ENTRIES)]
    assert len(built) == ENTRIES and len(collections) > 1  # the callback does see collections


def test_a_collector_paused_by_the_caller_stays_paused(collections: list[int]) -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
        load_yaml_text(TEXT, "big.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_parse_error_gives_the_collector_back() -> None:
    with pytest.raises(Exception, match="duplicate key"):
        load_yaml_text("a: 1\na: 2\n", "dup.yaml")
    assert gc.isenabled()


def test_cold_validate_of_a_large_dataset_runs_no_full_collection(
    git_repo: Path, collections: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    # The whole command, in-process: the parse and the checks over the parsed
    # dataset allocate their findings without a full collection walking the dataset.
    import sys

    sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))
    try:
        from bench_validate import make_dataset
    finally:
        sys.path.pop(0)
    make_dataset(git_repo / "evals" / "failures", 1500)
    cli.main(["validate", "--no-cache"])  # imports and config first: their collections do not count
    collections.clear()
    assert cli.main(["validate", "--no-cache"]) == 0, capsys.readouterr()
    assert 2 not in collections, json.dumps(collections)
