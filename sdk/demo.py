"""``mmtkit demo``: the whole SDK end to end on one machine, in a few seconds.

It starts the platform emulator and the webhook gateway (SQLite store in a temporary
directory) on free loopback ports, lets simulated customers open conversations on TikTok
(one from an ad), WhatsApp (one from a click-to-WhatsApp ad) and Messenger, and lets an
example MMT app (``examples/shop_assistant.py``) answer them through the gateway. One of the
app's replies is blocked by a compliance check; conversion events with the ad attribution and
a ``payment`` signal reach the emulated Events API without any message text. A response-time
summary ends it. ``--report FILE`` also writes everything as JSON.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from mmtkit.config import parse_config
from mmtkit.errors import ConfigError
from mmtkit.gateway import Gateway, Handled
from mmtkit.kpis import last_days, load_histories, report
from mmtkit.messages import Channel
from mmtkit.outbox import OutboxState
from mmtkit.plugin_manager import PluginManager
from mmtkit.sandbox import Sandbox
from mmtkit.serving import ThreadedServer
from mmtkit.store.records import InboxState
from mmtkit.testing.sandbox_client import sandbox_accounts

__all__ = ["load_app", "run_demo"]

Echo = Callable[[str], None]


def load_app(path: Path) -> ModuleType:
    """Import an MMT app (a plugin module) from a file path."""
    if not path.is_file():
        raise ConfigError(f"--app {path}: no such file (the example is examples/shop_assistant.py)")
    spec = importlib.util.spec_from_file_location(f"mmtkit_app_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"--app {path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settle(gateway: Gateway, timeout: float = 10.0) -> None:
    """Wait until every webhook is processed and every reply sent (twice in a row, because
    a reply's echo is itself a webhook)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        counts = gateway.store.inbox.counts()
        busy = counts.get(InboxState.PENDING, 0) + counts.get(InboxState.PROCESSING, 0)
        busy += len(gateway.store.outbox.list([OutboxState.PENDING, OutboxState.SENDING]))
        quiet = quiet + 1 if busy == 0 else 0
        if quiet >= 3:
            return
        time.sleep(0.05)
    raise TimeoutError("the demo did not settle in time")


def _sandbox_config() -> dict[str, Any]:
    return {
        "tiktok": {"rate": "50/second"},
        "messenger": {"echoes": False},
    }


def _gateway_config(sandbox: Sandbox, store: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The gateway's configuration for the sandbox's own accounts, the way a deployment
    writes it: settings in the file, every secret through an environment variable."""
    env = {"TIKTOK_EVENTS_TOKEN": sandbox.config.tiktok.events_access_token}
    channels: dict[str, dict[str, str]] = {}
    for channel, account in sandbox_accounts(sandbox).items():
        prefix = channel.value.upper()
        env[f"{prefix}_APP_SECRET"] = account.settings["app_secret"]
        env[f"{prefix}_ACCESS_TOKEN"] = account.token
        channels[channel.value] = {
            "base_url": account.settings["base_url"],
            "account_id": account.settings["account_id"],
            "app_secret_env": f"{prefix}_APP_SECRET",
            "access_token_env": f"{prefix}_ACCESS_TOKEN",
        }
    data = {
        "store": {"path": str(store)},
        "gateway": {"poll_seconds": 0.02},
        "channels": channels,
        "events": {
            "tiktok_events": {
                "base_url": sandbox.tiktok_base_url,
                "access_token_env": "TIKTOK_EVENTS_TOKEN",
                "event_source_id": "DEMO-MESSAGE-EVENT-SET",
            },
            # Only conversations from an ad are reported: that is what the advertiser measures.
            "mapping": {"require_attribution": True},
        },
        "features": {
            "welcome": {"text": "Hi! Thanks for writing to us, a person will answer shortly."},
            "keyword_replies": [
                {
                    "language": "en",
                    "keywords": ["white shoes"],
                    "reply": "Our white sneakers are 40 USD, in every size.",
                },
            ],
        },
    }
    return data, env


def _point_webhooks(sandbox: Sandbox, gateway_url: str) -> None:
    config = sandbox.emulator.config
    sandbox.emulator.config = attrs.evolve(
        config,
        tiktok=attrs.evolve(config.tiktok, webhook_url=f"{gateway_url}/webhooks/tiktok"),
        whatsapp=attrs.evolve(config.whatsapp, webhook_url=f"{gateway_url}/webhooks/whatsapp"),
        messenger=attrs.evolve(config.messenger, webhook_url=f"{gateway_url}/webhooks/messenger"),
    )


def run_demo(app: Path | None, report: Path | None = None, echo: Echo = print) -> dict[str, Any]:
    started = time.monotonic()
    manager = PluginManager.with_entry_points()
    if app is not None:
        manager.register(load_app(app), name="app")
    handled: list[Handled] = []
    with (
        tempfile.TemporaryDirectory(prefix="mmtkit-demo-") as tmp,
        Sandbox(_sandbox_config()) as sb,
    ):
        data, env = _gateway_config(sb, Path(tmp) / "demo.sqlite3")
        gateway = Gateway.from_config(parse_config(data, env=env), plugins=manager)
        gateway.on_event(handled.append)
        with ThreadedServer(gateway.asgi(), name="mmtkit-gateway") as server:
            _point_webhooks(sb, server.url)
            echo(f"sandbox on {sb.base_url}, gateway on {server.url}")
            echo("")
            echo("Customers open conversations:")
            ad = sb.customers.tiktok_ad_referral("1790000000000042", ad_name="Spring dresses")
            sb.customers.tiktok_message(
                "Hi! Is the dress from your ad in stock in size M?",
                conversation_id=ad.conversation_id,
                user_id=ad.customer,
            )
            echo("  tiktok    (from an ad) Hi! Is the dress from your ad in stock in size M?")
            plain = sb.customers.tiktok_message("Do you sell white shoes?")
            echo("  tiktok    Do you sell white shoes?")
            wa = sb.customers.whatsapp_message(
                "Hello! I saw your ad, are the shoes available?", ctwa_clid="ARAkDemoClickId"
            )
            echo("  whatsapp  (from an ad) Hello! I saw your ad, are the shoes available?")
            ms = sb.customers.messenger_message("Hi, what does the dress cost?")
            echo("  messenger Hi, what does the dress cost?")
            _settle(gateway)
            sb.customers.tiktok_message(
                "Great, how do I pay?", conversation_id=ad.conversation_id, user_id=ad.customer
            )
            echo("  tiktok    (ad customer again) Great, how do I pay?")
            _settle(gateway)
            gateway.flush_events()
            result = _collect(gateway, sb, handled, [ad, plain, wa, ms])
        gateway.close()
    result["seconds"] = round(time.monotonic() - started, 2)
    _show(result, echo)
    if report is not None:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        echo(f"\nreport written to {report}")
    return result


def _collect(
    gateway: Gateway, sandbox: Sandbox, handled: list[Handled], opened: list[Any]
) -> dict[str, Any]:
    conversations = []
    for action in opened:
        channel = Channel(action.platform)
        conversation = gateway.store.conversations.get(channel, action.conversation_id)
        if conversation is None:
            continue
        messages = gateway.store.messages.list(channel, action.conversation_id)
        attribution = None
        if conversation.attribution is not None:
            attribution = {
                k: v for k, v in attrs.asdict(conversation.attribution).items() if v is not None
            }
            attribution["at"] = conversation.attribution.at.isoformat()
        frt = conversation.first_response_time
        conversations.append(
            {
                "channel": channel.value,
                "conversation_id": action.conversation_id,
                "texts": [m.text for m in messages if m.text is not None],
                "directions": [m.direction.value for m in messages if m.text is not None],
                "attribution": attribution,
                "labels": sorted(conversation.labels),
                "first_response_seconds": None if frt is None else round(frt.total_seconds(), 3),
            }
        )
    blocked = [
        {
            "channel": item.event.channel.value,
            "conversation_id": item.event.conversation_id,
            "text": getattr(reply.content, "body", None),
            "violations": [
                {
                    "rule_id": v.rule_id,
                    "category": v.category,
                    "policy_ref": v.policy_ref,
                    "explanation": v.explanation,
                }
                for v in reply.violation.violations
            ],
        }
        for item in handled
        for reply in item.blocked_replies
    ]
    events = [e.payload for e in sandbox.ledger.entries(platform="tiktok_events", kind="event")]
    now = gateway.now()
    kpis = report(load_histories(gateway.store), last_days(now.date(), UTC), as_of=now)
    return {
        "conversations": conversations,
        "blocked": blocked,
        "events": events,
        "kpis": kpis.overall.as_dict(),
    }


def _show(result: dict[str, Any], echo: Echo) -> None:
    echo("")
    echo("Conversations (every message in and out, in order):")
    for conv in result["conversations"]:
        source = ""
        if conv["attribution"]:
            ids = {
                k: v for k, v in conv["attribution"].items() if k in ("ad_id", "click_id", "ref")
            }
            source = f"  attribution {ids}"
        labels = f"  labels {conv['labels']}" if conv["labels"] else ""
        echo(f"  {conv['channel']} {conv['conversation_id'][:12]}{source}{labels}")
        for direction, text in zip(conv["directions"], conv["texts"], strict=True):
            arrow = "customer >" if direction == "inbound" else "business <"
            echo(f"    {arrow} {text}")
    echo("")
    echo("Blocked by compliance checks (never sent):")
    for item in result["blocked"] or [{"text": "(none)", "violations": []}]:
        echo(f"  {item['text']!r}")
        for v in item["violations"]:
            echo(f"    {v['rule_id']} [{v['category']}]: {v['policy_ref']}")
    echo("")
    echo(f"Conversion events received by the emulated Events API: {len(result['events'])}")
    for payload in result["events"]:
        echo("  " + json.dumps(payload, ensure_ascii=False)[:400])
    kpis = result["kpis"]
    rate, minutes = kpis["response_rate"], kpis["first_response_minutes"]
    echo("")
    echo(
        f"KPIs (TikTok Shop 6.1-6.2): {kpis['chats_responded_in_time']} of "
        f"{kpis['chats_received']} chats answered within 12 h "
        f"(rate {'-' if rate is None else f'{rate:.0%}'}, target 85%); "
        f"mean first response {'-' if minutes is None else f'{minutes:.2f}'} min (target < 30)"
    )
