"""Deprecated import path: plugin judges' interface is `failgate.eval.judge.plugins`."""

from __future__ import annotations

from failgate.eval.judge.plugins import PluginJudge, Verdict  # noqa: F401
