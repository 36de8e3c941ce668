"""Every git read failgate needs, over pygit2; the only module that imports it.

Reads git objects directly (no checkout, no `git` subprocess, no history walk
where one lookup does): a blob at a revision, the staged blob, a directory's
files at a revision or in the index, merge-bases, and the repository's state
(shallow, worktree, unborn or detached HEAD).

Hooks: inside a git hook, git exports `GIT_INDEX_FILE` (and, in a worktree,
`GIT_DIR`). During `git commit -a` it points at `.git/index.lock`, during
`git commit PATH` at a temporary `next-index-*.lock`: that file, not
`.git/index`, is what will be committed, so `staged_index()` respects it. But
the variable belongs to the repository whose hook is running: pre-commit's
`no_git_env` exists because `GIT_INDEX_FILE` leaking into another repository
breaks it, so we only honour it when it lies inside this repository's git dir.
libgit2 does not read `GIT_DIR` & co. on its own, so nothing else leaks.

Other code (check-ledger, the gate) calls `open_repo()` and the small
`get_*`/`is_*`/`has_*`/`read_*` methods; errors a user can fix become
`FailgateError` with a hint, never a pygit2 traceback.
"""

from __future__ import annotations

import os
import re
from collections import Counter, OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from failgate.findings import FailgateError

if TYPE_CHECKING:  # pragma: no cover
    import pygit2

# A gitlink (a submodule's entry): a commit of another repository, usually absent from this one; never a file.
GITLINK = 0o160000
FETCH_HINT = (
    "this clone is shallow and does not hold the history needed; fetch it with "
    "`git fetch --unshallow` (in GitHub Actions: `actions/checkout` with `fetch-depth: 0`)"
)
# Blobs kept inflated for the rest of the command (least recently read dropped first).
# A push that recorded a result asks for the same two history blobs from the range
# check and from the baseline: 30 MB inflated once each, not twice. Generous enough
# to hold both sides of a 1,000,000-line history, bounded so a long range of
# distinct histories does not accumulate.
BLOB_CACHE_BYTES = 1 << 30
BLOB_CACHE_ENTRIES = 64


