"""Full-text search that works on any static host: a Pagefind index of the published site.

Pagefind reads the finished HTML (only what the theme marks ``data-pagefind-body``: article
and page text, with the section as metadata) and writes a static bundle the search page
loads in the browser. Themes should not use ``data-pagefind-filter``: Pagefind's filter
files differ from run to run, and two builds of the same input must be byte-identical.
It runs after the pages are in place, and only when an HTML page changed. Without the
Pagefind binary the build still succeeds and says search was skipped.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

BUNDLE = "pagefind/"


class SearchSkipped(Exception):
    """Why there is no new search index; the build goes on without one."""


def build_index(out: Path, language: str) -> dict[str, bytes]:
    """The Pagefind bundle for the site in ``out``: site path -> bytes."""
    if importlib.util.find_spec("pagefind") is None:
        raise SearchSkipped("Pagefind is not installed (pip install 'pagefind[bin]')")
    with tempfile.TemporaryDirectory(prefix=".search-", dir=out.parent) as scratch:
        bundle = Path(scratch) / "pagefind"
        command = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(out),
            "--output-path",
            str(bundle),
            "--force-language",
            language.split("-")[0].lower() or "en",
            "--silent",
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SearchSkipped(f"Pagefind could not run ({exc})") from exc
        if finished.returncode != 0 or not bundle.is_dir():
            reason = (finished.stderr or finished.stdout).strip().splitlines()
            raise SearchSkipped(
                f"Pagefind failed: {reason[-1] if reason else f'exit {finished.returncode}'}"
            )
        return {
            BUNDLE + path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file()
        }
