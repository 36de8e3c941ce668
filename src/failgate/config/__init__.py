"""Configuration from `[tool.failgate]` in pyproject.toml, or failgate.toml.

The project root is the nearest directory upwards that holds a
`failgate.toml` or a `pyproject.toml` with a `[tool.failgate]` table, else the
git work tree's top. Paths in the configuration are relative to that root.

Every key is checked against `SCHEMA` below: an unknown key or a wrong type is
a `FailgateError` (exit 2) whose findings point at `file:line`, because a
silently ignored `timout_s` would make a hung agent look like a slow one.
tomllib keeps no positions, so `_KeyLines` finds a key's line in the text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from failgate.caches import cache_location as cache_location  # re-exported: the one place that says where caches live
from failgate.config.checkers import Table
from failgate.config.sections import SCHEMA, SECTIONS, GoldSettings
from failgate.dataset.model import DEFAULT_DATASET_DIR
from failgate.exit_codes import PROBLEM, USAGE
from failgate.findings import FailgateError, Finding, Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_JOBS = 4  # promptfoo's default too: safe for agents that are not thread-safe-hungry
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_BASE_BRANCH = "origin/main"


# -- locating keys in TOML text ----------------------------------------------
_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+', text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class _KeyLines:
    """Maps dotted key paths to the line (1-based) that defines them."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        for lineno, line in enumerate(text.splitlines(), 1):
            # Skip the insides of multi-line strings: their lines are not keys.
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
            header = _HEADER_RE.match(line)
            if header:
                table = _split_dotted(header.group(1))
                self.lines.setdefault(table, lineno)
                continue
            key = _KEY_RE.match(line)
            if key:
                self.lines.setdefault(table + _split_dotted(key.group(1)), lineno)

    def find(self, path: tuple[str, ...]) -> int:
        # The key itself, else the nearest ancestor written in the text
        # (an inline table holds its keys on its parent's line).
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 0


# -- the config object --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SetConfig:
    name: str
    path: Path  # the cases file, absolute
    floor: float | None


@dataclasses.dataclass
class Config:
    root: Path
    source: Path | None  # the file the settings came from, None for defaults
    raw: dict[str, Any]
    recovered: list[str] = dataclasses.field(default_factory=list)  # what `failgate.journal.recover` finished

    @property
    def dataset_dir(self) -> Path:
        return self.root / str(self.raw.get("dataset", DEFAULT_DATASET_DIR))

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def agent(self) -> str | None:
        return self.raw.get("agent")

    @property
    def agent_command(self) -> list[str] | None:
        value = self.raw.get("agent_command")
        if isinstance(value, str):
            import shlex

            return shlex.split(value)
        return value

    @property
    def jobs(self) -> int:
        return int(self.raw.get("jobs", DEFAULT_JOBS))

    @property
    def timeout_s(self) -> float:
        return float(self.raw.get("timeout_s", DEFAULT_TIMEOUT_S))

    @property
    def base_branch(self) -> str:
        return str(self.raw.get("base_branch", DEFAULT_BASE_BRANCH))

    @functools.cached_property
    def gold(self) -> GoldSettings:
        """`[judge] gold` and `gold_floor`, read once."""
        return GoldSettings.from_table(self.section("judge"))

    @property
    def cache_dir(self) -> Path:
        return cache_location(self.root)

    def ensure_cache_dir(self) -> Path:
        """The cache folder, created with a `.gitignore` of its own: like
        pytest's cache, ignored even where `init` did not add it."""
        directory = self.cache_dir
        directory.mkdir(parents=True, exist_ok=True)
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# created by failgate\n*\n", encoding="utf-8")
        return directory

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    @property
    def sets(self) -> dict[str, SetConfig]:
        return {
            name: SetConfig(name, self.root / table["path"], table.get("floor"))
            for name, table in self.section("sets").items()
        }

    def describe(self) -> str:
        return str(self.source) if self.source else "defaults (no [tool.failgate] found)"


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FailgateError(f"{path}: not UTF-8 text", exit_code=USAGE) from None
    try:
        return tomllib.loads(text), text
    except RecursionError:
        # tomllib recurses per nested array or inline table; the strict readers' depth, said at its line.
        from failgate.dataset.jsonstrict import MAX_DEPTH, nesting_depth

        at = nesting_depth(text.replace("'", '"'))
        line = text.count("\n", 0, at) + 1 if at else 0
        finding = Finding(
            "CONFIG",
            f"invalid TOML: nested deeper than failgate reads ({MAX_DEPTH} levels)",
            Location(str(path), line, 0),
        )
        raise FailgateError(f"{path}: invalid TOML: nested too deep", exit_code=2, findings=[finding]) from None
    except ValueError as exc:
        if not isinstance(exc, tomllib.TOMLDecodeError):
            # Python's int-string limit, raised from inside tomllib for a 5,000-digit integer.
            from failgate.dataset.jsonstrict import MAX_INT_DIGITS

            found = re.search(rf"[0-9_]{{{MAX_INT_DIGITS + 1},}}", text)
            line = text.count("\n", 0, found.start()) + 1 if found else 0
            message = f"invalid TOML: an integer of more than {MAX_INT_DIGITS} digits"
            finding = Finding("CONFIG", message, Location(str(path), line, 0))
            raise FailgateError(f"{path}: {message}", exit_code=2, findings=[finding]) from None
        # The message ends with "(at line L, column C)"; make it a location.
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        finding = Finding("CONFIG", f"invalid TOML: {message}", Location(str(path), line, col))
        raise FailgateError(f"{path}: invalid TOML: {exc}", exit_code=USAGE, findings=[finding]) from None


