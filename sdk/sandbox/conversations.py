"""Which conversations customers opened, and whether the business may still write in them.

The emulator knows a conversation is open only because a simulated customer wrote (or a test
opened it through the control API), exactly like the platforms: the business can never start
one. Each platform keys a conversation differently: TikTok by ``conversation_id``, WhatsApp by
the customer's ``wa_id``, Messenger by the PSID; here that key is ``conversation_id``.
"""

from __future__ import annotations

import enum
import threading
from typing import Any

from attrs import define, field

__all__ = ["ConversationState", "Conversations", "SendVerdict"]


class SendVerdict(enum.Enum):
    OK = "ok"
    NOT_OPENED = "not_opened"
    WINDOW_CLOSED = "window_closed"
    QUOTA_USED = "quota_used"


@define
class ConversationState:
    platform: str
    account: str
    conversation_id: str
    customer: str
    opened_at: float
    last_customer_at: float
    business_sent_in_window: int = 0
    history: list[dict[str, Any]] = field(factory=list)


class Conversations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str, str], ConversationState] = {}

    def customer_wrote(
        self, platform: str, account: str, conversation_id: str, customer: str, at: float
    ) -> ConversationState:
        """Open the conversation, or re-open its window and reset the business quota."""
        key = (platform, account, conversation_id)
        with self._lock:
            state = self._by_key.get(key)
            if state is None:
                state = ConversationState(platform, account, conversation_id, customer, at, at)
                self._by_key[key] = state
            state.last_customer_at = max(state.last_customer_at, at)
            state.business_sent_in_window = 0
            return state

    def get(self, platform: str, account: str, conversation_id: str) -> ConversationState | None:
        with self._lock:
            return self._by_key.get((platform, account, conversation_id))

    def list(self, platform: str, account: str) -> list[ConversationState]:
        with self._lock:
            found = [s for (p, a, _), s in self._by_key.items() if p == platform and a == account]
        return sorted(found, key=lambda s: s.last_customer_at, reverse=True)

    def try_send(
        self,
        platform: str,
        account: str,
        conversation_id: str,
        *,
        now: float,
        window_seconds: float,
        quota: int | None = None,
    ) -> SendVerdict:
        """Check the window (and quota) and, when allowed, count the send: one atomic step."""
        with self._lock:
            state = self._by_key.get((platform, account, conversation_id))
            if state is None:
                return SendVerdict.NOT_OPENED
            if now > state.last_customer_at + window_seconds:
                return SendVerdict.WINDOW_CLOSED
            if quota is not None and state.business_sent_in_window >= quota:
                return SendVerdict.QUOTA_USED
            state.business_sent_in_window += 1
            return SendVerdict.OK

    def remember(
        self, platform: str, account: str, conversation_id: str, item: dict[str, Any]
    ) -> None:
        """Keep a message in the conversation's history (TikTok's content list serves it)."""
        with self._lock:
            state = self._by_key.get((platform, account, conversation_id))
            if state is not None:
                state.history.append(item)

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()
