"""Every kind of PII the redactor claims, planted where real traces carry it (message text, JSON
text inside a string, dictionary keys, nested tool arguments, the answer, a tool error), never
reaches the review file `ingest` writes, nor passes the scan `promote` runs before cases.yaml."""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failgate.intake.pipeline import run_pipeline
from failgate.intake.redact import pii_paths, redact_text, redact_value
from failgate.intake.review import render
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.similarity import NgramSimilarity
from failgate.intake.traces import read_traces
from failgate.intake.traces.model import ReadStats

ALNUM = "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z"
HEX = "0123456789abcdef"


def fill(n: int, alphabet: str = ALNUM) -> str:
    return (alphabet * (n // len(alphabet) + 1))[:n]


# One credential per vendor of the secret table, shaped as the issuer documents it.
SECRET_SAMPLES = {
    "JSON Web Token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "OpenAI, Anthropic, OpenRouter": "sk-proj-" + fill(24),
    "GitHub": "ghp_" + fill(36),
    "GitLab": "glpat-" + fill(20),
    "AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "Slack token": "xoxb-123456789012-" + fill(24),
    "Slack webhook": "https://hooks.slack.com/services/T00000000/B00000000/" + fill(24),
    "Stripe": "sk_live_" + fill(24),
    "Google API key": "AIza" + fill(35),
    "Hugging Face": "hf_" + fill(34, "AbCdEfGhIjKlMnOpQrStUvWxYz"),
    "SendGrid": "SG." + fill(22) + "." + fill(43),
    "Twilio": "SK" + fill(32, HEX),
    "Mailchimp": fill(32, HEX) + "-us14",
    "Mailgun": "key-" + fill(32, "0123456789abcdefghijklmnopqrstuvwxyz"),
    "npm": "npm_" + fill(36),
    "PyPI": "pypi-AgEIcHlwaS5vcmc" + fill(60),
    "Shopify": "shpat_" + fill(32, HEX),
    "Square": "sq0atp-" + fill(22),
    "Telegram bot": "123456789:AA" + fill(33),
    "Discord bot": "M" + fill(23) + "." + fill(6) + "." + fill(27),
    "Databricks": "dapi" + fill(32, HEX),
    "DigitalOcean": "dop_v1_" + fill(64, HEX),
    "Doppler": "dp.pt." + fill(43),
    "Linear": "lin_api_" + fill(40),
    "Postman": "PMAK-" + fill(24, HEX) + "-" + fill(34, HEX),
    "Pulumi": "pul-" + fill(40, HEX),
    "Grafana": "glsa_" + fill(32) + "_" + fill(8, HEX),
    "New Relic": "NRAK-" + fill(27, "ABCDEFGHIJ0123456789"),
    "Atlassian": "ATATT3" + fill(180),
    "Replicate, Groq, Perplexity, xAI": "gsk_" + fill(52),
    "Azure storage key": "AccountKey=" + fill(86) + "==",
    "private key block": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA"
    + fill(40)
    + "\n-----END RSA PRIVATE KEY-----",
}

# (kind, prose with the context the kind needs, what must not survive, key for the structured form, value)
KINDS: list[tuple[str, str, str, str, str]] = [
    ("email", "write to ana.lopez@example.com", "ana.lopez@example.com", "email", "ana.lopez@example.com"),
    ("phone", "call +44 20 7946 0018 today", "7946 0018", "contact", "+44 20 7946 0018"),
    ("phone under its key", "phone_number: 4155550126", "4155550126", "phone_number", "4155550126"),
    ("card", "card 4111 1111 1111 1111 declined", "1111 1111 1111", "card", "4111 1111 1111 1111"),
    ("iban", "pay to DE89 3704 0044 0532 0130 00", "3704 0044 0532", "iban", "DE89370400440532013000"),
    ("iban, lower case", "iban de89370400440532013000", "370400440532", "iban", "de89370400440532013000"),
    ("ssn", "my SSN is 123-45-6789", "123-45-6789", "customer_ssn", "123-45-6789"),
    ("ssn, no dashes", "social security number 123456789", "123456789", "ssn", "123456789"),
    ("ipv4", "from 203.0.113.42 at noon", "203.0.113.42", "client", "203.0.113.42"),
    ("ipv6", "from 2001:db8::8a2e:370:7334 at noon", "2001:db8::8a2e:370:7334", "client", "2001:db8::8a2e:370:7334"),
    (
        "uuid",
        "session 3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b",
        "3f2b8c1e-9d4a",
        "session",
        "3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b",
    ),
    ("bearer", "Authorization: Bearer " + fill(32), fill(32), "authorization", "Bearer " + fill(32)),
    ("aws secret", "aws_secret_access_key = " + fill(40), fill(40), "aws_secret_access_key", fill(40)),
    ("password", "password: hunter2!Hunter", "hunter2!Hunter", "password", "hunter2!Hunter"),
    *[
        (f"secret: {vendor}", f"token {sample} here", sample[-16:], "value", sample)
        for vendor, sample in SECRET_SAMPLES.items()
    ],
]


def test_every_vendor_of_the_secret_table_has_a_sample_its_rule_matches() -> None:
    from failgate.intake.secrets import SECRET_RULES

    assert set(SECRET_SAMPLES) == {r.vendor for r in SECRET_RULES}
    for rule in SECRET_RULES:
        assert re.search(rule.pattern, SECRET_SAMPLES[rule.vendor]), rule.vendor


REFUSAL = "I'm sorry, but I can't help with that."


def _placed(prose: str, key: str, value: str, where: str) -> dict[str, object]:
    """A failgate JSONL trace with the PII in one place; it fails (a refusal), so intake keeps it."""
    calls: list[dict[str, object]] = [{"name": "lookup", "arguments": {"query": "order 8812"}}]
    message = "Where is order 8812?"
    output = REFUSAL
    if where == "message":
        message = f"Where is order 8812? {prose}"
    elif where == "json text in a message":
        message = "Where is order 8812? " + json.dumps({"customer": {key: value}})
    elif where == "key":
        calls[0]["arguments"] = {prose: "yes"}  # a key with the context the kind needs
    elif where == "nested argument":
        calls[0]["arguments"] = {"customer": {"profile": [{key: value}]}}
    elif where == "arguments as json text":
        calls[0]["arguments"] = {"payload": json.dumps({key: value})}
    elif where == "answer":
        output = f"{REFUSAL} ({prose})"
    elif where == "tool error":
        calls[0]["error"] = f"lookup failed for {prose}"
    return {"trace_id": "t1", "input": message, "output": output, "tool_calls": calls, "intent": "order_status"}


PLACES = [
    "message",
    "json text in a message",
    "key",
    "nested argument",
    "arguments as json text",
    "answer",
    "tool error",
]


def _review_file(tmp_path: Path, record: dict[str, object]) -> tuple[str, list[dict[str, object]]]:
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(record) + "\n")
    result = run_pipeline(
        read_traces([path], stats=ReadStats()),
        rules=IntakeRules(IntakeSettings()),
        redact=redact_text,
        similarity=NgramSimilarity(),
        known={},
        cases=[],
        limit=10,
        share=1.0,
        threshold=0.92,
    )
    text = render(
        result,
        now=_dt.datetime(2026, 5, 11, tzinfo=_dt.timezone.utc),
        sources=["traces.jsonl"],
        funnel="",
        latency_budget_ms=8000,
    )
    entries = [
        {"input": c.group.input, "output": c.group.trace.output, "tool_calls": c.group.trace.tool_calls}
        for c in result.candidates
    ]
    return text, entries


def _check(tmp_path: Path, kind: tuple[str, str, str, str, str], where: str, filler: str = "") -> None:
    name, prose, secret, key, value = kind
    prose = f"{filler} {prose} {filler}".strip()
    text, entries = _review_file(tmp_path, _placed(prose, key, value, where))
    assert entries, "the planted run was not proposed at all"
    assert secret not in text, f"{name} planted in {where} reached the review file"
    assert json.dumps(secret)[1:-1] not in text  # nor escaped, as JSON text inside a string
    for entry in entries:
        assert pii_paths(entry) == [], f"{name} in {where}: promote would refuse {pii_paths(entry)}"
    assert "order 8812" in text  # control: an order number is not PII and stays


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("kind", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_in_each_place_is_kept_out(tmp_path: Path, kind: tuple[str, str, str, str, str], where: str) -> None:
    _check(tmp_path, kind, where)


NEUTRAL = st.lists(st.sampled_from(["please", "hello", "refund", "today", "urgent", "thanks", "Re:", "\n", "--"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(KINDS), st.sampled_from(PLACES), NEUTRAL.map(" ".join))
def test_planted_among_other_words_no_kind_reaches_the_review_file(
    tmp_path: Path, kind: tuple[str, str, str, str, str], where: str, filler: str
) -> None:
    _check(tmp_path, kind, where, filler)


@pytest.mark.parametrize(
    "text",
    [
        "build 1.2.3.4",
        "upgraded to version 10.0.0.1 yesterday",
        "quote 20240511-001",
        "order 123456789",
        "I forgot my password: tomorrow",
        "ISBN 978-3-16-148410-0",
        "tracking 1Z999AA10123456784",
        "the meeting is at 10.30.00",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_keys_that_redact_alike_stay_apart() -> None:
    value = {"ana@example.com": 1, "bob@example.com": 2}
    assert redact_value(value) == {"<EMAIL>": 1, "<EMAIL>#2": 2}


def test_a_number_under_a_phone_key_is_redacted_and_one_under_a_neutral_key_is_not() -> None:
    assert redact_value({"phone": 4155550126}) == {"phone": "<PHONE>"}
    assert redact_value({"order_id": 4155550126}) == {"order_id": 4155550126}
