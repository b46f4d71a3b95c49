"""Webhooks acknowledged per second by the gateway, against a bare ASGI endpoint, same run.

    .venv/bin/python bench/gateway.py [--requests 6000] [--clients 4] [--duration 60]

Both servers run under uvicorn on loopback in their own processes: the gateway (``mmtkit
serve``, SQLite store in WAL mode, signature check, parse, durable inbox append before the
200, worker thread processing behind it) and a bare Starlette route that answers 200 without
work. The same load generator (``--clients`` processes, each a keep-alive ``httpx.Client``)
posts correctly signed TikTok webhooks, each with a new message id, to both. Then a sustained
run of ``--duration`` seconds shows whether processing keeps up with acknowledgement (the
inbox backlog sampled every 5 s, and how long it takes to drain at the end).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

SECRET = "bench-gateway-secret"
BUSINESS = "bench-business"

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def ok(request):
    await request.body()
    return JSONResponse({"ok": True})

app = Starlette(routes=[Route("/webhooks/tiktok", ok, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def webhook(n: int) -> tuple[bytes, dict[str, str]]:
    content = {
        "conversation_id": f"conv-{n % 500}",
        "message_id": f"bench-{os.getpid()}-{n}",
        "timestamp": int(time.time() * 1000),
        "type": "text",
        "text": {"body": f"message {n}"},
        "from_user": {"id": f"user-{n % 500}", "role": "personal_account"},
        "to_user": {"id": BUSINESS, "role": "business_account"},
    }
    body = json.dumps(
        {
            "client_key": "bench",
            "event": "im_receive_msg",
            "create_time": int(time.time()),
            "user_openid": BUSINESS,
            "content": json.dumps(content),
        }
    ).encode()
    t = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"Tiktok-Signature": f"t={t},s={signature}", "Content-Type": "application/json"}


def load(args: tuple[str, int, int, float]) -> tuple[int, int, float]:
    """One client process: post ``count`` webhooks (or until ``until``); returns
    (acknowledged, other answers, seconds)."""
    url, count, offset, until = args
    prepared = [webhook(offset + i) for i in range(count)]
    ok = other = 0
    start = time.perf_counter()
    with httpx.Client(timeout=30) as http:
        for body, headers in prepared:
            if until and time.monotonic() > until:
                break
            status = http.post(url, content=body, headers=headers).status_code
            if status == 200:
                ok += 1
            else:
                other += 1
    return ok, other, time.perf_counter() - start


def run_load(url: str, requests: int, clients: int, until: float = 0.0) -> tuple[float, int, int]:
    per = requests // clients
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        start = time.perf_counter()
        results = pool.map(load, [(url, per, c * per, until) for c in range(clients)])
        elapsed = time.perf_counter() - start
    ok = sum(r[0] for r in results)
    other = sum(r[1] for r in results)
    return ok / elapsed, ok, other


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def backlog(port: int) -> int:
    inbox: dict[str, int] = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()[
        "inbox"
    ]
    return inbox.get("pending", 0) + inbox.get("processing", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--duration", type=float, default=0, help="sustained run, seconds (e.g. 60)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "mmtkit.toml"
        config.write_text(
            f'[store]\npath = "{Path(tmp) / "bench.sqlite3"}"\n\n[channels.tiktok]\n'
            f'account_id = "{BUSINESS}"\napp_secret_env = "BENCH_SECRET"\n'
            'access_token_env = "BENCH_TOKEN"\n'
        )
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        gateway_port, bare_port = free_port(), free_port()
        env = {**os.environ, "BENCH_SECRET": SECRET, "BENCH_TOKEN": "unused"}
        servers: list[subprocess.Popen[Any]] = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mmtkit.cli",
                    "serve",
                    "--config",
                    str(config),
                    "--port",
                    str(gateway_port),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bare_app:app",
                    "--port",
                    str(bare_port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_ready(f"http://127.0.0.1:{gateway_port}/healthz")
            wait_ready(f"http://127.0.0.1:{bare_port}/")
            bare, _, _ = run_load(
                f"http://127.0.0.1:{bare_port}/webhooks/tiktok", args.requests, args.clients
            )
            gateway, ok, other = run_load(
                f"http://127.0.0.1:{gateway_port}/webhooks/tiktok", args.requests, args.clients
            )
            start = time.monotonic()
            while backlog(gateway_port) and time.monotonic() - start < 120:
                time.sleep(0.2)
            drain = time.monotonic() - start
            print(
                f"load: {args.clients} client processes, {args.requests} signed webhooks per server"
            )
            print(f"  bare ASGI endpoint (200, no work)  {bare:8.0f} requests/s")
            print(
                f"  gateway (verify, parse, inbox)     {gateway:8.0f} acknowledged/s  "
                f"ratio {gateway / bare:.2f}  ({ok} acknowledged, {other} other answers)"
            )
            print(f"  processing drained the backlog {drain:.1f} s after the load ended")
            if args.duration:
                until = time.monotonic() + args.duration
                samples: list[tuple[float, int]] = []
                pool_args = (
                    f"http://127.0.0.1:{gateway_port}/webhooks/tiktok",
                    10**7,
                    args.clients,
                    until,
                )
                with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
                    pending = pool.map_async(
                        load,
                        [
                            (pool_args[0], 10**5, 10**6 * (c + 1), until)
                            for c in range(args.clients)
                        ],
                    )
                    begun = time.monotonic()
                    while not pending.ready():
                        time.sleep(5)
                        samples.append((time.monotonic() - begun, backlog(gateway_port)))
                    results = pending.get()
                sent = sum(r[0] for r in results)
                end = time.monotonic()
                while backlog(gateway_port) and time.monotonic() - end < 120:
                    time.sleep(0.2)
                print(
                    f"sustained {args.duration:.0f} s: {sent / args.duration:.0f} acknowledged/s; "
                    f"backlog every 5 s: {[b for _, b in samples]}; "
                    f"drained {time.monotonic() - end:.1f} s after the end"
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
