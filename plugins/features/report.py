"""``mmtkit report``: the customer-service KPIs of :mod:`mmtkit.kpis`, from the store.

::

    mmtkit report [--store PATH | --config mmtkit.toml] [--json] [--tz ZONE]
                  [--since DATE] [--until DATE] [--due [--within MINUTES]] [--as-of ISO]

Without ``--since``/``--until`` it shows the last 7 calendar days up to today (the rolling
view); with them, one evaluation per Monday in that range, each over the 7 calendar days
before it, as TikTok Shop evaluates (§6.2). ``--due`` lists the unanswered chats that will
miss the 12-hour target within the next hour (``--within`` minutes), soonest first.

The store is ``--store`` or the ``[store] path`` of ``--config``; the KPI settings and the
time zone come from its ``[features]`` table (``docs/kpis.md``). Only the TOML is read: no
secret needs to be set to run a report. Exit codes: 0 when the report ran, 2 for bad
arguments, a bad configuration or a missing store.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from mmtkit.errors import MmtkitError
from mmtkit.hookspecs import hookimpl
from mmtkit.kpis import (
    DueChat,
    KpiReport,
    KpiSettings,
    KpiSummary,
    due,
    last_days,
    load_histories,
    report,
    weekly_reports,
)
from mmtkit.plugins.features.settings import FeatureSettings

__all__ = ["report_command"]


def _settings(config: Path | None) -> tuple[FeatureSettings, str | None]:
    if config is None:
        return FeatureSettings(), None
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.UsageError(f"{config}: cannot read the configuration: {exc}") from None
    store = data.get("store", {}).get("path") if isinstance(data.get("store"), dict) else None
    try:
        return FeatureSettings.from_mapping(data.get("features", {})), store
    except MmtkitError as exc:
        raise click.UsageError(f"{config}: {exc}") from None


def _percent(value: float | None, met: bool | None) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}% {'ok' if met else 'MISSED'}"


def _minutes(value: float | None, met: bool | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} min {'ok' if met else 'MISSED'}"


def _row(name: str, s: KpiSummary) -> str:
    return (
        f"  {name:<22} {s.chats_received:>6} {s.chats_pending:>8}  "
        f"{_percent(s.response_rate, s.response_rate_met):<14} "
        f"{_minutes(s.first_response_minutes, s.first_response_met):<16} "
        f"{_percent(s.satisfaction, s.satisfaction_met)}"
    )


def format_report(built: KpiReport, zone: ZoneInfo) -> str:
    start = built.period.start.astimezone(zone).date()
    last = (built.period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    lines = [
        f"{start} .. {last} ({zone.key}), as of {built.as_of.astimezone(zone):%Y-%m-%d %H:%M}",
        f"  {'':<22} {'chats':>6} {'pending':>8}  {'12h response':<14} "
        f"{'first response':<16} satisfaction",
        _row("all", built.overall),
    ]
    lines += [_row(f"channel {k}", v) for k, v in built.by_channel.items()]
    lines += [_row(f"agent {k}", v) for k, v in built.by_agent.items()]
    return "\n".join(lines)


def _targets(settings: KpiSettings) -> dict[str, Any]:
    return {
        "response_rate": settings.response_rate_target,
        "first_response_minutes": settings.first_response_target.total_seconds() / 60,
        "satisfaction": settings.satisfaction_target,
    }


def _due_json(item: DueChat) -> dict[str, Any]:
    return {
        "channel": item.channel.value,
        "conversation_id": item.conversation_id,
        "agent": item.agent,
        "started_at": item.started_at.isoformat(),
        "deadline": item.deadline.isoformat(),
    }


@click.command("report")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help="The SQLite store.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="mmtkit.toml: [store] path and [features] settings.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First Monday to evaluate.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last Monday to evaluate.")
@click.option("--tz", "tz_name", help="Time zone of the calendar days (default: the config's).")
@click.option("--due", "show_due", is_flag=True, help="Chats about to miss the 12-hour target.")
@click.option("--within", default=60, show_default=True, type=click.IntRange(1), help="Minutes.")
@click.option("--as-of", "as_of", type=click.DateTime(), help="Compute as of this UTC instant.")
def report_command(
    store_path: Path | None,
    config_path: Path | None,
    as_json: bool,
    since: datetime | None,
    until: datetime | None,
    tz_name: str | None,
    show_due: bool,
    within: int,
    as_of: datetime | None,
) -> None:
    """Customer-service KPIs: 12-hour response rate, first response time, satisfaction."""
    from mmtkit.store.sqlite import SqliteStore

    settings, configured_store = _settings(config_path)
    path = store_path or (Path(configured_store) if configured_store else None)
    if path is None:
        raise click.UsageError("give --store PATH, or --config with a [store] path")
    if not path.exists():
        raise click.UsageError(f"{path}: no such store")
    try:
        zone = ZoneInfo(tz_name) if tz_name else settings.time_zone
    except (ZoneInfoNotFoundError, ValueError):
        raise click.UsageError(f"--tz: unknown time zone {tz_name!r}") from None
    now = (as_of.replace(tzinfo=UTC) if as_of else datetime.now(UTC)).astimezone(UTC)
    with SqliteStore(path) as store:
        histories = load_histories(store)
    kpis = settings.kpis
    if show_due:
        found = due(histories, now=now, within=timedelta(minutes=within), settings=kpis)
        if as_json:
            click.echo(json.dumps({"as_of": now.isoformat(), "due": [_due_json(d) for d in found]}))
            return
        click.echo(f"{len(found)} chat(s) will miss the 12-hour target within {within} min:")
        for d in found:
            left = int((d.deadline - now).total_seconds() // 60)
            click.echo(f"  {d.channel.value:<10} {d.conversation_id:<24} {d.agent:<14} {left} min")
        return
    today = now.astimezone(zone).date()
    if since is None and until is None:
        reports = [report(histories, last_days(today, zone), as_of=now, settings=kpis)]
    else:
        last: date = until.date() if until else today
        first: date = since.date() if since else last - timedelta(days=6)
        if first > last:
            raise click.UsageError("--since must not be after --until")
        reports = weekly_reports(
            histories, since=first, until=last, zone=zone, as_of=now, settings=kpis
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "time_zone": zone.key,
                    "targets": _targets(kpis),
                    "reports": [r.as_dict() for r in reports],
                }
            )
        )
        return
    if not reports:
        click.echo("no Monday in that range")
    for built in reports:
        click.echo(format_report(built, zone))
    t = _targets(kpis)
    click.echo(
        f"targets: 12-hour response rate >= {t['response_rate']:.0%}, first response < "
        f"{t['first_response_minutes']:g} min, satisfaction >= {t['satisfaction']:.0%}"
    )


@hookimpl
def mmt_register_commands(cli: click.Group) -> None:
    cli.add_command(report_command)
