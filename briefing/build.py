"""The build, as a recipe: each stage a function, everything gathered before anything is written.

discover -> parse -> select -> place -> render Markdown -> assemble -> plan -> check links
-> render pages -> publish. A build with errors writes nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import posixpath
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from briefing.cache import (
    BUILD,
    CACHE_DIR,
    BodyEntry,
    BuildCache,
    BuildState,
    ParsedEntry,
    Shelf,
    StatKey,
    digest,
    keep_basis,
    load_basis,
    load_state,
    made_with,
    read_entries,
    save_state,
    seed_entries,
    stat_key,
)
from briefing.cache import load as load_cache
from briefing.cache import save as save_cache
from briefing.config import CONFIG_FILE, SiteConfig, load_config
from briefing.content import Discovery, Kind, SourceFile, Stamped, discover
from briefing.errors import ContentError, has_errors, sort_problems
from briefing.images import RASTER, ImageProblem, Picture
from briefing.images import process as process_image
from briefing.links import (
    check_body_images,
    check_images,
    check_links,
    make_resolver,
    page_anchors,
    planned_paths,
)
from briefing.markdown import (
    Markdown,
    PictureRef,
    RenderedBody,
    Resolved,
    Resolver,
    make_markdown,
    render_body,
)
from briefing.model import (
    Article,
    KeptAssets,
    Placement,
    Remembered,
    Site,
    assemble,
    is_curated_link,
    place,
    place_of,
    remade,
    select,
    with_articles,
)
from briefing.output import (
    KEEP,
    Content,
    Linked,
    OutputRefused,
    Publication,
    WriteStats,
    check_output,
    locked,
    output_stamp,
    publish,
)
from briefing.parse import ParsedSource, parse_source
from briefing.render import (
    NEWS_SITEMAP_AGE,
    Plan,
    PlannedPage,
    TemplateProblem,
    article_link,
    plan,
    render,
    replan,
    site_context,
    with_sitemap,
)
from briefing.schema import ArticleFields
from briefing.search import (
    BUNDLE,
    MANIFEST,
    SearchSkipped,
    build_index,
    bundle_finder,
    bundle_folder,
    manifest,
    plan_bundles,
    published_index,
)
from briefing.theme import Theme, builtin_theme_dir, load_theme
from briefing.urls import Links, asset_path, output_file
from briefing.workers import fork_imap, fork_map

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


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
    workers: int = 1
    """Processes for a cold build's per-file work; the preview's rebuilds keep 1 (threads)."""
    strict: bool = False
    """Every warning (a photo without alt text, a misspelled field) is an error."""
    search: bool = True
    """Build the search index (when site.yaml does not turn search off); the preview skips it."""
    progress: Callable[[str, int, int], None] | None = field(default=None, compare=False)
    """Told (stage, done, total) as a long build goes, for an interactive terminal."""


@dataclass
class BuildResult:
    problems: list[ContentError] = field(default_factory=list)
    site: Site | None = None
    pages: int = 0
    stats: WriteStats | None = None
    changed: list[str] = field(default_factory=list)
    """Output files written or removed (site paths like ``static/style.css``), sorted."""
    trusted: bool = False
    """Only the files a watcher named were looked at: build again without them to be sure."""

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


@dataclass(frozen=True)
class Basis:
    """What an edit that leaves every article in its place leaves standing: a builder that
    lives on (the preview) patches the next site on top of it instead of building it
    again."""

    plan: Plan
    places: Mapping[str, tuple[object, ...]]
    """Each published story's ``place_of`` by file: what an edit to it is compared with.
    Curated links are left out: an edit to one is never patched, as it may give it a body
    and so a page."""
    placement: Placement
    assets: list[str]
    refs: Mapping[str, PictureRef]
    paths: set[str]
    """Every site path the build makes, for checking links."""
    unpublished: set[str]
    anchors: Mapping[str, frozenset[str]]
    """The anchors of every page with a Markdown body, by site path."""
    positions: dict[str, int]
    """Each article's place in ``site.articles``, by file."""


@dataclass(frozen=True)
class Prepared:
    """Everything up to rendered pages: what ``check`` validates and ``build`` writes."""

    config: SiteConfig
    site: Site
    theme: Theme
    names: list[str]
    """Every file of the site: the files were staged in the publication as they were made."""
    pages: int
    """How many of them are HTML pages."""
    fingerprints: dict[str, str]
    """Output file -> what it was made from, for the next build's cache."""
    valid_until: datetime | None = None
    """When the clock alone will change the site: a scheduled article comes out, or one
    leaves the two-day news sitemap. None: only an edit will."""
    basis: Basis | None = None
    """Set when no photo was unreadable (a photo's warning depends on every body)."""


Kept = TypeVar("Kept", bound="DataclassInstance")

Settings = tuple[BuildOptions, StatKey | None, list[str]]
"""What a build depends on besides the content and the clock (``Builder._settings``)."""

Discovered = tuple[list[SourceFile], list[ContentError]]
"""What ``discover`` found under content/, and the problems it met."""

Write = Callable[[str, Content], None]
"""Takes one output file (site path, content) as soon as it is made."""


@dataclass(frozen=True)
class _Staged:
    """A page a worker rendered and staged itself (``Publication.stage``): only whether
    it was written travels back to be recorded."""

    written: bool


_WRITTEN, _UNCHANGED = _Staged(True), _Staged(False)


def prepare(
    root: Path,
    options: BuildOptions,
    cache: BuildCache | None = None,
    discovered: Discovered | None = None,
    publication: Publication | None = None,
) -> tuple[Prepared | None, list[ContentError]]:
    """Every stage but putting the site in place. Each output file is staged in
    ``publication`` as soon as it is made (unless an error has already been found), so
    writing overlaps rendering. With a ``cache``, work whose inputs did not change is
    reused, and the cache is updated with this build's results. Without one (``briefing
    check``) photos the builds have not processed yet are processed in a scratch folder
    that is gone on return, so the result is for checking, not for publishing."""
    photos = root / CACHE_DIR / "images"
    if cache is None:
        with tempfile.TemporaryDirectory(prefix="briefing-check-") as scratch:
            scratched = (Path(scratch), photos)
            return _prepare(root, options, BuildCache(), scratched, discovered, publication)
    return _prepare(root, options, cache, (photos, None), discovered, publication)


