"""One error hierarchy for everything mmtkit raises on purpose.

Every error an application may want to handle derives from :class:`MmtkitError`, so
``except MmtkitError`` is always enough to keep a server alive, while the subclasses let a
caller react precisely (retry later, re-authorise, show the user a policy clause...).
Messages say what was wrong *and* how to fix it; they never contain secrets or message bodies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmtkit.policy import Decision, Violation


class MmtkitError(Exception):
    """Root of every error raised by mmtkit."""


# --- configuration and plugins -------------------------------------------------------------


class ConfigError(MmtkitError, ValueError):
    """A setting is missing or invalid; the message names the key and the problem."""


class PluginError(MmtkitError):
    """A plugin failed to load, register or answer a hook."""

    def __init__(self, plugin: str, hook: str | None, cause: BaseException) -> None:
        where = f" in hook {hook}" if hook else ""
        super().__init__(f"plugin {plugin!r} failed{where}: {type(cause).__name__}: {cause}")
        self.plugin = plugin
        self.hook = hook
        self.cause = cause


class AdapterNotFound(MmtkitError, LookupError):
    """No loaded adapter serves the requested channel."""

    def __init__(self, channel: str, available: list[str]) -> None:
        names = ", ".join(sorted(available)) or "none"
        super().__init__(
            f"no adapter is loaded for channel {channel!r} (loaded: {names}); install or enable "
            "the adapter plugin, or check MMTKIT_PLUGINS / MMTKIT_DISABLE_PLUGINS"
        )
        self.channel = channel


# --- outbound content ----------------------------------------------------------------------


class ContentError(MmtkitError, ValueError):
    """Outbound content that a channel does not accept; raised before anything is sent."""


class MessageTooLong(ContentError):
    def __init__(self, channel: str, limit: int, actual: int) -> None:
        super().__init__(f"{channel} accepts at most {limit} characters, got {actual}")
        self.channel = channel
        self.limit = limit
        self.actual = actual


class EmptyMessage(ContentError):
    def __init__(self, channel: str) -> None:
        super().__init__(f"{channel} does not accept an empty text message")
        self.channel = channel


class UnsupportedContent(ContentError):
    def __init__(self, channel: str, kind: str, accepted: list[str]) -> None:
        super().__init__(
            f"{channel} does not accept {kind} messages (accepted: {', '.join(sorted(accepted))})"
        )
        self.channel = channel
        self.kind = kind


class ImageTooLarge(ContentError):
    def __init__(self, channel: str, limit: int, actual: int) -> None:
        super().__init__(f"{channel} accepts images of at most {limit} bytes, got {actual}")
        self.channel = channel
        self.limit = limit
        self.actual = actual


class UnsupportedImageFormat(ContentError):
    def __init__(self, channel: str, detected: str | None, accepted: list[str]) -> None:
        what = detected or "unrecognised data (checked by magic bytes, not file name)"
        super().__init__(
            f"{channel} accepts {', '.join(sorted(accepted))} images, got {what}"
        )
        self.channel = channel
        self.detected = detected


# --- conversation rules ---------------------------------------------------------------------


class SendNotAllowed(MmtkitError):
    """The conversation state forbids this send (window closed, quota used, not started...).

    ``outcome`` is the typed result of :func:`mmtkit.conversation.can_send` that refused it.
    """

    def __init__(self, outcome: object, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class MediaUnavailable(ContentError):
    """An image URL could not be downloaded for upload (e.g. it answered 404)."""


# --- delivery -------------------------------------------------------------------------------


class DeliveryError(MmtkitError):
    """An accepted message did not end ``sent``. ``record`` is its outbox record (look it up,
    retry or discard it through the client's outbox API)."""

    def __init__(self, message: str, record: object) -> None:
        super().__init__(message)
        self.record = record


class SendRejected(DeliveryError):
    """The platform refused the message for good (window closed, user unreachable, invalid
    request...). ``outcome`` is the adapter's classification, with its ``kind``."""

    def __init__(self, message: str, record: object, outcome: object) -> None:
        super().__init__(message, record)
        self.outcome = outcome


class SendFailed(DeliveryError):
    """Retries ran out on throttling or transient failures; nothing reached the platform."""


class DeliveryUnknown(DeliveryError):
    """The platform may or may not have the message (an ambiguous answer under
    ``at_most_once``, or retries ran out after one). It is recorded ``unknown``."""


# --- policy ---------------------------------------------------------------------------------


class PolicyViolation(MmtkitError):
    """A compliance check blocked an outbound message; ``decision`` explains why."""

    def __init__(self, decision: Decision) -> None:
        rules = ", ".join(f"{v.rule_id} ({v.policy_ref})" for v in decision.violations)
        super().__init__(f"message blocked by policy: {rules}")
        self.decision = decision

    @property
    def violations(self) -> tuple[Violation, ...]:
        return self.decision.violations


# --- webhooks -------------------------------------------------------------------------------


class WebhookError(MmtkitError):
    """Inbound webhook bytes that cannot be accepted; never a crash of the server."""


class SignatureError(WebhookError):
    """The signature is missing, malformed or does not match the body."""


class StaleWebhook(SignatureError):
    """The signed timestamp is outside the accepted tolerance (a possible replay)."""


class MalformedWebhook(WebhookError, ValueError):
    """The body is not the JSON shape the platform documents."""


class HandshakeError(WebhookError):
    """A webhook subscription handshake (GET challenge) was refused."""


# --- credentials ----------------------------------------------------------------------------


class CredentialsError(MmtkitError):
    """Platform credentials are missing, unusable, or could not be renewed."""


class ReauthorizationRequired(CredentialsError):
    """The refresh token is expired, revoked or absent: only a new OAuth authorisation by
    the account owner can restore access. Retrying or refreshing again cannot help."""


class TokenRefreshFailed(CredentialsError):
    """A token refresh did not succeed. ``retryable`` says whether trying again later may
    work (platform overload, network) or not (a request the platform refuses)."""

    def __init__(self, message: str, *, code: str | None = None, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


# --- platform responses ---------------------------------------------------------------------


class UnexpectedResponse(MmtkitError):
    """A platform answer that was classified as success lacks what the next step needs
    (e.g. an upload without a media id). The message names the missing field."""
