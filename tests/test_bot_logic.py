"""The bot's rules, one by one: asking for a person, yes/no to "did that
help?", two unhelpful answers, low scores and always-human topics."""

from __future__ import annotations

import pytest

from dragoman.kb.bot import (
    PHRASES,
    Action,
    Found,
    Reason,
    Suggestion,
    answer_text,
    asks_for_person,
    decide,
    feedback_of,
    handoff_text,
    near_misses,
    phrase,
    settles_without_search,
)

ORDER = Found(article_id=1, score=0.6, always_human=False, slug="where-is-my-order")
REFUND = Found(article_id=2, score=0.6, always_human=True, slug="refunds")


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to an agent",
        "HUMAN please",
        "quiero hablar con un humano",
        "Je veux parler à un conseiller",
        "Ich möchte mit einem Menschen sprechen",
        "mensch",
        "quero falar com um atendente",
        "转人工",
        "我要找人工客服",
        "担当者と話したい",
        "أريد التحدث مع موظف",
        # Inflected forms: lemmatised, not listed.
        "хочу поговорить с оператором",
        "соедините меня с живым человеком",
        "можно связаться с сотрудником поддержки?",
        "chcę rozmawiać z konsultantem",
        "czy mogę porozmawiać z człowiekiem?",
        "وصلني بالموظف من فضلك",
        "أريد التكلم مع الموظفين",
        "з'єднайте мене з оператором",
        "상담원 연결해 주세요",
        "Chcę porozmawiać z konsultantką",
        "Как связаться с оператором?",
        # A word about changing something, far from "operator": still a person.
        "Хочу сменить тариф, соедините с оператором",
        "дайте другого оператора",
        "Мне требуется человек",
    ],
)
def test_a_request_for_a_person_is_heard_in_each_language(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order?",
        "Can another person collect my parcel?",
        "personne ne répond",
        "agentur",
        "¿dónde está mi pedido?",
        "Где моя посылка?",
        "我妈妈坐轮椅，机场有人帮忙吗？",
        # "Operator" as a mobile network, "человек" counting people: questions
        # for the knowledge base, not requests for a person.
        "Хочу сменить оператора и сохранить номер",
        "Хочу перейти к другому оператору со своим номером",
        "Cambiar de operador manteniendo el número",
        "can I keep my number if I switch operator?",
        "zmiana operatora a numer telefonu",
        "Забронируйте номер на двух человек",
        "Сколько человек помещается в номере?",
    ],
)
def test_ordinary_questions_are_not_requests_for_a_person(text: str) -> None:
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes, thanks!", True),
        ("sí, gracias", True),
        ("oui merci", True),
        ("是的", True),
        ("はい", True),
        ("نعم", True),
        ("no", False),
        ("nein danke", False),
        ("não", False),
        ("いいえ", False),
        ("لا", False),
        ("no, where is my parcel, it was due on Monday", None),  # a new question, not an answer
        ("how much is shipping", None),
    ],
)
def test_feedback_is_read_in_each_language(text: str, expected: bool | None) -> None:
    assert feedback_of(text) is expected


def test_a_confident_match_is_answered() -> None:
    decision = decide("where is my order", awaiting_feedback=False, unhelpful_answers=0, found=ORDER, threshold=0.5)
    assert decision.action is Action.answer and decision.found == ORDER


def test_a_low_score_or_no_match_hands_over() -> None:
    low = decide("blah", awaiting_feedback=False, unhelpful_answers=0, found=ORDER, threshold=0.9)
    assert (low.action, low.reason) == (Action.handoff, Reason.low_score)
    none = decide("blah", awaiting_feedback=False, unhelpful_answers=0, found=None, threshold=0.5)
    assert (none.action, none.reason) == (Action.handoff, Reason.low_score)


def test_articles_just_under_the_threshold_are_offered_with_the_hand_off() -> None:
    def found(slug: str, score: float) -> Found:
        return Found(len(slug), score, False, slug)

    candidates = [found("returns", 0.49), found("size-guide", 0.47), found("refunds", 0.44), found("warranty", 0.43)]
    # Within 0.05 of 0.5: the first two; 0.44 is too far to be worth reading.
    assert [c.slug for c in near_misses(candidates, 0.5, 0.05)] == ["returns", "size-guide"]
    assert [c.slug for c in near_misses(candidates, 0.5, 0.1)] == ["returns", "size-guide", "refunds"]  # three at most
    assert near_misses(candidates, 0.6, 0.05) == [] and near_misses([], 0.5, 0.05) == []


