"""Themes: where templates and static files come from, and the Jinja environment.

A site's ``themes/<name>/`` wins file by file over the built-in default theme, so one
overriding template is enough. Every template is autoescaped (whatever its extension) and
undefined names are errors with a file and line, never empty strings.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import briefing
from briefing.cache import user_cache_folder, write_atomically
from briefing.config import SiteConfig
from briefing.errors import ContentError, display_path


def builtin_theme_dir() -> Path:
    """The built-in default theme: inside the installed package, or the repository's own."""
    package = Path(briefing.__file__).parent
    shipped = package / "builtin_theme"
    return shipped if shipped.is_dir() else package.parent / "themes" / "default"


@dataclass(frozen=True, eq=False)
class Theme:
    name: str
    template_dirs: tuple[Path, ...]
    """Searched in order: the site's theme first, the built-in default last."""
    static_dirs: tuple[Path, ...]
    """Copied in order, later ones overwriting: built-in first, the site's last."""
    env: jinja2.Environment = field(repr=False)
    config: SiteConfig = field(repr=False)
    """What the environment was made with."""
    _digests: dict[str, str] = field(default_factory=dict, repr=False)
    _bodies: dict[str, bool] = field(default_factory=dict, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the way to make it, since a Jinja environment cannot be pickled: the
        CLI keeps its last build on disk, and uses it again only while the theme's files
        are unchanged."""
        return (_theme, (self.name, self.template_dirs, self.static_dirs, self.config))

    def digest(self, template: str) -> str:
        """Changes when the template or anything it extends, includes or imports changes."""
        if template not in self._digests:
            digest = hashlib.blake2b(digest_size=16)
            for name, source in _closure(self.env, template).items():
                digest.update(name.encode() + b"\0" + source.encode() + b"\0")
            self._digests[template] = digest.hexdigest()
        return self._digests[template]

    def shows_body(self, template: str) -> bool:
        """Whether the template, or one it uses, may show an article's body or what is
        measured from it. A listing that does not is left alone when only a body changes.
        Read from the templates' text, so it errs towards yes: a mention in a comment, or
        an include whose name is not written out, counts."""
        if template not in self._bodies:
            sources = _closure(self.env, template).values()
            self._bodies[template] = any(
                _BODY.search(source) or _DYNAMIC.search(source) for source in sources
            )
        return self._bodies[template]

    def static_files(self) -> dict[str, Path]:
        """Site path (under ``static/``) -> file, the site's theme overriding built-in."""
        files: dict[str, Path] = {}
        for folder in self.static_dirs:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files["static/" + path.relative_to(folder).as_posix()] = path
        return files


def load_theme(config: SiteConfig) -> tuple[Theme | None, list[ContentError]]:
    builtin = builtin_theme_dir()
    own = config.root / "themes" / config.theme
    template_dirs: list[Path] = []
    static_dirs: list[Path] = [builtin / "static"]
    if own.is_dir():
        template_dirs.append(own / "templates")
        static_dirs.append(own / "static")
    elif config.theme != "default":
        return None, [
            ContentError(
                "site.yaml",
                None,
                f'theme: "{config.theme}" was not found',
                hint=f"create themes/{config.theme}/templates/, or use theme: default",
            )
        ]
    problems = outside_links(own, config.root) if own.is_dir() else []
    if own.resolve() != builtin.resolve():
        template_dirs.append(builtin / "templates")
    static = tuple(folder for folder in static_dirs if folder.is_dir())
    return _theme(config.theme, tuple(template_dirs), static, config), problems


def _theme(
    name: str, template_dirs: tuple[Path, ...], static_dirs: tuple[Path, ...], config: SiteConfig
) -> Theme:
    env = _environment(config, list(template_dirs), {})
    return Theme(name, template_dirs, static_dirs, env, config)


def outside_links(folder: Path, site_root: Path) -> list[ContentError]:
    """Links in a site's theme folder (or the folder itself) that lead outside the site.

    Templates and static files are read through them, so a theme could otherwise publish
    any file of the machine (a link to ~/.ssh/id_rsa in static/). Refused, as in content/.
    """
    root = site_root.resolve()
    links = [folder] if folder.is_symlink() else []
    for parent, folders, files in os.walk(folder):
        links += [Path(parent, name) for name in (*folders, *files)]
    problems = []
    for link in links:
        if not link.is_symlink():
            continue
        target = link.resolve()
        if not target.is_relative_to(root):
            problems.append(
                ContentError(
                    display_path(link, site_root),
                    None,
                    f"is a link to {target} (outside the site); themes may only use their "
                    "own files",
                    hint="copy the file or folder into the theme instead of linking to it",
                )
            )
    return problems


def load_email_templates(
    config: SiteConfig, filters: dict[str, Callable[..., Any]]
) -> tuple[jinja2.Environment | None, list[ContentError]]:
    """The email edition's templates: ``themes/<name>/email/`` of the site, then the built-in
    theme's ``email/``, with the same filters and strictness as the site's templates.

    ``.txt`` templates (the plain-text part) are the one thing not autoescaped: their output
    is never read as HTML, and ``&amp;`` in a plain-text email would be a visible mistake.
    """
    builtin = builtin_theme_dir()
    own = config.root / "themes" / config.theme
    if not own.is_dir() and config.theme != "default":
        return None, [
            ContentError(
                "site.yaml",
                None,
                f'theme: "{config.theme}" was not found',
                hint=f"create themes/{config.theme}/email/, or use theme: default",
            )
        ]
    template_dirs = [own / "email"] if own.is_dir() else []
    if own.resolve() != builtin.resolve():
        template_dirs.append(builtin / "email")
    return _environment(config, template_dirs, filters, escape_txt=False), []


def _environment(
    config: SiteConfig,
    template_dirs: list[Path],
    filters: dict[str, Callable[..., Any]],
    *,
    escape_txt: bool = True,
) -> jinja2.Environment:
    autoescape: bool | Callable[[str | None], bool] = True
    if not escape_txt:
        autoescape = _escape_unless_txt
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        bytecode_cache=_COMPILED[escape_txt],
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every build makes its own environment, so a loaded template never goes stale
        # within it; checking its file's time on every page was 4 stats a page.
        auto_reload=False,
    )
    zone = config.zone
    env.filters.update(
        isodate=isodate,
        long_date=long_date,
        short_date=short_date,
        clock=clock,
        local=lambda moment: moment.astimezone(zone),
        with_dateline=with_dateline,
    )
    env.filters.update(filters)
    return env


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, kept for the life of the process and in the user's cache folder.

    Every build makes a new Jinja environment, and compiling the theme was most of a small
    build's time, paid again on every preview rebuild and every run of ``briefing build``
    (0.1 s of one edit's build at 10,000 articles). Jinja checks an entry against its
    template's source checksum before using it, so an edited template is compiled afresh;
    entries are keyed by template name and file, so there is at most one per file. The
    folder is the user's own, never the site's: compiled code is only run if we wrote it.
    """

    def __init__(self, kind: str) -> None:
        self._store: dict[str, bytes] = {}
        self._kind = kind

    def _file(self, key: str) -> Path:
        # Compiled code depends on the filters and settings this version gives Jinja.
        folder = f"templates-{self._kind}-{briefing.__version__}-jinja{jinja2.__version__}"
        return user_cache_folder() / folder / key

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is None:
            with contextlib.suppress(OSError):
                data = self._file(bucket.key).read_bytes()
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)  # one for another source is left unused
        except Exception:  # damaged: Jinja reads its checksum with pickle, unguarded
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        self._store[bucket.key] = data
        path = self._file(bucket.key)
        with contextlib.suppress(OSError):  # then it is just compiled again next time
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)


_COMPILED = {True: _CompiledTemplates("site"), False: _CompiledTemplates("email")}
"""One store per way of autoescaping, since that is compiled into the code."""


def _escape_unless_txt(name: str | None) -> bool:
    return not (name or "").endswith(".txt")


_REFERENCE = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)["']""")


