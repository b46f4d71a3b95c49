"""Each category: messages it must flag and near-misses it must pass, in several languages.

None of these sentences is taken from the measurement corpus; they are written from the
policy texts and from how such messages are usually phrased, so they also tell whether the
rules generalise.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mmtkit.policy import Decision

Check = Callable[..., Decision]

FLAGGED = [
    ("off_platform_diversion", "add me on the gram for restock updates, just search lunathreads"),

    # sensitive_data_request
    ("sensitive_data_request",
     "Please reply with the verification code we just sent to your "
     "phone."),
    ("sensitive_data_request",
     "Kak, tolong kirimkan kode OTP yang masuk ke SMS ya biar refund "
     "cepat."),
    ("sensitive_data_request", "Cho em xin mã OTP vừa gửi về điện thoại chị để xác nhận đơn nhé."),
    ("sensitive_data_request", "กรุณาส่งเลขบัตรเครดิตและ CVV มาทางแชทค่ะ"),
    ("sensitive_data_request", "Para la garantía, envíe una foto de su tarjeta y el código CVV."),
    ("sensitive_data_request", "To join our club, tell us your sexual orientation and religion."),
    ("sensitive_data_request", "Pakisend po ng petsa ng kapanganakan at medical records ninyo."),
    ("sensitive_data_request", "¿Me dictas los 6 números que te acaban de llegar?"),
    ("sensitive_data_request", "Manda uma foto do seu cartão, frente e verso, por favor."),
    # off_platform_diversion
    ("off_platform_diversion", "Add me on Telegram @bestdeals_shop for the wholesale list."),
    ("off_platform_diversion",
     "Pembayaran bisa transfer ke rekening BCA 123 456 7890 a/n Toko "
     "Jaya."),
    ("off_platform_diversion", "Check our full catalogue at www.cheap-gadgets-store.com/sale"),
    ("off_platform_diversion", "Your parcel is held, pay the fee at parcel-help[.]top/id today"),
    ("off_platform_diversion",
     "Email me at orders(at)myshop(dot)net and I'll send a better "
     "price."),
    ("off_platform_diversion",
     "Please cancel this order, we will resend the link to a new "
     "listing."),
    ("off_platform_diversion",
     "Chị nhắn Zalo cho em số 0901 234 567 nha, bên đó em tư vấn nhanh "
     "hơn."),
    ("off_platform_diversion", "Pwede rin po kayo mag-order sa Shopee namin, mas mura doon."),
    ("off_platform_diversion", "It's cheaper if you order through my website."),
    # review_manipulation
    ("review_manipulation", "Leave us a 5 star review and we'll send you a $10 gift card!"),
    ("review_manipulation", "Kalau kakak kasih ulasan bintang 5, nanti dapat cashback 20rb ya."),
    ("review_manipulation",
     "Se você der 5 estrelas, ganha um cupom de desconto na próxima "
     "compra."),
    ("review_manipulation",
     "I saw your 1-star rating. Please remove it, it really hurts our "
     "shop."),
    # harassment
    ("harassment", "Stop asking the same thing, are you stupid or what?"),
    ("harassment", "Pembeli tolol, sudah dijelaskan berkali-kali masih tanya."),
    ("harassment", "Ang tanga mo naman, basahin mo muna ang description."),
    ("harassment", "Eres un idiota, el pedido ya llegó."),
    ("harassment", "Keep asking and I will find where you live."),
    # prohibited_product
    ("prohibited_product", "We can also get you tramadol, no prescription needed."),
    ("prohibited_product", "Main di situs judi online kami, bonus new member 100%!"),
    ("prohibited_product", "Rolex replica, looks 100% like the original, only $120."),
    ("prohibited_product", "Bán súng hơi và dao bướm, giao hàng kín đáo."),
    ("prohibited_product", "These antibiotics ship in two days, no prescription needed."),
    ("prohibited_product", "Obat kuatnya bisa dikirim hari ini, gak perlu resep dokter kak."),
    ("prohibited_product",
     "Lifetime Netflix premium account for $3, cracked version works on any "
     "TV."),
    # fraud_scam
    ("fraud_scam",
     "Congratulations, you won a Samsung TV in our lucky draw! Pay the RM50 "
     "delivery fee to claim it."),
    ("fraud_scam",
     "Paket kakak tertahan di bea cukai, segera bayar biaya admin Rp "
     "250.000 hari ini."),
    ("fraud_scam",
     "Your account will be suspended within 24 hours unless you confirm "
     "your details."),
    ("fraud_scam", "You overpaid $30, please transfer the difference back to us today."),
    # malware
    ("malware", "Download the tracking tool here: tinyurl.com/trackpkg and install it."),
    ("malware", "Open the attached Receipt_2291.pdf.exe to see your invoice."),
    ("malware", "Pasang aplikasi ini, lalu izinkan semua akses supaya notifikasi jalan."),
    # adult_content
    ("adult_content", "We also sell nude photos, DM for the price list."),
    ("adult_content", "Ada video syur eksklusif, khusus dewasa, mau?"),
    ("adult_content", "Tenemos contenido para adultos, videollamada hot esta noche."),
    # brand_impersonation
    ("brand_impersonation",
     "This is the TikTok Safety Team. Your shop has been flagged for "
     "review."),
    ("brand_impersonation", "Pesan resmi dari tim TikTok: kakak dapat voucher TikTok Rp50.000."),
    ("brand_impersonation", "Here is your exclusive TikTok coupon code, valid today only."),
    # unsolicited_marketing
    ("unsolicited_marketing", "FLASH SALE!!! Everything 50% off, shop now before it's gone!"),
    ("unsolicited_marketing", "Promo besar akhir tahun! Diskon hingga 70%, buruan checkout!!!"),
    ("unsolicited_marketing", "Today's deals: shampoo 30% off, conditioner buy 1 get 1."),
    # round 14 (a blind set's misses, generalised)
    ("sensitive_data_request", "To finish the refund pls login with ur bank username and pw here"),
    ("harassment", "Con esa cara no hay crema que funcione, no es culpa de la tienda."),
    ("harassment", "Kulit kakak memang jelek dari sananya, bukan salah krim kami."),
    ("adult_content", "The massage oil works great for adult activities 😏 want me to show you?"),
    ("off_platform_diversion", "Cheaper if you order on our F B page, just search our shop name."),
    # round 15 (English tuning sets AG and AH, generalised)
    ("harassment", "Careful how you talk to us. We know exactly who you are."),
    ("harassment", "Honestly, half a brain would be enough to follow these instructions."),
    ("adult_content", "New batch of adult DVDs in, very hardcore stuff, message me."),
    ("fraud_scam", "We're hiring remote data entry staff, just pay the $30 training fee to start."),
    ("off_platform_diversion", "Faster if you add me on whats, 0812 3456 7890."),
    ("prohibited_product", "No refunds, steroids ship discreetly in plain boxes."),  # no list
    # round 18 (set AL, generalised)
    ("prohibited_product", "We also do cloned number plates, ready in two days."),
    ("prohibited_product", "Bisa putar balik odometer juga kak, pembeli gak bakal tahu."),
    ("prohibited_product", "Có pháo nổ loại to, ship kín đáo toàn quốc."),
    ("prohibited_product", "Cracked Minecraft and Sims for PC, $2 each, lifetime."),
    ("prohibited_product", "รับบายพาสไอคลาวด์ค่ะ เครื่องเก็บได้ก็ทำได้"),
    ("fraud_scam",
     "The landlord is abroad, so no viewings; pay the deposit and he'll mail you the keys."),
    ("fraud_scam", "El dueño está en el extranjero, deposite hoy y le enviamos las llaves."),
    ("brand_impersonation",
     "Hi! TikTok has gifted you a free spa voucher, show this chat at our salon."),
    ("off_platform_diversion",
     "Come see the car at our showroom on Jalan Ipoh and we'll haggle in person."),
    ("off_platform_diversion",
     "Cancel your refund request and I'll transfer the money to you tonight."),
    ("off_platform_diversion", "Download our app: b i t . l y / rideapp"),
    ("sensitive_data_request", "Cho bên em xin ngày tháng năm sinh và câu hỏi bảo mật của chị ạ."),
    ("harassment", "Con ese nivel de inglés, mejor ni lo intentes."),
    ("harassment", "Your cat is filthy and smells like its owner."),
]

CLEAN = [
    "Our coffee beans are priced on the gram scale, so pick any weight you like.",

    # what never needs a prescription: saying so offers nothing prohibited
    "The vitamin D drops don't need a prescription, one drop a day with breakfast.",
    "Kem chống nắng này không cần toa bác sĩ, dùng được cho da nhạy cảm.",
    "El protector solar no necesita receta, se aplica cada dos horas.",
    "Please drop the parcel at the locker with the code we sent you.",
    "Ignore the warning light on first use, it turns off after 10 minutes.",
    "Our customer care staff for TikTok Shop orders will reply within 24 hours.",
    "Track it in the app, or on tiktok[.]com if the app is slow.",
    "Never share your OTP or password with anyone, not even with our staff.",
    "Jangan pernah berikan kode OTP kepada siapa pun, termasuk admin toko.",
    "Chúng tôi không bao giờ hỏi mật khẩu của bạn.",
    "Please pay through the TikTok Shop checkout; we don't accept bank transfers.",
    "You can request a return in the app under Orders, we'll approve it quickly.",
    "If you have a minute, an honest review would help other buyers. Thank you!",
    "The 5-star resort package includes breakfast for two.",
    "Sorry for the delay, your parcel left our warehouse this morning.",
    "We don't sell weapons or knives, only camping furniture.",
    "This is a 1:24 scale replica of a classic car, made of die-cast metal.",
    "Our serum is registered and safe for daily use.",
    "Congratulations on your purchase! Tracking will be updated tonight.",
    "Our app is on the App Store and Google Play; never install files sent by strangers.",
    "The swimsuit comes in sizes S to XL, and the fabric dries quickly.",
    "I'm from the shop's service team, not from TikTok.",
    "As you asked, the black one is 10% off until Sunday.",
    "Terima kasih kak, pesanan sudah kami kirim hari ini ya.",
    "ขอบคุณที่สั่งซื้อค่ะ สินค้าจะจัดส่งภายในวันพรุ่งนี้",
    "Gracias por su compra, el pedido llegará el viernes.",
    "Obrigado pela compra! Seu pedido chega na segunda-feira.",
    "Salamat po sa order! Ipapadala na namin bukas.",
    "Dạ shop đã giao đơn cho bên vận chuyển, chị chờ 2 ngày nhé.",
    # negations that are spent inside their phrase, with nothing to ask after them
    "Don't worry about the delay, your parcel is on the way.",
    "Why don't you try the medium size? It fits most customers.",
    "Kak jangan lupa cek ukuran sebelum order ya.",
    # a spent negation beside a warning that keeps its own
    "Don't hesitate to call us, and never share your OTP with anyone.",
    "If you did not request this code, do not share it with anyone.",
    "Tidak apa-apa kalau kakak tidak mau kasih kode OTP, kami tidak memerlukannya.",
    "Gak apa-apa kak, kode OTP jangan dikasih ke siapa pun ya.",
    "ไม่เป็นไรค่ะ ร้านไม่ขอรหัส OTP นะคะ",
    "Não tem problema, nunca passe seu código para ninguém.",
    # round 14: refunds to the wallet paid with, health advice, self-directed insults
    "Na-approve na po ang refund, babalik ito sa Maya na ginamit ninyo sa pagbayad.",
    "Ibu hamil sebaiknya konsultasi ke apoteker dulu sebelum minum vitamin ini ya kak.",
    "ถ้ามีโรคประจำตัวควรปรึกษาแพทย์ก่อนใช้ครีมนี้นะคะ",
    "Sorry, stupid mistake on my part, I packed the wrong size. A return label is in the app.",
    "Ay, ang tanga ko po, mali ang kulay na naipadala. Paki-request na lang po ng return sa app.",
    "Careful: scammers pretend to be sellers and send .exe files. We never send files.",
    # round 15: lists after "no", warnings, informal "whats", toys, the app's password reset
    "Our whey is plain protein with no hormones or steroids, the lab report is in the photos.",
    "Giveaway winners are picked live on Friday, no fees at all.",
    "If anyone says you won a prize and asks for a delivery fee, it is not us.",
    "whats the best time for the courier to drop it off?",
    "Zap the mosquitoes with our UV lamp, no chemicals needed.",
    "The toy crossbow shoots foam arrows with suction cups, safe for kids 6+.",
    "If you forgot your password, tap 'Forgot password' on the login page; we cannot reset it.",
    # round 18: what the new words stand next to in ordinary replies
    "Sparklers only! We can't ship bigger fireworks, they're not allowed here.",
    "We don't sell fake plates, only genuine plate frames and screws.",
    "If you changed your mind, cancel the return request in the app and keep the item.",
    "Our screen repair covers cracked screens on every iPhone, older models included.",
    "The flat is still available; viewings are on Saturday, no deposit before you see it.",
    "You've been gifted a free gift wrap by our shop for your first order!",
]


@pytest.mark.parametrize(("category", "text"), FLAGGED)
def test_flags_the_category(check: Check, category: str, text: str) -> None:
    decision = check(text)
    assert category in decision.categories, decision


@pytest.mark.parametrize("text", CLEAN)
def test_passes_clean_messages(check: Check, text: str) -> None:
    decision = check(text)
    assert not decision.violations, decision.violations


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Settle the unpaid tax at tiktokshop-taxportal.info within 24h.", True),
        ("Claim it at tik-tok-rewards.top/win today.", True),
        ("Log in at tiktok.com.verify-center.top to keep your account.", True),
        ("Track it at https://www.tiktok.com/shop/order/123.", False),  # the real domain
        ("The video is at vt.tiktok.com/ZS123.", False),  # and its sub-domains
        ("Our own site is candleshop.com.", False),
    ],
)
def test_links_that_borrow_the_platform_name(check: Check, text: str, flagged: bool) -> None:
    rules = {v.rule_id for v in check(text, channel="whatsapp").violations}
    assert ("brand_impersonation.lookalike_link" in rules) is flagged


def test_a_negated_threat_is_not_a_threat(check: Check) -> None:
    text = "Kak, kami tidak akan melaporkan kakak sebagai penipu, refund tetap kami proses ya."
    assert not check(text).categories & {"harassment", "review_manipulation"}


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        # "can you ..., or not?": the negation in the tag asks, it does not deny
        ("Kak, boleh tak hantar kod OTP yang masuk tadi?", True),
        ("Kak bisa gak kirim kode OTP nya ke sini?", True),
        ("Kak, bisa tidak kirim kode OTP yang barusan masuk?", True),
        # the negation before the modal is "cannot": still a warning, not a request
        ("Kak, tak boleh kongsi kod OTP dengan sesiapa ya.", False),
        ("Kode OTP tidak bisa dibagikan ke siapa pun, termasuk admin.", False),
        # a real negation after the tag still negates
        ("Kak bisa gak jangan kasih kode OTP ke siapa pun?", False),
        # negative questions that ask, in the other languages
        ("Why don't you just send me the OTP so I can fix it?", True),
        ("Can't you just send me the code from the SMS?", True),
        ("Dạ không biết chị gửi giúp em mã OTP được không ạ?", True),
        ("¿No me puedes pasar el código OTP que te llegó?", True),
        ("Você não pode me mandar o código que chegou por SMS?", True),
        ("Bakit hindi mo na lang i-send yung OTP?", True),
        ("ทำไมไม่ส่งรหัส OTP มาให้แอดมินคะ", True),
        ("Sao chị không gửi mã OTP cho em luôn ạ?", True),
        ("Kenapa gak kirim kode OTP nya aja kak?", True),
        ("Kenapa tak hantar kod OTP tu je?", True),
        ("Kenapa kami tidak pernah minta kode OTP? Demi keamanan kakak.", False),
        # statements keep their negation
        ("We can't ask you for your OTP, so please keep it to yourself.", False),
        ("Nunca le pediremos que nos pase su código OTP.", False),
        ("Never share your OTP; why not call our hotline instead?", False),
        # reminders to hand something over, and reassurances
        ("Don't forget to send me the OTP code so we can finish.", True),
        ("Jangan lupa kirim kode OTP nya ke admin ya kak.", True),
        ("อย่าลืมส่งรหัส OTP มาให้แอดมินนะคะ", True),
        ("No te olvides de mandarme el código OTP.", True),
        ("Não deixe de me mandar o código OTP.", True),
        ("Huwag kalimutang i-send ang OTP sa amin.", True),
        ("Don't hesitate to send us the verification code.", True),
        ("Don't worry just send me the OTP and I'll fix it.", True),
        # "it's fine" in every language
        ("No need to worry just send me the OTP.", True),
        ("Gak apa-apa kak kirim aja kode OTP nya ke admin.", True),
        ("Tak apa kak hantar je kod OTP tu kat sini.", True),
        ("ไม่เป็นไรค่ะส่งรหัสOTPมาได้เลย", True),
        ("Walang problema i-send mo lang ang OTP.", True),
        ("No hay problema mándame el código OTP.", True),
        ("Não tem problema me manda o código OTP.", True),
        ("It's not a problem to never share your OTP with anyone.", False),
        # conditions: the negation belongs to the condition
        ("If you did not receive the parcel please send me the OTP from the SMS.", True),
        ("Kalau gak masuk kodenya kirim ulang aja ke admin kode OTP nya.", True),
        ("Nếu chị không nhận được hàng thì gửi em mã OTP để em kiểm tra.", True),
        ("Si no te llegó el paquete mándame el código OTP.", True),
        ("Se não recebeu o pedido me manda o código OTP.", True),
        ("Kung hindi mo natanggap ang parcel i-send mo sa akin ang OTP.", True),
        ("If you didn't request this code, never share it with anyone.", False),
        # a reminder of a warning is still a warning
        ("Don't forget: never share your OTP with anyone.", False),
        ("Jangan lupa, jangan pernah kasih kode OTP ke siapa pun ya kak.", False),
    ],
)
def test_a_spent_negation_negates_nothing_after_it(check: Check, text: str,
                                                   flagged: bool) -> None:
    """Questions that ask ("boleh tak", "why don't you") and reminders to hand something
    over ("don't forget to send") hold a negation cue that negates nothing after them."""
    assert ("sensitive_data_request" in check(text).categories) is flagged


def test_a_reminder_to_visit_the_shop_in_a_promotion_is_no_diversion(check: Check) -> None:
    """Only reminders with the verb of an ask spend their negation: "don't forget to visit
    our store" in a sale broadcast means the shop page."""
    decision = check("FLASH SALE 50% off everything!!! Don't forget to visit our store.")
    assert "off_platform_diversion" not in decision.categories


@pytest.mark.parametrize("text", [
    "Dana refund akan masuk ke ShopeePay yang kakak pakai untuk bayar.",
    "El reembolso vuelve a la cuenta de Mercado Pago con la que pagaste.",
    "The refund goes back to the GCash wallet you used to pay for the order.",
])
def test_a_refund_to_the_wallet_paid_with_is_no_diversion(check: Check, text: str) -> None:
    # The message model may still ask for a look at a refund message; the diversion rules
    # must not call the customer's own wallet a payment route off the platform.
    assert "off_platform_diversion" not in check(text).categories
