"""mmtkit: the SDK Messaging Partners (MMTs) are built on.

The public names below are imported lazily, so ``import mmtkit`` stays cheap for a CLI or a
web worker that needs only part of the SDK (see ``bench/import_time.py``).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# A library configures no logging; applications decide where mmtkit's records go.
logging.getLogger("mmtkit").addHandler(logging.NullHandler())

_EXPORTS: dict[str, str] = {
    # messages
    "Channel": "mmtkit.messages",
    "Text": "mmtkit.messages",
    "Image": "mmtkit.messages",
    "SharePost": "mmtkit.messages",
    "MessageReceived": "mmtkit.messages",
    "MessageEcho": "mmtkit.messages",
    "ReadReport": "mmtkit.messages",
    "DeliveryReport": "mmtkit.messages",
    "AdReferral": "mmtkit.messages",
    "UnknownEvent": "mmtkit.messages",
    # capabilities and conversations
    "Capabilities": "mmtkit.capabilities",
    "DEFAULT_CAPABILITIES": "mmtkit.capabilities",
    "Conversation": "mmtkit.conversation",
    "can_send": "mmtkit.conversation",
    # policy
    "Decision": "mmtkit.policy",
    "Violation": "mmtkit.policy",
    "PolicyContext": "mmtkit.policy",
    "PolicyEngine": "mmtkit.policy",
    # plugins
    "PluginManager": "mmtkit.plugin_manager",
    "hookimpl": "mmtkit.hookspecs",
    "forwards_to": "mmtkit.hookspecs",
    # errors
    "MmtkitError": "mmtkit.errors",
}

__all__ = [
    "DEFAULT_CAPABILITIES",
    "AdReferral",
    "Capabilities",
    "Channel",
    "Conversation",
    "Decision",
    "DeliveryReport",
    "Image",
    "MessageEcho",
    "MessageReceived",
    "MmtkitError",
    "PluginManager",
    "PolicyContext",
    "PolicyEngine",
    "ReadReport",
    "SharePost",
    "Text",
    "UnknownEvent",
    "Violation",
    "__version__",
    "can_send",
    "forwards_to",
    "hookimpl",
]

if TYPE_CHECKING:
    from mmtkit.capabilities import DEFAULT_CAPABILITIES, Capabilities
    from mmtkit.conversation import Conversation, can_send
    from mmtkit.errors import MmtkitError
    from mmtkit.hookspecs import forwards_to, hookimpl
    from mmtkit.messages import (
        AdReferral,
        Channel,
        DeliveryReport,
        Image,
        MessageEcho,
        MessageReceived,
        ReadReport,
        SharePost,
        Text,
        UnknownEvent,
    )
    from mmtkit.plugin_manager import PluginManager
    from mmtkit.policy import Decision, PolicyContext, PolicyEngine, Violation


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mmtkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