def test_the_hand_off_lists_the_offered_articles_in_the_customers_language() -> None:
    assert handoff_text("de") == PHRASES["de"]["handoff"]
    text = handoff_text("es", [Suggestion("Devoluciones", "https://shop.example/hc/1/es/articles/7-returns")])
    assert text.startswith(PHRASES["es"]["handoff"])
    assert PHRASES["es"]["meanwhile"] in text and "• Devoluciones – https://shop.example/hc/1/es/articles/7-returns" in text


def test_always_human_topics_hand_over_even_when_matched_confidently() -> None:
    decision = decide("I want my money back", awaiting_feedback=False, unhelpful_answers=0, found=REFUND, threshold=0.5)
    assert (decision.action, decision.reason) == (Action.handoff, Reason.always_human)


def test_asking_for_a_person_wins_over_a_good_match_and_over_feedback() -> None:
    decision = decide("no, an agent please", awaiting_feedback=True, unhelpful_answers=0, found=ORDER, threshold=0.5)
    assert (decision.action, decision.reason) == (Action.handoff, Reason.asked_for_person)


def test_yes_thanks_and_the_second_no_hands_over() -> None:
    assert decide("yes", awaiting_feedback=True, unhelpful_answers=0, found=None, threshold=0.5).action is Action.thank
    first = decide("no", awaiting_feedback=True, unhelpful_answers=0, found=None, threshold=0.5)
    assert (first.action, first.feedback) == (Action.rephrase, False)
    second = decide("no", awaiting_feedback=True, unhelpful_answers=1, found=None, threshold=0.5)
    assert (second.action, second.reason) == (Action.handoff, Reason.unhelpful)


def test_yes_without_a_pending_answer_is_just_a_question() -> None:
    decision = decide("yes", awaiting_feedback=False, unhelpful_answers=0, found=None, threshold=0.5)
    assert (decision.action, decision.reason) == (Action.handoff, Reason.low_score)


def test_an_empty_knowledge_base_hands_over_at_once() -> None:
    decision = decide("hello", awaiting_feedback=False, unhelpful_answers=0, found=None, threshold=0.5, has_knowledge_base=False)
    assert decision.reason is Reason.no_knowledge_base


def test_every_language_has_every_phrase_and_unknown_languages_fall_back_to_english() -> None:
    keys = set(PHRASES["en"])
    for language, phrases in PHRASES.items():
        assert set(phrases) == keys, language
    assert phrase("ko", "handoff") == PHRASES["en"]["handoff"]
    assert phrase("zh-Hans", "ask") == PHRASES["zh"]["ask"]
    text = answer_text("es", "Resumen.", "Título", "/hc/1/es/articles/3-x")
    assert text.startswith("Resumen.") and "/hc/1/es/articles/3-x" in text and PHRASES["es"]["ask"] in text


@pytest.mark.parametrize(
    ("text", "awaiting_feedback", "settled"),
    [
        ("agente", False, True),  # a person, whatever the search finds
        ("sì", True, True),  # an answer to "did that help?"
        ("no", True, True),
        ("sì", False, False),  # not asked anything: searched like any message
        ("dov'è il mio pacco?", True, False),
        ("Where is my order?", False, False),
    ],
)
def test_the_search_is_skipped_only_where_its_result_cannot_matter(text: str, awaiting_feedback: bool, settled: bool) -> None:
    assert settles_without_search(text, awaiting_feedback=awaiting_feedback) is settled


def test_while_the_bot_starts_every_question_goes_to_a_person_with_a_line_that_says_so() -> None:
    decision = decide("where is my order?", awaiting_feedback=False, unhelpful_answers=0, found=ORDER, threshold=0.5, starting=True)
    assert decision.action is Action.handoff and decision.reason is Reason.starting
    assert "starting" in handoff_text("en", starting=True)
    assert handoff_text("zh", starting=True) == PHRASES["zh"]["starting"]
    assert handoff_text("es", starting=True) != handoff_text("es")