def _prepare(
    root: Path,
    options: BuildOptions,
    cache: BuildCache,
    image_dirs: tuple[Path, Path | None],
    discovered: Discovered | None,
    publication: Publication | None,
) -> tuple[Prepared | None, list[ContentError]]:
    """``image_dirs``: where photos are processed, and a store of processed photos to
    reuse without writing to it."""
    image_dir = image_dirs[0]
    config, problems = load_config(root)
    if config is None:
        return None, problems
    if options.base_url:
        config = config.with_base_url(options.base_url)
    sources, found = discovered or discover(root, config.content_dir)
    problems += found
    assets = [source for source in sources if source.kind is Kind.ASSET]
    asset_names = [source.name for source in assets]
    parsed = _parse_all(
        sources, config, cache, problems, options.workers, _stage(options, "Reading articles")
    )
    chosen = select(parsed, options.now, drafts=options.drafts, future=options.future)
    # Where everything goes depends only on each file's name, front matter and whether it
    # is a curated link: unchanged (the usual edit), the last placement stands.
    shape = (config.timezone, [(s.name, s.key, is_curated_link(s)) for s in chosen])
    placement, placed = _reuse(cache, "place", shape, lambda: place(config, chosen))
    problems += placed
    photos = [a for a in assets if os.path.splitext(a.name)[1].lower() in RASTER]
    if photos:
        # Processed photos live in the image cache: when it is removed (`briefing clean`)
        # its stamp changes, and the photos are looked at again rather than remembered.
        with contextlib.suppress(OSError):  # processing will say what is wrong
            image_dir.mkdir(parents=True, exist_ok=True)
    pictures, unreadable = _reuse(
        cache,
        "photos",
        (repr(config.images), stat_key(image_dir), [(a.name, a.stamp) for a in photos]),
        lambda: _process_images(
            image_dirs, config, photos, cache, options.workers, _stage(options, "Processing photos")
        ),
    )
    refs = _picture_refs(pictures, Links(config.base_url), cache)
    bodies = _render_bodies(
        config,
        chosen,
        placement,
        asset_names,
        refs,
        cache,
        options.workers,
        _stage(options, "Rendering Markdown"),
    )
    site = assemble(config, chosen, placement, bodies, asset_names, refs, cache.articles)
    theme, theme_problems = load_theme(config)
    problems += theme_problems
    problems += check_images(site, chosen, asset_names, unreadable, bodies)
    if theme is None:
        return None, problems
    planned = with_sitemap(site, plan(site, theme, options.now))
    unpublished = {source.name for source in parsed} - {source.name for source in chosen}
    paths = planned_paths(planned, site, theme)
    anchors = page_anchors(site)
    problems += check_links(chosen, bodies, paths, anchors, unpublished, options.strict_links)
    out = options.out or root / "public"
    reusable = _still_published(out, cache.outputs) if cache.out == str(out.resolve()) else {}
    names: list[str] = []
    fingerprints: dict[str, str] = {}
    owners: dict[str, PlannedPage | str] = {}
    # A build that already failed publishes nothing: its files need not be written.
    keep = publication if publication is not None and not has_errors(problems) else None

    def take(name: str, content: Content | _Staged, owner: PlannedPage | str) -> None:
        if _claim(owners, name, owner, problems):
            names.append(name)
            if isinstance(content, _Staged):
                assert keep is not None
                keep.record(name, content.written)
            elif keep is not None:
                keep.add(name, content)

    rendered = _render_pages(
        theme,
        site,
        planned,
        reusable,
        options.workers,
        _stage(options, "Rendering pages"),
        keep.stage if keep is not None else None,
    )
    for page, text in zip(planned, rendered, strict=True):
        name = output_file(page.path)
        fingerprints[name] = page.fingerprint
        if isinstance(text, ContentError):
            if text not in problems:
                problems.append(text)
            continue
        take(name, text, page)
    statics = [(name, path, stat_key(path)) for name, path in theme.static_files().items()]
    stamps = [(source.name, source.stamp) for source in assets]
    copies = _reuse(
        cache,
        "copies",
        (statics, stamps, pictures, config.content_dir),
        lambda: _copies(statics, dict(stamps), pictures, config.content_dir),
    )
    for name, file, owner, fingerprint in copies:
        fingerprints[name] = fingerprint
        content = KEEP if reusable.get(name) == fingerprint else file
        take(name, content, owner)
    search_files = {name: f for name, f in reusable.items() if name.startswith(BUNDLE)}
    if not search_files and options.search and config.search:
        # The cache does not know the index in the output (``--no-cache``, or after
        # ``briefing clean``): it stays published, marked stale, until the index step
        # has made it again. Dropping it left the site without search meanwhile.
        search_files = dict.fromkeys(published_index(out), "")
    for name, fingerprint in search_files.items():
        # The search index is rebuilt after publishing, from the published pages.
        names.append(name)
        fingerprints[name] = fingerprint
        if keep is not None:
            keep.add(name, KEEP)
    if options.strict:
        problems = [replace(p, warning=False) for p in problems]
    moments = [
        source.fields.published
        for source in parsed
        if isinstance(source.fields, ArticleFields)
        and source.fields.published > options.now
        and not options.future
    ]
    moments += [a.published + NEWS_SITEMAP_AGE for a in site.articles if not a.is_link]
    upcoming = [moment for moment in moments if moment > options.now]
    valid_until = min(upcoming) if upcoming else None
    basis = None
    if not unreadable:
        places = {
            source.name: place_of(source.fields)
            for source in chosen
            if isinstance(source.fields, ArticleFields) and not is_curated_link(source)
        }
        positions = {article.file: index for index, article in enumerate(site.articles)}
        basis = Basis(
            Plan.of(planned),
            places,
            placement,
            asset_names,
            refs,
            paths,
            unpublished,
            anchors,
            positions,
        )
    pages = sum(1 for name in names if name.endswith(".html"))
    prepared = Prepared(config, site, theme, names, pages, fingerprints, valid_until, basis)
    return prepared, problems


@dataclass(frozen=True)
class Edit:
    """One article a patched build takes in: what it read, and the article made again."""

    source: SourceFile
    file_digest: str
    parsed: ParsedSource
    entry: BodyEntry
    remembered: Remembered
    """The article made again from the new source, with what it was made from."""

    @property
    def article(self) -> Article:
        return self.remembered[1]


class _KeptMemo(MutableMapping[str, Remembered]):
    """The memo of a kept basis: what each Article was made from, unpickled when a patch
    asks for it, with the Article from the basis's site. What a build puts in goes on
    top."""

    def __init__(
        self,
        kept: Shelf[str, tuple[int, tuple[Any, ...], str | None]],
        articles: Sequence[Article],
    ) -> None:
        self._kept: Mapping[str, tuple[int, tuple[Any, ...], str | None]] = kept
        self._articles = articles
        self._new: dict[str, Remembered] = {}

    def __getitem__(self, name: str) -> Remembered:
        if name in self._new:
            return self._new[name]
        position, inputs, photo = self._kept[name]
        return inputs, self._articles[position], photo

    def __setitem__(self, name: str, remembered: Remembered) -> None:
        self._new[name] = remembered

    def __delitem__(self, name: str) -> None:
        self._new = dict(self.items())
        self._kept = {}
        del self._new[name]

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in self._kept if name not in self._new)
        yield from self._new

    def __len__(self) -> int:
        return len(self._kept.keys() | self._new.keys())

    def clear(self) -> None:
        self._kept, self._new = {}, {}


