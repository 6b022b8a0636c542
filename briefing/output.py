"""Put a built site in place: all or nothing, never outside the output folder.

The new site is assembled in a staging folder beside the output and swapped in with two
renames, so an interrupted or failed build leaves the previous site exactly as it was.
Files whose bytes did not change are hard-linked from the previous site, keeping their
modification times for rsync-style publishing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from briefing.urls import checked, safe_join

MARKER = ".briefing-output"
"""Written in every output folder; briefing only ever replaces folders that carry it."""
_MARKER_TEXT = "This folder is written by `briefing build` and replaced on every build.\n"


MEDIA_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}
"""Fixed here rather than read from the machine's mime.types, so the preview, every
deploy target and every machine agree."""


def content_type(name: str) -> str:
    """The media type a published file is served with; feeds are announced as Atom."""
    if name.rsplit("/", 1)[-1] == "feed.xml":
        return "application/atom+xml; charset=utf-8"
    suffix = name[name.rfind(".") :].lower() if "." in name.rsplit("/", 1)[-1] else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


class OutputRefused(Exception):
    """The output folder is somewhere briefing must not delete; nothing was touched."""


@dataclass(frozen=True)
class WriteStats:
    written: int
    """Files new or changed."""
    unchanged: int
    removed: int
    """Files of the previous site that are gone."""
    changed: tuple[str, ...] = ()
    """The site paths of the files written or removed, sorted."""
    stamp: str = ""
    """This commit's mark in the output (``output_stamp``)."""


