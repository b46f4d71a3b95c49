"""The WhatsApp Cloud API adapter: sans-I/O translation between mmtkit and Meta's Graph API.

Sending is ``POST {base}/{version}/{phone_number_id}/messages`` with a Bearer token. Text,
images (by ``link``, or uploaded first to ``/{phone_number_id}/media`` for bytes) and
approved templates -- the one kind allowed outside the 24-hour customer-service window.

Webhooks arrive as ``object: whatsapp_business_account`` with ``entry[].changes[].value``.
WhatsApp has no thread id, so the conversation id *is* the customer's ``wa_id``; the account
id is ``metadata.phone_number_id``. Timestamps are strings of unix seconds.

Facts and their sources: ``reference/platform-apis.md`` section 3; user documentation:
``docs/adapters/whatsapp.md``. What is shared with Messenger lives in :mod:`._meta`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any

from attrs import Factory, define, evolve, field

from mmtkit.adapter import (
    AdapterFactory,
    FormFile,
    HttpRequest,
    PlanStep,
    SendPlan,
    Sent,
    StepResult,
)
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
    media_id_from,
    optional_id,
    optional_list,
    optional_object,
    optional_str,
    raw_json,
    timestamp,
)
from mmtkit.capabilities import DEFAULT_CAPABILITIES, Capabilities, RateLimit
from mmtkit.conversation import Conversation
from mmtkit.errors import ContentError, MalformedWebhook, UnsupportedContent
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import (
    AdReferral,
    Channel,
    Content,
    ContentKind,
    DeliveryReport,
    DeliveryStatus,
    Image,
    InboundEvent,
    MessageKind,
    MessageReceived,
    Template,
    Text,
    UnknownEvent,
)

__all__ = ["WhatsAppAdapter", "mmt_register_adapters"]

_PLATFORM = "WhatsApp"
_OBJECT = "whatsapp_business_account"
_STATUSES = {s.value: s for s in DeliveryStatus}
_KNOWN_VALUE_KEYS = frozenset({"messaging_product", "metadata", "contacts", "messages", "statuses"})


def _default_capabilities(adapter: WhatsAppAdapter) -> Capabilities:
    """The channel defaults, plus templates, with the pair rate from the settings (the
    reference gives about one message per 6 s per recipient, UNCONFIRMED by Meta)."""
    base = DEFAULT_CAPABILITIES[Channel.WHATSAPP]
    limits = tuple(limit for limit in base.rate_limits if limit.scope != "recipient")
    pair = RateLimit(
        "recipient", 1, per_seconds=adapter.pair_rate_seconds, burst=adapter.pair_burst
    )
    return evolve(base, kinds=base.kinds | {ContentKind.TEMPLATE}, rate_limits=(*limits, pair))


@define(kw_only=True)
class WhatsAppAdapter(GraphAdapterBase):
    """WhatsApp Cloud API. ``account_id`` is the phone number id sending and receiving.

    Settings beyond the common ones: ``pair_rate_seconds`` (seconds between two messages to
    one recipient, default 6, UNCONFIRMED), ``pair_burst`` (messages that may go to one
    recipient back to back before that pace applies, default 10; third parties say up to
    45, UNCONFIRMED), ``capabilities`` (replace them all).
    """

    pair_rate_seconds: float = 6.0
    pair_burst: int = 10
    capabilities: Capabilities = field(
        default=Factory(_default_capabilities, takes_self=True)
    )

    channel = Channel.WHATSAPP

    # -- sending ------------------------------------------------------------------------------

    def plan_send(
        self, conversation: Conversation, content: Content, *, token: str, tag: str | None = None
    ) -> SendPlan:
        """Text, image (link, or upload then id) or template to ``conversation.customer_id``.

        A message tag means nothing on WhatsApp (templates are the way outside the window),
        so one is refused rather than silently dropped.
        """
        if tag is not None:
            raise ContentError(
                f"WhatsApp has no message tags (got {tag!r}); outside the 24-hour window send "
                "an approved Template instead"
            )
        self.capabilities.validate(content)
        url = graph_url(
            self.base_url, self.api_version, self.account_id, "messages", what="phone number id"
        )
        headers = (bearer(token),)
        message: dict[str, Any]
        if isinstance(content, Text):
            message = {"type": "text", "text": {"body": content.body, "preview_url": False}}
            if content.reply_to is not None:
                message["context"] = {"message_id": content.reply_to}
        elif isinstance(content, Image):
            if content.data is not None:
                media_id = yield from self._upload(content.data, token)
                image: dict[str, Any] = {"id": media_id}
            else:
                image = {"link": content.url}
            if content.caption:
                image["caption"] = content.caption
            message = {"type": "image", "image": image}
        elif isinstance(content, Template):
            message = {"type": "template", "template": _template(content)}
        else:
            raise UnsupportedContent(
                self.channel.value, content.kind.value, [k.value for k in self.capabilities.kinds]
            )
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": conversation.customer_id,
            **message,
        }
        return HttpRequest(method="POST", url=url, headers=headers, json=payload)

    def _upload(self, data: bytes, token: str) -> Generator[PlanStep, StepResult, str]:
        """Upload image bytes to ``/{phone_number_id}/media``; the media id comes back."""
        detected = self.capabilities.validate_image_bytes(data)
        mime = f"image/{detected.value}"
        url = graph_url(
            self.base_url, self.api_version, self.account_id, "media", what="phone number id"
        )
        response = yield HttpRequest(
            method="POST",
            url=url,
            headers=(bearer(token),),
            form={"messaging_product": "whatsapp", "type": mime},
            files=(FormFile("file", f"image.{detected.value}", mime, data),),
            purpose="upload",
        )
        return media_id_from(response, _PLATFORM)

    def _read_success(self, document: Any) -> Sent | None:
        """``{"messages":[{"id":"wamid..."}]}`` for a send, ``{"id": ...}`` for an upload."""
        if not isinstance(document, dict):
            return None
        messages = document.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            message_id = messages[0].get("id")
            if isinstance(message_id, str) and message_id:
                return Sent(message_id=message_id)
            return None
        media_id = document.get("id")
        if isinstance(media_id, str) and media_id:
            return Sent(message_id=None, data={"media_id": media_id})
        return None

    # -- webhooks -----------------------------------------------------------------------------

    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        """Every event in a WhatsApp webhook body, in order; see ``docs/adapters/whatsapp.md``.

        Raises only :class:`~mmtkit.errors.MalformedWebhook`.
        """
        document = load_object(body, platform=_PLATFORM)
        kind = document.get("object")
        if kind != _OBJECT:
            raise MalformedWebhook(
                f"WhatsApp webhook object must be {_OBJECT!r}, got {kind!r}; is this body "
                "routed to the right adapter?"
            )
        events: list[InboundEvent] = []
        for i, raw_entry in enumerate(expect_list(document, "entry", "$")):
            entry = as_object(raw_entry, f"$.entry[{i}]")
            for j, raw_change in enumerate(expect_list(entry, "changes", f"$.entry[{i}]")):
                path = f"$.entry[{i}].changes[{j}]"
                change = as_object(raw_change, path)
                events.extend(_parse_change(change, path))
        return events


def _template(content: Template) -> dict[str, Any]:
    template: dict[str, Any] = {"name": content.name, "language": {"code": content.language}}
    if content.parameters:
        template["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in content.parameters],
            }
        ]
    return template


def _parse_change(change: dict[str, Any], path: str) -> list[InboundEvent]:
    field_name = optional_str(change, "field", path) or "unknown"
    value = expect_object(change, "value", path)
    path = f"{path}.value"
    metadata = optional_object(value, "metadata", path)
    account_id = optional_id(metadata, "phone_number_id", f"{path}.metadata") if metadata else None
    if field_name != "messages":
        when = _optional_time(value, path)
        return [_unknown(field_name, value, when, account_id)]
    events: list[InboundEvent] = []
    contacts = _contact_ids(value, path)
    for k, raw in enumerate(optional_list(value, "messages", path)):
        events.extend(_parse_message(raw, f"{path}.messages[{k}]", account_id, contacts))
    for k, raw in enumerate(optional_list(value, "statuses", path)):
        events.append(_parse_status(raw, f"{path}.statuses[{k}]", account_id))
    for key in sorted(value):
        if key in _KNOWN_VALUE_KEYS:
            continue
        items = value[key] if isinstance(value[key], list) else [value[key]]
        for item in items:
            when = _optional_time(item, path) if isinstance(item, dict) else EPOCH
            events.append(_unknown(key, item, when, account_id))
    return events


def _contact_ids(value: dict[str, Any], path: str) -> list[str]:
    """Customer ids from ``contacts[]``: ``wa_id``, else the business-scoped ``user_id``.

    Since April 2026 contacts may or may not carry ``user_id``; neither is required here.
    """
    ids: list[str] = []
    for k, raw in enumerate(optional_list(value, "contacts", path)):
        contact = as_object(raw, f"{path}.contacts[{k}]")
        found = optional_id(contact, "wa_id", f"{path}.contacts[{k}]") or optional_id(
            contact, "user_id", f"{path}.contacts[{k}]"
        )
        if found:
            ids.append(found)
    return ids


def _customer(message: dict[str, Any], path: str, contacts: list[str], *keys: str) -> str:
    for key in keys:
        found = optional_id(message, key, path)
        if found:
            return found
    if len(contacts) == 1:
        return contacts[0]
    raise MalformedWebhook(f"{path} names no customer (none of {', '.join(keys)})")


def _parse_message(
    raw: Any, path: str, account_id: str | None, contacts: list[str]
) -> list[InboundEvent]:
    message = as_object(raw, path)
    message_id = expect_str(message, "id", path)
    customer = _customer(message, path, contacts, "from", "from_user_id")
    when = timestamp(message.get("timestamp"), f"{path}.timestamp", unit=1)
    raw_type = optional_str(message, "type", path) or "unknown"
    context = optional_object(message, "context", path)
    reply_to = optional_str(context, "id", f"{path}.context") if context else None
    common: dict[str, Any] = {
        "channel": Channel.WHATSAPP,
        "conversation_id": customer,
        "customer_id": customer,
        "timestamp": when,
        "account_id": account_id,
    }
    events: list[InboundEvent] = []
    referral = optional_object(message, "referral", path)
    if referral is not None:
        events.append(_referral(referral, f"{path}.referral", common))
    kind = MessageKind.OTHER
    text: str | None = None
    media_id: str | None = None
    if raw_type == "text":
        kind = MessageKind.TEXT
        text = optional_str(expect_object(message, "text", path), "body", f"{path}.text") or ""
    elif raw_type == "image":
        kind = MessageKind.IMAGE
        image = expect_object(message, "image", path)
        media_id = optional_id(image, "id", f"{path}.image")
        text = optional_str(image, "caption", f"{path}.image")
    events.append(
        MessageReceived(
            **common,
            platform_message_id=message_id,
            kind=kind,
            text=text,
            media_id=media_id,
            raw_type=raw_type,
            reply_to=reply_to or None,
        )
    )
    return events


def _referral(referral: dict[str, Any], path: str, common: dict[str, Any]) -> AdReferral:
    """A Click-to-WhatsApp referral. ``source_id`` is an ad id only when ``source_type`` is
    ``ad`` (it is a post id for ``post``). No ``platform_message_id``: the message it came
    with owns that id, and a store deduplicating by it must not drop one for the other."""
    source = optional_str(referral, "source_type", path) or "unknown"
    source_id = optional_id(referral, "source_id", path)
    return AdReferral(
        **common,
        source=source,
        ad_id=source_id if source == "ad" else None,
        click_id=optional_str(referral, "ctwa_clid", path) or None,
        headline=optional_str(referral, "headline", path) or None,
    )


def _parse_status(raw: Any, path: str, account_id: str | None) -> InboundEvent:
    status = as_object(raw, path)
    message_id = expect_str(status, "id", path)
    value = expect_str(status, "status", path)
    when = timestamp(status.get("timestamp"), f"{path}.timestamp", unit=1)
    recipient = _customer(status, path, [], "recipient_id", "recipient_user_id")
    if value not in _STATUSES:
        return _unknown(f"status.{value}", status, when, account_id, recipient, message_id)
    code: str | None = None
    title: str | None = None
    errors = optional_list(status, "errors", path)
    if errors:
        first = as_object(errors[0], f"{path}.errors[0]")
        code = optional_id(first, "code", f"{path}.errors[0]")
        title = optional_str(first, "title", f"{path}.errors[0]")
    return DeliveryReport(
        channel=Channel.WHATSAPP,
        conversation_id=recipient,
        customer_id=recipient,
        timestamp=when,
        platform_message_id=message_id,
        account_id=account_id,
        status=_STATUSES[value],
        error_code=code,
        error_message=title,
    )


def _optional_time(item: dict[str, Any], path: str) -> datetime:
    value = item.get("timestamp")
    if value is None:
        return EPOCH
    return timestamp(value, f"{path}.timestamp", unit=1)


def _unknown(
    raw_type: str,
    payload: Any,
    when: datetime,
    account_id: str | None,
    customer: str | None = None,
    message_id: str | None = None,
) -> UnknownEvent:
    return UnknownEvent(
        channel=Channel.WHATSAPP,
        raw_type=raw_type,
        timestamp=when,
        raw_json=raw_json(payload),
        conversation_id=customer,
        customer_id=customer,
        platform_message_id=message_id,
        account_id=account_id,
    )


@hookimpl
def mmt_register_adapters(register: Callable[[Channel, AdapterFactory], None]) -> None:
    """Serve the WhatsApp channel."""
    register(Channel.WHATSAPP, WhatsAppAdapter)
