"""Ingress benchmark: acknowledged webhooks per second and latency at 32 concurrent clients.

The server (uvicorn + Starlette, one worker process) runs in a child process with the real
ingress: token check, strict JSON, schema validation and a durable SQLite commit per
request. A bare `GET /hello` route on the same server stack gives the ceiling. The load
comes from wrk (bench/webhook.lua gives every request a new message id) when it is
installed, else from httpx.AsyncClient in this process; both on loopback.

Usage: python bench/ingress.py [--seconds 10] [--clients 32] [--load wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

TOKEN = "bench-token"


def _serve(port: int, data_dir: str) -> None:
    import uvicorn
    from pydantic import SecretStr
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    from richpanel_middleware.runtime.local.http_app import create_app
    from richpanel_middleware.runtime.local.stack import build_stack
    from richpanel_middleware.settings import Settings

    stack = build_stack(Settings(data_dir=Path(data_dir), webhook_tokens=[SecretStr(TOKEN)]))
    ingress = create_app(stack.ingress(), readiness_check=stack.readiness_check)

    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/hello", hello), Mount("/", app=ingress)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _load(url: str, *, seconds: float, clients: int, webhook: bool) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if webhook:
                body = {
                    "ticket_id": uuid.uuid4().hex,
                    "event_type": "customer_message",
                    "message_id": uuid.uuid4().hex,
                }
                response = await client.post(
                    url, json=body, headers={"x-richpanel-webhook-token": TOKEN}
                )
                expected = 202
            else:
                response = await client.get(url)
                expected = 200
            if response.status_code != expected:
                raise RuntimeError(f"unexpected status {response.status_code} from {url}")
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return latencies


def _wrk(url: str, *, seconds: float, clients: int, script: Path | None) -> str:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _wrk_row(name: str, output: str) -> str:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not (rate and p50 and p99 and total):
        raise RuntimeError(f"could not read wrk output:\n{output}")
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} requests to {name} failed")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p50_ms = float(p50.group(1)) * scale[p50.group(2)]
    p99_ms = float(p99.group(1)) * scale[p99.group(2)]
    return f"| {name} | {float(rate.group(1)):,.0f} | {p50_ms:.1f} | {p99_ms:.1f} | {int(total.group(1)):,} |"


def _summarise(name: str, latencies: list[float], seconds: float) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return f"| {name} | {len(ordered) / seconds:,.0f} | {p50:.1f} | {p99:.1f} | {len(ordered):,} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per endpoint")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--port", type=int, default=18181)
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        server = multiprocessing.Process(target=_serve, args=(args.port, data_dir), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        try:
            rows = []
            endpoints = (
                ("GET /hello (bare)", "/hello", False),
                ("POST /webhook", "/webhook", True),
            )
            for name, path, webhook in endpoints:
                if args.load == "wrk":
                    script = Path(__file__).with_name("webhook.lua") if webhook else None
                    output = _wrk(
                        base + path, seconds=args.seconds, clients=args.clients, script=script
                    )
                    rows.append(_wrk_row(name, output))
                    continue
                latencies = asyncio.run(
                    _load(base + path, seconds=args.seconds, clients=args.clients, webhook=webhook)
                )
                rows.append(_summarise(name, latencies, args.seconds))
        finally:
            server.terminate()
            server.join(10)
    print(
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per endpoint, load: {args.load}"
    )
    print("| endpoint | requests/s | p50 ms | p99 ms | requests |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
