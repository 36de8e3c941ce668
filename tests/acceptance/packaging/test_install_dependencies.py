"""Every rule the manual documents works where failgate is installed without extras.

The pre-push hook (pre-commit installs the hook's repository as is) and the GitHub Action install
`failgate-git` with no extras, and `failgate demo` runs after a plain `pip install`. So every third-party module
failgate imports is a declared dependency (or one of theirs, or has a fallback); an `llm_rubric` case after a
plain install is judged, and an environment that lost httpx anyway gets one line, not a traceback.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gate_repo import env, setup_consumer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]
# import name -> distribution, where they differ
DISTRIBUTION = {"yaml": "pyyaml", "phonenumbers": "phonenumberslite"}
TRANSITIVE = {"referencing": "jsonschema"}  # jsonschema's own dependency, its API for $ref registries
WITH_FALLBACK = {"orjson"}  # imported under `except ImportError`, a speed-up only


def third_party_imports() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "src" / "failgate").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                top = name.split(".")[0]
                # failgate_replay ships in the same wheel (pyproject's force-include)
                if top not in sys.stdlib_module_names and top not in ("failgate", "failgate_replay"):
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}


def test_every_module_failgate_imports_is_installed_without_extras() -> None:
    missing = {}
    for module, files in third_party_imports().items():
        if module in WITH_FALLBACK:
            continue
        distribution = TRANSITIVE.get(module) or DISTRIBUTION.get(module, module)
        if distribution.lower() not in declared():
            missing[module] = files
    assert not missing, f"imported but installed only with an extra (or not at all): {missing}"


def test_the_meta_test_would_see_an_undeclared_module(tmp_path: Path) -> None:
    """Control: the scan finds imports inside functions, where failgate imports its heavy modules."""
    assert "httpx" in third_party_imports()  # imported inside a method of llm_transport
    assert "httpx" in declared()


def guarded_imports(path: Path) -> set[str]:
    """Modules imported in the body of a `try` whose handler catches ImportError."""
    guarded = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Try):
            continue
        caught = {getattr(h.type, "id", None) for h in node.handlers}
        if not caught & {"ImportError", "ModuleNotFoundError"}:
            continue
        for inner in node.body:
            for sub in ast.walk(inner):
                if isinstance(sub, ast.ImportFrom) and sub.module:
                    guarded.add(sub.module.split(".")[0])
                elif isinstance(sub, ast.Import):
                    guarded.update(a.name.split(".")[0] for a in sub.names)
    return guarded


def test_a_fallback_module_really_has_a_fallback() -> None:
    for module in WITH_FALLBACK:
        for file in third_party_imports()[module]:
            assert module in guarded_imports(ROOT / file), f"{file} imports {module} with no fallback"


@pytest.fixture
def project(git_repo: Path) -> Path:
    repo = setup_consumer(git_repo)
    config = repo / "failgate.toml"
    config.write_text(config.read_text() + '\n[judge.llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    cases = repo / "evals/failures/cases.yaml"
    cases.write_text(
        cases.read_text().replace(
            '      - contains: "ok 1"\n', '      - contains: "ok 1"\n      - llm_rubric: {rubric: "says ok"}\n'
        )
    )
    return repo


def run_without_httpx(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; sys.modules['httpx'] = None; from failgate.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=repo, env=env(), capture_output=True, text=True, timeout=300
    )


def test_an_environment_without_httpx_gets_one_line_naming_what_to_install(project: Path) -> None:
    result = run_without_httpx(project, "eval")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "llm_rubric needs httpx, one of failgate-git's dependencies" in output
    assert "Traceback" not in output and "ModuleNotFoundError" not in output


def test_control_with_httpx_the_rule_asks_the_judge(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "failgate", "eval", "--case", "AGTFAIL-0001"],
        cwd=project,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1  # nobody listens on port 9: the call fails, with its reason
    assert "cannot reach the judge" in result.stdout and "needs httpx" not in result.stdout
