"""A fast yes/no draft-07 check for failgate's own schemas.

jsonschema is the reference: its error messages are what users read. But it
costs ~90 ms to import and ~1 ms per case to validate (a dynamic `$ref`
lookup and a validator `evolve` per keyword), which made `validate` on a
10,000-case file take longer than the 3 s a hook may cost. Almost every run
of the hook is on a valid dataset, so we first answer "is it valid?" with
Python source generated once from the schema, and ask jsonschema for the
full list of errors only for the entries that failed.

Only the keywords failgate's schemas use are translated. Any other keyword
makes `compile_checker` return None, and the caller falls back to jsonschema
for everything: the fast path may be absent, never wrong
(tests/test_fastschema.py checks agreement on mutated documents).
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

from failgate.dataset.schemas import SCHEMA_BASE_URI, load_schema

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$id", "$schema", "$comment", "title", "description", "definitions", "default", "examples"}
_TYPE_TESTS = {
    "string": "isinstance({v}, str)",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "integer": "_is_integer({v})",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
}


class Unsupported(Exception):
    pass


def _is_integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _equal(a: Any, b: Any) -> bool:
    # JSON Schema equality: true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    return len({json.dumps(i, sort_keys=True, default=str) for i in items}) == len(items)


class _Generator:
    """Emits one Python function per schema (and per `$ref` target).

    Each function's body is a run of `if <violation>: return False` lines;
    nested values get fresh local names, so a case is checked in one frame
    per `$ref` instead of one closure call per keyword.
    """

    def __init__(self) -> None:
        self.functions: list[list[str]] = []
        self.by_uri: dict[str, str] = {}
        self.constants: dict[str, Any] = {}
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> str:
        name = self.fresh("_c")
        self.constants[name] = value
        return name

    def function_for_ref(self, ref: str, base: str) -> str:
        if ref.startswith("#"):
            uri = base + ref
        elif "://" in ref:
            uri = ref
        else:
            uri = SCHEMA_BASE_URI + ref  # a file next to this one
        if uri in self.by_uri:
            return self.by_uri[uri]
        document_uri, _, pointer = uri.partition("#")
        if not document_uri.startswith(SCHEMA_BASE_URI):
            raise Unsupported(f"remote $ref {uri}")
        node: Any = load_schema(document_uri[len(SCHEMA_BASE_URI) :])
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        name = self.fresh("_ref")
        self.by_uri[uri] = name  # before generating: recursive schemas call it by name
        self.function(name, node, document_uri)
        return name

    def function(self, name: str, schema: Any, base: str) -> str:
        lines = [f"def {name}(v):"]
        self.emit(schema, "v", base, lines, 1)
        lines.append("    return True")
        self.functions.append(lines)
        return name

    def subfunction(self, schema: Any, base: str) -> str:
        return self.function(self.fresh("_sub"), schema, base)

    def emit(self, schema: Any, v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        if schema is True:
            return
        if schema is False:
            out.append(f"{pad}return False")
            return
        if not isinstance(schema, dict):
            raise Unsupported("schema is not an object")
        base = schema.get("$id", base).partition("#")[0] or base
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("then", "else"):
                continue
            method = getattr(self, "k_" + keyword.lstrip("$"), None)
            if method is None:
                raise Unsupported(keyword)
            method(value, schema, v, base, out, depth)

    # -- keywords ------------------------------------------------------------
    def k_ref(self, value: str, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if not {self.function_for_ref(value, base)}({v}): return False")

    def k_type(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        names = value if isinstance(value, list) else [value]
        if any(name not in _TYPE_TESTS for name in names):
            raise Unsupported(f"type {names}")
        test = " or ".join(_TYPE_TESTS[name].format(v=v) for name in names)
        out.append(f"{'    ' * depth}if not ({test}): return False")

    def k_enum(self, value: list[Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        if all(isinstance(item, str) for item in value):
            out.append(f"{pad}if not (isinstance({v}, str) and {v} in {self.constant(frozenset(value))}): return False")
        else:
            out.append(f"{pad}if not any(_equal({v}, _i) for _i in {self.constant(tuple(value))}): return False")

    def k_const(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if not _equal({v}, {self.constant(value)}): return False")

    def k_pattern(self, value: str, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        regex = self.constant(re.compile(value))
        out.append(f"{'    ' * depth}if isinstance({v}, str) and {regex}.search({v}) is None: return False")

    def k_minLength(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, str) and len({v}) < {int(value)}: return False")

    def k_minimum(self, value: float, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(
            f"{'    ' * depth}if isinstance({v}, (int, float)) and not isinstance({v}, bool) and {v} < {value!r}: return False"
        )

    def k_minItems(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, list) and len({v}) < {int(value)}: return False")

    def k_uniqueItems(self, value: bool, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        if value:
            out.append(f"{'    ' * depth}if isinstance({v}, list) and not _unique({v}): return False")

    def k_minProperties(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, dict) and len({v}) < {int(value)}: return False")

    def k_maxProperties(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, dict) and len({v}) > {int(value)}: return False")

    def k_required(self, value: list[str], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        missing = " or ".join(f"{json.dumps(key)} not in {v}" for key in value) or "False"
        out.append(f"{pad}if isinstance({v}, dict) and ({missing}): return False")

    def k_properties(self, value: dict[str, Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        out.append(f"{pad}if isinstance({v}, dict):")
        body_start = len(out)
        for key, sub in value.items():
            child = self.fresh("_v")
            inner: list[str] = []
            self.emit(sub, child, base, inner, depth + 2)
            if inner:
                out.append(f"{pad}    {child} = {v}.get({json.dumps(key)}, _MISSING)")
                out.append(f"{pad}    if {child} is not _MISSING:")
                out.extend(inner)
        if len(out) == body_start:
            out.append(f"{pad}    pass")

    def k_additionalProperties(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        if value is True:
            return
        pad = "    " * depth
        known = self.constant(frozenset(schema.get("properties", {})))
        key = self.fresh("_k")
        out.append(f"{pad}if isinstance({v}, dict):")
        out.append(f"{pad}    for {key} in {v}:")
        if value is False:
            out.append(f"{pad}        if {key} not in {known}: return False")
            return
        out.append(f"{pad}        if {key} not in {known}:")
        child = self.fresh("_v")
        out.append(f"{pad}            {child} = {v}[{key}]")
        inner: list[str] = []
        self.emit(value, child, base, inner, depth + 3)
        out.extend(inner or [f"{pad}            pass"])

    def k_dependencies(self, value: dict[str, Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        for key, dep in value.items():
            if isinstance(dep, list):
                missing = " or ".join(f"{json.dumps(n)} not in {v}" for n in dep) or "False"
                out.append(f"{pad}if isinstance({v}, dict) and {json.dumps(key)} in {v} and ({missing}): return False")
            else:
                name = self.subfunction(dep, base)
                out.append(f"{pad}if isinstance({v}, dict) and {json.dumps(key)} in {v} and not {name}({v}): return False")

    def k_items(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        if isinstance(value, list):
            raise Unsupported("tuple items")
        pad = "    " * depth
        child = self.fresh("_v")
        inner: list[str] = []
        self.emit(value, child, base, inner, depth + 2)
        if inner:
            out.append(f"{pad}if isinstance({v}, list):")
            out.append(f"{pad}    for {child} in {v}:")
            out.extend(inner)

    def k_allOf(self, value: list[Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        for sub in value:
            self.emit(sub, v, base, out, depth)

    def k_anyOf(self, value: list[Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        names = [self.subfunction(sub, base) for sub in value]
        out.append(f"{'    ' * depth}if not ({' or '.join(f'{n}({v})' for n in names)}): return False")

    def k_oneOf(self, value: list[Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        names = [self.subfunction(sub, base) for sub in value]
        out.append(f"{'    ' * depth}if ({' + '.join(f'{n}({v})' for n in names)}) != 1: return False")

    def k_not(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if {self.subfunction(value, base)}({v}): return False")

    def k_if(self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        condition = self.subfunction(value, base)
        then = self.subfunction(schema.get("then", True), base)
        otherwise = self.subfunction(schema.get("else", True), base)
        out.append(f"{pad}if not ({then}({v}) if {condition}({v}) else {otherwise}({v})): return False")


@functools.lru_cache(maxsize=None)
def compile_checker(schema_file: str, pointer: str = "") -> Check | None:
    """A predicate for `schema_file#pointer`, or None when it uses a keyword
    this generator does not know (the caller then uses jsonschema)."""
    generator = _Generator()
    try:
        entry = generator.function_for_ref(f"{SCHEMA_BASE_URI}{schema_file}#{pointer}", SCHEMA_BASE_URI + schema_file)
    except Unsupported:
        return None
    source = "\n".join("\n".join(lines) for lines in generator.functions)
    namespace: dict[str, Any] = {
        "_is_integer": _is_integer, "_equal": _equal, "_unique": _unique, "_MISSING": object(), **generator.constants,
    }
    exec(compile(source, f"<failgate schema {schema_file}#{pointer}>", "exec"), namespace)  # noqa: S102 - our own schema
    check: Check = namespace[entry]
    return check
