"""`failgate.dotted`: the tree's import order, and a tree's code imported apart from another's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from failgate.dotted import code_from, code_roots, import_dotted, import_paths


def _tree(root: Path, answer: str, package: str = "twinpkg") -> Path:
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "helper.py").write_text(f"ANSWER = {answer!r}\n")
    (root / package / "judge.py").write_text(
        f"from {package}.helper import ANSWER\n\n\ndef check():\n    return ANSWER\n"
    )
    return root


@pytest.fixture
def forget() -> object:
    yield None
    for name in [m for m in sys.modules if m.partition(".")[0] in ("twinpkg", "srcpkg")]:
        del sys.modules[name]


def test_import_order_is_pythonpath_then_src_then_the_root(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert import_paths(tmp_path, ["libs"]) == (str(tmp_path / "libs"), str(tmp_path / "src"), str(tmp_path))
    assert code_roots(["libs", ".", "/vendor/"]) == ("libs/", "vendor/", "src/", "")


def test_a_src_layout_imports_without_an_install(tmp_path: Path, forget: object) -> None:
    _tree(tmp_path / "src", "from src", package="srcpkg")
    check = import_dotted("srcpkg.judge:check", tmp_path)
    assert check() == "from src"


def test_two_trees_of_the_same_names_each_run_their_own_code(tmp_path: Path, forget: object) -> None:
    base, branch = _tree(tmp_path / "base", "base's"), _tree(tmp_path / "branch", "branch's")
    branch_check = import_dotted("twinpkg.judge:check", branch)
    with code_from([str(base)]):
        base_check = import_dotted("twinpkg.judge:check", base)
        assert base_check() == "base's"
    assert (base_check(), branch_check()) == ("base's", "branch's")
    assert sys.modules["twinpkg.helper"].ANSWER == "branch's"  # the branch's modules are put back
    assert str(base) not in sys.path


def test_control_without_code_from_the_second_tree_gets_the_first_trees_modules(tmp_path: Path, forget: object) -> None:
    base, branch = _tree(tmp_path / "base", "base's"), _tree(tmp_path / "branch", "branch's")
    import_dotted("twinpkg.judge:check", branch)
    assert import_dotted("twinpkg.judge:check", base)() == "branch's"


def test_a_tree_folder_named_like_the_standard_library_leaves_failgates_imports_alone(tmp_path: Path) -> None:
    import email

    (tmp_path / "email").mkdir()  # an email-sending agent's folder
    (tmp_path / "email" / "templates.py").write_text("X = 1\n")
    with code_from([str(tmp_path)]):
        assert sys.modules["email"] is email
    assert sys.modules["email"] is email
