"""What a reader sees on the built pages: the article page field by field, the chrome of every
page, images and files copied from content/, and themes that override the built-in one."""

from __future__ import annotations

import re

import pytest
from conftest import article, photo, picture_size, soup

XI = """\
---
title: Xi to visit Moscow in show of support for Putin
date: 2026-03-17T06:45:00-07:00
updated: 2026-03-17T08:30:00-07:00
summary: China's leader heads to Russia amid tensions over Ukraine.
byline: [Emily Feng, John Ruwitch, Charles Maynes]
dateline: BEIJING
section: World
tags: [China, Russia]
image:
  src: xi-putin.jpg
  alt: Xi Jinping and Vladimir Putin pose for a photo in Samarkand.
  caption: The two leaders met in Samarkand, Uzbekistan, in September.
  credit: AP
  creator: Sergei Bobylev
  license: https://creativecommons.org/licenses/by/4.0/
credit: Additional reporting by Ann Lee
copyright: Copyright 2023 NPR
source:
  name: NPR
  url: https://www.npr.org/2023/03/17/xi-moscow
corrections:
  - date: 2026-03-18
    text: An earlier version misstated the length of the visit.
mood: sombre
---

Chinese President Xi Jinping will visit Russia from Monday to Wednesday.

Russia's invasion of Ukraine is expected to dominate discussions.
"""

JPEG = photo(120, 80)


def xi_site(make_site, **more):
    return make_site(
        {"content/2026-03-17/xi.md": XI, "content/2026-03-17/xi-putin.jpg": JPEG, **more}
    ).built()


def test_article_page_shows_headline_and_dek(make_site):
    page = xi_site(make_site).page("2026/03/17/xi/")
    assert [h.get_text() for h in page.find_all("h1")] == [
        "Xi to visit Moscow in show of support for Putin"
    ]
    assert page.select_one(".article-header .dek").get_text() == (
        "China's leader heads to Russia amid tensions over Ukraine."
    )
    assert page.title.get_text() == (
        "Xi to visit Moscow in show of support for Putin · The Test Briefing"
    )
    description = page.find("meta", attrs={"name": "description"})
    assert description["content"] == "China's leader heads to Russia amid tensions over Ukraine."


def test_byline_lists_every_name(make_site):
    page = xi_site(make_site).page("2026/03/17/xi/")
    byline = page.select_one(".article-header .byline")
    assert [a.get_text() for a in byline.select(".author")] == [
        "Emily Feng",
        "John Ruwitch",
        "Charles Maynes",
    ]
    assert byline.get_text() == "By Emily Feng, John Ruwitch and Charles Maynes"


def test_a_single_byline_string_is_one_author(make_site):
    site = make_site(
        {"content/2026-03-17/a.md": article("A", date="2026-03-17", byline="Ann Lee")}
    ).built()
    assert site.page("2026/03/17/a/").select_one(".byline").get_text() == "By Ann Lee"


def test_dateline_opens_the_first_paragraph(make_site):
    body = xi_site(make_site).page("2026/03/17/xi/").select_one(".article-body")
    first = body.find("p")
    assert first.contents[0].name == "span"
    assert first.contents[0].get_text() == "BEIJING —"
    assert first.get_text() == (
        "BEIJING — Chinese President Xi Jinping will visit Russia from Monday to Wednesday."
    )
    assert len(body.select(".dateline")) == 1


def test_published_and_updated_times_are_machine_readable(make_site):
    page = xi_site(make_site).page("2026/03/17/xi/")
    times = page.select(".article-header .timestamps time")
    assert [t["datetime"] for t in times] == [
        "2026-03-17T06:45:00-07:00",
        "2026-03-17T08:30:00-07:00",
    ]
    assert times[0].get_text() == "Tuesday, March 17, 2026, 6:45 a.m."
    assert page.select_one(".updated").get_text().startswith("Updated")


def test_section_is_a_link_to_its_listing(make_site):
    page = xi_site(make_site).page("2026/03/17/xi/")
    kicker = page.select_one(".article-header .kicker a")
    assert (kicker.get_text(), kicker["href"]) == ("World", "/sections/world/")


