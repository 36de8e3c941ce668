"""PII never reaches the repository: everything intake writes is redacted, and promote
refuses a candidate in which the redactor still finds PII, naming the field and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from acceptance.intake.test_promote import NEXT, REFUSAL, fill, ingest, repo, snapshot  # noqa: F401  (the fixture)
from failgate.cli import main

EMAIL, PHONE, CARD, KEY = "ana.lopez@example.com", "+44 20 7946 0018", "4111 1111 1111 1111", "sk-proj-" + "a1B2" * 8

LEAKY = {
    "trace_id": "p1",
    "intent": "refund_request",
    "timestamp": "2026-05-07T10:00:00Z",
    "input": f"Refund order 8820 please, I am {EMAIL}, call {PHONE}",
    "output": f"{REFUSAL} I emailed {EMAIL}.",
    "tool_calls": [
        {
            "name": "lookup_customer",
            "arguments": {"email": EMAIL, "phone": PHONE},
            "error": f"no customer with card {CARD} (key {KEY})",
        }
    ],
    "error": f"upstream rejected {EMAIL}",
    "feedback": {"score": -1, "comment": f"it read my card {CARD} back to me"},
}


def test_everything_intake_writes_is_redacted(repo: Path) -> None:  # noqa: F811
    review = ingest(repo, LEAKY).read_text()
    for secret in (EMAIL, PHONE, CARD, KEY, "7946 0018", "1111 1111"):
        assert secret not in review, secret
    assert "<EMAIL>" in review and "<PHONE>" in review and "<CARD>" in review and "<SECRET>" in review
    assert "order 8820" in review  # control: an order number is not PII


def test_promote_refuses_pii_a_reviewer_left_and_names_the_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    review = ingest(repo, LEAKY)
    fill(review)
    text = review.read_text()
    text = text.replace(
        "title: Refused a policy question", f"title: Read card {CARD} back; refused a policy question", 1
    )
    review.write_text(text)
    before = snapshot(repo)
    assert main(["promote", str(review), "--no-reproduce", "--reason", "test"]) == 1
    err = capsys.readouterr().err
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.lstrip().startswith("title:"))
    assert re.search(rf"{re.escape(review.name)}:{line}:\d+: PII title: .*<CARD>", err), err
    assert snapshot(repo) == before  # nothing written
    # Control: the same candidate with the placeholder instead lands.
    review.write_text(text.replace(CARD, "<CARD>"))
    assert main(["promote", str(review), "--no-reproduce", "--reason", "test"]) == 0
    cases = (repo / "evals/failures/cases.yaml").read_text()
    assert CARD not in cases and EMAIL not in cases and NEXT in cases


def test_pasted_pii_in_the_input_is_redacted_at_promotion(repo: Path) -> None:  # noqa: F811
    review = ingest(repo, LEAKY)
    fill(review)
    text = review.read_text()
    review.write_text(text.replace("Refund order 8820 please", f"Refund order 8820 please ({KEY})", 1))
    assert main(["promote", str(review), "--no-reproduce", "--reason", "test"]) == 0
    assert KEY not in (repo / "evals/failures/cases.yaml").read_text()
    json.loads((repo / "evals/failures/history.jsonl").read_text().splitlines()[-1])
