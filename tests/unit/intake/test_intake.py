"""Intake: PII-stable hashes, stratification bounds, rules, dedupe both ways, the ingest CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from failgate.cli import main
from failgate.dataset.hashing import input_hash
from failgate.dataset.yamlstrict import load_yaml_text
from failgate.intake.pipeline import run_pipeline
from failgate.intake.redact import redact_text, redact_value
from failgate.intake.rules import IntakeRules
from failgate.intake.settings import IntakeSettings
from failgate.intake.similarity import NgramSimilarity
from failgate.intake.stratify import intent_cap, stratify
from failgate.intake.traces.model import Trace

EXAMPLE = Path(__file__).parents[3] / "src" / "failgate" / "examples" / "support-bot"

emails = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,5})?@[a-z]{2,8}\.(com|org|io)", fullmatch=True)
phones = st.from_regex(r"\+44 20 7\d{3} \d{4}", fullmatch=True)
uuids = st.uuids().map(str)
ips = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))


def _luhn_card(body: str) -> str:
    """A Visa-shaped number with its Luhn check digit: the redactor only takes valid cards."""
    digits = [int(c) for c in body]
    total = sum(d if i % 2 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    full = body + str((10 - total % 10) % 10)
    return " ".join(full[i : i + 4] for i in range(0, 16, 4))


cards = st.from_regex(r"4\d{14}", fullmatch=True).map(_luhn_card)


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(emails, phones, uuids, ips, cards), b=st.tuples(emails, phones, uuids, ips, cards))
def test_inputs_differing_only_in_pii_hash_equal(a: tuple, b: tuple) -> None:
    template = "Refund order 8812 for {} (call {}), session {}, from {}, card {}."

    def case(values: tuple) -> dict:
        return {"messages": [{"role": "user", "content": template.format(*values)}]}

    assert input_hash(redact_value(case(a), redact_text)) == input_hash(redact_value(case(b), redact_text))
    assert input_hash(case(a)) == input_hash(case(b))  # input_hash redacts with the default redactor itself


@settings(max_examples=300, deadline=None)
@given(
    intents=st.lists(st.sampled_from("abcdefghij"), max_size=300), limit=st.integers(1, 80), share=st.floats(0.05, 1.0)
)
def test_stratification_bounds(intents: list[str], limit: int, share: float) -> None:
    kept, dropped = stratify(list(enumerate(intents)), lambda item: item[1], limit=limit, share=share)
    assert len(kept) + len(dropped) == len(intents)
    assert len(kept) <= limit
    cap = intent_cap(limit, len(intents), share)
    counts: dict[str, int] = {}
    for _, intent in kept:
        counts[intent] = counts.get(intent, 0) + 1
    assert all(n <= cap for n in counts.values())  # no intent above its share of the budget
    present = set(intents)
    if len(present) <= min(limit, len(intents)):
        assert set(counts) == present  # every intent, however rare, keeps at least one
    assert kept == sorted(kept)  # input order kept


def test_dominant_intent_is_capped_and_rare_intents_kept() -> None:
    items = ["order_status"] * 90 + ["refund"] * 8 + ["warranty"]
    kept, _ = stratify(items, lambda i: i, limit=20, share=0.3)
    assert kept.count("order_status") == 6 and kept.count("refund") == 6 and kept.count("warranty") == 1


def trace(tid: str, content: str, output: str = "ok", **kw: object) -> Trace:
    return Trace(trace_id=tid, input={"messages": [{"role": "user", "content": content}]}, output=output, **kw)  # type: ignore[arg-type]


def test_rules_use_the_judge_and_propose_modes() -> None:
    rules = IntakeRules(
        IntakeSettings(
            forbidden_tools=("delete_account",),
            latency_budget_ms=5000,
            rules=(({"not_contains": "1Z"}, "hallucination"),),
        )
    )
    assert rules.classify(trace("a", "hi", "Hello! How can I help?", latency_ms=100)) is None
    refused = rules.classify(trace("b", "hi", "I'm sorry, but I can't help with that."))
    assert refused is not None and refused.mode == "refusal_overreach" and refused.reasons[0].startswith("refused")
    slow = rules.classify(trace("c", "hi", latency_ms=9000))
    assert slow is not None and slow.mode == "latency_breach"
    forbidden = rules.classify(
        trace(
            "d",
            "hi",
            "I'm sorry, but I can't help with that.",
            tool_calls=[{"name": "delete_account", "arguments": {}}],
        )
    )
    assert (
        forbidden is not None
        and forbidden.mode == "blast_radius_breach"
        and forbidden.signals == ("forbidden_tool", "refusal")
    )
    tool = rules.classify(trace("e", "hi", tool_calls=[{"name": "x", "arguments": {}, "error": "500"}]))
    assert tool is not None and tool.mode == "tool_invocation"
    timeout = rules.classify(trace("f", "hi", error="Deadline exceeded"))
    assert timeout is not None and timeout.mode == "latency_breach"
    project = rules.classify(trace("g", "hi", "Tracking number 1Z999"))
    assert project is not None and project.mode == "hallucination"
    fb = rules.classify(
        Trace(
            "h",
            {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
            "ok",
            feedback="negative",
            feedback_comment="forgot my order",
        )
    )
    assert fb is not None and fb.mode == "multi_turn_drift" and "forgot my order" in fb.reasons[0]


def pipeline(traces: list[Trace], known: dict[str, str], cases: list[dict], **kw: object):  # type: ignore[no-untyped-def]
    return run_pipeline(
        traces,
        rules=IntakeRules(IntakeSettings()),
        redact=redact_text,
        similarity=NgramSimilarity(),
        known=known,
        cases=cases,
        limit=int(kw.get("limit", 50)),
        share=0.3,
        threshold=0.92,
    )


def test_dedupe_by_hash_links_recurrences_and_merges_pii_variants() -> None:
    refusal = "I'm sorry, but I can't help with that."
    a = trace("t1", "chargeback on 8812, mail a@b.com", refusal, intent="refund")
    b = trace("t2", "chargeback on 8812, mail zed@q.org", refusal, intent="refund")
    c = trace("t3", "known case text", refusal, intent="refund")
    known = {input_hash({"messages": [{"role": "user", "content": "known case text"}]}): "AGTFAIL-0007"}
    result = pipeline([a, b, c], known, [])
    assert result.failed == 3 and result.distinct == 2
    assert [(r.target, r.group.trace_ids) for r in result.recurrences] == [("AGTFAIL-0007", ["t3"])]
    (candidate,) = result.candidates
    assert candidate.group.trace_ids == ["t1", "t2"] and candidate.group.count == 2
    assert candidate.group.input["messages"][0]["content"] == "chargeback on 8812, mail <EMAIL>"


def test_similar_behaviour_with_same_mode_is_shown_side_by_side() -> None:
    refusal = "I'm sorry, but I can't help with that."
    draft = pipeline([trace("t1", "chargeback question", refusal)], {}, []).candidates[0].observed_behavior
    cases = [
        {"id": "AGTFAIL-0008", "failure_mode": "refusal_overreach", "title": "same", "observed_behavior": draft},
        {"id": "AGTFAIL-0009", "failure_mode": "hallucination", "title": "other mode", "observed_behavior": draft},
        {
            "id": "AGTFAIL-0010",
            "failure_mode": "refusal_overreach",
            "title": "different",
            "observed_behavior": "Quoted 14 days.",
        },
    ]
    (candidate,) = pipeline([trace("t1", "chargeback question", refusal)], {}, cases).candidates
    assert candidate.likely_same is not None and candidate.likely_same.ref == "AGTFAIL-0008"
    assert candidate.likely_same.score >= 0.92
    assert [n.ref for n in candidate.neighbours][:2] == ["AGTFAIL-0008", "AGTFAIL-0010"]  # same mode first
    # Below the threshold: listed as nearest, never flagged.
    (far,) = pipeline([trace("t1", "chargeback question", refusal)], {}, cases[2:]).candidates
    assert far.likely_same is None and far.neighbours[0].score < 0.92


def test_ngram_similarity() -> None:
    sim = NgramSimilarity()
    a, b, c = sim.vectors(
        ["Refund issued twice for order 8812", "Refund issued twice for order 8813", "Quoted 14 days"]
    )
    assert sim.score(a, a) == 1.0 and sim.score(a, b) > 0.9 > sim.score(a, c)


def dataset_repo(tmp: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    repo = tmp / "repo"
    (repo / "evals").mkdir(parents=True)
    shutil.copytree(EXAMPLE, repo / "evals" / "failures")
    (repo / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n')
    monkeypatch.chdir(repo)
    return repo


def test_ingest_cli_writes_a_review_file_and_prints_the_funnel(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = dataset_repo(tmp_path, monkeypatch)
    known = load_yaml_text((repo / "evals/failures/cases.yaml").read_text(), "c").data["cases"][1]
    lines = [
        {"trace_id": "r1", "intent": "policy_question", "input": known["input"], "output": "14 days", "feedback": -1},
        {
            "trace_id": "n1",
            "intent": "refund_request",
            "input": "chargeback on 8812, I'm x@y.com",
            "output": "I'm sorry, but I can't help with that.",
        },
        {"trace_id": "ok", "intent": "refund_request", "input": "hi", "output": "Hello"},
    ]
    (repo / "t.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    assert main(["ingest", "t.jsonl"]) == 0
    out = capsys.readouterr()
    assert "t.jsonl:4: TRACE_SKIPPED" in out.err
    for label in ("traces", "failed", "after stratification", "recurrences", "new candidates"):
        assert label in out.out
    (review,) = (repo / "evals/failures/_intake").glob("*.yaml")
    doc = load_yaml_text(review.read_text(), "r")
    first, second = doc.data["candidates"]
    assert first == {
        "candidate": 1,
        "kind": "recurrence",
        "case": known["id"],
        "discovered_by": ["trace:r1"],
        "occurrences": 1,
    }
    assert second["kind"] == "new" and second["failure_mode"] == "refusal_overreach"
    assert second["input"]["messages"][0]["content"] == "chargeback on 8812, I'm <EMAIL>"
    assert second["title"].startswith("TODO") and second["severity"].startswith("TODO")
    assert "x@y.com" not in review.read_text()
    # Ingesting the same export again: the pending candidate is now a recurrence too.
    assert main(["ingest", "t.jsonl"]) == 0
    import re

    assert re.search(r"^new candidates\s+0$", capsys.readouterr().out, re.M)


def test_ingest_manual_and_usage_errors(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = dataset_repo(tmp_path, monkeypatch)
    assert main(["ingest"]) == 2
    assert main(["ingest", "--manual"]) == 2
    assert main(["ingest", "missing.jsonl"]) == 2
    assert main(["ingest", "--since", "soon", "x"]) == 2
    assert main(["ingest", "--manual", "--ticket", "SUP-1", "--by", "dana@example.com"]) == 0
    (review,) = (repo / "evals/failures/_intake").glob("*.yaml")
    (entry,) = load_yaml_text(review.read_text(), "r").data["candidates"]
    assert entry["discovered_by"] == ["ticket:SUP-1", "person:dana@example.com"]
    assert entry["input"]["fixtures"] == [] and entry["owner"] == "dana@example.com"
    (repo / "failgate.toml").write_text('agent = "failgate.examples.support_bot:run"\n[intake]\nmax_candidate = 3\n')
    capsys.readouterr()
    assert main(["ingest", "--manual", "--ticket", "SUP-2"]) == 2
    assert "failgate.toml:3" in capsys.readouterr().err
