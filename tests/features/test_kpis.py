"""The KPI definitions on hand-made histories: one behaviour per test."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from mmtkit.conversation import Initiator
from mmtkit.kpis import (
    UNASSIGNED,
    Exclusion,
    InvalidRating,
    KpiSettings,
    Period,
    chats,
    due,
    evaluation_periods,
    last_days,
    record_rating,
    report,
)
from mmtkit.messages import Channel
from mmtkit.store import MemoryStore

from .kpi_data import T0, history

WEEK = Period(T0, T0 + timedelta(days=7))
LATER = T0 + timedelta(days=10)


def test_a_chat_runs_from_the_first_unanswered_message_to_the_next_response() -> None:
    found = chats(history("a", [(1, "in"), (2, "in"), (3, "out"), (5, "in")]), as_of=LATER)
    assert [(c.started_at, c.responded_at) for c in found] == [
        (T0 + timedelta(hours=1), T0 + timedelta(hours=3)),
        (T0 + timedelta(hours=5), None),
    ]


def test_a_business_message_before_any_question_answers_nothing() -> None:
    found = chats(history("a", [(0, "out"), (1, "in"), (1.5, "out")]), as_of=LATER)
    assert [c.response_time for c in found] == [timedelta(minutes=30)]


def test_response_rate_counts_responses_within_twelve_hours() -> None:
    histories = [
        history("fast", [(1, "in"), (2, "out")]),
        history("edge", [(1, "in"), (13, "out")]),
        history("late", [(1, "in"), (14, "out")]),
        history("never", [(1, "in")]),
    ]
    summary = report(histories, WEEK, as_of=LATER).overall
    assert summary.chats_received == 4
    assert summary.chats_responded_in_time == 2
    assert summary.response_rate == 0.5
    assert summary.response_rate_met is False


def test_first_response_time_is_the_mean_over_responded_chats_only() -> None:
    histories = [
        history("a", [(1, "in"), (1.25, "out")]),
        history("b", [(1, "in"), (1.75, "out")]),
        history("never", [(1, "in")]),
    ]
    summary = report(histories, WEEK, as_of=LATER).overall
    assert summary.first_response_minutes == pytest.approx(30.0)
    assert summary.chats_responded == 2
    assert summary.first_response_met is False


def test_auto_replies_count_as_responses_unless_switched_off() -> None:
    h = history("a", [(1, "in"), (1.01, "auto"), (20, "out")])
    assert report([h], WEEK, as_of=LATER).overall.response_rate == 1.0
    people_only = KpiSettings(count_automatic_replies=False)
    assert report([h], WEEK, as_of=LATER, settings=people_only).overall.response_rate == 0.0


def test_pending_chats_wait_for_their_twelve_hours() -> None:
    h = history("a", [(1, "in")])
    early = report([h], WEEK, as_of=T0 + timedelta(hours=5)).overall
    assert (early.chats_pending, early.response_rate) == (1, None)
    late = report([h], WEEK, as_of=T0 + timedelta(hours=13)).overall
    assert (late.chats_pending, late.response_rate) == (0, 0.0)


def test_messages_after_as_of_are_not_known_yet() -> None:
    h = history("a", [(1, "in"), (3, "out")])
    assert chats(h, as_of=T0 + timedelta(hours=2))[0].responded_at is None


@pytest.mark.parametrize(
    ("settings", "built", "reason"),
    [
        (
            KpiSettings(),
            {"initiated_by": Initiator.BUSINESS},
            Exclusion.BUSINESS_INITIATED,
        ),
        (KpiSettings(), {"labels": frozenset({"blocked"})}, Exclusion.BLOCKED),
        (
            KpiSettings(holidays=[Period(T0, T0 + timedelta(days=1))]),
            {},
            Exclusion.HOLIDAY_MODE,
        ),
    ],
)
def test_each_exclusion_is_a_setting(
    settings: KpiSettings, built: dict[str, object], reason: Exclusion
) -> None:
    h = history("a", [(1, "in")], ratings=[(2, 1)], **built)  # type: ignore[arg-type]
    summary = report([h], WEEK, as_of=LATER, settings=settings).overall
    assert (summary.chats_received, summary.chats_excluded, summary.chats_rated) == (0, 1, 0)
    assert chats(h, as_of=LATER, settings=settings)[0].excluded is reason
    off = KpiSettings(
        exclude_business_initiated=False,
        exclude_blocked=False,
        exclude_holiday_mode=False,
        holidays=settings.holidays,
    )
    kept = report([h], WEEK, as_of=LATER, settings=off).overall
    assert (kept.chats_received, kept.chats_excluded, kept.chats_rated) == (1, 0, 1)


def test_satisfaction_counts_the_latest_rating_of_each_conversation() -> None:
    histories = [
        history("a", [(1, "in"), (2, "out")], ratings=[(3, 2), (4, 5)]),
        history("b", [(1, "in"), (2, "out")], ratings=[(3, 4)]),
        history("c", [(1, "in"), (2, "out")], ratings=[(3, 3)]),
        history("d", [(1, "in"), (2, "out")], ratings=[(24 * 8, 1)]),  # after the week
    ]
    summary = report(histories, WEEK, as_of=LATER).overall
    assert (summary.chats_rated, summary.chats_rated_good) == (3, 2)
    assert summary.satisfaction == pytest.approx(2 / 3)
    assert summary.satisfaction_met is False


def test_reports_split_by_channel_and_agent() -> None:
    histories = [
        history("a", [(1, "in"), (2, "out")], assignee="ana"),
        history("b", [(1, "in")], channel=Channel.WHATSAPP, assignee="bo"),
        history("c", [(1, "in"), (2, "out")], channel=Channel.WHATSAPP),
    ]
    built = report(histories, WEEK, as_of=LATER)
    assert {k: v.response_rate for k, v in built.by_channel.items()} == {
        "tiktok": 1.0,
        "whatsapp": 0.5,
    }
    assert {k: v.chats_received for k, v in built.by_agent.items()} == {
        "ana": 1,
        "bo": 1,
        UNASSIGNED: 1,
    }
    assert built.as_dict()["by_agent"]["bo"]["response_rate"] == 0.0


def test_evaluations_cover_the_seven_calendar_days_before_each_monday() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Mondays 2026-03-23 and 2026-03-30; summer time starts on Sunday 2026-03-29.
    periods = evaluation_periods(date(2026, 3, 20), date(2026, 3, 31), berlin)
    assert [p.end.astimezone(berlin).date() for p in periods] == [
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]
    assert periods[0].end - periods[0].start == timedelta(hours=168)
    assert periods[1].end - periods[1].start == timedelta(hours=167)
    assert periods[1].start.astimezone(berlin).date() == date(2026, 3, 23)


def test_last_days_ends_with_today() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    period = last_days(date(2026, 3, 4), tokyo)
    assert period.start.astimezone(tokyo).date() == date(2026, 2, 26)
    assert period.end.astimezone(tokyo).date() == date(2026, 3, 5)


def test_due_lists_chats_missing_the_target_within_the_hour() -> None:
    histories = [
        history("soon", [(1, "in")]),
        history("later", [(3, "in")]),
        history("answered", [(1, "in"), (2, "out")]),
        history("blocked", [(1, "in")], labels=frozenset({"blocked"})),
    ]
    now = T0 + timedelta(hours=12, minutes=30)
    assert [d.conversation_id for d in due(histories, now=now)] == ["soon"]
    assert due(histories, now=now)[0].deadline == T0 + timedelta(hours=13)


def test_ratings_are_recorded_for_known_conversations_only() -> None:
    store = MemoryStore()
    h = history("a", [(1, "in")])
    store.conversations.upsert(h.conversation)
    stored = record_rating(store, "tiktok", "a", 5, at=T0)
    assert store.ratings.list() == [stored]
    with pytest.raises(InvalidRating, match="1 to 5"):
        record_rating(store, "tiktok", "a", 6, at=T0)
    with pytest.raises(InvalidRating, match="no conversation"):
        record_rating(store, "tiktok", "nope", 4, at=T0)
    with pytest.raises(InvalidRating, match="channel"):
        record_rating(store, "fax", "a", 4, at=T0)
