"""The persistent build cache in ``.briefing-cache/``.

It keeps, per source file, the parsed front matter and the rendered Markdown (keyed by the
file's bytes and everything that changes their rendering), and the fingerprint of every
page last written. It is never trusted blindly: a file written by another version, a
truncated or tampered file, or one whose signature does not match is ignored, and the
build simply does the work again. The signature key lives in the user's cache folder,
outside the site, so a cache shipped inside someone else's site is never unpickled.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import json
import os
import pickle
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from briefing import __version__
from briefing.errors import ContentError
from briefing.markdown import RenderedBody, Resolved
from briefing.model import ArticleMemo
from briefing.parse import ParsedSource

CACHE_DIR = ".briefing-cache"
FORMAT = 5
"""Raised whenever what the cache holds changes shape."""
StatKey = tuple[int, int, int]


@dataclass(frozen=True)
class ParsedEntry:
    digest: str
    """Of the file's bytes and the settings parsing depends on."""
    source: ParsedSource | None
    problems: tuple[ContentError, ...]


@dataclass(frozen=True)
class BodyEntry:
    digest: str
    """Of the Markdown text and the renderer's settings."""
    body: RenderedBody
    resolutions: tuple[tuple[str, Resolved], ...]
    """Every link target the body resolved, and to what: if any now resolves differently
    (an article it links to moved), the body is rendered again."""


@dataclass
class BuildCache:
    stats: dict[str, tuple[StatKey, str]] = field(default_factory=dict)
    """Source name -> (size, mtime, inode) and the digest of its bytes then."""
    parsed: dict[str, ParsedEntry] = field(default_factory=dict)
    bodies: dict[str, BodyEntry] = field(default_factory=dict)
    link_targets: str = ""
    """Digest of every address a body's link could resolve to when ``bodies`` was checked."""
    pictures: dict[str, tuple[StatKey, str, Any]] = field(default_factory=dict)
    """Photo name -> (stamp, settings, processed Picture or the reason it is unreadable)."""
    out: str = ""
    """The output folder the entries below describe."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Every file last written to ``out`` -> the fingerprint it was made from."""
    dirty: bool = False
    """Something was computed that the saved cache does not hold: save it."""
    articles: ArticleMemo = field(default_factory=dict)
    """The last build's Articles, for a builder that lives on (the preview); never saved:
    it is only sound while the parsed sources it compares by identity are in memory."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "articles": {}}


def stat_key(path: Path) -> StatKey | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def _key() -> bytes:
    """The signing key, made once per user: the cache is only read if we wrote it."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefing"
    path = home / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        home.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}")
        temporary.write_bytes(key)
        temporary.chmod(0o600)
        temporary.replace(path)
        return path.read_bytes()
    except OSError:
        return key


def _header() -> bytes:
    return f"briefing-cache {FORMAT} {__version__}\n".encode()


def cache_file(site_root: Path) -> Path:
    return site_root / CACHE_DIR / "build.pickle"


def load(site_root: Path) -> BuildCache:
    """The cache, or an empty one when it is missing, foreign, stale or damaged."""
    try:
        data = cache_file(site_root).read_bytes()
    except OSError:
        return BuildCache()
    header = _header()
    if not data.startswith(header) or len(data) < len(header) + 32:
        return BuildCache()
    signature = data[len(header) : len(header) + 32]
    payload = data[len(header) + 32 :]
    if not hmac.compare_digest(signature, hmac.digest(_key(), payload, "sha256")):
        return BuildCache()
    try:
        with _collector_paused():
            cache = pickle.loads(payload)
    except Exception:
        return BuildCache()
    if not isinstance(cache, BuildCache) or not all(hasattr(cache, f.name) for f in fields(cache)):
        return BuildCache()
    cache.dirty = False
    return cache


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Unpickling a big site makes millions of objects, none of them garbage: the cyclic
    collector would walk them again and again (it tripled the load time at 10,000
    articles). Afterwards they are frozen out of its way for the rest of the build; they are
    still freed by reference counting like any other object."""
    was_enabled = gc.isenabled()
    gc.collect()  # cheap this early in a build, and nothing already garbage gets frozen
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()


def save(site_root: Path, cache: BuildCache) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    path = cache_file(site_root)
    payload = pickle.dumps(cache, protocol=pickle.HIGHEST_PROTOCOL)
    signature = hmac.digest(_key(), payload, "sha256")
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        gitignore = path.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")
        temporary.write_bytes(_header() + signature + payload)
        temporary.replace(path)
    except OSError:
        # On a full disk, a half-written copy per failed build would only fill it more.
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def clean(site_root: Path) -> bool:
    """Remove the cache folder; True when there was one."""
    folder = site_root / CACHE_DIR
    if not folder.is_dir():
        return False
    shutil.rmtree(folder)
    return True


def state_file(site_root: Path) -> Path:
    return site_root / CACHE_DIR / "state.json"


@dataclass(frozen=True)
class BuildState:
    """What the last successful build was made from, small enough to read in a blink: when
    nothing it names has changed, the build has nothing to do and the big cache stays shut."""

    inputs: str
    """Digest of every input file's stamp, the settings, the options and the version."""
    valid_until: str
    """ISO time when the clock alone changes the site (a scheduled article, the news
    sitemap's two days), or "" for never."""
    pages: int
    warnings: tuple[dict[str, Any], ...]
    """Reported again on a build that does nothing, so a warning never goes quiet."""


def load_state(site_root: Path) -> BuildState | None:
    try:
        data = json.loads(state_file(site_root).read_text(encoding="utf-8"))
        return BuildState(
            str(data["inputs"]),
            str(data["valid_until"]),
            int(data["pages"]),
            tuple(dict(w) for w in data["warnings"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(site_root: Path, state: BuildState | None) -> None:
    path = state_file(site_root)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if state is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(asdict(state)), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
