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
from typing import Any

import jinja2

from briefing.errors import ContentError, display_path
from briefing.feeds import atom_feed, json_feed, news_sitemap, robots, sitemap
from briefing.model import Article, Edition, Site, Topic, digest_of
from briefing.structured import absolute, edition_list, news_article, website
from briefing.theme import MONTHS, Theme, builtin_theme_dir, long_date
from briefing.urls import section_path, tag_path

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
    context: Callable[[], Mapping[str, Any]] = field(compare=False, repr=False)
    """Makes what the template is given. Called only for a page that is rendered: most of
    a rebuild's pages are unchanged, and their context (structured data, links) is not."""
    reads: tuple[str, ...] = ()
    """Fingerprints of everything shown: change one and the page is rendered again."""
    modified: datetime | None = None
    """For the sitemap."""
    fingerprint: str = field(default="", compare=False)
    owner: str = ""
    """The content file the page shows, when it shows one (``2023-03-17/xi.md``)."""


GENERATED = ("feed.xml", "feed.json", "sitemap.xml", "news-sitemap.xml", "robots.txt")
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
        context: Callable[[], Mapping[str, Any]],
        reads: tuple[str, ...] = (),
        modified: datetime | None = None,
        owner: str = "",
    ) -> PlannedPage:
        if template not in templates:
            made_by = theme.digest(template) if template not in GENERATED else ""
            templates[template] = digest_of(template, made_by, site_digest)
        fingerprint = digest_of(templates[template], reads)
        return PlannedPage(path, template, context, reads, modified, fingerprint, owner)

    return list(_plan(site, now, theme.shows_body, page))


def _plan(
    site: Site,
    now: datetime,
    shows_body: Callable[[str], bool],
    new_page: Callable[..., PlannedPage],
) -> Iterator[PlannedPage]:
    """``shows_body(template)``: whether a listing must read its articles' fingerprints, or
    their cards, which an edit to a body leaves alone. ``new_page`` makes a PlannedPage with
    its fingerprint."""
    config = site.config
    latest = site.latest
    meta = partial(_meta, site)

    def reads(template: str, shown: Article | Edition) -> str:
        return shown.fingerprint if shows_body(template) else shown.card

    yield new_page(
        "",
        "home.html",
        lambda: {
            "meta": replace(meta("home", config.title, ""), structured_data=tuple(website(site))),
            "edition": latest,
        },
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
            partial(_edition_context, site, edition, newer, older),
            (reads("edition.html", edition), _neighbour(newer), _neighbour(older)),
            max((a.modified for a in edition.articles), default=None),
        )
        readable = [a for a in edition.articles if not a.is_link]
        for position, article in enumerate(readable):
            previous = readable[position - 1] if position > 0 else None
            following = readable[position + 1] if position + 1 < len(readable) else None
            assert article.path is not None
            yield new_page(
                article.path,
                "article.html",
                partial(_article_context, site, article, edition, previous, following),
                (
                    article.fingerprint,
                    edition.path,
                    edition.title,
                    _article_link(previous),
                    _article_link(following),
                ),
                article.modified,
                owner=article.file,
            )
    months = tuple(
        Month(f"{MONTHS[month - 1]} {year}", tuple(group))
        for (year, month), group in groupby(editions, key=lambda e: (e.day.year, e.day.month))
    )
    yield new_page(
        "archive/",
        "archive.html",
        lambda: {"meta": meta("archive", "Archive", "archive/"), "months": months},
        tuple(_neighbour(e) + str(len(e.articles)) for e in editions),
    )
    for section in site.sections:
        yield from _listing(
            site, "section", section.topic, section.articles, section_path, reads, new_page
        )
    for tag in site.tags:
        yield from _listing(site, "tag", tag.topic, tag.articles, tag_path, reads, new_page)
    for title, path, topics in (
        ("Sections", "sections/", tuple(s.topic for s in site.sections)),
        ("Tags", "tags/", tuple(t.topic for t in site.tags)),
    ):
        yield new_page(
            path,
            "topics.html",
            partial(_fixed, meta=meta("topics", title, path), topics=topics, heading=title),
            tuple(f"{t.slug}:{t.name}" for t in topics),
        )
    for page in site.pages:
        yield new_page(
            page.path,
            "page.html",
            partial(_fixed, meta=meta("page", page.title, page.path, page.summary), page=page),
            (page.fingerprint,),
            owner=page.file,
        )
    yield new_page(
        "404.html", "404.html", partial(_fixed, meta=meta("404", "Page not found", "404.html"))
    )
    feed_articles = site.articles[: config.feed_size]
    for name in ("feed.xml", "feed.json"):
        yield new_page(
            name,
            name,
            partial(_fixed, articles=feed_articles),
            tuple(a.fingerprint for a in feed_articles),
        )
    for section in site.sections:
        chosen = section.articles[: config.feed_size]
        path = section_path(section.topic.slug) + "feed.xml"
        yield new_page(
            path,
            "feed.xml",
            partial(
                _fixed,
                articles=chosen,
                self=path,
                title=f"{config.title}: {section.topic.name}",
            ),
            tuple(a.fingerprint for a in chosen),
        )
    recent = tuple(
        a for a in site.articles if not a.is_link and now - a.published <= NEWS_SITEMAP_AGE
    )
    yield new_page(
        "news-sitemap.xml",
        "news-sitemap.xml",
        partial(_fixed, articles=recent),
        tuple(a.card for a in recent),  # titles and dates only
    )
    credited = tuple(a for a in site.articles if a.image is not None or a.source)
    for path, chosen, pagination in _paginated(site, "credits/", credited, CREDITS_PER_PAGE):
        yield new_page(
            path,
            "credits.html",
            partial(_credits_context, site, path, chosen, pagination),
            (
                *(reads("credits.html", a) for a in chosen),
                f"{pagination.number}/{pagination.count}",
            ),
        )
    if config.search:
        tags = tuple(sorted((t.topic for t in site.tags), key=lambda t: t.name.casefold()))
        yield new_page(
            "search/",
            "search.html",
            partial(_fixed, meta=meta("search", "Search", "search/"), tags=tags),
            tuple(f"{t.slug}:{t.name}" for t in tags),
        )
    yield new_page("robots.txt", "robots.txt", dict)


