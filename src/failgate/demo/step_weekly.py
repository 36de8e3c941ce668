"""Demo step: the weekly cycle. Pull the week's failures from a real Phoenix, route a P0 flip,
and show the comment the Action would post on the pull request.

1. With Arize Phoenix installed (`FAILGATE_PHOENIX` naming its executable, or `phoenix` on
   PATH; it needs its own venv), a `phoenix serve` on 127.0.0.1 receives the shop's traces
   through its own OTLP endpoint, and `failgate ingest --from phoenix+...` pulls the failed
   ones of the last 7 days. Without it, this part says how to get it and is skipped.
2. main routes P0 cases to a webhook (`[tool.failgate.notify]`, here a receiver on
   127.0.0.1); a branch that brings the double refund back runs `gate --notify`.
3. The gate's Markdown report becomes the pull-request comment body.
Runs after the gate step (and runs it first when asked for on its own).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from failgate.demo.context import DemoContext, DemoFailure

BRANCH = "weekly-double-refund"
TRACES = r"""
import json, sys
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode, set_span_in_context

provider = TracerProvider(resource=Resource({"openinference.project.name": "shop"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1] + "/v1/traces")))
tracer = provider.get_tracer("shop-agent")
for question, error in [
    ("Cancel order 5521, my email is ann@example.com", "orders-api: gateway timeout"),
    ("Where is my parcel 1Z999AA10123456784?", None),
    ("Refund order 8812 again please", "payments: duplicate refund blocked"),
]:
    root = tracer.start_span("shop-agent")
    root.set_attribute("openinference.span.kind", "AGENT")
    root.set_attribute("input.value", json.dumps({"messages": [{"role": "user", "content": question}]}))
    tool = tracer.start_span("issue_refund", context=set_span_in_context(root))
    tool.set_attribute("openinference.span.kind", "TOOL")
    tool.set_attribute("tool.name", "issue_refund")
    tool.set_attribute("input.value", json.dumps({"order_id": "8812"}))
    tool.set_status(Status(StatusCode.ERROR, error) if error else Status(StatusCode.OK))
    tool.end()
    root.set_attribute("output.value", "Sorry, something went wrong." if error else "It arrives Tuesday.")
    root.set_status(Status(StatusCode.OK))
    root.end()
provider.shutdown()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _phoenix() -> Path | None:
    found = os.environ.get("FAILGATE_PHOENIX") or shutil.which("phoenix")
    return Path(found) if found and Path(found).exists() else None


def _pull_from_phoenix(ctx: DemoContext) -> None:
    executable = _phoenix()
    if executable is None:
        ctx.say(
            "Arize Phoenix is not installed here, so the store pull is skipped. To see it: "
            "`python -m venv phx && phx/bin/pip install arize-phoenix`, then FAILGATE_PHOENIX=phx/bin/phoenix."
        )
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = ctx.root / "phoenix"
    workdir.mkdir(exist_ok=True)
    env = {
        **ctx.env,
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(_free_port()),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    with (workdir / "server.log").open("wb") as log:
        server = subprocess.Popen([str(executable), "serve"], cwd=workdir, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v1/projects", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise DemoFailure(f"phoenix serve did not start; see {workdir / 'server.log'}") from None
                time.sleep(0.5)
        ctx.say(f"A real Phoenix is up at {url}; the shop agent's traces arrive through its OTLP endpoint.")
        python = executable.parent / "python"
        ctx.run([str(python), "-c", TRACES, url], show=False, cwd=workdir)
        ctx.say("`failgate ingest --from` pulls the week's failed traces: status ERROR, in Phoenix's own query.")
        result = ctx.failgate("ingest", "--from", f"phoenix+{url}?project=shop")
        ctx.expect_in("failed", result)
        ctx.expect_in("wrote evals/failures/_intake/", result)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


class _Receiver:
    """A webhook on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        received: list[Any] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/failgate"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(ctx: DemoContext) -> None:
    from failgate.demo import step_gate
    from failgate.pullrequest.comment import comment_body

    if step_gate.BRANCH not in ctx.git("branch", "--list", step_gate.BRANCH).stdout:
        step_gate.run(ctx)
    ctx.git("checkout", "-q", "main")
    _pull_from_phoenix(ctx)
    ctx.git("checkout", "-q", "--", ".")
    ctx.git("clean", "-qfd", "evals/failures/_intake")
    receiver = _Receiver()
    try:
        toml = ctx.repo / "failgate.toml"
        toml.write_text(toml.read_text() + f'\n[notify.sinks.page]\nkind = "webhook"\nurl = "{receiver.url}"\n')
        ctx.git("commit", "-q", "--no-verify", "-am", "route P0 cases to the on-call webhook")
        ctx.say(
            "main routes red cases by severity and blast radius ([tool.failgate.notify], read from the base "
            "like all policy): a P0 or an irreversible write pages. A branch brings the double refund back."
        )
        ctx.git("checkout", "-q", "-b", BRANCH)
        # Flip the switch in the agent as the earlier steps left it (its other behaviour, e.g. the
        # sampled product answers, stays what main has).
        agent = ctx.repo / "shop_agent.py"
        agent.write_text(agent.read_text().replace("FAST_RETRY = False", "FAST_RETRY = True"))
        ctx.git("commit", "-q", "--no-verify", "-am", "faster refunds, again")
        report = ctx.root / "gate-comment.md"
        result = ctx.failgate("gate", "--base", "main", "--notify", "--format", "markdown", "-o", str(report), expect=1)
        ctx.expect_in("notify: sent page: AGTFAIL-0001", result)
        if len(receiver.received) != 1 or receiver.received[0]["cases"][0]["severity"] != "P0":
            raise DemoFailure(f"the webhook did not receive the P0 flip: {receiver.received}")
        case = receiver.received[0]["cases"][0]
        ctx.say(
            f"The webhook received one message: {case['id']} ({case['severity']}, {case['blast_radius']}, "
            f"owner {case['owner']}), first failing rule: {case['first_failing_rule']}."
        )
        body = comment_body(
            report.read_text(encoding="utf-8"), "https://github.com/OWNER/REPO/actions/runs/1#artifacts"
        )
        ctx.say("On the pull request, the Action posts this as one comment and updates it on every push:")
        if ctx.verbose:
            print("\n".join("    " + line for line in body.splitlines()[:30]))
        if "<!-- failgate:gate-report -->" not in body or "AGTFAIL-0001" not in body:
            raise DemoFailure("the comment body does not name the flip")
    finally:
        receiver.close()
        ctx.git("checkout", "-q", "main")
