"""Simulated customers: they open conversations, click ads and read, by signed webhook.

On every platform only the customer can start a conversation, so this is how a test (or a
benchmark) gets one: each action records what the platform would record (the conversation
opens, the window restarts, the inbound message enters the ledger) and posts the webhook the
platform would post to the configured gateway URL, signed with the app secret.

Each action exists twice over one implementation: ``prepare(action, **kwargs)`` returns the
result and the webhooks (used by the HTTP control API, which posts them asynchronously) and the
named methods (``tiktok_message(...)``) post them synchronously for Python tests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from attrs import asdict, field, frozen

from mmtkit.errors import MmtkitError
from mmtkit.sandbox import ids, meta_webhooks, tiktok_webhooks
from mmtkit.sandbox.delivery import Attempt, Webhook

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["CustomerAction", "Customers", "UnknownAction"]


class UnknownAction(MmtkitError, LookupError):
    def __init__(self, action: str, known: list[str]) -> None:
        super().__init__(f"no customer action {action!r}; known: {', '.join(sorted(known))}")
        self.action = action


def _attempts(value: Iterable[Attempt]) -> tuple[Attempt, ...]:
    return tuple(value)


@frozen
class CustomerAction:
    """What a simulated customer did: where, as whom, and how the gateway answered."""

    platform: str
    kind: str
    account: str
    conversation_id: str
    customer: str
    message_id: str | None = None
    attempts: tuple[Attempt, ...] = field(default=(), converter=_attempts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@frozen
class Prepared:
    action: CustomerAction
    webhooks: tuple[Webhook, ...]


def _first(mapping: dict[str, str], what: str) -> str:
    if not mapping:
        raise MmtkitError(f"the sandbox configuration has no {what}")
    return next(iter(mapping))


class Customers:
    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator
        self._actions: dict[str, Callable[..., Prepared]] = {
            "open_conversation": self._open,
            "tiktok_message": self._tiktok_message,
            "tiktok_ad_referral": self._tiktok_referral,
            "tiktok_read": self._tiktok_read,
            "whatsapp_message": self._whatsapp_message,
            "whatsapp_read": self._whatsapp_read,
            "messenger_message": self._messenger_message,
            "messenger_ad_referral": self._messenger_referral,
            "messenger_read": self._messenger_read,
        }

    # --- the two ways in --------------------------------------------------------------------

    def prepare(self, action: str, **kwargs: Any) -> Prepared:
        """Record ``action`` and build its webhooks without posting them."""
        try:
            build = self._actions[action]
        except KeyError:
            raise UnknownAction(action, list(self._actions)) from None
        return build(**kwargs)

    async def perform(self, action: str, **kwargs: Any) -> CustomerAction:
        """Record and post (inside an event loop: the control API)."""
        prepared = self.prepare(action, **kwargs)
        url = self._emu.config.webhook_url(prepared.action.platform)
        if not url or not prepared.webhooks:
            return prepared.action
        attempts = await self._emu.delivery.post(url, prepared.webhooks)
        return _with_attempts(prepared.action, attempts)

    def _run(self, action: str, **kwargs: Any) -> CustomerAction:
        prepared = self.prepare(action, **kwargs)
        url = self._emu.config.webhook_url(prepared.action.platform)
        if not url or not prepared.webhooks:
            return prepared.action
        return _with_attempts(prepared.action, self._emu.delivery.post_sync(url, prepared.webhooks))

    # --- the Python API ---------------------------------------------------------------------

    def open_conversation(self, platform: str, **kwargs: Any) -> CustomerAction:
        """Open a conversation as if the customer had written, without posting a webhook."""
        return self._run("open_conversation", platform=platform, **kwargs)

    def tiktok_message(self, text: str = "Hello!", **kwargs: Any) -> CustomerAction:
        return self._run("tiktok_message", text=text, **kwargs)

    def tiktok_ad_referral(self, ad_id: str, **kwargs: Any) -> CustomerAction:
        return self._run("tiktok_ad_referral", ad_id=ad_id, **kwargs)

    def tiktok_read(self, conversation_id: str, **kwargs: Any) -> CustomerAction:
        return self._run("tiktok_read", conversation_id=conversation_id, **kwargs)

    def whatsapp_message(self, text: str = "Hello!", **kwargs: Any) -> CustomerAction:
        return self._run("whatsapp_message", text=text, **kwargs)

    def whatsapp_read(self, message_id: str, wa_id: str, **kwargs: Any) -> CustomerAction:
        return self._run("whatsapp_read", message_id=message_id, wa_id=wa_id, **kwargs)

    def messenger_message(self, text: str = "Hello!", **kwargs: Any) -> CustomerAction:
        return self._run("messenger_message", text=text, **kwargs)

    def messenger_ad_referral(self, ad_id: str, **kwargs: Any) -> CustomerAction:
        return self._run("messenger_ad_referral", ad_id=ad_id, **kwargs)

    def messenger_read(self, psid: str, **kwargs: Any) -> CustomerAction:
        return self._run("messenger_read", psid=psid, **kwargs)

    # --- the actions ------------------------------------------------------------------------

    def _opened(
        self,
        platform: str,
        account: str,
        conversation_id: str,
        customer: str,
        message_id: str,
        text: str | None,
    ) -> None:
        now = self._emu.clock.now()
        self._emu.conversations.customer_wrote(platform, account, conversation_id, customer, now)
        self._emu.ledger.record(
            platform=platform,
            kind="message",
            direction="inbound",
            platform_id=message_id,
            account=account,
            conversation=conversation_id,
            payload={} if text is None else {"text": text},
            at=now,
        )
        self._emu.conversations.remember(
            platform,
            account,
            conversation_id,
            {"message_id": message_id, "direction": "inbound", "text": text, "at": now},
        )

    def _open(
        self,
        platform: str,
        account: str | None = None,
        customer: str | None = None,
        conversation_id: str | None = None,
    ) -> Prepared:
        cfg = self._emu.config
        if platform == "tiktok":
            account = account or _first(cfg.tiktok.access_tokens, "tiktok.access_tokens")
            customer = customer or "u" + secrets.token_hex(6)
            conversation_id = conversation_id or ids.tiktok_conversation_id()
            message_id = ids.tiktok_id()
        elif platform == "whatsapp":
            account = account or _first(cfg.whatsapp.phone_numbers, "whatsapp.phone_numbers")
            customer = customer or _phone()
            conversation_id = customer
            message_id = ids.wamid()
        elif platform == "messenger":
            account = account or _first(cfg.messenger.page_tokens, "messenger.page_tokens")
            customer = customer or _psid()
            conversation_id = customer
            message_id = ids.messenger_mid()
        else:
            raise MmtkitError(f"unknown platform {platform!r}; use tiktok, whatsapp or messenger")
        self._opened(platform, account, conversation_id, customer, message_id, None)
        action = CustomerAction(platform, "open", account, conversation_id, customer, message_id)
        return Prepared(action, ())

    def _tiktok_message(
        self,
        text: str,
        business_id: str | None = None,
        conversation_id: str | None = None,
        user_id: str | None = None,
        username: str | None = None,
    ) -> Prepared:
        tiktok = self._emu.config.tiktok
        business_id = business_id or _first(tiktok.access_tokens, "tiktok.access_tokens")
        conversation_id = conversation_id or ids.tiktok_conversation_id()
        user_id = user_id or "u" + secrets.token_hex(6)
        message_id = ids.tiktok_id()
        self._opened("tiktok", business_id, conversation_id, user_id, message_id, text)
        hook = tiktok_webhooks.message(
            tiktok,
            business_id=business_id,
            conversation_id=conversation_id,
            message_id=message_id,
            user_id=user_id,
            username=username or f"customer_{user_id}",
            text=text,
            now=self._emu.clock.now(),
        )
        action = CustomerAction(
            "tiktok", "message", business_id, conversation_id, user_id, message_id
        )
        return Prepared(action, (hook,))

    def _tiktok_referral(
        self,
        ad_id: str,
        advertiser_id: str = "7000000000000000001",
        ad_name: str = "Sandbox ad",
        business_id: str | None = None,
        conversation_id: str | None = None,
        user_id: str | None = None,
        username: str | None = None,
    ) -> Prepared:
        tiktok = self._emu.config.tiktok
        business_id = business_id or _first(tiktok.access_tokens, "tiktok.access_tokens")
        conversation_id = conversation_id or ids.tiktok_conversation_id()
        user_id = user_id or "u" + secrets.token_hex(6)
        hook = tiktok_webhooks.referral(
            tiktok,
            business_id=business_id,
            conversation_id=conversation_id,
            user_id=user_id,
            username=username or f"customer_{user_id}",
            ad_id=ad_id,
            advertiser_id=advertiser_id,
            ad_name=ad_name,
            now=self._emu.clock.now(),
        )
        action = CustomerAction("tiktok", "ad_referral", business_id, conversation_id, user_id)
        return Prepared(action, (hook,))

    def _tiktok_read(
        self, conversation_id: str, business_id: str | None = None, user_id: str | None = None
    ) -> Prepared:
        tiktok = self._emu.config.tiktok
        business_id = business_id or _first(tiktok.access_tokens, "tiktok.access_tokens")
        state = self._emu.conversations.get("tiktok", business_id, conversation_id)
        user_id = user_id or (state.customer if state else "u" + secrets.token_hex(6))
        hook = tiktok_webhooks.read(
            tiktok,
            business_id=business_id,
            conversation_id=conversation_id,
            user_id=user_id,
            now=self._emu.clock.now(),
        )
        action = CustomerAction("tiktok", "read", business_id, conversation_id, user_id)
        return Prepared(action, (hook,))

    def _whatsapp_message(
        self,
        text: str,
        wa_id: str | None = None,
        name: str = "Sandbox Customer",
        phone_number_id: str | None = None,
        ctwa_clid: str | None = None,
        source_id: str = "120200000000000001",
    ) -> Prepared:
        wa = self._emu.config.whatsapp
        phone_number_id = phone_number_id or _first(wa.phone_numbers, "whatsapp.phone_numbers")
        wa_id = wa_id or _phone()
        message_id = ids.wamid()
        self._opened("whatsapp", phone_number_id, wa_id, wa_id, message_id, text)
        referral = None
        if ctwa_clid is not None:
            referral = {
                "source_url": "https://fb.me/sandbox",
                "source_type": "ad",
                "source_id": source_id,
                "headline": "Sandbox ad",
                "body": "Chat with us",
                "media_type": "image",
                "image_url": "https://example.invalid/ad.png",
                "ctwa_clid": ctwa_clid,
            }
        hook = meta_webhooks.whatsapp_message(
            wa,
            phone_number_id=phone_number_id,
            wa_id=wa_id,
            name=name,
            message_id=message_id,
            text=text,
            now=self._emu.clock.now(),
            referral=referral,
        )
        action = CustomerAction("whatsapp", "message", phone_number_id, wa_id, wa_id, message_id)
        return Prepared(action, (hook,))

    def _whatsapp_read(
        self, message_id: str, wa_id: str, phone_number_id: str | None = None
    ) -> Prepared:
        wa = self._emu.config.whatsapp
        phone_number_id = phone_number_id or _first(wa.phone_numbers, "whatsapp.phone_numbers")
        hook = meta_webhooks.whatsapp_status(
            wa,
            phone_number_id=phone_number_id,
            wa_id=wa_id,
            message_id=message_id,
            status="read",
            now=self._emu.clock.now(),
        )
        action = CustomerAction("whatsapp", "read", phone_number_id, wa_id, wa_id, message_id)
        return Prepared(action, (hook,))

    def _messenger_message(
        self, text: str, psid: str | None = None, page_id: str | None = None
    ) -> Prepared:
        ms = self._emu.config.messenger
        page_id = page_id or _first(ms.page_tokens, "messenger.page_tokens")
        psid = psid or _psid()
        mid = ids.messenger_mid()
        self._opened("messenger", page_id, psid, psid, mid, text)
        hook = meta_webhooks.messenger_message(
            ms, page_id=page_id, psid=psid, mid=mid, text=text, now=self._emu.clock.now()
        )
        return Prepared(CustomerAction("messenger", "message", page_id, psid, psid, mid), (hook,))

    def _messenger_referral(
        self,
        ad_id: str,
        psid: str | None = None,
        page_id: str | None = None,
        ref: str = "sandbox-ref",
        ad_title: str = "Sandbox ad",
    ) -> Prepared:
        ms = self._emu.config.messenger
        page_id = page_id or _first(ms.page_tokens, "messenger.page_tokens")
        psid = psid or _psid()
        hook = meta_webhooks.messenger_referral(
            ms,
            page_id=page_id,
            psid=psid,
            ad_id=ad_id,
            ref=ref,
            ad_title=ad_title,
            now=self._emu.clock.now(),
        )
        return Prepared(CustomerAction("messenger", "ad_referral", page_id, psid, psid), (hook,))

    def _messenger_read(self, psid: str, page_id: str | None = None) -> Prepared:
        ms = self._emu.config.messenger
        page_id = page_id or _first(ms.page_tokens, "messenger.page_tokens")
        hook = meta_webhooks.messenger_read(
            ms, page_id=page_id, psid=psid, now=self._emu.clock.now()
        )
        return Prepared(CustomerAction("messenger", "read", page_id, psid, psid), (hook,))


def _with_attempts(action: CustomerAction, attempts: list[Attempt]) -> CustomerAction:
    return CustomerAction(
        action.platform,
        action.kind,
        action.account,
        action.conversation_id,
        action.customer,
        action.message_id,
        tuple(attempts),
    )


def _phone() -> str:
    return "1555" + str(1_000_000 + secrets.randbelow(8_999_999))


def _psid() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))
