"""The client's HTTP, recorded against the sandbox into tests/cassettes/ and replayed in CI.

``make cassettes`` (``MMTKIT_RECORD_CASSETTES=1``) re-records it from the emulator; a normal
run replays it with ``record_mode="none"``, so the client's classification and retries are
checked against the emulator's real answers with no server involved -- and the cassette
scanner in tests/sandbox proves it holds no token, phone number or user id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mmtkit.client import MessagingClient
from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, MessageReceived, Text
from mmtkit.outbox import OutboxState
from mmtkit.sandbox import Sandbox

CUSTOMERS = {
    Channel.TIKTOK: ("cassette-conversation", "cassette-user"),
    Channel.WHATSAPP: ("15550009999", "15550009999"),
    Channel.MESSENGER: ("7000000000000099", "7000000000000099"),
}


def conversation(sandbox: Sandbox, channel: Channel) -> Conversation:
    conversation_id, customer = CUSTOMERS[channel]
    if channel is Channel.TIKTOK:
        sandbox.customers.open_conversation(
            "tiktok", conversation_id=conversation_id, customer=customer
        )
    else:
        sandbox.customers.open_conversation(channel.value, customer=customer)
    account = {
        Channel.TIKTOK: "sandbox-business",
        Channel.WHATSAPP: "100000000000001",
        Channel.MESSENGER: "200000000000001",
    }[channel]
    return Conversation.from_event(
        MessageReceived(
            channel=channel,
            conversation_id=conversation_id,
            customer_id=customer,
            account_id=account,
            kind="text",
            text="hi",
            timestamp=datetime.now(UTC),
        )
    )


def test_client_sends_replay_from_the_cassette(
    mmtkit_sandbox: Sandbox, mmtkit_client: MessagingClient, mmtkit_vcr: Any
) -> None:
    mmtkit_sandbox.set_faults("tiktok.send", sequence=["throttle", "server_error"])
    with mmtkit_vcr.use_cassette("client_sends.yaml") as cassette:
        receipts = {
            channel: mmtkit_client.send(
                conversation(mmtkit_sandbox, channel),
                Text(f"Thanks for your order! ({channel.value})"),
            )
            for channel in CUSTOMERS
        }
    assert all(r.state is OutboxState.SENT for r in receipts.values())
    assert receipts[Channel.TIKTOK].attempts == 3  # a throttle and a 503, then sent
    assert receipts[Channel.WHATSAPP].platform_message_id.startswith("wamid.")  # type: ignore[union-attr]
    assert len(cassette) == 5
