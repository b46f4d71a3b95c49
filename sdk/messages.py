"""The typed vocabulary of mmtkit: channels, outbound content and inbound events.

Everything here is a small frozen ``attrs`` value with validators, so a half-valid message can
never travel inward: adapters build these from webhook bytes and applications build outbound
content from user input, and both fail at construction with a clear error. The wire (JSON)
form lives in :mod:`mmtkit.wire`, apart from the domain types.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from attrs import field, frozen, validators

__all__ = [
    "AdReferral",
    "Channel",
    "Content",
    "ContentKind",
    "DeliveryReport",
    "DeliveryStatus",
    "EchoSource",
    "Image",
    "InboundEvent",
    "MessageEcho",
    "MessageKind",
    "MessageReceived",
    "ReadReport",
    "SharePost",
    "Template",
    "Text",
    "UnknownEvent",
    "utc",
]


class Channel(enum.StrEnum):
    """A messaging surface. The value is the stable wire name."""

    TIKTOK = "tiktok"
    TIKTOK_SHOP = "tiktok_shop"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"


def utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; refuse a naive one (its zone would be a guess)."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"timestamp {value.isoformat()} has no time zone; pass an aware datetime, "
            "e.g. datetime.now(timezone.utc)"
        )
    return value.astimezone(UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _non_empty(_: object, attribute: Any, value: str) -> None:
    if not value:
        raise ValueError(f"{attribute.name} must not be empty")


def _optional_non_empty(_: object, attribute: Any, value: str | None) -> None:
    if value is not None and not value:
        raise ValueError(f"{attribute.name} must be None or a non-empty string")


# Plain functions rather than attrs' composed validators: events are built on every webhook,
# and one call per field instead of two is a quarter of the parse time saved.
def _str(_: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, got {type(value).__name__}")


def _opt_str(_: object, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string or None, got {type(value).__name__}")


# --- outbound content ---------------------------------------------------------------------


class ContentKind(enum.StrEnum):
    """What kind of outbound content a channel accepts (see :mod:`mmtkit.capabilities`)."""

    TEXT = "text"
    IMAGE = "image"
    SHARE_POST = "share_post"
    TEMPLATE = "template"


@frozen
class Text:
    """A text message. ``reply_to`` quotes an earlier platform message id where supported."""

    body: str = field(validator=_str)
    reply_to: str | None = field(default=None, validator=[_opt_str, _optional_non_empty])

    kind = ContentKind.TEXT


def _image_source(instance: Image, _: Any, __: Any) -> None:
    if (instance.url is None) == (instance.data is None):
        raise ValueError("Image needs exactly one of url=... or data=...")
    if instance.url is not None and not instance.url.startswith(("https://", "http://")):
        raise ValueError(f"Image url must be http(s), got {instance.url[:40]!r}")


@frozen
class Image:
    """An image, either at a public URL or as bytes. Formats are checked by magic bytes."""

    url: str | None = field(default=None, validator=_opt_str)
    data: bytes | None = field(
        default=None,
        validator=[validators.optional(validators.instance_of(bytes)), _image_source],
        repr=lambda d: f"<{len(d)} bytes>" if d is not None else "None",
    )
    caption: str | None = field(default=None, validator=_opt_str)

    kind = ContentKind.IMAGE


@frozen
class SharePost:
    """Share one of the business's own posts (TikTok ``SHARE_POST``)."""

    post_id: str = field(validator=[_str, _non_empty])

    kind = ContentKind.SHARE_POST


