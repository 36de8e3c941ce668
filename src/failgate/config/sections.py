"""Every key `[tool.failgate]` accepts, by section.

The configuration declares its sections here, in one place, so that every
command is strict about every section (a misspelt `[tool.failgate.intake]`
key is refused at its line by `eval` as much as by `ingest`). The modules that
read a section (`failgate.intake.settings`, ...) import its keys from here;
nothing here imports them back.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from failgate.config.checkers import (
    Checker,
    Table,
    agent_ref,
    boolean,
    bounded_int,
    bounded_number,
    command,
    fraction,
    one_of,
    positive_int,
    positive_number,
    regex_list,
    string,
    string_list,
)

MAX_JOBS = 256  # cases in flight; more is a typo, not a machine
MAX_TIMEOUT_S = 86400.0  # one day per agent call

DEFAULT_MAX = 50
DEFAULT_SHARE = 0.30
DEFAULT_THRESHOLD = 0.92
DEFAULT_LATENCY_BUDGET_MS = 8000


def parse_since_text(text: str) -> float | None:
    """Seconds in "7d" / "36h" / "90m" / "2w"; None when unreadable."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if not match:
        return None
    return float(match.group(1)) * {"m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]


def _patterns(value: Any) -> str | None:
    """{placeholder = regex}: project-specific PII, redacted after the defaults."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return 'a table of placeholder = "regex" (e.g. "<ACCOUNT>" = "ACC-\\\\d{6}")'
    for placeholder, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"valid regular expressions ({placeholder}: {exc})"
    return None


def _rules(value: Any) -> str | None:
    """[[tool.failgate.intake.rules]]: a judge rule plus the failure mode a violation proposes."""
    from failgate.eval.judge import validate_rules

    expected = 'a list of tables, each one judge rule plus failure_mode (e.g. {not_contains = "1Z", failure_mode = "hallucination"})'
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return expected
    for item in value:
        rule = {k: v for k, v in item.items() if k != "failure_mode"}
        if not isinstance(item.get("failure_mode"), str) or len(rule) != 1:
            return expected
        problems = validate_rules([rule])
        if problems:
            return f"valid judge rules ({problems[0][1]})"
    return None


def _score_rules(value: Any) -> str | None:
    """[[tool.failgate.intake.score_rules]]: a run fails when a named score crosses a threshold."""
    expected = (
        'a list of tables {name = "correctness", fail_below = 0.5, failure_mode = "hallucination"} '
        "(or fail_above for scores where lower is better, like toxicity)"
    )
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return expected
    for item in value:
        bounds = [k for k in ("fail_below", "fail_above") if k in item]
        if (
            not isinstance(item.get("name"), str)
            or len(bounds) != 1
            or set(item) - {"name", "failure_mode", *bounds}
            or isinstance(item[bounds[0]], bool)
            or not isinstance(item[bounds[0]], (int, float))
        ):
            return expected
        # Which modes exist is the dataset's taxonomy, checked where it is read (intake.taxonomy).
        if not isinstance(item.get("failure_mode", "hallucination"), str) or not item.get("failure_mode", "x"):
            return expected
    return None


def _since(value: Any) -> str | None:
    return (
        None
        if isinstance(value, str) and parse_since_text(value) is not None
        else 'a duration like "7d", "36h" or "2w"'
    )


# Trace stores `ingest --source NAME` pulls from; `failgate.intake.sources.KINDS` holds one client per name
# (a test keeps the two equal: configuration never imports the modules that read it).
SOURCE_KINDS = ("langfuse", "phoenix", "mlflow")


def _env_var_name(value: Any) -> str | None:
    ok = isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) is not None
    return None if ok else 'the name of an environment variable (e.g. "LANGFUSE_SECRET_KEY"), never the secret itself'


def _store_url(value: Any) -> str | None:
    ok = isinstance(value, str) and re.match(r"^https?://[^/\s@]+", value) is not None and "@" not in value
    return None if ok else 'the store\'s http(s) URL without credentials, e.g. "http://127.0.0.1:6006"'


# [tool.failgate.intake.sources.NAME]: one trace store. Credentials are the *names* of environment variables.
SOURCE_TABLE = Table(
    {
        "kind": one_of(*SOURCE_KINDS),
        "url": _store_url,
        "project": string,  # Phoenix project name, MLflow experiment id(s) (comma-separated)
        "filter": string,  # joined to the failure filter, in the store's own filter syntax
        "since": _since,
        "user_env": _env_var_name,
        "password_env": _env_var_name,
        "token_env": _env_var_name,
        "timeout_s": positive_number,
    },
    required=("kind", "url"),
)

INTAKE_KEYS: dict[str, Checker | Table] = {
    "latency_budget_ms": positive_int,
    "refusal": boolean,
    "forbidden_tools": string_list,
    "tool_errors": boolean,
    "negative_feedback": boolean,
    "explicit_errors": boolean,
    "rules": _rules,
    "max_candidates": positive_int,
    "max_intent_share": fraction,
    "similarity_threshold": fraction,
    "embedder": agent_ref,
    "redactor": agent_ref,
    "redact_patterns": _patterns,
    "since": _since,
    "feedback_scores": string_list,
    "score_rules": _score_rules,
    "phone_regions": string_list,
    "sources": Table(each=SOURCE_TABLE),
    # who reviews the weekly intake file: the scheduled workflow assigns its pull request or issue to them
    "owner": string,
    # how the weekly workflow hands the review file to the owner (failgate.scaffold.schedule)
    "review_as": one_of("pull_request", "issue"),
}


def _base_url(value: Any) -> str | None:
    expected = 'an http(s) URL like "http://127.0.0.1:8000/v1" (the part before /chat/completions)'
    if not isinstance(value, str) or re.match(r"^https?://[^/\s]+", value) is None:
        return expected
    from urllib.parse import urlsplit

    try:  # what the HTTP client will parse: "http://[::1" or a port of 99999 is a ValueError there
        parts = urlsplit(value)
        if not parts.hostname:
            return expected
        _ = parts.port
    except ValueError as exc:
        return f"{expected}; this one does not parse ({exc})"
    return None


def _env_name(value: Any) -> str | None:
    # The *name* of the variable: a key pasted here would be committed to git.
    ok = isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) is not None
    return None if ok else 'the name of an environment variable (e.g. "OPENAI_API_KEY"), never the key itself'


def _non_negative(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    return None if ok else "a number >= 0"


def _count(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else "an integer >= 0"


def error_budget_problem(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 0.5
    return None if ok else "a number above 0 and at most 0.5 (a false-alarm rate; 0.05 is usual)"


def _seed(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"


# [tool.failgate.judge.llm]: the judge model behind the llm_rubric rule
# (an OpenAI-compatible chat-completions endpoint).
LLM_JUDGE_KEYS: dict[str, Checker] = {
    "base_url": _base_url,
    "model": string,
    "api_key_env": _env_name,
    "temperature": _non_negative,
    "seed": _seed,
    "max_tokens": positive_int,
    "timeout_s": bounded_number(MAX_TIMEOUT_S),  # 1e308 overflowed the socket's timeout: a traceback
    "max_concurrency": positive_int,
    "retries": _count,
}
DEFAULT_GOLD_PATH = "evals/judge_gold.yaml"
DEFAULT_GOLD_FLOOR = 0.9


@dataclasses.dataclass(frozen=True)
class GoldSettings:
    """`[tool.failgate.judge] gold` and `gold_floor`: the gold set judge-check grades the
    judge on, and the agreement a judge change must reach."""

    path: str = DEFAULT_GOLD_PATH  # relative to the project root
    floor: float = DEFAULT_GOLD_FLOOR

    @classmethod
    def from_table(cls, judge: Any) -> GoldSettings:
        """From a `[judge]` table: the working tree's (validate, judge-check) or the
        base's (the gate). A value the checks above would refuse falls back to the default."""
        judge = judge if isinstance(judge, dict) else {}
        path, floor = judge.get("gold", DEFAULT_GOLD_PATH), judge.get("gold_floor", DEFAULT_GOLD_FLOOR)
        path = path if isinstance(path, str) and path.strip() else DEFAULT_GOLD_PATH
        floor = float(floor) if isinstance(floor, (int, float)) and not isinstance(floor, bool) else DEFAULT_GOLD_FLOOR
        return cls(path, floor)


def gold_settings(judge: Any) -> tuple[str, float]:
    """(path, floor) of `GoldSettings.from_table`, for callers that unpack it."""
    gold = GoldSettings.from_table(judge)
    return gold.path, gold.floor


# [tool.failgate.notify]: where the gate on main and `watch` send their red cases (failgate.notify).
# `failgate.notify.sinks.SINK_KINDS` is the registry; a test keeps this copy equal to it.
NOTIFY_SINK_KINDS = ("slack", "github_issue", "pagerduty", "webhook")
NOTIFY_SINK_TABLE = Table(
    {
        "kind": one_of(*NOTIFY_SINK_KINDS),
        "url": _store_url,
        "url_env": _env_var_name,  # incoming-webhook URLs are secrets: name the variable that holds one
        "token_env": _env_var_name,
        "routing_key_env": _env_var_name,
        "repository": string,
        "api_url": _store_url,
        "labels": string_list,
        "timeout_s": positive_number,
    },
    required=("kind",),
)


def _routes(value: Any) -> str | None:
    from failgate.dataset.model import BLAST_RADII, SEVERITIES

    expected = (
        "a list of tables with sinks (a non-empty list of sink names) and optionally "
        f"severity (of {', '.join(SEVERITIES)}) and blast_radius (of {', '.join(BLAST_RADII)})"
    )
    if not isinstance(value, list):
        return expected
    for item in value:
        if not isinstance(item, dict) or set(item) - {"severity", "blast_radius", "sinks"}:
            return expected
        sinks = item.get("sinks")
        if not isinstance(sinks, list) or not sinks or not all(isinstance(s, str) and s for s in sinks):
            return expected
        for key, allowed in (("severity", SEVERITIES), ("blast_radius", BLAST_RADII)):
            values = item.get(key, [])
            if not isinstance(values, list) or not all(v in allowed for v in values):
                return expected
    return None


SET_TABLE = Table({"path": string, "floor": fraction}, required=("path",))

SECTIONS: dict[str, Table] = {
    "sets": Table(each=SET_TABLE),
    # blocking (default) or advisory: reports, exits 0 and says so, for the first weeks of adoption.
    # alpha: the error budget of the reliability rule for cases run more than once, per gate run,
    # split across them by Holm (eval.reliability). Policy: read from the base like `mode`.
    "gate": Table({"mode": one_of("blocking", "advisory"), "alpha": error_budget_problem}),
    "intake": Table(INTAKE_KEYS),
    # Replay (failgate.eval.replay): the tools failgate_replay intercepts, dotted paths of functions or
    # methods (mutating ones are never executed under replay), and what a divergence does. Policy.
    "replay": Table({"tools": string_list, "mutating_tools": string_list, "on_divergence": one_of("live", "fail")}),
    "notify": Table({"sinks": Table(each=NOTIFY_SINK_TABLE), "routes": _routes}),
    "judge": Table(
        {
            "refusal_patterns": regex_list,
            "extra_refusal_patterns": regex_list,
            "llm": Table(LLM_JUDGE_KEYS),
            # The gold set (judge-check) and the agreement it must reach for a judge change to be accepted.
            "gold": string,
            "gold_floor": fraction,
        }
    ),
}

SCHEMA: dict[str, Checker] = {
    "dataset": string,
    "agent": agent_ref,
    "agent_command": command,
    "base_branch": string,
    "jobs": bounded_int(1, MAX_JOBS),
    "timeout_s": bounded_number(MAX_TIMEOUT_S),
    # the interpreter the agent runs in (failgate.eval.agents.interpreter), and what it imports first
    "python": string,
    "pythonpath": string_list,
}
