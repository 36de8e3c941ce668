"""Import `package.module:attr` from the consumer's repository.

The agent, plugin judges, redactors and embedders are named by dotted path in
configuration. They live in the consumer's repo, which is not necessarily
installed, so they are imported the way `python -m` from the project root
would: with the root on sys.path.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


class DottedPathError(Exception):
    """The path is malformed or the import failed; the message says which."""


def import_dotted(ref: str, root: str | os.PathLike[str] | None = None) -> Any:
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise DottedPathError(f'{ref!r} must look like "package.module:function"')
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (Exception, SystemExit) as exc:  # the consumer's module may raise anything at import, sys.exit too
        raise DottedPathError(f"{type(exc).__name__}: {exc}") from None
    return obj
