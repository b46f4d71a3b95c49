"""Conversion events: what a Messaging Partner reports about a conversation, never its content.

TikTok asks Messaging Partners to send back two kinds of signal -- the tracking id of the ad
that drove a conversation, and keyword flags such as ``payment = true`` -- while "the actual
content of messages remains private and is not shared with TikTok". This module makes that
promise structural rather than a matter of care:

* :class:`ConversionEvent` has **no field able to carry message text**. Names are identifiers
  (``^[A-Za-z][A-Za-z0-9_]*$``), ids are single tokens without spaces or ``@``, signals are
  booleans, amounts are decimals, and people are identified only by SHA-256 digests. A value
  that does not fit is refused at construction, so no sink can serialise a sentence.
* e-mail addresses and phone numbers are normalised (trimmed lower case; E.164 through
  ``phonenumbers``) and hashed before they enter an event; a value that is already a SHA-256
  hex digest passes through unchanged, as TikTok and Meta both expect.
* every event gets a deterministic ``event_id`` from the conversation, the event name and what
  triggered it, so the emitter and the platforms can drop duplicates (webhooks are delivered
  at least once; a gateway may replay its inbox).

The *mapping* from things that happen in the SDK (a conversation started from an ad, a
keyword signal, a label such as "qualified lead") to event names is configuration
(:class:`EventMapping`), because TikTok has not published its messaging event names. The
defaults use standard event names that both TikTok's Events API and Meta's Conversions API
know; see ``docs/events.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from attrs import field, frozen, validators

from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError, MmtkitError
from mmtkit.messages import Channel, utc
from mmtkit.signals import Signal

__all__ = [
    "DEFAULT_MAPPING",
    "AttributionIds",
    "ConversationStarted",
    "ConversionEvent",
    "EventMapping",
    "Happening",
    "InvalidIdentifier",
    "LabelApplied",
    "SignalsDetected",
    "UserIdentifiers",
    "conversion_events",
    "hash_email",
    "hash_external_id",
    "hash_phone",
    "is_sha256",
    "make_event_id",
]

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_EVENT_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
_IDENTIFIER = r"^[A-Za-z0-9._:~+/=-]{1,256}$"
"""One token: no spaces (so no sentence) and no ``@`` (so no e-mail address)."""
_CURRENCY = r"^[A-Z]{3}$"


class InvalidIdentifier(MmtkitError, ValueError):
    """An e-mail address or phone number that cannot be normalised for hashing. The message
    says which kind it was, never the value (it is personal data)."""


# --- hashing ------------------------------------------------------------------------------


def is_sha256(value: str) -> bool:
    """True for a 64-character hex digest: such values are hashed already."""
    return _SHA256.fullmatch(value) is not None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_email(value: str) -> str:
    """SHA-256 of the trimmed, lower-cased address; a digest passes through (lower-cased)."""
    text = value.strip()
    if is_sha256(text):
        return text.lower()
    text = text.lower()
    local, at, domain = text.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text):
        raise InvalidIdentifier("not an e-mail address (expected name@domain)")
    return _sha256(text)


def hash_phone(value: str, *, region: str | None = None) -> str:
    """SHA-256 of the number in E.164 (``+6281234567890``); a digest passes through.

    ``region`` (``"ID"``, ``"TH"``...) reads national numbers written without ``+``; without
    it a number must carry its country code.
    """
    text = value.strip()
    if is_sha256(text):
        return text.lower()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(
            "not a phone number (write it with its country code, or pass region=...)"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentifier("not a possible phone number for its country")
    return _sha256(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def hash_external_id(value: str) -> str:
    """SHA-256 of an advertiser-side id (a CRM id, a platform user id); digests pass."""
    text = value.strip()
    if not text:
        raise InvalidIdentifier("an external id must not be empty")
    return text.lower() if is_sha256(text) else _sha256(text)


def _digest(_: object, attribute: Any, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _SHA256.fullmatch(value)):
        raise ValueError(f"{attribute.name} must be a SHA-256 hex digest; hash it first")


@frozen(kw_only=True)
class UserIdentifiers:
    """Who the customer is, as digests only. Build it with :meth:`of` from raw values."""

    email: str | None = field(default=None, validator=_digest)
    phone: str | None = field(default=None, validator=_digest)
    external_id: str | None = field(default=None, validator=_digest)

    @classmethod
    def of(
        cls,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        region: str | None = None,
    ) -> UserIdentifiers:
        """Normalise and hash raw values (digests pass through unchanged)."""
        return cls(
            email=None if email is None else hash_email(email),
            phone=None if phone is None else hash_phone(phone, region=region),
            external_id=None if external_id is None else hash_external_id(external_id),
        )


# --- the event ------------------------------------------------------------------------------

_ident = validators.optional(validators.matches_re(_IDENTIFIER))


@frozen(kw_only=True)
class AttributionIds:
    """The ad ids a platform reported (see :class:`mmtkit.conversation.Attribution`)."""

    tracking_id: str | None = field(default=None, validator=_ident)
    ad_id: str | None = field(default=None, validator=_ident)
    advertiser_id: str | None = field(default=None, validator=_ident)
    click_id: str | None = field(default=None, validator=_ident)
    """A click id such as WhatsApp's ``ctwa_clid``."""
    ref: str | None = field(default=None, validator=_ident)
    material_id: str | None = field(default=None, validator=_ident)

    @classmethod
    def of(cls, conversation: Conversation) -> AttributionIds:
        found = conversation.attribution
        if found is None:
            return cls()
        return cls(
            tracking_id=_token(found.tracking_id),
            ad_id=_token(found.ad_id),
            advertiser_id=_token(found.advertiser_id),
            click_id=_token(found.click_id),
            ref=_token(found.ref),
            material_id=_token(found.material_id),
        )


