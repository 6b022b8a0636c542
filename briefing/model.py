"""The briefing as readers meet it: articles grouped into editions, sections and tags.

Built in two steps because Markdown needs URLs: ``place`` gives every source its site path
(and reports collisions), then ``assemble`` builds the frozen model from the parsed fields
and the rendered bodies. Nothing here reads files or the clock.
"""

from __future__ import annotations

import hashlib
import pickle
import posixpath
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, overload

from briefing.config import SiteConfig
from briefing.errors import ContentError, at_line
from briefing.markdown import PictureRef, RenderedBody
from briefing.parse import ParsedSource
from briefing.schema import ArticleFields, EditionFields, PageFields
from briefing.urls import (
    RESERVED_SLUGS,
    Links,
    article_path,
    asset_path,
    day_folder,
    edition_path,
    page_path,
    section_path,
    slugify,
    tag_path,
)


@dataclass(frozen=True)
class Topic:
    """A section or tag as articles name it."""

    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class Image:
    url: str
    """The link to the full-size file (also the enlarge control's target)."""
    alt: str | None
    caption: str
    credit: str
    creator: str
    license: str
    file: str | None
    """The source under content/ (``2023-03-17/xi.jpg``); None for a web address."""
    width: int | None = None
    """Pixel size of the full image, when it is a processed photo (no layout shift)."""
    height: int | None = None
    srcset: str = ""
    """Resized copies in the original format, for ``srcset``."""
    webp_srcset: str = ""
    """The same sizes as WebP, for a ``<source type="image/webp">``."""


@dataclass(frozen=True)
class Source:
    """The original publisher of a syndicated or curated story."""

    name: str
    url: str


@dataclass(frozen=True)
class Correction:
    day: date
    text: str


@dataclass(frozen=True)
class Article:
    file: str
    """The Markdown source, relative to content/."""
    slug: str
    path: str | None
    """Site path of the article's page; None for a curated link, which has no page."""
    url: str
    """Its page, or the original story for a curated link."""
    title: str
    summary: str
    byline: tuple[str, ...]
    dateline: str
    section: Topic | None
    tags: tuple[Topic, ...]
    image: Image | None
    credit: str
    copyright: str
    source: Source | None
    published: datetime
    updated: datetime | None
    edition_day: date
    weight: int | None
    corrections: tuple[Correction, ...]
    body_html: str
    anchors: frozenset[str]
    words: int
    extra: Mapping[str, Any]
    fingerprint: str
    """Changes whenever anything a page could show of this article changes."""
    card: str
    """Changes whenever anything but the body changes: what a listing reads, unless its
    template shows the body (``Theme.shows_body``)."""

    def __reduce__(self) -> tuple[Callable[[str, str, bytes], Article], tuple[str, str, bytes]]:
        """Pickled as its file and one blob of the rest, unpickled when a field is first
        read: an edit patched on a kept basis reads a few dozen of its ten thousand
        Articles, and unpickling them all was a third of the CLI's edit."""
        state = self.__dict__
        blob = state.get(_STORED)
        if blob is None:
            blob = pickle.dumps(tuple(state[name] for name in _STORED_FIELDS), _PROTOCOL)
        elif not isinstance(blob, bytes):
            blob = blob()
        return (_stored_article, (self.file, _SHAPE, blob))

    if not TYPE_CHECKING:  # hidden from mypy, which would let any name through

        def __getattr__(self, name: str) -> Any:
            """Called only for a name not in the Article's dict: a stored one's fields."""
            state = self.__dict__
            blob = state.get(_STORED)
            if blob is not None:
                blob = blob if isinstance(blob, bytes) else blob()
                state.update(zip(_STORED_FIELDS, pickle.loads(blob), strict=True))
                state.pop(_STORED, None)
            if name in state:  # also when another thread unpickled it first
                return state[name]
            raise AttributeError(f"'Article' object has no attribute {name!r}")

    @property
    def is_link(self) -> bool:
        return self.path is None

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / 230))

    @property
    def modified(self) -> datetime:
        return self.updated or self.published