def check_output(out: Path, site_root: Path) -> None:
    """Refuse, before anything is deleted, an output folder that holds anything of value."""
    target = out.resolve()
    root = site_root.resolve()
    precious = {Path("/"), Path.home().resolve(), root, root / "content", root / "themes"}
    if target in precious or root.is_relative_to(target):
        raise OutputRefused(
            f"refusing to build into {out}: it is or contains your site or home folder"
        )
    for folder in (root / "content", root / "themes"):
        if target.is_relative_to(folder):
            raise OutputRefused(f"refusing to build into {out}: it is inside {folder.name}/")
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"refusing to build into {out}: it is a file, not a folder")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise OutputRefused(
            f"refusing to build into {out}: the folder is not empty and was not made by briefing "
            f"(empty it, or choose another folder with --out)"
        )


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One build at a time per output folder: a second one waits, then runs on fresh state."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Keep:
    """The file is unchanged since the last build: leave the one in the output alone."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


@dataclass(frozen=True)
class Linked:
    """A file briefing made and never changes in place (a processed photo in the cache):
    published as a hard link rather than a copy, which for a site's photos saves both the
    time and the disk space of a second copy. A copy when linking is not possible."""

    file: str


Content = bytes | Path | Linked | Keep
_JOURNAL = ".briefing-commit"


def publish(
    out: Path, files: Mapping[str, Content], previous: Collection[str] | None
) -> WriteStats:
    """Make ``out`` hold exactly ``files`` (site path -> bytes, a file to copy, or KEEP).
    Call inside ``locked(out)``, after ``check_output``."""
    with Publication(out, previous) as publication:
        for name in sorted(files):
            publication.add(name, files[name])
        return publication.commit(files)


class Publication:
    """A new site, put together file by file beside ``out`` and then moved into place.

    Files can be added as soon as they are made (a build writes its pages while the
    workers render the next ones), yet nothing reaches ``out`` until ``commit``: leaving
    the ``with`` block without it throws the staged files away, so a failed build leaves
    the previous site exactly as it was.

    ``previous`` is what the last build wrote to ``out``, when known: then only the changes
    are staged, journalled and moved into place, which takes milliseconds whatever the
    site's size. Otherwise the whole site is staged and swapped in with two renames. An
    interrupted commit is finished by the next build, from its journal. Use inside
    ``locked(out)``, after ``check_output``.
    """

    def __init__(self, out: Path, previous: Collection[str] | None) -> None:
        self.out = out
        self.staging = out.parent / f".{out.name}.staging"
        finish_interrupted(out)
        self.previous = previous if previous is not None and (out / MARKER).is_file() else None
        self.staging.mkdir()
        self._staging = os.fspath(self.staging)
        self._made = {self._staging}
        self._folder = os.fspath(out)
        self._written: list[str] = []
        self._kept = 0

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.staging.exists() and not (self.staging / _JOURNAL).is_file():
            shutil.rmtree(self.staging, ignore_errors=True)

    def add(self, name: str, content: Content) -> None:
        """Stage one file of the new site (KEEP: the one already in ``out``, which the
        caller has seen there)."""
        self.record(name, self.stage(name, content))

    def stage(self, name: str, content: Content) -> bool:
        """The file work of ``add``: True when the file was written to the staging folder,
        False when the one in ``out`` stands. It changes nothing the commit reads, so a
        forked worker can stage the pages it renders (their bytes need not travel back);
        the parent then ``record``s what it says."""
        # Strings, not Paths, from here on: this runs for every file of the site.
        previous = os.path.join(self._folder, checked(name))
        if self.previous is not None:
            if isinstance(content, Keep):
                return False
            if _same(previous, content):
                return False
            _write(self._staging, name, content, self._made)
            return True
        if isinstance(content, Keep) or _same(previous, content):
            # Unchanged: a hard link keeps the file's modification time for rsync.
            target = _staged(self._staging, name, self._made)
            try:
                os.link(previous, target)
                return False
            except OSError:
                if isinstance(content, Keep):
                    shutil.copyfile(previous, target)
                    return False
        assert not isinstance(content, Keep)
        _write(self._staging, name, content, self._made)
        return True

    def record(self, name: str, written: bool) -> None:
        """Count a file ``stage`` put in place: written, or kept from ``out``."""
        if written:
            self._written.append(name)
        else:
            self._kept += 1

    def commit(self, names: Collection[str]) -> WriteStats:
        """Put the staged site in place; ``names``: every file of it, to find what is gone."""
        if self.previous is not None:
            removed = sorted(set(self.previous).difference(names, [MARKER]))
            moved = list(self._written)
            stamp = output_stamp(self.out)
            if moved or removed:  # the output changes, and so does its mark
                stamp = self._mark()
                moved.append(MARKER)
            _check_writable(self.out, [self.out / n for n in moved + removed])
            journal = json.dumps({"written": moved, "removed": removed})
            (self.staging / (_JOURNAL + ".tmp")).write_text(journal, encoding="utf-8")
            (self.staging / (_JOURNAL + ".tmp")).replace(self.staging / _JOURNAL)
            _apply(self.out, self.staging)
        else:
            stamp = self._mark()
            removed = _removed(self.out, set(names))
            _swap(self.out, self.staging)
        changed = tuple(sorted(self._written + removed))
        return WriteStats(len(self._written), self._kept, len(removed), changed, stamp)

    def _mark(self) -> str:
        """Stage the marker with a new mark; returns the mark."""
        stamp = secrets.token_hex(8)
        marker = f"{_MARKER_TEXT}{_STAMP}{stamp}\n"
        (self.staging / MARKER).write_text(marker, encoding="utf-8")
        return stamp


_STAMP = "build: "


def output_stamp(out: Path) -> str:
    """The mark the last commit left in ``out``: a new one on every build, so a cache that
    remembers the mark of the build it describes can tell when another build (with
    ``--no-cache``) has changed the output since. "" when there is none."""
    try:
        text = (out / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    for line in text.splitlines():
        if line.startswith(_STAMP):
            return line.removeprefix(_STAMP)
    return ""


def finish_interrupted(out: Path) -> None:
    """Roll a journalled move forward; throw away a staging folder that never got that far."""
    staging = out.parent / f".{out.name}.staging"
    if (staging / _JOURNAL).is_file():
        _apply(out, staging)
    for leftover in (staging, out.parent / f".{out.name}.previous"):
        if leftover.exists():
            shutil.rmtree(leftover)


def _staged(staging: str, name: str, made: set[str]) -> str:
    """Where ``name`` (``checked`` by ``add``) goes in the staging folder, its folder made
    (once: ``made``)."""
    target = os.path.join(staging, name)
    folder = os.path.dirname(target)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    return target


def _write(staging: str, name: str, content: bytes | Path | Linked, made: set[str]) -> None:
    target = _staged(staging, name, made)
    if isinstance(content, bytes):
        with open(target, "wb") as file:
            file.write(content)
    elif isinstance(content, Linked):
        try:
            os.link(content.file, target)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(content.file, target)
    else:
        shutil.copyfile(content, target)


def _apply(out: Path, staging: Path) -> None:
    journal = json.loads((staging / _JOURNAL).read_text(encoding="utf-8"))
    for name in journal["written"]:
        source = staging / name
        if source.exists():
            target = safe_join(out, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for name in journal["removed"]:
        target = safe_join(out, name)
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    shutil.rmtree(staging)


def _swap(out: Path, staging: Path) -> None:
    retired = out.parent / f".{out.name}.previous"
    try:
        if out.exists():
            # The retired site is deleted once the new one is in: every folder of it must be
            # ours to change, or its remains would block the next build.
            _check_writable(out, [Path(folder, "-") for folder, _, _ in os.walk(out)])
            out.rename(retired)
        staging.rename(out)
    except BaseException:
        if retired.exists() and not out.exists():
            retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _check_writable(out: Path, targets: Collection[Path]) -> None:
    """Refuse before anything moves when a folder the move would change is read-only:
    stopping half-way would leave readers a mix of the old site and the new."""
    checked: set[Path] = set()
    for target in targets:
        folder = target.parent
        while folder not in checked and folder.is_relative_to(out):
            checked.add(folder)
            if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "the folder is read-only", str(folder))
            folder = folder.parent


def _same(previous: str, content: Content) -> bool:
    try:
        stat = os.stat(previous)
    except OSError:
        return False
    if isinstance(content, Keep):
        return True
    if isinstance(content, bytes):
        return stat.st_size == len(content) and _bytes(previous) == content
    file = content.file if isinstance(content, Linked) else content
    try:
        source = os.stat(file)
    except OSError:
        return False
    if (stat.st_dev, stat.st_ino) == (source.st_dev, source.st_ino):
        return True
    return stat.st_size == source.st_size and _bytes(previous) == _bytes(file)


def _bytes(file: str | Path) -> bytes:
    with open(file, "rb") as opened:
        return opened.read()


def _removed(out: Path, files: Collection[str]) -> list[str]:
    if not out.is_dir():
        return []
    names = (path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    return [name for name in names if name != MARKER and name not in files]
