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
from dragoman.language.glossary import GlossaryEntry  # noqa: E402
from dragoman.language.pipeline import translate_text  # noqa: E402

EVAL_SET = Path(__file__).resolve().parent.parent / "dragoman" / "language" / "eval" / "facts.jsonl"
GLOSSARY = [GlossaryEntry("Acme Cloud"), GlossaryEntry("SwiftPay")]
LANGUAGES = ("en", "es", "fr", "pt", "it", "ca", "ro")


def occurrences(fact: str, text: str) -> int:
    """How often `fact` stands in `text` on its own: "12" is not in "$12.50"
    nor in "DR-48213", so a number that lost its neighbours counts as changed."""
    pattern = rf"(?<![\w.,/#-]){re.escape(fact)}(?![\w/#-])(?![.,]\d)"
    return len(re.findall(pattern, text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="print every translation with a changed fact")
    args = parser.parse_args()
    why = ApertiumEngine.available()
    if why is not None:
        print(f"Apertium is not available: {why}")
        return 2
    messages = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = ApertiumEngine()
    totals: Counter[str] = Counter()
    per_pair: dict[tuple[str, str], Counter[str]] = {}
    misses: list[str] = []
    try:
        for message in messages:
            source = message["language"]
            for target in LANGUAGES:
                if target == source or not engine.supports(source, target):
                    continue
                result = translate_text(message["text"], source, target, [engine], glossary=GLOSSARY)
                counts = per_pair.setdefault((source, target), Counter())
                counts["translations"] += 1
                if result.status != "translated":
                    counts["not translated"] += 1
                    continue
                output = result.text or ""
                needed = Counter(message["facts"])
                changed = False
                for fact, count in needed.items():
                    for index in range(count):
                        counts["facts"] += 1
                        if occurrences(fact, output) > index:
                            counts["preserved"] += 1
                            continue
                        changed = True
                        flagged = any(fact in lost or lost in fact for lost in result.missing_facts)
                        if flagged:
                            counts["flagged"] += 1
                        else:
                            counts["missed"] += 1
                            misses.append(f"{message['id']} {source}→{target}: {fact!r} not in {output!r}")
                if changed and args.verbose:
                    print(f"{message['id']} {source}→{target}: {output!r} flags={result.flags} missing={result.missing_facts}")
    finally:
        engine.close()
    for counts in per_pair.values():
        totals.update(counts)
    print(f"Fact check through Apertium: {len(messages)} messages, {len(per_pair)} language pairs, {totals['translations']} translations")
    print(f"machine: {machine_description()}")
    print(f"date: {datetime.date.today().isoformat()}")
    print()
    print(f"{'pair':8} {'facts':>6} {'preserved':>10} {'flagged':>8} {'missed':>7}")
    for (source, target), counts in sorted(per_pair.items()):
        print(f"{source}→{target:5} {counts['facts']:6} {counts['preserved']:10} {counts['flagged']:8} {counts['missed']:7}")
    print(f"{'all':8} {totals['facts']:6} {totals['preserved']:10} {totals['flagged']:8} {totals['missed']:7}")
    if totals["not translated"]:
        print(f"not translated: {totals['not translated']}")
    for line in misses:
        print("MISSED", line)
    return 1 if totals["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