@dataclass(frozen=True)
class _Last:
    """A builder's last successful build, which the next one may patch."""

    settings: Settings
    """The options but the clock, and the stamps of site.yaml and every theme file."""
    sources: dict[str, SourceFile] | Stamped
    """Every content file, as discovered; a kept basis keeps their ``Stamped``."""
    found: list[ContentError]
    prepared: Prepared
    problems: list[ContentError]


class Builder:
    """Builds one site again and again, each time redoing only what changed since the last
    build. The CLI keeps its memory in ``.briefing-cache/``; the preview server keeps one
    Builder in memory for its whole life, and patches its last site when a save changed
    only what articles say, not where they go (the usual save while writing).

    ``persistent``: the next build reads and writes the cache's ``store``, which starts
    from the entries of the ``seed`` store when it has none (``cache.seed_entries``).
    ``resident``: the builder builds again in this process (the preview), so it needs the
    site in memory and never takes the shortcut of a build with nothing to do, which
    returns without one; that shortcut's ``state.json`` is left to the CLI."""

    def __init__(
        self,
        root: Path,
        options: BuildOptions,
        *,
        persistent: bool = False,
        store: str = BUILD,
        resident: bool = False,
        seed: str | None = None,
    ) -> None:
        self.root = root
        self.options = options
        self.persistent = persistent
        self.store = store
        self.seed = seed
        self.resident = resident
        self.cache = BuildCache()
        self._last: _Last | None = None
        self._discovered: dict[str, SourceFile] = {}
        self._parser: tuple[object, Markdown] | None = None
        self._seen_settings: Settings | None = None
        """The settings the last build looked at."""

    def build(
        self,
        now: datetime | None = None,
        *,
        changed: Collection[str] | None = None,
        discovering: Discovery | None = None,
    ) -> BuildResult:
        """Build with the clock at ``now`` (default: the options' clock).

        ``changed``: the site paths a file watcher saw change since the last build. Taken
        on trust, they spare looking at every file under content/ when only those content
        files changed; the result then says ``trusted``, and the caller must build once
        more without them to catch what the watcher missed.

        ``discovering``: ``discover`` running in a child process since the caller
        started it (the CLI, before it imported the rest of briefing). While it runs, a
        persistent builder reads the cache's index and the kept basis it names, which a
        patch needs (0.1 s at 10,000 articles, and on ext4 the child's 20,000 ``stat``
        calls take longer than the imports).

        The whole build holds the output's lock: a second build of the same site waits,
        then starts from the first one's cache and output, never from a stale view.
        """
        options = self.options if now is None else replace(self.options, now=now)
        out = options.out or self.root / "public"
        try:
            check_output(out, self.root)
            with locked(out):
                return self._build_locked(options, out, changed, discovering)
        except OutputRefused as refusal:
            return BuildResult([ContentError(str(out), None, str(refusal))])
        except OSError as exc:
            return BuildResult([_write_problem(out, exc)])

    def _build_locked(
        self,
        options: BuildOptions,
        out: Path,
        changed: Collection[str] | None,
        discovering: Discovery | None,
    ) -> BuildResult:
        hinted = self._rediscover(changed) if changed is not None else None
        edited: list[SourceFile] | None = None
        preloaded: tuple[BuildCache, dict[str, Any] | None] | None = None
        if hinted is not None and self._last is not None:
            self._discovered, edited = hinted
            discovered: Discovered = (list(self._discovered.values()), self._last.found)
        else:
            if discovering is not None and self.persistent and not discovering.done():
                preloaded = self._preload(discovering)
            if discovering is not None:
                discovered = discovering()
            else:
                discovered = discover(self.root, self.root / "content", self._discovered)
            self._discovered = {source.name: source for source in discovered[0]}
        settings = self._seen_settings = self._settings(options)
        remembers = self.persistent and not self.resident
        stamped = None
        if remembers:
            stamped = discovering.stamped if discovering else None
            stamped = stamped or Stamped.of(discovered[0])
        inputs = self._inputs(settings, out, stamped, discovered[1]) if stamped else ""
        if remembers:
            state = load_state(self.root)
            if state is not None and self._unchanged(state, inputs, options, out):
                warnings = [ContentError(**w) for w in state.warnings]
                return BuildResult(warnings, pages=state.pages)
        if self.persistent:
            # The entries are read when a full build runs.
            if preloaded is not None:
                self.cache = preloaded[0]
            else:
                self.cache = load_cache(self.root, entries=False, store=self.store)
            if self.seed is not None:
                seed_entries(self.root, self.cache, self.seed)
        known: dict[str, str] | None = self.cache.outputs
        stamp = self.cache.stamp
        if not stamp or output_stamp(out) != stamp or self.cache.out != str(out.resolve()):
            # The output is gone, foreign, or written since by a build that did not tell
            # the cache (``--no-cache``): what it holds is not known, let alone right. The
            # whole site is staged, and what is in the output but not in the site goes.
            self.cache.outputs, known = {}, None
        result = BuildResult(trusted=edited is not None)
        problems = result.problems
        prepared: Prepared | None = None
        last, self._last = self._last, None
        shape = _shape(settings, discovered) if self.persistent else ""
        if self.persistent and known:
            last = self._kept(shape, preloaded[1] if preloaded else None)
        patched = None
        keeping: _Last | None = None
        written: Callable[[], bool] | None = None
        try:
            with Publication(out, known) as publication:
                if last is not None and last.settings == settings and known:
                    try:
                        patched = self._patch(
                            last, options, discovered, edited, known, publication.add, stamped
                        )
                    except pickle.UnpicklingError:
                        patched = None  # a kept article was found damaged: build in full
                if patched is None:
                    read_entries(self.root, self.cache, self.store)
                    if isinstance(self.cache.articles, _KeptMemo):
                        # Made from sources no longer in memory, the kept Articles would
                        # not be reused (nor the few patched since), and unpickling what
                        # each was made from costs 0.15 s at 10,000 articles.
                        self.cache.articles = {}
                prepared, found = patched or prepare(
                    self.root, options, self.cache, discovered, publication
                )
                problems += found
                if prepared is None or not result.ok:
                    result.problems = sort_problems(problems)
                    return result  # the staged files are thrown away
                result.site = prepared.site
                result.pages = prepared.pages
                result.stats = publication.commit(prepared.names)
        except OSError as exc:
            self.cache.outputs = {}
            problems.append(_write_problem(out, exc))
        else:
            result.changed = list(result.stats.changed)
            self.cache.stamp = result.stats.stamp
            assert prepared is not None
            if prepared.basis is not None:
                sources, found_then = self._discovered, discovered[1]
                self._last = _Last(settings, sources, found_then, prepared, list(problems))
            if self.persistent and patched is None:
                # A full build: the basis on disk is the last full build's, replaced below.
                self.cache.basis = ""
                self.cache.dirty = True
                keeping = self._last
            moved = self.cache.out != str(out.resolve())
            self.cache.dirty |= moved or self.cache.outputs != prepared.fingerprints
            self.cache.out = str(out.resolve())
            self.cache.outputs = prepared.fingerprints
            if keeping is not None:
                # Its child pickles while Pagefind indexes: at 10,000 articles, 1.6 s the
                # build spent waiting for it after saving the cache. The index it leaves
                # out is taken from the output by the next patch (``_with_output_index``).
                written = self._keep(keeping, shape, stamped)
            if options.search and prepared.config.search:
                problems += self._index_search(out, prepared, result)
        if self.persistent:
            self.save()
            if written is not None and not written():
                self.cache.basis = ""  # the index must not name a file that is not there
                self.cache.dirty = True
                self.save()
        # A search index the build wanted but could not make (Pagefind failed) is not
        # remembered as done: the next build, changed or not, tries again.
        wanted = options.search and prepared is not None and prepared.config.search
        indexed = not wanted or bool(self.cache.outputs.get(MANIFEST))
        if remembers and prepared is not None and result.stats is not None and indexed:
            valid_until = prepared.valid_until.isoformat() if prepared.valid_until else ""
            said = tuple(p.as_dict() for p in problems if p.warning)
            state = BuildState(inputs, self.cache.stamp, valid_until, result.pages, said)
            save_state(self.root, state)
        result.problems = sort_problems(problems)
        return result

    def changed_on_disk(self) -> list[str]:
        """The site paths that changed since the last build looked at the disk: for a file
        watcher that started after that build (the preview's, after its first build)."""
        known = self._discovered
        found, _ = discover(self.root, self.root / "content", known)
        on_disk = {source.name: source for source in found}
        # discover lends the SourceFile it was given to a file whose stamp is unchanged.
        names = sorted(on_disk.keys() | known.keys())
        changed = [f"content/{n}" for n in names if on_disk.get(n) is not known.get(n)]
        if self._seen_settings is not None:
            _, config_then, themes_then = self._seen_settings
            _, config_now, themes_now = self._settings(self.options)
            changed += [CONFIG_FILE] if config_now != config_then else []
            changed += ["themes"] if themes_now != themes_then else []
        return changed

    def save(self) -> None:
        """Write the cache this builder holds to its store, when it changed since read:
        after each persistent build, and for a resident builder on its way out (its
        builds since the first stayed in memory, and the output has moved on from what
        the store says)."""
        if self.cache.dirty:
            save_cache(self.root, self.cache, self.store)
            self.cache.dirty = False

    def _keep(self, last: _Last, shape: str, stamped: Stamped | None) -> Callable[[], bool]:
        """Start keeping ``last`` in the store for the next build from it to patch (the
        CLI's next run, the preview's next session), in a file whose name says its
        ``_shape``; returns ``keep_basis``'s wait. The memo keeps what each Article was
        made from but its source and body, which an edit replaces (``model.remade``).
        ``stamped``: the files' ``Stamped``, when the build made it for its inputs."""
        # Neither the memo nor the pickle makes garbage, yet making them set off a full
        # collection, walking the whole site for nothing: 0.35 s at 10,000 articles.
        collecting = gc.isenabled()
        gc.disable()
        try:
            prepared = last.prepared
            assert prepared.basis is not None  # a build without one is not kept
            articles, positions = prepared.site.articles, prepared.basis.positions
            # Each Article is kept once, in the site: the memo says where it is. One that
            # is not there is left out, and an edit to it is built in full.
            memo = Shelf(
                {
                    name: (position, (None, None, *inputs[2:]), photo)
                    for name, (inputs, article, photo) in self.cache.articles.items()
                    if (position := positions.get(name)) is not None
                    and articles[position] is article
                }
            )
            placement, pages = prepared.basis.placement, prepared.basis.plan
            basis = replace(
                prepared.basis,
                plan=Plan(
                    Shelf(pages.pages, per_bucket=16),
                    Shelf(pages.readers, per_bucket=32),
                    Shelf(pages.files),
                ),
                places=Shelf(prepared.basis.places),
                placement=Placement(
                    Shelf(placement.paths), Shelf(placement.edition_days), Shelf(placement.slugs)
                ),
                refs=Shelf(prepared.basis.refs),
                anchors=Shelf(prepared.basis.anchors),
            )
            site = replace(prepared.site, assets=KeptAssets.of(prepared.site.assets))
            kept_prepared = replace(prepared, site=site, basis=basis)
            sources = last.sources
            if stamped is None and isinstance(sources, dict):  # the preview's: none made
                stamped = Stamped.of(list(sources.values()))
            kept = {
                "last": replace(last, sources=stamped or sources, prepared=kept_prepared),
                "memo": memo,
            }
            self.cache.basis, written = keep_basis(
                self.root, shape, kept, self.store, (Article, Shelf)
            )
            return written
        finally:
            if collecting:
                gc.enable()

    def _preload(self, discovering: Discovery) -> tuple[BuildCache, dict[str, Any] | None]:
        """While ``discovering`` runs: the cache's index, and the basis it names if the
        child has still not finished by then (not knowing the files yet, the basis is
        read whatever its ``_shape``)."""
        cache = load_cache(self.root, entries=False, store=self.store)
        if discovering.done() or not cache.basis:
            return cache, None
        return cache, load_basis(self.root, cache.basis, self.store)

    def _kept(self, shape: str, read: dict[str, Any] | None = None) -> _Last | None:
        """The basis the last full build kept on disk, if it has this ``_shape``: if not,
        no patch could use it, and it is not even read (0.5 s at 10,000 articles), unless
        it was ``read`` already."""
        if not self.cache.basis.startswith(f"basis-{shape}-"):
            return None
        kept = read or load_basis(self.root, self.cache.basis, self.store)
        if kept is None or not isinstance(kept["memo"], Shelf):
            return None
        last: object = kept["last"]
        if not (_whole(last, _Last) and _whole(last.prepared, Prepared)):
            return None
        if not _whole(last.prepared.basis, Basis):
            return None
        self.cache.articles = _KeptMemo(kept["memo"], last.prepared.site.articles)
        return last

    def _rediscover(
        self, changed: Collection[str]
    ) -> tuple[dict[str, SourceFile], list[SourceFile]] | None:
        """The last build's content files with the ``changed`` ones looked at again, and
        those of them that did change, when they are all content files it already knew
        (no file added, removed or replaced by a folder). None: discover them all."""
        last = self._last
        if last is None or self.persistent or not changed:
            return None
        if isinstance(last.sources, Stamped):  # a basis kept by an earlier session
            return None
        sources = dict(last.sources)
        content = self.root / "content"
        edited = []
        for path in sorted(set(changed)):
            name = path.removeprefix("content/")
            before = sources.get(name)
            if name == path or before is None:
                return None
            stamp = stat_key(content / name)
            if stamp is None or not (content / name).is_file():
                return None
            if stamp != before.stamp:
                sources[name] = SourceFile(content, name, before.kind, stamp)
                edited.append(sources[name])
        return sources, edited

    def _inputs(
        self, settings: Settings, out: Path, stamped: Stamped, problems: list[ContentError]
    ) -> str:
        """Every file a build reads, by stamp (size, time, inode), with the settings (from
        ``_settings``) and the version: equal digests, equal sites, as long as the clock
        has not moved past ``valid_until``."""
        parts = [made_with(), repr(settings)]
        parts.append(str(out.resolve()))  # that it still holds a site is checked apart
        parts += (stamped.names, stamped.stamps)
        parts += (problem.format() for problem in problems)
        return digest(*parts)

    def _theme_stamps(self) -> list[str]:
        stamps = []
        for folder in (self.root / "themes", builtin_theme_dir()):
            for top, dirs, names in os.walk(folder):
                dirs.sort()
                for name in sorted(names):
                    path = os.path.join(top, name)
                    stamps.append(f"{path}:{stat_key(Path(path))}")
        return stamps

    def _settings(self, options: BuildOptions) -> Settings:
        """Everything a build depends on besides the content and the clock: the options,
        site.yaml and every theme file, by stamp."""
        general = replace(options, now=datetime.min, workers=1, progress=None)
        return (general, stat_key(self.root / CONFIG_FILE), self._theme_stamps())

    def _patch(
        self,
        last: _Last,
        options: BuildOptions,
        discovered: Discovered,
        edited: list[SourceFile] | None,
        outputs: Mapping[str, str],
        write: Write,
        stamped: Stamped | None = None,
    ) -> tuple[Prepared, list[ContentError]] | None:
        """The build when only what some articles say changed since ``last`` (their
        bodies, or front matter but for its ``place_of``): each is made again
        and swapped into the last site, and only the pages that read what changed (its
        page, its neighbours, the feeds, listings) are rendered again. None, with nothing
        written or remembered, when anything else changed: an article's place, an anchor
        other pages may link to, a curated link's empty body, a file added or removed, or
        when a problem is in the way (the full build reports it).

        ``edited``: the files that changed, when the caller knows; otherwise any file
        whose SourceFile discover did not lend from the last build. ``outputs``: what the
        output holds, as file -> fingerprint. ``stamped``: the files' ``Stamped``, when the
        caller has it."""
        prepared, basis = last.prepared, last.prepared.basis
        sources, found = discovered
        if basis is None or found != last.found or len(sources) != len(last.sources):
            return None
        if prepared.valid_until is not None and options.now >= prepared.valid_until:
            return None
        config = prepared.config
        troubled = {problem.path for problem in last.problems}
        md = self._markdown(config)
        links, assets = Links(config.base_url), set(basis.assets)
        if edited is None:
            edited = _edited_since(last.sources, sources, stamped)
            if edited is None:
                return None
        edits: list[Edit] = []
        for source in edited:
            before, position = basis.places.get(source.name), basis.positions.get(source.name)
            if before is None or position is None or f"content/{source.name}" in troubled:
                return None
            article = prepared.site.articles[position]
            try:
                raw = source.path.read_bytes()
            except OSError:
                return None
            parsed, parse_problems = parse_source(source.name, source.kind, raw, config.timezone)
            if parsed is None or parse_problems or is_curated_link(parsed):
                return None  # a story losing its body becomes a curated link, without a page
            memo = self.cache.articles.get(source.name)
            if memo is None or memo[1] is not article:
                return None  # what the article was made from is not known
            if not isinstance(parsed.fields, ArticleFields) or place_of(parsed.fields) != before:
                return None
            resolve = make_resolver(source.name, basis.placement.paths, assets, links, basis.refs)
            entry = _body_entry(md, parsed, resolve, _body_key(parsed, _body_settings(config)))
            if entry.body.anchors != article.anchors:
                return None
            remembered = remade(memo, parsed, entry.body, links)
            edits.append(Edit(source, digest(raw), parsed, entry, remembered))
        changed = {edit.parsed.name: edit.article for edit in edits}
        site = with_articles(prepared.site, changed, basis.positions)
        bodies = {edit.parsed.name: edit.entry.body for edit in edits}
        documents = [edit.parsed for edit in edits]
        strict = options.strict_links
        if check_links(documents, bodies, basis.paths, basis.anchors, basis.unpublished, strict):
            return None
        if check_body_images(documents, bodies, {}):
            return None
        # What pages read of the edited articles and their editions, before and after.
        pairs = []
        for name, article in changed.items():
            old = prepared.site.articles[basis.positions[name]]
            pairs += [(old.fingerprint, article.fingerprint), (old.card, article.card)]
            pairs.append((article_link(old), article_link(article)))
        for old_edition, new_edition in zip(prepared.site.editions, site.editions, strict=True):
            if old_edition is not new_edition:
                pairs.append((old_edition.fingerprint, new_edition.fingerprint))
                pairs.append((old_edition.card, new_edition.card))
        replaced = {old: new for old, new in pairs if old != new}
        replanned, anew = replan(basis.plan, replaced)
        # Rendered: every page the output does not hold as planned now. Those the edits
        # changed, and, when the basis is older than the output (the CLI keeps the one of
        # its last full build), those an earlier patch changed and this one changes back.
        redo = set(anew)
        if outputs is not prepared.fingerprints:
            differ = prepared.fingerprints.items() - outputs.items()  # in C: 21,000 files
            redo.update(
                index for file, _ in differ if (index := replanned.files.get(file)) is not None
            )
        anew_pages = (replanned.pages[index] for index in sorted(redo))
        shown = {output_file(page.path): page for page in anew_pages}
        pages = [page for file, page in shown.items() if outputs.get(file) != page.fingerprint]
        context = site_context(site)
        made = []
        for page in pages:
            try:
                made.append((output_file(page.path), render(prepared.theme, site, context, page)))
            except TemplateProblem:
                return None
        # Taken: from here on the edit is written and remembered.
        for name, text in made:
            write(name, text.encode("utf-8"))
        self._remember(edits, config.timezone)
        fingerprints = dict(prepared.fingerprints)
        fingerprints.update((file, page.fingerprint) for file, page in shown.items())
        names = prepared.names
        if MANIFEST in outputs or MANIFEST in fingerprints:
            names = _with_output_index(names, fingerprints, outputs)
        basis = replace(basis, plan=replanned)  # the edits left every place as it was
        patched = replace(prepared, site=site, names=names, fingerprints=fingerprints, basis=basis)
        return patched, list(last.problems)

    def _markdown(self, config: SiteConfig) -> Markdown:
        """One Markdown parser for the builder's life, until the settings change."""
        if self._parser is None or self._parser[0] != config.markdown:
            self._parser = (config.markdown, make_markdown(config.markdown))
        return self._parser[1]

    def _remember(self, edits: list[Edit], timezone: str) -> None:
        """Put the patched sources and bodies in the cache, as a full build would have."""
        cache = self.cache
        for edit in edits:
            name = edit.source.name
            cache.stats[name] = (edit.source.stamp, edit.file_digest)
            key = _parse_key(edit.file_digest, edit.source.kind, timezone)
            cache.parsed[name] = ParsedEntry(key, edit.parsed, ())
            cache.bodies[name] = edit.entry
            cache.articles[name] = edit.remembered
        cache.dirty = True

    def _unchanged(self, state: BuildState, inputs: str, options: BuildOptions, out: Path) -> bool:
        if state.inputs != inputs or output_stamp(out) != state.output:
            return False
        return not state.valid_until or options.now < datetime.fromisoformat(state.valid_until)

    def _index_search(
        self, out: Path, prepared: Prepared, result: BuildResult
    ) -> list[ContentError]:
        """Index again the bundles whose pages changed (and make any missing), then put
        them in place the same all-or-nothing way as the pages."""
        outputs = self.cache.outputs
        changed = [name for name in result.changed if name.endswith(".html")]
        if outputs.get(MANIFEST) and not changed:
            return []
        bundles = plan_bundles(out, [name for name in prepared.names if name.endswith(".html")])
        made = {bundle_folder(name) for name in outputs}
        stale = {bundle_folder(name) for name, made_from in outputs.items() if not made_from}
        bundle_of = bundle_finder(bundles)
        redo = {bundle_of(name) for name in changed} | stale
        todo = {name: glob for name, glob in bundles.items() if name in redo or name not in made}
        try:
            fresh = build_index(out, prepared.config.language, todo)
        except SearchSkipped as skipped:
            # Behind the pages now: the next build makes these bundles again, even if it
            # changes no page, instead of leaving search stale until one of theirs does.
            for name in outputs:
                if name == MANIFEST or bundle_folder(name) in todo:
                    outputs[name] = ""
            self.cache.dirty = True
            return [
                ContentError(
                    "search",
                    None,
                    f"search was skipped: {skipped}",
                    hint="the pages are published; the next build makes the search index "
                    "again (`search: false` in site.yaml turns search off)",
                    warning=True,
                )
            ]
        kept = bundles.keys() - todo.keys()
        files: dict[str, Content] = {
            name: KEEP
            for name in outputs
            if not name.startswith(BUNDLE) or bundle_folder(name) in kept
        }
        files.update(fresh)
        files[MANIFEST] = listing = manifest(bundles)
        stats = publish(out, files, outputs)
        self.cache.stamp = stats.stamp
        result.changed = sorted(set(result.changed) | set(stats.changed))
        self.cache.outputs = {name: f for name, f in outputs.items() if name in files}
        self.cache.outputs.update({name: digest(data) for name, data in fresh.items()})
        self.cache.outputs[MANIFEST] = digest(listing)
        self.cache.dirty = True
        return []


