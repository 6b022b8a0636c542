"""Full-text search that works on any static host: Pagefind indexes of the published site.

Pagefind reads the finished HTML (only what the theme marks ``data-pagefind-body``: article
and page text, with the section as metadata) and writes static bundles the search page
loads in the browser. Themes should not use ``data-pagefind-filter``: Pagefind's filter
files differ from run to run, and two builds of the same input must be byte-identical.

The index is split by date: one bundle per year, or per quarter for a year of more than
``SPLIT_YEAR`` pages, the newest month apart once the newest of those holds more than
``SPLIT_RECENT``, and one for the pages outside the dated folders. Pagefind holds a whole
index in memory and re-reads every page it covers; one index for an archive of 10,000
stories took 26 s and 1.5 GB for every edit. A bundle is made again only when one of its
pages changed, so an edit to today's story re-indexes this month, quarter or year. The
search page merges the bundles in the browser (Pagefind's ``mergeIndex``), newest first.

It runs after the pages are in place. Without the Pagefind binary the build still
succeeds and says search was skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

BUNDLE = "pagefind/"
MANIFEST = BUNDLE + "bundles.json"
"""The bundles' folders under ``pagefind/``, newest first: what the search page merges."""
PAGES = "pages"
"""The bundle of the searchable pages outside the dated folders (about, trust, ...)."""
SPLIT_YEAR = 2000
"""A year with more story pages than this is indexed by quarter. At 20 stories a day a
quarter's bundle took Pagefind 3 s and 270 MB, and a long archive stays four bundles a
year for the browser to merge."""
SPLIT_RECENT = 600
"""When the newest bundle holds more story pages than this, its newest month is indexed
on its own (at 20 stories a day, a month is about 600)."""
_MARK = b"data-pagefind-body"


class SearchSkipped(Exception):
    """Why there is no new search index; the build goes on without one."""


def plan_bundles(out: Path, html: Iterable[str]) -> dict[str, str]:
    """Bundle name -> the Pagefind glob of its pages, newest first, for the site's HTML
    files ``html`` (site paths) as published in ``out``. A dated bundle's name says which
    months it covers (``2026``, ``2026-q1``, ``2026-03``, ``2026-01-02``), so a bundle
    whose months change has a new name, and is made anew."""
    stories: Counter[tuple[str, int]] = Counter()
    undated: list[str] = []
    for name in html:
        year, month = _date_of(name)
        if not year:
            undated.append(name)
        elif name.count("/") >= 4:  # a story's page, not its edition's
            stories[year, month] += 1
    groups: list[tuple[str, list[int]]] = []  # (year, months), newest first
    for year in sorted({year for year, _ in stories}, reverse=True):
        if sum(stories[year, month] for month in range(1, 13)) <= SPLIT_YEAR:
            groups.append((year, list(range(1, 13))))
            continue
        for quarter in (4, 3, 2, 1):
            months = list(range(3 * quarter - 2, 3 * quarter + 1))
            if any(stories[year, month] for month in months):
                groups.append((year, months))
    bundles: dict[str, str] = {}
    if groups:
        # Edits go mostly to the latest edition: its month alone is indexed again, not a
        # quarter up to three times its size, once the newest bundle is big.
        year, months = groups[0]
        newest = max(month for month in months if stories[year, month])
        earlier = [month for month in months if month < newest]
        if sum(stories[year, m] for m in months) > SPLIT_RECENT and any(
            stories[year, month] for month in earlier
        ):
            bundles[_bundle_name(year, [newest])] = _months_glob(year, [newest])
            groups[0] = (year, earlier)
    for year, months in groups:
        bundles[_bundle_name(year, months)] = _months_glob(year, months)
    # Only the marked ones: given none, Pagefind would index every listing's whole text.
    marked = sorted(name for name in undated if _is_marked(out / name) and _plain(name))
    if marked:
        bundles[PAGES] = "{" + ",".join(marked) + "}"
    return bundles


def _bundle_name(year: str, months: list[int]) -> str:
    """The name of the bundle of ``months`` (consecutive) of ``year``."""
    first, last = months[0], months[-1]
    if (first, last) == (1, 12):
        return year
    if first % 3 == 1 and last == first + 2:
        return f"{year}-q{last // 3}"
    if first == last:
        return f"{year}-{first:02d}"
    return f"{year}-{first:02d}-{last:02d}"


