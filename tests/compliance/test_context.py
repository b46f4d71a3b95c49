"""What the checks do with the context: channel, ad creative, history, inbound direction,
image captions, spans, and the operator's configuration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from mmtkit.errors import ConfigError
from mmtkit.messages import Channel, Image, MessageKind, MessageReceived, SharePost, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance.check import MAX_CHECKED_CHARS
from mmtkit.policy import (
    Action,
    AdCreative,
    AuditRecord,
    Decision,
    HistoryItem,
    PolicyConfig,
    PolicyContext,
    PolicyEngine,
)

Check = Callable[..., Decision]

FREE_GUIDE = AdCreative(brand="PyStart", offer="Free Python starter guide", free=True)
MAT_40 = AdCreative(brand="FitNest", offer="Yoga mat 40% off", price=29.9, currency="USD",
                    free=False)
SOFA = AdCreative(brand="UrbanLoft", offer="Sofa bed $499 with free delivery", price=499,
                  currency="USD", free=False)
PROTECTOR = AdCreative(brand="PhoneFix", offer="Free screen protector with any repair",
                       free=True)
SHADES = AdCreative(brand="SnapShade", offer="Kacamata hitam diskon 50% jadi Rp79.000",
                    price=79000, currency="IDR", free=False)
COFFEE = AdCreative(brand="Cà Phê Mộc", offer="Combo 3 gói cà phê 99K freeship", price=99000,
                    currency="VND", free=False)
TOWELS = AdCreative(brand="Doce Lar", offer="Kit toalhas R$ 79,90 com frete grátis", price=79.9,
                    currency="BRL", free=False)
EARBUDS = AdCreative(brand="VoltMart", offer="Wireless earbuds Pro 2", price=39, currency="USD",
                     free=False)
FACIAL = AdCreative(brand="Klinik Ayu", offer="Facial acne Rp 150.000", price=150000,
                    currency="IDR", free=False)
TRIAL = AdCreative(brand="Curso Pro", offer="Aula experimental grátis", currency="BRL", free=True)
DELIVERY = AdCreative(brand="GreenRide", offer="Free delivery on your first 3 orders", free=True)
TOUR = AdCreative(brand="HappyTrip", offer="ทัวร์ญี่ปุ่น 5 วัน 29,900 บาท", price=29900,
                  currency="THB", free=False)
MUGS = AdCreative(brand="ClayCo", offer="Buy 1 get 1 free on all mugs", price=14.99,
                  currency="USD", free=False)


@pytest.mark.parametrize("channel", ["whatsapp", "messenger"])
def test_own_number_is_not_a_diversion_on_whatsapp_or_messenger(check: Check, channel: str) -> None:
    text = "You can also call us on this number, +62 812 3456 7890, any time."
    assert "off_platform_diversion" in check(text, channel="tiktok_shop").categories
    assert "off_platform_diversion" not in check(text, channel=channel).categories


@pytest.mark.parametrize(
    ("text", "ad", "flagged"),
    [
        ("Here is your free guide, no payment needed: tap the button below.", FREE_GUIDE, False),
        ("The guide is $12, payable before I send it.", FREE_GUIDE, True),
        ("Para recibir la guía gratis, solo pague 50 pesos de envío.", FREE_GUIDE, True),
        ("The FitNest mat is $29.90 with the 40% discount.", MAT_40, False),
        ("The FitNest mat is $44.90 today.", MAT_40, True),
        ("The mat is $29.90, and the strap is an extra $9.", MAT_40, True),
        ("Sorry, the 40% offer has ended, it's full price now.", MAT_40, True),
        ("Thanks for contacting Zen Yoga Supply! What colour would you like?", MAT_40, True),
        ("Thanks for contacting FitNest! What colour would you like?", MAT_40, False),
        ("Hi, this is Ana from FitNest. The mat ships tomorrow.", MAT_40, False),
        ("The mat is $39.90; the $29.90 price is over.", MAT_40, True),  # ad price said ended
        ("We only have the Happy Paws brand right now, $29.90.", MAT_40, True),  # other brand
        ("Esse tapete é da marca ZenMove, R$ 29,90.", MAT_40, True),
        ("We're out of FitNest mats, but the ZenMove one is $29.90.", MAT_40, True),
        ("Sorry, FitNest mats are sold out until Friday, I'll tell you when they're back.",
         MAT_40, False),
        ("Yes, the FitNest mat is $29.90, our own brand, made in Portugal.", MAT_40, False),
        ("Yes, $29.90 as before, it ships today.", MAT_40, False),
        ("Here is your free guide, no joining fee, no hidden charges.", FREE_GUIDE, False),
        # The ad gave one part free: charging for that part breaks it, other extras do not.
        ("The sofa bed is $499, but delivery to your area is another $80.", SOFA, True),
        ("O kit sai por R$ 79,90 mais R$ 25 de frete, tá?", TOWELS, True),
        ("The sofa bed is $499 and delivery is free. Cushions are $40 if you want them.", SOFA,
         False),
        ("$499, delivery free of charge, and the cushion set is $40 extra.", SOFA, True),
        ("Dạ combo 3 gói 99K nhưng phí ship 30K chị thanh toán thêm nha", COFFEE, True),
        ("Dạ combo 3 gói 99K freeship ạ, chị lấy mấy combo?", COFFEE, False),
        ("Dạ bên em là Cà Phê Núi Xanh ạ, combo 3 gói 99K nha", COFFEE, True),  # another shop
        ("Dạ bên em là Cà Phê Mộc ạ, combo 3 gói 99K nha", COFFEE, False),
        ("Thanks for your interest in ZenMove's yoga mat! $29.90 with 40% off.", MAT_40, True),
        ("Happy Mother's Day! The FitNest mat is $29.90 with 40% off.", MAT_40, False),
        # The message keeps the free part and prices something else, or charges for it.
        ("The screen protector is free with your repair. The repair itself is $45.", PROTECTOR,
         False),
        ("Here's your free screen protector, just pay $5 shipping.", PROTECTOR, True),
        ("Your free protector is ready! The screen protector costs $8 to fit.", PROTECTOR, True),
        ("Halo kak, di sini Optik Jaya! Kacamata hitam kami juga Rp79.000 lho.", SHADES, True),
        # Another brand in place of the ad's; the ad's own brand sent sooner is fine.
        ("We're sending the ZenMove mat instead, same $29.90.", MAT_40, True),
        ("We can send the FitNest mat today instead of Friday, still $29.90.", MAT_40, False),
        # Free only with a purchase the ad did not mention.
        ("The screen protector is free when you buy a case.", PROTECTOR, True),
        ("Your free screen protector is ready for pickup.", PROTECTOR, False),
        ("Yes, $499 with free delivery, it arrives Tuesday.", SOFA, False),
        ("$80 is what we charge, on top of the $499, to bring the sofa bed with a long-distance "
         "delivery.", SOFA, True),
        # A higher amount called the price now, beside the ad's; a denial right before an
        # amount, not one further back.
        ("The FitNest mat is $39.90 now, the $29.90 was an opening price.", MAT_40, True),
        ("Sekarang RM45 ya kak, harga $29.90 itu dulu.", MAT_40, True),
        ("Yes, $29.90 now with 40% off, and the strap is $5 cheaper now too.", MAT_40, False),
        ("The mat is $39.90, not $29.90.", MAT_40, True),
        ("Straps aren't part of the $29.90 mat deal, but I can add one if you like.", MAT_40,
         False),
        # A charge the customer may choose, in a message that keeps the free promise.
        ("Your screen protector is free, and you only pay if you decide to go ahead with the "
         "repair.", PROTECTOR, False),
        ("Your screen protector is free, but you pay $5 to have it fitted.", PROTECTOR, True),
        # An offer said to be over or limited, in the clause that names it.
        ("The mat is $29.90, but the 40% off is only for members.", MAT_40, True),
        ("Free delivery on the sofa bed is limited to the city centre.", SOFA, True),
        ("The mat is $29.90 with 40% off, for everyone, until Sunday.", MAT_40, False),
        ("Yes, $499, but the free delivery was only for the first 100 buyers.", SOFA, True),
        ("Dạ combo 3 gói 99K ạ, còn freeship thì bên em hết rồi nha", COFFEE, True),
        ("The kit is $29.90, sorry, we no longer do the buy 1 get 1.", MAT_40, True),
        ("The mat is $39.90 - the $29.90 one in the ad is the thin version.", MAT_40, True),
        ("Your screen protector is free. If further repairs are needed, we quote before any "
         "charge.", PROTECTOR, False),
        # A business signing its message.
        ("Hi Zen Yoga Supply here 😊 the mat is $29.90.", MAT_40, True),
        ("Hi, Ana here 😊 the FitNest mat is $29.90.", MAT_40, False),
        # A condition of purchase limits the ad's price; a limit in time does not.
        ("The $39 price only applies when you buy two pairs, one pair is $59.", EARBUDS, True),
        ("Yes, $39 for the Pro 2, only until Sunday.", EARBUDS, False),
        ("Facial acne nya Rp 250.000 kak, yg 150rb itu harga member aja.", FACIAL, True),
        ("Facial acne nya Rp 150.000 kak, sama seperti di iklan.", FACIAL, False),
        # A free trial that needs a paid plan first; "no minimum spend" is no condition.
        ("Pra liberar a aula grátis você precisa assinar o plano mensal de R$ 97.", TRIAL, True),
        ("Yes, delivery is free on your first 3 orders, no minimum spend.", DELIVERY, False),
        # Another business introducing itself in Thai, with a space after จาก.
        ("สวัสดีค่ะ จาก JapanGo Tour นะคะ ทัวร์ญี่ปุ่น 5 วัน 29,900 บาทค่ะ", TOUR, True),
        ("สวัสดีค่ะ จาก HappyTrip นะคะ ทัวร์ญี่ปุ่น 5 วัน 29,900 บาทค่ะ", TOUR, False),
        # "miễn phí" (free of charge) negates only its own "phí" (charge), not a fee after it.
        ("Dạ hướng dẫn miễn phí thì chị chuyển khoản phí ship 30k trước nhé", FREE_GUIDE, True),
        ("Dạ hướng dẫn miễn phí, shop miễn phí vận chuyển luôn ạ", FREE_GUIDE, False),
        ("Hướng dẫn hoàn toàn miễn phí, chị không phải trả phí gì ạ", FREE_GUIDE, False),
        # The free thing said to be gone.
        ("Sorry, the free guides are all gone now, but the full course is $89.", FREE_GUIDE,
         True),
        # Another multi-buy deal than the ad's; the same one, however it is written.
        ("Right now it's buy 2 get 1 free on the mugs!", MUGS, True),
        ("Promo hari ini beli 3 gratis 1 ya kak", MUGS, True),
        ("Yes! 1+1 on every mug, just add two to the cart.", MUGS, False),
        ("Sí, es 2x1 en todas las tazas.", MUGS, False),
        ("The buy 1 get 1 is on, and b1g1 stays till Sunday.", MUGS, False),
        # A price quoted without its currency, as the ad shows it: the ad's, or another.
        ("Thanks! The mugs are 19.99 today, shipping included.", MUGS, True),
        ("Thanks! The mugs are 14.99 each, and the second one is free.", MUGS, False),
        ("Each mug holds 0.35 l and weighs 0.45 kg.", MUGS, False),
        # The ad's price quoted, then limited to part of what the ad covered.
        ("It's $21.99 for the large mug, the $14.99 is only for older models.", MUGS, True),
        ("Yes, $14.99, and it fits older models too.", MUGS, False),
    ],
)
def test_creative_mismatch_needs_and_uses_the_ad(
    check: Check, text: str, ad: AdCreative, flagged: bool
) -> None:
    assert ("creative_mismatch" in check(text, ad=ad).categories) is flagged
    assert "creative_mismatch" not in check(text).categories  # no ad, nothing to compare


def test_repeated_promotion_uses_the_history(check: Check) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    promo = "New hoodies are 20% off this week."
    earlier = HistoryItem(text="Our jackets are 30% off until Friday.", at=now - timedelta(days=2))
    old = HistoryItem(text="Our jackets are 30% off until Friday.", at=now - timedelta(days=30))
    from_customer = HistoryItem(text="any discount?", at=now - timedelta(days=1),
                                from_business=False)
    assert "unsolicited_marketing" not in check(promo).categories
    assert "unsolicited_marketing" in check(promo, history=(earlier,)).categories
    assert "unsolicited_marketing" not in check(promo, history=(old, from_customer)).categories


def test_image_captions_are_checked_and_share_posts_have_nothing_to_check(
    engine: PolicyEngine,
) -> None:
    context = PolicyContext(channel=Channel.TIKTOK_SHOP)
    image = Image(url="https://example.com/p.jpg", caption="Pay to our PayPal for 10% off")
    assert engine.check_outbound(image, context).blocked
    assert engine.check_outbound(SharePost(post_id="123"), context).action is Action.ALLOW


def _inbound(text: str) -> MessageReceived:
    return MessageReceived(channel=Channel.TIKTOK_SHOP, conversation_id="c", customer_id="u",
                           timestamp=datetime(2026, 1, 1, tzinfo=UTC), kind=MessageKind.TEXT,
                           text=text)


@pytest.mark.parametrize(
    "text",
    ["you idiots sent the wrong size", "Refund me now or I'll leave 1 star everywhere",
     "I know where you live, watch out"],
)
def test_customer_abuse_is_flagged_never_blocked(engine: PolicyEngine, text: str) -> None:
    decision = engine.check_inbound(_inbound(text), PolicyContext(channel="tiktok_shop"))
    assert decision.violations
    assert decision.action is Action.WARN
    assert all(v.policy_ref.startswith("TikTok Shop Customer Service Guidelines 5.3")
               for v in decision.violations)


def test_polite_customer_is_not_flagged(engine: PolicyEngine) -> None:
    decision = engine.check_inbound(_inbound("Hi, where is my order? Thanks!"),
                                    PolicyContext(channel="tiktok_shop"))
    assert decision.action is Action.ALLOW


def test_violations_explain_themselves_and_point_at_what_was_typed(check: Check) -> None:
    text = "Hi! For faster replies chat us on W h a t s A p p, thanks"
    (violation,) = check(text).violations
    assert violation.rule_id == "off_platform_diversion.messaging_app"
    assert violation.policy_ref.startswith("TikTok Shop Customer Service Guidelines 4.2.2")
    assert violation.explanation.endswith(".")
    assert violation.plugin == "mmtkit.plugins.compliance.off_platform_diversion"
    assert [s.text_in(text) for s in violation.spans] == ["W h a t s A p p"]


def test_oversized_text_is_blocked_unchecked(check: Check) -> None:
    decision = check("hello " * (MAX_CHECKED_CHARS // 5))
    assert decision.blocked
    assert all(v.rule_id.endswith(".unchecked_oversize") for v in decision.violations)


def test_configuration_disables_and_downgrades(
    manager: PluginManager, engine: PolicyEngine
) -> None:
    text = Text("Send me the OTP and add me on telegram")
    context = PolicyContext(channel=Channel.TIKTOK)
    config = PolicyConfig.from_mapping({
        "disabled": ["fraud_scam"],
        "severities": {"sensitive_data_request.credentials": "warn"},
        "channels": {"tiktok": {"disabled": ["off_platform_diversion"]}},
    })
    configured = PolicyEngine(manager.hooks, config).check_outbound(text, context)
    assert configured.categories == {"sensitive_data_request"}
    assert configured.action is Action.WARN
    assert engine.check_outbound(text, context).blocked


@pytest.mark.parametrize(
    "data",
    [{"disable": ["x"]}, {"severities": {"x": "fatal"}}, {"channels": {"sms": {}}},
     {"disabled": "x"}],
)
def test_configuration_typos_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        PolicyConfig.from_mapping(data)


def test_audit_record_keeps_offsets_not_text(check: Check) -> None:
    secret = "Send me your password hunter2 now"
    decision = check(secret)
    context = PolicyContext(channel=Channel.TIKTOK_SHOP, now=datetime(2026, 1, 1, tzinfo=UTC))
    record = AuditRecord.from_decision(decision, context, versions={
        "mmtkit.plugins.compliance.sensitive_data_request": "0.1.0"}, dry_run=True)
    logged = record.as_dict()
    assert "sensitive_data_request.credentials" in logged["rule_ids"]
    assert logged["plugins"]["mmtkit.plugins.compliance.sensitive_data_request"] == "0.1.0"
    assert logged["dry_run"] is True
    assert "password" not in str(logged)
    assert "hunter2" not in str(logged)
    assert all(isinstance(s["start"], int) for s in logged["spans"])
    assert record.action is Action.BLOCK


def test_a_promotion_is_reported_only_when_nothing_else_is(check: Check) -> None:
    promo = "FLASH SALE today only!!! Everything 70% off, shop now before it's gone!"
    assert "unsolicited_marketing" in check(promo).categories
    scam = promo + " Pay the RM50 unlock fee to my Maybank account first."
    categories = check(scam).categories
    assert "unsolicited_marketing" not in categories
    assert categories  # held for what else it does


@pytest.mark.parametrize(
    "text",
    ["Check out my channel!!! follow me www.example-spam.xyz",
     "Follow akun aku ya kak, saling follow 😊",
     "ฝากกดติดตามช่องของเราด้วยนะคะ"],
)
def test_a_customer_promoting_their_own_channel_is_flagged(engine: PolicyEngine,
                                                           text: str) -> None:
    """Advertisements sent by customers (Shop guidelines 5.3) are labelled, never blocked."""
    decision = engine.check_inbound(_inbound(text), PolicyContext(channel="tiktok_shop"))
    assert [v.rule_id for v in decision.violations] == [
        "unsolicited_marketing.inbound_self_promotion"]
    assert not decision.blocked
