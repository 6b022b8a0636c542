"""The preview's HTTP side: serve the built folder safely, add the live-reload script to
HTML as it is sent, and stream rebuild events to the open tabs.

It only reads ``LiveState``, which the rebuild thread updates (see ``briefing.preview``):
files on disk never contain the script, so ``briefing build`` output cannot either.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import queue
import re
import secrets
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

from briefing.output import content_type, locked

PREFIX = "/__briefing__/"
EVENTS = PREFIX + "events"
CLIENT = PREFIX + "livereload.js"
CLIENT_FILE = Path(__file__).parent / "static" / "livereload.js"
WILDCARD = {"", "0.0.0.0", "::"}
LOCAL_NAMES = {"localhost", "127.0.0.1", "[::1]"}


Request = socket.socket | tuple[bytes, socket.socket]

NOT_FOUND = b"<!doctype html>\n<title>Not found</title>\n<h1>Not found</h1>\n"


def locate(out: Path, raw_path: str) -> Path | str | None:
    """The file a request path names inside ``out``; a redirect (``str``) for a folder asked
    for without its slash; None for anything else, including every way of leaving ``out``."""
    if not raw_path.startswith("/") or "//" in raw_path:
        return None
    if re.search(r"%(2f|5c|00)", raw_path, re.IGNORECASE):
        return None
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in path or "\x00" in path:
        return None
    parts = [part for part in path.split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    root = out.resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        if parts and not path.endswith("/"):
            return "/" + "/".join(quote(part) for part in parts) + "/"
        target = (target / "index.html").resolve()
        if not target.is_relative_to(root):
            return None
    return target if target.is_file() else None


def inject(html: bytes, tag: bytes) -> bytes:
    """Put ``tag`` before ``</head>`` (or ``</body>``, or at the end)."""
    for closing in (rb"</head\s*>", rb"</body\s*>"):
        found = re.search(closing, html, re.IGNORECASE)
        if found:
            return html[: found.start()] + tag + html[found.start() :]
    return html + tag


def host_name(header: str) -> str:
    """``Host`` header without its port: ``[::1]:8000`` -> ``[::1]``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0].rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class EventHub:
    """The open event streams; each has its own queue, filled by ``publish``."""

    def __init__(self) -> None:
        self._clients: set[queue.SimpleQueue[bytes | None]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def subscribe(self) -> queue.SimpleQueue[bytes | None]:
        client: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                client.put(None)
            self._clients.add(client)
        return client

    def unsubscribe(self, client: queue.SimpleQueue[bytes | None]) -> None:
        with self._lock:
            self._clients.discard(client)

    def clients(self) -> int:
        """How many streams are open (tests wait for a page to connect)."""
        with self._lock:
            return len(self._clients)

    def publish(self, event: str, data: object) -> None:
        message = event_message(event, data)
        with self._lock:
            for client in self._clients:
                client.put(message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for client in self._clients:
                client.put(None)


def event_message(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class HostCheck:
    """Which ``Host`` and ``Origin`` values a request may carry (against DNS rebinding)."""

    def __init__(self, configured: str, bound: str) -> None:
        self.wildcard = configured in WILDCARD
        names = set(LOCAL_NAMES) | {configured.lower(), bound.lower()}
        self.names = {f"[{name}]" if ":" in name and "[" not in name else name for name in names}

    def host_allowed(self, header: str | None) -> bool:
        """Localhost, the bound address or the configured host. Bound to every interface,
        any IP address too: an address cannot be rebound, and other machines need one."""
        if not header:
            return False
        name = host_name(header)
        if name in self.names or name.endswith(".localhost"):
            return True
        return self.wildcard and (_is_ip(name) or name == socket.gethostname().lower())

    def same_origin(self, origin: str | None, fetch_site: str | None) -> bool:
        """The event stream is for the preview's own pages, not for other sites' scripts."""
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return False
        if origin is None:
            return True
        parts = urlsplit(origin)
        return parts.scheme == "http" and self.host_allowed(parts.netloc)


class LiveState:
    """What the browsers are told: which build is current and the last build's errors."""

    def __init__(self, out: Path) -> None:
        self.out = out
        """The folder served; the rebuild thread publishes into it."""
        self.hub = EventHub()
        self.instance = secrets.token_hex(4)
        """Tells a page served by an earlier run of the server to reload."""
        self.generation = 0
        """Builds that changed files; a page knows the generation it was served at."""
        self.builds = 0
        self.problems: list[dict[str, object]] = []
        self._lock = threading.Condition()

    def script_tag(self) -> bytes:
        with self._lock:
            generation = self.generation
        return (
            f'<script src="{CLIENT}" data-instance="{self.instance}" '
            f'data-generation="{generation}" defer></script>'
        ).encode()

    def hello(self) -> bytes:
        """What a new event stream hears first: which build is current, and its errors."""
        with self._lock:
            state = {"instance": self.instance, "generation": self.generation}
            problems = list(self.problems)
        return event_message("hello", state) + event_message("problems", problems)

    def announce(self, ok: bool, changed: list[str], errors: list[dict[str, object]]) -> None:
        """After a build: errors if they changed, then "css" or "reload" if files changed."""
        reload = ok and bool(changed)
        with self._lock:
            problems_changed = errors != self.problems
            self.problems = errors
            if reload:
                self.generation += 1
            generation = self.generation
            self.builds += 1
            self._lock.notify_all()
        if problems_changed:
            self.hub.publish("problems", errors)
        if reload:
            only_css = all(name.endswith(".css") for name in changed)
            data = {"generation": generation, "changed": changed[:100]}
            self.hub.publish("css" if only_css else "reload", data)

    def wait_for_builds(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` builds have finished (for tests and tools)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.builds >= count, timeout)


class PreviewHTTPServer(ThreadingHTTPServer):
    """One thread per connection, so an open event stream or a slow client blocks no one."""

    daemon_threads = True
    request_queue_size = socket.SOMAXCONN
    """Connections the kernel holds while they wait to be accepted (as many as it allows).
    socketserver's 5, or even 128, drops the rest of a burst: they retry a second later."""

    def __init__(self, address: tuple[str, int], live: LiveState) -> None:
        self.live = live
        self._connections: set[Request] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, RequestHandler)
        self.hosts = HostCheck(address[0], str(self.server_address[0]))

    def process_request(self, request: Request, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections so their threads finish now, not at a timeout."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            if isinstance(connection, socket.socket):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Request, client_address: Any) -> None:
        """A browser closing a tab mid-response is normal, not worth a traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class RequestHandler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "briefing-preview"
    timeout = 60
    """Idle kept-alive connections end after this many seconds."""
    disable_nagle_algorithm = True
    """Headers and body go out as two writes: with Nagle's algorithm the body waits for the
    client's delayed acknowledgement, 40 ms per response on a kept-alive connection."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _refuse_method(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"Only GET and HEAD.\n", "text/plain", False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal is for rebuilds and problems."""

    def _respond(self, head: bool) -> None:
        if not self.server.hosts.host_allowed(self.headers.get("Host")):
            message = b"This preview only answers to localhost and the address it listens on.\n"
            self._send(HTTPStatus.FORBIDDEN, message, "text/plain; charset=utf-8", head)
            return
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == EVENTS:
            self._events(head)
        elif path == CLIENT:
            self._send(HTTPStatus.OK, CLIENT_FILE.read_bytes(), content_type(CLIENT), head)
        elif path.startswith(PREFIX):
            self._not_found(head)
        else:
            self._file(path, head)

    def _file(self, path: str, head: bool) -> None:
        live = self.server.live
        tag = live.script_tag()
        found = self._open(path)
        if found is None:
            # Maybe a rebuild is swapping the site in right now: wait for it and look again.
            with locked(live.out):
                found = self._open(path)
        if found is None:
            self._not_found(head, tag)
        elif isinstance(found, str):
            query = self.path.partition("?")[2]
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found + (f"?{query}" if query else ""))
            self.send_header("Content-Length", "0")
            self._common_headers()
            self.end_headers()
        else:
            name, handle = found
            with handle:
                self._send_file(name, handle, head, tag)

    def _open(self, path: str) -> tuple[str, BinaryIO] | str | None:
        target = locate(self.server.live.out, path)
        if target is None or isinstance(target, str):
            return target
        try:
            return target.name, target.open("rb")
        except OSError:
            return None

    def _send_file(self, name: str, handle: BinaryIO, head: bool, tag: bytes) -> None:
        kind = content_type(name)
        if kind.startswith("text/html"):
            self._send(HTTPStatus.OK, inject(handle.read(), tag), kind, head)
            return
        size = os.fstat(handle.fileno()).st_size
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self._common_headers()
        self.end_headers()
        if not head:
            while chunk := handle.read(64 * 1024):
                self.wfile.write(chunk)

    def _not_found(self, head: bool, tag: bytes | None = None) -> None:
        live = self.server.live
        page = locate(live.out, "/404.html")
        body = page.read_bytes() if isinstance(page, Path) else NOT_FOUND
        body = inject(body, tag or live.script_tag())
        self._send(HTTPStatus.NOT_FOUND, body, content_type("404.html"), head)

    def _events(self, head: bool) -> None:
        live = self.server.live
        origin, fetch_site = self.headers.get("Origin"), self.headers.get("Sec-Fetch-Site")
        if not self.server.hosts.same_origin(origin, fetch_site):
            refusal = b"The live-reload stream is for this preview's own pages.\n"
            self._send(HTTPStatus.FORBIDDEN, refusal, "text/plain; charset=utf-8", head)
            return
        client = live.hub.subscribe()
        self.close_connection = True
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self._common_headers()
            self.end_headers()
            if head:
                return
            self.wfile.write(b"retry: 1000\n\n" + live.hello())
            while True:
                message: bytes | None
                try:
                    message = client.get(timeout=15)
                except queue.Empty:
                    message = b": still here\n\n"
                if message is None:
                    return
                self.wfile.write(message)
        except OSError:
            return
        finally:
            live.hub.unsubscribe(client)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers()
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
