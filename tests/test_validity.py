"""Every page of the sample site and the theme's stylesheet are valid per the Nu HTML Checker
(vnu.jar from ``npm ci``, run with the machine's Java): zero errors.

One Java run checks them all, together with a page and a stylesheet that are wrong on
purpose, so a checker that silently checked nothing could not pass. Skips, saying why,
without Java or node_modules; fails instead when ``CI`` is set.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

import pytest
from a11y_helpers import VNU, missing_vnu, require, sample_site

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


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """The built site, and vnu's errors by file (relative to the site; broken ones by name)."""
    require(missing_vnu())
    root = tmp_path_factory.mktemp("validity")
    out = sample_site(tmp_path_factory)
    broken_page = root / "broken.html"
    broken_page.write_text(BROKEN_PAGE, encoding="utf-8")
    broken_css = root / "broken.css"
    broken_css.write_text(BROKEN_CSS, encoding="utf-8")
    files = [*sorted(out.rglob("*.html")), out / STYLESHEET, broken_page, broken_css]
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
        name = file.relative_to(out).as_posix() if file.is_relative_to(out) else file.name
        line = message.get("lastLine", "?")
        errors[name].append(f"{name}:{line}: {message['type']}: {message['message']}")
    assert run.returncode == 1, "vnu exits 1 when something (here the broken files) is invalid"
    return out, dict(errors)


def test_the_checker_reports_what_is_wrong(checked: tuple[Path, dict[str, list[str]]]) -> None:
    _, errors = checked
    assert any("alt" in error for error in errors["broken.html"]), errors.get("broken.html")
    assert any("colr" in error for error in errors["broken.css"]), errors.get("broken.css")


def test_every_page_is_valid_html(checked: tuple[Path, dict[str, list[str]]]) -> None:
    out, errors = checked
    pages = [path.relative_to(out).as_posix() for path in out.rglob("*.html")]
    assert len(pages) > 50
    assert [error for page in sorted(pages) for error in errors.get(page, [])] == []


def test_the_stylesheet_is_valid_css(checked: tuple[Path, dict[str, list[str]]]) -> None:
    out, errors = checked
    assert (out / STYLESHEET).stat().st_size > 1000
    assert errors.get(STYLESHEET, []) == []


def test_nothing_else_went_wrong(checked: tuple[Path, dict[str, list[str]]]) -> None:
    """No message about a file it could not read, or one not asked about."""
    _, errors = checked
    assert sorted(errors) == ["broken.css", "broken.html"]
