"""Any sequence of conversation updates and any query: SQLite answers as the memory store does
(same conversations, same order, same waiting-since)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel
from mmtkit.store import ConversationStatus, MemoryStore, SqliteStore

from .conftest import T0

hours = st.integers(min_value=0, max_value=12).map(lambda h: T0 + timedelta(hours=h))
channels = st.sampled_from([Channel.TIKTOK, Channel.WHATSAPP])
labels = st.frozensets(st.sampled_from(["lead", "vip", "refund"]), max_size=2)
assignees = st.none() | st.sampled_from(["ana", "bo"])


@st.composite
def updates(draw: st.DrawFn) -> Conversation:
    """A conversation after a few random customer and business messages."""
    conversation = Conversation(
        channel=draw(channels),
        conversation_id=draw(st.sampled_from(["a", "b", "c", "d"])),
        customer_id="u",
        opened_at=T0,
        labels=draw(labels),
        assignee=draw(assignees),
    )
    for from_customer, at in draw(st.lists(st.tuples(st.booleans(), hours), max_size=4)):
        conversation = (
            conversation.record_customer_message(at)
            if from_customer
            else conversation.record_business_message(at)
        )
    return conversation


queries = st.fixed_dictionaries(
    {},
    optional={
        "channel": channels,
        "label": st.sampled_from(["lead", "vip", "refund"]),
        "status": st.sampled_from(list(ConversationStatus)),
        "assignee": st.sampled_from(["ana", "bo"]),
        "waiting_longer_than": st.integers(min_value=0, max_value=12).map(
            lambda h: timedelta(hours=h)
        ),
        "limit": st.integers(min_value=0, max_value=5),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(updates(), max_size=12), st.lists(queries, min_size=1, max_size=4), hours)
def test_queries_agree(
    history: list[Conversation], asked: list[dict[str, object]], now: object
) -> None:
    memory, sqlite = MemoryStore(), SqliteStore(":memory:")
    try:
        for conversation in history:
            memory.conversations.upsert(conversation)
            sqlite.conversations.upsert(conversation)
        for query in asked:
            when = {"now": now} if "waiting_longer_than" in query else {}
            expected = memory.conversations.query(**query, **when)  # type: ignore[arg-type]
            assert sqlite.conversations.query(**query, **when) == expected  # type: ignore[arg-type]
        for conversation in history:
            key = (conversation.channel, conversation.conversation_id)
            assert sqlite.conversations.waiting_since(*key) == memory.conversations.waiting_since(
                *key
            )
        assert sqlite.labels.counts() == memory.labels.counts()
    finally:
        sqlite.close()
