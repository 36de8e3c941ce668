"""What `failgate init` writes, as pure functions of the settings.

Every piece is computed from the current content (None when the file does not
exist) so that `init` is idempotent: it writes only where the result differs
and says which files it created, updated or left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from failgate.dataset.model import FAILURE_MODES_V1, SCHEMA_VERSION

SCHEMA_DIR = ".schema"  # inside the dataset directory, for editors
OWNER_PLACEHOLDER = "@REPLACE-WITH-DATASET-OWNERS"
# What failgate leaves beside the dataset: cache, writer lock, the journal of
# an interrupted transaction and staged temp files (failgate.atomic, failgate.journal).
IGNORE_LINES = [".failgate-cache/", ".failgate.lock", ".failgate-journal.json", "*.failgate-tmp"]


def cases_header() -> str:
    modes = "\n".join(f"  - {mode}" for mode in FAILURE_MODES_V1)
    return (
        f"# yaml-language-server: $schema={SCHEMA_DIR}/cases.schema.json\n"
        "# The failure dataset: agent runs that failed in production, gated at 100 %.\n"
        "# Add cases with `failgate promote`; remove them only with `failgate remove`.\n"
        f"schema_version: {SCHEMA_VERSION}\n"
        "# The closed taxonomy. Add a mode only with a schema_version bump, written as\n"
        '# {name: ..., added_in: 2, rationale: "..."}; modes are never removed.\n'
        "failure_modes:\n"
        f"{modes}\n"
        "cases: []\n"
    )


def removed_header() -> str:
    return (
        f"# yaml-language-server: $schema={SCHEMA_DIR}/cases_removed.schema.json\n"
        "# Append-only deletion ledger, written by `failgate remove`. Never edit old entries.\n"
        f"schema_version: {SCHEMA_VERSION}\n"
        "removed: []\n"
    )


def eol_lines(dataset_dir: str) -> list[str]:
    """LF in every clone, whatever core.autocrlf says: the ledger check and the
    merge drivers compare these files line by line."""
    from failgate.merge import attr_pattern

    directory = dataset_dir.strip("/")
    return [f"{attr_pattern(directory + '/*.yaml')} eol=lf", f"{attr_pattern(directory + '/*.jsonl')} eol=lf"]


def codeowners_line(dataset_dir: str, owner: str | None) -> str:
    return f"/{dataset_dir.strip('/')}/ {owner or OWNER_PLACEHOLDER}\n"


CI_WORKFLOW_PATH = "/.github/workflows/failgate.yml"


def review_paths(root: Any, raw: Mapping[str, Any]) -> list[str]:
    """What else the gate trusts from the base, for CODEOWNERS: `failgate.toml`, the
    project-local modules the configuration names (redactors, embedders, judge
    plugins), the workflow, the hooks' config, `.gitattributes` and the gold set. A `[tool.failgate]` in pyproject.toml cannot be covered by section:
    there the gate's "Policy and agent changes" list is the reviewers' signal."""
    from pathlib import Path

    from failgate.config.sections import gold_settings

    paths = ["/failgate.toml"] if (Path(root) / "failgate.toml").is_file() else []
    # How the checks run (CI runs a pull request's own edit of the workflow) and what grades the judge.
    judge = raw.get("judge")
    gold = gold_settings(judge if isinstance(judge, dict) else {})[0]
    paths += [CI_WORKFLOW_PATH, "/.pre-commit-config.yaml", "/.gitattributes", "/" + gold.strip("/")]

    def refs(value: Any) -> list[str]:
        if isinstance(value, str) and ":" in value and " " not in value:
            return [value]
        if isinstance(value, Mapping):
            return [r for v in value.values() for r in refs(v)]
        return []

    for key, value in raw.items():
        if key in ("agent", "agent_command"):
            continue  # the agent is the code under test, owned by its own team
        for ref in refs(value):
            module = ref.partition(":")[0].replace(".", "/")
            for candidate in (f"{module}.py", f"{module}/__init__.py", f"src/{module}.py"):
                if (Path(root) / candidate).is_file():
                    paths.append("/" + candidate)
                    break
    return sorted(set(paths))


def with_line(current: str | None, line: str, *, same_prefix: str | None = None) -> str:
    """`current` with `line` present once; an existing line that starts with
    `same_prefix` (the same path, another owner) is left as the user wrote it."""
    text = current or ""
    existing = text.splitlines()
    if line.rstrip("\n") in existing:
        return text
    if same_prefix and any(row.split() and row.split()[0] == same_prefix for row in existing):
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line


def with_lines(current: str | None, lines: list[str], comment: str) -> str:
    """Append the missing ones of `lines` under a comment, once."""
    text = current or ""
    existing = set(text.splitlines())
    missing = [line for line in lines if line not in existing]
    if not missing:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    block = "" if comment in existing else f"{comment}\n"
    return text + block + "".join(line + "\n" for line in missing)


# failgate-git has no release tag yet, so the snippet names none: `rev: main`
# resolves today, and `pre-commit autoupdate --freeze` pins it to that
# commit's SHA (autoupdate falls back to the default branch's head when a
# repository has no tags).
PRECOMMIT_REPO = "https://github.com/failgate/failgate"


def precommit_snippet() -> str:
    return f"""\
repos:
  - repo: {PRECOMMIT_REPO}
    rev: main   # no release tag yet: pin this commit with `pre-commit autoupdate --freeze`
    hooks:
      - id: failgate-fmt         # first: fills input_hash and regressed_count (exits 1 when it changed a file)
      - id: failgate-validate
      - id: failgate-ledger
      - id: failgate-gate        # pre-push: `pre-commit install --hook-type pre-push`
      - id: failgate-install     # post-checkout/post-merge: keeps merge drivers registered
"""
