"""TikTok Events API 2.0 (``POST /open_api/v1.3/event/track/``) as an event sink.

One request carries a batch in ``data[]`` with the events token in ``Access-Token``.
``event_source`` and ``event_source_id`` are configuration: TikTok has not published the
source a Messaging Partner's "Message Event Set" uses (reference §1.11, §2: UNCONFIRMED), so
the default ``"web"`` is only the one value TikTok's own template confirms. The batch size is
unpublished too (50 is what RudderStack and Tealium use).

Where things go in each ``data[]`` item (the custom parts are UNCONFIRMED):

* ``event``, ``event_time`` (unix seconds), ``event_id`` (our deterministic id, TikTok's dedup
  key);
* ``user``: the hashed ``email``, ``phone``, ``external_id``, and the tracking id as
  ``ttclid`` (TikTok's click id, the closest documented field);
* ``properties``: ``value`` and ``currency``, the ad ids (``ad_id``, ``advertiser_id``,
  ``material_id``), and every keyword signal as a boolean (``"payment": true``).

Answers use the Business API envelope; ``0`` and ``20001`` (partial) are success. Everything
else is read by the TikTok adapter's classifier (:mod:`mmtkit.adapters.tiktok.responses`), so
throttles (``40100``), token errors and system errors mean the same here as for messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mmtkit.adapter import HttpRequest, HttpResponse, Outcome, Sent, check_base_url
from mmtkit.adapters.tiktok.responses import classify as classify_tiktok
from mmtkit.adapters.tiktok.responses import read_envelope
from mmtkit.capabilities import RateLimit
from mmtkit.errors import ConfigError
from mmtkit.events import ConversionEvent
from mmtkit.hookspecs import hookimpl

__all__ = ["DEFAULT_BASE_URL", "NAME", "TikTokEventsSink"]

NAME = "tiktok_events"
DEFAULT_BASE_URL = "https://business-api.tiktok.com/open_api/v1.3/"
_SUCCESS = (0, 20001)


class TikTokEventsSink:
    """Builds ``/event/track/`` requests and reads their answers."""

    name = NAME

    def __init__(
        self,
        *,
        access_token: str,
        event_source_id: str,
        event_source: str = "web",
        test_event_code: str | None = None,
        partner_name: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        max_batch: int = 50,
        requests_per_second: float = 1000.0,
    ) -> None:
        if not access_token:
            raise ConfigError("tiktok_events needs access_token (the Events API token)")
        if not event_source_id:
            raise ConfigError("tiktok_events needs event_source_id (pixel or event set id)")
        if not 1 <= max_batch <= 1000:
            raise ConfigError(f"max_batch must be between 1 and 1000, got {max_batch}")
        self._token = access_token
        self.event_source = event_source
        self.event_source_id = event_source_id
        self.test_event_code = test_event_code
        self.partner_name = partner_name
        self.url = check_base_url(base_url).rstrip("/") + "/event/track/"
        self.max_batch = max_batch
        self.rate_limits = (RateLimit("app", requests_per_second),)

    def __repr__(self) -> str:  # never the token
        return f"TikTokEventsSink(event_source={self.event_source!r}, url={self.url!r})"

    def accepts(self, event: ConversionEvent) -> bool:
        return True

    def encode(self, event: ConversionEvent) -> dict[str, Any]:
        user: dict[str, Any] = {}
        for key in ("email", "phone", "external_id"):
            digest = getattr(event.user, key)
            if digest is not None:
                user[key] = digest
        ids = event.attribution
        if ids.tracking_id is not None:
            user["ttclid"] = ids.tracking_id
        properties: dict[str, Any] = {name: True for name in sorted(event.signals)}
        for key in ("ad_id", "advertiser_id", "material_id"):
            value = getattr(ids, key)
            if value is not None:
                properties[key] = value
        if event.value is not None:
            properties["value"] = float(event.value)
            properties["currency"] = event.currency
        item: dict[str, Any] = {
            "event": event.name,
            "event_time": int(event.time.timestamp()),
            "event_id": event.event_id,
        }
        if user:
            item["user"] = user
        if properties:
            item["properties"] = properties
        return item

    def request(self, items: Sequence[dict[str, Any]]) -> HttpRequest:
        body: dict[str, Any] = {
            "event_source": self.event_source,
            "event_source_id": self.event_source_id,
            "data": list(items),
        }
        if self.test_event_code:
            body["test_event_code"] = self.test_event_code
        if self.partner_name:
            body["partner_name"] = self.partner_name
        return HttpRequest(
            method="POST",
            url=self.url,
            headers=(("Access-Token", self._token), ("Content-Type", "application/json")),
            json=body,
            purpose="events",
        )

    def classify(self, response: HttpResponse) -> Outcome:
        envelope = read_envelope(response.body)
        if envelope is not None and envelope.code in _SUCCESS:
            return Sent(data={"code": envelope.code})
        return classify_tiktok(response)


@hookimpl
def mmt_register_event_sinks(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register(NAME, TikTokEventsSink)
