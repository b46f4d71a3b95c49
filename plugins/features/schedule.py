"""Away and holiday mode: when the shop is not there to answer.

Two different things, on purpose. *Away* is outside the weekly opening hours: customers get
an away message, but the KPIs still count (TikTok Shop includes nights and weekends, §6.2).
*Holiday mode* is a closed period: customers get the holiday message and, by default, chats
that start in it are left out of the KPIs (§6.2: "while a seller's shop is in Holiday Mode,
customer service performance will not be assessed").

Opening hours are local wall-clock times in the shop's time zone, evaluated with
:mod:`zoneinfo`, so a schedule keeps meaning "09:00-18:00" across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, tzinfo
from typing import Any

from attrs import field, frozen

from mmtkit.errors import ConfigError
from mmtkit.kpis import Period
from mmtkit.messages import utc

__all__ = ["DAYS", "AwaySchedule", "OpeningHours"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_range(text: object, where: str) -> tuple[time, time]:
    try:
        assert isinstance(text, str)
        first, last = text.split("-")
        start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
    except (AssertionError, ValueError):
        raise ConfigError(f'{where}: expected "HH:MM-HH:MM", got {text!r}') from None
    if end <= start and end != time(0):
        raise ConfigError(f"{where}: the range must end after it starts (or at 00:00)")
    return start, end


@frozen
class OpeningHours:
    """Per weekday (Monday = 0), the local ``[start, end)`` ranges the shop answers in; a day
    without ranges is closed. An end of 00:00 means midnight at the end of the day."""

    zone: tzinfo
    days: tuple[tuple[tuple[time, time], ...], ...] = field()

    @days.validator
    def _seven(self, _: Any, value: tuple[Any, ...]) -> None:
        if len(value) != 7:
            raise ValueError("opening hours need one entry per weekday")

    @classmethod
    def always(cls) -> OpeningHours:
        from zoneinfo import ZoneInfo

        whole_day = ((time(0), time(0)),)
        return cls(ZoneInfo("UTC"), (whole_day,) * 7)

    @classmethod
    def parse(cls, table: Mapping[str, Any], zone: tzinfo, *, where: str) -> OpeningHours:
        """``{"mon": "09:00-18:00", "sat": ["10:00-12:00", "14:00-16:00"]}``; days left out
        are closed."""
        days = []
        for day in DAYS:
            value = table.get(day, [])
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list):
                raise ConfigError(f"{where}.{day}: expected a range or a list of ranges")
            days.append(tuple(_parse_range(v, f"{where}.{day}") for v in values))
        return cls(zone, tuple(days))

    def open_at(self, moment: datetime) -> bool:
        local = utc(moment).astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        return any(
            start <= now and (now < end or end == time(0))
            for start, end in self.days[local.weekday()]
        )


@frozen(kw_only=True)
class AwaySchedule:
    hours: OpeningHours = field(factory=OpeningHours.always)
    holidays: tuple[Period, ...] = ()

    def on_holiday(self, moment: datetime) -> bool:
        return any(utc(moment) in period for period in self.holidays)

    def away(self, moment: datetime) -> bool:
        """Outside opening hours or on holiday."""
        return self.on_holiday(moment) or not self.hours.open_at(moment)
