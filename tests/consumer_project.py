"""A real consumer repository, built the way a new user adopts failgate.

Its own venv (`.venv/`, created once per test session), an agent package in
src layout installed editable, importing `shopdeps`, a dependency that
failgate's environment does not have (a tiny wheel built here, so the
fixture needs no network); failgate's hooks from `.pre-commit-config.yaml` as
`failgate init` prints the snippet, `repo:` pointing at a snapshot clone of
this working tree and `rev:` at its HEAD; `pre-commit install` for every hook
type the tutorial (docs/tutorial/adopt.md) lists; a local bare remote.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]
HOOK_TYPES = ("pre-commit", "pre-merge-commit", "pre-push", "post-checkout", "post-merge")

AGENT = '''\
"""The shop's support bot, as far as the eval sees it."""
import shopdeps


def run(inp):
    return {"output": shopdeps.reply(inp["say"])}
'''

BUGGY_AGENT = AGENT.replace('shopdeps.reply(inp["say"])', '"I cannot help with that."')

CASE = """\
  - id: AGTFAIL-{n:04d}
    title: Echoes the customer's words ({n})
    failure_mode: hallucination
    severity: P1
    blast_radius: customer_visible
    status: active
    owner: dana@example.com
    discovered_at: 2026-05-02
    discovered_by:
      - trace:shop{n}
    intent: greeting
    input:
      say: "hello {n}"
    observed_behavior: It answered something else.
    expected:
      - contains: "shop says: hello {n}"
    remediation:
      - date: 2026-05-03
        change: Fixed the echo.
    regressed_count: 0
"""


def build_wheel(directory: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """A pure-Python wheel, written by hand: no build backend, no network."""
    dist_info = f"{name}-{version}.dist-info"
    entries = dict(files)
    entries[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    entries[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: failgate-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, text in entries.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in entries.items():
            archive.writestr(path, text)
    return wheel


def base_env(home: Path, pre_commit_home: Path) -> dict[str, str]:
    """A user's shell: no GIT_* of an enclosing hook, no activated venv, our git identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "FAILGATE_DEMO_BUG"):
        env.pop(key, None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PRE_COMMIT_HOME=str(pre_commit_home),
        NO_COLOR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@dataclasses.dataclass
class Consumer:
    root: Path
    remote: Path
    env: dict[str, str]
    python: Path  # the consumer's .venv interpreter
    failgate_rev: str  # the commit of failgate the hooks come from
    first_commit: list[subprocess.CompletedProcess[str]]  # the fmt hook's fix, then the commit that passes

    def run(self, *args: str, check: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(list(args), cwd=self.root, env={**self.env, **env}, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, check=check)

    def failgate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """failgate as installed in the test's environment (not the consumer's venv)."""
        return self.run(sys.executable, "-m", "failgate", *args)

    def start_branch(self, name: str) -> None:
        """Every test starts from a clean main: the session shares one repository."""
        self.git("checkout", "-q", "-f", "main")
        self.git("clean", "-q", "-fd")  # not -x: .venv/ stays
        self.git("checkout", "-q", "-b", name)

    def write_agent(self, text: str) -> None:
        (self.root / "src" / "shopbot" / "evals.py").write_text(text)


def _in_a_virtualenv(relative: str) -> bool:
    """Whether `relative` (to SOURCE) lies inside a virtualenv, whatever its folder is called."""
    return any((SOURCE / parent / "pyvenv.cfg").is_file() for parent in Path(relative).parents if parent != Path("."))


def snapshot_clone(destination: Path, env: dict[str, str]) -> str:
    """A clone of this working tree as it is on disk (uncommitted edits committed in
    the clone, as `pre-commit try-repo` does); returns its HEAD."""

    def git(*args: str, cwd: Path = destination) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout

    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(SOURCE), str(destination)], env=env, check=True)
    changed = git("ls-files", "-z", "--modified", "--others", "--exclude-standard", cwd=SOURCE).split("\0")
    deleted = set(git("ls-files", "-z", "--deleted", cwd=SOURCE).split("\0"))
    for relative in filter(None, changed):
        target = destination / relative
        if relative in deleted:
            target.unlink(missing_ok=True)
            continue
        source = SOURCE / relative
        if _in_a_virtualenv(relative):
            continue  # a developer's venv under any name (`venv/`, `env/`): not the working tree under test
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.unlink(missing_ok=True)
            target.symlink_to(os.readlink(source))  # `venv/lib64 -> lib` and the like, kept as links
        elif source.is_file():
            target.write_bytes(source.read_bytes())
    git("add", "-A")
    if git("status", "--porcelain").strip():
        git("commit", "-q", "-m", "snapshot of the working tree under test")
    return git("rev-parse", "HEAD").strip()


def create_consumer(base: Path) -> Consumer:
    from failgate.scaffold.project import PRECOMMIT_REPO, precommit_snippet

    home, root, remote = base / "home", base / "shop", base / "remote.git"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Dana\n\temail = dana@example.com\n[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n[advice]\n\tdetachedHead = false\n'
    )
    env = base_env(home, base / "pre-commit-home")
    rev = snapshot_clone(base / "failgate-clone", env)

    package = root / "src" / "shopbot"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "evals.py").write_text(AGENT)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "shopbot"\nversion = "0.1.0"\ndependencies = ["shopdeps"]\n\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n\n'
        '[tool.failgate]\nagent = "shopbot.evals:run"\nbase_branch = "origin/main"\njobs = 1\ntimeout_s = 60\n'
    )
    (root / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n")
    consumer = Consumer(root, remote, env, root / ".venv" / "bin" / "python", rev, [])
    consumer.git("init", "-q", "-b", "main")
    consumer.failgate("init", "--owner", "@shop/agents")
    snippet = precommit_snippet().replace(PRECOMMIT_REPO, str(base / "failgate-clone"))
    snippet = snippet.replace("rev: main", f"rev: {rev}")
    assert f"rev: {rev}" in snippet
    (root / ".pre-commit-config.yaml").write_text(snippet)
    cases = root / "evals" / "failures" / "cases.yaml"
    header = cases.read_text()
    assert header.endswith("cases: []\n")
    cases.write_text(header.replace("cases: []\n", "cases:\n") + "".join(CASE.format(n=n) for n in (1, 2)))

    # The consumer's own environment: shopdeps, then the agent package, editable.
    subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True, env=env)
    wheel = build_wheel(
        base, "shopdeps", "1.0", {"shopdeps/__init__.py": 'def reply(text):\n    return f"shop says: {text}"\n'}
    )
    pip = [str(consumer.python), "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    consumer.run(*pip, str(wheel), check=True)
    # `pip install -e .` with hatchling (or setuptools' static mode) installs a wheel
    # holding one `.pth` line: the checkout's src/. Built here as that very wheel, so
    # that no build backend has to come from the index.
    editable = build_wheel(base, "shopbot", "0.1.0", {"_shopbot_editable.pth": f"{root / 'src'}\n"})
    consumer.run(*pip, str(editable), check=True)

    install = [sys.executable, "-m", "pre_commit", "install", "--install-hooks"]
    for hook_type in HOOK_TYPES:
        install += ["--hook-type", hook_type]
    consumer.run(*install, check=True)
    consumer.git("add", "-A")
    consumer.first_commit.append(consumer.git("commit", "-q", "-m", "adopt failgate", check=False))
    consumer.git("add", "-A")
    consumer.first_commit.append(consumer.git("commit", "-q", "-m", "adopt failgate", check=False))
    consumer.git("init", "-q", "--bare", str(remote))
    consumer.git("remote", "add", "origin", str(remote))
    # The first push to an empty remote has no base to compare against yet; how the
    # gate handles that is the base selection's business, not this fixture's.
    consumer.git("push", "-q", "--no-verify", "-u", "origin", "main")
    consumer.git("fetch", "-q", "origin")
    return consumer
