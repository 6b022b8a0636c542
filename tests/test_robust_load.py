"""The preview server under load, through real sockets (issue 6, Load).

``briefing serve`` runs as its own process (its memory is read from /proc) on a free
loopback port. The tests check correctness only, never speed: every answer is compared
with the built files (the live-reload tag the server adds is taken out first), and every
wait has a generous deadline, so a slow or busy machine makes them slower, not red.

- 200 connections opened at once, 10 requests each on a kept-alive connection: all 2,000
  answered with the right status and bytes;
- slow clients that have sent half a request block no one;
- while the preview rebuilds again and again, each page served is one of the versions a
  build can make (hashed against builds of each version), never a mix or a half-written
  file;
- 50 saves a second for 10 seconds, then 1,000 files at once: the server stays up, its
  memory stays flat during the storm, and what it serves equals ``briefing build --no-cache``;
- a site of 20,000 (tiny) articles builds and serves, and an edit to it shows up.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import run_cli, snapshot
from robust_helpers import Server, cli, serving

PREVIEW_OUT = Path(".briefing-cache") / "preview" / "site"
INJECTED = re.compile(
    rb'<script src="/__briefing__/livereload\.js" data-instance="[0-9a-f]+" '
    rb'data-generation="\d+" defer></script>'
)
SITE_YAML = "title: The Load Test\nbase_url: https://example.org/\nsearch: false\n"
DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")
PARAGRAPH = "The council met again on Tuesday, and the harbour stayed open all night. " * 12


def story(title: str, day: str, body: str = PARAGRAPH, section: str = "World") -> str:
    return (
        f"---\ntitle: {title}\ndate: {day}T09:00:00\nsection: {section}\ntags: [harbour]\n---\n"
        f"\n{body}\n\n## More\n\n{body}\n"
    )


def write_site(root: Path, stories: int = 30) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    for index in range(stories):
        day = DAYS[index % len(DAYS)]
        save(root / "content" / day / f"story-{index}.md", story(f"Story {index}", day))
    return root


def save(path: Path, text: str) -> None:
    """Save as editors do: a hidden temporary file renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def strip_injected(body: bytes) -> bytes:
    return INJECTED.sub(b"", body)


def digest(body: bytes) -> str:
    return hashlib.sha256(strip_injected(body)).hexdigest()


def get(connection: http.client.HTTPConnection, port: int, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
    response = connection.getresponse()
    return response.status, response.read()


def fetch(port: int, path: str, timeout: float = 120) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return get(connection, port, path)
    finally:
        connection.close()


def expected_files(root: Path) -> dict[str, bytes]:
    """What the preview built, by URL path (``/`` for the home page)."""
    files = snapshot(root / PREVIEW_OUT)
    found = {}
    for name, data in files.items():
        url = "/" + name
        if url.endswith("/index.html"):
            url = url[: -len("index.html")]
        found["/" if url == "/index.html" else url] = data
    return found


def clean_build(root: Path, server: Server, out: Path) -> dict[str, bytes]:
    result = cli("build", root, "--no-cache", "--base-url", server.origin + "/", "--out", out)
    assert result.code == 0, result.err
    return snapshot(out)


def assert_converges(root: Path, server: Server, tmp_path: Path, timeout: float = 300) -> None:
    """Once the preview's output stops changing, it equals a clean build made then.

    Compared again (a later clean build) if not: a theme edited meanwhile is rebuilt by
    the preview, and must be by the clean build too."""
    served = root / PREVIEW_OUT
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        before = snapshot(served)
        time.sleep(2)
        if snapshot(served) != before:
            continue
        attempt += 1
        clean = clean_build(root, server, tmp_path / f"clean-{attempt}")
        if snapshot(served) == clean:
            return
        assert time.monotonic() < deadline, "the preview never matched a clean build"


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    """A served site nobody edits."""
    root = write_site(tmp_path_factory.mktemp("steady") / "site")
    with serving(root) as server:
        yield root, server


def test_200_connections_at_once_and_2000_requests_are_all_answered_right(steady):
    root, server = steady
    files = expected_files(root)
    paths = ["/", "/2024/05/01/", "/2024/05/02/story-1/", "/feed.xml", "/static/style.css"]
    paths += ["/tags/harbour/", "/sections/world/", "/sitemap.xml", "/no/such/page/"]
    not_found = strip_injected(fetch(server.port, "/no/such/page/")[1])
    assert not_found == files["/404.html"]
    start = threading.Barrier(200)

    def client(number: int) -> list[str]:
        wrong = []
        start.wait(timeout=120)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        try:
            for request in range(10):
                path = paths[(number + request) % len(paths)]
                status, body = get(connection, server.port, path)
                want = files.get(path, not_found)
                if status != (404 if path == "/no/such/page/" else 200):
                    wrong.append(f"{path}: status {status}")
                elif strip_injected(body) != want:
                    wrong.append(f"{path}: {len(body)} bytes, not the built file")
        finally:
            connection.close()
        return wrong

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(client, range(200)))
    assert [problem for answer in answers for problem in answer] == []
    assert server.alive()


def test_slow_clients_block_no_one(steady):
    root, server = steady
    home = expected_files(root)["/"]
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n"
    half = len(request) // 2
    slow = []
    for _ in range(50):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=120)
        for byte in request[:half]:
            sock.sendall(byte.encode())
        slow.append(sock)
    try:
        # 50 requests are stuck half-way through their first line: everyone else is served.
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: fetch(server.port, "/"), range(200)))
        assert all(status == 200 and strip_injected(body) == home for status, body in answers)
        # Then the slow ones finish, a byte at a time, and get the page too.
        for byte in request[half:]:
            for sock in slow:
                sock.sendall(byte.encode())
        for sock in slow:
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            head, _, body = reply.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:80]
            assert strip_injected(body) == home
    finally:
        for sock in slow:
            sock.close()


