"""The default redactor: what a support agent's traces leak, replaced by fixed placeholders.

Every kind is found by its own standard, not by a digit-run guess:

| placeholder | what | how a match is confirmed |
|---|---|---|
| `<SECRET>` | API keys with well-known prefixes (OpenAI `sk-`, GitHub `ghp_`/`github_pat_`, AWS `AKIA`/`ASIA`, Slack `xox?-`, Stripe `sk_live_`, Google `AIza`), `Bearer` tokens, JWTs | the prefix and length the issuer documents |
| `<EMAIL>` | e-mail addresses, non-ASCII too (`josé@bücher.de`) | local@domain.tld |
| `<UUID>` | UUIDs (session and account ids) | 8-4-4-4-12 hex |
| `<IBAN>` | IBANs, spaced or not | ISO 13616 mod-97 check digits |
| `<CARD>` | payment card numbers | 13-19 digits, Luhn-valid |
| `<SSN>` | US social security numbers, dashed | the SSA's area/group/serial rules |
| `<IP>` | IPv4 and IPv6 addresses | `ipaddress` parses it |
| `<PHONE>` | phone numbers in the configured regions, and any `+` international number | libphonenumber (`phonenumbers`) says it is a valid number |

Order numbers, timestamps, SKUs and ISBNs are left alone: a bare digit run is
a phone number only when a phone word (call, phone, tel, mobile, ...) comes
just before it, since `1717171717` is a valid Indian number and also an order
number; a match right after `order`, `ISBN`, `SKU`, `invoice` or `#` is kept.

Placeholders are fixed (not numbered), so inputs that differ only in PII
redact, and therefore hash, the same. The redactor is idempotent: no
placeholder matches a pattern. Projects add patterns in configuration; a
different redactor is pluggable by dotted path (see intake).

`phonenumbers` is imported on the first text with enough digits to hold a
phone number, never at import: `validate` folds this module into every
`input_hash` it recomputes and must stay fast.

REDACTOR_VERSION is folded into `input_hash`: change what is redacted, bump it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from failgate.intake.secrets import redact_secrets

REDACTOR_VERSION = "failgate-redact-2"
DEFAULT_PHONE_REGIONS = ("US", "GB", "FR", "DE", "ES", "IT", "NL", "IN", "BR", "AU", "JP", "MX", "CA")

_BEARER = re.compile(r"(?i)\b(bearer|token)(\s+|[:=]\s*)(?!<)[A-Za-z0-9._~+/=-]{16,}")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")  # lower case too: people type it so
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_SSN_WORD = re.compile(r"(?i)ssn|ss#|social")
# Undashed (or spaced) SSNs only where the text names them: nine digits alone are an order number.
_SSN_NAMED = re.compile(
    r"(?i)(\b(?:ssn|ss#|social[\s_-]+security(?:[\s_-]+(?:number|no\.?|num|#))?)\W{0,5}(?:\w+\W{1,4}){0,2}?)"
    r"(?<!\d)(?!000|666|9\d\d)\d{3}([ .]?)(?!00)\d{2}\2(?!0000)\d{4}(?!\d)"
)
_IPV4 = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b(?!\.\d)")
# A dotted version is not an address: `build 1.2.3.4`, `version 10.0.0.1`, `v1.2.3.4`.
_VERSION_BEFORE = re.compile(r"(?i)(?:\bbuild|\bversion|\bver\.?|\brelease|\bfirmware|\bv)\s*[:#]?\s*$")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])")
_DIGITS = re.compile(r"\d")
_PHONE_WORDS = re.compile(
    r"(?i)(?:call|phone|tel|telephone|mobile|cell|whatsapp|sms|text|fax|ring|number|"
    r"reach|contact|n[uú]mero|t[ée]l[ée]phone|handy|telefon[o]?|móvil|portable)\W{0,4}(?:\w+\W{1,4}){0,3}$"
)
_NOT_PHONE_WORDS = re.compile(
    r"(?i)(?:order|isbn|sku|invoice|ref|reference|ticket|tracking|item|part|serial|po|quote|build|version|"
    r"booking|confirmation|batch|lot|case|account no|id)\W{0,3}(?:no\.?|number|#)?\W{0,2}$|#\s*$"
)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    code = text.replace(" ", "").upper()
    if not 15 <= len(code) <= 34:
        return False
    moved = code[4:] + code[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _sub_checked(pattern: re.Pattern[str], placeholder: str, check: Callable[[str], bool], text: str) -> str:
    """Replace the longest prefix of each match that passes `check` (a greedy match may have
    swallowed the next group: `4111 1111 1111 1111 12` is a card and a 12)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        for end in range(len(found), 0, -1):
            if found[end - 1] in " -":
                continue
            if check(found[:end]):
                return placeholder + found[end:]
        return found

    return pattern.sub(replace, text)


