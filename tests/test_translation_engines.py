"""Translation engines for real: Apertium's server from Debian, a CTranslate2
model built here, and HTTP clients against local servers speaking each
service's wire format; then the chain's fallbacks."""

from __future__ import annotations

import http.server
import io
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sentencepiece
from ctranslate2.specs import transformer_spec

from dragoman.language.engines import EngineError, EngineOutput, UnsupportedPair
from dragoman.language.engines.apertium import ApertiumEngine, installed_pairs, route
from dragoman.language.engines.ctranslate2 import CTranslate2Engine
from dragoman.language.engines.remote import DeepLEngine, GoogleTranslateEngine, LibreTranslateEngine, OpenAIChatEngine
from dragoman.language.glossary import GlossaryEntry
from dragoman.language.pipeline import translate_text
from translation_fakes import KEY, FakeTranslationService

# -- Apertium -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apertium() -> Iterator[ApertiumEngine]:
    why = ApertiumEngine.available()
    assert why is None, why  # `make install` installs it: missing is a failure, not a skip
    engine = ApertiumEngine()
    yield engine
    engine.close()


def test_apertium_pairs_come_from_the_installed_modes() -> None:
    pairs = installed_pairs()
    assert pairs[("en", "es")] == "eng|spa" and pairs[("es", "en")] == "spa|eng"
    assert ("fr", "es") in pairs and ("es", "pt") in pairs and ("es", "it") in pairs
    assert route(pairs, "en", "es") == ["eng|spa"]
    assert route(pairs, "fr", "en") == [pairs[("fr", "es")], "spa|eng"]  # through Spanish
    assert route(pairs, "en", "de") is None


def test_apertium_translates_directly_and_through_spanish(apertium: ApertiumEngine) -> None:
    direct = apertium.translate("Where is my order ZX0QZ?", "en", "es")
    assert direct.pivot is None
    assert "ZX0QZ" in direct.text and "dónde" in direct.text.lower()
    pivoted = apertium.translate("Merci beaucoup pour votre aide", "fr", "en")
    assert pivoted.pivot == "es"
    assert "thank" in pivoted.text.lower() or "help" in pivoted.text.lower()
    with pytest.raises(UnsupportedPair):
        apertium.translate("Hallo", "en", "de")


def test_apertium_server_is_kept_warm_and_restarted_when_it_dies(apertium: ApertiumEngine) -> None:
    apertium.translate("Good morning", "en", "es")
    first = apertium.pid
    apertium.translate("Good evening", "en", "es")
    assert apertium.pid == first  # one server for every message
    assert first is not None
    os.killpg(first, signal.SIGKILL)
    os.waitpid(first, 0)
    again = apertium.translate("Good night", "en", "es")
    assert again.text.strip()
    assert apertium.pid != first


# -- CTranslate2 ------------------------------------------------------------------------


def _train_pieces(sentences: list[str], path: Path) -> list[str]:
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences), model_writer=model, vocab_size=40, character_coverage=1.0,
        minloglevel=2, hard_vocab_limit=False,
    )  # fmt: skip
    path.write_bytes(model.getvalue())
    processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_tiny_model(folder: Path, source_sentences: list[str], target_sentences: list[str], seed: int = 7) -> None:
    """A one-layer Transformer with random weights, in CTranslate2's format,
    with its own SentencePiece models: the real loading and translating code
    runs on it. No torch needed: the weights are set through CTranslate2's
    model spec. (The vocabulary ends with <pad>, as converted models do.)"""
    folder.mkdir(parents=True)
    source_vocab = _train_pieces(source_sentences, folder / "source.spm") + ["<pad>"]
    target_vocab = _train_pieces(target_sentences, folder / "target.spm") + ["<pad>"]
    width, inner = 16, 32
    shapes = {
        "embeddings_0/weight": (len(source_vocab), width),
        "embeddings/weight": (len(target_vocab), width),
        "projection/weight": (len(target_vocab), width),
        "self_attention/linear_0/weight": (3 * width, width),
        "self_attention/linear_1/weight": (width, width),
        "attention/linear_0/weight": (width, width),
        "attention/linear_1/weight": (2 * width, width),
        "attention/linear_2/weight": (width, width),
        "ffn/linear_0/weight": (inner, width),
        "ffn/linear_1/weight": (width, inner),
    }
    spec = transformer_spec.TransformerSpec.from_config((1, 1), 2)
    rng = np.random.default_rng(seed)
    for name, value in spec.variables().items():
        if value is not None:
            continue
        if name.endswith("/gamma"):
            array = np.ones(width)
        elif name.endswith("/beta"):
            array = np.zeros(width)
        else:
            array = rng.normal(0, 0.5, shapes[next(key for key in shapes if name.endswith(key))])
        scope = spec
        parts = name.split("/")
        for part in parts[:-1]:
            index = part.rsplit("_", 1)[-1]
            if part.startswith("layer_") and index.isdigit():
                scope = scope.layer[int(index)]
            elif part.startswith("linear_") and not hasattr(scope, part):
                scope = scope.linear[int(index)]
            elif part.startswith("embeddings_"):
                scope = scope.embeddings[int(index)]
            else:
                scope = getattr(scope, part)
        setattr(scope, parts[-1], array.astype(np.float32))
    spec.register_source_vocabulary(source_vocab)
    spec.register_target_vocabulary(target_vocab)
    spec.validate()
    spec.optimize(quantization=None)
    spec.save(str(folder))


