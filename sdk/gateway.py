"""The webhook gateway: an ASGI app that never loses an acknowledged webhook.

Platforms redeliver anything not answered 200 quickly, so a request is answered as soon as it
is *safe*, not when it is processed:

1. ``POST /webhooks/{channel}``: the body is read up to a limit (413 beyond), the signature is
   checked on the raw bytes (401 when wrong: nothing stored, a counter, no body in the logs),
   the body is parsed once to refuse malformed JSON (400, kept as a dead letter), then it is
   appended to the durable inbox -- and only then answered 200.
2. A worker claims inbox rows and processes each one inside one store transaction: dedup by
   platform id → conversation state → inbound compliance checks (flags and labels, never a
   block) → signals → ``mmt_on_inbound`` plugins (whose replies are accepted into the outbox in
   the same transaction) → inbox row complete. A crash anywhere rolls the whole row back and it
   is processed again: exactly once. A row that keeps failing is retried, then dead-lettered
   with its error.
3. After the commit: the application's handlers run, conversion events are emitted and the
   outbox's pending replies are delivered by a sender thread.

``create_app(config)`` returns a Starlette app that runs alone (``mmtkit serve``) or mounts
in any ASGI framework; ``app.state.gateway`` is the :class:`Gateway` behind it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mmtkit.adapter import Adapter
from mmtkit.attribution import attribute
from mmtkit.client import ChannelSetup, MessagingClient
from mmtkit.config import MmtkitConfig, load_config
from mmtkit.conversation import Conversation
from mmtkit.credentials import CredentialsProvider, JsonFileCredentials, StaticCredentials
from mmtkit.emitter import Emitter
from mmtkit.errors import (
    ConfigError,
    HandshakeError,
    MalformedWebhook,
    PolicyViolation,
    SignatureError,
)
from mmtkit.events import (
    DEFAULT_MAPPING,
    ConversationStarted,
    EventMapping,
    Happening,
    SignalsDetected,
    conversion_events,
)
from mmtkit.messages import (
    AdReferral,
    Channel,
    Content,
    DeliveryReport,
    InboundEvent,
    MessageEcho,
    MessageReceived,
    ReadReport,
    UnknownEvent,
)
from mmtkit.outbox import OutboxRecord, OutboxState
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import Decision, PolicyContext, Violation
from mmtkit.signals import INTENT_SIGNALS, Intent, Signal
from mmtkit.store.records import Direction, InboxRow, LoggedMessage

__all__ = ["BlockedReply", "ConversionReporter", "Gateway", "Handled", "create_app"]

log = logging.getLogger("mmtkit.gateway")

_KEPT_HEADERS = (
    "content-type",
    "tiktok-signature",
    "x-hub-signature-256",
    "webhook-schema-version",
)
INBOUND_FLAG_LABEL = "flagged-customer"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@frozen
class BlockedReply:
    """A reply a plugin wanted to send that the compliance checks blocked."""

    content: Content
    violation: PolicyViolation


@frozen(kw_only=True)
class Handled:
    """What processing one inbound event did; handed to the application's handlers."""

    event: InboundEvent
    conversation: Conversation
    inbound_decision: Decision | None = None
    signals: tuple[Signal, ...] = ()
    replies: tuple[OutboxRecord, ...] = ()
    blocked_replies: tuple[BlockedReply, ...] = ()
    new_conversation: bool = False


def dedup_key(event: InboundEvent) -> str | None:
    """The platform's id for an event, or None when there is none to dedupe on."""
    channel = event.channel.value
    if isinstance(event, MessageReceived | MessageEcho) and event.platform_message_id:
        return f"{channel}:message:{event.platform_message_id}"
    if isinstance(event, DeliveryReport):
        return f"{channel}:status:{event.platform_message_id}:{event.status.value}"
    if isinstance(event, AdReferral):
        return f"{channel}:referral:{event.conversation_id}:{event.timestamp.isoformat()}"
    if isinstance(event, ReadReport):
        return f"{channel}:read:{event.conversation_id}:{event.watermark.isoformat()}"
    return None


