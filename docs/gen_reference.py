"""Write the manual's reference pages from the code, so they cannot drift from it.

    python docs/gen_reference.py           # rewrite the generated parts
    python docs/gen_reference.py --check   # exit 1 and name the stale pages (a test runs this)

In the manner of coverage.py's `doc/cog_helpers.py`: each generated part of a page sits between
two HTML comments (`<!-- generated: NAME -->` ... `<!-- end generated: NAME -->`), and only
that part is rewritten; the prose around it is hand-written. A page that does not exist yet is
created with a title and its parts. Sources: the click group in `failgate.cli`,
`failgate.config.sections` (+ `config.key_docs`), `failgate.finding_codes`,
`failgate.exit_codes`, the judge's rule table, the trace readers, `schemas/` and
`.pre-commit-hooks.yaml`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WIDTH = 100  # `--help` is wrapped at this width, whatever the terminal


class StaleVocabulary(Exception):
    """A vocabulary grew (a key, a code, an event type) and its description is missing."""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- commands -------------------------------------------------------------------------------------
def commands() -> str:
    import click

    from failgate.cli import COMMANDS, cli

    parts = []
    group_ctx = click.Context(cli, info_name="failgate", terminal_width=WIDTH, max_content_width=WIDTH)
    parts.append("## failgate\n\n```text\n" + cli.get_help(group_ctx) + "\n```")
    for name in COMMANDS:
        command = cli.get_command(group_ctx, name)
        if command is None:  # pragma: no cover - a listed module that does not exist
            raise StaleVocabulary(f"failgate.cli.COMMANDS lists {name!r} but no such command imports")
        ctx = click.Context(
            command, info_name=f"failgate {name}", parent=None, terminal_width=WIDTH, max_content_width=WIDTH
        )
        parts.append(f"## failgate {name}\n\n```text\n{command.get_help(ctx)}\n```")
    return "\n\n".join(parts)


# -- configuration --------------------------------------------------------------------------------
def _walk_keys(prefix: str, keys: Any) -> Iterator[tuple[str, Any]]:
    from failgate.config.checkers import Table

    for key, checker in keys.items():
        dotted = f"{prefix}{key}"
        if isinstance(checker, Table):
            if checker.each is not None:
                yield from _walk_keys(f"{dotted}.<name>.", checker.each.keys or {})
            else:
                yield from _walk_keys(f"{dotted}.", checker.keys or {})
        else:
            yield dotted, checker


def config_keys() -> list[tuple[str, Any]]:
    from failgate.config.sections import SCHEMA, SECTIONS

    return list(_walk_keys("", SCHEMA)) + list(_walk_keys("", SECTIONS))


def configuration() -> str:
    from failgate.config.key_docs import KEY_DOCS

    rows = []
    for dotted, checker in config_keys():
        if dotted not in KEY_DOCS:
            raise StaleVocabulary(f"config key {dotted!r} has no entry in failgate/config/key_docs.py")
        default, description = KEY_DOCS[dotted]
        taken = checker(object()) or "any value"  # what the checker says it expected: the key's type
        rows.append((f"`{dotted}`", taken, default, description))
    return _table(("key", "takes", "default", "what it does"), rows)


# -- finding codes and exit codes -----------------------------------------------------------------
def finding_codes() -> str:
    from failgate.finding_codes import CODES

    rows = [(f'<a id="{code.lower()}"></a>`{code}`', c.meaning, c.fix, c.reported_by) for code, c in CODES.items()]
    return _table(("code", "what is wrong", "what to do", "reported by"), rows)


def exit_codes() -> str:
    from failgate.cli import COMMANDS
    from failgate.exit_codes import COMMAND_EXITS, MEANINGS

    missing = set(COMMANDS) - set(COMMAND_EXITS)
    if missing:
        raise StaleVocabulary(f"commands without exit codes in failgate/exit_codes.py: {sorted(missing)}")
    general = _table(("exit", "meaning"), [(str(code), text) for code, text in MEANINGS.items()])
    per_command = _table(("command", "0", "1"), [(f"`failgate {name}`", *COMMAND_EXITS[name]) for name in COMMANDS])
    return general + "\n\nPer command (2 is always a usage or configuration error):\n\n" + per_command


# -- vocabularies held as data: rules, trace formats, events, case fields, hooks ------------------
def _schema(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / name).read_text())


def rule_kinds() -> str:
    from failgate.eval.judge import RULE_NAMES

    definitions = _schema("cases.schema.json")["definitions"]
    rules = definitions["rule"]["properties"]

    def resolved(alt: dict[str, Any]) -> dict[str, Any]:
        ref = alt.get("$ref", "")
        return definitions[ref.rsplit("/", 1)[-1]] if ref.startswith("#/definitions/") else alt

    rows = []
    for name in RULE_NAMES:
        spec = rules.get(name)
        if spec is None:
            raise StaleVocabulary(f"rule {name!r} is missing from schemas/cases.schema.json")
        alternatives = [resolved(alt) for alt in spec.get("oneOf", [spec])]
        options = sorted({k for alt in alternatives for k in alt.get("properties", {})})
        forms = [str(alt.get("type", "")) for alt in alternatives]
        rows.append(
            (
                f"`{name}`",
                spec.get("description", ""),
                ", ".join(f"`{o}`" for o in options) or "—",
                " or ".join(f for f in forms if f),
            )
        )
    return _table(("rule", "passes when", "options", "written as"), rows)


def trace_formats() -> str:
    import importlib

    from failgate.intake.traces import FORMATS, reader

    parts = [f"Detected per file in this order: {', '.join(f'`{f}`' for f in FORMATS)} (`--format auto`)."]
    for fmt in FORMATS:
        doc = reader(fmt).__doc__ or ""
        parts.append(f"### `{fmt}`\n\n{doc.strip()}")
    vercel = importlib.import_module("failgate.intake.traces.vercel").__doc__ or ""
    parts.append(f"### Vercel AI SDK spans (inside `otlp`)\n\n{vercel.strip()}")
    return "\n\n".join(parts)


EVENT_MEANINGS = {
    "promoted": "a case entered the dataset (`failgate promote`): reproduction outcome, judge fingerprint",
    "result": "a recorded outcome (`eval --record`), only when it changed; `attempts`/`passes` for repeats",
    "regressed": "a case went from pass to fail; `detail.after` names the pass it follows; `regressed_count` "
    "counts these, one per pass named (below)",
    "status_changed": "a case's status changed (e.g. active -> deprecated)",
    "remediated": "what changed to make a case pass (a fix, a pull request)",
    "recurrence": "the same failure was seen again (promote of a known input hash)",
    "removed": "a case moved to the deletion ledger (`failgate remove`)",
    "taxonomy_changed": "the failure modes changed with a schema_version bump (no case_id)",
    "judge_graded": "a gold-set grading of the judge (`judge-check --record`): fingerprint, gold file digest, figures",
    "redefined": "decision: a case's judged definition changed on purpose (`failgate decide --redefined`)",
    "judge_changed": "decision: a judge change, from and to fingerprints (`failgate decide --judge-changed`)",
    "quarantined": "decision: a flaky case out of the gate until a date (`failgate decide --quarantine --until`)",
}


def history_events() -> str:
    from failgate.dataset.model import EVENT_TYPES

    missing = [t for t in EVENT_TYPES if t not in EVENT_MEANINGS]
    if missing:
        raise StaleVocabulary(f"event types without a meaning in docs/gen_reference.py: {missing}")
    schema = _schema("history-event.schema.json")
    fields = [
        (f"`{k}`", "yes" if k in schema["required"] else "", v.get("description", ""))
        for k, v in schema["properties"].items()
    ]
    types = [(f"`{t}`", EVENT_MEANINGS[t]) for t in EVENT_TYPES]
    return (
        _table(("field", "required", "meaning"), fields) + "\n\nEvent types:\n\n" + _table(("type", "records"), types)
    )


def case_fields() -> str:
    schema = _schema("cases.schema.json")
    defs = schema["definitions"]
    required = set(defs["case"].get("required", [])) | set(defs["caseFields"].get("required", []))
    for part in defs["case"].get("allOf", []):
        required |= set(part.get("required", []))
    rows = []
    for name, spec in defs["caseFields"]["properties"].items():
        ref = spec.get("$ref", "").rsplit("/", 1)[-1]
        target = defs.get(ref, {})
        description = spec.get("description") or target.get("description", "")
        values = target.get("enum") or spec.get("enum")
        if values:
            description = (description + " One of: " + ", ".join(f"`{v}`" for v in values) + ".").strip()
        rows.append((f"`{name}`", "yes" if name in required else "", description))
    header = [
        (f"`{k}`", "yes" if k in schema.get("required", []) else "", v.get("description", ""))
        for k, v in schema["properties"].items()
    ]
    from failgate.dataset.model import FAILURE_MODES_V1

    modes = ", ".join(f"`{m}`" for m in FAILURE_MODES_V1)
    return (
        "File header:\n\n"
        + _table(("key", "required", "meaning"), header)
        + f"\n\nVersion 1's seven failure modes: {modes}.\n\nEach case:\n\n"
        + _table(("field", "required", "meaning"), rows)
    )


def hooks() -> str:
    import yaml

    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    rows = [
        (
            f"`{h['id']}`",
            ", ".join(h.get("stages", [])) or "pre-commit",
            f"`{h['entry']}`",
            h.get("description", h.get("name", "")),
        )
        for h in manifest
    ]
    return _table(("id", "stages", "runs", "what it does"), rows)


# -- pages ------------------------------------------------------------------------------------------
PAGES: dict[str, tuple[str, dict[str, Callable[[], str]]]] = {
    "reference/commands.md": ("Commands", {"commands": commands}),
    "reference/configuration.md": ("Configuration", {"configuration": configuration}),
    "reference/finding-codes.md": ("Finding codes", {"finding-codes": finding_codes}),
    "reference/exit-codes.md": ("Exit codes", {"exit-codes": exit_codes}),
    "reference/rule-kinds.md": ("Rule kinds", {"rule-kinds": rule_kinds}),
    "reference/trace-formats.md": ("Trace formats", {"trace-formats": trace_formats}),
    "reference/history-events.md": ("History events", {"history-events": history_events}),
    "reference/case-fields.md": ("Case fields", {"case-fields": case_fields}),
    "reference/hooks.md": ("Hooks", {"hooks": hooks}),
}

_REGION = "<!-- generated: {0} (docs/gen_reference.py; edit the code, not this) -->\n{1}\n<!-- end generated: {0} -->"


def render(page: str, current: str | None) -> str:
    title, regions = PAGES[page]
    text = (
        current
        if current is not None
        else f"# {title}\n\n" + "\n\n".join(_REGION.format(n, "") for n in regions) + "\n"
    )
    for name, make in regions.items():
        pattern = re.compile(
            r"<!-- generated: " + re.escape(name) + r" .*?<!-- end generated: " + re.escape(name) + " -->", re.S
        )
        match = pattern.search(text)
        if match is None:
            raise StaleVocabulary(f"docs/{page} lost its generated part {name!r}")
        text = text[: match.start()] + _REGION.format(name, make().strip()) + text[match.end() :]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a page is stale")
    args = parser.parse_args(argv)
    stale = []
    try:
        for page in PAGES:
            path = DOCS / page
            current = path.read_text(encoding="utf-8") if path.exists() else None
            new = render(page, current)
            if new != current:
                stale.append(page)
                if not args.check:
                    path.write_text(new, encoding="utf-8")
    except StaleVocabulary as exc:
        print(f"gen_reference: {exc}", file=sys.stderr)
        return 1
    if args.check and stale:
        print(
            "gen_reference: stale, run `python docs/gen_reference.py`: " + ", ".join(f"docs/{p}" for p in stale),
            file=sys.stderr,
        )
        return 1
    for page in stale:
        print(f"wrote docs/{page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
