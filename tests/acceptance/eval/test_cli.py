"""`failgate eval` end to end through `cli.main`: exit codes, reports, filters, config errors."""

from __future__ import annotations

import itertools
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from failgate.cli import main

_names = itertools.count()

AGENT = """
import itertools, json, time
_attempts = itertools.count()

def run(inp):
    if inp.get("flaky"):
        # passes on every other call: k/N for repeats
        return {"output": "ok" if next(_attempts) % 2 == 0 else "nope"}
    if inp.get("fixtures"):
        return {"output": open(inp["fixtures"][0]).read()}
    if inp.get("sleep"):
        time.sleep(inp["sleep"])
    return {"output": inp.get("say", ""), "tool_calls": inp.get("calls", [])}
"""


def case(n: int, say: str, expected: list[Any], **extra: Any) -> dict[str, Any]:
    base = {
        "id": f"AGTFAIL-{n:04d}",
        "title": f"case {n}",
        "failure_mode": extra.pop("mode", "tool_invocation"),
        "severity": extra.pop("severity", "P1"),
        "blast_radius": "customer_visible",
        "status": "active",
        "input": {"say": say},
        "expected": expected,
    }
    base.update(extra)
    return base


@pytest.fixture
def project(git_repo: Path) -> Iterator[Any]:
    """A consumer repo with an agent module; `write(cases, config=..., watch=...)` sets it up."""
    module = f"evalagent_{next(_names)}"
    (git_repo / f"{module}.py").write_text(AGENT)

    class Project:
        root = git_repo
        agent = f"{module}:run"

        def write(
            self, cases: list[dict[str, Any]], *, config: str | None = None, watch: list[dict[str, Any]] | None = None
        ) -> None:
            directory = git_repo / "evals" / "failures"
            directory.mkdir(parents=True, exist_ok=True)
            header = {
                "schema_version": 1,
                "failure_modes": [
                    "tool_invocation",
                    "retrieval_miss",
                    "hallucination",
                    "multi_turn_drift",
                    "refusal_overreach",
                    "latency_breach",
                    "blast_radius_breach",
                ],
            }
            (directory / "cases.yaml").write_text(yaml.safe_dump({**header, "cases": cases}, sort_keys=False))
            if watch is not None:
                (directory / "watchlist.yaml").write_text(yaml.safe_dump({"schema_version": 1, "cases": watch}))
            if config is None:
                config = f'[tool.failgate]\nagent = "{self.agent}"\njobs = 2\ntimeout_s = 1\n'
            (git_repo / "pyproject.toml").write_text(config)

    yield Project()
    sys.modules.pop(module, None)