def _logged(
    event: MessageReceived | MessageEcho, direction: Direction, sent_by: str | None = None
) -> LoggedMessage:
    """The message-log entry for a message seen in a webhook."""
    return LoggedMessage(
        channel=event.channel,
        conversation_id=event.conversation_id,
        direction=direction,
        at=event.timestamp,
        platform_message_id=event.platform_message_id,
        kind=event.kind.value,
        text=event.text,
        sent_by=sent_by,
    )


class _Actions:
    """What ``mmt_on_inbound`` plugins may do; replies are accepted into the outbox inside the
    worker's transaction, with idempotency keys derived from the event."""

    def __init__(self, gateway: Gateway, conversation: Conversation, key: str) -> None:
        self._gateway = gateway
        self.conversation = conversation
        self._key = key
        self.replies: list[OutboxRecord] = []
        self.blocked: list[BlockedReply] = []
        self.signals: tuple[Signal, ...] = ()
        self.inbound_violations: tuple[Violation, ...] = ()

    def reply(self, content: Content, *, automatic: bool = True) -> None:
        key = f"reply:{self._key}:{len(self.replies) + len(self.blocked)}"
        try:
            record = self._gateway.client.enqueue(
                self.conversation, content, idempotency_key=key, automatic=automatic
            )
        except PolicyViolation as blocked:
            self.blocked.append(BlockedReply(content, blocked))
            log.info(
                "automatic reply blocked by policy",
                extra={"rules": [v.rule_id for v in blocked.violations]},
            )
            return
        self.replies.append(record)
        self.conversation = self.conversation.record_business_message(self._gateway.now())

    def add_label(self, label: str) -> None:
        self.conversation = self.conversation.with_label(label)

    def assign(self, agent: str | None) -> None:
        self.conversation = self.conversation.assigned_to(agent)


