"""Typed front matter: the fields an editor may write, checked one by one.

Known fields are read into frozen dataclasses; every problem is collected with its line.
Unknown fields are kept in ``extra`` for themes, with a warning when they look like a
misspelling of a known one (``captoin`` -> ``caption``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from urllib.parse import urlsplit

from briefing.errors import ContentError, at_line
from briefing.frontmatter import Plain, SourceText
from briefing.urls import is_reserved

DATE_EXAMPLE = "expected e.g. 2023-03-17 or 2023-03-17T09:00:00+08:00"
NOT_A_DATE_FORMAT = "not in a date format"
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SLUG = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_ONE_ONLY = {"section": "an article is in one section: keep one here, and put the others in tags"}
"""Fields an editor may write as a list by mistake, and what to do instead."""


def yaml12(value: Any) -> Any:
    """Unquoted text read the YAML 1.2 way, for fields only themes look at."""
    if isinstance(value, list):
        return [yaml12(item) for item in value]
    if isinstance(value, dict):
        return {key: yaml12(item) for key, item in value.items()}
    if isinstance(value, Plain):
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        return str(value)
    return value


class FieldReader:
    """Reads typed values from one mapping of front matter, collecting problems."""

    def __init__(
        self,
        path: str,
        source: SourceText,
        values: Mapping[str, Any],
        prefix: str,
        problems: list[ContentError],
    ) -> None:
        self.path = path
        self.source = source
        self.values = values
        self.prefix = prefix
        self.problems = problems

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def line(self, key: str) -> int | None:
        return self.source.lines.get(self.name(key)) or self.source.lines.get(
            self.prefix.rstrip(".")
        )

    def problem(self, key: str, message: str, hint: str = "", warning: bool = False) -> None:
        self.problems.append(
            at_line(
                self.path, self.source.text, self.line(key), message, hint=hint, warning=warning
            )
        )

    def present(self, key: str) -> bool:
        return self.values.get(key) is not None

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.values.get(key)
        if value is None:
            if required:
                self.problems.append(
                    at_line(
                        self.path,
                        self.source.text,
                        self.source.lines.get(self.prefix.rstrip(".")) or 1,
                        f"{self.name(key)} is missing",
                        hint=f"add a line `{key}: ...` to the front matter",
                    )
                )
            return default
        if isinstance(value, (list, dict)):
            kind = "a list" if isinstance(value, list) else "a set of fields"
            hint = _ONE_ONLY.get(self.name(key), "quote the value")
            self.problem(key, f"{self.name(key)} should be text, not {kind}", hint)
            return default
        text = str(value).strip()
        if required and not text:
            self.problem(key, f"{self.name(key)} is empty", f"write the {key} after `{key}:`")
        return text

    def names(self, key: str) -> tuple[str, ...]:
        """A list of short texts; a single text or a comma-separated text is accepted."""
        value = self.values.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(
            isinstance(item, str) and not isinstance(item, (list, dict)) for item in value
        ):
            return tuple(str(item).strip() for item in value if str(item).strip())
        self.problem(
            key,
            f"{self.name(key)} should be a list of names, like [politics, china]",
            "write the names between [ and ], separated by commas",
        )
        return ()

    def integer(self, key: str) -> int | None:
        value = self.values.get(key)
        if value is None:
            return None
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value)
        self.problem(key, f"{self.name(key)}: {_show(value)} is not a whole number", "write e.g. 1")
        return None

    def flag(self, key: str) -> bool:
        value = self.values.get(key)
        if value is None:
            return False
        if isinstance(value, Plain) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(
            key, f"{self.name(key)}: {_show(value)} is not true or false", "write true or false"
        )
        return False

    def url(self, key: str, *, required: bool = False) -> str:
        """A web address: only http and https, so no ``javascript:`` reaches a page."""
        text = self.text(key, required=required)
        if text and not is_web_url(text):
            self.problem(
                key,
                f"{self.name(key)}: {_show(text)} is not a web address",
                "write a full address starting with https://",
            )
            return ""
        return text

    def moment(self, key: str, zone: tzinfo, *, required: bool = False) -> datetime | None:
        """A date or date-time; without an offset it is read in the site's time zone."""
        text = self.text(key, required=required)
        if not text:
            return None
        parsed = parse_moment(text, zone)
        if isinstance(parsed, str):
            if parsed == NOT_A_DATE_FORMAT:
                # The issue's own example: the example date is the most useful reason.
                reason, hint = DATE_EXAMPLE, "write the day as year-month-day, then a time if known"
            else:
                reason, hint = parsed, DATE_EXAMPLE
            self.problem(key, f"{self.name(key)}: {_show(text)} is not a date ({reason})", hint)
            return None
        return parsed

    def day(self, key: str) -> date | None:
        text = self.text(key)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            self.problem(
                key,
                f"{self.name(key)}: {_show(text)} is not a date ({exc})",
                "write e.g. 2023-03-17",
            )
            return None

    def mapping(self, key: str) -> FieldReader | None:
        value = self.values.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(
                key,
                f"{self.name(key)} should be a set of fields on indented lines below it",
                f"write `{key}:` alone on its line and the fields below it, indented by two spaces",
            )
            return None
        return FieldReader(self.path, self.source, value, f"{self.name(key)}.", self.problems)

    def items(self, key: str) -> list[FieldReader]:
        value = self.values.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(key, f"{self.name(key)} should be a list of entries, each starting with -")
            return []
        return [
            FieldReader(self.path, self.source, item, f"{self.name(key)}[{index}].", self.problems)
            for index, item in enumerate(value)
        ]

    def extra(self, known: Iterable[str], *, strict: bool = False) -> dict[str, Any]:
        """Fields the schema does not know, for themes; warn about likely misspellings
        (and, when ``strict``, about every unknown field)."""
        known = list(known)
        extra: dict[str, Any] = {}
        for key, value in self.values.items():
            if key in known:
                continue
            guess = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            if guess:
                self.problem(
                    key,
                    f"unknown field {self.name(key)!r}: did you mean {self.name(guess[0])!r}?",
                    f"rename it to {guess[0]}, or keep it if a theme uses it",
                    warning=True,
                )
            elif strict:
                self.problem(
                    key,
                    f"{self.name(key)!r} is not a setting briefing knows; it is ignored",
                    "see the settings list in the README",
                    warning=True,
                )
            extra[key] = yaml12(value)
        return extra


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _show(value: Any) -> str:
    """A value quoted in a message: shortened, and invisible characters spelled out, so a
    carriage return or line separator cannot break or hide the message."""
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    text = _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return f'"{text}"'