def _with_output_index(
    names: list[str], fingerprints: dict[str, str], outputs: Mapping[str, str]
) -> list[str]:
    """``names`` with the search index the output holds, not the one of the basis's build:
    the index is made from the published pages, after them, so the output's stays until
    then and only its changed bundles are made again. ``fingerprints`` follows."""
    for name in [name for name in fingerprints if name.startswith(BUNDLE)]:
        del fingerprints[name]
    index = {name: f for name, f in outputs.items() if name.startswith(BUNDLE)}
    fingerprints.update(index)
    return [name for name in names if not name.startswith(BUNDLE)] + list(index)


def _still_published(out: Path, outputs: Mapping[str, str]) -> dict[str, str]:
    """What the cache says the output holds, less the files no longer there (removed by
    hand): those are made again, not kept. One ``stat`` a file, as keeping them took."""
    folder = os.fspath(out)
    exists = os.path.isfile
    join = os.path.join
    return {name: made for name, made in outputs.items() if exists(join(folder, name))}


def _whole(thing: object, kind: type[Kept]) -> TypeGuard[Kept]:
    """Whether ``thing`` is a ``kind`` with every field that ``kind`` has now: one pickled
    by an earlier shape of the code would fail only when the missing field is read."""
    return isinstance(thing, kind) and vars(thing).keys() == {f.name for f in fields(kind)}


