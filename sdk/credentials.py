"""Where access tokens come from, and how a rotated refresh token is kept safe.

TikTok access tokens last about 24 h and the refresh token **rotates on every refresh**:
the answer to a refresh is the only copy of the next refresh token. Lose it (a crash between
the answer and the write, two workers refreshing at once) and the account owner has to
authorise the app again. So the rules here are:

1. persist the new pair *before* anyone uses it (:meth:`CredentialsProvider.save` runs
   before :func:`refresh_plan` returns);
2. refresh at most once per expired token: a caller passes the access token that failed,
   and if the stored one is already different somebody else refreshed, so that one is used;
3. refreshes of one provider are serialised (:func:`refresh` and :func:`refresh_async`
   hold a per-provider lock).

The adapter stays sans-I/O (it only builds the refresh request and reads the answer, see
:class:`TokenRefresher`); :func:`refresh_plan` is the sans-I/O orchestration, and
:func:`refresh` / :func:`refresh_async` drive it with a caller's ``perform`` function. The
transport's loop is: send → :func:`needs_refresh` (outcome) → one refresh → one retry.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import weakref
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from attrs import evolve

from mmtkit.adapter import HttpRequest, HttpResponse, Outcome, Rejected, RejectionKind, TokenSet
from mmtkit.errors import CredentialsError, ReauthorizationRequired

__all__ = [
    "CredentialsProvider",
    "JsonFileCredentials",
    "RefreshPlan",
    "StaticCredentials",
    "TokenRefresher",
    "needs_refresh",
    "refresh",
    "refresh_async",
    "refresh_plan",
]


@runtime_checkable
class CredentialsProvider(Protocol):
    """A store of one account's tokens. ``save`` must be durable when it returns."""

    def current(self) -> TokenSet:
        """The tokens to use now; raise :class:`~mmtkit.errors.CredentialsError` if none."""
        ...

    def save(self, tokens: TokenSet) -> None:
        """Replace the stored tokens (after a refresh)."""
        ...


@runtime_checkable
class TokenRefresher(Protocol):
    """The sans-I/O half of a refresh, implemented by adapters whose tokens expire
    (:class:`~mmtkit.adapters.tiktok.TikTokAdapter`)."""

    def plan_token_refresh(self, refresh_token: str) -> HttpRequest: ...

    def parse_token_response(self, response: HttpResponse) -> TokenSet:
        """New tokens, or :class:`~mmtkit.errors.ReauthorizationRequired` /
        :class:`~mmtkit.errors.TokenRefreshFailed`."""
        ...


# --- providers -------------------------------------------------------------------------------


class StaticCredentials:
    """Tokens held in memory: for tests, scripts and long-lived tokens. A rotated refresh
    token is kept only while the process lives; use :class:`JsonFileCredentials` (or your
    own store) in production."""

    def __init__(self, access_token: str, refresh_token: str | None = None) -> None:
        self._tokens = TokenSet(access_token=access_token, refresh_token=refresh_token)

    def current(self) -> TokenSet:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def __repr__(self) -> str:
        return "StaticCredentials(<tokens hidden>)"


