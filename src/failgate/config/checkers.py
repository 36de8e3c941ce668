"""Value checkers for configuration keys.

A checker takes a value and returns None when it is fine, else what was
expected ("an integer >= 1"). Kept as data so that a feature declares its keys
by adding a line to `failgate.config.sections`, not by writing another validator.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

Checker = Callable[[Any], "str | None"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def string(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty string"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def positive_int(value: Any) -> str | None:
    return None if _is_int(value) and value >= 1 else "an integer >= 1"


def positive_number(value: Any) -> str | None:
    return None if _is_number(value) and value > 0 else "a number > 0"


def fraction(value: Any) -> str | None:
    return None if _is_number(value) and 0 <= value <= 1 else "a number between 0 and 1"


def string_list(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "a list of strings"


def one_of(*choices: str) -> Checker:
    def check(value: Any) -> str | None:
        return None if value in choices else "one of " + ", ".join(repr(c) for c in choices)

    return check


_AGENT_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def bounded_int(low: int, high: int) -> Checker:
    """An integer in [low, high]: `jobs = 100000` would start that many threads."""

    def check(value: Any) -> str | None:
        return None if _is_int(value) and low <= value <= high else f"an integer from {low} to {high}"

    return check


def bounded_number(high: float) -> Checker:
    """A finite number in (0, high]: TOML reads `inf` and `nan` as floats, and a
    timeout of `inf` or 1e300 seconds is a hang that looks like a setting."""

    def check(value: Any) -> str | None:
        ok = _is_number(value) and value == value and 0 < value <= high
        return None if ok else f"a number > 0 and <= {high:g}"

    return check


def agent_ref(value: Any) -> str | None:
    if not (isinstance(value, str) and _AGENT_RE.match(value)):
        return '"package.module:function"'
    import sys

    top = value.split(":")[0].split(".")[0]
    names = getattr(sys, "stdlib_module_names", frozenset({"os", "sys", "subprocess", "builtins", "shutil"}))
    if top in names:
        # "os:system" is a callable, but not an agent taking the case's input mapping.
        return f'your agent as "package.module:function"; {top!r} is a standard-library module, not an agent'
    return None


def command(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        import shlex

        try:
            shlex.split(value)
        except ValueError as exc:  # "No closing quotation": the eval would crash on it later
            return f"a command line that splits into words ({exc}); a list of strings avoids quoting"
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return None
    return 'a command: a list of strings like ["python", "-m", "myagent.worker"] or a string'


def regex_list(value: Any) -> str | None:
    if string_list(value):
        return "a list of regular expressions (strings)"
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"valid regular expressions ({pattern!r}: {exc})"
    return None


@dataclasses.dataclass(frozen=True)
class Table:
    """A sub-table. `keys=None` accepts any keys (a section not yet declared);
    `each` validates every value as a table of its own (`sets.<name>`)."""

    keys: Mapping[str, Checker | Table] | None = None
    each: Table | None = None
    required: tuple[str, ...] = ()
