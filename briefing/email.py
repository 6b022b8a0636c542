"""``briefing email``: one day's edition as a newsletter, ready for any email service.

The edition comes from the same model as the site (``build.prepare``) and is rendered with
the theme's ``email/edition.html`` and ``email/edition.txt`` (a site's own
``themes/<name>/email/`` wins, as for the site's templates). The HTML is made to survive
mail clients: table layout, CSS inlined by css-inline with no ``<style>`` or stylesheet
left, every link and picture absolute from ``base_url``, pictures with width and height.
Both parts go into one ``.eml`` (multipart/alternative, UTF-8) with the edition's title as
its Subject and, when site.yaml's ``email:`` says so, From, Reply-To and List-Unsubscribe.

The template context (documented for theme authors):

``site``      ``EmailSite``: title, description, language, url, archive_url, copyright,
              trust_url, trust_label, extra; every URL absolute.
``edition``   the ``Edition`` (day, title, summary, note_html, articles, ...).
``subject``   the Subject line.
``edition_url`` the edition's page on the site, absolute.
``stories``   ``Story`` per article in edition order: ``article``, ``url`` (absolute: its
              page, or the original for a curated link), ``image`` (``EmailImage`` or none).
``unsubscribe_url`` the first address of List-Unsubscribe, or "".

Filters, besides the site's: ``absolute`` (a site link made absolute), ``plain`` (HTML to
plain text, for the ``.txt`` part).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jinja2

from briefing.config import SiteConfig, read_site_yaml
from briefing.deploy import refuse_secrets
from briefing.errors import ContentError, has_errors, sort_problems
from briefing.imagesize import picture_size
from briefing.mailhtml import absolute_links, html_to_text, inline_css
from briefing.model import Article, Edition, Site
from briefing.render import template_problem
from briefing.schema import FieldReader
from briefing.theme import load_email_templates, long_date

EMAIL_SETTINGS = ("from", "reply_to", "list_unsubscribe", "list_unsubscribe_post")
CONTENT_WIDTH = 552
"""Pixels a picture may take: a 600-pixel message less its side padding."""
OUTBOX = "outbox"
"""Default folder for the .eml files, in the site folder (never content/ or public/)."""


@dataclass(frozen=True)
class EmailSettings:
    sender: str = ""
    reply_to: str = ""
    list_unsubscribe: str = ""
    """The header's value: ``<mailto:...>, <https://...>``."""
    one_click: bool = False
    """Add ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058)."""

    @property
    def unsubscribe_url(self) -> str:
        match = re.search(r"<([^>]+)>", self.list_unsubscribe)
        return match.group(1) if match else ""


@dataclass(frozen=True)
class EmailSite:
    title: str
    description: str
    language: str
    url: str
    archive_url: str
    copyright: str
    trust_url: str
    trust_label: str
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class EmailImage:
    src: str
    """Absolute."""
    width: int
    height: int
    """The size to show it at: at most ``CONTENT_WIDTH`` wide, in proportion."""
    alt: str
    caption: str
    credit: str
    """As the site shows it: ``creator / credit``."""
    license: str


@dataclass(frozen=True)
class Story:
    article: Article
    url: str
    image: EmailImage | None


@dataclass(frozen=True)
class Newsletter:
    day: date
    subject: str
    html: str
    text: str
    message: bytes
    """The .eml."""


class EmailProblem(Exception):
    def __init__(self, problem: ContentError) -> None:
        super().__init__(problem.format())
        self.problem = problem


# -- settings ---------------------------------------------------------------------------


def load_email_settings(root: Path) -> tuple[EmailSettings, list[ContentError]]:
    reader, problems = read_site_yaml(root)
    if reader is None:
        return EmailSettings(), problems
    section = reader.mapping("email")
    if section is None:
        return EmailSettings(), problems
    secrets = refuse_secrets(
        section, "briefing does not send email: give the .eml to your email service instead"
    )
    section.extra((*EMAIL_SETTINGS, *secrets), strict=True)
    sender = _address(section, "from")
    reply_to = _address(section, "reply_to")
    unsubscribe = _unsubscribe(section)
    one_click = section.flag("list_unsubscribe_post")
    if one_click and "<https://" not in unsubscribe:
        section.problem(
            "list_unsubscribe_post",
            "email.list_unsubscribe_post needs an https:// address in list_unsubscribe",
            "one-click unsubscribing posts to a web address; add one to list_unsubscribe",
        )
        one_click = False
    return EmailSettings(sender, reply_to, unsubscribe, one_click), problems


