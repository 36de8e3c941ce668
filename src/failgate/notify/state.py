"""What was already reported, per sink: kept under the git directory, never in the tree.

A case reported and still red is not sent again the next night; once it passes
it is forgotten, so a new regression of it is news again. A sink that failed
records nothing: its cases are sent on the next run. The file is this clone's
(one CI cache or one runner's clone): a fresh clone starts by reporting
everything that is red, once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "failgate/notified.json"


def load(path: Path) -> dict[str, Any]:
    from failgate.dataset.jsonstrict import loads_or_none

    try:
        data = loads_or_none(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"sinks": {}}
    if not isinstance(data, dict) or not isinstance(data.get("sinks"), dict):
        return {"sinks": {}}
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    from failgate.atomic import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def reported(data: dict[str, Any], sink: str) -> dict[str, str]:
    value = data["sinks"].get(sink)
    return dict(value) if isinstance(value, dict) else {}
