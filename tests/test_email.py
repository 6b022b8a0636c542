"""``briefing email``: the edition as a newsletter .eml, parsed back with Python's email package.

Tests read the message as a mail client would: the two alternative parts, the headers, the
HTML parsed with BeautifulSoup (every link and picture absolute, no styles left to strip)
and the plain text (every headline and credit a reader of the HTML would see).
"""

from __future__ import annotations

import email
import email.policy
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import SITE_YAML, SiteDir, article, photo, run_cli, soup

from briefing.imagesize import picture_size

REPO = Path(__file__).resolve().parent.parent


def png(width: int, height: int) -> bytes:
    return photo(width, height, "PNG")


EDITION_NOTE = """\
---
title: "The port strike is over"
summary: "Dockworkers accept a deal; the bank holds rates."
---

Good morning. Read [how the strike ended](port.md) first.
"""

SITE_FILES: dict[str, str | bytes] = {
    "content/2026-03-18/_edition.md": EDITION_NOTE,
    "content/2026-03-18/port.md": article(
        "Port workers end strike",
        "2026-03-18T07:00:00",
        "Workers return on Friday.",
        section="Business",
        summary='"Rotterdam reopens after a wage deal."',
        byline="[Amara Okafor, Jonas Weber]",
        dateline="ROTTERDAM",
        credit='"Additional reporting by Reuters"',
        copyright='"Copyright 2026 The Test Briefing"',
        image=(
            '{src: cranes.png, alt: "Cranes at dawn", caption: "Cranes over the terminal.", '
            "credit: AP, creator: Jan Smit}"
        ),
    ),
    "content/2026-03-18/cranes.png": png(800, 400),
    "content/2026-03-18/trains.md": article(
        "Night train returns to the Balkans",
        "2026-03-18T06:00:00",
        "Three times a week.",
        section="World",
        copyright='"Copyright 2026 Continental Press"',
        source="{name: Continental Press, url: https://example.com/cp/night-train}",
    ),
    "content/2026-03-18/bookshop.md": (
        "---\ntitle: Readers buy Baxter & Lyle\ndate: 2026-03-18T05:00:00\n"
        'summary: "A cooperative of 2,300 readers keeps the shop open."\n'
        'copyright: "Copyright 2026 Circuit Weekly"\n'
        "source: {name: Circuit Weekly, url: 'https://example.com/cw/bookshop?a=1&b=2'}\n---\n"
    ),
    "content/2026-03-17/rates.md": article(
        "Rates held", "2026-03-17T09:00:00", "The bank held rates.", section="Business"
    ),
}
HEADLINES = [
    "Port workers end strike",
    "Night train returns to the Balkans",
    "Readers buy Baxter & Lyle",
]
CREDITS = [
    "Cranes over the terminal.",
    "Jan Smit / AP",
    "Additional reporting by Reuters",
    "Copyright 2026 The Test Briefing",
    "Copyright 2026 Continental Press",
    "Copyright 2026 Circuit Weekly",
    "By Amara Okafor and Jonas Weber",
]
EMAIL_SETTINGS = """\
email:
  from: "The Test Briefing <news@example.org>"
  reply_to: letters@example.org
  list_unsubscribe: "<mailto:leave@example.org>, <https://example.org/leave>"
  list_unsubscribe_post: true
"""


def newsletter_site(
    make_site: Callable[..., SiteDir], settings: str = EMAIL_SETTINGS, **files: str | bytes
) -> SiteDir:
    return make_site({"site.yaml": SITE_YAML + settings, **SITE_FILES, **files})


def write_email(site: SiteDir, *args: str | Path) -> tuple[EmailMessage, bytes]:
    out = site.root.parent / f"{site.root.name}.eml"
    result = run_cli("email", "--site", site.root, "--out", out, *args)
    assert result.code == 0, result.err
    assert result.err == ""
    data = out.read_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    return cast(EmailMessage, message), data


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return cast(str, text.get_content()), cast(str, html.get_content())


def test_the_eml_has_a_plain_text_and_an_html_part_in_utf8(
    make_site: Callable[..., SiteDir],
) -> None:
    message, data = write_email(newsletter_site(make_site))
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())
    assert message["MIME-Version"] == "1.0"
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


def test_subject_from_the_edition_title_and_headers_from_site_yaml(
    make_site: Callable[..., SiteDir],
) -> None:
    message, _ = write_email(newsletter_site(make_site))
    assert message["Subject"] == "The port strike is over"
    assert message["From"] == "The Test Briefing <news@example.org>"
    assert message["Reply-To"] == "letters@example.org"
    assert message["List-Unsubscribe"] == "<mailto:leave@example.org>, <https://example.org/leave>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Date"] == "Fri, 20 Mar 2026 12:00:00 +0000"


