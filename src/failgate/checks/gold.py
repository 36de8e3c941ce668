"""Validate the gold set (`evals/judge_gold.yaml`): strict YAML, its schema,
well-formed rules, unique ids, and both verdicts present (kappa needs them).

Same findings as the dataset's (`path:line:col: CODE message`), so `failgate
validate` reports the gold file alongside cases.yaml.
"""

from __future__ import annotations

from typing import Any

from failgate.findings import WARNING, Finding, Location

SCHEMA_NAME = "judge-gold"


def load_gold(data: bytes, path: str) -> tuple[Any, list[Finding]]:
    """(the parsed document or None, findings). Never raises for bad input."""
    from failgate.checks.validate import schema_findings
    from failgate.dataset.yamlstrict import YamlLoadError, load_yaml
    from failgate.eval.judge import validate_rules

    try:
        doc = load_yaml(data, path, collect=True)
    except YamlLoadError as exc:
        return None, list(exc.findings)
    findings = list(doc.findings) + schema_findings(doc, SCHEMA_NAME, set())
    examples = doc.data.get("examples") if isinstance(doc.data, dict) else None
    seen: dict[str, int] = {}
    verdicts = set()
    for index, example in enumerate(examples if isinstance(examples, list) else []):
        if not isinstance(example, dict):
            continue
        example_id = example.get("id")
        if isinstance(example_id, str):
            if example_id in seen:
                findings.append(
                    Finding(
                        "DUPLICATE_ID",
                        f"examples[{index}]: id {example_id} is already used by examples[{seen[example_id]}]",
                        doc.locate(["examples", index, "id"]),
                    )
                )
            seen.setdefault(example_id, index)
        verdicts.add(example.get("human"))
        rule = example.get("rule")
        if isinstance(rule, dict) and len(rule) == 1:
            for _, message in validate_rules([rule]):
                findings.append(
                    Finding("RULE", f"examples[{index}].rule: {message}", doc.locate(["examples", index, "rule"]))
                )
    if isinstance(examples, list) and examples and not {"pass", "fail"} <= verdicts:
        findings.append(
            Finding(
                "GOLD_ONE_SIDED",
                "every example has the same human verdict: agreement and kappa "
                "cannot tell a judge from one that always answers that; label both passes and fails",
                doc.locate(["examples"]),
                severity=WARNING,
            )
        )
    return doc, findings


def missing_gold(path: str) -> Finding:
    return Finding(
        "MISSING_FILE",
        f"no gold set at {path}: write labeled examples there "
        "(see schemas/judge-gold.schema.json), or set [tool.failgate.judge] gold",
        Location(path),
    )
