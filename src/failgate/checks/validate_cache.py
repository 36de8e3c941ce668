"""Remember datasets that validated clean, keyed by everything validate reads.

The validate hook runs on every commit (`always_run`: a deleted file is never
passed to a file-filtered hook), mostly on a dataset that did not change. A
clean result is stored under a hash of every input of the verdict, so a hit
is the same verdict, not a guess:

- the bytes of cases.yaml, cases_removed.yaml, history.jsonl, watchlist.yaml;
- the names of every other file under the dataset directory (fixtures must
  exist; their content is not validated), and the bytes of the cassettes,
  whose content is;
- the schemas and the source of the modules that decide the verdict, and
  failgate's version: a changed check never reuses an old answer.

Only clean results are stored (warnings are shown every time); any change to
any input misses the cache and validates in full.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from failgate import __version__
from failgate.dataset.cassette import CASSETTE_SUFFIX
from failgate.dataset.model import DATASET_FILES, LOCK_NAME

_READ_FILES = set(DATASET_FILES)
# The modules whose code decides validate's verdict.
_VERDICT_MODULES = (
    "checks/validate.py",
    "checks/validate_files.py",
    "dataset/yamlstrict.py",
    "dataset/positions.py",
    "dataset/jsonstrict.py",
    "dataset/parse.py",
    "dataset/fastschema.py",
    "dataset/hashing.py",
    "intake/redact.py",
    "dataset/model.py",
    "dataset/events.py",  # the event vocabulary, which dataset.model names
    "dataset/history.py",  # how regressions are counted: what regressed_count must equal
    "dataset/schemas.py",
    "checks/validate_cache.py",
    "confinement.py",
    "checks/patterns.py",
    # validate_rules: the rule vocabulary and each rule's own checks (a json_schema
    # rule's embedded schema, an llm_rubric's shape, a regex that must compile)
    "eval/judge/__init__.py",
    "eval/judge/kinds.py",
    "eval/judge/options.py",
    "eval/judge/text.py",
    "eval/judge/tools.py",
    "eval/judge/structured.py",
    "eval/judge/schema_rules.py",
    "eval/judge/llm.py",
    "eval/judge/plugins.py",
    "eval/judge/response.py",
    "checks/cassettes.py",
    "dataset/cassette.py",
)
_KEEP = 32  # clean results remembered per project


def _code_fingerprint() -> bytes:
    from failgate.dataset.schemas import schemas_dir

    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent.parent
    for name in _VERDICT_MODULES:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes())
    for schema in sorted(schemas_dir().glob("*.json")):
        digest.update(schema.name.encode() + b"\0" + schema.read_bytes())
    return digest.digest()


def dataset_key(directory: Path, files: dict[str, bytes | None]) -> str:
    """`files`: the parsed files' bytes as validate read them (`dataset.read_files`),
    so a cache miss does not read them twice."""
    digest = hashlib.sha256(_code_fingerprint())
    for link in sorted(p for p in directory.rglob("*") if p.is_symlink()):
        # Where a link points is part of the verdict (a fixture link out of the repository is refused).
        digest.update(
            b"\0link\0"
            + link.relative_to(directory).as_posix().encode()
            + b"\0"
            + os.readlink(link).encode("utf-8", "surrogateescape")
        )
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative == LOCK_NAME:
            continue
        digest.update(b"\0file\0" + relative.encode())
        data = files.get(relative) if relative in _READ_FILES else None
        if data is None and relative.endswith(CASSETTE_SUFFIX):
            data = path.read_bytes()  # a cassette is validated inside, not only for existing
        if data is not None:
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


class CleanCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / "validate-clean"

    def is_clean(self, key: str) -> bool:
        return (self.directory / key).is_file()

    def mark_clean(self, key: str) -> None:
        """Best effort: a read-only tree must not fail validation."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / key).touch()
            entries = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in entries[_KEEP:]:
                stale.unlink()
        except OSError:
            pass
