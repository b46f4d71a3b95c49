"""CRM webhooks: events of the conversation, sent to a CRM as signed Standard Webhooks.

Events: ``conversation.started``, ``message.received``, ``signal.detected``, ``label.added``
(the labels the other plugins added while processing the message) and ``message.sent``
(through :meth:`CrmWebhooks.record_sent`, until a hook announces sends). Each is
*queued* in the store (:class:`~mmtkit.store.base.WebhookQueue`) inside the gateway's
processing transaction -- queued exactly when the message is committed, never blocking it --
and *delivered* later by :meth:`CrmWebhooks.deliver_pending` (a background thread with
:meth:`CrmWebhooks.start`): signed per attempt, retried on a schedule when the CRM fails, and
dead-lettered after the last attempt (``store.webhooks.list(state="dead")``, ``requeue``).

Payloads follow the Standard Webhooks shape ``{"type", "timestamp", "data"}`` and hold
identifiers, not message text, unless an endpoint sets ``include_text = true``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from attrs import field, frozen

from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.hookspecs import InboundActions, hookimpl
from mmtkit.messages import InboundEvent, MessageReceived
from mmtkit.outbox import OutboxRecord
from mmtkit.plugins.features.autoreplies import is_new_conversation
from mmtkit.plugins.features.settings import Reader
from mmtkit.plugins.features.signing import SigningSecret, signature_headers
from mmtkit.store.base import Store
from mmtkit.store.records import WebhookDelivery

__all__ = ["EVENT_TYPES", "RETRY_DELAYS", "CrmEndpoint", "CrmWebhooks", "parse_endpoints"]

log = logging.getLogger("mmtkit.features.crm")

EVENT_TYPES = (
    "conversation.started",
    "message.received",
    "message.sent",
    "signal.detected",
    "label.added",
)
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Waits after each failed attempt (the schedule Standard Webhooks' authors use): eight
attempts over about 28 hours, then the delivery is dead-lettered."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@frozen(kw_only=True)
class CrmEndpoint:
    name: str
    url: str
    secrets: tuple[SigningSecret, ...] = field(repr=lambda s: f"<{len(s)} secrets>")
    """Newest first; more than one while a secret is being rotated."""
    events: frozenset[str] = frozenset(EVENT_TYPES)
    include_text: bool = False
    timeout: float = 10.0


def parse_endpoints(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, where: str = "features.crm"
) -> tuple[CrmEndpoint, ...]:
    """``[[features.crm.endpoints]]`` tables; secrets come from the environment variables
    named in ``secrets_env`` (the config's rule: no secret in the file)."""
    environ = os.environ if env is None else env
    root = Reader(data, where)
    root.only("endpoints")
    found: list[CrmEndpoint] = []
    for item in root.tables("endpoints"):
        item.only("name", "url", "secrets_env", "events", "include_text", "timeout_seconds")
        url = item.text("url", required=True) or ""
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"{item.key('url')}: expected an http(s) URL")
        names = item.strings("secrets_env")
        if not names:
            raise ConfigError(f"{item.key('secrets_env')}: at least one environment variable")
        secrets = []
        for variable in names:
            if variable not in environ:
                raise ConfigError(
                    f"{item.key('secrets_env')}: environment variable {variable} is not set"
                )
            try:
                secrets.append(SigningSecret.parse(environ[variable]))
            except ConfigError as exc:
                raise ConfigError(f"{item.key('secrets_env')}: {variable}: {exc}") from None
        events = item.strings("events", EVENT_TYPES)
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            raise ConfigError(f"{item.key('events')}: unknown event {unknown[0]!r}")
        found.append(
            CrmEndpoint(
                name=item.text("name", f"crm{len(found)}") or "",
                url=url,
                secrets=tuple(secrets),
                events=frozenset(events),
                include_text=item.flag("include_text", False),
                timeout=item.number("timeout_seconds", 10, minimum=0.1),
            )
        )
    return tuple(found)


