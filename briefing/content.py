"""Find the editor's files under content/: articles, edition notes, pages and assets.

The ignore rules live here and are shared with the preview's watcher, so a file the build
skips never triggers a rebuild either.
"""

from __future__ import annotations

import array
import os
import pickle
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from briefing.errors import ContentError, display_path, sort_problems
from briefing.workers import in_background

EDITION_FILE = "_edition.md"
PAGES_FOLDER = "pages"

_EDITOR_TEMP = re.compile(
    r"""^(
        \..*                       # hidden files, vim .swp, emacs .#lock, .goutputstream-*
      | _(?!edition\.md$).*        # _drafts, _notes: the editor's own
      | .*~ | \#.*\# | 4913        # backups, emacs autosave, vim's write test
      | .*\.(swp|swx|swo|tmp|temp|bak|orig|part|crdownload)
    )$""",
    re.VERBOSE,
)


def is_ignored(name: str) -> bool:
    """Editor temp and swap files, hidden files and ``_``-prefixed notes are not content."""
    return bool(_EDITOR_TEMP.match(name))


class Kind(Enum):
    ARTICLE = "article"
    EDITION = "edition"
    PAGE = "page"
    ASSET = "asset"


class SourceFile(NamedTuple):
    """A tuple, not a dataclass: discover makes one per file on every build (20,000 at
    10,000 articles), and the last build's are kept and read back with it."""

    content_dir: Path
    name: str
    """Relative to content/, with forward slashes: ``2023-03-17/xi.md``."""
    kind: Kind
    stamp: tuple[int, int, int]
    """Size, modification time and inode when discovered (``stamp_of``): unchanged stamp,
    unchanged file."""

    @property
    def path(self) -> Path:
        """Where the file is on disk; made when asked, since most files of a rebuild are
        never opened."""
        return self.content_dir / self.name


UNSETTLED_NS = 20_000_000
"""How recently before it is looked at a file may have changed and still change again
unseen: where file times are coarse (Linux before 6.13 keeps them to the clock's tick,
1 to 10 ms), a file rewritten in place at the same size within the tick of a build that
read it keeps its size, time and inode. The preview's debounce (30 ms) keeps a save
outside it. File systems that keep times to the second (FAT, HFS+) are not covered: a
window that wide would have the preview rebuild again and again after every save."""


