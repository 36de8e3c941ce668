"""Findings are data: a code, a message and where it points.

Every check in failgate returns findings instead of printing or raising, so
that one reporter renders them (text, GitHub annotations) and one place turns
them into an exit code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from failgate.exit_codes import USAGE

ERROR = "error"
WARNING = "warning"


@dataclasses.dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 0  # 1-based; 0 when the finding is about the whole file
    col: int = 0  # 1-based; 0 when unknown

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclasses.dataclass(frozen=True)
class Finding:
    code: str  # short and stable, e.g. "FG101", shown to users and greppable
    message: str
    location: Location
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.code)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


class FailgateError(Exception):
    """A problem the user can fix (bad input, bad configuration, missing repo).

    Raised deep, caught once at the CLI edge, printed without a traceback.
    `exit_code` follows the manual's exit codes (docs/reference/exit-codes.md): 1 for invalid data, 2 for usage and
    configuration errors.
    """

    def __init__(self, message: str, *, exit_code: int = USAGE, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.findings = findings or []
