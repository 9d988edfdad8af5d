"""Runtime settings from the environment (prefix `RPMW_`). Secrets stay out of repr and logs."""

from __future__ import annotations

import ipaddress
import math
import re
import threading
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    # `RPMW_RICHPANEL_REQUESTS_PER_30S=none` switches the client-side request budget off.
    model_config = SettingsConfigDict(env_prefix="RPMW_", extra="ignore", env_parse_none_str="none")

    data_dir: Path = Field(default=Path("var"), description="folder for the SQLite files")
    config_dir: Path | None = Field(default=None, description="folder with the YAML config")
    model_cache_dir: Path | None = Field(
        default=None, description="folder for the trained local model (default: data_dir/models)"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    webhook_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="active webhook tokens, comma-separated in the env"
    )
    webhook_hmac_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="shared secrets for signed webhooks (x-mw-signature), comma-separated",
    )
    max_body_bytes: int = Field(default=32 * 1024, gt=0)

    richpanel_base_url: str = "https://api.richpanel.com"
    richpanel_api_key: SecretStr | None = None
    richpanel_timeout_s: float = Field(default=10.0, gt=0)
    richpanel_max_attempts: int = Field(default=4, ge=1, le=10)
    richpanel_requests_per_30s: int | None = Field(default=50, ge=1)
    bot_author_id: str = "mw-bot"

    # Shopify Admin API, used for orders Richpanel does not link. Unset = no store search.
    shopify_shop_url: str | None = Field(
        default=None, description="https://<shop>.myshopify.com, or the sandbox's base URL"
    )
    shopify_access_token: SecretStr | None = None
    shopify_api_version: str = "2026-10"
    shopify_timeout_s: float = Field(default=10.0, gt=0)

    # Which classifier decides: the local model, an LLM, or the local model with the LLM
    # for messages it is not sure about.
    classifier: Literal["local", "llm", "cascade"] = "local"
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL, e.g. https://api.openai.com/v1"
    )
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_verifier_model: str | None = Field(
        default=None, description="model for the Tier 2 verifier (default: llm_model)"
    )
    llm_api: Literal["responses", "chat"] = "chat"
    llm_timeout_s: float = Field(default=20.0, gt=0)
    llm_max_attempts: int = Field(default=3, ge=1, le=10)

    concurrency: int = Field(default=4, ge=1, le=64)
    visibility_timeout_s: float = Field(default=60.0, gt=0)
    max_receives: int = Field(default=5, ge=1)
    retention_s: float = Field(default=4 * 24 * 3600, gt=0)
    dedup_window_s: float = Field(default=4 * 24 * 3600, gt=0)
    flag_cache_s: float = Field(default=5.0, ge=0)
    retry_base_delay_s: float = Field(
        default=1.0, gt=0, description="first delay before a transiently failed event is retried"
    )
    retry_max_delay_s: float = Field(default=300.0, gt=0, description="cap of the doubling delay")
    poll_interval_s: float = Field(default=0.05, gt=0)
    log_level: str = "INFO"

    # Each float setting is a duration in seconds for a socket timeout, a wait or a stored
    # deadline. Python raises OverflowError for an infinite timeout or one above
    # threading.TIMEOUT_MAX (about 292 years), and only at the first call that uses it, so
    # such values are rejected here.
    @field_validator(
        "richpanel_timeout_s",
        "shopify_timeout_s",
        "llm_timeout_s",
        "visibility_timeout_s",
        "retention_s",
        "dedup_window_s",
        "flag_cache_s",
        "retry_base_delay_s",
        "retry_max_delay_s",
        "poll_interval_s",
        mode="before",
    )
    @classmethod
    def _finite_seconds(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, int | float | str):
            return value
        try:
            seconds = float(value)
        except ValueError:
            return value  # pydantic's own check reports a value that is not a number
        if not math.isfinite(seconds):
            problem = "is not a finite number of seconds"
        elif seconds > threading.TIMEOUT_MAX:
            problem = f"is above the maximum of {threading.TIMEOUT_MAX:.0f} seconds"
        else:
            return value
        default = cls.model_fields[str(info.field_name)].default
        raise ValueError(
            f"{value!r} {problem}. Set a finite number of seconds, or unset it to use "
            f"the default {default}"
        )

    @field_validator("llm_model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "must not be empty. Set the model name the server expects, or unset it to use "
                f"{cls.model_fields['llm_model'].default}"
            )
        return value

    @field_validator("llm_verifier_model")
    @classmethod
    def _verifier_model_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(
                "must not be empty. Set the model name for the Tier 2 verifier, or unset it to use "
                "RPMW_LLM_MODEL"
            )
        return value

    @field_validator("llm_api_key")
    @classmethod
    def _api_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(
                "must not be empty. Set the server's API key, or unset it if the server needs none"
            )
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _llm_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(
                "must start with https:// (or http:// for a local server), "
                "such as https://api.openai.com/v1"
            )
        if value and value.lower().startswith("http://") and not _is_private_host(value):
            raise ValueError(
                f"{value!r} would send customer text unencrypted; use https://, or http:// "
                "only for a server on this machine or a private network"
            )
        return value

    @field_validator("shopify_shop_url")
    @classmethod
    def _shop_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(
                "must start with https:// (or http:// for a local sandbox), "
                "such as https://your-shop.myshopify.com"
            )
        return value

    @field_validator("shopify_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValueError(f"{value!r} is not a Shopify API version; use YYYY-MM such as 2026-10")
        return value

    @model_validator(mode="after")
    def _llm_configured(self) -> Settings:
        if self.classifier != "local" and not self.llm_base_url:
            raise ValueError(
                f"RPMW_CLASSIFIER={self.classifier} needs RPMW_LLM_BASE_URL (and usually "
                "RPMW_LLM_API_KEY); `rpmw sandbox` serves an OpenAI-compatible endpoint for tests"
            )
        return self

    @model_validator(mode="after")
    def _shopify_pair(self) -> Settings:
        if bool(self.shopify_shop_url) != (self.shopify_access_token is not None):
            missing = (
                "RPMW_SHOPIFY_ACCESS_TOKEN" if self.shopify_shop_url else "RPMW_SHOPIFY_SHOP_URL"
            )
            raise ValueError(f"{missing} is not set; set both Shopify settings, or neither")
        return self

    @field_validator("webhook_tokens", "webhook_hmac_secrets", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [token.strip() for token in value.split(",") if token.strip()]
        return value


# Host names that only resolve inside a machine or a private network: a container
# service name without dots ("ollama"), or a name under these suffixes.
_PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".localhost")
# Private address ranges (RFC 1918 and unique local IPv6). `is_private` would also take
# link-local and documentation ranges, which are no private network.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def _is_private_host(url: str) -> bool:
    """Tell whether `url` points at this machine or a private network."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES)
    return address.is_loopback or any(address in network for network in _PRIVATE_NETWORKS)
