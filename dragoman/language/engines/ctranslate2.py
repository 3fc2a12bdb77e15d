"""CTranslate2 models on disk (OPUS-MT and the like, converted with
`ct2-transformers-converter`).

The admin points Dragoman at a directory with one folder per pair, named
`<source>-<target>` in ISO 639-1 (`es-en`), each holding the converted model
(`model.bin`, vocabulary) and the two SentencePiece models the original came
with (`source.spm`, `target.spm`). A model is loaded on first use and kept in
memory; CTranslate2 runs it on the CPU. Nothing is ever downloaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dragoman.language.engines import EngineError, EngineOutput, UnsupportedPair

INSTALL_HINT = "pip install ctranslate2 sentencepiece, and convert models with ct2-transformers-converter"


@dataclass
class _LoadedModel:
    translator: Any
    source_pieces: Any
    target_pieces: Any
    lock: threading.Lock


def model_pairs(models_dir: Path) -> dict[tuple[str, str], Path]:
    pairs: dict[tuple[str, str], Path] = {}
    if not models_dir.is_dir():
        return pairs
    for folder in sorted(models_dir.iterdir()):
        parts = folder.name.split("-")
        if len(parts) == 2 and (folder / "model.bin").is_file() and (folder / "source.spm").is_file() and (folder / "target.spm").is_file():
            pairs[(parts[0].lower(), parts[1].lower())] = folder
    return pairs


class CTranslate2Engine:
    name = "ctranslate2"

    def __init__(self, models_dir: Path, threads: int = 2) -> None:
        self.models_dir = models_dir
        self.pairs = model_pairs(models_dir)
        self._threads = threads
        self._models: dict[tuple[str, str], _LoadedModel] = {}
        self._load_lock = threading.Lock()

    @staticmethod
    def available(models_dir: Path) -> str | None:
        try:
            import ctranslate2  # noqa: F401
            import sentencepiece  # noqa: F401
        except ImportError:
            return f"ctranslate2 or sentencepiece is not installed ({INSTALL_HINT})"
        if not model_pairs(models_dir):
            return f"no models in {models_dir} (folders named like es-en with model.bin, source.spm, target.spm)"
        return None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    def _model(self, source: str, target: str) -> _LoadedModel:
        key = (source, target)
        model = self._models.get(key)
        if model is not None:
            return model
        with self._load_lock:
            model = self._models.get(key)
            if model is None:
                import ctranslate2
                import sentencepiece

                folder = self.pairs[key]
                try:
                    model = _LoadedModel(
                        translator=ctranslate2.Translator(str(folder), device="cpu", intra_threads=self._threads),
                        source_pieces=sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm")),
                        target_pieces=sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm")),
                        lock=threading.Lock(),
                    )
                except (RuntimeError, OSError, ValueError) as exc:
                    raise EngineError(f"ctranslate2: cannot load {folder}: {exc}") from exc
                self._models[key] = model
        return model

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        if not self.supports(source, target):
            raise UnsupportedPair(f"ctranslate2 has no model {source}-{target} in {self.models_dir}")
        model = self._model(source, target)
        # Marian-style models expect the end-of-sentence token on the source.
        tokens = model.source_pieces.encode(text, out_type=str) + ["</s>"]
        try:
            with model.lock:
                result = model.translator.translate_batch(
                    [tokens], beam_size=2, max_decoding_length=max(16, 3 * len(tokens))
                )
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"ctranslate2: {exc}") from exc
        pieces = [piece for piece in result[0].hypotheses[0] if piece not in ("</s>", "<s>", "<pad>")]
        return EngineOutput(model.target_pieces.decode(pieces))

    def close(self) -> None:
        self._models.clear()
