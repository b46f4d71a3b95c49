"""Conversation state and the platforms' reply-window rules, as pure functions.

A :class:`Conversation` is an immutable value; every transition returns a new one. Nothing
here does I/O or reads the clock: the caller passes ``now``. That keeps the rules testable
(property tests replay random event sequences against a brute-force model) and lets the same
code serve the sync client, the async client and the gateway worker.

The rules, per channel (numbers in :mod:`mmtkit.capabilities`, all configurable):

* only the customer opens a conversation on TikTok DM and Messenger; WhatsApp allows the
  business to open one with a template only; TikTok Shop sellers may open one;
* the window runs from the customer's *last* message (TikTok 48 h, WhatsApp 24 h,
  Messenger 24 h); business messages do not extend it;
* TikTok caps business messages per window (about 10), reset by any customer message;
* Messenger's ``HUMAN_AGENT`` tag lets a person reply for 7 days after the last message.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from attrs import evolve, field, frozen, validators

from mmtkit.capabilities import DEFAULT_CAPABILITIES, WindowRule
from mmtkit.messages import (
    AdReferral,
    Channel,
    Content,
    EchoSource,
    InboundEvent,
    MessageEcho,
    MessageReceived,
    Template,
    utc,
)

__all__ = [
    "Allowed",
    "Attribution",
    "Conversation",
    "Initiator",
    "NeedsTag",
    "NotCustomerInitiated",
    "QuotaExhausted",
    "SendPermission",
    "WindowClosed",
    "can_send",
    "window_rule_for",
]


class Initiator(enum.StrEnum):
    CUSTOMER = "customer"
    BUSINESS = "business"


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


@frozen(kw_only=True)
class Attribution:
    """Which ad or link brought the customer, as the platform reported it."""

    source: str
    at: datetime = field(converter=utc)
    ad_id: str | None = None
    advertiser_id: str | None = None
    click_id: str | None = None
    ref: str | None = None
    material_id: str | None = None
    tracking_id: str | None = None

    @classmethod
    def from_referral(cls, referral: AdReferral) -> Attribution:
        return cls(
            source=referral.source,
            at=referral.timestamp,
            ad_id=referral.ad_id,
            advertiser_id=referral.advertiser_id,
            click_id=referral.click_id,
            ref=referral.ref,
            material_id=referral.material_id,
        )


def _labels(value: frozenset[str] | set[str] | tuple[str, ...] | list[str]) -> frozenset[str]:
    return frozenset(value)


@frozen(kw_only=True)
class Conversation:
    """One customer's thread with the business on one channel, at a point in time."""

    channel: Channel = field(converter=Channel)
    conversation_id: str = field(validator=validators.instance_of(str))
    customer_id: str = field(validator=validators.instance_of(str))
    opened_at: datetime = field(converter=utc)
    initiated_by: Initiator = field(default=Initiator.CUSTOMER, converter=Initiator)
    account_id: str | None = None
    first_customer_message_at: datetime | None = field(default=None, converter=_opt_utc)
    last_customer_message_at: datetime | None = field(default=None, converter=_opt_utc)
    last_business_message_at: datetime | None = field(default=None, converter=_opt_utc)
    business_messages_in_window: int = field(default=0, validator=validators.ge(0))
    first_response_at: datetime | None = field(default=None, converter=_opt_utc)
    attribution: Attribution | None = None
    labels: frozenset[str] = field(default=frozenset(), converter=_labels)
    assignee: str | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_event(cls, event: InboundEvent) -> Conversation:
        """Open a conversation from the first event seen for it, and apply that event."""
        if event.conversation_id is None or event.customer_id is None:
            raise ValueError("an event without conversation and customer ids opens no conversation")
        opened = cls(
            channel=event.channel,
            conversation_id=event.conversation_id,
            customer_id=event.customer_id,
            opened_at=event.timestamp,
            initiated_by=(
                Initiator.BUSINESS if isinstance(event, MessageEcho) else Initiator.CUSTOMER
            ),
            account_id=event.account_id,
        )
        return opened.apply(event)

    # -- transitions ------------------------------------------------------------------------

    def record_customer_message(self, at: datetime) -> Conversation:
        """A customer message opens or refreshes the window and resets the per-window quota.

        A message older than the newest one already seen (webhooks arrive out of order)
        changes nothing about the window.
        """
        at = utc(at)
        first = self.first_customer_message_at
        first = at if first is None or at < first else first
        last = self.last_customer_message_at
        if last is not None and at <= last:
            return evolve(self, first_customer_message_at=first)
        return evolve(
            self,
            first_customer_message_at=first,
            last_customer_message_at=at,
            business_messages_in_window=0,
        )

    def record_business_message(self, at: datetime) -> Conversation:
        """Count a business message against the window and note the first response."""
        at = utc(at)
        last_business = self.last_business_message_at
        first_response = self.first_response_at
        if (
            first_response is None
            and self.first_customer_message_at is not None
            and at >= self.first_customer_message_at
        ):
            first_response = at
        in_window = self.business_messages_in_window
        if self.last_customer_message_at is not None and at >= self.last_customer_message_at:
            in_window += 1
        return evolve(
            self,
            last_business_message_at=at if last_business is None else max(at, last_business),
            business_messages_in_window=in_window,
            first_response_at=first_response,
        )

    def record_referral(self, referral: AdReferral) -> Conversation:
        """Keep the first ad attribution; a later referral does not re-attribute the chat."""
        if self.attribution is not None:
            return self
        return evolve(self, attribution=Attribution.from_referral(referral))

    def with_tracking_id(self, tracking_id: str) -> Conversation:
        attribution = self.attribution or Attribution(source="tracking_id", at=self.opened_at)
        return evolve(self, attribution=evolve(attribution, tracking_id=tracking_id))

    def apply(self, event: InboundEvent) -> Conversation:
        """The state after ``event``. Our own API echoes are not counted twice: the send
        pipeline already recorded them when it sent."""
        if isinstance(event, MessageReceived):
            return self.record_customer_message(event.timestamp)
        if isinstance(event, MessageEcho):
            if event.source is EchoSource.API:
                return self
            return self.record_business_message(event.timestamp)
        if isinstance(event, AdReferral):
            return self.record_referral(event)
        return self

    def with_label(self, label: str) -> Conversation:
        if not label.strip():
            raise ValueError("a label must not be blank")
        return evolve(self, labels=self.labels | {label})

    def without_label(self, label: str) -> Conversation:
        return evolve(self, labels=self.labels - {label})

    def assigned_to(self, agent: str | None) -> Conversation:
        return evolve(self, assignee=agent)

    # -- derived -----------------------------------------------------------------------------

    @property
    def first_response_time(self) -> timedelta | None:
        if self.first_response_at is None or self.first_customer_message_at is None:
            return None
        return self.first_response_at - self.first_customer_message_at

    @property
    def is_customer_initiated(self) -> bool:
        return self.first_customer_message_at is not None


