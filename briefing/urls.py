"""Every URL and output-path rule in one place.

A page is known by its *site path*: relative to the site root, ``""`` for the home page,
``2023/03/17/`` for an edition, ``feed.xml`` for a file. Links in pages are the site path
under the base path (``/briefing/2023/03/17/``), so the site works at a domain root and
under a sub-path alike; feeds and sitemaps use absolute URLs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

_DAY_FOLDER = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/#?=&-]*")
"""What ``quote(..., safe="/#?=&~")`` leaves as it is: most site paths, returned at once."""
_NOT_WORD = re.compile(r"[\W_]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}
RESERVED_SLUGS = _WINDOWS_RESERVED | {
    "index",
    "static",
    "feed",
    "archive",
    "sections",
    "tags",
    "credits",
    "search",
    "pagefind",
}
"""Names a slug may not take: device names some file systems refuse, and our own folders."""


def slugify(text: str) -> str:
    """A URL part from any name: Unicode-normalised, lowercase, words joined by hyphens.

    Names that differ only by case or Unicode form give the same slug, so collisions are
    caught instead of overwriting each other on case-insensitive disks.
    """
    normal = unicodedata.normalize("NFKC", text).casefold()
    slug = _NOT_WORD.sub("-", normal).strip("-")
    if is_reserved(slug):
        slug += "-1"
    return slug


def is_reserved(slug: str) -> bool:
    """Device names some file systems refuse (``con``, ``nul``), and ``index``."""
    name = slug.casefold()
    return name in _WINDOWS_RESERVED or name == "index"


def day_folder(name: str) -> date | None:
    """The date a ``YYYY-MM-DD`` content folder stands for, if it is one."""
    if not _DAY_FOLDER.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def edition_path(day: date) -> str:
    # Not strftime: it is slow, and pads a year before 1000 only on some platforms.
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}/"


def article_path(day: date, slug: str) -> str:
    return f"{edition_path(day)}{slug}/"


def section_path(slug: str) -> str:
    return f"sections/{slug}/"


def tag_path(slug: str) -> str:
    return f"tags/{slug}/"


def page_path(slug: str) -> str:
    return f"{slug}/"


def asset_path(content_relative: str) -> str:
    """Where a file under content/ is published: a day folder becomes ``YYYY/MM/DD/``."""
    first, _, rest = content_relative.partition("/")
    day = day_folder(first) if rest else None
    if day is not None:
        return f"{edition_path(day)}{rest}"
    return content_relative


def output_file(site_path: str) -> str:
    """The file written for a site path: pretty URLs are folders with an index.html."""
    if site_path == "" or site_path.endswith("/"):
        return site_path + "index.html"
    return site_path


class UnsafePath(ValueError):
    """A path that would leave the output folder."""


def safe_join(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that could land outside ``root``."""
    return root.joinpath(checked(relative))


def checked(relative: str) -> str:
    """``relative``, if it cannot land outside the folder it is joined to.

    The check is on the words of the path: no absolute path, no ``..``, no backslash or NUL.
    That is enough for folders briefing creates itself (they hold no links); a path from a
    request is also checked after resolving, by the server.
    """
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
        raise UnsafePath(relative)
    parts = relative.split("/")
    if any(part in ("..", ".", "") for part in parts[:-1]) or parts[-1] in ("..", "."):
        raise UnsafePath(relative)
    return relative


class Links:
    """Turns site paths into the links pages carry, for one base URL."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path if parts.path.endswith("/") else parts.path + "/"

    def href(self, site_path: str) -> str:
        """A root-relative link: works under the base path, percent-encoded."""
        if _UNQUOTED.fullmatch(site_path):
            return self.base_path + site_path
        return self.base_path + quote(site_path, safe="/#?=&~")

    def absolute(self, site_path: str) -> str:
        return self.origin + self.href(site_path)
