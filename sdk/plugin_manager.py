"""Finding, loading and calling plugins, safely.

Built-in adapters and checks are announced through mmtkit's own ``mmtkit`` entry points, the
same path a third-party distribution takes, so the built-ins prove that path works. Loading is
explicit and fenced:

* ``MMTKIT_PLUGINS`` (comma-separated entry-point names) is an allow list: when set, nothing
  else loads. ``MMTKIT_DISABLE_PLUGINS`` is a block list. Both may also be passed in code.
* A plugin that fails to import or register is reported (a :class:`PluginLoadWarning` that
  names it and the error, and a ``failed`` row in ``mmtkit plugins``) and skipped; the host
  keeps working.
* The rest of mmtkit never calls ``pm.hook.x(...)`` untyped: :class:`Hooks` is a typed facade
  (the tox 4 pattern) that also decides, per hook, whether a plugin that raises fails closed
  (compliance checks: the send is stopped) or is skipped with a warning (everything else).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import evolve, frozen

from mmtkit import hookspecs
from mmtkit.dispatch import OnFailure, call_each
from mmtkit.errors import AdapterNotFound, MmtkitError, PluginError
from mmtkit.messages import Channel

if TYPE_CHECKING:
    import click

    from mmtkit.adapter import Adapter, AdapterFactory
    from mmtkit.config import MmtkitConfig
    from mmtkit.conversation import Conversation
    from mmtkit.hookspecs import InboundActions
    from mmtkit.messages import Content, InboundEvent
    from mmtkit.outbox import OutboxRecord
    from mmtkit.policy import PolicyContext, Violation
    from mmtkit.signals import Intent, Signal

__all__ = [
    "ENTRY_POINT_GROUP",
    "Hooks",
    "PluginInfo",
    "PluginLoadWarning",
    "PluginManager",
]

log = logging.getLogger("mmtkit.plugin_manager")

ENTRY_POINT_GROUP = "mmtkit"
ALLOW_ENV = "MMTKIT_PLUGINS"
BLOCK_ENV = "MMTKIT_DISABLE_PLUGINS"
_KNOWN_HOOKS = frozenset(name for name in dir(hookspecs) if name.startswith("mmt_"))


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


@frozen(kw_only=True)
class PluginInfo:
    """One row of ``mmtkit plugins``."""

    name: str
    status: str
    """``loaded``, ``failed`` or ``disabled`` (``pending`` only while loading)."""
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()
    error: str | None = None
    builtin: bool = False


def _names(value: str | None) -> frozenset[str] | None:
    if value is None or not value.strip():
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


class PluginManager:
    """Loads plugins and hands out the typed :class:`Hooks` facade.

    ``allow``/``block`` default to the ``MMTKIT_PLUGINS``/``MMTKIT_DISABLE_PLUGINS``
    environment variables; pass ``env={}`` to ignore the environment in tests.
    """

    def __init__(
        self,
        *,
        allow: Iterable[str] | None = None,
        block: Iterable[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        self.allow = frozenset(allow) if allow is not None else _names(environ.get(ALLOW_ENV))
        self.block = frozenset(block) if block is not None else (
            _names(environ.get(BLOCK_ENV)) or frozenset()
        )
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._info: dict[str, PluginInfo] = {}
        self._implementations: dict[str, list[tuple[str, Callable[..., Any], tuple[str, ...]]]] = {}
        self.hooks = Hooks(self)

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def with_entry_points(cls, **kwargs: Any) -> PluginManager:
        """A manager with every permitted ``mmtkit`` entry point loaded."""
        manager = cls(**kwargs)
        manager.load_entry_points()
        return manager

    def permitted(self, name: str) -> bool:
        if name in self.block:
            return False
        return self.allow is None or name in self.allow

    def load_entry_points(self) -> None:
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            dist_name = dist.name if dist is not None else None
            version = dist.version if dist is not None else None
            base = PluginInfo(
                name=entry_point.name,
                status="pending",
                distribution=dist_name,
                version=version,
                builtin=dist_name == "mmtkit",
            )
            if entry_point.name in self._info:
                continue
            if not self.permitted(entry_point.name):
                self._info[entry_point.name] = evolve(base, status="disabled")
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is isolated
                self._record_failure(base, exc)
                continue
            self._register(plugin, base)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object or module from code (tests, applications).

        Raises :class:`~mmtkit.errors.PluginError` if it implements a hook that does not
        exist or with the wrong arguments; such a plugin would silently do nothing.
        """
        plugin_name = name or getattr(plugin, "__name__", None) or repr(plugin)
        base = PluginInfo(name=plugin_name, status="pending")
        info = self._register(plugin, base, raise_errors=True)
        return info.name

    def unregister(self, name: str) -> None:
        self._pm.unregister(name=name)
        self._info.pop(name, None)
        self._implementations.clear()

    def _register(
        self, plugin: object, base: PluginInfo, *, raise_errors: bool = False
    ) -> PluginInfo:
        name = base.name
        try:
            self._pm.register(plugin, name=name)
            unknown = [
                hook.name
                for hook in self._pm.get_hookcallers(plugin) or []
                if hook.name not in _KNOWN_HOOKS
            ]
            implemented = sorted(
                hook.name for hook in self._pm.get_hookcallers(plugin) or []
            )
            if unknown:
                self._pm.unregister(plugin)
                raise ValueError(
                    f"implements unknown hook(s) {', '.join(unknown)}; "
                    f"known hooks: {', '.join(sorted(_KNOWN_HOOKS))}"
                )
        except Exception as exc:
            if raise_errors:
                raise PluginError(name, None, exc) from exc
            return self._record_failure(base, exc)
        info = evolve(base, status="loaded", hooks=tuple(implemented))
        self._info[name] = info
        self._implementations.clear()
        return info

    def _record_failure(self, base: PluginInfo, exc: BaseException) -> PluginInfo:
        error = f"{type(exc).__name__}: {exc}"
        info = evolve(base, status="failed", error=error)
        self._info[base.name] = info
        message = f"mmtkit plugin {base.name!r} failed to load and is skipped: {error}"
        warnings.warn(message, PluginLoadWarning, stacklevel=3)
        log.warning("plugin load failed", extra={"plugin": base.name, "error": error})
        return info

    def record_call_failure(self, plugin: str, hook: str, exc: BaseException) -> None:
        log.warning(
            "plugin hook failed",
            extra={"plugin": plugin, "hook": hook, "error": f"{type(exc).__name__}: {exc}"},
        )

    # -- introspection ----------------------------------------------------------------------

    def info(self) -> list[PluginInfo]:
        return sorted(self._info.values(), key=lambda i: (not i.builtin, i.name))

    @property
    def failures(self) -> list[PluginInfo]:
        return [i for i in self._info.values() if i.status == "failed"]

    def implementations(
        self, hook: str
    ) -> list[tuple[str, Callable[..., Any], tuple[str, ...]]]:
        """``(plugin name, function, argument names)`` in call order (last registered first,
        ``tryfirst``/``trylast`` honoured), cached until the plugin set changes."""
        cached = self._implementations.get(hook)
        if cached is None:
            caller = getattr(self._pm.hook, hook)
            # Equal argument names share one tuple: the caller then tells "same arguments as
            # the previous implementation" by identity (mmtkit.dispatch.call_each).
            shared: dict[tuple[str, ...], tuple[str, ...]] = {}
            # An implementation that declares it only forwards its arguments
            # (mmtkit.hookspecs.forwards_to) is replaced by what it forwards to.
            cached = [
                (impl.plugin_name, getattr(impl.function, hookspecs.FORWARDS_TO, impl.function),
                 shared.setdefault(tuple(impl.argnames), tuple(impl.argnames)))
                for impl in reversed(caller.get_hookimpls())
            ]
            self._implementations[hook] = cached
        return cached

    # -- adapters ---------------------------------------------------------------------------

    def adapter_factories(self) -> dict[Channel, AdapterFactory]:
        return self.hooks.register_adapters()

    def create_adapter(self, channel: Channel | str, **settings: Any) -> Adapter:
        factories = self.adapter_factories()
        try:
            key = Channel(channel)
            factory = factories[key]
        except (ValueError, KeyError):
            raise AdapterNotFound(str(channel), [c.value for c in factories]) from None
        return factory(**settings)


