"""Hand-style dataset texts for the ledger, remove and git tests."""

from __future__ import annotations

import json
from pathlib import Path

import dataset_builder
from dataset_builder import MODES_V1_YAML

MODES_V1 = MODES_V1_YAML

HEADER = "# Failure dataset of the shop agent.\nschema_version: 1\n" + MODES_V1 + "cases:\n"
LEDGER_EMPTY = "schema_version: 1\nremoved: []\n"


def case_block(number: int, *, title: str | None = None) -> str:
    order = 8800 + number
    return dataset_builder.case_block(
        f"AGTFAIL-{number:04d}",
        title=title or f"Refund issued twice ({number})",
        case_input={"messages": [{"role": "user", "content": f"Please refund order {order}, it arrived broken."}]},
        contains=f"order {order}",
        trace=f"9f1c{number}",
    )


def cases_text(*numbers: int, header: str = HEADER) -> str:
    return header + "\n".join(case_block(n) for n in numbers)


def event(event_id: str, case_id: str, kind: str = "promoted", **fields: object) -> str:
    payload = {"id": event_id, "ts": "2026-05-02T10:00:00Z", "case_id": case_id, "type": kind, **fields}
    return json.dumps(payload) + "\n"


def history_text(*numbers: int) -> str:
    return "".join(event(f"01J{n:023d}", f"AGTFAIL-{n:04d}") for n in numbers)


def write_dataset(
    directory: Path, numbers: tuple[int, ...] = (1, 2, 3), *, removed: str = LEDGER_EMPTY, history: str | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cases.yaml").write_text(cases_text(*numbers))
    (directory / "cases_removed.yaml").write_text(removed)
    (directory / "history.jsonl").write_text(history if history is not None else history_text(*numbers))
    return directory
