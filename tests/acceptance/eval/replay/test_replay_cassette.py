"""Cassettes under `validate` and in the gate's judged definition: each bad cassette is a clear
finding at file:line, nothing is written, and a good one (the control) validates clean."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from dataset_builder import HEADER, case_block, write_dataset

from failgate.cli import main
from failgate.dataset.cassette import MAX_CASSETTE_BYTES, parse_cassette, render_cassette
from failgate.gate.definitions import redefined_cases

DATASET = Path("evals/failures")
REF = "cassettes/AGTFAIL-0001.jsonl"

TOOL = {"type": "tool", "name": "lookup_order", "arguments": {"order_id": "8812"}, "result": {"status": "broken"}}
MODEL = {
    "type": "model",
    "api": "openai.chat",
    "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    "response": {"text": "order 8812 refunded", "tool_calls": []},
}


def good_cassette(case_id: str = "AGTFAIL-0001") -> bytes:
    return render_cassette(case_id, [MODEL, TOOL], source="test")


def with_cassette(ref: str = REF) -> str:
    block = case_block("AGTFAIL-0001").replace("    input:\n", f"    input:\n      cassette: {ref}\n", 1)
    return HEADER + block + "\n" + case_block("AGTFAIL-0002", title="Second", contains="x")


@pytest.fixture
def dataset(git_repo: Path) -> Path:
    directory = write_dataset(git_repo / DATASET, cases=with_cassette())
    (directory / "cassettes").mkdir()
    (directory / REF).write_bytes(good_cassette())
    return directory


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def validate(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", "--no-cache"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_good_cassette_validates_clean(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = validate(capsys)
    assert (code, output) == (0, "")


def test_cassette_is_left_out_of_input_hash(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The control above has the case_block's hash of the input without the cassette: no warning.
    code, output = validate(capsys)
    assert "input_hash" not in output


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("wrong schema", lambda: good_cassette().replace(b'"arguments"', b'"args"'), f"{REF}:3: "),
        ("truncated line", lambda: good_cassette()[:-20], f"{REF}:3:"),
        ("not JSON", lambda: good_cassette() + b"{nope\n", f"{REF}:4:"),
        ("duplicate key", lambda: good_cassette() + b'{"type": "tool", "type": "tool"}\n', "duplicate key"),
        ("no header", lambda: (json.dumps(TOOL) + "\n").encode(), f"{REF}:1: CASSETTE line 1 must be the header"),
        ("names another case", lambda: good_cassette("AGTFAIL-0002"), "names AGTFAIL-0002, but AGTFAIL-0001 uses it"),
        ("oversize", lambda: good_cassette() + b" " * MAX_CASSETTE_BYTES, f"holds at most {MAX_CASSETTE_BYTES:,}"),
        ("empty", lambda: b"", "is empty"),
    ],
)
def test_bad_cassette_is_refused_at_its_line_and_nothing_written(
    name: str, content: object, expected: str, dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / REF).write_bytes(content())  # type: ignore[operator]
    before = snapshot(dataset.parent.parent)
    code, output = validate(capsys)
    assert code == 1, name
    assert expected in output, output
    assert "Traceback" not in output
    assert snapshot(dataset.parent.parent) == before


def test_missing_cassette_is_refused_at_the_cases_line(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dataset / REF).unlink()
    code, output = validate(capsys)
    assert code == 1
    line = (dataset / "cases.yaml").read_text().splitlines().index(f"      cassette: {REF}") + 1
    assert f"cases.yaml:{line}:" in output and "does not exist" in output, output


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("../outside.jsonl", "points outside the dataset"), ("/etc/x.jsonl", "is absolute"), ("c.txt", "JSON-lines")],
)
def test_cassette_path_outside_the_dataset_is_refused(
    ref: str, expected: str, git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = write_dataset(git_repo / DATASET, cases=with_cassette(ref))
    (directory.parent / "outside.jsonl").write_bytes(good_cassette())
    code, output = validate(capsys)
    assert code == 1 and expected in output, output


def test_cassette_symlink_out_of_the_repository_is_refused_unread(
    dataset: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.jsonl"
    secret.write_bytes(good_cassette())
    (dataset / REF).unlink()
    os.symlink(secret, dataset / REF)
    code, output = validate(capsys)
    assert code == 1 and "resolves outside the repository" in output, output
    assert str(secret) not in output


def test_a_cassette_that_names_no_case_is_refused(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dataset / "cassettes" / "AGTFAIL-0099.jsonl").write_bytes(good_cassette("AGTFAIL-0099"))
    code, output = validate(capsys)
    assert code == 1 and "cassettes/AGTFAIL-0099.jsonl:1: CASSETTE names no case" in output, output


def test_the_clean_cache_notices_a_cassette_edit(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0  # cached clean
    capsys.readouterr()
    (dataset / REF).write_bytes(good_cassette()[:-20])
    assert main(["validate"]) == 1, capsys.readouterr().out


def test_parse_keeps_the_interactions_in_order() -> None:
    cassette, findings = parse_cassette(good_cassette(), "c.jsonl")
    assert findings == [] and cassette is not None
    assert cassette.case_id == "AGTFAIL-0001"
    assert [i["type"] for i in cassette.interactions] == ["model", "tool"]


def test_a_cassette_edit_is_a_redefinition() -> None:
    case = {"id": "AGTFAIL-0001", "status": "active", "input": {"cassette": REF}, "expected": []}
    blobs = {"base": {REF: "blob-a"}, "now": {REF: "blob-b"}}
    changed = redefined_cases([case], [case], blobs["base"].get, blobs["now"].get)
    assert [(r.case_id, r.changed) for r in changed] == [("AGTFAIL-0001", ("cassette",))]
    # control: the same bytes on both sides are no redefinition
    assert redefined_cases([case], [case], blobs["base"].get, blobs["base"].get) == []


def test_remove_takes_the_cassette_with_the_case(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remove", "AGTFAIL-0001", "--reason", "obsolete flow", "--by", "dana@example.com"]) == 0
    assert "cassettes/AGTFAIL-0001.jsonl" in capsys.readouterr().out
    assert not (dataset / REF).exists()
    code, output = validate(capsys)
    assert (code, output) == (0, ""), output
    # control: the other case and its files are untouched
    assert "AGTFAIL-0002" in (dataset / "cases.yaml").read_text()
