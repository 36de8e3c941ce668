"""A consumer repo for the gate tests: a tiny agent whose behaviour is a committed file.

The gate evaluates the *commit* under test (in a temporary worktree when the
work tree differs), so what breaks a case must be committed: `behavior.json`
next to the agent lists the inputs it answers wrongly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import commit_all, git, no_git_env
from dataset_builder import MODES_V1_YAML
from scenarios import Scenarios

from failgate.dataset.hashing import input_hash

DS = "evals/failures"
AGENT = """\
import json, pathlib
HERE = pathlib.Path(__file__).resolve().parent


def run(inp):
    # Read per call: the behaviour is the committed file of the tree being evaluated.
    broken = json.loads((HERE / "behavior.json").read_text())["broken"]
    say = inp.get("say", "")
    return {"output": "nope" if say in broken else say}
"""
HEADER = "# The shop agent's failure dataset.\nschema_version: 1\n" + MODES_V1_YAML + "cases:\n"
MODES = ("tool_invocation", "retrieval_miss", "hallucination")


def case_id(n: int) -> str:
    return f"AGTFAIL-{n:04d}"


def case_block(
    n: int,
    *,
    status: str = "active",
    severity: str = "P1",
    regressed: int = 0,
    mode: str | None = None,
    fixture: str | None = None,
) -> str:
    say = f"ok {n}"
    payload: dict[str, object] = {"say": say}
    fixture_line = ""
    if fixture:
        payload["fixtures"] = [fixture]
        fixture_line = f"      fixtures:\n        - {fixture}\n"
    deprecated = "    deprecated_reason: flaky upstream, retired\n" if status == "deprecated" else ""
    return f"""\
  - id: {case_id(n)}
    title: Case number {n}
    failure_mode: {mode or MODES[n % len(MODES)]}
    severity: {severity}
    blast_radius: customer_visible
    status: {status}
{deprecated}    owner: dana@example.com
    discovered_at: 2026-05-02
    discovered_by:
      - trace:abc{n}
    intent: intent_{n % 4}
    input:
      say: "{say}"
{fixture_line}    input_hash: {input_hash(payload)}
    observed_behavior: It said the wrong thing.
    expected:
      - contains: "{say}"
    remediation:
      - date: 2026-05-03
        change: Fixed it.
    regressed_count: {regressed}
"""


def cases_text(numbers: range | list[int] | tuple[int, ...], **overrides: dict[str, object]) -> str:
    return HEADER + "".join(case_block(n, **overrides.get(case_id(n), {})) for n in numbers)  # type: ignore[arg-type]


def promoted(n: int) -> str:
    return (
        json.dumps(
            {
                "id": f"01J{n:023d}",
                "ts": "2026-05-02T10:00:00Z",
                "case_id": case_id(n),
                "type": "promoted",
                "actor": "dana",
            }
        )
        + "\n"
    )


def setup_consumer(
    repo: Path,
    numbers: tuple[int, ...] = (1, 2, 3),
    *,
    config: str = 'base_branch = "main"\n',
    module: str = "gateagent",
) -> Path:
    (repo / f"{module}.py").write_text(AGENT)
    (repo / "behavior.json").write_text('{"broken": []}\n')
    (repo / "failgate.toml").write_text(f'agent = "{module}:run"\njobs = 2\n' + config)
    directory = repo / DS
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cases.yaml").write_text(cases_text(numbers))
    (directory / "cases_removed.yaml").write_text("schema_version: 1\nremoved: []\n")
    (directory / "history.jsonl").write_text("".join(promoted(n) for n in numbers))
    (repo / ".gitignore").write_text(".failgate-cache/\nevals/failures/.failgate.lock\n__pycache__/\n")
    commit_all(repo, "dataset and agent")
    return repo


def break_cases(repo: Path, *numbers: int) -> None:
    (repo / "behavior.json").write_text(json.dumps({"broken": [f"ok {n}" for n in numbers]}) + "\n")


def env(tmp: Path | None = None, **extra: str) -> dict[str, str]:
    result = no_git_env()
    result["PATH"] = str(Path(sys.executable).parent) + os.pathsep + result.get("PATH", "")
    for key in (
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "PRE_COMMIT",
        "PRE_COMMIT_TO_REF",
        "PRE_COMMIT_FROM_REF",
        "PRE_COMMIT_REMOTE_BRANCH",
    ):
        result.pop(key, None)
    if tmp is not None:
        result["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")
    result["NO_COLOR"] = "1"
    result.update(extra)
    return result


def failgate(repo: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failgate", *args], cwd=repo, env=env(**extra), capture_output=True, text=True
    )


def record_baseline(repo: Path, message: str = "record a green baseline", *, expect: int = 0) -> str:
    result = failgate(repo, "eval", "--record")
    assert result.returncode == expect, result.stdout + result.stderr
    git(repo, "add", DS)
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def on_a_branch_from_a_green_baseline(repo: Path) -> Path:
    """Record and commit a green baseline on the current branch (main), then check out `feature` from it."""
    record_baseline(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def history_events(repo: Path) -> list[dict[str, object]]:
    text = (repo / DS / "history.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def copied_consumer(
    scenarios: Scenarios,
    repo: Path,
    numbers: tuple[int, ...] = (1, 2, 3),
    *,
    baseline: str = "",
    **options: str,
) -> Path:
    """`setup_consumer(repo, numbers, **options)` built once per session and copied into `repo`.

    baseline "recorded": then `record_baseline`; "branch": then `on_a_branch_from_a_green_baseline`.
    """
    steps = {"": None, "recorded": record_baseline, "branch": on_a_branch_from_a_green_baseline}
    then = steps[baseline]

    def build(template: Path) -> None:
        (template / "repo").mkdir()
        git(template / "repo", "init", "-q", "-b", "main")
        setup_consumer(template / "repo", numbers, **options)
        if then is not None:
            then(template / "repo")

    # The template's repository is template/repo: it lands on `repo` when that is named repo too (git_repo's).
    assert repo.name == "repo", repo
    key = ("gate_repo.consumer", numbers, baseline, tuple(sorted(options.items())))
    scenarios.copy(key, build, repo.parent)
    return repo