def is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse_moment(text: str, zone: tzinfo) -> datetime | str:
    """An aware datetime, or the reason the text is not one."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("offset must be"):
            # Python's own words here quote timedelta reprs.
            return "the offset from UTC must be less than 24 hours"
        return reason if "range" in reason or "must be" in reason else NOT_A_DATE_FORMAT
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        # Pages show it in the site's time zone, feeds and sorting need UTC: the first or
        # last day of year 1 or 9999, with an offset, cannot be moved to either.
        moment.astimezone(UTC)
        moment.astimezone(zone)
    except (OverflowError, ValueError):
        return "too far in the past or the future"
    return moment


def valid_slug(text: str) -> bool:
    """Letters, digits and inner hyphens only: nothing that can leave its folder, and no
    name a file system reserves (``con``, ``nul``) or pretty URLs use (``index``)."""
    return bool(_SLUG.fullmatch(text)) and not is_reserved(text)


@dataclass(frozen=True)
class ImageFields:
    src: str
    """As written: relative to the article, ``/``-rooted in ``content/``, or a web address."""
    alt: str | None
    """None when missing (a problem); ``""`` when the editor marked the image decorative."""
    caption: str = ""
    credit: str = ""
    creator: str = ""
    license: str = ""


@dataclass(frozen=True)
class SourceFields:
    """The original publisher of a syndicated or curated story."""

    name: str
    url: str


@dataclass(frozen=True)
class CorrectionFields:
    day: date
    text: str


@dataclass(frozen=True)
class ArticleFields:
    title: str
    published: datetime
    summary: str = ""
    byline: tuple[str, ...] = ()
    dateline: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    image: ImageFields | None = None
    credit: str = ""
    copyright: str = ""
    source: SourceFields | None = None
    updated: datetime | None = None
    weight: int | None = None
    draft: bool = False
    slug: str | None = None
    edition: date | None = None
    corrections: tuple[CorrectionFields, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EditionFields:
    title: str = ""
    summary: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageFields:
    title: str
    summary: str = ""
    draft: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


ARTICLE_FIELDS = (
    "title",
    "date",
    "summary",
    "byline",
    "dateline",
    "section",
    "tags",
    "image",
    "credit",
    "copyright",
    "source",
    "updated",
    "weight",
    "draft",
    "slug",
    "edition",
    "corrections",
)
IMAGE_FIELDS = ("src", "alt", "caption", "credit", "creator", "license")


def _needs_front_matter(path: str, source: SourceText, problems: list[ContentError]) -> bool:
    if source.has_front_matter:
        return True
    problems.append(
        ContentError(
            path,
            1,
            "the file has no front matter",
            hint="start the file with a line ---, then `title: ...` and `date: ...`, then ---",
        )
    )
    return False


def read_article(
    path: str, source: SourceText, zone: tzinfo
) -> tuple[ArticleFields | None, list[ContentError]]:
    problems: list[ContentError] = []
    if not _needs_front_matter(path, source, problems):
        return None, problems
    reader = FieldReader(path, source, source.fields, "", problems)
    title = reader.text("title", required=True)
    published = reader.moment("date", zone, required=True)
    slug = reader.text("slug") or None
    if slug is not None and not valid_slug(slug):
        reader.problem(
            "slug",
            f"slug: {_show(slug)} can't be used in a web address",
            "use lowercase letters, digits and hyphens, e.g. xi-visits-moscow",
        )
        slug = None
    image = _read_image(reader)
    source_reader = reader.mapping("source")
    source_fields = None
    if source_reader is not None:
        name = source_reader.text("name")
        url = source_reader.url("url")
        source_reader.extra(("name", "url"))
        if name or url:
            source_fields = SourceFields(name or urlsplit(url).netloc, url)
    corrections = []
    for item in reader.items("corrections"):
        day = item.day("date")
        text = item.text("text", required=True)
        item.extra(("date", "text"))
        if day is not None and text:
            corrections.append(CorrectionFields(day, text))
        elif day is None and text:
            item.problem("text", f"{item.name('date')} is missing", "add `date: 2023-03-17`")
    fields = ArticleFields(
        title=title,
        published=published or datetime.min,
        summary=reader.text("summary"),
        byline=reader.names("byline"),
        dateline=reader.text("dateline"),
        section=reader.text("section"),
        tags=reader.names("tags"),
        image=image,
        credit=reader.text("credit"),
        copyright=reader.text("copyright"),
        source=source_fields,
        updated=reader.moment("updated", zone),
        weight=reader.integer("weight"),
        draft=reader.flag("draft"),
        slug=slug,
        edition=reader.day("edition"),
        corrections=tuple(corrections),
        extra=reader.extra(ARTICLE_FIELDS),
    )
    if not title or published is None:
        return None, problems
    return fields, problems


def _read_image(reader: FieldReader) -> ImageFields | None:
    value = reader.values.get("image")
    if isinstance(value, str):
        image_reader: FieldReader | None = FieldReader(
            reader.path, reader.source, {"src": value}, "image.", reader.problems
        )
    else:
        image_reader = reader.mapping("image")
    if image_reader is None:
        return None
    src = image_reader.text("src", required=True)
    alt = image_reader.text("alt") if image_reader.present("alt") else None
    caption = image_reader.text("caption")
    credit = image_reader.text("credit")
    creator = image_reader.text("creator")
    license_url = image_reader.url("license")
    image_reader.extra(IMAGE_FIELDS)
    if not src:
        return None
    scheme = urlsplit(src).scheme if ":" in src else ""
    if scheme and scheme not in ("http", "https"):
        image_reader.problem("src", f"image.src: {_show(src)} is not an image file or web address")
        return None
    if alt is None:
        image_reader.problem(
            "src",
            "image.alt is missing: screen-reader users will not know what the picture shows",
            'describe the picture in `alt:`, or write alt: "" if it is decorative',
            warning=True,
        )
    return ImageFields(src, alt, caption, credit, creator, license_url)


def read_edition(path: str, source: SourceText) -> tuple[EditionFields, list[ContentError]]:
    problems: list[ContentError] = []
    reader = FieldReader(path, source, source.fields, "", problems)
    fields = EditionFields(
        title=reader.text("title"),
        summary=reader.text("summary"),
        extra=reader.extra(("title", "summary")),
    )
    return fields, problems


def read_page(path: str, source: SourceText) -> tuple[PageFields | None, list[ContentError]]:
    problems: list[ContentError] = []
    if not _needs_front_matter(path, source, problems):
        return None, problems
    reader = FieldReader(path, source, source.fields, "", problems)
    title = reader.text("title", required=True)
    fields = PageFields(
        title=title,
        summary=reader.text("summary"),
        draft=reader.flag("draft"),
        extra=reader.extra(("title", "summary", "draft")),
    )
    return (fields if title else None), problems
