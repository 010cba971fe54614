"""Escalation signals: every example in the default signal file fires (or must not), in six languages; spans point
at the customer's words; exclusions and resolution wording work; a bad signal file names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.reasons.signals import SignalFinder, load_signals
from qa_engine.schema import LANGUAGES
from tests.reasons.conftest import conversations

SIGNALS = load_signals()
FINDER = SignalFinder(SIGNALS.spec)
CASES = [
    pytest.param(
        signal.id, example.language, example.text, expected, id=f"{signal.id}-{kind}-{example.language}-{n}"
    )
    for signal in SIGNALS.spec.signals
    for kind, expected in (("fire", True), ("no_fire", False))
    for n, example in enumerate(getattr(signal.examples, kind))
]


def test_every_signal_has_examples_that_fire_and_not_in_every_language() -> None:
    for signal in SIGNALS.spec.signals:
        assert {e.language for e in signal.examples.fire} == set(LANGUAGES), signal.id
        assert {e.language for e in signal.examples.no_fire} == set(LANGUAGES), signal.id


@pytest.mark.parametrize(("signal", "language", "text", "expected"), CASES)
def test_signal_examples(signal: str, language: str, text: str, expected: bool) -> None:
    (conversation,) = conversations((language, [("customer", text)]))
    fired = {hit.signal for hit in FINDER.find(conversation)}
    assert (signal in fired) is expected, f"{signal} in {text!r}: fired {sorted(fired)}"


# A customer typing at a chatbot for a person: the whole turn is the word (the signal file's patterns; these examples
# live here, not in the file, because the file's examples also train the escalation model)
HANDOFF = [
    ("en", "HUMAN!!!", True), ("en", "agent pls", True), ("en", "Representative, please", True),
    ("en", "Can I speak to an agent?", True), ("zh", "人工！", True), ("zh", "人工服务", True),
    ("de", "Mitarbeiter bitte", True), ("de", "Ich möchte mit einem Mitarbeiter sprechen.", True),
    ("ja", "オペレーター", True), ("ja", "オペレーターにつないでください", True), ("es", "Agente, por favor.", True),
    ("es", "Quiero hablar con un asesor.", True), ("fr", "Conseiller svp", True),
    ("fr", "Je voudrais parler à un conseiller.", True),
    ("en", "The agent told me it would arrive on Monday, it did not.", False),
    ("en", "Human error on your side?", False), ("zh", "人工费也要我出吗？", False),
    ("de", "Der Mitarbeiter am Telefon war sehr nett.", False), ("ja", "オペレーターの方は親切でした。", False),
    ("es", "El agente de transporte no vino.", False), ("fr", "Le conseiller m'a promis un avoir.", False),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "expected"), HANDOFF)
def test_a_customer_asking_the_bot_for_a_person_is_a_manager_request(
    language: str, text: str, expected: bool
) -> None:
    (conversation,) = conversations((language, [("bot", "How can I help you?"), ("customer", text)]))
    fired = {hit.signal for hit in FINDER.find(conversation)}
    assert ("manager_request" in fired) is expected, f"{text!r}: fired {sorted(fired)}"


# the exasperated answer to a question the customer has answered before
REPEATED = [
    ("en", "I told you already, it's 4411.", True), ("en", "How many times do I have to give you my order number?", True),
    ("zh", "我都说了一万遍了！", True), ("zh", "要我说几遍？", True), ("de", "Das habe ich doch schon gesagt!", True),
    ("de", "Wie oft denn noch?", True), ("ja", "もう言いました。", True), ("ja", "前にも言いましたよね？", True),
    ("es", "Ya se lo he dicho, es el 4411.", True), ("es", "¿Cuántas veces tengo que repetirlo?", True),
    ("fr", "Je vous l'ai déjà dit : 4411.", True), ("fr", "Combien de fois faut-il le répéter ?", True),
    ("en", "Thanks a thousand times!", False), ("zh", "一万块的手机就这样？", False), ("de", "Tausendmal danke!", False),
    ("ja", "言いたいことがあります。", False), ("es", "Mil veces gracias.", False), ("fr", "Merci mille fois !", False),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "expected"), REPEATED)
def test_saying_it_again_to_us_is_a_repeat_claim(language: str, text: str, expected: bool) -> None:
    (conversation,) = conversations(
        (language, [("agent", "Could you tell me the order number?"), ("customer", text)])
    )
    fired = {hit.signal for hit in FINDER.find(conversation)}
    assert ("repeat_claim" in fired) is expected, f"{text!r}: fired {sorted(fired)}"


def test_hits_carry_turn_and_exact_span() -> None:
    text = "Fine. If the refund is not here by Monday I will file a chargeback and tell my lawyer."
    (conversation,) = conversations(("en", [("customer", "Hello"), ("agent", "Hi!"), ("customer", text)]))
    hits = {hit.signal: hit for hit in FINDER.find(conversation)}
    assert set(hits) == {"chargeback", "authority_legal"}
    assert hits["chargeback"].turn_index == 2
    assert text[hits["chargeback"].start : hits["chargeback"].end] == hits["chargeback"].text == "chargeback"
    assert hits["authority_legal"].text == "lawyer"


def test_only_customer_turns_count_and_exclusions_hold() -> None:
    (agent_only,) = conversations(
        ("en", [("customer", "Hi"), ("agent", "Let me get my supervisor for you.")])
    )
    assert FINDER.find(agent_only) == []
    (own_boss,) = conversations(("en", [("customer", "My manager wants the invoice, and so do I.")]))
    assert FINDER.find(own_boss) == []
    (their_boss,) = conversations(
        ("fr", [("customer", "Je veux parler à votre responsable, pas à mon responsable.")])
    )
    assert [h.text for h in FINDER.find(their_boss)] == ["votre responsable"]


@pytest.mark.parametrize(
    ("language", "last", "expected"),
    [
        ("en", "ok, that makes sense, thanks!", True),
        ("en", "This is useless.", False),
        ("zh", "好的，谢谢你", True),
        ("de", "Das hilft mir gar nicht.", False),
        ("ja", "わかりました。ありがとうございます。", True),
        ("es", "Sigo sin entender nada.", False),
        ("fr", "Parfait, merci beaucoup", True),
    ],
)
def test_resolution_wording_in_the_closing_turns(language: str, last: str, expected: bool) -> None:
    (conversation,) = conversations((language, [("customer", "?"), ("agent", "..."), ("customer", last)]))
    assert FINDER.resolved(conversation) is expected


def test_thanks_then_no_thats_all_is_resolved_but_an_early_thanks_is_not() -> None:
    late, early = conversations(
        ("en", [("customer", "Where is it?"), ("customer", "ok, thanks!"), ("customer", "no, that's all")]),
        (
            "en",
            [
                ("customer", "Thanks in advance. Where is it?"),
                ("customer", "?"),
                ("customer", "Still nothing."),
            ],
        ),
    )
    assert FINDER.resolved(late) and not FINDER.resolved(early)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("    weight: 0.75\n", "    weight: 1.5\n", "signals[0].weight"),
        ("  - id: public_review\n", "  - id: chargeback\n", "signals"),
        ("  - id: public_review\n", "  - id: Public Review\n", "signals[1].id"),
        ("model_weight: 0.5\n", "model_weight: high\n", "model_weight"),
        ("      zh: [拒付,", '      zh: ["",', "signals[0].phrases"),
    ],
)
def test_bad_signal_file_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = SIGNALS.file.read_text(encoding="utf-8")
    assert old in text
    file = tmp_path / "escalation.yaml"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(QAError) as caught:
        load_signals(file)
    assert caught.value.code == "Q702"
    assert caught.value.fields["field"] == field
    line = caught.value.fields["line"]
    assert 1 <= line <= text.count("\n")
    assert f"{file}:{line}" in str(caught.value)


def test_a_pack_without_a_signal_file_uses_the_default_one(tmp_path: Path) -> None:
    from qa_engine.reasons.signals import signals_file

    assert signals_file(tmp_path) == SIGNALS.file
    (tmp_path / "escalation.yaml").write_text("x: 1\n", encoding="utf-8")
    assert signals_file(tmp_path) == tmp_path / "escalation.yaml"
