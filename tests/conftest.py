"""Small whole sites written inline, built through the real CLI in-process, read back parsed.

A test writes a site as a dict of files (or one text block with ``-- path --`` headers),
runs ``briefing build`` on it and asserts on what a reader would see: HTML parsed with
BeautifulSoup, the feed with feedparser, the sitemap with ElementTree.

    def test_something(make_site):
        site = make_site({"content/2026-03-17/xi.md": ARTICLE})
        result = site.build()
        assert result.code == 0
        assert site.page("2026/03/17/xi/").h1.get_text() == "Xi visits Moscow"
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from briefing.cli import main
from briefing.output import MARKER

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
"""The build clock of every test (through SOURCE_DATE_EPOCH): articles after it are future."""

SITE_YAML = """\
title: The Test Briefing
description: Yesterday's news, tested.
base_url: https://example.org/
language: en-GB
timezone: America/Los_Angeles
copyright: "© 2026 The Test Briefing"
trust_url: /trust/
trust_label: Why you can trust us
search: false
"""

TRUST_PAGE = """\
---
title: Why you can trust us
---

Our standards.
"""

DEFAULT_FILES: dict[str, str] = {
    "site.yaml": SITE_YAML,
    "content/pages/trust.md": TRUST_PAGE,
}

Files = Mapping[str, str | bytes | None] | str
"""Path -> text (dedented) or bytes (as is); None removes a default file. Or a text block."""

_BLOCK_HEADER = re.compile(r"^-- (\S.*?) --$", re.MULTILINE)


def photo(width: int = 64, height: int = 48, kind: str = "JPEG", *, gps: bool = False) -> bytes:
    """A real picture (Pillow-made): published photos are decoded, resized and stripped."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (30, 90, 150))
    for x in range(0, width, 4):
        image.putpixel((x, x * height // max(1, width)), (250, 200, 0))
    buffer = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010E] = "camera caption"  # ImageDescription
        exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0), 3: "E", 4: (4.0, 54.0, 0.0)}  # GPS
        image.save(buffer, kind, exif=exif)
    else:
        image.save(buffer, kind)
    return buffer.getvalue()


