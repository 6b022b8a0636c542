"""The build cache and incremental builds: fast, but never wrong.

The one trustworthy test of an incremental build is that its output equals a clean build,
byte for byte, after every kind of edit an editor makes.
"""

from __future__ import annotations

import os
import pickle
import posixpath
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir, article, photo, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing import build as build_module
from briefing.build import Builder, BuildOptions
from briefing.cache import ASIDE, BUILD, PREVIEW, cache_file, shard_files
from briefing.content import Discovery
from briefing.render import PlannedPage, render

FILES = {
    "content/2026-03-16/rates.md": article(
        "Rates held",
        "2026-03-16T08:00:00",
        "The bank held rates.\n\n## The vote\n\nIt was close.",
        section="Business",
        tags="[economy, banks]",
        weight="1",
    ),
    "content/2026-03-16/storm.md": article(
        "Storm nears coast", "2026-03-16T07:00:00", "Winds rose.", section="World", weight="2"
    ),
    "content/2026-03-17/xi.md": article(
        "Xi visits Moscow",
        "2026-03-17T09:00:00",
        "See [yesterday's vote](../2026-03-16/rates.md#the-vote) and ![map](map.png).",
        section="World",
        tags="[china, russia]",
    ),
    "content/2026-03-17/map.png": photo(30, 20, "PNG"),
    "content/2026-03-17/_edition.md": "---\ntitle: Tuesday\n---\n\nGood morning.\n",
}


def clean_build(site: SiteDir, tmp_path: Path) -> dict[str, bytes]:
    """What a build from nothing, with no cache, makes of the site as it is now."""
    out = tmp_path / f"clean-{len(list(tmp_path.iterdir()))}"
    result = site.build("--no-cache", "--out", out)
    assert result.code == 0, result.err
    return snapshot(out)


def assert_same_as_clean(site: SiteDir, tmp_path: Path) -> None:
    result = site.build()
    assert result.code == 0, result.err
    assert snapshot(site.out) == clean_build(site, tmp_path)


def kept_basis(site: SiteDir) -> tuple[Path, Path]:
    """The basis the last full build kept, and the file beside it with its articles."""
    folder = cache_file(site.root).parent
    (basis,) = (path for path in folder.glob("basis-*") if not path.name.endswith(ASIDE))
    return basis, basis.with_name(basis.name + ASIDE)


EDITS: list[tuple[str, Callable[[SiteDir], None]]] = [
    (
        "edit body",
        lambda s: s.write(
            "content/2026-03-17/xi.md", FILES["content/2026-03-17/xi.md"].replace("See", "Read")
        ),
    ),
    (
        "edit title shown in listings",
        lambda s: s.write(
            "content/2026-03-16/storm.md",
            article(
                "Storm hits coast",
                "2026-03-16T07:00:00",
                "Winds rose.",
                section="World",
                weight="2",
            ),
        ),
    ),
    (
        "rename linked article",
        lambda s: os.replace(
            s.root / "content/2026-03-16/rates.md", s.root / "content/2026-03-16/rate-decision.md"
        ),
    ),
    (
        "fix the link to it",
        lambda s: s.write(
            "content/2026-03-17/xi.md",
            FILES["content/2026-03-17/xi.md"].replace("rates.md", "rate-decision.md"),
        ),
    ),
    (
        "add article",
        lambda s: s.write(
            "content/2026-03-17/new.md",
            article("New story", "2026-03-17T10:00:00", "Fresh.", section="Science"),
        ),
    ),
    (
        "give a linked article its own slug",
        lambda s: s.write(
            "content/2026-03-16/rate-decision.md",
            FILES["content/2026-03-16/rates.md"].replace(
                "title: Rates held", "title: Rates held\nslug: held"
            ),
        ),
    ),
    ("delete article", lambda s: s.remove("content/2026-03-16/storm.md")),
    (
        "change section",
        lambda s: s.write(
            "content/2026-03-17/new.md",
            article("New story", "2026-03-17T10:00:00", "Fresh.", section="Climate"),
        ),
    ),
    (
        "edit edition note",
        lambda s: s.write(
            "content/2026-03-17/_edition.md", "---\ntitle: Tuesday briefing\n---\n\nHello.\n"
        ),
    ),
    ("replace image", lambda s: s.write("content/2026-03-17/map.png", photo(32, 20, "PNG"))),
    ("add a photo file", lambda s: s.write("content/2026-03-16/sky.jpg", photo(40, 30))),
    (
        "give an article a lead photo",
        lambda s: s.write(
            "content/2026-03-16/storm.md",
            article(
                "Storm nears coast",
                "2026-03-16T07:00:00",
                "Winds rose.",
                image="\n  src: sky.jpg\n  alt: A dark sky\n  credit: Wire",
            ),
        ),
    ),
    (
        "replace the lead photo with a bigger one",
        lambda s: s.write("content/2026-03-16/sky.jpg", photo(80, 50)),
    ),
    (
        "override a template",
        lambda s: s.write(
            "themes/default/templates/404.html",
            "{% extends 'base.html' %}{% block main %}<h1>Lost</h1>{% endblock %}",
        ),
    ),
    (
        "change site.yaml",
        lambda s: s.write(
            "site.yaml",
            (s.root / "site.yaml").read_text().replace("The Test Briefing", "The Tested Briefing"),
        ),
    ),
    (
        "change time zone",
        lambda s: s.write(
            "site.yaml",
            (s.root / "site.yaml").read_text().replace("America/Los_Angeles", "Asia/Shanghai"),
        ),
    ),
    ("remove the template override", lambda s: s.remove("themes/default/templates/404.html")),
]


