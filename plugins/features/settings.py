"""The ``[features]`` settings: typed, validated, every error naming its key.

The features are configured from one plain mapping (the ``[features]`` table of
``mmtkit.toml``, or a dict in code) so an application can build them without a file::

    FeatureSettings.from_mapping({"welcome": {"text": "Hi! We answer within the hour."}})

Times in the file are local to ``time_zone`` (an IANA name, default UTC) unless they carry
their own offset, because a shop thinks of "closed on 24 December" in its own time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen

from mmtkit.errors import ConfigError
from mmtkit.kpis import KpiSettings, Period
from mmtkit.plugins.features.schedule import DAYS, AwaySchedule, OpeningHours

__all__ = [
    "AssignmentSettings",
    "AwaySettings",
    "FeatureSettings",
    "KeywordReply",
    "LabelSettings",
    "Reader",
]

DEFAULT_SIGNAL_LABELS: Mapping[str, str] = {
    "payment": "payment-intent",
    "order": "order-intent",
    "booking": "booking-intent",
    "refund": "refund-request",
}
DEFAULT_FLAG_LABELS: Mapping[str, str] = {"harassment": "abusive-customer"}


class Reader:
    """Reads one table of the settings; ``where`` is its dotted path for error messages."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def only(self, *known: str) -> None:
        unknown = sorted(set(self.data) - set(known))
        if unknown:
            raise ConfigError(
                f"{self.key(unknown[0])}: unknown setting; known: {', '.join(sorted(known))}"
            )

    def table(self, name: str) -> Reader | None:
        if name not in self.data:
            return None
        return Reader(self.data[name], self.key(name))

    def tables(self, name: str) -> list[Reader]:
        value = self.data.get(name, [])
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ConfigError(f"{self.key(name)}: expected a list of tables")
        return [Reader(item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            if required:
                raise ConfigError(f"{self.key(name)}: required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.key(name)}: expected a non-empty string")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(name)}: expected true or false, got {value!r}")
        return value

    def number(self, name: str, default: float, *, minimum: float = 0) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ConfigError(f"{self.key(name)}: expected a number >= {minimum}, got {value!r}")
        return float(value)

    def strings(self, name: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.data.get(name, list(default))
        if (
            not isinstance(value, Sequence)
            or isinstance(value, str)
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise ConfigError(f"{self.key(name)}: expected a list of non-empty strings")
        return tuple(value)

    def string_map(self, name: str, default: Mapping[str, str]) -> dict[str, str]:
        value = self.data.get(name, default)
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise ConfigError(f"{self.key(name)}: expected a table of strings")
        return dict(value)

    def moment(self, name: str, zone: tzinfo) -> datetime:
        """A TOML datetime or date (or an ISO 8601 string); local to ``zone`` without offset."""
        value = self.data.get(name)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ConfigError(f"{self.key(name)}: not an ISO 8601 date-time") from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time(0))
        if not isinstance(value, datetime):
            raise ConfigError(f"{self.key(name)}: expected a date or date-time")
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _zone(reader: Reader) -> ZoneInfo:
    name = reader.text("time_zone", "UTC")
    assert name is not None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{reader.key('time_zone')}: unknown time zone {name!r}") from None


def _periods(reader: Reader, name: str, zone: tzinfo) -> tuple[Period, ...]:
    found = []
    for item in reader.tables(name):
        item.only("start", "end")
        start, end = item.moment("start", zone), item.moment("end", zone)
        if end <= start:
            raise ConfigError(f"{item.key('end')}: must be after start")
        found.append(Period(start, end))
    return tuple(found)


@frozen(kw_only=True)
class KeywordReply:
    """Keywords in one language and the reply (in that language) they trigger."""

    language: str
    keywords: tuple[str, ...]
    reply: str


@frozen(kw_only=True)
class AwaySettings:
    schedule: AwaySchedule
    message: str
    holiday_message: str
    repeat_after: timedelta = timedelta(hours=12)
    """An away message is not repeated to a conversation the business wrote to this recently."""


@frozen(kw_only=True)
class LabelSettings:
    signals: Mapping[str, str] = field(factory=lambda: dict(DEFAULT_SIGNAL_LABELS))
    """Signal name → label."""
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(label, keywords) pairs; keywords are normalised like the signals."""
    inbound_flags: Mapping[str, str] = field(factory=lambda: dict(DEFAULT_FLAG_LABELS))
    """Inbound compliance category → label."""


@frozen(kw_only=True)
class AssignmentSettings:
    by_channel: Mapping[str, str] = field(factory=dict)
    """Channel → agent, for conversations nobody is assigned to yet."""


@frozen(kw_only=True)
class FeatureSettings:
    time_zone: ZoneInfo = field(factory=lambda: ZoneInfo("UTC"))
    welcome: str | None = None
    keyword_replies: tuple[KeywordReply, ...] = ()
    away: AwaySettings | None = None
    labels: LabelSettings = field(factory=LabelSettings)
    assignment: AssignmentSettings = field(factory=AssignmentSettings)
    kpis: KpiSettings = field(factory=KpiSettings)

    @property
    def auto_replies_enabled(self) -> bool:
        return bool(self.welcome or self.keyword_replies or self.away)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "features") -> FeatureSettings:
        root = Reader(data, where)
        # [features.crm] is read by mmtkit.plugins.features.crm.parse_endpoints: it needs the
        # environment (secrets) and the store, which these settings do not.
        known = ("time_zone", "welcome", "keyword_replies", "away", "labels", "assignment", "kpis")
        root.only(*known, "crm")
        zone = _zone(root)
        welcome = root.table("welcome")
        if welcome is not None:
            welcome.only("text")
        replies = []
        for item in root.tables("keyword_replies"):
            item.only("language", "keywords", "reply")
            keywords = item.strings("keywords")
            if not keywords:
                raise ConfigError(f"{item.key('keywords')}: at least one keyword")
            replies.append(
                KeywordReply(
                    language=item.text("language", "und") or "und",
                    keywords=keywords,
                    reply=item.text("reply", required=True) or "",
                )
            )
        away = root.table("away")
        holidays: tuple[Period, ...] = ()
        away_settings = None
        if away is not None:
            away.only("message", "holiday_message", "hours", "holidays", "repeat_after_hours")
            holidays = _periods(away, "holidays", zone)
            hours_table = away.table("hours")
            hours = OpeningHours.always()
            if hours_table is not None:
                hours_table.only(*DAYS)
                hours = OpeningHours.parse(hours_table.data, zone, where=hours_table.where)
            message = away.text("message", required=True) or ""
            away_settings = AwaySettings(
                schedule=AwaySchedule(hours=hours, holidays=holidays),
                message=message,
                holiday_message=away.text("holiday_message", message) or message,
                repeat_after=timedelta(hours=away.number("repeat_after_hours", 12)),
            )
        labels = LabelSettings()
        table = root.table("labels")
        if table is not None:
            table.only("signals", "keywords", "inbound_flags")
            rules = []
            for item in table.tables("keywords"):
                item.only("label", "keywords")
                rules.append((item.text("label", required=True) or "", item.strings("keywords")))
            labels = LabelSettings(
                signals=table.string_map("signals", DEFAULT_SIGNAL_LABELS),
                keywords=tuple(rules),
                inbound_flags=table.string_map("inbound_flags", DEFAULT_FLAG_LABELS),
            )
        assignment = AssignmentSettings()
        table = root.table("assignment")
        if table is not None:
            assignment = AssignmentSettings(by_channel=table.string_map("by_channel", {}))
            table.only("by_channel")
        return cls(
            time_zone=zone,
            welcome=None if welcome is None else welcome.text("text", required=True),
            keyword_replies=tuple(replies),
            away=away_settings,
            labels=labels,
            assignment=assignment,
            kpis=kpi_settings(root.table("kpis"), holidays),
        )


def kpi_settings(reader: Reader | None, holidays: tuple[Period, ...]) -> KpiSettings:
    """The ``[features.kpis]`` table; the away schedule's holidays are the holiday mode."""
    if reader is None:
        return KpiSettings(holidays=holidays)
    reader.only(
        "count_automatic_replies",
        "exclude_holiday_mode",
        "exclude_business_initiated",
        "exclude_blocked",
        "blocked_labels",
    )
    return KpiSettings(
        count_automatic_replies=reader.flag("count_automatic_replies", True),
        exclude_holiday_mode=reader.flag("exclude_holiday_mode", True),
        holidays=holidays,
        exclude_business_initiated=reader.flag("exclude_business_initiated", True),
        exclude_blocked=reader.flag("exclude_blocked", True),
        blocked_labels=reader.strings("blocked_labels", ("blocked",)),
    )
