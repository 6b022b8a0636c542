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

from briefing.cache import BodyEntry, BuildCache, ParsedEntry, StatKey, digest, stat_key
from briefing.cache import load as load_cache
from briefing.cache import save as save_cache
from briefing.config import SiteConfig, load_config
from briefing.content import Kind, SourceFile, discover
from briefing.errors import ContentError, at_line, has_errors, sort_problems
from briefing.markdown import RenderedBody, Resolved, Resolver, make_markdown, render_body
from briefing.model import Placement, Site, assemble, place, resolve_file, select
from briefing.output import KEEP, Content, OutputRefused, WriteStats, check_output, locked, publish
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
    files: dict[str, Content]
    fingerprints: dict[str, str]
    """Output file -> what it was made from, for the next build's cache."""


def prepare(
    root: Path, options: BuildOptions, cache: BuildCache | None = None
) -> tuple[Prepared | None, list[ContentError]]:
    """Every stage but writing. With a ``cache``, work whose inputs did not change is
    reused, and the cache is updated with this build's results."""
    cache = cache if cache is not None else BuildCache()
    config, problems = load_config(root)
    if config is None:
        return None, problems
    if options.base_url:
        config = config.with_base_url(options.base_url)
    sources, found = discover(root, config.content_dir)
    problems += found
    parsed, assets = _parse_all(sources, config, cache, problems)
    chosen = select(parsed, options.now, drafts=options.drafts, future=options.future)
    placement, placed = place(config, chosen)
    problems += placed
    bodies = _render_bodies(config, chosen, placement, assets, cache)
    site = assemble(config, chosen, placement, bodies, assets)
    theme, theme_problems = load_theme(config, {})
    problems += theme_problems
    problems += _check_images(site, chosen, assets)
    if theme is None:
        return None, problems
    planned = with_sitemap(site, plan(site, theme))
    problems += _check_links(site, chosen, bodies, planned_paths(planned, site, theme), options)
    out = options.out or root / "public"
    reusable = cache.outputs if cache.out == str(out.resolve()) else {}
    files: dict[str, Content] = {}
    fingerprints: dict[str, str] = {}
    owners: dict[str, str] = {}
    context = site_context(site)
    for page in planned:
        name = output_file(page.path)
        fingerprints[name] = page.fingerprint
        if reusable.get(name) == page.fingerprint:
            _claim(files, owners, name, KEEP, page.path, problems)
            continue
        try:
            text = render(theme, site, context, page)
        except TemplateProblem as failure:
            if failure.problem not in problems:
                problems.append(failure.problem)
            continue
        _claim(files, owners, name, text.encode("utf-8"), page.path, problems)
    copies = {name: (path, name) for name, path in theme.static_files().items()}
    for asset in site.assets:
        copies[asset.path] = (config.content_dir / asset.file, f"content/{asset.file}")
    for name, (path, owner) in copies.items():
        stamp = f"file:{path}:{stat_key(path)}"
        fingerprints[name] = stamp
        _claim(files, owners, name, KEEP if reusable.get(name) == stamp else path, owner, problems)
    return Prepared(config, site, theme, files, fingerprints), problems


class Builder:
    """Builds one site again and again, each time redoing only what changed since the last
    build. The CLI keeps its memory in ``.briefing-cache/``; the preview server keeps one
    Builder in memory for its whole life."""

    def __init__(self, root: Path, options: BuildOptions, *, persistent: bool = False) -> None:
        self.root = root
        self.options = options
        self.persistent = persistent
        self.cache = load_cache(root) if persistent else BuildCache()

    def build(self, now: datetime | None = None) -> BuildResult:
        """Build with the clock at ``now`` (default: the options' clock)."""
        options = self.options if now is None else replace(self.options, now=now)
        out = options.out or self.root / "public"
        prepared, problems = prepare(self.root, options, self.cache)
        result = BuildResult(problems)
        if prepared is None or not result.ok:
            result.problems = sort_problems(problems)
            return result
        result.site = prepared.site
        result.pages = sum(1 for name in prepared.files if name.endswith(".html"))
        try:
            check_output(out, self.root)
            with locked(out):
                known = self.cache.outputs if self.cache.out == str(out.resolve()) else None
                result.stats = publish(out, prepared.files, known)
            result.changed = list(result.stats.changed)
            self.cache.out = str(out.resolve())
            self.cache.outputs = prepared.fingerprints
        except OutputRefused as refusal:
            problems.append(ContentError(str(out), None, str(refusal)))
        except OSError as exc:
            self.cache.outputs = {}
            problems.append(
                ContentError(
                    str(out),
                    None,
                    f"could not write the site: {exc.strerror or exc}",
                    hint="check that the folder is writable and the disk has space; "
                    "the previous site was left as it was",
                )
            )
        if self.persistent:
            save_cache(self.root, self.cache)
        result.problems = sort_problems(problems)
        return result