def _token(value: str | None) -> str | None:
    """An id as reported, or None when it is not a single token (a free-text ``ref`` is
    dropped rather than reported: it could be words the customer typed)."""
    if value is None or re.fullmatch(_IDENTIFIER, value) is None:
        return None
    return value


def _signal_names(value: Iterable[str]) -> frozenset[str]:
    names = frozenset(value)
    for name in names:
        if not isinstance(name, str) or not re.fullmatch(r"^[a-z][a-z0-9_]{0,63}$", name):
            raise ValueError(f"signal names are lower-case identifiers, got {name!r}")
    return names


def _decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        # A float goes through str: Decimal(0.1) would report 0.1000000000000000055...
        amount = Decimal(str(value) if isinstance(value, float) else value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"value must be an amount such as 12.50, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("value must be a finite, non-negative amount")
    return amount


def _value_with_currency(instance: ConversionEvent, _: Any, __: Any) -> None:
    if (instance.value is None) != (instance.currency is None):
        raise ValueError("value and currency go together: give both or neither")


@frozen(kw_only=True)
class ConversionEvent:
    """One conversion to report. Every field is an identifier, a flag, a number or a time:
    there is deliberately nowhere to put what anyone wrote."""

    name: str = field(validator=validators.matches_re(_EVENT_NAME))
    """``Contact``, ``Lead``, ``CompletePayment``... or a custom identifier."""
    time: datetime = field(converter=utc)
    event_id: str = field(validator=validators.matches_re(_IDENTIFIER))
    channel: Channel = field(converter=Channel)
    account_id: str | None = field(default=None, validator=_ident)
    """The business side: TikTok business id, WhatsApp phone number id, Messenger page id."""
    scoped_user_id: str | None = field(default=None, validator=_ident)
    """A platform's app-scoped user id where a sink needs it in clear (Messenger PSID); never
    set for WhatsApp, whose user id is a phone number."""
    attribution: AttributionIds = field(factory=AttributionIds)
    signals: frozenset[str] = field(default=frozenset(), converter=_signal_names)
    """Keyword signals that are true for this event (``payment`` means ``payment = true``)."""
    value: Decimal | None = field(default=None, converter=_decimal)
    currency: str | None = field(
        default=None,
        validator=[validators.optional(validators.matches_re(_CURRENCY)), _value_with_currency],
    )
    user: UserIdentifiers = field(factory=UserIdentifiers)


def make_event_id(conversation: Conversation, event_name: str, trigger: str) -> str:
    """A stable id for "this event, for this reason, in this conversation".

    The same keyword seen twice in one conversation, or the same webhook replayed, gives the
    same id, so the emitter and the platform's own dedup (TikTok and Meta both dedup on
    ``event_id``) count it once. The ids are hashed: they reveal nothing about the chat.
    """
    key = "\x1f".join(
        (
            conversation.channel.value,
            conversation.account_id or "",
            conversation.conversation_id,
            event_name,
            trigger,
        )
    )
    return "mmt-" + _sha256(key)[:40]


# --- happenings and the mapping ----------------------------------------------------------


@frozen
class ConversationStarted:
    """The customer opened the conversation (from an ad, a link or on their own)."""

    at: datetime = field(converter=utc)


def _signal_tuple(value: Iterable[Signal]) -> tuple[Signal, ...]:
    return tuple(value)


@frozen
class SignalsDetected:
    """Signals found in one message (:func:`mmtkit.plugin_manager.Hooks.extract_signals`)."""

    signals: tuple[Signal, ...] = field(converter=_signal_tuple)
    at: datetime = field(converter=utc)


@frozen(kw_only=True)
class LabelApplied:
    """An agent or a rule labelled the conversation (``qualified lead``, ``purchased``)."""

    label: str
    at: datetime = field(converter=utc)
    value: Decimal | int | float | str | None = None
    currency: str | None = None


Happening = ConversationStarted | SignalsDetected | LabelApplied


def _label_key(label: str) -> str:
    return " ".join(re.split(r"[\s_-]+", label.strip().casefold()))


def _name_map(value: Mapping[str, str | None]) -> Mapping[str, str | None]:
    for key, name in value.items():
        if name is not None and not re.fullmatch(_EVENT_NAME, name):
            raise ConfigError(f"event name for {key!r} must be an identifier, got {name!r}")
    return dict(value)


def _label_map(value: Mapping[str, str | None]) -> Mapping[str, str | None]:
    return {_label_key(k): v for k, v in _name_map(value).items()}


DEFAULT_SIGNAL_EVENTS: Mapping[str, str | None] = {
    "payment": "AddPaymentInfo",
    "order": "PlaceAnOrder",
    "price": "ViewContent",
    "booking": "Schedule",
    "address": "SubmitForm",
    "refund": None,
}
DEFAULT_LABEL_EVENTS: Mapping[str, str | None] = {
    "qualified lead": "Lead",
    "lead": "Lead",
    "purchased": "Purchase",
    "paid": "Purchase",
    "booked": "Schedule",
}


_optional_name: Any = validators.optional(validators.matches_re(_EVENT_NAME))


@frozen(kw_only=True)
class EventMapping:
    """Which happenings become which events. ``None`` for a name means "do not report".

    TikTok's messaging event names are unconfirmed, so every name here is configuration; the
    defaults are standard names known to both the TikTok Events API and Meta's CAPI.
    """

    conversation_started: str | None = field(default="Contact", validator=_optional_name)
    signals: Mapping[str, str | None] = field(
        factory=lambda: dict(DEFAULT_SIGNAL_EVENTS), converter=_name_map
    )
    labels: Mapping[str, str | None] = field(
        factory=lambda: dict(DEFAULT_LABEL_EVENTS), converter=_label_map
    )
    require_attribution: bool = False
    """Report only conversations with an ad attribution. Off by default: TikTok accepts
    keyword signals "even if the conversation does not include a TikTok tracking ID"."""
    hash_customer_id: bool = True
    """Send ``sha256(channel:customer id)`` as the hashed ``external_id``."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> EventMapping:
        """Build from configuration data (TOML/JSON); unknown keys are an error."""
        known = {"conversation_started", "signals", "labels", "require_attribution",
                 "hash_customer_id"}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown event mapping key(s) {sorted(unknown)}; known: "
                              f"{sorted(known)}")
        defaults = cls()
        signals = dict(defaults.signals)
        signals.update(raw.get("signals", {}))
        labels = dict(defaults.labels)
        labels.update(raw.get("labels", {}))
        try:
            return cls(
                conversation_started=raw.get("conversation_started",
                                             defaults.conversation_started),
                signals=signals,
                labels=labels,
                require_attribution=bool(raw.get("require_attribution", False)),
                hash_customer_id=bool(raw.get("hash_customer_id", True)),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"event mapping: {exc}") from None


DEFAULT_MAPPING = EventMapping()


def _base(
    conversation: Conversation,
    mapping: EventMapping,
    user: UserIdentifiers,
) -> dict[str, Any]:
    if mapping.hash_customer_id and user.external_id is None:
        user = UserIdentifiers(
            email=user.email,
            phone=user.phone,
            external_id=_sha256(f"{conversation.channel.value}:{conversation.customer_id}"),
        )
    scoped = conversation.customer_id if conversation.channel is Channel.MESSENGER else None
    return {
        "channel": conversation.channel,
        "account_id": _token(conversation.account_id),
        "scoped_user_id": _token(scoped),
        "attribution": AttributionIds.of(conversation),
        "user": user,
    }


def conversion_events(
    happening: Happening,
    conversation: Conversation,
    mapping: EventMapping = DEFAULT_MAPPING,
    *,
    user: UserIdentifiers | None = None,
    signals: Sequence[Signal] = (),
) -> list[ConversionEvent]:
    """The events to report for ``happening`` in ``conversation``; pure, no I/O.

    ``signals`` are the boolean signals known for the conversation so far; they ride along on
    a ``conversation_started`` or label event. A :class:`SignalsDetected` happening gives one
    event per true keyword signal that the mapping names; string signals (``tracking_id``)
    are attribution, not events: apply them with :func:`mmtkit.attribution.attribute`.
    """
    if mapping.require_attribution and conversation.attribution is None:
        return []
    base = _base(conversation, mapping, user or UserIdentifiers())
    flags = frozenset(s.name for s in signals if s.value is True)
    if isinstance(happening, ConversationStarted):
        name = mapping.conversation_started
        if name is None:
            return []
        return [ConversionEvent(name=name, time=happening.at,
                                event_id=make_event_id(conversation, name, "started"),
                                signals=flags, **base)]
    if isinstance(happening, SignalsDetected):
        events: list[ConversionEvent] = []
        found = dict.fromkeys(s.name for s in happening.signals if s.value is True)
        for signal in found:
            name = mapping.signals.get(signal)
            if name is None:
                continue
            events.append(ConversionEvent(
                name=name, time=happening.at,
                event_id=make_event_id(conversation, name, f"signal:{signal}"),
                signals=flags | {signal}, **base,
            ))
        return events
    name = mapping.labels.get(_label_key(happening.label))
    if name is None:
        return []
    currency = happening.currency.upper() if happening.currency else None
    return [ConversionEvent(
        name=name, time=happening.at,
        event_id=make_event_id(conversation, name, f"label:{_label_key(happening.label)}"),
        signals=flags, value=_decimal(happening.value), currency=currency, **base,
    )]
