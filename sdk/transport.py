"""The one place that does HTTP.

Delivery logic (:mod:`mmtkit.delivery`) is a generator of *effects* -- "perform this request",
"download this media", "wait this long", "refresh the token" -- and this module holds the two
executors that carry them out: :class:`HttpExecutor` on ``httpx.Client`` (blocking) and
:class:`AsyncHttpExecutor` on ``httpx.AsyncClient`` (awaiting). Both see exactly the same
effects, so the sync and the async client cannot drift apart.

Network failures are answered as a :class:`TransportFailure` value, never raised into the
delivery logic, and say whether the request may have reached the platform (``ambiguous``): a
connection that was never made is safe to retry; a read timeout is not known to be.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Any, TypeVar

import httpx
from attrs import field, frozen, validators

from mmtkit.adapter import FetchMedia, HttpRequest, HttpResponse, TokenSet
from mmtkit.credentials import CredentialsProvider, TokenRefresher, refresh, refresh_async
from mmtkit.errors import TokenRefreshFailed

__all__ = [
    "Answer",
    "AsyncHttpExecutor",
    "Effect",
    "HttpExecutor",
    "Refresh",
    "Timeouts",
    "TransportFailure",
    "Wait",
]

T = TypeVar("T")


@frozen
class Wait:
    seconds: float


@frozen
class Refresh:
    """Refresh ``provider``'s tokens once (serialised per provider by the executor)."""

    provider: CredentialsProvider
    refresher: TokenRefresher
    failed_token: str | None = field(repr=False)


@frozen
class TransportFailure:
    """The request got no HTTP answer. ``ambiguous``: it may have reached the platform."""

    ambiguous: bool
    reason: str


Effect = HttpRequest | FetchMedia | Wait | Refresh
Answer = HttpResponse | TransportFailure | TokenSet | None


@frozen(kw_only=True)
class Timeouts:
    """Explicit timeouts, in seconds, for every request mmtkit makes."""

    connect: float = field(default=5.0, validator=validators.gt(0))
    read: float = field(default=15.0, validator=validators.gt(0))
    write: float = field(default=15.0, validator=validators.gt(0))
    pool: float = field(default=5.0, validator=validators.gt(0))

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def _httpx_arguments(request: HttpRequest) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "headers": list(request.headers),
    }
    if request.json is not None:
        arguments["json"] = request.json
    if request.form is not None:
        arguments["data"] = dict(request.form)
    if request.files:
        arguments["files"] = [
            (f.field_name, (f.filename, f.data, f.content_type)) for f in request.files
        ]
    return arguments


def _failure(exc: httpx.HTTPError) -> TransportFailure:
    # Only a connection that was never established proves the platform saw nothing.
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return TransportFailure(ambiguous=not never_sent, reason=f"{type(exc).__name__}: {exc}")


def _response(response: httpx.Response, body: bytes) -> HttpResponse:
    # httpx.Headers is already a case-insensitive Mapping[str, str]; copying it into a dict
    # decodes every header and costs more than the rest of the response handling.
    return HttpResponse(status=response.status_code, headers=response.headers, body=body)


class HttpExecutor:
    """Carries out effects with a blocking ``httpx.Client`` (one is made if none is given;
    a given client is not closed by :meth:`close`)."""

    def __init__(self, client: httpx.Client | None = None, timeouts: Timeouts | None = None):
        self.timeouts = timeouts or Timeouts()
        self._owned = client is None
        self.client = client or httpx.Client(timeout=self.timeouts.to_httpx())

    def request(self, request: HttpRequest) -> HttpResponse | TransportFailure:
        try:
            response = self.client.request(**_httpx_arguments(request))
        except httpx.HTTPError as exc:
            return _failure(exc)
        return _response(response, response.content)

    def fetch(self, effect: FetchMedia) -> HttpResponse | TransportFailure:
        """Download at most ``max_bytes + 1`` bytes: enough to tell that it is too large."""
        try:
            with self.client.stream("GET", effect.url, headers={"Accept": "image/*"}) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > effect.rules.max_bytes:
                        break
                return _response(response, bytes(body))
        except httpx.HTTPError as exc:
            return _failure(exc)

    def perform(self, effect: Effect) -> Answer:
        if isinstance(effect, HttpRequest):
            return self.request(effect)
        if isinstance(effect, FetchMedia):
            return self.fetch(effect)
        if isinstance(effect, Wait):
            if effect.seconds > 0:
                time.sleep(effect.seconds)
            return None
        return refresh(
            effect.provider,
            effect.refresher,
            self._perform_refresh,
            failed_token=effect.failed_token,
        )

    def _perform_refresh(self, request: HttpRequest) -> HttpResponse:
        answer = self.request(request)
        if isinstance(answer, TransportFailure):
            raise TokenRefreshFailed(
                f"token refresh request failed: {answer.reason}", retryable=True
            )
        return answer

    def run(self, steps: Generator[Effect, Answer, T]) -> T:
        """Drive a generator of effects to its end; an exception raised while performing an
        effect is thrown into the generator so it can record the failure."""
        answer: Answer = None
        error: BaseException | None = None
        while True:
            try:
                effect = steps.send(answer) if error is None else steps.throw(error)
            except StopIteration as done:
                result: T = done.value
                return result
            error = None
            try:
                answer = self.perform(effect)
            except Exception as exc:  # noqa: BLE001 - handed to the generator
                error, answer = exc, None

    def close(self) -> None:
        if self._owned:
            self.client.close()


class AsyncHttpExecutor:
    """Carries out effects with an ``httpx.AsyncClient``; same effects, same answers."""

    def __init__(
        self, client: httpx.AsyncClient | None = None, timeouts: Timeouts | None = None
    ):
        self.timeouts = timeouts or Timeouts()
        self._owned = client is None
        self.client = client or httpx.AsyncClient(timeout=self.timeouts.to_httpx())

    async def request(self, request: HttpRequest) -> HttpResponse | TransportFailure:
        try:
            response = await self.client.request(**_httpx_arguments(request))
        except httpx.HTTPError as exc:
            return _failure(exc)
        return _response(response, response.content)

    async def fetch(self, effect: FetchMedia) -> HttpResponse | TransportFailure:
        try:
            async with self.client.stream(
                "GET", effect.url, headers={"Accept": "image/*"}
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > effect.rules.max_bytes:
                        break
                return _response(response, bytes(body))
        except httpx.HTTPError as exc:
            return _failure(exc)

    async def perform(self, effect: Effect) -> Answer:
        if isinstance(effect, HttpRequest):
            return await self.request(effect)
        if isinstance(effect, FetchMedia):
            return await self.fetch(effect)
        if isinstance(effect, Wait):
            if effect.seconds > 0:
                await asyncio.sleep(effect.seconds)
            return None
        return await refresh_async(
            effect.provider,
            effect.refresher,
            self._perform_refresh,
            failed_token=effect.failed_token,
        )

    async def _perform_refresh(self, request: HttpRequest) -> HttpResponse:
        answer = await self.request(request)
        if isinstance(answer, TransportFailure):
            raise TokenRefreshFailed(
                f"token refresh request failed: {answer.reason}", retryable=True
            )
        return answer

    async def run(self, steps: Generator[Effect, Answer, T]) -> T:
        answer: Answer = None
        error: BaseException | None = None
        while True:
            try:
                effect = steps.send(answer) if error is None else steps.throw(error)
            except StopIteration as done:
                result: T = done.value
                return result
            error = None
            try:
                answer = await self.perform(effect)
            except Exception as exc:  # noqa: BLE001 - handed to the generator
                error, answer = exc, None

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()
