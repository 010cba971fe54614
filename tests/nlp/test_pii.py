import re

import pytest

from qa_engine.nlp.pii import (
    CREDIT_CARD,
    CVV,
    EMAIL,
    ORDER_NUMBER,
    PASSWORD,
    PHONE,
    TRACKING_NUMBER,
    analyze_pii,
    luhn_valid,
    mask_pii,
)  # fmt: skip

# (language, text, [(label, matched text)]): the hits the analyzer must report, and only those
HITS = [
    ("en", "Your card is 4242 4242 4242 4242.", [(CREDIT_CARD, "4242 4242 4242 4242")]),
    ("en", "Card 4111-1111-1111-1111, CVV 123.", [(CREDIT_CARD, "4111-1111-1111-1111"), (CVV, "123")]),
    ("en", "Amex 3782 822463 10005 on file", [(CREDIT_CARD, "3782 822463 10005")]),
    ("en", "card 5555555555554444", [(CREDIT_CARD, "5555555555554444")]),
    ("en", "Your temporary password is Welcome2024!", [(PASSWORD, "Welcome2024")]),
    ("en", "Your password: 'sunshine'", [(PASSWORD, "sunshine")]),
    ("en", "the security code is 4321", [(CVV, "4321")]),
    ("en", "Call +1 (415) 555-0132 or write to jane.doe@example.com",
     [(PHONE, "+1 (415) 555-0132"), (EMAIL, "jane.doe@example.com")]),
    ("zh", "您的卡号是4111111111111111，安全码：123，密码是abc12345。",
     [(CREDIT_CARD, "4111111111111111"), (CVV, "123"), (PASSWORD, "abc12345")]),
    ("zh", "临时密码为Kx82pq", [(PASSWORD, "Kx82pq")]),
    ("zh", "邮箱是abc@x.com，手机13800138000", [(EMAIL, "abc@x.com"), (PHONE, "13800138000")]),
    ("de", "Die Kartenprüfnummer lautet 456. Ihr neues Passwort lautet Kx82!pq.", [(CVV, "456"), (PASSWORD, "Kx82!pq")]),
    ("de", "Kartennummer 6011 1111 1111 1117", [(CREDIT_CARD, "6011 1111 1111 1117")]),
    ("ja", "パスワードはAbc12345です。セキュリティコードは123です。", [(PASSWORD, "Abc12345"), (CVV, "123")]),
    ("ja", "カード番号は４２４２　４２４２　４２４２　４２４２です", [(CREDIT_CARD, "４２４２\u3000４２４２\u3000４２４２\u3000４２４２")]),
    ("es", "Su contraseña temporal es Kx82pq y el código de seguridad es 987.", [(PASSWORD, "Kx82pq"), (CVV, "987")]),
    ("fr", "Votre mot de passe : Kx82pq. Le cryptogramme visuel : 321.", [(PASSWORD, "Kx82pq"), (CVV, "321")]),
    ("fr", "Carte 3530 1113 3330 0000", [(CREDIT_CARD, "3530 1113 3330 0000")]),
    # order and tracking numbers are recognised so that they are not taken for cards ...
    ("en", "Your order number is 302-1234567-7654321.", [(ORDER_NUMBER, "302-1234567-7654321")]),
    ("zh", "订单号 2026112012345678 已发货，运单号SF1234567890123",
     [(ORDER_NUMBER, "2026112012345678"), (TRACKING_NUMBER, "SF1234567890123")]),
    ("en", "Tracking number: 9400 1118 9922 3100 0123 45", [(TRACKING_NUMBER, "9400 1118 9922 3100 0123 45")]),
    ("de", "Ihre Bestellnummer ist 4242 42 4242 4242 42.", [(ORDER_NUMBER, "4242 42 4242 4242 42")]),
    # ... but a number written as a card is (prefix, length, grouping, Luhn) is a card, whatever word comes before
    ("en", "Tracking number: 4242 4242 4242 4242", [(CREDIT_CARD, "4242 4242 4242 4242")]),
    ("en", "my order 4111 1111 1111 1111 pls", [(CREDIT_CARD, "4111 1111 1111 1111")]),
    ("de", "Ihre Bestellnummer ist 4242424242424242.", [(CREDIT_CARD, "4242424242424242")]),
    ("ja", "ご注文番号：4242424242424242", [(CREDIT_CARD, "4242424242424242")]),
    ("zh", "订单4111111111111111", [(CREDIT_CARD, "4111111111111111")]),
    ("es", "Número de pedido: 5555-5555-5555-4444", [(CREDIT_CARD, "5555-5555-5555-4444")]),
    ("es", "mi orden 3782 822463 10005", [(CREDIT_CARD, "3782 822463 10005")]),
    ("en", "Cards 4111 1111 1111 1111 and 5555555555554444, cvv 123",
     [(CREDIT_CARD, "4111 1111 1111 1111"), (CREDIT_CARD, "5555555555554444"), (CVV, "123")]),
    ("de", "Schreiben Sie an müller@example.de oder jürgen.groß@firma.de",
     [(EMAIL, "müller@example.de"), (EMAIL, "jürgen.groß@firma.de")]),
    ("fr", "Numéro de suivi : 1Z999AA10123456784", [(TRACKING_NUMBER, "1Z999AA10123456784")]),
    # grouped by dots; a Latin keyword right against Chinese; a code named by where it is printed; a password
    # with no connector but a digit
    ("en", "Card 4111.1111.1111.1111 please", [(CREDIT_CARD, "4111.1111.1111.1111")]),
    ("zh", "我的卡号是 5555 5555 5555 4444 CVV是 321", [(CREDIT_CARD, "5555 5555 5555 4444"), (CVV, "321")]),
    ("en", "the 3 digits on the back are 123", [(CVV, "123")]),
    ("zh", "卡背面三位数是123", [(CVV, "123")]),
    ("fr", "les 3 chiffres au dos : 456", [(CVV, "456")]),
    ("en", "login: mia / password Abc12345", [(PASSWORD, "Abc12345")]),
    # cards as people type and paste them: followed by the expiry and code with no word between, other
    # separators, a dash typed as the katakana long-vowel mark, a line break, glued to letters
    ("en", "charge 4111111111111111 123 please", [(CREDIT_CARD, "4111111111111111")]),
    ("en", "card 5500 0000 0000 0004 12/28 321", [(CREDIT_CARD, "5500 0000 0000 0004")]),
    ("en", "4111 1111 1111 1111 1228 123", [(CREDIT_CARD, "4111 1111 1111 1111")]),
    ("en", "card 4111  1111  1111  1111", [(CREDIT_CARD, "4111  1111  1111  1111")]),
    ("en", "card 5500/0000/0000/0004 or 4111–1111–1111–1111", [(CREDIT_CARD, "5500/0000/0000/0004"),
                                                             (CREDIT_CARD, "4111–1111–1111–1111")]),
    ("en", "card 4111_1111_1111_1111, 4111,1111,1111,1111", [(CREDIT_CARD, "4111_1111_1111_1111"),
                                                          (CREDIT_CARD, "4111,1111,1111,1111")]),
    ("en", "card 4111 / 1111 / 1111 / 1111 ok", [(CREDIT_CARD, "4111 / 1111 / 1111 / 1111")]),
    ("ja", "カード４１１１ー１１１１ー１１１１ー１１１１です", [(CREDIT_CARD, "４１１１ー１１１１ー１１１１ー１１１１")]),
    ("en", "my card:\n4111 1111\n1111 1111\nexp 12/28", [(CREDIT_CARD, "4111 1111\n1111 1111")]),
    ("en", "visa4111111111111111exp1228", [(CREDIT_CARD, "4111111111111111")]),
    ("en", "3. 4111 1111 1111 1111", [(CREDIT_CARD, "4111 1111 1111 1111")]),
    # a password straight after a Chinese keyword, after a dash, after "pw"
    ("zh", "好的，密码abc12345已重置。", [(PASSWORD, "abc12345")]),
    ("en", "Password - Hunter2!", [(PASSWORD, "Hunter2")]),  # a closing "!" is read as the sentence's
    ("en", "pw: Hunter2!", [(PASSWORD, "Hunter2")]),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "expected"), HITS)
