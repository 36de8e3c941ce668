"""A PII corpus for `bench_pii.py`: items in the sentences a support agent's traces carry.

- ITEMS: (kind, region, sentence, item): the item must not survive redaction.
  Phone numbers were checked valid for their region with libphonenumber; card
  numbers are the issuers' published test numbers (Luhn-valid); IBANs are the
  registry's examples (valid check digits); keys and tokens have the documented
  prefixes and lengths, with made-up bodies.
- NEGATIVES: look-alikes that are not PII and must come out unchanged (order
  numbers, timestamps, SKUs, ISBNs, tracking numbers, prices, versions).
- GROUPS: sentences that differ only in PII; each group should redact to one text.
"""

from __future__ import annotations

PHONES = {
    "US": ["(415) 555-2671", "202-555-0143", "+1 212 555 0187", "312.555.0199"],
    "CA": ["+1 416 555 0199", "604-555-0123"],
    "GB": ["020 7946 0018", "+44 20 7946 0991", "0161 496 0123", "+44 7911 123456", "07911 123456"],
    "FR": ["01 23 45 67 89", "+33 6 12 34 56 78", "06 12 34 56 78"],
    "DE": ["030 12345678", "+49 151 23456789", "0151 23456789", "089 1234567"],
    "ES": ["612 34 56 78", "+34 612 345 678", "91 123 45 67"],
    "IT": ["+39 06 1234 5678", "347 123 4567"],
    "NL": ["+31 6 12345678", "020 123 4567"],
    "IN": ["+91 98765 43210", "098765 43210"],
    "BR": ["+55 11 91234-5678", "(11) 91234-5678"],
    "AU": ["+61 2 9374 4000", "0412 345 678"],
    "JP": ["03-1234-5678", "+81 90-1234-5678"],
    "MX": ["+52 55 1234 5678"],
}
PHONE_SENTENCES = [
    "You can call me on {}.",
    "My number is {} if the chat drops.",
    "Ring {} after 5pm please",
    "Tel: {}",
    "please text {} when it ships",
]
EMAILS = [
    "ana.lopez@example.com",
    "j.smith+orders@mail.example.co.uk",
    "ANA@EXAMPLE.COM",
    "o'brien@example.ie",
    "first_last@sub.example.org",
    "josé@bücher.de",
    "müller@straße.de",
    "zoë.dupont@exemple.fr",
    "user123@example.io",
    "support-ticket@company.example",
    "li.wei@例子.公司",
    "ivan@пример.рф",
    "k@example.travel",
    "a.b.c@example.museum",
    "noreply@shop.example.com",
]
CARDS = [
    "4111 1111 1111 1111",
    "4012888888881881",
    "5555 5555 5555 4444",
    "5105-1051-0510-5100",
    "2223003122003222",
    "3782 822463 10005",
    "371449635398431",
    "6011 1111 1111 1117",
    "6011000990139424",
    "3530111333300000",
    "3056930009020004",
    "6200000000000005",
]
IBANS = [
    "DE89370400440532013000",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "GB82 WEST 1234 5698 7654 32",
    "FR1420041010050500013M02606",
    "ES9121000418450200051332",
    "NL91ABNA0417164300",
    "IT60X0542811101000000123456",
    "BE68539007547034",
    "CH9300762011623852957",
]
IPS = [
    "192.168.1.23",
    "10.0.0.7",
    "203.0.113.42",
    "8.8.4.4",
    "172.16.254.1",
    "2001:db8::8a2e:370:7334",
    "fe80::1ff:fe23:4567:890a",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2a00:1450:4001:82a::200e",
    "2606:4700:4700::1111",
]
SSNS = ["123-45-6789", "078-05-1120", "219-09-9999", "536-22-1234", "401-12-3456"]
SECRETS = [
    "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t",
    "sk-" + "T3BlbkFJ" * 6,
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2,
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "pk_test_" + "TYooMQauvdEDq54NiTphI7jx",
    "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "ASIAY34FZKBOKMUTVV7A",
]
BEARERS = ["Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543", "bearer abcDEF123456ghiJKL789"]
UUIDS = [
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "123e4567-e89b-12d3-a456-426614174000",
    "A987FBC9-4BED-3078-CF07-9141BA07C9F3",
]


