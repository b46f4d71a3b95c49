"""Sending throughput against the sandbox, as a ratio to bare httpx in the same run.

    .venv/bin/python bench/send.py [--sends 3000] [--concurrency 16] [--memory] [--fidelity]

* throughput: the same TEXT payloads POSTed by bare ``httpx`` and sent through
  ``MessagingClient`` / ``AsyncMessagingClient`` (policy stage empty; outbox in SQLite, the
  durable default, and in memory) to the same sandbox, which runs in its own process; target
  SDK >= 0.8x bare, sync and async;
* ``--memory``: resident memory after 10,000 and after 100,000 sends (target: < 10% growth);
* ``--fidelity``: the sandbox limits the app to N requests/s; a 30 s run must sustain
  >= 0.95 N with zero throttle answers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.capabilities import RateLimit
from mmtkit.client import AsyncMessagingClient, ChannelSetup, MessagingClient
from mmtkit.conversation import Conversation
from mmtkit.credentials import StaticCredentials
from mmtkit.errors import DeliveryError
from mmtkit.messages import MessageReceived, Text
from mmtkit.outbox import MemoryOutbox
from mmtkit.plugin_manager import PluginManager
from mmtkit.retry import RetryPolicy
from mmtkit.sandbox.process import SandboxProcess

TOKEN = "tt-sandbox-token"
ROUNDS = 3
UNLIMITED = {"rate": "1000000/second", "messages_per_window": 10**9, "echo_sends": False}


def opened(sandbox: SandboxProcess) -> tuple[Conversation, ChannelSetup, str]:
    customer = sandbox.customer("tiktok_message", text="hi")
    hello = MessageReceived(
        channel="tiktok",
        conversation_id=customer["conversation_id"],
        customer_id=customer["customer"],
        kind="text",
        text="hi",
        timestamp=datetime.now(UTC),
        account_id=customer["account"],
    )
    setup = ChannelSetup(
        adapter=TikTokAdapter(
            base_url=sandbox.tiktok_base_url,
            account_id=customer["account"],
            max_business_messages=10**9,
        ),
        credentials=StaticCredentials(TOKEN),
        rate_limits=(RateLimit("app", 1_000_000),),
    )
    return Conversation.from_event(hello), setup, customer["account"]


def payload(conversation: Conversation, account: str, text: str) -> dict[str, Any]:
    return {
        "business_id": account,
        "recipient_type": "CONVERSATION",
        "recipient": conversation.conversation_id,
        "message_type": "TEXT",
        "text": {"body": text},
    }


def awaiting(function: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """A blocking call that runs ``function(*args)`` in a fresh event loop."""
    return lambda: asyncio.run(function(*args))


def rate(count: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def throughput(sends: int, concurrency: int) -> None:
    with SandboxProcess({"tiktok": UNLIMITED}) as sandbox:
        conversation, setup, account = opened(sandbox)
        url = sandbox.tiktok_base_url + "business/message/send/"
        texts = [f"bench {i}" for i in range(sends)]

        def bare_sync(batch: list[str]) -> None:
            with httpx.Client() as http:
                for text in batch:
                    http.post(
                        url,
                        headers={"Access-Token": TOKEN},
                        json=payload(conversation, account, text),
                    )

        def sdk_sync(outbox: Any, batch: list[str]) -> Callable[[], None]:
            def run() -> None:
                with MessagingClient(
                    {"tiktok": setup}, plugins=PluginManager(env={}), outbox=outbox
                ) as client:
                    for text in batch:
                        client.send(conversation, Text(text))

            return run

        async def bare_async(batch: list[str]) -> None:
            gate = asyncio.Semaphore(concurrency)
            async with httpx.AsyncClient() as http:

                async def one(text: str) -> None:
                    async with gate:
                        await http.post(
                            url,
                            headers={"Access-Token": TOKEN},
                            json=payload(conversation, account, text),
                        )

                await asyncio.gather(*(one(t) for t in batch))

        async def sdk_async(outbox: Any, batch: list[str]) -> None:
            gate = asyncio.Semaphore(concurrency)
            async with AsyncMessagingClient(
                {"tiktok": setup}, plugins=PluginManager(env={}), outbox=outbox
            ) as client:

                async def one(text: str) -> None:
                    async with gate:
                        await client.send(conversation, Text(text))

                await asyncio.gather(*(one(t) for t in batch))

        # Rounds interleave the variants, so a burst of load on a shared machine hits them all;
        # each figure is the median of its rounds.
        rounds: dict[str, list[float]] = {}
        per_round = max(1, sends // ROUNDS)
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(ROUNDS):
                batch = texts[n * per_round : (n + 1) * per_round]
                variants: dict[str, Callable[[], None]] = {
                    "bare httpx, sync": partial(bare_sync, batch),
                    "MessagingClient, SQLite outbox": sdk_sync(
                        Path(tmp) / f"sync{n}.sqlite3", batch
                    ),
                    "MessagingClient, memory outbox": sdk_sync(MemoryOutbox(), batch),
                    f"bare httpx, async x{concurrency}": awaiting(bare_async, batch),
                    "AsyncMessagingClient, SQLite outbox": awaiting(
                        sdk_async, Path(tmp) / f"async{n}.sqlite3", batch
                    ),
                    "AsyncMessagingClient, memory outbox": awaiting(
                        sdk_async, MemoryOutbox(), batch
                    ),
                }
                for name, run in variants.items():
                    rounds.setdefault(name, []).append(rate(len(batch), run))
        results = {name: statistics.median(values) for name, values in rounds.items()}
    base_sync = results["bare httpx, sync"]
    base_async = results[f"bare httpx, async x{concurrency}"]
    print(f"throughput, {sends} sends each (sandbox in its own process)")
    for name, value in results.items():
        base = base_async if "async" in name.lower() else base_sync
        print(f"  {name:<40} {value:8.0f} sends/s   {value / base:4.2f}x bare")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def memory(total: int = 100_000, checkpoint: int = 10_000) -> None:
    with SandboxProcess({"tiktok": UNLIMITED}) as sandbox, tempfile.TemporaryDirectory() as tmp:
        conversation, setup, _ = opened(sandbox)
        with MessagingClient(
            {"tiktok": setup}, plugins=PluginManager(env={}), outbox=Path(tmp) / "memory.sqlite3"
        ) as client:
            at_checkpoint = 0
            for i in range(total):
                client.send(conversation, Text(f"memory {i}"))
                if i + 1 == checkpoint:
                    at_checkpoint = rss_kib()
            at_end = rss_kib()
    growth = (at_end - at_checkpoint) / at_checkpoint
    print(
        f"resident memory: {at_checkpoint / 1024:.1f} MiB after {checkpoint} sends, "
        f"{at_end / 1024:.1f} MiB after {total}: growth {growth:+.1%} (target < 10%)"
    )


def fidelity(limit: int = 40, seconds: float = 30.0) -> None:
    config = {"tiktok": {**UNLIMITED, "rate": f"{limit}/second"}}
    with SandboxProcess(config) as sandbox:
        conversation, setup, _ = opened(sandbox)
        from attrs import evolve

        setup = evolve(setup, rate_limits=(RateLimit("app", limit),))
        sent = throttled = 0
        with MessagingClient(
            {"tiktok": setup}, plugins=PluginManager(env={}), retry=RetryPolicy(max_attempts=1)
        ) as client:
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                try:
                    client.send(conversation, Text(f"paced {sent}"))
                except DeliveryError:
                    throttled += 1
                sent += 1
            achieved = sent / (time.monotonic() - start)
    print(
        f"throttle fidelity: platform limit {limit}/s, {seconds:.0f} s run: {achieved:.2f}/s "
        f"= {achieved / limit:.3f} of the limit (target >= 0.95), throttle answers: {throttled}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--memory", action="store_true", help="10,000 vs 100,000 sends RSS")
    parser.add_argument("--fidelity", action="store_true", help="30 s throttle-fidelity run")
    args = parser.parse_args()
    throughput(args.sends, args.concurrency)
    if args.memory:
        memory()
    if args.fidelity:
        fidelity()


if __name__ == "__main__":
    sys.exit(main())
