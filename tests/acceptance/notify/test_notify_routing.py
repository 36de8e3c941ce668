"""Routing red cases by severity and blast radius: `watch` and `gate --notify` against real
HTTP sinks on 127.0.0.1 that record what they receive."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, git
from gate_repo import DS, break_cases, failgate, record_baseline, setup_consumer
from recording_server import Received, Reply, serve

from failgate.notify.routing import DEFAULT_ROUTES, LOG, Alert, Route, Routing, plan, routing_from

ROUTING_KEY = "pd-routing-key-secret"


def _set_case(repo: Path, n: int, severity: str, blast_radius: str) -> None:
    path = repo / DS / "cases.yaml"
    text = path.read_text()
    head, sep, rest = text.partition(f"  - id: AGTFAIL-{n:04d}\n")
    block, nxt, tail = rest.partition("  - id: ")
    block = re.sub(r"severity: \S+", f"severity: {severity}", block)
    block = re.sub(r"blast_radius: \S+", f"blast_radius: {blast_radius}", block)
    path.write_text(head + sep + block + nxt + tail)


def _consumer(repo: Path, page_url: str, chat_url: str, extra: str = "") -> None:
    config = (
        'base_branch = "main"\n'
        f'[notify.sinks.page]\nkind = "pagerduty"\nurl = "{page_url}/v2/enqueue"\nrouting_key_env = "PD_KEY"\n'
        '[notify.sinks.chat]\nkind = "slack"\nurl_env = "CHAT_URL"\ntimeout_s = 1\n' + extra
    )
    setup_consumer(repo, config=config)
    _set_case(repo, 1, "P0", "customer_visible")  # P0: pages
    _set_case(repo, 2, "P2", "irreversible_write")  # irreversible: pages whatever its severity
    _set_case(repo, 3, "P3", "no_external_effect")  # the rest: the log
    commit_all(repo, "severities")
    record_baseline(repo)


def _posts(server: Any) -> list[Received]:
    return [r for r in server.requests if r.method == "POST"]


@pytest.fixture
def sinks() -> Any:
    replies: dict[str, Reply] = {}

    def page(req: Received) -> Reply:
        return replies.get("page", Reply(202, {"status": "success", "dedup_key": "x"}))

    def chat(req: Received) -> Reply:
        return replies.get("chat", Reply(200, b"ok"))

    with serve(page) as page_server, serve(chat) as chat_server:
        yield page_server, chat_server, replies


def _env(chat_server: Any) -> dict[str, str]:
    return {"PD_KEY": ROUTING_KEY, "CHAT_URL": chat_server.url + "/hooks/T000/B000"}


def test_watch_pages_the_p0_and_the_irreversible_write_once_and_logs_the_rest(git_repo: Path, sinks: Any) -> None:
    page, chat, _ = sinks
    _consumer(git_repo, page.url, chat.url)
    break_cases(git_repo, 1, 2, 3)
    commit_all(git_repo, "the provider's model moved (simulated)")
    head = git(git_repo, "rev-parse", "HEAD").stdout.strip()
    result = failgate(git_repo, "watch", **_env(chat))
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(_posts(page)) == 1, result.stderr
    (sent,) = _posts(page)
    body = sent.json()
    assert body["routing_key"] == ROUTING_KEY and body["event_action"] == "trigger"
    assert body["payload"]["severity"] == "critical"
    cases = body["payload"]["custom_details"]["cases"]
    assert [c["id"] for c in cases] == ["AGTFAIL-0001", "AGTFAIL-0002"]
    first = cases[0]
    assert first["severity"] == "P0" and first["owner"] == "dana@example.com" and first["flipped"] is True
    assert first["first_failing_rule"].startswith("contains") and first["failure_mode"]
    assert body["payload"]["custom_details"]["commit"] == head
    assert _posts(chat) == []  # nothing P1 or customer_visible below a page
    assert "AGTFAIL-0003" in result.stderr and "notify: sent log: AGTFAIL-0003" in result.stderr
    assert ROUTING_KEY not in result.stdout + result.stderr

    again = failgate(git_repo, "watch", **_env(chat))  # the next night, still red
    assert again.returncode == 1
    assert len(_posts(page)) == 1  # not re-sent
    assert "already reported and still red" in again.stderr

    break_cases(git_repo, 2, 3)  # case 1 fixed: forgotten ...
    commit_all(git_repo, "fix 1")
    failgate(git_repo, "watch", **_env(chat))
    break_cases(git_repo, 1, 2, 3)  # ... so its new regression is news again
    commit_all(git_repo, "break 1 again")
    failgate(git_repo, "watch", **_env(chat))
    assert [c["id"] for c in _posts(page)[-1].json()["payload"]["custom_details"]["cases"]] == ["AGTFAIL-0001"]


def test_a_failing_sink_never_changes_the_verdict_and_is_retried(git_repo: Path, sinks: Any) -> None:
    page, chat, replies = sinks
    _consumer(git_repo, page.url, chat.url)
    _set_case(git_repo, 3, "P1", "internal_visible")  # to chat
    commit_all(git_repo, "3 is P1")
    break_cases(git_repo, 1, 3)
    commit_all(git_repo, "break")
    replies["page"] = Reply(500, {"status": "error"})
    replies["chat"] = Reply(200, b"ok", delay_s=3)  # beyond the sink's timeout_s = 1
    result = failgate(git_repo, "watch", **_env(chat))
    assert result.returncode == 1  # the same verdict as with healthy sinks
    assert "sink 'page' failed (HTTP 500)" in result.stderr
    assert "sink 'chat' failed" in result.stderr and "timed out" in result.stderr
    replies.clear()
    retried = failgate(git_repo, "watch", **_env(chat))  # healthy again: what failed is sent now
    assert retried.returncode == 1
    assert "notify: sent page: AGTFAIL-0001" in retried.stderr and "notify: sent chat: AGTFAIL-0003" in retried.stderr


def test_a_green_run_with_a_broken_sink_still_passes(git_repo: Path, sinks: Any) -> None:
    page, chat, replies = sinks
    _consumer(git_repo, page.url, chat.url)
    replies["page"] = Reply(500, {})
    result = failgate(git_repo, "watch", **_env(chat))
    assert result.returncode == 0, result.stdout + result.stderr
    assert _posts(page) == []  # nothing red, nothing sent


def test_the_routing_is_read_from_the_base_not_the_branch(git_repo: Path, sinks: Any) -> None:
    page, chat, _ = sinks
    _consumer(git_repo, page.url, chat.url)
    git(git_repo, "checkout", "-q", "-b", "feature")
    config = git_repo / "failgate.toml"
    config.write_text(config.read_text() + '[[notify.routes]]\nsinks = ["log"]\n')  # "route my P0 to the log"
    break_cases(git_repo, 1)
    commit_all(git_repo, "downgrade the routing and break the P0")
    result = failgate(git_repo, "gate", "--notify", "--base", "main", **_env(chat))
    assert result.returncode == 1
    (sent,) = _posts(page)  # main's routing paged anyway
    assert [c["id"] for c in sent.json()["payload"]["custom_details"]["cases"]] == ["AGTFAIL-0001"]
    assert "notify" in result.stdout  # the policy change is listed in the report


def test_gate_without_notify_sends_nothing(git_repo: Path, sinks: Any) -> None:
    page, chat, _ = sinks
    _consumer(git_repo, page.url, chat.url)
    break_cases(git_repo, 1)
    commit_all(git_repo, "break")
    assert failgate(git_repo, "gate", "--base", "main", **_env(chat)).returncode == 1
    assert page.requests == [] and chat.requests == []


def test_the_generic_webhook_body_is_the_documented_one(git_repo: Path) -> None:
    with serve(lambda req: Reply(204, b"")) as hook:
        setup_consumer(
            git_repo,
            config=f'base_branch = "main"\n[notify.sinks.ops]\nkind = "webhook"\nurl = "{hook.url}/failgate"\n'
            '[[notify.routes]]\nsinks = ["ops"]\n',
        )
        record_baseline(git_repo)
        break_cases(git_repo, 2)
        commit_all(git_repo, "break")
        assert failgate(git_repo, "watch").returncode == 1
        (sent,) = [r for r in hook.requests if r.method == "POST"]
    body = sent.json()
    assert set(body) == {"source", "version", "run", "repository", "commit", "verdict", "link", "sink", "cases"}
    assert body["source"] == "failgate" and body["version"] == 1 and body["run"] == "watch" and body["sink"] == "ops"
    assert set(body["cases"][0]) == {
        "id",
        "title",
        "failure_mode",
        "severity",
        "blast_radius",
        "owner",
        "first_failing_rule",
        "flipped",
    }
    documented = (Path(__file__).parents[3] / "docs/reference/notify.md").read_text()
    for key in body:
        assert f'"{key}"' in documented  # every key of the body is in the reference page


def _alert(case_id: str, severity: str, blast: str) -> Alert:
    return Alert(case_id, "t", "hallucination", severity, blast, "o", "contains", False)


def test_default_routes_follow_the_practice() -> None:
    routing = Routing(DEFAULT_ROUTES, {"page": {"kind": "pagerduty"}, "chat": {"kind": "slack"}}, defaults=True)
    by_sink, notes = plan(
        [
            _alert("A", "P0", "no_external_effect"),
            _alert("B", "P3", "irreversible_write"),
            _alert("C", "P1", "internal_visible"),
            _alert("D", "P2", "customer_visible"),
            _alert("E", "P2", "reversible_write"),
        ],
        routing,
    )
    assert {k: [a.case_id for a in v] for k, v in by_sink.items()} == {
        "page": ["A", "B"],
        "chat": ["C", "D"],
        LOG: ["E"],
    }
    assert notes == []


def test_a_default_route_without_its_sink_falls_back_to_the_log_and_says_so() -> None:
    by_sink, notes = plan([_alert("A", "P0", "customer_visible")], routing_from({}))
    assert list(by_sink) == [LOG] and "no sink named page" in notes[0]


def test_configured_routes_match_first_and_refuse_an_unknown_sink() -> None:
    from failgate.findings import FailgateError

    routing = routing_from(
        {
            "sinks": {"ops": {"kind": "webhook", "url": "http://x"}},
            "routes": [{"blast_radius": ["irreversible_write"], "sinks": ["ops"]}, {"sinks": ["log"]}],
        }
    )
    assert routing.routes[0] == Route((), ("irreversible_write",), ("ops",))
    assert routing.route("P3", "irreversible_write") == (("ops",), None)
    assert routing.route("P0", "customer_visible") == ((LOG,), None)
    with pytest.raises(FailgateError, match="'pager'"):
        routing_from({"sinks": {}, "routes": [{"sinks": ["pager"]}]})


def test_the_config_refuses_bad_routes_and_secrets(git_repo: Path) -> None:
    setup_consumer(git_repo, config='[[notify.routes]]\nseverity = ["critical"]\nsinks = ["log"]\n')
    result = failgate(git_repo, "validate")
    assert result.returncode == 2 and "severity" in result.stdout + result.stderr
    (git_repo / "failgate.toml").write_text(
        'agent = "gateagent:run"\n[notify.sinks.chat]\nkind = "slack"\nurl = "https://user:pw@hooks.example/x"\n'
    )
    result = failgate(git_repo, "validate")
    assert result.returncode == 2 and "without credentials" in result.stdout + result.stderr


def test_every_registry_copy_in_the_configuration_matches_its_registry() -> None:
    from failgate.config.sections import NOTIFY_SINK_KINDS, SOURCE_KINDS
    from failgate.intake.sources import KINDS
    from failgate.notify.sinks import SINK_KINDS

    assert tuple(KINDS) == SOURCE_KINDS
    assert SINK_KINDS == NOTIFY_SINK_KINDS


def test_the_state_lives_outside_the_tree(git_repo: Path, sinks: Any) -> None:
    page, chat, _ = sinks
    _consumer(git_repo, page.url, chat.url)
    break_cases(git_repo, 1)
    commit_all(git_repo, "break")
    failgate(git_repo, "watch", **_env(chat))
    assert json.loads((git_repo / ".git/failgate/notified.json").read_text())["sinks"]["page"]
    assert git(git_repo, "status", "--porcelain").stdout == ""
