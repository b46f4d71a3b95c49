"""TikTok Business Messaging as the sandbox plays it: send, media upload, lists.

TikTok answers every failure with HTTP 200 and a non-zero ``code`` in the envelope
``{code, message, request_id, data}``. Checks run in the platform's order: auth (``40104``
missing token, ``40105`` invalid token), the app's QPS (``40100``), the business the token
may act for (``40001``), parameters (``40002``), targets (``40007``), file type (``40908``),
then the DM rules: only a customer can open a conversation, the window is 48 h from the
customer's last message and holds about 10 business messages. TikTok documents no code for
those rules; ``tiktok.window_error_code`` (default ``40064``) is what the sandbox answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mmtkit.sandbox import ids, tiktok_webhooks
from mmtkit.sandbox.conversations import SendVerdict
from mmtkit.sandbox.guard import RequestContext, guarded
from mmtkit.sandbox.requests import idempotency_headers, json_object

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["BASE", "answer", "routes"]

BASE = "/open_api/v1.3"
MESSAGE_TYPES = ("TEXT", "IMAGE", "SHARE_POST")
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


def answer(code: int = 0, message: str = "OK", data: dict[str, Any] | None = None) -> Response:
    """TikTok's envelope, always on HTTP 200: the code, not the status, says what happened."""
    body = {"code": code, "message": message, "request_id": ids.request_id(), "data": data or {}}
    return JSONResponse(body, status_code=200)


def throttled() -> Response:
    return answer(40100, "Too many requests. Please retry in some time.")


def authorise(emu: Emulator, request: Request, token_for: dict[str, str]) -> Response | set[str]:
    """The business ids the ``Access-Token`` may act for, or the error answer."""
    token = request.headers.get("Access-Token")
    if not token:
        return answer(
            40104,
            "Access token is null, you should set it in http header with key Access-Token.",
        )
    businesses = {business for business, t in token_for.items() if t == token}
    if not businesses:
        return answer(40105, "Access token is incorrect or has been revoked.")
    return businesses


def _rate_ok(emu: Emulator, route: str) -> bool:
    cfg = emu.config.tiktok
    if cfg.sandbox_mode:
        return emu.rates.allow(cfg.sandbox_rate, "tiktok", cfg.app_id, route)
    return emu.rates.allow(cfg.rate, "tiktok", cfg.app_id)


def _param_error(problem: str) -> Response:
    return answer(40002, problem)


def _check_business(business_id: object, allowed: set[str]) -> Response | str:
    if not isinstance(business_id, str) or not business_id:
        return _param_error("business_id: Missing data for required field.")
    if business_id not in allowed:
        return answer(40001, f"No permission to operate business_id {business_id}.")
    return business_id


def _content_problem(emu: Emulator, business_id: str, body: dict[str, Any]) -> str | None:
    """What is wrong with the message content, or None."""
    kind = body.get("message_type")
    if kind not in MESSAGE_TYPES:
        return f"message_type: Must be one of: {', '.join(MESSAGE_TYPES)}."
    part = body.get(str(kind).lower())
    if not isinstance(part, dict):
        return f"{str(kind).lower()}: Missing data for required field."
    if "referenced_message_info" in body and kind != "TEXT":
        return "referenced_message_info: only TEXT messages can quote a message."
    if kind == "TEXT":
        text = part.get("body")
        if not isinstance(text, str) or not text:
            return "text.body: Missing data for required field."
        limit = emu.config.tiktok.max_text_chars
        if len(text) > limit:
            return f"text.body: Length must be at most {limit} characters."
    elif kind == "IMAGE":
        media_id = part.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            return "image.media_id: Missing data for required field."
    elif not isinstance(part.get("item_id"), str) or not part.get("item_id"):
        return "share_post.item_id: Missing data for required field."
    return None


