"""Photos: resized for phones, WebP beside the original, no layout shift, no GPS leaks."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SiteDir, article, photo, picture_size, run_cli, snapshot
from PIL import Image

from briefing import images
from briefing.config import ImageSettings

LEAD = """\
---
title: Cranes return
date: 2026-03-17T08:00:00
image:
  src: cranes.jpg
  alt: Cranes over the harbour at dawn
  caption: The cranes start again on Friday.
  credit: AP
---

First paragraph.

![A chart of container volumes](chart.png "Volumes since 2020")

![Second photo](small.jpg)
"""


def photo_site(make_site: Callable[..., SiteDir], **more: str | bytes) -> SiteDir:
    return make_site(
        {
            "content/2026-03-17/cranes.jpg": photo(2000, 1000, gps=True),
            "content/2026-03-17/chart.png": photo(1000, 500, "PNG"),
            "content/2026-03-17/small.jpg": photo(300, 200),
            "content/2026-03-17/cranes.md": LEAD,
            **more,
        }
    ).built()


def test_resized_copies_exist_at_the_declared_widths_and_are_never_upscaled(
    make_site: Callable[..., SiteDir],
) -> None:
    site = photo_site(make_site)
    for width in (480, 960, 1600):
        assert picture_size(site.file(f"2026/03/17/cranes-{width}.jpg")) == (width, width // 2)
        assert picture_size(site.file(f"2026/03/17/cranes-{width}.webp")) == (width, width // 2)
    assert picture_size(site.file("2026/03/17/cranes.jpg")) == (2000, 1000)
    # A 300-pixel photo gets no bigger copies, only its own size in two formats.
    assert not site.exists("2026/03/17/small-480.jpg")
    assert picture_size(site.file("2026/03/17/small.webp")) == (300, 200)


def test_lead_photo_has_srcset_sizes_dimensions_and_loads_first(
    make_site: Callable[..., SiteDir],
) -> None:
    page = photo_site(make_site).page("2026/03/17/cranes/")
    picture = page.select_one("figure.figure-lead picture")
    webp = picture.select_one('source[type="image/webp"]')
    assert "/2026/03/17/cranes-480.webp 480w" in webp["srcset"]
    img = picture.img
    assert (img["width"], img["height"]) == ("2000", "1000")
    assert "/2026/03/17/cranes-960.jpg 960w" in img["srcset"]
    assert img["sizes"]
    assert img.get("loading") is None, "the first image of a page must not wait"
    assert img["decoding"] == "async"


def test_body_photos_are_responsive_and_lazy(make_site: Callable[..., SiteDir]) -> None:
    page = photo_site(make_site).page("2026/03/17/cranes/")
    body_images = page.select(".article-body picture img")
    assert [img["alt"] for img in body_images] == ["A chart of container volumes", "Second photo"]
    chart = body_images[0]
    assert (chart["width"], chart["height"]) == ("1000", "500")
    assert "/2026/03/17/chart-480.png 480w" in chart["srcset"]
    assert all(img["loading"] == "lazy" for img in body_images)


def test_without_a_lead_photo_the_first_body_photo_loads_at_once(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(
        {
            "content/2026-03-17/a.md": article(body="![One](a.jpg)\n\n![Two](b.jpg)"),
            "content/2026-03-17/a.jpg": photo(),
            "content/2026-03-17/b.jpg": photo(),
        }
    ).built()
    loading = [img.get("loading") for img in site.page("2026/03/17/a/").select("img")]
    assert loading == [None, "lazy"]


def test_published_photos_carry_no_camera_metadata_or_gps(
    make_site: Callable[..., SiteDir],
) -> None:
    site = photo_site(make_site)
    for name in ("cranes.jpg", "cranes-480.jpg", "cranes.webp", "cranes-960.webp"):
        with Image.open(site.file(f"2026/03/17/{name}")) as published:
            exif = published.getexif()
            assert 0x8825 not in exif, f"{name} still has GPS"
            assert 0x010E not in exif, f"{name} still has the camera's description"


def test_a_sideways_phone_photo_is_published_the_right_way_up(
    make_site: Callable[..., SiteDir],
) -> None:
    image = Image.new("RGB", (80, 40), (10, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    site = make_site(
        {
            "content/2026-03-17/a.md": article(body="![A tall photo](tall.jpg)"),
            "content/2026-03-17/tall.jpg": buffer.getvalue(),
        }
    ).built()
    assert picture_size(site.file("2026/03/17/tall.jpg")) == (40, 80)
    img = site.page("2026/03/17/a/").select_one(".article-body img")
    assert (img["width"], img["height"]) == ("40", "80")


def test_published_photos_take_no_second_copy_on_disk_and_outlive_the_cache(
    make_site: Callable[..., SiteDir],
) -> None:
    site = photo_site(make_site)
    processed = {
        path.stat().st_ino
        for path in (site.root / ".briefing-cache" / "images").rglob("*")
        if path.is_file()
    }
    published = site.out / "2026/03/17/cranes-960.webp"
    assert published.stat().st_ino in processed, "the photo was copied, not linked"
    site.write("content/2026-03-17/cranes.jpg", photo(1600, 800))
    assert site.build().code == 0
    assert picture_size(site.file("2026/03/17/cranes.jpg")) == (1600, 800)
    assert run_cli("clean", site.root).code == 0
    assert not (site.root / ".briefing-cache").exists()
    assert picture_size(site.file("2026/03/17/cranes-960.webp")) == (960, 480)


def test_an_unchanged_photo_is_never_processed_twice(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = photo_site(make_site)
    site.write(
        "content/2026-03-17/other.md", article("Other", body="Same photo: ![Cranes](cranes.jpg)")
    )

    def refuse(*args: object) -> None:
        raise AssertionError("processed again")

    monkeypatch.setattr(images, "_make", refuse)
    assert site.build().code == 0
    site.remove(".briefing-cache/build/index")
    assert site.build("--no-cache").code == 0


def test_check_reuses_the_photos_a_build_processed_and_still_writes_nothing(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On the sample site, check processed its 14 photos every time: 4.8 s, against 0.4 s
    # for the build.
    site = photo_site(make_site).built()
    before = snapshot(site.root)

    def refuse(*args: object) -> None:
        raise AssertionError("processed again")

    monkeypatch.setattr(images, "_make", refuse)
    assert site.check().code == 0
    assert snapshot(site.root) == before


def test_check_processes_a_photo_no_build_has_seen_in_a_folder_of_its_own(
    make_site: Callable[..., SiteDir],
) -> None:
    site = photo_site(make_site).built()
    site.write("content/2026-03-17/cranes.jpg", photo(1200, 600))
    before = snapshot(site.root)
    assert site.check().code == 0
    assert snapshot(site.root) == before


def test_a_file_that_is_not_a_photo_is_an_error_naming_the_article_and_path(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(
        {
            "content/2026-03-17/a.md": article(
                body="Text.\n\n![A chart](chart.jpg)", image="\n  src: lead.jpg\n  alt: Lead"
            ),
            "content/2026-03-17/lead.jpg": b"this is a text file",
            "content/2026-03-17/chart.jpg": b"<html>not a picture</html>",
        }
    )
    result = site.build()
    assert result.code == 1
    assert result.errors == [
        "content/2026-03-17/a.md:5: image.src: content/2026-03-17/lead.jpg is not a picture "
        "briefing can read",
        "content/2026-03-17/a.md:11: the picture 'chart.jpg': content/2026-03-17/chart.jpg is "
        "not a picture briefing can read",
    ]


def test_a_photo_without_alt_text_is_a_warning_and_an_error_with_strict(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(
        {
            "content/2026-03-17/a.md": article(body="![](photo.jpg)"),
            "content/2026-03-17/photo.jpg": photo(),
        }
    )
    result = site.build()
    assert result.code == 0
    assert result.warnings == [
        "content/2026-03-17/a.md:6: warning: the picture 'photo.jpg' has no description for "
        "screen-reader users"
    ]
    strict = site.build("--strict")
    assert strict.code == 1
    assert strict.errors == [
        "content/2026-03-17/a.md:6: the picture 'photo.jpg' has no description for "
        "screen-reader users"
    ]


def test_a_decorative_lead_photo_is_marked_with_empty_alt(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(
        {
            "content/2026-03-17/a.md": article(image='\n  src: p.jpg\n  alt: ""'),
            "content/2026-03-17/p.jpg": photo(),
        }
    ).built()
    img = site.page("2026/03/17/a/").select_one("figure img")
    assert img["alt"] == ""


def test_image_widths_come_from_site_yaml(make_site: Callable[..., SiteDir]) -> None:
    site = make_site(
        {
            "site.yaml": (
                "title: T\nbase_url: https://example.org/\n"
                "images:\n  widths: [200]\n  webp: false\n"
            ),
            "content/2026-03-17/a.md": article(body="![Photo](p.jpg)"),
            "content/2026-03-17/p.jpg": photo(400, 200),
        },
        defaults=False,
    ).built()
    assert picture_size(site.file("2026/03/17/p-200.jpg")) == (200, 100)
    assert not site.exists("2026/03/17/p-480.jpg")
    assert not site.exists("2026/03/17/p.webp")


def test_one_photo_processed_by_several_workers_at_once_comes_out_whole(tmp_path: Path) -> None:
    """Two articles may use identical photos, and parallel workers then process the same
    content at the same moment: neither may see or destroy the other's half-made files."""
    source = tmp_path / "p.jpg"
    source.write_bytes(photo(300, 200))
    settings = ImageSettings(widths=(100, 200))
    for round_ in range(5):
        cache = tmp_path / f"cache{round_}"
        start = threading.Barrier(6)
        outcomes: list[object] = []

        def work(
            start: threading.Barrier = start, cache: Path = cache, outcomes: list[object] = outcomes
        ) -> None:
            start.wait()
            try:
                outcomes.append(images.process(source, "p.jpg", "p.jpg", settings, cache))
            except Exception as exc:  # the test reports it below
                outcomes.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(isinstance(o, images.Picture) for o in outcomes), outcomes
        for outcome in outcomes:
            assert isinstance(outcome, images.Picture)
            assert all(os.path.isfile(variant.file) for variant in outcome.variants)
