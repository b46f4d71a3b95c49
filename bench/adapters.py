"""What an adapter adds on the hot paths, against the bare standard-library work, per
adapter loaded through the plugin manager, measured in the same run.

(a) webhook: ``verify_webhook`` + ``parse_webhook`` of the channel's typical message
    (``tests/fixtures/<channel>/webhook_message.json``) against ``hmac.new(...).hexdigest()``
    + ``hmac.compare_digest`` + ``json.loads`` of the same bytes;
(b) send: ``plan_send`` of a Text run to its final request against ``json.dumps`` of that
    request's body.

Each figure is the median of several timeit rounds (per call, in microseconds); the two
sides alternate round by round, so the machine's noise hits both alike. The target
(issue 3) is a ratio <= 3 for both.

    .venv/bin/python bench/adapters.py [--repeat 15] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import timeit
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mmtkit.adapter import Adapter, HttpRequest
from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SECRET = "bench-app-secret"
TARGET = 3.0


def per_call_us(
    candidate: Callable[[], object], baseline: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median microseconds per call of each side. The two are timed in alternation, round
    after round, so a burst of load on a shared machine hits both alike."""
    number, _ = timeit.Timer(candidate).autorange()
    base_number, _ = timeit.Timer(baseline).autorange()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(timeit.timeit(candidate, number=number) / number)
        theirs.append(timeit.timeit(baseline, number=base_number) / base_number)
    return statistics.median(ours) * 1e6, statistics.median(theirs) * 1e6


def final_request(adapter: Adapter, conversation: Conversation) -> HttpRequest:
    plan = adapter.plan_send(conversation, Text("Hi! Your order ships today."), token="tok")
    try:
        step = next(plan)
    except StopIteration as done:
        request: HttpRequest = done.value
        return request
    raise RuntimeError(f"a Text send should need no intermediate step, got {step!r}")


def bench_webhook(adapter: Adapter, body: bytes, repeat: int) -> tuple[float, float]:
    now = 1_723_680_001.0
    headers = adapter.sign_webhook(body, now=now)
    key = SECRET.encode()
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()

    def candidate() -> None:
        adapter.verify_webhook(headers, body, now=now)
        adapter.parse_webhook(body)

    def baseline() -> None:
        digest = hmac.new(key, body, hashlib.sha256).hexdigest()
        hmac.compare_digest(digest, expected)
        json.loads(body)

    return per_call_us(candidate, baseline, repeat)


def bench_send(adapter: Adapter, repeat: int) -> tuple[float, float]:
    conversation = Conversation(
        channel=adapter.channel,
        conversation_id="Zm9vYmFy+Y29udg==",
        customer_id="16505551234",
        opened_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    payload = final_request(adapter, conversation).json
    return per_call_us(
        lambda: final_request(adapter, conversation), lambda: json.dumps(payload), repeat
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a ratio > {TARGET}")
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a broken third-party plugin is reported, not fatal
        manager = PluginManager.with_entry_points(env={})
    rows: list[tuple[str, str, float, float]] = []
    for channel in sorted(manager.adapter_factories()):
        adapter = manager.create_adapter(channel, app_secret=SECRET, account_id="1065000000001")
        sample = FIXTURES / Channel(channel).value / "webhook_message.json"
        if sample.exists():
            rows.append((channel, "verify+parse", *bench_webhook(adapter, sample.read_bytes(),
                                                                 args.repeat)))
        else:
            print(f"{channel}: no {sample.relative_to(FIXTURES.parent.parent)}, webhook skipped")
        rows.append((channel, "plan_send(Text)", *bench_send(adapter, args.repeat)))

    print(f"{'adapter':<10} {'path':<16} {'adapter µs':>11} {'baseline µs':>12} {'ratio':>6}")
    worst = 0.0
    for channel, path, ours, base in rows:
        ratio = ours / base
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET else f"  > {TARGET:g}x target"
        print(f"{channel:<10} {path:<16} {ours:>11.2f} {base:>12.2f} {ratio:>5.2f}x{flag}")
    return 1 if args.check and worst > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