def _shape(settings: Settings, discovered: Discovered) -> str:
    """What a patch needs to be as it was: the settings, and which files there are. A
    file added or removed (the daily new story) makes the build a full one."""
    sources, problems = discovered
    names = (source.name for source in sources)
    return digest(repr(settings), *names, *(problem.format() for problem in problems))[:16]


def _edited_since(
    before: dict[str, SourceFile] | Stamped, sources: list[SourceFile], stamped: Stamped | None
) -> list[SourceFile] | None:
    """The ``sources`` (``stamped``, when the caller has it) whose stamp is not the last
    build's: not lent by discover (the preview), or stamped otherwise than a kept basis
    says. None: they are not the same files (one was renamed)."""
    if isinstance(before, Stamped):
        return before.changed(stamped or Stamped.of(sources), sources)
    return [
        source
        for source in sources
        if (known := before.get(source.name)) is not source
        and (known is None or known.stamp != source.stamp)
    ]


def _write_problem(out: Path, exc: OSError) -> ContentError:
    return ContentError(
        str(out),
        None,
        f"could not write the site: {exc.strerror or exc}"
        + (f" ({exc.filename})" if exc.filename else ""),
        hint="check that the folder is writable and the disk has space; "
        "the previous site was left as it was",
    )


def build(root: Path, options: BuildOptions, *, use_cache: bool = True) -> BuildResult:
    """One build, remembering what it did in ``.briefing-cache/`` unless told not to."""
    return Builder(root, options, persistent=use_cache).build()


