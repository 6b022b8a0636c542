"""The ``briefing`` command: its sub-commands, exit codes and reproducible output."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import article, photo, run_cli, snapshot

import briefing
import briefing.content as content_module
from briefing.content import Discovery, Kind, Stamped, discover
from briefing.workers import Background, in_background


def test_version_prints_the_package_version():
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"briefing {briefing.__version__}"


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("frobnicate",),
        ("build", "--no-such-option"),
        ("new",),
        ("init",),
        ("build", "a", "b"),
    ],
)
def test_usage_errors_exit_with_2(args):
    result = run_cli(*args)
    assert result.code == 2
    assert "usage: briefing" in result.err


def test_building_a_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    result = run_cli("build", tmp_path / "nowhere")
    assert result.code == 2
    assert result.err == f"briefing: {tmp_path / 'nowhere'} is not a folder\n"


def test_building_a_folder_without_site_yaml_says_how_to_start(tmp_path):
    result = run_cli("build", tmp_path)
    assert result.code == 1
    assert result.errors == [f"site.yaml: there is no site.yaml in {tmp_path}"]
    assert "briefing init DIR" in result.err


def test_a_clean_build_prints_nothing_when_not_on_a_terminal(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    result = site.build()
    assert (result.code, result.out, result.err) == (0, "", "")


# briefing init and briefing new


def test_init_makes_a_site_that_builds_with_the_built_in_theme(tmp_path):
    target = tmp_path / "new-site"
    result = run_cli("init", target)
    assert result.code == 0, result.err
    assert not (target / "themes").exists()
    built = run_cli("build", target)
    assert (built.code, built.err) == (0, "")
    home = (target / "public" / "index.html").read_text()
    assert "Welcome to your briefing" in home
    assert (target / "public" / "static" / "style.css").is_file()
    assert (target / "public" / "trust" / "index.html").is_file()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("init", tmp_path)
    assert result.code == 1
    assert "is not empty" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_new_starts_a_draft_in_the_folder_of_its_day(make_site):
    site = make_site()
    result = run_cli(
        "new",
        'Xi: "a show of support"',
        "--date",
        "2026-03-17T09:00",
        "--section",
        "World",
        "--site",
        site.root,
    )
    assert result.code == 0, result.err
    path = site.root / "content" / "2026-03-17" / "xi-a-show-of-support.md"
    assert result.out.strip() == str(path)
    assert path.is_file()
    site.built()
    assert not site.exists("2026/03/17/xi-a-show-of-support/")
    site.built("--drafts")
    page = site.page("2026/03/17/xi-a-show-of-support/")
    assert page.h1.get_text() == 'Xi: "a show of support"'
    assert page.select_one(".kicker a").get_text() == "World"
    assert page.select_one(".timestamps time")["datetime"] == "2026-03-17T09:00:00-07:00"


def test_new_without_a_date_uses_today_in_the_site_time_zone(make_site):
    site = make_site()
    result = run_cli("new", "Morning news", "--site", site.root)
    assert result.code == 0, result.err
    # The clock is 2026-03-20 12:00 UTC: 05:00 in Los Angeles, the same day.
    assert (site.root / "content" / "2026-03-20" / "morning-news.md").is_file()


def test_new_refuses_to_overwrite_an_article(make_site):
    site = make_site({"content/2026-03-17/rates.md": "keep me"})
    result = run_cli("new", "Rates", "--date", "2026-03-17", "--site", site.root)
    assert result.code == 1
    assert "already exists" in result.err
    assert (site.root / "content/2026-03-17/rates.md").read_text() == "keep me"


def test_new_with_a_date_that_is_not_a_date_says_so(make_site):
    site = make_site()
    result = run_cli("new", "Rates", "--date", "next friday", "--site", site.root)
    assert result.code == 1
    assert 'briefing: --date "next friday" is not a date' in result.err


# briefing check


def linking_site(make_site, body: str):
    return make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", body=body),
            "content/2026-03-16/rates.md": article(
                "Rates", date="2026-03-16", body="## The vote\n\nYes."
            ),
        }
    )


def test_check_passes_a_good_site_and_writes_nothing(make_site):
    site = linking_site(make_site, "See [rates](../2026-03-16/rates.md#the-vote).")
    before = snapshot(site.root.parent)
    result = site.check()
    assert (result.code, result.err) == (0, "")
    assert snapshot(site.root.parent) == before
    assert sorted(p.name for p in site.root.iterdir()) == ["content", "site.yaml"]


def test_a_link_to_a_missing_article_fails_check_but_only_warns_in_build(make_site):
    site = linking_site(make_site, "Intro.\n\nSee [old story](../2026-03-15/gone.md).")
    checked = site.check()
    assert checked.code == 1
    assert checked.errors == [
        "content/2026-03-17/a.md:8: the link '../2026-03-15/gone.md' points to a file "
        "that does not exist"
    ]
    built = site.build()
    assert built.code == 0
    assert built.warnings == [
        "content/2026-03-17/a.md:8: warning: the link '../2026-03-15/gone.md' points to a "
        "file that does not exist"
    ]
    assert site.exists("2026/03/17/a/")


def test_a_link_to_a_missing_anchor_fails_check(make_site):
    site = linking_site(make_site, "See [the vote](../2026-03-16/rates.md#the-count).")
    checked = site.check()
    assert checked.code == 1
    assert checked.errors == [
        "content/2026-03-17/a.md:6: the link '../2026-03-16/rates.md#the-count' points to "
        "#the-count, not on that page"
    ]
    assert site.build().code == 0


def test_a_root_link_to_a_page_the_site_does_not_have_fails_check(make_site):
    site = linking_site(make_site, "See [contact](/contact/).")
    checked = site.check()
    assert checked.code == 1
    assert checked.errors[0].startswith("content/2026-03-17/a.md:6: the link '/contact/'")


def test_a_missing_picture_in_the_body_fails_check(make_site):
    site = linking_site(make_site, "![A chart](chart.png)")
    checked = site.check()
    assert checked.code == 1
    assert checked.errors == [
        "content/2026-03-17/a.md:6: the picture 'chart.png' points to a file that does not exist"
    ]


def test_check_reports_a_missing_front_matter_image(make_site):
    site = make_site(
        {"content/2026-03-17/a.md": "---\ntitle: A\ndate: 2026-03-17\nimage: gone.jpg\n---\n"}
    )
    checked = site.check()
    assert checked.code == 1
    assert checked.errors[0].startswith("content/2026-03-17/a.md:4: image.src: there is no picture")


def test_check_reports_duplicate_urls_naming_both_files(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", slug="same"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", slug="same"),
        }
    )
    checked = site.check()
    assert checked.code == 1
    assert len(checked.errors) == 1
    assert "content/2026-03-17/a.md" in checked.errors[0]
    assert "content/2026-03-17/b.md" in checked.errors[0]


def test_check_reports_front_matter_errors_too(make_site):
    site = make_site({"content/2026-03-17/a.md": article("A", date="soon")})
    checked = site.check()
    assert checked.code == 1
    assert checked.errors[0].startswith('content/2026-03-17/a.md:3: date: "soon" is not a date')


def test_external_links_and_mail_are_not_checked(make_site):
    body = "[w](https://example.com/x) [m](mailto:desk@example.org) [t](#top)"
    site = linking_site(make_site, body)
    assert site.check().code == 0


# The content is looked at in a child process while the build imports the rest of briefing


def site_with_every_kind_of_file(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17"),
            "content/2026-03-17/_edition.md": "---\ntitle: Tuesday\n---\nNote.\n",
            "content/2026-03-17/p.jpg": photo(),
            "content/pages/about.md": "---\ntitle: About\n---\nUs.\n",
        }
    )
    os.symlink(secret, site.root / "content" / "2026-03-17" / "leak.txt")
    return site


def test_files_looked_at_in_a_child_process_are_every_file_and_problem_there(make_site, tmp_path):
    site = site_with_every_kind_of_file(make_site, tmp_path)
    content = site.root / "content"
    waits = []

    def counted(task):
        waits.append(in_background(task))
        return waits[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(content_module, "in_background", counted)
        discovery = Discovery(site.root, content)
        files, problems = discovery()
    assert waits and waits[0]() is not None  # the child ran and said what it found
    assert (files, problems) == discover(site.root, content)
    assert discovery.stamped == Stamped.of(files)
    assert {f.kind for f in files} == set(Kind)
    assert [p.path for p in problems] == ["content/2026-03-17/leak.txt"]
    result = site.build()
    assert result.code == 1 and "outside the site" in result.errors[0]


def test_files_dated_before_1970_or_named_oddly_are_found_by_the_child_process_as_they_are(
    make_site,
):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    content = site.root / "content"
    assert Discovery(site.root, content)() == discover(site.root, content)  # one file
    odd = site.write("content/2026-03-17/line\nbreak.jpg", photo())
    os.utime(odd, ns=(-86_400 * 10**9, -86_400 * 10**9))  # restored from an old archive
    discovery = Discovery(site.root, content)
    files, problems = discovery()
    assert (files, problems) == discover(site.root, content)
    assert discovery.stamped == Stamped.of(files)
    assert [f.stamp[1] for f in files if f.name.endswith("break.jpg")] == [-86_400 * 10**9]
    shutil.rmtree(content)
    content.mkdir()
    assert Discovery(site.root, content)() == ([], [])


def test_the_build_looks_at_the_files_itself_when_the_child_process_fails(
    make_site, tmp_path, monkeypatch
):
    site = site_with_every_kind_of_file(make_site, tmp_path)
    (site.root / "content" / "2026-03-17" / "leak.txt").unlink()
    monkeypatch.setattr(content_module, "in_background", lambda task: Background.done_here(None))
    content = site.root / "content"
    assert Discovery(site.root, content)() == discover(site.root, content)
    assert site.build().code == 0
    assert (site.out / "2026" / "03" / "17" / "a" / "index.html").is_file()


# Reproducible output


def test_two_builds_of_the_same_input_are_byte_identical(make_site, tmp_path):
    site = make_site(
        {
            "content/2026-03-17/a.md": article(
                "A", date="2026-03-17T08:00:00", tags="[x, y]", section="World"
            ),
            "content/2026-03-17/b.md": article("B", date="2026-03-17T09:00:00", tags="[y]"),
            "content/2026-03-16/c.md": article("C", date="2026-03-16"),
            "content/2026-03-17/p.jpg": photo(),
        }
    )
    first, second = tmp_path / "first", tmp_path / "second"
    assert site.build("--out", first).code == 0
    assert site.build("--out", second).code == 0
    assert snapshot(first) == snapshot(second)
    assert len(snapshot(first)) > 10


def test_the_clock_comes_from_source_date_epoch(make_site, monkeypatch):
    site = make_site({"content/2026-03-19/a.md": article("A", date="2026-03-19")})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1773000000")  # 2026-03-08: before the article
    site.built()
    assert not site.exists("2026/03/19/a/")


def test_links_to_anchors_with_accents_check_clean(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article(
                "A", date="2026-03-17", body="[x](../2026-03-16/café.md#café) [y](b.md#über-uns)"
            ),
            "content/2026-03-16/café.md": article("Café", date="2026-03-16", body="## Café\n"),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", body="## Über uns\n"),
        }
    )
    assert (site.check().code, site.check().err) == (0, "")
    links = [a["href"] for a in site.built().page("2026/03/17/a/").select(".article-body a")]
    assert links == ["/2026/03/16/caf%C3%A9/#caf%C3%A9", "/2026/03/17/b/#%C3%BCber-uns"]
    assert site.page("2026/03/16/café/").select_one(".article-body h2")["id"] == "café"


def test_a_broken_link_is_quoted_as_the_editor_wrote_it(make_site):
    site = make_site(
        {"content/2026-03-17/a.md": article("A", date="2026-03-17", body="[x](b.md#über)")}
    )
    assert site.check().errors == [
        "content/2026-03-17/a.md:6: the link 'b.md#über' points to a file that does not exist"
    ]


@pytest.mark.parametrize("base", ["example.org/briefing", "javascript:alert(1)//", "ftp://x.org/"])
def test_a_base_url_that_is_not_a_web_address_is_a_usage_error(make_site, base):
    site = make_site({"content/2026-03-17/a.md": article("A", date="2026-03-17")})
    result = site.build("--base-url", base)
    assert result.code == 2
    assert "--base-url" in result.err
    assert not site.out.exists()


def test_a_link_to_a_draft_says_the_draft_is_left_out(make_site):
    site = make_site(
        {
            "content/2026-03-17/a.md": article("A", date="2026-03-17", body="See [b](b.md)."),
            "content/2026-03-17/b.md": article("B", date="2026-03-17", draft="true"),
        }
    )
    assert site.check().errors == [
        "content/2026-03-17/a.md:6: the link 'b.md' points to content/2026-03-17/b.md, a draft "
        "or an article scheduled for later, which this build leaves out"
    ]
    assert site.check("--drafts").code == 0
