"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright.

Skipped when Playwright or Chromium is missing, except where
`FAILGATE_BROWSER_TESTS=required` (set by `.ci/run`, which installs both):
there a missing browser fails the run instead of hiding these tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_history import COMMITS, JUDGE_TWO, write_known

from failgate.cli import main

CHROMIUM = os.environ.get("FAILGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COLOURS = {
    "pass": "rgb(45, 164, 78)",
    "fail": "rgb(207, 34, 46)",
    "flip": "rgb(102, 57, 186)",
    "flaky": "rgb(212, 167, 44)",
    "removed": "rgb(87, 96, 106)",
    "fail c": "rgb(255, 206, 203)",
    "pass c": "rgb(172, 238, 187)",
}


def _missing(reason: str) -> None:
    if os.environ.get("FAILGATE_BROWSER_TESTS") == "required":
        pytest.fail(f"browser tests are required here: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; no `playwright install` needed)")
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page_of(browser: Any, git_repo: Path) -> Iterator[Any]:
    """The known history's report, open at 1280x800; every request the page makes is kept."""
    write_known(git_repo)
    out = git_repo / "report.html"
    assert main(["report", "--html", str(out)]) == 0
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
    page.goto(out.as_uri())
    yield page
    context.close()


def cell(page: Any, case: str, column: int) -> Any:
    return page.locator(f'.row[data-case="{case}"] .cells i').nth(column)


def colour(locator: Any) -> str:
    return str(locator.evaluate("e => getComputedStyle(e).backgroundColor"))


def test_heatmap_cells_and_colours_for_the_known_flips(page_of: Any) -> None:
    page = page_of
    assert page.locator(".row").count() == 3
    expected = {
        ("AGTFAIL-0001", 0): "pass",
        ("AGTFAIL-0001", 1): "flip",
        ("AGTFAIL-0001", 2): "fail c",
        ("AGTFAIL-0002", 1): "pass c",
        ("AGTFAIL-0002", 2): "flaky",
        ("AGTFAIL-0003", 0): "fail",
        ("AGTFAIL-0003", 2): "removed",
    }
    for (case, column), state in expected.items():
        assert cell(page, case, column).get_attribute("class") == state, (case, column)
        assert colour(cell(page, case, column)) == COLOURS[state], (case, column, state)
    # Control for the flip colour: the same case's recovery two commits later is a plain pass.
    assert colour(cell(page, "AGTFAIL-0001", 3)) == COLOURS["pass"]
    # Grouped by failure mode, in taxonomy order.
    assert page.locator(".mode").evaluate_all("els => els.map(e => e.dataset.mode)") == [
        "tool_invocation",
        "retrieval_miss",
        "hallucination",
    ]
    assert page.errors == []  # type: ignore[attr-defined]


def test_hover_shows_the_cells_commit_date_judge_and_actor(page_of: Any) -> None:
    page = page_of
    tip = page.locator("#tip")
    assert tip.is_hidden()
    cell(page, "AGTFAIL-0001", 1).hover()
    assert tip.is_visible()
    assert tip.get_attribute("data-commit") == COMMITS[1]
    text = tip.inner_text()
    assert COMMITS[1] in text and "2026-06-05" in text and JUDGE_TWO in text and "actor ci" in text
    assert "state: flip" in text
    # A carried cell says where its outcome comes from.
    cell(page, "AGTFAIL-0001", 2).hover()
    assert tip.get_attribute("data-commit") == COMMITS[2]
    assert (
        f"nothing recorded at this commit; last recorded at {COMMITS[1][:12]}: fail at 2026-06-05" in tip.inner_text()
    )
    # Two results at one commit by different actors: each cell names its own.
    cell(page, "AGTFAIL-0001", 0).hover()
    assert "actor dana@example.com" in tip.inner_text()
    cell(page, "AGTFAIL-0002", 0).hover()
    assert "actor ci" in tip.inner_text() and "2026-06-03" in tip.inner_text()


def test_keyboard_focus_shows_the_commit_too(page_of: Any) -> None:
    page = page_of
    page.keyboard.press("Tab")  # the grid is one tab stop: its first cell
    first = page.evaluate("document.activeElement.closest('.row').dataset.case")
    assert first == "AGTFAIL-0003"
    assert page.locator("#tip").get_attribute("data-commit") == COMMITS[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tip").get_attribute("data-case") == "AGTFAIL-0001"
    assert page.locator("#tip").get_attribute("data-commit") == COMMITS[1]
    assert "state: flip" in page.locator("#tip").inner_text()


def test_the_page_fetches_nothing(page_of: Any) -> None:
    page = page_of
    cell(page, "AGTFAIL-0002", 2).hover()
    assert [url for url in page.requests if not url.startswith("file:")] == []  # type: ignore[attr-defined]


def test_screenshot_at_1280x800(page_of: Any, tmp_path: Path) -> None:
    page = page_of
    cell(page, "AGTFAIL-0001", 1).hover()
    shot = tmp_path / "report-1280x800.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 800)
    print(f"screenshot: {shot}")


def test_the_gate_page_puts_the_flip_first_and_its_run_last(browser: Any, git_repo: Path) -> None:
    from conftest import commit_all, git
    from gate_repo import break_cases, failgate, record_baseline, setup_consumer

    setup_consumer(git_repo)
    record_baseline(git_repo)
    git(git_repo, "checkout", "-q", "-b", "feature")
    break_cases(git_repo, 2)
    head = commit_all(git_repo, "agent change")
    out = git_repo / "gate.html"
    assert failgate(git_repo, "gate", "--html", str(out)).returncode == 1
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(out.as_uri())
        first = page.locator(".row").first
        assert first.get_attribute("data-case") == "AGTFAIL-0002"
        now = first.locator(".cells i").last
        assert colour(now) == COLOURS["flip"]
        now.hover()
        tip = page.locator("#tip")
        assert tip.get_attribute("data-commit") == head
        assert "now: this gate run" in tip.inner_text() and "in the range under test" in tip.inner_text()
        # Control: a case that still passes shows a pass in the same column.
        assert colour(page.locator('.row[data-case="AGTFAIL-0001"] .cells i').last) == COLOURS["pass"]
    finally:
        page.close()
