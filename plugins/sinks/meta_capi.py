"""Meta Conversions API for Business Messaging (``POST /{version}/{dataset_id}/events``).

Each event is sent with ``action_source: "business_messaging"`` and its
``messaging_channel``; ``user_data`` holds what identifies the person on that channel:

* WhatsApp: ``whatsapp_business_account_id`` (configuration) and the ad's ``ctwa_clid``, both
  unhashed as Meta requires. A WhatsApp conversation that did not come from a click-to-WhatsApp
  ad has no ``ctwa_clid`` and cannot be reported here: :meth:`accepts` skips it.
* Messenger: ``page_id`` (the conversation's account) and ``page_scoped_user_id`` (the PSID).

The hashed ``external_id`` goes along where known; custom data carries ``value``/``currency``
and the keyword signals as booleans. TikTok conversations are not Meta's and are skipped.
The token travels in the ``Authorization`` header, never in the URL. Answers are read by the
Graph classifier the WhatsApp and Messenger adapters use (:func:`classify_graph`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mmtkit.adapter import HttpRequest, HttpResponse, Outcome, Sent
from mmtkit.adapters._meta import (
    DEFAULT_API_VERSION,
    bearer,
    check_api_version,
    check_base_url,
    classify_graph,
)
from mmtkit.capabilities import RateLimit
from mmtkit.errors import ConfigError
from mmtkit.events import ConversionEvent
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Channel

__all__ = ["NAME", "MetaCapiSink"]

NAME = "meta_capi"
DEFAULT_BASE_URL = "https://graph.facebook.com"
_CHANNELS = {Channel.WHATSAPP: "whatsapp", Channel.MESSENGER: "messenger"}


def _read_success(document: Any) -> Sent | None:
    if isinstance(document, dict) and isinstance(document.get("events_received"), int):
        return Sent(data={"events_received": document["events_received"]})
    return None


class MetaCapiSink:
    """Builds CAPI requests for one dataset and reads their answers."""

    name = NAME

    def __init__(
        self,
        *,
        access_token: str,
        dataset_id: str,
        whatsapp_business_account_id: str | None = None,
        partner_agent: str | None = None,
        test_event_code: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        max_batch: int = 100,
        requests_per_second: float = 50.0,
    ) -> None:
        if not access_token or not dataset_id:
            raise ConfigError("meta_capi needs access_token and dataset_id")
        if not 1 <= max_batch <= 1000:
            raise ConfigError(f"max_batch must be between 1 and 1000, got {max_batch}")
        self._token = access_token
        self.dataset_id = dataset_id
        self.waba_id = whatsapp_business_account_id
        self.partner_agent = partner_agent
        self.test_event_code = test_event_code
        base = check_base_url(base_url)
        self.url = f"{base}/{check_api_version(api_version)}/{dataset_id}/events"
        self.max_batch = max_batch
        self.rate_limits = (RateLimit("app", requests_per_second),)

    def __repr__(self) -> str:  # never the token
        return f"MetaCapiSink(dataset_id={self.dataset_id!r}, url={self.url!r})"

    def _user_data(self, event: ConversionEvent) -> dict[str, str] | None:
        if event.channel is Channel.WHATSAPP:
            if self.waba_id is None or event.attribution.click_id is None:
                return None
            user = {"whatsapp_business_account_id": self.waba_id,
                    "ctwa_clid": event.attribution.click_id}
        elif event.channel is Channel.MESSENGER:
            if event.account_id is None or event.scoped_user_id is None:
                return None
            user = {"page_id": event.account_id, "page_scoped_user_id": event.scoped_user_id}
        else:
            return None
        if event.user.external_id is not None:
            user["external_id"] = event.user.external_id
        return user

    def accepts(self, event: ConversionEvent) -> bool:
        return self._user_data(event) is not None

    def encode(self, event: ConversionEvent) -> dict[str, Any]:
        user = self._user_data(event)
        if user is None:
            raise ValueError(f"event {event.event_id} cannot be reported to Meta (see accepts)")
        item: dict[str, Any] = {
            "event_name": event.name,
            "event_time": int(event.time.timestamp()),
            "event_id": event.event_id,
            "action_source": "business_messaging",
            "messaging_channel": _CHANNELS[event.channel],
            "user_data": user,
        }
        custom: dict[str, Any] = {name: True for name in sorted(event.signals)}
        if event.value is not None:
            custom["value"] = float(event.value)
            custom["currency"] = event.currency
        if custom:
            item["custom_data"] = custom
        return item

    def request(self, items: Sequence[dict[str, Any]]) -> HttpRequest:
        body: dict[str, Any] = {"data": list(items)}
        if self.partner_agent:
            body["partner_agent"] = self.partner_agent
        if self.test_event_code:
            body["test_event_code"] = self.test_event_code
        return HttpRequest(method="POST", url=self.url, headers=(bearer(self._token),), json=body,
                           purpose="events")

    def classify(self, response: HttpResponse) -> Outcome:
        return classify_graph(response, _read_success, throttle_codes=frozenset({17}))


@hookimpl
def mmt_register_event_sinks(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register(NAME, MetaCapiSink)
