"""Nothing lost, nothing written where it should not be: failed builds keep the previous
site, slugs stay inside the output, and ``--out`` never points at something of value."""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from conftest import article, foreign_scripts, photo, run_cli, snapshot, soup
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.output import MARKER
from briefing.schema import valid_slug
from briefing.urls import UnsafePath, article_path, output_file, safe_join, slugify


def sources(root: Path) -> dict[str, bytes]:
    """The editor's files: everything but what builds write (output, cache)."""
    return {
        name: data
        for name, data in snapshot(root).items()
        if not name.startswith((".briefing-cache/", "public/"))
    }


def good_site(make_site):
    return make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17"),
            "content/2026-03-17/p.jpg": photo(),
        }
    ).built()


def test_a_failed_build_leaves_the_previous_site_byte_for_byte(make_site):
    site = good_site(make_site)
    before = snapshot(site.out)
    mtimes = {p: p.stat().st_mtime_ns for p in site.out.rglob("*")}
    site.write("content/2026-03-17/a.md", article("A changed", date="2026-03-17"))
    site.write("content/2026-03-17/bad.md", article("Bad", date="next friday"))
    site.remove("content/2026-03-17/b.md")
    result = site.build()
    assert result.code == 1
    assert "nothing was written, the previous site is unchanged" in result.err
    assert snapshot(site.out) == before
    assert {p: p.stat().st_mtime_ns for p in site.out.rglob("*")} == mtimes


@pytest.mark.parametrize("cached", [True, False], ids=["changes", "whole-site"])
def test_a_template_failing_after_pages_were_written_keeps_the_previous_site(make_site, cached):
    """Pages are written while later ones are still being rendered: a failure among the
    last ones must still leave the previous site as it was, and nothing staged beside it."""
    files = {
        f"content/2026-03-{day:02d}/story-{n}.md": article(f"Story {n}", date=f"2026-03-{day:02d}")
        for day in range(1, 11)
        for n in range(8)
    }
    site = make_site(files).built()
    before = snapshot(site.out)
    site.write("content/2026-03-10/story-0.md", article("A new headline", date="2026-03-10"))
    site.write("themes/default/templates/404.html", "{% extends 'base.html' %}{{ nope( }}")
    result = site.build() if cached else site.build("--no-cache")
    assert result.code == 1
    assert "404.html" in result.err
    assert snapshot(site.out) == before
    leftovers = sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public"))
    assert all(name.endswith(".lock") for name in leftovers), leftovers


def test_no_staging_or_lock_leftovers_beside_the_output_after_a_failed_build(make_site):
    site = good_site(make_site)
    site.write("content/2026-03-17/bad.md", b"\xff\xfe")
    site.build()
    leftovers = sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public"))
    assert all(name.endswith(".lock") for name in leftovers), leftovers


def test_a_rebuild_removes_pages_of_deleted_articles(make_site):
    site = good_site(make_site)
    site.remove("content/2026-03-17/b.md")
    site.built()
    assert not site.exists("2026/03/17/b/")
    assert site.exists("2026/03/17/a/")
    assert (site.out / MARKER).is_file()


def test_the_output_folder_is_marked_as_made_by_briefing_and_rebuilt_in_place(make_site):
    site = good_site(make_site)
    assert (site.out / MARKER).is_file()
    site.built()
    assert site.exists("2026/03/17/a/")


@pytest.mark.parametrize(
    "slug",
    ["..", "../../escape", "/tmp/escape", "a/b", "a\\\\b", "'.'", "x/../../y", "a b", "-x-"],
)
def test_a_slug_that_tries_to_leave_its_folder_is_refused(make_site, tmp_path, slug):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17", slug=slug)})
    outside_before = sorted(p for p in tmp_path.rglob("*") if site.out not in p.parents)
    result = site.build()
    assert result.code == 1
    assert result.errors[0].startswith("content/2026-03-17/a.md:4: slug: ")
    assert "can't be used in a web address" in result.errors[0]
    outside_after = sorted(p for p in tmp_path.rglob("*") if site.out not in p.parents)
    new = [p for p in outside_after if p not in outside_before and not p.name.startswith(".")]
    assert new == []