def _check_table(
    table: Mapping[str, Any], spec: Table, path: tuple[str, ...], report: Callable[[tuple[str, ...], str], None]
) -> None:
    for key in spec.required:
        if key not in table:
            report(path, f"[{'.'.join(path)}] needs a {key!r} key")
    for key, value in table.items():
        where = path + (key,)
        dotted = ".".join(where)
        if spec.each is not None:
            if not isinstance(value, dict):
                report(where, f"{dotted} must be a table")
            else:
                _check_table(value, spec.each, where, report)
            continue
        if spec.keys is None:
            continue
        checker = spec.keys.get(key)
        if checker is None:
            known = ", ".join(sorted(spec.keys)) or "none yet"
            report(where, f"unknown key {dotted!r} (known keys here: {known})")
        elif isinstance(checker, Table):
            if not isinstance(value, dict):
                report(where, f"{dotted} must be a table")
            else:
                _check_table(value, checker, where, report)
        else:
            problem = checker(value)
            if problem:
                report(where, f"{dotted} must be {problem}, got {value!r}")


def validate(raw: Mapping[str, Any], source: Path, text: str, prefix: tuple[str, ...]) -> list[Finding]:
    """Every problem in the `[tool.failgate]` table, each at its file:line."""
    lines = _KeyLines(text)
    findings: list[Finding] = []

    def report(path: tuple[str, ...], message: str) -> None:
        line = lines.find(prefix + path) or lines.find(prefix)
        findings.append(Finding("CONFIG", message, Location(str(source), line)))

    top = Table({**SCHEMA, **SECTIONS})
    _check_table(raw, top, (), report)
    if "agent" in raw and "agent_command" in raw:
        report(("agent_command",), "set either 'agent' or 'agent_command', not both")
    return sorted(findings, key=Finding.sort_key)


def _find(start: Path) -> tuple[Path, Path | None, dict[str, Any], tuple[str, str, tuple[str, ...]] | None]:
    start = start.resolve()
    git_top: Path | None = None
    for directory in (start, *start.parents):
        candidate = directory / "failgate.toml"
        if candidate.is_file():
            data, text = _read_toml(candidate)
            return directory, candidate, data, (str(candidate), text, ())
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            data, text = _read_toml(pyproject)
            tool = data.get("tool", {})
            table = tool.get("failgate") if isinstance(tool, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    raise FailgateError(f"{pyproject}: tool.failgate must be a table", exit_code=USAGE)
                return directory, pyproject, table, (str(pyproject), text, ("tool", "failgate"))
        if git_top is None and (directory / ".git").exists():
            git_top = directory
            break
    return (git_top or start), None, {}, None


def load_config(start: Path | None = None, *, recover: bool = True) -> Config:
    """Find and validate the configuration; raises FailgateError (exit 2) with
    one finding per problem, each at file:line.

    Every command that reads or writes the dataset starts here, so this is
    where a transaction a killed command left half done is finished
    (`failgate.journal.recover`): no command, hooks included, sees it half."""
    root, source, raw, origin = _find(start or Path.cwd())
    if source is not None and origin is not None:
        findings = validate(raw, source, origin[1], origin[2])
        if findings:
            raise FailgateError(f"{source}: invalid failgate configuration", exit_code=USAGE, findings=findings)
    config = Config(root=root, source=source, raw=raw)
    from failgate.confinement import dataset_links

    outside = dataset_links(config.dataset_dir, root)
    if outside:
        raise FailgateError("dataset files outside the repository", exit_code=PROBLEM, findings=outside)
    if recover and config.dataset_dir.is_dir():
        from failgate.dataset.model import INTAKE_DIR
        from failgate.journal import recover as finish_interrupted

        # Temp files a killed command left: the dataset's, the cache's (last-failed), and the work tree's
        # top, where git runs the merge driver and %A, the file it rewrites, lives.
        top = next((d for d in (root, *root.parents) if (d / ".git").exists()), root)
        config.recovered = finish_interrupted(
            config.dataset_dir, tuple(dict.fromkeys((config.dataset_dir / INTAKE_DIR, config.cache_dir, root, top)))
        )
        for line in config.recovered:
            sys.stderr.write(f"failgate: {line}\n")
    return config
