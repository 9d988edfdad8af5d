"""Load and validate the YAML files support operations own (routing, templates, brand,
thresholds, flags, guards, shipping, LLM prices and cascade thresholds).

Every file is validated at start-up. A problem raises `ConfigError` naming the file and
the key, so a bad edit stops the service before it can act on a customer message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from richpanel_middleware.classify.llm_config import LlmConfig
from richpanel_middleware.domain.intents import ORDER_STATUS_INTENTS, TIER0_INTENTS, Tier, spec_of
from richpanel_middleware.orders.reply_facts import TIER2_TEMPLATES
from richpanel_middleware.orders.shipping_config import ShippingConfig
from richpanel_middleware.policy.config import Flags, Guards, RoutingMap, Thresholds
from richpanel_middleware.policy.engine import PolicyConfig
from richpanel_middleware.templates.catalog import BrandConstants, TemplateCatalog

ModelT = TypeVar("ModelT", bound=BaseModel)

CONFIG_FILES = (
    "routing.yaml",
    "templates.yaml",
    "brand.yaml",
    "thresholds.yaml",
    "flags.yaml",
    "guards.yaml",
    "shipping.yaml",
    "llm.yaml",
)


class ConfigError(Exception):
    """A configuration file is missing or invalid."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain values", key_node.start_mark
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True, slots=True)
class AppConfig:
    directory: Path
    policy: PolicyConfig
    default_flags: Flags
    guards: Guards
    shipping: ShippingConfig
    llm: LlmConfig


def default_config_dir() -> Path:
    """Locate the bundled defaults: the wheel's copy, else the repository's `config/` folder."""
    packaged = Path(__file__).parent / "default_config"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "config"


def load_app_config(directory: Path | None = None) -> AppConfig:
    directory = directory or default_config_dir()
    if not directory.is_dir():
        raise ConfigError(
            f"configuration folder {directory} does not exist; set RPMW_CONFIG_DIR to the folder "
            f"that holds {', '.join(CONFIG_FILES)}"
        )
    routing = _load(directory / "routing.yaml", RoutingMap)
    catalog = _load(directory / "templates.yaml", TemplateCatalog)
    brand = _load(directory / "brand.yaml", BrandConstants)
    thresholds = _load(directory / "thresholds.yaml", Thresholds)
    flags = _load(directory / "flags.yaml", Flags)
    guards = _load(directory / "guards.yaml", Guards)
    shipping = _load(directory / "shipping.yaml", ShippingConfig)
    llm = _load(directory / "llm.yaml", LlmConfig)
    _check_cross_references(routing, catalog, flags, directory)
    return AppConfig(
        directory=directory,
        policy=PolicyConfig(routing=routing, thresholds=thresholds, catalog=catalog, brand=brand),
        default_flags=flags,
        guards=guards,
        shipping=shipping,
        llm=llm,
    )


def load_thresholds(path: Path) -> Thresholds:
    return _load(path, Thresholds)


def _load(path: Path, model: type[ModelT]) -> ModelT:
    try:
        # _UniqueKeyLoader is a SafeLoader, so no arbitrary objects are constructed.
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError as error:
        raise ConfigError(
            f"{path}: file not found; restore it from the defaults in config/"
        ) from error
    except yaml.MarkedYAMLError as error:
        line = f" at line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise ConfigError(f"{path}: invalid YAML{line}: {error.problem}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top level)'}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from error


def _check_cross_references(
    routing: RoutingMap, catalog: TemplateCatalog, flags: Flags, directory: Path
) -> None:
    known = set(catalog.template_ids)
    for intent, route in routing.intents.items():
        where = f"{directory / 'routing.yaml'}: intents.{intent.value}.template"
        if route.template is None:
            continue
        entry = catalog.get(route.template)
        if entry is None:
            raise ConfigError(f"{where}: {route.template!r} is not in templates.yaml")
        # A Tier 0 intent may only send a Tier 0 (neutral acknowledgement) template, and no
        # other intent may send one or a template above its own maximum tier.
        is_tier0_intent = intent in TIER0_INTENTS
        if is_tier0_intent != (entry.tier_level is Tier.ESCALATION):
            raise ConfigError(
                f"{where}: {route.template!r} is a Tier {entry.tier} template; Tier 0 intents take "
                "only Tier 0 templates and other intents never do"
            )
        if intent in ORDER_STATUS_INTENTS and entry.tier_level is not Tier.SAFE_ASSIST:
            raise ConfigError(
                f"{where}: {route.template!r} is Tier {entry.tier}; order-status intents take a "
                "Tier 1 template, sent when no order matches (verified replies pick their own)"
            )
        if entry.tier_level > spec_of(intent).max_tier:
            raise ConfigError(
                f"{where}: {route.template!r} is Tier {entry.tier}, above the intent's maximum "
                f"Tier {int(spec_of(intent).max_tier)}"
            )
    for template_id in sorted(TIER2_TEMPLATES):
        entry = catalog.get(template_id)
        if entry is None or entry.tier_level is not Tier.VERIFIED:
            raise ConfigError(
                f"{directory / 'templates.yaml'}: {template_id} must exist as a Tier 2 template; "
                "verified order replies use it (disable it with `enabled: false` instead)"
            )
    for template_id in flags.template_enabled:
        if template_id not in known:
            raise ConfigError(
                f"{directory / 'flags.yaml'}: template_enabled.{template_id}: no such template "
                "in templates.yaml"
            )
