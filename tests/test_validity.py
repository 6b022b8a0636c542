"""Every page of the sample site (and of a small purpose-built one with what the sample lacks)
and the theme's stylesheet are valid per the Nu HTML Checker (vnu.jar from ``npm ci``, run
with the machine's Java): zero errors.

One Java run checks them all, together with a page and a stylesheet that are wrong on
purpose, so a checker that silently checked nothing could not pass. Skips, saying why,
without Java or node_modules; fails instead when ``CI`` is set.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from a11y_helpers import VNU, WIDE, missing_vnu, narrow_screen_site, require, sample_site

STYLESHEET = "static/style.css"
JAVA_FLAGS = ["-Xss2m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
"""A third of the CPU time for one short run: the quick compiler only (it needs the larger
stack vnu asks for), one GC thread."""
VNU_OPTIONS = ["--errors-only", "--format", "json", "--also-check-css"]
"""Errors only (warnings are advice), as JSON; ``.css`` files are checked as CSS."""

BROKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><img src="photo.jpg"></main></body></html>
"""
BROKEN_CSS = "p { colr: red; }\n"


@dataclass(frozen=True)
class Checked:
    sample: Path
    """The sample site's output."""
    narrow: Path
    """The narrow-screen site's output (a wide table, long code, footnotes, corrections)."""
    errors: dict[str, list[str]]
    """vnu's messages by file: ``2026/11/26/index.html`` for the sample site,
    ``narrow/...`` for the narrow-screen site, the broken files by name."""


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    require(missing_vnu())
    root = tmp_path_factory.mktemp("validity")
    sample, narrow = sample_site(tmp_path_factory), narrow_screen_site(tmp_path_factory)
    broken_page = root / "broken.html"
    broken_page.write_text(BROKEN_PAGE, encoding="utf-8")
    broken_css = root / "broken.css"
    broken_css.write_text(BROKEN_CSS, encoding="utf-8")
    files = [
        *sorted(sample.rglob("*.html")),
        sample / STYLESHEET,
        *sorted(narrow.rglob("*.html")),
        broken_page,
        broken_css,
    ]
    run = subprocess.run(
        ["java", *JAVA_FLAGS, "-jar", str(VNU), *VNU_OPTIONS, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.stderr.startswith("{"), run.stderr[-3000:]  # vnu reports on stderr
    report = json.loads(run.stderr)
    errors: dict[str, list[str]] = defaultdict(list)
    for message in report["messages"]:
        file = Path(unquote(message.get("url", "").removeprefix("file:")))
        if file.is_relative_to(sample):
            name = file.relative_to(sample).as_posix()
        elif file.is_relative_to(narrow):
            name = "narrow/" + file.relative_to(narrow).as_posix()
        else:
            name = file.name
        line = message.get("lastLine", "?")
        errors[name].append(f"{name}:{line}: {message['type']}: {message['message']}")
    assert run.returncode == 1, "vnu exits 1 when something (here the broken files) is invalid"
    return Checked(sample, narrow, dict(errors))


def test_the_checker_reports_what_is_wrong(checked: Checked) -> None:
    assert any("alt" in error for error in checked.errors["broken.html"]), checked.errors
    assert any("colr" in error for error in checked.errors["broken.css"]), checked.errors


def test_every_page_is_valid_html(checked: Checked) -> None:
    pages = sorted(
        path.relative_to(checked.sample).as_posix() for path in checked.sample.rglob("*.html")
    )
    assert len(pages) > 50
    assert [error for page in pages for error in checked.errors.get(page, [])] == []


def test_tables_code_footnotes_and_corrections_are_valid_html(checked: Checked) -> None:
    assert (checked.narrow / WIDE / "index.html").is_file()
    assert [
        error
        for name, found in checked.errors.items()
        if name.startswith("narrow/")
        for error in found
    ] == []


def test_the_stylesheet_is_valid_css(checked: Checked) -> None:
    assert (checked.sample / STYLESHEET).stat().st_size > 1000
    assert checked.errors.get(STYLESHEET, []) == []


def test_nothing_else_went_wrong(checked: Checked) -> None:
    """No message about a file it could not read, or one not asked about."""
    assert sorted(checked.errors) == ["broken.css", "broken.html"]