def test_figure_has_alt_text_caption_credit_and_an_enlarge_link(make_site):
    site = xi_site(make_site)
    figure = site.page("2026/03/17/xi/").select_one("figure.figure-lead")
    img = figure.img
    assert img["src"] == "/2026/03/17/xi-putin.jpg"
    assert img["alt"] == "Xi Jinping and Vladimir Putin pose for a photo in Samarkand."
    caption = figure.figcaption
    assert caption.select_one(".caption").get_text() == (
        "The two leaders met in Samarkand, Uzbekistan, in September."
    )
    credit = caption.select_one(".credit")
    assert credit.get_text() == "Sergei Bobylev / AP (license)"
    assert credit.a["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert credit.a["rel"] == ["license"]
    # Enlarging works without JavaScript: a plain link to the full image, with a name.
    enlarge = figure.select_one("a.enlarge")
    assert enlarge["href"] == img["src"]
    assert enlarge.get_text(strip=True) == "Enlarge this image"
    assert picture_size(site.file("2026/03/17/xi-putin.jpg")) == (120, 80)


def test_corrections_are_listed_with_their_dates(make_site):
    corrections = xi_site(make_site).page("2026/03/17/xi/").select_one("section.corrections")
    assert corrections.h2.get_text() == "Corrections"
    items = corrections.select("li")
    assert len(items) == 1
    assert items[0].time["datetime"] == "2026-03-18"
    assert (
        items[0].get_text() == "Mar 18, 2026: An earlier version misstated the length of the visit."
    )


def test_syndicated_article_credits_the_source_and_points_canonical_there(make_site):
    page = xi_site(make_site).page("2026/03/17/xi/")
    attribution = page.select_one(".attribution")
    assert attribution.get_text() == "Originally published by NPR."
    assert attribution.a["href"] == "https://www.npr.org/2023/03/17/xi-moscow"
    canonical = page.find_all("link", rel="canonical")
    assert [c["href"] for c in canonical] == ["https://www.npr.org/2023/03/17/xi-moscow"]


def test_own_article_is_its_own_canonical(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")}).built()
    canonical = site.page("2026/03/17/a/").find("link", rel="canonical")
    assert canonical["href"] == "https://example.org/2026/03/17/a/"


def test_copyright_credit_and_tags_close_the_article(make_site):
    footer = xi_site(make_site).page("2026/03/17/xi/").select_one(".article-footer")
    assert footer.select_one(".copyright-line").get_text() == "Copyright 2023 NPR"
    assert footer.select_one(".credit-line").get_text() == "Additional reporting by Ann Lee"
    tags = [(a.get_text(), a["href"]) for a in footer.select(".tags a")]
    assert tags == [("China", "/tags/china/"), ("Russia", "/tags/russia/")]


def test_every_page_has_a_skip_link_a_language_and_the_footer(make_site):
    site = xi_site(
        make_site,
        **{
            "content/2026-03-16/b.md": article("B", date="2026-03-16", section="Sport"),
            "content/pages/about.md": "---\ntitle: About\n---\n\nUs.\n",
        },
    )
    pages = site.html_pages()
    assert len(pages) >= 12
    for path in pages:
        page = soup(path.read_bytes())
        where = path.relative_to(site.out)
        assert page.html["lang"] == "en-GB", where
        skip = page.body.find("a")
        assert skip.get_text() == "Skip to main content", where
        assert page.find(id=skip["href"][1:]).name == "main", where
        footer = page.select_one("footer.site-footer")
        trust = footer.select_one(".trust a")
        assert (trust.get_text(), trust["href"]) == ("Why you can trust us", "/trust/"), where
        assert footer.select_one(".copyright").get_text() == "© 2026 The Test Briefing", where
        assert len(page.find_all("h1")) == 1, where


def test_the_trust_link_can_be_a_web_address(make_site):
    yaml = "title: T\ntrust_url: https://standards.example.com/\ntrust_label: Our standards\n"
    site = make_site({"site.yaml": yaml, "content/pages/trust.md": None}).built()
    trust = site.page("").select_one(".site-footer .trust a")
    assert (trust.get_text(), trust["href"]) == ("Our standards", "https://standards.example.com/")


def test_404_page_exists_and_links_home(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")}).built()
    page = soup(site.file("404.html").read_bytes())
    assert page.h1.get_text() == "Page not found"
    assert page.select_one("main a")["href"] == "/"


def test_robots_txt_points_at_the_sitemap(make_site):
    site = make_site().built()
    lines = site.file("robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines
    assert "Sitemap: https://example.org/sitemap.xml" in lines


def test_an_empty_site_builds_a_home_page_that_says_so(make_site):
    site = make_site().built()
    assert "No editions yet" in site.page("").select_one("main").get_text()


def test_a_site_yaml_with_only_a_title_builds_with_defaults(make_site):
    site = make_site(
        {
            "site.yaml": "title: Minimal\n",
            "content/pages/trust.md": None,
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
        },
    ).built()
    page = site.page("2026/03/17/a/")
    assert page.html["lang"] == "en"
    assert page.select_one(".site-footer .trust") is None
    assert page.select_one(".timestamps time")["datetime"] == "2026-03-17T00:00:00+00:00"


def test_a_site_yaml_without_a_title_is_an_error(make_site):
    result = make_site({"site.yaml": "description: x\n"}).build()
    assert result.code == 1
    assert result.errors == ["site.yaml:1: title is missing"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "title: T: U\n",
            "site.yaml:1:9: site.yaml is not valid YAML: mapping values are not "
            "allowed in this context",
        ),
        ("- title\n- T\n", "site.yaml:1: site.yaml must be a list of `field: value` lines"),
        (
            "title: T\nfeed: 20\n",
            "site.yaml:2: feed should be a set of fields on indented lines below it",
        ),
        ("title: T\ntitle: U\n", "site.yaml:2: title appears twice (first on line 1)"),
    ],
)
def test_mistakes_in_site_yaml_name_site_yaml_and_the_line(make_site, text, error):
    result = make_site({"site.yaml": text}).build()
    assert result.code == 1
    assert result.errors == [error]
    assert "front matter" not in result.err


def test_a_misspelled_setting_in_site_yaml_is_a_warning(make_site):
    result = make_site({"site.yaml": "title: T\ntimezon: UTC\n"}).build()
    assert result.code == 0
    assert result.warnings == [
        "site.yaml:2: warning: unknown field 'timezon': did you mean 'timezone'?"
    ]


def test_an_unknown_time_zone_is_an_error(make_site):
    result = make_site({"site.yaml": "title: T\ntimezone: Mars/Olympus\n"}).build()
    assert result.errors == ['site.yaml:2: timezone: "Mars/Olympus" is not a time zone']


# Files under content/ and paths to them


def test_files_under_content_are_copied_to_the_matching_address(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "content/2026-03-17/chart.png": photo(40, 30, "PNG"),
            "content/shared/logo.svg": "<svg/>",
            "content/docs/report.pdf": b"%PDF-1.4",
        }
    ).built()
    assert picture_size(site.file("2026/03/17/chart.png")) == (40, 30)
    assert site.file("shared/logo.svg").read_text() == "<svg/>"
    assert site.file("docs/report.pdf").read_bytes() == b"%PDF-1.4"


def test_image_paths_relative_to_the_article_and_rooted_in_content_resolve(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": """\
            ---
            title: A
            date: 2026-03-17
            image:
              src: /shared/cranes.jpg
              alt: Cranes
            ---

            ![A chart](chart.png)

            ![Older photo](../2026-03-16/old.jpg)

            ![Logo](/shared/logo.png)
            """,
            "content/2026-03-17/chart.png": photo(kind="PNG"),
            "content/2026-03-16/old.jpg": photo(),
            "content/shared/cranes.jpg": photo(),
            "content/shared/logo.png": photo(kind="PNG"),
        }
    ).built()
    page = site.page("2026/03/17/a/")
    assert page.select_one("figure.figure-lead img")["src"] == "/shared/cranes.jpg"
    body_images = [img["src"] for img in page.select(".article-body img")]
    assert body_images == ["/2026/03/17/chart.png", "/2026/03/16/old.jpg", "/shared/logo.png"]
    for src in [*body_images, "/shared/cranes.jpg"]:
        assert site.exists(src.lstrip("/")), src
    card_image = site.page("2026/03/17/").select_one(".card-image")
    assert card_image["src"] == "/shared/cranes.jpg"


def test_an_image_on_the_web_is_used_as_is(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": "---\ntitle: A\ndate: 2026-03-17\nimage:\n"
            "  src: https://images.example.com/a.jpg\n  alt: A\n---\n"
        }
    ).built()
    img = site.page("2026/03/17/a/").select_one("figure img")
    assert img["src"] == "https://images.example.com/a.jpg"


def test_a_missing_image_is_an_error_on_the_src_line(make_site):
    result = make_site(
        {
            "content/2026-03-17/a.md": "---\ntitle: A\ndate: 2026-03-17\nimage:\n"
            "  src: nowhere.jpg\n  alt: Gone\n---\n"
        }
    ).build()
    assert result.code == 1
    assert result.errors == [
        "content/2026-03-17/a.md:5: image.src: there is no picture at "
        "content/2026-03-17/nowhere.jpg"
    ]


def test_theme_static_files_are_copied(make_site):
    site = make_site({"themes/default/static/extra.css": "body{}"}).built()
    assert site.file("static/extra.css").read_text() == "body{}"
    assert site.exists("static/style.css")
    stylesheet = site.page("").find("link", rel="stylesheet")
    assert stylesheet["href"] == "/static/style.css"


# Themes


def test_a_sites_own_single_template_overrides_the_built_in_one(make_site):
    override = """\
    {% extends "base.html" %}
    {% block main %}<h1 class="custom">{{ article.title }}</h1>{% endblock %}
    """
    site = make_site(
        {
            "content/2026-03-17/a.md": article("Own template", date="2026-03-17"),
            "themes/default/templates/article.html": override,
        }
    ).built()
    page = site.page("2026/03/17/a/")
    assert page.select_one("h1.custom").get_text() == "Own template"
    # Everything else still comes from the built-in theme.
    assert page.select_one(".skip-link") is not None
    assert site.page("2026/03/17/").select_one(".edition-articles") is not None


def test_unknown_front_matter_fields_reach_templates_through_extra(make_site):
    override = """\
    {% extends "base.html" %}
    {% block main %}<h1>{{ article.title }}</h1>
    <p class="mood">{{ article.extra.mood }}</p>
    <p class="score">{{ article.extra.score + 1 }}</p>
    <ul>{% for l in article.extra.links %}<li>{{ l.label }}</li>{% endfor %}</ul>
    {% endblock %}
    """
    text = """\
    ---
    title: Extra
    date: 2026-03-17
    mood: sombre
    score: 41
    links:
      - label: First
      - label: Second
    ---
    """
    site = make_site(
        {"content/2026-03-17/a.md": text, "themes/default/templates/article.html": override}
    ).built()  # built() also proves no warning: none of them looks like a known field
    page = site.page("2026/03/17/a/")
    assert page.select_one(".mood").get_text() == "sombre"
    assert page.select_one(".score").get_text() == "42"
    assert [li.get_text() for li in page.select("main li")] == ["First", "Second"]


def test_a_named_theme_folder_is_used_and_falls_back_to_built_in_templates(make_site):
    site = make_site(
        {
            "site.yaml": "title: T\ntheme: paper\n",
            "content/pages/trust.md": None,
            "themes/paper/templates/home.html": (
                '{% extends "base.html" %}{% block main %}<h1 class="paper">Paper</h1>'
                "{% endblock %}"
            ),
            "themes/paper/static/paper.css": "p{}",
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
        }
    ).built()
    assert site.page("").select_one("h1.paper").get_text() == "Paper"
    assert site.page("2026/03/17/a/").h1.get_text() == "A"
    assert site.exists("static/paper.css")
    assert site.exists("static/style.css")


def test_a_theme_that_does_not_exist_is_an_error(make_site):
    result = make_site({"site.yaml": "title: T\ntheme: nowhere\n"}).build()
    assert result.code == 1
    assert result.errors == ['site.yaml: theme: "nowhere" was not found']


def test_a_template_error_names_the_template_file_and_line(make_site):
    broken = (
        '{% extends "base.html" %}\n{% block main %}\n{{ article.no_such_field }}\n{% endblock %}\n'
    )
    result = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "themes/default/templates/article.html": broken,
        }
    ).build()
    assert result.code == 1
    assert result.errors[0].startswith("themes/default/templates/article.html:3: template error")


def test_an_edited_template_is_used_by_the_next_build_in_the_same_process(make_site):
    def override(text: str) -> str:
        return '{% extends "base.html" %}{% block main %}<h1>' + text + "</h1>{% endblock %}"

    files = {"content/2026-03-17/a.md": article("A", date="2026-03-17")}
    first = make_site({**files, "themes/default/templates/article.html": override("First")})
    second = make_site({**files, "themes/default/templates/article.html": override("Second")})
    assert first.built().page("2026/03/17/a/").h1.get_text() == "First"
    assert second.built().page("2026/03/17/a/").h1.get_text() == "Second"
    first.write("themes/default/templates/article.html", override("Edited"))
    assert first.built().page("2026/03/17/a/").h1.get_text() == "Edited"
    assert second.built().page("2026/03/17/a/").h1.get_text() == "Second"


def test_the_default_theme_loads_nothing_from_other_sites_and_fits_a_phone(make_site):
    site = xi_site(make_site, **{"content/pages/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    for path in site.html_pages():
        page = soup(path.read_bytes())
        viewport = page.find("meta", attrs={"name": "viewport"})
        assert viewport is not None and "width=device-width" in viewport["content"], path
        for tag in page.find_all(["link", "script"]):
            if tag.name == "link" and "canonical" in tag.get("rel", []):
                continue
            address = tag.get("href") or tag.get("src") or ""
            assert not address.startswith(("http:", "https:", "//")), (path, tag)
    for css in site.out.glob("static/**/*.css"):
        text = css.read_text()
        assert "@import" not in text, css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css


def test_templates_compiled_by_an_earlier_run_are_used_only_while_unchanged(
    make_site, tmp_path, monkeypatch
):
    """Each run of ``briefing build`` finds the theme compiled in the user's cache folder;
    an edited template, or a damaged compiled file, is compiled afresh."""
    from briefing import theme as theme_module

    def override(text: str) -> str:
        return '{% extends "base.html" %}{% block main %}<h1>' + text + "</h1>{% endblock %}"

    def as_a_new_run() -> None:  # what one process compiled, the next has only on disk
        for compiled in theme_module._COMPILED.values():
            monkeypatch.setattr(compiled, "_store", {})

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    files = {"content/2026-03-17/a.md": article("A", date="2026-03-17")}
    site = make_site({**files, "themes/default/templates/article.html": override("First")})
    as_a_new_run()
    assert site.built().page("2026/03/17/a/").h1.get_text() == "First"
    compiled = list((tmp_path / "user-cache" / "briefing").glob("templates-site-*/*"))
    assert len(compiled) >= 2, "the theme was not kept compiled"
    site.write("themes/default/templates/article.html", override("Edited"))
    as_a_new_run()
    assert site.built().page("2026/03/17/a/").h1.get_text() == "Edited"
    for path in compiled:
        path.write_bytes(path.read_bytes()[:40])
    site.write("themes/default/templates/article.html", override("Again"))
    as_a_new_run()
    assert site.built().page("2026/03/17/a/").h1.get_text() == "Again"
