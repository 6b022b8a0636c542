"""The one configured Markdown renderer and the rules briefings need.

Links and images are resolved while rendering, through a function the build passes in:
``../2023-03-16/rates.md#vote`` becomes that article's URL, ``photo.jpg`` the published
photo. Each resolved link is recorded with its line so ``briefing check`` can verify it.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from briefing.config import MarkdownSettings
from briefing.urls import slugify


@dataclass(frozen=True)
class Link:
    """A link or image in a body, as written and as resolved."""

    target: str
    """As the editor wrote it."""
    site_path: str | None
    """The site path it points to when internal; None for external or unresolvable."""
    fragment: str
    line: int
    """Line in the body (0-based); the caller adds the body's offset in the file."""
    broken: bool = False
    image: bool = False
    alt: str = ""
    """For a picture: its description as written."""


@dataclass(frozen=True)
class PictureRef:
    """What a page needs to show a processed photo responsively."""

    width: int
    height: int
    srcset: str
    """The original format's files."""
    webp_srcset: str


@dataclass(frozen=True)
class Resolved:
    href: str
    site_path: str | None = None
    broken: bool = False
    picture: PictureRef | None = None


BODY_SIZES = "(min-width: 44rem) 42rem, 100vw"
"""How wide a photo in an article body is shown: the theme's text column."""


Resolver = Callable[[str], Resolved]
"""Resolves one link target written in the current file."""


@dataclass(frozen=True)
class RenderedBody:
    html: str
    anchors: frozenset[str]
    """Ids of headings, for ``#anchor`` checks."""
    links: tuple[Link, ...]
    words: int
    digest: str = ""
    """Of ``html``: lets pages fingerprint a body without hashing it again."""


@dataclass(frozen=True)
class Markdown:
    """The configured renderer, made twice: ``plain`` lacks the rules for tables and
    footnotes, which cannot match a text without their marks, and renders a typical body
    about 14% faster. Which one a text gets changes nothing in its HTML."""

    full: MarkdownIt
    plain: MarkdownIt

    def for_text(self, text: str) -> MarkdownIt:
        # A table needs a pipe in its header row; footnotes start with "[^" or "^[".
        needs_full = "|" in text or "[^" in text or "^[" in text
        return self.full if needs_full else self.plain


_NOT_IN_PLAIN = ["table", "footnote_def", "footnote_ref", "footnote_inline", "footnote_tail"]


def make_markdown(settings: MarkdownSettings) -> Markdown:
    """Build the renderer once per build; everything per-file travels in ``env``."""
    plain = _configured(settings)
    plain.disable(_NOT_IN_PLAIN)
    return Markdown(_configured(settings), plain)


