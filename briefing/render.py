"""Plan every output page with what it reads, then render a planned page.

The plan is the dependency graph: each ``PlannedPage`` names its template and the model
objects it shows, and its ``fingerprint`` changes exactly when one of them does. The build
cache and the preview server both re-render only pages whose fingerprint changed.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from briefing.errors import ContentError, display_path
from briefing.feeds import atom_feed, json_feed, news_sitemap, robots, sitemap, sitemap_index
from briefing.model import Article, Edition, Section, Site, Tag, Topic, digest_of
from briefing.structured import absolute, edition_list, news_article, website
from briefing.theme import MONTHS, Theme, builtin_theme_dir, long_date
from briefing.urls import output_file, section_path, tag_path

PER_PAGE = 50
"""Articles on one page of a section or tag listing."""
CREDITS_PER_PAGE = 100
"""Articles whose photo and syndication credits share one page of /credits/: a briefing
some years old credits tens of thousands, far too many for one page on a phone."""


@dataclass(frozen=True)
class SiteContext:
    """``site`` in every template."""

    title: str
    description: str
    language: str
    url: str
    """The home page."""
    base_url: str
    copyright: str
    trust_url: str
    trust_label: str
    feed_url: str
    archive_url: str
    search_url: str
    """The search page, or "" when search is turned off."""
    sections: tuple[Topic, ...]
    """For navigation: every section, by name."""
    extra: Mapping[str, Any]
    static_base: str

    def static(self, path: str) -> str:
        """The link to a theme file: ``site.static('style.css')``."""
        return self.static_base + path


@dataclass(frozen=True)
class Meta:
    """``meta`` in every template: what the page's head needs."""

    kind: str
    """home, edition, article, archive, section, tag, topics, page or 404."""
    title: str
    description: str
    url: str
    canonical: str
    """Absolute; for a syndicated article, the original publisher's URL."""
    image: str = ""
    """Absolute URL of the page's picture, for link previews."""
    permalink: str = ""
    """This page's absolute URL (the canonical one may be the original publisher's)."""
    image_alt: str = ""
    structured_data: tuple[Mapping[str, Any], ...] = ()
    """schema.org objects, printed as JSON-LD by the base template."""
    article: Article | None = None
    """On an article page: for ``article:`` preview tags."""


@dataclass(frozen=True)
class Pagination:
    number: int
    count: int
    previous_url: str | None
    next_url: str | None


@dataclass(frozen=True)
class Month:
    label: str
    editions: tuple[Edition, ...]


@dataclass(frozen=True)
class PlannedPage:
    path: str
    """Site path: ``""``, ``2023/03/17/xi/``, ``feed.xml``."""
    template: str
    """A theme template, or ``feed.xml``/``sitemap.xml``/``robots.txt`` made in Python."""
    context: Callable[[Site], Mapping[str, Any]] = field(compare=False, repr=False)
    """Makes what the template is given, from the site being rendered. Called only for a
    page that is rendered: most of a rebuild's pages are unchanged, and their context
    (structured data, links) is not."""
    reads: tuple[str, ...] = ()
    """Fingerprints of everything shown: change one and the page is rendered again."""
    modified: datetime | None = None
    """For the sitemap."""
    fingerprint: str = field(default="", compare=False)
    owner: str = ""
    """The content file the page shows, when it shows one (``2023-03-17/xi.md``)."""
    recipe: str = field(default="", compare=False)
    """Digest of the template and the site's settings: with ``reads``, the fingerprint."""


GENERATED = (
    "feed.xml",
    "feed.json",
    "sitemap.xml",
    "sitemap-index.xml",
    "news-sitemap.xml",
    "robots.txt",
)
SITEMAP_SIZE = 50_000
"""Addresses in one sitemap file, the protocol's limit: beyond it (some years of a busy
briefing) sitemap.xml becomes an index of sitemap-1.xml, sitemap-2.xml and so on."""
NEWS_SITEMAP_AGE = timedelta(days=2)
"""Google News sitemaps list only articles published in the last two days."""


def site_context(site: Site) -> SiteContext:
    config = site.config
    links = site.links
    trust = config.trust_url
    return SiteContext(
        title=config.title,
        description=config.description,
        language=config.language,
        url=links.href(""),
        base_url=config.base_url,
        copyright=config.copyright,
        trust_url=links.href(trust.lstrip("/")) if trust.startswith("/") else trust,
        trust_label=config.trust_label,
        feed_url=links.href("feed.xml"),
        archive_url=links.href("archive/"),
        search_url=links.href("search/") if config.search else "",
        sections=tuple(sorted((s.topic for s in site.sections), key=lambda t: t.name.casefold())),
        extra=config.extra,
        static_base=links.href("static/"),
    )


