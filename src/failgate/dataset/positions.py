"""Where each mapping and sequence of a parsed YAML file is written, packed small.

The strict loader (`dataset.yamlstrict`) records, per container, where it starts
and ends, whether it is in flow style, and where each child is: for a mapping
(key line, key col, value line, value col) per key, for a sequence (line, col)
per item; all 0-based, the end being where the next token starts. Kept as a
tuple of Python ints per child, that was over half of a parsed 10,000-case
file's memory, held only so a finding can name its line. Here it is one array
of 32-bit integers per container, read through small views:

    line, col, children, flow, end_line, end_col = marks   # unpacks as before
    marks[2]["cases"]        # a mapping child's (key line, key col, value line, value col)
    marks[2][3]              # a sequence item's (line, col)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

# flat layout: line, col, flow, end line, end col, then the children's integers
_HEADER = 5


class ContainerMarks:
    """One container's positions; unpacks as (line, col, children, flow, end_line, end_col)."""

    __slots__ = ("_keys", "_flat")

    def __init__(self, keys: tuple[Any, ...] | None, flat: list[int]) -> None:
        self._keys = keys  # a mapping's keys in order, None for a sequence
        self._flat = array("i", flat)

    @property
    def children(self) -> KeyPositions | ItemPositions:
        if self._keys is not None:
            return KeyPositions(self._keys, self._flat)
        return ItemPositions(self._flat)

    def _fields(self) -> tuple[Any, ...]:
        flat = self._flat
        return flat[0], flat[1], self.children, bool(flat[2]), flat[3], flat[4]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fields())

    def __len__(self) -> int:
        return 6

    def __getitem__(self, index: Any) -> Any:
        return self._fields()[index]

    def remap(self, conv: Callable[[int, int], tuple[int, int]]) -> None:
        """Re-count every position (libyaml's lines to git's), in place."""
        flat = self._flat
        for i in (0, 3, *range(_HEADER, len(flat), 2)):
            flat[i], flat[i + 1] = conv(flat[i], flat[i + 1])


class KeyPositions:
    """A mapping's children: key -> (key line, key col, value line, value col), read like a dict."""

    __slots__ = ("_keys", "_flat")

    def __init__(self, keys: tuple[Any, ...], flat: array[int]) -> None:
        self._keys = keys
        self._flat = flat

    def _at(self, index: int) -> tuple[int, int, int, int]:
        at, flat = _HEADER + 4 * index, self._flat
        return flat[at], flat[at + 1], flat[at + 2], flat[at + 3]

    def __contains__(self, key: Any) -> bool:
        return key in self._keys

    def __getitem__(self, key: Any) -> tuple[int, int, int, int]:
        try:
            return self._at(self._keys.index(key))
        except ValueError:
            raise KeyError(key) from None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys)

    def keys(self) -> tuple[Any, ...]:
        return self._keys

    def values(self) -> list[tuple[int, int, int, int]]:
        return [self._at(i) for i in range(len(self._keys))]

    def items(self) -> list[tuple[Any, tuple[int, int, int, int]]]:
        return list(zip(self._keys, self.values()))


class ItemPositions:
    """A sequence's children: one (line, col) per item, read like a list of tuples."""

    __slots__ = ("_flat",)

    def __init__(self, flat: array[int]) -> None:
        self._flat = flat

    def __len__(self) -> int:
        return (len(self._flat) - _HEADER) // 2

    def __getitem__(self, index: int) -> tuple[int, int]:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        at = _HEADER + 2 * index
        return self._flat[at], self._flat[at + 1]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        flat = self._flat
        return ((flat[i], flat[i + 1]) for i in range(_HEADER, len(flat), 2))