class Gateway:
    """Everything the webhook app runs on. Build it with :meth:`from_config`, or from code."""

    def __init__(
        self,
        *,
        store: Any,
        client: MessagingClient,
        plugins: PluginManager,
        adapters: Mapping[Channel, Adapter],
        max_body_bytes: int = 3 * 1024 * 1024,
        max_attempts: int = 5,
        poll_seconds: float = 0.05,
        lease_seconds: float = 30.0,
        emit: Callable[[Handled], None] | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.store = store
        self.client = client
        self.plugins = plugins
        self.adapters = dict(adapters)
        self.max_body_bytes = max_body_bytes
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.now = now
        self.metrics: Counter[str] = Counter()
        self._handlers: list[Callable[[Handled], None]] = []
        self._emit = emit
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_config(
        cls, config: MmtkitConfig, *, plugins: PluginManager | None = None, **options: Any
    ) -> Gateway:
        from mmtkit.store.sqlite import SqliteStore

        manager = plugins or PluginManager.with_entry_points()
        store = SqliteStore(config.store.path, synchronous=config.store.synchronous)  # type: ignore[arg-type]
        manager.hooks.configure(config, store)
        setups: dict[Channel, ChannelSetup] = {}
        for channel, settings in config.channels.items():
            credentials: CredentialsProvider
            if settings.token_file is not None:
                credentials = JsonFileCredentials(settings.token_file)
            else:
                credentials = StaticCredentials(
                    settings.secrets["access_token"], settings.secrets.get("refresh_token")
                )
            adapter = manager.create_adapter(channel, **settings.adapter_settings())
            setups[channel] = ChannelSetup(adapter=adapter, credentials=credentials)
        client = MessagingClient(setups, outbox=store.outbox, plugins=manager, policy=config.policy)
        if config.events and "emit" not in options:
            options["emit"] = ConversionReporter.from_config(config.events, manager, store)
        return cls(
            store=store,
            client=client,
            plugins=manager,
            adapters={c: s.adapter for c, s in setups.items()},
            max_body_bytes=config.gateway.max_body_bytes,
            max_attempts=config.gateway.max_attempts,
            poll_seconds=config.gateway.poll_seconds,
            lease_seconds=config.gateway.lease_seconds,
            **options,
        )

    def on_event(self, handler: Callable[[Handled], None]) -> Callable[[Handled], None]:
        """Register an application handler (a decorator); it runs after the event is stored."""
        self._handlers.append(handler)
        return handler

    # -- the HTTP side ----------------------------------------------------------------------

    def _adapter(self, request: Request) -> tuple[Channel, Adapter] | Response:
        try:
            channel = Channel(request.path_params["channel"])
            return channel, self.adapters[channel]
        except (ValueError, KeyError):
            return JSONResponse({"error": "unknown or unconfigured channel"}, status_code=404)

    async def receive(self, request: Request) -> Response:
        found = self._adapter(request)
        if isinstance(found, Response):
            return found
        channel, adapter = found
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            self.metrics["webhooks_too_large"] += 1
            return JSONResponse({"error": "body too large"}, status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body_bytes:
                self.metrics["webhooks_too_large"] += 1
                return JSONResponse({"error": "body too large"}, status_code=413)
        raw = bytes(body)
        try:
            adapter.verify_webhook(request.headers, raw)
        except SignatureError as exc:
            self.metrics["webhooks_bad_signature"] += 1
            log.warning("webhook refused: %s", exc, extra={"channel": channel.value})
            return JSONResponse({"error": "signature check failed"}, status_code=401)
        kept = {k: v for k, v in request.headers.items() if k.lower() in _KEPT_HEADERS}
        try:
            adapter.parse_webhook(raw)
        except MalformedWebhook as exc:
            self.metrics["webhooks_malformed"] += 1
            self.store.inbox.dead_letter(
                channel=channel,
                body=raw,
                headers=kept,
                received_at=self.now(),
                error=f"malformed: {exc}",
                now=self.now(),
            )
            return JSONResponse({"error": "malformed body"}, status_code=400)
        self.store.inbox.append(channel=channel, body=raw, headers=kept, received_at=self.now())
        self.metrics["webhooks_accepted"] += 1
        return JSONResponse({"ok": True})

    async def handshake(self, request: Request) -> Response:
        found = self._adapter(request)
        if isinstance(found, Response):
            return found
        _, adapter = found
        answer = getattr(adapter, "handshake", None)
        if answer is None:
            return JSONResponse(
                {"error": "this channel has no subscription handshake"}, status_code=405
            )
        try:
            challenge = answer(dict(request.query_params))
        except HandshakeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        return PlainTextResponse(str(challenge))

    async def health(self, request: Request) -> Response:
        counts = {str(k): v for k, v in self.store.inbox.counts().items()}
        return JSONResponse({"ok": True, "inbox": counts, "metrics": dict(self.metrics)})

    # -- the worker ---------------------------------------------------------------------------

    def process_pending(self, limit: int = 100) -> int:
        """Claim and process up to ``limit`` inbox rows; returns how many were claimed."""
        rows: Sequence[InboxRow] = self.store.inbox.claim(
            self.now(), limit=limit, lease=self.lease, max_attempts=self.max_attempts
        )
        for row in rows:
            try:
                handled = self._process(row)
            except Exception as exc:  # noqa: BLE001 - the row is kept and retried
                self.metrics["processing_errors"] += 1
                log.warning(
                    "processing webhook %d failed: %s",
                    row.id,
                    type(exc).__name__,
                    extra={"inbox_id": row.id, "error": f"{type(exc).__name__}: {exc}"},
                )
                self.store.inbox.fail(
                    row.id,
                    self.now(),
                    error=f"{type(exc).__name__}: {exc}",
                    max_attempts=self.max_attempts,
                )
                continue
            self.metrics["webhooks_processed"] += 1
            self._after_commit(handled)
        return len(rows)

    def _process(self, row: InboxRow) -> list[Handled]:
        adapter = self.adapters[row.channel]
        events = adapter.parse_webhook(row.body)
        handled: list[Handled] = []
        with self.store.transaction():
            for index, event in enumerate(events):
                key = dedup_key(event)
                if key is not None and self.store.dedup.seen_or_add(key, now=self.now()):
                    self.metrics["duplicates_skipped"] += 1
                    continue
                result = self._handle(event, key or f"row{row.id}:{index}")
                if result is not None:
                    handled.append(result)
            self.store.inbox.complete(row.id, self.now())
        return handled

    def _handle(self, event: InboundEvent, key: str) -> Handled | None:
        if isinstance(event, UnknownEvent) or not event.conversation_id:
            # No thread to put it in (e.g. TikTok's EU events, stripped of every id): the inbox
            # row keeps it; there is no conversation to update.
            return None
        conversations = self.store.conversations
        existing = conversations.get(event.channel, event.conversation_id)
        conversation = Conversation.from_event(event) if existing is None else existing.apply(event)
        decision = None
        signals: tuple[Signal, ...] = ()
        actions = _Actions(self, conversation, key)
        if isinstance(event, MessageReceived):
            self.store.messages.append(_logged(event, Direction.INBOUND))
            context = PolicyContext(
                channel=event.channel, conversation=conversation, now=self.now()
            )
            decision = self.client.policy.check_inbound(event, context)
            if decision.violations:
                conversation = conversation.with_label(INBOUND_FLAG_LABEL)
            signals = tuple(self.plugins.hooks.extract_signals(event, conversation))
            conversation = attribute(conversation, signals)  # a tracking id, if one was found
            actions.conversation = conversation
            actions.signals = signals
            actions.inbound_violations = decision.violations
            self.plugins.hooks.on_inbound(event, conversation, actions)
            for name in sorted({s.name for s in signals} & INTENT_SIGNALS):
                intent = Intent(
                    name=name,
                    channel=event.channel.value,
                    conversation_id=event.conversation_id,
                    platform_message_id=event.platform_message_id,
                    signals=signals,
                )
                self.plugins.hooks.on_intent(intent, actions.conversation, actions)
            conversation = actions.conversation
        elif isinstance(event, MessageEcho) and event.source.value != "api":
            self.store.messages.append(
                _logged(event, Direction.OUTBOUND, sent_by=f"{event.source.value}-agent")
            )
        conversations.upsert(conversation)
        return Handled(
            event=event,
            conversation=conversation,
            inbound_decision=decision,
            signals=signals,
            replies=tuple(actions.replies),
            blocked_replies=tuple(actions.blocked),
            new_conversation=existing is None,
        )

    def _after_commit(self, handled: list[Handled]) -> None:
        for item in handled:
            if self._emit is not None:
                try:
                    self._emit(item)
                except Exception as exc:  # noqa: BLE001 - events must not stop processing
                    log.warning("event emission failed: %s", type(exc).__name__)
            for handler in self._handlers:
                try:
                    handler(item)
                except Exception as exc:  # noqa: BLE001 - an app bug must not stop the worker
                    self.metrics["handler_errors"] += 1
                    log.warning("application handler failed: %s", type(exc).__name__)

    def send_pending(self) -> int:
        """Deliver replies waiting in the outbox; log them and count them on the conversation."""
        done = self.client.resume()
        for record in done:
            if record.state is not OutboxState.SENT:
                continue
            with self.store.transaction():
                self.store.messages.append(
                    LoggedMessage(
                        channel=record.channel,
                        conversation_id=record.conversation_id,
                        direction=Direction.OUTBOUND,
                        at=record.updated_at,
                        platform_message_id=record.platform_message_id,
                        kind=record.content.kind.value,
                        text=getattr(record.content, "body", None),
                        automatic=record.sent_by == "automation",
                        sent_by=record.sent_by,
                        outbox_id=record.id,
                    )
                )
                conversation = self.store.conversations.get(record.channel, record.conversation_id)
                self.plugins.hooks.on_sent(record, conversation)
        return len(done)

    # -- lifecycle ----------------------------------------------------------------------------

    def _loop(self, step: Callable[[], int]) -> None:
        while not self._stop.is_set():
            try:
                busy = step()
            except Exception as exc:  # noqa: BLE001 - keep the worker alive; the row is kept
                log.warning("gateway worker step failed: %s", type(exc).__name__)
                busy = 0
            if not busy:
                self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        """Start the worker and the sender threads (idempotent)."""
        if self._threads:
            return
        self._stop.clear()
        for name, step in (("worker", self.process_pending), ("sender", self.send_pending)):
            thread = threading.Thread(
                target=self._loop, args=(step,), name=f"mmtkit-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def flush_events(self, timeout: float | None = 10.0) -> bool:
        """Deliver every conversion event emitted so far (True when all went out)."""
        if isinstance(self._emit, ConversionReporter):
            return self._emit.flush(timeout)
        return True

    def close(self) -> None:
        self.stop()
        self.plugins.hooks.shutdown()
        if isinstance(self._emit, ConversionReporter):
            self._emit.close()
        self.client.close()
        self.store.close()

    def drain(self, timeout: float = 10.0) -> None:
        """Process and send everything waiting now (tests, demos, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process_pending() and not self.send_pending():
                return
        raise TimeoutError("the gateway did not drain in time")

    # -- the ASGI app -------------------------------------------------------------------------

    def asgi(self, *, run_worker: bool = True) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            if run_worker:
                self.start()
            try:
                yield
            finally:
                self.stop()

        app = Starlette(
            routes=[
                Route("/webhooks/{channel}", self.receive, methods=["POST"]),
                Route("/webhooks/{channel}", self.handshake, methods=["GET"]),
                Route("/healthz", self.health, methods=["GET"]),
            ],
            lifespan=lifespan,
        )
        app.state.gateway = self
        return app


class ConversionReporter:
    """Turns what the gateway handled into conversion events (a new conversation, signals
    detected) and emits them in the background. Events carry ids and flags only; the mapping
    to event names is configuration (``[events.mapping]``), the sinks ``[events.<sink>]``."""

    def __init__(self, emitter: Emitter, mapping: EventMapping = DEFAULT_MAPPING) -> None:
        self.emitter = emitter
        self.mapping = mapping

    @classmethod
    def from_config(
        cls, events: Mapping[str, Any], plugins: PluginManager, store: Any
    ) -> ConversionReporter:
        factories = plugins.hooks.register_event_sinks()
        sinks = []
        for name, settings in events.items():
            if name == "mapping":
                continue
            factory = factories.get(name)
            if factory is None:
                known = ", ".join(sorted(factories)) or "none loaded"
                raise ConfigError(f"events.{name}: no event sink of that name (known: {known})")
            sinks.append(factory(**settings))
        mapping = EventMapping.from_mapping(events.get("mapping", {}))
        return cls(Emitter(sinks, dead_letters=store.event_dead_letters), mapping)

    def __call__(self, handled: Handled) -> None:
        happenings: list[Happening] = []
        at = handled.event.timestamp
        if handled.new_conversation:
            happenings.append(ConversationStarted(at=at))
        if handled.signals:
            happenings.append(SignalsDetected(signals=handled.signals, at=at))
        for happening in happenings:
            for event in conversion_events(
                happening, handled.conversation, self.mapping, signals=handled.signals
            ):
                self.emitter.emit(event)

    def flush(self, timeout: float | None = None) -> bool:
        return self.emitter.flush(timeout)

    def close(self) -> None:
        self.emitter.close()


def create_app(config: MmtkitConfig | str | Path, **options: Any) -> Starlette:
    """The gateway as an ASGI app; ``app.state.gateway`` is the :class:`Gateway`."""
    if not isinstance(config, MmtkitConfig):
        config = load_config(config)
    if not config.channels:
        raise ConfigError(f"{config.source or 'configuration'}: no [channels.*] configured")
    return Gateway.from_config(config, **options).asgi()
