"""What ``briefing check`` holds every build to: links and pictures land somewhere.

Links are resolved while Markdown is rendered (``make_resolver``); once every page is
planned, each internal link, ``#anchor`` and photo is checked against what the build makes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping
from urllib.parse import unquote, urlsplit

from briefing.errors import ContentError, at_line
from briefing.markdown import PictureRef, RenderedBody, Resolved, Resolver
from briefing.model import Site, resolve_file
from briefing.parse import ParsedSource
from briefing.render import PlannedPage
from briefing.theme import Theme
from briefing.urls import Links, asset_path


def make_resolver(
    source_name: str,
    paths: Mapping[str, str],
    assets: Collection[str],
    links: Links,
    pictures: Mapping[str, PictureRef] | None = None,
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
            picture = pictures.get(name) if pictures else None
            return Resolved(links.href(site_path) + fragment, site_path, picture=picture)
        if target.startswith("/"):
            site_path = parts.path.lstrip("/")
            return Resolved(links.href(site_path) + fragment, site_path)
        return Resolved(target, None, broken=True)

    return resolve


def planned_paths(planned: list[PlannedPage], site: Site, theme: Theme) -> set[str]:
    paths = {page.path for page in planned}
    paths.update(asset.path for asset in site.assets)
    paths.update(theme.static_files())
    return paths


def page_anchors(site: Site) -> dict[str, frozenset[str]]:
    """The ``#anchors`` of every page made from Markdown, by site path."""
    anchors = {a.path: a.anchors for a in site.articles if a.path is not None}
    anchors.update({p.path: p.anchors for p in site.pages})
    return anchors


def check_links(
    sources: list[ParsedSource],
    bodies: Mapping[str, RenderedBody],
    paths: set[str],
    anchors: Mapping[str, frozenset[str]],
    unpublished: set[str],
    strict: bool,
) -> list[ContentError]:
    """Every internal link and ``#anchor`` in a body must land on something the build makes.

    ``anchors``: from ``page_anchors``. ``unpublished``: drafts and articles scheduled for
    later, which exist but are left out.
    """
    problems = []
    for source in sources:
        body = bodies.get(source.name)
        if body is None:
            continue
        for link in body.links:
            message = ""
            if link.broken:
                what = "picture" if link.image else "link"
                name = resolve_file(source.name, unquote(urlsplit(link.target).path))
                if name in unpublished:
                    message = (
                        f"the link {link.target!r} points to content/{name}, a draft or an "
                        "article scheduled for later, which this build leaves out"
                    )
                else:
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
                        warning=not strict,
                    )
                )
    return problems


def check_images(
    site: Site,
    sources: list[ParsedSource],
    assets: list[str],
    unreadable: Mapping[str, str],
    bodies: Mapping[str, RenderedBody],
) -> list[ContentError]:
    """Every photo an article shows exists and is readable; every body photo has alt text.

    A broken photo nobody uses is only a warning on the file itself.
    """
    texts = {s.name: s for s in sources}
    known = set(assets)
    used: set[str] = set()
    problems = []
    for article in site.articles:
        image = article.image
        if image is None or image.file is None:
            continue
        used.add(image.file)
        reason = unreadable.get(image.file)
        if image.file in known and reason is None:
            continue
        source = texts[article.file]
        problems.append(
            at_line(
                f"content/{article.file}",
                source.text,
                source.lines.get("image.src") or source.lines.get("image"),
                f"image.src: content/{image.file} {reason}"
                if reason
                else f"image.src: there is no picture at content/{image.file}",
                hint="check the file name (a path is relative to the article's folder), "
                "and that it is a JPEG, PNG or WebP photo",
            )
        )
    problems += check_body_images(sources, bodies, unreadable, used)
    for name, reason in sorted(unreadable.items()):
        if name not in used:
            problems.append(
                ContentError(
                    f"content/{name}", None, f"{reason}; it is published as it is", warning=True
                )
            )
    return problems


def check_body_images(
    sources: list[ParsedSource],
    bodies: Mapping[str, RenderedBody],
    unreadable: Mapping[str, str],
    used: set[str] | None = None,
) -> list[ContentError]:
    """Every photo in these bodies is readable and described; ``used`` gathers the
    unreadable ones they show."""
    problems = []
    for source in sources:
        for link in bodies[source.name].links if source.name in bodies else ():
            if not link.image:
                continue
            line = source.body_line + link.line
            name = resolve_file(source.name, unquote(urlsplit(link.target).path))
            if name is not None and name in unreadable:
                if used is not None:
                    used.add(name)
                problems.append(
                    at_line(
                        f"content/{source.name}",
                        source.text,
                        line,
                        f"the picture {link.target!r}: content/{name} {unreadable[name]}",
                        hint="replace it with a JPEG, PNG or WebP photo",
                    )
                )
            if not link.alt:
                problems.append(
                    at_line(
                        f"content/{source.name}",
                        source.text,
                        line,
                        f"the picture {link.target!r} has no description for screen-reader users",
                        hint="describe it between the brackets: ![What the photo shows](photo.jpg)",
                        warning=True,
                    )
                )
    return problems
