"""Customer-service KPIs, computed from the store: response rate, first response time and
customer satisfaction, per channel and per agent.

The definitions follow the TikTok Shop Customer Service Policy, §6.1-6.2 (the full text and
our reading of it are in ``docs/kpis.md``):

* **12-hour response rate** = chats responded within 12 hours / chats received, over the last
  7 calendar days, evaluated every Monday; target at least 85 %.
* **First response time** = minutes from the customer's first message of a chat to the first
  response, responded chats only; target under 30 minutes.
* **Customer satisfaction** = chats rated 4 or 5 / chats rated; target at least 70 %.

The policy does not say what one "chat" is. Here a chat is one *customer turn*: it starts
with a customer message that nobody is answering yet and ends with the business's next
message that counts as a response (§5.1.1 and §5.2.1: "respond within 12 hours of the
customer message being sent"). Customer follow-ups before the response belong to the same
chat, so the clock runs from the first unanswered message -- as ``waiting_since`` in the store.

Everything here is a pure function of :class:`ChatHistory` values and the times passed in:
nothing reads the clock, so the property tests compare the functions with a brute-force
reference over random histories, and a report for a past week is reproducible.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from attrs import field, frozen

from mmtkit.conversation import Conversation, Initiator
from mmtkit.errors import MmtkitError
from mmtkit.messages import Channel, utc
from mmtkit.store.base import Store
from mmtkit.store.records import Direction, LoggedMessage, Rating

__all__ = [
    "UNASSIGNED",
    "Chat",
    "ChatHistory",
    "DueChat",
    "Exclusion",
    "InvalidRating",
    "KpiReport",
    "KpiSettings",
    "KpiSummary",
    "Period",
    "chats",
    "due",
    "evaluation_periods",
    "last_days",
    "load_histories",
    "record_rating",
    "report",
    "weekly_reports",
]

UNASSIGNED = "(unassigned)"
"""The agent key of chats in conversations nobody is assigned to."""


class InvalidRating(MmtkitError, ValueError):
    """A satisfaction rating that is not an integer from 1 to 5, or for no known chat."""


@frozen
class Period:
    """The instants ``start <= t < end`` (both stored in UTC)."""

    start: datetime = field(converter=utc)
    end: datetime = field(converter=utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts: {self.start} .. {self.end}")

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _periods(value: Iterable[Period]) -> tuple[Period, ...]:
    return tuple(value)


def _labels(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@frozen(kw_only=True)
class KpiSettings:
    """What counts. The defaults follow the policy; each exclusion is a setting because an
    MMT's customers hold themselves to different rules (and other platforms have none)."""

    response_window: timedelta = timedelta(hours=12)
    count_automatic_replies: bool = True
    """§6.2: "messages responded to by auto-reply features or FAQ responses will be considered
    as a response". Set False to measure the people only."""
    exclude_holiday_mode: bool = True
    """§6.2: "while a seller's shop is in Holiday Mode, customer service performance will not
    be assessed". Chats that *start* inside one of :attr:`holidays` are left out."""
    holidays: tuple[Period, ...] = field(default=(), converter=_periods)
    exclude_business_initiated: bool = True
    """Leave out conversations the business opened (a template, an outreach): the policy
    measures answers to customers' inquiries."""
    exclude_blocked: bool = True
    """Leave out conversations carrying one of :attr:`blocked_labels` (customers the business
    blocked or reported for abuse, §5.3)."""
    blocked_labels: frozenset[str] = field(default=frozenset({"blocked"}), converter=_labels)
    response_rate_target: float = 0.85
    first_response_target: timedelta = timedelta(minutes=30)
    satisfaction_target: float = 0.70


class Exclusion(enum.StrEnum):
    HOLIDAY_MODE = "holiday_mode"
    BUSINESS_INITIATED = "business_initiated"
    BLOCKED = "blocked"


def _messages(value: Iterable[LoggedMessage]) -> tuple[LoggedMessage, ...]:
    return tuple(value)


def _ratings(value: Iterable[Rating]) -> tuple[Rating, ...]:
    return tuple(value)


