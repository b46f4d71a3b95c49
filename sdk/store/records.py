"""The values the store keeps, and the pure rules that derive its indexed columns.

Everything here is backend-neutral: the memory and SQLite stores (and a future PostgreSQL
one) hold the same values and compute status and waiting time with the same functions, so
their answers to a query cannot drift apart.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from attrs import field, frozen, validators

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, utc

__all__ = [
    "ConversationStatus",
    "Direction",
    "EventDeadLetter",
    "InboxDeadLetter",
    "InboxRow",
    "InboxState",
    "LoggedMessage",
    "Rating",
    "WebhookDelivery",
    "WebhookState",
    "last_activity",
    "lease_expired_error",
    "status_of",
    "waiting_since",
]


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _headers(value: Mapping[str, str]) -> Mapping[str, str]:
    """Header names are case-insensitive in HTTP: keep them lower-case, read-only."""
    return MappingProxyType({str(k).lower(): str(v) for k, v in value.items()})


# --- inbox ----------------------------------------------------------------------------------


class InboxState(enum.StrEnum):
    PENDING = "pending"
    """Acknowledged to the platform, not processed yet (or a failed attempt to retry)."""
    PROCESSING = "processing"
    """Claimed by a worker whose lease has not expired."""
    PROCESSED = "processed"


@frozen(kw_only=True)
class InboxRow:
    """One verified webhook request, exactly as received, until a worker has processed it."""

    id: int
    channel: Channel = field(converter=Channel)
    body: bytes = field(repr=lambda b: f"<{len(b)} bytes>")
    headers: Mapping[str, str] = field(converter=_headers, hash=False, repr=False)
    received_at: datetime = field(converter=utc)
    state: InboxState = field(converter=InboxState)
    attempts: int = 0
    """How many times a worker has claimed it."""
    claimed_at: datetime | None = field(default=None, converter=_opt_utc)
    error: str | None = None
    """The error of the last failed attempt."""
    processed_at: datetime | None = field(default=None, converter=_opt_utc)


@frozen(kw_only=True)
class InboxDeadLetter:
    """A webhook body that will not be processed without a person looking at it.

    ``inbox_id`` is None for a body rejected before it reached the inbox (e.g. malformed JSON
    under a valid signature); otherwise the inbox row failed ``attempts`` times."""

    id: int
    channel: Channel = field(converter=Channel)
    body: bytes = field(repr=lambda b: f"<{len(b)} bytes>")
    headers: Mapping[str, str] = field(converter=_headers, hash=False, repr=False)
    received_at: datetime = field(converter=utc)
    failed_at: datetime = field(converter=utc)
    error: str
    attempts: int = 0
    inbox_id: int | None = None


# --- conversations --------------------------------------------------------------------------


class ConversationStatus(enum.StrEnum):
    """Who owes the next message. Deliberately time-free, so it can be stored and indexed;
    whether the reply window is still open is :func:`mmtkit.conversation.can_send`'s answer.
    """

    WAITING = "waiting"
    """The customer wrote last: the business has not answered their latest message."""
    ANSWERED = "answered"
    """The business wrote last, or nobody has written (a conversation opened by the business
    or by an ad referral alone)."""


def status_of(conversation: Conversation) -> ConversationStatus:
    customer = conversation.last_customer_message_at
    business = conversation.last_business_message_at
    if customer is not None and (business is None or business < customer):
        return ConversationStatus.WAITING
    return ConversationStatus.ANSWERED


def waiting_since(previous: datetime | None, conversation: Conversation) -> datetime | None:
    """Since when the customer has waited for an answer, given the stored value before this
    update (``previous``).

    The clock starts at the first unanswered customer message and keeps running through the
    customer's follow-ups: two messages at 10:00 and 11:00 with no reply mean "waiting since
    10:00". A conversation only remembers its first and last customer messages, so when it
    becomes waiting again after a reply the clock starts at the latest one (earlier unanswered
    ones were not stored). None when nobody waits.
    """
    if status_of(conversation) is not ConversationStatus.WAITING:
        return None
    if previous is not None:
        return previous
    if conversation.last_business_message_at is None:
        return conversation.first_customer_message_at or conversation.last_customer_message_at
    return conversation.last_customer_message_at


def last_activity(conversation: Conversation) -> datetime:
    """The latest moment anything happened in the conversation (for "most recent first")."""
    moments = [
        m
        for m in (
            conversation.opened_at,
            conversation.last_customer_message_at,
            conversation.last_business_message_at,
        )
        if m is not None
    ]
    return max(moments)


# --- message log ----------------------------------------------------------------------------


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    """From the customer."""
    OUTBOUND = "outbound"
    """From the business: an API send, or an agent's message seen as an echo."""


