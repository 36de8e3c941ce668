"""One registry of trace formats and one table of conventions, with every list derived from or
checked against them; and the formats that are not OTLP, each from its own specification:
ATIF (Harbor's RFC 0001), any-agent's trace JSON (OpenTelemetry SDK span JSON) and AgentOps'
API output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from failgate.intake.redact import redact_text
from failgate.intake.secrets import SECRET_RULES
from failgate.intake.traces import FORMATS, TRACE_FORMATS, detect_format, read_traces, reader
from failgate.intake.traces.conventions import CONVENTIONS
from failgate.intake.traces.model import ReadStats, Trace

DOCS = Path(__file__).resolve().parents[4] / "docs" / "reference"


def test_ingest_format_choices_are_the_registry() -> None:
    from failgate.commands.ingest import command

    option = next(p for p in command.params if p.name == "fmt")
    assert list(option.type.choices) == ["auto", *FORMATS]  # type: ignore[attr-defined]


def test_every_registered_format_has_its_reader() -> None:
    for name in TRACE_FORMATS:
        module = reader(name)
        assert module.FORMAT == name and callable(module.matches) and callable(module.traces)


def test_the_formats_page_lists_every_format_and_every_family_with_its_keys() -> None:
    page = (DOCS / "trace-formats.md").read_text()
    for name in TRACE_FORMATS:
        assert f"| `{name}` |" in page, name
    for convention in CONVENTIONS:
        assert f"| {convention.family} |" in page, convention.family
        for key in convention.run_input + convention.tool_arguments + convention.tool_status:
            assert f"`{key}`" in page, (convention.family, key)


def test_the_redaction_page_lists_every_credential_vendor_and_what_is_not_removed() -> None:
    page = (DOCS / "redaction.md").read_text()
    for rule in SECRET_RULES:
        assert f"| {rule.vendor} |" in page, rule.vendor
    for placeholder in ("<EMAIL>", "<PHONE>", "<CARD>", "<IBAN>", "<SSN>", "<IP>", "<UUID>", "<SECRET>"):
        assert f"`{placeholder}`" in page
    assert "**Not removed**" in page and "names" in page and "passport" in page


def _read(tmp_path: Path, name: str, value: Any) -> tuple[list[Trace], ReadStats]:
    path = tmp_path / name
    path.write_text(json.dumps(value, indent=2))
    stats = ReadStats()
    return list(read_traces([path], stats=stats)), stats


# -- ATIF, from the RFC's field tables ------------------------------------------------------------------
def _trajectory(result: str) -> dict[str, Any]:
    return {
        "schema_version": "ATIF-v1.4",
        "session_id": "sess-42",
        "agent": {"name": "support-bot", "version": "1.0.0", "model_name": "gpt-4o"},
        "steps": [
            {"step_id": 1, "timestamp": "2026-05-07T10:00:00Z", "source": "system", "message": "Be terse."},
            {"step_id": 2, "timestamp": "2026-05-07T10:00:01Z", "source": "user", "message": "Cancel order 8812"},
            {
                "step_id": 3,
                "timestamp": "2026-05-07T10:00:03Z",
                "source": "agent",
                "message": "",
                "reasoning_content": "The user wants a cancellation; call the tool.",
                "tool_calls": [
                    {"tool_call_id": "c1", "function_name": "cancel_order", "arguments": {"order_id": "8812"}}
                ],
                "observation": {"results": [{"source_call_id": "c1", "content": result}]},
            },
            {
                "step_id": 4,
                "timestamp": "2026-05-07T10:00:05Z",
                "source": "agent",
                "message": "Order 8812 is cancelled.",
            },
        ],
    }


def test_atif_trajectory_reads_the_user_step_the_last_answer_and_a_failed_call(tmp_path: Path) -> None:
    runs, _ = _read(tmp_path, "run.json", _trajectory(json.dumps({"status": "error", "message": "already shipped"})))
    assert detect_format(tmp_path / "run.json") == "atif"
    (run,) = runs
    assert run.input == {"messages": [{"role": "user", "content": "Cancel order 8812"}]}
    assert run.output == "Order 8812 is cancelled."
    assert run.tool_calls == [{"name": "cancel_order", "arguments": {"order_id": "8812"}, "error": "already shipped"}]
    assert run.latency_ms == 5000
    assert [s["kind"] for s in run.steps] == ["model", "tool", "model"]


def test_atif_call_with_a_plain_result_is_not_a_failure(tmp_path: Path) -> None:
    (run,) = _read(tmp_path, "run.json", _trajectory("cancelled"))[0]
    assert run.tool_calls == [{"name": "cancel_order", "arguments": {"order_id": "8812"}}]
    assert run.steps[1]["result"] == "cancelled"


def test_atif_without_a_user_step_is_reported_not_read_as_a_run(tmp_path: Path) -> None:
    trajectory = _trajectory("ok")
    trajectory["steps"] = [s for s in trajectory["steps"] if s["source"] != "user"]
    runs, stats = _read(tmp_path, "run.json", trajectory)
    assert runs == [] and "no user step" in stats.findings[0].message


# -- any-agent's trace JSON: OpenTelemetry SDK to_json() spans, integer ids ------------------------------
def _sdk_span(span_id: int, name: str, attrs: dict[str, Any], parent: int | None, status: str = "ok") -> dict[str, Any]:
    trace_id = 0x5B8EFFF798038103D269B633813FC60C
    return {
        "name": name,
        "kind": "internal",
        "parent": {"trace_id": trace_id if parent else None, "span_id": parent, "is_remote": False},
        "start_time": 1758026593210770000 + span_id,
        "end_time": 1758026594210770000 + span_id,
        "status": {"status_code": status, "description": "boom" if status == "error" else None},
        "context": {"trace_id": trace_id, "span_id": span_id, "is_remote": False},
        "attributes": attrs,
        "links": [],
        "events": [],
        "resource": {"attributes": {"service.name": "unknown_service"}},
    }


def _any_agent_trace(tool_status: str) -> dict[str, Any]:
    return {
        "spans": [
            _sdk_span(
                2,
                "call_llm gpt-4.1",
                {
                    "gen_ai.operation.name": "call_llm",
                    "gen_ai.input.messages": json.dumps([{"role": "user", "content": "What year is it?"}]),
                    "gen_ai.output": json.dumps([{"tool.name": "get_current_time", "tool.args": "{}"}]),
                    "gen_ai.output.type": "json",
                },
                1,
            ),
            _sdk_span(
                3,
                "execute_tool get_current_time",
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "get_current_time",
                    "gen_ai.tool.args": json.dumps({"timezone": "UTC"}),
                    "gen_ai.output": "2026",
                },
                1,
                status=tool_status,
            ),
            _sdk_span(
                4,
                "call_llm gpt-4.1",
                {"gen_ai.operation.name": "call_llm", "gen_ai.output": "It is 2026.", "gen_ai.output.type": "text"},
                1,
            ),
            _sdk_span(1, "invoke_agent [any_agent]", {"gen_ai.operation.name": "invoke_agent"}, None, "unset"),
        ],
        "final_output": "It is 2026.",
    }


def test_any_agent_trace_json_is_one_run_with_the_tool_error(tmp_path: Path) -> None:
    (run,) = _read(tmp_path, "trace.json", _any_agent_trace("error"))[0]
    assert run.trace_id == "5b8efff798038103d269b633813fc60c"
    assert run.input == {"messages": [{"role": "user", "content": "What year is it?"}]}
    assert run.output == "It is 2026."
    assert run.tool_calls == [{"name": "get_current_time", "arguments": {"timezone": "UTC"}, "error": "boom"}]


def test_any_agent_trace_json_with_a_successful_tool_has_no_error(tmp_path: Path) -> None:
    (run,) = _read(tmp_path, "trace.json", _any_agent_trace("ok"))[0]
    assert run.tool_calls == [{"name": "get_current_time", "arguments": {"timezone": "UTC"}}]


# -- AgentOps API output: attributes nested by dotted path ----------------------------------------------
def _agentops(status: str) -> dict[str, Any]:
    def span(span_id: str, parent: str, name: str, kind: str, attributes: dict[str, Any]) -> dict[str, Any]:
        return {
            "span_id": span_id,
            "parent_span_id": parent,
            "span_name": name,
            "span_kind": "Client",
            "start_time": "",
            "duration": 2_000_000_000,
            "status_code": status if kind == "function" else "Unset",
            "status_message": "lookup failed" if status == "Error" and kind == "function" else "",
            "resource_attributes": {"service.name": "bot"},
            "span_attributes": attributes,
            "span_type": kind,
        }

    return {
        "trace_id": "4a43cb9945150e9932d35a76eb513001",
        "spans": [
            span(
                "r1",
                "",
                "agents.run.Helper",
                "other",
                {
                    "agent": {"instructions": "You help with orders.", "name": "Helper"},
                    "gen_ai": {"prompt": "You help with orders."},
                    "workflow": {"input": json.dumps("Where is order 8812?"), "final_output": "It shipped."},
                },
            ),
            span(
                "f1",
                "r1",
                "agents.function.lookup_order",
                "function",
                {"tool": {"name": "lookup_order", "parameters": json.dumps({"order_id": "8812"})}},
            ),
            span(
                "g1",
                "r1",
                "agents.response",
                "request",
                {"gen_ai": {"completion": [{"0": {"content": "It shipped.", "role": "assistant"}}]}},
            ),
        ],
    }


def test_agentops_output_reads_the_users_input_not_the_instructions_and_a_failed_function(tmp_path: Path) -> None:
    runs, _ = _read(tmp_path, "agentops.json", _agentops("Error"))
    assert detect_format(tmp_path / "agentops.json") == "agentops"
    (run,) = runs
    assert run.input == {"messages": [{"role": "user", "content": "Where is order 8812?"}]}
    assert run.output == "It shipped."
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"order_id": "8812"}, "error": "lookup failed"}]
    assert run.latency_ms == 2000


def test_agentops_function_that_succeeded_has_no_error(tmp_path: Path) -> None:
    (run,) = _read(tmp_path, "agentops.json", _agentops("Ok"))[0]
    assert run.tool_calls == [{"name": "lookup_order", "arguments": {"order_id": "8812"}}]


def test_a_lone_tool_span_is_not_a_run_and_the_funnel_says_why(tmp_path: Path) -> None:
    runs, stats = _read(
        tmp_path, "tool.json", {"spans": [_sdk_span(1, "execute_tool x", {"gen_ai.tool.name": "x"}, None)]}
    )
    assert runs == [] and any(f.code == "NO_RUNS" for f in stats.findings)
    assert redact_text("tool x") == "tool x"


# -- the ordered steps every reader keeps for replay -----------------------------------------------------
def _phoenix_span(span_id: str, kind: str, attrs: dict[str, Any], parent: str | None, second: int) -> dict[str, Any]:
    return {
        "name": kind.lower(),
        "context": {"trace_id": "t-1", "span_id": span_id},
        "parent_id": parent,
        "span_kind": kind,
        "start_time": f"2026-05-07T10:00:0{second}+00:00",
        "end_time": f"2026-05-07T10:00:0{second}.5+00:00",
        "status_code": "OK",
        "attributes": attrs,
    }


def test_openinference_steps_are_the_llm_turns_and_tool_results_in_order(tmp_path: Path) -> None:
    spans = [
        _phoenix_span(
            "a", "AGENT", {"input": {"value": "Where is order 8812?"}, "output": {"value": "Shipped."}}, None, 0
        ),
        _phoenix_span(
            "b",
            "LLM",
            {"llm": {"output_messages": [{"message": {"role": "assistant", "content": "Let me check."}}]}},
            "a",
            1,
        ),
        _phoenix_span(
            "c",
            "TOOL",
            {"tool": {"name": "lookup"}, "input": {"value": '{"id": 8812}'}, "output": {"value": "shipped"}},
            "a",
            2,
        ),
        _phoenix_span(
            "d",
            "LLM",
            {"llm": {"output_messages": [{"message": {"role": "assistant", "content": "Shipped."}}]}},
            "a",
            3,
        ),
    ]
    (run,) = _read(tmp_path, "spans.json", spans)[0]
    assert [(s["kind"], s.get("output", s.get("result"))) for s in run.steps] == [
        ("model", "Let me check."),
        ("tool", "shipped"),
        ("model", "Shipped."),
    ]
    assert run.steps[1]["arguments"] == {"id": 8812}


def test_langfuse_steps_are_the_generations_and_tool_observations_in_order(tmp_path: Path) -> None:
    download = {
        "trace": {"id": "lf-1", "input": "Where is order 8812?", "output": "Shipped."},
        "observations": [
            {
                "id": "o3",
                "type": "GENERATION",
                "name": "chat",
                "startTime": "2026-05-07T10:00:03Z",
                "output": "Shipped.",
            },
            {
                "id": "o2",
                "type": "TOOL",
                "name": "lookup",
                "startTime": "2026-05-07T10:00:02Z",
                "input": {"id": 1},
                "output": "shipped",
            },
            {
                "id": "o1",
                "type": "GENERATION",
                "name": "chat",
                "startTime": "2026-05-07T10:00:01Z",
                "output": "Let me check.",
            },
            {"id": "o0", "type": "SPAN", "name": "agent", "startTime": "2026-05-07T10:00:00Z"},
        ],
    }
    (run,) = _read(tmp_path, "lf.json", download)[0]
    assert [(s["kind"], s.get("output", s.get("result"))) for s in run.steps] == [
        ("model", "Let me check."),
        ("tool", "shipped"),
        ("model", "Shipped."),
    ]
