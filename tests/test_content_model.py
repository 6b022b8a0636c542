"""Which edition an article is in, in what order, and which pages the briefing has.

The site's time zone is Los Angeles (see conftest); the build clock is 2026-03-20 12:00 UTC.
"""

from __future__ import annotations

from conftest import article


def card_titles(page) -> list[str]:
    return [a.get_text() for a in page.select(".edition-articles .card-title a")]


def test_an_article_belongs_to_the_edition_of_its_folder(make_site):
    site = make_site({"content/2026-03-17/rates.md": article("Rates", date="2026-03-16T23:00:00")})
    site.built()
    assert site.exists("2026/03/17/rates/")
    assert card_titles(site.page("2026/03/17/")) == ["Rates"]
    assert not site.exists("2026/03/16/")


def test_article_in_beijing_time_filed_next_morning_belongs_to_that_edition(make_site):
    # 11:00 in Beijing on the 17th is 20:00 on the 16th in Los Angeles; the editor filed it
    # under the next morning's folder, so it is in the 17th's edition.
    xi = article("Xi to visit Moscow", date="2026-03-17T11:00:00+08:00")
    site = make_site({"content/2026-03-17/xi.md": xi}).built()
    assert card_titles(site.page("2026/03/17/")) == ["Xi to visit Moscow"]
    assert site.exists("2026/03/17/xi/")
    assert not site.exists("2026/03/16/")


def test_article_outside_a_day_folder_joins_the_edition_of_its_date_in_the_site_time_zone(
    make_site,
):
    xi = article("Xi to visit Moscow", date="2026-03-17T11:00:00+08:00")
    site = make_site({"content/wire/xi.md": xi}).built()
    assert card_titles(site.page("2026/03/16/")) == ["Xi to visit Moscow"]
    assert site.exists("2026/03/16/xi/")
    assert not site.exists("2026/03/17/")


def test_a_date_without_offset_is_read_in_the_site_time_zone(make_site):
    site = make_site({"content/wire/late.md": article("Late", date="2026-03-16T23:30:00")})
    page = site.built().page("2026/03/16/late/")
    assert page.select_one(".timestamps time")["datetime"] == "2026-03-16T23:30:00-07:00"


def test_edition_field_overrides_the_folder(make_site):
    moved = article("Moved", date="2026-03-17T08:00:00", edition="2026-03-18")
    site = make_site(
        {
            "content/2026-03-17/moved.md": moved,
            "content/2026-03-17/stays.md": article("Stays", date="2026-03-17T08:00:00"),
        }
    ).built()
    assert card_titles(site.page("2026/03/18/")) == ["Moved"]
    assert card_titles(site.page("2026/03/17/")) == ["Stays"]
    assert site.exists("2026/03/18/moved/")


def test_an_edition_field_that_is_not_a_day_is_an_error(make_site):
    result = make_site(
        {"content/2026-03-17/a.md": article("A", date="2026-03-17", edition="../../etc")}
    ).build()
    assert result.code == 1
    assert result.errors == [
        'content/2026-03-17/a.md:4: edition: "../../etc" is not a date '
        "(Invalid isoformat string: '../../etc')"
    ]


def test_edition_order_follows_weight_then_newest_first(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("Unweighted early", date="2026-03-17T06:00:00"),
            "content/2026-03-17/b.md": article("Unweighted late", date="2026-03-17T09:00:00"),
            "content/2026-03-17/c.md": article("Second", date="2026-03-17T05:00:00", weight="2"),
            "content/2026-03-17/d.md": article("First", date="2026-03-17T04:00:00", weight="1"),
        }
    ).built()
    expected = ["First", "Second", "Unweighted late", "Unweighted early"]
    assert card_titles(site.page("2026/03/17/")) == expected
    assert card_titles(site.page("")) == expected


def test_previous_and_next_stay_inside_the_edition(make_site):
    site = make_site(
        {
            "content/2026-03-16/other.md": article("Other day", date="2026-03-16T09:00:00"),
            "content/2026-03-17/a.md": article("One", date="2026-03-17T01:00:00", weight="1"),
            "content/2026-03-17/b.md": article("Two", date="2026-03-17T02:00:00", weight="2"),
            "content/2026-03-17/c.md": article("Three", date="2026-03-17T03:00:00", weight="3"),
        }
    ).built()

    def neighbours(path: str) -> tuple[str | None, str | None]:
        pager = site.page(path).select_one("nav.pager")
        prev, nxt = pager.select_one("a[rel=prev]"), pager.select_one("a[rel=next]")
        return (prev["href"] if prev else None, nxt["href"] if nxt else None)

    assert neighbours("2026/03/17/a/") == (None, "/2026/03/17/b/")
    assert neighbours("2026/03/17/b/") == ("/2026/03/17/a/", "/2026/03/17/c/")
    assert neighbours("2026/03/17/c/") == ("/2026/03/17/b/", None)
    assert neighbours("2026/03/16/other/") == (None, None)


