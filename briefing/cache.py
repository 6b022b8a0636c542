"""The persistent build cache in ``.briefing-cache/build/``.

It keeps, per source file, the parsed front matter and the rendered Markdown (keyed by the
file's bytes and everything that changes their rendering), and the fingerprint of every
page last written. The per-file entries are spread over shards by file name, so a build
after one edit rewrites one shard, not the whole site's worth of entries.

It is never trusted blindly: a file written by another version, a truncated or tampered
file, or one whose signature does not match is ignored, and the build simply does that
work again. The signature key lives in the user's cache folder, outside the site, so a
cache shipped inside someone else's site is never unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import pickle
import secrets
import shutil
import sys
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TypeVar

from briefing import __version__
from briefing.content import stamp_of
from briefing.workers import collector_paused, in_background

if TYPE_CHECKING:  # annotations only: parsing needs ``digest`` from here
    from briefing.errors import ContentError
    from briefing.markdown import PictureRef, RenderedBody, Resolved
    from briefing.model import ArticleMemo
    from briefing.parse import ParsedSource

CACHE_DIR = ".briefing-cache"
FORMAT = 11
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
    refs: dict[str, tuple[Any, str, PictureRef]] = field(default_factory=dict)
    """Photo name -> (Picture, base path, PictureRef) of the last build; never saved."""
    stages: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Stage name -> (its inputs, its output) of the last build; never saved."""

    stamp: str = ""
    """The output's mark (``output.output_stamp``) when ``outputs`` was last true of it."""
    basis: str = ""
    """The file keeping the last full build's basis (see ``keep_basis``), or ""."""

    shards: dict[int, tuple[str, dict[str, dict[str, Any]]]] = field(
        default_factory=dict, repr=False
    )
    """Each shard as last read or written: its file and its entries, so that a save
    rewrites only the shards whose entries changed."""
    unread: dict[int, str] = field(default_factory=dict, repr=False)
    """The shard files named by the index and not read yet (``load(entries=False)``):
    until they are, a save writes only the index and leaves them as they are."""


SHARDS = 64
PER_SOURCE = ("stats", "parsed", "bodies", "pictures")
"""The fields kept per source file, in shards."""
WHOLE = ("link_targets", "out", "outputs", "stamp", "basis")
"""The fields kept in the index."""


def _shard(name: str) -> int:
    return hashlib.blake2b(name.encode(), digest_size=1).digest()[0] % SHARDS


def stat_key(path: Path) -> StatKey | None:
    """The file's stamp (``content.stamp_of``), None when it cannot be looked at."""
    try:
        return stamp_of(path.stat(), time.time_ns())
    except OSError:
        return None


def digest(*parts: bytes | str) -> str:
    """Of the parts, each followed by a NUL. Hashed in one piece: a build digests every
    file name and stamp (20,000 parts at 10,000 articles) twice, and two ``update``
    calls a part took 0.03 s."""
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    encoded.append(b"")
    return hashlib.blake2b(b"\0".join(encoded), digest_size=20).hexdigest()


def user_cache_folder() -> Path:
    """The user's own cache folder for briefing, outside any site: what is kept there is
    trusted as the user's own."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefing"


def _key() -> bytes:
    """The signing key, made once per user: the cache is only read if we wrote it."""
    home = user_cache_folder()
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


def made_with() -> str:
    """briefing's version and those of what it renders with: a new markdown-it-py, Jinja or
    PyYAML (or Python) may make something else of the same input, so what one build kept
    is trusted only by a build made with the same. Pillow's version is in each processed
    photo's name instead (``images.process``)."""
    import jinja2
    import markdown_it
    import mdit_py_plugins
    import yaml

    return (
        f"briefing {__version__}, Python {'.'.join(map(str, sys.version_info[:3]))}, "
        f"markdown-it-py {markdown_it.__version__}, mdit-py-plugins "
        f"{mdit_py_plugins.__version__}, Jinja2 {jinja2.__version__}, PyYAML {yaml.__version__}"
        f"{' with libyaml' if yaml.__with_libyaml__ else ''}"
    )


def _header() -> bytes:
    return f"briefing-cache {FORMAT} {made_with()}\n".encode()


