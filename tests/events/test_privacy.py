"""Privacy by construction: no serialised event carries what anyone wrote.

For random conversations with random messages (random text, keyword-laden text, text with an
e-mail address, a phone number and a tracking id in it), every event the mapping produces is
encoded by both sinks and the JSON request bodies are searched: no substring of four or more
characters of any message may appear, except inside values that are legitimately equal
(identifiers the conversation itself carries, such as a tracking id taken from the first
message), and no e-mail address or phone number may appear unhashed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.attribution import attribute
from mmtkit.conversation import Conversation
from mmtkit.events import (
    DEFAULT_LABEL_EVENTS,
    DEFAULT_SIGNAL_EVENTS,
    ConversationStarted,
    LabelApplied,
    SignalsDetected,
    UserIdentifiers,
    conversion_events,
    is_sha256,
)
from mmtkit.messages import AdReferral, Channel, MessageKind, MessageReceived
from mmtkit.plugins.signals.keywords import DEFAULT_SIGNALS, default_keyword_signals
from mmtkit.plugins.signals.tracking_id import tracking_signal
from mmtkit.plugins.sinks.meta_capi import MetaCapiSink
from mmtkit.plugins.sinks.tiktok_events import TikTokEventsSink

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
IDS = st.from_regex(r"[A-Za-z0-9]{6,20}", fullmatch=True)
WORDS = st.sampled_from([
    "payment", "paid", "order", "price", "how much", "booking", "address", "refund",
    "harganya", "thanh toán", "ราคา", "magkano", "reembolso", "endereço", "hello", "please",
])
KEYWORDY = st.lists(st.one_of(WORDS, st.text(min_size=1, max_size=12)), max_size=12).map(
    " ".join
)
EMAILS = st.from_regex(r"[a-z]{3,10}\.[a-z]{2,8}@[a-z]{3,10}\.(com|co\.id|vn)", fullmatch=True)
PHONES = st.sampled_from(["+62 812 3456 7890", "+84 912 345 678", "+66 81 234 5678",
                          "+1 415 555 0123", "+63 917 123 4567"])
TRACKING = st.from_regex(r"E\.C\.P\.[A-Za-z0-9]{10,24}", fullmatch=True)

TIKTOK = TikTokEventsSink(access_token="t", event_source_id="evset-1")
META = MetaCapiSink(access_token="t", dataset_id="123", whatsapp_business_account_id="waba-1")


@st.composite
def conversations(draw: st.DrawFn) -> tuple[Conversation, list[str], str, str]:
    channel = draw(st.sampled_from(list(Channel)))
    email, phone = draw(EMAILS), draw(PHONES)
    tracking = draw(TRACKING)
    first = draw(st.sampled_from([
        f"Hi, I saw your ad ttclid: {tracking}", draw(KEYWORDY), f"mail me at {email}",
    ]))
    rest = draw(st.lists(st.one_of(st.text(min_size=4, max_size=120), KEYWORDY,
                                   st.just(f"call {phone} or {email}")), max_size=6))
    conv = Conversation(channel=channel, conversation_id=draw(IDS), customer_id=draw(IDS),
                        opened_at=T0, account_id=draw(IDS))
    if draw(st.booleans()):
        conv = conv.record_referral(AdReferral(
            channel=channel, conversation_id=conv.conversation_id,
            customer_id=conv.customer_id, timestamp=T0, source="ad", ad_id=draw(IDS),
            click_id=draw(IDS), ref=draw(st.one_of(IDS, st.text(max_size=30)))))
    return conv, [first, *rest], email, phone


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (k, *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@given(conversations())
@settings(max_examples=100, deadline=None)
def test_no_message_text_and_no_raw_contact_in_any_payload(
    case: tuple[Conversation, list[str], str, str],
) -> None:
    conv, texts, email, phone = case
    keywords = default_keyword_signals()
    happenings: list[object] = [ConversationStarted(T0)]
    known = []
    for index, text in enumerate(texts):
        at = T0 + timedelta(minutes=index)
        event = MessageReceived(channel=conv.channel, conversation_id=conv.conversation_id,
                                customer_id=conv.customer_id, timestamp=at,
                                kind=MessageKind.TEXT, text=text)
        signals = keywords.find(text)
        found = tracking_signal(event, conv)
        conv = attribute(conv.apply(event), [found] if found else [])
        known.extend(signals)
        happenings.append(SignalsDetected(signals, at))
    happenings.append(LabelApplied(label="qualified lead", at=T0, value=10, currency="USD"))
    user = UserIdentifiers.of(email=email, phone=phone)
    events = [e for h in happenings
              for e in conversion_events(h, conv, user=user, signals=known)]  # type: ignore[arg-type]
    assert events
    bodies = [TIKTOK.request([TIKTOK.encode(e) for e in events]).json]
    meta = [e for e in events if META.accepts(e)]
    if meta:
        bodies.append(META.request([META.encode(e) for e in meta]).json)
    payload = json.dumps(bodies, ensure_ascii=False)
    # Values a payload may legitimately share with a message: the conversation's own ids.
    attribution = conv.attribution
    legit = [conv.conversation_id, conv.customer_id, conv.account_id or ""]
    if attribution is not None:
        legit += [v or "" for v in (attribution.tracking_id, attribution.ad_id,
                                    attribution.click_id, attribution.ref)]
    legit_blob = "\x00".join(legit)
    payload_grams = {payload[i:i + 4] for i in range(len(payload) - 3)}
    for text in texts:
        for start in range(len(text) - 3):
            piece = text[start:start + 4]
            if piece in payload_grams:
                assert piece in legit_blob or _only_in_structure(piece, bodies), piece
    for raw in (email, phone, phone.replace(" ", ""), email.split("@")[0]):
        assert raw not in payload


def _only_in_structure(piece: str, bodies: list[object]) -> bool:
    """True when ``piece`` occurs only in the fixed vocabulary of the payload (JSON keys,
    event and signal names, the channel, hex digests), never in a free value."""
    for value in (s for body in bodies for s in _strings(body)):
        if piece in value and not _is_vocabulary(value):
            return False
    return True


_KEYS = {"event_source", "event_source_id", "data", "event", "event_time", "event_id", "user",
         "properties", "email", "phone", "external_id", "ttclid", "ad_id", "advertiser_id",
         "material_id", "value", "currency", "event_name", "action_source",
         "messaging_channel", "user_data", "custom_data", "whatsapp_business_account_id",
         "ctwa_clid", "page_id", "page_scoped_user_id"}
_VOCABULARY = (
    _KEYS
    | set(DEFAULT_SIGNALS)
    | {n for n in (*DEFAULT_SIGNAL_EVENTS.values(), *DEFAULT_LABEL_EVENTS.values()) if n}
    | {"Contact", "business_messaging", "whatsapp", "messenger", "evset-1", "waba-1", "USD"}
)


def _is_vocabulary(value: str) -> bool:
    return value in _VOCABULARY or is_sha256(value) or (
        value.startswith("mmt-") and all(c in "0123456789abcdef" for c in value[4:])
    )