# --- can_send outcomes --------------------------------------------------------------------


@frozen
class Allowed:
    """The business may send now. ``closes_at`` and ``messages_left`` are None when unlimited."""

    closes_at: datetime | None = None
    messages_left: int | None = None

    allowed = True


@frozen
class NeedsTag:
    """Outside the standard window, but a message tag (Messenger ``HUMAN_AGENT``) allows a
    reply by a person until ``until``."""

    tag: str
    until: datetime

    allowed = True


@frozen
class WindowClosed:
    closed_at: datetime
    reopened_by: str

    allowed = False

    def __str__(self) -> str:
        closed = self.closed_at.isoformat()
        return f"reply window closed at {closed}; reopened by {self.reopened_by}"


@frozen
class NotCustomerInitiated:
    reopened_by: str

    allowed = False

    def __str__(self) -> str:
        return f"the customer has not written yet; the business may write after {self.reopened_by}"


@frozen
class QuotaExhausted:
    limit: int
    used: int
    reopened_by: str

    allowed = False

    def __str__(self) -> str:
        return (
            f"{self.used} of {self.limit} business messages used in this window; "
            f"more are allowed after {self.reopened_by}"
        )


SendPermission = Allowed | NeedsTag | WindowClosed | NotCustomerInitiated | QuotaExhausted


def window_rule_for(channel: Channel) -> WindowRule:
    return DEFAULT_CAPABILITIES[Channel(channel)].window


def can_send(
    conversation: Conversation,
    content: Content,
    now: datetime,
    rule: WindowRule | None = None,
) -> SendPermission:
    """May the business send ``content`` in ``conversation`` at ``now``?

    ``rule`` defaults to the channel's :class:`~mmtkit.capabilities.WindowRule`; pass your
    own (``attrs.evolve(rule, max_business_messages=...)``) where a platform's numbers differ.
    ``content`` is part of the question because a :class:`~mmtkit.messages.Template` may be
    sent outside the window (and may open a conversation) where the channel allows templates.
    """
    now = utc(now)
    rule = rule or window_rule_for(conversation.channel)
    if isinstance(content, Template) and rule.template_outside_window:
        return Allowed()
    last = conversation.last_customer_message_at
    if rule.duration is None:
        if last is None and not rule.business_can_initiate:
            return NotCustomerInitiated(reopened_by=rule.reopened_by)
        return Allowed()
    if last is None:
        return NotCustomerInitiated(reopened_by=rule.reopened_by)
    closes_at = last + rule.duration
    if now >= closes_at:
        if rule.tag is not None and rule.tag_window is not None and now < last + rule.tag_window:
            return NeedsTag(tag=rule.tag, until=last + rule.tag_window)
        return WindowClosed(closed_at=closes_at, reopened_by=rule.reopened_by)
    left: int | None = None
    if rule.max_business_messages is not None:
        used = conversation.business_messages_in_window
        if used >= rule.max_business_messages:
            return QuotaExhausted(
                limit=rule.max_business_messages, used=used, reopened_by=rule.reopened_by
            )
        left = rule.max_business_messages - used
    return Allowed(closes_at=closes_at, messages_left=left)
