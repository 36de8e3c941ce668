"""`failgate gate --html PATH`: the report page focused on the range under test, flips first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import break_cases, copied_consumer, failgate, setup_consumer


@pytest.fixture
def consumer(git_repo: Path, scenarios: Any) -> Path:
    """main: three cases, a green baseline recorded and committed; checked out on branch `feature`."""
    return copied_consumer(scenarios, git_repo, baseline="branch")


def page_data(page: str) -> dict:  # type: ignore[type-arg]
    return json.loads(re.search(r'<script type="application/json" id="fg-data">(.*?)</script>', page, re.S)[1])


def test_a_flip_comes_first_in_the_gate_page(consumer: Path) -> None:
    break_cases(consumer, 2)
    head = commit_all(consumer, "agent change")
    out = consumer / "reports" / "gate.html"
    result = failgate(consumer, "gate", "--html", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    page = out.read_text()
    data = page_data(page)
    assert data["rows"][0][0] == "AGTFAIL-0002"  # the flip is the first row
    assert data["columns"][-1][0] == head and data["columns"][-1][3] == "now"
    first_row = re.search(r'<div class="row" data-r="0" data-case="AGTFAIL-0002">.*?</div>', page, re.S)[0]
    assert first_row.endswith("<i class=flip></i></span></div>")  # the gate run's column
    assert "Flips (1): passed at the baseline, fail now" in page
    assert 'class="verdict bad"' in page
    assert "wrote the HTML report" in result.stderr


def test_a_green_range_has_no_focus_rows_control(consumer: Path) -> None:
    (consumer / "README.md").write_text("unrelated\n")
    commit_all(consumer, "docs")
    out = consumer / "gate.html"
    result = failgate(consumer, "gate", "--html", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    page = out.read_text()
    assert 'class="verdict ok"' in page and "Flips (" not in page
    assert "gate: flips and failures" not in page
    assert [row[0] for row in page_data(page)["rows"]] == ["AGTFAIL-0003", "AGTFAIL-0001", "AGTFAIL-0002"]
    # The recorded baseline commit is outside the range; the gate's own run is inside.
    columns = page_data(page)["columns"]
    assert [c[2] for c in columns] == [False, True]


def test_an_unwritable_html_path_is_exit_2_after_the_verdict(consumer: Path) -> None:
    (consumer / "blocker").write_text("a file, not a directory\n")
    result = failgate(consumer, "gate", "--html", str(consumer / "blocker" / "gate.html"))
    assert result.returncode == 2
    assert "PASS: all 3 gating case(s) pass" in result.stdout  # the verdict is still shown
    assert "cannot write the HTML report" in result.stderr and "Traceback" not in result.stderr


def test_a_first_push_without_a_baseline_still_gets_its_page(git_repo: Path) -> None:
    """No merge-base yet (a new repository, nothing on the base branch): the page covers
    every commit up to the one under test, instead of a traceback."""
    setup_consumer(git_repo, config='base_branch = "origin/main"\n')
    remote = git_repo.parent / "remote.git"
    git(git_repo.parent, "init", "-q", "--bare", str(remote))
    git(git_repo, "remote", "add", "origin", str(remote))  # empty: the first push is still to come
    out = git_repo / "gate.html"
    result = failgate(git_repo, "gate", "--html", str(out))
    assert result.returncode == 0 and "no baseline yet" in result.stdout + result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and 'class="verdict ok"' in out.read_text()
