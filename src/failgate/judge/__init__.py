"""Deprecated import path: the judge lives in `failgate.eval.judge`.

Plugin judges written against the first releases import `Verdict` from
`failgate.judge.plugins`; that keeps working, with a DeprecationWarning
naming the new place.
"""

from __future__ import annotations

import warnings

from failgate.eval.judge import *  # noqa: F401,F403
from failgate.eval.judge import JudgeOptions, RuleResult, judge_case  # noqa: F401

warnings.warn(
    "failgate.judge moved to failgate.eval.judge; import from there",
    DeprecationWarning,
    stacklevel=2,
)
