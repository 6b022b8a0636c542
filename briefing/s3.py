"""The S3 target of ``briefing deploy``: AWS S3 and the stores that speak its API.

What the bucket holds is known from a manifest object (``.briefing-deploy.json`` under the
prefix: each file's SHA-256, headers and ETag) checked against one listing of the prefix,
so an unchanged site costs a listing and no upload. Each object also carries its SHA-256 in
its metadata (``x-amz-meta-sha256``): when the manifest is missing, damaged or out of date
(a deploy killed half-way), a HEAD request settles whether a file is already up, so a rerun
only sends what is still missing.

Credentials come from boto3's usual places (environment, ``~/.aws``, instance roles), never
from site.yaml.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gzip
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from briefing.deploy import (
    DeployError,
    LocalFile,
    Report,
    S3Target,
    compare,
    rerun_hint,
)
from briefing.output import content_type

MANIFEST = ".briefing-deploy.json"
_MANIFEST_VERSION = 1

COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/atom+xml")
COMPRESSIBLE_EXACT = ("image/svg+xml", "application/manifest+json")


@dataclass(frozen=True)
class Headers:
    content_type: str
    cache_control: str = ""
    content_encoding: str = ""


@dataclass(frozen=True)
class Held:
    """One object as briefing put it in the bucket."""

    sha256: str
    headers: Headers
    etag: str

    def state(self) -> str:
        return _state(self.sha256, self.headers)


def _state(sha256: str, headers: Headers) -> str:
    return "\n".join(
        (sha256, headers.content_type, headers.cache_control, headers.content_encoding)
    )


def headers_for(name: str, target: S3Target) -> Headers:
    kind = content_type(name)
    cache = next(
        (value for pattern, value in target.cache_control if fnmatch.fnmatchcase(name, pattern)),
        "",
    )
    compress = target.gzip and (kind.startswith(COMPRESSIBLE) or kind in COMPRESSIBLE_EXACT)
    return Headers(kind, cache, "gzip" if compress else "")


def body_for(file: LocalFile, headers: Headers) -> bytes:
    data = file.path.read_bytes()
    if headers.content_encoding == "gzip":
        # mtime=0: the same file always compresses to the same bytes.
        return gzip.compress(data, compresslevel=9, mtime=0)
    return data


class S3Store:
    """The handful of S3 calls a deploy makes, on one prefix of one bucket."""

    def __init__(self, target: S3Target) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise DeployError(
                f"the {target.name} target is on S3, which needs boto3: pip install 'briefing[s3]'"
            ) from exc
        session = boto3.session.Session(profile_name=target.profile or None)
        self.client = session.client(
            "s3",
            endpoint_url=target.endpoint_url or None,
            region_name=target.region or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        self.bucket = target.bucket
        self.prefix = target.prefix

    def listing(self) -> dict[str, str]:
        """Every object under the prefix (but the manifest): site file -> ETag."""
        found: dict[str, str] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                name = str(item["Key"])[len(self.prefix) :]
                if name and name != MANIFEST and not name.endswith("/"):
                    found[name] = str(item["ETag"])
        return found

    def head(self, name: str) -> Held | None:
        """The object's own record of its hash and headers; None when it has none."""
        response = self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)
        sha256 = response.get("Metadata", {}).get("sha256")
        if not sha256:
            return None
        headers = Headers(
            str(response.get("ContentType", "")),
            str(response.get("CacheControl", "")),
            str(response.get("ContentEncoding", "")),
        )
        return Held(str(sha256), headers, str(response["ETag"]))

    def put(self, name: str, body: bytes, headers: Headers, sha256: str) -> str:
        """Upload one object; its ETag."""
        extra: dict[str, Any] = {}
        if headers.cache_control:
            extra["CacheControl"] = headers.cache_control
        if headers.content_encoding:
            extra["ContentEncoding"] = headers.content_encoding
        response = self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + name,
            Body=body,
            ContentType=headers.content_type,
            Metadata={"sha256": sha256},
            **extra,
        )
        return str(response["ETag"])

    def delete(self, names: list[str]) -> None:
        for start in range(0, len(names), 1000):
            batch = names[start : start + 1000]
            response = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self.prefix + n} for n in batch], "Quiet": True},
            )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise DeployError(
                    f"could not delete {first.get('Key')}: {first.get('Message', first)}"
                )

    def read_manifest(self) -> dict[str, Held]:
        """What the last deploy recorded; empty when there is none or it is unreadable."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST)
            data = json.loads(response["Body"].read())
            if data.get("version") != _MANIFEST_VERSION:
                return {}
            return {
                str(name): Held(
                    str(entry["sha256"]),
                    Headers(
                        str(entry["content_type"]),
                        str(entry["cache_control"]),
                        str(entry["content_encoding"]),
                    ),
                    str(entry["etag"]),
                )
                for name, entry in data["files"].items()
            }
        except self.client.exceptions.NoSuchKey:
            return {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return {}

    def write_manifest(self, held: Mapping[str, Held]) -> None:
        files = {
            name: {
                "sha256": record.sha256,
                "content_type": record.headers.content_type,
                "cache_control": record.headers.cache_control,
                "content_encoding": record.headers.content_encoding,
                "etag": record.etag,
            }
            for name, record in sorted(held.items())
        }
        body = json.dumps({"version": _MANIFEST_VERSION, "files": files}, indent=1)
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + MANIFEST,
            Body=body.encode("utf-8"),
            ContentType="application/json",
            CacheControl="no-store",
        )


def deploy_s3(
    target: S3Target, local: Mapping[str, LocalFile], *, dry_run: bool, workers: int
) -> Report:
    """Upload what changed (new files first, then changed ones), then delete what is gone."""
    store = S3Store(target)  # first: it explains a missing boto3
    from botocore.exceptions import BotoCoreError, ClientError

    headers = {name: headers_for(name, target) for name in local}
    wanted = {name: _state(file.sha256, headers[name]) for name, file in local.items()}
    try:
        held, left_alone = _what_is_held(store, wanted, workers)
    except (BotoCoreError, ClientError) as exc:
        raise DeployError(f"could not read {target.where}: {_explain(exc, target)}") from exc
    changes = compare(wanted, {n: r.state() if r else "?" for n, r in held.items()}, held)
    report = Report(target.name, target.where, changes, dry_run=dry_run, left_alone=left_alone)
    if dry_run:
        return report
    state = {name: record for name, record in held.items() if record is not None}
    sent = _Counter()
    uploads = changes.uploads
    new = set(changes.new)
    phases = [  # each finished before the next starts
        [n for n in uploads if n in new],
        [n for n in uploads if n not in new and not n.endswith(".html")],
        [n for n in uploads if n not in new and n.endswith(".html")],
    ]

    def upload(name: str) -> None:
        body = body_for(local[name], headers[name])
        etag = store.put(name, body, headers[name], local[name].sha256)
        sent.add(len(body))
        state[name] = Held(local[name].sha256, headers[name], etag)

    try:
        for phase in phases:
            _in_parallel(upload, phase, workers)
        if changes.gone:
            store.delete(list(changes.gone))
            for name in changes.gone:
                state.pop(name, None)
    except (BotoCoreError, ClientError, OSError, DeployError) as exc:
        done = sum(1 for name in uploads if name in state and state[name].state() == wanted[name])
        raise DeployError(
            f"deploy to {target.name} stopped after {done} of {len(uploads)} uploads: "
            f"{_explain(exc, target)}. Nothing was deleted before every upload was done, so "
            f"{target.where} still serves a complete site; {rerun_hint(target)}"
        ) from exc
    finally:
        _save_manifest(store, state)
    return Report(target.name, target.where, changes, sent.total, left_alone=left_alone)


def _what_is_held(
    store: S3Store, wanted: Mapping[str, str], workers: int
) -> tuple[dict[str, Held | None], tuple[str, ...]]:
    """Objects briefing put under the prefix -> their record (None: present but unknown).

    Trusted from the manifest when the ETag still matches; asked of the object itself
    (HEAD) when not. Objects briefing never put there are returned apart, to be left alone.
    """
    listing = store.listing()
    manifest = store.read_manifest()
    held: dict[str, Held | None] = {}
    ask: list[str] = []
    for name, etag in listing.items():
        record = manifest.get(name)
        if record is not None and record.etag == etag:
            held[name] = record
        elif name in wanted:
            ask.append(name)
        elif record is not None:
            held[name] = None  # ours, changed behind our back, and gone from the site
    answers: dict[str, Held | None] = {}

    def look(name: str) -> None:
        answers[name] = store.head(name)

    _in_parallel(look, ask, workers)
    for name in ask:
        answer = answers[name]
        held[name] = answer if answer is not None and answer.etag == listing[name] else None
    left_alone = tuple(sorted(n for n in listing if n not in held and n not in wanted))
    return held, left_alone


def _save_manifest(store: S3Store, state: Mapping[str, Held]) -> None:
    """Best effort: without it, the next deploy asks each changed-looking object instead;
    the deploy's own outcome is what the user must see."""
    from botocore.exceptions import BotoCoreError, ClientError

    with contextlib.suppress(BotoCoreError, ClientError):
        store.write_manifest(state)


def _in_parallel(work: Callable[[str], None], names: Iterable[str], workers: int) -> None:
    """Run ``work`` over ``names`` on a few threads; the first failure stops the rest
    (what is running finishes) and is raised."""
    names = list(names)
    if not names:
        return
    with ThreadPoolExecutor(max(1, min(workers, len(names)))) as pool:
        futures: list[Future[None]] = [pool.submit(work, name) for name in names]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in done if f.exception() is not None), None)
        if failed is not None:
            for future in futures:
                future.cancel()
            wait(futures)
            error = failed.exception()
            assert error is not None
            raise error


class _Counter:
    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()

    def add(self, count: int) -> None:
        with self._lock:
            self.total += count


def _explain(exc: BaseException, target: S3Target) -> str:
    """A botocore failure in plain words."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return (
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) "
            "in the environment"
        )
    if isinstance(exc, EndpointConnectionError):
        return f"could not reach {target.endpoint_url or 'S3'}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "NoSuchBucket":
            return f"there is no bucket {target.bucket!r}"
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return f"access denied ({code}): check the credentials and their rights on the bucket"
        return f"{code}: {error.get('Message', exc)}"
    return str(exc)
