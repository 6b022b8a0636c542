"""The ``briefing`` command: arguments in, exit codes out.

0: done. 1: the content has errors (all of them are listed). 2: the command was used wrong.
Progress and summaries go to an interactive terminal only; problems are always shown.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

# Only what every command needs is imported here; each command imports the rest, and a
# build starts looking at the content first (``_build``).
from briefing import __version__
from briefing.content import Discovery
from briefing.errors import ContentError, has_errors
from briefing.workers import default_workers

if TYPE_CHECKING:
    from briefing.build import BuildResult

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def build_clock() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def _web_address(text: str) -> str:
    """--base-url must be a full web address: anything else breaks every link."""
    from briefing.schema import is_web_url

    if not is_web_url(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a web address; write e.g. https://example.org/briefing/"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing", description="Build and preview a daily news briefing."
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def site_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "site", nargs="?", default=".", type=Path, help="the site folder (default: here)"
        )
        command.add_argument(
            "--drafts", action="store_true", help="include articles marked draft: true"
        )
        command.add_argument(
            "--future", action="store_true", help="include articles dated in the future"
        )
        command.add_argument(
            "--base-url",
            type=_web_address,
            help="publish under this address instead of site.yaml's base_url",
        )
        command.add_argument(
            "--jobs",
            type=int,
            default=default_workers(),
            help="processes for a cold build (default: one per core)",
        )
        command.add_argument(
            "--strict", action="store_true", help="treat warnings (e.g. missing alt text) as errors"
        )

    build_cmd = commands.add_parser("build", help="build the site into public/")
    site_options(build_cmd)
    build_cmd.add_argument("--out", type=Path, help="the output folder (default: SITE/public)")
    build_cmd.add_argument(
        "--no-cache",
        action="store_true",
        help="build without the build cache (processed photos are still reused: "
        "`briefing clean` removes them)",
    )

    clean_cmd = commands.add_parser("clean", help="remove the build cache (.briefing-cache/)")
    clean_cmd.add_argument("site", nargs="?", default=".", type=Path, help="the site folder")

    check_cmd = commands.add_parser("check", help="check everything, write nothing")
    site_options(check_cmd)

    new_cmd = commands.add_parser("new", help="start a new article in today's folder")
    new_cmd.add_argument("title", help='the headline, in quotes: "Port strike ends"')
    new_cmd.add_argument("--date", help="the article's day or date-time (default: now)")
    new_cmd.add_argument("--section", default="", help="the section, e.g. World")
    new_cmd.add_argument(
        "--site", type=Path, default=Path("."), help="the site folder (default: here)"
    )

    serve_cmd = commands.add_parser("serve", help="preview the site, rebuilding on every save")
    serve_cmd.add_argument(
        "site", nargs="?", default=".", type=Path, help="the site folder (default: here)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="default 8000; 0: any free port")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="default 127.0.0.1; 0.0.0.0 shares it on your network"
    )
    serve_cmd.add_argument("--drafts", action="store_true", help="include drafts")
    serve_cmd.add_argument("--future", action="store_true", help="include future articles")
    serve_cmd.add_argument("--open", action="store_true", help="open it in your browser")
    serve_cmd.add_argument(
        "--poll", action="store_true", help="poll for saves (network drives, WSL, Docker mounts)"
    )

    init_cmd = commands.add_parser("init", help="create a new briefing site")
    init_cmd.add_argument("directory", type=Path, help="where to create it")

    deploy_cmd = commands.add_parser(
        "deploy", help="publish the built site to the targets in site.yaml's deploy:"
    )
    deploy_cmd.add_argument(
        "site", nargs="?", default=".", type=Path, help="the site folder (default: here)"
    )
    deploy_cmd.add_argument(
        "--target", metavar="NAME", help="only this target (default: every one)"
    )
    deploy_cmd.add_argument(
        "--dry-run", action="store_true", help="list what would change, touch nothing"
    )
    deploy_cmd.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        type=Path,
        help="the built site to publish (default: SITE/public)",
    )

    email_cmd = commands.add_parser("email", help="write a day's edition as a newsletter .eml")
    email_cmd.add_argument(
        "day",
        nargs="?",
        metavar="YYYY-MM-DD",
        help="the edition's day, YYYY-MM-DD (default: latest)",
    )
    email_cmd.add_argument(
        "--site", type=Path, default=Path("."), help="the site folder (default: here)"
    )
    email_cmd.add_argument(
        "--out",
        metavar="FILE",
        type=Path,
        help="the .eml to write (default: SITE/outbox/DAY.eml; - for stdout)",
    )
    return parser


def run() -> NoReturn:
    """The ``briefing`` command: ``main``, then out of the process at once. A build holds
    half a million objects at 10,000 articles; freeing them one by one on the way out
    took 0.06 s of a 0.7 s edit, and the system takes the memory back whole. (mypy
    leaves the same way, for the same reason.)"""
    # What the imports made lives as long as the process: out of the cyclic collector's
    # way, its first pass over a loaded cache (``workers.collector_paused``) does not walk
    # it again (0.016 s).
    gc.freeze()
    held: list[object] = []
    code = main(sys.argv[1:], held)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None, held: list[object] | None = None) -> int:
    """``held``: where the build's memory is left for the caller to free (``run``)."""
    args = _parser().parse_args(argv)
    try:
        if args.command in ("build", "check"):
            return _build(args, [] if held is None else held)
        if args.command == "clean":
            from briefing.cache import clean as clean_cache

            removed = clean_cache(args.site)
            _say("Removed the build cache." if removed else "There was no build cache.")
            return EXIT_OK
        if args.command == "serve":
            from briefing.preview import PreviewOptions, serve

            options = PreviewOptions(args.host, args.port, args.drafts, args.future, args.poll)
            return serve(args.site, options, open_browser=args.open)
        if args.command == "deploy":
            from briefing.deploy import command as deploy

            return deploy(args.site, args.target, args.source, args.dry_run)
        if args.command == "email":
            from briefing.email import command as email

            return email(args.site, args.day, args.out)
        if args.command in ("new", "init"):
            return _scaffold(args)
    except KeyboardInterrupt:
        print("briefing: interrupted; the previous site is unchanged", file=sys.stderr)
        return 130
    return EXIT_USAGE


