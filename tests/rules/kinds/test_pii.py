from collections.abc import Callable

import pytest

PII = {"kind": "pii"}


@pytest.mark.parametrize(
    ("language", "agent", "outcome", "shown"),
    [
        ("en", "Your card number is 4111 1111 1111 1111.", "fail", "[CARD]"),
        ("zh", "您的安全码是123。", "fail", "[CVV]"),
        ("de", "Ihr neues Passwort lautet Kx82!pq.", "fail", "[PASSWORD]"),
        ("ja", "パスワードはAbc12345です。", "fail", "[PASSWORD]"),
        ("es", "Su contraseña temporal es Verano2024.", "fail", "[PASSWORD]"),
        ("fr", "Le cryptogramme visuel est 321.", "fail", "[CVV]"),
        ("en", "Your order 302-1234567-7654321 ships today.", "pass", None),
        ("en", "Tracking number 9400 1118 9922 3100 0123 45.", "pass", None),
        ("en", "Your order 4242 4242 4242 4242 is the card you paid with.", "fail", "[CARD]"),
        (
            "en",
            "I have noted [CARD] as your payment card.",
            "fail",
            "[CARD]",
        ),  # a turn re-scored from the store
        ("en", "The card ending in 4242 was refunded.", "pass", None),
        ("fr", "Votre carte **** 4242 a été remboursée.", "pass", None),
        ("en", "Never share your password or CVV with anyone, not even with us.", "pass", None),
        ("zh", "请不要透露您的密码或安全码。", "pass", None),
    ],
)
def test_agent_disclosures(
    judge: Callable, language: str, agent: str, outcome: str, shown: str | None
) -> None:
    row = judge(PII, {"id": "t", "language": language, "turns": [("customer", "?"), ("agent", agent)]})["t"]
    assert row["outcome"] == outcome
    if shown is None:
        assert row["evidence"] is None
    else:
        evidence = row["evidence"]
        assert evidence["text"] == shown  # masked: results never repeat the secret
        assert evidence["turn_index"] == 1 and evidence["end"] > evidence["start"]


def test_only_the_customer_wrote_it(judge: Callable) -> None:
    rows = judge(
        PII,
        {
            "id": "customer",
            "turns": [("customer", "My card is 4111 1111 1111 1111"), ("agent", "Thanks, noted.")],
        },
        {"id": "no agent", "turns": [("customer", "My card is 4111 1111 1111 1111")]},
    )
    assert rows["customer"]["outcome"] == "pass"
    assert rows["no agent"]["outcome"] == "na"


def test_labels_and_speakers_are_configurable(judge: Callable) -> None:
    fields = {"kind": "pii", "labels": ["PASSWORD"], "speakers": ["agent", "bot"]}
    rows = judge(
        fields,
        {"id": "card", "turns": [("agent", "Card 4111 1111 1111 1111")]},
        {"id": "bot", "turns": [("bot", "Your password is Kx82!pq")]},
    )
    assert rows["card"]["outcome"] == "pass"
    assert rows["bot"]["outcome"] == "fail"