def build(root: Path, options: BuildOptions, *, use_cache: bool = True) -> BuildResult:
    """One build, remembering what it did in ``.briefing-cache/`` unless told not to."""
    return Builder(root, options, persistent=use_cache).build()


def _parse_all(
    sources: list[SourceFile], config: SiteConfig, cache: BuildCache, problems: list[ContentError]
) -> tuple[list[ParsedSource], list[str]]:
    """Parse every source, reusing the cached result when the bytes are the same."""
    parsed: list[ParsedSource] = []
    assets: list[str] = []
    stats: dict[str, tuple[StatKey, str]] = {}
    entries: dict[str, ParsedEntry] = {}
    for source in sources:
        if source.kind is Kind.ASSET:
            assets.append(source.name)
            continue
        key = stat_key(source.path)
        known = cache.stats.get(source.name)
        entry = cache.parsed.get(source.name)
        if (
            key is not None
            and known is not None
            and known[0] == key
            and entry is not None
            and entry.digest == _parse_key(known[1], source.kind, config.timezone)
        ):
            file_digest = known[1]
        else:
            try:
                raw = source.path.read_bytes()
            except OSError as exc:
                problems.append(
                    ContentError(
                        f"content/{source.name}", None, f"could not be read: {exc.strerror}"
                    )
                )
                continue
            file_digest = digest(raw)
            wanted = _parse_key(file_digest, source.kind, config.timezone)
            if entry is None or entry.digest != wanted:
                result, found = parse_source(source.name, source.kind, raw, config.timezone)
                entry = ParsedEntry(wanted, result, tuple(found))
        if key is not None:
            stats[source.name] = (key, file_digest)
        entries[source.name] = entry
        problems += entry.problems
        if entry.source is not None:
            parsed.append(entry.source)
    cache.stats = stats
    cache.parsed = entries
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


def _parse_key(file_digest: str, kind: Kind, timezone: str) -> str:
    """Parsing depends on the bytes, the kind of file and the time zone; nothing else."""
    return digest(file_digest, kind.value, timezone)


def _render_bodies(
    config: SiteConfig,
    sources: list[ParsedSource],
    placement: Placement,
    assets: list[str],
    cache: BuildCache,
) -> dict[str, RenderedBody]:
    """Markdown to HTML, reusing a cached body when its text, the settings and every link
    it resolved are unchanged."""
    md = None
    links = Links(config.base_url)
    asset_set = set(assets)
    settings = repr((config.markdown, config.base_url))
    bodies: dict[str, RenderedBody] = {}
    entries: dict[str, BodyEntry] = {}
    for source in sources:
        resolve = make_resolver(source.name, placement.paths, asset_set, links)
        wanted = digest(source.body, settings)
        entry = cache.bodies.get(source.name)
        if entry is None or entry.digest != wanted or not _still_resolves(entry, resolve):
            md = md or make_markdown(config.markdown)
            recorder = _Recorder(resolve)
            body = render_body(md, source.body, recorder)
            entry = BodyEntry(wanted, body, tuple(recorder.seen.items()))
        entries[source.name] = entry
        bodies[source.name] = entry.body
    cache.bodies = entries
    return bodies


class _Recorder:
    """Wraps a resolver and remembers what each target resolved to."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.seen: dict[str, Resolved] = {}

    def __call__(self, target: str) -> Resolved:
        self.seen[target] = self.resolve(target)
        return self.seen[target]


def _still_resolves(entry: BodyEntry, resolve: Resolver) -> bool:
    return all(resolve(target) == resolved for target, resolved in entry.resolutions)


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
    files: dict[str, Content],
    owners: dict[str, str],
    name: str,
    content: Content,
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
