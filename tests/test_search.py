"""Search: a static Pagefind index built with the site, queried in a real browser."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from a11y_helpers import chromium, missing_browser, require, sample_site, serving
from conftest import SITE_YAML, SiteDir, article, snapshot

from briefing import build as build_module
from briefing import search

SEARCHABLE = SITE_YAML.replace("search: false", "search: true")
FILES = {
    "site.yaml": SEARCHABLE,
    "content/2026-03-17/port.md": article(
        "Dockworkers end strike",
        "2026-03-17T08:00:00",
        "The longest stoppage in decades.",
        section="Business",
        tags="[labour]",
    ),
    "content/2026-03-17/comet.md": article(
        "Comet flares",
        "2026-03-17T07:00:00",
        "Astronomers saw a sudden outburst.",
        section="Science",
    ),
}


def test_build_writes_a_search_bundle_and_a_search_page(make_site: Callable[..., SiteDir]) -> None:
    site = make_site(FILES).built()
    assert site.exists("pagefind/pagefind.js")
    assert any(site.out.glob("pagefind/fragment/*"))
    page = site.page("search/")
    assert page.select_one('form[role="search"] input[type="search"]')["id"] == "search-query"
    assert page.select_one('label[for="search-query"]') is not None
    nav = [a.get_text() for a in site.page("").select("nav a")]
    assert "Search" in nav


def test_search_can_be_turned_off(make_site: Callable[..., SiteDir]) -> None:
    site = make_site({**FILES, "site.yaml": SITE_YAML}).built()
    assert not site.exists("pagefind/pagefind.js")
    assert not site.exists("search/")
    assert "Search" not in [a.get_text() for a in site.page("").select("nav a")]


def test_without_pagefind_the_build_succeeds_and_says_search_was_skipped(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        search.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "pagefind" else real(name, *args),
    )
    result = make_site(FILES).build()
    assert result.code == 0
    assert result.warnings == [
        "search: warning: search was skipped: "
        "Pagefind is not installed (pip install 'pagefind[bin]')"
    ]


def test_unchanged_site_is_not_indexed_again_and_an_edit_is(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = make_site(FILES).built()
    calls: list[Path] = []
    real = build_module.build_index

    def counting(out: Path, language: str) -> dict[str, bytes]:
        calls.append(out)
        return real(out, language)

    monkeypatch.setattr(build_module, "build_index", counting)
    assert site.build().code == 0
    assert calls == []
    site.write("content/2026-03-17/comet.md", article("Comet fades", "2026-03-17T07:00:00"))
    assert site.build().code == 0
    assert len(calls) == 1
    clean = tmp_path / "clean"
    assert site.build("--no-cache", "--out", clean).code == 0
    assert snapshot(site.out) == snapshot(clean)


def test_search_finds_a_word_from_the_sample_briefing_in_a_real_browser(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    require(missing_browser())
    out = sample_site(tmp_path_factory)
    with serving(out) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "search/")
        page.fill("#search-query", "dockworkers")
        page.click('form[role="search"] button[type="submit"]')
        results = page.locator("[data-search-results] li a")
        results.first.wait_for(timeout=10_000)
        hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert "/2026/11/26/port-strike-ends/" in hrefs
        assert "found" in page.locator("[data-search-status]").inner_text()
        # The section filter narrows the results to that section.
        page.select_option("#search-section", "Culture")
        page.click('form[role="search"] button[type="submit"]')
        status = "document.querySelector('[data-search-status]').textContent"
        page.wait_for_function(f"() => !{status}.includes('Searching')")
        filtered = page.locator("[data-search-results] li a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert "/2026/11/26/port-strike-ends/" not in filtered
        # So does a tag: the strike stories carry "strike", none carries "astronomy".
        page.select_option("#search-section", "")
        for tag, expected in (("strike", True), ("astronomy", False)):
            page.select_option("#search-tag", tag)
            page.click('form[role="search"] button[type="submit"]')
            page.wait_for_function(f"() => !{status}.includes('Searching')")
            tagged = page.locator("[data-search-results] li a").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            )
            assert ("/2026/11/26/port-strike-ends/" in tagged) is expected, (tag, tagged)