def test_an_invisible_character_in_a_refused_slug_is_spelled_out(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17", slug='"a\\rb"')})
    result = site.build()
    assert result.errors == [
        'content/2026-03-17/a.md:4: slug: "a\\rb" can\'t be used in a web address'
    ]


@pytest.mark.parametrize("slug", ["con", "NUL", "com1", "index"])
def test_a_slug_that_is_a_reserved_name_is_refused(make_site, slug):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17", slug=slug)})
    result = site.build()
    assert result.code == 1
    assert result.errors[0].startswith("content/2026-03-17/a.md:4: slug: ")


def test_file_names_tags_and_sections_that_try_to_escape_give_safe_addresses(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article(
                "A", date="2026-03-17", section='"../../etc"', tags='["..", "/root", "a\\\\b"]'
            ),
        }
    )
    result = site.build()
    assert result.code == 0, result.err
    assert result.warnings == [
        "content/2026-03-17/a.md:5: warning: the tag '..' has no letters or digits to make a "
        "web address from; it is left out"
    ]
    assert site.exists("sections/etc/")
    assert site.exists("tags/root/")
    assert site.exists("tags/a-b/")
    assert all(site.out in p.resolve().parents for p in site.out.rglob("*"))


@given(st.text(max_size=40))
def test_any_slug_the_schema_accepts_stays_inside_the_output(text):
    root = Path("/nonexistent/out")
    if valid_slug(text):
        target = safe_join(root, output_file(article_path(date(2026, 3, 17), text)))
        assert root in target.parents


@given(st.text(max_size=40))
def test_any_name_slugifies_to_a_safe_slug_or_nothing(text):
    slug = slugify(text)
    assert slug == "" or valid_slug(slug)
    assert "/" not in slug and "\\" not in slug and ".." not in slug


@pytest.mark.parametrize(
    "relative", ["../x", "/etc/passwd", "a/../../x", "a\\..\\x", "a\x00b", "a//b", "", "."]
)
def test_safe_join_refuses_paths_that_leave_the_root(tmp_path, relative):
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, relative)


# --out guards: refused before anything is touched


