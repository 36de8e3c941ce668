"""The gate's policy as it is at the base, read from git objects. Pure over a blob reader.

docs/explanation/what-the-gate-trusts.md: the policy (`gate.mode`, `dataset`, set
floors, judge settings, `base_branch`, replay: which tools are intercepted and
mutating, what a divergence does) comes from the configuration as it is
at the merge-base, *wherever it lives there*: moving `[tool.failgate]` from
`failgate.toml` to `pyproject.toml` (or adding a `failgate.toml` over a
pyproject config) with `gate.mode = "advisory"` must not relax the gate of the
branch that does it. A policy change in the range is reported and takes effect
once merged. The agent (`agent`, `agent_command`, and `python`, `pythonpath`:
what decides which code runs as the agent) is the branch's own -- it is the code
under test -- but a change of it is reported loudly, with who and where.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

POLICY_KEYS = ("gate", "dataset", "sets", "judge", "base_branch", "replay", "notify")
AGENT_KEYS = ("agent", "agent_command", "python", "pythonpath")  # what decides which code runs as the agent
# Files that decide how the checks run, relative to the repository root: CI runs the workflow
# as the pull request edits it, hooks run as the edited config says. Listed as policy changes.
POLICY_FILES = (".github/workflows", ".pre-commit-config.yaml", ".gitattributes", ".github/CODEOWNERS", "CODEOWNERS")
FILE_EFFECT = "decides how CI and the hooks check every change, this one's included; reviewers: read the diff"
CONFIG_FILES = ("failgate.toml", "pyproject.toml")  # load_config's precedence in one directory

Reader = Callable[[str], "bytes | None"]


@dataclasses.dataclass(frozen=True)
class ConfigAt:
    """The `[tool.failgate]` table at one revision, and the file it was found in."""

    path: str | None  # repo-relative, None when neither file holds a configuration
    raw: Mapping[str, Any]
    problem: str | None = None  # unreadable TOML there: defaults apply, said out loud

    @property
    def where(self) -> str:
        return self.path or "(no configuration: defaults)"


@dataclasses.dataclass(frozen=True)
class PolicyChange:
    key: str  # a policy or agent key, or "location" for the file that holds the configuration
    before: Any
    after: Any
    kind: str  # "policy" (takes effect after merge) | "agent" (judged now: it is the code under test)
    by: str | None = None  # author of the last commit in the range that touched the configuration
    commit: str | None = None
    where: str | None = None  # the file that holds the configuration at the commit under test
    effect: str | None = None  # what the change does, when not the key's usual effect

    def describe(self) -> str:
        effect = self.effect or (
            "the gate judges the branch's agent; reviewers: check it is the agent you ship"
            if self.kind == "agent"
            else "takes effect only after it is merged; this gate uses the base's"
        )
        who = f" by {self.by}" if self.by else ""
        at = f" in {self.commit[:10]}" if self.commit else ""
        place = f" ({self.where})" if self.where and self.key != "location" else ""
        return f"{self.key}: {_show(self.before)} -> {_show(self.after)}{who}{at}{place} ({effect})"


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return repr(value)
    import json

    return json.dumps(value, sort_keys=True)


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def config_at(read: Reader, directory: str) -> ConfigAt:
    """The configuration in `directory` at one revision, found as `load_config` finds it in
    a checkout: `failgate.toml` first, else `pyproject.toml`'s `[tool.failgate]`."""
    for name in CONFIG_FILES:
        path = _join(directory, name)
        data = read(path)
        if data is None:
            continue
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except RecursionError:  # nested past tomllib's recursion: not a configuration either
            return ConfigAt(path, {}, f"{path} at the base is not valid TOML (nested too deep); using the defaults")
        except (ValueError, UnicodeDecodeError) as exc:
            # A broken file at the base cannot be trusted to say anything: the defaults
            # (blocking, evals/failures) are the strict reading.
            return ConfigAt(path, {}, f"{path} at the base is not valid TOML ({exc}); using the defaults")
        if name == "pyproject.toml":
            tool = raw.get("tool", {})
            table = tool.get("failgate") if isinstance(tool, dict) else None
            if not isinstance(table, dict):
                continue
            return ConfigAt(path, table)
        return ConfigAt(path, raw)
    return ConfigAt(None, {})


def effective_raw(base: ConfigAt, now_raw: Mapping[str, Any]) -> dict[str, Any]:
    """The branch's configuration with every policy key replaced by the base's
    (and dropped where the base does not set it): what the gate runs with."""
    raw = {k: v for k, v in now_raw.items() if k not in POLICY_KEYS}
    raw.update({k: base.raw[k] for k in POLICY_KEYS if k in base.raw})
    return raw


def gate_mode(base: ConfigAt) -> str:
    gate = base.raw.get("gate", {})
    mode = gate.get("mode", "blocking") if isinstance(gate, dict) else "blocking"
    return mode if mode in ("blocking", "advisory") else "blocking"


def gate_alpha(base: ConfigAt) -> float:
    """The reliability rule's error budget as the base configured it (policy: a branch cannot
    lower it to hide a drop)."""
    from failgate.config.sections import error_budget_problem
    from failgate.eval.reliability import DEFAULT_ALPHA

    gate = base.raw.get("gate", {})
    alpha = gate.get("alpha", DEFAULT_ALPHA) if isinstance(gate, dict) else DEFAULT_ALPHA
    # The key's own checker: a value the base's validate would refuse falls back to the default.
    return float(alpha) if error_budget_problem(alpha) is None else DEFAULT_ALPHA


def dataset_dir(config: ConfigAt, default: str) -> str:
    value = config.raw.get("dataset")
    return str(value) if isinstance(value, str) and value else default


def policy_changes(base: ConfigAt, now: ConfigAt) -> list[PolicyChange]:
    """Every policy and agent key that differs between the base and the commit under
    test, and a move of the configuration to another file."""
    changes = []
    if base.path != now.path:
        changes.append(PolicyChange("location", base.path, now.path, "policy"))
    for key in POLICY_KEYS:
        if base.raw.get(key) != now.raw.get(key):
            changes.append(PolicyChange(key, base.raw.get(key), now.raw.get(key), "policy"))
    for key in AGENT_KEYS:
        if base.raw.get(key) != now.raw.get(key):
            changes.append(PolicyChange(key, base.raw.get(key), now.raw.get(key), "agent", where=now.path))
    return changes