def _parse_all(
    sources: list[SourceFile],
    config: SiteConfig,
    cache: BuildCache,
    problems: list[ContentError],
    workers: int,
    progress: Progress = None,
) -> list[ParsedSource]:
    """Parse every document, reusing the cached result when the file is unchanged."""
    documents = [source for source in sources if source.kind is not Kind.ASSET]

    def cached(source: SourceFile) -> tuple[str, ParsedEntry] | None:
        known = cache.stats.get(source.name)
        entry = cache.parsed.get(source.name)
        if known is None or entry is None or known[0] != source.stamp:
            return None
        if entry.digest != _parse_key(known[1], source.kind, config.timezone):
            return None
        return known[1], entry

    def parse(source: SourceFile) -> tuple[str, ParsedEntry] | ContentError:
        try:
            raw = source.path.read_bytes()
        except OSError as exc:
            return ContentError(
                f"content/{source.name}", None, f"could not be read: {exc.strerror}"
            )
        file_digest = digest(raw)
        wanted = _parse_key(file_digest, source.kind, config.timezone)
        entry = cache.parsed.get(source.name)
        if entry is None or entry.digest != wanted:
            result, found = parse_source(source.name, source.kind, raw, config.timezone)
            entry = ParsedEntry(wanted, result, tuple(found))
        return file_digest, entry

    reused = [cached(source) for source in documents]
    todo = [source for source, hit in zip(documents, reused, strict=True) if hit is None]
    fresh = iter(fork_map(parse, todo, workers, progress))
    cache.dirty |= bool(todo) or len(documents) != len(cache.parsed)
    cache.stats, cache.parsed = {}, {}
    parsed: list[ParsedSource] = []
    for source, hit in zip(documents, reused, strict=True):
        outcome = hit if hit is not None else next(fresh)
        if isinstance(outcome, ContentError):
            problems.append(outcome)
            continue
        file_digest, entry = outcome
        cache.stats[source.name] = (source.stamp, file_digest)
        cache.parsed[source.name] = entry
        problems += entry.problems
        if entry.source is not None:
            parsed.append(entry.source)
    return parsed


