"""The Messenger Platform adapter: sans-I/O translation between mmtkit and the Send API.

Sending is ``POST {base}/{version}/{page_id}/messages`` with the Page token as a Bearer
header (Graph accepts it there too, and a header keeps the token out of URLs, which get
logged). ``messaging_type`` is ``RESPONSE`` inside the 24-hour window, or ``MESSAGE_TAG``
with the tag the pipeline passes (``HUMAN_AGENT`` for a person replying within 7 days).
Images go by URL, or as bytes uploaded *with* the send in one multipart request (the Send
API's ``filedata``), so an image from bytes costs one call and no reusable asset.

Webhooks arrive as ``object: page`` with ``entry[].messaging[]``. Messenger threads have no
id of their own in the webhook, so the conversation id *is* the customer's PSID; the account
id is the page id (``entry[].id``). Timestamps are unix **milliseconds**.

Facts and their sources: ``reference/platform-apis.md`` section 4; user documentation:
``docs/adapters/messenger.md``. What is shared with WhatsApp lives in :mod:`._meta`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from attrs import Factory, define, evolve, field

from mmtkit.adapter import AdapterFactory, FormFile, HttpRequest, SendPlan, Sent
from mmtkit.adapters._meta import (
    EPOCH,
    GraphAdapterBase,
    as_object,
    bearer,
    expect_list,
    expect_object,
    expect_str,
    graph_url,
    load_object,
    optional_id,
    optional_list,
    optional_object,
    optional_str,
    raw_json,
    timestamp,
)
from mmtkit.capabilities import DEFAULT_CAPABILITIES, Capabilities, ImageRules
from mmtkit.conversation import Conversation
from mmtkit.errors import ContentError, MalformedWebhook, UnsupportedContent
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import (
    AdReferral,
    Channel,
    Content,
    DeliveryReport,
    DeliveryStatus,
    EchoSource,
    Image,
    InboundEvent,
    MessageEcho,
    MessageKind,
    MessageReceived,
    ReadReport,
    Text,
    UnknownEvent,
)

__all__ = ["MessengerAdapter", "mmt_register_adapters"]

_PLATFORM = "Messenger"
_OBJECT = "page"
_MS = 1000.0
_KINDS = {"image": MessageKind.IMAGE}


def _default_capabilities(adapter: MessengerAdapter) -> Capabilities:
    """The channel defaults, with the image size limit from the settings (Meta's "saving
    assets" page gives 8 MB for images fetched by URL; the limit for uploads is UNCONFIRMED)."""
    base = DEFAULT_CAPABILITIES[Channel.MESSENGER]
    if base.image is None or adapter.image_max_bytes is None:
        return base
    return evolve(base, image=ImageRules(base.image.formats, adapter.image_max_bytes))


@define(kw_only=True)
class MessengerAdapter(GraphAdapterBase):
    """Messenger Send API and page webhooks. ``account_id`` is the page id.

    Settings beyond the common ones: ``app_id`` (your Meta app id: echoes carrying it are our
    own API sends), ``image_max_bytes`` (default 8 MB, UNCONFIRMED for uploads),
    ``throttle_codes`` (default ``{32}``, the page-level limit, UNCONFIRMED),
    ``capabilities`` (replace them all).
    """

    app_id: str | None = None
    image_max_bytes: int | None = 8 * 1024 * 1024
    throttle_codes: frozenset[int] = field(default=frozenset({32}), converter=frozenset)
    capabilities: Capabilities = field(
        default=Factory(_default_capabilities, takes_self=True)
    )

    channel = Channel.MESSENGER

    # -- sending ------------------------------------------------------------------------------

    def plan_send(
        self, conversation: Conversation, content: Content, *, token: str, tag: str | None = None
    ) -> SendPlan:
        """Text or image to the PSID ``conversation.customer_id``.

        ``Text.reply_to`` is not sent: the Send API fields in our reference have no quote.
        An image caption is refused (Messenger attachments carry none): send it as a Text.
        """
        # One request whatever the content: nothing to yield, but the contract wants a
        # generator (``yield from ()`` makes this one without a step).
        yield from ()
        return self._request(conversation, content, token=token, tag=tag)

    def _request(
        self, conversation: Conversation, content: Content, *, token: str, tag: str | None
    ) -> HttpRequest:
        self.capabilities.validate(content)
        url = graph_url(
            self.base_url, self.api_version, self.account_id, "messages", what="page id"
        )
        envelope: dict[str, Any] = {"recipient": {"id": conversation.customer_id}}
        if tag is None:
            envelope["messaging_type"] = "RESPONSE"
        else:
            envelope["messaging_type"] = "MESSAGE_TAG"
            envelope["tag"] = tag
        headers = (bearer(token),)
        if isinstance(content, Text):
            payload = {**envelope, "message": {"text": content.body}}
            return HttpRequest(method="POST", url=url, headers=headers, json=payload)
        if isinstance(content, Image):
            if content.caption:
                raise ContentError(
                    "Messenger image attachments carry no caption; send the caption as a Text"
                )
            if content.data is not None:
                return self._upload_and_send(url, headers, envelope, content.data)
            attachment = {"type": "image", "payload": {"url": content.url, "is_reusable": True}}
            payload = {**envelope, "message": {"attachment": attachment}}
            return HttpRequest(method="POST", url=url, headers=headers, json=payload)
        raise UnsupportedContent(
            self.channel.value, content.kind.value, [k.value for k in self.capabilities.kinds]
        )

    def _upload_and_send(
        self, url: str, headers: tuple[tuple[str, str], ...], envelope: dict[str, Any], data: bytes
    ) -> HttpRequest:
        """Image bytes go with the send as multipart ``filedata`` (upload and send in one
        call). Form fields carry JSON text, as the Send API expects for form posts."""
        detected = self.capabilities.validate_image_bytes(data)
        mime = f"image/{detected.value}"
        message = {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
        fields = {**envelope, "message": message}
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        return HttpRequest(
            method="POST",
            url=url,
            headers=headers,
            form=form,
            files=(FormFile("filedata", f"image.{detected.value}", mime, data),),
        )

    def _read_success(self, document: Any) -> Sent | None:
        """``{"recipient_id": PSID, "message_id": "m_..."}``; ``attachment_id`` too when an
        upload was saved."""
        if not isinstance(document, dict):
            return None
        message_id = document.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            return None
        extra = {k: document[k] for k in ("recipient_id", "attachment_id") if k in document}
        return Sent(message_id=message_id, data=extra or None)

    # -- webhooks -----------------------------------------------------------------------------

    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        """Every event in a Messenger webhook body, in order; see ``docs/adapters/messenger.md``.

        Raises only :class:`~mmtkit.errors.MalformedWebhook`.
        """
        document = load_object(body, platform=_PLATFORM)
        kind = document.get("object")
        if kind != _OBJECT:
            raise MalformedWebhook(
                f"Messenger webhook object must be {_OBJECT!r}, got {kind!r}; is this body "
                "routed to the right adapter?"
            )
        events: list[InboundEvent] = []
        for i, raw_entry in enumerate(expect_list(document, "entry", "$")):
            path = f"$.entry[{i}]"
            entry = as_object(raw_entry, path)
            page_id = optional_id(entry, "id", path)
            entry_time = _time(entry, path)
            for key in sorted(entry):
                if key in ("id", "time"):
                    continue
                items = entry[key] if isinstance(entry[key], list) else [entry[key]]
                for k, raw in enumerate(items):
                    item_path = f"{path}.{key}[{k}]"
                    if key == "messaging":
                        events.extend(self._parse_messaging(raw, item_path, page_id))
                    else:  # standby (handover protocol), changes (feed)...
                        events.append(_unknown(key, raw, item_path, entry_time, page_id))
        return events

    def _parse_messaging(self, raw: Any, path: str, page_id: str | None) -> list[InboundEvent]:
        item = as_object(raw, path)
        sender = optional_id(expect_object(item, "sender", path), "id", f"{path}.sender")
        recipient = optional_id(expect_object(item, "recipient", path), "id", f"{path}.recipient")
        when = timestamp(item.get("timestamp"), f"{path}.timestamp", unit=_MS)
        message = optional_object(item, "message", path)
        if message is not None and message.get("is_echo") is True:
            customer = _required(recipient, f"{path}.recipient.id")
            return [self._echo(message, f"{path}.message", customer, when, page_id)]
        customer = _required(sender, f"{path}.sender.id")
        common: dict[str, Any] = {
            "channel": Channel.MESSENGER,
            "conversation_id": customer,
            "customer_id": customer,
            "timestamp": when,
            "account_id": page_id,
        }
        if message is not None:
            return _message(message, f"{path}.message", common)
        delivery = optional_object(item, "delivery", path)
        if delivery is not None:
            return _deliveries(delivery, f"{path}.delivery", common)
        read = optional_object(item, "read", path)
        if read is not None:
            watermark = timestamp(read.get("watermark"), f"{path}.read.watermark", unit=_MS)
            return [ReadReport(**common, watermark=watermark)]
        referral = optional_object(item, "referral", path)
        if referral is not None:
            return [_referral(referral, f"{path}.referral", common)]
        postback = optional_object(item, "postback", path)
        if postback is not None:
            return _postback(postback, f"{path}.postback", common)
        known = {"sender", "recipient", "timestamp"}
        raw_type = next((key for key in sorted(item) if key not in known), "messaging")
        return [_unknown(raw_type, item, path, when, page_id, customer)]

    def _echo(
        self, message: dict[str, Any], path: str, customer: str, when: datetime, page: str | None
    ) -> MessageEcho:
        """A message the page sent, seen again. ``app_id`` says who sent it: our app (the
        ``app_id`` setting) is :attr:`EchoSource.API`; no app id is a person in the Page inbox
        (UNCONFIRMED); any other app is :attr:`EchoSource.OTHER`."""
        app_id = optional_id(message, "app_id", path)
        if app_id is None:
            source = EchoSource.APP
        elif self.app_id is not None and app_id == self.app_id:
            source = EchoSource.API
        else:
            source = EchoSource.OTHER
        kind, text, _, raw_type = _content(message, path)
        return MessageEcho(
            channel=Channel.MESSENGER,
            conversation_id=customer,
            customer_id=customer,
            timestamp=when,
            platform_message_id=optional_str(message, "mid", path) or None,
            account_id=page,
            source=source,
            kind=kind,
            text=text,
            raw_type=raw_type,
        )


def _required(value: str | None, path: str) -> str:
    if not value:
        raise MalformedWebhook(f"{path} must be a non-empty id")
    return value


def _time(entry: dict[str, Any], path: str) -> datetime:
    if entry.get("time") is None:
        return EPOCH
    return timestamp(entry.get("time"), f"{path}.time", unit=_MS)


def _content(
    message: dict[str, Any], path: str
) -> tuple[MessageKind, str | None, str | None, str]:
    """Kind, text, media URL and the platform's type name of a message or echo. Messages
    carry text or attachments; of several attachments, the first decides the kind."""
    text = optional_str(message, "text", path)
    attachments = optional_list(message, "attachments", path)
    if attachments:
        first = as_object(attachments[0], f"{path}.attachments[0]")
        raw_type = optional_str(first, "type", f"{path}.attachments[0]") or "attachment"
        payload = optional_object(first, "payload", f"{path}.attachments[0]")
        url = optional_str(payload, "url", f"{path}.attachments[0].payload") if payload else None
        return _KINDS.get(raw_type, MessageKind.OTHER), text, url or None, raw_type
    if text is not None:
        return MessageKind.TEXT, text, None, "text"
    return MessageKind.OTHER, None, None, "message"


def _message(message: dict[str, Any], path: str, common: dict[str, Any]) -> list[InboundEvent]:
    """A customer message; a ``referral`` on it (3P: ad clicks can arrive this way) is also
    an :class:`AdReferral`, emitted first so attribution is recorded before the message."""
    events: list[InboundEvent] = []
    referral = optional_object(message, "referral", path)
    if referral is not None:
        events.append(_referral(referral, f"{path}.referral", common))
    kind, text, url, raw_type = _content(message, path)
    reply = optional_object(message, "reply_to", path)
    events.append(
        MessageReceived(
            **common,
            platform_message_id=expect_str(message, "mid", path),
            kind=kind,
            text=text,
            media_url=url,
            raw_type=raw_type,
            reply_to=(optional_str(reply, "mid", f"{path}.reply_to") or None) if reply else None,
        )
    )
    return events


def _deliveries(
    delivery: dict[str, Any], path: str, common: dict[str, Any]
) -> list[InboundEvent]:
    """One report per ``mids[]`` entry; without mids (Meta may leave them out), one report
    with no message id whose timestamp is the ``watermark``: everything sent before it."""
    mids = optional_list(delivery, "mids", path)
    if mids:
        reports: list[InboundEvent] = []
        for k, mid in enumerate(mids):
            if not isinstance(mid, str) or not mid:
                raise MalformedWebhook(f"{path}.mids[{k}] must be a non-empty string")
            reports.append(
                DeliveryReport(**common, platform_message_id=mid, status=DeliveryStatus.DELIVERED)
            )
        return reports
    watermark = timestamp(delivery.get("watermark"), f"{path}.watermark", unit=_MS)
    return [
        DeliveryReport(**{**common, "timestamp": watermark}, status=DeliveryStatus.DELIVERED)
    ]


def _referral(referral: dict[str, Any], path: str, common: dict[str, Any]) -> AdReferral:
    """``{ref, ad_id, source: ADS|SHORTLINK|..., type, ads_context_data{ad_title...}}``."""
    context = optional_object(referral, "ads_context_data", path)
    title = optional_str(context, "ad_title", f"{path}.ads_context_data") if context else None
    return AdReferral(
        **common,
        source=optional_str(referral, "source", path) or "unknown",
        ad_id=optional_id(referral, "ad_id", path),
        ref=optional_str(referral, "ref", path) or None,
        headline=title or None,
    )


def _postback(postback: dict[str, Any], path: str, common: dict[str, Any]) -> list[InboundEvent]:
    """A button tap (e.g. Get Started) is a customer action that opens the window, so it is
    a :class:`MessageReceived` of kind ``OTHER`` (``raw_type`` ``postback``, text = the
    button title). A referral on it -- how new threads from an ad arrive -- comes first."""
    events: list[InboundEvent] = []
    referral = optional_object(postback, "referral", path)
    if referral is not None:
        events.append(_referral(referral, f"{path}.referral", common))
    events.append(
        MessageReceived(
            **common,
            platform_message_id=optional_str(postback, "mid", path) or None,
            kind=MessageKind.OTHER,
            text=optional_str(postback, "title", path),
            raw_type="postback",
        )
    )
    return events


def _unknown(
    raw_type: str,
    payload: Any,
    path: str,
    when: datetime,
    page_id: str | None,
    customer: str | None = None,
) -> UnknownEvent:
    if isinstance(payload, dict) and "timestamp" in payload:
        when = timestamp(payload["timestamp"], f"{path}.timestamp", unit=_MS)
    return UnknownEvent(
        channel=Channel.MESSENGER,
        raw_type=raw_type,
        timestamp=when,
        raw_json=raw_json(payload),
        conversation_id=customer,
        customer_id=customer,
        account_id=page_id,
    )


@hookimpl
def mmt_register_adapters(register: Callable[[Channel, AdapterFactory], None]) -> None:
    """Serve the Messenger channel."""
    register(Channel.MESSENGER, MessengerAdapter)