class JsonFileCredentials:
    """Tokens in a JSON file, replaced atomically: the new file is written and fsynced
    beside the old one, then renamed over it, so a crash leaves either the old pair or the
    new pair, never half a file. The file is created readable by its owner only (0600).

    One process per file: the lock that serialises refreshes is in-process. Several
    processes sharing an account need a shared store (a database row with a lock).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._cached: tuple[tuple[int, int, int], TokenSet] | None = None

    def __repr__(self) -> str:
        return f"JsonFileCredentials({str(self.path)!r})"

    def current(self) -> TokenSet:
        """The stored tokens. The file is read again only when it changed (every send asks
        for the token; a stat is much cheaper than a read and a parse)."""
        try:
            info = os.stat(self.path)
            key = (info.st_mtime_ns, info.st_size, info.st_ino)
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CredentialsError(
                f"no token file at {self.path}; authorise the account first and save() it"
            ) from None
        except OSError as exc:
            raise CredentialsError(f"cannot read token file {self.path}: {exc}") from None
        tokens = _tokens_from_json(text, self.path)
        self._cached = (key, tokens)
        return tokens

    def save(self, tokens: TokenSet) -> None:
        document = {
            "version": 1,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
        }
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _tokens_from_json(text: str, where: Path) -> TokenSet:
    try:
        document: Any = json.loads(text)
    except ValueError:
        raise CredentialsError(f"token file {where} is not JSON") from None
    if not isinstance(document, dict):
        raise CredentialsError(f"token file {where} must hold a JSON object")
    access = document.get("access_token")
    refresh_token = document.get("refresh_token")
    expires = document.get("expires_in")
    if not isinstance(access, str) or not access:
        raise CredentialsError(f"token file {where} has no access_token")
    if refresh_token is not None and not isinstance(refresh_token, str):
        raise CredentialsError(f"token file {where}: refresh_token must be a string")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int | float)):
        raise CredentialsError(f"token file {where}: expires_in must be a number")
    return TokenSet(access_token=access, refresh_token=refresh_token or None, expires_in=expires)


# --- the refresh protocol --------------------------------------------------------------------

RefreshPlan = Generator[HttpRequest, HttpResponse, TokenSet]


def needs_refresh(outcome: Outcome) -> bool:
    """True for the one outcome a refresh can cure: an expired (or missing) access token."""
    return isinstance(outcome, Rejected) and outcome.kind is RejectionKind.TOKEN_EXPIRED


def refresh_plan(
    provider: CredentialsProvider, refresher: TokenRefresher, *, failed_token: str | None
) -> RefreshPlan:
    """Sans-I/O refresh: yields the refresh request, expects its raw response, saves the
    new tokens and returns them. ``failed_token`` is the access token the platform refused;
    when the provider already holds another one, nothing is requested (someone refreshed).

    If the platform does not send a new refresh token, the old one is kept.
    """
    stored = provider.current()
    if failed_token is not None and stored.access_token != failed_token:
        return stored
    if not stored.refresh_token:
        raise ReauthorizationRequired(
            "the access token expired and no refresh token is stored; authorise again"
        )
    response = yield refresher.plan_token_refresh(stored.refresh_token)
    tokens = refresher.parse_token_response(response)
    if tokens.refresh_token is None:
        tokens = evolve(tokens, refresh_token=stored.refresh_token)
    provider.save(tokens)  # durable before anyone can use the new access token
    return tokens


_thread_locks: weakref.WeakKeyDictionary[object, threading.Lock] = weakref.WeakKeyDictionary()
_async_locks: weakref.WeakKeyDictionary[
    object, tuple[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _thread_lock(provider: object) -> threading.Lock:
    with _locks_guard:
        lock = _thread_locks.get(provider)
        if lock is None:
            lock = _thread_locks[provider] = threading.Lock()
        return lock


def _async_lock(provider: object) -> asyncio.Lock:
    # An asyncio.Lock belongs to one event loop; a new loop (another asyncio.run) gets a
    # new lock rather than a RuntimeError.
    loop = asyncio.get_running_loop()
    with _locks_guard:
        entry = _async_locks.get(provider)
        if entry is None or entry[0] is not loop:
            entry = _async_locks[provider] = (loop, asyncio.Lock())
        return entry[1]


def refresh(
    provider: CredentialsProvider,
    refresher: TokenRefresher,
    perform: Callable[[HttpRequest], HttpResponse],
    *,
    failed_token: str | None,
) -> TokenSet:
    """Run :func:`refresh_plan` with a blocking ``perform``; one refresh per provider at a
    time across threads."""
    with _thread_lock(provider):
        plan = refresh_plan(provider, refresher, failed_token=failed_token)
        try:
            request = next(plan)
            while True:
                request = plan.send(perform(request))
        except StopIteration as done:
            tokens: TokenSet = done.value
            return tokens


async def refresh_async(
    provider: CredentialsProvider,
    refresher: TokenRefresher,
    perform: Callable[[HttpRequest], Awaitable[HttpResponse]],
    *,
    failed_token: str | None,
) -> TokenSet:
    """Run :func:`refresh_plan` with an async ``perform``; one refresh per provider at a
    time across tasks (the provider's ``save`` is called synchronously: keep it quick)."""
    async with _async_lock(provider):
        plan = refresh_plan(provider, refresher, failed_token=failed_token)
        try:
            request = next(plan)
            while True:
                request = plan.send(await perform(request))
        except StopIteration as done:
            tokens: TokenSet = done.value
            return tokens