def plan(site: Site, theme: Theme, now: datetime) -> list[PlannedPage]:
    """Every page of the site, each with the fingerprint of what it reads. ``now`` is the
    build's clock (the news sitemap lists the last two days)."""
    site_digest = digest_of(site_context(site))
    templates: dict[str, str] = {}

    def page(
        path: str,
        template: str,
        context: Callable[[Site], Mapping[str, Any]],
        reads: tuple[str, ...] = (),
        modified: datetime | None = None,
        owner: str = "",
    ) -> PlannedPage:
        if template not in templates:
            made_by = theme.digest(template) if template not in GENERATED else ""
            templates[template] = digest_of(template, made_by, site_digest)
        recipe = templates[template]
        fingerprint = digest_of(recipe, reads)
        return PlannedPage(path, template, context, reads, modified, fingerprint, owner, recipe)

    return list(_plan(site, now, theme.shows_body, page))


def _plan(
    site: Site,
    now: datetime,
    shows_body: Callable[[str], bool],
    new_page: Callable[..., PlannedPage],
) -> Iterator[PlannedPage]:
    """``shows_body(template)``: whether a listing must read its articles' fingerprints, or
    their cards, which an edit to a body leaves alone. ``new_page`` makes a PlannedPage with
    its fingerprint.

    A context finds the articles and editions it shows by their place in the site it is
    given, never holding on to this site's objects: so ``replan`` can keep this plan for a
    site whose articles were patched in place. What it does capture (topics, pages, paths,
    the clock, which articles are credited) such a patch cannot change."""
    config = site.config
    latest = site.latest

    def reads(template: str, shown: Article | Edition) -> str:
        return shown.fingerprint if shows_body(template) else shown.card

    yield new_page(
        "",
        "home.html",
        _home_context,
        (reads("home.html", latest),) if latest else (),
        latest.articles[0].modified if latest and latest.articles else None,
    )
    editions = site.editions
    for index, edition in enumerate(editions):
        newer = editions[index - 1] if index > 0 else None
        older = editions[index + 1] if index + 1 < len(editions) else None
        yield new_page(
            edition.path,
            "edition.html",
            partial(_edition_context, index),
            (reads("edition.html", edition), _neighbour(newer), _neighbour(older)),
            max((a.modified for a in edition.articles), default=None),
        )
        readable = _readable(edition)
        for position, article in enumerate(readable):
            previous = readable[position - 1] if position > 0 else None
            following = readable[position + 1] if position + 1 < len(readable) else None
            assert article.path is not None
            yield new_page(
                article.path,
                "article.html",
                partial(_article_context, index, position),
                (
                    article.fingerprint,
                    edition.path,
                    edition.title,
                    article_link(previous),
                    article_link(following),
                ),
                article.modified,
                owner=article.file,
            )
    yield new_page(
        "archive/",
        "archive.html",
        _archive_context,
        tuple(_neighbour(e) + str(len(e.articles)) for e in editions),
    )
    for index, section in enumerate(site.sections):
        yield from _listing(site, "section", index, section, reads, new_page)
    for index, tag in enumerate(site.tags):
        yield from _listing(site, "tag", index, tag, reads, new_page)
    for title, path, topics in (
        ("Sections", "sections/", tuple(s.topic for s in site.sections)),
        ("Tags", "tags/", tuple(t.topic for t in site.tags)),
    ):
        yield new_page(
            path,
            "topics.html",
            partial(_fixed, kind="topics", title=title, path=path, topics=topics, heading=title),
            tuple(f"{t.slug}:{t.name}" for t in topics),
        )
    for page in site.pages:
        yield new_page(
            page.path,
            "page.html",
            partial(
                _fixed,
                kind="page",
                title=page.title,
                path=page.path,
                description=page.summary,
                page=page,
            ),
            (page.fingerprint,),
            owner=page.file,
        )
    yield new_page(
        "404.html",
        "404.html",
        partial(_fixed, kind="404", title="Page not found", path="404.html"),
    )
    for name in ("feed.xml", "feed.json"):
        yield new_page(
            name,
            name,
            partial(_feed_context, None, name, None),
            tuple(a.fingerprint for a in site.articles[: config.feed_size]),
        )
    for index, section in enumerate(site.sections):
        path = section_path(section.topic.slug) + "feed.xml"
        yield new_page(
            path,
            "feed.xml",
            partial(_feed_context, index, path, f"{config.title}: {section.topic.name}"),
            tuple(a.fingerprint for a in section.articles[: config.feed_size]),
        )
    yield new_page(
        "news-sitemap.xml",
        "news-sitemap.xml",
        partial(_news_context, now),
        tuple(a.card for a in _recent(site, now)),  # titles and dates only
    )
    credited = [i for i, a in enumerate(site.articles) if a.image is not None or a.source]
    for path, (start, stop), pagination in _paginated(
        site, "credits/", len(credited), CREDITS_PER_PAGE
    ):
        chosen = tuple(credited[start:stop])
        yield new_page(
            path,
            "credits.html",
            partial(_credits_context, path, chosen, pagination),
            (
                *(reads("credits.html", site.articles[i]) for i in chosen),
                f"{pagination.number}/{pagination.count}",
            ),
        )
    if config.search:
        tags = tuple(sorted((t.topic for t in site.tags), key=lambda t: t.name.casefold()))
        yield new_page(
            "search/",
            "search.html",
            partial(_fixed, kind="search", title="Search", path="search/", tags=tags),
            tuple(f"{t.slug}:{t.name}" for t in tags),
        )
    yield new_page("robots.txt", "robots.txt", _no_context)


