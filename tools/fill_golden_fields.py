"""Fill the derived fields of golden rows (`destination_team`, `template_id`) from config.

Writers label intent, tier and channel; the team and template follow from the routing map
and the template catalog, so this tool derives them instead of asking people to copy them.
Rows are rewritten in `golden_example_v1` field order.

Usage: python tools/fill_golden_fields.py eval/golden/*.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent
from richpanel_middleware.eval.golden import GOLDEN_FIELD_ORDER
from richpanel_middleware.policy.config import REPLY_CHANNELS


def fill(row: dict[str, Any]) -> dict[str, Any]:
    policy = load_app_config().policy
    routing = policy.routing
    intent = Intent(row["primary_intent"])
    team = routing.intents[intent].team
    if row["channel"] in routing.channel_teams and intent in routing.generic_intents:
        team = routing.channel_teams[row["channel"]]
    template = routing.intents[intent].template
    entry = policy.catalog.get(template) if template else None
    replies_possible = (
        row["max_tier"] > 0
        and intent not in TIER0_INTENTS
        and row["channel"] in REPLY_CHANNELS
        and entry is not None
        and entry.enabled
    )
    filled = {
        **row,
        "destination_team": team,
        "template_id": template if replies_possible else None,
    }
    return {key: filled[key] for key in GOLDEN_FIELD_ORDER}


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        path.write_text(
            "".join(json.dumps(fill(row), ensure_ascii=False) + "\n" for row in rows),
            encoding="utf-8",
        )
        print(f"{path}: {len(rows)} rows filled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
