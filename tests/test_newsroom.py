"""What search engines, link previews and feed readers get from a briefing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import feedparser
from bs4 import BeautifulSoup
from conftest import SiteDir, article, photo

SYNDICATED = """\
---
title: Xi to visit Moscow </script><script>alert(1)</script>
date: 2026-03-19T09:00:00+08:00
summary: A show of support.
byline: [Jane Reporter, Sam Writer]
dateline: BEIJING
section: World
tags: [china, russia]
weight: 1
image:
  src: xi.jpg
  alt: Two leaders shake hands
  caption: The leaders met in September.
  credit: AP
  creator: A. Photographer
copyright: Copyright 2026 NPR
source:
  name: NPR
  url: https://example.com/npr/xi-moscow
---

Chinese President Xi Jinping will visit Russia.
"""


def newsroom_site(make_site: Callable[..., SiteDir]) -> SiteDir:
    return make_site(
        {
            "content/2026-03-19/xi.md": SYNDICATED,
            "content/2026-03-19/xi.jpg": photo(1200, 800),
            "content/2026-03-19/rates.md": article(
                "Rates held", "2026-03-19T07:00:00", "Body.", section="Business", weight="2"
            ),
            "content/2026-03-10/old.md": article(
                "Old story", "2026-03-10T07:00:00", section="World"
            ),
        }
    ).built()


def json_ld(page: BeautifulSoup) -> list[dict[str, Any]]:
    return [json.loads(tag.string) for tag in page.select('script[type="application/ld+json"]')]


def test_article_page_carries_news_article_structured_data(
    make_site: Callable[..., SiteDir],
) -> None:
    site = newsroom_site(make_site)
    [data] = json_ld(site.page("2026/03/19/xi/"))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Xi to visit Moscow </script><script>alert(1)</script>"
    assert data["datePublished"] == "2026-03-19T09:00:00+08:00"
    assert data["dateModified"] == "2026-03-19T09:00:00+08:00"
    assert [a["name"] for a in data["author"]] == ["Jane Reporter", "Sam Writer"]
    assert data["publisher"]["name"] == "The Test Briefing"
    assert data["isAccessibleForFree"] is True
    assert data["copyrightHolder"]["name"] == "NPR"
    assert data["copyrightNotice"] == "Copyright 2026 NPR"
    assert data["articleSection"] == "World"
    assert data["keywords"] == ["china", "russia"]
    assert data["mainEntityOfPage"]["@id"] == "https://example.org/2026/03/19/xi/"
    assert data["isBasedOn"] == "https://example.com/npr/xi-moscow"
    [image] = data["image"]
    assert image["url"] == "https://example.org/2026/03/19/xi.jpg"
    assert image["creditText"] == "AP"
    assert (image["width"], image["height"]) == (1200, 800)


def test_a_script_tag_in_a_headline_cannot_break_out_of_the_json(
    make_site: Callable[..., SiteDir],
) -> None:
    site = newsroom_site(make_site)
    html = site.file("2026/03/19/xi/").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    page = site.page("2026/03/19/xi/")
    scripts = [s for s in page.find_all("script") if s.get("type") != "application/ld+json"]
    assert all(s.get("src") for s in scripts), "only the theme's own script files"


def test_edition_is_an_item_list_of_its_stories_in_order(make_site: Callable[..., SiteDir]) -> None:
    [data] = json_ld(newsroom_site(make_site).page("2026/03/19/"))
    assert data["@type"] == "CollectionPage"
    items = data["mainEntity"]["itemListElement"]
    assert [(i["position"], i["url"]) for i in items] == [
        (1, "https://example.org/2026/03/19/xi/"),
        (2, "https://example.org/2026/03/19/rates/"),
    ]


def test_home_page_describes_the_site_and_its_publisher(make_site: Callable[..., SiteDir]) -> None:
    types = [d["@type"] for d in json_ld(newsroom_site(make_site).page(""))]
    assert types == ["WebSite", "Organization"]


def test_link_previews_use_absolute_urls_and_the_photo(make_site: Callable[..., SiteDir]) -> None:
    page = newsroom_site(make_site).page("2026/03/19/xi/")

    def prop(name: str) -> str:
        tag = page.find("meta", attrs={"property": name}) or page.find("meta", attrs={"name": name})
        assert tag is not None, name
        return str(tag["content"])

    assert prop("og:type") == "article"
    assert prop("og:url") == "https://example.org/2026/03/19/xi/"
    assert prop("og:image") == "https://example.org/2026/03/19/xi.jpg"
    assert prop("og:image:alt") == "Two leaders shake hands"
    assert prop("twitter:card") == "summary_large_image"
    assert prop("article:section") == "World"
    # The canonical link credits the original publisher.
    assert page.find("link", rel="canonical")["href"] == "https://example.com/npr/xi-moscow"


def test_every_page_has_preview_tags(make_site: Callable[..., SiteDir]) -> None:
    site = newsroom_site(make_site)
    for path in site.html_pages():
        page = BeautifulSoup(path.read_bytes(), "html.parser")
        og_url = page.find("meta", attrs={"property": "og:url"})
        assert og_url is not None and og_url["content"].startswith("https://example.org/"), path


def test_news_sitemap_lists_only_the_last_two_days(make_site: Callable[..., SiteDir]) -> None:
    site = newsroom_site(make_site)
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    root = ET.parse(site.file("news-sitemap.xml")).getroot()
    entries = {
        url.findtext("s:loc", namespaces=ns): url.findtext("n:news/n:title", namespaces=ns)
        for url in root.findall("s:url", ns)
    }
    assert set(entries) == {
        "https://example.org/2026/03/19/xi/",
        "https://example.org/2026/03/19/rates/",
    }


def test_json_feed_matches_the_atom_feed(make_site: Callable[..., SiteDir]) -> None:
    site = newsroom_site(make_site)
    feed = json.loads(site.file("feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://example.org/feed.json"
    atom = site.feed()
    assert [item["id"] for item in feed["items"]] == [entry.id for entry in atom.entries]
    [xi] = [item for item in feed["items"] if item["title"].startswith("Xi")]
    assert xi["external_url"] == "https://example.com/npr/xi-moscow"
    assert xi["image"] == "https://example.org/2026/03/19/xi.jpg"
    assert xi["tags"] == ["World", "china", "russia"]
    assert xi["date_published"] == "2026-03-19T09:00:00+08:00"


def test_feed_ids_are_stable_across_builds(make_site: Callable[..., SiteDir]) -> None:
    site = newsroom_site(make_site)
    first = [entry.id for entry in site.feed().entries]
    site.write("content/2026-03-19/rates.md", article("Rates held again", "2026-03-19T07:00:00"))
    assert site.build().code == 0
    assert [entry.id for entry in site.feed().entries] == first


def test_each_section_has_its_own_feed(make_site: Callable[..., SiteDir]) -> None:
    site = newsroom_site(make_site)
    world = feedparser.parse(site.file("sections/world/feed.xml").read_bytes())
    assert not world.bozo
    assert world.feed.title == "The Test Briefing: World"
    assert [e.title for e in world.entries] == [
        "Xi to visit Moscow </script><script>alert(1)</script>",
        "Old story",
    ]


def test_credits_page_lists_every_photo_and_syndicated_story(
    make_site: Callable[..., SiteDir],
) -> None:
    page = newsroom_site(make_site).page("credits/")
    text = page.get_text(" ", strip=True)
    assert "A. Photographer / AP" in text
    assert "The leaders met in September." in text
    assert "from NPR . Copyright 2026 NPR" in text or "from NPR. Copyright 2026 NPR" in text
    links = [a["href"] for a in page.select("main a")]
    assert "/2026/03/19/xi/" in links
    assert "https://example.com/npr/xi-moscow" in links


def test_credits_of_a_large_archive_are_split_into_pages_a_phone_can_load(
    make_site: Callable[..., SiteDir], monkeypatch: Any
) -> None:
    import briefing.render

    monkeypatch.setattr(briefing.render, "CREDITS_PER_PAGE", 2)
    files: dict[str, str | bytes] = {}
    for day in range(1, 6):
        files[f"content/2026-03-1{day}/shot.jpg"] = photo()
        image = f"{{src: shot.jpg, alt: Scene, caption: Scene {day}., credit: Agency {day}}}"
        files[f"content/2026-03-1{day}/story.md"] = article(
            f"Story {day}", f"2026-03-1{day}T09:00:00", image=image
        )
    site = make_site(files).built()

    pages = [site.page("credits/"), site.page("credits/page/2/"), site.page("credits/page/3/")]
    assert not site.exists("credits/page/4/")
    credits = [
        [li.get_text(" ", strip=True) for li in page.select("#photo-credits + ul li")]
        for page in pages
    ]
    assert [len(listed) for listed in credits] == [2, 2, 1]
    shown = " ".join(" ".join(listed) for listed in credits)
    for day in range(1, 6):  # each credit once, newest first
        assert shown.count(f"Agency {day}") == 1
    assert shown.index("Agency 5") < shown.index("Agency 1")
    assert pages[0].select_one('.pager a[rel="next"]')["href"] == "/credits/page/2/"
    assert pages[2].select_one('.pager a[rel="prev"]')["href"] == "/credits/page/2/"
    assert "(page 3)" in pages[2].select_one("h1").get_text()