def _render_pages(
    theme: Theme,
    site: Site,
    planned: list[PlannedPage],
    reusable: Mapping[str, str],
    workers: int,
    progress: Progress = None,
    stage: Callable[[str, Content], bool] | None = None,
) -> Iterator[Content | _Staged | ContentError]:
    """Each page's bytes, in order and as soon as they are made; KEEP when its fingerprint
    says the last output is still right. With ``stage`` (``Publication.stage``), the
    workers stage the pages they render and hand back only what it said. At 10,000
    articles, taking in 340 MB of pages and writing them cost the parent 1.3 to 1.7 s of
    processor while the workers wanted both cores: the pages took 0.3 to 1.6 s longer."""
    context = site_context(site)
    for name in {page.template for page in planned if page.template.endswith(".html")}:
        # Compiled once here and inherited by the workers; a broken one is reported by
        # render() with its file and line.
        with contextlib.suppress(Exception):
            theme.env.get_template(name)

    def one_page(page: PlannedPage) -> bytes | _Staged | ContentError:
        try:
            made = render(theme, site, context, page).encode("utf-8")
        except TemplateProblem as failure:
            return failure.problem
        if stage is None:
            return made
        return _WRITTEN if stage(output_file(page.path), made) else _UNCHANGED

    todo = [page for page in planned if reusable.get(output_file(page.path)) != page.fingerprint]
    fresh = fork_imap(one_page, todo, workers, progress)
    for page in planned:
        yield KEEP if reusable.get(output_file(page.path)) == page.fingerprint else next(fresh)
    next(fresh, None)  # lets the workers finish and go


def _process_images(
    image_dirs: tuple[Path, Path | None],
    config: SiteConfig,
    photos: list[SourceFile],
    cache: BuildCache,
    workers: int,
    progress: Progress = None,
) -> tuple[dict[str, Picture], dict[str, str]]:
    """Every photo under content/, processed (or found processed in the image cache).

    A photo whose file is unchanged since the last build is not even read again.
    """
    settings = repr(config.images)
    cache_dir, shared = image_dirs

    def known(source: SourceFile) -> Picture | str | None:
        entry = cache.pictures.get(source.name)
        if entry is None or entry[0] != source.stamp or entry[1] != settings:
            return None
        outcome = entry[2]
        if isinstance(outcome, Picture) and not os.path.isfile(outcome.full.file):
            return None
        return outcome if isinstance(outcome, (Picture, str)) else None

    def one(source: SourceFile) -> Picture | str:
        try:
            return process_image(
                source.path,
                source.name,
                asset_path(source.name),
                config.images,
                cache_dir,
                shared=shared,
            )
        except ImageProblem as problem:
            return str(problem)
        except OSError as exc:
            return f"could not be read ({exc.strerror or exc})"
        except Exception as exc:  # a photo must never take the build down with a traceback
            return f"could not be processed ({type(exc).__name__}: {exc})"

    reused = [known(source) for source in photos]
    todo = [source for source, hit in zip(photos, reused, strict=True) if hit is None]
    fresh = iter(fork_map(one, todo, workers, progress))
    cache.dirty |= bool(todo)
    pictures: dict[str, Picture] = {}
    unreadable: dict[str, str] = {}
    entries: dict[str, tuple[StatKey, str, Picture | str]] = {}
    for source, hit in zip(photos, reused, strict=True):
        outcome = hit if hit is not None else next(fresh)
        entries[source.name] = (source.stamp, settings, outcome)
        if isinstance(outcome, str):
            unreadable[source.name] = outcome
        else:
            pictures[source.name] = outcome
    cache.pictures = entries
    return pictures, unreadable


Progress = Callable[[int, int], None] | None


def _stage(options: BuildOptions, name: str) -> Progress:
    """The options' progress reporter, told which stage is running."""
    report = options.progress
    if report is None:
        return None
    return lambda done, total: report(name, done, total)


def _parse_key(file_digest: str, kind: Kind, timezone: str) -> str:
    """Parsing depends on the bytes, the kind of file and the time zone; nothing else."""
    return digest(file_digest, kind.value, timezone)


def _render_bodies(
    config: SiteConfig,
    sources: list[ParsedSource],
    placement: Placement,
    assets: list[str],
    pictures: Mapping[str, PictureRef],
    cache: BuildCache,
    workers: int,
    progress: Progress = None,
) -> dict[str, RenderedBody]:
    """Markdown to HTML, reusing a cached body when its text, the settings and every link
    it resolved are unchanged."""
    links = Links(config.base_url)
    asset_set = set(assets)
    settings = _body_settings(config)

    def resolver(name: str) -> Resolver:
        return make_resolver(name, placement.paths, asset_set, links, pictures)

    wanted = {source.name: _body_key(source, settings) for source in sources}
    # What any link can resolve to: while it stays the same, a cached body's recorded
    # resolutions are still right and need no checking one by one.
    before = cache.stages.get("link targets")
    targets = _reuse(
        cache,
        "link targets",
        (placement, assets, pictures),
        lambda: digest(
            repr(sorted(placement.paths.items())),
            repr(sorted(assets)),
            repr(sorted(pictures.items())),
        ),
    )
    moved = targets != cache.link_targets
    # The preview's builder has the targets the cached bodies were resolved against at
    # hand: only links that pointed at something that moved, or at nothing, may resolve
    # otherwise now.
    unsettled = None
    if moved and before is not None and before[1] == cache.link_targets:
        unsettled = _moved_targets(before[0], (placement, assets, pictures))

    def current(source: ParsedSource) -> bool:
        entry = cache.bodies.get(source.name)
        if entry is None or entry.digest != wanted[source.name]:
            return False
        # A link out of the site, or to the same page, resolves the same whatever moved.
        inside = [(t, r) for t, r in entry.resolutions if r.site_path is not None or r.broken]
        if not moved or not inside:
            return True
        if unsettled is not None and not any(
            _may_move(resolved, unsettled) for _, resolved in inside
        ):
            return True
        resolve = resolver(source.name)
        return all(resolve(target) == resolved for target, resolved in inside)

    todo = [source for source in sources if not current(source)]
    cache.dirty |= bool(todo) or len(sources) != len(cache.bodies)
    md = make_markdown(config.markdown) if todo else None

    def render_one(source: ParsedSource) -> BodyEntry:
        assert md is not None
        return _body_entry(md, source, resolver(source.name), wanted[source.name])

    fresh = dict(
        zip((s.name for s in todo), fork_map(render_one, todo, workers, progress), strict=True)
    )
    entries = {s.name: fresh.get(s.name) or cache.bodies[s.name] for s in sources}
    cache.bodies = entries
    cache.dirty |= moved
    cache.link_targets = targets
    return {name: entry.body for name, entry in entries.items()}


