"""What each `[tool.failgate]` key means and its default, for the manual.

`failgate.config.sections` declares the keys and their checkers (the type a key takes is what
its checker says it expected); this module adds, per dotted key, the default and a description.
The manual's configuration page is generated from both (`docs/gen_reference.py`), and a test
fails when a declared key has no entry here or an entry names no declared key. Nothing at run
time imports this module.
"""

from __future__ import annotations

# dotted key -> (default, description). `<name>` stands for any table name.
KEY_DOCS: dict[str, tuple[str, str]] = {
    "dataset": (
        "`evals/failures`",
        "The dataset directory, relative to the project root. Policy: the gate reads it at the base.",
    ),
    "agent": (
        "—",
        "`pkg.module:function`, sync or `async def`, imported with `src/` and the project root first on `sys.path`, "
        "in the agent's interpreter (`python`); it must accept one argument (checked when loaded); a standard-library "
        "function (`os:system`) is refused.",
    ),
    "agent_command": (
        "—",
        "A JSON-lines worker instead of a callable: a list of strings (or one string, shell-split; an unbalanced quote "
        "is refused); a leading `python`/`python3` means the agent's interpreter.",
    ),
    "base_branch": (
        "the remote's default branch",
        "The protected branch the gate compares against, read as it is at the merge-base. Unset: "
        "`refs/remotes/<remote>/HEAD`, else `<remote>/main`, `<remote>/master`; never the branch itself or its upstream.",
    ),
    "jobs": ("4", "Agent calls in flight."),
    "timeout_s": ("60", "Seconds per agent call (`inf` and `nan` are refused)."),
    "python": (
        "`$VIRTUAL_ENV`, else `.venv/` / `venv/`, else failgate's",
        "The interpreter the agent runs in: a path (relative to the project root; a venv directory works) or a "
        "command on PATH.",
    ),
    "pythonpath": (
        "`[]`",
        "Paths (relative to the tree under test) put first on the agent's import path, for layouts other than `src/` "
        "or flat; `src/` and the root are always added.",
    ),
    "sets.<name>.path": ("—", "An aggregate set's cases file (cases with only `id`, `input`, `expected`, `tags`)."),
    "sets.<name>.floor": ("—", "The pass rate the set must reach; a rate exactly at the floor passes."),
    "gate.mode": ("`blocking`", "`advisory` reports, says so loudly and exits 0, for the first weeks of adoption."),
    "intake.owner": (
        "—",
        "Who reviews the weekly intake (the scheduled workflow opens its pull request or issue for them).",
    ),
    "intake.review_as": (
        "`pull_request`",
        "How the weekly intake is handed to its owner: a `pull_request` or an `issue`.",
    ),
    "intake.sources.<name>.kind": (
        "—",
        "The trace store: `langfuse`, `phoenix` or `mlflow` (`failgate ingest --source NAME`).",
    ),
    "intake.sources.<name>.url": ("—", "The store's base URL, without credentials (a `user:pw@` URL is refused)."),
    "intake.sources.<name>.project": (
        "`default` / `0`",
        "Phoenix: the project name; MLflow: experiment id(s), comma-separated.",
    ),
    "intake.sources.<name>.filter": (
        "—",
        "A condition in the store's own filter syntax, ANDed with the failure filter.",
    ),
    "intake.sources.<name>.since": ("`7d`", "The window a store pull reads back, e.g. `7d`, `36h`."),
    "intake.sources.<name>.user_env": ("—", "The name of the environment variable holding the Basic-auth user."),
    "intake.sources.<name>.password_env": (
        "—",
        "The name of the environment variable holding the Basic-auth password.",
    ),
    "intake.sources.<name>.token_env": ("—", "The name of the environment variable holding a Bearer token."),
    "intake.sources.<name>.timeout_s": ("`30`", "Seconds per request to the store."),
    "notify.sinks.<name>.kind": ("—", "Where a message goes: `slack`, `github_issue`, `pagerduty` or `webhook`."),
    "notify.sinks.<name>.url": ("—", "The webhook (or PagerDuty events) URL, when it is no secret."),
    "notify.sinks.<name>.url_env": ("—", "The name of the environment variable holding the webhook URL."),
    "notify.sinks.<name>.token_env": (
        "`GITHUB_TOKEN`",
        "The name of the variable holding the token (GitHub issue, webhook).",
    ),
    "notify.sinks.<name>.routing_key_env": ("—", "PagerDuty: the name of the variable holding the routing key."),
    "notify.sinks.<name>.repository": ("`$GITHUB_REPOSITORY`", "GitHub issue: the repository the issue is opened in."),
    "notify.sinks.<name>.api_url": (
        "`https://api.github.com`",
        "GitHub issue: the API's base URL (GitHub Enterprise).",
    ),
    "notify.sinks.<name>.labels": ('`["failgate"]`', "GitHub issue: the labels of the issue."),
    "notify.sinks.<name>.timeout_s": (
        "`10`",
        "Seconds per request to the sink; a sink that fails never changes the verdict.",
    ),
    "notify.routes": (
        "P0 or `irreversible_write` pages, P1 or `customer_visible` to chat, the rest to the log",
        "Ordered routes from (severity, blast radius) to sinks; the first that matches a case wins. Policy: read from the base.",
    ),
    "replay.tools": (
        "`[]`",
        "Dotted paths of the agent's tool functions or methods that replay intercepts (recorded result returned).",
    ),
    "replay.mutating_tools": (
        "`[]`",
        "Tools with side effects (a refund, an e-mail): never executed under replay, even after a divergence.",
    ),
    "replay.on_divergence": (
        "`live`",
        "What a call that does not match the cassette does: `live` runs on (mutating tools refused), `fail` fails the case.",
    ),
    "gate.alpha": (
        "`0.05`",
        "Error budget of the reliability rule for cases run more than once, per gate run, split across them by Holm.",
    ),
    "judge.refusal_patterns": ("the built-in list", "Regexes that replace the refusal patterns of `not_refused`."),
    "judge.extra_refusal_patterns": (
        "`[]`",
        "Regexes added to the refusal patterns (only cases with `not_refused` see a judge change).",
    ),
    "judge.gold": ("`evals/judge_gold.yaml`", "The gold set that grades the judge (`failgate judge-check`)."),
    "judge.gold_floor": ("0.9", "The agreement a judge must reach on the gold set; a judge change must meet it."),
    "judge.llm.base_url": ("—", "The judge model's OpenAI-compatible endpoint, the part before `/chat/completions`."),
    "judge.llm.model": ("—", "The judge model's name, as the endpoint knows it."),
    "judge.llm.api_key_env": (
        "—",
        "The name of the environment variable holding the key; the key never goes in a file.",
    ),
    "judge.llm.temperature": ("0", "Sampling temperature of the judge model."),
    "judge.llm.seed": ("—", "Sent with every request when set."),
    "judge.llm.max_tokens": ("256", "Longest verdict the judge model may write."),
    "judge.llm.timeout_s": ("30", "Seconds per judge call."),
    "judge.llm.max_concurrency": (
        "8",
        "Judge calls in flight, whatever `jobs` is: they are asked once the agent calls are done.",
    ),
    "judge.llm.retries": (
        "2",
        "Retries on 429, 5xx, timeouts and connection errors (exponential back-off, `Retry-After` up to 60 s).",
    ),
    "intake.latency_budget_ms": ("8000", "A run slower than this is a failure (`latency_breach`)."),
    "intake.refusal": ("true", "A run whose answer matches the judge's refusal patterns is a failure."),
    "intake.forbidden_tools": ("`[]`", "A run that calls one of these tools is a failure."),
    "intake.tool_errors": ("true", "A run with a failed tool call is a failure."),
    "intake.negative_feedback": (
        "true",
        "A run with negative user feedback is a failure (eval scores are not feedback).",
    ),
    "intake.explicit_errors": ("true", "A run that recorded an error is a failure."),
    "intake.rules": (
        "`[]`",
        "`[[tool.failgate.intake.rules]]`: a judge rule plus the `failure_mode` a violation proposes.",
    ),
    "intake.max_candidates": ("50", "New candidates per ingest, after stratification."),
    "intake.max_intent_share": ("0.30", "No intent takes more than this share of the candidate budget."),
    "intake.similarity_threshold": (
        "0.92",
        "A candidate at least this similar to a case of the same mode is flagged `likely_same`; calibrate it per embedder.",
    ),
    "intake.embedder": ("character-trigram cosine", "`pkg.mod:embed`: an embedding model for the similarity."),
    "intake.redactor": ("—", "`pkg.mod:fn`: a redactor run before the built-in one."),
    "intake.redact_patterns": (
        "`{}`",
        'Project PII patterns: a table of placeholder = "regex", redacted after the defaults.',
    ),
    "intake.since": ("—", 'Only runs newer than this (`"7d"`, `"36h"`, `"2w"`); `--since` overrides.'),
    "intake.feedback_scores": (
        "`user-feedback`, `feedback`, `thumbs`, `rating`, ...",
        "Names of scores that are user feedback.",
    ),
    "intake.score_rules": (
        "`[]`",
        "`[[tool.failgate.intake.score_rules]]`: a named score below `fail_below` (or above `fail_above`) fails a run, proposing `failure_mode`.",
    ),
    "intake.phone_regions": (
        "US, GB, FR, DE, ES, IT, NL, IN, BR, AU, JP, MX, CA",
        "Regions whose phone numbers the redactor finds; configured ones add to the defaults.",
    ),
}
