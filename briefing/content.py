"""Find the editor's files under content/: articles, edition notes, pages and assets.

The ignore rules live here and are shared with the preview's watcher, so a file the build
skips never triggers a rebuild either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from briefing.errors import ContentError, display_path

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


@dataclass(frozen=True)
class SourceFile:
    content_dir: Path
    name: str
    """Relative to content/, with forward slashes: ``2023-03-17/xi.md``."""
    kind: Kind
    stamp: tuple[int, int, int]
    """Size, modification time and inode when discovered: unchanged stamp, unchanged file."""

    @property
    def path(self) -> Path:
        """Where the file is on disk; made when asked, since most files of a rebuild are
        never opened."""
        return self.content_dir / self.name


def classify(name: str) -> Kind:
    parts = name.split("/")
    if not name.endswith(".md"):
        return Kind.ASSET
    if parts[-1] == EDITION_FILE:
        return Kind.EDITION
    if parts[0] == PAGES_FOLDER and len(parts) == 2:
        return Kind.PAGE
    return Kind.ARTICLE


def discover(site_root: Path, content_dir: Path) -> tuple[list[SourceFile], list[ContentError]]:
    """Every content file, sorted; links that point outside the site are refused.

    One ``stat`` per file (``scandir`` knows the rest), since this runs on every rebuild.
    """
    problems: list[ContentError] = []
    found: list[SourceFile] = []
    if not content_dir.is_dir():
        return found, problems
    root = site_root.resolve()
    pending = [(content_dir, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            where = display_path(folder, site_root)
            problems.append(ContentError(where, None, f"could not be read: {exc.strerror}"))
            continue
        folders = []
        for entry in entries:
            if is_ignored(entry.name):
                continue
            if entry.is_symlink():
                full = Path(entry.path)
                if entry.is_dir() or not full.resolve().is_relative_to(root):
                    reason = "links to folders are not followed" if entry.is_dir() else ""
                    problems.append(_link_problem(full, site_root, root, reason))
                    continue
            if entry.is_dir():
                folders.append((Path(entry.path), f"{prefix}{entry.name}/"))
            elif entry.is_file():
                stat = entry.stat()
                name = prefix + entry.name
                found.append(
                    SourceFile(
                        content_dir,
                        name,
                        classify(name),
                        (stat.st_size, stat.st_mtime_ns, stat.st_ino),
                    )
                )
        pending.extend(reversed(folders))
    found.sort(key=lambda source: source.name)
    return found, problems


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
