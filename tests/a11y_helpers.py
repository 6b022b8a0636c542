"""Shared by the accessibility, validity and lightbox tests: the sample site built once per
module, served over a loopback port, opened in Debian's headless Chromium.

A test that needs a tool the machine lacks (Chromium, Playwright, ``npm ci``'s
node_modules, Java) skips, saying what is missing; with ``CI`` set it fails instead, since
a skipped check in CI proves nothing. Every server and browser is stopped when its ``with``
block ends, even when the test fails.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

REPOSITORY = Path(__file__).resolve().parent.parent
NODE_MODULES = REPOSITORY / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLE_EPOCH = "1795824000"
"""2026-11-28 00:00 UTC, the day after the sample site's last edition (as test_sample_site)."""

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}


def missing_browser() -> str:
    """Why Chromium cannot be driven here, or "" when it can."""
    if not os.path.exists(CHROMIUM):
        return f"Debian's chromium is not installed at {CHROMIUM} (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return ""


def missing_axe() -> str:
    if not AXE.is_file():
        return f"{AXE.relative_to(REPOSITORY)} is missing (run npm ci in the repository)"
    return ""


def missing_vnu() -> str:
    if shutil.which("java") is None:
        return "java is not installed (apt install default-jre-headless)"
    if not VNU.is_file():
        return f"{VNU.relative_to(REPOSITORY)} is missing (run npm ci in the repository)"
    return ""


def require(*reasons: str) -> None:
    """Skip when a tool is missing, or fail when ``CI`` is set: CI must run every check."""
    missing = "; ".join(reason for reason in reasons if reason)
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"this check must run in CI, but {missing}")
    pytest.skip(missing)


def sample_site(factory: pytest.TempPathFactory) -> Path:
    """The repository's own briefing as of the day after its last edition, built once per
    test session (the modules that use it only read it)."""
    out = factory.getbasetemp() / "a11y-sample" / "public"
    if not out.is_dir():  # a build with errors writes nothing
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
            result = run_cli("build", REPOSITORY, "--out", out)
        assert result.code == 0, result.err
    return out


WIDE = "2026/03/17/wide/"
"""The one article of the narrow-screen site: everything that could push a page sideways."""

NARROW_SCREEN_SITE = {
    "site.yaml": "title: Narrow screens\nbase_url: https://example.org/\nlanguage: en\n",
    "content/2026-03-17/wide.md": """\
---
title: Wide things on a narrow screen
date: 2026-03-17T09:00:00
summary: Tables, code and long words.
section: World
updated: 2026-03-18T10:00:00
corrections:
  - date: 2026-03-18
    text: An earlier version misspelt the widow's title.
---

The Donaudampfschifffahrtsgesellschaftskapitänswitwe read
<https://example.org/a-very-long-address/that-never-breaks/because-it-has-no-spaces/anywhere.html>
aloud, then `a_very_long_inline_code_identifier_without_any_spaces_in_it_at_all`.[^1]

| Region | Q1 2026 | Q2 2026 | Q3 2026 | Q4 2026 | Change | Share | Rank |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| Northern Territory | 1,234,567 | 2,345,678 | 3,456,789 | 4,567,890 | +12.5% | 45.6% | 1 |
| Australian Capital Territory | 234,567 | 345,678 | 456,789 | 567,890 | -3.4% | 12.3% | 2 |

```
for region in regions: print(region.name, region.quarterly_totals, region.change_since_last_year)
```

::: why-it-matters
> A quotation long enough to wrap over several lines on a phone, as quotations are.
:::

[^1]: A footnote.
""",
}
"""A purpose-built site for what the sample site lacks: a wide table, a long line of code, an
unbroken address and word."""


def narrow_screen_site(factory: pytest.TempPathFactory) -> Path:
    """NARROW_SCREEN_SITE, built once per test session; returns its output folder."""
    root = factory.getbasetemp() / "a11y-narrow"
    out = root / "public"
    if not out.is_dir():
        for name, text in NARROW_SCREEN_SITE.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
            result = run_cli("build", root, "--out", out)
        assert result.code == 0, result.err
    return out


def html_pages(out: Path) -> list[str]:
    """Every HTML page of a built site as the URL path a reader opens (``2026/11/26/``)."""
    paths = []
    for file in sorted(out.rglob("*.html")):
        relative = file.relative_to(out).as_posix()
        paths.append(relative.removesuffix("index.html"))
    return paths


def page_file(out: Path, path: str) -> Path:
    """The file behind a page's URL path (``""`` and ``2026/11/26/`` are index.html)."""
    return out / (path + "index.html" if path == "" or path.endswith("/") else path)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that closes a tab mid-download is not the test's business."""


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
