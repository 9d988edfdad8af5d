"""Configuration loading: the bundled files load, and each broken file fails with file and key."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from richpanel_middleware.configuration import (
    CONFIG_FILES,
    ConfigError,
    default_config_dir,
    load_app_config,
)
from richpanel_middleware.domain.intents import Intent


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(default_config_dir(), target)
    return target


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load_error(directory: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_app_config(directory)
    return str(caught.value)


# --- the bundled configuration -----------------------------------------------------------------


def test_bundled_config_loads() -> None:
    config = load_app_config()

    assert config.directory == default_config_dir()
    assert config.policy.routing.triage_team in config.policy.routing.team_names


def test_bundled_routing_covers_every_intent() -> None:
    routing = load_app_config().policy.routing

    assert set(routing.intents) == set(Intent)


def test_bundled_templates_exist_in_catalog() -> None:
    policy = load_app_config().policy
    known = set(policy.catalog.template_ids)

    for intent, route in policy.routing.intents.items():
        assert route.template is None or route.template in known, intent


def test_bundled_thresholds_match_documented_defaults() -> None:
    thresholds = load_app_config().policy.thresholds

    assert thresholds.routing.team_min == pytest.approx(0.60)
    assert thresholds.routing.uncertain_min == pytest.approx(0.50)
    assert thresholds.tier1_template_min == pytest.approx(0.60)
    assert thresholds.tier2_min == pytest.approx(0.70)
    assert thresholds.tier2_verifier_min == pytest.approx(0.80)


def test_bundled_flags_are_route_only_off_email() -> None:
    flags = load_app_config().default_flags

    assert sorted(flags.automation_channels) == ["chat", "email"]
    assert flags.shadow_mode is False
    assert flags.tier2_rollout_percent == 0


def test_bundled_guards_match_documented_defaults() -> None:
    guards = load_app_config().guards

    assert guards.max_auto_replies_per_24h == 3
    assert guards.reopen_window_days == 7


def test_copied_config_loads(config_dir: Path) -> None:
    config = load_app_config(config_dir)

    assert config.directory == config_dir


# --- broken files ------------------------------------------------------------------------------


def test_unknown_triage_team_names_file_and_key(config_dir: Path) -> None:
    edit_yaml(config_dir / "routing.yaml", lambda doc: doc.update(triage_team="Night Shift Team"))

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "triage_team" in message
    assert "Night Shift Team" in message


def test_unknown_fallback_team_names_key(config_dir: Path) -> None:
    edit_yaml(config_dir / "routing.yaml", lambda doc: doc.update(fallback_team="Nobody"))

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "fallback_team" in message


def test_unknown_channel_team_names_key(config_dir: Path) -> None:
    edit_yaml(
        config_dir / "routing.yaml", lambda doc: doc["channel_teams"].update(tiktok="Video Team")
    )

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "channel_teams.tiktok" in message


def test_unknown_route_template_names_key(config_dir: Path) -> None:
    edit_yaml(
        config_dir / "routing.yaml",
        lambda doc: doc["intents"]["cancel_order"].update(template="t_no_such_template"),
    )

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "intents.cancel_order.template" in message
    assert "t_no_such_template" in message


def test_missing_intent_route_names_intent(config_dir: Path) -> None:
    edit_yaml(config_dir / "routing.yaml", lambda doc: doc["intents"].pop("billing_issue"))

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "billing_issue" in message


def test_unknown_intent_key_is_rejected(config_dir: Path) -> None:
    edit_yaml(
        config_dir / "routing.yaml",
        lambda doc: doc["intents"].update(free_money={"team": "Sales Team", "template": None}),
    )

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "free_money" in message


def test_invalid_yaml_names_file(config_dir: Path) -> None:
    (config_dir / "routing.yaml").write_text("version: 1\nteams: [unclosed\n", encoding="utf-8")

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "invalid YAML" in message
    assert "line" in message


def test_missing_file_names_file(config_dir: Path) -> None:
    (config_dir / "routing.yaml").unlink()

    message = load_error(config_dir)

    assert "routing.yaml" in message
    assert "not found" in message


def test_empty_file_names_file(config_dir: Path) -> None:
    (config_dir / "brand.yaml").write_text("", encoding="utf-8")

    message = load_error(config_dir)

    assert "brand.yaml" in message
    assert "mapping" in message


def test_missing_folder_lists_expected_files(tmp_path: Path) -> None:
    message = load_error(tmp_path / "absent")

    assert "does not exist" in message
    for name in CONFIG_FILES:
        assert name in message


def test_tier1_auto_close_names_template(config_dir: Path) -> None:
    def mark_auto_close(doc: dict[str, Any]) -> None:
        doc["templates"][0]["auto_close"] = True

    edit_yaml(config_dir / "templates.yaml", mark_auto_close)

    message = load_error(config_dir)

    assert "templates.yaml" in message
    assert "t_order_status_ask_order_number" in message
    assert "auto_close" in message


def test_out_of_range_threshold_names_key(config_dir: Path) -> None:
    edit_yaml(config_dir / "thresholds.yaml", lambda doc: doc["routing"].update(team_min=1.5))

    message = load_error(config_dir)

    assert "thresholds.yaml" in message
    assert "routing.team_min" in message


def test_unknown_flag_template_names_key(config_dir: Path) -> None:
    edit_yaml(
        config_dir / "flags.yaml",
        lambda doc: doc.update(template_enabled={"t_no_such_template": True}),
    )

    message = load_error(config_dir)

    assert "flags.yaml" in message
    assert "template_enabled.t_no_such_template" in message


def test_unknown_guard_key_names_key(config_dir: Path) -> None:
    edit_yaml(config_dir / "guards.yaml", lambda doc: doc.update(max_replies=9))

    message = load_error(config_dir)

    assert "guards.yaml" in message
    assert "max_replies" in message
