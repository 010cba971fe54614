"""Recognise personal and payment data in text, Presidio-style: small recognisers, one analyzer that merges them.

Each recogniser finds candidates with a regular expression, optionally anchored on per-language keywords
("CVV", "安全码", "Prüfnummer"...) and checked by a validation hook (Luhn for cards). The analyzer resolves overlaps
by priority. A number written the way cards are (a card network's prefix, a card's length, contiguous or in the
groups printed on cards, Luhn-valid) is a card even right after "order" or "tracking": people paste their card
where a form asks for an order number. Any other Luhn-valid 13-19 digit run is a card only where no order or
tracking number claims it (302-1234567-7654321 stays an order number). Cards, CVVs, passwords and e-mails win over
phone numbers.

Why regular expressions over text rather than spaCy token matchers: tokenisers disagree about exactly the places
that matter here. English keeps "CVV:123" as one token, jieba splits "安全码" into "安全" + "码" in context, and a
card number is four tokens in one language and one in another. Patterns over the folded text (same length as the
original, so spans stay exact) behave the same in every language.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import polars as pl

from qa_engine.nlp.normalize import base_language, fold
from qa_engine.nlp.screens import LiteralScreen

EMAIL, PHONE, CREDIT_CARD, CVV, PASSWORD = "EMAIL", "PHONE", "CREDIT_CARD", "CVV", "PASSWORD"
ORDER_NUMBER, TRACKING_NUMBER = "ORDER_NUMBER", "TRACKING_NUMBER"
MASKED_LABELS = frozenset({EMAIL, PHONE, CREDIT_CARD, CVV, PASSWORD})  # what reports must hide
DISCLOSURE_LABELS = frozenset(
    {CREDIT_CARD, CVV, PASSWORD}
)  # CONTRACT.md section 3: an agent never writes these


@dataclass(frozen=True)
class PiiHit:
    """One recognised item: label, character span [start, end) in the original text, its text and a score."""

    label: str
    start: int
    end: int
    text: str
    score: float
    recognizer: str


class Recognizer(ABC):
    """Presidio's shape: a name, the label it reports, and `analyze`. Higher `priority` wins overlaps."""

    name: ClassVar[str]
    label: ClassVar[str]
    priority: ClassVar[int] = 2
    # What any hit needs, so the analyzer can skip a recogniser on text that cannot hold one (most turns have
    # no "@" and few digits): at least `min_digits` decimal digits, and every character of `needs`.
    min_digits: ClassVar[int] = 0
    needs: ClassVar[str] = ""

    @abstractmethod
    def analyze(self, text: str, language: str) -> list[PiiHit]:
        """Hits in `text` (already folded), for a base language code."""

    def may_match(self, text: str, language: str, digits: int) -> bool:
        """False only when `text` (folded, holding `digits` decimal digits) cannot hold a hit: a cheap test that
        lets the analyzer skip the recogniser's patterns."""
        return digits >= self.min_digits and all(c in text for c in self.needs)


# a letter that would make a Latin keyword part of a longer word: any letter but Chinese, kana and Hangul, which
# Chinese, Japanese and Korean write right against a Latin word ("CVV是 321", "パスワードはabc")
_WORD_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"


