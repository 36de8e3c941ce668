"""`eval.judge.tree_code`: a module and what it imports from the tree, by content, where the import path finds it."""

from __future__ import annotations

from failgate.dotted import code_roots
from failgate.eval.judge.tree_code import blob_id, tree_digest, tree_modules

FILES = {
    "src/shop/__init__.py": b"",
    "src/shop/judge.py": b"from .helper import needle\nimport shared.text\n",
    "src/shop/helper.py": b"NEEDLE = 1\n",
    "libs/shared/__init__.py": b"",
    "libs/shared/text.py": b"X = 1\n",
    "shop/judge.py": b"# a stale copy at the root, shadowed by src/\n",
}


def read(path: str) -> bytes | None:
    return FILES.get(path)


def test_a_src_layout_and_a_pythonpath_entry_are_found_in_import_order() -> None:
    found = tree_modules("shop.judge", read, code_roots(["libs"]))
    assert found is not None
    assert set(found) == {
        "src/shop/__init__.py",
        "src/shop/judge.py",
        "src/shop/helper.py",
        "libs/shared/__init__.py",
        "libs/shared/text.py",
    }
    assert found["src/shop/helper.py"] == blob_id(FILES["src/shop/helper.py"])


def test_control_at_the_root_alone_only_the_stale_copy_is_seen() -> None:
    assert tree_modules("shop.judge", read) == {"shop/judge.py": blob_id(FILES["shop/judge.py"])}


def test_a_helper_edit_changes_the_digest_and_an_unrelated_file_does_not() -> None:
    before = tree_digest(tree_modules("shop.judge", read, code_roots(["libs"])) or {})
    FILES["src/shop/other.py"] = b"Y = 2\n"
    try:
        assert tree_digest(tree_modules("shop.judge", read, code_roots(["libs"])) or {}) == before
        FILES["src/shop/helper.py"] = b"NEEDLE = 0\n"
        assert tree_digest(tree_modules("shop.judge", read, code_roots(["libs"])) or {}) != before
    finally:
        FILES.pop("src/shop/other.py")
        FILES["src/shop/helper.py"] = b"NEEDLE = 1\n"


def test_installed_code_is_not_the_trees() -> None:
    assert tree_modules("requests.api", read, code_roots(["libs"])) is None