def picture_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def article(
    title: str = "A headline", date: str = "2026-03-17T09:00:00", body: str = "Text.", **fields: str
) -> str:
    """A minimal article; extra fields are written as ``key: value`` lines verbatim."""
    lines = [f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


def parse_block(block: str) -> dict[str, str]:
    """``-- path --`` headers, each followed by the file's text (Hugo's txtar style)."""
    block = textwrap.dedent(block)
    files: dict[str, str] = {}
    matches = list(_BLOCK_HEADER.finditer(block))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(block)
        files[match.group(1)] = block[match.end() + 1 : end]
    return files


@dataclass(frozen=True)
class Run:
    """What the command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """The first line of each problem reported (``path:line: message``)."""
        return [
            line
            for line in self.err.splitlines()
            if line and not line.startswith(" ") and not re.match(r"\d+ errors?[:.]", line)
        ]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.problems if ": warning: " in line]

    @property
    def errors(self) -> list[str]:
        return [line for line in self.problems if ": warning: " not in line]


def run_cli(*args: str | Path) -> Run:
    """``briefing ARGS`` in this process; argparse's exits become exit codes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Run(code, out.getvalue(), err.getvalue())


def soup(text: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def settle(path: Path) -> None:
    """Date the file a second back, as an editor's file is by the time a build reads it: a
    file changed within ``content.UNSETTLED_NS`` of a build is read again by the next one,
    and tests that count what a build reads would count it."""
    moment = time.time_ns() - 1_000_000_000
    os.utime(path, ns=(moment, moment))


class SiteDir:
    """One site on disk, with ways to build it and read what came out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "public"

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        settle(path)
        return path

    def remove(self, name: str) -> None:
        (self.root / name).unlink()

    def build(self, *args: str | Path) -> Run:
        return run_cli("build", self.root, *args)

    def check(self, *args: str | Path) -> Run:
        return run_cli("check", self.root, *args)

    def built(self, *args: str | Path) -> SiteDir:
        """Build, failing the test on any error or warning."""
        result = self.build(*args)
        assert result.code == 0, result.err
        assert result.err == "", result.err
        return self

    def file(self, site_path: str) -> Path:
        """The output file for a site path (``""``, ``2026/03/17/``, ``feed.xml``)."""
        if site_path == "" or site_path.endswith("/"):
            site_path += "index.html"
        return self.out / site_path

    def exists(self, site_path: str) -> bool:
        return self.file(site_path).is_file()

    def page(self, site_path: str) -> BeautifulSoup:
        return soup(self.file(site_path).read_bytes())

    def feed(self) -> Any:
        parsed = feedparser.parse(self.file("feed.xml").read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        return parsed

    def sitemap(self) -> list[str]:
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        tree = ET.parse(self.file("sitemap.xml"))
        return [loc.text or "" for loc in tree.getroot().findall("s:url/s:loc", ns)]

    def html_pages(self) -> list[Path]:
        return sorted(self.out.rglob("*.html"))


def foreign_scripts(page: BeautifulSoup) -> list[Any]:
    """Scripts a page should not have: anything but the theme's own static files and
    structured data that is valid JSON (a ``</script>`` smuggled into JSON-LD breaks both)."""
    foreign = []
    for script in page.find_all("script"):
        if script.get("type") == "application/ld+json":
            try:
                json.loads(script.string or "")
            except ValueError:
                foreign.append(script)
        elif script.string or not str(script.get("src", "")).startswith("/static/"):
            foreign.append(script)
    return foreign


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to compare two states of an output; the
    marker without the mark each build leaves in it."""
    files = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    if MARKER in files:
        files[MARKER] = re.sub(rb"build: \w+\n", b"", files[MARKER])
    return files


def internal_targets(page: BeautifulSoup, origin: str) -> Iterator[tuple[str, str]]:
    """Every (attribute, link) in a page that points into the site: root-relative or on
    ``origin``. Fragment-only and external links are left out."""
    for tag in page.find_all(True):
        for attr in ("href", "src"):
            value = tag.get(attr)
            if not isinstance(value, str) or value.startswith("#"):
                continue
            parts = urlsplit(value)
            if parts.scheme in ("http", "https") and value.startswith(origin + "/"):
                yield attr, value[len(origin) :]
            elif not parts.scheme and not parts.netloc:
                yield attr, value


def resolves(out: Path, link: str, base_path: str = "/") -> bool:
    """Whether a root-relative link lands on a file of the output (pretty URLs included)."""
    path = unquote(urlsplit(link).path)
    if not path.startswith(base_path):
        return False
    relative = path[len(base_path) :]
    target = out / relative
    if relative == "" or relative.endswith("/"):
        target = target / "index.html"
    return target.resolve().is_relative_to(out.resolve()) and target.is_file()


def broken_links(out: Path, origin: str, base_path: str = "/") -> list[str]:
    """Every internal href/src of every page of ``out`` that does not land on a file."""
    broken = []
    for html in sorted(out.rglob("*.html")):
        page = soup(html.read_bytes())
        for attr, link in internal_targets(page, origin):
            if not resolves(out, link, base_path):
                broken.append(f"{html.relative_to(out)}: {attr}={link}")
    return broken


@pytest.fixture(autouse=True)
def _build_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build in a test runs at ``NOW``, so drafts of the future stay out the same way."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., SiteDir]:
    """Write a whole small site into a temporary folder.

    ``make_site({"content/2026-03-17/xi.md": "..."})`` or a ``-- path --`` text block.
    A default ``site.yaml`` and trust page are added unless the test gives its own (or
    None to leave one out); pass ``defaults=False`` to start from nothing.
    """
    counter = iter(range(1_000_000))

    def make(files: Files = (), *, defaults: bool = True) -> SiteDir:
        root = tmp_path / f"site{next(counter)}"
        root.mkdir()
        given = parse_block(files) if isinstance(files, str) else dict(files)
        merged: dict[str, str | bytes | None] = dict(DEFAULT_FILES) if defaults else {}
        merged.update(given)
        site = SiteDir(root)
        for name, content in merged.items():
            if content is not None:
                site.write(name, content)
        return site

    return make
