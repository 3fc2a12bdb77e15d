"""Apertium, the offline default: Debian's apertium-apy server, kept warm.

Dragoman starts `apertium-apy` on 127.0.0.1 and a free port, and restarts it
if it dies. APY keeps one pipeline per language pair running, so a message
costs a few milliseconds instead of the 200-400 ms of starting `apertium`
per call. APY itself binds every interface and has no option against it, so
it is started through a two-line launcher that binds loopback only.

Pairs come from the installed mode files (`/usr/share/apertium/modes`), named
with Apertium's codes (`eng-spa`, `fr-es`); Dragoman speaks ISO 639-1. Where
no direct pair exists, the text goes through a pivot language that has both
(Spanish first: most Debian pairs go through it) and is marked pivoted.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

from dragoman.core.outbound import response_excerpt
from dragoman.language.engines import EngineError, EngineOutput, UnsupportedPair

log = logging.getLogger(__name__)

DEFAULT_MODES_DIR = Path("/usr/share/apertium/modes")
SYSTEM_PYTHON = "/usr/bin/python3"
PIVOT_PREFERENCE = ("es", "en", "ca", "fr", "pt", "it")
INSTALL_HINT = "apt-get install apertium apertium-apy apertium-eng-spa (and other apertium-* pairs)"

# Apertium's codes (ISO 639-3, or 639-1 in older pairs) to ISO 639-1.
APERTIUM_CODES: dict[str, str] = {
    "eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "por": "pt", "ita": "it", "cat": "ca",
    "ron": "ro", "rum": "ro", "glg": "gl", "eus": "eu", "oci": "oc", "deu": "de", "nld": "nl",
    "afr": "af", "dan": "da", "nor": "no", "nob": "nb", "nno": "nn", "swe": "sv", "isl": "is",
    "rus": "ru", "ukr": "uk", "bel": "be", "mkd": "mk", "bul": "bg", "hin": "hi", "urd": "ur",
    "ind": "id", "zlm": "ms", "msa": "ms", "epo": "eo", "arg": "an", "ast": "ast", "srd": "sc",
}  # fmt: skip

# What APY is started with: bind loopback only, then APY's own main().
_LAUNCHER = (
    "import tornado.httpserver as s; b = s.HTTPServer.bind; "
    "s.HTTPServer.bind = lambda self, port, address=None, **kw: b(self, port, address='127.0.0.1', **kw); "
    "from apertium_apy.apy import main; main()"
)


def iso_code(apertium: str) -> str | None:
    if "_" in apertium:
        return None  # a variant (pt_BR, cat_valencia): the base pair is used
    if len(apertium) == 2:
        return apertium
    return APERTIUM_CODES.get(apertium)


def installed_pairs(modes_dir: Path = DEFAULT_MODES_DIR) -> dict[tuple[str, str], str]:
    """(source, target) in ISO 639-1 -> APY's langpair ("eng|spa")."""
    pairs: dict[tuple[str, str], str] = {}
    if not modes_dir.is_dir():
        return pairs
    for mode in sorted(modes_dir.glob("*.mode")):
        parts = mode.stem.split("-")
        if len(parts) != 2:
            continue
        source, target = (iso_code(part) for part in parts)
        if source and target and source != target:
            pairs.setdefault((source, target), f"{parts[0]}|{parts[1]}")
    return pairs


