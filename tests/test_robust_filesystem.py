"""Nothing written outside the output, nothing of the previous site lost (issue 6, Filesystem).

Names that try to leave their folder become safe addresses or located errors; links in
content/ or themes/ that lead outside the site are refused; ``--out`` never lands on
something of value; and a build that is interrupted (Ctrl-C, kill -9), that runs beside
another one, that meets a read-only folder or a full disk, leaves the previous site exactly
as it was, with a clear message, and the next build finishes the job.

Interruptions and read-only folders are real: ``briefing build`` runs as a child process,
is sent SIGINT/SIGKILL while it stages files, or runs without root's power to ignore file
modes. A full disk is simulated in-process (writes fail with ENOSPC once a budget is spent).
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteDir, article, broken_links, run_cli, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_helpers import changes, cli, end, obey_permissions, start, tree_state

DAY = "content/2026-03-17"
BUILT_BY_BRIEFING = ("public", ".briefing-cache", ".public.")
"""What a build may write beside the sources: the output, the cache, the lock."""


def sources_state(root: Path) -> dict[str, Any]:
    return tree_state(root, skip=BUILT_BY_BRIEFING)


# Names that try to leave their folder


@pytest.mark.parametrize(
    "value",
    ["../..", "/etc/passwd", "2026-03-17/../../x", "2026\\\\03\\\\17", "2026-03-17\\u0000", "con"],
)
def test_edition_values_that_are_paths_are_located_errors(make_site, tmp_path, value):
    site = make_site({f"{DAY}/a.md": article("A", date="2026-03-17", edition=f'"{value}"')})
    skip = tuple(f"{site.root.name}/{name}" for name in BUILT_BY_BRIEFING)
    before = tree_state(tmp_path, skip=skip)
    result = site.build()
    assert result.code == 1
    assert result.errors[0].startswith(f"{DAY}/a.md:4: edition: "), result.errors
    assert "is not a date" in result.errors[0]
    assert "\x00" not in result.err, "invisible characters are spelled out"
    assert changes(before, tree_state(tmp_path, skip=skip)) == []


def test_tags_and_sections_that_are_paths_or_reserved_names_get_safe_addresses(make_site):
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    tags = ["con", "CON", "index", "nul\u0000", composed, "..", "/etc", "C:\\Windows", "a/../b"]
    site = make_site(
        {
            f"{DAY}/a.md": article(
                "A", date="2026-03-17", tags=json.dumps(tags), section='"../../../tmp"'
            ),
            f"{DAY}/b.md": article(
                "B", date="2026-03-17", tags=json.dumps([decomposed, "Con"]), section='"index"'
            ),
        }
    )
    result = site.build()
    assert result.code == 0, result.err
    assert [line.split(": warning: ")[1] for line in result.warnings] == [
        "the tag '..' has no letters or digits to make a web address from; it is left out"
    ]
    tag_pages = sorted(p.name for p in (site.out / "tags").iterdir() if p.is_dir())
    assert tag_pages == sorted(
        ["con-1", "index-1", "nul-1", composed, "etc", "c-windows", "a-b"]
    ), tag_pages
    section_pages = sorted(p.name for p in (site.out / "sections").iterdir() if p.is_dir())
    assert section_pages == ["index-1", "tmp"]
    cafe = site.page(f"tags/{composed}/")
    assert sorted(a.get_text() for a in cafe.select(".card-title a")) == ["A", "B"]
    con = site.page("tags/con-1/")
    assert sorted(a.get_text() for a in con.select(".card-title a")) == ["A", "B"]
    assert broken_links(site.out, "https://example.org") == []
    out = site.out.resolve()
    assert all(path.resolve().is_relative_to(out) for path in site.out.rglob("*"))


def test_two_files_on_one_address_by_case_are_reported_naming_both(make_site):
    site = make_site(
        {
            f"{DAY}/a.md": article("A", date="2026-03-17"),
            f"{DAY}/Notes.txt": "upper",
            f"{DAY}/notes.txt": "lower",
        }
    )
    result = site.build()
    assert result.code == 1
    assert len(result.errors) == 1
    assert f"{DAY}/Notes.txt" in result.errors[0] and f"{DAY}/notes.txt" in result.errors[0]


_NAME = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=40,
).filter(lambda name: len(name.encode()) <= 200)
_TRICKY = st.sampled_from(
    ["..", "../../x", "/etc/passwd", "a/b", "a\\b", "\x00", "con", "index", "CON", "e\u0301", ""]
)
_VALUE = _TRICKY | st.text(max_size=15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_NAME,
    slug=st.none() | _VALUE,
    edition=st.none() | _VALUE,
    section=st.none() | _VALUE,
    tags=st.lists(_VALUE, max_size=3),
)
def test_any_names_write_nothing_outside_the_output(name, slug, edition, section, tags):
    """Whatever the file is called and whatever its address fields say, the build writes
    only into public/ (and its cache and lock): every other file of the whole temporary
    tree is exactly as it was, and each problem names a file and a line."""
    fields: dict[str, object] = {"title": "T", "date": "2026-03-17", "tags": tags}
    for key, value in (("slug", slug), ("edition", edition), ("section", section)):
        if value is not None:
            fields[key] = value
    text = "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items()) + "---\nB.\n"
    with tempfile.TemporaryDirectory() as folder:
        top = Path(folder)
        root = top / "site"
        (root / DAY).mkdir(parents=True)
        (top / "bystander.txt").write_text("keep me")
        (root / "site.yaml").write_text("title: T\nsearch: false\n")
        try:
            (root / DAY / f"{name}.md").write_text(text, encoding="utf-8")
        except OSError:
            return  # a name this file system cannot hold is not an editor's file either
        before = tree_state(top, skip=("site/public", "site/.briefing-cache", "site/.public."))
        result = run_cli("build", root)
        after = tree_state(top, skip=("site/public", "site/.briefing-cache", "site/.public."))
        assert changes(before, after) == [], (name, text)
        assert result.code in (0, 1), result
        assert "Traceback" not in result.err
        for line in result.problems:
            assert line.startswith(f"{DAY}/"), (line, name, text)
            assert ".md:" in line or ": is a link" in line, line
        out = (root / "public").resolve()
        if result.code == 0:
            assert all(path.resolve().is_relative_to(out) for path in out.rglob("*"))
        else:
            assert not out.exists()


# Links and names that lead outside the site


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("password-7731", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "link", ["themes/default/static/leak.txt", "themes/default/templates/article.html"]
)
def test_a_link_in_the_theme_leading_outside_the_site_is_refused(make_site, secret, link):
    site = make_site({f"{DAY}/a.md": article("A", date="2026-03-17")}).built()
    before = tree_state(site.out)
    target = site.root / link
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(secret)
    result = site.build()
    assert result.code == 1
    assert result.errors == [f"{link}: is a link to {secret} (outside the site); " + THEME_RULE]
    assert "copy the file or folder into the theme" in result.err
    assert changes(before, tree_state(site.out)) == []
    assert not any(b"password-7731" in data for data in snapshot(site.out).values())


THEME_RULE = "themes may only use their own files"


def test_a_theme_folder_that_is_a_link_outside_the_site_is_refused(make_site, tmp_path):
    elsewhere = tmp_path / "shared-theme"
    (elsewhere / "templates").mkdir(parents=True)
    (elsewhere / "templates" / "home.html").write_text("stolen {{ site.title }}")
    site = make_site({f"{DAY}/a.md": article("A", date="2026-03-17")})
    (site.root / "themes").mkdir()
    (site.root / "themes" / "default").symlink_to(elsewhere)
    result = site.build()
    assert result.code == 1
    assert result.errors == [
        f"themes/default: is a link to {elsewhere} (outside the site); {THEME_RULE}"
    ]
    assert not site.out.exists()


@pytest.mark.parametrize("theme", ["../../elsewhere", "/srv/elsewhere", "a/b", ".."])
def test_a_theme_named_by_a_path_is_refused(make_site, tmp_path, theme):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "templates").mkdir(parents=True)
    (elsewhere / "templates" / "home.html").write_text("stolen {{ site.title }}")
    site = make_site(
        {"site.yaml": f"title: T\nsearch: false\ntheme: {theme}\n", f"{DAY}/a.md": article("A")}
    )
    result = site.build()
    assert result.code == 1
    assert result.errors == [f'site.yaml:3: theme: "{theme}" is not a folder name']
    assert not site.out.exists()


@pytest.mark.parametrize(
    "where",
    [
        "site-link",  # a link whose target is the site folder
        "site-dotdot",  # the site folder spelled through content/..
        "content-link",  # a link to content/
        "themes-dotdot",
    ],
)
def test_out_spelled_another_way_is_still_refused_and_nothing_is_touched(make_site, where):
    site = make_site(
        {f"{DAY}/a.md": article("A", date="2026-03-17"), "themes/default/static/x.css": "x"}
    )
    links = site.root.parent / "links"
    links.mkdir(exist_ok=True)
    targets = {
        "site-link": (links / "to-site", site.root),
        "site-dotdot": (site.root / "content" / "..", None),
        "content-link": (links / "to-content", site.root / "content"),
        "themes-dotdot": (site.root / "content" / ".." / "themes", None),
    }
    out, points_at = targets[where]
    if points_at is not None:
        out.symlink_to(points_at)
    before = tree_state(site.root.parent)
    result = cli("build", site.root, "--out", out)
    assert result.code == 2
    assert "refusing to build into" in result.err
    assert "Traceback" not in result.err
    assert changes(before, tree_state(site.root.parent)) == []


# Interrupted and concurrent builds, on a site big enough to be caught mid-build

ARTICLES = 1500


def write_corpus(root: Path, version: str) -> None:
    """A site of ARTICLES small articles over 30 days; ``version`` is in every body."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(
        "title: Corpus\nbase_url: https://example.org/\nsearch: false\n", encoding="utf-8"
    )
    for index in range(ARTICLES):
        day = f"2026-02-{1 + index % 28:02d}"
        path = root / "content" / day / f"story-{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\ntitle: Story {index}\ndate: {day}T09:00:00\nsection: S{index % 7}\n"
            f"tags: [t{index % 40}]\n---\n\n{version} body of story {index}.\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 2 of the corpus, never built."""
    root = tmp_path_factory.mktemp("corpus") / "site"
    write_corpus(root, "second")
    return root


