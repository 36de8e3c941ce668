"""The redactor: each kind by its own standard, look-alikes untouched, placeholders stable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from failgate.intake.redact import make_redactor, pii_paths, redact_text

KINDS = [
    ("call me on 020 7946 0018", "<PHONE>"),
    ("mon numéro: 01 23 45 67 89", "<PHONE>"),
    ("+49 151 23456789", "<PHONE>"),
    ("my phone is 9876543210", "<PHONE>"),
    ("card 4111 1111 1111 1111", "<CARD>"),
    ("IBAN DE89 3704 0044 0532 0130 00", "<IBAN>"),
    ("from 2001:db8::8a2e:370:7334", "<IP>"),
    ("ssn 123-45-6789", "<SSN>"),
    ("mail josé@bücher.de", "<EMAIL>"),
    ("key sk-proj-abcdefghijklmnopqrstuvwxyz12", "<SECRET>"),
    ("AKIAIOSFODNN7EXAMPLE", "<SECRET>"),
    ("Authorization: Bearer abcdefghijklmnop1234", "<SECRET>"),
]
# Each attack above has a control here: the same shape, not PII.
LOOK_ALIKES = [
    "order 1717171717",
    "card 4111 1111 1111 1112",
    "IBAN GB00WEST12345698765432",
    "at 10:30:00",
    "ISBN 978-3-16-148410-0",
    "SKU 4006381333931",
    "timestamp 1717171717000",
    "2026-05-07T10:00:00Z",
    "the bearer of bad news",
    "token limit exceeded",
]


@pytest.mark.parametrize("text,placeholder", KINDS)
def test_each_kind_is_redacted(text: str, placeholder: str) -> None:
    assert placeholder in redact_text(text)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_stay(text: str) -> None:
    assert redact_text(text) == text


def test_phone_regions_are_configurable() -> None:
    spanish = "Mi número es 612 34 56 78"
    assert "<PHONE>" in make_redactor(phone_regions=("ES",))(spanish)
    assert make_redactor(phone_regions=("US",))(spanish) == spanish  # control: not a US number


def test_pii_paths_name_where() -> None:
    value = {"a": ["fine", "call 020 7946 0018"], "b": {"c": "ok"}}
    assert pii_paths(value) == [("a", 1)]
    assert pii_paths({"a": "fine"}) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 +-().@abcxyzé:"), max_size=60))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once