def test_pages_served_during_rebuilds_are_entirely_one_version(tmp_path):
    versions = 5
    root = write_site(tmp_path / "site")
    article = root / "content" / DAYS[0] / "harbour.md"
    texts = [
        story(f"Harbour reopens, version {v}", DAYS[0], f"Version {v}. " + PARAGRAPH * (v + 1))
        for v in range(versions)
    ]
    save(article, texts[0])
    watched = ["/", "/2024/05/01/", "/2024/05/01/harbour/", "/feed.xml", "/sections/world/"]
    with serving(root) as server:
        # Every version as a clean build makes it: the only pages a reader may ever get.
        known: dict[str, set[str]] = {path: set() for path in watched}
        for version, text in enumerate(texts):
            save(article, text)
            out = tmp_path / f"version-{version}"
            result = run_cli(
                "build", root, "--no-cache", "--base-url", server.origin + "/", "--out", out
            )
            assert result.code == 0, result.err
            for path in watched:
                name = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
                known[path].add(hashlib.sha256((out / name).read_bytes()).hexdigest())
        assert len(known["/2024/05/01/harbour/"]) == versions

        stop = threading.Event()
        wrong: list[str] = []
        seen: set[str] = set()

        def reader() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            try:
                while not stop.is_set():
                    path = random.choice(watched)
                    status, body = get(connection, server.port, path)
                    if status != 200 or digest(body) not in known[path]:
                        wrong.append(f"{path}: status {status}, {len(body)} bytes")
                    elif path == "/2024/05/01/harbour/":
                        seen.add(digest(body))
            finally:
                connection.close()

        readers = [threading.Thread(target=reader) for _ in range(6)]
        for thread in readers:
            thread.start()
        try:
            for step in range(24):
                save(article, texts[step % versions])
                time.sleep(0.25)
        finally:
            stop.set()
            for thread in readers:
                thread.join(timeout=120)
    assert wrong == []
    assert len(seen) >= 2, "the readers never saw a rebuild"


def test_a_storm_of_saves_and_a_thousand_files_keep_it_up_flat_and_right(tmp_path):
    root = write_site(tmp_path / "site")
    article = root / "content" / DAYS[1] / "storm.md"
    article.write_text(story("Storm, save 0", DAYS[1]), encoding="utf-8")
    with serving(root) as server:
        rss: list[tuple[float, int]] = []
        failures: list[str] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                rss.append((time.monotonic(), server.rss_kib()))
                status, _ = fetch(server.port, "/")
                if status != 200:
                    failures.append(f"/ answered {status}")
                time.sleep(0.25)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            began = time.monotonic()
            for save_number in range(1, 501):  # 50 saves a second for 10 seconds
                pause = began + save_number / 50 - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                article.write_text(story(f"Storm, save {save_number}", DAYS[1]), "utf-8")
            ended = time.monotonic()
            stop.set()
            watcher.join(timeout=120)
            early = [kib for moment, kib in rss if began + 1 <= moment <= began + 3]
            late = [kib for moment, kib in rss if ended - 2 <= moment <= ended + 1]
            assert early and late, rss
            assert max(late) <= max(early) * 1.25 + 25 * 1024, (early, late)

            # A git checkout's worth: 1,000 files at once.
            for index in range(1000):
                path = root / "content" / DAYS[index % 3] / f"bulk-{index}.md"
                path.write_text(story(f"Bulk {index}", DAYS[index % 3], "Short."), "utf-8")
            assert_converges(root, server, tmp_path)
        finally:
            stop.set()
            watcher.join(timeout=120)
        assert server.alive()
        assert failures == []
        status, body = fetch(server.port, "/2024/05/02/storm/")
        assert status == 200 and b"Storm, save 500" in body
        assert server.rss_kib() < max(early) + 400 * 1024


def test_a_site_of_20000_articles_builds_and_serves(tmp_path):
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    for index in range(20_000):
        day = f"2024-{1 + index // 1680:02d}-{1 + index // 60 % 28:02d}"
        path = root / "content" / day / f"a{index}.md"
        if index % 60 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\ntitle: Item {index}\ndate: {day}\ntags: [t{index % 50}]\n---\nB{index}\n",
            encoding="utf-8",
        )
    with serving(root, timeout=900) as server:
        for index in random.Random(6).sample(range(20_000), 40):
            day = f"2024/{1 + index // 1680:02d}/{1 + index // 60 % 28:02d}"
            status, body = fetch(server.port, f"/{day}/a{index}/")
            assert status == 200 and f"Item {index}".encode() in body, index
        for path in ("/", "/archive/", "/tags/t7/", "/tags/t7/page/2/", "/feed.xml"):
            assert fetch(server.port, path)[0] == 200, path
        pages = sum(1 for _ in (root / PREVIEW_OUT).rglob("index.html"))
        assert pages > 20_000
        edited = root / "content" / "2024-01-01" / "a0.md"
        edited.write_text(edited.read_text().replace("Item 0", "Item 0, edited"), "utf-8")
        wait_for(
            lambda: b"Item 0, edited" in fetch(server.port, "/2024/01/01/a0/")[1],
            600,
            "the edit to show up",
        )
        assert server.alive()