def _keyword_pattern(words: Iterable[str]) -> str:
    """An alternation of keywords, longest first; Latin words must stand alone ("order" is not in "border")."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        body = r"\s+".join(re.escape(piece) for piece in word.split())
        if word[0].isascii() and word[0].isalnum():
            body = rf"(?<!{_WORD_LETTER})" + body
        if word[-1].isascii() and word[-1].isalpha():
            body += rf"(?!{_WORD_LETTER})"
        parts.append(body)
    return "(?:" + "|".join(parts) + ")"


class PatternRecognizer(Recognizer):
    """Regex candidates (the span of group `value` if the pattern has one), kept when `validate` agrees.

    `keywords` (per language) are put in front of every pattern through the `{kw}` placeholder. A language
    without its own list gets every listed language's keywords; English keywords always apply, because "CVV" or
    "password" turns up in every language's support chats.
    """

    patterns: ClassVar[tuple[str, ...]]
    keywords: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    score: ClassVar[float] = 0.85

    def analyze(self, text: str, language: str) -> list[PiiHit]:
        hits = []
        for regex in self._regexes(language):
            group = "value" if "value" in regex.groupindex else 0
            for match in regex.finditer(text):
                span = self.validate(text, *match.span(group))
                if span is not None:
                    start, end = span
                    hits.append(PiiHit(self.label, start, end, text[start:end], self.score, self.name))
        return hits

    def validate(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """The span to report for the candidate text[start:end], or None to drop it (Presidio's validate_result)."""
        return start, end

    def may_match(self, text: str, language: str, digits: int) -> bool:
        """Keyword-anchored patterns also need one of their keywords somewhere in the text."""
        if not super().may_match(text, language, digits):
            return False
        screen = _keyword_screen(type(self), language)
        return screen is None or screen.search(text)

    def _regexes(self, language: str) -> list[re.Pattern[str]]:
        return _compiled(type(self), base_language(language))


def _keywords_for(recognizer: type[PatternRecognizer], language: str) -> tuple[str, ...]:
    """The language's own keywords plus the English ones, or every listed language's when it has none."""
    keywords = recognizer.keywords
    own = keywords.get(language)
    return (*own, *keywords.get("en", ())) if own else tuple(w for ws in keywords.values() for w in ws)


@cache
def _compiled(recognizer: type[PatternRecognizer], language: str) -> list[re.Pattern[str]]:
    kw = _keyword_pattern(_keywords_for(recognizer, language)) if recognizer.keywords else ""
    return [re.compile(p.replace("{kw}", kw), re.IGNORECASE) for p in recognizer.patterns]


@cache
def _keyword_screen(recognizer: type[PatternRecognizer], language: str) -> LiteralScreen | None:
    """Whether a text holds a keyword's first word anywhere, for patterns that all start with `{kw}` (None
    when some pattern does not need a keyword): a substring test instead of the keyword regex."""
    if not recognizer.keywords or not all(p.startswith("{kw}") for p in recognizer.patterns):
        return None
    return LiteralScreen(w.split()[0] for w in _keywords_for(recognizer, base_language(language)))


# Letters of alphabetic scripts (Latin with accents, Greek, Cyrillic) as addresses may hold them (RFC 6531:
# müller@firma.de, jürgen.groß@…); not CJK or kana: in "邮箱是a@b.com" the Chinese characters are not part of it.
_ADDRESS_CHAR = "A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"


class EmailRecognizer(PatternRecognizer):
    name, label, score = "email", EMAIL, 0.9
    needs = "@"
    patterns = (
        rf"(?<![{_ADDRESS_CHAR}._%+-])[{_ADDRESS_CHAR}][{_ADDRESS_CHAR}._%+-]*@[{_ADDRESS_CHAR}]"
        rf"(?:[{_ADDRESS_CHAR}-]*[{_ADDRESS_CHAR}])?(?:\.[{_ADDRESS_CHAR}](?:[{_ADDRESS_CHAR}-]*[{_ADDRESS_CHAR}])?)*"
        rf"\.[A-Za-z\u00c0-\u024f\u0400-\u04ff]{{2,24}}(?![{_ADDRESS_CHAR}-])",
    )


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment-card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# Issuer prefixes (IIN ranges) of the networks that issue cards worldwide, with their card lengths.
_CARD_NETWORKS: tuple[tuple[tuple[tuple[int, int], ...], frozenset[int]], ...] = (
    (((4, 4),), frozenset({13, 16, 19})),  # Visa
    (((51, 55), (2221, 2720)), frozenset({16})),  # Mastercard
    (((34, 34), (37, 37)), frozenset({15})),  # American Express
    (((6011, 6011), (644, 649), (65, 65)), frozenset(range(16, 20))),  # Discover
    (((3528, 3589),), frozenset(range(16, 20))),  # JCB
    (((62, 62),), frozenset(range(16, 20))),  # UnionPay
    (((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),  # Diners Club
    (((5018, 5018), (5020, 5020), (5038, 5038), (6304, 6304), (6759, 6759), (6761, 6763)), frozenset(range(12, 20))),  # Maestro
)  # fmt: skip
# how card numbers are printed and typed: 4-4-4-4 (and 4-4-4-4-3 for 19 digits), Amex 4-6-5, Diners 4-6-4
_CARD_GROUPS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4),
                          (4, 4, 4, 1), (4, 4, 4, 3), (4, 4, 5)})  # fmt: skip


