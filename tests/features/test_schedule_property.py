"""Opening hours against a reference that reads the local wall clock directly.

Random weekly schedules (including ranges ending at midnight) in zones with daylight saving
are evaluated at random instants around the 2026 changes; the reference converts the instant
to local time and checks the day's ranges by minutes since midnight, without ``time`` objects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.features.schedule import DAYS, OpeningHours

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]

RANGE = st.tuples(st.integers(0, 47), st.integers(1, 48)).filter(lambda r: r[0] < r[1])


def label(slot: int) -> str:
    return "00:00" if slot == 48 else f"{slot // 2:02d}:{30 * (slot % 2):02d}"


@settings(max_examples=150)
@given(
    st.sampled_from(ZONES),
    st.lists(st.lists(RANGE, max_size=2), min_size=7, max_size=7),
    st.integers(0, 60 * 24 * 30),
    st.sampled_from([datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC)]),
)
def test_open_at_matches_the_local_wall_clock(
    zone_name: str, week: list[list[tuple[int, int]]], minute: int, base: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    table = {
        day: [f"{label(a)}-{label(b)}" for a, b in ranges]
        for day, ranges in zip(DAYS, week, strict=True)
    }
    hours = OpeningHours.parse(table, zone, where="hours")
    moment = base + timedelta(minutes=minute)
    local = moment.astimezone(zone)
    since_midnight = local.hour * 60 + local.minute + local.second / 60
    expected = any(a * 30 <= since_midnight < b * 30 for a, b in week[local.weekday()])
    assert hours.open_at(moment) is expected
