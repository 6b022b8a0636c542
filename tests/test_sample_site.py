"""The repository is itself a briefing: it builds cleanly and reads like one.

Built into a temporary folder with the clock the day after the last edition, so the
repository's own public/ is never touched.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import feedparser
import pytest
from conftest import broken_links, run_cli, snapshot, soup

REPOSITORY = Path(__file__).resolve().parent.parent
ORIGIN = "https://briefing.example.org"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "public"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1795824000")  # 2026-11-28 00:00 UTC
        result = run_cli("build", REPOSITORY, "--out", out)
    assert result.code == 0, result.err
    assert result.err == "", "the sample site must build without a single warning"
    return out


def page(out: Path, site_path: str):
    return soup((out / site_path / "index.html").read_bytes())


def test_sample_site_checks_clean(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795824000")
    result = run_cli("check", REPOSITORY)
    assert (result.code, result.err) == (0, "")


def test_sample_site_has_no_broken_internal_links(sample):
    assert broken_links(sample, ORIGIN) == []


def test_sample_site_has_three_or_more_consecutive_days_of_four_to_six_articles(sample):
    days = sorted(
        date(int(p.parts[-3]), int(p.parts[-2]), int(p.parts[-1]))
        for p in sample.glob("20[0-9][0-9]/[01][0-9]/[0-3][0-9]")
    )
    assert len(days) >= 3
    longest = run = 1
    for earlier, later in pairwise(days):
        run = run + 1 if (later - earlier).days == 1 else 1
        longest = max(longest, run)
    assert longest >= 3, days
    for day in days:
        edition = page(sample, f"{day:%Y/%m/%d}")
        count = len(edition.select(".edition-articles article"))
        assert 4 <= count <= 6, (day, count)


def test_sample_site_spans_several_sections_with_real_images(sample):
    sections = [p.name for p in (sample / "sections").iterdir() if p.is_dir()]
    assert len(sections) >= 3
    images = [p for p in sample.rglob("*") if p.suffix in (".jpg", ".png", ".webp", ".svg")]
    assert len(images) >= 5
    for image in images:
        assert image.stat().st_size > 1000, image


def test_sample_articles_have_captions_credits_and_copyright_lines(sample):
    latest = page(sample, "")
    links = [a["href"] for a in latest.select(".edition-articles .card-title a")]
    internal = [link for link in links if link.startswith("/")]
    assert internal
    with_figure = with_copyright = 0
    for link in internal:
        article = page(sample, link.strip("/"))
        figure = article.select_one("figure.figure-lead")
        if figure is not None:
            with_figure += 1
            assert figure.img["alt"], link
            assert figure.figcaption.select_one(".caption").get_text(strip=True), link
            assert figure.figcaption.select_one(".credit").get_text(strip=True), link
        if article.select_one(".copyright-line"):
            with_copyright += 1
    assert with_figure >= 3
    assert with_copyright >= 3


def test_sample_home_has_the_edition_note_and_about_and_trust_pages_exist(sample):
    home = page(sample, "")
    assert home.select_one(".editor-note p").get_text(strip=True)
    assert page(sample, "about").h1.get_text(strip=True)
    trust = page(sample, "trust")
    assert "trust" in trust.h1.get_text().lower()
    assert home.select_one(".site-footer .trust a")["href"] == "/trust/"


def test_sample_feed_parses_cleanly(sample):
    feed = feedparser.parse((sample / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) >= 10


def test_sample_site_builds_byte_identically_twice(sample, rebuilt):
    def pages(files: dict[str, bytes]) -> dict[str, bytes]:
        return {name: data for name, data in files.items() if not name.startswith("pagefind/")}

    assert pages(snapshot(rebuilt)) == pages(snapshot(sample))


def test_the_search_index_is_byte_identical_too(sample, rebuilt):
    assert snapshot(rebuilt / "pagefind") == snapshot(sample / "pagefind")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    again = tmp_path_factory.mktemp("again") / "public"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1795824000")
        assert run_cli("build", REPOSITORY, "--out", again).code == 0
    return again