SOURCE = ["hello where is my order", "thank you very much", "my package did not arrive", "i want a refund please"] * 5
TARGET = ["hola donde esta mi pedido", "muchas gracias", "mi paquete no llego", "quiero un reembolso por favor"] * 5


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    models = tmp_path_factory.mktemp("ct2")
    build_tiny_model(models / "en-es", SOURCE, TARGET)
    (models / "not-a-model").mkdir()
    return models


def test_ctranslate2_loads_a_model_from_disk_and_translates(tiny_models: Path) -> None:
    assert CTranslate2Engine.available(tiny_models) is None
    engine = CTranslate2Engine(tiny_models)
    assert engine.supports("en", "es") and not engine.supports("es", "en")
    first = engine.translate("hello where is my order", "en", "es")
    assert isinstance(first, EngineOutput) and first.text
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(tiny_models / "en-es" / "target.spm"))
    # Random weights say nothing sensible, but only in the target's pieces,
    # decoded by the target's SentencePiece model.
    assert pieces.decode(pieces.encode(first.text, out_type=str)) == first.text
    assert set(first.text) <= set("".join(TARGET)) | {" "}
    assert engine.translate("hello where is my order", "en", "es") == first  # loaded once, deterministic
    with pytest.raises(UnsupportedPair):
        engine.translate("hola", "es", "en")


def test_ctranslate2_reports_what_is_missing(tmp_path: Path) -> None:
    assert "no models" in (CTranslate2Engine.available(tmp_path) or "")


# -- HTTP engines ------------------------------------------------------------------------


@pytest.fixture
def service() -> Iterator[FakeTranslationService]:
    fake = FakeTranslationService().start()
    yield fake
    fake.stop()


def _engines(url: str, **options: float) -> list:  # type: ignore[type-arg]
    return [
        DeepLEngine(KEY, url, **options),
        GoogleTranslateEngine(KEY, url, **options),
        LibreTranslateEngine(url, KEY, **options),
        OpenAIChatEngine(url + "/v1", "local-model", KEY, **options),
    ]


def test_each_http_engine_speaks_its_service_format(service: FakeTranslationService) -> None:
    for engine in _engines(service.url):
        assert engine.translate("Where is ZX0QZ?", "en", "es").text == "[es] Where is ZX0QZ?", engine.name
    deepl, google, libre, openai = service.requests
    assert deepl["path"] == "/v2/translate" and deepl["body"]["target_lang"] == "ES" and deepl["body"]["source_lang"] == "EN"
    assert google["query"]["key"] == [KEY] and google["body"]["format"] == "text"
    assert libre["body"] == {"q": "Where is ZX0QZ?", "source": "en", "target": "es", "format": "text", "api_key": KEY}
    assert openai["body"]["model"] == "local-model" and openai["body"]["temperature"] == 0
    assert DeepLEngine(KEY, service.url).translate("Hola", "es", "en").text == "[en] Hola"  # EN-US on the wire
    assert service.requests[-1]["body"]["target_lang"] == "EN-US"


def test_http_engines_retry_a_passing_failure(service: FakeTranslationService) -> None:
    service.mode = "fail_once"
    engine = LibreTranslateEngine(service.url, backoff=0.01)
    assert engine.translate("Hi", "en", "es").text == "[es] Hi"
    assert len(service.requests) == 2


def test_http_engines_fail_with_their_name(service: FakeTranslationService) -> None:
    service.mode = "fail"
    for engine in _engines(service.url, backoff=0.0):
        with pytest.raises(EngineError, match=rf"^{engine.name}: HTTP 500 after 3 attempts"):
            engine.translate("Hi", "en", "es")
    service.mode = "slow"
    service.delay = 1.0
    with pytest.raises(EngineError, match="deepl: timed out"):
        DeepLEngine(KEY, service.url, timeout=0.2, retries=0).translate("Hi", "en", "es")
    with pytest.raises(EngineError, match="deepl: HTTP 403"):
        DeepLEngine("wrong", service.url).translate("Hi", "en", "es")
    with pytest.raises(EngineError, match="openai: HTTP 401"):
        OpenAIChatEngine(service.url + "/v1", "m", "wrong").translate("Hi", "en", "es")


