"""Messenger Send API (``/{version}/{page_id}/messages``) as the sandbox plays it.

Checks: the page token (``190``; a token for another page gets Graph's "object does not
exist", ``100``/``33``), 300 calls/s per page (``613``), parameters (``100``), text at most
2000 characters (``100``), and the window: ``RESPONSE``/``UPDATE`` within 24 h of the customer's
last message, the ``HUMAN_AGENT`` tag within 7 days, other tags at any time, and never to a
customer who has not written (``10`` with subcode ``2018278``).
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

__all__ = ["MESSAGING_TYPES", "TAGS", "send", "throttled"]

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
TAGS = ("HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE")


def throttled() -> Response:
    return graph.error(613, "Calls to this api have exceeded the rate limit.")


def _param(message: str) -> Response:
    return graph.error(100, f"(#100) {message}")


def _message_problem(emu: Emulator, body: dict[str, Any]) -> Response | None:
    message = body.get("message")
    if message is None:
        if isinstance(body.get("sender_action"), str):
            return None
        return _param("Must send either message or sender_action")
    if not isinstance(message, dict):
        return _param("Param message must be an object")
    text, attachment = message.get("text"), message.get("attachment")
    if text is None and attachment is None:
        return _param("Message must contain text or attachment")
    if text is not None:
        limit = emu.config.messenger.max_text_chars
        if not isinstance(text, str) or not text:
            return _param("Param message[text] must be a non-empty string")
        if len(text) > limit:
            return _param(f"Length of param message[text] must be less than or equal to {limit}")
    if attachment is not None:
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if not isinstance(payload, dict) or not (
            isinstance(payload.get("url"), str) or isinstance(payload.get("attachment_id"), str)
        ):
            return _param("Param message[attachment][payload] must have a url or attachment_id")
    return None


def _window_seconds(emu: Emulator, body: dict[str, Any]) -> float | None:
    """How long after the customer's last message this send is allowed (None: any time)."""
    cfg = emu.config.messenger
    if body["messaging_type"] != "MESSAGE_TAG":
        return cfg.window_hours * 3600
    if body.get("tag") == "HUMAN_AGENT":
        return cfg.human_agent_days * 86400
    return None


async def send(emu: Emulator, request: Request, ctx: RequestContext, page_id: str) -> Response:
    cfg = emu.config.messenger
    body = await json_object(request)
    token = graph.token(request, body)
    pages = {page for page, t in cfg.page_tokens.items() if t == token}
    if not pages:
        return graph.invalid_token()
    if page_id == "me":
        page_id = sorted(pages)[0]
    if page_id not in pages:
        return graph.unknown_object(page_id)
    if not emu.rates.allow(cfg.rate, "messenger", page_id):
        return throttled()
    if body is None:
        return _param("The request body must be a JSON object")
    recipient = body.get("recipient")
    psid = recipient.get("id") if isinstance(recipient, dict) else None
    if not isinstance(psid, str) or not psid:
        return _param("The parameter recipient is required")
    if body.get("messaging_type") not in MESSAGING_TYPES:
        return _param(f"Param messaging_type must be one of {{{', '.join(MESSAGING_TYPES)}}}")
    if body["messaging_type"] == "MESSAGE_TAG" and body.get("tag") not in TAGS:
        return _param(f"Param tag must be one of {{{', '.join(TAGS)}}}")
    problem = _message_problem(emu, body)
    if problem is not None:
        return problem
    now = emu.clock.now()
    window = _window_seconds(emu, body)
    verdict = emu.conversations.try_send(
        "messenger",
        page_id,
        psid,
        now=now,
        window_seconds=float("inf") if window is None else window,
    )
    if verdict is not SendVerdict.OK:
        return graph.error(
            10, "(#10) This message is sent outside of allowed window.", subcode=2018278
        )
    if body.get("message") is None:
        return JSONResponse({"recipient_id": psid})
    mid = ids.messenger_mid()
    emu.ledger.record(
        platform="messenger",
        kind="message",
        platform_id=mid,
        account=page_id,
        conversation=psid,
        idempotency=idempotency_headers(request),
        payload=body,
        at=now,
        answered_late=ctx.late,
    )
    if cfg.echoes:
        ctx.webhooks.append(
            meta_webhooks.messenger_echo(
                cfg, page_id=page_id, psid=psid, mid=mid, message=body["message"], now=now
            )
        )
    return JSONResponse({"recipient_id": psid, "message_id": mid})