BUILD = "build"
"""The store of ``briefing build``; the preview keeps its own (its output and options
differ), so neither invalidates the other's."""
PREVIEW = "preview/build"
"""The preview's store."""


def cache_folder(site_root: Path, store: str = BUILD) -> Path:
    return site_root / CACHE_DIR / store


INDEX = "index"
"""The file of a store that holds the whole-site fields, and names the shard files."""


def cache_file(site_root: Path, store: str = BUILD) -> Path:
    """The index: the whole-site fields, and which shard files hold the rest."""
    return cache_folder(site_root, store) / INDEX


def shard_files(site_root: Path) -> list[Path]:
    return sorted(cache_folder(site_root).glob("shard-*"))


def _read(
    path: Path,
    key: bytes,
    fields: tuple[str, ...],
    unpickle: Callable[[BinaryIO], object] = pickle.load,
) -> dict[str, Any] | None:
    """The pickled dict in ``path`` if we signed it and it has exactly ``fields``."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = _header()
    if not data.startswith(header) or len(data) < len(header) + 32:
        return None
    signature = data[len(header) : len(header) + 32]
    payload = memoryview(data)[len(header) + 32 :]  # a slice would copy 70 MB for nothing
    if not hmac.compare_digest(signature, hmac.digest(key, payload, "sha256")):
        return None
    try:
        # Read in place: a file made from the payload's view would copy the 15 MB of a
        # basis at 10,000 articles into memory the process had not touched yet.
        file = io.BytesIO(data)
        file.seek(len(header) + 32)
        contents = unpickle(file)
    except Exception:
        return None
    if not isinstance(contents, dict) or set(contents) != set(fields):
        return None
    return contents


def _write(path: Path, payload: bytes, key: bytes) -> None:
    write_atomically(path, _header() + hmac.digest(key, payload, "sha256") + payload)


def _dump(
    path: Path,
    contents: object,
    key: bytes,
    pickler: Callable[[_Signing], pickle.Pickler] | None = None,
) -> None:
    """``_write`` of ``pickle.dumps(contents)`` (or of what ``pickler`` makes of it),
    signed and written as it is pickled: never held in memory whole."""
    header = _header()
    signer = hmac.new(key, digestmod="sha256")

    def write(file: BinaryIO) -> None:
        file.write(header + bytes(32))  # the signature's place, filled in at the end
        signing = _Signing(file, signer)
        if pickler is None:
            pickle.dump(contents, signing, pickle.HIGHEST_PROTOCOL)
        else:
            pickler(signing).dump(contents)
        file.seek(len(header))
        file.write(signer.digest())

    _atomically(path, write)


class _Signing:
    """A file that feeds what is written to it to a signature too."""

    def __init__(self, file: BinaryIO, signer: hmac.HMAC) -> None:
        self.file = file
        self.signer = signer

    def write(self, data: bytes) -> int:
        self.signer.update(data)
        return self.file.write(data)


def write_atomically(path: Path, data: bytes) -> None:
    """A reader sees the old file or the new one, never half of one."""
    _atomically(path, lambda file: file.write(data))


def _temporary_name(name: str) -> str:
    """Where ``name`` is written before it is renamed into place: it names the writer's
    process, so a file left by one that was killed can be told apart (``_being_written``)."""
    return f"{name}.{os.getpid()}.tmp"


def _atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    temporary = path.with_name(_temporary_name(path.name))
    try:
        with temporary.open("wb") as file:
            write(file)
        temporary.replace(path)
    except BaseException:
        # On a full disk, a half-written copy per failed build would only fill it more;
        # nor is one worth keeping after a failure to pickle, or Ctrl-C.
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def load(site_root: Path, *, entries: bool = True, store: str = BUILD) -> BuildCache:
    """The cache, or an empty one when it is missing, foreign, stale or damaged. A damaged
    or missing shard only loses its own entries: their files are read and rendered again.
    ``entries=False``: only the index, for a build that may need no per-file entry at all
    (``read_entries`` reads them when it does)."""
    with collector_paused():
        index = _read(cache_file(site_root, store), _key(), (*WHOLE, "shards"))
    shapes = {"link_targets": str, "outputs": dict, "shards": dict}
    shapes |= {name: str for name in ("out", "stamp", "basis")}
    if index is None or not all(isinstance(index[k], t) for k, t in shapes.items()):
        return BuildCache()
    cache = BuildCache(**{name: index[name] for name in WHOLE}, unread=index["shards"])
    if entries:
        read_entries(site_root, cache, store)
    return cache


def read_entries(site_root: Path, cache: BuildCache, store: str = BUILD) -> None:
    """Read the shards the index named that are not read yet."""
    key = _key()
    folder = cache_folder(site_root, store)
    with collector_paused():
        for shard, file in cache.unread.items():
            entries = _read(folder / str(file), key, PER_SOURCE)
            if entries is None or not all(isinstance(v, dict) for v in entries.values()):
                continue
            for name in PER_SOURCE:
                getattr(cache, name).update(entries[name])
            cache.shards[shard] = (file, entries)
    cache.unread = {}


def seed_entries(site_root: Path, cache: BuildCache, other: str) -> None:
    """Give a store that has no entries yet (``cache``, as loaded) those of the ``other``
    store: the preview's first session starts from the CLI's parsed and rendered files,
    and the reverse. They are checked like any entry (each is keyed by what made it);
    what describes the other store's output is not taken."""
    if cache.unread or cache.shards:
        return
    seed = load(site_root, store=other)
    for name in PER_SOURCE:
        getattr(cache, name).update(getattr(seed, name))
    cache.link_targets = seed.link_targets
    cache.dirty = True


