"""One configuration file, ``mmtkit.toml``, validated on load.

Secrets never live in the file: a key ending in ``_env`` names the environment variable that
holds the value (``app_secret_env = "TIKTOK_APP_SECRET"``), and the loaded values are kept out
of every ``repr`` and log line. Every error names the key and says what is wrong with it::

    ConfigError: channels.tiktok.app_secret_env: environment variable TIKTOK_APP_SECRET is not set

Example::

    [store]
    path = "mmtkit.sqlite3"

    [gateway]
    max_body_bytes = 3145728

    [channels.tiktok]
    account_id = "7123..."
    app_secret_env = "TIKTOK_APP_SECRET"
    access_token_env = "TIKTOK_ACCESS_TOKEN"

    [policy]
    disabled = ["unsolicited_marketing"]
    severities = { off_platform_diversion = "warn" }
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import field, frozen

from mmtkit.errors import ConfigError
from mmtkit.messages import Channel
from mmtkit.policy import PolicyConfig, Severity

__all__ = [
    "ChannelSettings",
    "GatewaySettings",
    "MmtkitConfig",
    "StoreSettings",
    "load_config",
    "parse_config",
]

MB = 1024 * 1024
_TOKEN_KEYS = ("access_token", "refresh_token")


@frozen(kw_only=True)
class ChannelSettings:
    """One channel: adapter settings (public) and secrets (kept out of reprs)."""

    channel: Channel
    adapter: Mapping[str, Any] = field(factory=dict)
    secrets: Mapping[str, str] = field(factory=dict, repr=lambda s: f"<{len(s)} secrets>")
    token_file: str | None = None

    def adapter_settings(self) -> dict[str, Any]:
        """What the adapter factory takes: public settings plus the webhook secrets."""
        settings = dict(self.adapter)
        for key in ("app_secret", "verify_token", "client_secret"):
            if key in self.secrets:
                settings[key] = self.secrets[key]
        return settings


@frozen(kw_only=True)
class StoreSettings:
    path: str = "mmtkit.sqlite3"
    synchronous: str = "NORMAL"


@frozen(kw_only=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 3 * MB
    max_attempts: int = 5
    """Processing attempts of one webhook before it is dead-lettered."""
    poll_seconds: float = 0.05
    """How long the worker sleeps when the inbox is empty."""
    lease_seconds: float = 30.0
    """How long a claimed webhook stays one worker's: after a crash, another worker (or the
    restarted one) takes it over once this has passed. Processing takes milliseconds."""


@frozen(kw_only=True)
class MmtkitConfig:
    channels: Mapping[Channel, ChannelSettings] = field(factory=dict)
    store: StoreSettings = field(factory=StoreSettings)
    gateway: GatewaySettings = field(factory=GatewaySettings)
    policy: PolicyConfig = field(factory=PolicyConfig)
    signals: Mapping[str, Any] = field(factory=dict)
    events: Mapping[str, Any] = field(factory=dict)
    """Per sink name (``tiktok_events``, ``meta_capi``): settings for the event sinks."""
    features: Mapping[str, Any] = field(factory=dict)
    """The MMT feature plugins' table (auto-replies, labels, KPIs, CRM); they validate it."""
    source: str | None = None
    """The file it was loaded from, for messages."""


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> MmtkitConfig:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, env=env, source=str(file))


def parse_config(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: str | None = None
) -> MmtkitConfig:
    environ = os.environ if env is None else env
    known = {"channels", "store", "gateway", "policy", "signals", "events", "features"}
    _no_unknown(data, known, "")
    return MmtkitConfig(
        channels=_channels(_table(data, "channels"), environ),
        store=_store(_table(data, "store")),
        gateway=_gateway(_table(data, "gateway")),
        policy=_policy(_table(data, "policy")),
        signals=dict(_table(data, "signals")),
        events=_events(_table(data, "events"), environ),
        features=dict(_table(data, "features")),
        source=source,
    )


# --- sections ---------------------------------------------------------------------------------


def _table(data: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}{key}: must be a table, got {type(value).__name__}")
    return value


def _no_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{where}{unknown[0]}: unknown key (known here: {', '.join(sorted(known))})"
        )


def _secret(key: str, variable: Any, environ: Mapping[str, str], where: str) -> str:
    if not isinstance(variable, str) or not variable:
        raise ConfigError(f"{where}{key}: must name an environment variable")
    value = environ.get(variable)
    if not value:
        raise ConfigError(f"{where}{key}: environment variable {variable} is not set")
    return value


