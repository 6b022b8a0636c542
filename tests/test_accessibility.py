"""The sample site is usable by everyone: axe-core in a real Chromium finds nothing on every
page at desktop width, and on one page of each kind and feature at 320 px and in dark mode;
the keyboard, zoom and reduced-motion promises hold.

The structural promises (one ``h1``, heading order, ``alt`` on every image, ``lang``) are
read from the built HTML of every page and need no browser. The browser tests skip, saying
why, where Chromium, Playwright or ``node_modules`` (``npm ci``) is missing, and fail
instead when ``CI`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from a11y_helpers import (
    AXE,
    DESKTOP,
    PHONE,
    WIDE,
    chromium,
    html_pages,
    missing_axe,
    missing_browser,
    narrow_screen_site,
    page_file,
    require,
    sample_site,
    serving,
)
from bs4 import BeautifulSoup
from conftest import soup

FEATURES = [
    "figure.figure-lead",
    ".body-figure",
    ".article-body table",
    ".callout",
    ".footnotes",
    ".corrections",
    ".updated",
    ".card-link",
    ".editor-note",
    "blockquote",
]
"""Beside one page of each kind, the first page showing each of these joins the
representative set, checked at 320 px, in dark mode and at 200% zoom."""

ARTICLE_WITH_PHOTO = "figure.figure-lead"

OVERFLOW = """() => {
  const root = document.documentElement;
  const found = [];
  if (root.scrollWidth > root.clientWidth) {
    found.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    const overflowX = getComputedStyle(el).overflowX;
    // A scrolling region a keyboard can reach and a screen reader can name is allowed
    // (a table too wide for a phone); any other sideways scroll is not.
    const reachable = el.tabIndex >= 0 && el.getAttribute("role") === "region"
      && el.getAttribute("aria-label");
    if ((overflowX === "auto" || overflowX === "scroll") && el.scrollWidth > el.clientWidth
        && !reachable) {
      found.push(`<${el.localName} class="${el.className}"> scrolls sideways`);
    }
  }
  return found;
}"""

AUDIT_START = (
    """(withAxe) => {
  const width = innerWidth;
  const overflow = ("""
    + OVERFLOW
    + """)();
  window.__audit = new Promise((resolve) => setTimeout(resolve, 0))
    .then(() => withAxe ? axe.run(document, {resultTypes: ["violations"], preload: false}) : null)
    .then((result) => ({width, overflow, axe: result && result.violations.map((v) =>
      `${v.id} (${v.impact}): ${v.help}: ` + v.nodes.map((n) => n.target.join(" ")).join(", "))}));
}"""
)
"""Measure what scrolls sideways, start axe and return at once: two tabs audit side by side."""

MOTION = """() => {
  const moving = [];
  const seconds = (list) => list.split(",").map(parseFloat);
  for (const el of document.querySelectorAll("*")) {
    for (const pseudo of [null, "::before", "::after", "::backdrop"]) {
      const style = getComputedStyle(el, pseudo);
      const durations = [
        ...seconds(style.transitionDuration),
        ...(style.animationName === "none" ? [] : seconds(style.animationDuration)),
      ];
      if (durations.some((d) => d > 0)) {
        moving.push(`<${el.localName} class="${el.className}">${pseudo || ""}`);
      }
    }
  }
  return moving;
}"""

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    element: `<${el.localName}> ${(el.textContent || "").trim().slice(0, 40)}`,
    inFigure: el.closest(".figure-frame") !== null,
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    background: getComputedStyle(document.body).backgroundColor,
  };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_site(tmp_path_factory)


@pytest.fixture(scope="module")
def pages(site: Path) -> list[str]:
    found = html_pages(site)
    assert len(found) > 50, "the sample site has about a hundred pages"
    return found


@pytest.fixture(scope="module")
def documents(site: Path, pages: list[str]) -> dict[str, BeautifulSoup]:
    """Every page, parsed once."""
    return {path: soup(page_file(site, path).read_bytes()) for path in pages}


@pytest.fixture(scope="module")
def representative(documents: dict[str, BeautifulSoup]) -> list[str]:
    """One page of each kind (its body's ``page-*`` class), then one showing each feature."""
    chosen: dict[str, str] = {}
    for path, page in documents.items():
        kind = next(c for c in page.body["class"] if c.startswith("page-"))
        chosen.setdefault(kind, path)
        for selector in FEATURES:
            if page.select_one(selector) is not None:
                chosen.setdefault(selector, path)
    missing = [selector for selector in FEATURES if selector not in chosen]
    assert missing == [], "the sample site no longer shows these; update FEATURES"
    return list(dict.fromkeys(chosen.values()))


@pytest.fixture(scope="module")
def photo_article(documents: dict[str, BeautifulSoup]) -> str:
    """The first article with a lead photo: it has the enlarge control (and the lightbox)."""
    return next(path for path, page in documents.items() if page.select(ARTICLE_WITH_PHOTO))


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(missing_browser(), missing_axe())
    with chromium() as launched:
        yield launched


def audit(
    browser: Any, base_url: str, paths: list[str], *, with_axe: bool = True, **options: Any
) -> dict[str, dict[str, Any]]:
    """Each page's ``width`` (CSS px), ``overflow`` (what scrolls sideways) and ``axe``
    violations, opened in two tabs (each in its own context) in turn."""
    lanes = [browser.new_context(**options) for _ in range(2)]
    try:
        tabs = []
        for context in lanes:
            if with_axe:
                context.add_init_script(path=str(AXE))
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            tabs.append(tab)
        results: dict[str, dict[str, Any]] = {}
        running: list[str | None] = [None, None]
        for index, path in enumerate([*paths, None, None]):
            lane = index % 2
            done = running[lane]
            if done is not None:
                results[done] = tabs[lane].evaluate("() => window.__audit")
            running[lane] = path
            if path is not None:
                tabs[lane].goto(base_url + path)
                tabs[lane].evaluate(AUDIT_START, with_axe)
        return results
    finally:
        for context in lanes:
            context.close()


@pytest.fixture(scope="module")
def axed(documents: dict[str, BeautifulSoup]) -> list[str]:
    """The pages axe checks at desktop width: every page of the sample site (the issue asks
    for every page; the tag listings, two thirds of them, cost about a minute)."""
    chosen = list(documents)
    assert len(chosen) > 90
    return chosen


@pytest.fixture(scope="module")
def desktop(browser: Any, base_url: str, axed: list[str]) -> dict[str, dict[str, Any]]:
    return audit(browser, base_url, axed, viewport=DESKTOP)


@pytest.fixture(scope="module")
def phone(browser: Any, base_url: str, representative: list[str]) -> dict[str, dict[str, Any]]:
    return audit(browser, base_url, representative, viewport=PHONE)


@pytest.fixture(scope="module")
def dark(browser: Any, base_url: str, representative: list[str]) -> dict[str, dict[str, Any]]:
    return audit(browser, base_url, representative, viewport=DESKTOP, color_scheme="dark")


@pytest.fixture(scope="module")
def zoomed(browser: Any, base_url: str, representative: list[str]) -> dict[str, dict[str, Any]]:
    """200% zoom of a 1280px window: a 640px layout viewport at twice the pixel density."""
    viewport = {"width": 640, "height": 400}
    return audit(
        browser, base_url, representative, with_axe=False, viewport=viewport, device_scale_factor=2
    )


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
    finally:
        context.close()


# Every page, read from the built HTML.


def test_every_page_has_exactly_one_h1(documents: dict[str, BeautifulSoup]) -> None:
    counts = {path: len(page.find_all("h1")) for path, page in documents.items()}
    assert {path: count for path, count in counts.items() if count != 1} == {}


def test_headings_never_skip_a_level(documents: dict[str, BeautifulSoup]) -> None:
    skipped = []
    for path, page in documents.items():
        levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
        assert levels[0] == 1, f"{path}: the first heading is h{levels[0]}"
        skipped += [
            f"{path}: h{before} then h{after}"
            for before, after in pairwise(levels)
            if after > before + 1
        ]
    assert skipped == []


def test_every_image_has_an_alt_attribute(documents: dict[str, BeautifulSoup]) -> None:
    images = [(path, img) for path, page in documents.items() for img in page.find_all("img")]
    assert len(images) > 10
    assert [f"{path}: {img}" for path, img in images if not img.has_attr("alt")] == []


def test_every_page_declares_its_language(documents: dict[str, BeautifulSoup]) -> None:
    languages = {page.html.get("lang") for page in documents.values()}
    assert languages == {"en"}  # site.yaml's language


# axe-core in Chromium.


def test_every_page_passes_axe_at_desktop_width(
    desktop: dict[str, dict[str, Any]], axed: list[str]
) -> None:
    """Every page of the sample site, zero violations."""
    assert sorted(desktop) == sorted(axed)
    assert {path: found["axe"] for path, found in desktop.items() if found["axe"]} == {}


def test_representative_pages_pass_axe_at_320px(
    phone: dict[str, dict[str, Any]], representative: list[str]
) -> None:
    assert sorted(phone) == sorted(representative)
    assert {page["width"] for page in phone.values()} == {320}
    assert {path: found["axe"] for path, found in phone.items() if found["axe"]} == {}


def test_representative_pages_pass_axe_in_dark_mode(
    dark: dict[str, dict[str, Any]], representative: list[str]
) -> None:
    assert sorted(dark) == sorted(representative)
    assert {path: found["axe"] for path, found in dark.items() if found["axe"]} == {}


@pytest.mark.parametrize(("scheme", "is_dark"), [("light", False), ("dark", True)])
def test_the_colour_scheme_follows_the_reader(
    browser: Any, base_url: str, scheme: str, is_dark: bool
) -> None:
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(base_url)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        text = page.evaluate("getComputedStyle(document.body).color")
    finally:
        context.close()
    assert (_luminance(background) < _luminance(text)) is is_dark
    assert _contrast(background, text) >= 7


# The keyboard.


def test_the_skip_link_is_first_and_moves_focus_to_main(
    tab: Any, base_url: str, photo_article: str
) -> None:
    for path in ("", photo_article, "404.html"):
        tab.goto(base_url + path)
        tab.keyboard.press("Tab")
        skip = tab.evaluate(
            "() => { const el = document.activeElement, box = el.getBoundingClientRect();"
            " return [el.className, el.getAttribute('href'), box.top >= 0 && box.width > 1]; }"
        )
        assert skip == ["skip-link", "#main", True], path
        tab.keyboard.press("Enter")
        tab.wait_for_function("document.activeElement.id === 'main'")
        tab.keyboard.press("Tab")
        inside = tab.evaluate("document.querySelector('main').contains(document.activeElement)")
        assert inside, f"{path}: Tab after the skip link should stay in main"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_focus_is_always_visible(
    browser: Any, base_url: str, photo_article: str, scheme: str
) -> None:
    path = photo_article
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(base_url + path)
        seen = []
        for _ in range(200):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break
            seen.append(page.evaluate(FOCUS_STYLE))
    finally:
        context.close()
    assert len(seen) > 20, "a page of the sample site has many links"
    assert any(focus["inFigure"] for focus in seen), "the enlarge control was reached"
    faint = []
    for focus in seen:
        ring = focus["outlineStyle"] not in ("none", "hidden") and focus["outlineWidth"] >= 2
        if focus["inFigure"]:
            # Over a photo: a two-tone ring (outline and box-shadow) shows on any colour.
            ring = ring and focus["boxShadow"] != "none"
        else:
            ring = ring and _contrast(focus["outlineColor"], focus["background"]) >= 3
        if not ring:
            faint.append(
                f"{focus['element']}: outline {focus['outlineStyle']} {focus['outlineWidth']}px"
                f" {focus['outlineColor']} on {focus['background']}, shadow {focus['boxShadow']}"
            )
    assert faint == []


# Small screens, zoom and motion.


def test_nothing_scrolls_sideways_at_320px(phone: dict[str, dict[str, Any]]) -> None:
    assert {path: found["overflow"] for path, found in phone.items() if found["overflow"]} == {}


def test_nothing_scrolls_sideways_at_200_percent_zoom(
    zoomed: dict[str, dict[str, Any]], representative: list[str]
) -> None:
    assert sorted(zoomed) == sorted(representative)
    assert {page["width"] for page in zoomed.values()} == {640}
    assert {path: found["overflow"] for path, found in zoomed.items() if found["overflow"]} == {}


def test_wide_tables_long_code_and_unbroken_words_fit_320px(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """What the sample site lacks, from a purpose-built one: nothing scrolls sideways except
    a table too wide for the screen, inside a region keyboards can reach and focus."""
    with serving(narrow_screen_site(tmp_path_factory)) as url:
        found = audit(browser, url, [WIDE], viewport=PHONE)[WIDE]
    assert found["width"] == 320
    assert found["overflow"] == []
    assert found["axe"] == []


@pytest.mark.parametrize(("motion", "moves"), [("no-preference", True), ("reduce", False)])
def test_reduced_motion_stops_every_animation_and_transition(
    browser: Any, base_url: str, photo_article: str, motion: str, moves: bool
) -> None:
    """Opening the lightbox animates it, unless the reader asked for reduced motion; then
    nothing on the page, its pseudo-elements or the dialog's backdrop moves."""
    path = photo_article
    context = browser.new_context(viewport=DESKTOP, reduced_motion=motion)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(base_url + path)
        page.click("a.enlarge")
        page.wait_for_selector("dialog.lightbox[open]")
        moving = page.evaluate(MOTION)
    finally:
        context.close()
    if moves:
        assert '<dialog class="lightbox">' in moving
    else:
        assert moving == []


def _channels(colour: str) -> list[float]:
    """``rgb(1, 2, 3)`` or ``rgba(1, 2, 3, 0.5)`` -> the three channels, 0-255."""
    return [float(part) for part in re.findall(r"[\d.]+", colour)[:3]]


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
