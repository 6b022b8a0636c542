"""``briefing deploy``: a built site published to a folder and to a real S3 API.

The S3 API is moto in server mode, on a free loopback port, reached over HTTP by boto3
exactly as AWS, R2 or MinIO would be. Tests assert what the target holds afterwards (every
object's bytes and headers) and what was sent to get there.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import SITE_YAML, SiteDir, article, photo, run_cli, snapshot
from moto.server import ThreadedMotoServer

from briefing import s3 as s3_module
from briefing.output import MARKER

REPO = Path(__file__).resolve().parent.parent


def png(width: int, height: int) -> bytes:
    return photo(width, height, "PNG")


ARTICLES: dict[str, str | bytes] = {
    "content/2026-03-17/rates.md": article(
        "Rates held",
        "2026-03-17T09:00:00",
        "The bank held rates.",
        section="Business",
        image='{src: rates.png, alt: "A chart", caption: "Rates since 2020", credit: Reuters}',
    ),
    "content/2026-03-17/rates.png": png(40, 20),
    "content/2026-03-17/xi.md": article(
        "Xi visits Moscow", "2026-03-17T08:00:00", "The trip.", section="World"
    ),
    "content/2026-03-18/port.md": article(
        "Port strike ends", "2026-03-18T07:00:00", "Workers return.", section="Business"
    ),
}


def deploy_yaml(targets: str) -> str:
    return SITE_YAML + "deploy:\n" + targets


def site_files(public: Path) -> dict[str, bytes]:
    """What a target should hold: the built site without briefing's marker file."""
    return {name: data for name, data in snapshot(public).items() if name != MARKER}


# -- S3 through moto's server --------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Fake credentials in the environment (and no AWS config of the machine's); a client."""
    nowhere = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never look for a machine role
        env.setenv("AWS_CONFIG_FILE", str(nowhere / "config"))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere / "credentials"))
        yield boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"briefing-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every object uploaded and deleted, by site file, as the S3 store was asked."""
    calls: dict[str, list[str]] = {"put": [], "delete": []}
    real_put, real_delete = s3_module.S3Store.put, s3_module.S3Store.delete

    def put(self: Any, name: str, *args: Any) -> str:
        calls["put"].append(name)
        return real_put(self, name, *args)

    def delete(self: Any, names: list[str]) -> None:
        calls["delete"].extend(names)
        real_delete(self, names)

    monkeypatch.setattr(s3_module.S3Store, "put", put)
    monkeypatch.setattr(s3_module.S3Store, "delete", delete)
    return calls


def s3_site(
    make_site: Callable[..., SiteDir], moto_url: str, bucket: str, extra: str = ""
) -> SiteDir:
    targets = (
        f"  production:\n    type: s3\n    bucket: {bucket}\n    prefix: site\n"
        f"    endpoint_url: {moto_url}\n    region: us-east-1\n"
        '    cache_control:\n      "*.html": "max-age=300"\n'
        '      "static/*": "max-age=3600"\n' + extra
    )
    return make_site({"site.yaml": deploy_yaml(targets), **ARTICLES}).built("--jobs", "1")