def _address(section: FieldReader, key: str) -> str:
    text = section.text(key)
    if not text:
        return ""
    found = getaddresses([text])
    if "\n" in text or "\r" in text or len(found) != 1 or "@" not in found[0][1]:
        section.problem(
            key,
            f'{section.name(key)}: "{text}" is not an email address',
            'write e.g. "The Briefing <news@example.org>"',
        )
        return ""
    return text


def _unsubscribe(section: FieldReader) -> str:
    text = section.text("list_unsubscribe")
    if not text:
        return ""
    addresses = [part.strip().strip("<>").strip() for part in text.split(",") if part.strip()]
    for address in addresses:
        scheme = urlsplit(address).scheme
        if scheme not in ("mailto", "https", "http") or any(c in address for c in "\r\n <>"):
            section.problem(
                "list_unsubscribe",
                f'email.list_unsubscribe: "{address}" is not a mailto: or web address',
                'write e.g. "<mailto:leave@example.org>, <https://example.org/leave>"',
            )
            return ""
    return ", ".join(f"<{address}>" for address in addresses)


# -- rendering --------------------------------------------------------------------------


def pick_edition(site: Site, day: date | None) -> Edition:
    if not site.editions:
        raise EmailProblem(
            ContentError("content", None, "there is no edition to send: content/ has no articles")
        )
    if day is None:
        return site.editions[0]
    for edition in site.editions:
        if edition.day == day:
            return edition
    recent = ", ".join(str(e.day) for e in site.editions[:5])
    raise EmailProblem(
        ContentError(
            f"content/{day}",
            None,
            f"there is no edition for {day}",
            hint=f"the latest editions are {recent}",
        )
    )


def subject_of(site: Site, edition: Edition) -> str:
    return edition.title or f"{site.config.title}: {long_date(edition.day)}"


def render_newsletter(
    site: Site, edition: Edition, settings: EmailSettings, now: datetime
) -> Newsletter:
    """Both parts and the .eml. Raises ``EmailProblem`` for a template error."""
    config = site.config
    links = site.links
    edition_url = links.absolute(edition.path)

    def absolute(url: str) -> str:
        return urljoin(edition_url, url) if url else url

    env, problems = load_email_templates(
        config, {"absolute": absolute, "plain": lambda html: html_to_text(str(html), edition_url)}
    )
    if env is None:
        raise EmailProblem(problems[0])
    trust = config.trust_url
    context: dict[str, Any] = {
        "site": EmailSite(
            title=config.title,
            description=config.description,
            language=config.language,
            url=links.absolute(""),
            archive_url=links.absolute("archive/"),
            copyright=config.copyright,
            trust_url=absolute(links.href(trust.lstrip("/"))) if trust.startswith("/") else trust,
            trust_label=config.trust_label,
            extra=config.extra,
        ),
        "edition": edition,
        "subject": subject_of(site, edition),
        "edition_url": edition_url,
        "stories": tuple(_story(config, article, absolute) for article in edition.articles),
        "unsubscribe_url": settings.unsubscribe_url,
    }
    raw_html = _render(env, "edition.html", context, config.root)
    text = _render(env, "edition.txt", context, config.root)
    html = absolute_links(inline_css(raw_html), edition_url)
    message = _message(context["subject"], html, text, settings, now)
    return Newsletter(edition.day, context["subject"], html, text, message)


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any], root: Path) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        problem = template_problem(exc, root)
        if isinstance(exc, jinja2.TemplateNotFound):
            problem = ContentError(
                problem.path,
                problem.line,
                f"the theme has no email template {exc.name!r}",
                hint="add it to themes/<name>/email/, or remove the site's email/ folder",
            )
        raise EmailProblem(problem) from exc


def _story(config: SiteConfig, article: Article, absolute: Any) -> Story:
    image = article.image
    shown = None
    if image is not None and image.file is not None:
        size = (image.width, image.height) if image.width and image.height else None
        if size is None:  # not a photo the build resized: read its header
            try:
                size = picture_size((config.content_dir / image.file).read_bytes())
            except OSError:
                size = None
        if size is not None:
            width = min(size[0], CONTENT_WIDTH)
            height = max(1, round(size[1] * width / size[0]))
            credit = f"{image.creator} / {image.credit}" if image.creator else image.credit
            shown = EmailImage(
                absolute(email_copy(image.srcset) or image.url),
                width,
                height,
                image.alt or "",
                image.caption,
                credit,
                image.license,
            )
    return Story(article, absolute(article.url), shown)


