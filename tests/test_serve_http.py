"""The preview server over real sockets, no browser: what it serves, what it refuses, and
that it keeps answering while an event stream is held open."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serve_helpers import DAY, Running, article, request, running, write_site

from briefing.cli import main
from briefing.server import HostCheck, inject, locate
from briefing.watch import mount_type, polling_hint

SECRET = "never-serve-this-7731"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("http") / "site"
    write_site(
        root,
        {
            "site.yaml": f"title: The Preview Test\nextra:\n  note: {SECRET}\n",
            f"content/{DAY}/story.md": article("Harbour reopens", "The cranes are back."),
            f"content/{DAY}/crane.png": PNG,
            "themes/default/static/fonts/serif.woff2": b"wOF2" + b"\0" * 16,
            "themes/default/static/app.js": "console.log('hi');\n",
        },
    )
    (root.parent / "secret.txt").write_text(SECRET, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Running]:
    with running(site) as handle:
        yield handle


@pytest.mark.parametrize(
    "target",
    [
        "/../../../site.yaml",
        "/../../../../secret.txt",
        "/static/../../../../site.yaml",
        "/%2e%2e/%2e%2e/%2e%2e/site.yaml",
        "/%2E%2E/%2E%2E/%2E%2E/%2E%2E/secret.txt",
        "/..%2f..%2f..%2fsite.yaml",
        "/static/..%2F..%2F..%2F..%2Fsite.yaml",
        "/%2fetc%2fpasswd",
        "//etc/passwd",
        "/etc/passwd",
        "/..%5c..%5c..%5csite.yaml",
        "/..\\..\\..\\site.yaml",
        "/%252e%252e/%252e%252e/%252e%252e/site.yaml",
        "/.briefing-output",
        "/%00/etc/passwd",
        "http://127.0.0.1/../../../site.yaml",
    ],
)
def test_nothing_outside_the_output_is_served(server: Running, target: str) -> None:
    response = request(server.port, target)
    assert response.status in (400, 404)
    assert SECRET not in response.text
    assert "root:" not in response.text


def test_symlinks_leaving_the_output_are_not_followed(server: Running, site: Path) -> None:
    out = server.preview.out
    links = {
        "leak.txt": site.parent / "secret.txt",
        "leakdir": site,
        "inside.css": out / "static" / "style.css",
    }
    for name, target in links.items():
        (out / name).unlink(missing_ok=True)
        (out / name).symlink_to(target)
    try:
        assert request(server.port, "/leak.txt").status == 404
        assert request(server.port, "/leakdir/site.yaml").status == 404
        assert request(server.port, "/inside.css").status == 200
    finally:
        for name in links:
            (out / name).unlink(missing_ok=True)


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1", "[::1]", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"],
)
def test_local_host_names_are_answered(server: Running, host: str) -> None:
    assert request(server.port, "/", host=host.format(port=server.port)).status == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "10.0.0.7", ""]
)
def test_other_host_names_are_refused(server: Running, host: str) -> None:
    response = request(server.port, "/", host=host.format(port=server.port))
    assert response.status == 403
    assert "Harbour" not in response.text


def test_a_request_without_host_is_refused(server: Running) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = raw.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 403")


def test_every_interface_accepts_addresses_but_not_names() -> None:
    hosts = HostCheck("0.0.0.0", "0.0.0.0")
    assert hosts.host_allowed("192.168.1.20:8000")
    assert hosts.host_allowed("[fe80::1]:8000")
    assert not hosts.host_allowed("attacker.example:8000")
    assert not HostCheck("127.0.0.1", "127.0.0.1").host_allowed("192.168.1.20:8000")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "text/html; charset=utf-8"),
        (f"/{DAY.replace('-', '/')}/story/", "text/html; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/fonts/serif.woff2", "font/woff2"),
        (f"/{DAY.replace('-', '/')}/crane.png", "image/png"),
        ("/feed.xml", "application/atom+xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/__briefing__/livereload.js", "text/javascript; charset=utf-8"),
    ],
)
def test_content_types(server: Running, target: str, expected: str) -> None:
    response = request(server.port, target)
    assert response.status == 200
    assert response.type == expected
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("target", ["/", "/static/style.css", "/nowhere/"])
def test_head_has_the_headers_of_get_and_no_body(server: Running, target: str) -> None:
    get = request(server.port, target)
    head = request(server.port, target, method="HEAD")
    assert head.status == get.status
    assert head.body == b""
    assert head.type == get.type
    assert int(head.headers["content-length"]) == len(get.body)


def test_missing_pages_get_the_sites_404_page_with_status_404(server: Running) -> None:
    response = request(server.port, "/no/such/page/")
    assert response.status == 404
    built = server.page_text("404.html")
    assert built, "the theme makes a 404.html"
    assert response.body == inject(built.encode(), server.preview.live.script_tag())


def test_folders_without_index_are_not_listed(server: Running) -> None:
    response = request(server.port, "/static/")
    assert response.status == 404
    assert "app.js" not in response.text
    assert "Index of" not in response.text


def test_a_folder_without_its_slash_is_redirected(server: Running) -> None:
    response = request(server.port, f"/{DAY.replace('-', '/')}/story?x=1")
    assert response.status == 301
    assert response.headers["location"] == f"/{DAY.replace('-', '/')}/story/?x=1"


def test_other_methods_are_refused(server: Running) -> None:
    assert request(server.port, "/", method="POST").status == 405


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:3000"},
    ],
)
def test_the_event_stream_refuses_other_origins(server: Running, headers: dict[str, str]) -> None:
    response = request(server.port, "/__briefing__/events", headers=headers)
    assert response.status == 403
    assert "event:" not in response.text


def test_the_event_stream_says_hello_to_its_own_pages(server: Running) -> None:
    origin = f"http://127.0.0.1:{server.port}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            f"GET /__briefing__/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Origin: {origin}\r\nSec-Fetch-Site: same-origin\r\n\r\n".encode()
        )
        reader = raw.makefile("rb")
        head = _read_until(reader, b"event: problems")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Type: text/event-stream" in head
    assert b"event: hello" in head


def test_the_script_is_added_only_while_serving(server: Running, site: Path) -> None:
    served = request(server.port, "/").text
    assert '<script src="/__briefing__/livereload.js"' in served
    assert served.index("livereload.js") < served.index("</head>")
    on_disk = [path.read_bytes() for path in server.preview.out.rglob("*") if path.is_file()]
    assert on_disk and not any(b"__briefing__" in data for data in on_disk)
    out = site.parent / "built"
    assert main(["build", str(site), "--out", str(out)]) == 0
    built = [path.read_bytes() for path in out.rglob("*") if path.is_file()]
    assert built and not any(b"__briefing__" in data or b"livereload" in data for data in built)


def test_preview_builds_outside_public(server: Running, site: Path) -> None:
    assert server.preview.out.is_relative_to(site.resolve() / ".briefing-cache" / "preview")
    assert not (site / "public").exists()


def test_an_open_event_stream_blocks_no_one(server: Running) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as stream:
        stream.sendall(
            f"GET /__briefing__/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        )
        _read_until(stream.makefile("rb"), b"event: hello")
        targets = ["/", "/static/style.css", "/feed.xml", "/nowhere/"] * 5
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(lambda t: request(server.port, t).status, targets))
    assert statuses == [200, 200, 200, 404] * 5


def test_injection_goes_before_head_or_body_or_at_the_end() -> None:
    tag = b"<script></script>"
    assert (
        inject(b"<HEAD></HEAD><body></body>", tag) == b"<HEAD><script></script></HEAD><body></body>"
    )
    assert inject(b"<p>x</p></body>", tag) == b"<p>x</p><script></script></body>"
    assert inject(b"<p>x</p>", tag) == b"<p>x</p><script></script>"


def test_locate_refuses_dot_files_and_accepts_index(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden").write_text("x", encoding="utf-8")
    assert locate(tmp_path, "/a/") == (tmp_path / "a" / "index.html").resolve()
    assert locate(tmp_path, "/a") == "/a/"
    assert locate(tmp_path, "/.hidden") is None
    assert locate(tmp_path, "/a/%2e%2e/.hidden") is None


MOUNTS = """\
/dev/vda / ext4 rw 0 0
server:/export /mnt/work nfs4 rw 0 0
C:\\134 /mnt/c 9p rw 0 0
/dev/vdb /mnt/work/local\\040disk ext4 rw 0 0
"""


def test_network_mounts_are_recognised(tmp_path: Path) -> None:
    assert mount_type(Path("/mnt/work/site"), MOUNTS) == "nfs4"
    assert mount_type(Path("/mnt/c/Users/me/site"), MOUNTS) == "9p"
    assert mount_type(Path("/mnt/work/local disk/site"), MOUNTS) == "ext4"
    assert mount_type(Path("/home/me/site"), MOUNTS) == "ext4"
    mounts = tmp_path / "mounts"
    mounts.write_text(f"remote:/ {tmp_path} cifs rw 0 0\n", encoding="utf-8")
    assert "--poll" in polling_hint(tmp_path, mounts)
    mounts.write_text(f"/dev/vda {tmp_path} ext4 rw 0 0\n", encoding="utf-8")
    assert polling_hint(tmp_path, mounts) == ""


def test_a_folder_without_site_yaml_is_refused(tmp_path: Path) -> None:
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    """The real command: URL shown, 0.0.0.0 warned about, Ctrl-C exits 0 with no traceback
    and the port is free again."""
    copy = write_site(tmp_path / "site", {f"content/{DAY}/story.md": article("Quiet day")})
    command = [sys.executable, "-m", "briefing", "serve", str(copy), "--port", "0"]
    process = subprocess.Popen(
        [*command, "--host", "0.0.0.0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    reader = threading.Thread(target=_read_lines, args=(process, lines), daemon=True)
    reader.start()
    said: list[str] = []
    try:
        while not said or "Serving" not in said[-1]:
            line = lines.get(timeout=60)
            assert line is not None, f"the server ended early: {said}"
            said.append(line)
        port = int(said[-1].split("http://127.0.0.1:")[1].split("/")[0])
        assert request(port, "/").status == 200
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    reader.join(timeout=10)
    while (line := lines.get(timeout=10)) is not None:
        said.append(line)
    output = "".join(said)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "warning: --host 0.0.0.0" in output
    assert output.endswith("Stopped.\n")
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def _read_lines(process: subprocess.Popen[bytes], lines: queue.SimpleQueue[str | None]) -> None:
    """Every line the process writes to stderr, then None when it closes."""
    assert process.stderr is not None
    for raw in process.stderr:
        lines.put(raw.decode())
    lines.put(None)


def _read_until(reader: object, marker: bytes, limit: int = 65536) -> bytes:
    """Read a stream line by line until ``marker`` shows up (the socket's timeout bounds it)."""
    data = b""
    while marker not in data and len(data) < limit:
        line = reader.readline()  # type: ignore[attr-defined]
        if not line:
            break
        data += line
    return data
