"""Saves on disk -> rebuilds, with a real watchdog observer: bursts coalesce, editors' temp
files are ignored, rename-saves and new folders are followed, and a broken file keeps the
last good pages while its problem is shown once."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import snapshot
from serve_helpers import DAY, Running, article, running, wait_until, write, write_site

import briefing.build
from briefing.build import Builder, BuildOptions, build
from briefing.render import PlannedPage
from briefing.watch import Debouncer, SiteWatcher

STORY = f"content/{DAY}/story.md"
STORY_PAGE = f"{DAY.replace('-', '/')}/story/"
EDITION_PAGE = f"{DAY.replace('-', '/')}/"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(
        tmp_path / "site",
        {
            STORY: article("Harbour reopens", "The cranes are back."),
            f"content/{DAY}/other.md": article("Trains run late", "Signals failed."),
        },
    )


def test_a_burst_of_saves_gives_a_few_rebuilds_and_the_final_state(
    site: Path, tmp_path: Path
) -> None:
    with running(site) as server:
        before = server.builds
        for round_ in range(50):
            write(site, STORY, article("Harbour reopens", f"Version {round_}."))
        for number in range(100):
            write(site, f"content/2026-03-18/brief-{number}.md", article(f"Brief {number}"))
        for number in range(0, 100, 10):
            (site / f"content/2026-03-18/brief-{number}.md").unlink()
        (site / f"content/{DAY}/other.md").unlink()
        assert server.wait_for_build(before)
        after = server.settle(quiet=1.0)
        clean = tmp_path / "clean"
        # The preview leaves out only the search index (too slow to rebuild on every save).
        options = BuildOptions(now=datetime.now(UTC), base_url=server.url, out=clean, search=False)
        assert build(site, options).ok
        assert snapshot(server.preview.out) == snapshot(clean)
    assert 1 <= after - before <= 5, server.said()
    assert "Version 49." in (clean / STORY_PAGE / "index.html").read_text(encoding="utf-8")


EDITOR_LITTER = [
    f"content/{DAY}/.story.md.swp",
    f"content/{DAY}/.story.md.swx",
    f"content/{DAY}/story.md~",
    f"content/{DAY}/#story.md#",
    f"content/{DAY}/.#story.md",
    f"content/{DAY}/4913",
    f"content/{DAY}/.goutputstream-XK2Q1",
    f"content/{DAY}/story.md.tmp",
    f"content/{DAY}/_notes.md",
    "content/.git/index",
    "themes/default/templates/.base.html.swp",
    "themes/default/templates/base.html~",
]


def test_editor_temp_files_start_no_rebuild(site: Path) -> None:
    """Litter first, then one real save: the one rebuild that follows names only that."""
    for folder in {Path(name).parent for name in EDITOR_LITTER}:
        (site / folder).mkdir(parents=True, exist_ok=True)
    with running(site) as server:
        before = server.builds
        for name in EDITOR_LITTER:
            write(site, name, "scratch")
        write(site, STORY, article("Harbour reopens", "Real edit."))
        assert server.wait_for_build(before)
        server.settle()
        rebuilds = server.said()[1:]
    # Only the real save; a colleague editing the built-in theme may add a line of its own.
    assert rebuilds[0].startswith(f"{STORY}: "), rebuilds
    assert all(line.startswith((f"{STORY}: ", "(built-in theme)")) for line in rebuilds)


def test_theme_templates_with_an_underscore_are_watched(tmp_path: Path) -> None:
    seen: list[str] = []
    watcher = SiteWatcher(tmp_path, seen.append, poll=False)
    themes = tmp_path.resolve() / "themes"
    folder = themes / "mine" / "templates"
    assert watcher.relevant(themes, folder / "_macros.html") == "themes/mine/templates/_macros.html"
    assert watcher.relevant(themes, folder / "_macros.html~") is None
    assert watcher.relevant(themes, folder / "._macros.html.swp") is None
    content = tmp_path.resolve() / "content"
    assert watcher.relevant(content, content / DAY / "_notes.md") is None
    assert watcher.relevant(content, content / DAY / "_edition.md") == f"content/{DAY}/_edition.md"


def test_a_save_by_rename_is_followed(site: Path) -> None:
    """vim: the old file becomes a backup, a new file takes its name. gedit and IDEs: a temp
    file is written, then renamed over the original."""
    with running(site) as server:
        path = site / STORY
        backup = path.with_name("story.md~")
        path.rename(backup)
        write(site, STORY, article("Harbour reopens", "Saved by vim."))
        backup.unlink()
        assert wait_until(lambda: "Saved by vim." in server.page_text(STORY_PAGE))

        temp = path.with_name(".goutputstream-ABC123")
        temp.write_text(article("Harbour reopens", "Saved by gedit."), encoding="utf-8")
        os.replace(temp, path)
        assert wait_until(lambda: "Saved by gedit." in server.page_text(STORY_PAGE))


def test_a_new_day_folder_is_followed(site: Path) -> None:
    with running(site) as server:
        write(site, "content/2026-03-19/fresh.md", article("Fresh news", "First draft."))
        assert wait_until(lambda: "First draft." in server.page_text("2026/03/19/fresh/"))
        write(site, "content/2026-03-19/fresh.md", article("Fresh news", "Second draft."))
        assert wait_until(lambda: "Second draft." in server.page_text("2026/03/19/fresh/"))
        assert "Fresh news" in server.page_text("")


def test_polling_follows_saves_too(site: Path) -> None:
    """--poll: for network drives, Docker bind mounts and WSL shares, where inotify is deaf."""
    with running(site, poll=True) as server:
        write(site, STORY, article("Harbour reopens", "Seen by polling."))
        assert wait_until(lambda: "Seen by polling." in server.page_text(STORY_PAGE), timeout=15)


def test_a_replaced_content_folder_is_watched_again(site: Path) -> None:
    with running(site) as server:
        content = site / "content"
        content.rename(site / "content-old")
        write_site(site, {STORY: article("Harbour reopens", "From the new folder.")})
        assert wait_until(lambda: "From the new folder." in server.page_text(STORY_PAGE))
        write(site, STORY, article("Harbour reopens", "Edited in the new folder."))
        assert wait_until(lambda: "Edited in the new folder." in server.page_text(STORY_PAGE))


def test_a_broken_file_keeps_the_last_good_pages_and_is_reported_once(site: Path) -> None:
    with running(site) as server:
        live = server.preview.live
        good = server.page_text(STORY_PAGE)
        assert "The cranes are back." in good
        write(site, STORY, "---\ntitle: Harbour: reopens\ndate: 2026-03-17\n---\n\nBroken.\n")
        assert wait_until(lambda: live.problems)
        problem = live.problems[0]
        assert problem["path"] == STORY
        assert problem["line"] == 2
        assert server.page_text(STORY_PAGE) == good

        builds = server.builds
        write(site, f"content/{DAY}/other.md", article("Trains run late", "Still late."))
        assert server.wait_for_build(builds)
        server.settle()
        assert live.problems
        reported = [line for line in server.said() if line.startswith(f"{STORY}:2")]
        assert len(reported) == 1, server.said()

        write(site, STORY, article("Harbour reopens", "Fixed."))
        assert wait_until(lambda: not live.problems and "Fixed." in server.page_text(STORY_PAGE))


def test_a_stylesheet_change_is_announced_as_css(site: Path) -> None:
    write(site, "themes/default/static/style.css", "h1 { color: black; }\n")
    with running(site) as server:
        events = _listen(server)
        write(site, "themes/default/static/style.css", "h1 { color: red; }\n")
        assert _next_event(events) == "css"
        write(site, STORY, article("Harbour reopens", "New words."))
        assert _next_event(events) == "reload"


def test_the_debouncer_runs_once_per_burst_and_again_after_late_notices() -> None:
    runs: list[list[str]] = []
    first_started, release = threading.Event(), threading.Event()

    def action(paths: list[str]) -> None:
        runs.append(paths)
        first_started.set()
        assert release.wait(10)

    debouncer = Debouncer(action, quiet=0.05, max_wait=1.0)
    debouncer.start()
    try:
        workers = [
            threading.Thread(target=lambda n=n: [debouncer.notify(f"f{n}-{i}") for i in range(100)])
            for n in range(10)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert first_started.wait(10)
        debouncer.notify("late")
        release.set()
        assert wait_until(lambda: any("late" in run for run in runs))
    finally:
        release.set()
        debouncer.stop()
    assert sum(len(run) for run in runs) == 1001
    assert len(runs) <= 4, [len(run) for run in runs]


def _listen(server: Running) -> queue.SimpleQueue[bytes | None]:
    return server.preview.live.hub.subscribe()


def _next_event(events: queue.SimpleQueue[bytes | None], timeout: float = 15.0) -> str:
    """The name of the next "css" or "reload" event."""
    while True:
        message = events.get(timeout=timeout)
        assert message is not None
        name = message.split(b"\n", 1)[0].removeprefix(b"event: ").decode()
        if name in ("css", "reload"):
            return name


def test_a_save_the_watcher_did_not_report_still_reaches_the_pages(site: Path) -> None:
    """The preview builds what the watcher named at once, then looks at every file: a save
    it never heard of (a dropped event) shows up in the same rebuild."""
    with running(site) as server:
        server.settle()
        server.preview.watcher.stop()
        write(site, STORY, article("Harbour reopens", "Named by the watcher."))
        write(site, f"content/{DAY}/other.md", article("Trains run late", "Never reported."))
        server.preview.rebuild([STORY])
        assert "Named by the watcher." in server.page_text(STORY_PAGE)
        assert "Never reported." in server.page_text(f"{DAY.replace('-', '/')}/other/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The site path of every page rendered from now on (a small site renders in process)."""
    rendered: list[str] = []
    render = briefing.build.render

    def counted(theme: Any, site: Any, context: Any, page: PlannedPage) -> str:
        rendered.append(page.path)
        return render(theme, site, context, page)

    monkeypatch.setattr(briefing.build, "render", counted)
    return rendered


