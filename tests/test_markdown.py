"""Markdown as briefings write it: tables, footnotes, anchors, quotes, figures, named blocks,
and nothing a reader's browser would run unless the site asked for raw HTML."""

from __future__ import annotations

import json

import pytest
from conftest import article, foreign_scripts, photo, soup
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.config import MarkdownSettings
from briefing.markdown import Markdown, RenderedBody, Resolved, make_markdown, render_body

C0_AND_SPACE = "".join(map(chr, range(0x21)))


def rendered(text: str, *, allow_html: bool = False, typographer: bool = True) -> RenderedBody:
    md = make_markdown(MarkdownSettings(allow_html=allow_html, typographer=typographer))
    return render_body(md, text, Resolved)


def html(text: str, **settings: bool):
    return soup(rendered(text, **settings).html)


def test_tables_render_with_a_header_row():
    page = html("| Port | Ships |\n|---|--:|\n| Rotterdam | 41 |\n| Antwerp | 12 |\n")
    table = page.table
    assert [th.get_text() for th in table.thead.find_all("th")] == ["Port", "Ships"]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]
    assert rows == [["Rotterdam", "41"], ["Antwerp", "12"]]


def test_footnotes_link_to_their_notes_and_back():
    page = html("The vote was 71 percent.[^1]\n\n[^1]: Union figures.\n")
    ref = page.select_one("sup a")
    note = page.find(id=ref["href"][1:])
    assert note is not None
    assert "Union figures." in note.get_text()
    back = note.find("a", href=lambda h: h and h.startswith("#fnref"))
    assert page.find(id=back["href"][1:]) is not None


def test_headings_get_anchors_that_links_can_point_to():
    body = rendered(
        "## The big picture\n\ntext\n\n### How it came together\n\n## The big picture\n"
    )
    page = soup(body.html)
    ids = [h["id"] for h in page.find_all(["h2", "h3"])]
    assert ids[:2] == ["the-big-picture", "how-it-came-together"]
    assert len(set(ids)) == 3, "two headings with one name need two anchors"
    assert set(ids) == body.anchors


def test_quotes_and_dashes_are_typographic():
    text = html("\"We won,\" she said -- it's 'over'...").p.get_text()
    assert text == "\u201cWe won,\u201d she said \u2013 it\u2019s \u2018over\u2019\u2026"


def test_typographer_off_keeps_straight_quotes():
    assert html('"plain"', typographer=False).p.get_text() == '"plain"'


def test_a_lone_image_with_a_title_becomes_a_figure_with_a_caption():
    page = html('![Cranes at dawn](cranes.jpg "The cranes start again on Friday.")\n')
    figure = page.find("figure")
    assert figure.img["alt"] == "Cranes at dawn"
    assert figure.img["src"] == "cranes.jpg"
    assert not figure.img.has_attr("title")
    assert figure.figcaption.get_text() == "The cranes start again on Friday."
    assert page.find("p") is None


def test_an_image_inside_text_stays_inline():
    page = html('Look: ![icon](i.png "Icon") here.\n')
    assert page.find("figure") is None
    assert page.p.img["src"] == "i.png"


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("why-it-matters", "Why it matters"),
        ("the-big-picture", "The big picture"),
        ("go-deeper", "Go deeper"),
        ("between_the_lines", "Between the lines"),
    ],
)
def test_named_blocks_become_sections_with_a_heading(name, heading):
    page = html(f"::: {name}\nIt **matters**.\n:::\n")
    section = page.find("section")
    assert section["class"] == ["callout", f"callout-{name.replace('_', '-')}"]
    assert section.h2.get_text() == heading
    assert section.select_one(".callout-body strong").get_text() == "matters"


def test_a_named_block_can_carry_its_own_heading():
    section = html("::: by-the-numbers What the deal gives\n- 7.8%\n:::\n").find("section")
    assert section.h2.get_text() == "What the deal gives"
    assert section["class"] == ["callout", "callout-by-the-numbers"]


def test_a_block_heading_with_markup_is_text():
    section = html("::: note <img src=x onerror=alert(1)>\ntext\n:::\n").find("section")
    assert section.find("img") is None
    assert section.h2.get_text() == "<img src=x onerror=alert(1)>"