def test_without_email_settings_there_is_no_sender_or_unsubscribe_header(
    make_site: Callable[..., SiteDir],
) -> None:
    message, _ = write_email(newsletter_site(make_site, settings=""), "2026-03-17")
    assert message["Subject"] == "The Test Briefing: Tuesday, March 17, 2026"
    assert message["From"] is None
    assert message["List-Unsubscribe"] is None
    text, html = parts(message)
    assert "Rates held" in text
    assert "Port workers end strike" not in text
    assert "Unsubscribe" not in html


def test_the_html_has_no_styles_left_and_its_css_inlined(
    make_site: Callable[..., SiteDir],
) -> None:
    _, html = parts(write_email(newsletter_site(make_site))[0])
    page = soup(html)
    assert page.find_all("style") == []
    assert [link for link in page.find_all("link") if "stylesheet" in (link.get("rel") or [])] == []
    assert "<style" not in html.lower()
    h1 = page.find("h1")
    assert h1 is not None and "font-size" in str(h1.get("style"))
    assert page.find("table", attrs={"role": "presentation"}) is not None


def test_every_link_and_picture_is_absolute_and_articles_link_to_their_pages(
    make_site: Callable[..., SiteDir],
) -> None:
    _, html = parts(write_email(newsletter_site(make_site))[0])
    page = soup(html)
    addresses = [
        str(tag.get(attribute))
        for tag in page.find_all(True)
        for attribute in ("href", "src")
        if tag.get(attribute) is not None
    ]
    assert addresses
    for address in addresses:
        parts_ = urlsplit(address)
        assert parts_.scheme in ("https", "mailto") and (parts_.netloc or parts_.path), address
    headlines = {
        a.get_text(): a["href"] for h2 in page.select("h2.headline") for a in h2.find_all("a")
    }
    assert headlines == {
        "Port workers end strike": "https://example.org/2026/03/18/port/",
        "Night train returns to the Balkans": "https://example.org/2026/03/18/trains/",
        "Readers buy Baxter & Lyle": "https://example.com/cw/bookshop?a=1&b=2",
    }
    note_links = [a["href"] for a in page.find_all("a") if a.get_text() == "how the strike ended"]
    assert note_links == ["https://example.org/2026/03/18/port/"]


def test_pictures_have_a_width_and_height_and_their_caption_and_credit(
    make_site: Callable[..., SiteDir],
) -> None:
    _, html = parts(write_email(newsletter_site(make_site))[0])
    page = soup(html)
    images = page.find_all("img")
    assert len(images) == 1
    image = images[0]
    assert image["src"] == "https://example.org/2026/03/18/cranes.png"
    assert (image["width"], image["height"]) == ("552", "276")
    assert image["alt"] == "Cranes at dawn"
    text = " ".join(page.get_text(" ").split())
    for line in CREDITS:
        assert line in text, line


def test_the_plain_text_holds_every_headline_and_credit(
    make_site: Callable[..., SiteDir],
) -> None:
    text, _ = parts(write_email(newsletter_site(make_site))[0])
    flat = " ".join(text.split())
    for line in [*HEADLINES, *CREDITS]:
        assert line in flat, line
    assert "Rotterdam reopens after a wage deal." in flat
    assert "Good morning. Read how the strike ended <https://example.org/2026/03/18/port/>" in flat
    assert "https://example.org/2026/03/18/port/" in text.splitlines()
    assert "https://example.com/cw/bookshop?a=1&b=2" in text.splitlines()
    assert "&amp;" not in text and "<p>" not in text
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 72


def test_a_site_override_of_the_email_template_wins(make_site: Callable[..., SiteDir]) -> None:
    override = (
        "<!DOCTYPE html><html><head><style>.brand { color: #c00; }</style></head><body>"
        '<p class="brand">Our own email for {{ edition.day }}</p>'
        '{% for story in stories %}<a href="{{ story.url }}">{{ story.article.title }}</a>'
        "{% endfor %}</body></html>\n"
    )
    site = newsletter_site(make_site, **{"themes/default/email/edition.html": override})
    message, _ = write_email(site)
    text, html = parts(message)
    page = soup(html)
    brand = page.find("p")
    assert brand is not None and brand.get_text() == "Our own email for 2026-03-18"
    assert "color: #c00" in str(brand.get("style"))
    assert page.find_all("style") == []
    assert "Port workers end strike" in text  # the text part still comes from the built-in theme


def test_the_email_is_written_to_the_outbox_by_default_and_is_reproducible(
    make_site: Callable[..., SiteDir],
) -> None:
    site = newsletter_site(make_site)
    first = run_cli("email", "--site", site.root)
    assert first.code == 0, first.err
    out = site.root / "outbox" / "2026-03-18.eml"
    assert first.out.strip() == str(out)
    data = out.read_bytes()
    assert run_cli("email", "--site", site.root).code == 0
    assert out.read_bytes() == data
    assert not (site.root / "public").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["2026-03-18.eml"]