def clean_corpus(root: Path) -> dict[str, bytes]:
    """What a build from nothing makes of the corpus now (made at the end of a test, so
    that it uses the same theme files as the builds it is compared with)."""
    out = root.parent / f"clean-{time.monotonic_ns()}"
    result = cli("build", root, "--no-cache", "--out", out)
    assert result.code == 0, result.err
    return snapshot(out)


def wait_for_staging(process: subprocess.Popen[bytes], staging: Path) -> None:
    """Until the build starts putting files in its staging folder (it is then mid-build)."""
    deadline = time.monotonic() + 300
    while not staging.exists():
        assert process.poll() is None, "the build ended before it staged anything"
        assert time.monotonic() < deadline, "the build never started staging"
        time.sleep(0.002)


def interrupt(root: Path, sig: signal.Signals, *args: str) -> tuple[int, str]:
    log = root.parent / f"build-{sig.name}.log"
    process = start("build", root, *args, log=log)
    try:
        wait_for_staging(process, root / ".public.staging")
        process.send_signal(sig)
        code = process.wait(timeout=120)
    finally:
        end(process)
    return code, log.read_text(encoding="utf-8", errors="replace")


def test_an_interrupted_build_keeps_the_previous_site_and_the_next_one_finishes(tmp_path):
    root = tmp_path / "site"
    write_corpus(root, "first")
    assert cli("build", root).code == 0
    previous = tree_state(root / "public")
    for path in (root / "content").rglob("*.md"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("first", "second"), encoding="utf-8"
        )

    # Ctrl-C while the changed pages are being staged: a clean stop, nothing changed.
    code, said = interrupt(root, signal.SIGINT)
    assert code == 130, said
    assert "interrupted; the previous site is unchanged" in said
    assert "Traceback" not in said
    assert changes(previous, tree_state(root / "public")) == []
    assert not (root / ".public.staging").exists()

    # kill -9, no chance to clean up: the previous site is still whole.
    code, _ = interrupt(root, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert changes(previous, tree_state(root / "public")) == []

    # kill -9 while a --no-cache build stages a whole new site beside the old one.
    code, _ = interrupt(root, signal.SIGKILL, "--no-cache")
    assert code == -signal.SIGKILL
    assert changes(previous, tree_state(root / "public")) == []

    result = cli("build", root)
    assert result.code == 0, result.err
    assert snapshot(root / "public") == clean_corpus(root)
    leftovers = sorted(p.name for p in root.iterdir() if p.name.startswith(".public"))
    assert leftovers == [".public.lock"]


def test_two_builds_at_once_end_with_one_complete_site(tmp_path, corpus):
    """One with the cache and one without, started together: the lock makes one wait for
    the other, and what is left is exactly a clean build."""
    root = tmp_path / "site"
    shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".briefing-cache", "public"))
    runs = [
        start("build", root, log=tmp_path / "one.log"),
        start("build", root, "--no-cache", log=tmp_path / "two.log"),
    ]
    try:
        codes = [run.wait(timeout=300) for run in runs]
    finally:
        for run in runs:
            end(run)
    logs = [(tmp_path / name).read_text() for name in ("one.log", "two.log")]
    assert codes == [0, 0], logs
    assert snapshot(root / "public") == clean_corpus(root)


