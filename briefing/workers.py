"""Use every core for the per-file work of a cold build.

Workers are forked, so the function and the items (the model, the theme, the resolver)
reach them by inheritance, not pickling; only results travel back. Output is the same as
a serial run: results come back in input order. Small jobs and platforms without ``fork``
run serially, and so do the preview's rebuilds, which run beside its watcher and server
threads (forking a process with threads is unsafe); its first build, before those start,
forks like the CLI.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 64
"""Below this, starting processes costs more than it saves."""

CAN_FORK = hasattr(os, "fork")
"""Whether this platform forks (not Windows): a forked worker inherits the work."""

_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""Set in each forked worker by its initializer; never in the parent process."""


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """For taking in many long-lived objects at once (a loaded cache, the workers'
    results): none of them is garbage, yet the cyclic collector would walk them again and
    again as they arrive (it tripled the cache's load time, and cost a cold build of 10,000
    articles about 4 s). Afterwards they are frozen out of its way for the rest of the
    process; reference counting still frees them like any other object."""
    was_enabled = gc.isenabled()
    gc.collect()  # nothing that is already garbage gets frozen
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()


class Background:
    """What a task run by ``in_background`` makes: calling it waits for the child and
    returns what the task returned, or None if it failed."""

    def __init__(self, child: int, reading: int) -> None:
        self._child, self._reading = child, reading
        self._result: list[bytes | None] = []

    @classmethod
    def done_here(cls, made: bytes | None) -> Background:
        background = cls(0, -1)
        background._result.append(made)
        return background

    def done(self) -> bool:
        """Whether calling it would not wait: the child has begun to say what it made,
        or has ended."""
        if self._result:
            return True
        try:
            readable, _, _ = select.select([self._reading], [], [], 0)
        except (OSError, ValueError):  # a descriptor select cannot take: ask no more
            return True
        return bool(readable)

    def __call__(self) -> bytes | None:
        if not self._result:
            # Read before waiting: a child with more to say than the pipe holds would
            # otherwise wait for the reader as the reader waits for it.
            with open(self._reading, "rb") as pipe:
                made = pipe.read()
            _, status = os.waitpid(self._child, 0)
            self._result.append(made if os.waitstatus_to_exitcode(status) == 0 else None)
        return self._result[0]


def in_background(task: Callable[[], bytes]) -> Background:
    """Run ``task`` in a forked child while the caller goes on with other work. Run here
    and now where forking is impossible or unsafe (another thread may hold a lock the
    child would need)."""
    if not CAN_FORK or threading.active_count() > 1:
        try:
            return Background.done_here(task())
        except Exception:
            return Background.done_here(None)
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            os.close(reading)
            with open(writing, "wb") as pipe:
                pipe.write(task())
            code = 0
        finally:
            os._exit(code)  # not the parent's exit handlers, nor its buffered output
    os.close(writing)
    return Background(child, reading)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _start(function: Callable[[Any], Any], items: Sequence[Any]) -> None:
    global _job
    _job = (function, items)
    gc.enable()  # forked while the parent's collector was paused; rendering makes garbage


def _run(bounds: tuple[int, int]) -> list[Any]:
    assert _job is not None
    function, items = _job
    return [function(items[index]) for index in range(*bounds)]


def fork_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``[function(item) for item in items]``, spread over ``workers`` processes.

    ``progress(done, total)`` is called as results come in, for a person watching.
    """
    return list(fork_imap(function, items, workers, progress))


def fork_imap(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Result]:
    """``fork_map``, handing over each result, in order, as soon as its batch is done:
    the caller can write what is finished while the workers make the rest."""
    report = progress or (lambda done, total: None)
    if workers <= 1 or len(items) < MIN_ITEMS or not CAN_FORK:
        for done, item in enumerate(items, 1):
            yield function(item)
            if done % 100 == 0:
                report(done, len(items))
        report(len(items), len(items))
        return
    # Small batches: the last one runs alone while the other cores wait. At a quarter of
    # this size, the tails of 10,000 bodies and 11,500 pages left a core idle for about
    # 1.2 s of a cold build (measured with a /proc/stat sampler).
    chunk = max(16, len(items) // (workers * 32))
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    # Imported here: a build with nothing to fork (an edit, a rebuild) need not pay for it.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with collector_paused():
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start, initargs=(function, items)
        )
        try:
            done = 0
            for part in pool.map(_run, bounds):
                done += len(part)
                yield from part
                report(done, len(items))
        finally:
            # A caller that stops early (an error while writing) need not wait for the rest.
            pool.shutdown(cancel_futures=True)
