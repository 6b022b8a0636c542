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
    path: Path
    """Where the file is on disk."""
    name: str
    """Relative to content/, with forward slashes: ``2023-03-17/xi.md``."""
    kind: Kind


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
    """Every content file, sorted; links that point outside the site are refused."""
    problems: list[ContentError] = []
    found: list[SourceFile] = []
    if not content_dir.is_dir():
        return found, problems
    root = site_root.resolve()
    for folder, dirs, files in os.walk(content_dir):
        base = Path(folder)
        for name in list(dirs):
            full = base / name
            if is_ignored(name):
                dirs.remove(name)
            elif full.is_symlink():
                dirs.remove(name)
                problems.append(
                    _link_problem(full, site_root, root, "links to folders are not followed")
                )
        dirs.sort()
        for name in sorted(files):
            if is_ignored(name):
                continue
            full = base / name
            if full.is_symlink() and not full.resolve().is_relative_to(root):
                problems.append(_link_problem(full, site_root, root, ""))
                continue
            if not full.is_file():
                continue
            relative = full.relative_to(content_dir).as_posix()
            found.append(SourceFile(full, relative, classify(relative)))
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