_STORED = "_stored"
_STORED_FIELDS = tuple(name for name in Article.__dataclass_fields__ if name != "file")
_SHAPE = ",".join(_STORED_FIELDS)
_PROTOCOL = pickle.HIGHEST_PROTOCOL


def _stored_article(file: str, shape: str, blob: bytes | Callable[[], bytes]) -> Article:
    """An Article whose fields but its file are unpickled from ``blob`` when first read;
    ``blob`` may be a function that reads it (``cache.keep_basis`` sets it aside)."""
    if shape != _SHAPE:
        # Found out now, while the whole pickle can still be ignored (and the build done
        # in full), not when a page being rendered reads a field.
        raise pickle.UnpicklingError(f"an Article of another shape: {shape}")
    article = Article.__new__(Article)
    state = article.__dict__
    state["file"], state[_STORED] = file, blob
    return article


@dataclass(frozen=True)
class Edition:
    day: date
    path: str
    url: str
    title: str
    summary: str
    note_html: str
    articles: tuple[Article, ...]
    """In edition order: weight first, then newest first."""
    file: str | None
    fingerprint: str
    card: str
    """As ``fingerprint``, from its articles' cards: unchanged by an edit to a body."""


@dataclass(frozen=True)
class Section:
    topic: Topic
    articles: tuple[Article, ...]
    """Newest first."""


@dataclass(frozen=True)
class Tag:
    topic: Topic
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Page:
    file: str
    slug: str
    path: str
    url: str
    title: str
    summary: str
    body_html: str
    anchors: frozenset[str]
    extra: Mapping[str, Any]
    fingerprint: str


@dataclass(frozen=True)
class Asset:
    file: str
    path: str


class KeptAssets(Sequence[Asset]):
    """A site's assets as a kept basis holds them: their names, made into Assets when
    first asked for, which a patch never does (unpickling 10,000 took 16 ms of an edit)."""

    def __init__(self, names: str) -> None:
        self._names = names
        """Every asset's file, each followed by a NUL (no file name holds one)."""
        self._made: tuple[Asset, ...] | None = None

    @classmethod
    def of(cls, assets: Iterable[Asset]) -> KeptAssets:
        return cls("".join(f"{asset.file}\0" for asset in assets))

    def _assets(self) -> tuple[Asset, ...]:
        if self._made is None:
            names = self._names.split("\0")[:-1]
            self._made = tuple(Asset(name, asset_path(name)) for name in names)
        return self._made

    @overload
    def __getitem__(self, index: int) -> Asset: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Asset, ...]: ...

    def __getitem__(self, index: int | slice) -> Asset | tuple[Asset, ...]:
        return self._assets()[index]

    def __len__(self) -> int:
        return self._names.count("\0")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._assets())

    def __reduce__(self) -> tuple[type[KeptAssets], tuple[str]]:
        return (KeptAssets, (self._names,))


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    editions: tuple[Edition, ...]
    """Newest first; ``editions[0]`` is the home page."""
    articles: tuple[Article, ...]
    """Every published article, newest first."""
    sections: tuple[Section, ...]
    tags: tuple[Tag, ...]
    pages: tuple[Page, ...]
    assets: Sequence[Asset]
    """A tuple, or ``KeptAssets`` in a kept basis."""
    links: Links = field(repr=False)

    @property
    def latest(self) -> Edition | None:
        return self.editions[0] if self.editions else None


@dataclass(frozen=True)
class Placement:
    """Where every source will be published, decided before Markdown is rendered."""

    paths: Mapping[str, str]
    """Source name -> site path, for articles (with pages), editions and pages."""
    edition_days: Mapping[str, date]
    """Article source name -> the day of its edition."""
    slugs: Mapping[str, str]


