"""The KPI functions against a brute-force reference over random conversation histories.

The reference is written differently on purpose: a customer message starts a chat when every
earlier customer message was followed by a counted response before it (quadratic, no state),
and a chat belongs to an evaluation week when its local calendar date is one of the seven
dates before the Monday (no instant arithmetic). Histories span three weeks around the
daylight-saving changes of 2026 in zones with whole, half and three-quarter hour offsets, on
a half-hour grid with gaps up to 15 hours, so ties, exact 12-hour responses and chats at
local midnight all occur.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.conversation import Conversation, Initiator
from mmtkit.kpis import (
    UNASSIGNED,
    ChatHistory,
    KpiSettings,
    KpiSummary,
    Period,
    due,
    weekly_reports,
)
from mmtkit.messages import Channel
from mmtkit.store.records import Direction, LoggedMessage, Rating

ZONES = [
    "UTC",
    "Asia/Tokyo",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
]
STARTS = [
    datetime(2026, 3, 1, tzinfo=UTC),
    datetime(2026, 3, 20, tzinfo=UTC),
    datetime(2026, 10, 18, tzinfo=UTC),
]
SLOT = timedelta(minutes=30)
SLOTS = 3 * 7 * 48
WINDOW = timedelta(hours=12)


@st.composite
def histories(draw: st.DrawFn, start: datetime) -> ChatHistory:
    cid = draw(st.text("abc", min_size=1, max_size=3))
    channel = draw(st.sampled_from([Channel.TIKTOK, Channel.WHATSAPP, Channel.MESSENGER]))
    conversation = Conversation(
        channel=channel,
        conversation_id=cid,
        customer_id="u",
        opened_at=start,
        initiated_by=draw(st.sampled_from(Initiator)),
        labels=draw(st.sets(st.sampled_from(["blocked", "vip"]), max_size=1)),
        assignee=draw(st.sampled_from([None, "ana", "bo"])),
    )
    # Gaps of 0 to 15 hours from a random first message: ties, exact 12-hour answers and
    # several chats per conversation are common.
    offset = draw(st.integers(0, SLOTS))
    steps = []
    for gap, who in draw(
        st.lists(
            st.tuples(st.integers(0, 30), st.sampled_from(["in", "in", "out", "auto"])),
            max_size=14,
        )
    ):
        offset += gap
        steps.append((offset, who))
    messages = [
        LoggedMessage(
            channel=channel,
            conversation_id=cid,
            direction=Direction.INBOUND if who == "in" else Direction.OUTBOUND,
            at=start + slot * SLOT,
            automatic=who == "auto",
            sent_by=None if who == "in" else who,
        )
        for slot, who in steps
    ]
    ratings = [
        Rating(channel=channel, conversation_id=cid, score=score, at=start + slot * SLOT)
        for slot, score in draw(
            st.lists(st.tuples(st.integers(0, SLOTS), st.integers(1, 5)), max_size=3)
        )
    ]
    return ChatHistory(conversation=conversation, messages=messages, ratings=ratings)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[ChatHistory], KpiSettings, ZoneInfo, datetime]:
    start = draw(st.sampled_from(STARTS))
    found = draw(
        st.lists(histories(start), max_size=6, unique_by=lambda h: h.conversation.conversation_id)
    )
    holidays = [
        Period(start + a * SLOT, start + (a + length) * SLOT)
        for a, length in draw(
            st.lists(st.tuples(st.integers(0, SLOTS), st.integers(1, 96)), max_size=2)
        )
    ]
    kpi_settings = KpiSettings(
        count_automatic_replies=draw(st.booleans()),
        exclude_holiday_mode=draw(st.booleans()),
        holidays=holidays,
        exclude_business_initiated=draw(st.booleans()),
        exclude_blocked=draw(st.booleans()),
    )
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    as_of = start + draw(st.integers(0, SLOTS + 48)) * SLOT
    return found, kpi_settings, zone, as_of


# --- the reference ------------------------------------------------------------------------


def ref_chats(
    history: ChatHistory, as_of: datetime, s: KpiSettings
) -> list[tuple[datetime, datetime | None, bool]]:
    """(started, responded, excluded) per chat."""
    known = [m for m in history.messages if m.at <= as_of]
    seq = [known[i] for i in sorted(range(len(known)), key=lambda i: (known[i].at, i))]

    def counts(m: LoggedMessage) -> bool:
        return m.direction is Direction.OUTBOUND and (s.count_automatic_replies or not m.automatic)

    def inbound(m: LoggedMessage) -> bool:
        return m.direction is Direction.INBOUND

    c = history.conversation
    result = []
    for i, m in enumerate(seq):
        if not inbound(m):
            continue
        if not all(
            any(counts(seq[k]) for k in range(j + 1, i)) for j in range(i) if inbound(seq[j])
        ):
            continue
        response = next((seq[k].at for k in range(i + 1, len(seq)) if counts(seq[k])), None)
        excluded = (
            (s.exclude_blocked and "blocked" in c.labels)
            or (s.exclude_business_initiated and c.initiated_by is Initiator.BUSINESS)
            or (s.exclude_holiday_mode and any(p.start <= m.at < p.end for p in s.holidays))
        )
        result.append((m.at, response, excluded))
    return result


def in_week(moment: datetime, monday: date, zone: ZoneInfo) -> bool:
    return moment.astimezone(zone).date() in {monday - timedelta(days=d) for d in range(1, 8)}


def ref_summary(
    group: list[ChatHistory], monday: date, zone: ZoneInfo, as_of: datetime, s: KpiSettings
) -> dict[str, object]:
    received = excluded = pending = in_time = 0
    times: list[float] = []
    rated = good = 0
    for h in group:
        for started, responded, out in ref_chats(h, as_of, s):
            if not in_week(started, monday, zone):
                continue
            if out:
                excluded += 1
                continue
            received += 1
            if responded is None:
                pending += as_of - started < WINDOW
            else:
                in_time += responded - started <= WINDOW
                times.append((responded - started).total_seconds() / 60)
        mine = [r for r in h.ratings if in_week(r.at, monday, zone) and r.at <= as_of]
        if mine:
            last = max(mine, key=lambda r: r.at)
            c = h.conversation
            out = (
                (s.exclude_blocked and "blocked" in c.labels)
                or (s.exclude_business_initiated and c.initiated_by is Initiator.BUSINESS)
                or (s.exclude_holiday_mode and any(p.start <= last.at < p.end for p in s.holidays))
            )
            if not out:
                rated += 1
                good += last.score >= 4
    decided = received - pending
    return {
        "chats_received": received,
        "chats_excluded": excluded,
        "chats_pending": pending,
        "chats_responded_in_time": in_time,
        "chats_responded": len(times),
        "first_response_minutes": sum(times) / len(times) if times else None,
        "chats_rated": rated,
        "chats_rated_good": good,
        "response_rate": in_time / decided if decided else None,
        "satisfaction": good / rated if rated else None,
    }


def close(summary: KpiSummary, expected: dict[str, object]) -> bool:
    got = summary.as_dict()
    for key, want in expected.items():
        have = got[key]
        if isinstance(want, float) and isinstance(have, float):
            if abs(want - have) > 1e-9:
                return False
        elif have != want:
            return False
    return True


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_weekly_reports_match_the_reference(
    world: tuple[list[ChatHistory], KpiSettings, ZoneInfo, datetime],
) -> None:
    found, s, zone, as_of = world
    first = found[0].conversation.opened_at.date() if found else date(2026, 3, 1)
    reports = weekly_reports(
        found, since=first, until=first + timedelta(days=24), zone=zone, as_of=as_of, settings=s
    )
    mondays = [
        first + timedelta(days=d) for d in range(25) if (first + timedelta(days=d)).weekday() == 0
    ]
    assert [r.period.end.astimezone(zone).date() for r in reports] == mondays
    for built, monday in zip(reports, mondays, strict=True):
        assert close(built.overall, ref_summary(found, monday, zone, as_of, s))
        for name, summary in built.by_channel.items():
            group = [h for h in found if h.conversation.channel.value == name]
            assert close(summary, ref_summary(group, monday, zone, as_of, s))
        for name, summary in built.by_agent.items():
            group = [h for h in found if (h.conversation.assignee or UNASSIGNED) == name]
            assert close(summary, ref_summary(group, monday, zone, as_of, s))


@settings(max_examples=100, deadline=None)
@given(worlds(), st.integers(1, 6))
def test_due_matches_the_reference(
    world: tuple[list[ChatHistory], KpiSettings, ZoneInfo, datetime], hours: int
) -> None:
    found, s, _, now = world
    within = timedelta(hours=hours)
    expected = sorted(
        (started + WINDOW, h.conversation.channel.value, h.conversation.conversation_id)
        for h in found
        for started, responded, out in ref_chats(h, now, s)
        if responded is None and not out and now < started + WINDOW <= now + within
    )
    got = [
        (d.deadline, d.channel.value, d.conversation_id)
        for d in due(found, now=now, within=within, settings=s)
    ]
    assert got == expected