def _template_parameters(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen
class Template:
    """A pre-approved template message (WhatsApp), the only kind a business may send
    outside the customer-service window. ``parameters`` fill the body's ``{{1}}``, ``{{2}}``..."""

    name: str = field(validator=[_str, _non_empty])
    language: str = field(default="en_US", validator=[_str, _non_empty])
    parameters: tuple[str, ...] = field(default=(), converter=_template_parameters)

    kind = ContentKind.TEMPLATE


Content = Text | Image | SharePost | Template
"""Anything :meth:`send` accepts."""


# --- inbound events -----------------------------------------------------------------------


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    SHARE_POST = "share_post"
    OTHER = "other"
    """A type mmtkit has no model for; ``raw_type`` keeps the platform's name for it."""


class EchoSource(enum.StrEnum):
    """Where a send that we see again came from: our API, or a person in the app or web."""

    API = "api"
    APP = "app"
    WEB = "web"
    OTHER = "other"


class DeliveryStatus(enum.StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@frozen(kw_only=True)
class _EventBase:
    """Fields every inbound event carries, whatever the platform."""

    channel: Channel = field(converter=Channel)
    conversation_id: str = field(validator=_str)
    customer_id: str = field(validator=_str)
    timestamp: datetime = field(converter=utc)
    platform_message_id: str | None = field(default=None, validator=_opt_str)
    account_id: str | None = field(default=None, validator=_opt_str)
    """The business side: TikTok business id, WhatsApp phone number id, Messenger page id."""


@frozen(kw_only=True)
class MessageReceived(_EventBase):
    """A customer wrote to the business."""

    kind: MessageKind = field(converter=MessageKind)
    text: str | None = field(default=None, validator=_opt_str, repr=False)
    media_id: str | None = field(default=None, validator=_opt_str)
    media_url: str | None = field(default=None, validator=_opt_str)
    post_id: str | None = field(default=None, validator=_opt_str)
    raw_type: str | None = field(default=None, validator=_opt_str)
    reply_to: str | None = field(default=None, validator=_opt_str)
    content_stripped: bool = field(default=False, validator=validators.instance_of(bool))
    """True when the platform withheld the content (TikTok ``im_receive_msg_eu``)."""


@frozen(kw_only=True)
class MessageEcho(_EventBase):
    """A message the business side sent, seen again: our own API send or an agent's."""

    source: EchoSource = field(converter=EchoSource)
    kind: MessageKind = field(converter=MessageKind)
    text: str | None = field(default=None, validator=_opt_str, repr=False)
    raw_type: str | None = field(default=None, validator=_opt_str)


@frozen(kw_only=True)
class ReadReport(_EventBase):
    """The customer read everything up to ``watermark``."""

    watermark: datetime = field(converter=utc)


@frozen(kw_only=True)
class DeliveryReport(_EventBase):
    """The status of one outbound message (``platform_message_id``)."""

    status: DeliveryStatus = field(converter=DeliveryStatus)
    error_code: str | None = field(default=None, validator=_opt_str)
    error_message: str | None = field(default=None, validator=_opt_str)


@frozen(kw_only=True)
class AdReferral(_EventBase):
    """The customer arrived from an ad or a short link; the ids drive attribution."""

    source: str = field(validator=_str)
    """Platform's word for the origin: ``ad``, ``short_link``, ``ADS``, ``post``..."""
    ad_id: str | None = field(default=None, validator=_opt_str)
    advertiser_id: str | None = field(default=None, validator=_opt_str)
    ad_name: str | None = field(default=None, validator=_opt_str)
    click_id: str | None = field(default=None, validator=_opt_str)
    """A click id such as WhatsApp's ``ctwa_clid``."""
    ref: str | None = field(default=None, validator=_opt_str)
    """A short-link or m.me ``ref``."""
    material_id: str | None = field(default=None, validator=_opt_str)
    headline: str | None = field(default=None, validator=_opt_str)


def _json_object_text(_: object, __: Any, value: str) -> None:
    try:
        json.loads(value)
    except ValueError as exc:
        raise ValueError(f"raw_json must be JSON text: {exc}") from None


@frozen(kw_only=True)
class UnknownEvent:
    """A webhook event mmtkit has no model for. Kept, never dropped and never a crash."""

    channel: Channel = field(converter=Channel)
    raw_type: str = field(validator=_str)
    timestamp: datetime = field(converter=utc)
    raw_json: str = field(default="{}", validator=[_str, _json_object_text], repr=False)
    conversation_id: str | None = field(default=None, validator=_opt_str)
    customer_id: str | None = field(default=None, validator=_opt_str)
    platform_message_id: str | None = field(default=None, validator=_opt_str)
    account_id: str | None = field(default=None, validator=_opt_str)

    @property
    def raw(self) -> Any:
        """The platform's payload for this event, parsed."""
        return json.loads(self.raw_json)


InboundEvent = (
    MessageReceived | MessageEcho | ReadReport | DeliveryReport | AdReferral | UnknownEvent
)
"""Everything an adapter's webhook parser can produce."""

EVENT_TYPES: dict[str, type[Any]] = {
    "message_received": MessageReceived,
    "message_echo": MessageEcho,
    "read_report": ReadReport,
    "delivery_report": DeliveryReport,
    "ad_referral": AdReferral,
    "unknown": UnknownEvent,
}
"""Stable wire names of the inbound event types (the ``type`` tag in JSON)."""

EVENT_TYPE_NAMES: dict[type[Any], str] = {cls: name for name, cls in EVENT_TYPES.items()}