def _no_context(site: Site) -> Mapping[str, Any]:
    return {}


def _sitemap_context(
    entries: tuple[tuple[str, datetime | None], ...], site: Site
) -> Mapping[str, Any]:
    return {"entries": entries}


def _fixed(
    site: Site, *, kind: str, title: str, path: str, description: str = "", **given: Any
) -> Mapping[str, Any]:
    """A page showing no article: its meta, and what the plan gave it."""
    return {"meta": _meta(site, kind, title, path, description), **given}


def _meta(site: Site, kind: str, title: str, path: str, description: str = "") -> Meta:
    links = site.links
    absolute_url = links.absolute(path)
    return Meta(
        kind,
        title,
        description or site.config.description,
        links.href(path),
        canonical=absolute_url,
        permalink=absolute_url,
    )


def _readable(edition: Edition) -> list[Article]:
    """An edition's articles that have a page of their own (not curated links)."""
    return [a for a in edition.articles if not a.is_link]


def _recent(site: Site, now: datetime) -> tuple[Article, ...]:
    return tuple(
        a for a in site.articles if not a.is_link and now - a.published <= NEWS_SITEMAP_AGE
    )


def _home_context(site: Site) -> Mapping[str, Any]:
    meta = _meta(site, "home", site.config.title, "")
    return {"meta": replace(meta, structured_data=tuple(website(site))), "edition": site.latest}


def _edition_context(index: int, site: Site) -> Mapping[str, Any]:
    editions = site.editions
    edition = editions[index]
    title = edition.title or f"The briefing for {long_date(edition.day)}"
    page_meta = _meta(site, "edition", title, edition.path, edition.summary)
    return {
        "meta": replace(page_meta, structured_data=(edition_list(site, edition, title),)),
        "edition": edition,
        "newer": editions[index - 1] if index > 0 else None,
        "older": editions[index + 1] if index + 1 < len(editions) else None,
    }


def _article_context(index: int, position: int, site: Site) -> Mapping[str, Any]:
    edition = site.editions[index]
    readable = _readable(edition)
    article = readable[position]
    assert article.path is not None
    page_meta = replace(
        _meta(site, "article", article.title, article.path, article.summary),
        image=absolute(site, article.image.url) if article.image else "",
        image_alt=(article.image.alt or "") if article.image else "",
        structured_data=(news_article(site, article),),
        article=article,
    )
    if article.source is not None:
        page_meta = replace(page_meta, canonical=article.source.url)
    return {
        "meta": page_meta,
        "article": article,
        "edition": edition,
        "previous": readable[position - 1] if position > 0 else None,
        "next": readable[position + 1] if position + 1 < len(readable) else None,
    }


def _archive_context(site: Site) -> Mapping[str, Any]:
    months = tuple(
        Month(f"{MONTHS[month - 1]} {year}", tuple(group))
        for (year, month), group in groupby(site.editions, key=lambda e: (e.day.year, e.day.month))
    )
    return {"meta": _meta(site, "archive", "Archive", "archive/"), "months": months}


def _feed_context(
    section: int | None, path: str, title: str | None, site: Site
) -> Mapping[str, Any]:
    articles = site.articles if section is None else site.sections[section].articles
    return {"articles": articles[: site.config.feed_size], "self": path, "title": title}


def _news_context(now: datetime, site: Site) -> Mapping[str, Any]:
    return {"articles": _recent(site, now)}


