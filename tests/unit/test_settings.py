"""Settings validation: durations, model names and the API key, read from RPMW_* variables."""

from __future__ import annotations

import threading

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from richpanel_middleware.cli import app
from richpanel_middleware.settings import Settings

DURATION_FIELDS = (
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
)
LLM_URL = "http://127.0.0.1:9/v1"


def settings_error(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize("field", DURATION_FIELDS)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", float("inf")])
def test_duration_rejects_non_finite(field: str, value: object) -> None:
    message = settings_error(**{field: value})

    assert field in message
    assert "is not a finite number of seconds" in message
    assert "unset it to use the default" in message


@pytest.mark.parametrize("field", DURATION_FIELDS)
def test_duration_rejects_above_timeout_max(field: str) -> None:
    message = settings_error(**{field: threading.TIMEOUT_MAX * 2})

    assert f"is above the maximum of {threading.TIMEOUT_MAX:.0f} seconds" in message


@pytest.mark.parametrize("field", DURATION_FIELDS)
def test_duration_accepts_finite_values(field: str) -> None:
    assert getattr(Settings(**{field: "30"}), field) == 30.0  # type: ignore[arg-type]
    assert getattr(Settings(**{field: threading.TIMEOUT_MAX}), field) == threading.TIMEOUT_MAX  # type: ignore[arg-type]


def test_duration_text_keeps_pydantic_error() -> None:
    message = settings_error(llm_timeout_s="soon")

    assert "valid number" in message


def test_infinite_timeout_from_environment_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RPMW_LLM_TIMEOUT_S", "inf")

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert "'inf' is not a finite number of seconds" in str(caught.value)
    assert "the default 20.0" in str(caught.value)


def test_cli_names_infinite_timeout_variable() -> None:
    result = CliRunner().invoke(app, ["schema", "decision"], env={"RPMW_LLM_TIMEOUT_S": "inf"})
    message = " ".join(result.output.split())

    assert result.exit_code == 2
    assert "RPMW_LLM_TIMEOUT_S: 'inf' is not a finite number of seconds" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_llm_model_rejected(value: str) -> None:
    message = settings_error(classifier="llm", llm_base_url=LLM_URL, llm_model=value)

    assert "llm_model" in message
    assert "must not be empty" in message
    assert "unset it to use gpt-4o-mini" in message


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_verifier_model_rejected(value: str) -> None:
    message = settings_error(llm_base_url=LLM_URL, llm_verifier_model=value)

    assert "llm_verifier_model" in message
    assert "must not be empty" in message
    assert "RPMW_LLM_MODEL" in message


def test_empty_llm_api_key_rejected() -> None:
    message = settings_error(llm_base_url=LLM_URL, llm_api_key=SecretStr(""))

    assert "llm_api_key" in message
    assert "must not be empty" in message


def test_unset_verifier_model_and_key_accepted() -> None:
    settings = Settings(llm_base_url=LLM_URL, llm_model="gpt-4o")

    assert settings.llm_verifier_model is None
    assert settings.llm_api_key is None
    assert settings.llm_model == "gpt-4o"


def test_cli_names_empty_model_variable() -> None:
    result = CliRunner().invoke(
        app,
        ["schema", "decision"],
        env={"RPMW_LLM_BASE_URL": LLM_URL, "RPMW_LLM_MODEL": ""},
    )
    message = " ".join(result.output.split())

    assert result.exit_code == 2
    assert "RPMW_LLM_MODEL: must not be empty" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "url", ["http://api.example.com/v1", "http://203.0.113.7/v1", "http://169.254.169.254/v1"]
)
def test_plain_http_llm_url_to_public_host_rejected(url: str) -> None:
    with pytest.raises(ValidationError, match="unencrypted"):
        Settings(llm_base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8902/v1",
        "http://localhost:11434/v1",
        "http://ollama:11434/v1",
        "http://10.0.0.5:8000/v1",
        "http://vllm.internal/v1",
        "https://api.example.com/v1",
    ],
)
def test_llm_url_on_private_host_or_https_accepted(url: str) -> None:
    assert Settings(llm_base_url=url).llm_base_url == url