def test_unreachable_service_is_an_engine_error() -> None:
    from servers import free_port

    with pytest.raises(EngineError, match="libretranslate: ConnectError"):
        LibreTranslateEngine(f"http://127.0.0.1:{free_port()}", backoff=0.0).translate("Hi", "en", "es")


# -- the chain ---------------------------------------------------------------------------


def test_chain_skips_failing_and_garbage_engines(caplog: pytest.LogCaptureFixture) -> None:
    services = {mode: FakeTranslationService(mode=mode).start() for mode in ("fail", "empty", "cyrillic", "ok")}
    try:
        chain = [
            LibreTranslateEngine(services["fail"].url, backoff=0.0),
            DeepLEngine(KEY, services["empty"].url),
            GoogleTranslateEngine(KEY, services["cyrillic"].url),
            OpenAIChatEngine(services["ok"].url + "/v1", "m", KEY),
        ]
        result = translate_text("Your order 12345 costs $5", "en", "es", chain)
    finally:
        for fake in services.values():
            fake.stop()
    assert result.status == "translated" and result.engine == "openai"
    assert result.text == "[es] Your order 12345 costs $5"
    assert [(a["engine"], a["error"].split(":")[0]) for a in result.attempts] == [
        ("libretranslate", "libretranslate"),
        ("deepl", "empty"),
        ("google", "wrong script"),
    ]
    logged = caplog.text
    assert "libretranslate failed" in logged and "deepl returned unusable text" in logged and "google returned unusable" in logged


def test_chain_flags_lost_facts_when_no_engine_keeps_them(service: FakeTranslationService) -> None:
    service.mode = "drop_placeholders"
    result = translate_text("Order ORD-12345 costs 25 EUR", "en", "es", [LibreTranslateEngine(service.url)], order_pattern=r"ORD-\d+")
    assert result.status == "translated"
    assert "placeholders_lost" in result.flags and "facts_missing" in result.flags
    assert set(result.missing_facts) == {"ORD-12345", "25 EUR"}


def test_chain_with_no_engine_for_the_pair_says_so(apertium: ApertiumEngine) -> None:
    result = translate_text("Hola, ¿qué tal?", "es", "de", [apertium])
    assert result.status == "not_translated" and result.text is None
    assert result.reason == "not translated: no engine for es→de"


def test_apertium_keeps_glossary_terms_and_facts(apertium: ApertiumEngine) -> None:
    glossary = [GlossaryEntry("Acme Cloud"), GlossaryEntry("refund", "devolución", "en", "es")]
    text = "Your Acme Cloud refund of $25.50 for order ORD-77812 was sent to ana@example.com on 2026-11-03."
    result = translate_text(text, "en", "es", [apertium], glossary=glossary, order_pattern=r"ORD-\d+")
    assert result.engine == "apertium" and result.flags == []
    for kept in ("Acme Cloud", "devolución", "$25.50", "ORD-77812", "ana@example.com", "2026-11-03"):
        assert kept in (result.text or "")


def test_an_engine_error_keeps_a_short_clean_excerpt_of_the_answer() -> None:
    """Agents read engine errors in a message's translation attempts: a
    service's error page must not bring terminal escapes or pages of text."""

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"\x1b[2J\x00bad\r\nrequest\x07 " + b"trace " * 400
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(EngineError) as caught:
            LibreTranslateEngine(f"http://127.0.0.1:{server.server_address[1]}", backoff=0.0).translate("Hi", "en", "es")
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert message.startswith("libretranslate: HTTP 400: [2J bad request trace trace")
    assert len(message) <= len("libretranslate: HTTP 400: ") + 200
    assert not any(ch in message for ch in "\x1b\x00\r\n\x07")


def test_apertium_keeps_codes_dates_and_brands_without_an_order_pattern(apertium: ApertiumEngine) -> None:
    """Apertium alone writes "#DR.-48213", "SKU-12-#XL" and "diciembre 31, 2026"; with the default protection each stays as written."""
    assert "#DR.-48213" in apertium.translate("Your order #DR-48213 ships today.", "en", "es").text
    glossary = [GlossaryEntry("Acme Cloud")]
    text = "Your order #DR-48213 and the SKU-12-XL ship by December 31, 2026; your Acme Cloud plan renews at 09:30."
    result = translate_text(text, "en", "es", [apertium], glossary=glossary)
    assert result.engine == "apertium" and result.flags == [] and result.missing_facts == []
    for kept in ("#DR-48213", "SKU-12-XL", "December 31, 2026", "Acme Cloud", "09:30"):
        assert kept in (result.text or "")
    # Italian through Spanish: Apertium's "#" marks inside codes ("RMA#-7781#-B") never reach the text.
    italian = translate_text("Il reso RMA-7781-B per il modello WM-8000X.", "it", "en", [apertium])
    assert "RMA-7781-B" in (italian.text or "") and "WM-8000X" in (italian.text or "") and italian.flags == []
