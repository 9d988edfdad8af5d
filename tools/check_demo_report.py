"""Check a `rpmw demo` report against the pipeline's safety invariants and, when the input
file carries labels (`acceptable_intents`, `intent` or `expected_intent`), report accuracy on labelled rows.

Usage: python tools/check_demo_report.py REPORT.json [INPUT.jsonl]
Exits 1 when an invariant is broken.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

VERIFIED_MATCHES = {"richpanel_link", "order_number_and_contact", "email_only"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def check(report: dict[str, Any], labels: dict[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
    rows = report["conversations"]
    problems: list[str] = []
    if report["processed"] != report["messages"]:
        problems.append(f"processed {report['processed']} of {report['messages']}")
    if report["failed"] or report["dead_lettered"]:
        problems.append(f"failed {report['failed']}, dead-lettered {report['dead_lettered']}")
    for row in rows:
        routes = [tag for tag in row["tags"] if tag.startswith("route-")]
        if len(routes) != 1:
            problems.append(f"{row['input_id']}: {len(routes)} route tags")
        if row["replies"] > 1:
            problems.append(f"{row['input_id']}: {row['replies']} replies")
        if row["tier"] == 0 and row["replies"]:
            problems.append(f"{row['input_id']}: Tier 0 conversation got a reply")
        if row.get("closed") and (row["tier"] != 2 or not row["replies"]):
            problems.append(f"{row['input_id']}: closed without a Tier 2 reply")
        match = row.get("order_match") or {}
        if row["tier"] == 2 and match.get("method") not in VERIFIED_MATCHES:
            problems.append(f"{row['input_id']}: Tier 2 without a deterministic order match")
        text = row.get("reply_text") or ""
        if EMAIL.search(text) or "{{" in text or "None" in text:
            problems.append(f"{row['input_id']}: reply text has an e-mail, a placeholder or None")
    labelled = [row for row in rows if labels.get(str(row["input_id"]))]
    correct = sum(1 for row in labelled if row["primary_intent"] in labels[str(row["input_id"])])
    figures = {
        "messages": report["messages"],
        "processed": report["processed"],
        "failed": report["failed"],
        "dead_lettered": report["dead_lettered"],
        "replies": sum(row["replies"] for row in rows),
        "max_replies_per_conversation": max((row["replies"] for row in rows), default=0),
        "tier0_conversations": sum(1 for row in rows if row["tier"] == 0),
        "verified_replies": sum(1 for row in rows if row["tier"] == 2 and row["replies"]),
        "closed": sum(1 for row in rows if row.get("closed")),
        "tier0_replies": sum(row["replies"] for row in rows if row["tier"] == 0),
        "labelled_rows": len(labelled),
        "accuracy_on_labelled": round(correct / len(labelled), 4) if labelled else None,
    }
    return figures, problems


def load_labels(path: Path) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        single = row.get("intent") or row.get("expected_intent")
        accepted = row.get("acceptable_intents") or ([single] if single else [])
        if row.get("id") is not None and accepted:
            labels[str(row["id"])] = list(accepted)
    return labels


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    labels = load_labels(Path(argv[2])) if len(argv) == 3 else {}
    figures, problems = check(report, labels)
    print(json.dumps(figures, indent=2))
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
