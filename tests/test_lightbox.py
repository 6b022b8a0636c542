"""The enlarge control on an article's photo, in a real headless Chromium.

With JavaScript, ``static/lightbox.js`` opens the full image in a modal dialog that closes on
Escape, on its Close button and on the backdrop, and gives focus back to the control. Without
JavaScript the control is a plain link that leads to the image. Skips, saying why, without
Chromium or Playwright (or node_modules, for axe); fails instead when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y_helpers import (
    AXE,
    DESKTOP,
    chromium,
    html_pages,
    missing_axe,
    missing_browser,
    page_file,
    require,
    sample_site,
    serving,
)
from conftest import soup

FOCUSED = "() => document.activeElement.matches(%r)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_site(tmp_path_factory)


@pytest.fixture(scope="module")
def article(site: Path) -> str:
    """The first article page with a lead photo (so an enlarge control)."""
    for path in html_pages(site):
        if soup(page_file(site, path).read_bytes()).select_one("figure a.enlarge"):
            return path
    raise AssertionError("the sample site has articles with photos")


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(missing_browser())
    with chromium() as launched:
        yield launched


def open_page(browser: Any, url: str, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport=DESKTOP, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(url)
    return context, page


@pytest.fixture
def page(browser: Any, base_url: str, article: str) -> Iterator[Any]:
    context, tab = open_page(browser, base_url + article)
    try:
        yield tab
    finally:
        context.close()


def is_open(page: Any) -> bool:
    return bool(page.evaluate("() => !!document.querySelector('dialog.lightbox[open]')"))


def test_every_page_loads_the_script_deferred(site: Path) -> None:
    for path in html_pages(site):
        page = soup(page_file(site, path).read_bytes())
        scripts = [(s.get("src"), s.has_attr("defer")) for s in page.find_all("script")]
        assert ("/static/lightbox.js", True) in scripts, path
    assert (site / "static" / "lightbox.js").is_file()


def test_the_control_opens_the_full_image_in_a_modal_dialog(page: Any) -> None:
    link = page.locator("figure.figure-lead a.enlarge")
    full = link.evaluate("a => a.href")
    alt = page.locator("figure.figure-lead img").first.get_attribute("alt")
    caption = page.locator("figure.figure-lead figcaption").inner_text()
    assert not is_open(page)

    link.click()

    page.wait_for_selector("dialog.lightbox[open]")
    assert page.evaluate("document.querySelector('dialog.lightbox').matches(':modal')")
    image = page.locator("dialog.lightbox img")
    assert image.evaluate("img => img.src") == full
    assert image.get_attribute("alt") == alt
    page.wait_for_function("() => document.querySelector('dialog.lightbox img').naturalWidth > 0")
    assert page.locator("dialog.lightbox .lightbox-caption").inner_text() == caption
    page.wait_for_function(FOCUSED % "dialog.lightbox .lightbox-close")
    assert page.url.endswith("/"), "the page stays where it was"


def test_escape_closes_it_and_focus_returns_to_the_control(page: Any) -> None:
    page.focus("figure.figure-lead a.enlarge")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog.lightbox[open]")
    page.wait_for_function(FOCUSED % "dialog.lightbox .lightbox-close")

    page.keyboard.press("Escape")

    page.wait_for_selector("dialog.lightbox", state="hidden")
    assert not is_open(page)
    page.wait_for_function(FOCUSED % "figure.figure-lead a.enlarge")


def test_the_close_button_and_the_backdrop_close_it_too(page: Any) -> None:
    page.click("figure.figure-lead a.enlarge")
    page.click("dialog.lightbox .lightbox-close")
    page.wait_for_selector("dialog.lightbox", state="hidden")
    page.wait_for_function(FOCUSED % "figure.figure-lead a.enlarge")

    page.click("figure.figure-lead a.enlarge")
    page.wait_for_selector("dialog.lightbox[open]")
    page.mouse.click(5, 5)  # the backdrop, outside the centred dialog
    page.wait_for_selector("dialog.lightbox", state="hidden")
    page.wait_for_function(FOCUSED % "figure.figure-lead a.enlarge")


def test_the_open_lightbox_passes_axe_in_light_and_dark(
    browser: Any, base_url: str, article: str
) -> None:
    require(missing_axe())
    for scheme in ("light", "dark"):
        context, page = open_page(browser, base_url + article, color_scheme=scheme)
        try:
            page.click("figure.figure-lead a.enlarge")
            page.wait_for_selector("dialog.lightbox[open]")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(', '))"
            )
        finally:
            context.close()
        assert violations == [], scheme


def test_without_javascript_the_control_leads_to_the_image(
    browser: Any, base_url: str, article: str
) -> None:
    context, page = open_page(browser, base_url + article, java_script_enabled=False)
    try:
        link = page.locator("figure.figure-lead a.enlarge")
        target = base_url + link.get_attribute("href").lstrip("/")
        with page.expect_navigation() as navigation:
            link.click()
        response = navigation.value
        assert response.url == target
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/")
    finally:
        context.close()