def served(s3: Any, bucket: str, prefix: str = "site/") -> dict[str, str]:
    """What the bucket serves under ``prefix``, as each object's MD5 (its ETag, for a plain
    upload): one listing instead of a download per object. The deploy manifest left out."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            name = item["Key"][len(prefix) :]
            if name != s3_module.MANIFEST:
                found[name] = item["ETag"].strip('"')
    return found


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def bucket_state(s3: Any, bucket: str) -> dict[str, tuple[str, str]]:
    """Every key with its ETag and modification time, manifest included."""
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", ())
    return {item["Key"]: (item["ETag"], str(item["LastModified"])) for item in listed}


def summary_counts(out: str) -> tuple[int, int, int]:
    match = re.search(r"(\d+) uploaded \(.*?\), (\d+) unchanged, (\d+) deleted in", out)
    assert match, out
    uploaded, unchanged, deleted = (int(group) for group in match.groups())
    return uploaded, unchanged, deleted


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name for name in after if before.get(name) != after[name]}


def test_s3_first_deploy_uploads_everything_and_a_second_nothing(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    sent: dict[str, list[str]],
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    built = site_files(site.out)

    first = run_cli("deploy", site.root)
    assert first.code == 0, first.err
    assert served(s3, bucket) == md5s(built)
    assert sorted(sent["put"]) == sorted(built)
    assert summary_counts(first.out) == (len(built), 0, 0)

    sent["put"].clear()
    second = run_cli("deploy", site.root)
    assert second.code == 0, second.err
    assert sent["put"] == []
    assert summary_counts(second.out) == (0, len(built), 0)


def test_s3_an_edit_uploads_exactly_the_files_that_changed(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    sent: dict[str, list[str]],
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    assert run_cli("deploy", site.root).code == 0
    before = site_files(site.out)
    site.write(
        "content/2026-03-17/xi.md",
        article("Xi visits Moscow again", "2026-03-17T08:00:00", "The trip.", section="World"),
    )
    site.built("--jobs", "1")
    after = site_files(site.out)
    changed = changed_files(before, after)
    assert "2026/03/17/xi/index.html" in changed
    assert "2026/03/18/port/index.html" not in changed

    sent["put"].clear()
    result = run_cli("deploy", site.root)
    assert result.code == 0, result.err
    assert sorted(sent["put"]) == sorted(changed)
    assert served(s3, bucket) == md5s(after)
    # Changed pages go up after the changed files they use (the feed, pictures, styles).
    pages = [i for i, name in enumerate(sent["put"]) if name.endswith(".html")]
    files = [i for i, name in enumerate(sent["put"]) if not name.endswith(".html")]
    assert files and pages and max(files) < min(pages)


def test_s3_a_deleted_article_is_deleted_after_the_uploads(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    sent: dict[str, list[str]],
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    assert run_cli("deploy", site.root).code == 0
    before = site_files(site.out)
    site.remove("content/2026-03-17/xi.md")
    site.built("--jobs", "1")
    gone = sorted(set(before) - set(site_files(site.out)))
    assert "2026/03/17/xi/index.html" in gone

    result = run_cli("deploy", site.root)
    assert result.code == 0, result.err
    assert sorted(sent["delete"]) == gone
    assert served(s3, bucket) == md5s(site_files(site.out))
    assert summary_counts(result.out)[2] == len(gone)


def test_s3_content_types_and_cache_headers(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any, bucket: str
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    assert run_cli("deploy", site.root).code == 0

    def head(name: str) -> tuple[str, str]:
        response = s3.head_object(Bucket=bucket, Key="site/" + name)
        return response["ContentType"], response.get("CacheControl", "")

    assert head("index.html") == ("text/html; charset=utf-8", "max-age=300")
    assert head("2026/03/17/rates/index.html") == ("text/html; charset=utf-8", "max-age=300")
    assert head("static/style.css") == ("text/css; charset=utf-8", "max-age=3600")
    assert head("2026/03/17/rates.png") == ("image/png", "")
    assert head("feed.xml") == ("application/atom+xml; charset=utf-8", "")
    assert head("sitemap.xml") == ("application/xml", "")
    assert head("robots.txt") == ("text/plain; charset=utf-8", "")


def test_s3_gzip_uploads_compressed_text_with_its_content_encoding(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any, bucket: str
) -> None:
    site = s3_site(make_site, moto_url, bucket, extra="    gzip: true\n")
    assert run_cli("deploy", site.root).code == 0

    page = s3.get_object(Bucket=bucket, Key="site/index.html")
    assert page["ContentEncoding"] == "gzip"
    assert gzip.decompress(page["Body"].read()) == (site.out / "index.html").read_bytes()
    picture = s3.get_object(Bucket=bucket, Key="site/2026/03/17/rates.png")
    assert "ContentEncoding" not in picture
    assert picture["Body"].read() == (site.out / "2026/03/17/rates.png").read_bytes()
    assert run_cli("deploy", site.root).out.count(" 0 uploaded") == 1


def _fail_after(monkeypatch: pytest.MonkeyPatch, count: int) -> list[str]:
    """Make the store's uploads fail from the ``count + 1``-th on; the names that got up."""
    real_put = s3_module.S3Store.put
    done: list[str] = []

    def put(self: Any, name: str, *args: Any) -> str:
        if len(done) >= count:
            raise ConnectionResetError(104, "Connection reset by peer")
        done.append(name)
        return real_put(self, name, *args)

    monkeypatch.setattr(s3_module.S3Store, "put", put)
    return done


def _publish_a_second_version(site: SiteDir) -> None:
    site.write("content/2026-03-19/new.md", article("Brand new", "2026-03-19T07:00:00"))
    site.write(
        "content/2026-03-18/port.md",
        article("Port strike over", "2026-03-18T07:00:00", "Back to work.", section="Business"),
    )
    site.remove("content/2026-03-17/xi.md")
    site.built("--jobs", "1")


