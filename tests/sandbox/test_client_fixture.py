"""The pytest plugin's ``mmtkit_client`` fixture: a user's test sends against the sandbox
on every platform with no setup of its own."""

from __future__ import annotations

from datetime import UTC, datetime

from mmtkit.client import MessagingClient
from mmtkit.conversation import Conversation
from mmtkit.messages import MessageReceived, Text
from mmtkit.outbox import OutboxState
from mmtkit.sandbox import Sandbox


def test_the_client_fixture_sends_on_every_platform(
    mmtkit_sandbox: Sandbox, mmtkit_client: MessagingClient
) -> None:
    for platform in ("tiktok", "whatsapp", "messenger"):
        opened = getattr(mmtkit_sandbox.customers, f"{platform}_message")("hi")
        hello = MessageReceived(
            channel=platform,
            conversation_id=opened.conversation_id,
            customer_id=opened.customer,
            account_id=opened.account,
            kind="text",
            text="hi",
            timestamp=datetime.now(UTC),
        )
        receipt = mmtkit_client.send(Conversation.from_event(hello), Text(f"Hello on {platform}!"))
        assert receipt.state is OutboxState.SENT
    outbound = mmtkit_sandbox.ledger.entries(direction="outbound")
    assert {e.platform for e in outbound} >= {"tiktok", "whatsapp", "messenger"}