def _configured(settings: MarkdownSettings) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": settings.allow_html, "typographer": settings.typographer},
    )
    md.enable(["table", "strikethrough"])
    if settings.typographer:
        md.enable(["replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.core.ruler.push("anchor", _anchor_ids)
    md.use(container_plugin, name="block", validate=_any_block_name, render=_render_block)
    md.core.ruler.before("anchor", "demote_headings", _demote_headings)
    md.core.ruler.push("resolve_links", _resolve_links)
    md.core.ruler.push("figures", _figures)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    _label_footnotes(md)
    return md


def render_body(
    markdown: Markdown, text: str, resolve: Resolver, *, eager_first_image: bool = False
) -> RenderedBody:
    """``eager_first_image``: the body's first photo is the page's first (no lead photo),
    so it loads at once instead of lazily."""
    md = markdown.for_text(text)
    env: dict[str, Any] = {"resolve": resolve, "links": [], "eager": eager_first_image}
    tokens = md.parse(text, env)
    anchors = frozenset(
        str(token.attrs["id"])
        for token in tokens
        if token.type == "heading_open" and "id" in token.attrs
    )
    words = sum(len(token.content.split()) for token in tokens if token.type == "inline")
    body = md.renderer.render(tokens, md.options, env)
    digest = hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
    return RenderedBody(body, anchors, tuple(env["links"]), words, digest)


def _anchor_slug(text: str) -> str:
    return slugify(text) or "section"


ANCHOR_LEVELS = ("h2", "h3", "h4")


def _anchor_ids(state: StateCore) -> None:
    """``## The vote`` gets ``id="the-vote"``; the same heading again ``the-vote-1``, and so on.

    mdit-py-plugins' anchors plugin gives the same ids, but looks for a free suffix from 1
    every time: 8,000 headings alike took 11 s and a few megabytes of them hours. Here each
    name remembers its next suffix.
    """
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in ANCHOR_LEVELS:
            continue
        children = tokens[index + 1].children or []
        title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        base = slug = _anchor_slug(title)
        suffix = next_suffix.get(base, 1)
        while slug in taken:
            slug = f"{base}-{suffix}"
            suffix += 1
        next_suffix[base] = suffix
        taken.add(slug)
        token.attrSet("id", slug)


def _any_block_name(params: str, markup: str) -> bool:
    return bool(params.strip())


def _render_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """``::: why-it-matters [Custom heading]`` -> a section with a heading themes style."""
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n</section>\n"
    name, _, heading = token.info.strip().partition(" ")
    css = slugify(name) or "note"
    heading = heading.strip() or name.replace("-", " ").replace("_", " ").strip().capitalize()
    return (
        f'<section class="callout callout-{css}">\n'
        f'<h2 class="callout-title">{html.escape(heading)}</h2>\n<div class="callout-body">\n'
    )


def _demote_headings(state: StateCore) -> None:
    """The page's headline is the only h1: a ``#`` heading in a body moves one level down."""
    headings = [token for token in state.tokens if token.type in ("heading_open", "heading_close")]
    if not any(token.tag == "h1" for token in headings):
        return
    for token in headings:
        token.tag = f"h{min(6, int(token.tag[1]) + 1)}"


def _resolve_links(state: StateCore) -> None:
    resolve: Resolver | None = state.env.get("resolve")
    if resolve is None:
        return
    links: list[Link] = state.env["links"]
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        line = block.map[0] if block.map else 0
        for token in block.children:
            attr = "href" if token.type == "link_open" else "src" if token.type == "image" else None
            if attr is None or attr not in token.attrs:
                continue
            target = str(token.attrs[attr])
            resolved = resolve(target)
            token.attrs[attr] = resolved.href
            if resolved.picture is not None and token.type == "image":
                token.meta["picture"] = resolved.picture
            # markdown-it percent-encodes what the editor wrote (#café -> #caf%C3%A9);
            # anchors and messages use the words as written.
            fragment = unquote(target.partition("#")[2])
            links.append(
                Link(
                    unquote(target),
                    resolved.site_path,
                    fragment,
                    line,
                    resolved.broken,
                    token.type == "image",
                    token.content if token.type == "image" else "",
                )
            )


def _figures(state: StateCore) -> None:
    """A paragraph holding only an image with a title becomes a figure with a caption."""
    tokens = state.tokens
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if opening.type != "paragraph_open" or inline.type != "inline" or not inline.children:
            continue
        children = [c for c in inline.children if not (c.type == "text" and not c.content.strip())]
        if len(children) == 1 and children[0].type == "image" and children[0].attrGet("title"):
            opening.meta["figure"] = True
            closing.meta["figure"] = str(children[0].attrGet("title"))
            closing.meta["full"] = str(children[0].attrGet("src"))
            children[0].attrs.pop("title")


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    if env.get("eager"):
        env["eager"] = False
    else:
        token.attrSet("loading", "lazy")
    token.attrSet("decoding", "async")
    picture: PictureRef | None = token.meta.get("picture")
    if picture is None:
        return self.image(tokens, idx, options, env)
    token.attrSet("srcset", picture.srcset)
    token.attrSet("sizes", BODY_SIZES)
    token.attrSet("width", str(picture.width))
    token.attrSet("height", str(picture.height))
    source = ""
    if picture.webp_srcset:
        source = (
            f'<source type="image/webp" srcset="{html.escape(picture.webp_srcset)}" '
            f'sizes="{BODY_SIZES}">'
        )
    return f"<picture>{source}{self.image(tokens, idx, options, env)}</picture>"


def _render_paragraph_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    if tokens[idx].meta.get("figure"):
        return '<figure class="body-figure"><div class="figure-frame">'
    return self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    caption = tokens[idx].meta.get("figure")
    if caption:
        full = html.escape(tokens[idx].meta.get("full", ""))
        enlarge = f'<a class="enlarge" href="{full}">{ENLARGE_ICON}{ENLARGE_LABEL}</a>'
        return f"{enlarge}</div><figcaption>{html.escape(caption)}</figcaption></figure>\n"
    return self.renderToken(tokens, idx, options, env)


ENLARGE_ICON = (
    '<svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20">'
    '<path d="M4 10V4h6M20 14v6h-6M4 4l6 6M20 20l-6-6" fill="none" stroke="currentColor" '
    'stroke-width="2"/></svg>'
)
ENLARGE_LABEL = '<span class="visually-hidden">Enlarge this image</span>'
"""The same enlarge control as the theme's lead photo, so the lightbox works on both."""


def _render_table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A wide table scrolls inside its own focusable region instead of widening the page."""
    table = self.renderToken(tokens, idx, options, env)
    return f'<div class="table-scroll" role="region" tabindex="0" aria-label="Table">{table}'


def _render_table_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _label_footnotes(md: MarkdownIt) -> None:
    """Footnote marks read as "[1]" and "↩": give screen readers words for them."""
    renderer = cast(RendererHTML, md.renderer)
    reference = renderer.rules["footnote_ref"]
    back = renderer.rules["footnote_anchor"]

    def labelled_reference(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        number = int(tokens[idx].meta["id"]) + 1
        return str(reference(tokens, idx, options, env)).replace(
            "<a ", f'<a aria-label="Footnote {number}" ', 1
        )

    def labelled_back(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return str(back(tokens, idx, options, env)).replace(
            'class="footnote-backref">',
            'class="footnote-backref" aria-label="Back to the text">',
            1,
        )

    md.add_render_rule("footnote_ref", labelled_reference)
    md.add_render_rule("footnote_anchor", labelled_back)
