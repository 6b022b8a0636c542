"""Load on the preview server: requests per second and the slowest answer.

    python bench/load.py [--articles 60] [--large 20000] [--json bench/results/load.json]

Starts ``briefing serve`` on a free port of 127.0.0.1 (loopback only) for a synthetic site
and measures, each phase bounded in count and time:

- burst: 200 connections opened at once, 10 kept-alive requests each (2,000 requests);
- slow clients: 50 connections send their request a byte every 20 ms while 20 others make
  1,000 requests;
- rebuild under load: 8 clients read pages while an article is saved every 0.25 s for 10 s;
  each article page read is checked to be one version throughout (title, headline, body);
- large (``--large N``, 0 to skip): a site of N one-line articles, time until it serves
  and until one edit shows.

Each phase reports requests per second, the median and slowest answer (connection set-up
included), errors, and the server's memory (RSS from /proc). Figures only: nothing is
asserted; ``tests/test_robust_load.py`` checks the answers' correctness.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")
TEXT = "The council met again on Tuesday, and the harbour stayed open all night. " * 12
TIMEOUT = 60.0
"""Every socket operation; a phase that cannot finish in its time fails loudly."""


def story(title: str, day: str, marker: str = "") -> str:
    return (
        f"---\ntitle: {title}\ndate: {day}T09:00:00\nsection: World\ntags: [harbour]\n---\n\n"
        f"{marker}{TEXT}\n\n## More\n\n{TEXT}\n"
    )


def make_site(root: Path, articles: int) -> None:
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(
        "title: Load Bench\nbase_url: https://example.org/\nsearch: false\n", encoding="utf-8"
    )
    for index in range(articles):
        day = DAYS[index % len(DAYS)]
        path = root / "content" / day / f"story-{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(story(f"Story {index}", day), encoding="utf-8")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return round(int(found.group(1)) / 1024, 1) if found else 0.0


@contextmanager
def serving(root: Path, start_timeout: float = 900) -> Iterator[tuple[Server, float]]:
    """``briefing serve ROOT --port 0``; yields the server and the seconds it took to serve."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "briefing", "serve", str(root), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=start_timeout)
            if line is None:
                raise RuntimeError("briefing serve ended before serving")
            found = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
            if found:
                break
        yield Server(process, int(found.group(1))), time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


@dataclass
class Tally:
    """Answers of one phase: durations in seconds and what went wrong."""

    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str = "") -> None:
        with self.lock:
            self.times.append(seconds)
            if error:
                self.errors.append(error)

    def summary(self, wall: float) -> dict[str, float | int]:
        times = sorted(self.times) or [0.0]
        return {
            "requests": len(self.times),
            "requests_per_s": round(len(self.times) / wall, 1) if wall else 0.0,
            "median_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
            "slowest_ms": round(times[-1] * 1000, 2),
            "errors": len(self.errors),
            "wall_s": round(wall, 3),
        }


def request(connection: http.client.HTTPConnection, port: int, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
    response = connection.getresponse()
    return response.status, response.read()


def burst(server: Server, connections: int = 200, each: int = 10) -> dict[str, float | int]:
    paths = ["/", "/2024/05/01/", "/2024/05/02/story-1/", "/feed.xml", "/static/style.css"]
    tally = Tally()
    gate = threading.Barrier(connections)

    def client(number: int) -> None:
        gate.wait(timeout=TIMEOUT)
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            for index in range(each):
                status, _ = request(connection, server.port, paths[(number + index) % 5])
                now = time.perf_counter()
                tally.add(now - began, "" if status == 200 else f"status {status}")
                began = now
        except OSError as exc:
            tally.add(time.perf_counter() - began, repr(exc))
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(client, range(connections)))
    return tally.summary(time.perf_counter() - started)


def slow_clients(
    server: Server, slow: int = 50, fast: int = 1000, byte_every: float = 0.02
) -> dict[str, object]:
    wire = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n"
    slow_tally, fast_tally = Tally(), Tally()

    def trickle(_: int) -> None:
        began = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
                for character in wire:
                    sock.sendall(character.encode())
                    time.sleep(byte_every)
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
            ok = reply.startswith(b"HTTP/1.1 200")
            slow_tally.add(time.perf_counter() - began, "" if ok else reply[:40].decode())
        except OSError as exc:
            slow_tally.add(time.perf_counter() - began, repr(exc))

    def quick(_: int) -> None:
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            status, _body = request(connection, server.port, "/")
            fast_tally.add(time.perf_counter() - began, "" if status == 200 else str(status))
        except OSError as exc:
            fast_tally.add(time.perf_counter() - began, repr(exc))
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=slow) as trickling:
        pending = [trickling.submit(trickle, n) for n in range(slow)]
        time.sleep(len(wire) * byte_every / 3)  # the slow ones are well under way
        fast_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(quick, range(fast)))
        fast_wall = time.perf_counter() - fast_started
        for future in pending:
            future.result(timeout=TIMEOUT * 2)
    return {
        "fast": fast_tally.summary(fast_wall),
        "slow": slow_tally.summary(time.perf_counter() - started),
        "slow_request_bytes": len(wire),
    }