def save(site_root: Path, cache: BuildCache, store: str = BUILD) -> None:
    """Write the shards whose entries changed, then the index that names them; a cache
    that cannot be written only costs speed next time."""
    key = _key()
    folder = cache_folder(site_root, store)
    if cache.unread:
        # The entries were never read: those the build made (an edit it patched) are left
        # out, and the next full build, seeing the file changed since, makes them again.
        with contextlib.suppress(OSError):
            _write_index(folder, cache, cache.unread, key)
        return
    shards: dict[int, dict[str, dict[str, Any]]] = {}
    for name in PER_SOURCE:
        for source, entry in getattr(cache, name).items():
            entries = shards.setdefault(_shard(source), {field: {} for field in PER_SOURCE})
            entries[name][source] = entry
    files: dict[int, str] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        gitignore = site_root / CACHE_DIR / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")
        for shard, entries in shards.items():
            known = cache.shards.get(shard)
            if known is not None and known[1] == entries and (folder / known[0]).is_file():
                files[shard] = known[0]
                continue
            payload = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
            files[shard] = f"shard-{shard:02d}-{digest(payload)}"
            _write(folder / files[shard], payload, key)
        _write_index(folder, cache, files, key)
    except OSError:
        return
    cache.shards = {shard: (files[shard], entries) for shard, entries in shards.items()}
    named = {*files.values(), cache.basis, f"{cache.basis}{ASIDE}"}
    for old in (*folder.glob("shard-*"), *folder.glob("basis-*")):
        # A shard a concurrent build has just written may go too: that build's next
        # load then finds it missing and redoes its entries, which is slow, not wrong.
        if old.name not in named and not _being_written(old.name):
            with contextlib.suppress(OSError):
                old.unlink()
    with contextlib.suppress(OSError):
        (site_root / CACHE_DIR / "build.pickle").unlink(missing_ok=True)  # the old layout


def _being_written(name: str) -> bool:
    """Whether ``name`` is a temporary file (``_temporary_name``) whose writer still runs:
    one left by a build that was killed (70 MB for a basis at 10,000 articles) goes."""
    stem, _, pid = name.removesuffix(".tmp").rpartition(".")
    if not name.endswith(".tmp") or not stem or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # another user's process, or a number we cannot ask about: leave it
    return True


def _write_index(folder: Path, cache: BuildCache, shards: dict[int, str], key: bytes) -> None:
    index = {name: getattr(cache, name) for name in WHOLE} | {"shards": shards}
    _write(folder / INDEX, pickle.dumps(index, pickle.HIGHEST_PROTOCOL), key)


