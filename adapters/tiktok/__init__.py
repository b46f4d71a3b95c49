"""TikTok Business Messaging (direct messages) as an mmtkit adapter plugin.

Loaded through the ``mmtkit`` entry point ``tiktok``, exactly like a third-party adapter.
See ``docs/adapters/tiktok.md`` for content kinds, limits, events and error mapping.
"""

from __future__ import annotations

from collections.abc import Callable

from mmtkit.adapter import Adapter
from mmtkit.adapters.tiktok.adapter import TikTokAdapter
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Channel

__all__ = ["TikTokAdapter", "mmt_register_adapters"]


@hookimpl
def mmt_register_adapters(register: Callable[[Channel, Callable[..., Adapter]], None]) -> None:
    register(Channel.TIKTOK, TikTokAdapter)