@frozen(kw_only=True)
class ChatHistory:
    """One conversation as the KPIs see it: its current state, its message log, its ratings."""

    conversation: Conversation
    messages: tuple[LoggedMessage, ...] = field(default=(), converter=_messages)
    ratings: tuple[Rating, ...] = field(default=(), converter=_ratings)

    @property
    def agent(self) -> str:
        return self.conversation.assignee or UNASSIGNED


@frozen(kw_only=True)
class Chat:
    """One customer turn and its response (``responded_at`` None while unanswered)."""

    channel: Channel
    conversation_id: str
    agent: str
    started_at: datetime
    responded_at: datetime | None = None
    responded_by: str | None = None
    automatic_response: bool = False
    excluded: Exclusion | None = None

    @property
    def response_time(self) -> timedelta | None:
        return None if self.responded_at is None else self.responded_at - self.started_at


def _exclusion(history: ChatHistory, at: datetime, settings: KpiSettings) -> Exclusion | None:
    conversation = history.conversation
    if settings.exclude_blocked and conversation.labels & settings.blocked_labels:
        return Exclusion.BLOCKED
    if settings.exclude_business_initiated and conversation.initiated_by is Initiator.BUSINESS:
        return Exclusion.BUSINESS_INITIATED
    if settings.exclude_holiday_mode and any(at in p for p in settings.holidays):
        return Exclusion.HOLIDAY_MODE
    return None


def _counts_as_response(message: LoggedMessage, settings: KpiSettings) -> bool:
    return message.direction is Direction.OUTBOUND and (
        settings.count_automatic_replies or not message.automatic
    )


def chats(
    history: ChatHistory, *, as_of: datetime, settings: KpiSettings | None = None
) -> list[Chat]:
    """The conversation's chats, as known at ``as_of`` (later messages are ignored)."""
    settings = settings or KpiSettings()
    as_of = utc(as_of)
    conversation = history.conversation
    ordered = sorted(
        (m for m in history.messages if m.at <= as_of), key=lambda m: m.at
    )  # stable: messages logged at the same instant keep their log order
    found: list[Chat] = []
    open_at: datetime | None = None
    for message in ordered:
        if message.direction is Direction.INBOUND:
            open_at = open_at or message.at
            continue
        if open_at is None or not _counts_as_response(message, settings):
            continue
        found.append(
            Chat(
                channel=conversation.channel,
                conversation_id=conversation.conversation_id,
                agent=history.agent,
                started_at=open_at,
                responded_at=message.at,
                responded_by=message.sent_by,
                automatic_response=message.automatic,
                excluded=_exclusion(history, open_at, settings),
            )
        )
        open_at = None
    if open_at is not None:
        found.append(
            Chat(
                channel=conversation.channel,
                conversation_id=conversation.conversation_id,
                agent=history.agent,
                started_at=open_at,
                excluded=_exclusion(history, open_at, settings),
            )
        )
    return found


@frozen(kw_only=True)
class KpiSummary:
    """The three KPIs over one group of chats; a ratio is None when nothing was measured."""

    chats_received: int = 0
    """Chats that started in the period and are not excluded."""
    chats_excluded: int = 0
    chats_pending: int = 0
    """Unanswered chats whose 12 hours had not run out at ``as_of``: not decided yet, so
    left out of the response rate."""
    chats_responded_in_time: int = 0
    chats_responded: int = 0
    first_response_minutes: float | None = None
    """Mean over the responded chats."""
    chats_rated: int = 0
    chats_rated_good: int = 0
    """Rated 4 or 5."""
    response_rate: float | None = None
    satisfaction: float | None = None
    response_rate_met: bool | None = None
    first_response_met: bool | None = None
    satisfaction_met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _SUMMARY_FIELDS}


_SUMMARY_FIELDS = tuple(a.name for a in KpiSummary.__attrs_attrs__)


