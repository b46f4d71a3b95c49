"""A sending worker for the crash test, run as ``python sender_process.py DB URL JSON``.

It resumes whatever the outbox holds, then sends ``count`` messages with idempotency keys
``crash-<i>`` (a key already in the outbox is a replay, not a new message), printing
``accepted <i>`` after each send returns, so the parent knows when to kill it.
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime

from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.capabilities import RateLimit
from mmtkit.client import ChannelSetup, MessagingClient
from mmtkit.conversation import Conversation
from mmtkit.credentials import StaticCredentials
from mmtkit.errors import DeliveryError
from mmtkit.messages import MessageReceived, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.retry import RetryPolicy
from mmtkit.store.sqlite import SqliteStore
from mmtkit.transport import Timeouts


def main(database: str, base_url: str, spec: dict[str, str | int]) -> None:
    store = SqliteStore(database)
    hello = MessageReceived(
        channel="tiktok",
        conversation_id=str(spec["conversation_id"]),
        customer_id=str(spec["customer"]),
        kind="text",
        text="hi",
        timestamp=datetime.now(UTC),
        account_id=str(spec["account"]),
    )
    conversation = Conversation.from_event(hello)
    setup = ChannelSetup(
        adapter=TikTokAdapter(
            base_url=base_url, account_id=str(spec["account"]), max_business_messages=10**7
        ),
        credentials=StaticCredentials("tt-sandbox-token"),
        rate_limits=(RateLimit("app", 100_000),),
    )
    retry = RetryPolicy(max_attempts=20, backoff_base=0.005, backoff_cap=0.05)
    with MessagingClient(
        {"tiktok": setup},
        plugins=PluginManager(env={}),
        outbox=store.outbox,
        retry=retry,
        timeouts=Timeouts(read=0.3),
    ) as client:
        client.resume()
        print("resumed", flush=True)
        for i in range(int(spec["count"])):
            with contextlib.suppress(DeliveryError):  # on record in the outbox
                client.send(conversation, Text(f"crash-{i}"), idempotency_key=f"crash-{i}")
            print(f"accepted {i}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
