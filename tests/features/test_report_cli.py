"""``mmtkit report`` over a real SQLite store file, through the plugin-registered command."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmtkit.cli import build_cli
from mmtkit.kpis import ChatHistory, record_rating
from mmtkit.plugin_manager import PluginManager
from mmtkit.store.sqlite import SqliteStore

from .kpi_data import T0, history


def fill(path: Path, histories: list[ChatHistory]) -> None:
    with SqliteStore(path) as store:
        for h in histories:
            store.conversations.upsert(h.conversation)
            for m in h.messages:
                store.messages.append(m)
            for r in h.ratings:
                record_rating(store, r.channel, r.conversation_id, r.score, at=r.at)


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "mmtkit.sqlite3"
    fill(
        path,
        [
            history("a", [(1, "in"), (1.2, "auto"), (2, "out")], assignee="ana", ratings=[(3, 5)]),
            history("b", [(30, "in"), (50, "out")], assignee="ana", ratings=[(51, 2)]),
            history("c", [(100, "in")]),
        ],
    )
    return path


def run(*args: str) -> tuple[int, str]:
    manager = PluginManager.with_entry_points(env={})
    result = CliRunner().invoke(build_cli(manager), ["report", *args])
    return result.exit_code, result.output


def test_the_command_is_registered_by_the_entry_point_plugin() -> None:
    manager = PluginManager.with_entry_points(env={})
    [info] = [i for i in manager.info() if i.name == "features_report"]
    assert (info.status, info.hooks) == ("loaded", ("mmt_register_commands",))


def test_json_report_for_the_week_ending_a_monday(store_file: Path) -> None:
    monday = (T0 + timedelta(days=7)).date().isoformat()
    code, out = run(
        "--store", str(store_file), "--json", "--until", monday, "--as-of", "2026-03-20"
    )
    assert code == 0, out
    [week] = json.loads(out)["reports"]
    overall = week["overall"]
    assert (overall["chats_received"], overall["chats_responded_in_time"]) == (3, 1)
    assert overall["response_rate"] == pytest.approx(1 / 3)
    assert overall["first_response_minutes"] == pytest.approx((12 + 20 * 60) / 2)
    assert overall["satisfaction"] == 0.5
    assert set(week["by_agent"]) == {"ana", "(unassigned)"}


def test_text_report_shows_targets(store_file: Path) -> None:
    code, out = run("--store", str(store_file), "--as-of", "2026-03-06", "--tz", "Asia/Tokyo")
    assert code == 0, out
    assert "channel tiktok" in out
    assert "agent ana" in out
    assert "targets: 12-hour response rate >= 85%" in out


def test_due_lists_the_chat_about_to_miss_its_target(store_file: Path) -> None:
    as_of = (T0 + timedelta(hours=111, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    code, out = run("--store", str(store_file), "--due", "--json", "--as-of", as_of)
    assert code == 0, out
    assert [d["conversation_id"] for d in json.loads(out)["due"]] == ["c"]


def test_config_supplies_the_store_and_settings(store_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "mmtkit.toml"
    config.write_text(
        f'[store]\npath = "{store_file}"\n[features.kpis]\ncount_automatic_replies = false\n'
    )
    code, out = run("--config", str(config), "--json", "--as-of", "2026-03-06")
    assert code == 0, out
    # Without the auto-reply, chat "a" is answered after 60 minutes instead of 12.
    minutes = json.loads(out)["reports"][0]["overall"]["first_response_minutes"]
    assert minutes == pytest.approx((60 + 20 * 60) / 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "/nonexistent/store.db"], "no such store"),
        ([], "--store"),
        (["--store", "{store}", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--store", "{store}", "--since", "2026-03-10", "--until", "2026-03-01"], "--since"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    store_file: Path, args: list[str], message: str
) -> None:
    code, out = run(*[a.format(store=store_file) for a in args])
    assert code == 2
    assert message in out
