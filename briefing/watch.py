"""Notice saves to what a build reads, and turn a burst of them into one rebuild.

Editors save by writing temp files and renaming, ``git checkout`` touches hundreds of files,
and network mounts drop events. So every event is only a hint: it is filtered, then a
quiet moment is awaited, then the whole site is built again from what is on disk.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from briefing.config import CONFIG_FILE
from briefing.content import is_ignored
from briefing.theme import builtin_theme_dir

CHANGES = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    FileClosedEvent,
    FileAttribEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]
"""Everything that can change what a build reads. Opening and reading a file is left out:
the build itself reads every file, and must not wake the watcher up again. A folder's own
"modified" event is left out too: it only echoes a change to a file inside it, which may be
an ignored temp file."""

NETWORK_FILESYSTEMS = re.compile(r"^(nfs4?|cifs|smb3?|smbfs|9p|drvfs|v9fs|vboxsf|fuse(\..*)?)$")
"""Mounts that deliver no inotify events for saves made on the other side."""


def is_theme_temp(name: str) -> bool:
    """Editor temp files in a theme. Templates like ``_macros.html`` are real files here: the
    underscore only marks an editor's notes under content/."""
    return is_ignored(name.lstrip("_"))


class SiteWatcher:
    """Watches site.yaml, content/, themes/ and the built-in theme; reports relevant paths.

    ``on_change`` receives the path that changed, relative to the site folder where it can be
    (``content/2026-11-26/comet.md``), from watchdog's thread.
    """

    def __init__(self, root: Path, on_change: Callable[[str], None], *, poll: bool) -> None:
        self.root = root.resolve()
        self.on_change = on_change
        self.observer: BaseObserver = PollingObserver(timeout=0.5) if poll else Observer()
        self._watches: dict[Path, tuple[ObservedWatch, tuple[int, int]]] = {}
        self._lock = threading.Lock()

    def folders(self) -> list[tuple[Path, bool]]:
        """(folder, recursive) pairs: the site folder itself for site.yaml, and the trees."""
        wanted = [(self.root, False), (self.root / "content", True), (self.root / "themes", True)]
        builtin = builtin_theme_dir().resolve()
        if not builtin.is_relative_to(self.root / "themes"):
            wanted.append((builtin, True))
        return wanted

    def start(self) -> None:
        self.refresh()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)

    def refresh(self) -> None:
        """Watch folders that appeared since the last look (a new content/), and watch again
        any that was replaced (``rm -r content && git checkout content``): an inotify watch
        follows the old folder, not the name."""
        with self._lock:
            for folder, recursive in self.folders():
                identity = _identity(folder)
                watched = self._watches.get(folder)
                if watched is not None and watched[1] != identity:
                    self.observer.unschedule(watched[0])
                    del self._watches[folder]
                    watched = None
                if watched is None and identity is not None:
                    handler = _Handler(self, folder)
                    watch = self.observer.schedule(
                        handler, str(folder), recursive=recursive, event_filter=CHANGES
                    )
                    self._watches[folder] = (watch, identity)

    def relevant(self, folder: Path, path: Path) -> str | None:
        """The site path to report for an event at ``path`` seen under ``folder``, or None."""
        try:
            parts = path.relative_to(folder).parts
        except ValueError:
            return None
        if not parts:
            return None
        if folder == self.root:
            return parts[0] if parts[0] in (CONFIG_FILE, "content", "themes") else None
        check = is_ignored if folder.name == "content" else is_theme_temp
        if any(check(part) for part in parts):
            return None
        if folder.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return "(built-in theme)/" + "/".join(parts)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path now (device, inode), or None when there is none."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if folder.is_dir() else None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: SiteWatcher, folder: Path) -> None:
        self.watcher = watcher
        self.folder = folder

    def on_any_event(self, event: FileSystemEvent) -> None:
        if type(event) not in CHANGES:
            return
        paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        for raw in paths:
            path = Path(os.fsdecode(raw))
            name = self.watcher.relevant(self.folder, path)
            if name is not None:
                self.watcher.on_change(name)


class Debouncer:
    """Runs ``action`` on one worker thread once the notices have paused.

    A burst is over after ``quiet`` seconds without a notice, or ``max_wait`` seconds after
    it began, so a steady trickle of saves still shows up. An editor's save, even by way of
    a temp file and a rename, is over within milliseconds: 30 ms of quiet is enough, and
    the save shows sooner (a burst split in two only costs a second, correct, build).
    Notices that arrive while the action runs start the next round: never two actions at
    once, and the last one always follows the last notice.
    """

    def __init__(
        self,
        action: Callable[[list[str]], None],
        *,
        quiet: float = 0.03,
        max_wait: float = 1.0,
    ) -> None:
        self.action = action
        self.quiet = quiet
        self.max_wait = max_wait
        self._pending: dict[str, None] = {}
        self._first = self._last = 0.0
        self._running = False
        self._idle_since = time.monotonic()
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="briefing-rebuild", daemon=True)

    def notify(self, path: str) -> None:
        with self._wake:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending[path] = None
            self._wake.notify()

    def idle_for(self) -> float:
        """Seconds since the last action ended with nothing pending; 0 while busy."""
        with self._wake:
            if self._running or self._pending:
                return 0.0
            return time.monotonic() - self._idle_since

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _next_burst(self) -> list[str] | None:
        """Wait for a burst to end; None when stopping."""
        with self._wake:
            while not self._stopping:
                if self._pending:
                    deadline = min(self._last + self.quiet, self._first + self.max_wait)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        burst = list(self._pending)
                        self._pending.clear()
                        self._running = True
                        return burst
                    self._wake.wait(remaining)
                else:
                    self._wake.wait()
        return None

    def _run(self) -> None:
        while (burst := self._next_burst()) is not None:
            try:
                self.action(burst)
            finally:
                with self._wake:
                    self._running = False
                    self._idle_since = time.monotonic()


def mount_type(path: Path, mounts: str) -> str:
    """The file system type of the mount holding ``path``, from /proc/mounts text."""
    target = path.resolve()
    best, kind = Path("/"), ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(_unescape(fields[1]))
        if target.is_relative_to(point) and len(point.parts) >= len(best.parts):
            best, kind = point, fields[2]
    return kind


def polling_hint(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str:
    """Why to use --poll here, or "" when inotify should see every save."""
    try:
        mounts = mounts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kind = mount_type(path, mounts)
    if not NETWORK_FILESYSTEMS.match(kind):
        return ""
    return (
        f"the site is on a {kind} mount, which may not report saves; "
        "if the preview misses your edits, restart with --poll"
    )


def _unescape(field: str) -> str:
    """/proc/mounts writes a space as \\040."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def describe(paths: Iterable[str], limit: int = 2) -> str:
    """``content/a.md, site.yaml and 3 more``: a rebuild's cause in one line."""
    names = sorted(set(paths))
    shown = ", ".join(names[:limit])
    extra = len(names) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown
