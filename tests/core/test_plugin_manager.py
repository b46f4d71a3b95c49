from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mmtkit.errors import PluginError
from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Channel, MessageReceived, Text
from mmtkit.plugin_manager import PluginLoadWarning, PluginManager
from mmtkit.policy import PolicyContext, PolicyEngine, Severity, Violation

MakeDistribution = Callable[..., Path]
CTX = PolicyContext(channel="tiktok")
EVENT = MessageReceived(
    channel="tiktok",
    conversation_id="c",
    customer_id="u",
    kind="text",
    text="hi",
    timestamp=datetime(2026, 1, 1, tzinfo=UTC),
)

GOOD_PLUGIN = """
from mmtkit.hookspecs import hookimpl
from mmtkit.policy import Violation

@hookimpl
def mmt_check_outbound(content, context):
    if "forbidden" in getattr(content, "body", ""):
        return [Violation(rule_id="acme.forbidden", category="acme", severity="block",
                          explanation="Says forbidden.", policy_ref="ACME 1.1")]
    return []
"""


TYPO_PLUGIN = """
from mmtkit.hookspecs import hookimpl

@hookimpl
def mmt_chek_outbound(content, context):
    return []
"""


def violation(rule_id: str = "t.rule") -> Violation:
    return Violation(
        rule_id=rule_id,
        category="test",
        severity=Severity.BLOCK,
        explanation="x",
        policy_ref="Test 1",
    )


def test_separately_installed_distribution_is_discovered(
    make_distribution: MakeDistribution,
) -> None:
    make_distribution(
        "acme-checks",
        entry_points={"acme": "acme_checks"},
        modules={"acme_checks": GOOD_PLUGIN},
        version="2.3",
    )
    manager = PluginManager.with_entry_points(env={})
    info = {i.name: i for i in manager.info()}
    assert info["acme"].status == "loaded"
    assert info["acme"].distribution == "acme-checks"
    assert info["acme"].version == "2.3"
    assert info["acme"].hooks == ("mmt_check_outbound",)
    assert not info["acme"].builtin
    found = manager.hooks.check_outbound(Text("this is forbidden"), CTX)
    assert [v.rule_id for v in found] == ["acme.forbidden"]


def test_cli_lists_a_separately_installed_distribution(make_distribution: MakeDistribution) -> None:
    site = make_distribution(
        "acme-checks", entry_points={"acme": "acme_checks"}, modules={"acme_checks": GOOD_PLUGIN}
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("MMTKIT_PLUGINS", None)
    env.pop("MMTKIT_DISABLE_PLUGINS", None)
    out = subprocess.run(
        [sys.executable, "-m", "mmtkit.cli", "plugins", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert rows["acme"]["status"] == "loaded"
    assert rows["acme"]["hooks"] == ["mmt_check_outbound"]


def test_a_plugin_that_fails_to_import_is_isolated(make_distribution: MakeDistribution) -> None:
    make_distribution(
        "broken-plugin",
        entry_points={"broken": "broken_plugin", "acme": "acme_checks"},
        modules={
            "broken_plugin": "raise RuntimeError('boom at import')",
            "acme_checks": GOOD_PLUGIN,
        },
    )
    with pytest.warns(PluginLoadWarning, match=r"'broken'.*RuntimeError: boom at import"):
        manager = PluginManager.with_entry_points(env={})
    info = {i.name: i for i in manager.info()}
    assert info["broken"].status == "failed"
    assert "boom at import" in (info["broken"].error or "")
    assert info["acme"].status == "loaded"  # the host and the other plugins keep working
    assert manager.hooks.check_outbound(Text("forbidden"), CTX)


def test_a_plugin_with_an_unknown_hook_is_refused(make_distribution: MakeDistribution) -> None:
    make_distribution(
        "typo-plugin",
        entry_points={"typo": "typo_plugin"},
        modules={"typo_plugin": TYPO_PLUGIN},
    )
    with pytest.warns(PluginLoadWarning, match="mmt_chek_outbound"):
        manager = PluginManager.with_entry_points(env={})
    assert {i.name: i.status for i in manager.info()}["typo"] == "failed"


def test_allow_and_block_lists_from_the_environment(make_distribution: MakeDistribution) -> None:
    make_distribution(
        "two-plugins",
        entry_points={"acme": "acme_checks", "other": "acme_other"},
        modules={"acme_checks": GOOD_PLUGIN, "acme_other": GOOD_PLUGIN},
    )
    allowed = PluginManager.with_entry_points(env={"MMTKIT_PLUGINS": "acme"})
    statuses = {i.name: i.status for i in allowed.info()}
    assert statuses["acme"] == "loaded"
    assert statuses["other"] == "disabled"
    blocked = PluginManager.with_entry_points(env={"MMTKIT_DISABLE_PLUGINS": " acme , x"})
    statuses = {i.name: i.status for i in blocked.info()}
    assert statuses["acme"] == "disabled"
    assert statuses["other"] == "loaded"


def test_register_from_code_validates_hook_signatures() -> None:
    class Wrong:
        @hookimpl
        def mmt_check_outbound(self, content: Any, context: Any, extra: Any) -> None:
            return None

    manager = PluginManager(env={})
    with pytest.raises(PluginError, match="extra"):
        manager.register(Wrong(), name="wrong")


def test_outbound_checks_fail_closed_and_name_the_plugin() -> None:
    class Crashing:
        @hookimpl
        def mmt_check_outbound(self, content: Any, context: Any) -> list[Violation]:
            raise KeyError("lexicon")

    manager = PluginManager(env={})
    manager.register(Crashing(), name="crashing")
    failed = r"'crashing' failed in hook mmt_check_outbound"
    with pytest.raises(PluginError, match=failed) as raised:
        manager.hooks.check_outbound(Text("hi"), CTX)
    assert isinstance(raised.value.__cause__, KeyError)
    with pytest.raises(PluginError, match=failed):
        PolicyEngine(manager.hooks).check_outbound(Text("hi"), CTX)


def test_other_hooks_skip_a_crashing_plugin_and_go_on(caplog: pytest.LogCaptureFixture) -> None:
    class Crashing:
        @hookimpl
        def mmt_check_inbound(self, event: Any, context: Any) -> list[Violation]:
            raise RuntimeError("oops")

    class Working:
        @hookimpl
        def mmt_check_inbound(self, event: Any, context: Any) -> Iterable[Violation]:
            return [violation("w.rule")]

    manager = PluginManager(env={})
    manager.register(Working(), name="working")
    manager.register(Crashing(), name="crashing")
    assert [v.rule_id for v in manager.hooks.check_inbound(EVENT, CTX)] == ["w.rule"]
    assert any(getattr(r, "plugin", None) == "crashing" for r in caplog.records)


def test_hook_implementations_may_take_a_subset_of_arguments() -> None:
    class ContentOnly:
        @hookimpl
        def mmt_check_outbound(self, content: Any) -> list[Violation]:
            return [violation()] if content.body == "x" else []

    manager = PluginManager(env={})
    manager.register(ContentOnly(), name="content-only")
    assert manager.hooks.check_outbound(Text("x"), CTX)
    manager.unregister("content-only")
    assert manager.hooks.check_outbound(Text("x"), CTX) == []


def test_a_forwarding_implementation_is_replaced_by_its_target() -> None:
    calls: list[str] = []

    def target(content: Any, context: Any) -> list[Violation]:
        calls.append("target")
        return [violation("fwd.rule")] if content.body == "x" else []

    class Forwarding:
        @hookimpl
        @forwards_to(target)
        def mmt_check_outbound(self, content: Any, context: Any) -> list[Violation]:
            calls.append("implementation")
            return target(content, context)

    manager = PluginManager(env={})
    manager.register(Forwarding(), name="forwarding")
    assert [v.rule_id for v in manager.hooks.check_outbound(Text("x"), CTX)] == ["fwd.rule"]
    assert calls == ["target"]  # mmtkit's dispatch skips the implementation's own frame
    calls.clear()
    # pluggy still registers and calls the implementation itself.
    manager._pm.hook.mmt_check_outbound(content=Text("x"), context=CTX)
    assert calls == ["implementation", "target"]


def test_a_forwarding_target_that_raises_is_attributed_to_its_plugin() -> None:
    def target(content: Any, context: Any) -> list[Violation]:
        raise KeyError("lexicon")

    class Forwarding:
        @hookimpl
        @forwards_to(target)
        def mmt_check_outbound(self, content: Any, context: Any) -> list[Violation]:
            return target(content, context)

    manager = PluginManager(env={})
    manager.register(Forwarding(), name="forwarding")
    with pytest.raises(PluginError, match="'forwarding' failed in hook mmt_check_outbound"):
        manager.hooks.check_outbound(Text("hi"), CTX)


def test_builtin_forwarding_plugins_answer_as_their_implementations_do() -> None:
    manager = PluginManager.with_entry_points(env={})
    texts = ["send me the OTP from your bank", "add me on whatsapp 0812 3456 7890",
             "you stupid idiot", "thanks for your order!"]
    for channel in ("tiktok_shop", "whatsapp"):
        context = PolicyContext(channel=channel)
        for text in texts:
            direct = manager.hooks.check_outbound(Text(text), context)
            through_pluggy = [v for found in manager._pm.hook.mmt_check_outbound(
                content=Text(text), context=context) for v in found]
            assert sorted(direct, key=repr) == sorted(through_pluggy, key=repr)


def test_adapters_are_found_by_channel_and_the_last_registered_wins() -> None:
    made: list[dict[str, Any]] = []

    def factory_a(**settings: Any) -> Any:
        made.append({"a": settings})
        return "adapter-a"

    def factory_b(**settings: Any) -> Any:
        made.append({"b": settings})
        return "adapter-b"

    class First:
        @hookimpl
        def mmt_register_adapters(self, register: Any) -> None:
            register(Channel.TIKTOK, factory_a)
            register("whatsapp", factory_a)

    class Second:
        @hookimpl
        def mmt_register_adapters(self, register: Any) -> None:
            register(Channel.TIKTOK, factory_b)

    manager = PluginManager(env={})
    manager.register(First(), name="first")
    manager.register(Second(), name="second")
    assert manager.create_adapter("tiktok", app_secret="s") == "adapter-b"
    assert manager.create_adapter(Channel.WHATSAPP) == "adapter-a"
    assert made[0] == {"b": {"app_secret": "s"}}


def test_missing_adapter_error_says_how_to_fix_it() -> None:
    manager = PluginManager(env={})
    with pytest.raises(Exception, match="MMTKIT_PLUGINS") as info:
        manager.create_adapter("messenger")
    assert type(info.value).__name__ == "AdapterNotFound"


def test_builtin_plugins_all_load(recwarn: pytest.WarningsRecorder) -> None:
    """Every entry point mmtkit itself declares loads cleanly: the built-ins take the
    third-party path, so this is also proof that path works."""
    manager = PluginManager.with_entry_points(env={})
    builtins = [i for i in manager.info() if i.builtin]
    assert builtins, "mmtkit declares its built-ins as entry points"
    assert [i.name for i in builtins if i.status != "loaded"] == []
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert pyproject.exists()