def test_raw_html_is_shown_as_text_by_default():
    page = html('<script>alert(1)</script>\n\nInline <img src=x onerror="alert(1)"> too.\n')
    assert page.find("script") is None
    assert page.find("img") is None
    assert "<script>alert(1)</script>" in page.get_text()


def test_raw_html_passes_when_the_site_allows_it():
    page = html('<aside class="pull">Quote</aside>\n\nA <kbd>key</kbd>.\n', allow_html=True)
    assert page.find("aside")["class"] == ["pull"]
    assert page.find("kbd").get_text() == "key"


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](java%0ascript:alert(1))",
        "[x]( javascript:alert(1) )",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "![x](javascript:alert(1))",
    ],
)
@pytest.mark.parametrize("allow_html", [False, True])
def test_script_links_are_never_emitted(link, allow_html):
    page = html(link + "\n", allow_html=allow_html)
    for tag in page.find_all(True):
        for attr in ("href", "src"):
            # What a browser does before reading the scheme: trim, drop tabs and newlines.
            value = str(tag.get(attr, "")).strip(C0_AND_SPACE).lower()
            value = value.replace("\t", "").replace("\n", "").replace("\r", "")
            assert not value.startswith(("javascript", "vbscript", "data:text", "file:")), tag


def test_quotes_in_a_link_title_cannot_open_an_attribute():
    page = html('[x](https://example.com "a\\" onmouseover=\\"alert(1)")\n')
    link = page.a
    assert not link.has_attr("onmouseover")
    assert link["title"] == 'a" onmouseover="alert(1)'


def test_quotes_in_a_figure_caption_stay_text():
    page = html('![x](p.jpg "</figcaption><script>alert(1)</script>")\n')
    assert page.find("script") is None
    assert page.figcaption.get_text() == "</figcaption><script>alert(1)</script>"


def test_a_body_h1_is_demoted_so_the_page_keeps_one_h1(make_site):
    body = "# A heading in the body\n\nText.\n\n## Below it\n"
    site = make_site({"content/2026-03-17/a.md": article("Headline", date="2026-03-17", body=body)})
    page = site.built().page("2026/03/17/a/")
    assert [h.get_text() for h in page.find_all("h1")] == ["Headline"]
    body_tags = [h.name for h in page.select(".article-body h2, .article-body h3")]
    assert body_tags == ["h2", "h3"]


def test_links_to_other_articles_by_file_become_their_addresses(make_site):
    body = (
        "See [rates](../2026-03-16/rates.md), [the vote](../2026-03-16/rates.md#the-vote), "
        "[same day](other.md), [our standards](../pages/trust.md) and "
        "[the archive](/archive/)."
    )
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", body=body),
            "content/2026-03-17/other.md": article("Other", date="2026-03-17"),
            "content/2026-03-16/rates.md": article(
                "Rates", date="2026-03-16", body="## The vote\n\nYes."
            ),
        }
    ).built()
    links = [a["href"] for a in site.page("2026/03/17/a/").select(".article-body a")]
    assert links == [
        "/2026/03/16/rates/",
        "/2026/03/16/rates/#the-vote",
        "/2026/03/17/other/",
        "/trust/",
        "/archive/",
    ]


def test_a_link_to_an_article_moved_by_its_edition_field_follows_it(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", body="[b](b.md)"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", edition="2026-03-18"),
        }
    ).built()
    assert site.page("2026/03/17/a/").select_one(".article-body a")["href"] == "/2026/03/18/b/"


def test_raw_html_in_an_article_is_escaped_unless_site_yaml_allows_it(make_site):
    body = '<iframe src="https://evil.example"></iframe>\n\nText <b>bold</b>.'
    files = {"content/2026-03-17/a.md": article("A", date="2026-03-17", body=body)}
    page = make_site(files).built().page("2026/03/17/a/")
    assert page.select_one(".article-body iframe") is None
    assert page.select_one(".article-body b") is None
    allowed = "title: T\nmarkdown:\n  allow_html: true\n"
    site = make_site({**files, "site.yaml": allowed, "content/pages/trust.md": None}).built()
    page = site.page("2026/03/17/a/")
    assert page.select_one(".article-body iframe")["src"] == "https://evil.example"
    assert page.select_one(".article-body b").get_text() == "bold"