def test_hits(language: str, text: str, expected: list[tuple[str, str]]) -> None:
    hits = analyze_pii(text, language)
    assert [(h.label, h.text) for h in hits] == expected
    for hit in hits:
        assert text[hit.start : hit.end] == hit.text  # spans point into the original text
        assert 0 < hit.score <= 1


NON_HITS = [
    ("en", "The card ending in 4242 was charged."),
    ("en", "Your card **** **** **** 4242 was refunded."),
    ("en", "Card 4242 4242 4242 4241 failed."),  # not Luhn-valid
    ("en", "Your password is incorrect. Never share your password or CVV with anyone."),
    ("en", "The password must be at least 8 characters."),
    ("en", "I've reset your password; the new one is in your inbox."),
    ("en", "Your CVV is the 3-digit code on the back of the card."),
    ("en", "We ship by 2026-11-20 and refund 129.99 within 24 hours."),
    ("en", "Waybill SF1234567890123 is on its way."),
    ("zh", "请不要向任何人透露您的密码或安全码。"),
    ("zh", "尾号4242的卡已退款。"),
    ("de", "Teilen Sie niemals Ihr Passwort oder Ihre Prüfnummer mit."),
    ("ja", "パスワードは8文字以上にしてください。"),
    ("es", "Nunca comparta su contraseña ni su código de seguridad."),
    ("fr", "Votre mot de passe est incorrect."),
    ("en", "Your password reset link expires in 30 minutes."),
    ("zh", "订单号后三位是123，卡背面没有写字。"),
    ("en", "IBAN DE89 3704 0044 0532 0130 00, amounts 12,50, 13,99, 100,00"),
    ("en", "Tracking number: 9400 1118 9922 3100 0123 45"),
    ("zh", "密码错误，请重试"),
    ("de", "Passwort: [PASSWORD]"),  # masked already: read again by search and the app, it stays as it is
]