class Hooks:
    """Typed calls of every hook in :mod:`mmtkit.hookspecs`.

    Implementations are called one by one, so a plugin that raises is attributed by name:
    checks of outbound messages fail closed (:class:`~mmtkit.errors.PluginError`), the other
    hooks log a warning and go on with the remaining plugins.
    """

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager
        self._handlers: dict[tuple[str, bool], OnFailure] = {}
        self._outbound_failure = self._on_failure("mmt_check_outbound", fail_closed=True)

    def _on_failure(self, hook: str, *, fail_closed: bool) -> OnFailure:
        """What happens when an implementation of ``hook`` raises, made once per hook."""
        handler = self._handlers.get((hook, fail_closed))
        if handler is None:
            manager = self._manager
            if fail_closed:
                def handler(plugin: str, exc: Exception) -> None:
                    raise PluginError(plugin, hook, exc) from exc
            else:
                def handler(plugin: str, exc: Exception) -> None:
                    manager.record_call_failure(plugin, hook, exc)
            self._handlers[(hook, fail_closed)] = handler
        return handler

    def _call(self, hook: str, kwargs: dict[str, Any], *, fail_closed: bool,
              flatten: bool = False) -> list[Any]:
        """Each implementation's result that is not ``None``; with ``flatten``, the items of
        each result instead (:func:`mmtkit.dispatch.call_each`)."""
        return call_each(self._manager.implementations(hook), kwargs,
                         self._on_failure(hook, fail_closed=fail_closed), flatten)

    def register_adapters(self) -> dict[Channel, AdapterFactory]:
        found: dict[Channel, AdapterFactory] = {}

        def register(channel: Channel | str, factory: AdapterFactory) -> None:
            found[Channel(channel)] = factory

        # Call order is last-registered first; reverse it so the last registered wins.
        for plugin, function, argnames in reversed(
            self._manager.implementations("mmt_register_adapters")
        ):
            try:
                function(*[{"register": register}[name] for name in argnames])
            except Exception as exc:  # noqa: BLE001
                self._manager.record_call_failure(plugin, "mmt_register_adapters", exc)
        return found

    def check_outbound(self, content: Content, context: PolicyContext) -> list[Violation]:
        # What _call does, without its two frames: this runs for every message sent.
        return call_each(self._manager.implementations("mmt_check_outbound"),
                         {"content": content, "context": context}, self._outbound_failure, True)

    def check_inbound(self, event: InboundEvent, context: PolicyContext) -> list[Violation]:
        return self._call("mmt_check_inbound", {"event": event, "context": context},
                          fail_closed=False, flatten=True)

    def extract_signals(
        self, event: InboundEvent | Content, conversation: Conversation | None
    ) -> list[Signal]:
        return self._call("mmt_extract_signals", {"event": event, "conversation": conversation},
                          fail_closed=False, flatten=True)

    def on_inbound(
        self, event: InboundEvent, conversation: Conversation, actions: InboundActions
    ) -> None:
        self._call(
            "mmt_on_inbound",
            {"event": event, "conversation": conversation, "actions": actions},
            fail_closed=False,
        )

    def configure(self, config: MmtkitConfig, store: Any = None) -> None:
        """Let every plugin read its settings and register what they turn on. A bad
        setting is the operator's error: it is raised, not skipped."""
        registered: list[tuple[object, str]] = []

        def register(plugin: object, name: str) -> None:
            registered.append((plugin, name))

        for plugin_name, function, argnames in self._manager.implementations("mmt_configure"):
            arguments = {"config": config, "register": register, "store": store}
            try:
                function(*[arguments[name] for name in argnames])
            except MmtkitError:
                raise
            except Exception as exc:
                raise PluginError(plugin_name, "mmt_configure", exc) from exc
        for plugin, name in registered:
            self._manager.register(plugin, name=name)

    def shutdown(self) -> None:
        self._call("mmt_shutdown", {}, fail_closed=False)

    def on_sent(self, record: OutboxRecord, conversation: Conversation | None) -> None:
        self._call(
            "mmt_on_sent", {"record": record, "conversation": conversation}, fail_closed=False
        )

    def on_intent(
        self, intent: Intent, conversation: Conversation, actions: InboundActions
    ) -> None:
        self._call(
            "mmt_on_intent",
            {"intent": intent, "conversation": conversation, "actions": actions},
            fail_closed=False,
        )

    def register_event_sinks(self) -> dict[str, Callable[..., Any]]:
        found: dict[str, Callable[..., Any]] = {}

        def register(name: str, factory: Callable[..., Any]) -> None:
            found[name] = factory

        self._call("mmt_register_event_sinks", {"register": register}, fail_closed=False)
        return found

    def register_commands(self, cli: click.Group) -> None:
        self._call("mmt_register_commands", {"cli": cli}, fail_closed=False)
