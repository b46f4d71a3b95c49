"""Parse TikTok Business Messaging webhooks into typed inbound events.

The envelope is ``{client_key, event, create_time (s), user_openid, content}`` where
``content`` is a JSON *string* that must be parsed a second time and whose timestamps are in
*milliseconds*. There is no direction flag: a message is inbound when ``to_user.id`` is the
business. Everything that is not the documented shape raises
:class:`~mmtkit.errors.MalformedWebhook` naming the field; nothing else escapes, because a
webhook endpoint that crashes makes TikTok redeliver the same bad body for 72 hours.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from mmtkit import fastjson
from mmtkit.errors import MalformedWebhook
from mmtkit.messages import (
    AdReferral,
    Channel,
    EchoSource,
    InboundEvent,
    MessageEcho,
    MessageKind,
    MessageReceived,
    ReadReport,
    UnknownEvent,
)

__all__ = ["EU_CONVERSATION_FALLBACK", "parse"]

EU_CONVERSATION_FALLBACK = ""
"""``conversation_id`` (and ``customer_id``) of an ``im_receive_msg_eu`` event, which
carries neither: the event is kept so the business knows a message arrived, but it cannot
be tied to a thread."""

_KINDS = {
    "text": MessageKind.TEXT,
    "image": MessageKind.IMAGE,
    "share_post": MessageKind.SHARE_POST,
}
_SOURCES = {"api": EchoSource.API, "app": EchoSource.APP, "web": EchoSource.WEB}
_BUSINESS_ROLE = "business_account"
_CHANNEL = Channel.TIKTOK
_decode = fastjson.loads

Object = Mapping[str, Any]


class _Direction(enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# --- small typed readers: each names the field it refuses ---------------------------------
# Webhooks are a hot path: the readers test exact JSON types first and build the field's
# name only when they raise.


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "null" if value is None else "number"
    )


def _object(value: Any, where: str) -> Object:
    if type(value) is dict:
        return value
    raise MalformedWebhook(f"{where} must be a JSON object, got {_type_name(value)}")


def _get_object(parent: Object, key: str, where: str) -> Object | None:
    value = parent.get(key)
    if value is None or type(value) is dict:
        return value
    raise MalformedWebhook(f"{where}.{key} must be a JSON object, got {_type_name(value)}")


def _get_id(parent: Object, key: str, where: str) -> str | None:
    """An id, or None when absent or empty. v1.3 sends ids as strings; integers are
    tolerated rather than the event dropped."""
    value = parent.get(key)
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if type(value) is int:
        return str(value)
    raise MalformedWebhook(f"{where}.{key} must be a string id, got {_type_name(value)}")


def _require_id(parent: Object, key: str, where: str) -> str:
    value = parent.get(key)
    if type(value) is str and value:
        return value
    value = _get_id(parent, key, where)
    if value is None:
        raise MalformedWebhook(f"{where}.{key} is missing or empty")
    return value


def _get_str(parent: Object, key: str, where: str) -> str | None:
    value = parent.get(key)
    if value is None or type(value) is str:
        return value
    raise MalformedWebhook(f"{where}.{key} must be a string, got {_type_name(value)}")


def _time(value: Any, where: str, *, scale: float) -> datetime:
    if type(value) is not int and type(value) is not float:
        raise MalformedWebhook(f"{where} must be a unix timestamp, got {_type_name(value)}")
    try:
        return datetime.fromtimestamp(value / scale, UTC)
    except (OverflowError, OSError, ValueError):  # huge, NaN or infinite
        raise MalformedWebhook(f"{where} is out of range: {value!r:.30}") from None


# --- envelope --------------------------------------------------------------------------------


def _load(body: bytes) -> Object:
    # Webhook JSON is UTF-8 (RFC 8259 §8.1); other encodings fail as MalformedWebhook.
    try:
        document = _decode(body)
    except RecursionError:
        raise MalformedWebhook("webhook body is nested too deeply to be a TikTok event") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedWebhook(f"webhook body is not UTF-8 JSON: {type(exc).__name__}") from None
    return _object(document, "webhook body")


def _content(envelope: Object) -> Object:
    raw = envelope.get("content")
    if type(raw) is str:
        try:
            parsed = _decode(raw)
        except RecursionError:
            raise MalformedWebhook("content is nested too deeply") from None
        except ValueError:
            raise MalformedWebhook("content is a string but not JSON text") from None
        return _object(parsed, "content (decoded)")
    if type(raw) is dict:
        return raw  # documented as a string; an already-decoded object means the same
    raise MalformedWebhook(
        f"content must be a JSON string holding an object, got {_type_name(raw)}"
    )


def parse(body: bytes, *, account_id: str | None) -> list[InboundEvent]:
    """Events in one webhook body. ``account_id`` is the configured business id, used when
    the envelope lacks ``user_openid``."""
    envelope = _load(body)
    event = envelope.get("event")
    if type(event) is not str or not event:
        raise MalformedWebhook(f"event must be a non-empty string, got {_type_name(event)}")
    created = _time(envelope.get("create_time"), "create_time", scale=1)
    business_id = _get_id(envelope, "user_openid", "webhook body") or account_id
    parser = _PARSERS.get(event)
    try:
        if parser is None:
            return [_unknown(envelope, event, created, business_id)]
        return [parser(_content(envelope), created, business_id)]
    except MalformedWebhook as exc:
        raise MalformedWebhook(f"{event}: {exc}") from None
    except (TypeError, ValueError) as exc:  # a value the event types refuse
        raise MalformedWebhook(f"{event}: {exc}") from None
    except RecursionError:  # decoded just under the limit, too deep to re-encode or check
        raise MalformedWebhook(f"{event}: nested too deeply") from None


# --- the parties and the direction --------------------------------------------------------


def _party(content: Object, key: str) -> tuple[str | None, str | None]:
    """``(id, role)`` of ``from_user`` or ``to_user``; either may be absent."""
    user = content.get(key)
    if type(user) is dict:
        user_id = user.get("id")
        role = user.get("role")
        if type(user_id) is str and user_id and type(role) is str:
            return user_id, role  # the documented shape, checked without more calls
        where = "content." + key
        return _get_id(user, "id", where), _get_str(user, "role", where)
    if user is None:
        return None, None
    raise MalformedWebhook(f"content.{key} must be a JSON object, got {_type_name(user)}")


def _direction(
    content: Object, business_id: str | None, default: _Direction
) -> tuple[_Direction, str]:
    """Which way the message went, and the customer's id. Ids decide; roles are the
    fallback when the business id is unknown; the event name is the last resort."""
    from_id, from_role = _party(content, "from_user")
    to_id, to_role = _party(content, "to_user")
    if business_id is not None and to_id == business_id:
        direction = _Direction.INBOUND
    elif business_id is not None and from_id == business_id:
        direction = _Direction.OUTBOUND
    elif to_role == _BUSINESS_ROLE and from_role != _BUSINESS_ROLE:
        direction = _Direction.INBOUND
    elif from_role == _BUSINESS_ROLE and to_role != _BUSINESS_ROLE:
        direction = _Direction.OUTBOUND
    else:
        direction = default
    customer = from_id if direction is _Direction.INBOUND else to_id
    if customer is None:
        side = "from_user" if direction is _Direction.INBOUND else "to_user"
        raise MalformedWebhook(f"content.{side}.id (the customer) is missing")
    return direction, customer


def _event_time(content: Object, created: datetime) -> datetime:
    value = content.get("timestamp")
    return created if value is None else _time(value, "content.timestamp", scale=1000)


# --- message bodies -----------------------------------------------------------------------


class _Body(NamedTuple):
    kind: MessageKind
    raw_type: str | None
    text: str | None = None
    media_id: str | None = None
    media_url: str | None = None
    post_id: str | None = None


def _body(content: Object) -> _Body:
    """Kind, text and media of a message, whatever its direction."""
    raw_type = _get_str(content, "type", "content")
    kind = _KINDS.get(raw_type or "", MessageKind.OTHER)
    part = content.get(raw_type) if raw_type else None
    if kind is MessageKind.TEXT and type(part) is dict:
        text = part.get("body")
        if type(text) is str:  # the most common message, checked without more calls
            return _Body(kind, raw_type, text=text)
    if kind is MessageKind.OTHER:
        # Stickers and emoji arrive as URLs (field name UNCONFIRMED: ``url`` is read). Types
        # we do not model are kept whatever their body looks like.
        url = part.get("url") if type(part) is dict else None
        return _Body(kind, raw_type, media_url=url if type(url) is str else None)
    where = f"content.{raw_type}"
    if part is None:
        return _Body(kind, raw_type)
    part = _object(part, where)
    if kind is MessageKind.TEXT:
        return _Body(kind, raw_type, text=_get_str(part, "body", where))
    if kind is MessageKind.IMAGE:
        return _Body(kind, raw_type, media_id=_get_id(part, "media_id", where))
    return _Body(
        kind,
        raw_type,
        post_id=_get_id(part, "video_id", where) or _get_id(part, "item_id", where),
        media_url=_get_str(part, "embed_url", where),
    )


def _reply_to(content: Object) -> str | None:
    if "referenced_message_info" not in content:
        return None
    info = _get_object(content, "referenced_message_info", "content")
    return None if info is None else _get_id(info, "referenced_message_id", "content")


def _echo_source(content: Object) -> EchoSource:
    tag = _get_object(content, "message_tag", "content")
    source = None if tag is None else _get_str(tag, "source", "content.message_tag")
    return _SOURCES.get((source or "").lower(), EchoSource.OTHER)


# --- one function per event ------------------------------------------------------------------


def _message(
    content: Object, created: datetime, business_id: str | None, default: _Direction
) -> InboundEvent:
    direction, customer = _direction(content, business_id, default)
    conversation_id = _require_id(content, "conversation_id", "content")
    message_id = _require_id(content, "message_id", "content")
    timestamp = _event_time(content, created)
    body = _body(content)
    if direction is _Direction.OUTBOUND:
        return MessageEcho(
            channel=_CHANNEL,
            conversation_id=conversation_id,
            customer_id=customer,
            timestamp=timestamp,
            platform_message_id=message_id,
            account_id=business_id,
            source=_echo_source(content),
            kind=body.kind,
            text=body.text,
            raw_type=body.raw_type,
        )
    return MessageReceived(
        channel=_CHANNEL,
        conversation_id=conversation_id,
        customer_id=customer,
        timestamp=timestamp,
        platform_message_id=message_id,
        account_id=business_id,
        kind=body.kind,
        text=body.text,
        media_id=body.media_id,
        media_url=body.media_url,
        post_id=body.post_id,
        raw_type=body.raw_type,
        reply_to=_reply_to(content),
    )


def _received_eu(content: Object, created: datetime, business_id: str | None) -> InboundEvent:
    # Stripped content: ``to``, ``to_user`` and ``timestamp`` only. Read whatever ids are
    # there, never require them.
    from_id, _ = _party(content, "from_user")
    to_id, _ = _party(content, "to_user")
    return MessageReceived(
        channel=_CHANNEL,
        conversation_id=_get_id(content, "conversation_id", "content")
        or EU_CONVERSATION_FALLBACK,
        customer_id=from_id or EU_CONVERSATION_FALLBACK,
        timestamp=_event_time(content, created),
        platform_message_id=_get_id(content, "message_id", "content"),
        account_id=business_id or to_id,
        kind=MessageKind.OTHER,
        raw_type=_get_str(content, "type", "content"),
        content_stripped=True,
    )


def _first_object(parent: Object, key: str, where: str) -> Object | None:
    # The webhook sends ``ad`` as an object; the conversation list sends ``ad[]``.
    value = parent.get(key)
    if type(value) is list:
        return _object(value[0], f"{where}.{key}[0]") if value else None
    return _get_object(parent, key, where)


def _referral(content: Object, created: datetime, business_id: str | None) -> InboundEvent:
    _, customer = _direction(content, business_id, _Direction.INBOUND)
    referral = _object(content.get("referral"), "content.referral")
    where = "content.referral"
    ad = _first_object(referral, "ad", where) or {}
    link = _first_object(referral, "short_link", where)
    ad_where = "content.referral.ad"
    return AdReferral(
        channel=_CHANNEL,
        conversation_id=_require_id(content, "conversation_id", "content"),
        customer_id=customer,
        timestamp=_event_time(content, created),
        platform_message_id=None,  # referral events carry no message id
        account_id=business_id,
        source=_get_str(referral, "source", where) or ("short_link" if link else "ad"),
        ad_id=_get_id(ad, "ad_id", ad_where),
        advertiser_id=_get_id(ad, "advertiser_id", ad_where),
        ad_name=_get_str(ad, "ad_name", ad_where),
        material_id=_get_id(ad, "message_material_id", ad_where),
        ref=None if link is None else _get_str(link, "ref", "content.referral.short_link"),
    )


def _read(content: Object, created: datetime, business_id: str | None) -> InboundEvent:
    _, customer = _direction(content, business_id, _Direction.INBOUND)
    read = _object(content.get("read"), "content.read")
    return ReadReport(
        channel=_CHANNEL,
        conversation_id=_require_id(content, "conversation_id", "content"),
        customer_id=customer,
        timestamp=_event_time(content, created),
        account_id=business_id,
        watermark=_time(
            read.get("last_read_timestamp"), "content.read.last_read_timestamp", scale=1000
        ),
    )


def _unknown(
    envelope: Object, event: str, created: datetime, business_id: str | None
) -> InboundEvent:
    # Keep the event whole; read ids only where they are plainly there.
    content: Object = {}
    with contextlib.suppress(MalformedWebhook):
        content = _content(envelope)
    conversation = content.get("conversation_id")
    message = content.get("message_id")
    return UnknownEvent(
        channel=_CHANNEL,
        raw_type=event,
        timestamp=created,
        raw_json=json.dumps(envelope, sort_keys=True),
        conversation_id=conversation if type(conversation) is str else None,
        platform_message_id=message if type(message) is str else None,
        account_id=business_id,
    )


_Parser = Callable[[Object, datetime, str | None], InboundEvent]
_PARSERS: dict[str, _Parser] = {
    # The event name is only the direction of last resort (see _direction).
    "im_receive_msg": partial(_message, default=_Direction.INBOUND),
    "im_receive_msg_eu": _received_eu,
    "im_send_msg": partial(_message, default=_Direction.OUTBOUND),
    "im_referral_msg": _referral,
    "im_mark_read_msg": _read,
}