def no_git_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the GIT_* variables git exports into hooks.

    For subprocesses that work on a *different* repository (a temp repo, a
    clone): inherited `GIT_DIR`/`GIT_INDEX_FILE` would point them at ours.
    """
    env = dict(os.environ if env is None else env)
    keep = {"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY"}
    return {k: v for k, v in env.items() if not k.startswith("GIT_") or k in keep}


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return True


_GITHEAD = re.compile(r"^GITHEAD_[0-9a-f]{40}(?:[0-9a-f]{24})?$")


class GitRepo:
    """A repository opened from anywhere inside its work tree."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.git_dir = Path(repo.path).resolve()  # per-worktree dir for a linked worktree
        if repo.workdir is None:
            raise FailgateError(f"{self.git_dir} is a bare repository; run failgate in a work tree")
        self.workdir = Path(repo.workdir).resolve()
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._blob_bytes = 0
        self.blob_reads: Counter[str] = Counter()  # blob id -> times inflated from the object database

    def _blob_data(self, oid: pygit2.Oid) -> bytes | None:
        """A blob's bytes by id, inflated at most once per command while it fits the cache;
        None when the id names something else (a tree, a submodule's commit)."""
        import pygit2

        key = str(oid)
        data = self._blobs.get(key)
        if data is not None:
            self._blobs.move_to_end(key)
            return data
        obj = self.repo.get(oid)
        if not isinstance(obj, pygit2.Blob):
            return None
        self.blob_reads[key] += 1
        data = obj.data
        if len(data) <= BLOB_CACHE_BYTES:
            self._blobs[key] = data
            self._blob_bytes += len(data)
            while self._blob_bytes > BLOB_CACHE_BYTES or len(self._blobs) > BLOB_CACHE_ENTRIES:
                _, dropped = self._blobs.popitem(last=False)
                self._blob_bytes -= len(dropped)
        return data

    # -- repository state -------------------------------------------------
    @property
    def common_dir(self) -> Path:
        """The main `.git` directory (differs from `git_dir` in a linked worktree)."""
        commondir = self.git_dir / "commondir"
        if commondir.is_file():
            return (self.git_dir / commondir.read_text().strip()).resolve()
        return self.git_dir

    def is_worktree(self) -> bool:
        return self.common_dir != self.git_dir

    def is_shallow(self) -> bool:
        return bool(self.repo.is_shallow)

    def is_head_unborn(self) -> bool:
        return bool(self.repo.head_is_unborn)

    def is_head_detached(self) -> bool:
        return not self.is_head_unborn() and bool(self.repo.head_is_detached)

    def head_commit(self) -> str | None:
        """HEAD's commit id, or None before the first commit."""
        if self.is_head_unborn():
            return None
        return str(self.repo.head.target)

    def get_branch_name(self) -> str | None:
        """The checked-out branch's short name; None when detached or unborn-less."""
        if self.is_head_detached():
            return None
        ref = self.repo.references.get("HEAD")
        target = ref.target if ref is not None else None
        if isinstance(target, str) and target.startswith("refs/heads/"):
            return target[len("refs/heads/") :]
        return None  # pragma: no cover - HEAD pointing elsewhere

    def list_worktrees(self) -> list[str]:
        return list(self.repo.list_worktrees())

    def get_upstream(self) -> str | None:
        """The current branch's upstream (`origin/feature`), None when unset or detached."""
        name = self.get_branch_name()
        if name is None:
            return None
        branch = self.repo.branches.local.get(name)
        try:
            upstream = branch.upstream if branch is not None else None
        except Exception:  # pragma: no cover - libgit2 on a half-configured upstream
            return None
        return str(upstream.shorthand) if upstream is not None else None

    def get_config(self, key: str) -> str | None:
        """A git config value as git would resolve it (repo, global, system)."""
        try:
            value = self.repo.config[key]
        except KeyError:
            return None
        return str(value) if value else None

    def get_user_email(self) -> str | None:
        """Who git would name as the author: GIT_AUTHOR_EMAIL, else user.email."""
        return os.environ.get("GIT_AUTHOR_EMAIL") or self.get_config("user.email")

    def get_dirty_paths(self) -> list[str]:
        """Tracked paths whose index or work-tree content differs from HEAD."""
        import pygit2

        self._refresh_index()
        status = self.repo.status(untracked_files="no")
        ignored = pygit2.enums.FileStatus.IGNORED | pygit2.enums.FileStatus.CURRENT
        return sorted(path for path, flags in status.items() if flags & ~ignored)

    def _refresh_index(self) -> None:
        """Write refreshed stat data into the index when a file had to be re-hashed.

        A file whose stat data the index no longer matches (after a touch, a checkout,
        a restored CI cache) is re-hashed to learn it did not change; `status` keeps
        nothing of that, so every gate run paid again for a 30 MB history (+16 %).
        libgit2's index-to-work-tree diff with UPDATE_INDEX records what it learnt and
        writes the index only when something was refreshed (never on a fresh index),
        through `index.lock` like git; only when `may_refresh_index` allows.
        """
        if not self.may_refresh_index():
            return
        import pygit2

        try:
            self.repo.index.diff_to_workdir(flags=pygit2.enums.DiffOption.UPDATE_INDEX)
        except pygit2.GitError:
            pass  # someone took index.lock meanwhile: the status re-hashes, as it always did

    def may_refresh_index(self) -> bool:
        """Whether a command of ours may write refreshed stat data into `.git/index`.

        Not when git exported another index for a commit in progress (a hook of
        `git commit PATH`, whose temporary index is what will be committed), nor while
        `index.lock` exists (a commit, a rebase step, or the user's own git command
        holds the index). pre-commit's pre-push run is allowed: it stashes unstaged
        changes by checking the index's content out, and a refresh records only stat
        data, never content, so the changes it re-applies afterwards show as modified.
        """
        if self.index_path() != self.git_dir / "index":
            return False
        return not (self.git_dir / "index.lock").exists()

    # -- temporary worktrees ------------------------------------------------
    # The gate evaluates a commit, not the work tree: `git worktree add
    # --detach` checks that commit out elsewhere without touching the user's
    # index, branch or uncommitted edits (libgit2's add_worktree needs a branch).
    def add_worktree(self, commit: str, path: Path) -> None:
        # No hooks: `worktree add` runs post-checkout, and a throwaway tree needs
        # neither the merge-driver registration nor the consumer's own hooks.
        self._git("-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet", str(path), commit)

    def remove_worktree(self, path: Path) -> None:
        import shutil
        import subprocess

        try:
            self._git("worktree", "remove", "--force", str(path))
        except (FailgateError, subprocess.SubprocessError):  # pragma: no cover - already gone
            shutil.rmtree(path, ignore_errors=True)
            self._git("worktree", "prune")

    def _git(self, *args: str) -> str:
        import subprocess

        result = subprocess.run(
            ["git", "-C", str(self.workdir), *args],
            capture_output=True,
            text=True,
            env=no_git_env(),
        )
        if result.returncode != 0:
            raise FailgateError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    # -- staging ------------------------------------------------------------
    # `git add` holds `index.lock` while it writes the index. Killed with failgate (a
    # process-group kill, a closed terminal), it leaves the lock, and every later git
    # command refuses to run. git writes no owner into the lock, so failgate marks its
    # own staging (`<git dir>/failgate-staging`: who, since when) and removes a lock
    # only when that mark says failgate's `git add` made it and nobody who could
    # still hold it is alive; anybody else's lock is left alone.
    def _staging_marker(self) -> Path:
        return self.git_dir / "failgate-staging"

    def stage(self, *paths: str) -> None:
        """`git add -- PATHS`, recorded so that a lock a kill leaves behind is cleared by `clear_stale_lock`."""
        import json
        import subprocess
        import time

        marker = self._staging_marker()
        started = time.time()
        marker.write_text(json.dumps({"pids": [os.getpid()], "started": started}))
        proc = subprocess.Popen(
            ["git", "-C", str(self.workdir), "add", "--", *paths],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=no_git_env(),
        )
        marker.write_text(json.dumps({"pids": [os.getpid(), proc.pid], "started": started}))
        _, err = proc.communicate()
        marker.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise FailgateError(f"git add {' '.join(paths)} failed: {err.strip()}")

    def clear_stale_lock(self) -> str | None:
        """Remove the index lock a killed `stage` left; what was done, or None."""
        import json

        marker = self._staging_marker()
        try:
            record = json.loads(marker.read_text())
            pids, started = record["pids"], float(record["started"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if any(_alive(pid) for pid in pids if isinstance(pid, int)):
            return None  # still staging
        lock = Path(str(self.index_path()) + ".lock")
        try:
            made_by_us = lock.stat().st_mtime >= started - 2  # git made it after failgate began to stage
        except FileNotFoundError:
            made_by_us = False
        marker.unlink(missing_ok=True)
        if not made_by_us:
            return None
        lock.unlink(missing_ok=True)
        return f"removed {lock}, left by a `git add` of failgate's that was killed"

    # -- revisions --------------------------------------------------------
    def has_commit(self, sha: str) -> bool:
        import pygit2

        try:
            obj = self.repo.get(sha)
        except (ValueError, pygit2.GitError):
            return False
        return obj is not None and obj.type == pygit2.enums.ObjectType.COMMIT

    def resolve(self, rev: str) -> str:
        """A revision (HEAD, branch, origin/main, tag, SHA, HEAD~3) -> commit id."""
        import pygit2

        try:
            obj = self.repo.revparse_single(rev)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
            hint = f"; {FETCH_HINT}" if self.is_shallow() else ""
            if rev.startswith("origin/") and not hint:
                hint = f"; fetch it first (`git fetch origin {rev[len('origin/') :]}`)"
            if rev == "HEAD" and self.is_head_unborn():
                raise FailgateError("HEAD has no commit yet (the branch is unborn)") from None
            raise FailgateError(f"unknown revision {rev!r}{hint}") from exc
        return str(commit.id)

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two revisions, None when there is none
        (unrelated histories, or a shallow clone that cut it off)."""
        import pygit2

        try:
            base = self.repo.merge_base(self.resolve(a), self.resolve(b))
        except pygit2.GitError:  # pragma: no cover - libgit2 gives up on a broken graph
            return None
        return str(base) if base is not None else None

    def merge_bases(self, a: str, b: str) -> list[str]:
        """Every best common ancestor (several after a criss-cross merge)."""
        import pygit2

        try:
            bases = self.repo.merge_base_many([self.resolve(a), self.resolve(b)])
        except (AttributeError, pygit2.GitError):  # pragma: no cover
            one = self.merge_base(a, b)
            return [one] if one else []
        if bases is None:  # pragma: no cover
            return []
        if not isinstance(bases, list):  # pragma: no cover - pygit2 returns one Oid
            return [str(bases)]
        return [str(oid) for oid in bases]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor)."""
        a, d = self.resolve(ancestor), self.resolve(descendant)
        if a == d:
            return True
        import pygit2

        try:
            return bool(self.repo.descendant_of(d, a))
        except pygit2.GitError:  # pragma: no cover
            return False

    def get_parents(self, rev: str) -> list[str]:
        import pygit2

        return [str(p) for p in self.repo[self.resolve(rev)].peel(pygit2.Commit).parent_ids]

    def list_range(self, tip: str, exclude: str | None) -> list[str]:
        """Commits reachable from `tip` but not from `exclude`, oldest first (`git rev-list --reverse`)."""
        import pygit2

        walker = self.repo.walk(self.resolve(tip), pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
        if exclude is not None:
            walker.hide(self.resolve(exclude))
        return [str(c.id) for c in walker]

    def get_author(self, rev: str) -> str:
        author = self.repo[self.resolve(rev)].author
        return f"{author.name} <{author.email}>"

    def get_committer(self, rev: str) -> str:
        committer = self.repo[self.resolve(rev)].committer
        return f"{committer.name} <{committer.email}>"

    def get_tree_id(self, rev: str, path: str) -> str | None:
        """The id of the tree (or blob) at `path` in `rev`: equal ids mean nothing under it changed."""
        if path in ("", "."):
            return str(self._tree(rev).id)
        return self.get_blob_id(rev, path)

    def get_in_progress_heads(self) -> dict[str, list[str]]:
        """The other parents of the commit being made: MERGE_HEAD (one line per merged
        commit), CHERRY_PICK_HEAD, REVERT_HEAD, as git leaves them during a stopped operation."""
        heads: dict[str, list[str]] = {}
        for name in ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"):
            path = self.git_dir / name
            if path.is_file():
                shas = [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
                heads[name] = [s for s in shas if self.has_commit(s)]
        if "MERGE_HEAD" not in heads and os.environ.get("GIT_REFLOG_ACTION", "").startswith("merge"):
            # A merge git completes by itself (`-s ours`, `-X ours`, a clean merge) runs
            # pre-merge-commit before it writes MERGE_HEAD; git names each merged commit in
            # its environment as GITHEAD_<sha> (for conflict labels), which the hook inherits.
            shas = [key[len("GITHEAD_") :] for key in os.environ if _GITHEAD.match(key)]
            found = [sha for sha in shas if self.has_commit(sha) and sha != self.head_commit()]
            if found:
                heads["MERGE_HEAD"] = sorted(found)
        return heads

    def get_remote_names(self) -> list[str]:
        return [str(r.name) for r in self.repo.remotes]

    def get_remote_branches(self, remote: str) -> list[str]:
        """The remote-tracking branches of `remote` (`origin/main`, ...), without `origin/HEAD`."""
        prefix = f"refs/remotes/{remote}/"
        return sorted(
            r[len("refs/remotes/") :] for r in self.repo.references if r.startswith(prefix) and r != prefix + "HEAD"
        )

    def get_remote_default_branch(self, remote: str) -> str | None:
        """`refs/remotes/<remote>/HEAD`'s target (`origin/main`), set by clone or `git remote set-head`."""
        ref = self.repo.references.get(f"refs/remotes/{remote}/HEAD")
        target = ref.target if ref is not None else None
        if isinstance(target, str) and target.startswith("refs/remotes/"):
            return target[len("refs/remotes/") :]
        return None

    # -- reading files at a revision -------------------------------------
    def _tree(self, rev: str) -> pygit2.Tree:
        import pygit2

        return self.repo[self.resolve(rev)].peel(pygit2.Tree)

    def get_blob(self, rev: str, path: str) -> bytes | None:
        """The file's bytes at `rev`, None when it does not exist there."""

        tree = self._tree(rev)
        try:
            entry = tree[path]
        except KeyError:
            return None
        if entry.filemode == GITLINK:
            return None
        return self._blob_data(entry.id)

    def get_blob_id(self, rev: str, path: str) -> str | None:
        """The blob id of `path` at `rev` (None when absent): equal ids mean equal
        bytes, so a 30 MB history need not be read twice to learn it did not change."""
        try:
            return str(self._tree(rev)[path].id)
        except KeyError:
            return None

    def resolve_path(self, rev: str, path: str, *, hops: int = 20) -> str | None:
        """`path` at `rev` with every symbolic link on the way followed inside the repository
        (a fixture, or its directory, that is a link): the path of the file its content is in,
        None when it is absent, leaves the repository or loops."""
        import posixpath

        import pygit2

        tree = self._tree(rev)
        parts = [p for p in path.split("/") if p not in ("", ".")]
        done: list[str] = []
        while parts:
            part = parts.pop(0)
            if part == "..":
                if not done:
                    return None
                done.pop()
                continue
            current = "/".join([*done, part])
            try:
                entry = tree[current]
            except KeyError:
                return None
            if entry.filemode == pygit2.enums.FileMode.LINK:
                hops -= 1
                if hops < 0:
                    return None
                target = self.repo[entry.id].data.decode("utf-8", "surrogateescape")  # type: ignore[attr-defined]
                if target.startswith("/"):
                    return None  # out of the repository
                joined = posixpath.normpath(posixpath.join("/".join(done), target))
                if joined.startswith(".."):
                    return None
                parts = [p for p in joined.split("/") if p not in ("", ".")] + parts
                done = []
                continue
            done.append(part)
        return "/".join(done) or None

    def get_content_id(self, rev: str, path: str) -> str | None:
        """The blob id of what `path` holds at `rev`, symbolic links inside the repository followed."""
        resolved = self.resolve_path(rev, path)
        return self.get_blob_id(rev, resolved) if resolved is not None else None

    def get_content(self, rev: str, path: str) -> bytes | None:
        resolved = self.resolve_path(rev, path)
        return self.get_blob(rev, resolved) if resolved is not None else None

    def read_tree_files(self, rev: str, directory: str) -> dict[str, bytes]:
        """The regular files directly inside `directory` at `rev` (name -> bytes);
        empty when the directory does not exist there. Not recursive."""
        import pygit2

        tree = self._tree(rev)
        if directory not in ("", "."):
            try:
                sub = self.repo[tree[directory].id]
            except KeyError:
                return {}
            if not isinstance(sub, pygit2.Tree):
                return {}
            tree = sub
        result: dict[str, bytes] = {}
        for entry in tree:
            if entry.filemode == GITLINK:
                continue
            if entry.type == pygit2.enums.ObjectType.BLOB:
                data = self._blob_data(entry.id)
                if data is not None:
                    result[str(entry.name)] = data
        return result

    # -- the index (what will be committed) -------------------------------
    def index_path(self) -> Path:
        """The index file a commit in progress will use.

        `GIT_INDEX_FILE` when git exported it for *this* repository (see the
        module docstring); otherwise the repository's own index.
        """
        own = self.git_dir / "index"
        exported = os.environ.get("GIT_INDEX_FILE")
        if not exported:
            return own
        git_dir_env = os.environ.get("GIT_DIR")
        if git_dir_env and Path(git_dir_env).resolve() != self.git_dir:
            return own  # exported by a hook of another repository
        # A relative GIT_INDEX_FILE is relative to the hook's cwd (the work tree top).
        candidate = Path(exported)
        if not candidate.is_absolute():
            candidate = Path.cwd() / candidate
        candidate = candidate.resolve()
        if _is_within(candidate, self.git_dir) and candidate.is_file():
            return candidate
        return own

    def staged_index(self) -> pygit2.Index:
        import pygit2

        path = self.index_path()
        if path == self.git_dir / "index":
            return self.repo.index
        return pygit2.Index(str(path))

    def get_staged_blob(self, path: str) -> bytes | None:
        """The staged (stage 0) bytes of `path`; None when it is not in the index."""
        return self._index_blob(self.staged_index(), path)

    def _index_blob(self, index: pygit2.Index, path: str) -> bytes | None:
        import pygit2

        try:
            entry = index[path]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        if entry.mode == GITLINK:
            return None
        return self._blob_data(entry.id)

    def get_conflict_stages(self, path: str) -> tuple[bytes, bytes, bytes] | None:
        """The base, ours and theirs bytes of `path` in conflict (b"" for a side without
        it); None when the index holds no conflict on `path`."""
        index = self.staged_index()
        index.read()
        conflicts = index.conflicts
        try:
            stages = conflicts[path] if conflicts is not None else None
        except KeyError:
            return None
        if stages is None:
            return None
        base, ours, theirs = (self.repo[e.id].read_raw() if e is not None else b"" for e in stages)
        return base, ours, theirs

    def read_index_files(self, directory: str) -> dict[str, bytes]:
        """The staged files directly inside `directory` (name -> bytes)."""
        index = self.staged_index()
        prefix = "" if directory in ("", ".") else directory.rstrip("/") + "/"
        conflicted = self._conflicted_paths(index, prefix)
        if conflicted:
            raise FailgateError(
                f"unresolved merge conflict in {', '.join(sorted(conflicted))}; resolve it and `git add` the file"
            )
        result: dict[str, bytes] = {}
        for entry in index:
            path = str(entry.path)
            if not path.startswith(prefix) or "/" in path[len(prefix) :]:
                continue
            data = self._index_blob(index, path)
            if data is not None:
                result[path[len(prefix) :]] = data
        return result

    @staticmethod
    def _conflicted_paths(index: pygit2.Index, prefix: str) -> set[str]:
        conflicts = index.conflicts
        if conflicts is None:
            return set()
        paths: set[str] = set()
        for ancestor, ours, theirs in conflicts:
            for side in (ancestor, ours, theirs):
                if side is not None and str(side.path).startswith(prefix):
                    paths.add(str(side.path))
        return paths

    # -- work tree --------------------------------------------------------
    def relpath(self, path: str | os.PathLike[str]) -> str:
        """`path` relative to the work tree top, '/'-separated ('' for the top)."""
        resolved = Path(path).resolve()
        try:
            rel = resolved.relative_to(self.workdir)
        except ValueError:
            raise FailgateError(f"{path} is outside the git work tree {self.workdir}") from None
        text = rel.as_posix()
        return "" if text == "." else text

    def is_tracked(self, path: str | os.PathLike[str]) -> bool:
        """Whether `path` is in the index (any stage) or in HEAD's tree: a file git
        checked out, which a pull request may have written."""
        import pygit2

        rel = self.relpath(path)
        try:
            if rel in self.staged_index():
                return True
        except (ValueError, pygit2.GitError):
            pass
        head = self.head_commit()
        return head is not None and self.get_blob_id(head, rel) is not None

    def is_dirty(self, directory: str = "") -> bool:
        """Whether tracked files under `directory` differ between HEAD, the
        index and the work tree (untracked files do not count)."""
        prefix = "" if directory in ("", ".") else directory.rstrip("/") + "/"
        return any(path.startswith(prefix) for path in self.get_dirty_paths())


def _alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (killed, not yet reaped by an init that never reaps) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def open_repo(start: str | os.PathLike[str] | None = None) -> GitRepo:
    """The repository containing `start` (default: the current directory)."""
    import pygit2

    # libgit2 re-hashes every object it reads by default; git itself does not
    # (objects are checked when written and by fsck). For a 12 MB history blob
    # that is more than half the read time, and we only ever read.
    pygit2.settings.enable_strict_hash_verification(False)
    where = Path(start if start is not None else Path.cwd()).resolve()
    found = pygit2.discover_repository(str(where))
    if found is None:
        raise FailgateError(
            f"{where} is not inside a git repository; run failgate from your project's work tree (or `git init`)"
        )
    try:
        return GitRepo(pygit2.Repository(found))
    except pygit2.GitError as exc:  # pragma: no cover - corrupt repository
        raise FailgateError(f"cannot open the git repository at {found}: {exc}") from None