class CrmWebhooks:
    """The CRM plugin: queues events in ``store`` and delivers them to ``endpoints``."""

    def __init__(
        self,
        endpoints: Iterable[CrmEndpoint],
        store: Store,
        *,
        http: httpx.Client | None = None,
        now: Callable[[], datetime] = _utc_now,
        retry_delays: tuple[timedelta, ...] = RETRY_DELAYS,
    ) -> None:
        self.endpoints = {e.name: e for e in endpoints}
        self.store = store
        self.now = now
        self.retry_delays = retry_delays
        self._http = http or httpx.Client()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- queueing (inside the gateway's transaction) -----------------------------------------

    def _queue(self, event_type: str, data: Mapping[str, Any], text: str | None = None) -> None:
        moment = self.now()
        for endpoint in self.endpoints.values():
            if event_type not in endpoint.events:
                continue
            body = dict(data)
            if text is not None and endpoint.include_text:
                body["text"] = text
            payload = json.dumps(
                {"type": event_type, "timestamp": moment.isoformat(), "data": body},
                ensure_ascii=False,
                sort_keys=True,
            )
            self.store.webhooks.enqueue(
                endpoint=endpoint.name, event_type=event_type, payload=payload, now=moment
            )

    @hookimpl(trylast=True)
    def mmt_on_inbound(
        self, event: InboundEvent, conversation: Conversation, actions: InboundActions
    ) -> None:
        if not isinstance(event, MessageReceived):
            return
        ids = {"channel": event.channel.value, "conversation_id": event.conversation_id}
        if is_new_conversation(conversation, event.timestamp):
            self._queue(
                "conversation.started",
                {**ids, "customer_id": event.customer_id, "at": event.timestamp.isoformat()},
            )
        self._queue(
            "message.received",
            {
                **ids,
                "customer_id": event.customer_id,
                "platform_message_id": event.platform_message_id,
                "kind": event.kind.value,
                "at": event.timestamp.isoformat(),
            },
            text=event.text,
        )
        for signal in actions.signals:
            self._queue("signal.detected", {**ids, "signal": signal.name, "value": signal.value})
        # Runs last (trylast), so the labels the other plugins added are on the conversation
        # the gateway's actions carry.
        after: Conversation = getattr(actions, "conversation", conversation)
        for label in sorted(after.labels - conversation.labels):
            self._queue("label.added", {**ids, "label": label})

    @hookimpl
    def mmt_shutdown(self) -> None:
        """The host stops: stop delivering (and let go of the HTTP client) before it closes
        the store."""
        self.close()

    @hookimpl
    def mmt_on_sent(self, record: OutboxRecord) -> None:
        """The host announces every delivered send: queue ``message.sent``."""
        self.record_sent(record)

    def record_sent(self, record: OutboxRecord) -> None:
        """Queue ``message.sent`` for a message the outbox delivered. No hook announces sends
        yet, so whoever runs the sender calls this (in the transaction that logs the send)."""
        self._queue(
            "message.sent",
            {
                "channel": record.channel.value,
                "conversation_id": record.conversation_id,
                "platform_message_id": record.platform_message_id,
                "kind": record.content.kind.value,
                "sent_by": record.sent_by,
                "automatic": record.sent_by == "automation",
                "at": record.updated_at.isoformat(),
            },
            text=getattr(record.content, "body", None),
        )

    # -- delivery (outside any transaction) --------------------------------------------------

    def _attempt(self, delivery: WebhookDelivery) -> str | None:
        """Send once; None on success, else the error to keep (no body, no secret)."""
        endpoint = self.endpoints.get(delivery.endpoint)
        if endpoint is None:
            return f"endpoint {delivery.endpoint!r} is no longer configured"
        body = delivery.payload.encode()
        timestamp = int(self.now().timestamp())
        headers = signature_headers(endpoint.secrets, delivery.webhook_id, timestamp, body)
        try:
            answer = self._http.post(
                endpoint.url, content=body, headers=headers, timeout=endpoint.timeout
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}"

    def deliver_pending(self, limit: int = 100) -> int:
        """Attempt every delivery that is due; returns how many were attempted."""
        due = self.store.webhooks.due(self.now(), limit=limit)
        for delivery in due:
            error = self._attempt(delivery)
            if error is None:
                self.store.webhooks.delivered(delivery.id, self.now())
                continue
            attempt = delivery.attempts
            retry_at = (
                self.now() + self.retry_delays[attempt]
                if attempt < len(self.retry_delays)
                else None
            )
            self.store.webhooks.failed(delivery.id, error=error, retry_at=retry_at)
            log.warning(
                "CRM webhook delivery failed",
                extra={
                    "endpoint": delivery.endpoint,
                    "webhook_id": delivery.webhook_id,
                    "error": error,
                    "dead": retry_at is None,
                },
            )
        return len(due)

    def start(self, poll_seconds: float = 1.0) -> None:
        """Deliver in a background thread until :meth:`stop` (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    busy = self.deliver_pending()
                except Exception as exc:  # noqa: BLE001 - keep delivering; rows are kept
                    log.warning("CRM webhook delivery step failed: %s", type(exc).__name__)
                    busy = 0
                if not busy:
                    self._stop.wait(poll_seconds)

        self._thread = threading.Thread(target=loop, name="mmtkit-crm-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._http.close()
