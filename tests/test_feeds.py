"""The Atom feed (read with feedparser, as a feed reader would), the sitemap and robots.txt."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

from conftest import article, photo, soup
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.feeds import absolute_links

FULL = """\
---
title: Port strike ends
date: 2026-03-17T06:45:00-07:00
updated: 2026-03-17T08:30:00-07:00
summary: Dockworkers accept a deal.
byline: [Amara Okafor, Jonas Weber]
dateline: ROTTERDAM
section: Business
tags: [labour, shipping]
image:
  src: cranes.jpg
  alt: Container cranes at dawn
  caption: The cranes start again on Friday.
  credit: Illustration by the desk
copyright: Copyright 2026 The Test Briefing
---

Dockworkers voted on Wednesday to accept a new contract.

See [the earlier story](../2026-03-16/strike.md).
"""


def feed_site(make_site, **more):
    files = {
        "content/2026-03-17/port.md": FULL,
        "content/2026-03-17/cranes.jpg": photo(),
        "content/2026-03-16/strike.md": article("Strike enters third week", date="2026-03-16"),
        **more,
    }
    return make_site(files).built()


def test_feed_parses_cleanly_with_site_title_rights_and_updated(make_site):
    feed = feed_site(make_site).feed()
    assert feed.version == "atom10"
    assert feed.feed.title == "The Test Briefing"
    assert feed.feed.subtitle == "Yesterday's news, tested."
    assert feed.feed.rights == "© 2026 The Test Briefing"
    assert feed.feed.updated == "2026-03-17T08:30:00-07:00"
    assert feed.feed.language == "en-GB"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": "https://example.org/feed.xml", "alternate": "https://example.org/"}


def test_feed_entries_are_newest_first_with_author_dates_and_rights(make_site):
    feed = feed_site(make_site).feed()
    assert [e.title for e in feed.entries] == ["Port strike ends", "Strike enters third week"]
    entry = feed.entries[0]
    assert [a.name for a in entry.authors] == ["Amara Okafor", "Jonas Weber"]
    assert entry.published == "2026-03-17T06:45:00-07:00"
    assert entry.updated == "2026-03-17T08:30:00-07:00"
    assert entry.rights == "Copyright 2026 The Test Briefing"
    assert entry.summary == "Dockworkers accept a deal."
    assert entry.link == "https://example.org/2026/03/17/port/"
    assert [t.term for t in entry.tags] == ["business", "labour", "shipping"]


def test_feed_entry_ids_are_stable_and_unique(make_site):
    site = feed_site(make_site)
    first = [e.id for e in site.feed().entries]
    assert len(set(first)) == len(first)
    site.built()
    assert [e.id for e in site.feed().entries] == first


def test_feed_carries_the_full_article_with_absolute_links(make_site):
    entry = feed_site(make_site).feed().entries[0]
    content = soup(entry.content[0].value)
    text = content.get_text(" ", strip=True)
    assert "ROTTERDAM — Dockworkers voted on Wednesday to accept a new contract." in text
    assert content.img["src"] == "https://example.org/2026/03/17/cranes.jpg"
    assert content.img["alt"] == "Container cranes at dawn"
    assert content.figcaption.get_text() == (
        "The cranes start again on Friday. Illustration by the desk"
    )
    link = content.find("a", string="the earlier story")
    assert link["href"] == "https://example.org/2026/03/16/strike/"
    assert "Copyright 2026 The Test Briefing" in text


def test_feed_size_is_limited_by_site_yaml(make_site):
    files = {
        f"content/2026-03-{day:02d}/a{day}.md": article(f"Day {day}", date=f"2026-03-{day:02d}")
        for day in range(1, 11)
    }
    yaml = "title: T\nbase_url: https://example.org/\nfeed:\n  size: 3\n"
    site = make_site({"site.yaml": yaml, "content/pages/trust.md": None, **files}).built()
    assert [e.title for e in site.feed().entries] == ["Day 10", "Day 9", "Day 8"]


def test_feed_stays_well_formed_with_xml_breaking_characters(make_site):
    text = (
        '---\ntitle: "Ampersands & <angles> \\f form feed"\ndate: 2026-03-17\n'
        'summary: "]]> and \\x01 control"\n---\n\nBody with \x0b vertical tab & <b>tags</b>.\n'
    )
    site = make_site({"content/2026-03-17/x.md": text})
    assert site.build().code == 0
    feed = site.feed()
    assert feed.entries[0].title == "Ampersands & <angles>  form feed"
    assert "]]>" in feed.entries[0].summary


def test_hostile_text_in_feed_values_stays_text(make_site):
    text = article('"</script><script>alert(1)</script> -->"', date="2026-03-17", body="Plain.")
    site = make_site({"content/2026-03-17/x.md": text}).built()
    raw = site.file("feed.xml").read_text()
    ET.fromstring(raw)  # well-formed
    entry = site.feed().entries[0]
    assert entry.title == "</script><script>alert(1)</script> -->"
    assert soup(entry.content[0].value).find("script") is None


def test_sitemap_lists_every_page_with_absolute_addresses(make_site):
    site = feed_site(make_site, **{"content/pages/about.md": "---\ntitle: About\n---\n"})
    locs = site.sitemap()
    expected = {
        "https://example.org/",
        "https://example.org/2026/03/17/",
        "https://example.org/2026/03/17/port/",
        "https://example.org/2026/03/16/",
        "https://example.org/2026/03/16/strike/",
        "https://example.org/archive/",
        "https://example.org/about/",
        "https://example.org/trust/",
        "https://example.org/sections/business/",
        "https://example.org/tags/labour/",
    }
    assert expected <= set(locs)
    assert len(locs) == len(set(locs))
    assert not any("404" in loc for loc in locs)
    # Every entry is a page that was built.
    for loc in locs:
        assert site.exists(loc.removeprefix("https://example.org/")), loc


def test_sitemap_gives_articles_their_last_change(make_site):
    site = feed_site(make_site)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(site.file("sitemap.xml")).getroot()
    lastmod = {
        url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
        for url in root.findall("s:url", ns)
    }
    assert lastmod["https://example.org/2026/03/17/port/"] == "2026-03-17T08:30:00-07:00"


def test_a_sitemap_over_the_protocols_limit_becomes_an_index_of_sitemaps(make_site, monkeypatch):
    """Search engines read at most 50,000 addresses from one sitemap (monkeypatched to 4
    here): a larger site's sitemap.xml lists numbered sitemaps that hold them all."""
    import briefing.render

    small = feed_site(make_site).sitemap()
    monkeypatch.setattr(briefing.render, "SITEMAP_SIZE", 4)
    site = feed_site(make_site)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.parse(site.file("sitemap.xml")).getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [entry.findtext("s:loc", namespaces=ns) for entry in index.findall("s:sitemap", ns)]
    assert parts == [
        f"https://example.org/sitemap-{n}.xml" for n in range(1, -(-len(small) // 4) + 1)
    ]
    listed = []
    for part in parts:
        urls = ET.parse(site.file(part.removeprefix("https://example.org/"))).getroot()
        locs = [url.findtext("s:loc", namespaces=ns) for url in urls.findall("s:url", ns)]
        assert 1 <= len(locs) <= 4
        listed += locs
    assert listed == small
    newest = index.find("s:sitemap/s:lastmod", ns)
    assert newest is not None and newest.text
    assert "Sitemap: https://example.org/sitemap.xml" in site.file("robots.txt").read_text()


def test_the_feed_is_advertised_on_every_page(make_site):
    site = feed_site(make_site)
    for path in site.html_pages():
        link = soup(path.read_bytes()).find("link", rel="alternate", type="application/atom+xml")
        assert link["href"] == "/feed.xml", path


def test_an_empty_feed_does_not_depend_on_the_machines_time_zone(make_site, monkeypatch):
    feeds = []
    for zone in ("Asia/Tokyo", "America/New_York"):
        site = make_site()
        with monkeypatch.context() as patch:
            patch.setenv("TZ", zone)
            time.tzset()
            try:
                site.built()
            finally:
                patch.undo()
                time.tzset()
        feeds.append(site.file("feed.xml").read_bytes())
        assert site.feed().entries == []
    assert feeds[0] == feeds[1]


_FRAGMENTS = [
    'href="/',
    'src="/',
    '="//',
    '="/',
    "href",
    "src",
    "data-",
    "x",
    "_",
    "é",
    " ",
    "\n",
    "<a ",
    '"',
    "/",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
def test_feed_links_are_made_absolute_wherever_they_stand(html: str) -> None:
    # The plain pattern it replaces, for speed: both must agree on every text.
    expected = re.sub(r'\b(href|src)="/(?!/)', r'\1="https://example.org/', html)
    assert absolute_links(html, "https://example.org") == expected