# A read-only output folder and a full disk


def small_site(make_site: Callable[..., SiteDir]) -> SiteDir:
    site = make_site(
        {f"{DAY}/{name}.md": article(name.upper(), date="2026-03-17") for name in "abc"}
    ).built()
    for name in "abc":
        site.write(f"{DAY}/{name}.md", article(name.upper() + " changed", date="2026-03-17"))
    return site


def make_read_only(folder: Path, *, whole_tree: bool) -> None:
    folders = [Path(p) for p, _, _ in os.walk(folder)] if whole_tree else [folder]
    for path in folders:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def make_writable(folder: Path) -> None:
    for path, _, _ in os.walk(folder):
        Path(path).chmod(0o755)


@pytest.mark.parametrize(
    ("whole_tree", "args"),
    [(False, ()), (True, ()), (False, ("--no-cache",)), (True, ("--no-cache",))],
    ids=["top-folder", "whole-tree", "top-folder-no-cache", "whole-tree-no-cache"],
)
def test_a_read_only_output_folder_is_a_clear_error_and_keeps_the_site(
    make_site, tmp_path, whole_tree, args
):
    site = small_site(make_site)
    previous = tree_state(site.out)
    make_read_only(site.out, whole_tree=whole_tree)
    try:
        result = cli("build", site.root, *args, preexec=obey_permissions)
        assert changes(previous, tree_state(site.out)) == []
    finally:
        make_writable(site.out)
    assert result.code == 1, result.err
    assert len(result.errors) == 1, result.err
    where = re.escape(str(site.out))
    message = rf"{where}: could not write the site: the folder is read-only \({where}(/.+)?\)"
    assert re.fullmatch(message, result.errors[0]), result.errors
    assert "the previous site was left as it was" in result.err
    assert "Traceback" not in result.err
    leftovers = sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public"))
    assert leftovers == [".public.lock"]
    # Writable again: the next build publishes the edits, as a clean build would.
    assert site.build().code == 0
    assert snapshot(site.out) == clean_snapshot(site, tmp_path)


