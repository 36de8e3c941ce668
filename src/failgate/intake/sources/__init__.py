"""Trace stores that `failgate ingest --source NAME` / `--from URL` pulls failed runs from.

One module per store kind, each with `FORMAT` (the trace reader its records
go through) and `pull(client, request) -> Pull`. `KINDS` is the registry:
the configuration's `kind` values, `--from`'s URL prefixes and the
credential defaults are all read from it.

A pull reads every page before anything is written: an unreachable store,
refused credentials or a page that does not parse raise `SourceError`
naming the source and the page, and `_intake/` is left as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

from failgate.findings import FailgateError
from failgate.intake.sources.http import SourceError, StoreClient, basic_auth, bearer
from failgate.intake.sources.model import Pull, PullRequest


@dataclasses.dataclass(frozen=True)
class Kind:
    module: str
    # Conventional variable names of the store's own SDK: used when the source names none.
    user_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    project_param: str = "project"


KINDS: dict[str, Kind] = {
    "langfuse": Kind("langfuse", user_env="LANGFUSE_PUBLIC_KEY", password_env="LANGFUSE_SECRET_KEY"),
    "phoenix": Kind("phoenix", token_env="PHOENIX_API_KEY"),
    "mlflow": Kind(
        "mlflow",
        user_env="MLFLOW_TRACKING_USERNAME",
        password_env="MLFLOW_TRACKING_PASSWORD",
        token_env="MLFLOW_TRACKING_TOKEN",
        project_param="experiment",
    ),
}

__all__ = ["KINDS", "Pull", "PullRequest", "Source", "SourceError", "pull", "source_from_url", "source_from_config"]


@dataclasses.dataclass(frozen=True)
class Source:
    """`[tool.failgate.intake.sources.NAME]`, or what `--from URL` says."""

    name: str
    kind: str
    url: str
    project: str | None = None
    filter: str | None = None
    since: str | None = None
    user_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    timeout_s: float = 30.0
    configured_env: tuple[str, ...] = ()  # variables the configuration names: unset is an error


def source_from_config(name: str, table: Mapping[str, Any]) -> Source:
    kind = KINDS[str(table["kind"])]
    named = tuple(str(table[k]) for k in ("user_env", "password_env", "token_env") if k in table)
    return Source(
        name=name,
        kind=str(table["kind"]),
        url=str(table["url"]),
        project=str(table["project"]) if "project" in table else None,
        filter=table.get("filter"),
        since=table.get("since"),
        user_env=table.get("user_env", kind.user_env),
        password_env=table.get("password_env", kind.password_env),
        token_env=table.get("token_env", kind.token_env),
        timeout_s=float(table.get("timeout_s", 30.0)),
        configured_env=named,
    )


def source_from_url(text: str) -> Source:
    """`KIND+http(s)://host[:port][/path][?project=NAME]`, e.g. `phoenix+http://127.0.0.1:6006?project=support`."""
    kind_name, plus, rest = text.partition("+")
    if not plus or kind_name not in KINDS or not rest.startswith(("http://", "https://")):
        raise FailgateError(
            f"--from {text!r}: write the store's kind before its URL, one of "
            + ", ".join(f"{k}+https://..." for k in KINDS)
            + " (credentials come from the store's usual environment variables, never from the URL)",
            exit_code=2,
        )
    parts = urllib.parse.urlsplit(rest)
    if parts.username or parts.password:
        raise FailgateError(
            "--from: credentials in the URL would land in shell history and CI logs; "
            "put them in environment variables (see `failgate ingest --help`)",
            exit_code=2,
        )
    kind = KINDS[kind_name]
    query = dict(urllib.parse.parse_qsl(parts.query))
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return Source(
        name=text.split("?", 1)[0],
        kind=kind_name,
        url=url,
        project=query.get(kind.project_param) or query.get("project"),
        filter=query.get("filter"),
        user_env=kind.user_env,
        password_env=kind.password_env,
        token_env=kind.token_env,
    )


def _headers(source: Source, env: Mapping[str, str]) -> tuple[dict[str, str], str]:
    for name in source.configured_env:
        if not env.get(name):
            raise FailgateError(
                f"source {source.name!r}: the environment variable {name} (named in its configuration) is not set",
                exit_code=2,
            )
    shown = " and ".join(f"${n}" for n in (source.user_env, source.password_env, source.token_env) if n)
    token = env.get(source.token_env) if source.token_env else None
    user = env.get(source.user_env) if source.user_env else None
    password = env.get(source.password_env) if source.password_env else None
    if user and password:
        return basic_auth(user, password), shown
    if token:
        return bearer(token), shown
    return {}, shown or "the store's credentials"


def pull(
    source: Source,
    request: PullRequest,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Any = None,
) -> Pull:
    """Every failed trace of the window, all pages read, or `SourceError`."""
    headers, hint = _headers(source, os.environ if env is None else env)
    client = StoreClient(source.name, source.url, headers, timeout_s=source.timeout_s, credentials_hint=hint)
    if sleep is not None:
        client.sleep = sleep
    module = importlib.import_module(f"failgate.intake.sources.{KINDS[source.kind].module}")
    request = dataclasses.replace(
        request, project=request.project or source.project, filter=request.filter or source.filter
    )
    return module.pull(client, request)  # type: ignore[no-any-return]


def cutoff(since: str | None, now: _dt.datetime) -> _dt.datetime | None:
    from failgate.config.sections import parse_since_text

    if not since:
        return None
    seconds = parse_since_text(since)
    if seconds is None:
        raise FailgateError(f'--since {since!r}: use a duration like "7d", "36h" or "2w"')
    return now - _dt.timedelta(seconds=seconds)