GREEN = [
    case(1, "Refund of $49.00 issued for order 8812", [{"contains": "order 8812"}]),
    case(
        2,
        "The policy is 30 days",
        [{"contains": "30 days"}, {"not_contains": "14 days"}],
        mode="retrieval_miss",
        severity="P0",
    ),
    case(
        3,
        "done",
        [{"tool_called": {"name": "lookup_order", "args": {"order_id": "8831"}}}],
        input={"say": "done", "calls": [{"name": "lookup_order", "arguments": {"order_id": "8831"}}]},
        mode="hallucination",
        severity="P2",
    ),
]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_all_green_exits_0_with_the_matrix(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(GREEN)
    code, out, _ = run_cli(capsys)
    assert code == 0, out
    assert re.search(r"^tool_invocation\s+1\s+1\s+0\s+100\.0%$", out, re.M)
    assert re.search(r"^multi_turn_drift\s+0\s+0\s+0\s+-$", out, re.M)  # every taxonomy mode is a row
    assert re.search(r"^total\s+3\s+3\s+0\s+100\.0%$", out, re.M)
    assert re.search(r"^P0\s+1\s+1\s+0$", out, re.M)
    assert "PASS: all 3 gating cases passed" in out


def test_a_failure_exits_1_and_says_why(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        [*GREEN, case(4, "I can't help with that.", [{"not_refused": True}], mode="refusal_overreach", severity="P0")]
    )
    code, out, _ = run_cli(capsys)
    assert code == 1
    assert re.search(r"^refusal_overreach\s+1\s+0\s+1\s+0\.0%  <- red$", out, re.M)
    assert "FAIL AGTFAIL-0004  case 4" in out
    assert "refusal_overreach, P0, customer_visible, evals/failures/cases.yaml:" in out
    assert "- not_refused: expected the final answer not to be a refusal" in out
    assert "FAIL: 1 of 4 gating cases failed" in out


def _scrub(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data, wall_s=0, jobs=0)
    data["cases"] = [dict(c, latency_ms=0) for c in data["cases"]]
    return data


def test_jobs_1_and_jobs_8_give_identical_results(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        case(
            i,
            f"answer {i}" if i % 5 else "wrong",
            [{"contains": f"answer {i}"}],
            input={"say": f"answer {i}" if i % 5 else "wrong", "sleep": 0.01 * (i % 3)},
            mode=["tool_invocation", "retrieval_miss", "hallucination"][i % 3],
            severity=f"P{i % 4}",
        )
        for i in range(1, 31)
    ]
    project.write(cases)
    code1, out1, _ = run_cli(capsys, "--jobs", "1", "--format", "json")
    code8, out8, _ = run_cli(capsys, "--jobs", "8", "--format", "json")
    assert code1 == code8 == 1
    assert _scrub(json.loads(out1)) == _scrub(json.loads(out8))
    assert [c["id"] for c in json.loads(out8)["cases"]] == [f"AGTFAIL-{i:04d}" for i in range(1, 31)]


def test_junit_parses_back(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    deprecated = case(5, "x", [{"contains": "x"}], status="deprecated", deprecated_reason="tool removed")
    project.write(
        [*GREEN, case(4, "nope", [{"contains": "yes"}], mode="hallucination"), deprecated],
        watch=[case(9, "meh", [{"contains": "great"}], mode="hallucination")],
    )
    report = project.root / "reports" / "eval.xml"
    code, out, err = run_cli(capsys, "--format", "junit", "--output", str(report))
    assert code == 1
    assert "FAIL AGTFAIL-0004" in out  # the text matrix still goes to stdout
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "1", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"failgate.tool_invocation", "failgate.retrieval_miss", "failgate.hallucination"}
    failure = root.find(".//testcase[@name='AGTFAIL-0004 case 4']/failure")
    assert failure is not None and "contains: expected the final answer to contain 'yes'" in (failure.text or "")
    case_el = root.find(".//testcase[@name='AGTFAIL-0004 case 4']")
    assert case_el is not None and case_el.get("file") == "evals/failures/cases.yaml" and case_el.get("line")
    watch = root.find(".//testcase[@name='AGTFAIL-0009 case 9']/skipped")
    assert watch is not None and watch.get("message", "").startswith("watchlist case failed (never gates)")


MARKDOWN = """\
## ❌ failgate eval (failures): FAIL: 1 of 2 gating cases failed (the failure set gates at 100%)

| failure mode | cases | passed | failed | pass rate |
|---|---:|---:|---:|---:|
| tool_invocation | 1 | 1 | 0 | 100.0% |
| retrieval_miss ❌ | 1 | 0 | 1 | 0.0% |
| hallucination | 0 | 0 | 0 | - |
| multi_turn_drift | 0 | 0 | 0 | - |
| refusal_overreach | 0 | 0 | 0 | - |
| latency_breach | 0 | 0 | 0 | - |
| blast_radius_breach | 0 | 0 | 0 | - |
| **total** | 2 | 1 | 1 | 50.0% |

| severity | cases | passed | failed |
|---|---:|---:|---:|
| P0 ❌ | 1 | 0 | 1 |
| P1 | 1 | 1 | 0 |
| P2 | 0 | 0 | 0 |
| P3 | 0 | 0 | 0 |

### Failing cases

- **AGTFAIL-0002** case 2: `retrieval_miss`, P0, customer_visible (evals/failures/cases.yaml:LINE)
  - not_contains: expected the final answer not to contain '14 days'; got final answer: '14 days' at char 0: '14 days \\| not 30'

Agent `AGENT`, jobs 2, TIME s; judge `JUDGE`
"""


def test_markdown_snapshot(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        [GREEN[0], case(2, "14 days | not 30", [{"not_contains": "14 days"}], mode="retrieval_miss", severity="P0")]
    )
    code, out, _ = run_cli(capsys, "--format", "markdown")
    assert code == 1
    normalised = re.sub(r"cases\.yaml:\d+", "cases.yaml:LINE", out)
    normalised = re.sub(r"jobs 2, [\d.]+ s; judge `sha256:[0-9a-f]{64}`", "jobs 2, TIME s; judge `JUDGE`", normalised)
    # The report names the interpreter the agent ran in, and how it was chosen.
    assert normalised == MARKDOWN.replace("AGENT", project.agent).replace(
        "`, jobs", f"` in `{sys.executable} (the interpreter failgate runs in)`, jobs"
    )


def test_json_snapshot(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write([GREEN[0]])
    code, out, _ = run_cli(capsys, "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", data["judge"])
    assert data["cases"][0]["judge"].startswith("sha256:")
    assert _scrub(dict(data, judge="J", cases=[dict(c, judge="J") for c in data["cases"]])) == {
        "format": 1,
        "set": "failures",
        "agent": project.agent,
        "python": f"{sys.executable} (the interpreter failgate runs in)",
        "jobs": 0,
        "wall_s": 0,
        "judge": "J",
        "ok": True,
        "pass_rate": 1.0,
        "floor": None,
        "verdict": "PASS: all 1 gating cases passed",
        "matrix": [
            {
                "name": m,
                "cases": int(m == "tool_invocation"),
                "passed": int(m == "tool_invocation"),
                "failed": 0,
                "pass_rate": 1.0 if m == "tool_invocation" else None,
            }
            for m in [
                "tool_invocation",
                "retrieval_miss",
                "hallucination",
                "multi_turn_drift",
                "refusal_overreach",
                "latency_breach",
                "blast_radius_breach",
            ]
        ]
        + [{"name": "total", "cases": 1, "passed": 1, "failed": 0, "pass_rate": 1.0}],
        "severity": [
            {
                "name": s,
                "cases": int(s == "P1"),
                "passed": int(s == "P1"),
                "failed": 0,
                "pass_rate": 1.0 if s == "P1" else None,
            }
            for s in ["P0", "P1", "P2", "P3"]
        ],
        "cases": [
            {
                "id": "AGTFAIL-0001",
                "title": "case 1",
                "failure_mode": "tool_invocation",
                "severity": "P1",
                "blast_radius": "customer_visible",
                "gating": True,
                "source": "cases",
                "outcome": "pass",
                "passes": 1,
                "runs": 1,
                "required": 1,
                "reasons": [],
                "failed_rules": [],
                "latency_ms": 0,
                "judge": "J",
                "location": {"path": "evals/failures/cases.yaml", "line": 11},
            }
        ],
    }


def test_deprecated_skipped_and_watchlist_never_gates(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        [GREEN[0], case(2, "bad", [{"contains": "good"}], status="deprecated", deprecated_reason="gone")],
        watch=[case(3, "bad", [{"contains": "good"}])],
    )
    code, out, _ = run_cli(capsys)
    assert code == 0, out
    assert "skipped: 1 (AGTFAIL-0002: deprecated)" in out
    assert "watchlist (never gates): 0/1 passed" in out
    assert "WATCH AGTFAIL-0003" in out


def test_repeat_reports_k_of_n(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    flaky = case(1, "", [{"equals": "ok"}], input={"flaky": True}, repeat=4, pass_if={"min_pass": 2})
    project.write([flaky], config=f'[tool.failgate]\nagent = "{project.agent}"\njobs = 1\n')
    code, out, _ = run_cli(capsys, "--format", "json")
    result = json.loads(out)["cases"][0]
    assert code == 0 and (result["passes"], result["runs"], result["required"]) == (2, 4, 2)
    code, out, _ = run_cli(capsys, "--repeat", "3")  # pass_if: all is not overridden, min_pass is
    assert code == 0
    flaky.pop("pass_if")
    project.write([flaky], config=f'[tool.failgate]\nagent = "{project.agent}"\njobs = 1\n')
    code, out, _ = run_cli(capsys)
    assert code == 1 and "passed 2/4, needs 4" in out


def test_fixtures_are_handed_over_as_absolute_paths(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        [
            case(1, "", [{"contains": "captured state"}], input={"fixtures": ["fixtures/order.json"]}),
            case(2, "", [{"contains": "x"}], input={"fixtures": ["fixtures/missing.json"]}),
        ]
    )
    (project.root / "evals/failures/fixtures").mkdir()
    (project.root / "evals/failures/fixtures/order.json").write_text("captured state")
    code, out, _ = run_cli(capsys)
    assert code == 1
    assert "FAIL AGTFAIL-0002" in out and "fixture 'fixtures/missing.json' not found" in out
    assert "AGTFAIL-0001" not in out.split("FAIL AGTFAIL-0002")[0].split("total")[1]


def test_filters_and_last_failed(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write([*GREEN, case(4, "nope", [{"contains": "yes"}], severity="P3")])
    assert run_cli(capsys)[0] == 1
    code, out, _ = run_cli(capsys, "--case", "AGTFAIL-0001")
    assert code == 0 and re.search(r"^total\s+1\s+1", out, re.M)
    code, out, _ = run_cli(capsys, "--mode", "retrieval_miss", "--mode", "hallucination")
    assert code == 0 and re.search(r"^total\s+2\s+2", out, re.M)
    code, out, _ = run_cli(capsys, "--severity", "P3")
    assert code == 1 and re.search(r"^total\s+1\s+0\s+1", out, re.M)
    code, out, _ = run_cli(capsys, "--last-failed")
    assert code == 1 and re.search(r"^total\s+1\s+0\s+1", out, re.M) and "AGTFAIL-0004" in out
    from failgate.config import cache_location

    assert (cache_location(project.root) / ".gitignore").is_file()
    code, _, err = run_cli(capsys, "--case", "AGTFAIL-0404")
    assert code == 2 and "no case AGTFAIL-0404" in err
    code, _, err = run_cli(capsys, "--mode", "vibes")
    assert code == 2 and "unknown failure mode vibes" in err
    # Fixed: --last-failed now runs it and it passes; then nothing is left to rerun.
    project.write([*GREEN, case(4, "yes", [{"contains": "yes"}], severity="P3")])
    assert run_cli(capsys, "--last-failed")[0] == 0
    code, out, _ = run_cli(capsys, "--last-failed")
    assert code == 0 and "nothing failed last time" in out


def test_agent_overrides_and_recorded_outputs(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(GREEN[:1])
    (project.root / "other_agent_mod.py").write_text("def run(inp):\n    return 'something else'\n")
    try:
        code, out, _ = run_cli(capsys, "--agent", "other_agent_mod:run")
        assert code == 1 and "other_agent_mod:run" in out
    finally:
        sys.modules.pop("other_agent_mod", None)
    worker = project.root / "w.py"
    worker.write_text(
        "import json, sys\nfor l in sys.stdin:\n    r = json.loads(l)\n"
        "    print(json.dumps({'id': r['id'], 'output': r['input']['say']}), flush=True)\n"
    )
    code, out, _ = run_cli(capsys, "--agent-command", f"{sys.executable} {worker}")
    assert code == 0, out
    recorded = project.root / "runs.jsonl"
    recorded.write_text(json.dumps({"id": "AGTFAIL-0001", "output": "order 8812 it is"}) + "\n")
    assert run_cli(capsys, "--recorded", str(recorded))[0] == 0


def test_github_annotations_at_the_case_line(
    project: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write([GREEN[0], case(2, "nope", [{"contains": "yes"}])])
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_cli(capsys)
    line = next(
        i
        for i, text in enumerate((project.root / "evals/failures/cases.yaml").read_text().splitlines(), 1)
        if "AGTFAIL-0002" in text
    )
    assert code == 1
    assert f"::error file=evals/failures/cases.yaml,line={line},title=failgate AGTFAIL-0002::" in out


def test_timeout_fails_the_case_and_the_run_goes_on(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write([case(1, "late", [{"contains": "late"}], input={"say": "late", "sleep": 3}), GREEN[0]])
    code, out, _ = run_cli(capsys, "--timeout", "0.3")
    assert code == 1 and "agent timed out after 0.3 s" in out
    assert re.search(r"^total\s+2\s+1\s+1", out, re.M)


def test_set_with_a_floor(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        GREEN,
        config=f'[tool.failgate]\nagent = "{project.agent}"\n\n'
        '[tool.failgate.sets.aggregate]\npath = "evals/aggregate/cases.yaml"\nfloor = 0.5\n',
    )
    (project.root / "evals/aggregate").mkdir(parents=True)
    (project.root / "evals/aggregate/cases.yaml").write_text(
        yaml.safe_dump({"schema_version": 1, "cases": [GREEN[0], case(7, "no", [{"contains": "yes"}])]})
    )
    code, out, _ = run_cli(capsys, "--set", "aggregate")
    assert code == 0 and "PASS: pass rate 50.0% >= floor 50.0%" in out
    code, _, err = run_cli(capsys, "--set", "nope")
    assert code == 2 and "unknown set 'nope'; configured sets: failures, aggregate" in err


# -- configuration errors -----------------------------------------------------------
@pytest.mark.parametrize(
    "config,where,message",
    [
        ('[tool.failgate]\nagent = "x:run"\ntimout_s = 5\n', 3, "unknown key 'timout_s'"),
        ('[tool.failgate]\nagent = "x:run"\n\njobs = "8"\n', 4, "jobs must be an integer from 1 to 256, got '8'"),
        ('[tool.failgate]\nagent = "not a ref"\n', 2, 'agent must be "package.module:function"'),
        (
            '[tool.failgate]\nagent = "x:run"\n[tool.failgate.sets.agg]\nfloor = 2\n',
            4,
            "floor must be a number between 0 and 1",
        ),
        ('[tool.failgate]\nagent = "x:run"\n[tool.failgate.sets.agg]\nfloor = 0.9\n', 3, "needs a 'path' key"),
        ('[tool.failgate]\nagent = "x:run"\njudge = { refusal_patterns = ["("] }\n', 3, "valid regular expressions"),
        ('[tool.failgate]\nagent = "x:run"\nagent_command = "w"\n', 3, "not both"),
        ("[tool.failgate]\nagent = \n", 2, "invalid TOML"),
    ],
)
def test_config_errors_exit_2_with_file_and_line(
    project: Any, capsys: pytest.CaptureFixture[str], config: str, where: int, message: str
) -> None:
    project.write(GREEN, config=config)
    code, _, err = run_cli(capsys)
    assert code == 2
    assert f"pyproject.toml:{where}" in err and message in err, err
    assert "Traceback" not in err


def test_failgate_toml_and_open_sections(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(GREEN, config="")
    (project.root / "pyproject.toml").unlink()
    (project.root / "failgate.toml").write_text(
        f'agent = "{project.agent}"\n[gate]\nmode = "advisory"\n[intake]\nmax_candidates = 10\n[judge]\nextra_refusal_patterns = ["nope"]\n'
    )
    assert run_cli(capsys)[0] == 0
    (project.root / "failgate.toml").write_text(f'agent = "{project.agent}"\njobz = 1\n')
    code, _, err = run_cli(capsys)
    assert code == 2 and "failgate.toml:2" in err


def test_no_agent_configured_is_exit_2(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(GREEN, config="[tool.failgate]\njobs = 2\n")
    code, _, err = run_cli(capsys)
    assert code == 2 and "no agent configured" in err
