"""What each channel accepts, and the checks that apply it before anything is sent.

The numbers are platform facts (see ``docs/concepts.md`` for sources). Several are disputed
between sources (TikTok's window length and per-window quota, TikTok's image limit), so every
number is a field of a frozen value that an application can replace with ``attrs.evolve``;
adapters declare their own :class:`Capabilities`, usually these defaults.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from attrs import field, frozen, validators

from mmtkit.errors import (
    EmptyMessage,
    ImageTooLarge,
    MessageTooLong,
    UnsupportedContent,
    UnsupportedImageFormat,
)
from mmtkit.messages import Channel, Content, ContentKind, Image, Text

__all__ = [
    "DEFAULT_CAPABILITIES",
    "Capabilities",
    "ImageFormat",
    "ImageRules",
    "RateLimit",
    "WindowRule",
    "detect_image_format",
]

MB = 1024 * 1024


class ImageFormat(enum.StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    GIF = "gif"
    WEBP = "webp"


def detect_image_format(data: bytes) -> ImageFormat | None:
    """Identify an image by its magic bytes; a file name or declared MIME type can lie."""
    if data[:3] == b"\xff\xd8\xff":
        return ImageFormat.JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ImageFormat.PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return ImageFormat.GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    return None


def _positive(_: object, attribute: object, value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be positive, got {value}")


def _positive_delta(_: object, attribute: object, value: Any) -> None:
    if value is not None and value <= timedelta(0):
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be positive, got {value}")


def _formats(value: Iterable[ImageFormat]) -> frozenset[ImageFormat]:
    return frozenset(ImageFormat(v) for v in value)


def _kinds(value: Iterable[ContentKind]) -> frozenset[ContentKind]:
    return frozenset(ContentKind(v) for v in value)


def _limits(value: Iterable[RateLimit]) -> tuple[RateLimit, ...]:
    return tuple(value)


@frozen
class ImageRules:
    formats: frozenset[ImageFormat] = field(converter=_formats)
    max_bytes: int = field(validator=_positive)


@frozen
class WindowRule:
    """When the business may write: the platform's customer-service window.

    ``duration`` None means there is no window (the business may write any time).
    ``max_business_messages`` caps business messages per window; a customer message resets it.
    ``tag``/``tag_window`` describe a message tag that extends the window for replies
    (Messenger ``HUMAN_AGENT``: 7 days).
    """

    duration: timedelta | None = field(validator=_positive_delta)
    max_business_messages: int | None = field(default=None, validator=_positive)
    business_can_initiate: bool = False
    template_outside_window: bool = False
    tag: str | None = None
    tag_window: timedelta | None = field(default=None, validator=_positive_delta)

    @property
    def reopened_by(self) -> str:
        """What would let the business write again once the window has closed."""
        if self.template_outside_window:
            return "a new customer message, or an approved template message"
        return "a new customer message"


@frozen
class RateLimit:
    """A default client-side limit: ``requests`` per ``per_seconds`` in ``scope``.

    Scopes: ``app`` (the developer app), ``account`` (business account, phone number or page),
    ``recipient`` (one customer, e.g. WhatsApp's pair rate).
    """

    scope: str = field(validator=validators.in_(("app", "account", "recipient")))
    requests: float = field(validator=_positive)
    per_seconds: float = field(default=1.0, validator=_positive)
    burst: int = field(default=1, validator=_positive)
    """Requests that may go back to back before the rate applies; later requests repay the
    borrowed time (WhatsApp lets a burst through to one recipient, then 1 per 6 s)."""

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


@frozen
class Capabilities:
    """What a channel accepts and the rules it enforces."""

    channel: Channel = field(converter=Channel)
    kinds: frozenset[ContentKind] = field(converter=_kinds)
    text_limit: int = field(validator=_positive)
    image: ImageRules | None
    window: WindowRule
    rate_limits: tuple[RateLimit, ...] = field(default=(), converter=_limits)

    def validate(self, content: Content) -> None:
        """Raise a :class:`~mmtkit.errors.ContentError` if this channel cannot take ``content``.

        Length is counted in Unicode code points, the way the platforms document it (spaces
        and emoji count). Image bytes are checked by magic number; an image given by URL is
        checked by the transport once fetched (see :meth:`validate_image_bytes`).
        """
        name = self.channel.value
        if content.kind not in self.kinds:
            raise UnsupportedContent(name, content.kind.value, [k.value for k in self.kinds])
        if isinstance(content, Text):
            if not content.body.strip():
                raise EmptyMessage(name)
            if len(content.body) > self.text_limit:
                raise MessageTooLong(name, self.text_limit, len(content.body))
        elif isinstance(content, Image) and content.data is not None:
            self.validate_image_bytes(content.data)

    def validate_image_bytes(self, data: bytes) -> ImageFormat:
        name = self.channel.value
        if self.image is None:
            raise UnsupportedContent(name, ContentKind.IMAGE.value, [k.value for k in self.kinds])
        detected = detect_image_format(data)
        if detected not in self.image.formats:
            raise UnsupportedImageFormat(
                name, detected.value if detected else None, [f.value for f in self.image.formats]
            )
        if len(data) > self.image.max_bytes:
            raise ImageTooLarge(name, self.image.max_bytes, len(data))
        return detected


_JPEG_PNG = frozenset({ImageFormat.JPEG, ImageFormat.PNG})

DEFAULT_CAPABILITIES: Mapping[Channel, Capabilities] = {
    Channel.TIKTOK: Capabilities(
        channel=Channel.TIKTOK,
        kinds={ContentKind.TEXT, ContentKind.IMAGE, ContentKind.SHARE_POST},
        text_limit=6000,
        # Infobip and respond.io: JPG/PNG <= 3 MB; an old Chatwoot doc says 20 MB (disputed).
        image=ImageRules(_JPEG_PNG, 3 * MB),
        # 48 h from the customer's last message, ~10 business messages per window; sources
        # disagree on both numbers, hence configurable.
        window=WindowRule(duration=timedelta(hours=48), max_business_messages=10),
        rate_limits=(RateLimit("app", 10),),
    ),
    Channel.TIKTOK_SHOP: Capabilities(
        channel=Channel.TIKTOK_SHOP,
        kinds={ContentKind.TEXT, ContentKind.IMAGE},
        text_limit=6000,  # UNCONFIRMED for Shop; the Business Messaging figure is used.
        image=ImageRules(_JPEG_PNG, 3 * MB),
        # Sellers may open a conversation (createConversation); no window is documented.
        window=WindowRule(duration=None, business_can_initiate=True),
        rate_limits=(RateLimit("app", 10),),
    ),
    Channel.WHATSAPP: Capabilities(
        channel=Channel.WHATSAPP,
        kinds={ContentKind.TEXT, ContentKind.IMAGE, ContentKind.TEMPLATE},
        text_limit=4096,
        image=ImageRules(_JPEG_PNG, 5 * MB),
        window=WindowRule(
            duration=timedelta(hours=24), business_can_initiate=True, template_outside_window=True
        ),
        # 80 messages/s per number; pair rate about 1 per 6 s per recipient, with bursts
        # (third parties say up to 45) repaid later: UNCONFIRMED, a conservative 10 here.
        rate_limits=(
            RateLimit("account", 80),
            RateLimit("recipient", 1, per_seconds=6, burst=10),
        ),
    ),
    Channel.MESSENGER: Capabilities(
        channel=Channel.MESSENGER,
        kinds={ContentKind.TEXT, ContentKind.IMAGE},
        text_limit=2000,
        image=ImageRules(_JPEG_PNG | {ImageFormat.GIF}, 8 * MB),  # size UNCONFIRMED
        window=WindowRule(
            duration=timedelta(hours=24), tag="HUMAN_AGENT", tag_window=timedelta(days=7)
        ),
        rate_limits=(RateLimit("account", 300),),
    ),
}