_BODY = re.compile(r"\b(?:body_html|anchors|words|reading_minutes|fingerprint)\b")
"""What an Article holds of its body (the fingerprint covers it too)."""
_DYNAMIC = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+(?!["'])""")


def _closure(env: jinja2.Environment, template: str) -> dict[str, str]:
    """The template's source and, transitively, that of every template it names literally."""
    sources: dict[str, str] = {}
    pending = [template]
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        sources[name] = _template_source(env, name)
        pending.extend(sorted(_REFERENCE.findall(sources[name])))
    return sources


def _template_source(env: jinja2.Environment, name: str) -> str:
    assert env.loader is not None
    try:
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return ""
    return source


def isodate(value: date | datetime) -> str:
    """RFC 3339, for ``<time datetime>`` and feeds."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def long_date(value: date | datetime) -> str:
    """``Thursday, November 26, 2026``: locale-independent, so builds are reproducible."""
    return f"{_DAYS[value.weekday()]}, {MONTHS[value.month - 1]} {value.day}, {value.year}"


def short_date(value: date | datetime) -> str:
    return f"{MONTHS[value.month - 1][:3]} {value.day}, {value.year}"


def with_dateline(body_html: str, dateline: str) -> Markup:
    """``BEIJING —`` opens the first paragraph, as wire copy does."""
    if not dateline:
        return Markup(body_html)
    lead = Markup('<span class="dateline">{} —</span> ').format(dateline)
    if body_html.startswith("<p>"):
        return Markup("<p>") + lead + Markup(body_html[3:])
    return Markup("<p>") + lead + Markup("</p>\n") + Markup(body_html)


def clock(value: datetime) -> str:
    """``6:45 a.m.``, news style."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'a.m.' if value.hour < 12 else 'p.m.'}"