def card_network_length(digits: str) -> bool:
    """Whether `digits` start with a card network's issuer prefix and have one of that network's lengths."""
    for ranges, lengths in _CARD_NETWORKS:
        if len(digits) in lengths and any(lo <= int(digits[: len(str(lo))]) <= hi for lo, hi in ranges):
            return True
    return False


def card_shaped(groups: tuple[int, ...]) -> bool:
    """Written as a card is (the digit counts of its groups): contiguous, or in the groups cards print."""
    return len(groups) == 1 or groups in _CARD_GROUPS


_GAP = r"[ \t\u00a0\u2009\u202f\u3000]*"  # spaces, no-break and thin spaces, the ideographic space
# Between the groups of a card as people type and paste it: one separator with spaces around it (hyphens and
# dashes, the katakana long-vowel mark that Japanese keyboards give for a dash, underscores, dots, slashes, commas,
# brackets) or up to three spaces or line breaks ("my card:\n4111 1111\n1111 1111").
_CARD_SEPARATOR = _GAP + r"[-\u2010-\u2015\u2212\u30fc\uff70_./,()]" + _GAP + r"|\s{1,3}"
_MAX_GROUPS = 5  # the most groups any card prints (4-4-4-4-3)


class CreditCardRecognizer(PatternRecognizer):
    """A payment card: 13-19 digits with a network's prefix and length, Luhn-valid, written as cards are.

    Finds runs of digit groups, then the cards inside a run, at group boundaries: a card is often followed by its
    expiry date and security code with no word between ("4111 1111 1111 1111 12/28 123") and preceded by other
    numbers ("3. 4111..."), and the run as a whole is then no card. Letters may touch it ("visa4111111111111111"):
    a network prefix, a card's length and the Luhn check are enough. Beats order and tracking numbers: a card after
    "order" or "订单" is still a card (see the module docstring)."""

    name, label, score = "credit_card", CREDIT_CARD, 1.0
    priority = 4
    min_digits = 13
    patterns = (rf"(?<!\d)\d+(?:(?:{_CARD_SEPARATOR})\d+)*",)
    _separator = re.compile(_CARD_SEPARATOR)
    only_from_the_first_group = False
    max_groups = _MAX_GROUPS

    def analyze(self, text: str, language: str) -> list[PiiHit]:
        hits = []
        for regex in self._regexes(language):
            for run in regex.finditer(text):
                if sum(c.isdigit() for c in run.group()) >= self.min_digits:
                    hits += [
                        PiiHit(self.label, a, b, text[a:b], self.score, self.name)
                        for a, b in self._cards(run)
                    ]
        return hits

    def _cards(self, run: re.Match[str]) -> list[tuple[int, int]]:
        """The cards in a run of digit groups: from each group on, the longest stretch of whole groups that is one."""
        bounds, at = [], run.start()
        for gap in self._separator.finditer(run.group()):
            bounds.append((at, run.start() + gap.start()))
            at = run.start() + gap.end()
        bounds.append((at, run.end()))
        found, i = [], 0
        starts = 1 if self.only_from_the_first_group else len(bounds)
        while i < min(starts, len(bounds)):
            for j in range(min(len(bounds), i + self.max_groups) - 1, i - 1, -1):
                groups = tuple(b - a for a, b in bounds[i : j + 1])
                digits = "".join(run.string[a:b] for a, b in bounds[i : j + 1])
                if self.plausible(groups, digits) and len(set(digits)) > 1 and luhn_valid(digits):
                    found.append((bounds[i][0], bounds[j][1]))
                    i = j
                    break
            i += 1
        return found

    def plausible(self, groups: tuple[int, ...], digits: str) -> bool:
        return card_network_length(digits) and card_shaped(groups)


