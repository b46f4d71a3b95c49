"""WhatsApp Cloud API send (``/{version}/{phone_number_id}/messages``) as the sandbox plays it.

Checks, in order: the token (``190``), the number's throughput (``130429``, 80 msg/s by
default), required parameters (``131008``), valid values (``131009``), supported types
(``131051``), the 24-hour customer-service window that only a customer message opens
(``131047``; templates are exempt), and the business/customer pair rate (``131056``).
A success answers with ``contacts`` and ``messages[].id`` (a ``wamid``) and, when a gateway is
configured, posts ``sent``/``delivered`` statuses for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mmtkit.sandbox import graph, ids, meta_webhooks
from mmtkit.sandbox.conversations import SendVerdict
from mmtkit.sandbox.guard import RequestContext
from mmtkit.sandbox.requests import idempotency_headers, json_object

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["TYPES", "send", "throttled"]

TYPES = (
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
)
"""Message types the Cloud API knows; the sandbox validates text, image and template bodies."""


def _error(code: int, message: str, details: str) -> Response:
    data = {"messaging_product": "whatsapp", "details": details}
    return graph.error(code, message, error_data=data)


def throttled() -> Response:
    return _error(130429, "Rate limit hit", "Cloud API message throughput has been reached.")


def _missing(name: str) -> Response:
    return _error(131008, "Required parameter is missing", f"The parameter {name} is required.")


def _invalid(details: str) -> Response:
    return _error(131009, "Parameter value is not valid", details)


def _content_problem(emu: Emulator, body: dict[str, Any]) -> Response | None:
    kind = body["type"]
    part = body.get(kind)
    if not isinstance(part, dict):
        return _missing(kind)
    if kind == "text":
        text = part.get("body")
        if not isinstance(text, str) or not text:
            return _missing("text.body")
        limit = emu.config.whatsapp.max_text_chars
        if len(text) > limit:
            return _invalid(f"Param text['body'] must be at most {limit} characters long.")
    elif kind == "image":
        if not (isinstance(part.get("link"), str) or isinstance(part.get("id"), str)):
            return _missing("image.link or image.id")
    elif kind == "template":
        language = part.get("language")
        if not isinstance(part.get("name"), str) or not isinstance(language, dict):
            return _missing("template.name and template.language")
        if not isinstance(language.get("code"), str):
            return _missing("template.language.code")
    return None


async def send(
    emu: Emulator, request: Request, ctx: RequestContext, phone_number_id: str
) -> Response:
    cfg = emu.config.whatsapp
    body = await json_object(request)
    if graph.token(request, body) != cfg.access_token:
        return graph.invalid_token()
    if not emu.rates.allow(cfg.rate, "whatsapp", phone_number_id):
        return throttled()
    if body is None:
        return _invalid("The request body must be a JSON object.")
    for name in ("messaging_product", "to", "type"):
        if not isinstance(body.get(name), str) or not body.get(name):
            return _missing(name)
    if body["messaging_product"] != "whatsapp":
        return _invalid("messaging_product must be 'whatsapp'.")
    if body["type"] not in TYPES:
        return _error(131051, "Unsupported message type", f"Type {body['type']!r} is unknown.")
    if body["type"] not in ("text", "image", "template"):
        return _error(
            131051,
            "Unsupported message type",
            f"The sandbox does not emulate {body['type']!r} messages.",
        )
    problem = _content_problem(emu, body)
    if problem is not None:
        return problem
    callback = body.get("biz_opaque_callback_data")
    if callback is not None and (not isinstance(callback, str) or len(callback) > 512):
        return _invalid("biz_opaque_callback_data must be a string of at most 512 characters.")
    to = body["to"].lstrip("+")
    now = emu.clock.now()
    if body["type"] != "template":
        verdict = emu.conversations.try_send(
            "whatsapp", phone_number_id, to, now=now, window_seconds=cfg.window_hours * 3600
        )
        if verdict is not SendVerdict.OK:
            return _error(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
    if not emu.rates.allow_burst(
        cfg.pair_rate, cfg.pair_burst, "whatsapp-pair", phone_number_id, to
    ):
        return _error(
            131056,
            "(Business Account, Consumer Account) pair rate limit hit",
            "Too many messages sent from this phone number to the same phone number "
            "in a short period of time.",
        )
    message_id = ids.wamid()
    keys = idempotency_headers(request)
    if callback is not None:
        keys["biz_opaque_callback_data"] = callback
    emu.ledger.record(
        platform="whatsapp",
        kind="message",
        platform_id=message_id,
        account=phone_number_id,
        conversation=to,
        idempotency=keys,
        payload=body,
        at=now,
        answered_late=ctx.late,
    )
    for status in cfg.statuses:
        ctx.statuses.append(
            meta_webhooks.whatsapp_status(
                cfg,
                phone_number_id=phone_number_id,
                wa_id=to,
                message_id=message_id,
                status=status,
                now=now,
                callback_data=callback,
            )
        )
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": to}],
            "messages": [{"id": message_id}],
        }
    )
