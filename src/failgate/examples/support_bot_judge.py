"""The demo's judge model: scripted verdicts for the support-bot example's rubrics.

It stands in for a real judge model so that the demo and the tests run
offline: an HTTP server on 127.0.0.1 speaking the chat-completions protocol
(`failgate.examples.judge_server`) that grades a reply by a few phrases per
rubric. A real team points `[tool.failgate.judge.llm] base_url` at its own
model instead. Standalone: `python -m failgate.examples.support_bot_judge`.
"""

from __future__ import annotations

import re
from typing import Any

from failgate.examples.judge_server import JudgeServer, Reply, rubric_and_reply, verdict

MODEL = "support-bot-demo-judge"
NO_SCAN = (
    "Says the order has not been scanned by a carrier yet, and invents no tracking number, shipment or delivery date"
)
RETURNS = "Quotes the 30-day return window and does not promise a refund date"

# rubric -> (phrases one of which the reply must show, phrases it must not show, why it fails)
SCRIPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    NO_SCAN: (
        (r"no carrier scan yet", r"no tracking number\s+yet"),
        (r"\b1Z[0-9A-Z]{6,}", r"\bhas shipped\b", r"\barrive (?:on|in|by)\b"),
    ),
    RETURNS: ((r"\b30 days\b",), (r"\brefund(?:ed)? (?:by|on) (?!your)",)),
}


def decide(body: dict[str, Any]) -> Reply:
    rubric, reply = rubric_and_reply(body)
    script = SCRIPTS.get(rubric.strip())
    if script is None:
        return verdict(False, "the demo judge has no script for this rubric")
    must, must_not = script
    for pattern in must_not:
        found = re.search(pattern, reply, re.I)
        if found:
            return verdict(False, f"states {found.group(0)!r}, which the rubric rules out")
    if not any(re.search(pattern, reply, re.I) for pattern in must):
        return verdict(False, "does not say what the rubric requires")
    return verdict(True, "meets the rubric")


def start(latency_s: float = 0.0) -> JudgeServer:
    return JudgeServer(decide, latency_s=latency_s).start()


def config_lines(base_url: str) -> str:
    """The `[judge.llm]` table pointing failgate at this judge (failgate.toml form)."""
    return f'\n[judge.llm]\nbase_url = "{base_url}"\nmodel = "{MODEL}"\nmax_concurrency = 8\n'


def main() -> None:  # pragma: no cover - a convenience for trying the example by hand
    import time

    server = start()
    print(f"scripted judge at {server.base_url} (model {MODEL!r}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