def test_hostile_front_matter_strings_are_escaped_on_every_page(make_site):
    evil = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    text = f"""\
    ---
    title: "{evil}"
    date: 2026-03-17
    summary: "{evil}"
    byline: ["{evil}"]
    dateline: "{evil}"
    section: "{evil}"
    tags: ["{evil}"]
    credit: "{evil}"
    copyright: "{evil}"
    image:
      src: /p.jpg
      alt: "\\" onerror=\\"alert(1)"
      caption: "{evil}"
      credit: "{evil}"
    ---

    Body.
    """
    site = make_site({"content/2026-03-17/a.md": text, "content/p.jpg": photo()})
    result = site.build()
    assert result.code == 0, result.err
    for path in site.html_pages():
        page = soup(path.read_bytes())
        assert foreign_scripts(page) == [], path
        assert not page.find_all(attrs={"onerror": True}), path
    article_page = site.page("2026/03/17/a/")
    assert article_page.h1.get_text() == evil
    data = json.loads(article_page.find("script", type="application/ld+json").string)
    assert data["headline"] == evil
    assert article_page.select_one("figure img")["alt"] == '" onerror="alert(1)'


def test_hostile_site_yaml_strings_are_escaped_everywhere(make_site):
    evil = "</script><script>alert(1)</script>\\f-->"
    yaml = (
        f'title: "{evil}"\ndescription: "{evil}"\ncopyright: "{evil}"\n'
        f'trust_url: /trust/\ntrust_label: "{evil}"\nsearch: false\n'
    )
    site = make_site(
        {"site.yaml": yaml, "content/2026-03-17/a.md": article("A", date="2026-03-17")}
    ).built()
    for path in site.html_pages():
        page = soup(path.read_bytes())
        assert foreign_scripts(page) == [], path
        assert page.select_one(".site-footer .copyright").get_text().startswith("</script>")
    feed = site.feed()
    assert feed.feed.title.startswith("</script><script>alert(1)</script>")


def test_body_figures_have_the_enlarge_control_of_the_lead_photo():
    page = html('![Cranes at dawn](cranes.jpg "The cranes start again on Friday.")\n')
    enlarge = page.select_one("figure.body-figure .figure-frame a.enlarge")
    assert enlarge["href"] == "cranes.jpg"
    assert enlarge.get_text(strip=True) == "Enlarge this image"


def test_a_table_sits_in_a_named_region_the_keyboard_can_reach():
    page = html("| a | b |\n|---|---|\n| 1 | 2 |\n")
    region = page.select_one("div.table-scroll")
    assert (region["role"], region["tabindex"], region["aria-label"]) == ("region", "0", "Table")
    assert region.table is not None


def test_footnote_marks_have_words_for_screen_readers():
    page = html("Note[^1].\n\n[^1]: The source.\n")
    assert page.select_one("sup.footnote-ref a")["aria-label"] == "Footnote 1"
    assert page.select_one("a.footnote-backref")["aria-label"] == "Back to the text"


MARKDOWN_PIECES = st.sampled_from(
    [
        "word",
        " ",
        "\n",
        "\n\n",
        "# ",
        "## ",
        "- ",
        "1. ",
        "> ",
        "*",
        "**",
        "_",
        "~~",
        "`",
        "```",
        "    ",
        "[",
        "]",
        "(",
        ")",
        "!",
        "^",
        ":",
        "-",
        "---",
        '"',
        "'",
        "...",
        "(c)",
        "<b>",
        "&amp;",
        "\\",
        "::: why-it-matters",
        ":::",
        "[^1]",
        "^[note]",
        "[^1]: note",
        "|",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "a | b\n- | -\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(MARKDOWN_PIECES, max_size=40).map("".join))
def test_the_quicker_parser_for_bodies_without_tables_or_footnotes_changes_no_html(text):
    """A body without a table or footnote mark is rendered without those rules: neither
    its HTML nor what the build learns from it may tell."""
    markdown = make_markdown(MarkdownSettings())
    always_full = Markdown(markdown.full, markdown.full)
    assert render_body(markdown, text, Resolved) == render_body(always_full, text, Resolved)


def test_a_body_without_tables_or_footnotes_gets_the_quicker_parser():
    markdown = make_markdown(MarkdownSettings())
    assert markdown.for_text('It was close.\n\n> "Quite," she said.') is markdown.plain
    assert markdown.for_text("Figures.[^1]\n\n[^1]: Union.") is markdown.full
