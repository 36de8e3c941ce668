"""The `llm_rubric` rule: ask a judge model whether a reply meets a rubric. Pure.

    - llm_rubric: {rubric: "Cites the refund policy and does not promise a date", turn: 2}

The judge model is reached over the OpenAI-compatible chat-completions
protocol (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp's server, LiteLLM's
proxy all serve it), configured in `[tool.failgate.judge.llm]`. This module
holds what needs no network: the settings, the rule's shape, the request body
built from the versioned prompt template, the verdict read from the answer,
and the part of a case's judge fingerprint the rule contributes. The call
itself, its retries and the verdict cache are in `llm_transport`.

Failure is never a pass: a reply that is not a verdict, a judge that cannot
be reached, a rule aimed at a turn the reply lacks -- each fails the rule
with the reason.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from failgate.eval.judge.response import Response
from failgate.eval.judge.text import RuleError

# The reason an llm_rubric rule gives when no judge model is configured; the gate
# recognises it when the branch configures the model its new case needs.
NO_JUDGE_MODEL = "no judge model configured: set base_url and model in [tool.failgate.judge.llm]"
RULE = "llm_rubric"
# Bump together with the template file's name when the prompt's wording
# changes: the version is in every llm_rubric case's fingerprint, so a reworded
# prompt is a judge change the gate sees.
TEMPLATE_VERSION = "llm_rubric.v1"
DEFAULTS = {"temperature": 0.0, "max_tokens": 256, "timeout_s": 30.0, "max_concurrency": 8, "retries": 2}


@dataclasses.dataclass(frozen=True)
class LLMSettings:
    """`[tool.failgate.judge.llm]`. `api_key_env` names the variable holding the
    key; the key itself never appears in a config file or a fingerprint."""

    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    seed: int | None = None
    max_tokens: int = 256
    timeout_s: float = 30.0
    max_concurrency: int = 8
    retries: int = 2

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> LLMSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in section.items() if k in known})

    @property
    def host(self) -> str:
        """The base URL's host: in the fingerprint (a different server is a
        different judge), without scheme, port or credentials."""
        return (urlsplit(self.base_url or "").hostname or "").lower()

    def fingerprint(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "host": self.host,
            "template": TEMPLATE_VERSION,
            "temperature": float(self.temperature),
            "seed": self.seed,
        }


@dataclasses.dataclass(frozen=True)
class RubricSpec:
    rubric: str
    turn: str | int = "final"


def parse_rubric(value: Any) -> RubricSpec:
    """`llm_rubric: "text"` or `llm_rubric: {rubric: "text", turn: N}`."""
    from failgate.eval.judge.text import _parse_turn

    if isinstance(value, str):
        value = {"rubric": value}
    if not isinstance(value, Mapping):
        raise RuleError(f'llm_rubric needs a rubric: a string or {{rubric: "...", turn: N}}, got {value!r}')
    unknown = set(value) - {"rubric", "turn"}
    if unknown:
        raise RuleError(f"llm_rubric has unknown option(s) {sorted(unknown)}; allowed: ['rubric', 'turn']")
    rubric = value.get("rubric")
    if not isinstance(rubric, str) or not rubric.strip():
        raise RuleError("llm_rubric needs a non-empty 'rubric'")
    return RubricSpec(rubric.strip(), _parse_turn(value.get("turn", "final")))


def uses_llm(expected: Any) -> list[RubricSpec]:
    """The llm_rubric rules of an `expected` list (malformed ones skipped)."""
    specs = []
    for rule in expected if isinstance(expected, list) else []:
        if isinstance(rule, Mapping) and RULE in rule:
            try:
                specs.append(parse_rubric(rule[RULE]))
            except RuleError:
                continue
    return specs


def fingerprint_part(expected: Any, settings: LLMSettings) -> dict[str, Any] | None:
    """What the judge model adds to a case's fingerprint; None for a case with
    no llm_rubric, so that its fingerprint is what it was before this rule."""
    specs = uses_llm(expected)
    if not specs:
        return None
    return {**settings.fingerprint(), "rubrics": [[s.rubric, s.turn] for s in specs]}


# -- the request ----------------------------------------------------------------
def _template() -> tuple[str, str]:
    from importlib import resources

    text = resources.files("failgate.eval.judge").joinpath("templates", f"{TEMPLATE_VERSION}.txt").read_text("utf-8")
    _, _, rest = text.partition("=== system\n")
    system, _, user = rest.partition("=== user\n")
    return system.strip(), user.strip()


_TEMPLATE: list[tuple[str, str]] = []


def template() -> tuple[str, str]:
    if not _TEMPLATE:
        _TEMPLATE.append(_template())
    return _TEMPLATE[0]


def conversation(case_input: Any, turn: str | int) -> Any:
    """What the agent was given up to the judged reply: for turn N, the
    messages up to and including the N-th user message."""
    if not isinstance(case_input, Mapping):
        return case_input
    payload = {k: v for k, v in case_input.items() if k != "fixtures"}
    messages = payload.get("messages")
    if isinstance(turn, int) and isinstance(messages, list):
        kept, users = [], 0
        for message in messages:
            if isinstance(message, Mapping) and message.get("role") == "user":
                users += 1
                if users > turn:
                    break
            kept.append(message)
        payload["messages"] = kept
    return payload


def reply_text(spec: RubricSpec, response: Response) -> str | None:
    if isinstance(spec.turn, str):  # "final", the only text value a turn takes
        return response.output
    return response.turns[spec.turn - 1] if spec.turn <= len(response.turns) else None


def request_body(spec: RubricSpec, case_input: Any, reply: str, settings: LLMSettings) -> dict[str, Any]:
    """The chat-completions request. Its bytes are the verdict cache's key, so
    everything that can change the verdict is in it."""
    from string import Template

    system, user = template()
    filled = Template(user).safe_substitute(
        rubric=spec.rubric,
        conversation=json.dumps(
            conversation(case_input, spec.turn), ensure_ascii=False, indent=1, sort_keys=True, default=str
        ),
        reply=reply,
    )
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": filled}],
        "temperature": float(settings.temperature),
        "max_tokens": settings.max_tokens,
    }
    if settings.seed is not None:
        body["seed"] = settings.seed
    return body


# -- the verdict ----------------------------------------------------------------
class NotAVerdict(ValueError):
    """The judge answered, but not with {"pass": bool, "reason": "..."}."""


_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


MAX_VERDICT_CHARS = 65_536  # a verdict is a sentence; a longer answer is not read as one
_MAX_CANDIDATES = 256  # `{` positions tried in prose: every one is a parse from there on


def _loads(text: str) -> Any:
    """json.loads held to the strict reader's limits (depth, integer digits): ValueError otherwise,
    never a RecursionError or a 5,000-digit conversion error from deep inside the parser."""
    from failgate.dataset.jsonstrict import nesting_depth

    if nesting_depth(text):
        raise ValueError("nested too deep")
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - nesting_depth stops it first
        raise ValueError("nested too deep") from None


def _objects(text: str) -> list[Any]:
    from failgate.dataset.jsonstrict import nesting_depth

    if nesting_depth(text):
        return []
    decoder = json.JSONDecoder()
    found = []
    for count, match in enumerate(re.finditer(r"\{", text)):
        if count >= _MAX_CANDIDATES:
            break
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        found.append(value)
    return found


def _as_verdict(value: Any) -> tuple[bool, str] | None:
    if not isinstance(value, Mapping):
        return None
    passed = value.get("pass", value.get("passed"))
    if not isinstance(passed, bool):
        verdict = value.get("verdict")
        passed = {"pass": True, "fail": False}.get(verdict.lower()) if isinstance(verdict, str) else None
    if not isinstance(passed, bool):
        return None
    reason = value.get("reason", "")
    reason = " ".join(str(reason).split()) if reason is not None else ""
    return passed, reason[:300] or ("meets the rubric" if passed else "does not meet the rubric")


def parse_verdict(content: Any) -> tuple[bool, str]:
    """(passed, one-line reason) from the judge model's message content.

    Accepted: the JSON object alone, inside a ``` fence, or embedded in prose
    (models add a sentence despite being asked not to); `pass` (or `passed`) a
    boolean, or `verdict` "pass"/"fail". Anything else raises NotAVerdict:
    a judge that rambles must not be read as approval. Prose holding verdicts
    that disagree is not a verdict either: the judge may be quoting a reply
    that carries its own `{"pass": true}`.
    """
    if not isinstance(content, str) or not content.strip():
        raise NotAVerdict("the judge's answer is empty")
    if len(content) > MAX_VERDICT_CHARS:
        raise NotAVerdict(
            f"the judge's answer is {len(content):,} characters long; a verdict is at most {MAX_VERDICT_CHARS:,}"
        )
    try:
        whole = _as_verdict(_loads(content.strip()))
    except ValueError:
        whole = None
    if whole is not None:
        return whole
    fenced = [c.strip() for c in _FENCE_RE.findall(content)]
    for source in (fenced, [content]):
        found = []
        for candidate in source:
            try:
                objects = [_loads(candidate)]
            except ValueError:
                objects = _objects(candidate)
            found += [v for v in map(_as_verdict, objects) if v is not None]
        if len({passed for passed, _ in found}) > 1:
            raise NotAVerdict("the judge's answer holds verdicts that disagree; none is taken")
        if found:
            return found[-1]
    short = " ".join(content.split())
    raise NotAVerdict(f'the judge\'s answer is not a verdict ({{"pass": bool, "reason": ...}}): {short[:120]!r}')
