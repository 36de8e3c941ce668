"""Text edits of an entry-list YAML file that keep every other byte as it was.

`cases.yaml` is reviewed in diffs and carries comments; re-dumping it would
reflow strings, drop comments and turn a one-line change into a rewrite. So
commands that change it (remove, promote, eval --record, the merge driver)
edit its text at line granularity, using the strict loader's node marks to
find where each entry's block starts and ends.

An entry's block is its `- ` item plus the comment lines directly above it:
removing a case takes its comment with it; appending puts the new block after
the last entry.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from failgate.dataset.yamlstrict import YamlDocument, load_yaml_text
from failgate.exit_codes import PROBLEM
from failgate.findings import FailgateError


@dataclasses.dataclass(frozen=True)
class EntryBlock:
    entry_id: str | None
    index: int
    start: int  # 0-based first line of the block (leading comments included)
    item_start: int  # 0-based line of the item's `- `
    end: int  # 0-based line after the block


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def entry_blocks(doc: YamlDocument, key: str) -> list[EntryBlock]:
    """The blocks of the sequence under top-level `key`, in file order.

    From the positions the loader recorded, not the node tree: the merge
    driver splits three versions of a file this way on every merge.
    """
    lines = doc.text.split("\n")
    items = doc.data.get(key) if isinstance(doc.data, dict) else None
    marks = doc.marks.get(id(items)) if isinstance(items, list) else None
    if not items or marks is None:
        return []
    _, _, positions, flow, end_line, end_col = marks
    if flow:
        raise FailgateError(
            f"{doc.path}: '{key}' is written in flow style ([...]); write one '- ' item per entry", exit_code=PROBLEM
        )
    item_lines = [line for line, _ in positions]
    # The sequence's end mark sits on the first token after it; trailing
    # comments and blank lines before that belong to no entry.
    seq_end = end_line if end_col == 0 else end_line + 1
    seq_end = min(seq_end, len(lines))
    while seq_end > item_lines[-1] + 1 and _is_comment_or_blank(lines[seq_end - 1]):
        seq_end -= 1
    starts: list[int] = []
    # Comments between `key:` and the first item belong to the first item.
    floor = _key_line(doc, key) + 1
    for index, line_no in enumerate(item_lines):
        start = line_no
        lower = floor if index == 0 else item_lines[index - 1] + 1
        while start - 1 >= lower and lines[start - 1].strip().startswith("#"):
            start -= 1
        starts.append(start)
    blocks = []
    for index, item in enumerate(items):
        # A blank line between entries belongs to the entry above it.
        end = starts[index + 1] if index + 1 < len(starts) else seq_end
        raw_id = item.get("id") if isinstance(item, dict) else None
        entry_id = None if raw_id is None or isinstance(raw_id, (dict, list)) else _scalar_text(raw_id)
        blocks.append(EntryBlock(entry_id, index, starts[index], item_lines[index], end))
    return blocks


def _scalar_text(value: Any) -> str:
    # What the node tree gave as a scalar's value: its text as written.
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _sequence_node(doc: YamlDocument, key: str) -> yaml.SequenceNode | None:
    node, found = doc.node_at([key])
    return node if found and isinstance(node, yaml.SequenceNode) else None


def find_block(doc: YamlDocument, key: str, entry_id: str) -> EntryBlock:
    for block in entry_blocks(doc, key):
        if block.entry_id == entry_id:
            return block
    raise FailgateError(f"{doc.path}: no entry with id {entry_id}", exit_code=PROBLEM)


def remove_entry(doc: YamlDocument, key: str, entry_id: str) -> str:
    """The file's text without the entry's block; every other byte unchanged."""
    block = find_block(doc, key, entry_id)
    lines = doc.text.split("\n")
    remaining = lines[: block.start] + lines[block.end :]
    result = "\n".join(remaining)
    seq_left = [b for b in entry_blocks(doc, key) if b.entry_id != entry_id]
    if not seq_left:
        # The list became empty: `cases:` with nothing under it would load as
        # null, so say explicitly that it is an empty list.
        result = _set_empty_list(result, key)
    return result


def _set_empty_list(text: str, key: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == f"{key}:" or line.startswith(f"{key}:") and line.split("#")[0].strip() == f"{key}:":
            lines[index] = line.replace(f"{key}:", f"{key}: []", 1)
            break
    return "\n".join(lines)


def dump_yaml(data: Any) -> str:
    """YAML in the style of a hand-written dataset that the strict loader reads
    back as exactly `data`."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=88, default_flow_style=False)


def dump_entry(entry: dict[str, Any], indent: int = 0) -> str:
    """One entry as a `- ` block, in the style of a hand-written dataset."""
    body = dump_yaml([entry])
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in body.splitlines(keepends=True))


