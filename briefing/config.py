"""site.yaml -> SiteConfig: every setting documented, checked, and defaulted but the title."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefing.errors import ContentError
from briefing.frontmatter import SourceText, decode, parse_yaml
from briefing.schema import FieldReader, _show, is_web_url, yaml12

CONFIG_FILE = "site.yaml"

SETTINGS: dict[str, str] = {
    "title": "The site's name, in the header, the browser tab and the feed (required).",
    "description": "One sentence about the briefing, for search engines and the feed.",
    "base_url": "Where the site is published, e.g. https://example.org/ or "
    "https://example.org/briefing/ (a sub-path works). Default http://localhost:8000/.",
    "language": "The language of the content, as a code like en or en-GB. Default en.",
    "timezone": "The newsroom's time zone, e.g. America/New_York. Dates without an offset "
    "are read in it, and it decides which day an article belongs to. Default UTC.",
    "theme": "The theme folder under themes/, or a built-in theme. Default default.",
    "copyright": "The site's copyright line, shown in every footer.",
    "trust_url": "The 'why you can trust us' link in every footer: a page such as /trust/ "
    "or a web address. Default: none.",
    "trust_label": "The text of that link. Default 'Why you can trust us'.",
    "feed": "Feed settings: size (how many articles the feed holds, default 20).",
    "markdown": "Markdown settings: allow_html (let raw HTML through, default false), "
    "typographer (curly quotes and dashes, default true).",
    "images": "Photo settings: widths (resized copies, default [480, 960, 1600]), "
    "quality (JPEG and WebP quality, default 82), webp (also make WebP copies, default true).",
    "search": "Build a full-text search index with Pagefind and a /search/ page (default true).",
    "extra": "Anything a theme wants: passed to templates as site.extra.",
    "deploy": "Where `briefing deploy` publishes: target name -> settings, e.g. "
    "{type: folder, path: ...} or {type: s3, bucket: ...}. Read by briefing/deploy.py; "
    "credentials never go here.",
    "email": "The email edition: from, reply_to, list_unsubscribe, list_unsubscribe_post. "
    "Read by briefing/email.py.",
}


@dataclass(frozen=True)
class ImageSettings:
    widths: tuple[int, ...] = (480, 960, 1600)
    """Resized copies to make, in pixels; never wider than the original."""
    quality: int = 82
    webp: bool = True


@dataclass(frozen=True)
class MarkdownSettings:
    allow_html: bool = False
    typographer: bool = True


@dataclass(frozen=True)
class SiteConfig:
    """The site's settings; see ``SETTINGS`` for what each means to an editor."""

    root: Path
    title: str
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    theme: str = "default"
    copyright: str = ""
    trust_url: str = ""
    trust_label: str = "Why you can trust us"
    feed_size: int = 20
    markdown: MarkdownSettings = field(default_factory=MarkdownSettings)
    images: ImageSettings = field(default_factory=ImageSettings)
    search: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path every internal link starts with: ``/`` or ``/briefing/``."""
        return urlsplit(self.base_url).path or "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    def with_base_url(self, base_url: str) -> SiteConfig:
        return replace(self, base_url=normalise_base_url(base_url))


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def read_site_yaml(root: Path) -> tuple[FieldReader | None, list[ContentError]]:
    """``root/site.yaml`` parsed, as a reader whose problems name site.yaml and the line.

    ``load_config`` reads the build's settings from it; commands with settings of their own
    (``deploy``, ``email``) read their mapping from it the same way.
    """
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, [
            ContentError(
                CONFIG_FILE,
                None,
                f"there is no {CONFIG_FILE} in {root}",
                hint="run briefing in your site's folder, or create one with `briefing init DIR`",
            )
        ]
    text, problems = decode(CONFIG_FILE, path.read_bytes())
    if text is None:
        return None, problems
    values, lines, yaml_problems = parse_yaml(
        CONFIG_FILE, text, text, first_line=1, what=CONFIG_FILE
    )
    problems += yaml_problems
    if values is None:
        return None, problems
    source = SourceText(text, values, lines)
    return FieldReader(CONFIG_FILE, source, values, "", problems), problems


def load_config(root: Path) -> tuple[SiteConfig | None, list[ContentError]]:
    """Read ``root/site.yaml``; None with problems when it cannot be used."""
    reader, problems = read_site_yaml(root)
    if reader is None:
        return None, problems
    config = SiteConfig(root=root, title=reader.text("title", required=True))
    description = reader.text("description")
    base_url = reader.url("base_url") or config.base_url
    language = reader.text("language") or config.language
    timezone = reader.text("timezone") or config.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.problem(
            "timezone",
            f'timezone: "{timezone}" is not a time zone',
            "use a name like Europe/London or America/New_York",
        )
        timezone = config.timezone
    trust_url = reader.text("trust_url")
    if trust_url and not (trust_url.startswith("/") or is_web_url(trust_url)):
        reader.problem(
            "trust_url",
            f'trust_url: "{trust_url}" is not a page of the site or a web address',
            "write a path like /trust/ or a full address starting with https://",
        )
        trust_url = ""
    feed_size = config.feed_size
    feed = reader.mapping("feed")
    if feed is not None:
        feed_size = feed.integer("size") or feed_size
        feed.extra(("size",))
    markdown = config.markdown
    markdown_reader = reader.mapping("markdown")
    if markdown_reader is not None:
        markdown = MarkdownSettings(
            allow_html=markdown_reader.flag("allow_html"),
            typographer=(
                markdown_reader.flag("typographer")
                if markdown_reader.present("typographer")
                else True
            ),
        )
        markdown_reader.extra(("allow_html", "typographer"))
    images = config.images
    images_reader = reader.mapping("images")
    if images_reader is not None:
        widths = tuple(
            int(w) for w in images_reader.names("widths") if w.isdigit() and 16 <= int(w) <= 8000
        )
        images = ImageSettings(
            widths=widths or images.widths,
            quality=min(100, max(1, images_reader.integer("quality") or images.quality)),
            webp=images_reader.flag("webp") if images_reader.present("webp") else True,
        )
        images_reader.extra(("widths", "quality", "webp"), strict=True)
    theme = reader.text("theme") or config.theme
    if theme in (".", "..") or any(mark in theme for mark in ("/", "\\", "\x00")):
        reader.problem(
            "theme",
            f"theme: {_show(theme)} is not a folder name",
            "name a folder under themes/, e.g. theme: default; a theme outside the site "
            "can't be used",
        )
        theme = config.theme
    extra = reader.values.get("extra")
    reader.extra(SETTINGS, strict=True)
    config = replace(
        config,
        description=description,
        base_url=normalise_base_url(base_url),
        language=language,
        timezone=timezone,
        theme=theme,
        copyright=reader.text("copyright"),
        trust_url=trust_url,
        trust_label=reader.text("trust_label") or config.trust_label,
        feed_size=max(1, feed_size),
        markdown=markdown,
        images=images,
        search=reader.flag("search") if reader.present("search") else True,
        extra=yaml12(extra) if isinstance(extra, dict) else {},
    )
    return config, problems
