"""Protected facts through the real offline engine: does every fact of a
realistic support message reach the customer unchanged, and when one does
not, does the fact check flag it?

The messages are dragoman/language/eval/facts.jsonl: support messages in each
language Apertium serves here, each with the facts a person marked in it
(order, ticket, tracking and model numbers, e-mail addresses, URLs, phone
numbers, amounts, dates, times, the glossary's brand names). Each message is
translated into every language Apertium reaches from its own (directly or
through Spanish), with the account settings of a fresh install: no order
pattern, a glossary of two brand names. For each marked fact:

  preserved  the customer's text contains it unchanged
  flagged    it changed or went missing, and the check said so
  missed     it changed or went missing, and the check passed (target: 0)

Whether a fact is preserved is decided here, from the person's marks, not
by the product's own fact finder.

Two passes: "protected" is what the product does (protect, translate,
restore, check); "unprotected" sends the raw text to the engine and runs only
the check on what comes back, so the check itself meets real engine damage
("#DR.-48213", "SKU#-12#-XL", "diciembre 31, 2026"). "false alarms" counts
translations flagged although every marked fact came through.

Usage: python benchmarks/fact_check.py [--verbose]
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine_description  # noqa: E402

from dragoman.language.engines.apertium import ApertiumEngine  # noqa: E402
from dragoman.language.glossary import GlossaryEntry, lost_in_translation, protect  # noqa: E402
from dragoman.language.pipeline import TranslationResult, translate_text  # noqa: E402

EVAL_SET = Path(__file__).resolve().parent.parent / "dragoman" / "language" / "eval" / "facts.jsonl"
GLOSSARY = [GlossaryEntry("Acme Cloud"), GlossaryEntry("SwiftPay")]
LANGUAGES = ("en", "es", "fr", "pt", "it", "ca", "ro")


def occurrences(fact: str, text: str) -> int:
    """How often `fact` stands in `text` on its own: "12" is not in "$12.50"
    nor in "DR-48213", so a number that lost its neighbours counts as changed."""
    pattern = rf"(?<![\w.,/#-]){re.escape(fact)}(?![\w/#-])(?![.,]\d)"
    return len(re.findall(pattern, text))


def unprotected(engine: ApertiumEngine, text: str, source: str, target: str) -> TranslationResult:
    """The engine alone on the raw text, then the product's fact check."""
    output = engine.translate(text, source, target).text
    lost = lost_in_translation(protect(text, source, target, GLOSSARY), output)
    return TranslationResult(source, target, "translated", text=output, flags=["facts_missing"] if lost else [], missing_facts=lost)


def score(message: dict, result: TranslationResult, counts: Counter[str], misses: list[str], verbose: bool) -> None:
    source, target = result.source, result.target
    counts["translations"] += 1
    if result.status != "translated":
        counts["not translated"] += 1
        return
    output = result.text or ""
    changed = False
    for fact, count in Counter(message["facts"]).items():
        for index in range(count):
            counts["facts"] += 1
            if occurrences(fact, output) > index:
                counts["preserved"] += 1
                continue
            changed = True
            if any(fact in lost or lost in fact for lost in result.missing_facts):
                counts["flagged"] += 1
            else:
                counts["missed"] += 1
                misses.append(f"{message['id']} {source}→{target}: {fact!r} not in {output!r}")
    if not changed and result.flags:
        counts["false alarms"] += 1
    if (changed or result.flags) and verbose:
        print(f"{message['id']} {source}→{target}: {output!r} flags={result.flags} missing={result.missing_facts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="print every translation with a changed fact or a flag")
    args = parser.parse_args()
    why = ApertiumEngine.available()
    if why is not None:
        print(f"Apertium is not available: {why}")
        return 2
    messages = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = ApertiumEngine()
    passes = ("protected", "unprotected")
    per_pair: dict[str, dict[tuple[str, str], Counter[str]]] = {name: {} for name in passes}
    misses: dict[str, list[str]] = {name: [] for name in passes}
    try:
        for message in messages:
            source = message["language"]
            for target in LANGUAGES:
                if target == source or not engine.supports(source, target):
                    continue
                results = {
                    "protected": translate_text(message["text"], source, target, [engine], glossary=GLOSSARY),
                    "unprotected": unprotected(engine, message["text"], source, target),
                }
                for name, result in results.items():
                    counts = per_pair[name].setdefault((source, target), Counter())
                    score(message, result, counts, misses[name], args.verbose)
    finally:
        engine.close()
    pairs = sorted(per_pair["protected"])
    print(f"Fact check through Apertium: {len(messages)} messages, {len(pairs)} language pairs")
    print(f"machine: {machine_description()}")
    print(f"date: {datetime.date.today().isoformat()}")
    total_missed = 0
    for name in passes:
        totals: Counter[str] = Counter()
        print()
        print(f"{name}: {'pair':8} {'facts':>6} {'preserved':>10} {'flagged':>8} {'missed':>7} {'false alarms':>13}")
        for pair in pairs:
            counts = per_pair[name][pair]
            totals.update(counts)
            label = f"{pair[0]}→{pair[1]}"
            print(f"{'':{len(name) + 2}}{label:8} {counts['facts']:6} {counts['preserved']:10} {counts['flagged']:8} {counts['missed']:7} {counts['false alarms']:13}")
        print(f"{'':{len(name) + 2}}{'all':8} {totals['facts']:6} {totals['preserved']:10} {totals['flagged']:8} {totals['missed']:7} {totals['false alarms']:13}"
              f"   ({totals['translations']} translations, {totals['not translated']} not translated)")
        total_missed += totals["missed"]
        for line in misses[name]:
            print(f"MISSED ({name})", line)
    return 1 if total_missed else 0


if __name__ == "__main__":
    sys.exit(main())
