"""The built wheel: what an installed failgate has (split from the schemas' unit tests: it runs pip)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from failgate.dataset import schemas

REPO = Path(__file__).resolve().parents[3]


def test_wheel_ships_the_schemas_and_the_example(tmp_path: Path) -> None:
    # Without hatchling installed, pip builds in an isolated env (slower, needs the index).
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", *isolation, "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("failgate_git-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for file_name in schemas.SCHEMA_FILES.values():
        assert f"failgate/_schemas/{file_name}" in names
    assert "failgate/dataset/schemas.py" in names
    example = "failgate/examples/support-bot/"
    if (REPO / "src" / example).is_dir():
        for needed in ("cases.yaml", "cases_removed.yaml", "history.jsonl", "watchlist.yaml"):
            assert example + needed in names
        assert "failgate/examples/support_bot.py" in names