def route(pairs: dict[tuple[str, str], str], source: str, target: str) -> list[str] | None:
    """The langpairs to run in turn: one for a direct pair, two through a pivot."""
    if (source, target) in pairs:
        return [pairs[(source, target)]]
    pivots = sorted({t for s, t in pairs if s == source} & {s for s, t in pairs if t == target})
    pivots.sort(key=lambda code: PIVOT_PREFERENCE.index(code) if code in PIVOT_PREFERENCE else len(PIVOT_PREFERENCE))
    if not pivots:
        return None
    return [pairs[(source, pivots[0])], pairs[(pivots[0], target)]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApertiumEngine:
    name = "apertium"
    shared = False  # True for the process-wide instance (see `shared_apertium`)

    def __init__(self, modes_dir: Path = DEFAULT_MODES_DIR, timeout: float = 10.0, log_dir: Path | None = None) -> None:
        self.modes_dir = modes_dir
        self.pairs = installed_pairs(modes_dir)
        self.timeout = timeout
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout)
        self._restarts = 0
        self._closed = False

    @staticmethod
    def available(modes_dir: Path = DEFAULT_MODES_DIR) -> str | None:
        """Why Apertium cannot run here, or None when it can."""
        if not shutil.which("apertium-apy") or not Path(SYSTEM_PYTHON).exists():
            return f"apertium-apy is not installed ({INSTALL_HINT})"
        if not installed_pairs(modes_dir):
            return f"no Apertium language pairs in {modes_dir} ({INSTALL_HINT})"
        return None

    def supports(self, source: str, target: str) -> bool:
        return route(self.pairs, source, target) is not None

    # -- the server -------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._ensure_running()

    def _ensure_running(self) -> str:
        if self._closed:
            raise EngineError("apertium: the engine was shut down")
        if self._process is not None and self._process.poll() is None:
            return f"http://127.0.0.1:{self._port}"
        if self._process is not None:
            self._restarts += 1
            log.warning("apertium: apertium-apy exited with %s; restarting it", self._process.returncode)
        self._port = _free_port()
        output = subprocess.DEVNULL
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self._log_dir / "apertium-apy.log", "ab")  # noqa: SIM115 - owned by the child
        self._process = subprocess.Popen(
            # -m: pipelines idle for an hour are shut down; -r: restarted after
            # many requests, as APY recommends against slow memory growth.
            # nice: under a flood of messages the CPU goes to storing and
            # pushing them first; translations catch up afterwards.
            ["nice", "-n", "10", SYSTEM_PYTHON, "-c", _LAUNCHER, "-p", str(self._port), "-m", "3600", "-r", "5000", str(self.modes_dir)],
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches Dragoman, which stops APY itself
        )
        url = f"http://127.0.0.1:{self._port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EngineError(f"apertium: apertium-apy exited at start with {self._process.returncode}")
            try:
                if self._client.get(f"{url}/listPairs", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.05)
        raise EngineError("apertium: apertium-apy did not answer within 20 s")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._client.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- translating --------------------------------------------------------------

    def _one(self, base_url: str, langpair: str, text: str) -> str:
        try:
            response = self._client.post(
                f"{base_url}/translate", data={"langpair": langpair, "q": text, "markUnknown": "no"}
            )
        except httpx.HTTPError as exc:
            raise EngineError(f"apertium: {type(exc).__name__} on {langpair}") from exc
        if response.status_code != 200:
            raise EngineError(f"apertium: HTTP {response.status_code} on {langpair}: {response_excerpt(response.text)}")
        try:
            return str(response.json()["responseData"]["translatedText"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineError(f"apertium: unexpected answer on {langpair}") from exc

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        steps = route(self.pairs, source, target)
        if steps is None:
            raise UnsupportedPair(f"apertium has no pair {source}→{target}")
        with self._lock:
            base_url = self._ensure_running()
        for langpair in steps:
            text = self._one(base_url, langpair, text)
        pivot = iso_code(steps[0].split("|")[1]) if len(steps) > 1 else None
        return EngineOutput(text=text, pivot=pivot)


_SHARED: dict[tuple[Path, float], ApertiumEngine] = {}
_SHARED_LOCK = threading.Lock()


def shared_apertium(modes_dir: Path = DEFAULT_MODES_DIR, timeout: float = 10.0, log_dir: Path | None = None) -> ApertiumEngine:
    """One APY server per process, whatever number of apps it builds (tests
    build one per test); stopped when the process exits."""
    with _SHARED_LOCK:
        engine = _SHARED.get((modes_dir, timeout))
        if engine is None:
            engine = ApertiumEngine(modes_dir, timeout=timeout, log_dir=log_dir)
            engine.shared = True
            _SHARED[(modes_dir, timeout)] = engine
            atexit.register(engine.close)
        return engine