BASIS_FIELDS = ("last", "memo")
ASIDE = ".aside"
"""The suffix of the file beside a kept basis that holds the blobs set aside from it."""


def keep_basis(
    site_root: Path,
    shape: str,
    basis: dict[str, Any],
    store: str = BUILD,
    aside: tuple[type, ...] = (),
) -> tuple[str, Callable[[], bool]]:
    """Keep what a build can patch the next one on (``build.Builder``) in a new file,
    named with its ``shape`` (the caller's digest of what it fits). Returns its name, for
    ``BuildCache.basis``, and a function that waits until it is written and says whether
    it was: pickling it takes a second at 10,000 articles, so a forked child does it while
    the caller saves the rest. Wait before anything may read the store. The file is only
    ever read through the index that names it, so it goes stale with it.

    Objects of the ``aside`` types pickle their bulk as bytes (``model.Article``: its
    fields, body included; ``Shelf``: each bucket); those bytes go to a file beside the
    basis, each signed on its own, and are read back only when asked for (``_Aside``)."""
    folder = cache_folder(site_root, store)
    name = f"basis-{shape}-{secrets.token_hex(8)}"
    key = _key()  # made here, not in the child: two new keys would not sign alike

    def write() -> bytes:
        folder.mkdir(parents=True, exist_ok=True)

        def pickle_to(beside: BinaryIO) -> None:
            _dump(folder / name, basis, key, lambda file: _AsidePickler(file, beside, key, aside))

        _atomically(folder / f"{name}{ASIDE}", pickle_to)
        return b""

    written = in_background(write)
    return name, lambda: written() is not None


def load_basis(site_root: Path, name: str, store: str = BUILD) -> dict[str, Any] | None:
    if not name:
        return None
    folder = cache_folder(site_root, store)
    key = _key()
    try:
        aside = _Aside(folder / f"{name}{ASIDE}", key)
    except OSError:
        return None

    def unpickle(file: BinaryIO) -> object:
        return _AsideUnpickler(file, aside).load()

    with collector_paused():
        basis = _read(folder / name, key, BASIS_FIELDS, unpickle)
    return basis if basis is not None and aside.whole() else None


class _Ref(NamedTuple):
    """Where one blob set aside is, and its signature."""

    offset: int
    length: int
    signature: bytes

    def __reduce__(self) -> tuple[Callable[..., object], tuple[int, int, bytes]]:
        return (_aside_blob, (self.offset, self.length, self.signature))


def _aside_blob(offset: int, length: int, signature: bytes) -> bytes:
    """Named in a basis's pickle for each blob set aside; ``_AsideUnpickler`` reads it as
    ``_Aside.blob`` instead. Only an unpickler without the file beside gets here."""
    raise pickle.UnpicklingError("a blob set aside was read without its file")


class _AsidePickler(pickle.Pickler):
    """Writes the bytes in the reduce value of each object of the ``kinds`` to ``beside``
    and pickles a ``_Ref`` to them in their place."""

    def __init__(self, file: _Signing, beside: BinaryIO, key: bytes, kinds: tuple[type, ...]):
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.beside, self.key, self.kinds, self.offset = beside, key, kinds, 0

    def reducer_override(self, obj: object) -> Any:
        if type(obj) not in self.kinds:
            return NotImplemented
        reduced = obj.__reduce__()
        assert isinstance(reduced, tuple)  # a str names a global: not one of ``kinds``
        make, arguments = reduced[:2]
        return make, tuple(self._set_aside(a) if type(a) is bytes else a for a in arguments)

    def _set_aside(self, blob: bytes) -> _Ref:
        self.beside.write(blob)
        ref = _Ref(self.offset, len(blob), hmac.digest(self.key, blob, "sha256"))
        self.offset += len(blob)
        return ref


class _AsideUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, aside: _Aside) -> None:
        super().__init__(file)
        self.aside = aside

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, _aside_blob.__name__):
            return self.aside.blob
        return super().find_class(module, name)