def stamp_of(stat: os.stat_result, looked_ns: int) -> tuple[int, int, int]:
    """A file's stamp, from its ``stat`` taken at ``looked_ns`` (``time.time_ns()``). A
    file changed within ``UNSETTLED_NS`` of then (or dated ahead of the clock) gets one
    that equals no other, so the next build reads it again instead of trusting it; what
    it reads is compared by content, so an unchanged file costs a read and a digest."""
    if stat.st_mtime_ns >= looked_ns - UNSETTLED_NS:
        return (stat.st_size, -looked_ns, stat.st_ino)
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def discover(
    site_root: Path, content_dir: Path, known: Mapping[str, SourceFile] | None = None
) -> tuple[list[SourceFile], list[ContentError]]:
    """Every content file, sorted; links that point outside the site are refused.

    One ``stat`` per file (``scandir`` knows the rest), since this runs on every rebuild;
    ``known``, the last discovery by name, lends its SourceFile to a file whose stamp is
    the same (at 10,000 articles, making them anew was a third of the time).
    """
    problems: list[ContentError] = []
    found: list[SourceFile] = []
    if not content_dir.is_dir():
        return found, problems
    root = site_root.resolve()
    ignored = _EDITOR_TEMP.match
    last = known or {}
    looked = time.time_ns()
    pending = [(os.fspath(content_dir), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            where = display_path(Path(folder), site_root)
            problems.append(ContentError(where, None, f"could not be read: {exc.strerror}"))
            continue
        # What a Markdown file in this folder is, unless it is an edition's note.
        markdown_kind = Kind.PAGE if prefix == f"{PAGES_FOLDER}/" else Kind.ARTICLE
        for entry in entries:
            if ignored(entry.name):
                continue
            if entry.is_symlink():
                full = Path(entry.path)
                if entry.is_dir() or not full.resolve().is_relative_to(root):
                    reason = "links to folders are not followed" if entry.is_dir() else ""
                    problems.append(_link_problem(full, site_root, root, reason))
                    continue
            if entry.is_dir():
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                name = prefix + entry.name
                stamp = stamp_of(entry.stat(), looked)
                before = last.get(name)
                if before is not None and before.stamp == stamp:
                    found.append(before)
                else:
                    if not name.endswith(".md"):
                        kind = Kind.ASSET
                    else:
                        kind = Kind.EDITION if entry.name == EDITION_FILE else markdown_kind
                    found.append(SourceFile(content_dir, name, kind, stamp))
    found.sort(key=attrgetter("name"))
    return found, sort_problems(problems)


@dataclass(frozen=True)
class Stamped:
    """Every content file's name, then every one's stamp, each in one string: what the
    inputs' digest reads (half the time of a string per file), and what a kept basis
    keeps of its files (unpickling 20,000 SourceFiles took 18 ms of an edit)."""

    names: str
    stamps: str

    @classmethod
    def of(cls, sources: Sequence[SourceFile]) -> Stamped:
        return cls("\0".join([s.name for s in sources]), repr([s.stamp for s in sources]))

    def __len__(self) -> int:
        return self.names.count("\0") + 1 if self.names else 0

    def changed(self, now: Stamped, sources: Sequence[SourceFile]) -> list[SourceFile] | None:
        """Those of ``sources`` (stamped ``now``) whose stamp is not as this says; None
        when the files are not the same (one renamed)."""
        if now.names != self.names:
            return None
        if now.stamps == self.stamps:
            return []
        # "[(size, time, inode), (...)]": one "), (" between each two files.
        before, after = self.stamps[1:-1].split("), ("), now.stamps[1:-1].split("), (")
        pairs = zip(sources, before, after, strict=True)
        return [source for source, old, new in pairs if old != new]


class Discovery:
    """``discover``, in a forked child while the caller goes on: the CLI imports the rest
    of briefing meanwhile, which takes about as long as a ``stat`` of every file (0.15 s
    each at 10,000 articles), and two cores do both at once. Calling it waits for the
    child's files and problems; if the child failed, they are looked for again here."""

    def __init__(self, site_root: Path, content_dir: Path) -> None:
        self.site_root, self.content_dir = site_root, content_dir
        self._child = in_background(lambda: _packed(*discover(site_root, content_dir)))
        self.stamped: Stamped | None = None
        """The files' ``Stamped``, made by the child, once called."""

    def done(self) -> bool:
        """Whether calling it would not wait for the child."""
        return self._child.done()

    def __call__(self) -> tuple[list[SourceFile], list[ContentError]]:
        made = self._child()
        if made is None:
            return discover(self.site_root, self.content_dir)
        files, problems, self.stamped = _unpacked(self.content_dir, made)
        return files, problems


_KINDS = tuple(Kind)


def _packed(files: list[SourceFile], problems: list[ContentError]) -> bytes:
    """The files as a few strings and arrays: pickling 20,000 SourceFiles and unpickling
    them took 0.08 and 0.05 s, this 0.02 s each."""
    stamped = Stamped.of(files)  # made here, not in the build that waits for it
    kinds = bytes([_KINDS.index(file.kind) for file in files])
    sizes_and_inodes = array.array("Q", [n for f in files for n in (f.stamp[0], f.stamp[2])])
    times = array.array("q", [file.stamp[1] for file in files])  # before 1970: negative
    return pickle.dumps((kinds, sizes_and_inodes, times, problems, stamped))


def _unpacked(
    content_dir: Path, packed: bytes
) -> tuple[list[SourceFile], list[ContentError], Stamped]:
    # From our own child, through our own pipe: nobody else's pickle.
    kinds, sizes_and_inodes, times, problems, stamped = pickle.loads(packed)
    names = stamped.names
    each = iter(sizes_and_inodes)
    pairs = zip(each, each, strict=True)
    make = tuple.__new__
    files = [
        make(SourceFile, (content_dir, name, _KINDS[kind], (size, time, inode)))
        for name, kind, (size, inode), time in zip(
            names.split("\0") if kinds else [], kinds, pairs, times, strict=True
        )
    ]
    return files, problems, stamped


def _link_problem(full: Path, site_root: Path, root: Path, reason: str) -> ContentError:
    target = full.resolve()
    where = "outside the site" if not target.is_relative_to(root) else "inside the site"
    return ContentError(
        display_path(full, site_root),
        None,
        f"is a link to {target} ({where}); {reason or 'it was left out'}",
        hint="copy the file or folder into content/ instead of linking to it",
        warning=target.is_relative_to(root),
    )
