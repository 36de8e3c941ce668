"""The reports colour failures without click (the eval area imports no CLI library):
the bytes are the ones click.style wrote before, so terminals and the tests that read
coloured output see no change."""

from __future__ import annotations

import click
import pytest

from failgate.reporting import ansi_style


@pytest.mark.parametrize("fg", ["red", "green", "yellow"])
def test_same_bytes_as_click(fg: str) -> None:
    assert ansi_style("FAIL AGTFAIL-0001", fg=fg, bold=True) == click.style("FAIL AGTFAIL-0001", fg=fg, bold=True)
    # the reports leave bold out rather than turn it off: click then writes no bold code
    assert ansi_style("FAIL AGTFAIL-0001", fg=fg) == click.style("FAIL AGTFAIL-0001", fg=fg)


def test_an_unknown_colour_is_refused() -> None:
    with pytest.raises(KeyError):
        ansi_style("x", fg="mauve")
