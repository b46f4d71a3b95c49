"""How fast the sandbox answers a TikTok send, against a bare Starlette route, in the same run.

Both servers run under uvicorn on loopback, each in its own process, and are driven by the
same minimal keep-alive HTTP/1.1 load generator (raw asyncio streams, so the client is not
what is measured). The sandbox request is a full TikTok send to a conversation a simulated
customer opened: auth, rate limit, JSON validation, the window check and a ledger entry. The
bare route returns a fixed JSON. Rounds alternate (bare, sandbox, bare, sandbox...) and the
best round of each counts, so a noisy moment hurts neither side alone. Afterwards the
sandbox's own ledger must hold exactly as many sends as the generator counted answers.

Target (issue 4): sandbox rate >= 0.5 x bare rate. Exit status 1 when it is missed.
Measured on the development machine: 0.78-0.80 (1701 vs 2178 requests/s, 16 connections).

    .venv/bin/python bench/sandbox.py [--seconds 2] [--connections 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import time

import httpx

BUSINESS = "sandbox-business"
TOKEN = "tt-sandbox-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_bare(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    fixed = {"code": 0, "message": "OK", "request_id": "x", "data": {"message": {"id": "1"}}}

    async def send(request: Request) -> JSONResponse:
        await request.body()  # read the body like the sandbox does
        return JSONResponse(fixed)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/open_api/v1.3/business/message/send/", send, methods=["POST"]),
            Route("/_sandbox/health", health),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_sandbox(port: int) -> None:
    import uvicorn

    from mmtkit.sandbox import parse_config
    from mmtkit.sandbox.app import build_app

    # Limits out of the way: this measures the emulator's work, not its throttling.
    config = parse_config(
        {"tiktok": {"rate": "100000000/second", "messages_per_window": 10**9, "echo_sends": False}}
    )
    uvicorn.run(
        build_app(config), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def request_bytes(port: int, conversation: str) -> bytes:
    body = json.dumps(
        {
            "business_id": BUSINESS,
            "recipient_type": "CONVERSATION",
            "recipient": conversation,
            "message_type": "TEXT",
            "text": {"body": "Your order ships today."},
        }
    ).encode()
    head = (
        "POST /open_api/v1.3/business/message/send/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Access-Token: {TOKEN}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_connection(port: int, request: bytes, stop_at: float) -> tuple[int, int]:
    """Send ``request`` back to back on one keep-alive connection; (ok answers, others)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = bad = 0
    try:
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200") and body.startswith(b'{"code":0'):
                ok += 1
            else:
                bad += 1
    finally:
        writer.close()
    return ok, bad


async def load(port: int, request: bytes, seconds: float, connections: int) -> tuple[float, int]:
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_connection(port, request, stop_at) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    if bad:
        raise SystemExit(f"{bad} requests on port {port} were not answered with code 0")
    return ok / elapsed, ok


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=0.5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server on port {port} did not start") from None
            time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    bare_port, sandbox_port = free_port(), free_port()
    context = multiprocessing.get_context("spawn")
    servers = [
        context.Process(target=serve_bare, args=(bare_port,), daemon=True),
        context.Process(target=serve_sandbox, args=(sandbox_port,), daemon=True),
    ]
    for server in servers:
        server.start()
    try:
        wait_ready(bare_port)
        wait_ready(sandbox_port)
        opened = httpx.post(
            f"http://127.0.0.1:{sandbox_port}/_sandbox/customers/open_conversation",
            json={"platform": "tiktok"},
        ).json()
        sandbox_request = request_bytes(sandbox_port, opened["conversation_id"])
        bare_request = request_bytes(bare_port, opened["conversation_id"])
        # warm-up, then alternate rounds
        asyncio.run(load(bare_port, bare_request, 0.3, args.connections))
        _, sent = asyncio.run(load(sandbox_port, sandbox_request, 0.3, args.connections))
        bare_rates, sandbox_rates = [], []
        for _ in range(args.rounds):
            rate, _ = asyncio.run(load(bare_port, bare_request, args.seconds, args.connections))
            bare_rates.append(rate)
            rate, count = asyncio.run(
                load(sandbox_port, sandbox_request, args.seconds, args.connections)
            )
            sandbox_rates.append(rate)
            sent += count
        ledger = httpx.get(
            f"http://127.0.0.1:{sandbox_port}/_sandbox/ledger",
            params={"direction": "outbound"},
            timeout=60,
        ).json()
    finally:
        for server in servers:
            server.terminate()
            server.join(5)

    bare, sandbox = max(bare_rates), max(sandbox_rates)
    ratio = sandbox / bare
    print(f"bare Starlette route : {bare:8.0f} requests/s (best of {args.rounds})")
    print(f"sandbox TikTok send  : {sandbox:8.0f} requests/s (best of {args.rounds})")
    print(f"ratio                : {ratio:.2f} (target >= 0.50)")
    print(f"ledger               : {ledger['count']} sends kept, {sent} answered")
    if ledger["count"] != sent:
        print("FAIL: the ledger and the answers disagree", file=sys.stderr)
        return 1
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
