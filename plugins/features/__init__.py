"""The Messaging Partner features, built as ordinary plugins on the public hooks.

What TikTok lists as an MMT's job (seed 001: "conversation labelling, advance filtering,
auto-replies, keyword generated auto-replies, order and reservation management, and direct
connection with CRMs") and the response-time rules of the TikTok Shop Customer Service Policy
(seed 002 §5-6):

* :class:`~.autoreplies.AutoReplies` -- welcome, keyword replies, away and holiday mode;
* :class:`~.labels.Labeller` -- labels from keywords, signals and inbound compliance flags;
* :class:`~.assignment.Assigner` -- an owner per channel for new conversations;
* :mod:`.report` -- ``mmtkit report``, the KPIs of :mod:`mmtkit.kpis` (an entry point).

The first three need settings, so they are objects built from the ``[features]`` table of
``mmtkit.toml``: this package's ``mmt_configure`` registers them when a host (the gateway) is
built from configuration; from code::

    from mmtkit.plugins.features import register_features
    register_features(manager, config_table)

Each is also a readable example of a third-party plugin: a class with ``@hookimpl`` methods
that acts only through ``actions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mmtkit.config import MmtkitConfig
from mmtkit.hookspecs import hookimpl
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.features.assignment import Assigner
from mmtkit.plugins.features.autoreplies import AutoReplies
from mmtkit.plugins.features.crm import CrmWebhooks, parse_endpoints
from mmtkit.plugins.features.labels import Labeller
from mmtkit.plugins.features.settings import FeatureSettings

__all__ = [
    "Assigner",
    "AutoReplies",
    "FeatureSettings",
    "Labeller",
    "feature_plugins",
    "register_features",
]


def feature_plugins(settings: FeatureSettings) -> dict[str, object]:
    """The feature plugins these settings turn on, by the name to register them under.
    Labels are always on (their defaults only read signals and flags)."""
    plugins: dict[str, object] = {"features_labels": Labeller(settings)}
    if settings.auto_replies_enabled:
        plugins["features_auto_replies"] = AutoReplies(settings)
    if settings.assignment.by_channel:
        plugins["features_assignment"] = Assigner(settings)
    return plugins


def register_features(
    manager: PluginManager, settings: FeatureSettings | Mapping[str, Any]
) -> FeatureSettings:
    """Validate ``settings`` (a :class:`FeatureSettings` or the ``[features]`` mapping) and
    register the plugins they turn on; returns the validated settings."""
    if not isinstance(settings, FeatureSettings):
        settings = FeatureSettings.from_mapping(settings)
    for name, plugin in feature_plugins(settings).items():
        manager.register(plugin, name=name)
    return settings


@hookimpl
def mmt_configure(
    config: MmtkitConfig, register: Callable[[object, str], None], store: Any
) -> None:
    """Turn the ``[features]`` table into registered plugins. Labels from signals and
    inbound flags are on even without a table: their defaults need no texts. With a
    ``[features.crm]`` table and a store, CRM webhooks are queued in the store and delivered
    by a background thread (stopped when the host shuts down)."""
    settings = FeatureSettings.from_mapping(config.features)
    for name, plugin in feature_plugins(settings).items():
        register(plugin, name)
    crm_table = config.features.get("crm")
    if crm_table is not None and store is not None:
        crm = CrmWebhooks(parse_endpoints(crm_table), store)
        register(crm, "features_crm")
        crm.start()  # stopped by its mmt_shutdown when the host closes