def _summarise(
    chat_list: Sequence[Chat],
    rated: Sequence[Rating],
    *,
    as_of: datetime,
    settings: KpiSettings,
) -> KpiSummary:
    counted = [c for c in chat_list if c.excluded is None]
    pending = [
        c
        for c in counted
        if c.responded_at is None and c.started_at + settings.response_window > as_of
    ]
    in_time = [
        c
        for c in counted
        if c.response_time is not None and c.response_time <= settings.response_window
    ]
    responded = [c.response_time for c in counted if c.response_time is not None]
    decided = len(counted) - len(pending)
    rate = len(in_time) / decided if decided else None
    minutes = sum(t.total_seconds() for t in responded) / 60 / len(responded) if responded else None
    good = sum(1 for r in rated if r.score >= 4)
    satisfaction = good / len(rated) if rated else None
    target_minutes = settings.first_response_target.total_seconds() / 60
    return KpiSummary(
        chats_received=len(counted),
        chats_excluded=len(chat_list) - len(counted),
        chats_pending=len(pending),
        chats_responded_in_time=len(in_time),
        chats_responded=len(responded),
        first_response_minutes=minutes,
        chats_rated=len(rated),
        chats_rated_good=good,
        response_rate=rate,
        satisfaction=satisfaction,
        response_rate_met=None if rate is None else rate >= settings.response_rate_target,
        first_response_met=None if minutes is None else minutes < target_minutes,
        satisfaction_met=(
            None if satisfaction is None else satisfaction >= settings.satisfaction_target
        ),
    )


@frozen(kw_only=True)
class KpiReport:
    """The KPIs of one period: overall, per channel and per agent (the conversation's
    assignee, :data:`UNASSIGNED` for nobody)."""

    period: Period
    as_of: datetime
    overall: KpiSummary
    by_channel: Mapping[str, KpiSummary]
    by_agent: Mapping[str, KpiSummary]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "overall": self.overall.as_dict(),
            "by_channel": {k: v.as_dict() for k, v in self.by_channel.items()},
            "by_agent": {k: v.as_dict() for k, v in self.by_agent.items()},
        }


def _latest_rating(
    history: ChatHistory, period: Period, as_of: datetime, settings: KpiSettings
) -> Rating | None:
    """The conversation's last rating in the period, unless the conversation (or, for holiday
    mode, the moment of the rating) is excluded."""
    inside = [r for r in history.ratings if r.at in period and r.at <= as_of]
    if not inside:
        return None
    latest = max(inside, key=lambda r: r.at)
    return None if _exclusion(history, latest.at, settings) is not None else latest


def report(
    histories: Iterable[ChatHistory],
    period: Period,
    *,
    as_of: datetime,
    settings: KpiSettings | None = None,
) -> KpiReport:
    """The KPIs of the chats that started in ``period``, as known at ``as_of``."""
    settings = settings or KpiSettings()
    as_of = utc(as_of)
    groups: dict[tuple[str, str], list[Chat]] = defaultdict(list)
    rated: dict[tuple[str, str], list[Rating]] = defaultdict(list)
    for history in histories:
        keys = (
            ("overall", ""),
            ("channel", history.conversation.channel.value),
            ("agent", history.agent),
        )
        started = [
            c for c in chats(history, as_of=as_of, settings=settings) if c.started_at in period
        ]
        rating = _latest_rating(history, period, as_of, settings)
        for key in keys:
            groups[key].extend(started)
            if rating is not None:
                rated[key].append(rating)

    def summary(key: tuple[str, str]) -> KpiSummary:
        return _summarise(groups[key], rated[key], as_of=as_of, settings=settings)

    def keyed(kind: str) -> dict[str, KpiSummary]:
        names = sorted({name for k, name in (*groups, *rated) if k == kind})
        return {name: summary((kind, name)) for name in names}

    return KpiReport(
        period=period,
        as_of=as_of,
        overall=summary(("overall", "")),
        by_channel=keyed("channel"),
        by_agent=keyed("agent"),
    )


