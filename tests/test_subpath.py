"""A briefing published under a sub-path (``https://example.org/briefing/``): every internal
link on every page starts with the sub-path and lands on a file of the output."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import article, broken_links, internal_targets, photo, run_cli, soup

BASE = "https://example.org/briefing/"
ORIGIN = "https://example.org"

REPOSITORY = Path(__file__).resolve().parent.parent

RICH = {
    "content/2026-03-17/_edition.md": (
        "---\ntitle: Tuesday\n---\n\nToday: [rates](rates.md) and [about](../pages/about.md).\n"
    ),
    "content/2026-03-17/rates.md": """\
    ---
    title: Rates rise
    date: 2026-03-17T06:00:00
    section: Business & Economy
    tags: [rates, Central banks]
    image:
      src: chart.png
      alt: A chart
      caption: Rates since 2020.
      credit: The desk
    ---

    ## The vote

    See [yesterday](../2026-03-16/strike.md#talks), [the logo](/shared/logo.png),
    [the archive](/archive/) and ![the chart](chart.png "Rates since 2020").
    """,
    "content/2026-03-17/chart.png": photo(kind="PNG"),
    "content/2026-03-17/link.md": """\
    ---
    title: Elsewhere
    date: 2026-03-17T05:00:00
    summary: A curated story.
    source:
      name: AP
      url: https://apnews.com/x
    ---
    """,
    "content/2026-03-16/strike.md": article(
        "Strike",
        date="2026-03-16",
        section="World",
        body="## Talks\n\n[Back](../2026-03-17/rates.md)",
    ),
    "content/shared/logo.png": photo(kind="PNG"),
    "content/pages/about.md": "---\ntitle: About\n---\n\n[Standards](trust.md)\n",
}


def test_every_internal_link_starts_with_the_sub_path_and_resolves(make_site, tmp_path):
    site = make_site(RICH)
    result = site.build("--base-url", BASE)
    assert (result.code, result.err) == (0, "")
    pages = site.html_pages()
    assert len(pages) >= 14
    seen = 0
    for path in pages:
        for attr, link in internal_targets(soup(path.read_bytes()), ORIGIN):
            seen += 1
            assert link.startswith("/briefing/"), f"{path.relative_to(site.out)}: {attr}={link}"
    assert seen > 100
    assert broken_links(site.out, ORIGIN, "/briefing/") == []


def test_base_url_in_site_yaml_works_the_same_as_the_option(make_site):
    yaml = "title: T\nbase_url: https://example.org/briefing\ntrust_url: /trust/\n"
    site = make_site({**RICH, "site.yaml": yaml}).built()
    assert site.page("2026/03/17/rates/").select_one(".kicker a")["href"] == (
        "/briefing/sections/business-economy/"
    )
    assert broken_links(site.out, ORIGIN, "/briefing/") == []


def test_feed_sitemap_and_robots_use_the_sub_path(make_site):
    site = make_site(RICH)
    assert site.build("--base-url", BASE).code == 0
    feed = site.feed()
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "https://example.org/briefing/feed.xml"
    assert links["alternate"] == BASE
    rates = next(e for e in feed.entries if e.title == "Rates rise")
    assert rates.link == "https://example.org/briefing/2026/03/17/rates/"
    content = soup(rates.content[0].value)
    for attr, link in internal_targets(content, ORIGIN):
        assert link.startswith("/briefing/"), (attr, link)
    elsewhere = next(e for e in feed.entries if e.title == "Elsewhere")
    assert elsewhere.link == "https://apnews.com/x"
    locs = site.sitemap()
    assert locs and all(loc.startswith(BASE) for loc in locs)
    assert f"Sitemap: {BASE}sitemap.xml" in site.file("robots.txt").read_text().splitlines()


def test_canonical_links_use_the_sub_path(make_site):
    site = make_site(RICH)
    site.build("--base-url", BASE)
    canonical = site.page("2026/03/17/rates/").find("link", rel="canonical")["href"]
    assert canonical == "https://example.org/briefing/2026/03/17/rates/"


@pytest.mark.parametrize("base", ["https://example.org/", "https://example.org/a/b/"])
def test_the_sample_site_has_no_broken_links_at_the_root_or_deep_under_a_sub_path(tmp_path, base):
    out = tmp_path / "out"
    result = run_cli("build", REPOSITORY, "--out", out, "--base-url", base)
    assert (result.code, result.err) == (0, "")
    base_path = base.removeprefix(ORIGIN)
    assert broken_links(out, ORIGIN, base_path) == []


def test_the_link_checker_used_here_does_catch_a_broken_link(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17", body="[x](/x/)")})
    assert site.build("--base-url", BASE).code == 0  # a warning only
    assert broken_links(site.out, ORIGIN, "/briefing/") == [
        "2026/03/17/a/index.html: href=/briefing/x/"
    ]