def _fixed(**context: Any) -> Mapping[str, Any]:
    return context


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


def _edition_context(
    site: Site, edition: Edition, newer: Edition | None, older: Edition | None
) -> Mapping[str, Any]:
    title = edition.title or f"The briefing for {long_date(edition.day)}"
    page_meta = _meta(site, "edition", title, edition.path, edition.summary)
    return {
        "meta": replace(page_meta, structured_data=(edition_list(site, edition, title),)),
        "edition": edition,
        "newer": newer,
        "older": older,
    }


def _article_context(
    site: Site,
    article: Article,
    edition: Edition,
    previous: Article | None,
    following: Article | None,
) -> Mapping[str, Any]:
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
        "previous": previous,
        "next": following,
    }


def _credits_context(
    site: Site, path: str, chosen: tuple[Article, ...], pagination: Pagination
) -> Mapping[str, Any]:
    title = "Credits" if pagination.number == 1 else f"Credits (page {pagination.number})"
    return {
        "meta": _meta(site, "credits", title, path),
        "photos": tuple((a, a.image) for a in chosen if a.image is not None),
        "syndicated": tuple(a for a in chosen if a.source is not None),
        "pagination": pagination,
    }


def _paginated(
    site: Site, base: str, articles: Sequence[Article], per_page: int
) -> Iterator[tuple[str, tuple[Article, ...], Pagination]]:
    """A long list split into pages: ``base`` first, then ``base/page/2/`` and on."""
    count = max(1, -(-len(articles) // per_page))

    def page_path(number: int) -> str:
        return base if number == 1 else f"{base}page/{number}/"

    for number in range(1, count + 1):
        pagination = Pagination(
            number,
            count,
            site.links.href(page_path(number - 1)) if number > 1 else None,
            site.links.href(page_path(number + 1)) if number < count else None,
        )
        chosen = tuple(articles[(number - 1) * per_page : number * per_page])
        yield page_path(number), chosen, pagination


def _listing(
    site: Site,
    kind: str,
    topic: Topic,
    articles: Sequence[Article],
    path_of: Any,
    reads: Callable[[str, Article], str],
    new_page: Callable[..., PlannedPage],
) -> Iterator[PlannedPage]:
    def context(
        path: str, chosen: tuple[Article, ...], pagination: Pagination
    ) -> Mapping[str, Any]:
        number = pagination.number
        title = topic.name if number == 1 else f"{topic.name} (page {number})"
        return {
            "meta": _meta(site, kind, title, path),
            kind: topic,
            "articles": chosen,
            "pagination": pagination,
        }

    for path, chosen, pagination in _paginated(site, path_of(topic.slug), articles, PER_PAGE):
        yield new_page(
            path,
            f"{kind}.html",
            partial(context, path, chosen, pagination),
            (
                *(reads(f"{kind}.html", a) for a in chosen),
                f"{topic.name}:{pagination.number}/{pagination.count}",
            ),
        )


def _neighbour(edition: Edition | None) -> str:
    return f"{edition.day}:{edition.title}" if edition else ""


def _article_link(article: Article | None) -> str:
    return f"{article.url}:{article.title}" if article else ""


def with_sitemap(site: Site, pages: list[PlannedPage]) -> list[PlannedPage]:
    """The sitemap lists every HTML page, so it is planned last, from the plan itself."""
    entries = tuple(
        (page.path, page.modified)
        for page in pages
        if page.template.endswith(".html") and page.path != "404.html"
    )
    sitemap_page = PlannedPage(
        "sitemap.xml",
        "sitemap.xml",
        partial(_fixed, entries=entries),
        fingerprint=digest_of("sitemap", entries),
    )
    return [*pages, sitemap_page]


def render(theme: Theme, site: Site, context: SiteContext, page: PlannedPage) -> str:
    """One page's text. Raises ``TemplateProblem`` for a theme error."""
    given = page.context()
    if page.template == "feed.xml":
        return atom_feed(site, given["articles"], given.get("self", "feed.xml"), given.get("title"))
    if page.template == "feed.json":
        return json_feed(site, given["articles"])
    if page.template == "news-sitemap.xml":
        return news_sitemap(site, given["articles"])
    if page.template == "sitemap.xml":
        return sitemap(site, given["entries"])
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