def test_edition_note_shows_on_home_and_edition_page(make_site):
    site = make_site(
        {
            "content/2026-03-17/_edition.md": """\
            ---
            title: "Tuesday: rates rise"
            summary: The central bank moves.
            ---

            Good morning. *Three* things today.
            """,
            "content/2026-03-17/a.md": article("Rates", date="2026-03-17T06:00:00"),
        }
    ).built()
    for path in ("", "2026/03/17/"):
        page = site.page(path)
        assert page.h1.get_text() == "Tuesday: rates rise"
        assert page.select_one(".edition-header .dek").get_text() == "The central bank moves."
        note = page.select_one(".editor-note")
        assert note.p.get_text() == "Good morning. Three things today."
        assert note.em.get_text() == "Three"
    assert site.page("2026/03/17/").title.get_text().startswith("Tuesday: rates rise")


def test_a_day_without_an_edition_note_is_still_an_edition(make_site):
    site = make_site({"content/2026-03-17/a.md": article("Rates", date="2026-03-17")}).built()
    page = site.page("2026/03/17/")
    assert page.select_one(".editor-note") is None
    assert card_titles(page) == ["Rates"]


def test_an_edition_note_outside_a_day_folder_is_an_error(make_site):
    result = make_site({"content/misc/_edition.md": "---\ntitle: Lost\n---\n"}).build()
    assert result.code == 1
    assert result.errors == [
        "content/misc/_edition.md:1: an edition note must be in a day folder like "
        "content/2023-03-17/"
    ]


def test_home_shows_the_latest_published_edition_in_full(make_site):
    site = make_site(
        {
            "content/2026-03-16/old.md": article("Old news", date="2026-03-16"),
            "content/2026-03-18/new.md": article(
                "New news", date="2026-03-18T07:00:00", summary="The dek.", byline="Ann Lee"
            ),
            "content/2026-03-18/two.md": article("Second story", date="2026-03-18T06:00:00"),
            "content/2026-03-25/future.md": article("Not yet", date="2026-03-25"),
        }
    ).built()
    home = site.page("")
    assert card_titles(home) == ["New news", "Second story"]
    first = home.select_one(".edition-articles .card")
    assert first.select_one(".summary").get_text() == "The dek."
    assert first.select_one(".byline").get_text() == "By Ann Lee"
    assert home.select_one(".edition-date time")["datetime"] == "2026-03-18"


def test_curated_link_has_no_page_and_links_straight_to_the_source(make_site):
    site = make_site(
        {
            "content/2026-03-17/npr-xi.md": """\
            ---
            title: Xi to visit Moscow
            date: 2026-03-17T06:00:00
            summary: China's leader heads to Russia in a show of support.
            credit: Reporting by Emily Feng
            copyright: Copyright 2023 NPR
            source:
              name: NPR
              url: https://www.npr.org/2023/03/17/xi-moscow
            ---
            """,
            "content/2026-03-17/own.md": article("Our story", date="2026-03-17T05:00:00"),
        }
    ).built()
    assert not site.exists("2026/03/17/npr-xi/")
    card = site.page("2026/03/17/").select_one(".card-link")
    assert card.select_one(".card-title a")["href"] == "https://www.npr.org/2023/03/17/xi-moscow"
    assert card.select_one(".card-source").get_text() == "(NPR)"
    assert card.select_one(".summary").get_text().startswith("China's leader")
    assert card.select_one(".credit-line").get_text() == "Reporting by Emily Feng"
    assert card.select_one(".copyright-line").get_text() == "Copyright 2023 NPR"
    # The article page's pager skips the link: our story has no neighbours.
    assert site.page("2026/03/17/own/").select("nav.pager a[rel]") == []
    entry = next(e for e in site.feed().entries if e.title == "Xi to visit Moscow")
    assert entry.link == "https://www.npr.org/2023/03/17/xi-moscow"
    assert "show of support" in entry.content[0].value
    assert "Reporting by Emily Feng" in entry.content[0].value
    assert entry.rights == "Copyright 2023 NPR"


def test_an_article_with_source_and_a_body_gets_its_own_page(make_site):
    text = article(
        "Syndicated",
        date="2026-03-17",
        summary="Dek.",
        body="Full text republished.",
    ).replace("---\n\n", "source:\n  name: AP\n  url: https://apnews.com/x\n---\n\n", 1)
    site = make_site({"content/2026-03-17/s.md": text}).built()
    assert site.exists("2026/03/17/s/")


