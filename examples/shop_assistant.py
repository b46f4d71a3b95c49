"""An example MMT app built only on mmtkit's public API: a shop's assistant.

It is an ordinary plugin: ``mmt_on_inbound`` answers each customer message through
``actions.reply`` (so every reply goes through the capabilities, the reply window, the
compliance checks and the durable outbox). One of its habits is bad on purpose -- offering a
WhatsApp number inside a TikTok chat -- and the compliance plugins block it; the demo shows
the violation and the policy clause it enforces.

Use it with ``mmtkit demo --app examples/shop_assistant.py``, or register it yourself::

    manager.register(shop_assistant, name="shop_assistant")
"""

from __future__ import annotations

from typing import Any

from mmtkit import Text, hookimpl
from mmtkit.messages import Channel, MessageReceived

CATALOGUE = {"dress": ("the blue linen dress", 25), "shoes": ("the white sneakers", 40)}


def _answer(text: str) -> str:
    lowered = text.lower()
    if "pay" in lowered:
        return "You can pay at checkout in the app with card or e-wallet. Your order ships today."
    for keyword, (name, price) in CATALOGUE.items():
        if keyword in lowered:
            return f"Yes, we have {name} in stock in every size, for {price} USD."
    return "Thanks for your message! How can we help you today?"


@hookimpl
def mmt_on_inbound(event: Any, conversation: Any, actions: Any) -> None:
    if not isinstance(event, MessageReceived) or not event.text:
        return
    if event.channel is Channel.TIKTOK and "size" in event.text.lower():
        # A bad habit the compliance checks catch: moving a TikTok chat to WhatsApp.
        actions.reply(Text("For sizes, chat with us on WhatsApp +62 812 3456 7890!"))
    actions.reply(Text(_answer(event.text)))