_RULE_MESSAGES = {
    SendVerdict.NOT_OPENED: "Blocked by DM rules: the user has not started this conversation.",
    SendVerdict.WINDOW_CLOSED: "Blocked by DM rules: the 48-hour reply window has closed.",
    SendVerdict.QUOTA_USED: "Blocked by DM rules: message limit for this window reached.",
}


def routes(emu: Emulator) -> list[Route]:
    tiktok = emu.config.tiktok

    async def send(request: Request, ctx: RequestContext) -> Response:
        allowed = authorise(emu, request, tiktok.access_tokens)
        if isinstance(allowed, Response):
            return allowed
        if not _rate_ok(emu, "send"):
            return throttled()
        body = await json_object(request)
        if body is None:
            return _param_error("Request body must be a JSON object.")
        business_id = _check_business(body.get("business_id"), allowed)
        if isinstance(business_id, Response):
            return business_id
        if body.get("recipient_type") != "CONVERSATION":
            return _param_error("recipient_type: Must be one of: CONVERSATION.")
        conversation_id = body.get("recipient")
        if not isinstance(conversation_id, str) or not conversation_id:
            return _param_error("recipient: Missing data for required field.")
        problem = _content_problem(emu, business_id, body)
        if problem:
            return _param_error(problem)
        if (
            body["message_type"] == "IMAGE"
            and (business_id, body["image"]["media_id"]) not in emu.media
        ):
            return answer(40007, "The media_id does not exist.")
        now = emu.clock.now()
        verdict = emu.conversations.try_send(
            "tiktok",
            business_id,
            conversation_id,
            now=now,
            window_seconds=tiktok.window_hours * 3600,
            quota=tiktok.messages_per_window,
        )
        if verdict is not SendVerdict.OK:
            return answer(tiktok.window_error_code, _RULE_MESSAGES[verdict])
        message_id = ids.tiktok_id()
        emu.ledger.record(
            platform="tiktok",
            kind="message",
            platform_id=message_id,
            account=business_id,
            conversation=conversation_id,
            idempotency=idempotency_headers(request),
            payload=body,
            at=now,
            answered_late=ctx.late,
        )
        emu.conversations.remember(
            "tiktok",
            business_id,
            conversation_id,
            {"message_id": message_id, "direction": "outbound", "body": body, "at": now},
        )
        state = emu.conversations.get("tiktok", business_id, conversation_id)
        if tiktok.echo_sends and state is not None:
            ctx.webhooks.append(
                tiktok_webhooks.echo(
                    tiktok,
                    business_id=business_id,
                    conversation_id=conversation_id,
                    message_id=message_id,
                    user_id=state.customer,
                    sent=body,
                    now=now,
                )
            )
        return answer(data={"message": {"message_id": message_id}})

    async def upload(request: Request, ctx: RequestContext) -> Response:
        allowed = authorise(emu, request, tiktok.access_tokens)
        if isinstance(allowed, Response):
            return allowed
        if not _rate_ok(emu, "media_upload"):
            return throttled()
        try:
            form = await request.form(max_part_size=tiktok.max_image_bytes + 1)
        except MultiPartException:  # too large or malformed: TikTok's parameter error
            return _param_error("The request must be multipart/form-data within the size limit.")
        business_id = _check_business(form.get("business_id"), allowed)
        if isinstance(business_id, Response):
            return business_id
        if form.get("media_type") != "IMAGE":
            return _param_error("media_type: Must be one of: IMAGE.")
        upload_file = form.get("file")
        if upload_file is None or isinstance(upload_file, str):
            return _param_error("file: Missing data for required field.")
        data = await upload_file.read()
        if not data:
            return _param_error("file: The file is empty.")
        if len(data) > tiktok.max_image_bytes:
            return _param_error(f"file: The file exceeds {tiktok.max_image_bytes} bytes.")
        if data.startswith(_JPEG):
            kind = "jpeg"
        elif data.startswith(_PNG):
            kind = "png"
        else:
            return answer(40908, "Unsupported file type. Only JPG and PNG images are accepted.")
        media_id = ids.tiktok_id()
        now = emu.clock.now()
        emu.media[(business_id, media_id)] = {"format": kind, "size": len(data)}
        emu.ledger.record(
            platform="tiktok",
            kind="media",
            platform_id=media_id,
            account=business_id,
            idempotency=idempotency_headers(request),
            payload={"format": kind, "size": len(data)},
            at=now,
            answered_late=ctx.late,
        )
        return answer(data={"media_id": media_id})

    async def conversation_list(request: Request, ctx: RequestContext) -> Response:
        allowed = authorise(emu, request, tiktok.access_tokens)
        if isinstance(allowed, Response):
            return allowed
        if not _rate_ok(emu, "conversation_list"):
            return throttled()
        business_id = _check_business(request.query_params.get("business_id"), allowed)
        if isinstance(business_id, Response):
            return business_id
        try:
            page_size = int(request.query_params.get("page_size", "20"))
            cursor = int(request.query_params.get("cursor", "0"))
        except ValueError:
            return _param_error("page_size and cursor must be integers.")
        if not 1 <= page_size <= 100 or cursor < 0:
            return _param_error("page_size: Must be between 1 and 100.")
        horizon = emu.clock.now() - 90 * 86400
        states = [
            s
            for s in emu.conversations.list("tiktok", business_id)
            if s.last_customer_at >= horizon
        ]
        page = states[cursor : cursor + page_size]
        items = [
            {
                "conversation_id": s.conversation_id,
                "update_time": int(s.last_customer_at),
                "user": {"id": s.customer, "role": "personal_account"},
            }
            for s in page
        ]
        more = cursor + page_size < len(states)
        data = {"conversations": items, "cursor": str(cursor + len(page)), "has_more": more}
        return answer(data=data)

    async def content_list(request: Request, ctx: RequestContext) -> Response:
        allowed = authorise(emu, request, tiktok.access_tokens)
        if isinstance(allowed, Response):
            return allowed
        if not _rate_ok(emu, "content_list"):
            return throttled()
        business_id = _check_business(request.query_params.get("business_id"), allowed)
        if isinstance(business_id, Response):
            return business_id
        conversation_id = request.query_params.get("conversation_id")
        if not conversation_id:
            return _param_error("conversation_id: Missing data for required field.")
        state = emu.conversations.get("tiktok", business_id, conversation_id)
        if state is None:
            return answer(40007, "The conversation does not exist.")
        recent = state.history[-20:]
        messages = [_listed(item, state.customer, business_id) for item in reversed(recent)]
        return answer(data={"messages": messages})

    def route(path: str, name: str, handler: Any, method: str) -> Route:
        endpoint = guarded(
            f"tiktok.{name}",
            handler,
            faults=emu.faults,
            throttled=throttled,
            deliver=emu.deliver,
        )
        return Route(f"{BASE}{path}", endpoint, methods=[method], name=f"tiktok.{name}")

    return [
        route("/business/message/send/", "send", send, "POST"),
        route("/business/message/media/upload/", "media_upload", upload, "POST"),
        route(
            "/business/message/conversation/list/", "conversation_list", conversation_list, "GET"
        ),
        route("/business/message/content/list/", "content_list", content_list, "GET"),
    ]


def _listed(item: dict[str, Any], customer: str, business_id: str) -> dict[str, Any]:
    inbound = item["direction"] == "inbound"
    sender = (
        {"id": customer, "role": "personal_account"}
        if inbound
        else {"id": business_id, "role": "business_account"}
    )
    listed: dict[str, Any] = {
        "message_id": item["message_id"],
        "timestamp": int(item["at"] * 1000),
        "from_user": sender,
    }
    if inbound:
        listed.update(type="TEXT", text={"body": item["text"]} if item["text"] else {})
    else:
        body = item["body"]
        kind = str(body["message_type"])
        listed.update(type=kind, **{kind.lower(): body[kind.lower()]})
    return listed
