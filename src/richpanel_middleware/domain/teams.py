"""Team names and the slugs used in `route-<team-slug>` tags."""

from __future__ import annotations

import re

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def team_slug(team: str) -> str:
    """Turn a team name into a kebab-case slug ("Chargebacks / Disputes Team" -> "chargebacks-disputes-team").

    Raises ValueError when the name has no letters or digits, because an empty slug
    would produce the tag `route-`, which no assignment rule can match.
    """
    slug = _NON_ALNUM.sub("-", team.lower()).strip("-")
    if not slug:
        raise ValueError(f"team name {team!r} has no letters or digits; give the team a real name")
    return slug
