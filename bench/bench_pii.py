"""PII redaction side by side: failgate's redactor, the one it replaced, and Presidio where it runs offline.

    python bench/bench_pii.py
    PRESIDIO_PYTHON=/path/to/venv/bin/python python bench/bench_pii.py

Corpus: `pii_corpus.py` (PII items across kinds and regions, look-alike
negatives, groups of texts that differ only in PII). Prints per redactor:
recall (items that do not survive), false positives (negatives changed),
groups that redact to one text, and time per message. Goals (the issue):
recall >= 95 %, at most 1 false positive in 30, one text per group, < 1 ms
per typical message.

Presidio's default engine downloads a spaCy model at start-up and fails
offline; with PRESIDIO_PYTHON set (a venv with `presidio-analyzer`), it is
run in its regex-and-checksum mode: a blank spaCy pipeline (no model, no
NER, so no names) saved under bench/.scratch/. Without it, the column says
why it is missing.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import pii_corpus  # noqa: E402

from failgate.intake.redact import make_redactor  # noqa: E402

SCRATCH = Path(__file__).parent / ".scratch"

# The redactor failgate shipped before (failgate-redact-1), kept here to compare against.
_V1 = (
    ("<EMAIL>", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("<UUID>", re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")),
    ("<IP>", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")),
    ("<CARD>", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("<PHONE>", re.compile(r"(?<![\w])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?![\w])")),
)


def redact_v1(text: str) -> str:
    for placeholder, pattern in _V1:
        text = pattern.sub(placeholder, text)
    return text


_PRESIDIO = r"""
import json, sys, time, spacy, os
path = sys.argv[1]
if not os.path.exists(path):
    spacy.blank("en").to_disk(path)
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
engine = AnalyzerEngine(nlp_engine=SpacyNlpEngine(models=[{"lang_code": "en", "model_name": path}]),
                        supported_languages=["en"])
texts = json.load(sys.stdin)
engine.analyze(text=texts[0], language="en")
start = time.perf_counter()
out = []
for text in texts:
    spans = sorted(engine.analyze(text=text, language="en"), key=lambda r: -r.start)
    for r in spans:
        text = text[:r.start] + "<" + r.entity_type + ">" + text[r.end:]
    out.append(text)
print(json.dumps({"texts": out, "seconds": time.perf_counter() - start}))
"""


def presidio(texts: list[str]) -> tuple[list[str] | None, float, str]:
    python = os.environ.get("PRESIDIO_PYTHON")
    if not python:
        return (
            None,
            0.0,
            "not run: set PRESIDIO_PYTHON to a venv with presidio-analyzer (default engine needs a download)",
        )
    SCRATCH.mkdir(exist_ok=True)
    proc = subprocess.run(
        [python, "-c", _PRESIDIO, str(SCRATCH / "spacy-blank-en")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        return None, 0.0, "failed offline: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return found["texts"], found["seconds"], "regex/checksum recognizers, blank spaCy pipeline (no NER)"


def timed(redact: Callable[[str], str], texts: list[str]) -> tuple[list[str], float]:
    redact(texts[0])  # warm: imports, compiled patterns
    start = time.perf_counter()
    out = [redact(t) for t in texts]
    return out, time.perf_counter() - start


def score(name: str, outputs: list[str], seconds: float, note: str = "") -> dict[str, object]:
    items, negatives, groups = pii_corpus.items(), pii_corpus.NEGATIVES, pii_corpus.groups()
    n_items = len(items)
    item_out, neg_out = outputs[:n_items], outputs[n_items : n_items + len(negatives)]
    group_out = outputs[n_items + len(negatives) :]
    missed = collections.Counter()
    total = collections.Counter()
    for (kind, _, _, item), text in zip(items, item_out):
        total[kind] += 1
        if item in text or _digits(item) and _digits(item) in _digits(text):
            missed[kind] += 1
    false_pos = [t for t, o in zip(negatives, neg_out) if t != o]
    distinct, start = [], 0
    for group in groups:
        distinct.append(len(set(group_out[start : start + len(group)])))
        start += len(group)
    return {
        "name": name,
        "recall": 1 - sum(missed.values()) / n_items,
        "missed": dict(missed),
        "total": dict(total),
        "fp": len(false_pos),
        "fp_examples": false_pos[:3],
        "one_text": sum(1 for d in distinct if d == 1),
        "groups": len(distinct),
        "ms": seconds * 1000 / len(outputs),
        "note": note,
    }


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= 7 else ""


def main() -> int:
    items = pii_corpus.items()
    texts = [s for _, _, s, _ in items] + list(pii_corpus.NEGATIVES) + [t for g in pii_corpus.groups() for t in g]
    kinds = collections.Counter(k for k, _, _, _ in items)
    regions = sorted({r for k, r, _, _ in items if k == "phone"})
    print(
        f"corpus: {len(items)} PII items ({', '.join(f'{k} {n}' for k, n in kinds.items())}; phones from "
        f"{len(regions)} regions), {len(pii_corpus.NEGATIVES)} look-alike negatives, "
        f"{len(pii_corpus.groups())} groups of 4 texts differing only in PII\n"
    )
    rows = []
    new, seconds = timed(make_redactor(), texts)
    rows.append(score("failgate-redact-2", new, seconds))
    old, seconds = timed(redact_v1, texts)
    rows.append(score("failgate-redact-1 (before)", old, seconds))
    found, seconds, note = presidio(texts)
    if found is not None:
        rows.append(score("presidio-analyzer", found, seconds, note))
    print(f"{'redactor':<28} {'recall':>7} {'false pos':>10} {'one text/group':>15} {'ms/text':>8}")
    for row in rows:
        print(
            f"{row['name']:<28} {row['recall']:>7.1%} {row['fp']:>6} / {len(pii_corpus.NEGATIVES):<3}"
            f"{row['one_text']:>8} / {row['groups']:<6}{row['ms']:>8.3f}"
        )
    if found is None:
        print(f"{'presidio-analyzer':<28} {note}")
    print()
    for row in rows:
        misses = ", ".join(f"{k} {row['missed'][k]}/{row['total'][k]}" for k in row["missed"]) or "none"
        print(
            f"{row['name']}: missed {misses}; false positives e.g. {row['fp_examples'] or 'none'}"
            + (f"; {row['note']}" if row["note"] else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