class _BlockDumper(yaml.SafeDumper):
    """Indents sequences inside mappings (`key:\\n  - x`), as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    from failgate.dataset.yamlstrict import resolve_plain

    try:
        plain = resolve_plain(value)
    except ValueError:  # digits past the integer limit: the loader refuses them plain
        plain = None
    if "\n" in value:
        style: str | None = "|"
    elif not isinstance(plain, str):
        # PyYAML quotes what YAML 1.1 would misread (`no`, dates) but writes
        # `0E0` or `0o17` plain; failgate reads YAML 1.2's core schema, where
        # those are numbers. Quote whatever the strict loader would not read
        # back as this very string.
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def append_entry(doc: YamlDocument, key: str, entry: dict[str, Any]) -> str:
    """The file's text with `entry` appended as the last item of `key`."""
    lines = doc.text.split("\n")
    blocks = entry_blocks(doc, key)
    if blocks:
        item_line = lines[blocks[-1].item_start]
        indent = len(item_line) - len(item_line.lstrip(" "))
        insert_at = blocks[-1].end
        new_block = dump_entry(entry, indent)
        before = lines[:insert_at]
        # Keep the blank-line rhythm between entries, if the file has one.
        separator = (
            [""]
            if len(blocks) > 1 and not lines[blocks[-1].start - 1].strip() and before and before[-1].strip()
            else []
        )
        result = before + separator + new_block.rstrip("\n").split("\n") + lines[insert_at:]
        return "\n".join(result)
    # No entries yet: `key: []` (or `key:`) becomes a block list.
    new_lines = dump_entry(entry, 0).rstrip("\n").split("\n")
    if isinstance(doc.data, dict) and key in doc.data:
        key_line = _key_line(doc, key)
        line = lines[key_line]
        comment = ""
        if "#" in line:
            comment = " " + line[line.index("#") :]
        lines[key_line] = f"{key}:{comment}"
        # Insert right after the key line (and anything that belonged to the
        # empty flow list on the same line).
        insert_at = key_line + 1
        return "\n".join(lines[:insert_at] + new_lines + lines[insert_at:])
    text = doc.text if doc.text.endswith("\n") else doc.text + "\n"
    return text + f"{key}:\n" + "\n".join(new_lines) + "\n"


def _key_line(doc: YamlDocument, key: str) -> int:
    marks = doc.marks.get(id(doc.data))
    if marks is not None and key in marks[2]:
        return int(marks[2][key][0])
    raise FailgateError(f"{doc.path}: no top-level '{key}'", exit_code=PROBLEM)  # pragma: no cover


def set_entry_scalar(
    doc: YamlDocument,
    key: str,
    entry_id: str,
    field: str,
    value: Any,
    after: str | None = None,
    lines: list[str] | None = None,
) -> str:
    """Set `field` of one entry to a scalar, editing only that line.

    When the field is absent it is added right after the `after` key's value
    when the entry has that key, else as the entry's last key. `lines`: the
    text's lines, edited in place, for several edits against one parse of
    `doc` (made from the last entry up, so that no edit moves a line an
    earlier one still has to find).
    """
    rendered = yaml.dump(value, Dumper=_BlockDumper, default_flow_style=True, allow_unicode=True, width=10**6).strip()
    if rendered.endswith("\n...") or rendered.endswith("..."):
        rendered = rendered.replace("\n...", "").replace("...", "").strip()
    block = find_block(doc, key, entry_id)
    seq = _sequence_node(doc, key)
    assert seq is not None
    item = seq.value[block.index]
    if lines is None:
        lines = doc.text.split("\n")
    for key_node, value_node in item.value:
        if key_node.value != field:
            continue
        if not isinstance(value_node, yaml.ScalarNode) or value_node.start_mark.line != value_node.end_mark.line:
            raise FailgateError(
                f"{doc.path}: {entry_id}.{field} is not a one-line scalar; edit it by hand", exit_code=PROBLEM
            )
        row = value_node.start_mark.line
        line = lines[row]
        start, end = value_node.start_mark.column, value_node.end_mark.column
        lines[row] = line[:start] + rendered + line[end:]
        return "\n".join(lines)
    # Absent: add after the entry's last line of content (or the `after` key's), at the keys' indent.
    first_key = item.value[0][0]
    indent = first_key.start_mark.column
    pairs = [(k, v) for k, v in item.value if k.value == after] or item.value
    last_row = max(max(_last_row(v), k.start_mark.line) for k, v in pairs)
    lines.insert(last_row + 1, " " * indent + f"{field}: {rendered}")
    return "\n".join(lines)


def _last_row(node: yaml.Node) -> int:
    """The last line holding the node's own content. A block collection's end mark
    sits on the next token (the next key, even past comments), so look inside it."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.line if node.end_mark.column else node.end_mark.line - 1
    children: list[yaml.Node] = []
    for child in node.value:
        children.extend(child if isinstance(child, tuple) else (child,))
    return max([node.start_mark.line, *(_last_row(c) for c in children)])


def reparse(text: str, path: str) -> YamlDocument:
    """Parse an edited text again: every edit is checked by the strict loader."""
    return load_yaml_text(text, path)