LinkTargets = tuple[Placement, list[str], Mapping[str, PictureRef]]
"""What a body's links resolve against: where each source goes, the assets, the photos."""


def _may_move(resolved: Resolved, unsettled: set[str]) -> bool:
    """Whether a link resolved before may resolve otherwise now (``_moved_targets``): it
    pointed at nothing, or at one of them."""
    path = resolved.site_path
    return path is None or path in unsettled or posixpath.normpath(path) in unsettled


def _moved_targets(before: LinkTargets, now: LinkTargets) -> set[str]:
    """The site paths a link resolved to before that may resolve otherwise now: those of
    sources that moved or went, and of assets that came, went or changed their photo
    (by their name too: ``/x`` is the path ``x`` until an asset ``x`` appears)."""
    (placed, assets, pictures), (placed_now, assets_now, pictures_now) = before, now
    paths, paths_now = placed.paths, placed_now.paths
    moved = {path for name, path in paths.items() if paths_now.get(name) != path}
    names = set(assets).symmetric_difference(assets_now)
    names.update(
        name
        for name in pictures.keys() | pictures_now.keys()
        if pictures.get(name) != pictures_now.get(name)
    )
    return moved | names | {asset_path(name) for name in names}


def _copies(
    statics: list[tuple[str, Path, StatKey | None]],
    stamps: Mapping[str, StatKey],
    pictures: Mapping[str, Picture],
    content_dir: Path,
) -> list[tuple[str, Path | Linked, str, str]]:
    """Every file published as it is (theme files, attachments, processed photos): where it
    goes, where it comes from, whose it is, and its fingerprint."""
    copies: list[tuple[str, Path | Linked, str, str]] = [
        (name, path, f"the theme's {name}", f"file:{path}:{stamp}") for name, path, stamp in statics
    ]
    for name in sorted(stamps):
        owner = f"content/{name}"
        picture = pictures.get(name)
        if picture is None:
            original = content_dir / name
            copies.append((asset_path(name), original, owner, f"file:{original}:{stamps[name]}"))
            continue
        for variant in picture.variants:
            fingerprint = f"file:{variant.file}:processed"
            copies.append((variant.path, Linked(variant.file), owner, fingerprint))
    return copies


def _reuse(cache: BuildCache, stage: str, inputs: object, make: Callable[[], Any]) -> Any:
    """A stage's last output while its inputs are equal to last time's, else a new one.
    Kept in memory only, by the preview's long-lived builder: every stage skipped is a
    pass over the whole site saved on each save."""
    last = cache.stages.get(stage)
    if last is not None and last[0] == inputs:
        return last[1]
    output = make()
    cache.stages[stage] = (inputs, output)
    return output


def _picture_refs(
    pictures: Mapping[str, Picture], links: Links, cache: BuildCache
) -> dict[str, PictureRef]:
    """What pages need of each photo; the same objects as last build for unchanged photos,
    so the preview's memo of Articles recognises them at a glance."""
    refs: dict[str, PictureRef] = {}
    known = cache.refs
    for name, picture in pictures.items():
        last = known.get(name)
        if last is not None and last[0] is picture and last[1] == links.base_path:
            refs[name] = last[2]
            continue
        refs[name] = PictureRef(
            picture.width,
            picture.height,
            picture.srcset(picture.full.mime, links),
            picture.srcset("image/webp", links) if picture.full.mime != "image/webp" else "",
        )
    cache.refs = {name: (pictures[name], links.base_path, ref) for name, ref in refs.items()}
    return refs


def _body_settings(config: SiteConfig) -> str:
    """What a body's HTML depends on besides its text: its links are root-relative, so of
    the base URL only its path counts (the preview's and the site's bodies are alike)."""
    return repr((config.markdown, Links(config.base_url).base_path))


def _body_key(source: ParsedSource, settings: str) -> str:
    """What a rendered body depends on, but for what its links resolve to."""
    return digest(source.body_key or source.body, settings, str(_has_lead_image(source)))


def _body_entry(md: Markdown, source: ParsedSource, resolve: Resolver, key: str) -> BodyEntry:
    """A rendered body, with what each of its links resolved to."""
    recorder = _Recorder(resolve)
    eager = not _has_lead_image(source)  # its first photo is the page's first
    body = render_body(md, source.body, recorder, eager_first_image=eager)
    return BodyEntry(key, body, tuple(recorder.seen.items()))


def _has_lead_image(source: ParsedSource) -> bool:
    return isinstance(source.fields, ArticleFields) and source.fields.image is not None


class _Recorder:
    """Wraps a resolver and remembers what each target resolved to."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.seen: dict[str, Resolved] = {}

    def __call__(self, target: str) -> Resolved:
        self.seen[target] = self.resolve(target)
        return self.seen[target]


def _owner(claimant: PlannedPage | str) -> str:
    """Who writes a file, in the editor's terms: a page's Markdown file when it has one."""
    if isinstance(claimant, str):
        return claimant
    return f"content/{claimant.owner}" if claimant.owner else claimant.path or "the home page"


def _claim(
    owners: dict[str, PlannedPage | str],
    name: str,
    owner: PlannedPage | str,
    problems: list[ContentError],
) -> bool:
    """Refuse a second write to one output file, naming both sources."""
    key = name.casefold()
    if key in owners:
        problems.append(
            ContentError(
                _owner(owner),
                None,
                f"would be written to {name}, which {_owner(owners[key])} already writes",
                hint="rename one of them",
            )
        )
        return False
    owners[key] = owner
    return True
