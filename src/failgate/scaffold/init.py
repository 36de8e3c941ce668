"""`failgate init`, the use case: scaffold the dataset and wire it into git, idempotently."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from failgate.atomic import write_atomic
from failgate.config import load_config
from failgate.dataset.model import CASES_FILE, HISTORY_FILE, INTAKE_DIR, REMOVED_FILE
from failgate.dataset.schemas import SCHEMA_FILES, schemas_dir
from failgate.dataset.text import unwritable_character
from failgate.exit_codes import USAGE
from failgate.findings import FailgateError
from failgate.gitconfig import repo_root
from failgate.merge import gitattributes_lines
from failgate.scaffold import project as scaffold
from failgate.scaffold.ci import ci_workflow
from failgate.scaffold.drivers import register_drivers


class Plan:
    """Files to write, each compared with what is there, for a report."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.changes: list[tuple[Path, str]] = []  # (path, new content)
        self.report: list[tuple[str, str]] = []  # (status, relative path)

    def want(self, relative: str, content: str, *, create_only: bool = False) -> None:
        path = self.root / relative
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current is None:
            self.changes.append((path, content))
            self.report.append(("created", relative))
        elif current != content and not create_only:
            self.changes.append((path, content))
            self.report.append(("updated", relative))
        else:
            self.report.append(("unchanged", relative))

    def current(self, relative: str) -> str | None:
        path = self.root / relative
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def apply(self) -> None:
        for path, content in self.changes:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, content)


def _codeowners_path(root: Path) -> str:
    # GitHub looks in .github/, the root, then docs/; extend the one in use.
    for candidate in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
        if (root / candidate).is_file():
            return candidate
    return ".github/CODEOWNERS"


def plan_init(root: Path, dataset_dir: str, owner: str | None, schedule: bool = False) -> Plan:
    plan = Plan(root)
    plan.want(f"{dataset_dir}/{CASES_FILE}", scaffold.cases_header(), create_only=True)
    plan.want(f"{dataset_dir}/{REMOVED_FILE}", scaffold.removed_header(), create_only=True)
    plan.want(f"{dataset_dir}/{HISTORY_FILE}", "", create_only=True)
    plan.want(f"{dataset_dir}/{INTAKE_DIR}/.gitkeep", "", create_only=True)
    for file_name in SCHEMA_FILES.values():
        plan.want(
            f"{dataset_dir}/{scaffold.SCHEMA_DIR}/{file_name}", (schemas_dir() / file_name).read_text(encoding="utf-8")
        )
    plan.want(
        ".gitattributes",
        scaffold.with_lines(
            plan.current(".gitattributes"),
            scaffold.eol_lines(dataset_dir) + gitattributes_lines(dataset_dir),
            "# failgate: merge drivers and line endings",
        ),
    )
    # The lock that serialises writers of the dataset lives next to it (see
    # failgate.atomic.locked), and so do a killed command's journal and temp
    # files (failgate.journal): `git add -A` must never commit any of them.
    plan.want(".gitignore", scaffold.with_lines(plan.current(".gitignore"), scaffold.IGNORE_LINES, "# failgate"))
    codeowners = _codeowners_path(root)
    owners_text = scaffold.with_line(
        plan.current(codeowners),
        scaffold.codeowners_line(dataset_dir, owner),
        same_prefix=f"/{dataset_dir.strip('/')}/",
    )
    # The policy file and the local plugins the gate trusts get the same reviewers.
    for path in scaffold.review_paths(root, _raw_config(root)):
        owners_text = scaffold.with_line(
            owners_text, f"{path} {owner or scaffold.OWNER_PLACEHOLDER}\n", same_prefix=path
        )
    plan.want(codeowners, owners_text)
    plan.want(scaffold.CI_WORKFLOW_PATH.lstrip("/"), ci_workflow(dataset_dir), create_only=True)
    if schedule:
        from failgate.scaffold.schedule import INTAKE_FILE, WATCH_FILE, intake_workflow, wanted_secrets, watch_workflow

        raw = _raw_config(root)
        source, source_env, notify_env = wanted_secrets(raw)
        intake = raw["intake"] if isinstance(raw.get("intake"), dict) else {}
        plan.want(
            INTAKE_FILE,
            intake_workflow(
                dataset_dir, source, intake.get("owner") or owner, source_env, str(intake.get("review_as", ""))
            ),
            create_only=True,
        )
        plan.want(WATCH_FILE, watch_workflow(notify_env), create_only=True)
    return plan


def _raw_config(root: Path) -> dict[str, Any]:
    try:
        return dict(load_config(root).raw)
    except Exception:  # noqa: BLE001 - a broken config is reported by the commands that use it
        return {}


@dataclasses.dataclass(frozen=True)
class Initialised:
    report: list[tuple[str, str]]  # (created | updated | unchanged, path relative to the root)
    drivers_registered: bool  # the merge drivers were not registered in this clone before
    changed: bool  # anything was written
    codeowners: str  # the CODEOWNERS file in use, relative to the root
    owner_missing: bool  # CODEOWNERS still holds the placeholder owner


def init_project(owner: str | None, dataset: str | None, schedule: bool = False) -> Initialised:
    """Scaffold the dataset, .gitattributes, CODEOWNERS and CI in the repository around
    the working directory, and register the merge drivers; idempotent."""
    for option, value in (("--owner", owner), ("--dataset", dataset)):
        # Both end up inside one line of CODEOWNERS / .gitattributes: a newline would write a second rule.
        if value is not None and (not value.strip() or unwritable_character(value, one_line=True)):
            raise FailgateError(f"{option} must be one line of printable text, got {value!r}", exit_code=USAGE)
    root = repo_root(Path.cwd())
    config = load_config(root)
    dataset_dir = dataset or str(config.dataset_dir.relative_to(config.root))
    dataset_dir = dataset_dir.replace("\\", "/").strip("/")
    plan = plan_init(root, dataset_dir, owner, schedule)
    plan.apply()
    registered = register_drivers(root)
    codeowners = _codeowners_path(root)
    return Initialised(
        plan.report,
        bool(registered),
        bool(plan.changes),
        codeowners,
        scaffold.OWNER_PLACEHOLDER in (root / codeowners).read_text(encoding="utf-8"),
    )
