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
import shutil
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from briefing.urls import safe_join

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

    file: Path


Content = bytes | Path | Linked | Keep
_JOURNAL = ".briefing-commit"


def publish(
    out: Path, files: Mapping[str, Content], previous: Collection[str] | None
) -> WriteStats:
    """Make ``out`` hold exactly ``files`` (site path -> bytes, a file to copy, or KEEP).

    ``previous`` is what the last build wrote to ``out``, when known: then only the changes
    are staged, journalled and moved into place, which takes milliseconds whatever the
    site's size. Otherwise the whole site is staged and swapped in. Either way an interrupted
    build leaves the previous site intact (or the next build finishes the journalled move).
    Call inside ``locked(out)``, after ``check_output``.
    """
    staging = out.parent / f".{out.name}.staging"
    finish_interrupted(out)
    if previous is not None and (out / MARKER).is_file():
        return _publish_changes(out, staging, files, previous)
    return _publish_whole(out, staging, files)


def finish_interrupted(out: Path) -> None:
    """Roll a journalled move forward; throw away a staging folder that never got that far."""
    staging = out.parent / f".{out.name}.staging"
    if (staging / _JOURNAL).is_file():
        _apply(out, staging)
    for leftover in (staging, out.parent / f".{out.name}.previous"):
        if leftover.exists():
            shutil.rmtree(leftover)


def _write(staging: Path, name: str, content: bytes | Path | Linked, made: set[Path]) -> None:
    target = safe_join(staging, name)
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    if isinstance(content, bytes):
        target.write_bytes(content)
    elif isinstance(content, Linked):
        try:
            os.link(content.file, target)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(content.file, target)
    else:
        shutil.copyfile(content, target)


def _publish_changes(
    out: Path, staging: Path, files: Mapping[str, Content], previous: Collection[str]
) -> WriteStats:
    staging.mkdir()
    made: set[Path] = {staging}
    written: list[str] = []
    folder = os.fspath(out)
    try:
        for name in sorted(files):
            content = files[name]
            if isinstance(content, Keep):
                # Strings, not Paths: this runs for every unchanged file of the site.
                if os.path.isfile(os.path.join(folder, name)):
                    continue
                raise FileNotFoundError(out / name)
            if not isinstance(content, bytes) or not _same(out / name, content):
                _write(staging, name, content, made)
                written.append(name)
        removed = sorted(name for name in previous if name not in files and name != MARKER)
        _check_writable(out, [out / name for name in written + removed])
        journal = json.dumps({"written": written, "removed": removed})
        (staging / (_JOURNAL + ".tmp")).write_text(journal, encoding="utf-8")
        (staging / (_JOURNAL + ".tmp")).replace(staging / _JOURNAL)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _apply(out, staging)
    return WriteStats(
        len(written), len(files) - len(written), len(removed), tuple(sorted(written + removed))
    )


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


def _publish_whole(out: Path, staging: Path, files: Mapping[str, Content]) -> WriteStats:
    retired = out.parent / f".{out.name}.previous"
    staging.mkdir()
    written = unchanged = 0
    changed: list[str] = []
    try:
        made: set[Path] = {staging}
        for name in sorted(files):
            content = files[name]
            previous = out / name
            if isinstance(content, Keep) or _same(previous, content):
                target = safe_join(staging, name)
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                try:
                    os.link(previous, target)
                    unchanged += 1
                    continue
                except OSError:
                    if isinstance(content, Keep):
                        shutil.copyfile(previous, target)
                        unchanged += 1
                        continue
            assert not isinstance(content, Keep)
            _write(staging, name, content, made)
            written += 1
            changed.append(name)
        (staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        removed = _removed(out, files)
        changed.extend(removed)
        if out.exists():
            # The retired site is deleted once the new one is in: every folder of it must be
            # ours to change, or its remains would block the next build.
            _check_writable(out, [Path(folder, "-") for folder, _, _ in os.walk(out)])
            out.rename(retired)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not out.exists():
            retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return WriteStats(written, unchanged, len(removed), tuple(sorted(changed)))


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


def _same(previous: Path, content: Content) -> bool:
    try:
        stat = previous.stat()
    except OSError:
        return False
    if isinstance(content, Keep):
        return True
    if isinstance(content, bytes):
        return stat.st_size == len(content) and previous.read_bytes() == content
    file = content.file if isinstance(content, Linked) else content
    try:
        source = file.stat()
    except OSError:
        return False
    if (stat.st_dev, stat.st_ino) == (source.st_dev, source.st_ino):
        return True
    return stat.st_size == source.st_size and previous.read_bytes() == file.read_bytes()


def _removed(out: Path, files: Mapping[str, Content]) -> list[str]:
    if not out.is_dir():
        return []
    names = (path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    return [name for name in names if name != MARKER and name not in files]
