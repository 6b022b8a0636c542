"""Shared by the robustness tests (issue 6): the real ``briefing`` command as a child process,
whole-folder states to prove nothing else was touched, and a ``briefing serve`` process
whose memory can be read from /proc.

Every wait has a deadline; every child process is ended (by its own pid) when the test ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conftest import NOW, Run

EPOCH = str(int(NOW.timestamp()))
COMMAND = [sys.executable, "-m", "briefing"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child ``briefing``: the tests' build clock, unbuffered output."""
    return {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONUNBUFFERED": "1", **extra}


def cli(*args: str | Path, timeout: float = 300, preexec: object = None) -> Run:
    """``briefing ARGS`` as a separate process, the way an editor or CI runs it."""
    done = subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )
    return Run(done.returncode, done.stdout, done.stderr)


def start(*args: str | Path, log: Path) -> subprocess.Popen[bytes]:
    """``briefing ARGS`` started in the background, its output going to ``log``."""
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [*COMMAND, *map(str, args)], stdout=sink, stderr=subprocess.STDOUT, env=child_env()
        )


def end(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Make sure a child we started is gone (by its pid only)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=timeout)


@dataclass(frozen=True)
class Entry:
    kind: str
    """file, dir or link."""
    digest: str = ""
    mtime: int = 0
    target: str = ""


def tree_state(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, Entry]:
    """Everything under ``folder``: files with their bytes' digest and modification time,
    folders, and links (not followed). Names starting with one of ``skip`` are left out."""
    state: dict[str, Entry] = {}
    for parent, folders, files in os.walk(folder):
        for name in (*folders, *files):
            path = Path(parent, name)
            relative = path.relative_to(folder).as_posix()
            if relative.startswith(skip):
                continue
            if path.is_symlink():
                state[relative] = Entry("link", target=os.readlink(path))
            elif path.is_dir():
                state[relative] = Entry("dir")
            else:
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                state[relative] = Entry("file", digest, path.stat().st_mtime_ns)
    return state


def changes(before: Mapping[str, Entry], after: Mapping[str, Entry]) -> list[str]:
    """What differs between two tree states, one line per path."""
    lines = [f"new: {name}" for name in sorted(after.keys() - before.keys())]
    lines += [f"gone: {name}" for name in sorted(before.keys() - after.keys())]
    lines += [
        f"changed: {name}"
        for name in sorted(before.keys() & after.keys())
        if before[name] != after[name]
    ]
    return lines


_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def obey_permissions() -> None:
    """Run in a child before it starts briefing: as root, give up the capabilities that let
    root write where file modes say no, so a read-only folder is read-only for it too.
    (A non-root user obeys them anyway; root needs CAP_SETPCAP, which root has.)"""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "could not drop the capability")


@dataclass
class Server:
    """A ``briefing serve`` process on a free loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory of the server process, from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        assert found, status
        return int(found.group(1))

    def alive(self) -> bool:
        return self.process.poll() is None


@contextlib.contextmanager
def serving(root: Path, timeout: float = 300) -> Iterator[Server]:
    """``briefing serve ROOT --port 0`` until the block ends (then Ctrl-C, as a person would)."""
    process = subprocess.Popen(
        [*COMMAND, "serve", str(root), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    said: list[str] = []
    try:
        while True:
            line = lines.get(timeout=timeout)
            assert line is not None, f"the server ended early: {''.join(said)}"
            said.append(line)
            found = re.search(r"Serving .* at http://127\.0\.0\.1:(\d+)/", line)
            if found:
                break
        server = Server(process, int(found.group(1)), said)

        def keep_reading() -> None:
            while (line := lines.get()) is not None:
                server.lines.append(line)

        threading.Thread(target=keep_reading, daemon=True).start()
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        reader.join(timeout=30)