def _card(match: str) -> bool:
    """13-19 digits, Luhn-valid, starting like an issued card (2-6: Mastercard's 2-series, Amex,
    Visa, Mastercard, Discover/UnionPay); a 13-digit millisecond timestamp starts with 1."""
    digits = re.sub(r"\D", "", match)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits) and len(set(digits)) > 1


def _ipv4_subber(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        start = match.start()
        if (start and text[start - 1] == ".") or _VERSION_BEFORE.search(text, max(0, start - 20), start):
            return match.group()  # a longer dotted number, or a version
        return "<IP>"

    return _IPV4.sub(replace, text)


def _ipv6(match: str) -> bool:
    if match.count(":") < 2:
        return False
    import ipaddress  # only for text that has colons; validate's hash path rarely needs it

    try:
        ipaddress.IPv6Address(match)
    except ValueError:
        return False
    return True


# Digit runs that could be written phone numbers: an optional `+`, digits grouped by
# spaces, dots, dashes or parentheses. libphonenumber then decides, per region.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+/.:-])(?:\+ ?)?\(?\d[\d().\- ]{4,20}\d(?![\w/:]|-\d)")
_DATE_OR_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}[.:]\d{2}[.:]\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[-/.]"  # a date-stamped reference: 20240511-001
)


class _Phones:
    """libphonenumber over the configured regions, with the context rules above.

    Candidates are found by one regular expression and each is parsed once per
    region until one calls it valid: `PhoneNumberMatcher` rescans the whole text
    per region, ~0.35 ms a region on a short message."""

    def __init__(self, regions: Sequence[str]) -> None:
        self.regions = tuple(regions) or ("US",)
        self._lib: Any = None

    def __call__(self, text: str) -> str:
        if len(_DIGITS.findall(text)) < 6:  # no phone number is shorter: skip the library entirely
            return text
        return _PHONE_CANDIDATE.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        raw = match.group()
        core = raw.rstrip(" -.(")
        digits = sum(c.isdigit() for c in core)
        if not 6 <= digits <= 15 or _DATE_OR_TIME.search(core):
            return raw
        if not self._in_phone_context(match.string, core, match.start()):
            return raw
        if self._lib is None:
            import phonenumbers  # the field's standard (Google's libphonenumber); imported on first use

            self._lib = phonenumbers
        lib = self._lib
        for region in [None] if core.startswith("+") else self.regions:
            try:
                number = lib.parse(core, region)
            except lib.NumberParseException:
                continue
            if lib.is_valid_number(number):
                return "<PHONE>" + raw[len(core) :]
        return raw

    @staticmethod
    def _in_phone_context(text: str, raw: str, start: int) -> bool:
        before = text[max(0, start - 40) : start]
        if _NOT_PHONE_WORDS.search(before):
            return False
        if raw.startswith("+") or re.search(r"[\s().-]", raw):
            return True  # written as a phone number: international prefix or grouped digits
        return bool(_PHONE_WORDS.search(before))  # a bare digit run is a phone number only in context


Redactor = Callable[[str], str]


PATTERN_BUDGET_S = 1.0  # per substitution of a project's pattern: the judge's regex budget (eval.judge.text)