@pytest.mark.parametrize(("language", "text"), NON_HITS)
def test_non_disclosures(language: str, text: str) -> None:
    assert [(h.label, h.text) for h in analyze_pii(text, language, {CREDIT_CARD, CVV, PASSWORD})] == []


def test_unknown_language_uses_every_keyword_list() -> None:
    assert [(h.label, h.text) for h in analyze_pii("Parola: x. Passwort: Kx82pq", "it")] == [
        (PASSWORD, "Kx82pq")
    ]
    assert [(h.label, h.text) for h in analyze_pii("密码是abc12345", None)] == [(PASSWORD, "abc12345")]


def test_luhn() -> None:
    assert luhn_valid("4242424242424242") and luhn_valid("378282246310005")
    assert not luhn_valid("4242424242424241")


@pytest.mark.parametrize(
    ("language", "text", "masked"),
    [
        ("en", "Card 4242 4242 4242 4242, CVV 123, mail a@b.co, call +49 30 1234567.",
         "Card [CARD], CVV [CVV], mail [EMAIL], call [PHONE]."),
        ("zh", "密码是abc12345，订单号 302-1234567-7654321", "密码是[PASSWORD]，订单号 302-1234567-7654321"),
        ("ja", "パスワードはAbc12345です", "パスワードは[PASSWORD]です"),
        ("fr", "Rien à masquer ici.", "Rien à masquer ici."),
    ],
)  # fmt: skip
def test_mask_pii(language: str, text: str, masked: str) -> None:
    assert mask_pii(text, language) == masked


@pytest.mark.parametrize("labels", [None, ["CREDIT_CARD", "CVV", "PASSWORD"], ["PASSWORD"]])
def test_skipping_recognisers_on_text_that_cannot_hold_a_hit_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, labels: list[str] | None
) -> None:
    """The analyzer skips a recogniser when the text has too few digits, lacks a character every hit needs or
    holds none of its keywords, and skips everything when no recogniser of a wanted label can match; with those
    shortcuts switched off, every text of the test tables and of 300 generated tickets (which plant cards, CVVs,
    passwords, e-mails, phones, order and tracking numbers) gets exactly the same hits."""
    from bench.generate import generate_tickets
    from qa_engine.nlp import pii

    corpus = [(language, text) for language, text, _ in HITS] + list(NON_HITS)
    corpus += [(t["language"], turn["text"]) for t in generate_tickets(300, seed=11) for turn in t["turns"]]
    corpus += [
        ("en", "Your paſſword is Kx82!pq"),
        ("de", "Das PASSWORT lautet Kx82!pq"),
        ("fr", "MDP : Kx82!pq"),
    ]
    fast = [pii.analyze_pii(text, language, labels) for language, text in corpus]
    assert sum(map(len, fast)) > (100 if labels is None else 10)  # the corpus really holds PII
    monkeypatch.setattr(pii.Recognizer, "may_match", lambda self, text, language, digits: True)
    monkeypatch.setattr(pii.PatternRecognizer, "may_match", lambda self, text, language, digits: True)
    assert [pii.analyze_pii(text, language, labels) for language, text in corpus] == fast


@pytest.mark.parametrize(
    "text",
    ["Your PassWord is x", "your paſſword is x", "PASSWORD", "das Kennwort", "パスワードは", "ﬁ password"],
)
def test_keyword_screen_passes_every_text_the_keyword_regex_matches(text: str) -> None:
    from qa_engine.nlp import pii

    screen = pii._keyword_screen(pii.PasswordRecognizer, "xx")  # every language's keywords
    assert re.search(r"passwor[dt]|kennwort|パスワード", text, re.IGNORECASE)
    assert screen.search(text)


def test_keyword_screen_rejects_text_without_a_keyword() -> None:
    from qa_engine.nlp import pii

    assert not pii._keyword_screen(pii.PasswordRecognizer, "en").search(
        "Your parcel left the warehouse today."
    )
