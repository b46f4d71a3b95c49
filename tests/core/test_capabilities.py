from __future__ import annotations

import pytest
from attrs import evolve

from mmtkit.capabilities import (
    DEFAULT_CAPABILITIES,
    ImageFormat,
    ImageRules,
    detect_image_format,
)
from mmtkit.errors import (
    ContentError,
    EmptyMessage,
    ImageTooLarge,
    MessageTooLong,
    UnsupportedContent,
    UnsupportedImageFormat,
)
from mmtkit.messages import Channel, Image, SharePost, Template, Text

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16
GIF = b"GIF89a" + b"\0" * 16
WEBP = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 8


@pytest.mark.parametrize(
    ("channel", "limit"),
    [(Channel.TIKTOK, 6000), (Channel.WHATSAPP, 4096), (Channel.MESSENGER, 2000)],
)
def test_text_limits(channel: Channel, limit: int) -> None:
    caps = DEFAULT_CAPABILITIES[channel]
    caps.validate(Text("x" * limit))
    with pytest.raises(MessageTooLong) as info:
        caps.validate(Text("x" * (limit + 1)))
    assert info.value.limit == limit
    assert info.value.actual == limit + 1


def test_error_message_names_channel_limit_and_value() -> None:
    with pytest.raises(
        MessageTooLong, match=r"^whatsapp accepts at most 4096 characters, got 5120$"
    ):
        DEFAULT_CAPABILITIES[Channel.WHATSAPP].validate(Text("a" * 5120))


def test_emoji_count_as_code_points() -> None:
    DEFAULT_CAPABILITIES[Channel.MESSENGER].validate(Text("😀" * 2000))
    with pytest.raises(MessageTooLong):
        DEFAULT_CAPABILITIES[Channel.MESSENGER].validate(Text("😀" * 2001))


def test_blank_text_is_refused() -> None:
    with pytest.raises(EmptyMessage):
        DEFAULT_CAPABILITIES[Channel.TIKTOK].validate(Text("  \n"))


def test_unsupported_kind() -> None:
    with pytest.raises(UnsupportedContent, match="share_post"):
        DEFAULT_CAPABILITIES[Channel.WHATSAPP].validate(SharePost("123"))
    with pytest.raises(UnsupportedContent, match="template"):
        DEFAULT_CAPABILITIES[Channel.TIKTOK].validate(Template("hello"))
    DEFAULT_CAPABILITIES[Channel.TIKTOK].validate(SharePost("123"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, ImageFormat.PNG),
        (JPEG, ImageFormat.JPEG),
        (GIF, ImageFormat.GIF),
        (WEBP, ImageFormat.WEBP),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_magic_bytes(data: bytes, expected: ImageFormat | None) -> None:
    assert detect_image_format(data) is expected


def test_image_format_checked_by_content_not_name() -> None:
    tiktok = DEFAULT_CAPABILITIES[Channel.TIKTOK]
    tiktok.validate(Image(data=PNG))
    with pytest.raises(UnsupportedImageFormat, match="gif"):
        tiktok.validate(Image(data=GIF, caption="photo.png"))
    with pytest.raises(UnsupportedImageFormat, match="unrecognised"):
        tiktok.validate(Image(data=b"<html>not an image</html>"))


def test_image_size_limits() -> None:
    tiktok = DEFAULT_CAPABILITIES[Channel.TIKTOK]
    with pytest.raises(ImageTooLarge) as info:
        tiktok.validate(Image(data=JPEG + b"\0" * (3 * 1024 * 1024)))
    assert info.value.limit == 3 * 1024 * 1024
    DEFAULT_CAPABILITIES[Channel.WHATSAPP].validate(Image(data=JPEG + b"\0" * (4 * 1024 * 1024)))


def test_limits_are_configurable() -> None:
    tiktok = evolve(
        DEFAULT_CAPABILITIES[Channel.TIKTOK], image=ImageRules({"jpeg", "webp"}, 20 * 1024 * 1024)
    )
    tiktok.validate(Image(data=WEBP))


def test_every_content_error_is_an_mmtkit_error() -> None:
    with pytest.raises(ContentError):
        DEFAULT_CAPABILITIES[Channel.MESSENGER].validate(Text("x" * 3000))


def test_a_request_description_never_shows_a_token_or_the_message() -> None:
    from mmtkit.adapter import HttpRequest

    request = HttpRequest(
        method="POST",
        url="https://business-api.tiktok.com/open_api/v1.3/business/message/send/",
        headers={"Access-Token": "act.secret-token", "Content-Type": "application/json"},
        json={"text": {"body": "my card is 4111 1111"}},
    )
    shown = repr(request)
    assert "secret-token" not in shown
    assert "4111" not in shown
    assert "application/json" in shown
    assert request.header("access-token") == "act.secret-token"


def test_a_burst_goes_at_once_and_is_repaid_at_the_rate() -> None:
    from mmtkit.capabilities import RateLimit
    from mmtkit.ratelimit import GcraLimiter, ScopedLimit

    limiter = GcraLimiter(headroom=1.0)
    pair = [
        ScopedLimit("recipient:whatsapp:p:u", RateLimit("recipient", 1, per_seconds=6, burst=3))
    ]
    waits = [limiter.reserve(pair, now=100.0) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # the burst goes back to back
    assert waits[3] == pytest.approx(6.0)  # then one per 6 s, repaying the borrowed time
    assert waits[4] == pytest.approx(12.0)
