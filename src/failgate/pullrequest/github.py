"""The three GitHub REST calls the comment needs, on urllib, with the workflow's `GITHUB_TOKEN`.

- `GET /repos/{repo}/issues/{number}/comments?per_page=100&page=N` (a pull
  request's conversation comments are its issue's);
- `PATCH /repos/{repo}/issues/comments/{id}` for the comment carrying the marker;
- `POST /repos/{repo}/issues/{number}/comments` when there is none yet.

The token needs `pull-requests: write`. Without it (a pull request from a
fork gets a read-only token) GitHub answers 403; the caller then degrades to
the step summary. The token is sent in a header and never printed.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from typing import Any

from failgate.dataset.jsonstrict import loads_or_none
from failgate.pullrequest.comment import is_ours

PER_PAGE = 100
MAX_PAGES = 50


class CommentRefused(Exception):
    """GitHub said no (status, what was attempted); the message never holds the token."""

    def __init__(self, status: int | None, what: str, detail: str = "") -> None:
        self.status = status
        super().__init__(
            f"{what}: " + (f"HTTP {status}" if status else "unreachable") + (f" ({detail})" if detail else "")
        )


@dataclasses.dataclass(frozen=True)
class Posted:
    action: str  # "created" | "updated"
    comment_id: int
    url: str | None


class GitHub:
    def __init__(self, api_url: str, repository: str, token: str, timeout_s: float = 30.0) -> None:
        self.api = api_url.rstrip("/")
        self.repository = repository
        self.token = token
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: Any, what: str) -> Any:
        request = urllib.request.Request(
            self.api + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "failgate-action",
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            try:
                detail = str(loads_or_none(exc.read(2000)).get("message", ""))
            except (ValueError, OSError, AttributeError):
                detail = ""
            raise CommentRefused(exc.code, what, detail) from None
        except (urllib.error.URLError, OSError) as exc:
            raise CommentRefused(None, what, str(getattr(exc, "reason", exc))) from None
        if not raw:
            return None
        value = loads_or_none(raw)  # the limits of every reader
        if value is None:
            raise CommentRefused(None, what, "the answer is not JSON")
        return value

    def find_ours(self, number: int) -> int | None:
        for page in range(1, MAX_PAGES + 1):
            comments = self._call(
                "GET",
                f"/repos/{self.repository}/issues/{number}/comments?per_page={PER_PAGE}&page={page}",
                None,
                f"listing the comments of #{number} (page {page})",
            )
            if not isinstance(comments, list):
                raise CommentRefused(None, f"listing the comments of #{number}", "not a list")
            for comment in comments:
                if isinstance(comment, dict) and is_ours(comment.get("body")) and isinstance(comment.get("id"), int):
                    return int(comment["id"])
            if len(comments) < PER_PAGE:
                return None
        return None

    def upsert(self, number: int, body: str) -> Posted:
        existing = self.find_ours(number)
        if existing is not None:
            answer = self._call(
                "PATCH",
                f"/repos/{self.repository}/issues/comments/{existing}",
                {"body": body},
                f"updating comment {existing}",
            )
            return Posted("updated", existing, (answer or {}).get("html_url"))
        answer = self._call(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", {"body": body}, f"commenting on #{number}"
        )
        return Posted("created", int((answer or {}).get("id", 0)), (answer or {}).get("html_url"))
