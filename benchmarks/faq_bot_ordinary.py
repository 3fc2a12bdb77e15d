"""The FAQ bot on ordinary knowledge bases: a few articles in one language,
each a title and a body, no example questions, asked in ten languages.

    .venv/bin/python benchmarks/faq_bot_ordinary.py            # development sets: choose the threshold
    .venv/bin/python benchmarks/faq_bot_ordinary.py --test     # test sets, once, at the bot's default
    ... --translate   # also search machine translations (Apertium), as the bot does where an engine serves the pair

Development: the online shop (English), the project tool (Chinese) and the
grocery delivery service (Russian) in `dragoman/kb/eval/ordinary/`, and the
demo store's development set
(`demo_store_dev.jsonl`, a base rich in example questions): the one threshold
that balances top-1 accuracy and hand-off recall on all four together
(`balanced_threshold`) is what DEFAULT_THRESHOLD is set from. Test: the
airline (Spanish), the mobile operator (German), the hotel chain (French),
the electronics shop (Korean), and the demo store's two test sets, at the
default threshold. Every file also holds requests for a
person ("person"), counted apart. Figures go to docs/benchmarks.md ("FAQ bot").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import machine_description  # noqa: E402
from dragoman.kb.evaluation import (  # noqa: E402
    Translate,
    balanced_threshold,
    evaluate,
    format_report,
    load_labelled,
    score_questions,
)
from dragoman.kb.portable import DEMO_KNOWLEDGE_BASE, load_knowledge_base_file  # noqa: E402
from dragoman.kb.retrieval import DEFAULT_THRESHOLD, SearchIndex, shared_embedder  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent / "dragoman" / "kb" / "eval"
ORDINARY = EVAL / "ordinary"
DEVELOPMENT = {
    "shop (en)": (ORDINARY / "shop_en.kb.json", ORDINARY / "shop_en.dev.jsonl"),
    "project tool (zh)": (ORDINARY / "saas_zh.kb.json", ORDINARY / "saas_zh.dev.jsonl"),
    "grocery delivery (ru)": (ORDINARY / "grocery_ru.kb.json", ORDINARY / "grocery_ru.dev.jsonl"),
    "demo store, development": (DEMO_KNOWLEDGE_BASE, EVAL / "demo_store_dev.jsonl"),
}
TEST = {
    "airline (es)": (ORDINARY / "airline_es.kb.json", ORDINARY / "airline_es.test.jsonl"),
    "mobile operator (de)": (ORDINARY / "telecom_de.kb.json", ORDINARY / "telecom_de.test.jsonl"),
    "hotel chain (fr)": (ORDINARY / "hotel_fr.kb.json", ORDINARY / "hotel_fr.test.jsonl"),
    "electronics shop (ko)": (ORDINARY / "electronics_ko.kb.json", ORDINARY / "electronics_ko.test.jsonl"),
    "demo store, test": (DEMO_KNOWLEDGE_BASE, EVAL / "demo_store.jsonl"),
    "demo store, second test": (DEMO_KNOWLEDGE_BASE, EVAL / "demo_store_test2.jsonl"),
}


def apertium_translator() -> Translate:
    """Apertium's offline pairs (direct or through one pivot), as the bot's
    default engine uses them; None for a pair it does not serve."""
    from dragoman.language.engines import EngineError
    from dragoman.language.engines.apertium import ApertiumEngine

    problem = ApertiumEngine.available()
    if problem:
        raise SystemExit(f"--translate: {problem}")
    engine = ApertiumEngine()

    def translate(text: str, source: str, target: str) -> str | None:
        if not engine.supports(source, target):
            return None
        try:
            return engine.translate(text, source, target).text
        except EngineError:
            return None

    return translate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="measure the test sets at the default threshold")
    parser.add_argument("--misses", type=int, default=0, metavar="N")
    parser.add_argument(
        "--translate",
        action="store_true",
        help="as the bot does with Apertium installed: a question in a language the base lacks is also searched machine-translated",
    )
    args = parser.parse_args()
    print(f"machine: {machine_description()}")
    translate = apertium_translator() if args.translate else None
    embedder = shared_embedder()
    sets = TEST if args.test else DEVELOPMENT
    indexes: dict[Path, SearchIndex] = {}
    scored = []
    for name, (kb_path, questions_path) in sets.items():
        if kb_path not in indexes:
            started = time.perf_counter()
            indexes[kb_path] = SearchIndex.build(load_knowledge_base_file(kb_path).documents(), embedder)
            print(f"{kb_path.name}: index built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        questions = load_labelled(questions_path)
        print(f"\n## {name} ({questions_path.name}), default threshold {DEFAULT_THRESHOLD}")
        print(format_report(evaluate(indexes[kb_path], questions, DEFAULT_THRESHOLD, translate), show_misses=args.misses))
        if not args.test:
            scored.append(score_questions(indexes[kb_path], questions, translate))
    if scored:
        choice = balanced_threshold(*scored)
        print(
            f"\nthreshold balancing the development sets together: {choice.threshold:.4f} "
            f"(worst set: top-1 {choice.top1:.1%}, hand-off recall {choice.handoff_recall:.1%}; lower bounds {choice.assured:.1%})"
        )
        plain = balanced_threshold(*scored, z=0)
        print(f"(the shares alone: {plain.threshold:.4f}, top-1 {plain.top1:.1%}, recall {plain.handoff_recall:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
