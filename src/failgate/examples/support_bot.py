"""A small deterministic support bot: the agent the bundled example dataset runs against.

No network, no model: keyword rules over a conversation, four tools
(`lookup_order`, `issue_refund`, `send_email`, `update_address`) and a tiny
retrieval index over policy snippets. It is the "team's agent" of `failgate
demo`: every active case of `examples/support-bot/cases.yaml` passes against it.

`FAILGATE_DEMO_BUG=<name>` reintroduces one past bug, so the demo can show the
gate going red in exactly one failure mode:

| bug              | what comes back                                         | mode that goes red   |
|------------------|---------------------------------------------------------|----------------------|
| double-refund    | gateway-timeout retry without idempotency key           | tool_invocation      |
| stale-policy     | retrieval index built from the March policy snapshot    | retrieval_miss       |
| ungrounded       | answers from "memory" when the tools have no answer     | hallucination        |
| forget-context   | only the latest user message is kept between turns      | multi_turn_drift     |
| overcautious     | the old keyword safety filter (chargeback, fire, data)  | refusal_overreach    |
| no-cache         | no order-lookup cache: each lookup costs 4.5 s          | latency_breach       |
| no-guardrails    | refund limit, ownership and shipped-order checks skipped | blast_radius_breach |

Callable: `run(input) -> {"output", "tool_calls", "turns", "latency_ms"}`.
Worker: `python -m failgate.examples.support_bot --worker` answers one JSON
line `{"id", "input"}` with one line `{"id", ...response}`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUG_ENV = "FAILGATE_DEMO_BUG"
BUGS = (
    "double-refund",
    "stale-policy",
    "ungrounded",
    "forget-context",
    "overcautious",
    "no-cache",
    "no-guardrails",
)
DATASET_DIR = Path(__file__).parent / "support-bot"
REFUND_LIMIT = 500.0

ORDERS: dict[str, dict[str, Any]] = {
    "8812": {
        "customer": "C-1042",
        "item": "Trail Runner 2 shoes",
        "status": "delivered",
        "delivered_on": "April 20",
        "total": 49.0,
        "refunded": 0.0,
    },
    "8815": {
        "customer": "C-2210",
        "item": "Noise-cancelling headphones",
        "status": "in_transit",
        "carrier": "DHL",
        "eta": "May 14",
        "tracking": "JD014600003828",
        "address": "14 Harbour Road",
        "total": 199.0,
        "refunded": 0.0,
    },
    "8820": {
        "customer": "C-1042",
        "item": "Rain shell jacket",
        "status": "delivered",
        "delivered_on": "April 22",
        "total": 89.0,
        "refunded": 0.0,
    },
    "8831": {"customer": "C-5120", "item": "Camping stove", "status": "label_created", "total": 64.0, "refunded": 0.0},
    "9001": {
        "customer": "C-0877",
        "item": '55" TV',
        "status": "delivered",
        "delivered_on": "April 18",
        "total": 1250.0,
        "refunded": 0.0,
    },
}


@dataclass(frozen=True)
class Snippet:
    key: str
    keywords: frozenset[str]
    text: str


def _snippet(key: str, keywords: str, text: str) -> Snippet:
    return Snippet(key, frozenset(keywords.split()), text)


# Order breaks ties in retrieval: the first best-scoring snippet wins.
POLICY_INDEX = (
    _snippet(
        "refund-policy",
        "refund refunds return returns window long days money",
        "You can return items within 30 days of delivery for a full refund to the original payment method. "
        "Refunds appear within 5-7 business days.",
    ),
    _snippet(
        "international-returns",
        "uk international outside abroad pay cost return shipping",
        "Customers outside the EU pay return shipping unless the item is faulty; "
        "for faulty items we email a prepaid label.",
    ),
    _snippet(
        "shipping",
        "ship shipping deliver delivery countries express standard",
        "We ship to the EU, UK and US. Standard shipping takes 3-5 business days; express takes 1-2.",
    ),
    _snippet(
        "warranty",
        "warranty guarantee guaranteed covered cover defect defects battery",
        "Electronics carry a 2-year limited warranty covering manufacturing defects; accidental damage is not covered.",
    ),
    _snippet(
        "price-match",
        "price match cheaper competitor amazon",
        "We do not price match. If the price of an item drops within 7 days of purchase, "
        "we refund the difference as store credit.",
    ),
)
# The index as it was before the 2026-04-29 re-index (AGTFAIL-0002, -0012, -0023):
# the 14-day window, no international-returns page, no synonyms on warranty.
STALE_POLICY_INDEX = (
    _snippet(
        "refund-policy",
        "refund refunds return returns window long days money",
        "You can return items within 14 days of delivery for a full refund to the original payment method. "
        "Refunds appear within 5-7 business days.",
    ),
    POLICY_INDEX[2],
    _snippet(
        "warranty",
        "warranty defect defects",
        "Electronics carry a 2-year limited warranty covering manufacturing defects; accidental damage is not covered.",
    ),
    POLICY_INDEX[4],
)

REFUSAL = "I'm sorry, but I can't help with that."
ASK_ORDER = "Which order is this about? Could you share the order number?"
ESCALATED = "a team lead will contact you within one business day"
_ORDER_ID = re.compile(r"\b(\d{4})\b")
_WORD = re.compile(r"[a-z0-9]+")
_ADDRESS = re.compile(r"\bto (\d+ [A-Z][\w ]+?)\.?$")


@dataclass
class Conversation:
    """Per-run state. `focus` is the order being discussed, `pending` a refund offered and awaiting a yes."""

    bug: str | None
    orders: dict[str, dict[str, Any]]
    customer: str | None = None
    focus: str | None = None
    pending: str | None = None
    escalated: bool = False
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: int = 150

    # -- tools -------------------------------------------------------------
    def call(self, name: str, **arguments: Any) -> None:
        self.tool_calls.append({"name": name, "arguments": arguments})
        self.latency_ms += 4500 if (name == "lookup_order" and self.bug == "no-cache") else 60

    def lookup(self, order_id: str) -> dict[str, Any] | None:
        self.call("lookup_order", order_id=order_id)
        return self.orders.get(order_id)

    def refund(self, order_id: str, order: dict[str, Any]) -> str:
        amount = round(order["total"] - order["refunded"], 2)
        if amount <= 0:
            return f"Order {order_id} has already been refunded in full."
        if amount > REFUND_LIMIT and self.bug != "no-guardrails":
            self.call("send_email", to="refund-approvals", template="approval_request", order_id=order_id)
            return (
                f"A refund of {_money(amount)} for order {order_id} needs approval from a supervisor because it "
                f"is above our {_money(REFUND_LIMIT)} limit. I've sent the request; you'll hear back within one "
                "business day."
            )
        self.call("issue_refund", order_id=order_id, amount=amount)
        if self.bug == "double-refund":
            # The gateway timed out and the client retried without an idempotency key.
            self.call("issue_refund", order_id=order_id, amount=amount)
        previously = order["refunded"]
        order["refunded"] = order["total"]
        self.call("send_email", to="customer", template="refund_confirmation", order_id=order_id)
        note = f" (the remaining balance; {_money(previously)} was refunded earlier)" if previously else ""
        return (
            f"Refund of {_money(amount)} issued for order {order_id}{note}. It will appear on your original "
            "payment method within 5-7 business days; I've emailed you a confirmation."
        )

    def retrieve(self, text: str) -> Snippet | None:
        self.latency_ms += 40
        index = STALE_POLICY_INDEX if self.bug == "stale-policy" else POLICY_INDEX
        words = set(_WORD.findall(text))
        best, best_score = None, 0
        for snippet in index:
            score = len(words & snippet.keywords)
            if score > best_score:
                best, best_score = snippet, score
        return best

    # -- one user turn -----------------------------------------------------
    def reply(self, text: str) -> str:
        low = text.lower()
        ids = _ORDER_ID.findall(text)
        if ids:
            self.focus = ids[-1] if len(ids) == 1 else self.focus

        if self.bug == "overcautious" and any(w in low for w in ("chargeback", "fire", "data")):
            return REFUSAL
        if "delete my account" in low:
            return (
                "You can delete your account under Settings > Privacy. We erase your personal data within 30 "
                "days of the request."
            )
        if "what data" in low:
            return (
                "We keep your name, contact details, delivery addresses and order history to run your orders. "
                "You can download a copy or ask us to erase it under Settings > Privacy."
            )
        if ids and self._not_theirs(ids[0], low):
            return (
                "I'm sorry, but I can't share details of another customer's order. If they ask us themselves, "
                "we can arrange a pickup with them directly."
            )
        if any(w in low for w in ("manager", "supervisor", "speak to someone")):
            return self._escalate(ids)
        if "address" in low and "change" in low:
            return self._change_address(text, ids)
        if self._wants_refund(low):
            return self._refund_turn(ids)
        if any(w in low for w in ("damaged", "broken", "cracked")) and ids:
            order = self.lookup(ids[0])
            if order is None:
                return self._unknown(ids[0])
            self.pending = ids[0]
            amount = order["total"] - order["refunded"]
            return (
                f"I'm sorry order {ids[0]} arrived damaged. I can refund {_money(amount)} to your original "
                "payment method. Shall I go ahead?"
            )
        if "recent orders" in low:
            return self._history()
        if "went through" in low:
            if self.focus and self.orders.get(self.focus, {}).get("refunded"):
                order = self.orders[self.focus]
                return (
                    f"Yes: the refund of {_money(order['refunded'])} for order {self.focus} went through. "
                    "It will appear within 5-7 business days."
                )
            return ASK_ORDER
        if any(w in low for w in ("where", "status", "arrive", "tracking", "carrier", "delivered", "on its way")):
            targets = ids or ([self.focus] if self.focus else [])
            if not targets:
                return ASK_ORDER
            return " ".join(self._status(order_id) for order_id in targets)
        if ids:
            order = self.lookup(ids[0])
            return f"I've found order {ids[0]}. What would you like to know?" if order else self._unknown(ids[0])
        return self._policy(text, low)

    def _not_theirs(self, order_id: str, low: str) -> bool:
        if self.bug == "no-guardrails":
            return False
        if "neighbour" in low or "someone else" in low:
            return True
        owner = self.orders.get(order_id, {}).get("customer")
        return bool(self.customer and owner and owner != self.customer)

    def _wants_refund(self, low: str) -> bool:
        if "refund" not in low:
            return False
        if any(w in low for w in ("policy", "how long", "went through")):
            return False
        return any(w in low for w in ("refund it", "refund order", "please refund", "refund the", "go ahead"))

    def _refund_turn(self, ids: list[str]) -> str:
        order_id = ids[0] if ids else (self.pending or self.focus)
        if order_id is None:
            return ASK_ORDER
        order = self.lookup(order_id)
        if order is None:
            return self._unknown(order_id)
        self.pending = None
        return self.refund(order_id, order)

    def _escalate(self, ids: list[str]) -> str:
        order_id = ids[0] if ids else self.focus
        self.call("send_email", to="support-leads", template="escalation", order_id=order_id)
        self.escalated = True
        text = f"I'm sorry about the trouble. I've escalated this, and {ESCALATED}."
        if order_id:
            text += " " + self._status(order_id)
        return text

    def _change_address(self, text: str, ids: list[str]) -> str:
        order_id = ids[0] if ids else self.focus
        if order_id is None:
            return ASK_ORDER
        order = self.lookup(order_id)
        if order is None:
            return self._unknown(order_id)
        match = _ADDRESS.search(text.strip())
        new_address = match.group(1) if match else None
        if order["status"] in ("in_transit", "delivered") and self.bug != "no-guardrails":
            return (
                f"Order {order_id} has already shipped, so its delivery address can no longer be changed here. "
                f"You can ask {order.get('carrier', 'the carrier')} to redirect it with the tracking number."
            )
        if new_address is None:
            return "What is the new delivery address?"
        self.call("update_address", order_id=order_id, address=new_address)
        order["address"] = new_address
        return f"Done: order {order_id} will now be delivered to {new_address}."

    def _status(self, order_id: str) -> str:
        order = self.lookup(order_id)
        if order is None:
            return self._unknown(order_id)
        status = order["status"]
        if status == "delivered":
            return f"Order {order_id} was delivered on {order['delivered_on']}."
        if status == "in_transit":
            return (
                f"Order {order_id} is on its way with {order['carrier']} and should arrive on {order['eta']} "
                f"(tracking number {order['tracking']})."
            )
        if status == "label_created":
            if self.bug == "ungrounded":
                return f"Order {order_id} has shipped. Tracking number: 1Z{order_id}0A4410."
            return (
                f"Order {order_id} has a shipping label but no carrier scan yet, so there is no tracking number "
                "yet. We'll email it to you as soon as the parcel is scanned."
            )
        return f"Order {order_id} is being prepared and has not shipped yet."

    def _unknown(self, order_id: str) -> str:
        if self.bug == "ungrounded":
            return f"Order {order_id} has shipped and should arrive in 3-5 business days."
        return f"I couldn't find order {order_id}. Could you check the number on your confirmation email?"

    def _history(self) -> str:
        if not self.customer:
            return "Could you sign in first, so I can see your orders?"
        self.call("lookup_order", customer_id=self.customer)
        mine = sorted(oid for oid, order in self.orders.items() if order.get("customer") == self.customer)
        if not mine:
            return "I couldn't find any orders on your account."
        listed = "; ".join(
            f"{oid}: {self.orders[oid]['item']} ({self.orders[oid]['status'].replace('_', ' ')})" for oid in mine
        )
        return f"Your recent orders: {listed}."

    def _policy(self, text: str, low: str) -> str:
        if self.bug == "ungrounded" and "match" in low:
            return "Sure, I've matched that price: the difference will be refunded to your card."
        snippet = self.retrieve(text)
        if snippet is None:
            return "I couldn't find a policy that answers this; I've passed your question to our team."
        answer = snippet.text
        if any(w in low for w in ("hot", "smoke", "fire")):
            answer = "Please stop using them and keep them away from anything flammable. " + answer
        return answer


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _fixture_paths(path: str, extra_dirs: Iterable[Path]) -> Iterable[Path]:
    candidate = Path(path)
    if candidate.is_absolute():
        yield candidate
        return
    yield Path.cwd() / candidate
    for base in extra_dirs:
        yield base / candidate


def _load_fixtures(case_input: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Captured order state named by `input.fixtures`. The runner may hand us
    absolute paths, or paths relative to the dataset directory (tried from the
    working directory, a `dataset_dir` key, and the bundled example)."""
    orders: dict[str, dict[str, Any]] = {}
    dirs = [Path(case_input["dataset_dir"])] if isinstance(case_input.get("dataset_dir"), str) else []
    dirs.append(DATASET_DIR)
    for item in case_input.get("fixtures") or []:
        if isinstance(item, dict):  # already loaded by the runner
            orders.update(item.get("orders", {}))
            continue
        for candidate in _fixture_paths(str(item), dirs):
            if candidate.is_file():
                orders.update(json.loads(candidate.read_text(encoding="utf-8")).get("orders", {}))
                break
    return orders


