"""The embedded HTTP app: `POST /webhook`, `GET /health`, `GET /ready`, `GET /metrics`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from richpanel_middleware.observability.logging import correlation
from richpanel_middleware.pipeline.ingress import IngressService, too_large
from richpanel_middleware.pipeline.webhook_auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOKEN_HEADER,
)

_logger = logging.getLogger(__name__)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """Read the body, stopping as soon as it exceeds `limit` bytes (None = too large)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    ingress: IngressService,
    *,
    readiness_check: Callable[[], None],
    registry: CollectorRegistry | None = None,
) -> Starlette:
    async def webhook(request: Request) -> Response:
        correlation_id = request.headers.get("x-correlation-id") or uuid.uuid4().hex
        with correlation(correlation_id[:64]):
            signature = request.headers.get(SIGNATURE_HEADER)
            # Token requests are rejected before the body is read; signed ones need the body.
            if signature is None and not ingress.authenticate(request.headers.get(TOKEN_HEADER)):
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            content_type = request.headers.get("content-type", "")
            if content_type and "json" not in content_type.lower():
                return JSONResponse(
                    {
                        "error": f"content type {content_type!r} is not supported; send application/json"
                    },
                    status_code=415,
                )
            try:
                raw = await _read_limited(request, ingress.max_body_bytes)
            except ClientDisconnect:
                return JSONResponse({"error": "client disconnected"}, status_code=400)
            if raw is None:
                result = too_large(ingress.max_body_bytes)
            else:
                result = await run_in_threadpool(
                    ingress.handle,
                    token=request.headers.get(TOKEN_HEADER),
                    raw_body=raw,
                    correlation_id=correlation_id[:64],
                    signature=signature,
                    timestamp=request.headers.get(TIMESTAMP_HEADER),
                )
            return JSONResponse(
                result.body,
                status_code=result.status_code,
                headers={"x-correlation-id": correlation_id[:64]},
            )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        try:
            await run_in_threadpool(readiness_check)
        except Exception as error:
            _logger.warning(
                "readiness check failed",
                extra={"event": "not_ready", "error_type": type(error).__name__},
            )
            return JSONResponse(
                {"status": "not_ready", "error": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        if registry is None:
            return Response(status_code=404)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )
