"""What the sandbox accepts, enforces and injects: one typed, validated configuration.

The same object comes from Python (``SandboxConfig(...)``), from a TOML file (``mmtkit sandbox
--config FILE``) or from a dict; all three go through :func:`parse_config`, so a typo in a file
fails at start-up with the dotted key that is wrong instead of being silently ignored.
Values the platforms do not document (see ``reference/platform-apis.md``, UNCONFIRMED) are
settings here, with the commonly reported figure as the default.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import field, frozen, validators

from mmtkit.errors import ConfigError
from mmtkit.sandbox.rates import Rate

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "FaultConfig",
    "MessengerConfig",
    "MetaCapiConfig",
    "SandboxConfig",
    "TikTokConfig",
    "WebhookFaultConfig",
    "WhatsAppConfig",
    "load_config",
    "parse_config",
]

ROUTES = (
    "tiktok.send",
    "tiktok.media_upload",
    "tiktok.conversation_list",
    "tiktok.content_list",
    "tiktok.events",
    "whatsapp.send",
    "messenger.send",
    "meta.events",
)
"""Route names that faults can be configured for."""

FAULT_KINDS = ("server_error", "throttle", "drop", "slow", "processed_then_timeout")
"""What a fault can do to one request; ``ok`` in a scripted sequence means no fault."""


def _rate(_: object, attribute: Any, value: str) -> None:
    try:
        Rate.parse(value)
    except ValueError:
        raise ValueError(
            f"{attribute.name} must be a rate such as '80/second' or '1 per 6 seconds', "
            f"got {value!r}"
        ) from None


def _probability(_: object, attribute: Any, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value}")


def _sequence(_: object, attribute: Any, value: tuple[str, ...]) -> None:
    bad = [step for step in value if step not in ("ok", *FAULT_KINDS)]
    if bad:
        allowed = ", ".join(("ok", *FAULT_KINDS))
        raise ValueError(f"{attribute.name} has unknown steps {bad}; allowed: {allowed}")


def _statuses(_: object, attribute: Any, value: tuple[str, ...]) -> None:
    known = ("sent", "delivered", "read", "failed")
    bad = [status for status in value if status not in known]
    if bad:
        raise ValueError(f"{attribute.name} has unknown statuses {bad}; known: {', '.join(known)}")


_positive = validators.gt(0)
_positive_float = validators.gt(0.0)
_non_negative = validators.ge(0.0)


@frozen
class FaultConfig:
    """Faults for one route: probabilities per request, or a scripted sequence played first.

    ``processed_then_timeout`` records the message in the ledger, then answers only after
    ``late_answer_seconds``: longer than the client's timeout, it is the ambiguous send.
    """

    sequence: tuple[str, ...] = field(default=(), converter=tuple, validator=_sequence)
    server_error: float = field(default=0.0, validator=_probability)
    throttle: float = field(default=0.0, validator=_probability)
    drop: float = field(default=0.0, validator=_probability)
    slow: float = field(default=0.0, validator=_probability)
    processed_then_timeout: float = field(default=0.0, validator=_probability)
    server_error_status: int = field(
        default=503, validator=[validators.ge(500), validators.le(599)]
    )
    slow_seconds: float = field(default=0.5, validator=_non_negative)
    late_answer_seconds: float = field(default=5.0, validator=_non_negative)

    def __attrs_post_init__(self) -> None:
        total = sum(getattr(self, kind) for kind in FAULT_KINDS)
        if total > 1.0:
            raise ValueError(f"fault probabilities add up to {total}, more than 1")


@frozen
class WebhookFaultConfig:
    """Faults on the webhooks the sandbox posts (the platform's at-least-once delivery)."""

    duplicate: float = field(default=0.0, validator=_probability)
    out_of_order_statuses: bool = False
    echo_delay_seconds: float = field(default=0.0, validator=_non_negative)


@frozen
class TikTokConfig:
    """TikTok Business Messaging and Events API as the sandbox plays them.

    ``access_tokens`` maps each business_id (the OAuth ``open_id``) to the token that may act
    for it. ``window_error_code``: TikTok documents no code for a closed window or a used-up
    quota; 40064 ("blocked by DM rules", reported by third parties) is the default.
    """

    app_id: str = "sandbox-app"
    app_secret: str = "sandbox-tiktok-app-secret"
    access_tokens: dict[str, str] = field(factory=lambda: {"sandbox-business": "tt-sandbox-token"})
    usernames: dict[str, str] = field(factory=dict)
    events_access_token: str = "tt-events-sandbox-token"
    rate: str = field(default="10/second", validator=_rate)
    sandbox_mode: bool = False
    sandbox_rate: str = field(default="1/second", validator=_rate)
    events_rate: str = field(default="1000/second", validator=_rate)
    window_hours: float = field(default=48.0, validator=_positive_float)
    messages_per_window: int = field(default=10, validator=_positive)
    window_error_code: int = 40064
    max_text_chars: int = field(default=6000, validator=_positive)
    max_image_bytes: int = field(default=3 * 1024 * 1024, validator=_positive)
    echo_sends: bool = True
    webhook_url: str | None = None


@frozen
class WhatsAppConfig:
    """WhatsApp Cloud API. ``phone_numbers`` maps phone_number_id to its display number."""

    app_secret: str = "sandbox-meta-app-secret"
    access_token: str = "wa-sandbox-token"
    waba_id: str = "sandbox-waba"
    phone_numbers: dict[str, str] = field(factory=lambda: {"100000000000001": "15550001111"})
    rate: str = field(default="80/second", validator=_rate)
    pair_rate: str = field(default="1 per 6 seconds", validator=_rate)
    pair_burst: int = field(default=10, validator=_positive)
    """Messages to one customer that may go back to back, repaid at ``pair_rate`` (Meta lets
    bursts through and blocks later sends; third parties say up to 45; UNCONFIRMED)."""
    window_hours: float = field(default=24.0, validator=_positive_float)
    max_text_chars: int = field(default=4096, validator=_positive)
    statuses: tuple[str, ...] = field(
        default=("sent", "delivered"), converter=tuple, validator=_statuses
    )
    # Meta added business-scoped user ids (contacts[].user_id, messages[].from_user_id) in
    # April 2026; webhooks arrive both with and without them, so parsers must take both.
    business_scoped_user_ids: bool = False
    webhook_url: str | None = None


@frozen
class MessengerConfig:
    """Messenger Send API. ``page_tokens`` maps page_id to its page access token."""

    app_secret: str = "sandbox-meta-app-secret"
    page_tokens: dict[str, str] = field(factory=lambda: {"200000000000001": "ms-sandbox-token"})
    rate: str = field(default="300/second", validator=_rate)
    window_hours: float = field(default=24.0, validator=_positive_float)
    human_agent_days: float = field(default=7.0, validator=_positive_float)
    max_text_chars: int = field(default=2000, validator=_positive)
    echoes: bool = True
    webhook_url: str | None = None


@frozen
class MetaCapiConfig:
    """Meta Conversions API for Business Messaging (``/{dataset_id}/events``)."""

    access_token: str = "capi-sandbox-token"
    datasets: tuple[str, ...] = field(default=("300000000000001",), converter=tuple)
    max_event_age_days: float = field(default=7.0, validator=_positive_float)


@frozen
class SandboxConfig:
    """Everything the emulator needs; every part has working defaults."""

    gateway_url: str | None = None
    seed: int | None = None
    tiktok: TikTokConfig = field(factory=TikTokConfig)
    whatsapp: WhatsAppConfig = field(factory=WhatsAppConfig)
    messenger: MessengerConfig = field(factory=MessengerConfig)
    meta_capi: MetaCapiConfig = field(factory=MetaCapiConfig)
    faults: dict[str, FaultConfig] = field(factory=dict)
    webhook_faults: WebhookFaultConfig = field(factory=WebhookFaultConfig)

    def __attrs_post_init__(self) -> None:
        unknown = sorted(set(self.faults) - set(ROUTES))
        if unknown:
            raise ValueError(f"faults has unknown routes {unknown}; known: {', '.join(ROUTES)}")

    def webhook_url(self, platform: str) -> str | None:
        """Where simulated webhooks for ``platform`` go: its own URL, else the gateway's."""
        own: str | None = getattr(self, platform).webhook_url
        return own or self.gateway_url


def _strict(kind: type) -> Any:
    def structure(value: object, _: type) -> object:
        # bool is an int in Python; a config saying `rate = true` is a mistake, not 1.
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    return structure


@functools.cache
def _converter() -> cattrs.Converter:
    # cattrs is imported on first use: `mmtkit sandbox` without --config starts without it.
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind in (str, int, float, bool):
        converter.register_structure_hook(kind, _strict(kind))
    return converter


def _describe(exc: BaseException, _type: Any) -> str:
    return f"{type(exc).__name__}: {exc}"


def parse_config(data: Mapping[str, Any]) -> SandboxConfig:
    """Build a :class:`SandboxConfig` from plain data; errors name every wrong key."""
    import cattrs

    try:
        return _converter().structure(dict(data), SandboxConfig)
    except cattrs.ClassValidationError as exc:
        problems = cattrs.transform_error(exc, format_exception=_describe)
        raise ConfigError("invalid sandbox configuration: " + "; ".join(problems)) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid sandbox configuration: {exc}") from None


def load_config(path: str | Path) -> SandboxConfig:
    """Read a TOML file into a :class:`SandboxConfig`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read sandbox config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sandbox config {path} is not valid TOML: {exc}") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