@frozen(kw_only=True)
class LoggedMessage:
    """One message of a conversation, as the KPIs (first response time, automation share,
    per-agent volume) need it. ``id`` is assigned by the store."""

    channel: Channel = field(converter=Channel)
    conversation_id: str = field(validator=validators.instance_of(str))
    direction: Direction = field(converter=Direction)
    at: datetime = field(converter=utc)
    platform_message_id: str | None = None
    kind: str | None = None
    """``text``, ``image``, ``share_post``, ``template``... as the event or content names it."""
    text: str | None = field(default=None, repr=False)
    automatic: bool = False
    """Sent by an automation (auto-reply, bot) rather than a person."""
    sent_by: str | None = None
    """The agent or automation that sent an outbound message."""
    outbox_id: int | None = None
    id: int | None = None


# --- customer satisfaction ------------------------------------------------------------------


@frozen(kw_only=True)
class Rating:
    """A customer's satisfaction rating of a conversation (1 to 5), as the platform or the
    MMT's own survey reported it. The customer satisfaction KPI (:mod:`mmtkit.kpis`) counts
    the latest rating of each conversation in its period. ``id`` is assigned by the store."""

    channel: Channel = field(converter=Channel)
    conversation_id: str = field(validator=validators.instance_of(str))
    score: int = field(validator=[validators.instance_of(int), validators.ge(1), validators.le(5)])
    at: datetime = field(converter=utc)
    id: int | None = None


# --- outgoing webhooks (CRM) -----------------------------------------------------------------


class WebhookState(enum.StrEnum):
    PENDING = "pending"
    """Waiting for its first attempt or its next retry (``next_attempt_at``)."""
    DELIVERED = "delivered"
    DEAD = "dead"
    """Failed for good; kept with its last error until someone requeues or removes it."""


@frozen(kw_only=True)
class WebhookDelivery:
    """One outgoing webhook (an event for a CRM) in the durable queue. ``payload`` is the exact
    JSON body that is signed and sent, so a retry sends the same bytes under the same id."""

    id: int
    endpoint: str
    event_type: str
    payload: str = field(repr=False)
    created_at: datetime = field(converter=utc)
    state: WebhookState = field(converter=WebhookState)
    attempts: int = 0
    next_attempt_at: datetime = field(converter=utc)
    error: str | None = None

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header: stable across retries, so the receiver can dedupe."""
        return f"msg_{self.id}"


# --- conversion events ----------------------------------------------------------------------


@frozen(kw_only=True)
class EventDeadLetter:
    """A conversion event a sink refused for good (issue 7), kept so it can be inspected,
    fixed and re-sent by hand. ``payload`` is the event's JSON text; it never holds message
    content, because conversion events have no field for it."""

    id: int
    sink: str
    payload: str = field(repr=False)
    error: str
    attempts: int
    failed_at: datetime = field(converter=utc)
    event_id: str | None = None


def lease_expired_error(attempts: int, last_error: str | None) -> str:
    """The dead-letter reason for a row whose workers kept dying (or hanging) on it."""
    reason = f"no worker finished it within its lease after {attempts} attempts"
    return reason if last_error is None else f"{reason}; last error: {last_error}"
