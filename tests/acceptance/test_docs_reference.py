"""The manual's reference pages stay true to the code.

The promise: every finding code the package can print is documented (and nothing documented is
dead), every configuration key and every command has its entry, and the generated pages under
docs/reference/ are what `docs/gen_reference.py` writes from the code today. Each attack (a new
code, a new key, a hand edit of a generated page) has a control beside it.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import failgate
from failgate.cli import COMMANDS
from failgate.config.key_docs import KEY_DOCS
from failgate.exit_codes import COMMAND_EXITS
from failgate.finding_codes import CODES

ROOT = Path(failgate.__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "failgate"
GENERATOR = ROOT / "docs" / "gen_reference.py"

# Calls that pass on a code some other finding already carries (a summary line, a re-raised
# YAML error); every other call site must name its code as a literal or a module constant.
FORWARDING = {
    ("checks/ledger.py", "code"),
    ("dataset/yamlstrict.py", "finding.code"),
    # not a finding: the eval's GitHub annotation reuses Finding to print a case at its line
    ("eval/report/text.py", "case.case_id"),
}


def _code_argument(call: ast.Call, index: int) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


class _Sinks:
    """Callables whose argument at some position becomes a Finding's code: `Finding` itself,
    then any helper that passes its parameter on (`_error(path, code, ...)`). A helper called
    by bare name counts in its own module only (two modules may both have an `_error`); a
    method (`self.fail(code, ...)`) counts wherever it is called as an attribute."""

    def __init__(self) -> None:
        self.functions: dict[tuple[Path, str], int] = {}
        self.methods: dict[str, int] = {}

    def position(self, path: Path, call: ast.Call) -> int | None:
        func = call.func
        if isinstance(func, ast.Name):
            return 0 if func.id == "Finding" else self.functions.get((path, func.id))
        if isinstance(func, ast.Attribute):
            return 0 if func.attr == "Finding" else self.methods.get(func.attr)
        return None


def _functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function with whether it is a method (defined directly in a class)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found += [(f, True) for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    methods = {id(f) for f, _ in found}
    found += [
        (f, False)
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(f) not in methods
    ]
    return found


def emitted_codes(package: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Every code a `Finding` is built with, and the call sites whose code is not a constant.

    A code is a string literal at a sink's code position, or a module-level constant
    (`CODE = "OUTSIDE_REPO"`); a sink's own parameter passed on is not a site of its own."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(package.rglob("*.py"))}
    sinks = _Sinks()
    grew = True
    while grew:
        grew = False
        for path, tree in trees.items():
            for fn, is_method in _functions(tree):
                params = [a.arg for a in fn.args.args]
                offset = 1 if is_method and params[:1] in (["self"], ["cls"]) else 0
                if (sinks.methods if is_method else {n for _, n in sinks.functions}).__contains__(fn.name):
                    continue
                for node in ast.walk(fn):
                    index = sinks.position(path, node) if isinstance(node, ast.Call) else None
                    arg = _code_argument(node, index) if index is not None else None  # type: ignore[arg-type]
                    if isinstance(arg, ast.Name) and arg.id in params:
                        if is_method:
                            sinks.methods[fn.name] = params.index(arg.id) - offset
                        else:
                            sinks.functions[(path, fn.name)] = params.index(arg.id)
                        grew = True
                        break
    codes: set[str] = set()
    unresolved: set[tuple[str, str]] = set()
    for path, tree in trees.items():
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        # each call's innermost function (ast.walk is breadth-first: inner functions come later)
        owner: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for scope in ast.walk(tree):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner.update((id(n), scope) for n in ast.walk(scope))
        for node in ast.walk(tree):
            index = sinks.position(path, node) if isinstance(node, ast.Call) else None
            if index is None:
                continue
            arg = _code_argument(node, index)  # type: ignore[arg-type]
            enclosing = owner.get(id(node))
            names = {a.arg for a in enclosing.args.args} if enclosing else set()
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                codes.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                codes.add(constants[arg.id])
            elif not (isinstance(arg, ast.Name) and arg.id in names):
                unresolved.add((path.relative_to(package).as_posix(), ast.unparse(arg) if arg else "?"))
    return codes, unresolved


@functools.lru_cache(maxsize=1)
def _package_scan() -> tuple[set[str], set[tuple[str, str]]]:
    return emitted_codes(PACKAGE)


def test_every_emitted_code_is_documented_and_every_documented_code_is_emitted() -> None:
    codes, unresolved = _package_scan()
    assert codes, "the scan found no codes at all: it is broken"
    assert unresolved <= FORWARDING, (
        f"codes the scan cannot read; use a literal or a constant: {unresolved - FORWARDING}"
    )
    assert sorted(codes - set(CODES)) == [], "add these to src/failgate/finding_codes.py"
    assert sorted(set(CODES) - codes) == [], "documented in finding_codes.py but built nowhere"


def test_the_scan_finds_a_new_code_however_it_is_built(tmp_path: Path) -> None:
    # attack: three ways a teammate adds a code -- a literal, a helper that forwards its
    # parameter (two levels deep), a module constant -- none of them in the registry.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "check.py").write_text(
        "from failgate.findings import Finding, Location\n"
        'CODE = "BRAND_NEW_CONSTANT"\n'
        "def _finding(where, code, message):\n    return Finding(code, message, Location(where))\n"
        "class Reader:\n    def fail(self, code, message):\n        return _finding('x', code, message)\n"
        "def check(r):\n"
        '    yield Finding("BRAND_NEW_LITERAL", "m", Location("x"))\n'
        '    yield r.fail("BRAND_NEW_VIA_METHOD", "m")\n'
        "    yield Finding(CODE, 'm', Location('x'))\n"
        "    yield Finding(code=pick(), message='m', location=Location('x'))\n"
    )
    codes, unresolved = emitted_codes(package)
    assert codes == {"BRAND_NEW_CONSTANT", "BRAND_NEW_LITERAL", "BRAND_NEW_VIA_METHOD"}
    assert unresolved == {("check.py", "pick()")}  # a computed code is reported, not silently skipped
    # control: the real package has no unregistered code
    real, _ = _package_scan()
    assert real <= set(CODES)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_config_key_and_every_command_is_documented() -> None:
    gen = _generator()
    declared = {key for key, _ in gen.config_keys()}
    assert declared == set(KEY_DOCS), (declared ^ set(KEY_DOCS), "src/failgate/config/key_docs.py")
    assert set(COMMAND_EXITS) == set(COMMANDS), "src/failgate/exit_codes.py"


def test_a_new_config_key_without_docs_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    from failgate.config import sections
    from failgate.config.checkers import string

    gen = _generator()
    assert "| `jobs` |" in gen.configuration()  # control
    monkeypatch.setitem(sections.SCHEMA, "brand_new_key", string)
    with pytest.raises(gen.StaleVocabulary, match="brand_new_key"):
        gen.configuration()


def _copy_of_the_docs(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", copy / "docs", ignore=shutil.ignore_patterns("*.png", "__pycache__"))
    shutil.copytree(ROOT / "schemas", copy / "schemas")
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", copy)
    return copy


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "docs" / "gen_reference.py"), "--check"], capture_output=True, text=True
    )


def test_generated_pages_are_current() -> None:
    result = _check(ROOT)
    assert result.returncode == 0, result.stderr


def test_check_catches_a_hand_edit_of_a_generated_page_and_leaves_it(tmp_path: Path) -> None:
    copy = _copy_of_the_docs(tmp_path)
    assert _check(copy).returncode == 0  # control: an untouched copy is current
    page = copy / "docs" / "reference" / "finding-codes.md"
    edited = page.read_text().replace("`VANISHED`", "`VANISHED_TYPO`")
    page.write_text(edited)
    result = _check(copy)
    assert result.returncode == 1
    assert "docs/reference/finding-codes.md" in result.stderr
    assert page.read_text() == edited  # --check writes nothing
    # a run without --check repairs it, and the prose around the generated part survives
    subprocess.run([sys.executable, str(copy / "docs" / "gen_reference.py")], check=True, capture_output=True)
    assert _check(copy).returncode == 0
    assert "Every problem failgate finds" in page.read_text()


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="the docs extra is not installed (pip install -e '.[docs]')")
def test_the_manual_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        ["mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "reference" / "finding-codes" / "index.html").exists()


def test_each_vocabulary_the_reference_lists_has_one_source() -> None:
    # the rule kinds page lists the judge's registry (eval/judge/kinds.py, checked against the
    # schema by tests/test_judge_kinds.py); ingest's --format must offer exactly the readers.
    import click

    from failgate.commands.ingest import command as ingest
    from failgate.intake.traces import FORMATS

    fmt = next(p for p in ingest.params if p.name == "fmt" or "--format" in getattr(p, "opts", []))
    assert isinstance(fmt.type, click.Choice)
    assert sorted(fmt.type.choices) == sorted(["auto", *FORMATS])
