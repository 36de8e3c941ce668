"""Typed settings built once by the config loader: `Config.gold` ([judge] gold and
gold_floor), the one reading validate and judge-check share."""

from __future__ import annotations

from pathlib import Path

import pytest

from failgate.config import load_config
from failgate.config.sections import DEFAULT_GOLD_FLOOR, DEFAULT_GOLD_PATH, GoldSettings, gold_settings


def test_the_configured_values_are_read(tmp_path: Path) -> None:
    (tmp_path / "failgate.toml").write_text('[judge]\ngold = "evals/gold.yaml"\ngold_floor = 0.95\n')
    config = load_config(tmp_path, recover=False)
    assert config.gold == GoldSettings("evals/gold.yaml", 0.95)
    assert config.gold is config.gold  # built once


def test_no_judge_table_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "failgate.toml").write_text('dataset = "evals/failures"\n')
    assert load_config(tmp_path, recover=False).gold == GoldSettings(DEFAULT_GOLD_PATH, DEFAULT_GOLD_FLOOR)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"gold": "g.yaml", "gold_floor": 0.8}, ("g.yaml", 0.8)),  # control
        ({"gold": "  ", "gold_floor": True}, (DEFAULT_GOLD_PATH, DEFAULT_GOLD_FLOOR)),  # a bool is no floor
        ({"gold": 3, "gold_floor": "0.9"}, (DEFAULT_GOLD_PATH, DEFAULT_GOLD_FLOOR)),
        ("not a table", (DEFAULT_GOLD_PATH, DEFAULT_GOLD_FLOOR)),  # a base whose [judge] is malformed
    ],
)
def test_a_value_the_checks_refuse_falls_back_to_the_default(table: object, expected: tuple[str, float]) -> None:
    gold = GoldSettings.from_table(table)
    assert (gold.path, gold.floor) == expected == gold_settings(table)
