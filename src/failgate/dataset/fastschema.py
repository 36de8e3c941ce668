"""A fast yes/no draft-07 check for failgate's own schemas.

jsonschema is the reference: its error messages are what users read. But it
costs ~90 ms to import and ~1 ms per case to validate (a dynamic `$ref`
lookup and a validator `evolve` per keyword), which made `validate` on a
10,000-case file take longer than the 3 s a hook may cost. Almost every run
of the hook is on a valid dataset, so we first answer "is it valid?" with
Python source generated once from the schema, and ask jsonschema for the
full list of errors only for the entries that failed.

Only the keywords failgate's schemas use are translated. Any other keyword
(a `$`-prefixed one included), a `$ref` it cannot resolve or a `pattern` it
cannot compile makes `compile_checker` return None, and the caller falls back
to jsonschema for everything: the fast path may be absent, never wrong.
tests/unit/dataset/test_fastschema.py checks agreement on mutated documents, and
tests/unit/dataset/test_fastschema_suite.py on the official draft-07 test suite for every
keyword compiled here.

Draft-07 semantics kept on purpose: `enum`, `const` and `uniqueItems` compare
by JSON equality (`true` is not `1` at any depth, `1` equals `1.0`); keywords
beside a `$ref` are ignored; `pattern` is ECMA-262 (`schemas.ecma_pattern`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from failgate.dataset.schemas import SCHEMA_BASE_URI, ecma_pattern, load_schema

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
    """JSON equality at any depth: true is not 1, [false] is not [0], 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def _canonical(value: Any) -> Any:
    """A hashable stand-in that is equal exactly when the JSON values are.

    Mapping keys may be any YAML scalar (`{1: a, b: c}`), so nothing here
    sorts or serialises them.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, list):
        return ("array", tuple(_canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _unique(items: list[Any]) -> bool:
    return len({_canonical(item) for item in items}) == len(items)


class _Generator:
    """Emits one Python function per schema (and per `$ref` target).

    Each function's body is a run of `if <violation>: return False` lines;
    nested values get fresh local names, so a case is checked in one frame
    per `$ref` instead of one closure call per keyword.
    """

    INLINE_URI = "urn:failgate:inline-schema"

    def __init__(self, inline: Any = None) -> None:
        self.inline = inline  # a schema given as a value, not one of failgate's files
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
        try:
            if document_uri == self.INLINE_URI:
                node: Any = self.inline
            elif document_uri.startswith(SCHEMA_BASE_URI):
                node = load_schema(document_uri[len(SCHEMA_BASE_URI) :])
            else:
                raise Unsupported(f"remote $ref {uri}")
            if pointer and not pointer.startswith("/"):
                raise Unsupported(f"$ref to an anchor {uri}")
            for part in pointer.split("/")[1:]:
                part = unquote(part).replace("~1", "/").replace("~0", "~")
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError, OSError) as exc:
            raise Unsupported(f"$ref {uri}: {exc}") from None
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
        if "$id" in schema and (self.inline is not None or not isinstance(schema["$id"], str)):
            raise Unsupported("$id inside an inline schema")  # a new base URI: leave it to jsonschema
        base = schema.get("$id", base).partition("#")[0] or base
        if "$ref" in schema:
            # Draft-07: "All other properties in a "$ref" object MUST be ignored."
            self.k_ref(schema["$ref"], schema, v, base, out, depth)
            return
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("then", "else"):
                continue
            # `$`-prefixed words other than $ref are not validation keywords
            # of draft-07 (and `$properties` must not run as `properties`).
            method = None if keyword.startswith("$") else getattr(self, "k_" + keyword, None)
            if method is None:
                raise Unsupported(keyword)
            method(value, schema, v, base, out, depth)

    # -- keywords ------------------------------------------------------------
    def k_ref(self, value: str, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        if not isinstance(value, str):
            raise Unsupported("$ref is not a string")
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
        try:
            regex = self.constant(re.compile(ecma_pattern(value)))
        except (re.error, TypeError, ValueError) as exc:
            raise Unsupported(f"pattern {value!r}: {exc}") from None
        out.append(f"{'    ' * depth}if isinstance({v}, str) and {regex}.search({v}) is None: return False")

    def k_minLength(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, str) and len({v}) < {int(value)}: return False")

    def k_minimum(self, value: float, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(
            f"{'    ' * depth}if isinstance({v}, (int, float)) and not isinstance({v}, bool) and {v} < {value!r}: return False"
        )

    def k_maximum(self, value: float, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(
            f"{'    ' * depth}if isinstance({v}, (int, float)) and not isinstance({v}, bool) and {v} > {value!r}: return False"
        )

    def k_minItems(self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, list) and len({v}) < {int(value)}: return False")

    def k_uniqueItems(self, value: bool, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int) -> None:
        if value:
            out.append(f"{'    ' * depth}if isinstance({v}, list) and not _unique({v}): return False")

    def k_minProperties(
        self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, dict) and len({v}) < {int(value)}: return False")

    def k_maxProperties(
        self, value: int, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
        out.append(f"{'    ' * depth}if isinstance({v}, dict) and len({v}) > {int(value)}: return False")

    def k_required(
        self, value: list[str], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
        pad = "    " * depth
        missing = " or ".join(f"{repr(key)} not in {v}" for key in value) or "False"
        out.append(f"{pad}if isinstance({v}, dict) and ({missing}): return False")

    def k_properties(
        self, value: dict[str, Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
        pad = "    " * depth
        out.append(f"{pad}if isinstance({v}, dict):")
        body_start = len(out)
        for key, sub in value.items():
            child = self.fresh("_v")
            inner: list[str] = []
            self.emit(sub, child, base, inner, depth + 2)
            if inner:
                out.append(f"{pad}    {child} = {v}.get({repr(key)}, _MISSING)")
                out.append(f"{pad}    if {child} is not _MISSING:")
                out.extend(inner)
        if len(out) == body_start:
            out.append(f"{pad}    pass")

    def k_additionalProperties(
        self, value: Any, schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
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

    def k_dependencies(
        self, value: dict[str, Any], schema: dict[str, Any], v: str, base: str, out: list[str], depth: int
    ) -> None:
        pad = "    " * depth
        for key, dep in value.items():
            if isinstance(dep, list):
                missing = " or ".join(f"{repr(n)} not in {v}" for n in dep) or "False"
                out.append(f"{pad}if isinstance({v}, dict) and {repr(key)} in {v} and ({missing}): return False")
            else:
                name = self.subfunction(dep, base)
                out.append(f"{pad}if isinstance({v}, dict) and {repr(key)} in {v} and not {name}({v}): return False")

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


@functools.cache
def compile_checker(schema_file: str, pointer: str = "") -> Check | None:
    """A predicate for `schema_file#pointer`, or None when it uses a keyword
    this generator does not know (the caller then uses jsonschema)."""
    generator = _Generator()
    try:
        entry = generator.function_for_ref(f"{SCHEMA_BASE_URI}{schema_file}#{pointer}", SCHEMA_BASE_URI + schema_file)
    except Unsupported:
        return None
    return _build(generator, entry, f"{schema_file}#{pointer}")


def compile_schema(schema: Any) -> Check | None:
    """A predicate for a schema given as a value (its `$ref`s local to it), or
    None when it needs jsonschema. For tests against the official suite."""
    generator = _Generator(inline=schema)
    try:
        entry = generator.function_for_ref("#", _Generator.INLINE_URI)
    except Unsupported:
        return None
    return _build(generator, entry, "inline")


def _build(generator: _Generator, entry: str, label: str) -> Check:
    source = "\n".join("\n".join(lines) for lines in generator.functions)
    namespace: dict[str, Any] = {
        "_is_integer": _is_integer,
        "_equal": _equal,
        "_unique": _unique,
        "_MISSING": object(),
        **generator.constants,
    }
    exec(compile(source, f"<failgate schema {label}>", "exec"), namespace)  # noqa: S102 - our own schema
    check: Check = namespace[entry]
    return check
