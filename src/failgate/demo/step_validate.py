"""Demo step 1: adopt failgate in a repo; a malformed commit is refused at its line."""

from __future__ import annotations

import shutil
from pathlib import Path

from failgate.demo.context import DemoContext

DATASET = "evals/failures"

# The demo's hooks run the failgate that runs the demo (language: system), so
# the tour needs no network and no hook environment build; a real consumer
# uses the `repo:` snippet that `failgate init` prints.
LOCAL_HOOKS = """\
repos:
  - repo: local
    hooks:
      - id: failgate-validate
        name: failgate validate
        entry: {failgate} validate
        language: system
        files: ^evals/failures/
        pass_filenames: false
        always_run: true
        require_serial: true
"""


def example_dataset() -> Path:
    import failgate.examples

    return Path(failgate.examples.__file__).parent / "support-bot"


def setup_repo(ctx: DemoContext) -> None:
    ctx.repo.mkdir(parents=True)
    ctx.git("init", "-q", "-b", "main")
    (ctx.repo / "README.md").write_text("# shop-agent\n\nThe support bot and its failure dataset.\n")
    from failgate.examples.support_bot_judge import config_lines

    # The example's llm_rubric case needs a judge model: the demo's scripted one.
    (ctx.repo / "failgate.toml").write_text(
        f'dataset = "{DATASET}"\nagent = "failgate.examples.support_bot:run"\nbase_branch = "main"\n'
        + config_lines(ctx.judge_base_url())
    )
    hooks = LOCAL_HOOKS.format(failgate=" ".join(ctx.failgate_cmd))
    (ctx.repo / ".pre-commit-config.yaml").write_text(hooks)
    ctx.git("add", "-A")
    ctx.git("commit", "-q", "-m", "shop-agent: initial commit")


# What failgate itself leaves beside a dataset it wrote to (the lock, a killed command's journal and
# temp files): never part of the example, even when its own hooks ran in a source checkout.
RUNTIME_FILES = (".failgate.lock", ".failgate-journal.json", "*.failgate-tmp")


def copy_example(ctx: DemoContext) -> None:
    source = example_dataset()
    target = ctx.repo / DATASET
    skip = shutil.ignore_patterns(*RUNTIME_FILES)
    ignored = skip(str(source), [item.name for item in source.iterdir()])
    for item in source.iterdir():
        if item.name in ignored:
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True, ignore=skip)
        else:
            shutil.copy2(item, target / item.name)


def ensure_dataset(ctx: DemoContext) -> None:
    """Later steps run on their own too (`failgate demo --step gate`, tests):
    give them the repo and the example dataset that step 1 leaves."""
    if (ctx.repo / DATASET / "cases.yaml").is_file():
        return
    if not ctx.repo.exists():
        setup_repo(ctx)
    copy_example(ctx)


def run(ctx: DemoContext) -> None:
    setup_repo(ctx)
    ctx.say(
        "A team adopts failgate in its agent's repo. `failgate init` scaffolds the dataset "
        "directory, .gitattributes with the merge drivers, a CODEOWNERS entry and a CI workflow."
    )
    ctx.failgate("init", "--owner", "@shop/agent-team")
    if ctx.has_pre_commit:
        ctx.run(["pre-commit", "install", "-t", "pre-commit"], show=False)

    ctx.say(
        "Six weeks in, the dataset holds about twenty cases that failed in production. "
        "`failgate validate` checks strict YAML, the JSON Schemas and the invariants across "
        "cases.yaml, the deletion ledger and history.jsonl."
    )
    copy_example(ctx)
    ctx.failgate("validate")
    ctx.git("add", "-A")
    ctx.run(["git", "commit", "-q", "-m", "failure dataset: week 6"])

    if not ctx.has_pre_commit:
        from failgate.demo import PRE_COMMIT_INSTALL

        ctx.say(
            f"(The rest of this step shows the pre-commit hook refusing a malformed commit; skipped, "
            f"pre-commit is not installed: {PRE_COMMIT_INSTALL}.)"
        )
        return
    ctx.say(
        "Someone edits a case by hand: a free-text severity ('high') and, further down, a key "
        "written twice. The pre-commit hook refuses the commit and points at the lines."
    )
    cases = ctx.repo / DATASET / "cases.yaml"
    original = cases.read_text()
    broken = original.replace("severity: P1", "severity: high", 1)
    marker = "    owner: "
    at = broken.index(marker, broken.index("severity: high"))
    end = broken.index("\n", at) + 1
    broken = broken[:end] + broken[at:end] + broken[end:]
    cases.write_text(broken)
    ctx.git("add", "-A")
    refused = ctx.run(["git", "commit", "-q", "-m", "tweak a case"], expect=1)
    ctx.expect_in("cases.yaml:", refused)
    ctx.expect_in("DUPLICATE_KEY", refused)
    cases.write_text(original)
    ctx.git("add", "-A")
    ctx.say("Fixing the two lines makes the same commit pass. Nothing was committed in between.")
