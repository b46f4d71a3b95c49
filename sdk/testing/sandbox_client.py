"""Wire mmtkit's clients to a running sandbox, with the credentials the sandbox accepts.

The emulator itself never imports the adapters (so the two cannot share a misreading); this
module is the bridge a user's tests want: ``channel_setups(sandbox)`` gives one
:class:`~mmtkit.client.ChannelSetup` per platform, built through the plugin manager like
any configured client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from attrs import field, frozen

from mmtkit.client import ChannelSetup
from mmtkit.credentials import StaticCredentials
from mmtkit.messages import Channel
from mmtkit.plugin_manager import PluginManager

if TYPE_CHECKING:
    from mmtkit.sandbox import Sandbox

__all__ = ["SandboxAccount", "channel_setups", "sandbox_accounts"]


@frozen(kw_only=True)
class SandboxAccount:
    """One platform account the sandbox accepts: adapter settings and the token to use."""

    settings: Mapping[str, str]
    """``base_url``, ``account_id`` and ``app_secret`` for the channel's adapter."""
    token: str = field(repr=False)


def sandbox_accounts(sandbox: Sandbox) -> dict[Channel, SandboxAccount]:
    """TikTok, WhatsApp and Messenger as the sandbox's configuration defines them (its first
    business account, phone number and page), derived from that configuration."""
    config = sandbox.config
    business, tiktok_token = next(iter(config.tiktok.access_tokens.items()))
    page, page_token = next(iter(config.messenger.page_tokens.items()))
    graph = sandbox.graph_base_url.rstrip("/")
    return {
        Channel.TIKTOK: SandboxAccount(
            settings={
                "base_url": sandbox.tiktok_base_url,
                "account_id": business,
                "app_secret": config.tiktok.app_secret,
            },
            token=tiktok_token,
        ),
        Channel.WHATSAPP: SandboxAccount(
            settings={
                "base_url": graph,
                "account_id": next(iter(config.whatsapp.phone_numbers)),
                "app_secret": config.whatsapp.app_secret,
            },
            token=config.whatsapp.access_token,
        ),
        Channel.MESSENGER: SandboxAccount(
            settings={
                "base_url": graph,
                "account_id": page,
                "app_secret": config.messenger.app_secret,
            },
            token=page_token,
        ),
    }


def channel_setups(
    sandbox: Sandbox, plugins: PluginManager | None = None
) -> dict[Channel, ChannelSetup]:
    """A :class:`~mmtkit.client.ChannelSetup` per platform for :func:`sandbox_accounts`."""
    manager = plugins or PluginManager.with_entry_points()
    return {
        channel: ChannelSetup(
            adapter=manager.create_adapter(channel, **account.settings),
            credentials=StaticCredentials(account.token),
        )
        for channel, account in sandbox_accounts(sandbox).items()
    }
