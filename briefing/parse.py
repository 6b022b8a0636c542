"""Read one source file into typed fields and a Markdown body (not yet rendered).

This is the per-file unit of work: it depends on nothing but the file's bytes and the
site's time zone, so its result can be cached by content and computed in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from briefing.cache import digest
from briefing.content import Kind
from briefing.errors import ContentError
from briefing.frontmatter import split
from briefing.schema import (
    ArticleFields,
    EditionFields,
    PageFields,
    read_article,
    read_edition,
    read_page,
)


@dataclass(frozen=True)
class ParsedSource:
    name: str
    """Relative to content/: ``2023-03-17/xi.md``."""
    kind: Kind
    fields: ArticleFields | EditionFields | PageFields
    body_line: int
    """File line where the Markdown body starts."""
    text: str
    """The whole file, for quoting lines in later problems."""
    lines: Mapping[str, int]
    """File line of each front matter field, by dotted path."""
    key: str = ""
    """Changes whenever the fields could: a digest of the front matter and what parsing
    depends on. Cheaper to compare than the fields themselves."""
    body_key: str = ""
    """A digest of the body."""

    @property
    def body(self) -> str:
        """The Markdown after the front matter: a slice of ``text``, not a second copy of it
        (that copy made up a quarter of the build cache)."""
        start = 0
        for _ in range(self.body_line - 1):
            newline = self.text.find("\n", start)
            if newline < 0:
                return ""
            start = newline + 1
        return self.text[start:]


def parse_source(
    name: str, kind: Kind, raw: bytes, timezone: str
) -> tuple[ParsedSource | None, list[ContentError]]:
    path = f"content/{name}"
    source, problems = split(path, raw)
    if source is None:
        return None, problems
    fields: ArticleFields | EditionFields | PageFields | None
    if kind is Kind.ARTICLE:
        fields, more = read_article(path, source, ZoneInfo(timezone))
    elif kind is Kind.EDITION:
        fields, more = read_edition(path, source)
    else:
        fields, more = read_page(path, source)
    problems += more
    if fields is None:
        return None, problems
    front = source.text[: len(source.text) - len(source.body)]
    key = digest(front, kind.value, timezone)
    parsed = ParsedSource(
        name, kind, fields, source.body_line, source.text, source.lines, key, digest(source.body)
    )
    return parsed, problems