def test_cached_output_equals_a_clean_build_after_every_kind_of_edit(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = make_site(FILES)
    assert_same_as_clean(site, tmp_path)
    for _name, edit in EDITS:
        edit(site)
        assert_same_as_clean(site, tmp_path)


def test_the_preview_builder_equals_a_clean_build_after_every_kind_of_edit(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The preview keeps one Builder, and with it what earlier builds made (Articles,
    placement, photos), in memory: none of it may outlive a change that affects it."""
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    for name, edit in EDITS:
        edit(site)
        result = builder.build()
        assert result.ok, (name, result.problems)
        assert snapshot(site.out) == clean_build(site, tmp_path), name


def test_the_preview_builder_survives_briefing_clean_under_it(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """``briefing clean`` while ``briefing serve`` runs removes the processed photos and
    the preview's own output: the next rebuild makes them again rather than trusting
    what it remembers."""
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    shutil.rmtree(site.root / ".briefing-cache")
    shutil.rmtree(site.out)
    result = builder.build()
    assert result.ok, result.problems
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_new_slug_on_a_linked_article_updates_the_link_in_the_unchanged_article(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(FILES).built()
    site.write(
        "content/2026-03-16/rates.md",
        FILES["content/2026-03-16/rates.md"].replace(
            "title: Rates held", "title: Rates held\nslug: held"
        ),
    )
    assert site.build().code == 0
    links = [a["href"] for a in site.page("2026/03/17/xi/").select(".article-body a")]
    assert links == ["/2026/03/16/held/#the-vote"]


def test_unchanged_site_rebuilds_without_parsing_or_rendering_anything(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(FILES).built()
    before = {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()}

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed or rendered again")

    monkeypatch.setattr(build_module, "parse_source", refuse)
    monkeypatch.setattr(build_module, "render_body", refuse)
    monkeypatch.setattr(build_module, "render", refuse)
    assert site.build().code == 0
    after = {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()}
    assert after == before, "unchanged files were rewritten"


def test_one_edited_article_rewrites_only_the_pages_that_show_it(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(FILES)
    options = BuildOptions(now=NOW, out=site.out)
    builder = Builder(site.root, options)
    assert builder.build().ok
    site.write(
        "content/2026-03-16/storm.md",
        article(
            "Storm reaches coast", "2026-03-16T07:00:00", "Winds rose.", section="World", weight="2"
        ),
    )
    result = builder.build()
    assert result.ok, result.problems
    assert "2026/03/16/storm/index.html" in result.changed
    assert "2026/03/16/index.html" in result.changed
    assert "sections/world/index.html" in result.changed
    assert "feed.xml" in result.changed
    # Pages that do not show the storm story were neither rendered nor written.
    for untouched in ("2026/03/17/xi/index.html", "2026/03/17/index.html", "tags/china/index.html"):
        assert untouched not in result.changed
    # The rates page shows the storm story as its "next" link, so it follows.
    assert "2026/03/16/rates/index.html" in result.changed


def test_an_edit_to_a_body_alone_leaves_listings_that_do_not_show_bodies(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    rendered: list[str] = []

    def recording(theme: object, site: object, context: object, page: PlannedPage) -> str:
        rendered.append(page.path)
        return render(theme, site, context, page)

    monkeypatch.setattr(build_module, "render", recording)
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Winds rose at dusk."))
    result = builder.build()
    assert result.ok, result.problems
    assert "2026/03/16/storm/" in rendered
    assert "feed.xml" in rendered  # feeds carry whole articles
    for listing in ("2026/03/16/", "sections/world/", "", "credits/"):
        assert listing not in rendered


def test_a_theme_listing_that_shows_reading_time_follows_a_longer_body(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = make_site(FILES).built()
    site.write(
        "themes/default/templates/section.html",
        "{% extends 'base.html' %}{% block main %}{% for story in articles %}"
        "<p class=minutes>{{ story.reading_minutes }}</p>{% endfor %}{% endblock %}",
    )
    assert site.build().code == 0
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Winds rose. " * 300))
    assert_same_as_clean(site, tmp_path)
    minutes = [p.text for p in site.page("sections/world/").select(".minutes")]
    assert max(int(m) for m in minutes) > 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"",
        lambda data: b"briefing-cache 999 0.0\n" + data.split(b"\n", 1)[1],
        lambda data: data[:-10] + b"0123456789",
        lambda data: os.urandom(len(data)),
    ],
    ids=["truncated", "empty", "other-version", "tampered", "garbage"],
)
@pytest.mark.parametrize("part", ["index", "shard", "basis", "articles beside the basis"])
def test_damaged_cache_is_ignored_and_the_output_stays_right(
    make_site: Callable[..., SiteDir],
    tmp_path: Path,
    damage: Callable[[bytes], bytes],
    part: str,
) -> None:
    site = make_site(FILES).built()
    shards = shard_files(site.root)
    assert len(shards) > 1
    basis, aside = kept_basis(site)
    paths = {"index": cache_file(site.root), "shard": shards[0], "basis": basis}
    path = paths.get(part, aside)
    path.write_bytes(damage(path.read_bytes()))
    if path in (basis, aside):  # the kept basis is what a body edit is patched on
        storm = FILES["content/2026-03-16/storm.md"]
        site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    else:
        xi = article("Xi arrives in Moscow", "2026-03-17T09:00:00")
        site.write("content/2026-03-17/xi.md", xi)
    assert_same_as_clean(site, tmp_path)


def test_cache_from_another_machine_is_not_trusted(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(FILES).built()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    site.write("content/2026-03-16/storm.md", article("Storm passes", "2026-03-16T07:00:00"))
    assert_same_as_clean(site, tmp_path)


def test_parallel_build_is_byte_identical_to_a_single_process_build(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    files: dict[str, str | bytes] = dict(FILES)
    for index in range(120):
        files[f"content/2026-03-{10 + index % 7:02d}/story-{index}.md"] = article(
            f"Story {index}",
            f"2026-03-{10 + index % 7:02d}T0{index % 10}:00:00",
            f"Body of story {index} with *emphasis* and [a link](https://example.com/{index}).",
            section=["World", "Business", "Science"][index % 3],
            tags=f"[tag-{index % 9}]",
        )
    site = make_site(files)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert site.build("--no-cache", "--jobs", "1", "--out", serial).code == 0
    assert site.build("--no-cache", "--jobs", "2", "--out", parallel).code == 0
    assert snapshot(serial) == snapshot(parallel)
    assert len(snapshot(serial)) > 150


def test_two_builds_at_once_end_with_one_complete_site(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = make_site(FILES)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    command = [sys.executable, "-m", "briefing", "build", str(site.root)]
    runs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_builds_into_different_folders_at_once_share_the_cache_without_harm(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """Different output folders do not wait for each other, so their cache saves race; the
    loser's shards may go, which must only ever cost work, never give a wrong page."""
    site = make_site(FILES)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    for round_ in range(3):
        site.write(
            "content/2026-03-17/xi.md",
            article(f"Xi visits Moscow, day {round_}", "2026-03-17T09:00:00"),
        )
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "briefing", "build", str(site.root), "--out", str(out)],
                env=env,
                stderr=subprocess.PIPE,
            )
            for out in (tmp_path / f"a{round_}", tmp_path / f"b{round_}", site.out)
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
    expected = clean_build(site, tmp_path)
    assert snapshot(site.out) == expected
    site.write("content/2026-03-16/storm.md", article("Storm passes", "2026-03-16T07:00:00"))
    assert_same_as_clean(site, tmp_path)