def _channels(
    table: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[Channel, ChannelSettings]:
    channels: dict[Channel, ChannelSettings] = {}
    for name, raw in table.items():
        where = f"channels.{name}."
        try:
            channel = Channel(name)
        except ValueError:
            names = ", ".join(c.value for c in Channel)
            raise ConfigError(f"channels.{name}: unknown channel (use one of {names})") from None
        if not isinstance(raw, Mapping):
            raise ConfigError(f"channels.{name}: must be a table")
        adapter: dict[str, Any] = {}
        secrets: dict[str, str] = {}
        token_file = None
        for key, value in raw.items():
            if key.endswith("_env"):
                secrets[key.removesuffix("_env")] = _secret(key, value, environ, where)
            elif key in _TOKEN_KEYS or key in {"app_secret", "client_secret", "verify_token"}:
                raise ConfigError(
                    f'{where}{key}: secrets do not go in the file; use {key}_env = "VARIABLE"'
                )
            elif key == "token_file":
                if not isinstance(value, str):
                    raise ConfigError(f"{where}token_file: must be a path")
                token_file = value
            else:
                adapter[key] = value
        if token_file is None and "access_token" not in secrets:
            raise ConfigError(f"channels.{name}: set access_token_env or token_file")
        channels[channel] = ChannelSettings(
            channel=channel, adapter=adapter, secrets=secrets, token_file=token_file
        )
    return channels


def _store(table: Mapping[str, Any]) -> StoreSettings:
    _no_unknown(table, {"path", "synchronous"}, "store.")
    path = table.get("path", "mmtkit.sqlite3")
    if not isinstance(path, str) or not path:
        raise ConfigError('store.path: must be a file path or ":memory:"')
    synchronous = table.get("synchronous", "NORMAL")
    if synchronous not in ("NORMAL", "FULL"):
        raise ConfigError(f'store.synchronous: must be "NORMAL" or "FULL", got {synchronous!r}')
    return StoreSettings(path=path, synchronous=synchronous)


def _number(
    table: Mapping[str, Any], key: str, default: float, where: str, *, integer: bool
) -> Any:
    value = table.get(key, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        kind = "a positive whole number" if integer else "a positive number"
        raise ConfigError(f"{where}{key}: must be {kind}, got {value!r}")
    return value


def _gateway(table: Mapping[str, Any]) -> GatewaySettings:
    where = "gateway."
    known = {"host", "port", "max_body_bytes", "max_attempts", "poll_seconds", "lease_seconds"}
    _no_unknown(table, known, where)
    host = table.get("host", "127.0.0.1")
    if not isinstance(host, str):
        raise ConfigError("gateway.host: must be a string")
    port = table.get("port", 8000)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"gateway.port: must be 0-65535, got {port!r}")
    return GatewaySettings(
        host=host,
        port=port,
        max_body_bytes=_number(table, "max_body_bytes", 3 * MB, where, integer=True),
        max_attempts=_number(table, "max_attempts", 5, where, integer=True),
        poll_seconds=_number(table, "poll_seconds", 0.05, where, integer=False),
        lease_seconds=_number(table, "lease_seconds", 30.0, where, integer=False),
    )


def _policy(table: Mapping[str, Any], where: str = "policy.") -> PolicyConfig:
    _no_unknown(table, {"disabled", "severities", "channels"}, where)
    disabled = table.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise ConfigError(f"{where}disabled: must be a list of rule ids or categories")
    severities: dict[str, Severity] = {}
    for key, value in _table(table, "severities", where).items():
        try:
            severities[key] = Severity(value)
        except ValueError:
            raise ConfigError(
                f"{where}severities.{key}: must be one of info, warn, block, got {value!r}"
            ) from None
    per_channel: dict[Channel, PolicyConfig] = {}
    for name, sub in _table(table, "channels", where).items():
        try:
            channel = Channel(name)
        except ValueError:
            raise ConfigError(f"{where}channels.{name}: unknown channel") from None
        if not isinstance(sub, Mapping):
            raise ConfigError(f"{where}channels.{name}: must be a table")
        per_channel[channel] = _policy(sub, f"{where}channels.{name}.")
    return PolicyConfig(
        disabled=frozenset(disabled), severities=severities, per_channel=per_channel
    )


def _events(table: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Sink tables keep their keys, with ``*_env`` secrets resolved (``access_token_env``
    becomes ``access_token``); the sinks validate the rest."""
    sinks: dict[str, Any] = {}
    for name, raw in table.items():
        if not isinstance(raw, Mapping):
            raise ConfigError(f"events.{name}: must be a table")
        resolved: dict[str, Any] = {}
        for key, value in raw.items():
            if key.endswith("_env"):
                resolved[key.removesuffix("_env")] = _secret(key, value, environ, f"events.{name}.")
            else:
                resolved[key] = value
        sinks[name] = resolved
    return sinks
