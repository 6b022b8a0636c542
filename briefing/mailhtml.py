"""HTML made for mail clients, and read as plain text.

Mail clients drop ``<style>`` and stylesheet links and have no base URL, so the email
edition's HTML has its CSS inlined into ``style=""`` attributes and every address made
absolute; the plain-text part reads the editor's note (Markdown HTML) as paragraphs, list
items and links with their address.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import css_inline


def inline_css(html: str) -> str:
    """Every ``<style>`` rule into ``style=""`` attributes; styles and stylesheet links gone
    (and nothing fetched from the network)."""
    inliner = css_inline.CSSInliner(
        keep_style_tags=False, keep_link_tags=False, load_remote_stylesheets=False
    )
    return inliner.inline(html)


_LINK_ATTRIBUTE = re.compile(r'(\s(?:href|src|background)=")([^"]*)(")', re.IGNORECASE)


def absolute_links(html: str, base: str) -> str:
    """Every link and picture address made absolute against ``base`` (mail has no base)."""

    def fix(match: re.Match[str]) -> str:
        value = unescape(match.group(2))
        if urlsplit(value).scheme in ("http", "https", "mailto", "tel"):
            return match.group(0)
        return match.group(1) + escape(urljoin(base, value), quote=True) + match.group(3)

    return _LINK_ATTRIBUTE.sub(fix, html)


class _TextMaker(HTMLParser):
    """HTML to readable plain text: paragraphs, list bullets, links with their address."""

    BLOCKS = frozenset(
        [
            "p",
            "div",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "ul",
            "ol",
            "li",
            "blockquote",
            "figure",
            "figcaption",
            "section",
            "table",
            "tr",
            "pre",
            "hr",
            "aside",
            "header",
            "footer",
        ]
    )

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
            if tag == "li":
                self.parts.append("- ")
        if tag == "a":
            self.links.append(urljoin(self.base, values.get("href") or ""))
        elif tag == "img" and values.get("alt"):
            self.parts.append(f"[{values['alt']}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http:", "https:", "mailto:")):
                self.parts.append(f" <{href}>")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str, base: str) -> str:
    maker = _TextMaker(base)
    maker.feed(html)
    maker.close()
    paragraphs = re.split(r"\n\s*\n", "".join(maker.parts))
    lines = [
        " ".join(part.split()) if "\n" not in part.strip() else part.strip() for part in paragraphs
    ]
    return "\n\n".join(line for line in lines if line)