_TITLE = re.compile(rb"<title>Harbour, version (\d+)")
_HEADLINE = re.compile(rb"<h1[^>]*>Harbour, version (\d+)</h1>")
_MARKER = re.compile(rb"Marker (\d+)\.")


def rebuild_under_load(
    root: Path, server: Server, seconds: float = 10.0, readers: int = 8
) -> dict[str, object]:
    article = root / "content" / DAYS[0] / "harbour.md"
    paths = ["/", "/2024/05/01/", "/2024/05/01/harbour/", "/feed.xml"]
    tally = Tally()
    versions: set[int] = set()
    stop = threading.Event()

    def save(version: int) -> None:
        temporary = article.with_name(".harbour.md.tmp")
        text = story(f"Harbour, version {version}", DAYS[0], f"Marker {version}. ")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, article)

    def reader(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        index = number
        try:
            while not stop.is_set():
                path = paths[index % len(paths)]
                index += 1
                began = time.perf_counter()
                status, body = request(connection, server.port, path)
                error = "" if status == 200 else f"{path}: status {status}"
                if not error and path.endswith("harbour/"):
                    found = [p.search(body) for p in (_TITLE, _HEADLINE, _MARKER)]
                    seen = {m.group(1) for m in found if m}
                    if len(seen) != 1 or None in found or not body.rstrip().endswith(b"</html>"):
                        error = f"{path}: a page mixing versions {sorted(seen)}"
                    else:
                        versions.add(int(seen.pop()))
                tally.add(time.perf_counter() - began, error)
        except OSError as exc:
            tally.add(0.0, repr(exc))
        finally:
            connection.close()

    save(0)
    deadline = time.monotonic() + 120
    while b"Harbour, version 0" not in fetch_page(server, "/2024/05/01/harbour/"):
        if time.monotonic() > deadline:
            raise RuntimeError("the first version never showed")
        time.sleep(0.2)
    rss_before = server.rss_mb()
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    saves = 0
    while time.perf_counter() - started < seconds:
        saves += 1
        save(saves)
        time.sleep(0.25)
    stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    summary = tally.summary(time.perf_counter() - started)
    return {
        **summary,
        "saves": saves,
        "versions_seen": len(versions),
        "rss_before_mb": rss_before,
        "rss_after_mb": server.rss_mb(),
        "first_errors": tally.errors[:5],
    }


def fetch_page(server: Server, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        return request(connection, server.port, path)[1]
    except OSError:
        return b""
    finally:
        connection.close()


def large(articles: int, workdir: Path) -> dict[str, float | int]:
    root = workdir / "large"
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text("title: Large\nsearch: false\n", encoding="utf-8")
    for index in range(articles):
        day = f"2024-{1 + index * 12 // articles:02d}-{1 + index // 60 % 28:02d}"
        path = root / "content" / day / f"a{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: Item {index}\ndate: {day}\n---\nB{index}\n", "utf-8")
    with serving(root) as (server, to_serve):
        first = root / "content" / sorted(os.listdir(root / "content"))[0]
        edited = sorted(first.iterdir())[0]
        began = time.perf_counter()
        edited.write_text(edited.read_text().replace("\n---\n", "\n---\nEdited. "), "utf-8")
        page = edited.relative_to(root / "content").with_suffix("")
        url = "/" + page.parent.name.replace("-", "/") + f"/{page.name}/"
        deadline = time.monotonic() + 600
        while b"Edited." not in fetch_page(server, url):
            if time.monotonic() > deadline:
                raise RuntimeError("the edit never showed")
            time.sleep(0.1)
        return {
            "articles": articles,
            "serving_after_s": round(to_serve, 2),
            "edit_shown_after_s": round(time.perf_counter() - began, 2),
            "rss_mb": server.rss_mb(),
        }


def phase(name: str, run: Callable[[], Mapping[str, object]]) -> Mapping[str, object]:
    print(f"{name}...", file=sys.stderr, flush=True)
    figures = run()
    print(f"{name}: {json.dumps(figures)}", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=60, help="articles in the served site")
    parser.add_argument("--large", type=int, default=20000, help="0 skips the large site")
    parser.add_argument("--json", type=Path, default=Path("bench/results/load.json"))
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": {
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "load_average": os.getloadavg(),
        },
        "articles": args.articles,
    }
    workdir = Path(tempfile.mkdtemp(prefix="briefing-load-"))
    try:
        root = workdir / "site"
        make_site(root, args.articles)
        with serving(root) as (server, _):
            report["rss_start_mb"] = server.rss_mb()
            report["burst"] = phase("burst", lambda: burst(server))
            report["slow_clients"] = phase("slow clients", lambda: slow_clients(server))
            report["rebuild_under_load"] = phase(
                "rebuild under load", lambda: rebuild_under_load(root, server)
            )
            report["rss_end_mb"] = server.rss_mb()
        if args.large:
            report["large"] = phase("large", lambda: large(args.large, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