def test_a_restarted_preview_starts_where_the_last_session_ended_and_renders_nothing(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editor stops the preview after some saves and starts it again the next morning:
    # at 10,000 articles, starting from nothing took 28 s; from the last session, 1 s.
    port = _free_port()  # the same address as last time, as with the default port
    with running(site, port=port) as first:
        builds = first.settle()
        write(site, STORY, article("Harbour reopens", "The cranes are back, all of them."))
        assert first.wait_for_build(builds)
        first.settle()
    rendered = _count_renders(monkeypatch)
    with running(site, port=port) as second:
        second.settle()
        assert "all of them" in second.page_text(STORY_PAGE)
        assert rendered == []
        builds = second.settle()
        write(site, STORY, article("Harbour reopens", "The cranes are back, most of them."))
        assert second.wait_for_build(builds)
        assert wait_until(lambda: "most of them" in second.page_text(STORY_PAGE))
        assert STORY_PAGE in rendered


def test_a_restarted_preview_shows_what_changed_while_it_was_stopped(site: Path) -> None:
    port = _free_port()
    with running(site, port=port) as first:
        first.settle()
    write(site, STORY, article("Harbour shut again", "The cranes left."))
    write(site, f"content/{DAY}/new.md", article("Ferry returns", "On Sunday."))
    with running(site, port=port) as second:
        second.settle()
        assert "The cranes left." in second.page_text(STORY_PAGE)
        edition = second.page_text(EDITION_PAGE)
        assert "Harbour shut again" in edition
        assert "Ferry returns" in edition


FIRST_BUILD_WORKERS = """
import sys, threading
from pathlib import Path
import briefing.preview as preview
from briefing.workers import default_workers
seen = []
made = preview.Builder
def noting(root, options, **settings):
    seen.append((options.workers, threading.active_count()))
    return made(root, options, **settings)
preview.Builder = noting
session = preview.Preview(Path(sys.argv[1]), preview.PreviewOptions(port=0), say=print)
session.start()
session.stop()
print("first build:", seen[0][0], "workers,", seen[0][1], "thread; cores:", default_workers())
"""


def test_the_first_build_of_a_preview_session_uses_every_core(site: Path) -> None:
    # At 10,000 articles it took 41 s on one core where a two-core CLI build took 26 s:
    # watchdog's observer started a thread as it was made, before the first build, and
    # the preview does not fork workers beside another thread.
    finished = subprocess.run(
        [sys.executable, "-c", FIRST_BUILD_WORKERS, str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    line = next(line for line in finished.stdout.splitlines() if line.startswith("first build:"))
    words = line.split()
    workers, threads, cores = int(words[2]), int(words[4]), int(words[-1])
    assert threads == 1
    assert workers == cores


def test_a_save_made_during_the_first_build_shows_without_another_save(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher starts once the first build is done (18 s at 10,000 articles): a save
    made meanwhile must not wait for the editor's next one."""
    from briefing import preview as preview_module

    builds: list[int] = []
    build_site = preview_module.Builder.build

    def saving_meanwhile(builder: Any, *args: Any, **kwargs: Any) -> Any:
        result = build_site(builder, *args, **kwargs)
        if not builds:  # the first build has looked at the disk: the editor saves now
            write(site, STORY, article("Harbour reopens", "Saved while it built."))
        builds.append(1)
        return result

    monkeypatch.setattr(preview_module.Builder, "build", saving_meanwhile)
    with running(site) as preview:
        assert wait_until(lambda: "Saved while it built." in preview.page_text(STORY_PAGE))
        preview.settle()
        assert any(line.startswith(STORY) for line in preview.said()), preview.said()


def test_a_builder_names_what_changed_on_disk_since_it_last_looked(site: Path) -> None:
    builder = Builder(site, BuildOptions(now=datetime(2026, 11, 26, 12, tzinfo=UTC)))
    assert builder.build().ok
    assert builder.changed_on_disk() == []
    write(site, STORY, article("Harbour reopens", "Edited."))
    write(site, f"content/{DAY}/new.md", article("Ferry returns", "On Sunday."))
    (site / f"content/{DAY}/other.md").unlink()
    write(site, "site.yaml", (site / "site.yaml").read_text() + "\n")
    write(site, "themes/default/templates/_extra.html", "<p>extra</p>")
    assert builder.changed_on_disk() == [
        f"content/{DAY}/new.md",
        f"content/{DAY}/other.md",
        STORY,
        "site.yaml",
        "themes",
    ]