def select(
    sources: Iterable[ParsedSource], now: datetime, *, drafts: bool, future: bool
) -> list[ParsedSource]:
    """Leave out drafts and articles dated after ``now`` unless asked for."""
    chosen = []
    for source in sources:
        fields = source.fields
        if isinstance(fields, (ArticleFields, PageFields)) and fields.draft and not drafts:
            continue
        if isinstance(fields, ArticleFields) and fields.published > now and not future:
            continue
        chosen.append(source)
    return chosen


def is_curated_link(source: ParsedSource) -> bool:
    fields = source.fields
    return (
        isinstance(fields, ArticleFields)
        and fields.source is not None
        and bool(fields.source.url)
        and bool(fields.summary)
        and not source.body.strip()
    )


def place(
    config: SiteConfig, sources: Iterable[ParsedSource]
) -> tuple[Placement, list[ContentError]]:
    """Give each source its day and path; two sources on one URL is an error naming both."""
    problems: list[ContentError] = []
    paths: dict[str, str] = {}
    days: dict[str, date] = {}
    slugs: dict[str, str] = {}
    owners: dict[str, ParsedSource] = {}
    zone = config.zone
    slug_of: dict[str, str] = {}

    def topic_slug(name: str) -> str:
        """Sections and tags repeat across thousands of articles: slugify each name once."""
        if name not in slug_of:
            slug_of[name] = slugify(name)
        return slug_of[name]

    def claim(source: ParsedSource, site_path: str, line: int) -> None:
        key = unicodedata.normalize("NFC", site_path).casefold()
        other = owners.get(key)
        if other is not None:
            problems.append(
                at_line(
                    f"content/{source.name}",
                    source.text,
                    line,
                    f"has the same web address /{site_path} as content/{other.name}",
                    hint="give one of them another slug: add `slug: a-different-name`",
                )
            )
            return
        owners[key] = source
        paths[source.name] = site_path

    for source in sources:
        fields = source.fields
        stem = source.name.rsplit("/", 1)[-1].removesuffix(".md")
        folder_day = day_folder(source.name.split("/")[0]) if "/" in source.name else None
        if isinstance(fields, ArticleFields):
            day = fields.edition or folder_day or fields.published.astimezone(zone).date()
            days[source.name] = day
            slug = fields.slug or slugify(stem)
            if not slug:
                problems.append(_no_slug(source))
                continue
            slugs[source.name] = slug
            problems += _unaddressable_topics(source, fields, topic_slug)
            if not is_curated_link(source):
                # The lines that chose the address, or the top of the file.
                line = source.lines.get("slug") or source.lines.get("edition") or 1
                claim(source, article_path(day, slug), line)
        elif isinstance(fields, EditionFields):
            if folder_day is None:
                problems.append(
                    at_line(
                        f"content/{source.name}",
                        source.text,
                        1,
                        "an edition note must be in a day folder like content/2023-03-17/",
                        hint="move the file into the folder of its day",
                    )
                )
                continue
            paths[source.name] = edition_path(folder_day)
        else:
            slug = slugify(stem)
            if not slug or slug in RESERVED_SLUGS:
                problems.append(
                    at_line(
                        f"content/{source.name}",
                        source.text,
                        1,
                        f"a page can't be called {stem!r}: that address is taken by briefing",
                        hint="rename the file, e.g. to about.md or ethics.md",
                    )
                )
                continue
            slugs[source.name] = slug
            claim(source, page_path(slug), 1)
    return Placement(paths, days, slugs), problems


def _unaddressable_topics(
    source: ParsedSource, fields: ArticleFields, slug: Callable[[str], str]
) -> list[ContentError]:
    """A section or tag with no letter or digit (an emoji, punctuation) has no address, so
    it is left out: say so rather than let it vanish."""
    named = [("section", fields.section)] if fields.section else []
    named += [("tags", name) for name in fields.tags]
    return [
        at_line(
            f"content/{source.name}",
            source.text,
            source.lines.get(key),
            f"the {'section' if key == 'section' else 'tag'} {name!r} has no letters or "
            "digits to make a web address from; it is left out",
            hint="add a word to it, e.g. 🗞️ news",
            warning=True,
        )
        for key, name in named
        if not slug(name)
    ]


