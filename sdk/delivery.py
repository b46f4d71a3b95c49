"""Delivering one outbox record: pacing, attempts, classification, retries, token refresh.

:func:`deliver` is written once, as a generator of effects (see :mod:`mmtkit.transport`),
and run by the blocking or the async executor. It owns the rules that keep a messaging SDK
honest when the platforms give no idempotency keys:

* every attempt is written to the outbox first (``sending``), its result after;
* only throttled and retryable answers are retried, with backoff and the platform's hint;
  a throttle also slows the throttled scope down for every later message;
* an expired token gets one refresh and one retry; any other rejection is final;
* an *ambiguous* answer (the request may have arrived) is retried under ``at_least_once``
  and recorded as a possible duplicate, or recorded ``unknown`` under ``at_most_once``;
* retries that run out after an ambiguous answer end ``unknown``, never ``failed``: the
  message may be with the customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable
from datetime import datetime

from attrs import evolve, frozen

from mmtkit.adapter import (
    Adapter,
    Ambiguous,
    FetchMedia,
    HttpRequest,
    HttpResponse,
    Outcome,
    Rejected,
    Retryable,
    Sent,
    Throttled,
)
from mmtkit.capabilities import RateLimit
from mmtkit.conversation import Conversation
from mmtkit.credentials import CredentialsProvider, TokenRefresher, needs_refresh
from mmtkit.errors import (
    ContentError,
    DeliveryUnknown,
    MediaUnavailable,
    MmtkitError,
    SendFailed,
    SendRejected,
)
from mmtkit.outbox import Guarantee, Outbox, OutboxRecord, OutboxState
from mmtkit.ratelimit import RateLimiter, ScopedLimit
from mmtkit.retry import RetryPolicy
from mmtkit.transport import Answer, Effect, Refresh, TransportFailure, Wait

__all__ = ["Delivered", "DeliveryContext", "deliver", "resumable", "scope_key"]

log = logging.getLogger("mmtkit.delivery")


@frozen(kw_only=True)
class DeliveryContext:
    """What delivering a message on one channel needs; shared by both clients."""

    adapter: Adapter
    credentials: CredentialsProvider
    outbox: Outbox
    limiter: RateLimiter
    retry: RetryPolicy
    rate_limits: tuple[RateLimit, ...]
    clock: Callable[[], float]
    """Monotonic seconds, for pacing and elapsed time."""
    now: Callable[[], datetime]
    """Wall-clock UTC time, for the outbox."""


@frozen
class Delivered:
    """How a delivery ended: the final record, the last classified outcome, and for a failure
    before the send itself (the media could not be fetched or uploaded) the error to report."""

    record: OutboxRecord
    outcome: Outcome | None
    error: MmtkitError | None = None

    def raise_for_state(self) -> OutboxRecord:
        """The record if it was sent; otherwise the typed error that says why not."""
        record = self.record
        if record.state is OutboxState.SENT:
            return record
        if self.error is not None:
            raise self.error
        where = f"outbox record {record.id}"
        if record.state is OutboxState.UNKNOWN:
            raise DeliveryUnknown(
                f"{where}: the platform may or may not have the message ({record.error})", record
            )
        if isinstance(self.outcome, Rejected):
            raise SendRejected(f"{where}: rejected by {record.channel.value}: {record.error}",
                               record, self.outcome)
        raise SendFailed(f"{where}: not sent: {record.error}", record)


def scope_key(scope: str, record: OutboxRecord) -> str:
    channel = record.channel.value
    if scope == "recipient":
        return f"recipient:{channel}:{record.account_id}:{record.customer_id}"
    if scope == "account":
        return f"account:{channel}:{record.account_id}"
    return f"app:{channel}"


_SCOPES = ("app", "account", "recipient")


def _scoped(ctx: DeliveryContext, record: OutboxRecord) -> list[ScopedLimit]:
    """Every scope the record belongs to, with its configured rate where there is one: a
    throttle on a scope without a rate (say TikTok's per-advertiser 40133) still holds."""
    limited = [ScopedLimit(scope_key(limit.scope, record), limit) for limit in ctx.rate_limits]
    keys = {scoped.key for scoped in limited}
    free = [
        ScopedLimit(key, None)
        for key in (scope_key(scope, record) for scope in _SCOPES)
        if key not in keys
    ]
    return limited + free


def _pace(ctx: DeliveryContext, record: OutboxRecord) -> Generator[Effect, Answer, None]:
    delay = ctx.limiter.reserve(_scoped(ctx, record), ctx.clock())
    if delay > 0:
        yield Wait(delay)


def _classify(adapter: Adapter, answer: Answer) -> Outcome:
    if isinstance(answer, TransportFailure):
        if answer.ambiguous:
            return Ambiguous(reason=answer.reason)
        return Retryable(reason=answer.reason)
    if not isinstance(answer, HttpResponse):
        raise TypeError(f"an HTTP request must be answered with a response, got {answer!r}")
    return adapter.classify(answer)


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, Rejected | Throttled | Retryable):
        code = f"{outcome.code}: " if outcome.code else ""
        return f"{type(outcome).__name__.lower()} {code}{outcome.reason}".strip()
    if isinstance(outcome, Ambiguous):
        return f"ambiguous: {outcome.reason}"
    return "sent"


