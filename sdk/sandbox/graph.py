"""What WhatsApp, Messenger and the Conversions API share: Meta Graph's error object and auth.

Graph errors come on an HTTP 4xx with ``{"error": {"message", "type", "code",
"error_subcode"?, "error_data"?, "fbtrace_id"}}``; the token comes as ``Authorization: Bearer``
or the ``access_token`` parameter.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mmtkit.sandbox import ids

__all__ = ["error", "token", "unknown_object", "valid_version"]

_VERSION = re.compile(r"v\d+\.\d+")


def error(
    code: int,
    message: str,
    *,
    status: int = 400,
    subcode: int | None = None,
    kind: str = "OAuthException",
    error_data: dict[str, Any] | None = None,
    user_message: str | None = None,
) -> Response:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    if error_data is not None:
        body["error_data"] = error_data
    if user_message is not None:
        body["error_user_msg"] = user_message
    body["fbtrace_id"] = ids.fbtrace_id()
    return JSONResponse({"error": body}, status_code=status)


def token(request: Request, body: dict[str, Any] | None = None) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    from_query = request.query_params.get("access_token")
    if from_query:
        return from_query
    if body and isinstance(body.get("access_token"), str):
        return str(body["access_token"])
    return None


def invalid_token() -> Response:
    return error(190, "Invalid OAuth access token - Cannot parse access token", status=401)


def unknown_object(object_id: str) -> Response:
    return error(
        100,
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33,
        kind="GraphMethodException",
    )


def valid_version(version: str) -> bool:
    return _VERSION.fullmatch(version) is not None