# --- periods ------------------------------------------------------------------------------


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def evaluation_periods(since: date, until: date, zone: tzinfo) -> list[Period]:
    """The 7 calendar days before each Monday from ``since`` to ``until`` (inclusive), in
    the shop's time zone (§6.2: evaluated "every Monday, based on the last 7 calendar days";
    weekends and public holidays included). Across a daylight-saving change a period is 167
    or 169 hours long: calendar days, not 168 hours."""
    first = since + timedelta(days=(7 - since.weekday()) % 7)
    return [
        Period(_midnight(monday - timedelta(days=7), zone), _midnight(monday, zone))
        for monday in (first + timedelta(weeks=n) for n in range(((until - first).days // 7) + 1))
        if monday <= until
    ]


def last_days(today: date, zone: tzinfo, days: int = 7) -> Period:
    """The ``days`` calendar days ending with ``today`` (today included): the rolling view
    of the same KPIs between two Monday evaluations."""
    return Period(
        _midnight(today - timedelta(days=days - 1), zone),
        _midnight(today + timedelta(days=1), zone),
    )


def weekly_reports(
    histories: Iterable[ChatHistory],
    *,
    since: date,
    until: date,
    zone: tzinfo,
    as_of: datetime,
    settings: KpiSettings | None = None,
) -> list[KpiReport]:
    """One :func:`report` per Monday evaluation between ``since`` and ``until``."""
    kept = list(histories)
    return [
        report(kept, period, as_of=as_of, settings=settings)
        for period in evaluation_periods(since, until, zone)
    ]


# --- chats about to miss the target -----------------------------------------------------------


@frozen(kw_only=True)
class DueChat:
    """An unanswered chat whose 12 hours run out at ``deadline``."""

    channel: Channel
    conversation_id: str
    agent: str
    started_at: datetime
    deadline: datetime


def due(
    histories: Iterable[ChatHistory],
    *,
    now: datetime,
    within: timedelta = timedelta(hours=1),
    settings: KpiSettings | None = None,
) -> list[DueChat]:
    """Counted, unanswered chats that will miss the response target within ``within`` of
    ``now`` (the deadline is after ``now`` and at most ``now + within``), soonest first."""
    settings = settings or KpiSettings()
    now = utc(now)
    found: list[DueChat] = []
    for history in histories:
        for chat in chats(history, as_of=now, settings=settings):
            deadline = chat.started_at + settings.response_window
            if (
                chat.responded_at is None
                and chat.excluded is None
                and now < deadline <= now + within
            ):
                found.append(
                    DueChat(
                        channel=chat.channel,
                        conversation_id=chat.conversation_id,
                        agent=chat.agent,
                        started_at=chat.started_at,
                        deadline=deadline,
                    )
                )
    return sorted(found, key=lambda d: (d.deadline, d.channel.value, d.conversation_id))


# --- the store side ---------------------------------------------------------------------------


def load_histories(
    store: Store,
    *,
    channel: Channel | None = None,
    max_conversations: int = 1_000_000,
) -> list[ChatHistory]:
    """Every conversation with its message log and ratings, read from ``store``."""
    histories: list[ChatHistory] = []
    for conversation in store.conversations.query(channel=channel, limit=max_conversations):
        key = (conversation.channel, conversation.conversation_id)
        histories.append(
            ChatHistory(
                conversation=conversation,
                messages=store.messages.list(*key, limit=1_000_000),
                ratings=store.ratings.list(channel=key[0], conversation_id=key[1]),
            )
        )
    return histories


def record_rating(
    store: Store, channel: Channel | str, conversation_id: str, score: int, *, at: datetime
) -> Rating:
    """Record a customer's satisfaction rating (1 to 5) of a conversation the store knows."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidRating(f"a rating is an integer from 1 to 5, got {score!r}")
    try:
        key = Channel(channel)
    except ValueError:
        raise InvalidRating(f"unknown channel {channel!r}") from None
    if store.conversations.get(key, conversation_id) is None:
        raise InvalidRating(f"no conversation {key.value}/{conversation_id} to rate")
    return store.ratings.add(
        Rating(channel=key, conversation_id=conversation_id, score=score, at=at)
    )