class LooseCardRecognizer(CreditCardRecognizer):
    """Any other Luhn-valid 13-19 digits with a card network's first digit (2-6), in any grouping by spaces,
    hyphens or dots, not glued to letters: a card unless an order or tracking number claims the same digits. Only
    from a run's first group on (a card followed by its expiry or code), so that a long run of other numbers does
    not hide a chance Luhn match in its middle."""

    name = "credit_card_loose"
    priority = 2
    patterns = (r"(?<![A-Za-z0-9+])(?<!\d[ .-])\d(?:[ .-]?\d)*(?![A-Za-z0-9])",)
    _separator = re.compile(r"[ .-]")
    only_from_the_first_group = True
    max_groups = 19

    def plausible(self, groups: tuple[int, ...], digits: str) -> bool:
        return 13 <= len(digits) <= 19 and digits[0] in "23456"


class CvvRecognizer(PatternRecognizer):
    """A card security code: a keyword, a few non-digit characters ("is", ":", "是"), then exactly 3-4 digits."""

    name, label, score = "cvv", CVV, 0.9
    min_digits = 3
    keywords: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "en": ("cvv", "cvv2", "cvc", "cvc2", "cvn", "csc", "security code", "card verification code",
               "card verification value", "digits on the back", "digit code on the back", "number on the back"),
        "zh": ("安全码", "安全碼", "校验码", "cvv码", "信用卡验证码", "卡验证码", "卡背面", "背面三位数", "背面的三位数"),
        "de": ("prüfnummer", "kartenprüfnummer", "prüfziffer", "sicherheitscode", "kartenprüfziffer",
               "ziffern auf der rückseite", "nummer auf der rückseite"),
        "es": ("código de seguridad", "codigo de seguridad", "código cvv", "dígitos de atrás", "digitos de atras",
               "números de atrás", "dígitos del reverso"),
        "fr": ("cryptogramme", "cryptogramme visuel", "code de sécurité", "code de securite", "chiffres au dos",
               "numéro au dos", "code au dos"),
        "ja": ("セキュリティコード", "セキュリティーコード", "カード確認番号", "裏面の3桁", "裏の3桁", "裏面の番号"),
    }  # fmt: skip
    patterns = (r"{kw}[^\d\n.!?。！？]{0,12}?(?<!\d)(?P<value>\d{3,4})(?!\d)",)


_CONNECTOR = r"(?:\s*[:=]\s*|\s+[-\u2013\u2014]\s+|\s+(?:is|was|ist|lautet|war|es|era|est|était|sera|to|auf|a|à)\s+|\s*(?:是|为|為|は|が)\s*)"
# words that follow "password is" in advice, not in disclosures
_NOT_SECRETS = frozenset({
    "incorrect", "wrong", "invalid", "expired", "required", "reset", "changed", "correct", "case-sensitive",
    "falsch", "ungültig", "abgelaufen", "incorrecta", "incorrecto", "inválida", "caducada", "invalide", "expiré",
    "oublié",
})  # fmt: skip


