"""Meta Conversions API for Business Messaging (``/{version}/{dataset_id}/events``).

Every event needs ``event_name``, ``event_time`` (unix seconds, at most
``meta_capi.max_event_age_days`` old), ``action_source: business_messaging``, a
``messaging_channel`` and the ``user_data`` keys that channel identifies a person by. One bad
event rejects the whole batch with Graph error ``100`` naming it. Accepted events enter the
ledger with their ``event_id`` (Meta's dedup key).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mmtkit.sandbox import graph, ids
from mmtkit.sandbox.guard import RequestContext
from mmtkit.sandbox.requests import idempotency_headers, json_object

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["USER_DATA_KEYS", "events"]

USER_DATA_KEYS = {
    "whatsapp": ("whatsapp_business_account_id", "ctwa_clid"),
    "messenger": ("page_id", "page_scoped_user_id"),
    "instagram": ("instagram_business_account_id", "ig_sid"),  # 3P; UNCONFIRMED
}


def throttled() -> Response:
    return graph.error(4, "(#4) Application request limit reached", kind="OAuthException")


def _invalid(where: str, problem: str) -> Response:
    return graph.error(100, "Invalid parameter", user_message=f"{where}: {problem}")


def _event_problem(emu: Emulator, index: int, event: Any, now: float) -> Response | None:
    where = f"data[{index}]"
    if not isinstance(event, dict):
        return _invalid(where, "each event must be an object")
    if not isinstance(event.get("event_name"), str) or not event["event_name"]:
        return _invalid(f"{where}.event_name", "required")
    when = event.get("event_time")
    if isinstance(when, bool) or not isinstance(when, int):
        return _invalid(f"{where}.event_time", "required, unix seconds")
    if when < now - emu.config.meta_capi.max_event_age_days * 86400:
        return _invalid(f"{where}.event_time", "the event is too old to be accepted")
    if when > now + 60:
        return _invalid(f"{where}.event_time", "the event is in the future")
    if event.get("action_source") != "business_messaging":
        return _invalid(f"{where}.action_source", "must be 'business_messaging'")
    channel = event.get("messaging_channel")
    if channel not in USER_DATA_KEYS:
        return _invalid(f"{where}.messaging_channel", f"must be one of {sorted(USER_DATA_KEYS)}")
    user_data = event.get("user_data")
    if not isinstance(user_data, dict):
        return _invalid(f"{where}.user_data", "required")
    for key in USER_DATA_KEYS[channel]:
        if not isinstance(user_data.get(key), str) or not user_data[key]:
            return _invalid(f"{where}.user_data.{key}", f"required for {channel}")
    return None


async def events(emu: Emulator, request: Request, ctx: RequestContext, dataset_id: str) -> Response:
    cfg = emu.config.meta_capi
    body = await json_object(request)
    if graph.token(request, body) != cfg.access_token:
        return graph.invalid_token()
    if dataset_id not in cfg.datasets:
        return graph.unknown_object(dataset_id)
    if body is None:
        return _invalid("body", "must be a JSON object")
    data = body.get("data")
    if isinstance(data, str):  # Graph also takes `data` as a JSON-encoded parameter
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            return _invalid("data", "not valid JSON")
    if not isinstance(data, list) or not data:
        return _invalid("data", "required, a non-empty list of events")
    now = emu.clock.now()
    for index, event in enumerate(data):
        problem = _event_problem(emu, index, event, now)
        if problem is not None:
            return problem
    headers = idempotency_headers(request)
    for event in data:
        keys = dict(headers)
        if isinstance(event.get("event_id"), str):
            keys["event_id"] = event["event_id"]
        emu.ledger.record(
            platform="meta_capi",
            kind="event",
            platform_id=ids.request_id(),
            account=dataset_id,
            idempotency=keys,
            payload=event,
            at=now,
            answered_late=ctx.late,
        )
    return JSONResponse(
        {"events_received": len(data), "messages": [], "fbtrace_id": ids.fbtrace_id()}
    )