def _budgeted(placeholder: str, rx: str) -> Callable[[str], str]:
    """`re.sub(rx, placeholder, text)` for a project's `redact_patterns` entry, within `PATTERN_BUDGET_S`.

    A pattern that backtracks catastrophically hung ingest. Out of budget, redaction cannot be trusted to
    be complete, so it fails closed: the command stops (exit 2), naming the pattern, before writing."""
    re.compile(rx)  # Python's syntax, as the configuration check reads it
    import regex  # the field's standard for a regex with a timeout

    try:
        compiled = regex.compile(rx, regex.VERSION0)
    except (regex.error, ValueError):  # pragma: no cover - a pattern only `re` accepts: no budget
        plain = re.compile(rx)
        return lambda text: plain.sub(placeholder, text)

    def sub(text: str) -> str:
        try:
            return str(compiled.sub(placeholder, text, timeout=PATTERN_BUDGET_S))
        except TimeoutError:
            from failgate.findings import FailgateError

            raise FailgateError(
                f"[tool.failgate.intake] redact_patterns {placeholder!r}: /{rx}/ did not finish within "
                f"{PATTERN_BUDGET_S:g} s on a {len(text)}-character text (it backtracks catastrophically); "
                "rewrite it. Redaction cannot be trusted, so nothing was written",
                exit_code=2,
            ) from None

    return sub


def make_redactor(extra: Iterable[tuple[str, str]] = (), *, phone_regions: Sequence[str] | None = None) -> Redactor:
    """A redactor with the default kinds plus (placeholder, regex) pairs."""
    extra_patterns = [_budgeted(placeholder, rx) for placeholder, rx in extra]
    phones = _Phones(phone_regions if phone_regions is not None else DEFAULT_PHONE_REGIONS)

    def redact(text: str) -> str:
        if not text:
            return text
        text = redact_secrets(text)
        text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}<SECRET>", text)
        if "@" in text:
            text = _EMAIL.sub("<EMAIL>", text)
        if "-" in text:
            text = _UUID.sub("<UUID>", text)
        text = _sub_checked(_IBAN, "<IBAN>", _iban_ok, text)
        if _DIGITS.search(text):
            text = _sub_checked(_CARD, "<CARD>", _card, text)
            text = _SSN.sub("<SSN>", text)
            if _SSN_WORD.search(text):
                text = _SSN_NAMED.sub(lambda m: m.group(1) + "<SSN>", text)
            text = _ipv4_subber(text)
        if ":" in text:
            text = _sub_checked(_IPV6, "<IP>", _ipv6, text)
        text = phones(text)
        for substitute in extra_patterns:
            text = substitute(text)
        return text

    return redact


redact_text: Redactor = make_redactor()


# Keys that say what their value is: `{"phone_number": "4155550126"}` is a phone number though the
# digits alone are not, so the value is redacted with its key before it as context.
_CONTEXT_KEY = re.compile(
    r"(?i)phone|mobile|\btel|fax|cell|whatsapp|ssn|social|iban|card|account|passw|secret|token|api.?key|"
    r"credential|private|aws|auth|email|mail|address|contact"
)


def _with_key(key: Any, item: Any, redactor: Redactor) -> Any:
    """A value redacted with its key as context (a number under a phone key too)."""
    if (
        isinstance(key, str)
        and _CONTEXT_KEY.search(key)
        and isinstance(item, (str, int))
        and not isinstance(item, bool)
    ):
        text = str(item)
        prefix = f"{key}: "
        found = redactor(prefix + text)
        if found.startswith(prefix) and found[len(prefix) :] != text:
            return found[len(prefix) :]
        plain = redactor(text)
        return plain if plain != text else item
    return redact_value(item, redactor)


def redact_value(value: Any, redactor: Redactor = redact_text) -> Any:
    """Redact every string inside a JSON-like value: keys too (a key can be an e-mail address),
    and values with their key as context. Keys that redact to the same text stay apart (`#2`)."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, list):
        return [redact_value(item, redactor) for item in value]
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = redactor(key) if isinstance(key, str) else key
            if new_key in out:
                n = 2
                while f"{new_key}#{n}" in out:
                    n += 1
                new_key = f"{new_key}#{n}"
            out[new_key] = _with_key(key, item, redactor)
        return out
    return value


def pii_paths(value: Any, redactor: Redactor = redact_text, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where in a JSON-like value the redactor still finds something to redact (keys included)."""
    if isinstance(value, str):
        return [path] if redactor(value) != value else []
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in pii_paths(item, redactor, path + (i,))]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if isinstance(key, str) and redactor(key) != key:
                found.append(path + (key,))
            elif not isinstance(item, (dict, list)):
                if _with_key(key, item, redactor) != item:
                    found.append(path + (key,))
            else:
                found += pii_paths(item, redactor, path + (key,))
        return found
    return []
