"""A fast yes/no draft-07 check for failgate's own schemas.

jsonschema is the reference: its error messages are what users read. But it
costs ~90 ms to import and ~1 ms per case to validate (a dynamic `$ref`
lookup and a validator `evolve` per keyword), which made `validate` on a
10,000-case file take longer than the 3 s a hook may cost. Almost every run
of the hook is on a valid dataset, so we first answer "is it valid?" with
closures compiled once from the schema, and ask jsonschema for the full list
of errors only for the entries that failed.

Only the keywords failgate's schemas use are compiled. Any other keyword makes
`compile_checker` return None, and the caller falls back to jsonschema for
everything: the fast path may be absent, never wrong.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

from failgate.schemas import SCHEMA_BASE_URI, load_schema

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$id", "$schema", "$comment", "title", "description", "definitions", "default", "examples"}


class Unsupported(Exception):
    pass


def _is_type(name: str) -> Check:
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "boolean":
        return lambda v: isinstance(v, bool)
    if name == "null":
        return lambda v: v is None
    if name == "integer":
        return lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    if name == "number":
        return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    raise Unsupported(f"type {name}")


def _equal(a: Any, b: Any) -> bool:
    # JSON Schema equality: true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _all_of(checks: list[Check]) -> Check:
    # Plain `and` chains: a generator per node was a third of the check's time.
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)

    def check(v: Any) -> bool:
        for each in checks:
            if not each(v):
                return False
        return True

    return check


class _Compiler:
    def __init__(self) -> None:
        self.refs: dict[str, Check] = {}

    def resolve(self, ref: str, base: str) -> Check:
        if ref.startswith("#"):
            uri = base + ref
        elif "://" in ref:
            uri = ref
        else:
            uri = SCHEMA_BASE_URI + ref  # a file next to this one
        if uri in self.refs:
            return self.refs[uri]
        document_uri, _, pointer = uri.partition("#")
        if not document_uri.startswith(SCHEMA_BASE_URI):
            raise Unsupported(f"remote $ref {uri}")
        node: Any = load_schema(document_uri[len(SCHEMA_BASE_URI) :])
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        # Recursive schemas: register a forwarder before compiling the target.
        cell: list[Check] = []
        self.refs[uri] = lambda v: cell[0](v)
        compiled = self.compile(node, document_uri)
        cell.append(compiled)
        self.refs[uri] = compiled
        return compiled

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise Unsupported("schema is not an object")
        base = schema.get("$id", base).partition("#")[0] or base
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            method = getattr(self, "k_" + keyword.lstrip("$"), None)
            if method is None:
                raise Unsupported(keyword)
            checks.append(method(value, schema, base))
        return _all_of(checks)

    # -- keywords ------------------------------------------------------------
    def k_ref(self, value: str, schema: dict[str, Any], base: str) -> Check:
        # Eager, so that an unsupported keyword behind a $ref is found at
        # compile time (recursion is handled by `resolve`'s forwarder).
        return self.resolve(value, base)

    def k_type(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        names = value if isinstance(value, list) else [value]
        tests = [_is_type(name) for name in names]
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(test(v) for test in tests)

    def k_enum(self, value: list[Any], schema: dict[str, Any], base: str) -> Check:
        return lambda v: any(_equal(v, item) for item in value)

    def k_const(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        return lambda v: _equal(v, value)

    def k_pattern(self, value: str, schema: dict[str, Any], base: str) -> Check:
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    def k_minLength(self, value: int, schema: dict[str, Any], base: str) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= value

    def k_minimum(self, value: float, schema: dict[str, Any], base: str) -> Check:
        return lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v >= value

    def k_minItems(self, value: int, schema: dict[str, Any], base: str) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= value

    def k_uniqueItems(self, value: bool, schema: dict[str, Any], base: str) -> Check:
        if not value:
            return lambda v: True
        return lambda v: not isinstance(v, list) or len({_canonical(i) for i in v}) == len(v)

    def k_minProperties(self, value: int, schema: dict[str, Any], base: str) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) >= value

    def k_maxProperties(self, value: int, schema: dict[str, Any], base: str) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) <= value

    def k_required(self, value: list[str], schema: dict[str, Any], base: str) -> Check:
        return lambda v: not isinstance(v, dict) or all(key in v for key in value)

    def k_properties(self, value: dict[str, Any], schema: dict[str, Any], base: str) -> Check:
        compiled = {key: self.compile(sub, base) for key, sub in value.items()}

        items = list(compiled.items())

        def check(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for key, sub in items:
                if key in v and not sub(v[key]):
                    return False
            return True

        return check

    def k_additionalProperties(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = set(schema.get("properties", {}))
        extra = self.compile(value, base)
        return lambda v: not isinstance(v, dict) or all(extra(v[k]) for k in v if k not in known)

    def k_dependencies(self, value: dict[str, Any], schema: dict[str, Any], base: str) -> Check:
        rules: list[tuple[str, Check]] = []
        for key, dep in value.items():
            if isinstance(dep, list):
                names = list(dep)
                rules.append((key, lambda v, names=names: all(n in v for n in names)))
            else:
                rules.append((key, self.compile(dep, base)))
        return lambda v: not isinstance(v, dict) or all(rule(v) for key, rule in rules if key in v)

    def k_items(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        if isinstance(value, list):
            raise Unsupported("tuple items")
        item = self.compile(value, base)

        def check(v: Any) -> bool:
            if type(v) is not list:
                return True
            for each in v:
                if not item(each):
                    return False
            return True

        return check

    def k_allOf(self, value: list[Any], schema: dict[str, Any], base: str) -> Check:
        return _all_of([self.compile(s, base) for s in value])

    def k_anyOf(self, value: list[Any], schema: dict[str, Any], base: str) -> Check:
        subs = [self.compile(s, base) for s in value]
        return lambda v: any(sub(v) for sub in subs)

    def k_oneOf(self, value: list[Any], schema: dict[str, Any], base: str) -> Check:
        subs = [self.compile(s, base) for s in value]
        return lambda v: sum(1 for sub in subs if sub(v)) == 1

    def k_not(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        sub = self.compile(value, base)
        return lambda v: not sub(v)

    def k_if(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        condition = self.compile(value, base)
        then = self.compile(schema.get("then", True), base)
        otherwise = self.compile(schema.get("else", True), base)
        return lambda v: then(v) if condition(v) else otherwise(v)

    def k_then(self, value: Any, schema: dict[str, Any], base: str) -> Check:
        return lambda v: True  # evaluated by k_if

    k_else = k_then


@functools.lru_cache(maxsize=None)
def compile_checker(schema_file: str, pointer: str = "") -> Check | None:
    """A predicate for `schema_file#pointer`, or None when it uses a keyword
    this compiler does not know (the caller then uses jsonschema)."""
    try:
        return _Compiler().resolve(f"{SCHEMA_BASE_URI}{schema_file}#{pointer}", SCHEMA_BASE_URI + schema_file)
    except Unsupported:
        return None
