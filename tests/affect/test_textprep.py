from __future__ import annotations

import pytest

from qa_engine.affect import textprep


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        (None, "empty_text"),
        ("", "empty_text"),
        ("   \n\t ", "empty_text"),
        ("...!!!", "no_text_content"),
        ("\x00\x01\x02", "empty_text"),
    ],
)
def test_texts_without_content_are_flagged_not_scored(text: str | None, flag: str) -> None:
    cleaned, got = textprep.clean(text)
    assert cleaned == ""
    assert got == flag


def test_emoji_only_text_is_scored() -> None:
    assert textprep.clean("😡") == ("😡", None)


def test_control_characters_and_lone_surrogates_are_replaced_and_flagged() -> None:
    cleaned, flag = textprep.clean("bad\x00 \ud800 parcel")
    assert "\x00" not in cleaned and "\ud800" not in cleaned
    assert "parcel" in cleaned
    assert flag == "cleaned_invalid_characters"
    cleaned.encode("utf-8")  # encodable now


def test_windows_line_ends_are_line_ends_not_invalid_characters() -> None:
    read = textprep.clean("Where is my parcel?\r\nOrder 1234\rThanks")
    assert read == ("Where is my parcel? Order 1234 Thanks", None)


def test_split_long_keeps_whole_sentences_under_the_budget() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))

    def count(parts: list[str]) -> list[int]:
        return [len(p.split()) + 2 for p in parts]

    chunks, sampled = textprep.split_long(text, count, 40)
    assert not sampled
    assert all(sum(count([c])) <= 40 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_split_long_samples_the_head_and_tail_of_huge_texts() -> None:
    text = "x. " * 50_000

    def count(parts: list[str]) -> list[int]:
        return [len(p) for p in parts]

    chunks, sampled = textprep.split_long(text, count, 8)
    assert sampled
    assert len(chunks) == textprep.MAX_CHUNKS


def test_unpunctuated_text_longer_than_the_window_is_cut_by_characters() -> None:
    text = "a" * 5000

    def count(parts: list[str]) -> list[int]:
        return [len(p) // 4 + 2 for p in parts]

    chunks, _ = textprep.split_long(text, count, 100)
    assert "".join(chunks) == text
    assert max(count(chunks)) <= 100


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Thanks!\r\n\r\nOn Mon, 20 Nov 2026 at 09:14, Support <help@shop.com> wrote:\r\n> Sorry", "Thanks!"),
        ("Thanks, that solved it!\n\nOn Mon, 20 Nov 2026 at 09:14, Support <help@shop.com> wrote:\n"
         "> We're sorry, your parcel is late. This is unacceptable.", "Thanks, that solved it!"),
        ("Merci !\n\nLe lun. 20 nov. 2026 à 09:14, Service client <sc@shop.fr> a écrit :\n> Désolés", "Merci !"),
        ("Danke!\n\nAm Mo., 20. Nov. 2026 um 09:14 Uhr schrieb Kundenservice <ks@shop.de>:\n> Leider", "Danke!"),
        ("Gracias\n\nEl lun, 20 nov 2026 a las 9:14, Soporte (<s@shop.es>) escribió:\n> Lo sentimos", "Gracias"),
        ("好的谢谢\n\n------------------ 原始邮件 ------------------\n发件人：客服\n很抱歉给您带来不便", "好的谢谢"),
        ("在 2026年11月20日 09:14，客服 <kf@shop.cn> 写道：\n很抱歉", None),  # all quote: read whole
        ("届きました。\n\n2026年11月20日(月) 9:14 Support <help@shop.jp>:\n> 申し訳ございません", "届きました。"),
        ("I'm furious.\n-----Original Message-----\nFrom: Support\nThanks for waiting", "I'm furious."),
        ("It came today, thanks!\n\n________________________________\nFrom: Support <help@shop.com>\n"
         "Sent: Monday, November 20, 2026 9:14 AM\nTo: Kim\nSubject: RE: late parcel\n\nWe're so sorry.",
         "It came today, thanks!"),
        ("Reçu, merci.\r\nDe : Service client\r\nEnvoyé : lundi 20 novembre 2026 09:14\r\nObjet : retard", "Reçu, merci."),
        ("收到了\n发件人: 客服 <kf@shop.cn>\n发送时间: 2026年11月20日 9:14\n很抱歉", "收到了"),
    ],
)  # fmt: skip
def test_the_quoted_earlier_messages_of_an_e_mail_are_not_read(text: str, read: str | None) -> None:
    # the agent's quoted apology would otherwise be read as the thankful customer's mood
    if read is None:
        assert textprep.clean(text) == (" ".join(text.split()), None)
    else:
        assert textprep.clean(text) == (read, "quoted_reply_skipped")


@pytest.mark.parametrize(
    "text",
    [
        "On Monday I wrote to you about my order, and nobody answered.",
        "De plus, le colis est arrivé cassé.",
        "I have a problem.\nFrom: my order page, the button does not work",
        "> all of it is a quote\n> and nothing else",
        # a message the customer received, quoted inline, with their own words below it
        "Heute bekomme ich das hier:\n\n> Zahlungserinnerung: Ihre Rechnung ist überfällig.\n\nIch zahle doch nicht!",
        "Is this from you?\n\n---------- Forwarded message ---------\nFrom: Shop <security@sh0p.com>\n"
        "Date: Mon, 20 Nov 2026\nVerify your card",
        "Wrong size.\nFrom: Lisbon, sent: yesterday",
    ],
)
def test_a_customers_own_lines_that_look_like_a_quote_are_read(text: str) -> None:
    cleaned, flag = textprep.clean(text)
    assert flag is None and cleaned == " ".join(text.split())
