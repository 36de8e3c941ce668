"""Progress and colour: on a terminal yes; piped, under CI or with NO_COLOR, nothing extra.

The terminal is a real pseudo-terminal (`pty`), so the command's isatty() is
what a person's shell gives it.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_all
from gate_repo import env, failgate, setup_consumer

SLOW_AGENT = """\
import time


def run(inp):
    time.sleep(0.15)  # long enough for the bar to draw
    say = inp.get("say", "")
    return {"output": "nope" if say == "ok 2" else say}
"""
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25])")  # a foreground colour
ANY_ESCAPE = re.compile(r"\x1b\[")


def plain(drawn: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)


@pytest.fixture
def slow_consumer(git_repo: Path) -> Path:
    setup_consumer(git_repo, numbers=tuple(range(1, 9)), module="slowagent")
    (git_repo / "slowagent.py").write_text(SLOW_AGENT)
    commit_all(git_repo, "a slow agent")
    return git_repo


def on_a_terminal(repo: Path, *args: str, **extra: str) -> tuple[int, str]:
    """Run failgate with stdout and stderr on one pseudo-terminal; (exit code, everything it drew)."""
    master, slave = pty.openpty()
    environment = env(**extra)
    environment.pop("NO_COLOR", None)
    environment.setdefault("TERM", "xterm-256color")
    environment.update({k: v for k, v in extra.items()})
    proc = subprocess.Popen(
        [sys.executable, "-m", "failgate", *args],
        cwd=repo,
        env=environment,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_eval_on_a_terminal_shows_progress_and_colour(slow_consumer: Path) -> None:
    code, drawn = on_a_terminal(slow_consumer, "eval", "--jobs", "1")
    assert code == 1
    assert re.search(r"eval .*\b\d/8\b", plain(drawn)), drawn  # cases done / total
    assert "1 failed" in plain(drawn) and "elapsed" in drawn and "left" in drawn
    assert COLOUR.search(drawn)


def test_piped_output_has_no_progress_and_no_escapes_control(slow_consumer: Path) -> None:
    result = failgate(slow_consumer, "eval", "--jobs", "1")
    assert result.returncode == 1
    for stream in (result.stdout, result.stderr):
        assert not ANY_ESCAPE.search(stream)
        assert "/8" not in stream and "elapsed" not in stream


def test_no_color_on_a_terminal_keeps_progress_without_colour(slow_consumer: Path) -> None:
    code, drawn = on_a_terminal(slow_consumer, "eval", "--jobs", "1", NO_COLOR="1")
    assert code == 1 and re.search(r"\b\d/8\b", plain(drawn))
    assert not COLOUR.search(drawn), repr(drawn[:400])


def test_under_ci_a_terminal_gets_no_progress(slow_consumer: Path) -> None:
    code, drawn = on_a_terminal(slow_consumer, "eval", "--jobs", "1", CI="true")
    assert code == 1
    assert not re.search(r"\b\d/8\b", plain(drawn)) and "elapsed" not in drawn


def test_the_gate_shows_progress_on_a_terminal(slow_consumer: Path) -> None:
    from conftest import git
    from gate_repo import record_baseline

    (slow_consumer / "slowagent.py").write_text(SLOW_AGENT.replace('say == "ok 2"', "False"))
    commit_all(slow_consumer, "green agent")
    record_baseline(slow_consumer)
    git(slow_consumer, "checkout", "-q", "-b", "feature")
    code, drawn = on_a_terminal(slow_consumer, "gate", "--jobs", "1")
    assert code == 0, drawn
    assert re.search(r"gate .*\b\d/8\b", plain(drawn)), drawn


def test_ingest_shows_its_count_on_a_terminal(git_repo: Path) -> None:
    setup_consumer(git_repo)
    traces = git_repo / "traces.jsonl"
    traces.write_text(
        "".join(
            f'{{"trace_id": "t{n}", "input": {{"say": "hello {n}"}}, "output": "x", "error": "boom {n}"}}\n'
            for n in range(250)
        )
    )
    code, drawn = on_a_terminal(git_repo, "ingest", str(traces))
    assert code == 0, drawn
    assert re.search(r"ingest .*\b(100|200|250) traces .*\b(100|200|250) failed", plain(drawn)), drawn


@pytest.mark.parametrize("argv", [["validate"], ["check-ledger"]])
def test_the_hooks_never_import_rich(git_repo: Path, argv: list[str]) -> None:
    setup_consumer(git_repo)
    code = (
        f"import sys\nfrom failgate.cli import main\nmain({argv!r})\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=git_repo, env=env(), capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
    assert not re.search(r"\|\s+rich(\.|\s*$)", out.stderr, re.M)  # -X importtime lists every import


def test_a_shown_bar_does_import_rich_control() -> None:
    from failgate.progress import case_progress

    with case_progress("eval", True) as update:
        assert update is not None
        update(1, 2, 0)
    assert "rich.progress" in sys.modules


def test_judge_check_shows_progress_on_a_terminal(git_repo: Path) -> None:
    """The gold set against a judge model that takes its time, as a remote one does."""
    from failgate.examples.judge_server import JudgeServer, verdict

    with JudgeServer(lambda body: verdict(True, "fine"), latency_s=0.15) as judge:
        setup_consumer(
            git_repo, config=f'[judge.llm]\nbase_url = "{judge.base_url}"\nmodel = "m"\nmax_concurrency = 1\n'
        )
        examples = "".join(
            f'  - id: GOLD-{n:04d}\n    rule: {{llm_rubric: "Is polite"}}\n    response: "hello {n}"\n    human: pass\n'
            for n in range(1, 9)
        )
        (git_repo / "evals" / "judge_gold.yaml").write_text("schema_version: 1\nexamples:\n" + examples)
        code, drawn = on_a_terminal(git_repo, "judge-check", "--no-cache")
        assert code == 0, drawn
        assert re.search(r"judge-check .*\b\d/8\b", plain(drawn)), drawn
        piped = failgate(git_repo, "judge-check", "--no-cache")  # control: piped, no bar
        assert piped.returncode == 0 and not ANY_ESCAPE.search(piped.stdout + piped.stderr), piped.stdout