class PasswordRecognizer(PatternRecognizer):
    """A password keyword, up to a few words, a connector ("is", ":", "lautet", "是", "は"), then the value.

    The value must look like a secret (a digit, a symbol or an inner capital) or be quoted: "your password is
    incorrect" or "the password must be 8 characters" is advice, not a disclosure.
    """

    name, label, score = "password", PASSWORD, 0.85
    keywords: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "en": ("password", "passcode", "passphrase", "temporary password", "pwd", "pw"),
        "zh": ("密码", "口令", "密碼"),
        "de": ("passwort", "kennwort"),
        "es": ("contraseña", "contrasena", "clave de acceso"),
        "fr": ("mot de passe", "mdp"),
        "ja": ("パスワード", "暗証番号"),
    }
    _between = r"[^\d\n:=.!?。！？,，\"'「『“]{0,30}?"  # "your new password for the account is ..."
    patterns = (
        r"{kw}" + _between + _CONNECTOR + r"[\"'「『“](?P<value>[^\"'」』”\n]{4,64})[\"'」』”]",
        r"{kw}" + _between + _CONNECTOR + r"(?!https?:|www\.)(?P<value>[\x21-\x7e]{4,64})",
        # no connector ("login: mia / password Abc12345", "密码abc12345已重置"): only a value with a digit right after
        # the keyword (after a space, or straight after a Chinese or Japanese keyword)
        r"{kw}(?:\s+|(?<=[\u3040-\u30ff\u4e00-\u9fff]))(?!https?:|www\.)(?P<value>(?=[\x21-\x7e]*\d)[\x21-\x7e]{4,64})",
    )

    def validate(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        if text.startswith(tuple(MASK_TAGS.values()), start):
            return None  # masked already ("Passwort: [PASSWORD]", as search and the app read stored text)
        quoted = start > 0 and text[start - 1] in "\"'「『“"
        value = text[start:end].rstrip(".,;:!?)]}\"'")
        if len(value) < 4 or value.lower() in _NOT_SECRETS:
            return None
        secret_like = (
            any(c.isdigit() for c in value)
            or any(not c.isalnum() and c not in "-'" for c in value)
            or any(c.isupper() for c in value[1:])
        )
        return (start, start + len(value)) if quoted or secret_like else None


_REFERENCE_VALUE = r"(?P<value>[A-Za-z0-9][A-Za-z0-9/-]*(?: \d+)*)"
_REFERENCE_WORDS = _keyword_pattern(
    ("number", "no", "nr", "num", "id", "is", "ist", "lautet", "es", "est", "n°", "nº", "número", "numéro", "番号",
     "是", "为", "は", "が")
)  # fmt: skip
_REFERENCE_GAP = (
    rf"[\s:#=.-]*(?:{_REFERENCE_WORDS}[\s:#=.-]*){{0,3}}"  # "order number is", "Bestellnummer ist"
)


class _ReferenceRecognizer(PatternRecognizer):
    """Shared check for order and tracking numbers: the value needs at least five digits."""

    priority = 3
    score = 0.9
    min_digits = 5

    def validate(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        return (start, end) if sum(c.isdigit() for c in text[start:end]) >= 5 else None


class OrderNumberRecognizer(_ReferenceRecognizer):
    name, label = "order_number", ORDER_NUMBER
    keywords: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "en": ("order", "order number", "order no", "order id", "purchase order"),
        "zh": ("订单", "订单号", "订单编号", "訂單"),
        "de": ("bestellung", "bestellnummer", "auftragsnummer", "auftrag"),
        "es": ("pedido", "número de pedido", "numero de pedido", "orden"),
        "fr": ("commande", "numéro de commande", "numero de commande"),
        "ja": ("注文番号", "ご注文番号", "注文"),
    }
    patterns = (
        r"{kw}" + _REFERENCE_GAP + _REFERENCE_VALUE,
        r"(?<![A-Za-z0-9])\d{3}-\d{7}-\d{7}(?![A-Za-z0-9])",  # marketplace order ids, e.g. 302-1234567-7654321
    )


class TrackingNumberRecognizer(_ReferenceRecognizer):
    name, label = "tracking_number", TRACKING_NUMBER
    keywords: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "en": ("tracking", "tracking number", "tracking no", "tracking id", "tracking code", "waybill",
               "shipment number", "parcel number"),
        "zh": ("运单号", "运单", "快递单号", "物流单号", "追踪号", "跟踪号", "单号"),
        "de": ("sendungsnummer", "sendungsverfolgungsnummer", "trackingnummer", "tracking-nummer", "paketnummer"),
        "es": ("número de seguimiento", "numero de seguimiento", "seguimiento", "número de rastreo"),
        "fr": ("numéro de suivi", "numero de suivi", "suivi", "numéro de colis"),
        "ja": ("追跡番号", "お問い合わせ番号", "伝票番号", "送り状番号"),
    }  # fmt: skip
    patterns = (
        r"{kw}" + _REFERENCE_GAP + _REFERENCE_VALUE,
        r"(?<![A-Za-z0-9])(?:1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2}|(?:SF|JD|YT|JT)[0-9A-Z]{10,18})(?![A-Za-z0-9])",
    )


