"""The preview in a real headless Chromium: the page follows the editor's saves by itself.

The test never navigates after opening a page; every expectation polls with a timeout.
On a machine without Chromium or Playwright these tests skip, saying why; with ``CI`` set
they fail instead, since a skipped browser test in CI proves nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y_helpers import chromium
from serve_helpers import DAY, Running, article, have_browser, running, write, write_site

STORY = f"content/{DAY}/story.md"
STORY_URL = f"{DAY.replace('-', '/')}/story/"
EDITION_URL = f"{DAY.replace('-', '/')}/"
CSS = "themes/default/static/style.css"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = have_browser()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Running]:
    root = write_site(
        tmp_path / "site",
        {
            STORY: article("Harbour reopens", "The cranes are back."),
            f"content/{DAY}/other.md": article("Trains run late", "Signals failed."),
            CSS: "h1 { color: rgb(10, 20, 30); }\n",
        },
    )
    with running(root) as handle:
        yield handle


@pytest.fixture
def page(browser: Any, server: Running) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def open_live(page: Any, server: Running, path: str) -> None:
    """Open ``path`` and wait until its live-reload stream is connected."""
    hub = server.preview.live.hub
    before = hub.clients()
    page.goto(server.url + path)
    deadline = time.monotonic() + 10
    while hub.clients() <= before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.clients() > before, "the page never opened its event stream"


def test_an_edit_shows_up_in_the_open_page(page: Any, server: Running) -> None:
    from playwright.sync_api import expect

    other_tab = page.context.new_page()
    open_live(other_tab, server, STORY_URL)
    open_live(page, server, STORY_URL)
    expect(page.locator("main")).to_contain_text("The cranes are back.")
    saved = time.monotonic()
    write(server.preview.root, STORY, article("Harbour reopens", "The cranes are busy again."))
    expect(page.locator("main")).to_contain_text("The cranes are busy again.", timeout=5000)
    print(f"save -> visible in the browser: {time.monotonic() - saved:.2f} s")
    expect(other_tab.locator("main")).to_contain_text("The cranes are busy again.", timeout=5000)


def test_the_scroll_position_survives_a_reload(page: Any, server: Running) -> None:
    """What the editor notices. (Chromium restores it on its own too; the client's saved
    position covers browsers and pages where that restoring falls short.)"""
    from playwright.sync_api import expect

    long_body = "\n\n".join(f"Paragraph {n} of a long report." for n in range(150))
    write(server.preview.root, STORY, article("Harbour reopens", long_body))
    open_live(page, server, STORY_URL)
    expect(page.locator("main")).to_contain_text("Paragraph 149")
    page.evaluate("window.scrollTo(0, 1500)")
    page.wait_for_function("Math.abs(window.scrollY - 1500) < 2")
    page.evaluate("window.__marker = 1")
    write(server.preview.root, STORY, article("Harbour reopens", long_body + "\n\nThe end."))
    expect(page.locator("main")).to_contain_text("The end.", timeout=5000)
    assert page.evaluate("window.__marker") is None, "the page was reloaded"
    page.wait_for_function("Math.abs(window.scrollY - 1500) < 2", timeout=5000)


def test_a_stylesheet_change_applies_without_a_reload(page: Any, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, STORY_URL)
    heading = page.locator("h1").first
    expect(heading).to_have_css("color", "rgb(10, 20, 30)")
    page.evaluate("window.__marker = 1")
    write(server.preview.root, CSS, "h1 { color: rgb(200, 0, 0); }\n")
    expect(heading).to_have_css("color", "rgb(200, 0, 0)", timeout=5000)
    assert page.evaluate("window.__marker") == 1


def test_a_broken_file_shows_an_overlay_until_it_is_fixed(page: Any, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, STORY_URL)
    page.evaluate("window.__marker = 1")
    broken = "---\ntitle: Harbour: reopens\ndate: 2026-03-17\n---\n\nBroken.\n"
    write(server.preview.root, STORY, broken)
    overlay = page.get_by_role("alert")
    expect(overlay).to_be_visible(timeout=5000)
    expect(overlay).to_contain_text(f"{STORY}:2")
    expect(overlay).to_contain_text("not valid YAML")
    assert page.evaluate("window.__marker") == 1, "an error must not reload the page"
    expect(page.locator("main")).to_contain_text("The cranes are back.")

    write(server.preview.root, STORY, article("Harbour reopens", "Fixed and back."))
    expect(page.locator("main")).to_contain_text("Fixed and back.", timeout=5000)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_articles_come_and_go(page: Any, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, EDITION_URL)
    expect(page.locator("main")).to_contain_text("Trains run late")
    added = f"content/{DAY}/ferry.md"
    write(server.preview.root, added, article("Night ferry returns", "It sails at ten."))
    expect(page.locator("main")).to_contain_text("Night ferry returns", timeout=5000)
    ferry = f"{server.url}{DAY.replace('-', '/')}/ferry/"
    assert page.request.get(ferry).status == 200

    (server.preview.root / added).unlink()
    expect(page.locator("main")).not_to_contain_text("Night ferry returns", timeout=5000)
    assert page.request.get(ferry).status == 404
