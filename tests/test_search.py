"""Search: a static Pagefind index built with the site, queried in a real browser."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from a11y_helpers import chromium, missing_browser, require, sample_site, serving
from conftest import SITE_YAML, SiteDir, article, run_cli, snapshot

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
    assert json.loads(site.file("pagefind/bundles.json").read_text()) == ["2026", "pages"]
    assert site.exists("pagefind/2026/pagefind.js")
    assert any(site.out.glob("pagefind/2026/fragment/*"))
    page = site.page("search/")
    assert page.select_one('form[role="search"] input[type="search"]')["id"] == "search-query"
    assert page.select_one('label[for="search-query"]') is not None
    nav = [a.get_text() for a in site.page("").select("nav a")]
    assert "Search" in nav


def test_search_can_be_turned_off(make_site: Callable[..., SiteDir]) -> None:
    site = make_site({**FILES, "site.yaml": SITE_YAML}).built()
    assert not site.exists("pagefind/")
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


def test_unchanged_site_is_not_indexed_again_and_an_edit_only_its_own_year(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = make_site(
        {
            **FILES,
            "content/2025-06-02/budget.md": article("Budget passes", "2025-06-02T09:00:00"),
            "content/pages/about.md": "---\ntitle: About us\n---\n\nWho we are.\n",
        }
    ).built()
    assert json.loads(site.file("pagefind/bundles.json").read_text()) == ["2026", "2025", "pages"]
    indexed = bundles_indexed(monkeypatch)
    assert site.build().code == 0
    assert indexed == []
    year_before = snapshot(site.out / "pagefind/2025")
    site.write(
        "content/2026-03-17/comet.md",
        article("Comet fades", "2026-03-17T07:00:00", "It fades.", section="Science"),
    )
    assert site.build().code == 0
    # Its year's bundle, and the pages' (a listing changed; they take Pagefind 0.25 s).
    assert indexed == [["2026", "pages"]]
    assert snapshot(site.out / "pagefind/2025") == year_before
    assert_same_as_a_clean_build(site, tmp_path)


def test_an_index_pagefind_failed_to_make_is_made_by_the_next_build_even_unchanged(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = make_site(
        {**FILES, "content/2025-06-02/budget.md": article("Budget passes", "2025-06-02T09:00:00")}
    ).built()

    def failing(out: Path, language: str, bundles: Mapping[str, str]) -> dict[str, bytes]:
        raise search.SearchSkipped("Pagefind failed: killed")

    monkeypatch.setattr(build_module, "build_index", failing)
    site.write(
        "content/2026-03-17/comet.md",
        article("Comet fades", "2026-03-17T07:00:00", "It fades.", section="Science"),
    )
    failed = site.build()
    assert failed.code == 0
    assert failed.warnings == ["search: warning: search was skipped: Pagefind failed: killed"]
    assert "hint: the pages are published; the next build makes the search index" in failed.err
    indexed = bundles_indexed(monkeypatch)
    assert site.build().code == 0  # nothing changed since, but the index is behind
    assert indexed == [["2026", "pages"]]
    assert site.build().code == 0
    assert indexed == [["2026", "pages"]]  # once made, it is not made again
    assert_same_as_a_clean_build(site, tmp_path)


def test_a_busy_year_is_indexed_by_quarter_and_what_is_gone_leaves_the_index(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(search, "SPLIT_YEAR", 1)
    site = make_site(
        {
            **FILES,
            "content/2025-11-03/vote.md": article("Vote counted", "2025-11-03T09:00:00"),
            "content/2025-02-03/old.md": article("Old news", "2025-02-03T09:00:00"),
        }
    ).built()
    bundles = json.loads(site.file("pagefind/bundles.json").read_text())
    assert bundles == ["2026-q1", "2025-q4", "2025-q1", "pages"]
    # One story left in 2025: the year is small enough for one bundle again.
    site.remove("content/2025-02-03/old.md")
    assert site.build().code == 0
    bundles = json.loads(site.file("pagefind/bundles.json").read_text())
    assert bundles == ["2026-q1", "2025", "pages"]
    assert sorted(p.name for p in site.file("pagefind").iterdir()) == sorted(
        [*bundles, "bundles.json"]
    )
    assert_same_as_a_clean_build(site, tmp_path)


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
        # The pages are a bundle of their own, merged into the stories' in the browser.
        page.select_option("#search-tag", "")
        page.fill("#search-query", "proportion")
        page.click('form[role="search"] button[type="submit"]')
        page.locator('[data-search-results] li a[href="/about/"]').wait_for(timeout=10_000)


@pytest.mark.parametrize("how", ["no-cache", "after-clean"])
def test_readers_keep_the_search_while_a_build_the_cache_cannot_help_indexes_again(
    make_site: Callable[..., SiteDir],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    how: str,
) -> None:
    """Without the cache's word for the index in the output, the build used to drop it
    and publish the pages with no search until Pagefind was done (20 s at 10,000
    stories). The old index stays until the new one replaces it, and a bundle no longer
    needed still goes."""
    site = make_site(
        {**FILES, "content/2025-06-02/budget.md": article("Budget passes", "2025-06-02T09:00:00")}
    ).built()
    assert "2025" in json.loads(site.file("pagefind/bundles.json").read_text())
    published_while_indexing: list[bool] = []

    def watching(out: Path, language: str, bundles: Mapping[str, str]) -> dict[str, bytes]:
        published_while_indexing.append((out / search.MANIFEST).is_file())
        return search.build_index(out, language, bundles)

    monkeypatch.setattr(build_module, "build_index", watching)
    site.remove("content/2025-06-02/budget.md")
    if how == "after-clean":
        assert run_cli("clean", site.root).code == 0
        assert site.build().code == 0
    else:
        assert site.build("--no-cache").code == 0
    assert published_while_indexing == [True]
    assert "2025" not in json.loads(site.file("pagefind/bundles.json").read_text())
    assert not (site.out / "pagefind/2025").exists()
    assert_same_as_a_clean_build(site, tmp_path)


def bundles_indexed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The bundles each later build asks Pagefind for, in order."""
    indexed: list[list[str]] = []

    def counting(out: Path, language: str, bundles: Mapping[str, str]) -> dict[str, bytes]:
        indexed.append(list(bundles))
        return search.build_index(out, language, bundles)

    monkeypatch.setattr(build_module, "build_index", counting)
    return indexed