@pytest.fixture
def never_publish(monkeypatch):
    """Should a guard fail, fail the test instead of deleting anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("publish was reached: the --out guard did not refuse")

    monkeypatch.setattr("briefing.build.publish", refuse)


def refused(site, out) -> str:
    result = site.build("--out", out)
    assert result.code == 2, "a refused --out is a usage error"
    assert "refusing to build into" in result.err, result.err
    return result.err


def test_out_refuses_the_site_folder(make_site, never_publish):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    before = sources(site.root)
    refused(site, site.root)
    assert sources(site.root) == before


@pytest.mark.parametrize("inside", ["content", "themes", "content/2026-03-17", "themes/x"])
def test_out_refuses_content_and_themes(make_site, never_publish, inside):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "themes/default/static/x.css": "x",
        }
    )
    before = sources(site.root)
    refused(site, site.root / inside)
    assert sources(site.root) == before


def test_out_refuses_a_folder_that_contains_the_site(make_site, never_publish):
    site = make_site()
    refused(site, site.root.parent)


def test_out_refuses_the_home_folder(make_site, never_publish, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("mine")
    monkeypatch.setenv("HOME", str(home))
    refused(make_site(), home)
    assert (home / ".profile").read_text() == "mine"


def test_out_refuses_the_filesystem_root(make_site, never_publish):
    refused(make_site(), Path("/"))


def test_out_refuses_a_non_empty_folder_briefing_did_not_make(make_site, never_publish, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"precious")
    err = refused(make_site(), target)
    assert "not empty and was not made by briefing" in err
    assert (target / "holiday.jpg").read_bytes() == b"precious"


def test_out_refuses_a_file(make_site, never_publish, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    refused(make_site(), target)
    assert target.read_text() == "mine"


def test_out_accepts_an_empty_folder_and_a_new_one(make_site, tmp_path):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    empty = tmp_path / "empty"
    empty.mkdir()
    assert site.build("--out", empty).code == 0
    assert (empty / "2026/03/17/a/index.html").is_file()
    fresh = tmp_path / "deep" / "new"
    assert site.build("--out", fresh).code == 0
    assert (fresh / "index.html").is_file()
    # And a second build into a folder briefing made is fine.
    assert site.build("--out", fresh).code == 0


# Links in content/ that lead outside the site


def test_a_symlinked_file_pointing_outside_the_site_is_refused(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    os.symlink(secret, site.root / "content" / "2026-03-17" / "leak.txt")
    result = site.build()
    assert result.code == 1
    assert result.errors[0].startswith("content/2026-03-17/leak.txt: is a link to")
    assert "outside the site" in result.errors[0]


def test_a_symlinked_folder_pointing_outside_the_site_is_refused(make_site, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.md").write_text(article("X", date="2026-03-17"))
    site = make_site()
    os.symlink(elsewhere, site.root / "content" / "2026-03-17")
    result = site.build()
    assert result.code == 1
    assert "outside the site" in result.errors[0]


# Property-based: whatever an editor (or a hostile contributor) writes in the fields that
# become addresses and markup, the build gives a site or located errors, never a crash.

_TRICKY = st.sampled_from(
    [
        "..",
        "../..",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "con",
        "index",
        "CON",
        "\u0000",
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "{{ 7*7 }}",
        "-->",
        "]]>",
        "\u202eevil",
        "🗞️",
        "Straße",
        "STRASSE",
        "e\u0301",
        "\u00e9",
        "",
        " ",
        "2026-02-30",
        "2026-03-17",
        "NO",
        "null",
    ]
)
_VALUE = st.one_of(_TRICKY, st.text(max_size=12))
_FIELDS = ("title", "slug", "section", "edition", "date", "byline", "dateline", "summary")


@settings(max_examples=20, deadline=None)
@given(
    values=st.fixed_dictionaries({}, optional={name: _VALUE for name in _FIELDS}),
    tags=st.lists(_VALUE, max_size=3),
    image=st.none() | _VALUE,
    source_url=st.none() | _VALUE,
)
def test_any_field_values_give_a_site_or_located_errors(values, tags, image, source_url):
    fields = {"title": "T", "date": "2026-03-17", **values, "tags": tags}
    if image is not None:
        fields["image"] = {"src": image, "alt": "x"}
    if source_url is not None:
        fields["source"] = {"name": "S", "url": source_url}
    text = (
        "---\n"
        + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
        + "\n---\nB.\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        (root / "content" / "2026-03-17").mkdir(parents=True)
        (root / "site.yaml").write_text("title: T\n")
        (root / "content" / "2026-03-17" / "a.md").write_text(text)
        (root / "content" / "2026-03-17" / "b.md").write_text(
            "---\ntitle: B\ndate: 2026-03-17\n---\n[a](a.md)\n"
        )
        result = run_cli("build", root)
        assert result.code in (0, 1), result
        for line in result.problems:
            assert re.match(r"content/2026-03-17/[ab]\.md:\d+(:\d+)?: ", line), (line, text)
        out = root / "public"
        if result.code == 0:
            written = [p for p in Path(folder).rglob("*") if p.is_file()]
            assert all(
                out in p.parents
                or root / "content" in p.parents
                or p.parent == root
                or ".briefing-cache" in p.parts
                for p in written
            ), written
            for page in out.rglob("*.html"):
                assert foreign_scripts(soup(page.read_bytes())) == [], page
        else:
            assert not out.exists()


# Two things written to one output file


def test_a_content_file_on_a_page_address_is_an_error_naming_the_file(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "content/2026-03-17/a/index.html": "<p>stray</p>",
            "content/robots.txt": "mine",
        }
    )
    result = site.build()
    assert result.code == 1
    assert [error.split(":")[0] for error in result.errors] == [
        "content/2026-03-17/a/index.html",
        "content/robots.txt",
    ]


def test_a_content_file_on_an_article_address_names_the_article_file_too(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "content/2026-03-17/a/index.html": "<p>stray</p>",
        }
    )
    assert "content/2026-03-17/a.md" in site.build().errors[0]


def test_a_content_file_that_would_replace_a_theme_file_is_an_error(make_site):
    site = make_site({"content/static/style.css": "body { display: none }"})
    result = site.build()
    assert result.code == 1
    assert "content/static/style.css" in result.err
