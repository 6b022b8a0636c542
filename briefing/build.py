"""The build, as a recipe: each stage a function, everything gathered before anything is written.

discover -> parse -> select -> place -> render Markdown -> assemble -> plan -> check links
-> render pages -> publish. A build with errors writes nothing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from briefing.config import SiteConfig, load_config
from briefing.content import Kind, SourceFile, discover
from briefing.errors import ContentError, at_line, has_errors, sort_problems
from briefing.markdown import RenderedBody, Resolved, Resolver, make_markdown, render_body
from briefing.model import Placement, Site, assemble, place, resolve_file, select
from briefing.output import OutputRefused, WriteStats, check_output, locked, publish
from briefing.parse import ParsedSource, parse_source
from briefing.render import PlannedPage, TemplateProblem, plan, render, site_context, with_sitemap
from briefing.theme import Theme, load_theme
from briefing.urls import Links, asset_path, output_file


@dataclass(frozen=True)
class BuildOptions:
    now: datetime
    """The build's clock, decided once by the caller: drafts of the future stay out."""
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    out: Path | None = None
    """Default: ``public/`` in the site folder."""
    strict_links: bool = False
    """Broken internal links are errors (``briefing check``) rather than warnings."""


@dataclass
class BuildResult:
    problems: list[ContentError] = field(default_factory=list)
    site: Site | None = None
    pages: int = 0
    stats: WriteStats | None = None
    changed: list[str] = field(default_factory=list)
    """Output files written or removed (site paths like ``static/style.css``), sorted."""

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


@dataclass(frozen=True)
class Prepared:
    """Everything up to rendered pages: what ``check`` validates and ``build`` writes."""

    config: SiteConfig
    site: Site
    theme: Theme
    files: dict[str, bytes | Path]


def prepare(root: Path, options: BuildOptions) -> tuple[Prepared | None, list[ContentError]]:
    config, problems = load_config(root)
    if config is None:
        return None, problems
    if options.base_url:
        config = config.with_base_url(options.base_url)
    sources, found = discover(root, config.content_dir)
    problems += found
    parsed, assets = _parse_all(sources, config, problems)
    chosen = select(parsed, options.now, drafts=options.drafts, future=options.future)
    placement, placed = place(config, chosen)
    problems += placed
    bodies = _render_bodies(config, chosen, placement, assets, problems)
    site = assemble(config, chosen, placement, bodies, assets)
    theme, theme_problems = load_theme(config, {})
    problems += theme_problems
    problems += _check_images(site, chosen, assets)
    if theme is None:
        return None, problems
    planned = with_sitemap(site, plan(site, theme))
    problems += _check_links(site, chosen, bodies, planned_paths(planned, site, theme), options)
    files: dict[str, bytes | Path] = {}
    owners: dict[str, str] = {}
    context = site_context(site)
    for page in planned:
        try:
            text = render(theme, site, context, page)
        except TemplateProblem as failure:
            if failure.problem not in problems:
                problems.append(failure.problem)
            continue
        _claim(files, owners, output_file(page.path), text.encode("utf-8"), page.path, problems)
    for name, path in theme.static_files().items():
        _claim(files, owners, name, path, name, problems)
    for asset in site.assets:
        _claim(
            files,
            owners,
            asset.path,
            config.content_dir / asset.file,
            f"content/{asset.file}",
            problems,
        )
    return Prepared(config, site, theme, files), problems


class Builder:
    """Builds one site again and again (the preview server keeps one), each time redoing
    only what changed since the last build."""

    def __init__(self, root: Path, options: BuildOptions) -> None:
        self.root = root
        self.options = options

    def build(self, now: datetime | None = None) -> BuildResult:
        """Build with the clock at ``now`` (default: the options' clock)."""
        options = self.options if now is None else replace(self.options, now=now)
        return build(self.root, options)


def build(root: Path, options: BuildOptions) -> BuildResult:
    prepared, problems = prepare(root, options)
    result = BuildResult(problems)
    if prepared is None or not result.ok:
        result.problems = sort_problems(problems)
        return result
    out = options.out or root / "public"
    result.site = prepared.site
    result.pages = sum(1 for name in prepared.files if name.endswith(".html"))
    try:
        check_output(out, root)
        with locked(out):
            result.stats = publish(out, prepared.files)
            result.changed = list(result.stats.changed)
    except OutputRefused as refusal:
        problems.append(ContentError(str(out), None, str(refusal)))
    except OSError as exc:
        problems.append(
            ContentError(
                str(out),
                None,
                f"could not write the site: {exc.strerror or exc}",
                hint="check that the folder is writable and the disk has space; "
                "the previous site was left as it was",
            )
        )
    result.problems = sort_problems(problems)
    return result


