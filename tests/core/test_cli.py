from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import mmtkit
from mmtkit.cli import cli
from mmtkit.errors import MalformedWebhook, SignatureError, StaleWebhook
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import AdReferral, Channel, InboundEvent, MessageReceived
from mmtkit.plugin_manager import PluginManager


class FakeAdapter:
    """Just enough of an adapter to drive the CLI: HMAC over ``t.body`` like TikTok's."""

    channel = Channel.TIKTOK

    def __init__(self, app_secret: str | None = None, account_id: str | None = None) -> None:
        self.secret = app_secret
        self.account_id = account_id

    def verify_webhook(self, headers: Any, body: bytes, *, now: float | None = None) -> None:
        header = headers.get("x-sig")  # case-insensitive lookup must work
        if header is None:
            raise SignatureError("missing X-Sig header")
        t, _, s = header.partition(",")
        if now is not None and abs(now - int(t)) > 300:
            raise StaleWebhook(f"timestamp {t} is more than 300 s from now")
        assert self.secret is not None
        expected = hmac.new(
            self.secret.encode(), t.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, s):
            raise SignatureError("signature does not match the body")

    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        try:
            data = json.loads(body)
            at = datetime.fromtimestamp(data["t"], UTC)
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedWebhook(f"not a fake webhook: {exc}") from None
        return [
            MessageReceived(
                channel="tiktok",
                conversation_id="c1",
                customer_id="u1",
                kind="text",
                text=data.get("text"),
                timestamp=at,
                platform_message_id="m1",
                account_id=self.account_id,
            ),
            AdReferral(
                channel="tiktok",
                conversation_id="c1",
                customer_id="u1",
                timestamp=at,
                source="ad",
                ad_id="17",
            ),
        ]


class FakePlugin:
    @hookimpl
    def mmt_register_adapters(self, register: Any) -> None:
        register(Channel.TIKTOK, FakeAdapter)


@pytest.fixture
def manager() -> PluginManager:
    pm = PluginManager(env={})
    pm.register(FakePlugin(), name="fake")
    return pm


def sign(body: bytes, t: int, secret: str = "s3cret") -> str:
    return f"{t}," + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def run(manager: PluginManager, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=manager)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert mmtkit.__version__ in result.output


def test_plugins_json(manager: PluginManager) -> None:
    result = run(manager, "plugins", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {
            "name": "fake",
            "status": "loaded",
            "distribution": None,
            "version": None,
            "builtin": False,
            "hooks": ["mmt_register_adapters"],
            "error": None,
        }
    ]
    table = run(manager, "plugins")
    assert "fake" in table.output
    assert "mmt_register_adapters" in table.output


def test_inspect_webhook_prints_events(manager: PluginManager, tmp_path: Path) -> None:
    body = json.dumps({"t": 1723680000, "text": "price?"}).encode()
    (tmp_path / "b.json").write_bytes(body)
    result = run(
        manager,
        "inspect-webhook",
        "--channel",
        "tiktok",
        "--body",
        str(tmp_path / "b.json"),
        "--header",
        f"X-Sig: {sign(body, 1723680000)}",
        "--secret",
        "s3cret",
        "--business-id",
        "biz",
        "--now",
        "1723680010",
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert events[0] == {
        **events[0],
        "type": "message_received",
        "platform_message_id": "m1",
        "conversation_id": "c1",
        "customer_id": "u1",
        "text": "price?",
        "timestamp": "2024-08-15T00:00:00+00:00",
        "account_id": "biz",
    }
    assert events[1]["type"] == "ad_referral"
    assert {
        "ad_id": "17",
        "advertiser_id": None,
        "click_id": None,
        "source": "ad",
        "text": None,
    }.items() <= events[1].items()


@pytest.mark.parametrize(
    ("header", "now", "message"),
    [
        (None, "1723680010", "missing X-Sig"),
        ("1723680000,deadbeef", "1723680010", "does not match"),
        ("GOOD", "1723690000", "more than 300 s"),
    ],
)
def test_inspect_webhook_signature_failures_exit_3(
    manager: PluginManager, tmp_path: Path, header: str | None, now: str, message: str
) -> None:
    body = json.dumps({"t": 1723680000}).encode()
    (tmp_path / "b.json").write_bytes(body)
    args = [
        "inspect-webhook",
        "--channel",
        "tiktok",
        "--body",
        str(tmp_path / "b.json"),
        "--secret",
        "s3cret",
        "--now",
        now,
    ]
    if header:
        args += ["--header", "X-Sig: " + (sign(body, 1723680000) if header == "GOOD" else header)]
    result = run(manager, *args)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_inspect_webhook_malformed_body_exits_4(manager: PluginManager, tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(b"\xff{not json")
    result = run(
        manager, "inspect-webhook", "--channel", "tiktok", "--body", str(tmp_path / "b.json")
    )
    assert result.exit_code == 4
    assert result.stderr.startswith("error: malformed webhook body")


def test_inspect_webhook_bad_header_syntax_is_a_usage_error(
    manager: PluginManager, tmp_path: Path
) -> None:
    (tmp_path / "b.json").write_bytes(b"{}")
    result = run(
        manager,
        "inspect-webhook",
        "--channel",
        "tiktok",
        "--body",
        str(tmp_path / "b.json"),
        "--header",
        "no-colon",
    )
    assert result.exit_code == 2
    assert "Name: value" in result.stderr


def test_inspect_webhook_without_adapter_explains(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(b"{}")
    result = CliRunner().invoke(
        cli,
        ["inspect-webhook", "--channel", "messenger", "--body", str(tmp_path / "b.json")],
        obj=PluginManager(env={}),
    )
    assert result.exit_code == 1
    assert "no adapter is loaded for channel 'messenger'" in result.stderr


def test_plugin_commands_are_added() -> None:
    import click

    class Commands:
        @hookimpl
        def mmt_register_commands(self, cli: click.Group) -> None:
            @cli.command("hello-plugin")
            def hello() -> None:
                click.echo("hello from a plugin")

    pm = PluginManager(env={})
    pm.register(Commands(), name="commands")
    from mmtkit.cli import build_cli

    result = CliRunner().invoke(build_cli(pm), ["hello-plugin"], obj=pm)
    assert result.output == "hello from a plugin\n"
    assert "hello-plugin" not in cli.commands  # the core group is not mutated