@pytest.mark.parametrize("manifest_lost", [False, True], ids=["manifest-kept", "manifest-lost"])
def test_s3_a_failure_half_way_leaves_a_complete_site_and_a_rerun_finishes(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    manifest_lost: bool,
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    assert run_cli("deploy", site.root).code == 0
    old = site_files(site.out)
    _publish_a_second_version(site)
    new = site_files(site.out)
    to_send = changed_files(old, new)
    assert len(to_send) > 4

    with monkeypatch.context() as patch:
        got_up = _fail_after(patch, 3)
        if manifest_lost:  # as when the process is killed before it can write the manifest
            patch.setattr(s3_module, "_save_manifest", lambda store, state: None)
        failed = run_cli("deploy", site.root, "--target", "production")
    assert failed.code == 1
    assert "stopped after 3 of" in failed.err
    assert "run `briefing deploy --target production` again" in failed.err
    serving = served(s3, bucket)
    assert set(old) <= set(serving), "nothing may be deleted before every upload is done"
    old_md5, new_md5 = md5s(old), md5s(new)
    for name, digest in serving.items():
        assert digest in (old_md5.get(name), new_md5.get(name)), name

    rerun_sent: list[str] = []
    real_put = s3_module.S3Store.put

    def counting_put(self: Any, name: str, *args: Any) -> str:
        rerun_sent.append(name)
        return real_put(self, name, *args)

    monkeypatch.setattr(s3_module.S3Store, "put", counting_put)
    rerun = run_cli("deploy", site.root, "--target", "production")
    assert rerun.code == 0, rerun.err
    assert served(s3, bucket) == md5s(new)
    assert sorted(rerun_sent) == sorted(to_send - set(got_up))

    rerun_sent.clear()
    assert run_cli("deploy", site.root).code == 0
    assert rerun_sent == []


def test_s3_dry_run_lists_the_changes_and_touches_nothing(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    sent: dict[str, list[str]],
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    assert run_cli("deploy", site.root).code == 0
    old = site_files(site.out)
    _publish_a_second_version(site)
    new = site_files(site.out)
    before = bucket_state(s3, bucket)
    sent["put"].clear()

    result = run_cli("deploy", site.root, "--dry-run")
    assert result.code == 0, result.err
    assert bucket_state(s3, bucket) == before
    assert sent == {"put": [], "delete": []}
    listed = [tuple(line.split()) for line in result.out.splitlines() if "  " in line]
    expected_new = {("upload", name) for name in new if name not in old}
    expected_changed = {("update", n) for n in new if n in old and old[n] != new[n]}
    expected_gone = {("delete", name) for name in old if name not in new}
    assert set(listed) == expected_new | expected_changed | expected_gone
    assert ("delete", "2026/03/17/xi/index.html") in listed
    assert "nothing was touched" in result.out


def test_s3_objects_briefing_did_not_put_there_are_left_alone(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="site/uploads/report.pdf", Body=b"%PDF-1.4")
    site = s3_site(make_site, moto_url, bucket)
    result = run_cli("deploy", site.root)
    assert result.code == 0, result.err
    assert served(s3, bucket)["uploads/report.pdf"] == hashlib.md5(b"%PDF-1.4").hexdigest()
    assert "1 files briefing did not put there were left alone" in result.out


def test_credentials_in_site_yaml_are_refused_with_their_line(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any, bucket: str
) -> None:
    targets = (
        f"  production:\n    type: s3\n    bucket: {bucket}\n    endpoint_url: {moto_url}\n"
        "    aws_access_key_id: AKIAEXAMPLE\n    aws_secret_access_key: abc123\n"
    )
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES}).built("--jobs", "1")
    lines = (site.root / "site.yaml").read_text().splitlines()
    key_line = lines.index("    aws_access_key_id: AKIAEXAMPLE") + 1

    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert result.errors == [
        f"site.yaml:{key_line}: deploy.production.aws_access_key_id: "
        "credentials must not be written in site.yaml",
        f"site.yaml:{key_line + 1}: deploy.production.aws_secret_access_key: "
        "credentials must not be written in site.yaml",
    ]
    assert "AWS_ACCESS_KEY_ID" in result.err
    assert "abc123" not in result.err and "AKIAEXAMPLE" not in result.err
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_missing_credentials_are_named(
    make_site: Callable[..., SiteDir],
    moto_url: str,
    s3: Any,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "no credentials" in result.err
    assert "AWS_ACCESS_KEY_ID" in result.err


def test_a_missing_bucket_is_named(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any
) -> None:
    site = s3_site(make_site, moto_url, "no-such-bucket-here")
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "there is no bucket 'no-such-bucket-here'" in result.err


def test_without_boto3_the_s3_target_says_what_to_install(
    make_site: Callable[..., SiteDir], moto_url: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = s3_site(make_site, moto_url, bucket)
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if it were not installed
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "pip install 'briefing[s3]'" in result.err


# -- folder target --------------------------------------------------------------------------


def folder_site(make_site: Callable[..., SiteDir], www: Path) -> SiteDir:
    targets = f"  mirror:\n    type: folder\n    path: {www}\n"
    return make_site({"site.yaml": deploy_yaml(targets), **ARTICLES}).built("--jobs", "1")


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file of the site's inode and modification time: a rewrite changes them. (Not
    the marker, which gets a new mark whenever the folder changes.)"""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and path.name != MARKER
    }


def test_folder_deploy_copies_the_site_then_only_what_changed(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    www = tmp_path / "www"
    site = folder_site(make_site, www)

    first = run_cli("deploy", site.root)
    assert first.code == 0, first.err
    assert site_files(www) == site_files(site.out)
    assert summary_counts(first.out) == (len(site_files(site.out)), 0, 0)
    untouched = stamps(www)
    marker = (www / MARKER).stat()

    second = run_cli("deploy", site.root)
    assert second.code == 0
    assert summary_counts(second.out)[0] == 0
    assert stamps(www) == untouched
    assert (www / MARKER).stat().st_mtime_ns == marker.st_mtime_ns

    before = site_files(site.out)
    _publish_a_second_version(site)
    after = site_files(site.out)
    third = run_cli("deploy", site.root)
    assert third.code == 0, third.err
    assert site_files(www) == after
    now = stamps(www)
    rewritten = {name for name in now if name in untouched and now[name] != untouched[name]}
    assert rewritten == {name for name in after if name in before and before[name] != after[name]}
    assert not (www / "2026/03/17/xi/index.html").exists()
    assert summary_counts(third.out)[2] == len(set(before) - set(after))


def test_folder_dry_run_lists_and_touches_nothing(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    www = tmp_path / "www"
    site = folder_site(make_site, www)
    assert run_cli("deploy", site.root).code == 0
    _publish_a_second_version(site)
    before = snapshot(www), stamps(www), sorted(tmp_path.iterdir())

    result = run_cli("deploy", site.root, "--dry-run")
    assert result.code == 0, result.err
    assert (snapshot(www), stamps(www), sorted(tmp_path.iterdir())) == before
    assert "delete  2026/03/17/xi/index.html" in result.out.splitlines()
    assert "upload  2026/03/19/new/index.html" in result.out.splitlines()


def test_folder_a_failure_half_way_is_finished_by_a_rerun(
    make_site: Callable[..., SiteDir], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www = tmp_path / "www"
    site = folder_site(make_site, www)
    assert run_cli("deploy", site.root).code == 0
    old = site_files(www)
    _publish_a_second_version(site)
    real_replace = os.replace
    moved: list[str] = []

    def failing_replace(source: Any, target: Any) -> None:
        if len(moved) >= 2:
            raise OSError(28, "No space left on device")
        moved.append(str(target))
        real_replace(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", failing_replace)
        failed = run_cli("deploy", site.root)
    assert failed.code == 1
    assert "No space left on device" in failed.err
    assert "run `briefing deploy --target mirror` again" in failed.err
    assert set(old) <= set(site_files(www)), "nothing is removed before every file is in"

    rerun = run_cli("deploy", site.root)
    assert rerun.code == 0, rerun.err
    assert site_files(www) == site_files(site.out)


def test_folder_target_refuses_a_folder_briefing_did_not_make(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    (www / "precious.txt").write_text("keep me")
    site = folder_site(make_site, www)
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "did not make" in result.err
    assert result.errors[0].startswith("site.yaml:")
    assert (www / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("path", [".", "content", "public", "public/www"])
def test_folder_target_may_not_be_the_site_or_its_sources(
    make_site: Callable[..., SiteDir], path: str
) -> None:
    targets = f"  mirror:\n    type: folder\n    path: {path}\n"
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES}).built("--jobs", "1")
    before = snapshot(site.root)
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert re.match(r"site\.yaml:\d+: deploy\.mirror\.path: ", result.errors[0])
    assert snapshot(site.root) == before


# -- the command ----------------------------------------------------------------------------


def test_deploy_asks_for_a_build_first(make_site: Callable[..., SiteDir], tmp_path: Path) -> None:
    targets = f"  mirror:\n    type: folder\n    path: {tmp_path / 'www'}\n"
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES})
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "run `briefing build` first" in result.err
    assert not (tmp_path / "www").exists()


def test_deploy_refuses_a_site_built_for_another_address(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    targets = f"  mirror:\n    type: folder\n    path: {tmp_path / 'www'}\n"
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES})
    site.built("--base-url", "http://localhost:8000/", "--jobs", "1")
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert "built for another address (http://localhost:8000/" in result.err
    assert not (tmp_path / "www").exists()


def test_deploy_settings_problems_name_site_yaml_and_the_line(
    make_site: Callable[..., SiteDir],
) -> None:
    targets = "  broken:\n    type: ftp\n  nameless:\n    type: s3\n"
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES})
    lines = (site.root / "site.yaml").read_text().splitlines()
    result = run_cli("deploy", site.root)
    assert result.code == 1
    assert result.errors == [
        f"site.yaml:{lines.index('    type: ftp') + 1}: deploy.broken.type: "
        '"ftp" is not a kind of target briefing knows',
        f"site.yaml:{lines.index('  nameless:') + 1}: deploy.nameless.bucket is missing",
    ]


def test_deploy_without_settings_or_with_an_unknown_target(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    plain = make_site(ARTICLES)
    result = run_cli("deploy", plain.root)
    assert result.code == 1
    assert "has no deploy: settings" in result.err

    site = folder_site(make_site, tmp_path / "www")
    unknown = run_cli("deploy", site.root, "--target", "prod")
    assert unknown.code == 2
    assert "no deploy target 'prod' (it has: mirror)" in unknown.err


def test_a_site_with_deploy_settings_builds_without_warnings(
    make_site: Callable[..., SiteDir], tmp_path: Path
) -> None:
    site = folder_site(make_site, tmp_path / "www")
    result = site.build()
    assert (result.code, result.err) == (0, "")


def test_without_target_every_target_is_deployed_in_turn(
    make_site: Callable[..., SiteDir], moto_url: str, s3: Any, bucket: str, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    targets = (
        f"  mirror:\n    type: folder\n    path: {www}\n"
        f"  production:\n    type: s3\n    bucket: {bucket}\n    prefix: site\n"
        f"    endpoint_url: {moto_url}\n"
    )
    site = make_site({"site.yaml": deploy_yaml(targets), **ARTICLES}).built("--jobs", "1")
    result = run_cli("deploy", site.root)
    assert result.code == 0, result.err
    summaries = [line for line in result.out.splitlines() if line.startswith("Deployed to ")]
    assert [line.split(" (")[0] for line in summaries] == [
        "Deployed to mirror",
        "Deployed to production",
    ]
    assert site_files(www) == site_files(site.out)
    assert served(s3, bucket) == md5s(site_files(site.out))


def test_the_sample_briefing_deploys_to_s3_and_a_folder_then_nothing_more(
    tmp_path: Path,
    moto_url: str,
    s3: Any,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    sent: dict[str, list[str]],
) -> None:
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    www = tmp_path / "www"
    (root / "site.yaml").write_text(
        (REPO / "site.yaml").read_text(encoding="utf-8")
        # Fewer resized copies of the photos: a faster build, and deploying is the same.
        + "images: {widths: [480], webp: false}\n"
        + f"deploy:\n  mirror:\n    type: folder\n    path: {www}\n"
        f"  production:\n    type: s3\n    bucket: {bucket}\n    prefix: site\n"
        f"    endpoint_url: {moto_url}\n",
        encoding="utf-8",
    )
    # The sample's latest edition is 2026-11-26; the tests' usual clock is earlier.
    monkeypatch.setenv(
        "SOURCE_DATE_EPOCH", str(int(datetime(2026, 11, 27, tzinfo=UTC).timestamp()))
    )
    built = run_cli("build", root)
    assert built.code == 0, built.err
    files = site_files(root / "public")
    assert len(files) > 50

    first = run_cli("deploy", root)
    assert first.code == 0, first.err
    assert site_files(www) == files
    assert served(s3, bucket) == md5s(files)
    assert sorted(sent["put"]) == sorted(files)
    photo = next(name for name in files if name.endswith(".jpg"))
    assert s3.head_object(Bucket=bucket, Key=f"site/{photo}")["ContentType"] == "image/jpeg"

    sent["put"].clear()
    second = run_cli("deploy", root)
    assert second.code == 0, second.err
    assert sent["put"] == []
    assert [summary_counts(line) for line in second.out.splitlines()] == [(0, len(files), 0)] * 2