def _scaffold(args: argparse.Namespace) -> int:
    from briefing.scaffold import ScaffoldError, init_site, new_article

    try:
        if args.command == "new":
            print(new_article(args.site, args.title, args.date, args.section, build_clock()))
            return EXIT_OK
        init_site(args.directory, build_clock())
    except ScaffoldError as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    _say(f"Created a site in {args.directory}; next: cd {args.directory} && briefing build")
    return EXIT_OK


def _build(args: argparse.Namespace, held: list[object]) -> int:
    site: Path = args.site
    if not site.is_dir():
        print(f"briefing: {site} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    # Every file under content/ is looked at in a child process while this one imports
    # the rest of briefing, the build's, on the other core: 0.1 s of a build at 10,000
    # articles that has little or nothing to do.
    discovering = Discovery(site, site / "content") if args.command == "build" else None
    from briefing.build import Builder, BuildOptions, prepare
    from briefing.cache import PREVIEW
    from briefing.output import OutputRefused, check_output

    options = BuildOptions(
        now=build_clock(),
        drafts=args.drafts,
        future=args.future,
        base_url=args.base_url,
        out=getattr(args, "out", None),
        strict_links=args.command == "check",
        workers=max(1, args.jobs),
        progress=TerminalProgress() if sys.stderr.isatty() else None,
        strict=args.strict,
    )
    started = time.perf_counter()
    if args.command == "check":
        _, problems = prepare(site, options)
        report(problems, building=False)
        if has_errors(problems):
            return EXIT_CONTENT
        _say("Everything checks out.")
        return EXIT_OK
    try:
        check_output(options.out or site / "public", site)
    except OutputRefused as refusal:
        print(f"briefing: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    builder = Builder(site, options, persistent=not args.no_cache, seed=PREVIEW)
    held.append(builder)
    result = builder.build(discovering=discovering)
    report(result.problems)
    if not result.ok:
        return EXIT_CONTENT
    _say(_summary(result, time.perf_counter() - started, options.out or site / "public"))
    return EXIT_OK


class TerminalProgress:
    """One line that updates in place: the stage, how many of how many, the time so far.
    Only for a person at a terminal: logs and pipes get nothing."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.shown = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.shown < 0.1:
            return
        self.shown = now
        line = f"  {stage}: {done:,} of {total:,} ({now - self.started:.1f} s)"
        end = "\n" if done >= total else ""
        print(f"\r{line:<60}", end=end, file=sys.stderr, flush=True)


def report(problems: list[ContentError], *, building: bool = True) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    errors = sum(1 for p in problems if not p.warning)
    if errors:
        count = f"{errors} error{'s' if errors != 1 else ''}"
        if building:
            count += ": nothing was written, the previous site is unchanged"
        print(count + ".", file=sys.stderr)


def _summary(result: BuildResult, seconds: float, out: Path) -> str:
    stats = result.stats
    detail = (
        f" ({stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed)"
        if stats
        else ""
    )
    return f"Built {result.pages} pages{detail} in {seconds:.2f} s into {out}"


def _say(message: str) -> None:
    """Progress is for people watching; logs and pipes get only problems."""
    if sys.stderr.isatty():
        print(message, file=sys.stderr)
