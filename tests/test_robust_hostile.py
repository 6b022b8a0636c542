"""Hostile content is built and rendered inert (issue 6, Hostile content).

One site carries every way of smuggling script that the issue lists, at once: in Markdown
(raw HTML, ``javascript:``/``vbscript:``/``data:text/html`` links in many spellings, link
and image titles), in every front-matter string, in tags and sections (which also become
URL parts), in an edition note and a page, and in site.yaml. Every output page is then
parsed and searched for anything a browser would run: script elements other than the
theme's own files and JSON-LD that stays JSON, event-handler attributes, script URLs in any
URL attribute (after the browser's own trimming), frames, objects, ``srcdoc``, refreshes.
The feeds' HTML is searched the same way, and the feeds must still parse.

With ``markdown.allow_html: true`` raw HTML passes: the author is trusted with the page,
and the only script left is the one written in a body.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup, Tag
from conftest import SiteDir, article, foreign_scripts, photo, resolves, soup

DAY = "content/2026-03-17"
JINJA = "{{ 7*191 }}{% if true %}x{% endif %}{{ config }}"
EVIL = (
    "</script><script>alert(1)</script><img src=x onerror=alert(1)>"
    "<!--<script>\"'--> javascript:alert(1) " + JINJA
)
"""One string that tries HTML, attributes, comments, JSON-LD breaking and templates."""
EVIL_URL = "https://news.example.com/x?q=\"><script>alert(1)</script>&r='><svg onload=alert(1)>"

BODY = """\
Links: [a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](&#106;avascript&#58;alert(1))
[d](java%0ascript:alert(1)) [e]( javascript:alert(1) ) [f](vbscript:msgbox(1))
[g](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[h](data:text/html,<script>alert(1)</script>) <javascript:alert(1)> [i][ref]
[j](javascript://example.org/%0aalert(1)) [k](%6Aavascript:alert(1))
[l](https://example.org "javascript:alert(1)")
[m](https://example.org "x\\" onmouseover=\\"alert(1)")
[n](https://example.org 'a" onclick="alert(1)') ![o](javascript:alert(1))
![p](p.jpg "\\" onerror=\\"alert(1)") ![q](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)

[ref]: javascript:alert(1) "title"

<script>alert(1)</script>

<img src=x onerror=alert(1)> <a href="javascript:alert(1)">raw link</a>
<iframe srcdoc="<script>alert(1)</script>"></iframe> <svg onload=alert(1)>
<math><mi xlink:href="javascript:alert(1)">m</mi></math> <object data="javascript:alert(1)">
<base href="javascript:alert(1)//"> <meta http-equiv="refresh" content="0;url=javascript:alert(1)">

::: note <img src=x onerror=alert(1)>
Inside a named block. {{ 7*191 }}
:::

A footnote.[^1] Code: `<script>alert(1)</script>`.

```html
<script>alert(1)</script>
```

[^1]: <script>alert(1)</script> [note](javascript:alert(1))

Marker: end of hostile body. {{ 7*191 }} {% raw %}
"""
"""Markdown that tries every trick; the last line proves the body was rendered."""


def _quoted(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def hostile_files() -> dict[str, str | bytes | None]:
    front = {
        "title": EVIL,
        "date": "2026-03-17T09:00:00",
        "summary": EVIL,
        "byline": [EVIL, "javascript:alert(1)"],
        "dateline": EVIL,
        "section": EVIL,
        "tags": [EVIL, "javascript:alert(1)", '"><svg onload=alert(1)>', "../../x"],
        "credit": EVIL,
        "copyright": EVIL,
        "image": {
            "src": "p.jpg",
            "alt": EVIL,
            "caption": EVIL,
            "credit": EVIL,
            "creator": EVIL,
            "license": EVIL_URL,
        },
        "source": {"name": EVIL, "url": EVIL_URL},
        "corrections": [{"date": "2026-03-18", "text": EVIL}],
        "onload": EVIL,
    }
    text = "---\n" + "".join(f"{k}: {_quoted(v)}\n" for k, v in front.items()) + "---\n\n"
    link = {
        "title": EVIL,
        "date": "2026-03-17T08:00:00",
        "summary": EVIL,
        "source": {"name": EVIL, "url": EVIL_URL},
        "credit": EVIL,
    }
    curated = "---\n" + "".join(f"{k}: {_quoted(v)}\n" for k, v in link.items()) + "---\n"
    yaml = (
        f"title: {_quoted(EVIL)}\ndescription: {_quoted(EVIL)}\ncopyright: {_quoted(EVIL)}\n"
        f"trust_url: /trust/\ntrust_label: {_quoted(EVIL)}\nlanguage: {_quoted('en<x>')}\n"
        f"base_url: https://example.org/\nsearch: false\nextra: {{note: {_quoted(EVIL)}}}\n"
    )
    return {
        "site.yaml": yaml,
        f"{DAY}/evil.md": text + BODY,
        f"{DAY}/p.jpg": photo(),
        f"{DAY}/link.md": curated,
        f"{DAY}/_edition.md": f"---\ntitle: {_quoted(EVIL)}\nsummary: {_quoted(EVIL)}\n---\n\n"
        + BODY,
        "content/pages/trust.md": f"---\ntitle: {_quoted(EVIL)}\nsummary: {_quoted(EVIL)}\n---\n\n"
        + BODY,
    }


# What a browser would run


SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "mocha:")
SAFE_DATA = re.compile(r"data:image/(png|gif|jpeg|webp)[;,]")
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "cite", "longdesc", "manifest", "ping", "lowsrc", "dynsrc", "codebase", "srcset",
    "imagesrcset", "to", "from", "values", "by",
}  # fmt: skip
FRAMES = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def as_browser_reads(url: str) -> str:
    """What a browser looks at to find a URL's scheme: trimmed, tabs and newlines gone."""
    url = url.strip(_C0_AND_SPACE)
    return re.sub(r"[\t\n\r]", "", url).lower()


def runs_script(url: str) -> bool:
    seen = as_browser_reads(url)
    if seen.startswith(SCRIPT_SCHEMES):
        return True
    return seen.startswith("data:") and not SAFE_DATA.match(seen)


def script_vectors(page: BeautifulSoup) -> list[str]:
    """Everything in a parsed page that would run script, described in one line each."""
    found = [f"script: {str(s)[:80]}" for s in foreign_scripts(page)]
    for script in page.find_all("script", type="application/ld+json"):
        if "<" in (script.string or ""):
            found.append(f"JSON-LD with a raw '<': {script.string[:80]!r}")
    for tag in page.find_all(True):
        assert isinstance(tag, Tag)
        if tag.name in FRAMES:
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            lowered = name.lower()
            if lowered.startswith("on"):
                found.append(f"<{tag.name} {name}=...>")
            elif lowered == "srcdoc":
                found.append(f"<{tag.name} srcdoc>")
            elif lowered in URL_ATTRIBUTES:
                urls = text.split(",") if "srcset" in lowered else [text]
                for url in urls:
                    candidate = url.strip().split(" ")[0] if "srcset" in lowered else url
                    if runs_script(candidate):
                        found.append(f"<{tag.name} {name}={text[:60]!r}>")
            elif lowered == "style" and re.search(r"expression\(|javascript:", text, re.I):
                found.append(f"<{tag.name} style={text[:60]!r}>")
        if tag.name == "meta" and str(tag.get("http-equiv", "")).lower() == "refresh":
            target = str(tag.get("content", "")).partition("=")[2]
            if runs_script(target):
                found.append("<meta http-equiv=refresh> to a script URL")
        if tag.name == "link" and "import" in (tag.get("rel") or []):
            found.append("<link rel=import>")
    return found


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_html(site: SiteDir) -> Iterator[tuple[str, str]]:
    """(where, html) for every HTML value of every feed, read raw (feedparser would
    sanitise it first, and a feed reader may not)."""
    for path in sorted(site.out.rglob("feed.xml")):
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        for element in ET.parse(path).getroot().iter():
            if element.get("type") == "html":
                yield f"{path.relative_to(site.out)} {element.tag}", element.text or ""
    data = json.loads(site.file("feed.json").read_text(encoding="utf-8"))
    for item in data["items"]:
        yield "feed.json content_html", item["content_html"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bool], SiteDir]:
    """The hostile site built with and without ``allow_html`` (each once per module)."""
    cache: dict[bool, SiteDir] = {}

    def build(allow_html: bool) -> SiteDir:
        if allow_html not in cache:
            root = tmp_path_factory.mktemp("hostile")
            site = SiteDir(root)
            for name, content in hostile_files().items():
                if content is None:
                    continue
                if name == "site.yaml" and allow_html:
                    content = str(content) + "markdown:\n  allow_html: true\n"
                site.write(name, content)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("SOURCE_DATE_EPOCH", "1774008000")
                result = site.build()
            assert result.code == 0, result.err
            assert "Traceback" not in result.err
            cache[allow_html] = site
        return cache[allow_html]

    return build


def every_page(site: SiteDir) -> Iterator[tuple[Path, BeautifulSoup]]:
    pages = site.html_pages()
    assert len(pages) > 10
    for path in pages:
        yield path, soup(path.read_bytes())


def test_the_checker_finds_what_a_browser_would_run() -> None:
    """The search below is only worth something if it catches each kind of vector."""
    bad = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<a href="vbscript:x">x</a>',
        '<iframe src="https://example.org"></iframe>',
        '<a href="data:text/html,x">x</a>',
        '<img srcset="a.png 1x, javascript:alert(1) 2x">',
        '<div style="background:url(javascript:alert(1))">',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<iframe srcdoc="x"></iframe>',
        '<script type="application/ld+json">{"a": "</x>"}</script>',
        '<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    ]
    for html in bad:
        assert script_vectors(soup(html)), html
    good = '<a href="https://example.org/javascript:x">x</a><img src="data:image/png;base64,x">'
    assert script_vectors(soup(good)) == []


def test_no_page_runs_script_the_content_brought(built):
    site = built(False)
    for path, page in every_page(site):
        assert script_vectors(page) == [], path.relative_to(site.out)


def test_no_feed_entry_runs_script_and_every_feed_parses(built):
    site = built(False)
    values = list(feed_html(site))
    assert any("end of hostile body" in html for _, html in values)
    for where, html in values:
        assert script_vectors(soup(html)) == [], where
    for path in [*site.out.rglob("*.xml")]:
        ET.parse(path)


def test_hostile_strings_are_shown_as_the_text_they_are(built):
    site = built(False)
    page = site.page("2026/03/17/evil/")
    assert page.h1.get_text() == EVIL
    assert page.select_one(".dek").get_text() == EVIL
    assert EVIL in [a.get_text() for a in page.select(".byline .author")]
    assert page.select_one(".dateline").get_text() == f"{EVIL} —"
    assert page.select_one("figure img")["alt"] == EVIL
    assert EVIL in page.select_one("figure figcaption").get_text()
    assert page.select_one(".article-body").get_text().count("Marker: end of hostile body") == 1
    feed = site.feed()
    assert {entry.title for entry in feed.entries} == {EVIL}
    assert feed.feed.title == EVIL


def test_script_links_in_markdown_are_not_written_but_their_text_stays(built):
    body = built(False).page("2026/03/17/evil/").select_one(".article-body")
    text = body.get_text()
    for label in "abcdefghijk":
        assert f"[{label}]" in text or body.find("a", string=label) is not None, label
    for link in body.find_all("a"):
        assert not runs_script(str(link.get("href", ""))), link
    titled = {a.get_text(): a.get("title") for a in body.find_all("a") if a.get("title")}
    assert titled["l"] == "javascript:alert(1)"
    assert titled["m"] == 'x" onmouseover="alert(1)'
    assert titled["n"] == 'a" onclick="alert(1)'


def test_tags_and_sections_become_safe_addresses_and_show_as_text(built):
    site = built(False)
    page = site.page("2026/03/17/evil/")
    tags = {a.get_text(): a["href"] for a in page.select(".tags a")}
    assert set(tags) == {EVIL, "javascript:alert(1)", '"><svg onload=alert(1)>', "../../x"}
    for href in [*tags.values(), page.select_one(".kicker a")["href"]]:
        assert re.fullmatch(r"/(tags|sections)/[\w%-]+/", href), href
        assert resolves(site.out, href), href
    out = site.out.resolve()
    assert all(p.resolve().is_relative_to(out) for p in site.out.rglob("*"))
    listing = site.page(tags["javascript:alert(1)"].lstrip("/"))
    assert listing.h1.get_text() == "Tag: javascript:alert(1)"


def test_structured_data_holds_hostile_strings_as_data(built):
    site = built(False)
    raw = site.file("2026/03/17/evil/").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S)
    assert blocks
    for block in blocks:
        assert "<" not in block and "-->" not in block
        json.loads(block)
    data = json.loads(blocks[0])
    assert data["headline"] == EVIL
    assert data["isBasedOn"] == EVIL_URL


def test_template_syntax_in_content_is_printed_never_evaluated(built):
    site = built(False)
    for path in site.out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json"):
            assert "1337" not in path.read_text(encoding="utf-8"), path
    page = site.page("2026/03/17/evil/")
    assert JINJA in page.h1.get_text()
    assert "{% raw %}" in page.select_one(".article-body").get_text()
    assert JINJA in site.page("").select_one(".site-title").get_text()


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("source", "javascript:alert(1)", 6),
        ("source", " JaVaScRiPt:alert(1)", 6),
        ("source", "java\tscript:alert(1)", 6),
        ("source", "data:text/html,<script>alert(1)</script>", 6),
        ("source", "vbscript:msgbox(1)", 6),
        ("source", "//evil.example/x", 6),
        ("image", "javascript:alert(1)", 5),
        ("image", "data:text/html,<script>alert(1)</script>", 5),
        ("license", "javascript:alert(1)", 7),
    ],
)
def test_script_urls_in_front_matter_are_refused_on_their_line(make_site, field, value, line):
    lines = {
        "source": ("source:", "  name: S", f"  url: {_quoted(value)}"),
        "image": ("image:", f"  src: {_quoted(value)}", "  alt: a"),
        "license": ("image:", "  src: p.jpg", "  alt: a", f"  license: {_quoted(value)}"),
    }[field]
    text = "---\ntitle: T\ndate: 2026-03-17\n" + "\n".join(lines) + "\n---\n\nBody.\n"
    site = make_site({f"{DAY}/a.md": text, f"{DAY}/p.jpg": photo()})
    result = site.build()
    assert result.code == 1, result.err
    assert len(result.errors) == 1, result.errors
    assert result.errors[0].startswith(f"{DAY}/a.md:{line}: "), result.errors
    assert not site.out.exists()


@pytest.mark.parametrize("setting", ["trust_url", "base_url"])
def test_script_urls_in_site_yaml_are_refused_on_their_line(make_site, setting):
    site = make_site(
        {"site.yaml": f"title: T\n{setting}: javascript:alert(1)\n", f"{DAY}/a.md": article("A")}
    )
    result = site.build()
    assert result.code == 1
    assert result.errors[0].startswith(f"site.yaml:2: {setting}: "), result.errors


def test_xml_breaking_characters_leave_every_feed_parseable(make_site):
    awkward = "Form\\ffeed \\x01 bell\\x07 \\ufffe\\uffff & <b> ]]> \\x1b"
    text = (
        f'---\ntitle: "{awkward}"\ndate: 2026-03-17\nsummary: "{awkward}"\n'
        f'section: "{awkward}"\ntags: ["{awkward}"]\nbyline: ["{awkward}"]\n---\n\n'
        "Body \x0b with \x0c raw & <angles> ]]>.\n"
    )
    site = make_site({f"{DAY}/a.md": text})
    result = site.build()
    assert result.code == 0, result.err
    feeds = sorted(site.out.rglob("*.xml"))
    assert len(feeds) >= 3  # the feed, the section's feed, the sitemap
    for path in feeds:
        ET.parse(path)
    for path in sorted(site.out.rglob("feed.xml")):
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.entries[0].title.startswith("Formfeed")
    data = json.loads(site.file("feed.json").read_text(encoding="utf-8"))
    assert data["items"][0]["title"].startswith("Formfeed")


# allow_html: true — the authors are trusted with the page


def test_with_allow_html_raw_html_passes_and_only_in_bodies(built):
    site = built(True)
    page = site.page("2026/03/17/evil/")
    body = page.select_one(".article-body")
    assert body.find("script", string="alert(1)") is not None
    assert body.find("iframe") is not None
    assert body.find("a", string="raw link")["href"] == "javascript:alert(1)"
    # Markdown links are still filtered: only raw HTML is trusted.
    for label in "abcdefghijk":
        link = body.find("a", string=label)
        assert link is None or not runs_script(str(link.get("href", ""))), label
    for path, parsed in every_page(site):
        for container in parsed.select(".article-body, .editor-note"):
            container.decompose()
        assert script_vectors(parsed) == [], path.relative_to(site.out)
    assert page.h1.get_text() == EVIL


def test_without_allow_html_the_same_site_has_no_raw_html_at_all(built):
    body = built(False).page("2026/03/17/evil/").select_one(".article-body")
    assert body.find(["script", "iframe", "svg", "math", "object", "base", "meta"]) is None
    assert "<script>alert(1)</script>" in body.get_text()
