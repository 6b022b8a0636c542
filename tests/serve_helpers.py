"""Shared by the preview tests: small sites on disk, a preview running in this process on a
free port, raw HTTP requests, and bounded waits.

Every wait polls with a deadline (nothing sleeps a fixed time and hopes); every preview is
stopped when its ``with`` block ends, even when the test fails.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conftest import settle

from briefing.preview import Preview, PreviewOptions

DAY = "2026-03-17"
"""Every test article's day: in the past, whatever the clock says."""

SITE_YAML = "title: The Preview Test\nbase_url: https://example.org/news/\n"


def article(title: str, body: str = "Text.", date: str = f"{DAY}T09:00:00") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n---\n\n{body}\n"


def write(root: Path, name: str, text: str | bytes) -> Path:
    """Write a file the way an editor's plain save does (truncate and write in place)."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_site(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A site.yaml (unless given) and ``files``: path relative to the site -> content."""
    root.mkdir(parents=True, exist_ok=True)
    if "site.yaml" not in files:
        write(root, "site.yaml", SITE_YAML)
    for name, text in files.items():
        settle(write(root, name, text))
    settle(root / "site.yaml")
    return root


def wait_until(check: Callable[[], object], timeout: float = 10.0, every: float = 0.05) -> bool:
    """Poll ``check`` until it is true or ``timeout`` passes; returns the last verdict."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return bool(check())
        time.sleep(every)


@dataclass
class Running:
    """A started preview and everything it printed."""

    preview: Preview
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.preview.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].strip("/"))

    @property
    def builds(self) -> int:
        return self.preview.live.builds

    def said(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def wait_for_build(self, after: int, timeout: float = 15.0) -> bool:
        """Wait until more than ``after`` builds have finished."""
        return self.preview.live.wait_for_builds(after + 1, timeout)

    def settle(self, quiet: float = 0.5, timeout: float = 60.0) -> int:
        """Wait until no rebuild has run or been pending for ``quiet`` seconds (events reach
        the debouncer within milliseconds); returns the number of builds so far."""
        deadline = time.monotonic() + timeout
        while self.preview.debouncer.idle_for() < quiet:
            if time.monotonic() >= deadline:
                raise AssertionError(f"the preview kept rebuilding for {timeout} s")
            time.sleep(0.05)
        return self.builds

    def page_file(self, site_path: str) -> Path:
        if site_path == "" or site_path.endswith("/"):
            site_path += "index.html"
        return self.preview.out / site_path

    def page_text(self, site_path: str) -> str:
        try:
            return self.page_file(site_path).read_text(encoding="utf-8")
        except OSError:
            return ""


@contextlib.contextmanager
def running(root: Path, **options: object) -> Iterator[Running]:
    """A preview of ``root`` on 127.0.0.1 (a free port unless ``port`` is given), stopped
    when the block ends."""
    settings = PreviewOptions(**{"port": 0, **options})  # type: ignore[arg-type]
    holder: list[Running] = []

    def say(line: str) -> None:
        if holder:
            with holder[0]._lock:
                holder[0].lines.append(line)

    preview = Preview(root, settings, say=say)
    handle = Running(preview)
    holder.append(handle)
    try:
        preview.start()
        yield handle
    finally:
        preview.stop()


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def type(self) -> str:
        return self.headers.get("content-type", "")


def request(
    port: int,
    target: str,
    *,
    method: str = "GET",
    host: str | None = "127.0.0.1",
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """One request with ``target`` sent exactly as written (no normalising of ``..``)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host if ":" in host else f"{host}:{port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Response(response.status, found, body)
    finally:
        connection.close()


def have_browser() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if not os.path.exists("/usr/bin/chromium"):
        return "Debian's chromium is not installed at /usr/bin/chromium (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return ""