def email_copy(srcset: str) -> str:
    """Of the build's resized copies (``url 480w, url 960w``), the smallest that is sharp at
    1.5 times the email's width, or the largest: a 4000-pixel original is no email's business."""
    copies: list[tuple[int, str]] = []
    for candidate in srcset.split(", "):
        url, _, descriptor = candidate.strip().rpartition(" ")
        if url and descriptor.endswith("w") and descriptor[:-1].isdigit():
            copies.append((int(descriptor[:-1]), url))
    if not copies:
        return ""
    copies.sort()
    sharp = [url for width, url in copies if width >= CONTENT_WIDTH * 3 // 2]
    return sharp[0] if sharp else copies[-1][1]


def _message(subject: str, html: str, text: str, settings: EmailSettings, now: datetime) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    if settings.sender:
        message["From"] = settings.sender
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Date"] = format_datetime(now)
    if settings.list_unsubscribe:
        message["List-Unsubscribe"] = settings.list_unsubscribe
        if settings.one_click:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # From the content, not random: the same edition gives the same bytes.
    digest = hashlib.sha256((text + "\0" + html).encode("utf-8")).hexdigest()
    message.set_boundary(f"=_briefing_{digest[:32]}")
    return message.as_bytes()


# -- the command ------------------------------------------------------------------------


def default_out(root: Path, day: date) -> Path:
    return root / OUTBOX / f"{day}.eml"


def unsafe_out(out: Path, root: Path) -> str:
    """Why the .eml must not be written to ``out``, or ``""``."""
    target = out.resolve()
    site = root.resolve()
    for folder, why in (
        ("content", "your articles"),
        ("themes", "your themes"),
        ("public", "the built site, which every build replaces"),
    ):
        if target.is_relative_to(site / folder):
            return f"{out} is inside {folder}/, {why}"
    if target.is_dir() or out.suffix.lower() != ".eml":
        return f"{out} is not a file name ending in .eml"
    return ""


def command(site_dir: Path, day_text: str | None, out: Path | None) -> int:
    """``briefing email``: exit code 0, 1 (content or template problems) or 2 (usage)."""
    from briefing.build import BuildOptions, prepare
    from briefing.cache import load as load_cache
    from briefing.cli import EXIT_CONTENT, EXIT_OK, EXIT_USAGE, build_clock
    from briefing.workers import default_workers

    if not site_dir.is_dir():
        print(f"briefing: {site_dir} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    day = None
    if day_text is not None:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            print(f"briefing: {day_text!r} is not a day like 2026-03-17", file=sys.stderr)
            return EXIT_USAGE
    if out is not None and str(out) != "-":
        reason = unsafe_out(out, site_dir)
        if reason:
            print(f"briefing: refusing to write the email there: {reason}", file=sys.stderr)
            return EXIT_USAGE
    now = build_clock()
    # With the build cache (loaded, never saved), pages the email does not need are not
    # rendered and photos the build already resized are reused from .briefing-cache/.
    options = BuildOptions(now=now, workers=default_workers())
    prepared, problems = prepare(site_dir, options, load_cache(site_dir))
    settings, setting_problems = load_email_settings(site_dir)
    problems = sort_problems([*problems, *(p for p in setting_problems if p not in problems)])
    if prepared is None or has_errors(problems):
        report(problems)
        return EXIT_CONTENT
    try:
        edition = pick_edition(prepared.site, day)
        newsletter = render_newsletter(prepared.site, edition, settings, now)
    except EmailProblem as failure:
        report([*problems, failure.problem])
        return EXIT_CONTENT
    report(problems)
    if out is not None and str(out) == "-":
        stream = getattr(sys.stdout, "buffer", None)
        if stream is not None:
            stream.write(newsletter.message)
        else:
            sys.stdout.write(newsletter.message.decode("ascii"))
        return EXIT_OK
    target = out or default_out(site_dir, edition.day)
    _write(target, newsletter.message)
    print(target)
    return EXIT_OK


def report(problems: list[ContentError]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    errors = sum(1 for problem in problems if not problem.warning)
    if errors:
        print(f"{errors} error{'s' if errors != 1 else ''}: no email was written.", file=sys.stderr)


def _write(target: Path, data: bytes) -> None:
    """Whole or not at all: a mail tool watching the folder never picks up half a message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