def test_pages_under_content_pages_render_at_their_name(make_site):
    site = make_site(
        {
            "content/pages/about.md": "---\ntitle: About us\nsummary: Who we are.\n---\n\nHi.\n",
            "content/pages/ethics.md": "---\ntitle: Ethics\n---\n\nRules.\n",
        }
    ).built()
    about = site.page("about/")
    assert about.h1.get_text() == "About us"
    assert about.select_one(".dek").get_text() == "Who we are."
    assert about.select_one(".article-body p").get_text() == "Hi."
    assert site.page("ethics/").h1.get_text() == "Ethics"
    assert site.page("trust/").h1.get_text() == "Why you can trust us"


def test_a_page_named_like_a_briefing_folder_is_refused(make_site):
    result = make_site({"content/pages/archive.md": "---\ntitle: Mine\n---\n"}).build()
    assert result.code == 1
    assert result.errors[0].startswith("content/pages/archive.md:1: a page can't be called")


def test_archive_groups_editions_by_month_newest_first(make_site):
    site = make_site(
        {
            "content/2026-01-30/a.md": article("Jan A", date="2026-01-30"),
            "content/2026-02-02/b.md": article("Feb B", date="2026-02-02"),
            "content/2026-02-14/c.md": article("Feb C", date="2026-02-14"),
            "content/2026-02-14/c2.md": article("Feb C2", date="2026-02-14"),
            "content/2026-03-01/d.md": article("Mar D", date="2026-03-01"),
        }
    ).built()
    archive = site.page("archive/")
    months = archive.select(".archive-month")
    assert [m.h2.get_text() for m in months] == ["March 2026", "February 2026", "January 2026"]
    february = [(a["href"], a.time["datetime"]) for a in months[1].select("li > a")]
    assert february == [("/2026/02/14/", "2026-02-14"), ("/2026/02/02/", "2026-02-02")]
    assert months[1].select(".count")[0].get_text() == "(2 stories)"
    assert months[1].select(".count")[1].get_text() == "(1 story)"


def test_section_and_tag_pages_list_their_articles_newest_first(make_site):
    site = make_site(
        {
            "content/2026-03-16/a.md": article(
                "Older", date="2026-03-16", section="World News", tags="[China, Trade]"
            ),
            "content/2026-03-17/b.md": article(
                "Newer", date="2026-03-17", section="World News", tags="[china]"
            ),
            "content/2026-03-17/c.md": article("Sport", date="2026-03-17", section="Sport"),
        }
    ).built()
    world = site.page("sections/world-news/")
    assert world.h1.get_text() == "World News"
    assert [a.get_text() for a in world.select(".card-title a")] == ["Newer", "Older"]
    china = site.page("tags/china/")
    assert [a.get_text() for a in china.select(".card-title a")] == ["Newer", "Older"]
    assert [a.get_text() for a in site.page("tags/trade/").select(".card-title a")] == ["Older"]
    sections = [a["href"] for a in site.page("sections/").select(".topic-list a")]
    assert sections == ["/sections/sport/", "/sections/world-news/"]
    nav = [a.get_text() for a in site.page("").select(".site-nav a")]
    assert nav == ["Today", "Archive", "Sport", "World News"]


def test_drafts_are_left_out_unless_asked_for(make_site):
    site = make_site(
        {
            "content/2026-03-17/ready.md": article("Ready", date="2026-03-17"),
            "content/2026-03-17/wip.md": article(
                "Work in progress", date="2026-03-17", draft="true"
            ),
            "content/pages/secret.md": "---\ntitle: Secret\ndraft: true\n---\n",
        }
    )
    site.built()
    assert not site.exists("2026/03/17/wip/")
    assert not site.exists("secret/")
    assert [e.title for e in site.feed().entries] == ["Ready"]
    assert not any("wip" in loc for loc in site.sitemap())
    site.built("--drafts")
    assert site.exists("2026/03/17/wip/")
    assert site.exists("secret/")
    assert "Work in progress" in card_titles(site.page("2026/03/17/"))


def test_future_articles_are_left_out_unless_asked_for(make_site):
    site = make_site(
        {
            "content/2026-03-19/now.md": article("Published", date="2026-03-19"),
            "content/2026-03-20/later.md": article("Embargoed", date="2026-03-20T06:00:00"),
        }
    )
    site.built()  # 06:00 in Los Angeles is 13:00 UTC, after the clock's 12:00
    assert not site.exists("2026/03/20/later/")
    assert card_titles(site.page("")) == ["Published"]
    assert [e.title for e in site.feed().entries] == ["Published"]
    site.built("--future")
    assert site.exists("2026/03/20/later/")
    assert card_titles(site.page("")) == ["Embargoed"]


def test_two_articles_on_one_url_is_an_error_naming_both_files(make_site):
    result = make_site(
        {
            "content/2026-03-17/xi.md": article("Xi", date="2026-03-17"),
            "content/2026-03-17/other.md": article("Other", date="2026-03-17", slug="xi"),
        }
    ).build()
    assert result.code == 1
    assert result.errors == [
        "content/2026-03-17/xi.md:1: has the same web address /2026/03/17/xi/ as "
        "content/2026-03-17/other.md"
    ]
    assert "add `slug: a-different-name`" in result.err


