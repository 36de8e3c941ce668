"""Intake's pluggable redactor and embedder, loaded by dotted path from the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

from failgate.dataset.hashing import input_hash
from failgate.findings import FailgateError
from failgate.intake.settings import IntakeSettings, load_redactor
from failgate.intake.similarity import build_similarity

PLUGIN = """
def redact(text):
    import re
    return re.sub(r"ACC-\\d{6}", "<ACCOUNT>", text)

VOCAB = ["refund", "twice", "warranty", "invent"]

def embed(texts):
    return [[float(word in text.lower()) for word in VOCAB] for text in texts]

not_callable = 3
"""


@pytest.fixture
def project(tmp_path: Path) -> str:
    (tmp_path / "acme_plugins.py").write_text(PLUGIN)
    return str(tmp_path)


def test_a_plugin_redactor_runs_before_the_default_patterns(project: str) -> None:
    redact = load_redactor(IntakeSettings(redactor="acme_plugins:redact"), project)
    assert redact("ACC-123456 wrote from jane@example.com") == "<ACCOUNT> wrote from <EMAIL>"
    # Inputs that differ only in what the plugin and the defaults redact hash the same.
    first = {"messages": [{"role": "user", "content": redact("ACC-123456, jane@example.com: refund twice")}]}
    second = {"messages": [{"role": "user", "content": redact("ACC-999999, omar@example.org: refund twice")}]}
    assert input_hash(first) == input_hash(second)


def test_project_patterns_from_config(project: str) -> None:
    redact = load_redactor(IntakeSettings(redact_patterns=(("<TICKET>", r"SUP-\d+"),)), project)
    assert redact("see SUP-18820") == "see <TICKET>"


def test_an_embedder_plugin_scores_by_cosine(project: str) -> None:
    similarity = build_similarity("acme_plugins:embed", project)
    a, b, c = similarity.vectors(["Refunded twice", "The refund went out twice", "Invented a warranty"])
    assert similarity.score(a, b) == pytest.approx(1.0)
    assert similarity.score(a, c) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("acme_plugins:missing", "cannot load the redactor"),
        ("acme_plugins:not_callable", "is not callable"),
        ("no_dots_here", "must look like"),
    ],
)
def test_bad_plugin_paths_are_usage_errors(project: str, ref: str, message: str) -> None:
    with pytest.raises(FailgateError, match=message) as info:
        load_redactor(IntakeSettings(redactor=ref), project)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("where", "pythonpath"), [("src", ()), ("libs", ("libs",))])
def test_a_redactor_and_an_embedder_off_the_root_load_without_an_install(
    tmp_path: Path, where: str, pythonpath: tuple[str, ...]
) -> None:
    import sys

    package = f"acme_{where}"
    (tmp_path / where / package).mkdir(parents=True)
    (tmp_path / where / package / "__init__.py").write_text(PLUGIN)
    try:
        settings = IntakeSettings(redactor=f"{package}:redact", pythonpath=pythonpath)
        assert load_redactor(settings, str(tmp_path))("ACC-123456") == "<ACCOUNT>"
        assert build_similarity(f"{package}:embed", str(tmp_path), pythonpath).vectors(["refund"])
    finally:
        sys.modules.pop(package, None)
