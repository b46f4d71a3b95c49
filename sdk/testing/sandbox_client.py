"""Wire mmtkit's clients to a running sandbox, with the credentials the sandbox accepts.

The emulator itself never imports the adapters (so the two cannot share a misreading); this
module is the bridge a user's tests want: ``channel_setups(sandbox)`` gives one
:class:`~mmtkit.client.ChannelSetup` per platform, built through the plugin manager like
any configured client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmtkit.client import ChannelSetup
from mmtkit.credentials import StaticCredentials
from mmtkit.messages import Channel
from mmtkit.plugin_manager import PluginManager

if TYPE_CHECKING:
    from mmtkit.sandbox import Sandbox

__all__ = ["channel_setups"]


def channel_setups(
    sandbox: Sandbox, plugins: PluginManager | None = None
) -> dict[Channel, ChannelSetup]:
    """TikTok, WhatsApp and Messenger as the sandbox's configuration defines them (its first
    business account, phone number and page)."""
    manager = plugins or PluginManager.with_entry_points()
    config = sandbox.config
    business, tiktok_token = next(iter(config.tiktok.access_tokens.items()))
    phone = next(iter(config.whatsapp.phone_numbers))
    page, page_token = next(iter(config.messenger.page_tokens.items()))
    graph = sandbox.graph_base_url.rstrip("/")
    wanted = {
        Channel.TIKTOK: (
            {
                "base_url": sandbox.tiktok_base_url,
                "account_id": business,
                "app_secret": config.tiktok.app_secret,
            },
            tiktok_token,
        ),
        Channel.WHATSAPP: (
            {"base_url": graph, "account_id": phone, "app_secret": config.whatsapp.app_secret},
            config.whatsapp.access_token,
        ),
        Channel.MESSENGER: (
            {"base_url": graph, "account_id": page, "app_secret": config.messenger.app_secret},
            page_token,
        ),
    }
    return {
        channel: ChannelSetup(
            adapter=manager.create_adapter(channel, **settings),
            credentials=StaticCredentials(token),
        )
        for channel, (settings, token) in wanted.items()
    }
