"""A small valid dataset for tests, written as real files (hand-style YAML)."""

from __future__ import annotations

import json
from pathlib import Path

from failgate.dataset.hashing import input_hash
from failgate.dataset.model import FAILURE_MODES_V1

# The taxonomy block as people write it; the other test builders reuse it.
MODES_V1_YAML = "failure_modes:\n" + "".join(f"  - {mode}\n" for mode in FAILURE_MODES_V1)
HEADER = "# yaml-language-server: $schema=.schema/cases.schema.json\nschema_version: 1\n" + MODES_V1_YAML + "cases:\n"

REFUND_INPUT = {"messages": [{"role": "user", "content": "Please refund order 8812, it arrived broken."}]}
POLICY_INPUT = {"messages": [{"role": "user", "content": "What is the warranty on the kettle?"}]}


# One valid case as parsed data (the schema's and the rule kinds' tests change one field of a copy).
VALID_CASE: dict[str, object] = {
    "id": "AGTFAIL-0001",
    "title": "Refund issued twice",
    "failure_mode": "tool_invocation",
    "severity": "P0",
    "blast_radius": "irreversible_write",
    "status": "active",
    "owner": "payments-agents",
    "discovered_at": "2026-05-02",
    "discovered_by": ["incident:INC-311"],
    "intent": "refund_request",
    "input": {"messages": [{"role": "user", "content": "refund order 8812"}]},
    "input_hash": "sha256:" + "ab" * 32,
    "observed_behavior": "issue_refund was called twice",
    "expected": [{"contains": "8812"}],
    "remediation": [],
    "regressed_count": 0,
}


def case_block(
    case_id: str,
    *,
    title: str = "Refund issued twice",
    severity: str = "P1",
    case_input: dict | None = None,
    regressed_count: int = 0,
    extra: str = "",
    contains: str = "order 8812",
    trace: str = "9f1c2",
) -> str:
    case_input = case_input or REFUND_INPUT
    content = case_input["messages"][0]["content"]
    return f"""\
  # {title}
  - id: {case_id}
    title: {title}
    failure_mode: tool_invocation
    severity: {severity}
    blast_radius: irreversible_write
    status: active
    owner: dana@example.com
    discovered_at: 2026-05-02
    discovered_by:
      - trace:{trace}
    intent: refund_request
    input:
      messages:
        - role: user
          content: "{content}"
    input_hash: {input_hash(case_input)}
    observed_behavior: The agent called issue_refund twice for one order.
    expected:
      - contains: "{contains}"
      - tool_called: {{name: issue_refund, times: 1}}
    remediation:
      - date: 2026-05-03
        change: Idempotency key on issue_refund.
    regressed_count: {regressed_count}
{extra}"""


def event(event_id: str, case_id: str, kind: str = "promoted", **fields: object) -> str:
    payload = {"id": event_id, "ts": "2026-05-02T10:00:00Z", "case_id": case_id, "type": kind, **fields}
    return json.dumps(payload) + "\n"


def write_dataset(
    directory: Path, *, cases: str | None = None, removed: str | None = None, history: str | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if cases is None:
        cases = (
            HEADER
            + case_block("AGTFAIL-0001")
            + "\n"
            + case_block("AGTFAIL-0002", title="Warranty answer invented", case_input=POLICY_INPUT)
        )
    if removed is None:
        removed = "schema_version: 1\nremoved: []\n"
    if history is None:
        history = event("01J0000000000000000000001A", "AGTFAIL-0001") + event(
            "01J0000000000000000000002B", "AGTFAIL-0002"
        )
    (directory / "cases.yaml").write_text(cases)
    (directory / "cases_removed.yaml").write_text(removed)
    (directory / "history.jsonl").write_text(history)
    return directory
