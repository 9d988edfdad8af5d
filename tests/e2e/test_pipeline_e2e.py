"""End-to-end over real HTTP: sandbox -> webhook -> ingress -> SQLite queue -> worker -> sandbox."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable

import pytest

from richpanel_middleware.domain.tags import ROUTE_PREFIX
from richpanel_middleware.helpdesk.richpanel import encode_path_segment
from richpanel_middleware.observability.logging import configure_logging
from richpanel_middleware.runtime.local.stack import attach_worker
from tests.conftest import Pipeline, Sandbox, sample_text

pytestmark = pytest.mark.e2e

# Sample messages for which the bundled config sends a Tier 1 intake template.
REPLY_SAMPLES = ("sample-03", "sample-04", "sample-06", "sample-14", "sample-17")


def _route_tags(tags: list[str]) -> list[str]:
    return [tag for tag in tags if tag.startswith(ROUTE_PREFIX)]


def test_intake_reply_reaches_sandbox(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-04"))

    assert created["webhook_status"] == 202
    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 1
    assert len(_route_tags(summary["tags"])) == 1
    assert "mw-auto-replied" in summary["tags"]
    assert summary["closed"] is False


def test_duplicate_deliveries_give_one_set_of_effects(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-06"))
    ticket = created["ticket_id"]
    for _ in range(3):
        sandbox.admin.post(
            f"/_sandbox/conversations/{_encoded(ticket)}/fire-webhook"
        ).raise_for_status()

    assert pipeline.drain()
    summary = sandbox.summary(ticket)
    sends = [
        entry
        for entry in sandbox.journal()
        if entry["ticket_id"] == ticket and "send-message" in entry["endpoint"]
    ]
    assert summary["replies"] == 1
    assert len(sends) == 1
    assert pipeline.stack.queue.stats().dead_lettered == 0


def test_redelivery_without_message_id_never_repeats_reply(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    import httpx

    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-14"))
    assert pipeline.drain()
    # A second, different body for the same conversation passes dedup and reaches the worker.
    response = httpx.post(
        f"{pipeline.ingress.base_url}/webhook",
        headers={"x-richpanel-webhook-token": pipeline.token},
        json={
            "ticket_id": created["ticket_id"],
            "event_type": "customer_message",
            "sent_at": "later",
        },
    )
    assert response.status_code == 202
    assert pipeline.drain()
    assert sandbox.summary(created["ticket_id"])["replies"] == 1


def test_follow_up_after_auto_reply_goes_to_human(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-17"))
    assert pipeline.drain()
    ticket = created["ticket_id"]
    sandbox.admin.post(
        f"/_sandbox/conversations/{_encoded(ticket)}/messages",
        json={
            "text": "Thanks, but I still need help with the charge.",
            "author": "customer",
            "fire_webhook": True,
        },
    ).raise_for_status()

    assert pipeline.drain()
    summary = sandbox.summary(ticket)
    assert summary["replies"] == 1
    assert "mw-escalated-human" in summary["tags"]


def test_tier0_message_gets_no_reply(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(
        "Where is my order? If it is not here by Friday my bank will reverse "
        "the charge, I already opened a dispute with them."
    )
    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert "route-chargebacks-disputes-team" in summary["tags"]
    assert "mw-tier-0" in summary["tags"]


def test_agent_message_event_is_ignored(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-04"), fire=False)
    sandbox.admin.post(
        f"/_sandbox/conversations/{_encoded(created['ticket_id'])}/messages",
        json={"text": "Hi, Sam here from support.", "author": "agent", "fire_webhook": True},
    ).raise_for_status()

    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert _route_tags(summary["tags"]) == []


def test_rate_limit_storm_slows_without_failing(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    sandbox.admin.post("/_sandbox/faults", json={"rate_limit_storm_s": 2.5}).raise_for_status()
    started = time.monotonic()
    tickets = [sandbox.create(sample_text(sample))["ticket_id"] for sample in REPLY_SAMPLES]

    assert pipeline.drain(timeout_s=120)
    elapsed = time.monotonic() - started
    counts = pipeline.stack.decisions.count_by_outcome()
    assert counts.get("completed") == len(tickets)
    assert counts.get("failed") is None
    assert pipeline.stack.queue.stats().dead_lettered == 0
    assert elapsed >= 2.0
    assert all(sandbox.summary(ticket)["replies"] == 1 for ticket in tickets)


def test_shadow_mode_writes_nothing(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    pipeline.stack.flags.set("shadow_mode", True)
    created = sandbox.create(sample_text("sample-04"))
    assert pipeline.drain()

    writes = [
        entry
        for entry in sandbox.journal()
        if entry["ticket_id"] == created["ticket_id"] and entry["method"] == "PUT"
    ]
    assert writes == []
    record = pipeline.stack.decisions.latest_for(created["ticket_id"])
    assert record is not None
    assert record["shadow"] is True
    assert record["plan"]["action"] == "SEND_TEMPLATE"


def test_logs_are_json_without_personal_data(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        pipeline = start_pipeline()
        secret_text = "Order 4411 arrived smashed, call me at 555-0142 or write to jo@example.com"
        created = sandbox.create(
            secret_text, customer={"email": "jo@example.com", "first_name": "Jo"}
        )
        assert pipeline.drain()
    finally:
        logging.getLogger().handlers.clear()

    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    processed = [r for r in records if r.get("event") == "event_processed"]
    assert len(processed) == 1
    assert processed[0]["correlation_id"]
    output = stream.getvalue()
    for forbidden in (
        "jo@example.com",
        "555-0142",
        "smashed",
        created["ticket_id"],
        sandbox.api_key,
        pipeline.token,
    ):
        assert forbidden not in output


def _encoded(ticket_id: str) -> str:

    return encode_path_segment(ticket_id)


def test_newer_message_withholds_pending_reply(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    sandbox.admin.post("/_sandbox/faults", json={"latency_ms": 400}).raise_for_status()
    created = sandbox.create(sample_text("sample-04"))
    ticket = created["ticket_id"]

    def routed() -> bool:
        return any(
            entry["ticket_id"] == ticket and entry["endpoint"].endswith("add-tags")
            for entry in sandbox.journal()
        )

    deadline = time.monotonic() + 30
    while not routed() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert routed(), "the worker never reached the routing step"
    # The customer writes again while the first event is between routing and replying.
    sandbox.admin.post(
        f"/_sandbox/conversations/{_encoded(ticket)}/messages",
        json={
            "text": "Forget it, I already opened a dispute with my bank.",
            "author": "customer",
            "fire_webhook": True,
        },
    ).raise_for_status()

    assert pipeline.drain(timeout_s=60)
    summary = sandbox.summary(ticket)
    route_tags = _route_tags(summary["tags"])
    assert summary["replies"] == 0
    assert route_tags == ["route-chargebacks-disputes-team"]
    assert "mw-tier-0" in summary["tags"]


def test_chargeback_below_quoted_block_gets_no_reply(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create(
        "Where is my refund?\n> Thanks for contacting Northwind Goods\n"
        "This is ridiculous, I am filing a chargeback with my bank today."
    )
    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert "mw-tier-0" in summary["tags"]


def test_webhook_channel_cannot_unlock_replies(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    import httpx

    pipeline = start_pipeline()
    created = sandbox.create(sample_text("sample-04"), channel="tiktok", fire=False)
    response = httpx.post(
        f"{pipeline.ingress.base_url}/webhook",
        headers={"x-richpanel-webhook-token": pipeline.token},
        json={
            "ticket_id": created["ticket_id"],
            "event_type": "customer_message",
            "message_id": created["message_id"],
            "channel": "email",
        },
    )
    assert response.status_code == 202
    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert len(_route_tags(summary["tags"])) == 1


def test_long_outage_does_not_dead_letter(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline(
        richpanel_max_attempts=2, retry_base_delay_s=0.05, retry_max_delay_s=0.2, max_receives=2
    )
    # 24 failed calls at 2 attempts per worker try: 12 worker-level failures, far more than
    # max_receives, as in a Richpanel outage.
    sandbox.admin.post(
        "/_sandbox/faults",
        json={"fail_next": {"path_contains": "/v1/tickets", "status": 503, "count": 24}},
    ).raise_for_status()
    created = sandbox.create(sample_text("sample-04"))

    assert pipeline.drain(timeout_s=60)
    assert pipeline.stack.queue.stats().dead_lettered == 0
    assert sandbox.summary(created["ticket_id"])["replies"] == 1


def test_earlier_unanswered_chargeback_still_escalates(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline(worker=False)
    created = sandbox.create("I filed a chargeback with my bank for this order.")
    sandbox.admin.post(
        f"/_sandbox/conversations/{_encoded(created['ticket_id'])}/messages",
        json={
            "text": "I want to return these shoes, they don't fit",
            "author": "customer",
            "fire_webhook": True,
        },
    ).raise_for_status()
    attach_worker(pipeline.stack).start()

    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert _route_tags(summary["tags"]) == ["route-chargebacks-disputes-team"]
    assert "mw-tier-1" not in summary["tags"]


def test_escalation_survives_benign_follow_up(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline()
    created = sandbox.create("You will hear from my solicitor about this order.")
    assert pipeline.drain()
    ticket = _encoded(created["ticket_id"])
    sandbox.admin.post(
        f"/_sandbox/conversations/{ticket}/messages",
        json={"text": "Hi, Sam from support here, looking into it.", "author": "agent"},
    ).raise_for_status()
    sandbox.admin.post(
        f"/_sandbox/conversations/{ticket}/messages",
        json={
            "text": "ok thanks. Also, can I exchange these shoes for a bigger size?",
            "author": "customer",
            "fire_webhook": True,
        },
    ).raise_for_status()

    assert pipeline.drain()
    summary = sandbox.summary(created["ticket_id"])
    assert summary["replies"] == 0
    assert _route_tags(summary["tags"]) == ["route-leadership-team"]
    assert [t for t in summary["tags"] if t.startswith("mw-tier-")] == ["mw-tier-0"]


def test_rejected_api_key_waits_instead_of_dead_lettering(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline(retry_base_delay_s=0.05, retry_max_delay_s=0.2, max_receives=2)
    sandbox.admin.post(
        "/_sandbox/faults",
        json={"fail_next": {"path_contains": "/v1/tickets", "status": 401, "count": 6}},
    ).raise_for_status()
    created = sandbox.create(sample_text("sample-04"))

    assert pipeline.drain(timeout_s=60)
    assert pipeline.stack.queue.stats().dead_lettered == 0
    assert sandbox.summary(created["ticket_id"])["replies"] == 1


def test_unapplied_write_dead_letters_instead_of_blocking(
    sandbox: Sandbox, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start_pipeline(retry_base_delay_s=0.05, retry_max_delay_s=0.2, max_receives=2)
    sandbox.admin.post(
        "/_sandbox/faults",
        json={"ignore_next_writes": {"path_contains": "add-tags", "count": 50}},
    ).raise_for_status()
    created = sandbox.create(sample_text("sample-04"))

    assert pipeline.drain(timeout_s=60)
    assert pipeline.stack.queue.stats().dead_lettered == 1
    # The reply promises a human follow-up, so it never goes out unrouted.
    assert sandbox.summary(created["ticket_id"])["replies"] == 0
