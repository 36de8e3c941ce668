"""The JSON Schemas of `json_schema` and `tool_args_schema` rules, held to the limits every other rule keeps.

A schema in cases.yaml is written by whoever writes the branch, and the gate evaluates it. So:

- **No network, ever.** A `$ref` is a fragment of the same schema (`#/definitions/order`); anything else
  (`https://…`, `other.json`) is refused when the rule is read — `validate` refuses it at commit time — and
  the validator's registry refuses to retrieve anything, should a reference slip through.
- **No endless recursion.** A `$ref` cycle that applies to the same value without descending into it
  (`{"$ref": "#"}`, `a -> b -> a` through `$ref`/`allOf`/`anyOf`/`oneOf`/`not`/`if`/`then`/`else`) never ends;
  it is refused. A recursive schema that does descend (a tree) is fine; an answer deep enough to exhaust the
  interpreter's stack fails its rule, it does not end the run.
- **The regex time budget.** `pattern`, `patternProperties` (and the `additionalProperties` that depends on
  them) are matched with the `regex` rule's budget (`text.search`): a catastrophically backtracking pattern
  fails its rule with "timed out" instead of hanging eval and the gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from failgate.eval.judge.text import MatchTimeout, RuleError, search

# Keywords whose subschemas apply to the same instance (not to a part of it): a cycle through
# only these never descends, so it never ends.
_SAME_INSTANCE_ONE = ("not", "if", "then", "else")
_SAME_INSTANCE_MANY = ("allOf", "anyOf", "oneOf")


def _pointer(root: Any, ref: str) -> Any:
    """The subschema a local `$ref` names (RFC 6901 JSON pointer after `#`); RuleError when there is none."""
    from urllib.parse import unquote

    fragment = unquote(ref[1:])
    node = root
    if fragment in ("", "/"):
        return root if fragment == "" else _step(root, "", ref)
    if not fragment.startswith("/"):
        raise RuleError(f"$ref {ref!r}: only JSON-pointer fragments of the same schema are read (#/definitions/x)")
    for token in fragment[1:].split("/"):
        node = _step(node, token.replace("~1", "/").replace("~0", "~"), ref)
    return node


def _step(node: Any, token: str, ref: str) -> Any:
    if isinstance(node, Mapping) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    raise RuleError(f"$ref {ref!r} points at nothing in the schema")


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping inside the schema, iteratively (the schema is at most MAX_DEPTH deep, but no recursion)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _same_instance(root: Any, node: Mapping[str, Any]) -> list[Any]:
    if isinstance(node.get("$ref"), str):
        return [_pointer(root, node["$ref"])]  # draft-07: beside $ref, other keywords are ignored
    found: list[Any] = [node[k] for k in _SAME_INSTANCE_ONE if isinstance(node.get(k), Mapping)]
    for key in _SAME_INSTANCE_MANY:
        if isinstance(node.get(key), list):
            found.extend(item for item in node[key] if isinstance(item, Mapping))
    return found


def check_schema(schema: Mapping[str, Any]) -> None:
    """RuleError for a schema failgate will not evaluate: a reference out of it, one to nowhere, a pattern
    `re` cannot compile, or a `$ref` cycle that never descends into the value."""
    for node in _walk(schema):
        ref = node.get("$ref")
        if ref is not None:
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise RuleError(
                    f"$ref {ref!r} points outside the schema; failgate never fetches a schema (a rule has no "
                    "network access): put what it names under `definitions` and refer to it as #/definitions/..."
                )
            _pointer(schema, ref)
        patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        if isinstance(node.get("patternProperties"), Mapping):
            patterns.extend(node["patternProperties"])
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RuleError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
    _refuse_cycles(schema)


def _refuse_cycles(schema: Mapping[str, Any]) -> None:
    """Depth-first over the same-instance graph, iteratively; a back edge is a cycle."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict[int, int] = {}
    for start in _walk(schema):
        if colour.get(id(start), WHITE) != WHITE:
            continue
        stack: list[tuple[Any, Iterator[Any]]] = [(start, iter(_same_instance(schema, start)))]
        colour[id(start)] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[id(node)] = BLACK
                stack.pop()
                continue
            if not isinstance(child, Mapping):
                continue
            state = colour.get(id(child), WHITE)
            if state == GREY:
                raise RuleError(
                    "the schema refers to itself through $ref without descending into the value "
                    '(like {"$ref": "#"}): it would never finish; point the $ref at a part that checks something'
                )
            if state == WHITE:
                colour[id(child)] = GREY
                stack.append((child, iter(_same_instance(schema, child))))


def _no_retrieval(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # (an attrs class) no network access from a rule


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not search(re.compile(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = re.compile(pattern)
        for key, value in instance.items():
            if search(compiled, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    extras = [
        key for key in instance if key not in properties and not any(search(pattern, key) for pattern in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        yield ValidationError(f"additional properties are not allowed ({', '.join(map(repr, sorted(extras)))})")


_VALIDATORS: dict[str, Any] = {}


def validator_for(schema: Mapping[str, Any]) -> Any:
    """A draft-07 validator for a checked schema: budgeted patterns, no retrieval. RuleError when refused."""
    import json

    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in _VALIDATORS:
        import jsonschema
        from jsonschema import validators
        from referencing import Registry

        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise RuleError(f"the schema is not a valid draft-07 schema: {exc.message}") from None
        check_schema(schema)
        budgeted = validators.extend(
            jsonschema.Draft7Validator,
            {
                "pattern": _pattern,
                "patternProperties": _pattern_properties,
                "additionalProperties": _additional_properties,
            },
        )
        _VALIDATORS[key] = budgeted(schema, registry=Registry(retrieve=_no_retrieval))  # type: ignore[call-arg]
    return _VALIDATORS[key]


def first_error(validator: Any, instance: Any) -> str:
    """The first problem (by path) and how many more, "" when the instance matches. A pattern out of its
    time budget, or an answer nested past the interpreter's stack, is a problem too, never a crash."""
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    except MatchTimeout as exc:
        return str(exc)
    except RecursionError:
        return "the value is nested too deep to check against the schema"
    except Exception as exc:  # an unresolvable reference, should one slip through the check
        return f"the schema cannot be evaluated: {type(exc).__name__}: {exc}"
    if not errors:
        return ""
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(root)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.message}{more}"