def _user_messages(case_input: dict[str, Any]) -> list[str]:
    messages = case_input.get("messages")
    if isinstance(messages, list):
        return [str(m.get("content", "")) for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    for key in ("message", "prompt", "text"):
        if isinstance(case_input.get(key), str):
            return [case_input[key]]
    return []


def run(case_input: dict[str, Any]) -> dict[str, Any]:
    """Answer one case's input: every user message is a turn, replied to in order."""
    bug = os.environ.get(BUG_ENV) or None
    orders = copy.deepcopy(ORDERS)
    orders.update(copy.deepcopy(_load_fixtures(case_input)))
    customer = case_input.get("customer_id")
    convo = Conversation(bug=bug, orders=orders, customer=customer if isinstance(customer, str) else None)
    turns: list[str] = []
    for text in _user_messages(case_input):
        if bug == "forget-context":
            # The context-window trim that kept only the latest message (AGTFAIL-0007).
            convo.focus = convo.pending = None
        turns.append(convo.reply(text))
    return {
        "output": turns[-1] if turns else "",
        "tool_calls": convo.tool_calls,
        "turns": turns,
        "latency_ms": convo.latency_ms,
    }


def worker(stdin: Any = None, stdout: Any = None) -> int:
    """JSON-lines worker: one request per line in, one response per line out."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            response: dict[str, Any] = {"id": request_id, **run(request.get("input") or {})}
        except Exception as exc:  # a bad request fails its case, not the worker
            response = {"id": request_id, "error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(response) + "\n")
        stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--worker"]:
        return worker()
    if args and args[0] == "--say":
        print(json.dumps(run({"messages": [{"role": "user", "content": t} for t in args[1:]]}), indent=2))
        return 0
    print("usage: python -m failgate.examples.support_bot --worker | --say MESSAGE...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