class _Aside:
    """The file beside a basis, open while anything unpickled from it lives: each blob is
    read, and its signature checked, when it is first asked for. A blob found damaged
    then raises ``pickle.UnpicklingError``."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        weakref.finalize(self, os.close, self.fd)
        self.key = key
        self.end = 0

    def blob(self, offset: int, length: int, signature: bytes) -> Callable[[], bytes]:
        if offset + length > self.end:
            self.end = offset + length
        # The function, not a method bound anew for each of a basis's 10,000 blobs.
        return partial(_Aside._read, self, offset, length, signature)

    def whole(self) -> bool:
        """Whether the file holds every blob the basis named: a truncated one is found out
        while the basis is read."""
        return os.fstat(self.fd).st_size >= self.end

    def _read(self, offset: int, length: int, signature: bytes) -> bytes:
        blob = os.pread(self.fd, length, offset)
        if not hmac.compare_digest(signature, hmac.digest(self.key, blob, "sha256")):
            raise pickle.UnpicklingError("a blob set aside in the cache was damaged")
        return blob


Key = TypeVar("Key")
Value = TypeVar("Value")
Blob = bytes | Callable[[], bytes]
"""Bytes, or a function that reads them (a blob set aside, ``_Aside.blob``)."""


class Shelf(Mapping[Key, Value]):
    """A mapping of a kept basis pickled in buckets by key, each set aside and unpickled
    when a key in it is first looked up: a patch reads the pages, places, photos and
    anchors of what it edits, of 10,000 articles. In memory, the mapping it was made
    from. Keys are strings or integers."""

    def __init__(
        self, mapping: Mapping[Key, Value], count: int = 0, *kept: Blob, per_bucket: int = 128
    ) -> None:
        self._read = mapping
        self._count = count
        self._per_bucket = per_bucket
        """How many keys a bucket holds, when pickled: fewer for bulkier values (a page
        and its context), as a lookup unpickles its whole bucket."""
        self._kept = kept
        """Its buckets, when unpickled."""
        self._buckets: dict[int, dict[Key, Value]] = {}

    def _bucket(self, number: int) -> dict[Key, Value]:
        if number not in self._buckets:
            blob = self._kept[number]
            self._buckets[number] = pickle.loads(blob if isinstance(blob, bytes) else blob())
        return self._buckets[number]

    def __getitem__(self, key: Key) -> Value:
        if not self._kept:
            return self._read[key]
        number = _bucket_of(key, len(self._kept))
        if number is None:
            raise KeyError(key)
        return self._bucket(number)[key]

    def __contains__(self, key: object) -> bool:
        if not self._kept:
            return key in self._read
        number = _bucket_of(key, len(self._kept))
        return number is not None and key in self._bucket(number)

    def __iter__(self) -> Iterator[Key]:
        if not self._kept:
            return iter(self._read)
        return (key for number in range(len(self._kept)) for key in self._bucket(number))

    def __len__(self) -> int:
        return self._count if self._kept else len(self._read)

    def __reduce__(self) -> tuple[Callable[..., Shelf[Any, Any]], tuple[object, ...]]:
        """Each bucket's bytes an argument of its own, for ``_AsidePickler`` to set aside."""
        count = max(1, len(self) // self._per_bucket)
        buckets: list[dict[Key, Value]] = [{} for _ in range(count)]
        for key, value in self.items():
            number = _bucket_of(key, count)
            if number is None:
                raise TypeError(f"a Shelf's keys are strings or integers, not {key!r}")
            buckets[number][key] = value
        pickled = (pickle.dumps(bucket, pickle.HIGHEST_PROTOCOL) for bucket in buckets)
        return (Shelf, ({}, len(self), *pickled))


def _bucket_of(key: object, buckets: int) -> int | None:
    """The same in every process (unlike ``hash`` of a string)."""
    if isinstance(key, str):
        return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets
    if isinstance(key, int):
        return key % buckets
    return None


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
    output: str
    """The mark the build left in the output: another build (``--no-cache``) since, and
    the output may no longer be this build's."""
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
            str(data["output"]),
            str(data["valid_until"]),
            int(data["pages"]),
            tuple(dict(w) for w in data["warnings"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(site_root: Path, state: BuildState | None) -> None:
    path = state_file(site_root)
    with contextlib.suppress(OSError):
        if state is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(asdict(state)).encode("utf-8"))
