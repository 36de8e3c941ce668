"""Write the `rule` block of schemas/cases.schema.json from the rule kinds.

    python scripts/rule_schema.py          # rewrite the block
    python scripts/rule_schema.py --check  # exit 1 when the committed file drifted

Each rule kind is declared once, in `failgate.eval.judge.kinds`; the schema file stays
committed because editors and SchemaStore read it, so it is written from there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "cases.schema.json"


def expected_text(current: str) -> str:
    from failgate.eval.judge.kinds import rule_schema

    schema = json.loads(current)
    schema["definitions"]["rule"] = rule_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    current = SCHEMA.read_text(encoding="utf-8")
    wanted = expected_text(current)
    if "--check" in argv:
        if wanted != current:
            print(f"{SCHEMA}: the rule block differs from failgate.eval.judge.kinds; run python {__file__}")
            return 1
        return 0
    if wanted != current:
        SCHEMA.write_text(wanted, encoding="utf-8")
        print(f"rewrote the rule block of {SCHEMA}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