def _no_slug(source: ParsedSource) -> ContentError:
    return at_line(
        f"content/{source.name}",
        source.text,
        1,
        "the file name has no letters or digits to make a web address from",
        hint="rename the file, or add `slug: a-name-for-the-address`",
    )


def digest_of(*parts: object) -> str:
    """A fingerprint of model values (dataclasses, dates, strings), by their repr."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _edition_order(article: Article) -> tuple[int, float, str]:
    weight = article.weight if article.weight is not None else 1_000_000
    return (weight, -article.published.timestamp(), article.title)


def _newest_first(article: Article) -> tuple[float, str]:
    return (-article.published.timestamp(), article.file)


Remembered = tuple[tuple[Any, ...], Article, str | None]
"""What an Article was made from, the Article, and its photo's file."""
ArticleMemo = MutableMapping[str, Remembered]
"""Source name -> what its Article was made from, the Article, and its photo's file: kept
in memory by a long-lived builder (the preview), so an edit re-makes one Article, not ten
thousand."""


def assemble(
    config: SiteConfig,
    sources: Iterable[ParsedSource],
    placement: Placement,
    bodies: Mapping[str, RenderedBody],
    assets: Iterable[str],
    pictures: Mapping[str, PictureRef] | None = None,
    memo: ArticleMemo | None = None,
) -> Site:
    """The frozen model. ``sources`` are the selected ones that ``place`` accepted.

    With a ``memo``, an Article whose parsed source and rendered body are the very objects
    of the last call, and whose place, topics and photo are equal, is reused; the memo is
    then refilled with this call's Articles.
    """
    links = Links(config.base_url)
    known = dict(memo or {})
    if memo is not None:
        memo.clear()
    topics: dict[tuple[str, str], Topic] = {}
    named: dict[tuple[str, str], Topic | None] = {}

    def topic(kind: str, name: str) -> Topic | None:
        """The first spelling of a section or tag names it; later ones share its Topic."""
        if (kind, name) in named:
            return named[kind, name]
        slug = slugify(name)
        key = (kind, slug)
        if slug and key not in topics:
            site_path = section_path(slug) if kind == "section" else tag_path(slug)
            topics[key] = Topic(name, slug, links.href(site_path))
        named[kind, name] = topics[key] if slug else None
        return named[kind, name]

    articles: list[Article] = []
    notes: dict[date, tuple[ParsedSource, EditionFields]] = {}
    pages: list[Page] = []
    for source in sources:
        fields = source.fields
        body = bodies.get(source.name) or RenderedBody("", frozenset(), (), 0)
        if isinstance(fields, ArticleFields) and source.name in placement.slugs:
            site_path = placement.paths.get(source.name)
            if site_path is None and not is_curated_link(source):
                continue
            section = topic("section", fields.section) if fields.section else None
            tag_topics = (topic("tag", name) for name in fields.tags)
            unique_tags = tuple({t.slug: t for t in tag_topics if t is not None}.values())
            last = known.get(source.name)
            if last is not None and last[0][0] is source:
                resolved = last[2]  # the same front matter names the same photo
            else:
                resolved = resolve_file(source.name, fields.image.src) if fields.image else None
            picture = (pictures or {}).get(resolved) if resolved else None
            inputs: tuple[Any, ...] = (source, body, site_path, placement.slugs[source.name])
            inputs += (placement.edition_days[source.name], section, unique_tags, picture)
            inputs += (config.base_url,)
            if last is not None and last[0][1] is body and last[0] == inputs:
                article = last[1]
            else:
                article = _article(source, fields, inputs, resolved, links)
            articles.append(article)
            if memo is not None:
                memo[source.name] = (inputs, article, resolved)
        elif isinstance(fields, EditionFields) and source.name in placement.paths:
            day = day_folder(source.name.split("/")[0])
            if day is not None:
                notes[day] = (source, fields)
        elif isinstance(fields, PageFields) and source.name in placement.paths:
            site_path = placement.paths[source.name]
            pages.append(
                Page(
                    source.name,
                    placement.slugs[source.name],
                    site_path,
                    links.href(site_path),
                    fields.title,
                    fields.summary,
                    body.html,
                    body.anchors,
                    fields.extra,
                    digest_of(source.name, source.key or fields, body.digest),
                )
            )

    by_day: dict[date, list[Article]] = defaultdict(list)
    for article in articles:
        by_day[article.edition_day].append(article)
    editions = []
    for day in sorted(by_day, reverse=True):
        members = tuple(sorted(by_day[day], key=_edition_order))
        note_source, note = notes.get(day, (None, EditionFields()))
        note_html = bodies[note_source.name].html if note_source else ""
        site_path = edition_path(day)
        card = _edition_card(day, note.title, note.summary, note_html, members)
        editions.append(
            Edition(
                day,
                site_path,
                links.href(site_path),
                note.title,
                note.summary,
                note_html,
                members,
                note_source.name if note_source else None,
                _edition_fingerprint(card, members),
                card,
            )
        )

    newest = tuple(sorted(articles, key=_newest_first))
    sections: dict[str, list[Article]] = defaultdict(list)
    tags: dict[str, list[Article]] = defaultdict(list)
    for article in newest:
        if article.section:
            sections[article.section.slug].append(article)
        for tag in article.tags:
            tags[tag.slug].append(article)
    return Site(
        config=config,
        editions=tuple(editions),
        articles=newest,
        sections=tuple(
            Section(topics[("section", slug)], tuple(items))
            for slug, items in sorted(sections.items())
        ),
        tags=tuple(
            Tag(topics[("tag", slug)], tuple(items)) for slug, items in sorted(tags.items())
        ),
        pages=tuple(sorted(pages, key=lambda page: page.path)),
        assets=tuple(Asset(name, asset_path(name)) for name in sorted(assets)),
        links=links,
    )