class PhoneRecognizer(PatternRecognizer):
    """7-15 digits with the usual separators; dates and prices are not phones. Loses every overlap."""

    name, label, score = "phone", PHONE, 0.6
    priority = 1
    min_digits = 7
    patterns = (r"(?<![A-Za-z0-9])(?:\+\s?)?(?:\(\d{1,4}\)\s?)?\d[\d \-./()]{5,22}\d(?![A-Za-z0-9])",)
    _not_phone = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d+[.,]\d{1,2}")

    def validate(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        value = text[start:end]
        if not 7 <= sum(c.isdigit() for c in value) <= 15 or self._not_phone.fullmatch(value):
            return None
        return start, end


DEFAULT_RECOGNIZERS: tuple[Recognizer, ...] = (
    EmailRecognizer(), CreditCardRecognizer(), LooseCardRecognizer(), CvvRecognizer(), PasswordRecognizer(),
    OrderNumberRecognizer(), TrackingNumberRecognizer(), PhoneRecognizer(),
)  # fmt: skip


_DIGIT = re.compile(r"\d")  # what the recognisers' \d matches: any decimal digit


class PiiAnalyzer:
    """Runs its recognisers over folded text and keeps the best hit wherever two overlap."""

    def __init__(self, recognizers: Iterable[Recognizer] = DEFAULT_RECOGNIZERS) -> None:
        self.recognizers = tuple(recognizers)

    def analyze(self, text: str, language: str | None, labels: Collection[str] | None = None) -> list[PiiHit]:
        """Hits sorted by start; `labels` keeps only those labels (after overlaps are resolved)."""
        if not text:
            return []
        folded = fold(text)
        code = base_language(language)
        digits = len(_DIGIT.findall(folded))
        wanted = [r for r in self.recognizers if labels is None or r.label in labels]
        able = [r for r in wanted if r.may_match(folded, code, digits)]
        candidates = [
            (recognizer.priority, hit) for recognizer in able for hit in recognizer.analyze(folded, code)
        ]
        if not candidates:
            return []  # overlaps only remove hits: no wanted candidate, no wanted hit
        if labels is not None:  # the others only matter for the overlaps they win
            others = [
                r for r in self.recognizers if r.label not in labels and r.may_match(folded, code, digits)
            ]
            candidates += [(r.priority, hit) for r in others for hit in r.analyze(folded, code)]
        candidates.sort(key=lambda ph: (-ph[0], -ph[1].score, ph[1].start - ph[1].end, ph[1].start))
        kept: list[PiiHit] = []
        for _, hit in candidates:
            if all(hit.end <= k.start or hit.start >= k.end for k in kept):
                kept.append(hit)
        # report the original characters, not the folded ones
        return sorted(
            (PiiHit(h.label, h.start, h.end, text[h.start : h.end], h.score, h.recognizer) for h in kept
             if labels is None or h.label in labels),
            key=lambda h: h.start,
        )  # fmt: skip


_DEFAULT_ANALYZER = PiiAnalyzer()


def analyze_pii(text: str, language: str | None, labels: Collection[str] | None = None) -> list[PiiHit]:
    """PII hits in one text with the default recognisers (see PiiAnalyzer.analyze)."""
    return _DEFAULT_ANALYZER.analyze(text, language, labels)


MASK_TAGS = {CREDIT_CARD: "[CARD]", CVV: "[CVV]", PASSWORD: "[PASSWORD]", EMAIL: "[EMAIL]", PHONE: "[PHONE]"}


def mask(hit: PiiHit) -> str:
    """The tag shown or kept instead of a hit. A card keeps none of its digits: its last four would still narrow
    down whose card it is, and nothing downstream needs them."""
    return MASK_TAGS.get(hit.label, f"[{hit.label}]")


def mask_pii(text: str, language: str | None) -> str:
    """`text` with e-mails, phone numbers, card numbers, CVVs and password values replaced by tags."""
    masked = text
    for hit in reversed(analyze_pii(text, language, MASKED_LABELS)):
        masked = masked[: hit.start] + mask(hit) + masked[hit.end :]
    return masked


def masked_texts(texts: pl.Series) -> pl.Series:
    """`mask_pii` over a column of texts, for what search reads: only texts with an "@" or seven digits can hold an
    e-mail address or phone number (payment data is never stored), so the rest are not analysed."""
    may_hold = texts.str.contains(r"@|(?s)\d.*\d.*\d.*\d.*\d.*\d.*\d").fill_null(False)
    if not may_hold.any():
        return texts
    values = texts.to_list()
    for i in may_hold.arg_true().to_list():
        values[i] = mask_pii(values[i], None)
    return pl.Series(texts.name, values, dtype=pl.String)
