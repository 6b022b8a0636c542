"""Photos as readers should get them: resized, WebP beside the original format, turned the
right way up, and without the camera's metadata (a wire photo's GPS position is not ours
to publish).

Each raster file under content/ is processed once per content: results live in
``.briefing-cache/images/<digest>/`` with a small JSON description, so an unchanged photo
is never decoded again, and a cold build processes photos on every core.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from briefing.cache import digest
from briefing.config import ImageSettings
from briefing.urls import Links

RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSION = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Variant:
    path: str
    """Site path of the file."""
    width: int
    mime: str
    file: str
    """The processed file in the cache, copied to the output. A string, not a Path: the
    image cache keeps tens of thousands of these, and a pickled Path is parsed again
    when loaded (0.25 s for 20,000)."""


@dataclass(frozen=True)
class Picture:
    """One processed photo: its size, and every file a page can choose from."""

    source: str
    """The original under content/."""
    width: int
    height: int
    full: Variant
    """Full size, original format, metadata stripped: published at the original's path."""
    variants: tuple[Variant, ...]
    """Every file, smallest first, the full-size ones included."""

    def srcset(self, mime: str, links: Links) -> str:
        """``/a-480.jpg 480w, /a.jpg 1600w``: the files of one type, for ``srcset``."""
        return ", ".join(
            f"{links.href(v.path)} {v.width}w" for v in self.variants if v.mime == mime
        )


class ImageProblem(Exception):
    """The file is not a picture briefing can read."""


def variant_path(site_path: str, width: int | None, image_format: str) -> str:
    stem, dot, _ = site_path.rpartition(".")
    stem = stem if dot else site_path
    suffix = f"-{width}" if width is not None else ""
    return f"{stem}{suffix}{EXTENSION[image_format]}"


def process(
    source: Path,
    name: str,
    site_path: str,
    settings: ImageSettings,
    cache_dir: Path,
    *,
    shared: Path | None = None,
) -> Picture:
    """Process one photo, or reuse the processed files of an identical one: in
    ``cache_dir``, or in ``shared``, a store that is read but never written (the build's,
    for ``briefing check``, which writes nothing)."""
    from PIL import __version__ as pillow  # a new Pillow may encode the same photo otherwise

    data = source.read_bytes()
    key = digest(data, repr(settings), str(FORMAT_VERSION), pillow)
    folder = cache_dir / key[:2] / key
    for store in filter(None, (shared, cache_dir)):
        found = _cached(name, site_path, store / key[:2] / key)
        if found is not None:
            return found
    # Made in a private folder and renamed into place: the same photo may be processed
    # by two workers (or two builds) at once, and neither may see the other half-done.
    scratch = folder.with_name(f"{key}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        known = _make(data, name, settings, scratch)
        (scratch / "picture.json").write_text(json.dumps(known), encoding="utf-8")
        try:
            scratch.rename(folder)
        except OSError:
            found = _cached(name, site_path, folder)
            if found is not None:  # another worker finished first: use its copy
                return found
            broken = folder.with_name(f"{key}.broken.{secrets.token_hex(4)}")
            folder.rename(broken)
            scratch.rename(folder)
            shutil.rmtree(broken, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _picture(name, site_path, folder, known)


def _cached(name: str, site_path: str, folder: Path) -> Picture | None:
    try:
        known = json.loads((folder / "picture.json").read_text(encoding="utf-8"))
        return _picture(name, site_path, folder, known)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _picture(name: str, site_path: str, folder: Path, known: dict[str, object]) -> Picture:
    variants = []
    full = None
    for entry in known["files"]:  # type: ignore[attr-defined]
        file = folder / entry["file"]
        if not file.is_file():
            raise KeyError(entry["file"])
        width = None if entry["full"] else int(entry["width"])
        path = (
            site_path
            if entry["full"] and entry["original"]
            else variant_path(site_path, width, entry["format"])
        )
        variant = Variant(path, int(entry["width"]), MIME[entry["format"]], os.fspath(file))
        variants.append(variant)
        if entry["full"] and entry["original"]:
            full = variant
    if full is None:
        raise KeyError("full")
    variants.sort(key=lambda v: (v.width, v.mime))
    return Picture(name, int(known["width"]), int(known["height"]), full, tuple(variants))  # type: ignore[call-overload]


def _make(data: bytes, name: str, settings: ImageSettings, folder: Path) -> dict[str, object]:
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            original_format = opened.format or ""
            if original_format not in MIME:
                raise ImageProblem(
                    f"is a {original_format or 'unknown'} file, not a JPEG, PNG or WebP photo"
                )
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageProblem("is not a picture briefing can read") from exc
    if original_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    width, height = image.size
    folder.mkdir(parents=True)
    sizes = sorted({w for w in settings.widths if w < width} | {width})
    formats = [original_format] + (["WEBP"] if settings.webp and original_format != "WEBP" else [])
    files = []
    for size in sizes:
        resized = (
            image
            if size == width
            else image.resize(
                (size, max(1, round(height * size / width))), Image.Resampling.LANCZOS
            )
        )
        for image_format in formats:
            file = f"{size}{EXTENSION[image_format]}"
            _save(resized, folder / file, image_format, settings.quality)
            files.append(
                {
                    "file": file,
                    "width": size,
                    "format": image_format,
                    "full": size == width,
                    "original": image_format == original_format,
                }
            )
    return {"width": width, "height": height, "files": files}


def _save(image: object, path: Path, image_format: str, quality: int) -> None:
    """Save without metadata: no EXIF, no GPS, no comments."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    clean = image.copy()
    clean.info.clear()
    if image_format == "JPEG":
        clean.save(path, "JPEG", quality=quality, optimize=True, progressive=True)
    elif image_format == "PNG":
        clean.save(path, "PNG", optimize=True)
    else:
        if clean.mode not in ("RGB", "RGBA"):
            clean = clean.convert("RGBA" if "A" in clean.getbands() else "RGB")
        clean.save(path, "WEBP", quality=quality, method=4)