def _credits_context(
    path: str, chosen: tuple[int, ...], pagination: Pagination, site: Site
) -> Mapping[str, Any]:
    """``chosen``: the credited articles' places in ``site.articles``."""
    articles = [site.articles[i] for i in chosen]
    title = "Credits" if pagination.number == 1 else f"Credits (page {pagination.number})"
    return {
        "meta": _meta(site, "credits", title, path),
        "photos": tuple((a, a.image) for a in articles if a.image is not None),
        "syndicated": tuple(a for a in articles if a.source is not None),
        "pagination": pagination,
    }


def _paginated(
    site: Site, base: str, total: int, per_page: int
) -> Iterator[tuple[str, tuple[int, int], Pagination]]:
    """A long list split into pages: ``base`` first, then ``base/page/2/`` and on; each
    page's path, the bounds of its part of the list, and its pagination."""
    count = max(1, -(-total // per_page))

    def page_path(number: int) -> str:
        return base if number == 1 else f"{base}page/{number}/"

    for number in range(1, count + 1):
        pagination = Pagination(
            number,
            count,
            site.links.href(page_path(number - 1)) if number > 1 else None,
            site.links.href(page_path(number + 1)) if number < count else None,
        )
        yield page_path(number), ((number - 1) * per_page, number * per_page), pagination


def _listing(
    site: Site,
    kind: str,
    index: int,
    group: Section | Tag,
    reads: Callable[[str, Article], str],
    new_page: Callable[..., PlannedPage],
) -> Iterator[PlannedPage]:
    topic = group.topic
    base = section_path(topic.slug) if kind == "section" else tag_path(topic.slug)
    for path, (start, stop), pagination in _paginated(site, base, len(group.articles), PER_PAGE):
        yield new_page(
            path,
            f"{kind}.html",
            partial(_listing_context, kind, index, path, (start, stop), pagination),
            (
                *(reads(f"{kind}.html", a) for a in group.articles[start:stop]),
                f"{topic.name}:{pagination.number}/{pagination.count}",
            ),
        )


def _listing_context(
    kind: str,
    index: int,
    path: str,
    bounds: tuple[int, int],
    pagination: Pagination,
    site: Site,
) -> Mapping[str, Any]:
    group = site.sections[index] if kind == "section" else site.tags[index]
    number = pagination.number
    title = group.topic.name if number == 1 else f"{group.topic.name} (page {number})"
    return {
        "meta": _meta(site, kind, title, path),
        kind: group.topic,
        "articles": tuple(group.articles[bounds[0] : bounds[1]]),
        "pagination": pagination,
    }


def _neighbour(edition: Edition | None) -> str:
    return f"{edition.day}:{edition.title}" if edition else ""


def article_link(article: Article | None) -> str:
    """What an article page reads of its neighbours: their address and headline."""
    return f"{article.url}:{article.title}" if article else ""


Key = TypeVar("Key")
Value = TypeVar("Value")


class Layered(Mapping[Key, Value]):
    """A mapping with changes on top of another, which stays as it is: a patched plan is
    the last full build's with the pages the patches changed."""

    def __init__(self, base: Mapping[Key, Value], top: Mapping[Key, Value]) -> None:
        self.base: Mapping[Key, Value] = base
        self.top: Mapping[Key, Value] = top
        if isinstance(base, Layered):  # one layer, however many patches
            self.base, self.top = base.base, {**base.top, **top}

    def __getitem__(self, key: Key) -> Value:
        return self.top[key] if key in self.top else self.base[key]

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.base

    def __iter__(self) -> Iterator[Key]:
        yield from self.base
        yield from (key for key in self.top if key not in self.base)

    def __len__(self) -> int:
        return len(self.base) + sum(1 for key in self.top if key not in self.base)


@dataclass(frozen=True)
class Plan:
    """The pages of the last full build, by place in its plan, with which of them read
    each value: a patch finds the few pages an edit changes without looking at the other
    11,000, and a kept basis (``cache.Shelf``) need not unpickle them."""

    pages: Mapping[int, PlannedPage]
    readers: Mapping[str, Sequence[int]]
    """Each value a page reads -> the pages that read it (a page may be named twice)."""
    files: Mapping[str, int]
    """Each page's output file -> its place."""

    @classmethod
    def of(cls, planned: list[PlannedPage]) -> Plan:
        """Made by every full build: 100,000 reads at 10,000 articles, 0.06 to 0.1 s."""
        readers: dict[str, list[int]] = {}
        for index, page in enumerate(planned):
            for read in page.reads:
                if read in readers:
                    readers[read].append(index)
                else:
                    readers[read] = [index]
        files = {output_file(page.path): index for index, page in enumerate(planned)}
        return cls(dict(enumerate(planned)), readers, files)


def replan(plan: Plan, replaced: Mapping[str, str]) -> tuple[Plan, list[int]]:
    """The plan again after edits that left every article in its place: ``replaced`` maps
    each old value pages read (an article's fingerprint, card or headline as a neighbour,
    its edition's fingerprint or card) to its new one.
    Every page that read one reads the new one instead, and gets a new fingerprint; the
    rest stand as they are. Returns the new plan and the places of the pages it changed."""
    anew = sorted({index for old in replaced for index in plan.readers.get(old, ())})
    pages: dict[int, PlannedPage] = {}
    readers: dict[str, set[int]] = {}
    for index in anew:
        page = plan.pages[index]
        reads = tuple(replaced.get(read, read) for read in page.reads)
        pages[index] = replace(page, reads=reads, fingerprint=digest_of(page.recipe, reads))
        before, after = set(page.reads), set(reads)
        for read in before ^ after:
            moved = readers.setdefault(read, set(plan.readers.get(read, ())))
            if read in after:
                moved.add(index)
            else:
                moved.discard(index)
    changed = {read: sorted(indices) for read, indices in readers.items()}
    return Plan(Layered(plan.pages, pages), Layered(plan.readers, changed), plan.files), anew


def with_sitemap(site: Site, pages: list[PlannedPage]) -> list[PlannedPage]:
    """The sitemap lists every HTML page, so it is planned last, from the plan itself."""
    entries = tuple(
        (page.path, page.modified)
        for page in pages
        if page.template.endswith(".html") and page.path != "404.html"
    )
    if len(entries) <= SITEMAP_SIZE:
        return [*pages, _sitemap_page("sitemap.xml", "sitemap.xml", entries)]
    parts = [
        entries[start : start + SITEMAP_SIZE] for start in range(0, len(entries), SITEMAP_SIZE)
    ]
    files = [
        _sitemap_page(f"sitemap-{number}.xml", "sitemap.xml", part)
        for number, part in enumerate(parts, 1)
    ]
    index = tuple(
        (page.path, max((modified for _, modified in part if modified), default=None))
        for page, part in zip(files, parts, strict=True)
    )
    return [*pages, *files, _sitemap_page("sitemap.xml", "sitemap-index.xml", index)]


def _sitemap_page(
    path: str, template: str, entries: tuple[tuple[str, datetime | None], ...]
) -> PlannedPage:
    context = partial(_sitemap_context, entries)
    return PlannedPage(path, template, context, fingerprint=digest_of(template, entries))


def render(theme: Theme, site: Site, context: SiteContext, page: PlannedPage) -> str:
    """One page's text. Raises ``TemplateProblem`` for a theme error."""
    given = page.context(site)
    if page.template == "feed.xml":
        return atom_feed(site, given["articles"], given.get("self", "feed.xml"), given.get("title"))
    if page.template == "feed.json":
        return json_feed(site, given["articles"])
    if page.template == "news-sitemap.xml":
        return news_sitemap(site, given["articles"])
    if page.template == "sitemap.xml":
        return sitemap(site, given["entries"])
    if page.template == "sitemap-index.xml":
        return sitemap_index(site, given["entries"])
    if page.template == "robots.txt":
        return robots(site)
    try:
        template = theme.env.get_template(page.template)
        return template.render(site=context, **given)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(template_problem(exc, site.config.root)) from exc


class TemplateProblem(Exception):
    def __init__(self, problem: ContentError) -> None:
        super().__init__(problem.format())
        self.problem = problem


def template_problem(exc: Exception, site_root: Path) -> ContentError:
    """Name the template file and line, however deep in the inheritance chain it failed."""
    filename: str | None = getattr(exc, "filename", None)
    line: int | None = getattr(exc, "lineno", None)
    if filename is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".txt")):
                filename, line = frame.filename, frame.lineno
                break
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"the theme has no template {exc.name!r}"
    shown = _template_path(filename, site_root) if filename else "theme"
    quoted = ""
    if filename and line:
        try:
            quoted = Path(filename).read_text(encoding="utf-8").splitlines()[line - 1]
        except (OSError, IndexError, UnicodeDecodeError):
            quoted = ""
    return ContentError(
        shown,
        line,
        f"template error: {message}",
        hint="fix the template; the last good pages stay in place",
        source_line=quoted,
    )


def _template_path(filename: str, site_root: Path) -> str:
    path = Path(filename)
    builtin = builtin_theme_dir()
    if path.is_relative_to(builtin):
        return f"(built-in theme) {path.relative_to(builtin).as_posix()}"
    return display_path(path, site_root)
