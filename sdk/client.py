"""The sending clients: :class:`MessagingClient` (blocking) and :class:`AsyncMessagingClient`.

Both have the same surface and share everything but the executor: the checks before a
message is accepted (capabilities → reply window → compliance), the outbox record, and the
delivery routine (:func:`mmtkit.delivery.deliver`). ``send`` either returns a
:class:`SendReceipt` for a message the platform took, or raises the typed error of the stage
that stopped it:

==========================  ==========================================================
:class:`~mmtkit.errors.ContentError`     the channel cannot take this content
:class:`~mmtkit.errors.SendNotAllowed`   the conversation's window or quota forbids it
:class:`~mmtkit.errors.PolicyViolation`  a compliance check blocked it
:class:`~mmtkit.errors.SendRejected`     the platform refused it for good
:class:`~mmtkit.errors.SendFailed`       retries ran out; nothing reached the platform
:class:`~mmtkit.errors.DeliveryUnknown`  the platform may or may not have it
==========================  ==========================================================

The last three carry the outbox record, which :meth:`retry` or :meth:`discard` can act on.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx
from attrs import evolve, field, frozen

from mmtkit.adapter import Adapter
from mmtkit.capabilities import RateLimit, WindowRule
from mmtkit.conversation import Conversation, NeedsTag, SendPermission, can_send
from mmtkit.credentials import CredentialsProvider, JsonFileCredentials, StaticCredentials
from mmtkit.delivery import Delivered, DeliveryContext, deliver, resumable
from mmtkit.errors import ConfigError, PolicyViolation, SendNotAllowed
from mmtkit.messages import Channel, Content, EchoSource, InboundEvent, MessageEcho, Text
from mmtkit.outbox import (
    DuplicateIdempotencyKey,
    Guarantee,
    MemoryOutbox,
    Outbox,
    OutboxRecord,
    OutboxState,
)
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import Decision, PolicyConfig, PolicyContext, PolicyEngine, Violation
from mmtkit.ratelimit import GcraLimiter, RateLimiter
from mmtkit.retry import RetryPolicy
from mmtkit.transport import AsyncHttpExecutor, HttpExecutor, Timeouts

__all__ = ["AsyncMessagingClient", "ChannelSetup", "MessagingClient", "SendReceipt"]

ChannelSetups = Mapping[Channel, "ChannelSetup"] | Mapping[str, "ChannelSetup"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@frozen(kw_only=True)
class ChannelSetup:
    """One channel as a client uses it: a configured adapter and where its token comes from.
    ``rate_limits`` and ``window`` replace the adapter's defaults when given."""

    adapter: Adapter
    credentials: CredentialsProvider
    rate_limits: tuple[RateLimit, ...] | None = None
    window: WindowRule | None = None


@frozen(kw_only=True)
class SendReceipt:
    """A message the platform took (or had already taken, for a repeated idempotency key)."""

    record_id: int
    idempotency_key: str
    state: OutboxState
    platform_message_id: str | None
    attempts: int
    possible_duplicate: bool
    """An earlier attempt may also have reached the platform (``at_least_once``)."""
    conversation: Conversation
    """The conversation with this message counted against its window."""
    warnings: tuple[Violation, ...] = field(default=())
    """Violations of rules configured to warn rather than block."""
    replayed: bool = False
    """True when the idempotency key was used before and nothing new was sent."""


