"""Signals: facts extracted from a conversation that may be reported, never its content.

A signal is a name and a boolean or short identifier value (``payment = True``,
``tracking_id = "..."``). It deliberately has no field for message text, so nothing that
flows from signals into conversion events can carry what the customer wrote.
"""

from __future__ import annotations

from attrs import field, frozen, validators

__all__ = ["INTENT_SIGNALS", "Intent", "Signal"]


@frozen
class Signal:
    """``name`` is a lower-case identifier such as ``payment`` or ``tracking_id``."""

    name: str = field(validator=validators.matches_re(r"^[a-z][a-z0-9_]{0,63}$"))
    value: bool | str = True
    source: str | None = None
    """What produced it: a plugin or rule id, for audit; never message text."""


INTENT_SIGNALS = frozenset({"order", "booking"})
"""Signals that hand a conversation off to order or reservation management."""


@frozen(kw_only=True)
class Intent:
    """An order or a booking the customer asked for, as ``mmt_on_intent`` receives it.
    Like signals, it carries identifiers only, never the message text."""

    name: str = field(validator=validators.in_(sorted(INTENT_SIGNALS)))
    channel: str
    conversation_id: str
    platform_message_id: str | None = None
    signals: tuple[Signal, ...] = ()
