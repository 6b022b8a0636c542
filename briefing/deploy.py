"""``briefing deploy``: publish the built site to the targets in site.yaml's ``deploy:``.

Deploy publishes what ``briefing build`` left in ``public/``; it does not build. What goes
out is exactly what was built, checked and previewed; build and deploy stay two steps a CI
job can tell apart; and a deploy needs no clock. A ``public/`` built for another address
(``--base-url``) is refused, so a preview build never reaches production.

Every target compares content hashes with what it already holds and sends only the
difference, in an order readers never notice: new files first, then changed files (pages
after the pictures and styles they use, deeper pages before the listings that link to
them), and deletions last. A deploy that fails half-way leaves a complete site; running it
again finishes the job.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from html import unescape
from pathlib import Path

from briefing.config import normalise_base_url, read_site_yaml
from briefing.errors import ContentError, has_errors, sort_problems
from briefing.output import KEEP, MARKER, Content, finish_interrupted, locked, publish
from briefing.schema import FieldReader

SECRET_NAME = re.compile(
    r"secret|password|passwd|passphrase|token|credential|access_?key|key_?id|api_?key|"
    r"private|^key$",
    re.IGNORECASE,
)
"""Setting names that hold credentials: refused, because site.yaml is committed and shared."""
_SECRET_HINT = (
    "site.yaml is committed and shared: remove the line and set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY in the environment, or name a profile of ~/.aws/credentials "
    "with `profile:`"
)
FOLDER_SETTINGS = ("type", "path", "base_url")
S3_SETTINGS = (
    "type",
    "bucket",
    "prefix",
    "endpoint_url",
    "region",
    "profile",
    "cache_control",
    "gzip",
    "base_url",
)


@dataclass(frozen=True)
class FolderTarget:
    """A local or mounted folder a web server reads."""

    name: str
    path: Path
    base_url: str = ""
    """The address the site must have been built for; default: site.yaml's base_url."""

    @property
    def where(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class S3Target:
    """A bucket (and key prefix) of any S3-compatible store: AWS, R2, MinIO, B2."""

    name: str
    bucket: str
    prefix: str = ""
    """``""`` or a folder-like prefix ending in ``/``."""
    endpoint_url: str = ""
    region: str = ""
    profile: str = ""
    cache_control: tuple[tuple[str, str], ...] = ()
    """(pattern, header value) in site.yaml order; the first pattern that matches wins."""
    gzip: bool = False
    """Upload text files gzip-compressed, with ``Content-Encoding: gzip``."""
    base_url: str = ""

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


Target = FolderTarget | S3Target


class DeployError(Exception):
    """A deploy that could not be done or finished; the message says what to do."""


@dataclass(frozen=True)
class LocalFile:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Changes:
    """What a target needs, by site file (``2026/03/17/index.html``)."""

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    gone: tuple[str, ...]
    """Files the target holds (and briefing put there) that the site no longer has."""

    @property
    def uploads(self) -> tuple[str, ...]:
        """New files, then changed ones, each in the order readers never notice."""
        return (*upload_order(self.new), *upload_order(self.changed))


def upload_order(names: Collection[str]) -> list[str]:
    """Files before pages; deeper pages before the listings that link to them; home last."""
    return sorted(names, key=lambda name: (name.endswith(".html"), -name.count("/"), name))


def compare(wanted: Mapping[str, str], held: Mapping[str, str], ours: Collection[str]) -> Changes:
    """``wanted``: file -> what it should be; ``held``: file -> what the target has.
    Only files in ``ours`` (put there by briefing) are ever deleted."""
    return Changes(
        new=tuple(sorted(name for name in wanted if name not in held)),
        changed=tuple(sorted(n for n in wanted if n in held and held[n] != wanted[n])),
        unchanged=tuple(sorted(n for n in wanted if held.get(n) == wanted[n])),
        gone=tuple(sorted(name for name in held if name not in wanted and name in ours)),
    )


@dataclass(frozen=True)
class Report:
    target: str
    where: str
    changes: Changes
    sent: int = 0
    """Bytes sent (compressed size when gzip is on)."""
    seconds: float = 0.0
    dry_run: bool = False
    left_alone: tuple[str, ...] = field(default=())
    """Files under an S3 prefix that briefing did not put there: never deleted."""

    def listing(self) -> list[str]:
        """For ``--dry-run``: one line per file that would change, in the order it would."""
        changes = self.changes
        new = set(changes.new)
        lines = [f"{'upload' if name in new else 'update'}  {name}" for name in changes.uploads]
        lines += [f"delete  {name}" for name in changes.gone]
        return lines

    def summary(self) -> str:
        changes = self.changes
        if self.dry_run:
            text = (
                f"{self.target} ({self.where}): would upload {len(changes.new)}, "
                f"update {len(changes.changed)}, delete {len(changes.gone)}; "
                f"{len(changes.unchanged)} unchanged (dry run: nothing was touched)"
            )
        else:
            text = (
                f"Deployed to {self.target} ({self.where}): {len(changes.uploads)} uploaded "
                f"({human_bytes(self.sent)}), {len(changes.unchanged)} unchanged, "
                f"{len(changes.gone)} deleted in {self.seconds:.2f} s"
            )
        if self.left_alone:
            text += f"; {len(self.left_alone)} files briefing did not put there were left alone"
        return text


def human_bytes(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


# -- settings ---------------------------------------------------------------------------


def load_targets(root: Path) -> tuple[dict[str, Target], list[ContentError]]:
    """The targets of site.yaml's ``deploy:``; every problem names site.yaml and the line."""
    reader, problems = read_site_yaml(root)
    if reader is None:
        return {}, problems
    deploy = reader.mapping("deploy")
    if deploy is None:
        if not reader.present("deploy"):
            problems.append(
                ContentError(
                    "site.yaml",
                    None,
                    "site.yaml has no deploy: settings, so there is nowhere to publish to",
                    hint="add e.g. `deploy: {production: {type: folder, path: /var/www/site}}`",
                )
            )
        return {}, problems
    targets: dict[str, Target] = {}
    site_base = normalise_base_url(reader.url("base_url") or "http://localhost:8000/")
    for name in deploy.values:
        settings = deploy.mapping(str(name))
        if settings is not None:
            target = _read_target(str(name), settings, root, site_base)
            if target is not None:
                targets[str(name)] = target
    if not deploy.values:
        deploy.problem("deploy", "deploy: lists no targets", "add at least one target under it")
    return targets, problems


def refuse_secrets(settings: FieldReader, hint: str) -> list[str]:
    """Report every setting named like a credential; their names. The line is named but
    not quoted: the value must not reach a terminal or a CI log either."""
    secrets = [str(key) for key in settings.values if SECRET_NAME.search(str(key))]
    for key in secrets:
        settings.problems.append(
            ContentError(
                settings.path,
                settings.line(key),
                f"{settings.name(key)}: credentials must not be written in site.yaml",
                hint=hint,
            )
        )
    return secrets


def _read_target(name: str, settings: FieldReader, root: Path, site_base: str) -> Target | None:
    secrets = refuse_secrets(settings, _SECRET_HINT)
    kind = settings.text("type")
    base_url = settings.url("base_url")
    base_url = normalise_base_url(base_url) if base_url else site_base
    if kind == "folder":
        settings.extra((*FOLDER_SETTINGS, *secrets), strict=True)
        path = _folder_path(settings, root)
        return FolderTarget(name, path, base_url) if path and not secrets else None
    if kind == "s3":
        settings.extra((*S3_SETTINGS, *secrets), strict=True)
        target = _s3_target(name, settings, base_url)
        return target if not secrets else None
    settings.problem(
        "type",
        f"{settings.name('type')} is missing"
        if not kind
        else f'{settings.name("type")}: "{kind}" is not a kind of target briefing knows',
        "write `type: folder` (with `path:`) or `type: s3` (with `bucket:`)",
    )
    return None


def _folder_path(settings: FieldReader, root: Path) -> Path | None:
    text = settings.text("path")
    if not text:
        settings.problem(
            "path",
            f"{settings.name('path')} is missing",
            "add `path: /var/www/briefing` (a relative path is read from the site folder)",
        )
        return None
    path = Path(os.path.normpath(root / Path(text).expanduser()))
    reason = unsafe_folder(path, root, root / "public")
    if reason:
        settings.problem("path", f'{settings.name("path")}: "{text}" {reason}', "choose another")
        return None
    return path


def unsafe_folder(path: Path, root: Path, source: Path) -> str:
    """Why briefing must not make ``path`` hold exactly the site, or ``""``."""
    target = path.resolve()
    site = root.resolve()
    built = source.resolve()
    if target in (Path("/"), Path.home().resolve()) or site.is_relative_to(target):
        return "is or contains your site or home folder"
    for folder in (site / "content", site / "themes"):
        if target.is_relative_to(folder):
            return f"is inside {folder.name}/"
    if target.is_relative_to(built) or built.is_relative_to(target):
        return f"is or overlaps the built site {source}"
    if target.exists() and not target.is_dir():
        return "is a file, not a folder"
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        return "is a folder briefing did not make, and it is not empty (empty it first)"
    return ""


def _s3_target(name: str, settings: FieldReader, base_url: str) -> S3Target | None:
    bucket = settings.text("bucket")
    if not bucket:
        settings.problem(
            "bucket", f"{settings.name('bucket')} is missing", "add `bucket: your-bucket-name`"
        )
    prefix = settings.text("prefix").strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        settings.problem(
            "prefix", f'{settings.name("prefix")}: "{prefix}" is not a folder-like key prefix'
        )
        return None
    rules: list[tuple[str, str]] = []
    cache = settings.mapping("cache_control")
    if cache is not None:
        for pattern in cache.values:
            value = cache.text(str(pattern))
            if value:
                rules.append((str(pattern), value))
    target = S3Target(
        name,
        bucket,
        prefix + "/" if prefix else "",
        settings.url("endpoint_url"),
        settings.text("region"),
        settings.text("profile"),
        tuple(rules),
        settings.flag("gzip"),
        base_url,
    )
    return target if bucket else None


# -- the built site -----------------------------------------------------------------------


def read_built(source: Path) -> dict[str, LocalFile]:
    """Every file of the built site with its content hash (symbolic links left out)."""
    files: dict[str, LocalFile] = {}
    for folder, subfolders, names in os.walk(source):
        subfolders.sort()
        for file_name in sorted(names):
            path = Path(folder, file_name)
            name = path.relative_to(source).as_posix()
            if name == MARKER or path.is_symlink():
                continue
            data = path.read_bytes()
            files[name] = LocalFile(path, hashlib.sha256(data).hexdigest(), len(data))
    return files


def built_for(source: Path) -> str | None:
    """The address ``source`` was built for, read from its sitemap (None: no sitemap)."""
    try:
        text = (source / "sitemap.xml").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"<loc>([^<]+)</loc>", text)
    return unescape(match.group(1)) if match else None


def check_source(source: Path, base_url: str) -> None:
    """Refuse a missing, foreign or wrongly addressed ``public/``."""
    if not (source / MARKER).is_file():
        raise DeployError(
            f"there is no built site in {source}: run `briefing build` first "
            "(deploy publishes what the build made)"
        )
    first = built_for(source)
    if first is not None and base_url and not first.startswith(base_url):
        raise DeployError(
            f"{source} was built for another address ({first}), not {base_url}: "
            "run `briefing build` without --base-url, then deploy"
        )


# -- deploying --------------------------------------------------------------------------


def deploy(
    root: Path, target: Target, source: Path, *, dry_run: bool = False, workers: int = 8
) -> Report:
    """Publish ``source`` (the built site) to ``target``. Raises ``DeployError``."""
    started = time.perf_counter()
    check_source(source, target.base_url)
    if isinstance(target, FolderTarget):
        reason = unsafe_folder(target.path, root, source)
        if reason:
            raise DeployError(f"refusing to deploy to {target.path}: it {reason}")
    if dry_run:
        report = _run(target, read_built(source), dry_run=True, workers=workers)
    else:
        with locked(source):  # no build swaps public/ while it is being read
            finish_interrupted(source)
            report = _run(target, read_built(source), dry_run=False, workers=workers)
    return replace(report, seconds=time.perf_counter() - started)


def _run(target: Target, local: Mapping[str, LocalFile], *, dry_run: bool, workers: int) -> Report:
    if isinstance(target, FolderTarget):
        return _deploy_folder(target, local, dry_run=dry_run)
    from briefing.s3 import deploy_s3  # boto3 is an optional extra

    return deploy_s3(target, local, dry_run=dry_run, workers=workers)


def rerun_hint(target: Target) -> str:
    return f"run `briefing deploy --target {target.name}` again to finish"


def _deploy_folder(
    target: FolderTarget, local: Mapping[str, LocalFile], *, dry_run: bool
) -> Report:
    """Stage beside the folder and move into place (``briefing.output.publish``): a failure
    leaves the previous site, an interruption is finished by the next deploy."""
    wanted = {name: file.sha256 for name, file in local.items()}
    if dry_run:
        held = _folder_hashes(target.path, local)
        changes = compare(wanted, held, held)
        return Report(target.name, target.where, changes, dry_run=True)
    try:
        with locked(target.path):
            finish_interrupted(target.path)  # a deploy stopped half-way is finished first
            held = _folder_hashes(target.path, local)
            changes = compare(wanted, held, held)
            unchanged = set(changes.unchanged)
            files: dict[str, Content] = {
                name: KEEP if name in unchanged else file.path for name, file in local.items()
            }
            previous = list(held) if (target.path / MARKER).is_file() else None
            publish(target.path, files, previous)
    except OSError as exc:
        raise DeployError(
            f"could not write {target.path}: {exc.strerror or exc}; the folder still holds "
            f"a complete site. Check it is writable and has space, then {rerun_hint(target)}"
        ) from exc
    sent = sum(local[name].size for name in changes.uploads)
    return Report(target.name, target.where, changes, sent)


def _folder_hashes(folder: Path, local: Mapping[str, LocalFile]) -> dict[str, str]:
    """What a briefing folder holds: file -> content hash (a size mismatch is enough)."""
    if not (folder / MARKER).is_file():
        return {}
    held: dict[str, str] = {}
    for name, file in read_sizes(folder).items():
        mine = local.get(name)
        if mine is not None and mine.size == file[1]:
            held[name] = hashlib.sha256(file[0].read_bytes()).hexdigest()
        else:
            held[name] = f"size:{file[1]}"
    return held


def read_sizes(folder: Path) -> dict[str, tuple[Path, int]]:
    sizes: dict[str, tuple[Path, int]] = {}
    for parent, subfolders, names in os.walk(folder):
        subfolders.sort()
        for file_name in names:
            path = Path(parent, file_name)
            name = path.relative_to(folder).as_posix()
            if name != MARKER and not path.is_symlink():
                sizes[name] = (path, path.stat().st_size)
    return sizes


# -- the command ------------------------------------------------------------------------


def command(site: Path, only: str | None, source: Path | None, dry_run: bool) -> int:
    """``briefing deploy``: every target (or ``only``), one after another; exit code."""
    from briefing.cli import EXIT_CONTENT, EXIT_OK, EXIT_USAGE

    if not site.is_dir():
        print(f"briefing: {site} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    targets, problems = load_targets(site)
    problems = sort_problems(problems)
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    if has_errors(problems):
        errors = sum(1 for problem in problems if not problem.warning)
        print(f"{errors} error{'s' if errors != 1 else ''}: nothing was deployed.", file=sys.stderr)
        return EXIT_CONTENT
    if only is not None:
        if only not in targets:
            known = ", ".join(sorted(targets)) or "none"
            print(
                f"briefing: site.yaml has no deploy target {only!r} (it has: {known})",
                file=sys.stderr,
            )
            return EXIT_USAGE
        targets = {only: targets[only]}
    built = source or site / "public"
    order = list(targets.values())
    for index, target in enumerate(order):
        try:
            result = deploy(site, target, built, dry_run=dry_run)
        except DeployError as failure:
            print(f"briefing: {failure}", file=sys.stderr)
            rest = [later.name for later in order[index + 1 :]]
            if rest:
                print(f"briefing: not deployed yet: {', '.join(rest)}", file=sys.stderr)
            return EXIT_CONTENT
        if dry_run:
            for line in result.listing():
                print(line)
        print(result.summary())
    return EXIT_OK