def _parse_all(
    sources: list[SourceFile], config: SiteConfig, problems: list[ContentError]
) -> tuple[list[ParsedSource], list[str]]:
    parsed: list[ParsedSource] = []
    assets: list[str] = []
    for source in sources:
        if source.kind is Kind.ASSET:
            assets.append(source.name)
            continue
        try:
            raw = source.path.read_bytes()
        except OSError as exc:
            problems.append(
                ContentError(f"content/{source.name}", None, f"could not be read: {exc.strerror}")
            )
            continue
        result, found = parse_source(source.name, source.kind, raw, config.timezone)
        problems += found
        if result is not None:
            parsed.append(result)
    return parsed, assets


def make_resolver(
    source_name: str, paths: Mapping[str, str], assets: set[str], links: Links
) -> Resolver:
    """Resolve what one file links to: other sources by their .md name, files under content/."""

    def resolve(target: str) -> Resolved:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith("#") or not parts.path:
            return Resolved(target)
        name = resolve_file(source_name, unquote(parts.path))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if name is not None and name.endswith(".md"):
            if name in paths:
                return Resolved(links.href(paths[name]) + fragment, paths[name])
            return Resolved(target, None, broken=True)
        if name is not None and name in assets:
            site_path = asset_path(name)
            return Resolved(links.href(site_path) + fragment, site_path)
        if target.startswith("/"):
            site_path = parts.path.lstrip("/")
            return Resolved(links.href(site_path) + fragment, site_path)
        return Resolved(target, None, broken=True)

    return resolve


def _render_bodies(
    config: SiteConfig,
    sources: list[ParsedSource],
    placement: Placement,
    assets: list[str],
    problems: list[ContentError],
) -> dict[str, RenderedBody]:
    md = make_markdown(config.markdown)
    links = Links(config.base_url)
    asset_set = set(assets)
    bodies: dict[str, RenderedBody] = {}
    for source in sources:
        resolve = make_resolver(source.name, placement.paths, asset_set, links)
        bodies[source.name] = render_body(md, source.body, resolve)
    return bodies


def planned_paths(planned: list[PlannedPage], site: Site, theme: Theme) -> set[str]:
    paths = {page.path for page in planned}
    paths.update(asset.path for asset in site.assets)
    paths.update(theme.static_files())
    return paths


def _check_links(
    site: Site,
    sources: list[ParsedSource],
    bodies: Mapping[str, RenderedBody],
    paths: set[str],
    options: BuildOptions,
) -> list[ContentError]:
    """Every internal link and ``#anchor`` in a body must land on something the build makes."""
    anchors = {a.path: a.anchors for a in site.articles if a.path is not None}
    anchors.update({p.path: p.anchors for p in site.pages})
    problems = []
    for source in sources:
        body = bodies.get(source.name)
        if body is None:
            continue
        for link in body.links:
            message = ""
            if link.broken:
                what = "picture" if link.image else "link"
                message = f"the {what} {link.target!r} points to a file that does not exist"
            elif link.site_path is not None:
                target = posixpath.normpath(link.site_path) if link.site_path else ""
                candidates = {
                    link.site_path,
                    target,
                    target + "/",
                    link.site_path.rstrip("/") + "/",
                }
                if not candidates & paths:
                    message = f"the link {link.target!r} points to a page that does not exist"
                elif (
                    link.fragment
                    and link.site_path in anchors
                    and link.fragment not in anchors[link.site_path]
                ):
                    message = (
                        f"the link {link.target!r} points to #{link.fragment}, not on that page"
                    )
            if message:
                problems.append(
                    at_line(
                        f"content/{source.name}",
                        source.text,
                        source.body_line + link.line,
                        message,
                        hint="link to another article by its file, e.g. ../2023-03-16/rates.md",
                        warning=not options.strict_links,
                    )
                )
    return problems


def _check_images(site: Site, sources: list[ParsedSource], assets: list[str]) -> list[ContentError]:
    texts = {s.name: s for s in sources}
    known = set(assets)
    problems = []
    for article in site.articles:
        image = article.image
        if image is None or image.file is None or image.file in known:
            continue
        source = texts[article.file]
        line = source.lines.get("image.src") or source.lines.get("image")
        problems.append(
            at_line(
                f"content/{article.file}",
                source.text,
                line,
                f"image.src: there is no picture at content/{image.file}",
                hint="check the file name; a path is relative to the article's folder",
            )
        )
    return problems


def _claim(
    files: dict[str, bytes | Path],
    owners: dict[str, str],
    name: str,
    content: bytes | Path,
    owner: str,
    problems: list[ContentError],
) -> None:
    """Refuse a second write to one output file, naming both sources."""
    key = name.casefold()
    if key in owners:
        problems.append(
            ContentError(
                owner,
                None,
                f"would be written to {name}, which {owners[key]} already writes",
                hint="rename one of them",
            )
        )
        return
    owners[key] = owner
    files[name] = content