class _ClientCore:
    """Everything the two clients share; no I/O except through the outbox."""

    def __init__(
        self,
        channels: ChannelSetups,
        *,
        outbox: Outbox | str | os.PathLike[str] | None,
        plugins: PluginManager | None,
        policy: PolicyConfig | None,
        retry: RetryPolicy | None,
        limiter: RateLimiter | None,
        clock: Any,
        now: Any,
    ) -> None:
        self.channels = {Channel(c): setup for c, setup in channels.items()}
        for channel, setup in self.channels.items():
            if setup.adapter.channel is not channel:
                raise ConfigError(
                    f"channels[{channel.value!r}] has an adapter for {setup.adapter.channel.value}"
                )
        self._store: Any = None
        self.outbox: Outbox
        if isinstance(outbox, str | os.PathLike):
            from mmtkit.store.sqlite import SqliteStore  # only when a durable outbox is asked for

            self._store = SqliteStore(outbox)
            self.outbox = self._store.outbox
        else:
            self.outbox = outbox if outbox is not None else MemoryOutbox()
        self.plugins = plugins if plugins is not None else PluginManager.with_entry_points()
        self.policy = PolicyEngine(self.plugins.hooks, policy)
        self.retry = retry if retry is not None else RetryPolicy()
        self.limiter = limiter if limiter is not None else GcraLimiter()
        self.clock = clock
        self.now = now
        self._contexts: dict[Channel, DeliveryContext] = {}

    def setup(self, channel: Channel) -> ChannelSetup:
        try:
            return self.channels[channel]
        except KeyError:
            configured = ", ".join(c.value for c in self.channels) or "none"
            raise ConfigError(
                f"channel {channel.value!r} is not configured on this client (configured: "
                f"{configured}); pass a ChannelSetup for it"
            ) from None

    def context(self, channel: Channel) -> DeliveryContext:
        context = self._contexts.get(channel)
        if context is None:
            setup = self.setup(channel)
            context = DeliveryContext(
                adapter=setup.adapter,
                credentials=setup.credentials,
                outbox=self.outbox,
                limiter=self.limiter,
                retry=self.retry,
                rate_limits=setup.rate_limits
                if setup.rate_limits is not None
                else setup.adapter.capabilities.rate_limits,
                clock=self.clock,
                now=self.now,
            )
            self._contexts[channel] = context
        return context

    # -- the checks before a message is accepted ---------------------------------------------

    def check(
        self,
        conversation: Conversation,
        content: Content,
        *,
        automatic: bool,
        policy_context: PolicyContext | None,
    ) -> tuple[SendPermission, Decision]:
        setup = self.setup(conversation.channel)
        setup.adapter.capabilities.validate(content)
        now = self.now()
        permission = can_send(conversation, content, now, setup.window)
        if not permission.allowed:
            raise SendNotAllowed(permission, f"{conversation.channel.value}: {permission}")
        if isinstance(permission, NeedsTag) and automatic:
            raise SendNotAllowed(
                permission,
                f"{conversation.channel.value}: outside the standard window only a person may "
                f"reply (tag {permission.tag}); automatic messages are not allowed",
            )
        context = policy_context or PolicyContext(channel=conversation.channel)
        context = evolve(context, channel=conversation.channel, conversation=conversation, now=now)
        return permission, self.policy.check_outbound(content, context)

    def accept(
        self,
        conversation: Conversation,
        content: Content,
        *,
        idempotency_key: str | None,
        guarantee: Guarantee,
        agent: str | None,
        automatic: bool,
        policy_context: PolicyContext | None,
    ) -> tuple[OutboxRecord, Decision, bool]:
        """Run the checks and write the outbox record: ``(record, decision, replayed)``."""
        key = idempotency_key or uuid.uuid4().hex
        existing = self.outbox.get_by_key(key)
        if existing is not None:
            return existing, Decision.from_violations(()), True
        permission, decision = self.check(
            conversation, content, automatic=automatic, policy_context=policy_context
        )
        if decision.blocked:
            raise PolicyViolation(decision)
        tag = permission.tag if isinstance(permission, NeedsTag) else None
        try:
            record = self.outbox.add(
                idempotency_key=key,
                channel=conversation.channel,
                conversation_id=conversation.conversation_id,
                customer_id=conversation.customer_id,
                account_id=conversation.account_id or _account_id(self.setup(conversation.channel)),
                content=content,
                guarantee=Guarantee(guarantee),
                now=self.now(),
                tag=tag,
                sent_by=agent or ("automation" if automatic else None),
            )
        except DuplicateIdempotencyKey as duplicate:  # a concurrent send with the same key
            return duplicate.existing, decision, True
        return record, decision, False

    def receipt(
        self,
        delivered: Delivered | OutboxRecord,
        conversation: Conversation,
        decision: Decision,
        *,
        replayed: bool = False,
    ) -> SendReceipt:
        record = delivered.raise_for_state() if isinstance(delivered, Delivered) else delivered
        updated = conversation
        if not replayed and record.state is OutboxState.SENT:
            updated = conversation.record_business_message(record.updated_at)
        return SendReceipt(
            record_id=record.id,
            idempotency_key=record.idempotency_key,
            state=record.state,
            platform_message_id=record.platform_message_id,
            attempts=record.attempts,
            possible_duplicate=record.possible_duplicate,
            conversation=updated,
            warnings=decision.violations,
            replayed=replayed,
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def restart(self, record_id: int) -> OutboxRecord:
        record = self.outbox.get(record_id)
        if record.state not in (OutboxState.FAILED, OutboxState.UNKNOWN):
            raise ConfigError(
                f"outbox record {record_id} is {record.state}; only failed or unknown records "
                "can be retried"
            )
        return self.outbox.mark_pending(
            record_id, self.now(), possible_duplicate=record.state is OutboxState.UNKNOWN
        )

    # -- webhooks -----------------------------------------------------------------------------

    def handle_webhook(
        self, channel: Channel | str, headers: Mapping[str, str], body: bytes
    ) -> list[InboundEvent]:
        adapter = self.setup(Channel(channel)).adapter
        adapter.verify_webhook(httpx.Headers(dict(headers)), body)
        events = adapter.parse_webhook(body)
        for event in events:
            if isinstance(event, MessageEcho) and event.source is EchoSource.API:
                self._reconcile(event)
        return events

    def _reconcile(self, echo: MessageEcho) -> None:
        """An echo of our own API send proves that a message we were unsure of arrived."""
        if echo.text is None:
            return
        for record in self.outbox.list([OutboxState.UNKNOWN, OutboxState.PENDING]):
            if (
                record.channel is echo.channel
                and record.conversation_id == echo.conversation_id
                and isinstance(record.content, Text)
                and record.content.body == echo.text
                and (record.state is OutboxState.UNKNOWN or record.possible_duplicate)
            ):
                self.outbox.mark_sent(
                    record.id, self.now(), platform_message_id=echo.platform_message_id
                )
                return


def _account_id(setup: ChannelSetup) -> str | None:
    value = getattr(setup.adapter, "account_id", None)
    return value if isinstance(value, str) else None


def channels_from_settings(
    settings: Mapping[str, Mapping[str, Any]], plugins: PluginManager
) -> dict[Channel, ChannelSetup]:
    """Build channel setups from plain settings (e.g. a TOML table per channel).

    Token keys: ``access_token`` (+ ``refresh_token``) for tokens held in memory, or
    ``token_file`` for tokens kept in a JSON file that survives refresh-token rotation. Every
    other key is passed to the channel's adapter factory.
    """
    setups: dict[Channel, ChannelSetup] = {}
    for name, values in settings.items():
        try:
            channel = Channel(name)
        except ValueError:
            raise ConfigError(
                f"channels.{name}: unknown channel "
                f"(use one of {', '.join(c.value for c in Channel)})"
            ) from None
        options = dict(values)
        token_file = options.pop("token_file", None)
        access_token = options.pop("access_token", None)
        refresh_token = options.pop("refresh_token", None)
        credentials: CredentialsProvider
        if token_file is not None:
            credentials = JsonFileCredentials(token_file)
        elif access_token is not None:
            credentials = StaticCredentials(access_token, refresh_token)
        else:
            raise ConfigError(f"channels.{name}: set access_token or token_file")
        setups[channel] = ChannelSetup(
            adapter=plugins.create_adapter(channel, **options), credentials=credentials
        )
    return setups


class _ClientSurface:
    """What both clients offer without doing I/O: construction, checks, the outbox API and
    webhooks. The subclasses add only what waits on the network."""

    def __init__(
        self,
        channels: ChannelSetups,
        *,
        outbox: Outbox | str | os.PathLike[str] | None = None,
        plugins: PluginManager | None = None,
        policy: PolicyConfig | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        clock: Any = time.monotonic,
        now: Any = _utc_now,
    ) -> None:
        self._core = _ClientCore(
            channels,
            outbox=outbox,
            plugins=plugins,
            policy=policy,
            retry=retry,
            limiter=limiter,
            clock=clock,
            now=now,
        )

    @classmethod
    def from_settings(
        cls,
        channels: Mapping[str, Mapping[str, Any]],
        *,
        plugins: PluginManager | None = None,
        **options: Any,
    ) -> Self:
        """Build from plain settings: ``{"tiktok": {"access_token": ..., "account_id": ...}}``."""
        manager = plugins or PluginManager.with_entry_points()
        return cls(channels_from_settings(channels, manager), plugins=manager, **options)

    @property
    def outbox(self) -> Outbox:
        return self._core.outbox

    @property
    def policy(self) -> PolicyEngine:
        """The compliance engine ``send`` consults (also for inbound checks)."""
        return self._core.policy

    def check(
        self,
        conversation: Conversation,
        content: Content,
        *,
        automatic: bool = False,
        policy_context: PolicyContext | None = None,
    ) -> Decision:
        """Dry run: every check ``send`` makes, and the policy decision, with nothing sent."""
        return self._core.check(
            conversation, content, automatic=automatic, policy_context=policy_context
        )[1]

    def enqueue(
        self,
        conversation: Conversation,
        content: Content,
        *,
        idempotency_key: str | None = None,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        agent: str | None = None,
        automatic: bool = False,
        policy_context: PolicyContext | None = None,
    ) -> OutboxRecord:
        """Run every check ``send`` runs and record the message ``pending``, without sending:
        :meth:`resume` (or a gateway's sender) delivers it. Inside a store transaction this
        makes "accept a reply" part of the same unit of work as the rest."""
        return self._accept(
            conversation,
            content,
            idempotency_key=idempotency_key,
            guarantee=guarantee,
            agent=agent,
            automatic=automatic,
            policy_context=policy_context,
        )[0]

    def _accept(
        self,
        conversation: Conversation,
        content: Content,
        *,
        idempotency_key: str | None,
        guarantee: Guarantee | str,
        agent: str | None,
        automatic: bool,
        policy_context: PolicyContext | None,
    ) -> tuple[OutboxRecord, Decision, bool]:
        return self._core.accept(
            conversation,
            content,
            idempotency_key=idempotency_key,
            guarantee=Guarantee(guarantee),
            agent=agent,
            automatic=automatic,
            policy_context=policy_context,
        )

    def discard(self, record_id: int) -> OutboxRecord:
        """Give up on a ``failed`` or ``unknown`` record."""
        return self._core.outbox.discard(record_id, self._core.now())

    def failed(self) -> list[OutboxRecord]:
        return list(self._core.outbox.list([OutboxState.FAILED]))

    def unknown(self) -> list[OutboxRecord]:
        return list(self._core.outbox.list([OutboxState.UNKNOWN]))

    def handle_webhook(
        self, channel: Channel | str, headers: Mapping[str, str], body: bytes
    ) -> list[InboundEvent]:
        """Verify (raw bytes, constant time) and parse a webhook; echoes of our own sends
        settle messages whose outcome was unknown."""
        return self._core.handle_webhook(channel, headers, body)


class MessagingClient(_ClientSurface):
    """Send messages and take webhooks, blocking. Use it as a context manager, or call
    :meth:`close`. Every request has explicit timeouts (:class:`~mmtkit.transport.Timeouts`).

    ``outbox``: a file path keeps the outbox in SQLite (durable: a restarted client resumes
    it); an :class:`~mmtkit.outbox.Outbox` object is used as given; None keeps it in memory,
    which is for tests and scripts only -- a crash loses what was not yet sent.
    """

    def __init__(
        self,
        channels: ChannelSetups,
        *,
        timeouts: Timeouts | None = None,
        http_client: httpx.Client | None = None,
        **options: Any,
    ) -> None:
        super().__init__(channels, **options)
        self._executor = HttpExecutor(http_client, timeouts)

    def send(
        self,
        conversation: Conversation,
        content: Content,
        *,
        idempotency_key: str | None = None,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        agent: str | None = None,
        automatic: bool = False,
        policy_context: PolicyContext | None = None,
    ) -> SendReceipt:
        record, decision, replayed = self._accept(
            conversation,
            content,
            idempotency_key=idempotency_key,
            guarantee=guarantee,
            agent=agent,
            automatic=automatic,
            policy_context=policy_context,
        )
        if replayed:
            return self._core.receipt(record, conversation, decision, replayed=True)
        delivered = self._executor.run(deliver(self._core.context(record.channel), record))
        return self._core.receipt(delivered, conversation, decision)

    def resume(self) -> list[OutboxRecord]:
        """Finish what a crashed or stopped client left: ``pending`` records are sent,
        interrupted ones follow their guarantee. Returns the final records."""
        return [
            self._executor.run(deliver(self._core.context(record.channel), record)).record
            for record in resumable(self._core.outbox)
        ]

    def retry(self, record_id: int) -> OutboxRecord:
        """Send a ``failed`` or ``unknown`` record again (an unknown one may then arrive twice:
        it is marked as a possible duplicate). Raises the typed error if it fails again."""
        record = self._core.restart(record_id)
        delivered = self._executor.run(deliver(self._core.context(record.channel), record))
        return delivered.raise_for_state()

    def close(self) -> None:
        self._executor.close()
        self._core.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncMessagingClient(_ClientSurface):
    """The same client for asyncio: ``send``, ``resume`` and ``retry`` are awaited; pacing
    awaits instead of sleeping; ``aclose()`` replaces ``close()``."""

    def __init__(
        self,
        channels: ChannelSetups,
        *,
        timeouts: Timeouts | None = None,
        http_client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> None:
        super().__init__(channels, **options)
        self._executor = AsyncHttpExecutor(http_client, timeouts)

    async def send(
        self,
        conversation: Conversation,
        content: Content,
        *,
        idempotency_key: str | None = None,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        agent: str | None = None,
        automatic: bool = False,
        policy_context: PolicyContext | None = None,
    ) -> SendReceipt:
        record, decision, replayed = self._accept(
            conversation,
            content,
            idempotency_key=idempotency_key,
            guarantee=guarantee,
            agent=agent,
            automatic=automatic,
            policy_context=policy_context,
        )
        if replayed:
            return self._core.receipt(record, conversation, decision, replayed=True)
        delivered = await self._executor.run(deliver(self._core.context(record.channel), record))
        return self._core.receipt(delivered, conversation, decision)

    async def resume(self) -> list[OutboxRecord]:
        return [
            (await self._executor.run(deliver(self._core.context(record.channel), record))).record
            for record in resumable(self._core.outbox)
        ]

    async def retry(self, record_id: int) -> OutboxRecord:
        record = self._core.restart(record_id)
        delivered = await self._executor.run(deliver(self._core.context(record.channel), record))
        return delivered.raise_for_state()

    async def aclose(self) -> None:
        await self._executor.aclose()
        self._core.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