def pages_indexed(site: SiteDir, bundle: str) -> int:
    """How many pages Pagefind says it indexed in ``bundle``."""
    entry = json.loads(site.file(f"pagefind/{bundle}/pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def assert_same_as_a_clean_build(site: SiteDir, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    assert site.build("--no-cache", "--out", clean).code == 0
    assert snapshot(site.out) == snapshot(clean)


def test_a_page_named_like_a_year_is_found_once_not_in_its_years_bundle_too(
    make_site: Callable[..., SiteDir],
) -> None:
    """A page at /2026/ (``content/pages/2026.md``, a year in review) stands outside the
    dated folders: its year's bundle must not index it again, or every search for it
    would list it twice."""
    page = "---\ntitle: The year in review\n---\n\nWhat happened in 2026.\n"
    site = make_site({**FILES, "content/pages/2026.md": page}).built()
    assert site.page("2026/").select_one("h1").get_text(strip=True) == "The year in review"
    stories = len([name for name in FILES if name.startswith("content/2026-")])
    assert pages_indexed(site, "2026") == stories
    marked = [p for p in site.out.rglob("*.html") if "data-pagefind-body" in p.read_text()]
    assert pages_indexed(site, "2026") + pages_indexed(site, "pages") == len(marked)


def test_the_newest_month_of_a_big_bundle_is_indexed_alone_and_joins_it_when_it_ends(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An edit mostly goes to the latest edition: with the newest month in a bundle of its
    own, it re-indexes that month, not its quarter. When the next month begins, the month
    before must be searchable in the bundle that takes it in."""
    monkeypatch.setattr(search, "SPLIT_RECENT", 1)
    jan = article("Frost grips the north", "2026-01-12T09:00:00", "Roads iced over.")
    feb = article("Snow closes schools", "2026-02-10T09:00:00", "Heavy snowfall.")
    site = make_site(
        {
            "site.yaml": SEARCHABLE,
            "content/2026-01-12/frost.md": jan,
            "content/2026-02-10/snow.md": feb,
        }
    ).built()
    assert json.loads(site.file("pagefind/bundles.json").read_text()) == [
        "2026-02",
        "2026-01",
        "pages",
    ]
    indexed = bundles_indexed(monkeypatch)
    site.write("content/2026-02-10/snow.md", feb.replace("Heavy snowfall.", "Deep snow."))
    assert site.build().code == 0
    assert indexed == [["2026-02"]]  # a body alone: no listing changed
    # March begins: February leaves its own bundle for the one of the months before.
    site.write("content/2026-03-17/port.md", FILES["content/2026-03-17/port.md"])
    assert site.build().code == 0
    bundles = json.loads(site.file("pagefind/bundles.json").read_text())
    assert bundles == ["2026-03", "2026-01-02", "pages"]
    assert sorted(indexed[-1]) == sorted(bundles)
    assert sorted(p.name for p in site.file("pagefind").iterdir()) == sorted(
        [*bundles, "bundles.json"]
    )
    assert pages_indexed(site, "2026-01-02") == 2
    assert_same_as_a_clean_build(site, tmp_path)