def _log_attempt(record: OutboxRecord, purpose: str, outcome: Outcome, delay: float | None) -> None:
    # Ids, codes and timings only: never the message, a token or a header.
    log.info(
        "%s attempt %d of record %d on %s: %s",
        purpose,
        record.attempts,
        record.id,
        record.channel.value,
        type(outcome).__name__,
        extra={
            "record_id": record.id,
            "channel": record.channel.value,
            "purpose": purpose,
            "attempt": record.attempts,
            "outcome": type(outcome).__name__,
            "code": getattr(outcome, "code", None),
            "scope": getattr(outcome, "scope", None),
            "delay": delay,
        },
    )


class _PreparationFailed(Exception):
    def __init__(self, error: MmtkitError, outcome: Outcome | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.outcome = outcome


def _request_with_retries(
    ctx: DeliveryContext, record: OutboxRecord, request: HttpRequest | FetchMedia
) -> Generator[Effect, Answer, HttpResponse]:
    """A preparatory request (media download or upload): retried like a send, but creating
    no message, so an ambiguous answer is simply retried."""
    started = ctx.clock()
    attempts = 0
    while True:
        yield from _pace(ctx, record)
        answer = yield request
        attempts += 1
        if isinstance(request, FetchMedia):
            outcome = _classify_fetch(answer)
        else:
            outcome = _classify(ctx.adapter, answer)
        if isinstance(outcome, Sent):
            assert isinstance(answer, HttpResponse)
            return answer
        purpose = "media download" if isinstance(request, FetchMedia) else request.purpose
        if isinstance(outcome, Rejected):
            _log_attempt(evolve(record, attempts=attempts), purpose, outcome, None)
            raise _PreparationFailed(_preparation_error(purpose, _describe(outcome)), outcome)
        hint = outcome.retry_after if isinstance(outcome, Throttled) else None
        if isinstance(outcome, Throttled):
            ctx.limiter.throttled(scope_key(outcome.scope, record), ctx.clock(), hint)
        delay = ctx.retry.next_delay(attempts, ctx.clock() - started, hint)
        _log_attempt(evolve(record, attempts=attempts), purpose, outcome, delay)
        if delay is None:
            reason = f"gave up after {attempts} attempts: {_describe(outcome)}"
            raise _PreparationFailed(_preparation_error(purpose, reason), outcome)
        yield Wait(delay)


def _preparation_error(purpose: str, reason: str) -> MmtkitError:
    return MediaUnavailable(f"{purpose} failed: {reason}")


def _classify_fetch(answer: Answer) -> Outcome:
    if isinstance(answer, TransportFailure):
        return Retryable(reason=answer.reason)
    assert isinstance(answer, HttpResponse)
    if 200 <= answer.status < 300:
        return Sent()
    if answer.status == 429 or answer.status >= 500:
        return Retryable(code=str(answer.status), reason="media host unavailable")
    return Rejected(code=str(answer.status), reason="the image URL could not be downloaded")


def _prepare(
    ctx: DeliveryContext, record: OutboxRecord, token: str
) -> Generator[Effect, Answer, HttpRequest]:
    """Run the adapter's plan up to the request that delivers the message."""
    conversation = Conversation(
        channel=record.channel,
        conversation_id=record.conversation_id,
        customer_id=record.customer_id,
        account_id=record.account_id,
        opened_at=record.created_at,
    )
    plan = ctx.adapter.plan_send(conversation, record.content, token=token, tag=record.tag)
    reply: HttpResponse | bytes | None = None
    while True:
        try:
            step = plan.send(reply)  # type: ignore[arg-type]  # first send(None) starts it
        except StopIteration as done:
            final: HttpRequest = done.value
            return final
        response = yield from _request_with_retries(ctx, record, step)
        if isinstance(step, FetchMedia):
            try:
                rules = evolve(ctx.adapter.capabilities, image=step.rules)
                rules.validate_image_bytes(response.body)
            except ContentError as exc:
                raise _PreparationFailed(exc) from exc
            reply = response.body
        else:
            reply = response


def deliver(ctx: DeliveryContext, record: OutboxRecord) -> Generator[Effect, Answer, Delivered]:
    """Deliver ``record`` (``pending``, or ``sending`` after a crash) to its final state."""
    outbox = ctx.outbox
    if record.state is OutboxState.SENDING and record.guarantee is Guarantee.AT_MOST_ONCE:
        # A crash during an attempt: it may have arrived, and we promised not to resend.
        final = outbox.mark_unknown(record.id, ctx.now(), error="interrupted during a send attempt")
        return Delivered(final, None)
    started = ctx.clock()
    attempts = 0
    refreshed = False
    uncertain = record.possible_duplicate
    while True:
        try:
            token = ctx.credentials.current().access_token
            request = yield from _prepare(ctx, record, token)
        except _PreparationFailed as failure:
            final = outbox.mark_failed(record.id, ctx.now(), error=str(failure))
            return Delivered(final, failure.outcome, failure.error)
        except MmtkitError as refused:
            # The adapter refused the content, the credentials are missing, an upload answer
            # was unreadable...: nothing was sent, and the record says why (retry() later).
            final = outbox.mark_failed(record.id, ctx.now(), error=str(refused))
            return Delivered(final, None, refused)
        yield from _pace(ctx, record)
        record = outbox.mark_sending(record.id, ctx.now())
        attempts += 1
        answer = yield request
        outcome = _classify(ctx.adapter, answer)
        if isinstance(outcome, Sent):
            for scoped in _scoped(ctx, record):
                ctx.limiter.succeeded(scoped.key)
            _log_attempt(record, "send", outcome, None)
            final = outbox.mark_sent(record.id, ctx.now(), platform_message_id=outcome.message_id)
            return Delivered(final, outcome)
        if isinstance(outcome, Rejected):
            _log_attempt(record, "send", outcome, None)
            refresher = ctx.adapter
            if needs_refresh(outcome) and not refreshed and isinstance(refresher, TokenRefresher):
                refreshed = True
                yield Refresh(ctx.credentials, refresher, token)
                record = outbox.mark_pending(record.id, ctx.now())
                continue
            final = outbox.mark_failed(record.id, ctx.now(), error=_describe(outcome))
            return Delivered(final, outcome)
        if isinstance(outcome, Ambiguous):
            uncertain = True
            if record.guarantee is Guarantee.AT_MOST_ONCE:
                _log_attempt(record, "send", outcome, None)
                final = outbox.mark_unknown(record.id, ctx.now(), error=_describe(outcome))
                return Delivered(final, outcome)
        hint = outcome.retry_after if isinstance(outcome, Throttled) else None
        if isinstance(outcome, Throttled):
            ctx.limiter.throttled(scope_key(outcome.scope, record), ctx.clock(), hint)
        delay = ctx.retry.next_delay(attempts, ctx.clock() - started, hint)
        _log_attempt(record, "send", outcome, delay)
        if delay is None:
            reason = f"gave up after {attempts} attempts: {_describe(outcome)}"
            if uncertain:
                final = outbox.mark_unknown(record.id, ctx.now(), error=reason)
            else:
                final = outbox.mark_failed(record.id, ctx.now(), error=reason)
            return Delivered(final, outcome)
        record = outbox.mark_pending(
            record.id, ctx.now(), possible_duplicate=isinstance(outcome, Ambiguous)
        )
        if delay > 0:
            yield Wait(delay)
        if uncertain:
            # An echo of our own send (see MessagingClient.handle_webhook) may have settled
            # the doubt while we waited: then resending would only make a duplicate.
            current = outbox.get(record.id)
            if current.state is OutboxState.SENT:
                return Delivered(current, Sent(message_id=current.platform_message_id))


def resumable(outbox: Outbox) -> Iterable[OutboxRecord]:
    """Records a restarted client must finish: never sent, or interrupted mid-attempt."""
    return outbox.list([OutboxState.PENDING, OutboxState.SENDING])

