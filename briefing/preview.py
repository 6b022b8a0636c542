"""``briefing serve``: build into a private folder, serve it, rebuild on every save.

One ``Preview`` owns the whole session: the builder (kept in memory so rebuilds redo only
what changed), the watcher and its debouncer (one rebuild thread, never two builds at once),
the HTTP server and the state the browsers are told about. Pages are built into
``.briefing-cache/preview/site``, never into ``public/``.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from briefing.build import Builder, BuildOptions, BuildResult
from briefing.cache import BUILD, PREVIEW
from briefing.config import CONFIG_FILE
from briefing.errors import ContentError
from briefing.server import WILDCARD, LiveState, PreviewHTTPServer
from briefing.watch import Debouncer, SiteWatcher, describe, polling_hint
from briefing.workers import default_workers

PREVIEW_DIR = Path(".briefing-cache") / "preview" / "site"
SETTLE_EVERY = 25
"""Builds between full collections of the session's memory."""


class CannotListen(Exception):
    """The address or port is taken or not allowed; said to the user as it is."""


@dataclass(frozen=True)
class PreviewOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    """0 picks a free port."""
    drafts: bool = False
    future: bool = False
    poll: bool = False
    """Poll the disk instead of waiting for inotify events (network drives, WSL, Docker)."""