def test_briefing_clean_removes_the_cache(make_site: Callable[..., SiteDir]) -> None:
    from conftest import run_cli

    site = make_site(FILES).built()
    assert cache_file(site.root).is_file()
    assert run_cli("clean", site.root).code == 0
    assert not cache_file(site.root).exists()
    assert site.build().code == 0


def test_no_cache_build_leaves_no_cache_behind(make_site: Callable[..., SiteDir]) -> None:
    site = make_site(FILES)
    assert site.build("--no-cache").code == 0
    assert not cache_file(site.root).exists()


def test_deleted_article_disappears_from_output_and_listings(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(FILES).built()
    site.remove("content/2026-03-16/storm.md")
    assert site.build().code == 0
    assert not (site.out / "2026/03/16/storm").exists()
    titles = [a.get_text() for a in site.page("2026/03/16/").select(".card-title a")]
    assert titles == ["Rates held"]
    assert "Storm" not in (site.out / "feed.xml").read_text()


def test_build_clock_moving_past_a_scheduled_article_publishes_it(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(FILES)
    site.write("content/2026-03-21/later.md", article("Scheduled", "2026-03-21T06:00:00"))
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    assert not site.exists("2026/03/21/later/")
    assert builder.build(now=datetime(2026, 3, 22, tzinfo=UTC)).ok
    assert site.exists("2026/03/21/later/")


def test_cache_written_by_an_older_shape_of_the_code_is_ignored(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    from briefing import cache as cache_module

    site = make_site(FILES).built()
    # Signed with the right key and version, but without a field this code expects.
    for path in shard_files(site.root):
        entries = cache_module._read(path, cache_module._key(), cache_module.PER_SOURCE)
        assert entries is not None
        del entries["pictures"]
        cache_module._write(path, pickle.dumps(entries), cache_module._key())
    assert cache_module.load(site.root).parsed == {}
    site.write("content/2026-03-17/xi.md", article("Xi lands in Moscow", "2026-03-17T09:00:00"))
    assert_same_as_clean(site, tmp_path)


def test_an_article_changed_beside_the_basis_is_not_published_by_an_edit(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The articles kept beside the basis are read, and their signatures checked, only
    when a patch needs them: a change there, even one that leaves a valid pickle, must
    not reach the pages (the feed shows every article's body)."""
    site = make_site(FILES).built()
    _, aside = kept_basis(site)
    kept = aside.read_bytes()
    assert kept.count(b"The bank held rates.") == 1
    aside.write_bytes(kept.replace(b"The bank held rates.", b"The bank CUT rates!!"))
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    assert_same_as_clean(site, tmp_path)
    assert "CUT" not in (site.out / "feed.xml").read_text()


def test_a_kept_basis_of_an_older_shape_of_the_code_is_ignored(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    from briefing import cache as cache_module

    site = make_site(FILES).built()
    path, _ = kept_basis(site)
    kept = cache_module.load_basis(site.root, path.name)
    assert kept is not None
    del vars(kept["last"].prepared.basis)["places"]  # as if made before that field was
    cache_module._write(path, pickle.dumps(kept), cache_module._key())
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    assert_same_as_clean(site, tmp_path)


def test_articles_kept_by_an_older_shape_of_the_code_are_ignored(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept article is unpickled only when read: one of another shape must be found out
    while the basis is read, not half-way through rendering a page."""
    from briefing import cache as cache_module
    from briefing import model

    site = make_site(FILES).built()
    path, _ = kept_basis(site)
    kept = cache_module.load_basis(site.root, path.name)
    assert kept is not None
    for stored in kept["last"].prepared.site.articles:
        fields = pickle.loads(vars(stored)["_stored"]())  # read from beside the basis
        vars(stored)["_stored"] = pickle.dumps(fields[:-1])  # as if made before a field was
    with monkeypatch.context() as older:
        older.setattr(model, "_SHAPE", ",".join(model._STORED_FIELDS[:-1]))
        cache_module._write(path, pickle.dumps(kept), cache_module._key())
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    assert_same_as_clean(site, tmp_path)


def test_an_edit_rewrites_one_shard_of_the_cache_not_all_of_them(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(FILES).built()
    before = {path.name for path in shard_files(site.root)}
    site.write("content/2026-03-17/xi.md", article("Xi lands in Moscow", "2026-03-17T09:00:00"))
    assert site.build().code == 0
    after = {path.name for path in shard_files(site.root)}
    assert len(after - before) == 1, "more than the edited file's shard was written"
    assert len(after) == len(before), "replaced shards were left behind"


def test_a_build_with_nothing_to_do_still_repeats_its_warnings(
    make_site: Callable[..., SiteDir],
) -> None:
    site = make_site(
        {**FILES, "content/2026-03-18/w.md": article("W", "2026-03-18", imgae="x.jpg")}
    )
    first = site.build()
    assert first.code == 0 and first.warnings
    again = site.build()
    assert again.code == 0
    assert again.warnings == first.warnings


def test_the_clock_passing_a_scheduled_article_publishes_it_without_any_edit(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site({**FILES, "content/2026-03-21/later.md": article("Later", "2026-03-21T06:00")})
    site.built()
    assert not site.exists("2026/03/21/later/")
    site.built()  # nothing to do: the article is still in the future
    assert not site.exists("2026/03/21/later/")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2026, 3, 22, tzinfo=UTC).timestamp())))
    site.built()
    assert site.exists("2026/03/21/later/")


def test_a_deleted_output_folder_is_built_again(make_site: Callable[..., SiteDir]) -> None:
    import shutil

    site = make_site(FILES).built()
    shutil.rmtree(site.out)
    site.built()
    assert site.exists("2026/03/17/xi/")


def test_a_new_version_of_the_markdown_library_renders_every_body_again(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is cached was made by markdown-it-py, Jinja and PyYAML as installed: after
    ``pip install -U``, the same text may render otherwise, and the site must be what a
    fresh build makes, not the old library's."""
    import markdown_it
    from markdown_it.renderer import RendererHTML

    site = make_site(FILES).built()
    plain = RendererHTML.renderToken

    def newer(self: RendererHTML, tokens: list[Any], index: int, *args: Any) -> str:
        made = plain(self, tokens, index, *args)
        return made.replace("<p>", '<p class="newer">') if tokens[index].tag == "p" else made

    monkeypatch.setattr(RendererHTML, "renderToken", newer)
    monkeypatch.setattr(markdown_it, "__version__", "99.0.0")
    site.built()
    assert site.page("2026/03/16/storm/").select("p.newer")
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_a_page_and_a_photo_removed_from_the_output_by_hand_come_back_with_the_next_full_build(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The cache remembers them as published: the build used to keep what was not there,
    then fail with "could not write the site", blaming the disk."""
    site = make_site(FILES).built()
    site.file("2026/03/16/storm/").unlink()
    photos = sorted(site.out.glob("2026/03/17/map*"))
    photos[0].unlink()
    # A new story moves every list it is in: a full build, not a patch.
    site.write("content/2026-03-17/later.md", article("Later story", "2026-03-17T10:00:00"))
    result = site.build()
    assert result.code == 0, result.err
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_the_build_after_a_first_build_into_an_empty_folder_has_nothing_to_do(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once it knows the files (here the child that looks at them is done before the build
    asks: while it is not, the build reads its cache rather than wait idle)."""
    monkeypatch.setattr(Discovery, "done", lambda self: True)
    site = make_site(FILES).built()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was loaded: the build did not see it had nothing to do")

    monkeypatch.setattr(build_module, "load_cache", refuse)
    assert site.build().code == 0


def _storm(title: str, date: str = "07:00", section: str = "World", **fields: str) -> str:
    """The storm story with a new headline, time or section (front matter and all)."""
    return article(
        title, f"2026-03-16T{date}:00", "Winds rose.", section=section, weight="2", **fields
    )


BODY_EDITS: list[tuple[str, dict[str, str], bool]] = [
    # (what the editor did, the bodies or files saved, whether the site can be patched)
    ("reword a paragraph", {"storm.md": "Winds rose at dusk."}, True),
    ("write more", {"storm.md": "Winds rose.\n\n" + "More wind. " * 400}, True),
    ("save two stories at once", {"storm.md": "Calm.", "rates.md": "Held.\n\n## The vote"}, True),
    ("rename a heading another story links to", {"rates.md": "Held.\n\n## The tally"}, False),
    ("put the heading back", {"rates.md": "Held.\n\n## The vote"}, False),
    ("add a photo, undescribed", {"storm.md": "Winds.\n\n![](../2026-03-17/map.png)"}, False),
    ("describe it", {"storm.md": "Winds.\n\n![The map](../2026-03-17/map.png)"}, False),
    ("link to nowhere", {"storm.md": "See [this](missing.md)."}, False),
    ("drop the link", {"storm.md": "Winds rose at night."}, False),
    ("reword again", {"storm.md": "Winds rose late at night."}, True),
    ("sharpen the headline", {"storm.md": _storm("Storm hits the coast")}, True),
    ("add a summary", {"storm.md": _storm("Storm hits the coast", summary="Gales by noon.")}, True),
    ("move it to another section", {"storm.md": _storm("Storm hits", section="Science")}, False),
    ("and back", {"storm.md": _storm("Storm hits")}, False),
    ("publish it an hour earlier", {"storm.md": _storm("Storm hits", date="06:00")}, False),
    ("the headline once more", {"storm.md": _storm("Storm hits hard", date="06:00")}, True),
    (
        "reword the latest edition's story, shown in full on the home page",
        {"../2026-03-17/xi.md": "Read [it](../2026-03-16/rates.md#the-vote), ![map](map.png)."},
        True,
    ),
]


def _with_body(name: str, body: str) -> str:
    """The story with a new body, or ``body`` itself when it is a whole file."""
    if body.startswith("---\n"):
        return body
    text = FILES[posixpath.normpath(f"content/2026-03-16/{name}")]
    return text[: text.index("\n---\n") + 5] + "\n" + body + "\n"


def _builder(site: SiteDir, where: str) -> Callable[[], Builder]:
    """The preview's one builder for its whole life, or a new one each time as each run of
    ``briefing build`` makes (keeping what it knows in .briefing-cache/)."""
    options = BuildOptions(now=NOW, out=site.out)
    if where == "preview":
        builder = Builder(site.root, options)
        return lambda: builder
    return lambda: Builder(site.root, options, persistent=True)


@pytest.mark.parametrize("where", ["preview", "cli"])
def test_body_edits_are_patched_in_the_preview_and_the_cli_and_equal_a_clean_build(
    make_site: Callable[..., SiteDir],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """Saving an article's text redoes that article, not the whole site; a save that could
    change what other pages say (an anchor, a new warning) builds it all. Either way the
    pages and the problems shown are a clean build's."""
    site = make_site(FILES)
    builder_now = _builder(site, where)
    assert builder_now().build().ok
    full_builds: list[int] = []
    prepare = build_module.prepare

    def counting(*args: object, **kwargs: object) -> object:
        full_builds.append(1)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(build_module, "prepare", counting)
    for what, saved, patchable in BODY_EDITS:
        full_builds.clear()
        for name, body in saved.items():
            site.write(f"content/2026-03-16/{name}", _with_body(name, body))
        builder = builder_now()
        result = builder.build()
        assert result.ok, (what, result.problems)
        assert (not full_builds) == patchable, what
        fresh = Builder(site.root, BuildOptions(now=NOW, out=tmp_path / "fresh"))
        assert result.problems == fresh.build().problems, what
        # What it remembers of each page is what a full build would: later builds rely on it.
        assert builder.cache.outputs == fresh.cache.outputs, what
        assert snapshot(site.out) == clean_build(site, tmp_path), what


def test_a_patched_body_edit_follows_a_listing_that_shows_reading_time(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = make_site(FILES)
    site.write(
        "themes/default/templates/section.html",
        "{% extends 'base.html' %}{% block main %}{% for story in articles %}"
        "<p class=minutes>{{ story.reading_minutes }}</p>{% endfor %}{% endblock %}",
    )
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    site.write("content/2026-03-16/storm.md", _with_body("storm.md", "Winds rose. " * 300))
    result = builder.build()
    assert result.ok, result.problems
    assert "sections/world/index.html" in result.changed
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_a_save_the_watcher_missed_is_built_by_the_next_look_at_the_disk(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The preview takes its watcher's word for what changed, then looks at every file."""
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    site.write("content/2026-03-16/storm.md", _with_body("storm.md", "Winds rose at dusk."))
    site.write("content/2026-03-16/rates.md", _with_body("rates.md", "Cut.\n\n## The vote"))
    trusted = builder.build(changed=["content/2026-03-16/storm.md"])
    assert trusted.ok and trusted.trusted, trusted.problems
    assert "2026/03/16/storm/index.html" in trusted.changed
    assert "2026/03/16/rates/index.html" not in trusted.changed
    checked = builder.build()
    assert checked.ok and not checked.trusted
    assert "2026/03/16/rates/index.html" in checked.changed
    assert snapshot(site.out) == clean_build(site, tmp_path)


@pytest.mark.parametrize("named", ["content/2026-03-16/new.md", "content/2026-03-16", "site.yaml"])
def test_a_watcher_naming_a_new_file_a_folder_or_a_setting_is_not_taken_on_trust(
    make_site: Callable[..., SiteDir], tmp_path: Path, named: str
) -> None:
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    site.write("content/2026-03-16/new.md", article("Fresh", "2026-03-16T09:00:00", "New."))
    result = builder.build(changed=[named])
    assert result.ok and not result.trusted, result.problems
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_a_curated_link_given_a_body_gets_its_page_in_the_preview_and_loses_it_again(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """With a source, a summary and no body, an article is a curated link (no page of its
    own): writing a body makes it a story with a page, and emptying it makes it a link."""
    front = (
        "---\ntitle: Elsewhere\ndate: 2026-03-17T08:00:00\nsummary: Worth reading.\n"
        "source:\n  name: Wire\n  url: https://example.com/wire/elsewhere\n---\n"
    )
    site = make_site({**FILES, "content/2026-03-17/elsewhere.md": front})
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    for body in ("\nOur own take, in full.\n", "\nA longer take.\n", "\n"):
        site.write("content/2026-03-17/elsewhere.md", front + body)
        result = builder.build(changed=["content/2026-03-17/elsewhere.md"])
        assert result.ok, result.problems
        assert snapshot(site.out) == clean_build(site, tmp_path), body


BODY_PARTS = st.sampled_from(
    [
        "Plain words.",
        "## The vote",
        "## The tally",
        "See [the vote](../2026-03-16/rates.md#the-vote).",
        "See [the storm](../2026-03-16/storm.md).",
        "![The map](../2026-03-17/map.png)",
        "![](../2026-03-17/map.png)",
        "See [this](missing.md).",
        "> A quote.",
        "- one\n- two",
    ]
)
ELSEWHERE = (
    "---\ntitle: Elsewhere\ndate: 2026-03-17T08:00:00\nsummary: Worth reading.\n"
    "source:\n  name: Wire\n  url: https://example.com/wire/elsewhere\n---\n"
)


STORIES = {
    "2026-03-16/rates.md": ("Rates held", "2026-03-16T08:00:00", {"tags": "[bank]", "weight": "1"}),
    "2026-03-16/storm.md": ("Storm nears coast", "2026-03-16T07:00:00", {"weight": "2"}),
    "2026-03-17/xi.md": ("Xi visits Moscow", "2026-03-17T09:00:00", {"tags": "[china, russia]"}),
}
SECTIONS = {"2026-03-16/rates.md": "Business"}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(STORIES)),
            st.lists(BODY_PARTS, max_size=4),
            st.sampled_from([None, "A changed headline"]),
            st.sampled_from([None, "A new summary."]),
            st.sampled_from([None, "Science"]),
        ),
        min_size=1,
        max_size=4,
    )
)
@pytest.mark.parametrize("where", ["preview", "cli"])
def test_any_run_of_edits_in_the_preview_or_the_cli_equals_a_fresh_build(
    make_site: Callable[..., SiteDir],
    where: str,
    edits: list[tuple[str, list[str], str | None, str | None, str | None]],
) -> None:
    """Whatever the bodies say (anchors renamed, links broken and mended, photos with and
    without descriptions, a curated link given a body) and whatever the headline, summary
    or section, the site, patched or not, is what a build from nothing makes, with the
    same problems."""
    site = make_site({**FILES, "content/2026-03-17/elsewhere.md": ELSEWHERE})
    builder_now = _builder(site, where)
    assert builder_now().build().ok
    for step, (name, parts, title, summary, section) in enumerate(edits):
        headline, date, fields = STORIES[name]
        fields = {**fields, "section": section or SECTIONS.get(name, "World")}
        if summary:
            fields["summary"] = summary
        site.write(
            f"content/{name}", article(title or headline, date, "\n\n".join(parts), **fields)
        )
        if step == len(edits) - 1:  # the curated link, too, once in a while
            site.write("content/2026-03-17/elsewhere.md", ELSEWHERE + "\n".join(parts))
        builder = builder_now()
        result = builder.build(changed=[f"content/{name}"])
        if result.trusted:
            result = builder.build()  # as the preview does, to catch what was not named
        fresh = Builder(site.root, BuildOptions(now=NOW, out=site.root / f"fresh-{step}"))
        assert result.problems == fresh.build().problems
        assert snapshot(site.out) == snapshot(fresh.options.out or site.out)
        assert builder.cache.outputs == fresh.cache.outputs


@pytest.mark.parametrize("where", ["preview", "cli"])
def test_a_story_rewritten_within_the_file_clocks_tick_is_not_taken_as_unchanged(
    make_site: Callable[..., SiteDir], tmp_path: Path, where: str
) -> None:
    """Where file times are coarse (Linux before 6.13: one tick is 1 to 10 ms), a story
    rewritten in place at the same size within the tick in which a build read it keeps its
    stamp (size, time, inode), and every build after took the old text as current. Here
    the tick is made to last: the story's time is set ahead of the clock, and given back
    after the rewrite."""
    site = make_site(FILES)
    builder_now = _builder(site, where)
    assert builder_now().build().ok
    story = site.root / "content/2026-03-16/storm.md"
    ahead = time.time_ns() + 60 * 10**9
    os.utime(story, ns=(ahead, ahead))
    assert builder_now().build(changed=["content/2026-03-16/storm.md"]).ok
    text = story.read_text(encoding="utf-8")
    with story.open("r+", encoding="utf-8") as same_file:  # in place: the inode stays
        same_file.write(text.replace("Winds rose.", "Winds fell."))
    os.utime(story, ns=(ahead, ahead))
    assert builder_now().build(changed=["content/2026-03-16/storm.md"]).ok
    assert "Winds fell." in site.file("2026/03/16/storm/").read_text(encoding="utf-8")
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_links_follow_what_moves_appears_or_changes_in_the_preview(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """A story given a slug moves to another address; a story, and a photo linked to by
    its full path, appear after the bodies that link to them; a photo is replaced by a
    larger one: the bodies that link to them change with them."""
    site = make_site(FILES)
    xi = "After [it](../2026-03-16/storm.md).\n\n![Map](map.png)"
    site.write("content/2026-03-17/xi.md", article("Xi visits Moscow", "2026-03-17T09:00:00", xi))
    rates = "See [next](../2026-03-18/next.md).\n\n![Chart](/2026-03-17/chart.png)"
    site.write("content/2026-03-16/rates.md", _with_body("rates.md", rates))
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    storm = FILES["content/2026-03-16/storm.md"].replace("\ntitle:", "\nslug: warning\ntitle:")
    changes = [
        ("content/2026-03-16/storm.md", storm),
        ("content/2026-03-18/next.md", article("What next", "2026-03-18T09:00:00")),
        ("content/2026-03-17/chart.png", photo(20, 10, "PNG")),
        ("content/2026-03-17/map.png", photo(60, 40, "PNG")),
    ]
    for name, content in changes:
        site.write(name, content)
        assert builder.build(changed=[name]).ok
        assert snapshot(site.out) == clean_build(site, tmp_path), name
    links = [
        site.page(page).select("main a[href]") for page in ("2026/03/17/xi/", "2026/03/16/rates/")
    ]
    assert "/2026/03/16/warning/" in {link["href"] for link in links[0]}
    assert "/2026/03/18/next/" in {link["href"] for link in links[1]}
    assert site.page("2026/03/17/xi/").select_one("main img[width='60']")


def test_a_new_story_in_the_preview_resolves_again_only_the_links_to_what_moved(
    make_site: Callable[..., SiteDir], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At 10,000 articles, resolving every body's links again after a new story took 0.15
    of the preview's 1.15 s; the links of the others resolve as before (Xi's to the rates
    story and to its map)."""
    site = make_site(FILES)
    builder = Builder(site.root, BuildOptions(now=NOW, out=site.out))
    assert builder.build().ok
    resolved: list[str] = []
    make_resolver = build_module.make_resolver
    monkeypatch.setattr(
        build_module,
        "make_resolver",
        lambda name, *args: resolved.append(name) or make_resolver(name, *args),
    )
    site.write("content/2026-03-18/next.md", article("What next", "2026-03-18T09:00:00"))
    assert builder.build(changed=["content/2026-03-18/next.md"]).ok
    assert resolved == ["2026-03-18/next.md"]
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_a_story_edited_by_one_build_and_changed_back_by_the_next_shows_as_it_is_now(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The CLI patches each build on the last full one: the story changed back equals that
    build's, yet its page in the output is the one the edit wrote, and must be redone."""
    site = make_site(FILES).built()
    original = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", original.replace("Winds rose.", "Calm seas."))
    assert site.build().code == 0
    assert "Calm seas." in site.file("2026/03/16/storm/").read_text()
    site.write("content/2026-03-16/storm.md", original)
    assert_same_as_clean(site, tmp_path)


def test_a_no_cache_build_in_between_leaves_no_stale_page_behind(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = make_site(FILES).built()
    original = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", original.replace("Winds rose.", "Calm seas."))
    assert site.build("--no-cache").code == 0
    site.write("content/2026-03-16/storm.md", original)
    assert_same_as_clean(site, tmp_path)


def test_a_story_deleted_after_a_no_cache_build_leaves_the_output_with_the_next_build(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """The ``--no-cache`` build did not tell the cache what it wrote: the next build must
    look at the output itself to find what is no longer part of the site."""
    site = make_site(FILES).built()
    assert site.build("--no-cache").code == 0
    site.remove("content/2026-03-16/storm.md")
    result = site.build()
    assert result.code == 0, result.err
    assert not any("storm" in name for name in snapshot(site.out))
    assert snapshot(site.out) == clean_build(site, tmp_path)


def test_a_build_after_a_no_cache_build_of_the_same_site_rewrites_nothing(
    make_site: Callable[..., SiteDir],
) -> None:
    """Photos and theme files included: a publisher syncing by modification time would
    otherwise upload them all again."""
    site = make_site(FILES).built()
    assert site.build("--no-cache").code == 0
    before = {path: path.stat().st_mtime_ns for path in site.out.rglob("*") if path.is_file()}
    result = site.build()
    assert result.code == 0, result.err
    after = {path: path.stat().st_mtime_ns for path in site.out.rglob("*") if path.is_file()}
    changed = sorted(p.name for p in after if before.get(p) != after[p])
    assert changed == [".briefing-output"]


def test_a_build_after_a_story_was_added_does_not_even_read_the_kept_basis(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new file means a full build: reading the basis first would only cost time (once
    the files are known: while the child that looks at them is not done, the build reads
    the basis rather than wait idle)."""
    monkeypatch.setattr(Discovery, "done", lambda self: True)
    site = make_site(FILES).built()

    def refuse(*args: object) -> None:
        raise AssertionError("the kept basis was read")

    monkeypatch.setattr(build_module, "load_basis", refuse)
    site.write("content/2026-03-17/new.md", article("Markets rally", "2026-03-17T10:00:00"))
    assert_same_as_clean(site, tmp_path)


def test_a_basis_that_could_not_be_written_is_not_named_and_the_next_edit_is_right(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The basis is written by a forked child while the build saves the rest: if the child
    fails (a full disk), the index must not name a file that is not there."""
    from briefing import cache as cache_module

    def no_room_for_a_basis(path: Path, contents: object, key: bytes, *pickler: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module, "_dump", no_room_for_a_basis)
    site = make_site(FILES).built()
    assert cache_module.load(site.root, entries=False).basis == ""
    assert not list(cache_file(site.root).parent.glob("basis-*"))
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    assert_same_as_clean(site, tmp_path)


def test_work_handed_to_a_child_process_says_whether_it_was_done_and_what_it_made(
    tmp_path: Path,
) -> None:
    from briefing.workers import in_background

    def fails() -> bytes:
        raise OSError("disk full")

    def writes() -> bytes:
        (tmp_path / "done").write_text("yes")
        return b"done" * 100_000  # more than a pipe holds: the child waits for the reader

    done = in_background(writes)
    assert in_background(fails)() is None
    assert done() == b"done" * 100_000 and done() == b"done" * 100_000  # asking twice waits once
    assert (tmp_path / "done").read_text() == "yes"


def test_a_link_to_a_story_not_written_yet_works_once_it_is(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    xi = article("Xi visits Moscow", "2026-03-17T09:00:00", "See [the talks](talks.md).")
    site = make_site({**FILES, "content/2026-03-17/xi.md": xi})
    assert site.build().code == 0  # with a warning: the link leads nowhere yet
    site.write("content/2026-03-17/talks.md", article("Talks begin", "2026-03-17T10:00:00"))
    assert_same_as_clean(site, tmp_path)
    link = site.page("2026/03/17/xi/").find("a", string="the talks")
    assert link is not None and link["href"].endswith("/2026/03/17/talks/")


def test_an_edit_patched_on_the_kept_basis_reads_only_the_articles_it_shows(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    """Unpickling every Article of the kept basis was a third of a CLI edit at 10,000
    articles: one is unpickled only when a page being rendered shows it."""
    from conftest import SITE_YAML

    site = make_site({**FILES, "site.yaml": SITE_YAML + "feed:\n  size: 1\n"}).built()
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    result = Builder(site.root, BuildOptions(now=NOW), persistent=True).build()
    assert result.ok and result.site is not None
    unread = {a.file for a in result.site.articles if "_stored" in vars(a)}
    # The edited story's edition shows rates; xi is on another day and out of the feed.
    assert unread == {"2026-03-17/xi.md"}
    # Kept again unread (the preview keeps its basis after a patch), then read.
    again = pickle.loads(pickle.dumps(result.site.articles))
    assert again == result.site.articles
    assert [a.title for a in again][-1] == "Storm nears coast"
    assert_same_as_clean(site, tmp_path)


def test_a_temporary_file_left_by_a_killed_build_is_removed_by_the_next_full_build(
    make_site: Callable[..., SiteDir],
) -> None:
    """Ctrl-C while the basis is written leaves its temporary file (70 MB at 10,000
    articles); one that a running build is writing must stay."""
    site = make_site(FILES).built()
    folder = cache_file(site.root).parent
    left = folder / "basis-abc-def.4194305.tmp"  # above Linux's largest process number
    being_written = folder / f"shard-00-abc.{os.getpid()}.tmp"
    left.write_bytes(b"x" * 1000)
    being_written.write_bytes(b"y")
    site.write("content/2026-03-17/new.md", article("Markets rally", "2026-03-17T10:00:00"))
    assert site.build().code == 0
    assert not left.exists()
    assert being_written.exists()


def test_a_cache_file_that_cannot_be_pickled_leaves_no_half_written_file(
    tmp_path: Path,
) -> None:
    """The basis is written as it is pickled: a failure half-way must not leave the
    half on disk."""
    from briefing import cache as cache_module

    with pytest.raises(AttributeError, match="pickle"):
        cache_module._dump(tmp_path / "basis-x", {"a": 1, "b": lambda: 0}, bytes(32))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("first", ["cli", "preview"])
def test_the_first_build_in_one_store_reuses_the_markdown_the_other_rendered(
    make_site: Callable[..., SiteDir],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
) -> None:
    """The preview keeps a cache of its own. Its first session on a site the CLI has built
    (or a CLI build after only previews) parses and renders no article again: 28 s
    against a cold build's 21 s at 10,000 articles, when it was all done already."""
    site = make_site(FILES)
    cli = BuildOptions(now=NOW, out=site.out)
    preview = BuildOptions(now=NOW, out=tmp_path / "preview", base_url="http://127.0.0.1:8000/")
    stores = {
        "cli": lambda: Builder(site.root, cli, persistent=True, seed=PREVIEW),
        "preview": lambda: Builder(
            site.root, preview, persistent=True, store=PREVIEW, resident=True, seed=BUILD
        ),
    }
    then = "preview" if first == "cli" else "cli"
    assert stores[first]().build().ok
    parsed: list[str] = []
    rendered: list[str] = []
    parse, render_body = build_module.parse_source, build_module._body_entry
    monkeypatch.setattr(
        build_module, "parse_source", lambda name, *a: parsed.append(name) or parse(name, *a)
    )
    monkeypatch.setattr(
        build_module,
        "_body_entry",
        lambda md, source, *a: rendered.append(source.name) or render_body(md, source, *a),
    )
    result = stores[then]().build()
    assert result.ok, result.problems
    assert (parsed, rendered) == ([], [])
    out = cli.out if then == "cli" else preview.out
    assert out is not None
    clean = tmp_path / "clean"
    clean_options = replace(cli if then == "cli" else preview, out=clean)
    assert Builder(site.root, clean_options).build().ok
    assert snapshot(out) == snapshot(clean)


@given(
    st.dictionaries(
        st.one_of(st.text(), st.integers()),
        st.one_of(st.none(), st.text(), st.tuples(st.integers())),
        max_size=400,  # a few buckets
    )
)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_mapping_kept_with_a_basis_reads_back_as_it_was(
    tmp_path: Path, mapping: dict[str, object]
) -> None:
    from briefing.cache import Shelf, keep_basis, load_basis

    name, written = keep_basis(
        tmp_path, "shape", {"last": Shelf(mapping), "memo": 1}, BUILD, (Shelf,)
    )
    assert written()
    kept = load_basis(tmp_path, name)
    assert kept is not None
    shelf = kept["last"]
    assert isinstance(shelf, Shelf)
    assert len(shelf) == len(mapping) and sorted(map(repr, shelf)) == sorted(map(repr, mapping))
    assert all(key in shelf and shelf[key] == value for key, value in mapping.items())
    assert "\0missing" not in shelf and shelf.get("\0missing") is None and (1,) not in shelf
    assert dict(shelf) == mapping


def test_the_memo_of_a_kept_basis_takes_what_a_build_puts_in_on_top() -> None:
    from briefing.build import _KeptMemo
    from briefing.cache import Shelf

    articles = [object(), object()]
    kept = pickle.loads(pickle.dumps(Shelf({"a.md": (1, ("in",), "a.jpg"), "b.md": (0, (), None)})))
    memo = _KeptMemo(kept, articles)
    assert memo["a.md"] == (("in",), articles[1], "a.jpg") and memo["a.md"][1] is articles[1]
    memo["c.md"] = ((), articles[0], None)
    memo["b.md"] = (("new",), articles[1], None)
    assert sorted(memo) == ["a.md", "b.md", "c.md"] and len(memo) == 3
    assert memo["b.md"][0] == ("new",)
    del memo["a.md"]
    assert sorted(memo) == ["b.md", "c.md"] and "a.md" not in memo
    memo.clear()
    assert len(memo) == 0 and memo.get("b.md") is None


@pytest.mark.parametrize("names", [[], ["2026-03-17/map.png"], ["a.jpg", "b c/ü.pdf", "d.png"]])
def test_the_files_of_a_kept_site_read_back_as_the_built_site_had_them(names: list[str]) -> None:
    from briefing.model import Asset, KeptAssets
    from briefing.urls import asset_path

    assets = tuple(Asset(name, asset_path(name)) for name in names)
    kept = pickle.loads(pickle.dumps(KeptAssets.of(assets)))
    assert len(kept) == len(assets) and kept == assets and tuple(kept) == assets
    assert kept[1:] == assets[1:] and hash(kept) == hash(assets)
    assert [asset.path for asset in kept] == [asset.path for asset in assets]


def test_the_files_a_kept_basis_was_built_from_tell_which_changed_since() -> None:
    from briefing.content import Kind, SourceFile, Stamped

    def files(*stamped: tuple[str, tuple[int, int, int]]) -> list[SourceFile]:
        return [SourceFile(Path("content"), name, Kind.ARTICLE, stamp) for name, stamp in stamped]

    then = files(("a.md", (1, 2, 3)), ("b.md", (4, -5, 6)), ("c.md", (7, 8, 9)))
    kept = pickle.loads(pickle.dumps(Stamped.of(then)))
    assert len(kept) == 3 and len(Stamped.of([])) == 0 and len(Stamped.of(then[:1])) == 1
    assert kept.changed(Stamped.of(then), then) == []
    now = files(("a.md", (1, 2, 3)), ("b.md", (4, 50, 6)), ("c.md", (7, 8, 10)))
    assert kept.changed(Stamped.of(now), now) == now[1:]
    renamed = files(("a.md", (1, 2, 3)), ("b2.md", (4, -5, 6)), ("c.md", (7, 8, 9)))
    assert kept.changed(Stamped.of(renamed), renamed) is None
    assert Stamped.of([]).changed(Stamped.of([]), []) == []
    one = files(("a.md", (1, 2, 4)))
    assert Stamped.of(then[:1]).changed(Stamped.of(one), one) == one


@pytest.mark.parametrize("child", ["still looking at the files", "done at once"])
def test_a_build_reading_its_cache_while_a_child_looks_at_the_files_is_a_clean_build(
    make_site: Callable[..., SiteDir],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    child: str,
) -> None:
    """The CLI reads the cache's index and the kept basis while the child it forked looks
    at the files, when that takes longer than its imports; what it read is used only if
    it fits the files found."""
    monkeypatch.setattr(Discovery, "done", lambda self: child == "done at once")
    loads: list[str] = []
    real_load = build_module.load_basis
    monkeypatch.setattr(
        build_module, "load_basis", lambda *args: loads.append(args[1]) or real_load(*args)
    )
    site = make_site(FILES).built()
    storm = FILES["content/2026-03-16/storm.md"]
    site.write("content/2026-03-16/storm.md", storm.replace("Winds rose.", "Calm."))
    assert_same_as_clean(site, tmp_path)
    assert "Calm." in site.file("2026/03/16/storm/").read_text()
    site.write("content/2026-03-16/new.md", article("New", "2026-03-16T11:00:00"))  # a full build
    assert_same_as_clean(site, tmp_path)
    assert site.build().code == 0  # nothing to do
    # Read by every build that had one to read while the child looked (the edit, the
    # full build, the build with nothing to do), or only by the patch that needs it.
    assert len(loads) == (3 if child == "still looking at the files" else 1)