def clean_snapshot(site: SiteDir, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / f"clean-{time.monotonic_ns()}"
    result = site.build("--no-cache", "--out", out)
    assert result.code == 0, result.err
    return snapshot(out)


class _FullDisk:
    """Writes under ``root`` fail with ENOSPC once ``budget`` bytes have been written."""

    def __init__(self, root: Path, budget: int) -> None:
        self.root = str(root.resolve())
        self.budget = budget
        self.real_open = builtins.open

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = self.real_open(file, mode, *args, **kwargs)
        writing = any(flag in mode for flag in "wax+")
        if (
            writing
            and isinstance(file, (str, os.PathLike))
            and os.path.abspath(os.fspath(file)).startswith(self.root)
        ):
            return _Metered(handle, self)
        return handle


class _Metered:
    def __init__(self, handle: Any, disk: _FullDisk) -> None:
        self._handle = handle
        self._disk = disk

    def write(self, data: Any) -> int:
        if len(data) > self._disk.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.budget -= len(data)
        return int(self._handle.write(data))

    def __enter__(self) -> _Metered:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.mark.parametrize("budget", [0, 3_000, 12_000])
@pytest.mark.parametrize("args", [(), ("--no-cache",)], ids=["changes", "whole"])
def test_a_full_disk_is_a_clear_error_and_keeps_the_site(
    make_site, tmp_path, monkeypatch, budget, args
):
    site = small_site(make_site)
    previous = tree_state(site.out)
    disk = _FullDisk(site.root.parent, budget)
    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", disk.open)
        patch.setattr(io, "open", disk.open)
        patch.setattr(shutil, "_USE_CP_SENDFILE", False)
        result = site.build(*args)
    assert result.code == 1, result.err
    assert result.errors == [f"{site.out}: could not write the site: No space left on device"]
    assert "the previous site was left as it was" in result.err
    assert changes(previous, tree_state(site.out)) == []
    leftovers = sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public"))
    assert leftovers == [".public.lock"]
    assert site.build().code == 0
    assert snapshot(site.out) == clean_snapshot(site, tmp_path)


def test_a_disk_that_fills_up_while_the_workers_write_the_pages_keeps_the_site(
    make_site, tmp_path, monkeypatch
):
    """A cold build's workers stage the pages they render: a write failing in one of them
    is the same clear error as in the build's own process."""
    names = [f"story-{number:02d}" for number in range(70)]  # enough pages to fork for
    site = make_site(
        {f"{DAY}/{name}.md": article(name.title(), date="2026-03-17") for name in names}
    ).built("--jobs", "1")
    site.write(f"{DAY}/story-00.md", article("Story 00 changed", date="2026-03-17"))
    previous = tree_state(site.out)
    disk = _FullDisk(site.out.parent / f".{site.out.name}.staging", 0)
    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", disk.open)
        patch.setattr(io, "open", disk.open)
        result = site.build("--no-cache", "--jobs", "2")
    assert result.code == 1, result.err
    assert result.errors == [f"{site.out}: could not write the site: No space left on device"]
    assert "Traceback" not in result.err
    assert changes(previous, tree_state(site.out)) == []
    leftovers = sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public"))
    assert leftovers == [".public.lock"]
    assert site.build("--jobs", "2").code == 0
    assert snapshot(site.out) == clean_snapshot(site, tmp_path)


def test_a_disk_that_fills_up_as_the_cache_is_saved_still_publishes_and_leaves_no_scraps(
    make_site, tmp_path, monkeypatch
):
    """The cache is only speed: the site goes out, and no half-written copy of the cache
    is left behind (one per failed save would fill the disk further)."""
    site = small_site(make_site)
    disk = _FullDisk(site.root / ".briefing-cache", 0)
    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", disk.open)
        patch.setattr(io, "open", disk.open)
        result = site.build()
    assert result.code == 0, result.err
    assert (
        sorted(p.name for p in (site.root / ".briefing-cache").iterdir() if ".tmp" in p.name) == []
    )
    assert snapshot(site.out) == clean_snapshot(site, tmp_path)