def test_an_edition_field_moving_an_article_onto_another_is_a_collision(make_site):
    result = make_site(
        {
            "content/2026-03-17/xi.md": article("Xi", date="2026-03-17", edition="2026-03-18"),
            "content/2026-03-18/xi.md": article("Xi again", date="2026-03-18"),
        }
    ).build()
    assert result.errors == [
        "content/2026-03-18/xi.md:1: has the same web address /2026/03/18/xi/ as "
        "content/2026-03-17/xi.md"
    ]


def test_article_names_differing_only_by_case_collide(make_site):
    result = make_site(
        {
            "content/2026-03-17/Xi.md": article("Upper", date="2026-03-17"),
            "content/2026-03-17/xi.md": article("Lower", date="2026-03-17"),
        }
    ).build()
    assert result.code == 1
    assert result.errors == [
        "content/2026-03-17/xi.md:1: has the same web address /2026/03/17/xi/ as "
        "content/2026-03-17/Xi.md"
    ]


def test_article_names_differing_only_by_unicode_normalisation_collide(make_site):
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    result = make_site(
        {
            f"content/2026-03-17/{composed}.md": article("One", date="2026-03-17"),
            f"content/2026-03-17/{decomposed}.md": article("Two", date="2026-03-17"),
        }
    ).build()
    assert result.code == 1
    assert len(result.errors) == 1
    assert f"content/2026-03-17/{composed}.md" in result.errors[0]
    assert f"content/2026-03-17/{decomposed}.md" in result.errors[0]
    assert ":1: has the same web address" in result.errors[0]


def test_two_slugs_differing_only_by_case_collide_on_the_slug_line(make_site):
    result = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", slug="Rates"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", slug="rates"),
        }
    ).build()
    assert result.errors == [
        "content/2026-03-17/b.md:4: has the same web address /2026/03/17/rates/ as "
        "content/2026-03-17/a.md"
    ]


def test_a_page_and_an_edition_article_never_share_an_address(make_site):
    result = make_site(
        {
            "content/pages/about.md": "---\ntitle: About\n---\n",
            "content/about.md": article("About", date="2026-03-17", edition="2026-03-17"),
        }
    ).build()
    assert result.code == 0, result.err


def test_sections_differing_only_by_case_share_one_page(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", section="World"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", section="world"),
        }
    ).built()
    titles = [a.get_text() for a in site.page("sections/world/").select(".card-title a")]
    assert sorted(titles) == ["A", "B"]


def test_a_time_written_with_another_offset_is_shown_in_the_site_time_zone(make_site):
    xi = article("Xi", date="2026-03-17T11:00:00+08:00")
    page = make_site({"content/2026-03-17/xi.md": xi}).built().page("2026/03/17/xi/")
    published = page.select_one(".timestamps time")
    assert published["datetime"] == "2026-03-17T11:00:00+08:00"
    assert published.get_text() == "Monday, March 16, 2026, 8:00 p.m."


def test_edition_pages_link_to_the_older_and_newer_editions(make_site):
    site = make_site(
        {
            f"content/2026-03-{day}/a.md": article(f"Day {day}", date=f"2026-03-{day}")
            for day in ("14", "16", "17")
        }
    ).built()

    def pager(path: str) -> tuple[str | None, str | None]:
        nav = site.page(path).select_one("nav.pager")
        older, newer = nav.select_one("a[rel=prev]"), nav.select_one("a[rel=next]")
        return (older["href"] if older else None, newer["href"] if newer else None)

    assert pager("2026/03/17/") == ("/2026/03/16/", None)
    assert pager("2026/03/16/") == ("/2026/03/14/", "/2026/03/17/")
    assert pager("2026/03/14/") == (None, "/2026/03/16/")


def test_a_long_tag_listing_is_split_into_linked_pages(make_site):
    files = {
        f"content/2026-03-{1 + n // 4:02d}/s{n}.md": article(
            f"Story {n}", date=f"2026-03-{1 + n // 4:02d}T{n % 4 + 1:02d}:00:00", tags="[busy]"
        )
        for n in range(55)
    }
    site = make_site(files).built()
    first, second = site.page("tags/busy/"), site.page("tags/busy/page/2/")
    assert len(first.select(".card")) == 50
    assert len(second.select(".card")) == 5
    assert first.select_one("a[rel=next]")["href"] == "/tags/busy/page/2/"
    assert second.select_one("a[rel=prev]")["href"] == "/tags/busy/"
    assert first.select_one(".card-title a").get_text() == "Story 54"
    assert second.select(".card-title a")[-1].get_text() == "Story 0"
