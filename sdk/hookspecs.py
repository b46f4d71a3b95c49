"""The public plugin API of mmtkit: every hook a plugin may implement.

A plugin is any module or object with functions named like these, decorated with
``mmtkit.hookimpl``, and announced through the ``mmtkit`` entry-point group::

    [project.entry-points.mmtkit]
    my_checks = "my_package.checks"

Keep this list short and stable: it is a promise to third parties. Hooks take
``register(...)`` callbacks rather than returning magic values where a plugin adds things,
and return plain lists of typed values where the core collects results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    import click

    from mmtkit.adapter import Adapter
    from mmtkit.config import MmtkitConfig
    from mmtkit.conversation import Conversation
    from mmtkit.messages import Channel, Content, InboundEvent
    from mmtkit.outbox import OutboxRecord
    from mmtkit.policy import PolicyContext, Violation
    from mmtkit.signals import Intent, Signal

PROJECT = "mmtkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

FORWARDS_TO = f"{PROJECT}_forwards_to"
"""The attribute :func:`forwards_to` sets on a hook implementation."""

_Function = TypeVar("_Function", bound=Callable[..., Any])


def forwards_to(target: Callable[..., Any]) -> Callable[[_Function], _Function]:
    """Declares that a hook implementation only passes its arguments, in order, to
    ``target`` and returns what it returns::

        @hookimpl
        @forwards_to(CHECK.outbound)
        def mmt_check_outbound(content, context):
            return CHECK.outbound(content, context)

    mmtkit's own dispatch then calls ``target`` itself. A hook runs once per plugin for
    every message sent, and when ``target`` is compiled (a mypyc method, a C function) the
    Python frame of the implementation costs more than the call it makes. The implementation
    stays what pluggy registers, introspects and calls; ``target`` must behave exactly as it
    does."""

    def mark(function: _Function) -> _Function:
        setattr(function, FORWARDS_TO, target)
        return function

    return mark


class InboundActions(Protocol):
    """What an ``mmt_on_inbound`` plugin may do in answer to an event. Every reply goes
    through the full send pipeline (capabilities, window, compliance, outbox)."""

    def reply(self, content: Content, *, automatic: bool = True) -> None: ...

    def add_label(self, label: str) -> None: ...

    def assign(self, agent: str | None) -> None: ...

    @property
    def inbound_violations(self) -> tuple[Violation, ...]:
        """What the inbound checks flagged in this message (never a block)."""
        ...

    @property
    def signals(self) -> tuple[Signal, ...]:
        """The signals extracted from this event (``payment``, ``order``...)."""
        ...


@hookspec
def mmt_configure(
    config: MmtkitConfig, register: Callable[[object, str], None], store: Any
) -> None:
    """A host was built from configuration (``mmtkit.toml``): read your own table and
    ``register(plugin, name)`` the plugin objects your settings turn on (say, auto-replies
    with their texts). ``store`` is the host's :class:`~mmtkit.store.base.Store`, for plugins
    that keep durable state (a CRM delivery queue). Called once, before any message is
    handled; raise :class:`~mmtkit.errors.ConfigError` naming the key when a setting is
    wrong."""


@hookspec
def mmt_shutdown() -> None:
    """The host is stopping: finish or stop background work (a delivery thread) now, while
    the store is still open. Called once, before the host closes its store."""


@hookspec
def mmt_on_sent(record: OutboxRecord, conversation: Conversation | None) -> None:
    """The platform took an outbound message (``record`` is its final outbox record).
    Called inside the host's store transaction that logs the message, so durable reactions
    (a CRM ``message.sent`` webhook queued in the store) commit with it."""


@hookspec
def mmt_register_adapters(register: Callable[[Channel, Callable[..., Adapter]], None]) -> None:
    """Add platform adapters: call ``register(channel, factory)`` once per channel served.

    ``factory(**settings)`` builds a configured :class:`~mmtkit.adapter.Adapter`. When two
    plugins register the same channel, the one loaded last wins and ``mmtkit plugins`` says so.
    """


@hookspec
def mmt_check_outbound(content: Content, context: PolicyContext) -> Iterable[Violation] | None:
    """Check a message the business is about to send; return the violations found.

    Called for every outbound message before it reaches the outbox. Return an empty list
    (or None) when the message is clean. Do not decide allow/block yourself: the policy
    engine applies the operator's configuration to what every check reports. A check that
    raises blocks the send with a :class:`~mmtkit.errors.PluginError` (fail closed).
    """


@hookspec
def mmt_check_inbound(event: InboundEvent, context: PolicyContext) -> Iterable[Violation] | None:
    """Check a customer's message for behaviour a seller may report (harassment, threats,
    spam). Inbound violations flag and label a conversation; they never block anything."""


@hookspec
def mmt_extract_signals(
    event: InboundEvent | Content, conversation: Conversation | None
) -> Iterable[Signal] | None:
    """Extract reportable signals (``payment``, ``tracking_id``...) from a message in or out.

    Signals carry no message text by construction; they feed conversion events.
    """


@hookspec
def mmt_on_inbound(
    event: InboundEvent, conversation: Conversation, actions: InboundActions
) -> None:
    """React to an inbound event after it is stored: auto-replies, labels, CRM hand-off.

    Use ``actions`` rather than sending directly, so replies are checked and durable.
    """


@hookspec
def mmt_on_intent(intent: Intent, conversation: Conversation, actions: InboundActions) -> None:
    """A customer showed an intent the business acts on -- an ``order`` or a ``booking`` --
    detected from the message's signals. Order-management and CRM plugins hand it off here;
    ``actions`` replies or labels like in ``mmt_on_inbound``."""


@hookspec
def mmt_register_event_sinks(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Add conversion-event sinks (TikTok Events API, Meta Conversions API...):
    ``register(name, factory)`` where ``factory(**settings)`` builds the sink."""


@hookspec
def mmt_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``mmtkit`` command line: ``@cli.command()`` on your function."""
