"""Machine translation: per installed engine, cold and warm milliseconds per
short customer message, throughput with concurrent conversations, translation
memory hit time, and the share of protected facts that survive translation.

Engines measured: Apertium when its Debian packages are installed; a
CTranslate2 model directory with --ct2-models DIR; DeepL, Google,
LibreTranslate and OpenAI-compatible endpoints when their DRAGOMAN_* settings
are in the environment (see dragoman/config.py). Others are listed with the
reason they were left out.

Usage: python benchmarks/translation.py [--messages 200] [--conversations 8] [--facts 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine_description, percentile  # noqa: E402

from dragoman.config import Settings  # noqa: E402
from dragoman.language.engines import Translator  # noqa: E402
from dragoman.language.engines.apertium import ApertiumEngine  # noqa: E402
from dragoman.language.engines.ctranslate2 import CTranslate2Engine  # noqa: E402
from dragoman.language.facts import find_facts, missing_facts  # noqa: E402
from dragoman.language.pipeline import translate_text  # noqa: E402
from dragoman.language.runtime import build_runtime  # noqa: E402

ORDER_PATTERN = r"\bORD-\d{5}\b"

SHORT_MESSAGES = {
    ("es", "en"): [
        "Hola, ¿dónde está mi pedido?", "Mi paquete llegó roto", "Quiero cambiar la dirección de entrega",
        "¿Puedo pagar con tarjeta?", "Gracias por la ayuda", "No puedo entrar en mi cuenta",
        "¿Cuándo llega el reembolso?", "El producto no funciona", "Necesito la factura, por favor",
        "¿Tienen tienda en Madrid?",
    ],
    ("en", "es"): [
        "Your order ships tomorrow", "I have issued the refund", "Could you send a photo of the box?",
        "Please restart the app and try again", "Thank you for waiting", "The invoice is in your account",
        "We are sorry for the delay", "Your password was reset", "Is there anything else I can help with?",
        "Delivery takes three days",
    ],
    ("fr", "en"): [
        "Bonjour, où est ma commande ?", "Mon colis est arrivé cassé", "Je voudrais un remboursement",
        "Merci pour votre aide", "Le produit ne marche pas",
    ],
}  # fmt: skip

FACT_TEMPLATES = {
    "en": [
        "Your order {order} of {amount} ships on {date}.", "I refunded {amount} to your card for order {order}.",
        "Please call us on {phone} about the {n} items.", "We sent {n} boxes; write to {email} with order {order}.",
        "Track it at {url} before {date}.", "The total is {amount}, you saved {n} percent.",
    ],
    "es": [
        "Mi pedido {order} de {amount} no llegó el {date}.", "Me cobraron {amount} dos veces por el pedido {order}.",
        "Llámenme al {phone}, faltan {n} artículos.", "Escribí a {email} sobre el pedido {order} hace {n} días.",
        "El enlace {url} no funciona desde el {date}.", "Pagué {amount} y recibí {n} cajas.",
    ],
}  # fmt: skip


def fact_values(rng: random.Random) -> dict[str, str]:
    amounts = [f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}", f"{rng.randint(1, 500)} EUR", f"€{rng.randint(1, 90)},{rng.randint(0, 99):02d}", f"{rng.randint(100, 9000)} MXN"]
    return {
        "order": f"ORD-{rng.randint(10000, 99999)}",
        "amount": rng.choice(amounts),
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "phone": f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "n": str(rng.randint(2, 60)),
        "email": f"cliente{rng.randint(1, 999)}@example.com",
        "url": f"https://shop.example.com/track/{rng.randint(1000, 9999)}",
    }  # fmt: skip


def engines_here(args: argparse.Namespace) -> tuple[list[Translator], dict[str, str]]:
    settings = Settings.from_env()
    settings.ctranslate2_models_dir = args.ct2_models or settings.ctranslate2_models_dir
    runtime = build_runtime(settings)
    engines = [engine for name in runtime.engines.names() if (engine := runtime.engines.get(name)) is not None]
    return engines, dict(runtime.unavailable)


def pairs_for(engine: Translator) -> list[tuple[str, str]]:
    return [pair for pair in SHORT_MESSAGES if engine.supports(*pair)]


def measure_latency(engine: Translator, count: int) -> dict[str, float]:
    pairs = pairs_for(engine)
    # Cold: a fresh engine, so the first message pays the server's start (or
    # the model's load) and each pair's first message its pipeline's start.
    fresh: Translator = engine
    if isinstance(engine, ApertiumEngine):
        fresh = ApertiumEngine(engine.modes_dir)
    elif isinstance(engine, CTranslate2Engine):
        fresh = CTranslate2Engine(engine.models_dir)
    cold: list[float] = []
    for source, target in pairs:
        started = time.perf_counter()
        fresh.translate(SHORT_MESSAGES[(source, target)][0], source, target)
        cold.append(1000 * (time.perf_counter() - started))
    if fresh is not engine:
        fresh.close()
        for source, target in pairs:
            engine.translate(SHORT_MESSAGES[(source, target)][0], source, target)
    warm: list[float] = []
    for index in range(count):
        source, target = pairs[index % len(pairs)]
        texts = SHORT_MESSAGES[(source, target)]
        started = time.perf_counter()
        engine.translate(texts[index % len(texts)], source, target)
        warm.append(1000 * (time.perf_counter() - started))
    warm.sort()
    return {"cold_first_ms": cold[0], "cold_other_pairs_ms": statistics.mean(cold[1:]) if len(cold) > 1 else float("nan"),
            "warm_p50_ms": percentile(warm, 0.5), "warm_p95_ms": percentile(warm, 0.95)}  # fmt: skip


def measure_throughput(engine: Translator, conversations: int, per_conversation: int) -> float:
    pairs = pairs_for(engine)

    def conversation(seed: int) -> None:
        source, target = pairs[seed % len(pairs)]
        texts = SHORT_MESSAGES[(source, target)]
        for index in range(per_conversation):
            # A counter makes each text unique, as real messages mostly are.
            engine.translate(f"{texts[(seed + index) % len(texts)]} {seed}-{index}", source, target)

    threads = [threading.Thread(target=conversation, args=(seed,)) for seed in range(conversations)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return conversations * per_conversation / (time.perf_counter() - started)


def measure_facts(engine: Translator, count: int) -> dict[str, float]:
    rng = random.Random(42)
    routes = [pair for pair in (("en", "es"), ("es", "en"), ("es", "pt"), ("en", "fr")) if engine.supports(*pair)]
    total = kept = flagged = sentences = 0
    for index in range(count):
        source, target = routes[index % len(routes)]
        text = rng.choice(FACT_TEMPLATES[source]).format(**fact_values(rng))
        facts = find_facts(text, ORDER_PATTERN)
        result = translate_text(text, source, target, [engine], order_pattern=ORDER_PATTERN)
        lost = missing_facts(facts, result.text or "")
        total += len(facts)
        kept += len(facts) - len(lost)
        flagged += bool(result.flags)
        sentences += 1
    return {"sentences": sentences, "facts": total, "kept_share": kept / total, "flagged": flagged}


def measure_memory_hit(repeats: int) -> float:
    """translate_for_account on a text already in the memory: a database read."""
    from dragoman.accounts.services import create_account
    from dragoman.core.db import make_engine, make_session_factory
    from dragoman.core.migrate import upgrade_database
    from dragoman.language import services
    from dragoman.language.runtime import LanguageRuntime, shared_detection

    class Fixed:
        name = "fixed"

        def supports(self, source: str, target: str) -> bool:
            return True

        def translate(self, text: str, source: str, target: str):  # type: ignore[no-untyped-def]
            from dragoman.language.engines import EngineOutput

            return EngineOutput(f"[{target}] {text}")

        def close(self) -> None:
            pass

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/tm.db"
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        runtime = LanguageRuntime(detection=shared_detection())
        runtime.engines.add(Fixed())  # type: ignore[arg-type]
        with factory() as db:
            account = create_account(db, "bench")
            services.update_settings(db, account.id, engine_chains={"*": ["openai"]})
            db.commit()
        runtime.engines._engines["openai"] = runtime.engines._engines.pop("fixed")  # noqa: SLF001 - any chained name
        times: list[float] = []
        with factory() as db:
            services.translate_for_account(db, runtime, account.id, "Hola, ¿dónde está mi pedido?", "es", "en")
            db.commit()
            for _ in range(repeats):
                started = time.perf_counter()
                result = services.translate_for_account(db, runtime, account.id, "Hola, ¿dónde está mi pedido?", "es", "en")
                times.append(1000 * (time.perf_counter() - started))
                assert result.from_memory
        engine.dispose()
    times.sort()
    return percentile(times, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200, help="warm translations per engine")
    parser.add_argument("--conversations", type=int, default=8, help="concurrent conversations for throughput")
    parser.add_argument("--per-conversation", type=int, default=25)
    parser.add_argument("--facts", type=int, default=300, help="generated sentences with protected facts")
    parser.add_argument("--ct2-models", help="a CTranslate2 model directory (folders like es-en)")
    args = parser.parse_args()
    print(f"Machine: {machine_description()}\n")
    engines, unavailable = engines_here(args)
    if not engines:
        raise SystemExit("no translation engine is installed here (apt-get install apertium apertium-apy apertium-eng-spa)")
    print("| engine | pairs measured | cold: first message ms | cold: first of another pair ms | warm p50 ms | warm p95 ms | "
          f"messages/s, {args.conversations} conversations | facts kept ({args.facts} sentences) | sentences flagged |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine in engines:
        if isinstance(engine, CTranslate2Engine) and not pairs_for(engine):
            print(f"| {engine.name} | none of {', '.join(f'{s}-{t}' for s, t in SHORT_MESSAGES)} in the model directory | | | | | | | |")
            continue
        latency = measure_latency(engine, args.messages)
        throughput = measure_throughput(engine, args.conversations, args.per_conversation)
        facts = measure_facts(engine, args.facts)
        pairs = ", ".join(f"{s}→{t}" for s, t in pairs_for(engine))
        print(
            f"| {engine.name} | {pairs} | {latency['cold_first_ms']:.0f} | {latency['cold_other_pairs_ms']:.0f} | "
            f"{latency['warm_p50_ms']:.1f} | {latency['warm_p95_ms']:.1f} | {throughput:.0f} | "
            f"{100 * facts['kept_share']:.1f}% of {facts['facts']} | {facts['flagged']} |"
        )
        engine.close()
    print(f"\nTranslation memory hit (a stored translation reused; SQLite): {measure_memory_hit(300):.2f} ms p50")
    if unavailable:
        print("\nLeft out:")
        for name, why in unavailable.items():
            print(f"- {name}: {why}")


if __name__ == "__main__":
    main()
