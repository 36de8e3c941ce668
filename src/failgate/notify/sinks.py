"""The messages and how each kind of sink receives one.

| kind           | request                                                     | body                                    |
|----------------|-------------------------------------------------------------|-----------------------------------------|
| `slack`        | POST to an incoming-webhook URL (Slack, Mattermost, Rocket) | `{"text": ...}`                         |
| `github_issue` | POST `{api}/repos/{repository}/issues`, token as Bearer     | `{"title", "body", "labels"}`           |
| `pagerduty`    | POST Events API v2 `/v2/enqueue`                            | `trigger` event, `dedup_key`, `payload` |
| `webhook`      | POST to any URL                                             | `message_body()`, documented below      |
| `log`          | the run's own output (built in)                             | the text                                |

Secrets (webhook URLs, routing keys, tokens) are read from environment
variables the sink's table names, never from the table itself. A sink that
fails (timeout, refused, HTTP error) is reported and never changes a verdict.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from failgate.notify.routing import Alert

SINK_KINDS = ("slack", "github_issue", "pagerduty", "webhook")
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
GITHUB_API = "https://api.github.com"
DEFAULT_TIMEOUT_S = 10.0
MESSAGE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class RunContext:
    run: str  # "gate" | "watch"
    repository: str  # owner/name, or the project directory's name
    commit: str
    verdict: str
    link: str | None = None  # the CI run's page, when there is one


def message_body(alerts: Sequence[Alert], context: RunContext, sink: str) -> dict[str, Any]:
    """The generic webhook's JSON body (version 1), documented in the reference manual."""
    return {
        "source": "failgate",
        "version": MESSAGE_VERSION,
        "run": context.run,
        "repository": context.repository,
        "commit": context.commit,
        "verdict": context.verdict,
        "link": context.link,
        "sink": sink,
        "cases": [
            {
                "id": a.case_id,
                "title": a.title,
                "failure_mode": a.failure_mode,
                "severity": a.severity,
                "blast_radius": a.blast_radius,
                "owner": a.owner,
                "first_failing_rule": a.first_failing_rule,
                "flipped": a.flipped,
            }
            for a in alerts
        ],
    }


def summary(alerts: Sequence[Alert], context: RunContext) -> str:
    worst = min((a.severity for a in alerts), default="P3")
    what = "flipped" if any(a.flipped for a in alerts) else "failing"
    return (
        f"failgate {context.run}: {len(alerts)} {what} case(s) on {context.repository} at {context.commit[:10]} "
        f"(worst {worst}): " + ", ".join(a.case_id for a in alerts)
    )


def text(alerts: Sequence[Alert], context: RunContext) -> str:
    lines = [summary(alerts, context)]
    for a in alerts:
        lines.append(
            f"- {a.case_id} [{a.severity}, {a.blast_radius}] {a.failure_mode}: {a.title} "
            f"(owner {a.owner}){' FLIPPED' if a.flipped else ''}; first failing rule: {a.first_failing_rule}"
        )
    if context.link:
        lines.append(context.link)
    return "\n".join(lines)


def _secret(table: Mapping[str, Any], key: str, env: Mapping[str, str]) -> str | None:
    name = table.get(key)
    return env.get(str(name)) if name else None


def request_for(
    name: str, table: Mapping[str, Any], alerts: Sequence[Alert], context: RunContext, env: Mapping[str, str]
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(url, headers, JSON body) of the one message `name` receives, or ValueError saying what is missing."""
    kind = table.get("kind")
    url = table.get("url") or _secret(table, "url_env", env)
    headers: dict[str, str] = {}
    if kind == "slack":
        body: dict[str, Any] = {"text": text(alerts, context)}
    elif kind == "webhook":
        body = message_body(alerts, context, name)
        token = _secret(table, "token_env", env)
        if token:
            headers["Authorization"] = f"Bearer {token}"
    elif kind == "pagerduty":
        key = _secret(table, "routing_key_env", env)
        if not key:
            raise ValueError(
                f"the routing key variable {table.get('routing_key_env') or '(routing_key_env)'} is not set"
            )
        url = url or PAGERDUTY_URL
        ids = ",".join(sorted(a.case_id for a in alerts))
        body = {
            "routing_key": key,
            "event_action": "trigger",
            # PagerDuty folds repeats of one dedup_key into one incident.
            "dedup_key": "failgate:" + hashlib.sha256(f"{context.repository}:{ids}".encode()).hexdigest()[:32],
            "payload": {
                "summary": summary(alerts, context)[:1024],
                "source": context.repository,
                "severity": "critical" if any(a.severity == "P0" for a in alerts) else "error",
                "component": ",".join(sorted({a.failure_mode for a in alerts})),
                "custom_details": message_body(alerts, context, name),
            },
        }
    elif kind == "github_issue":
        token = _secret(table, "token_env", env) or env.get("GITHUB_TOKEN")
        repository = table.get("repository") or env.get("GITHUB_REPOSITORY")
        if not token or not repository:
            raise ValueError("a github_issue sink needs a token (token_env or GITHUB_TOKEN) and a repository")
        api = str(table.get("api_url") or env.get("GITHUB_API_URL") or GITHUB_API).rstrip("/")
        url = f"{api}/repos/{repository}/issues"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
        body = {
            "title": summary(alerts, context)[:250],
            "body": text(alerts, context),
            "labels": list(table.get("labels", ["failgate"])),
        }
    else:
        raise ValueError(f"unknown sink kind {kind!r}")
    if not url:
        raise ValueError(f"no url (set url, or url_env naming a variable that holds it{_unset(table, env)})")
    return str(url), headers, body


def _unset(table: Mapping[str, Any], env: Mapping[str, str]) -> str:
    name = table.get("url_env")
    return f"; {name} is not set" if name and not env.get(str(name)) else ""


def send(
    name: str,
    table: Mapping[str, Any],
    alerts: Sequence[Alert],
    context: RunContext,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """Send the one message; None when delivered, else why not (never raises, never shows a secret)."""
    env = os.environ if env is None else env
    try:
        url, headers, body = request_for(name, table, alerts, context, env)
    except ValueError as exc:
        return str(exc)
    timeout = float(table.get("timeout_s", DEFAULT_TIMEOUT_S))
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "failgate-notify", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"not delivered ({type(reason).__name__}: {reason})" if str(reason) else "not delivered (timed out)"
    return None