def test_wrong_days_and_places_are_refused(make_site: Callable[..., SiteDir]) -> None:
    site = newsletter_site(make_site)
    missing = run_cli("email", "2026-03-19", "--site", site.root)
    assert missing.code == 1
    assert "there is no edition for 2026-03-19" in missing.err
    assert "2026-03-18, 2026-03-17" in missing.err

    assert run_cli("email", "18 March", "--site", site.root).code == 2
    inside = run_cli("email", "--site", site.root, "--out", site.root / "content" / "x.eml")
    assert inside.code == 2
    assert "inside content/" in inside.err
    assert not (site.root / "content" / "x.eml").exists()
    clobber = run_cli("email", "--site", site.root, "--out", site.root / "site.yaml")
    assert clobber.code == 2
    assert "not a file name ending in .eml" in clobber.err
    assert (site.root / "site.yaml").read_text().startswith("title: The Test Briefing")
    assert not (site.root / "outbox").exists()


def test_email_settings_problems_name_site_yaml_and_the_line(
    make_site: Callable[..., SiteDir],
) -> None:
    settings = 'email:\n  from: "not an address"\n  smtp_password: hunter2\n'
    site = newsletter_site(make_site, settings=settings)
    lines = (site.root / "site.yaml").read_text().splitlines()
    from_line = lines.index('  from: "not an address"') + 1
    result = run_cli("email", "--site", site.root)
    assert result.code == 1
    assert result.errors == [
        f'site.yaml:{from_line}: email.from: "not an address" is not an email address',
        f"site.yaml:{lines.index('  smtp_password: hunter2') + 1}: "
        "email.smtp_password: credentials must not be written in site.yaml",
    ]
    assert "hunter2" not in result.err
    assert not (site.root / "outbox").exists()


def test_a_template_error_names_the_template_and_line(make_site: Callable[..., SiteDir]) -> None:
    broken = "<p>fine</p>\n<p>{{ edition.no_such_field }}</p>\n"
    site = newsletter_site(make_site, **{"themes/default/email/edition.html": broken})
    result = run_cli("email", "--site", site.root)
    assert result.code == 1
    assert result.errors[0].startswith("themes/default/email/edition.html:2: template error")


def test_the_sample_briefing_as_an_email(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The sample's latest edition is 2026-11-26; the tests' usual clock is earlier.
    monkeypatch.setenv(
        "SOURCE_DATE_EPOCH", str(int(datetime(2026, 11, 27, tzinfo=UTC).timestamp()))
    )
    out = tmp_path / "sample.eml"
    result = run_cli("email", "--site", REPO, "--out", out)
    assert result.code == 0, result.err
    message = cast(
        EmailMessage, email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    )
    text, html = parts(message)
    page: BeautifulSoup = soup(html)
    headlines = [h2.get_text(" ", strip=True) for h2 in page.select("h2.headline")]
    assert len(headlines) >= 3
    flat = " ".join(text.split())
    for headline in headlines:
        assert headline in flat, headline
    for image in page.find_all("img"):
        assert image["src"].startswith("https://briefing.example.org/")
        assert int(image["width"]) <= 552 and int(image["height"]) > 0


def test_picture_sizes_are_read_from_the_file_header() -> None:
    assert picture_size(png(31, 7)) == (31, 7)
    assert picture_size(b"GIF89a" + struct.pack("<HH", 640, 480) + b"\x00" * 8) == (640, 480)
    photos = sorted((REPO / "content").rglob("*.jpg"))
    assert photos
    assert picture_size(photos[0].read_bytes()) == (1600, 1067)
    assert picture_size(b"not a picture") is None
    assert picture_size(b"\x89PNG\r\n\x1a\n") is None


def test_a_large_photo_is_sent_as_a_resized_copy_the_site_publishes(
    make_site: Callable[..., SiteDir],
) -> None:
    big = article(
        "Wide view", "2026-03-18T08:00:00", "Text.", image='{src: wide.png, alt: "A wide view"}'
    )
    site = newsletter_site(
        make_site,
        settings="images: {widths: [960], webp: false}\n",
        **{"content/2026-03-18/wide.md": big, "content/2026-03-18/wide.png": png(2000, 1000)},
    ).built("--jobs", "1")
    _, html = parts(write_email(site)[0])
    images = {image["alt"]: image for image in soup(html).find_all("img")}
    wide = images["A wide view"]
    assert (wide["width"], wide["height"]) == ("552", "276")
    path = urlsplit(wide["src"]).path
    assert path != "/2026/03/18/wide.png"
    assert (site.out / path.lstrip("/")).is_file()
