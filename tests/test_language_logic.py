"""Pure language logic: protected facts, glossary placeholders, the
conversation-language rules, the garbage check. Property tests with hypothesis."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dragoman.language import evidence
from dragoman.language.facts import check_order_pattern, find_facts, missing_facts
from dragoman.language.glossary import GlossaryEntry, lost_in_translation, protect, restore
from dragoman.language.pipeline import garbage_reason
from dragoman.language.services import NoteReader, readers_left_out

ORDER = r"\bORD-\d{5}\b"

# -- facts ------------------------------------------------------------------------


def test_finds_every_kind_of_fact() -> None:
    text = (
        "Order ORD-12345 of 25.50 EUR (€ 1.299,00), call +34 612 345 678 or write to ana.p@example.es, "
        "see https://shop.example.com/track?id=9 on 2026-11-03 or 03/11/2026; 3 boxes."
    )
    found = {(fact.kind, fact.text) for fact in find_facts(text, ORDER)}
    assert found == {
        ("order", "ORD-12345"),
        ("amount", "25.50 EUR"),
        ("amount", "€ 1.299,00"),
        ("phone", "+34 612 345 678"),
        ("email", "ana.p@example.es"),
        ("url", "https://shop.example.com/track?id=9"),
        ("date", "2026-11-03"),
        ("date", "03/11/2026"),
        ("number", "3"),
    }


def test_facts_do_not_overlap_and_keep_text_order() -> None:
    facts = find_facts("Pay $40 for ORD-00001 by 2026-01-02, ref 77 at https://x.example/ORD-00002 12345, $9", ORDER)
    assert [f.text for f in facts] == ["$40", "ORD-00001", "2026-01-02", "77", "https://x.example/ORD-00002", "12345", "$9"]
    for first, second in zip(facts, facts[1:]):
        assert first.end <= second.start


def test_missing_facts_counts_repeats() -> None:
    facts = find_facts("2 items, 2 boxes and 5 bags", None)
    assert missing_facts(facts, "2 articles, 2 cajas y 5 bolsas") == []
    assert [f.text for f in missing_facts(facts, "2 articles, cajas y 5 bolsas")] == ["2"]
    assert [f.text for f in missing_facts(facts, "2 articles, 2 cajas y bolsas")] == ["5"]


def test_facts_are_found_without_any_setting() -> None:
    """A fresh account has no order pattern: codes that mix letters and
    digits, dates with month names and times are facts all the same."""
    text = (
        "Order #DR-48213 (SKU-12-XL, model A1B2C3, tracking 1Z999AA10123456784, ticket #48190) costs $12.50, "
        "12,50 €, ¥1,200 or 1.299,00 EUR; due 2026-12-07, 07/12/2026, 7 Dec 2026 or December 31, 2026 at 09:30. "
        "Call +34 612 345 678 or 555-0142, mail ana@example.es, see https://shop.example/faq."
    )
    found = {(fact.kind, fact.text) for fact in find_facts(text)}
    assert found == {
        ("code", "#DR-48213"), ("code", "SKU-12-XL"), ("code", "A1B2C3"), ("code", "1Z999AA10123456784"), ("code", "#48190"),
        ("amount", "$12.50"), ("amount", "12,50 €"), ("amount", "¥1,200"), ("amount", "1.299,00 EUR"),
        ("date", "2026-12-07"), ("date", "07/12/2026"), ("date", "7 Dec 2026"), ("date", "December 31, 2026"),
        ("time", "09:30"), ("phone", "+34 612 345 678"), ("phone", "555-0142"),
        ("email", "ana@example.es"), ("url", "https://shop.example/faq"),
    }  # fmt: skip
    # Words, plain numbers and text in scripts without spaces stay what they are.
    assert [(f.kind, f.text) for f in find_facts("My e-mail from COVID times: 3 boxes, 订单DR48213已发货")] == [
        ("number", "3"), ("code", "DR48213"),
    ]


def test_the_accounts_pattern_adds_to_the_default_facts() -> None:
    found = {(fact.kind, fact.text) for fact in find_facts("Order ORD 55120 and parcel PK-9A1", r"ORD \d+")}
    assert found == {("order", "ORD 55120"), ("code", "PK-9A1")}


def test_a_code_is_protected_whole() -> None:
    protected = protect("Your order #DR-48213 and SKU-12-XL", "en", "es")
    assert protected.text == "Your order ZX0QZ and ZX1QZ"
    assert protected.slots == ("#DR-48213", "SKU-12-XL")


def test_the_check_flags_every_changed_fact() -> None:
    """What Apertium does to unprotected facts, each flagged: the digits
    surviving is not the fact surviving."""
    source = "Order #DR-48213, SKU-12-XL for $12.50 by December 31, 2026; write to ana@example.es."
    facts = find_facts(source)
    assert missing_facts(facts, source) == []
    changed = {
        "#DR-48213": "Orden #DR.-48213, SKU-12-XL para $12.50 por December 31, 2026; escribe a ana@example.es.",
        "SKU-12-XL": "Orden #DR-48213, SKU-12-#XL para $12.50 por December 31, 2026; escribe a ana@example.es.",
        "$12.50": "Orden #DR-48213, SKU-12-XL para 12.50 por December 31, 2026; escribe a ana@example.es.",
        "December 31, 2026": "Orden #DR-48213, SKU-12-XL para $12.50 por diciembre 31, 2026; escribe a ana@example.es.",
        "ana@example.es": "Orden #DR-48213, SKU-12-XL para $12.50 por December 31, 2026; escribe a #ana@example.es.",
    }
    for fact, target in changed.items():
        assert [f.text for f in missing_facts(facts, target)] == [fact], target
    # A number is not found inside another fact that happens to contain it.
    assert [f.text for f in missing_facts(find_facts("2 boxes for $12.50"), "cajas para $12.50")] == ["2"]
    assert [f.text for f in missing_facts(find_facts("12 boxes, SKU-12-XL"), "cajas, SKU-12-XL")] == ["12"]


def test_the_check_flags_a_lost_glossary_term() -> None:
    protected = protect("Your Acme Cloud refund", "en", "es", GLOSSARY)
    assert lost_in_translation(protected, "Tu reembolso de Acme Cloud") == []
    assert lost_in_translation(protected, "Tu devolución de Acme Nube") == ["Acme Cloud", "reembolso"]


def test_order_pattern_is_checked() -> None:
    assert check_order_pattern(ORDER) is None
    assert "regular expression" in (check_order_pattern("ORD-(") or "")
    assert "empty" in (check_order_pattern(r"\d*") or "")


fact_pieces = st.sampled_from(
    ["ORD-12345", "$19.99", "25 EUR", "+1 415 555 0100", "a.b@example.com", "https://x.example/a?b=1", "2026-03-04", "42", "7.5"]
)
words = st.sampled_from(["hello", "order", "the", "pedido", "está", "订单", "ok", "ZX3QZ", "zx0qz", "Acme", "cloud", "!", ","])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(fact_pieces, words), min_size=1, max_size=12))
def test_every_inserted_fact_is_found_and_an_identity_translation_keeps_them(pieces: list[str]) -> None:
    text = " ".join(pieces)
    facts = find_facts(text, ORDER)
    covered = "".join(text[f.start : f.end] for f in facts)
    for piece in pieces:
        if piece in {"ORD-12345", "a.b@example.com", "https://x.example/a?b=1", "2026-03-04"}:
            assert piece in covered
    assert missing_facts(facts, text) == []


# -- glossary and placeholders ---------------------------------------------------------

GLOSSARY = [
    GlossaryEntry("Acme Cloud"),
    GlossaryEntry("Acme"),
    GlossaryEntry("refund", "reembolso", "en", "es"),
    GlossaryEntry("订单", "pedido", "zh", "es"),
]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_protect_then_restore_is_identity_for_any_text(text: str) -> None:
    protected = protect(text, "en", "es", [GlossaryEntry("Acme")], ORDER)
    restored = restore(protected.text, protected)
    assert restored.text == text
    assert restored.missing_slots == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(fact_pieces, words), min_size=1, max_size=12))
def test_protected_text_contains_no_fact_and_every_fact_comes_back(pieces: list[str]) -> None:
    text = " ".join(pieces)
    protected = protect(text, "en", "es", GLOSSARY, ORDER)
    for fact in protected.facts:
        assert fact.text not in re.sub(r"ZX\d+QZ", "", protected.text) or fact.text.isdigit()
    # An engine that reorders the words keeps every placeholder; all facts return.
    shuffled = " ".join(reversed(protected.text.split(" ")))
    back = restore(shuffled, protected)
    assert back.missing_slots == ()
    assert missing_facts(list(protected.facts), back.text) == []


def test_glossary_keeps_brands_and_forces_translations() -> None:
    protected = protect("Acme Cloud refund for Acme, not acmecloud", "en", "es", GLOSSARY)
    assert protected.text == "ZX0QZ ZX1QZ for ZX2QZ, not acmecloud"
    assert restore("Reembolso zx1qz de ZX0QZ para Z X2 QZ", protected).text == "Reembolso reembolso de Acme Cloud para Acme"
    # The forced translation is for en→es only.
    assert "refund" in restore(protect("refund", "en", "fr", GLOSSARY).text, protect("refund", "en", "fr", GLOSSARY)).text
    assert protect("我的订单呢", "zh", "es", GLOSSARY).slots == ("pedido",)


def test_restore_reports_lost_and_repeated_placeholders() -> None:
    protected = protect("Order ORD-12345 costs $5", "en", "es", (), ORDER)
    restored = restore("El pedido ZX0QZ ZX0QZ cuesta", protected)
    assert restored.missing_slots == (1,)
    assert restored.repeated_slots == (0,)


# -- conversation language -------------------------------------------------------------

languages = st.sampled_from(["en", "es", "pt", "zh", "ar"])
message = st.tuples(languages, st.floats(0, 1), st.integers(0, 12))


@settings(max_examples=300, deadline=None)
@given(st.lists(message, max_size=10), languages, st.lists(st.tuples(languages, st.floats(0, 1), st.integers(0, 2)), min_size=1, max_size=10))
def test_short_messages_never_change_the_language(history: list[tuple[str, float, int]], contact: str, short: list[tuple[str, float, int]]) -> None:
    belief = evidence.add_prior(evidence.LanguageBelief(), "contact", contact)
    for code, confidence, words in history:
        belief = evidence.add_message(belief, code, confidence, words)
    before = belief.language
    for code, confidence, words in short:
        belief = evidence.add_message(belief, code, confidence, words)
    assert belief.language == before


@settings(max_examples=300, deadline=None)
@given(languages, st.lists(message, max_size=15), st.lists(st.tuples(st.sampled_from(list(evidence.PRIOR_WEIGHTS)), languages), max_size=4))
def test_an_override_sticks_whatever_follows(chosen: str, messages: list[tuple[str, float, int]], priors: list[tuple[str, str]]) -> None:
    belief = evidence.override(evidence.LanguageBelief(), chosen)
    for code, confidence, words in messages:
        belief = evidence.add_message(belief, code, confidence, words)
    for kind, code in priors:
        belief = evidence.add_prior(belief, kind, code)
    assert belief.language == chosen and belief.locked and belief.source == "override"


def test_evidence_in_practice() -> None:
    belief = evidence.add_prior(evidence.LanguageBelief(), "phone", "es")
    assert belief.language == "es" and belief.source == "phone"
    belief = evidence.add_prior(belief, "contact", "en")
    assert belief.language == "en"
    belief = evidence.add_message(belief, "pt", 0.95, 1)  # "obrigado"
    assert belief.language == "en"
    belief = evidence.add_message(belief, "pt", 0.95, 6)
    assert belief.language == "en"  # one long message does not beat the contact's choice and a phone
    belief = evidence.add_message(belief, "pt", 0.95, 6)
    belief = evidence.add_message(belief, "pt", 0.95, 6)
    assert belief.language == "pt" and belief.source == "messages"
    unlocked = evidence.override(evidence.override(belief, "zh"), None)
    assert unlocked.language == "pt" and not unlocked.locked


# -- garbage ----------------------------------------------------------------------------


def test_garbage_check() -> None:
    assert garbage_reason("", "es") == "empty"
    assert garbage_reason("   ", "es") == "empty"
    assert garbage_reason("Привет, как дела?", "es") == "wrong script"
    assert garbage_reason("Where is ZX0QZ?", "zh") == "wrong script"
    assert garbage_reason("我的订单 ZX0QZ 在哪里?", "zh") is None
    assert garbage_reason("ZX0QZ", "en") is None  # only a fact: nothing to judge
    assert garbage_reason("Hola, ¿qué tal?", "es") is None
    assert garbage_reason("Hola \ufffd", "es") == "broken characters"


def test_a_note_leaves_out_only_readers_who_neither_read_it_nor_get_it_translated() -> None:
    served = {("es", "en")}
    readers = [
        NoteReader("Sam", "en", frozenset({"en"})),  # es→en is served
        NoteReader("María", "es", frozenset({"es", "en"})),  # works in it
        NoteReader("Ana", "en", frozenset({"en", "tl", "es"})),  # reads it well enough
        NoteReader("Li Wei", "zh", frozenset({"zh", "en"})),  # neither, and no es→zh
    ]
    left_out = readers_left_out("es", readers, lambda source, target: (source, target) in served)
    assert [reader.name for reader in left_out] == ["Li Wei"]
    # In English nobody is left out except whoever neither works in nor reads English.
    assert [r.name for r in readers_left_out("en", readers, lambda source, target: False)] == []
