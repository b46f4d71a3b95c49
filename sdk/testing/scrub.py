"""Scrubbing recorded HTTP traffic (vcrpy cassettes) of secrets and personal data.

A cassette is committed to a repository and lives for years, so it must hold neither a
credential nor a customer's phone number or user id. The scrubber works on the structure, not
on luck: known secret headers and query parameters are replaced, JSON bodies are walked (also
TikTok's JSON-in-a-string ``content``) and values under known secret, phone and user-id keys are
replaced by stable pseudonyms (the same input gives the same placeholder, so a cassette still
shows that two requests were about the same customer). :func:`find_secrets` is the safety net a
test runs over every cassette file.

This module imports no vcrpy: it is plain functions over bytes and dicts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "PHONE_KEYS",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "SECRET_QUERY_PARAMETERS",
    "USER_ID_KEYS",
    "find_secrets",
    "pseudonym",
    "scrub_body",
    "scrub_json",
]

SCRUBBED = "<scrubbed>"

SECRET_HEADERS = (
    "Access-Token",
    "Authorization",
    "x-user",
    "Tiktok-Signature",
    "X-Hub-Signature-256",
    "Cookie",
    "Set-Cookie",
)
SECRET_QUERY_PARAMETERS = ("access_token", "appsecret_proof", "client_secret", "secret")
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "app_secret",
        "secret",
        "appsecret_proof",
        "auth_code",
    }
)
PHONE_KEYS = frozenset(
    {"to", "wa_id", "recipient_id", "input", "display_phone_number", "phone", "phone_number"}
)
USER_ID_KEYS = frozenset(
    {
        "from",
        "user_openid",
        "open_id",
        "page_scoped_user_id",
        "psid",
        "from_user_id",
        "user_id",
        "ctwa_clid",
        "ttclid",
        "external_id",
    }
)
# Objects whose "id" is a person: Messenger's sender/recipient, TikTok's from_user/to_user.
_PERSON_OBJECTS = frozenset({"sender", "recipient", "from_user", "to_user", "user", "contacts"})


_PLACEHOLDER = re.compile(r"<(scrubbed|(phone|user):[0-9a-f]{8})>")


def pseudonym(kind: str, value: str) -> str:
    """A stable placeholder: ``<phone:1a2b3c4d>``; the same value always gives the same one."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"<{kind}:{digest}>"


def _kind(key: str, parent: str | None) -> str | None:
    """What a value under ``key`` is: "secret", "phone", "user" or None (not sensitive)."""
    if key in SECRET_KEYS:
        return "secret"
    if key in PHONE_KEYS:
        return "phone"
    if key in USER_ID_KEYS or (key == "id" and parent in _PERSON_OBJECTS):
        return "user"
    return None


def _scrub_value(key: str, value: Any, parent: str | None) -> Any:
    lowered = key.lower()
    kind = _kind(lowered, parent)
    # A phone number or an id sent as a JSON number is as personal as one sent as a string.
    if isinstance(value, str) and _PLACEHOLDER.fullmatch(value):
        return value  # already scrubbed: scrubbing is idempotent
    if kind is not None and isinstance(value, str | int) and not isinstance(value, bool):
        return SCRUBBED if kind == "secret" else pseudonym(kind, str(value))
    if isinstance(value, str):
        return _scrub_embedded(value)
    return _walk(value, lowered)


def _scrub_embedded(value: str) -> str:
    """Scrub a string that is itself JSON (TikTok's webhook ``content``)."""
    if not value.startswith(("{", "[")):
        return value
    try:
        inner = json.loads(value)
    except json.JSONDecodeError:
        return value
    return json.dumps(_walk(inner, None), separators=(",", ":"))


def _walk(value: Any, parent: str | None) -> Any:
    if isinstance(value, dict):
        return {k: _scrub_value(str(k), v, parent) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, parent) if not isinstance(item, str) else item for item in value]
    return value


def scrub_json(value: Any) -> Any:
    """A copy of a decoded JSON value with secrets, phone numbers and user ids replaced."""
    return _walk(value, None)


def scrub_body(body: bytes | str | None) -> bytes | str | None:
    """Scrub a request or response body: JSON is walked, a form has its secret fields replaced.

    Anything else (images, multipart uploads) is returned unchanged.
    """
    if body is None or body in (b"", ""):
        return body
    as_text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    scrubbed: str | None = None
    try:
        scrubbed = json.dumps(scrub_json(json.loads(as_text)), separators=(",", ":"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        if "=" in as_text and "\n" not in as_text:
            pairs = parse_qsl(as_text, keep_blank_values=True)
            if pairs:
                scrubbed = urlencode([(k, _scrub_value(k, v, None)) for k, v in pairs])
    if scrubbed is None:
        return body
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


_LEAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bearer token", re.compile(r"Bearer\s+(?!<)[A-Za-z0-9._~+/=-]{6,}")),
    ("Access-Token header", re.compile(r"(?im)^\s*-?\s*Access-Token:\s*\n?\s*-\s*(?!<)\S+")),
    (
        "secret parameter",
        re.compile(
            r"(?i)(access_token|appsecret_proof|client_secret|refresh_token|app_secret)"
            r"[\"']?\s*[=:]\s*[\"']?(?!<|%3C)[A-Za-z0-9._~+/-]{6,}"
        ),
    ),
    ("Meta access token", re.compile(r"\bEAA[A-Za-z0-9]{20,}")),
    ("signature", re.compile(r"(t=\d+,s=[0-9a-f]{16,}|sha256=[0-9a-f]{16,})")),
    (
        "phone number",
        re.compile(
            r'\\?"(to|wa_id|recipient_id|input|phone|phone_number|display_phone_number)'
            r'\\?"\s*:\s*\\?"\+?\d{7,15}\\?"'
        ),
    ),
)


def find_secrets(text: str, known: Iterable[str] = ()) -> list[str]:
    """Names of the leaks found in ``text``: secret patterns, and any ``known`` value verbatim.

    Pass the real tokens and secrets of your test set-up as ``known``: a pattern can miss a
    token of an unusual shape, a verbatim search cannot.
    """
    found = [name for name, pattern in _LEAKS if pattern.search(text)]
    found.extend(f"known secret #{i}" for i, value in enumerate(known) if value and value in text)
    return found
