"""The test tree's rule, enforced at collection: no real git repository under tests/unit."""

from __future__ import annotations

from conftest import misplaced_unit_test


def test_a_unit_test_asking_for_a_git_repo_is_refused_with_where_it_goes() -> None:
    problem = misplaced_unit_test("unit/merge/test_history.py", ("_isolate_from_machine", "git_repo", "tmp_path"))
    assert problem == (
        "unit/merge/test_history.py uses git_repo: a test with a real git repository goes in tests/acceptance/"
    )
    assert "scenarios" in (misplaced_unit_test("unit/test_x.py", ("scenarios",)) or "")


def test_control_the_same_fixtures_in_acceptance_and_tmp_path_in_unit_are_fine() -> None:
    assert misplaced_unit_test("acceptance/merge/test_git.py", ("git_repo", "scenarios")) is None
    assert misplaced_unit_test("unit/merge/test_history.py", ("_isolate_from_machine", "tmp_path")) is None
    assert misplaced_unit_test("test_new_at_root.py", ("git_repo",)) is None  # unsorted yet: not refused