class Preview:
    """One previewed site: start it, let it rebuild on saves, stop it."""

    def __init__(
        self,
        root: Path,
        options: PreviewOptions,
        say: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.options = options
        self.say = say or _say
        """Where rebuild lines and problems go (the terminal)."""
        self.clock = clock or (lambda: datetime.now(UTC))
        self.live = LiveState(self.root / PREVIEW_DIR)
        self.url = ""
        self.watcher: SiteWatcher | None = None
        """Made once the first build is done: watchdog's inotify observer starts a thread
        as it is made, and that build forks its workers only while it is the one thread."""
        self.debouncer = Debouncer(self.rebuild)
        self._shown: set[str] = set()
        self._builds = 0
        self._stopped = threading.Event()
        self._builder: Builder | None = None
        self._building = threading.Lock()
        """Held by each build, and by ``stop`` while it saves the cache."""
        self._httpd: PreviewHTTPServer | None = None
        self._serving: threading.Thread | None = None

    @property
    def out(self) -> Path:
        return self.live.out

    def start(self) -> None:
        """Listen, build once, then watch and serve in background threads.

        The socket is bound first: with ``port=0`` the build needs the port it got, since
        feeds and canonical links point at the preview."""
        try:
            self._httpd = PreviewHTTPServer((self.options.host, self.options.port), self.live)
        except OSError as exc:
            raise CannotListen(
                f"cannot listen on {self.options.host}:{self.options.port} "
                f"({exc.strerror or exc}); choose another with --port"
            ) from exc
        host, port = self._httpd.server_address[:2]
        shown = "127.0.0.1" if self.options.host in WILDCARD else str(host)
        self.url = f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
        options = BuildOptions(
            now=self.clock(),
            drafts=self.options.drafts,
            future=self.options.future,
            base_url=self.url,
            out=self.out,
            search=False,  # re-indexing every page on every save would cost seconds
        )
        # The first build is the big one. Until the watcher and server threads start, this
        # is the only thread (unless the caller has its own), so forking workers is safe.
        alone = threading.active_count() == 1
        # It starts from the last session's cache (a store of its own: the output and
        # options differ from the CLI's), and the rest stay in memory.
        self._builder = Builder(
            self.root,
            replace(options, workers=default_workers() if alone else 1),
            persistent=True,
            store=PREVIEW,
            seed=BUILD,
            resident=True,
        )
        self.rebuild([])
        self._builder.options = options
        self._builder.persistent = False
        try:
            self.watcher = SiteWatcher(self.root, self._notice, poll=self.options.poll)
            self.watcher.start()
        except OSError as exc:
            # Typically the inotify watch limit: polling sees every save, only later.
            self.say(f"note: cannot watch for saves ({exc}); polling the disk instead")
            self.watcher = SiteWatcher(self.root, self._notice, poll=True)
            self.watcher.start()
        self.debouncer.start()
        # A save made while the first build ran (18 s at 10,000 articles) came before the
        # watcher: build it now rather than with the editor's next save.
        for path in self._builder.changed_on_disk():
            self.debouncer.notify(path)
        self._serving = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="briefing-serve",
            daemon=True,
        )
        self._serving.start()

    def stop(self) -> None:
        """Finish a running build, stop watching, close streams, connections and the socket."""
        self._stopped.set()
        self.debouncer.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self.live.hub.close()
        if self._httpd is not None:
            if self._serving is not None:
                self._httpd.shutdown()
                self._serving.join(timeout=5)
            self._httpd.close_connections()
            self._httpd.server_close()
        if self._builder is not None:
            with self._building:
                # What the output now holds: without it, the next session would not trust
                # one page of it after a single save, and render all of them again.
                self._builder.save()

    def wait(self) -> None:
        """Block until ``stop`` is called; Ctrl-C interrupts the wait."""
        self._stopped.wait()

    def rebuild(self, changes: list[str]) -> None:
        """Build, report it, tell the browsers. The files the watcher named are built at
        once; then, since a watcher can miss a save, everything on disk is looked at and
        anything it missed follows."""
        if self.watcher is not None:
            self.watcher.refresh()
        result, seconds = self._build(changes or None)
        self._report(result, changes, seconds)
        self._announce(result)
        if result.trusted:
            checked, seconds = self._build(None)
            if checked.changed or checked.problems != result.problems:
                self._report(checked, changes, seconds)
                self._announce(checked)
        self._settle_memory()

    def _build(self, changed: list[str] | None) -> tuple[BuildResult, float]:
        assert self._builder is not None
        started = time.perf_counter()
        try:
            with self._building:
                result = self._builder.build(now=self.clock(), changed=changed)
        except Exception as exc:
            traceback.print_exc()
            failure = ContentError(
                "briefing",
                None,
                f"the build failed unexpectedly: {exc!r}",
                hint="this is a bug in briefing; the terminal shows the details",
            )
            result = BuildResult([failure])
        return result, time.perf_counter() - started

    def _announce(self, result: BuildResult) -> None:
        errors = [problem.as_dict() for problem in result.problems if not problem.warning]
        self.live.announce(result.ok, result.changed, errors)

    def _settle_memory(self) -> None:
        """The session keeps a whole site's model between builds. Once this build's own
        cycles are collected, it is frozen out of the cyclic collector's way, which
        otherwise walked those millions of live objects again during every rebuild (0.5 of
        2.1 s after one edit at 10,000 articles). Every so often everything is unfrozen and
        collected, so cycles that die later are not kept for long."""
        self._builds += 1
        if self._builds % SETTLE_EVERY == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _notice(self, path: str) -> None:
        self.debouncer.notify(path)

    def _report(self, result: BuildResult, changes: list[str], seconds: float) -> None:
        """Each problem once (not again on every rebuild while it lasts), then one line."""
        for problem in result.problems:
            if problem.format() not in self._shown:
                self.say(problem.format())
        self._shown = {problem.format() for problem in result.problems}
        cause = describe(changes) if changes else "first build"
        errors = sum(1 for problem in result.problems if not problem.warning)
        if not result.ok:
            plural = "s" if errors != 1 else ""
            self.say(
                f"{cause}: {errors} error{plural}, still serving the last good pages "
                f"({seconds:.2f} s)"
            )
        elif not changes:
            self.say(f"Built {result.pages} pages in {seconds:.2f} s")
        else:
            self.say(f"{cause}: {len(result.changed)} files updated in {seconds:.2f} s")


def serve(root: Path, options: PreviewOptions, open_browser: bool = False) -> int:
    """Run the preview until Ctrl-C: 0 on a clean stop, 2 when it cannot start."""
    if not (root / CONFIG_FILE).is_file():
        _say(f"briefing: {root} has no {CONFIG_FILE}; is it a site? (briefing init makes one)")
        return 2
    preview = Preview(root, options)
    try:
        try:
            preview.start()
        except CannotListen as exc:
            _say(f"briefing: {exc}")
            return 2
        _say(f"Serving {root} at {preview.url} (Ctrl-C to stop)")
        if options.host in WILDCARD:
            _say(
                "warning: --host 0.0.0.0 lets other machines on your network see this preview, "
                "drafts included"
            )
        hint = "" if options.poll else polling_hint(preview.root)
        if hint:
            _say(f"note: {hint}")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(preview.url,), daemon=True).start()
        preview.wait()
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C while stopping
            preview.stop()
    _say("Stopped.")
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
