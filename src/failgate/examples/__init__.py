"""Bundled examples: the support-bot failure dataset and the demo agent it runs against."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent
SUPPORT_BOT_DATASET = EXAMPLES_DIR / "support-bot"