def items() -> list[tuple[str, str, str, str]]:
    out = []
    n = 0
    for region, numbers in PHONES.items():
        for number in numbers:
            out.append(("phone", region, PHONE_SENTENCES[n % len(PHONE_SENTENCES)].format(number), number))
            n += 1
    out += [("email", "-", f"Send the invoice to {e} please", e) for e in EMAILS]
    out += [("card", "-", f"I paid with card {c}, expiry 12/27", c) for c in CARDS]
    out += [("iban", i[:2], f"Refund to IBAN {i} thanks", i) for i in IBANS]
    out += [("ip", "-", f"Login from {ip} failed", ip) for ip in IPS]
    out += [("ssn", "US", f"My SSN is {s}", s) for s in SSNS]
    out += [("secret", "-", f"here is my key {s} for the integration", s) for s in SECRETS]
    out += [("secret", "-", f"the request had {b}", b.split()[-1]) for b in BEARERS]
    out += [("uuid", "-", f"account {u} is locked", u) for u in UUIDS]
    return out


NEGATIVES = [
    "Where is order 1717171717?",
    "order #88123456 has not shipped",
    "Order 8812 and 8813 arrived together",
    "Created at 2026-05-07T10:00:00Z",
    "timestamp 1717171717000",
    "at 10:30:00 yesterday",
    "delivered on 07/05/2026",
    "SKU 4006381333931 is out of stock",
    "SKU AB-12345-XL",
    "ISBN 978-3-16-148410-0",
    "ISBN 0-306-40615-2",
    "ISBN-13: 9780306406157",
    "tracking 1Z999AA10123456784",
    "The jacket costs $1,299.99",
    "about € 45,00 in total",
    "version v2.3.1 broke checkout",
    "invoice INV-2026-000123",
    "ticket SUP-18987 escalated",
    "commit 9fceb02 deployed",
    "token limit exceeded for this request",
    "I am the bearer of bad news",
    "card 4111 1111 1111 1112 was declined",
    "reference 1234 5678 9012 3456",
    "error code 0x80070005",
    "HTTP 404 on /orders/8812",
    "room 1204, floor 12",
    "flight BA 0117 at 14:05",
    "postcode SW1A 1AA",
    "our hours are 9-17, Monday to Friday",
    "IBAN GB00WEST12345698765432 looks wrong",
    "Order 8812 qty 3 x 250 ml",
    "batch 2026-0012-7781 recalled",
]

GROUP_TEMPLATES = [
    ("Refund order 8812 to {email}", "email"),
    ("Call me back on {phone}", "phone"),
    ("Card {card} was charged twice for order 8812", "card"),
    ("Wire it to {iban} please", "iban"),
    ("Login from {ip} blocked my account", "ip"),
    ("SSN {ssn} was rejected", "ssn"),
    ("Use key {secret} to reach the API", "secret"),
    ("Session {uuid} expired mid-checkout", "uuid"),
    ("I'm {email}, call {phone} about order 8812", "email+phone"),
    ("Charge {card} and mail {email}", "card+email"),
    ("Contact: {phone}", "phone"),
    ("my email is {email}, no reply yet", "email"),
    ("Paid with {card}, order 8812 still pending", "card"),
    ("The token {secret} leaked in the logs", "secret"),
    ("Refund to {iban}, order 8812", "iban"),
]
_POOLS = {
    "email": EMAILS,
    "phone": [n for ns in PHONES.values() for n in ns],
    "card": CARDS,
    "iban": IBANS,
    "ip": IPS,
    "ssn": SSNS,
    "secret": SECRETS,
    "uuid": UUIDS,
}


def groups(variants: int = 4) -> list[list[str]]:
    out = []
    for index, (template, _) in enumerate(GROUP_TEMPLATES):
        texts = []
        for v in range(variants):
            fill = {kind: pool[(index * 3 + v * 5) % len(pool)] for kind, pool in _POOLS.items()}
            texts.append(template.format(**fill))
        out.append(texts)
    return out
