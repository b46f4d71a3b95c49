"""Feature settings are validated with errors naming the key; schedules are time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.errors import ConfigError
from mmtkit.plugins.features.matching import KeywordMatcher
from mmtkit.plugins.features.settings import FeatureSettings

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_full_table_is_parsed() -> None:
    parsed = FeatureSettings.from_mapping(
        {
            "time_zone": "Europe/Berlin",
            "welcome": {"text": "Hi!"},
            "keyword_replies": [{"language": "en", "keywords": ["price"], "reply": "10 EUR"}],
            "away": {
                "message": "Closed.",
                "hours": {"mon": "09:00-18:00", "sat": ["10:00-12:00", "14:00-00:00"]},
                "holidays": [{"start": datetime(2026, 12, 24), "end": "2026-12-27T00:00:00"}],
            },
            "labels": {"signals": {"payment": "pays"}, "inbound_flags": {"spam": "spammer"}},
            "assignment": {"by_channel": {"tiktok": "ana"}},
            "kpis": {"count_automatic_replies": False, "blocked_labels": ["blocked", "abuser"]},
        }
    )
    assert parsed.away is not None
    assert parsed.away.holiday_message == "Closed."
    [holiday] = parsed.kpis.holidays
    assert holiday.start == datetime(2026, 12, 23, 23, tzinfo=UTC)  # local midnight, CET
    assert parsed.kpis.count_automatic_replies is False
    assert parsed.kpis.blocked_labels == {"blocked", "abuser"}
    assert parsed.labels.signals == {"payment": "pays"}


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"welcome": {"text": ""}}, "features.welcome.text"),
        ({"welcom": {}}, "features.welcom"),
        ({"time_zone": "Mars/Olympus"}, "features.time_zone"),
        ({"keyword_replies": [{"keywords": [], "reply": "x"}]}, "features.keyword_replies[0]"),
        ({"keyword_replies": [{"keywords": ["a"]}]}, "features.keyword_replies[0].reply"),
        ({"away": {"message": "x", "hours": {"mon": "9-18"}}}, "features.away.hours.mon"),
        ({"away": {"message": "x", "hours": {"mon": "18:00-09:00"}}}, "features.away.hours.mon"),
        (
            {"away": {"message": "x", "holidays": [{"start": "2026-01-02", "end": "2026-01-01"}]}},
            "features.away.holidays[0].end",
        ),
        ({"away": {"hours": {}}}, "features.away.message"),
        ({"kpis": {"exclude_blocked": "yes"}}, "features.kpis.exclude_blocked"),
        ({"labels": {"signals": {"payment": 1}}}, "features.labels.signals"),
    ],
)
def test_errors_name_the_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        FeatureSettings.from_mapping(table)
    assert str(caught.value).startswith(f"{key}")


def schedule_for(hours: dict[str, Any]) -> Any:
    parsed = FeatureSettings.from_mapping(
        {"time_zone": "Europe/Berlin", "away": {"message": "x", "hours": hours}}
    )
    assert parsed.away is not None
    return parsed.away.schedule


def test_opening_hours_are_local_across_daylight_saving() -> None:
    schedule = schedule_for({"mon": "09:00-18:00"})
    # Monday 9:30 in Berlin is 08:30 UTC in winter and 07:30 UTC in summer.
    assert not schedule.away(datetime(2026, 3, 23, 8, 30, tzinfo=UTC))
    assert schedule.away(datetime(2026, 3, 30, 8, 30, tzinfo=UTC)) is False
    assert schedule.away(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))  # 08:30 local
    assert schedule.away(datetime(2026, 3, 24, 10, 0, tzinfo=UTC))  # Tuesday: closed


def test_a_range_ending_at_midnight_covers_the_evening() -> None:
    schedule = schedule_for({"sat": "14:00-00:00"})
    assert not schedule.away(datetime(2026, 3, 28, 22, 59, tzinfo=UTC))  # 23:59 local
    assert schedule.away(datetime(2026, 3, 28, 12, 59, tzinfo=UTC))


WORD = st.text(st.sampled_from("abcdefghij"), min_size=3, max_size=8)


@settings(max_examples=150)
@given(WORD, st.text(st.sampled_from("xyz "), max_size=10), st.sampled_from([" ", ", ", "! "]))
def test_a_keyword_is_found_whatever_its_case_and_surroundings(
    keyword: str, around: str, separator: str
) -> None:
    matcher = KeywordMatcher([keyword])
    assert matcher.matches(f"{around}{separator}{keyword.upper()}{separator}{around}")
    assert not matcher.matches(f"{around} q{keyword}q {around}")


def test_thai_keywords_match_inside_words() -> None:
    assert KeywordMatcher(["ราคา"]).matches("สินค้านี้ราคาเท่าไหร่")
