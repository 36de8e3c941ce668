"""What text failgate may write into the dataset's files and one-line fields."""

from __future__ import annotations


def unwritable_character(text: str, *, one_line: bool = False) -> str | None:
    """A description of the first character of `text` that a YAML or JSON-lines
    file cannot hold (a control character other than tab and newline, a lone
    surrogate, a BOM or non-character), else None. `one_line`: tab and newline
    are refused too, for values printed as one line of a report or written into
    one line of CODEOWNERS or .gitattributes, where a newline would forge a line."""
    for index, ch in enumerate(text):
        code = ord(ch)
        if (ch in "\t\n" and not one_line) or 0x20 <= code < 0x7F:
            continue
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            and code != 0x85
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFEFF, 0xFFFE, 0xFFFF)
            or one_line
            and code == 0x85
        ):
            return f"the character U+{code:04X} at position {index + 1}"
    return None