def _months_covered(bundle: str) -> tuple[str, range] | None:
    """``_bundle_name`` read back: (year, months), or None for the pages' bundle."""
    year, _, rest = bundle.partition("-")
    if not (len(year) == 4 and year.isdigit()):
        return None
    if not rest:
        return year, range(1, 13)
    if rest.startswith("q"):
        quarter = int(rest[1:])
        return year, range(3 * quarter - 2, 3 * quarter + 1)
    first, _, last = rest.partition("-")
    return year, range(int(first), int(last or first) + 1)


def _months_glob(year: str, months: Iterable[int]) -> str:
    # The month folders only: a page may be /2026/ itself (a year in review).
    return f"{year}/{{{','.join(f'{month:02d}' for month in months)}}}/**/*.html"


def bundle_finder(bundles: Iterable[str]) -> Callable[[str], str]:
    """A function giving the bundle that covers an HTML file (site path), or "" when none
    does: a cold build asks it for each of its 11,000 pages."""
    covering: dict[tuple[str, int], str] = {}
    for bundle in bundles:
        covered = _months_covered(bundle)
        if covered is not None:
            covering.update(((covered[0], month), bundle) for month in covered[1])

    def bundle_of(name: str) -> str:
        year, month = _date_of(name)
        return covering.get((year, month), "") if year else PAGES

    return bundle_of


def bundle_folder(name: str) -> str | None:
    """The bundle a file of the search index belongs to: ``pagefind/2026/x`` -> 2026."""
    if not name.startswith(BUNDLE):
        return None
    head, slash, _ = name[len(BUNDLE) :].partition("/")
    return head if slash else None


def published_index(out: Path) -> list[str]:
    """The search index's files in the output folder ``out``, as site paths."""
    found = []
    for folder, _, files in os.walk(out / BUNDLE):
        relative = Path(folder).relative_to(out).as_posix()
        found += [f"{relative}/{name}" for name in files]
    return sorted(found)


def manifest(bundles: Iterable[str]) -> bytes:
    return json.dumps(list(bundles)).encode("utf-8")


def build_index(out: Path, language: str, bundles: Mapping[str, str]) -> dict[str, bytes]:
    """The Pagefind bundles named in ``bundles`` (name -> glob) for the site in ``out``:
    site path -> bytes."""
    if importlib.util.find_spec("pagefind") is None:
        raise SearchSkipped("Pagefind is not installed (pip install 'pagefind[bin]')")
    # Imported here (and subprocess in _run_pagefind), where Pagefind runs: a build that
    # makes no index, an edit with search off, need not load them.
    from concurrent.futures import ThreadPoolExecutor

    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix=".search-", dir=out.parent) as scratch:
        folders = {name: Path(scratch) / name for name in bundles}
        # Two at a time: each Pagefind keeps about 1.3 cores busy, and on two cores the
        # bundles of 10,000 stories took 14 s this way against 22 s one after the other.
        with ThreadPoolExecutor(max(1, min(2, os.cpu_count() or 1))) as pool:
            runs = [
                pool.submit(_run_pagefind, out, folders[name], glob, language)
                for name, glob in bundles.items()
            ]
            for run in runs:
                run.result()
        for name, folder in folders.items():
            files.update(
                (f"{BUNDLE}{name}/{path.relative_to(folder).as_posix()}", path.read_bytes())
                for path in sorted(folder.rglob("*"))
                if path.is_file()
            )
    return files


def _run_pagefind(out: Path, folder: Path, glob: str, language: str) -> None:
    import subprocess

    command = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(out),
        "--glob",
        glob,
        "--output-path",
        str(folder),
        "--force-language",
        language.split("-")[0].lower() or "en",
        "--silent",
    ]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchSkipped(f"Pagefind could not run ({exc})") from exc
    if finished.returncode != 0 or not folder.is_dir():
        reason = (finished.stderr or finished.stdout).strip().splitlines()
        raise SearchSkipped(
            f"Pagefind failed: {reason[-1] if reason else f'exit {finished.returncode}'}"
        )


def _date_of(name: str) -> tuple[str, int]:
    """(year, month) of a page in a dated folder (``2026/03/17/...``), else ("", 0)."""
    parts = name.split("/", 2)
    if len(parts) == 3 and len(parts[0]) == 4 and parts[0].isdigit() and parts[1].isdigit():
        month = int(parts[1])
        if 1 <= month <= 12:
            return parts[0], month
    return "", 0


def _is_marked(file: Path) -> bool:
    try:
        return _MARK in file.read_bytes()
    except OSError:
        return False


def _plain(name: str) -> bool:
    """Whether a site path can stand in a glob as itself (slugs always can)."""
    return not any(c in name for c in "*?[]{},\\")
