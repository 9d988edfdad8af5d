"""Typed policy configuration: routing map, thresholds, runtime flags and loop guards.

These models contain the settings of the YAML files under `config/`. They validate shape and
ranges; `richpanel_middleware.configuration` reads the files and reports errors by file
and key.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from richpanel_middleware.domain.events import Channel
from richpanel_middleware.domain.intents import Intent

CHANNELS = frozenset(channel.value for channel in Channel)
# Channels where Richpanel's send-message is known to reach the customer. Social, TikTok and
# phone conversations are route-only whatever the flags contain.
REPLY_CHANNELS = frozenset({Channel.EMAIL.value, Channel.CHAT.value})


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamConfig(_Config):
    name: str = Field(min_length=1)
    assignee_id: str | None = None


class IntentRoute(_Config):
    team: str = Field(min_length=1)
    template: str | None


class RoutingMap(_Config):
    version: Literal[1]
    triage_team: str
    fallback_team: str
    teams: list[TeamConfig] = Field(min_length=1)
    intents: dict[Intent, IntentRoute]
    channel_teams: dict[str, str] = Field(default_factory=dict)
    generic_intents: list[Intent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_complete(self) -> Self:
        missing = [intent.value for intent in Intent if intent not in self.intents]
        if missing:
            raise ValueError(
                f"intents: no route for {', '.join(missing)}; add one entry per intent"
            )
        names = self.team_names
        for key in ("triage_team", "fallback_team"):
            team = getattr(self, key)
            if team not in names:
                raise ValueError(f"{key}: team {team!r} is not listed under teams")
        for channel, team in self.channel_teams.items():
            if team not in names:
                raise ValueError(
                    f"channel_teams.{channel}: team {team!r} is not listed under teams"
                )
        return self

    @property
    def team_names(self) -> frozenset[str]:
        return frozenset(team.name for team in self.teams)

    def assignee_of(self, team: str) -> str | None:
        return next((t.assignee_id for t in self.teams if t.name == team), None)


class MarginPenalty(_Config):
    below: float = Field(ge=0.0, le=1.0)
    penalty: float = Field(ge=0.0, le=1.0)


class ShortMessagePenalty(_Config):
    words_below: int = Field(ge=0)
    penalty: float = Field(ge=0.0, le=1.0)


class SeveralStrongPenalty(_Config):
    score_min: float = Field(ge=0.0, le=1.0)
    count_min: int = Field(ge=2)
    penalty: float = Field(ge=0.0, le=1.0)


class Penalties(_Config):
    narrow_margin: MarginPenalty
    short_message: ShortMessagePenalty
    several_strong: SeveralStrongPenalty


class RoutingThresholds(_Config):
    team_min: float = Field(ge=0.0, le=1.0)
    uncertain_min: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.uncertain_min > self.team_min:
            raise ValueError("uncertain_min must not exceed team_min")
        return self


class IntentOverride(_Config):
    team_min: float | None = Field(default=None, ge=0.0, le=1.0)
    tier1_template_min: float | None = Field(default=None, ge=0.0, le=1.0)


class Thresholds(_Config):
    version: Literal[1]
    routing: RoutingThresholds
    penalties: Penalties
    tier1_template_min: float = Field(ge=0.0, le=1.0)
    tier2_min: float = Field(ge=0.0, le=1.0)
    tier2_verifier_min: float = Field(ge=0.0, le=1.0)
    secondary_min: float = Field(gt=0.0, le=1.0)
    per_intent: dict[Intent, IntentOverride] = Field(default_factory=dict)

    def team_min_for(self, intent: Intent) -> float:
        override = self.per_intent.get(intent)
        if override is not None and override.team_min is not None:
            return override.team_min
        return self.routing.team_min

    def tier1_min_for(self, intent: Intent) -> float:
        override = self.per_intent.get(intent)
        if override is not None and override.tier1_template_min is not None:
            return override.tier1_template_min
        return self.tier1_template_min


class Flags(_Config):
    """Runtime switches. Strict types, so `1` is not taken for `true` by accident."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: Literal[1] = 1
    automation_enabled: bool = True
    safe_mode: bool = False
    shadow_mode: bool = False
    automation_channels: list[str] = Field(default_factory=lambda: ["email", "chat"])
    tier2_rollout_percent: int = Field(default=0, ge=0, le=100)
    order_email_only_match: bool = False
    template_enabled: dict[str, bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_channels(self) -> Self:
        unknown = [channel for channel in self.automation_channels if channel not in CHANNELS]
        if unknown:
            raise ValueError(
                f"automation_channels: unknown channel {unknown[0]!r}; use any of "
                f"{', '.join(sorted(REPLY_CHANNELS))}"
            )
        if len(set(self.automation_channels)) != len(self.automation_channels):
            raise ValueError("automation_channels: each channel may appear only once")
        route_only = [c for c in self.automation_channels if c not in REPLY_CHANNELS]
        if route_only:
            raise ValueError(
                f"automation_channels: {route_only[0]!r} is route-only because replies are not "
                f"known to reach customers there; use any of {', '.join(sorted(REPLY_CHANNELS))}"
            )
        return self

    @classmethod
    def safe(cls) -> Flags:
        """Flags used when the flag store cannot be read: no customer-facing writes."""
        return cls(automation_enabled=False, safe_mode=True)


class Guards(_Config):
    version: Literal[1]
    max_auto_replies_per_24h: int = Field(ge=0, le=20)
    reopen_window_days: float = Field(ge=0)
    conversation_state_ttl_days: float = Field(gt=0)
