"""Find, load and compile failgate's JSON Schemas (draft-07).

The schemas live at the repository's top level (`schemas/`, where editors and
SchemaStore look for them) and ship inside the wheel as `failgate/_schemas`
(pyproject force-includes them). An editable checkout has no `_schemas`, so we
fall back to the top-level folder.

jsonschema (and referencing) are imported inside the functions: importing
jsonschema costs tens of milliseconds, and hooks that never validate a schema
must not pay for it (issue 2, performance).
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jsonschema import Draft7Validator

SCHEMA_BASE_URI = "https://failgate.dev/schemas/"
# Short names callers use, mapped to files in the schemas directory.
SCHEMA_FILES = {
    "cases": "cases.schema.json",
    "cases_removed": "cases_removed.schema.json",
    "history-event": "history-event.schema.json",
    "watchlist": "watchlist.schema.json",
    "aggregate-cases": "aggregate-cases.schema.json",
    "judge-gold": "judge-gold.schema.json",
}


@functools.lru_cache(maxsize=1)
def schemas_dir() -> Path:
    """`failgate/_schemas` in an installed wheel, else the checkout's `schemas/`."""
    package = Path(__file__).resolve().parents[1]
    bundled = package / "_schemas"
    if bundled.is_dir():
        return bundled
    # src/failgate/dataset/schemas.py -> parents[3] is the repository root.
    checkout = Path(__file__).resolve().parents[3] / "schemas"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"failgate's JSON Schemas are missing: looked in {bundled} and {checkout}")


def _file_name(name: str) -> str:
    if name in SCHEMA_FILES:
        return SCHEMA_FILES[name]
    if name in SCHEMA_FILES.values():
        return name
    raise KeyError(f"unknown schema {name!r}; expected one of {sorted(SCHEMA_FILES)}")


def load_schema(name: str) -> dict[str, Any]:
    """One schema as a dict, by short name (`cases`) or file name (`cases.schema.json`).

    Callers must not mutate the result: it is cached and shared.
    """
    return _load_file(_file_name(name))


@functools.lru_cache(maxsize=None)
def _load_file(file_name: str) -> dict[str, Any]:
    with open(schemas_dir() / file_name, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.lru_cache(maxsize=1)
def _registry() -> Any:
    """A referencing.Registry holding every schema under its `$id`, so that
    relative cross-file `$ref`s (watchlist -> cases) resolve offline."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = []
    for file_name in SCHEMA_FILES.values():
        schema = load_schema(file_name)
        uri = schema.get("$id", SCHEMA_BASE_URI + file_name)
        resources.append((uri, Resource.from_contents(schema, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


def validator_for(name: str) -> Draft7Validator:
    """A cached Draft7Validator for one schema, with every schema registered."""
    return _validator(_file_name(name))


@functools.lru_cache(maxsize=None)
def _validator(file_name: str) -> Draft7Validator:
    from jsonschema import Draft7Validator

    return Draft7Validator(load_schema(file_name), registry=_registry())


@functools.lru_cache(maxsize=None)
def validator_for_pointer(name: str, pointer: str) -> Draft7Validator:
    """A validator for one definition inside a schema, e.g. a single case
    (`pointer="/definitions/case"`), so that errors can be collected for the
    entries that failed without walking every entry again."""
    from jsonschema import Draft7Validator

    file_name = _file_name(name)
    uri = load_schema(file_name).get("$id", SCHEMA_BASE_URI + file_name)
    return Draft7Validator({"$ref": f"{uri}#{pointer}"}, registry=_registry())
