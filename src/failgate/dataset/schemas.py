"""Find, load and compile failgate's JSON Schemas (draft-07).

The schemas live at the repository's top level (`schemas/`, where editors and
SchemaStore look for them) and ship inside the wheel as `failgate/_schemas`
(pyproject force-includes them). An editable checkout has no `_schemas`, so we
fall back to the top-level folder.

jsonschema (and referencing) are imported inside the functions: importing
jsonschema costs tens of milliseconds, and hooks that never validate a schema
must not pay for it (docs/performance.md, "Validation").
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
    "cassette": "cassette.schema.json",
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


@functools.cache
def _load_file(file_name: str) -> dict[str, Any]:
    with open(schemas_dir() / file_name, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def ecma_pattern(pattern: str) -> str:
    """A JSON Schema `pattern` (ECMA-262) as a Python regex with the same meaning
    where the two differ in ways failgate's schemas rely on.

    Python's `$` also matches before a final newline, so `^AGTFAIL-[0-9]{4,}$`
    would accept `"AGTFAIL-0001\\n"`; ECMA's `$` (without the m flag) is the
    end of input only, which is Python's `\\Z`. `\\d` is ASCII in ECMA and
    Unicode in Python: `[0-9]`. The translation walks the pattern once,
    leaving escapes and character classes alone.
    """
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        ch = pattern[index]
        if ch == "\\" and index + 1 < len(pattern):
            pair = pattern[index : index + 2]
            if pair == "\\d":
                out.append("0-9" if in_class else "[0-9]")
            elif pair == "\\D" and not in_class:
                out.append("[^0-9]")
            else:
                out.append(pair)
            index += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = "\\Z"
        out.append(ch)
        index += 1
    return "".join(out)


def _ecma_pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """jsonschema's `pattern`, with ECMA-262's `$` (see `ecma_pattern`)."""
    import re

    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=1)
def _validator_class() -> Any:
    from jsonschema import Draft7Validator, validators

    return validators.extend(Draft7Validator, {"pattern": _ecma_pattern_keyword})


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


@functools.cache
def _validator(file_name: str) -> Draft7Validator:
    validator: Draft7Validator = _validator_class()(load_schema(file_name), registry=_registry())
    return validator


@functools.cache
def validator_for_pointer(name: str, pointer: str) -> Draft7Validator:
    """A validator for one definition inside a schema, e.g. a single case
    (`pointer="/definitions/case"`), so that errors can be collected for the
    entries that failed without walking every entry again."""
    file_name = _file_name(name)
    uri = load_schema(file_name).get("$id", SCHEMA_BASE_URI + file_name)
    validator: Draft7Validator = _validator_class()({"$ref": f"{uri}#{pointer}"}, registry=_registry())
    return validator