def _article(
    source: ParsedSource,
    fields: ArticleFields,
    inputs: tuple[Any, ...],
    resolved: str | None,
    links: Links,
) -> Article:
    _, body, site_path, slug, edition_day, section, tags, picture, _ = inputs
    image = None
    if fields.image is not None:
        image = Image(
            url=links.href(asset_path(resolved)) if resolved else fields.image.src,
            alt=fields.image.alt,
            caption=fields.image.caption,
            credit=fields.image.credit,
            creator=fields.image.creator,
            license=fields.image.license,
            file=resolved,
            width=picture.width if picture else None,
            height=picture.height if picture else None,
            srcset=picture.srcset if picture else "",
            webp_srcset=picture.webp_srcset if picture else "",
        )
    source_link = Source(fields.source.name, fields.source.url) if fields.source else None
    url = (
        links.href(site_path) if site_path is not None else (source_link.url if source_link else "")
    )
    topics = (_values(section), *map(_values, tags))
    card = digest_of(source.name, source.key or fields, site_path, topics, _values(image))
    return Article(
        file=source.name,
        slug=slug,
        path=site_path,
        url=url,
        title=fields.title,
        summary=fields.summary,
        byline=fields.byline,
        dateline=fields.dateline,
        section=section,
        tags=tags,
        image=image,
        credit=fields.credit,
        copyright=fields.copyright,
        source=source_link,
        published=fields.published,
        updated=fields.updated,
        edition_day=edition_day,
        weight=fields.weight,
        corrections=tuple(Correction(c.day, c.text) for c in fields.corrections),
        body_html=body.html,
        anchors=body.anchors,
        words=body.words,
        extra=fields.extra,
        fingerprint=digest_of(card, body.digest),
        card=card,
    )


