"""`failgate demo --step`: an unknown step is a usage error naming the real ones."""

from __future__ import annotations

import pytest

from failgate.cli import main
from failgate.demo import STEPS


def test_an_unknown_step_is_refused_with_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--step", "gat"]) == 2
    err = capsys.readouterr().err
    names = [module.removeprefix("step_") for module, _ in STEPS]
    assert "unknown demo step gat; the steps are: " + ", ".join(names) in err


def test_help_lists_the_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert all(module.removeprefix("step_") in out for module, _ in STEPS)