def _values(part: Topic | Image | None) -> tuple[object, ...] | None:
    """Every field of a small model value, for a fingerprint: far cheaper to print than the
    dataclass, and it still changes with any field."""
    return tuple(vars(part).values()) if part is not None else None


def _edition_card(
    day: date, title: str, summary: str, note_html: str, members: tuple[Article, ...]
) -> str:
    """Everything an edition shows but its articles' bodies."""
    return digest_of(day, title, summary, note_html, [a.card for a in members])


def _edition_fingerprint(card: str, members: tuple[Article, ...]) -> str:
    return digest_of(card, [a.fingerprint for a in members])


def place_of(fields: ArticleFields) -> tuple[object, ...]:
    """What of an article's front matter decides its address, its place in every list,
    its topics, its photo file and its kind: while it is equal, an edit to the rest
    changes only what its card shows (headline, summary, byline, caption, credits...)."""
    return (
        fields.published,
        fields.updated,
        fields.edition,
        fields.slug,
        fields.weight,
        fields.draft,
        fields.section,
        fields.tags,
        fields.image.src if fields.image else None,
        fields.source is None,
    )


def remade(memo: Remembered, source: ParsedSource, body: RenderedBody, links: Links) -> Remembered:
    """An article made again, the way ``assemble`` makes it, from a new body or from
    front matter with the same ``place_of``: its place, topics and photo are the
    memo's. Returns the memo entry for it."""
    inputs, _, resolved = memo
    inputs = (source, body, *inputs[2:])
    assert isinstance(source.fields, ArticleFields)
    return inputs, _article(source, source.fields, inputs, resolved, links), resolved


def with_articles(site: Site, changed: Mapping[str, Article], positions: Mapping[str, int]) -> Site:
    """The site after edits that changed some articles' bodies or cards but not their
    places (``changed``: by file, made by ``remade``): every list that
    showed the old article shows the new one, and an edition holding one gets a new card
    and fingerprint. Equal to what ``assemble`` makes of the edited sources, without going
    through every article again.
    ``positions``: each article's place in ``site.articles``, by file."""

    def swap(articles: tuple[Article, ...]) -> tuple[Article, ...]:
        return tuple(changed.get(a.file, a) for a in articles)

    editions, sections, tags = list(site.editions), list(site.sections), list(site.tags)
    edition_at = {edition.day: index for index, edition in enumerate(editions)}
    section_at = {section.topic.slug: index for index, section in enumerate(sections)}
    tag_at = {tag.topic.slug: index for index, tag in enumerate(tags)}
    for article in changed.values():
        index = edition_at[article.edition_day]
        edition = editions[index]
        members = swap(edition.articles)
        card = _edition_card(
            edition.day, edition.title, edition.summary, edition.note_html, members
        )
        fingerprint = _edition_fingerprint(card, members)
        editions[index] = replace(edition, articles=members, fingerprint=fingerprint, card=card)
        if article.section is not None:
            index = section_at[article.section.slug]
            sections[index] = replace(sections[index], articles=swap(sections[index].articles))
        for tag in article.tags:
            index = tag_at[tag.slug]
            tags[index] = replace(tags[index], articles=swap(tags[index].articles))
    articles = list(site.articles)
    for file, article in changed.items():
        articles[positions[file]] = article
    return replace(
        site,
        editions=tuple(editions),
        articles=tuple(articles),
        sections=tuple(sections),
        tags=tuple(tags),
    )


def resolve_file(source_name: str, target: str) -> str | None:
    """A file path written in ``source_name`` as a name under content/, or None when it is a
    web address or leaves content/."""
    if "://" in target or target.startswith(("//", "mailto:", "data:")):
        return None
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source_name), target)
    normal = posixpath.normpath(joined)
    if normal.startswith("../") or normal == ".." or normal.startswith("/"):
        return None
    return normal
