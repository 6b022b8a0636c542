"""``briefing init`` and ``briefing new``: the files an editor starts from."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from briefing.config import load_config
from briefing.schema import parse_moment
from briefing.urls import slugify


class ScaffoldError(Exception):
    """Said to the editor as it is; nothing was written."""


def _quoted(text: str) -> str:
    """A YAML string that survives colons, quotes and leading symbols."""
    return json.dumps(text, ensure_ascii=False)


def new_article(site: Path, title: str, when: str | None, section: str, now: datetime) -> Path:
    config, problems = load_config(site)
    if config is None:
        raise ScaffoldError(problems[0].format() if problems else "no site.yaml here")
    if when:
        moment = parse_moment(when, config.zone)
        if isinstance(moment, str):
            raise ScaffoldError(
                f'--date "{when}" is not a date ({moment}); write e.g. 2023-03-17T09:00'
            )
    else:
        moment = now.astimezone(config.zone).replace(second=0, microsecond=0)
    slug = slugify(title)
    if not slug:
        raise ScaffoldError("the title needs letters or digits to make a file name from")
    path = config.content_dir / f"{moment:%Y-%m-%d}" / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; choose another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""---
title: {_quoted(title)}
date: {moment.isoformat(timespec="minutes")}
summary: ""
byline: ""
dateline: ""
section: {_quoted(section)}
tags: []
# image:
#   src: photo.jpg
#   alt: "What the picture shows"
#   caption: ""
#   credit: ""
# copyright: ""
# source:
#   name: ""
#   url: https://
draft: true
---

Write the story here. Remove `draft: true` above when it is ready to publish.
""",
        encoding="utf-8",
    )
    return path


def init_site(directory: Path, now: datetime) -> None:
    if (directory / "site.yaml").exists():
        raise ScaffoldError(f"{directory} already has a site.yaml")
    if directory.exists() and any(directory.iterdir()):
        raise ScaffoldError(f"{directory} is not empty; choose a new or empty folder")
    day = f"{now:%Y-%m-%d}"
    files = {
        "site.yaml": """title: My Briefing
description: The day's essential stories.
base_url: http://localhost:8000/
language: en
timezone: UTC
copyright: "© My Briefing"
trust_url: /trust/
trust_label: Why you can trust us
""",
        f"content/{day}/welcome.md": f"""---
title: Welcome to your briefing
date: {now:%Y-%m-%dT%H:%M:%S}+00:00
summary: This is the first article of your first edition.
byline: The Editors
section: News
tags: [welcome]
---

Each day gets a folder under `content/`, named like `{day}`; each article is a Markdown
file in it. Run `briefing new "Headline"` to start one.
""",
        "content/pages/about.md": "---\ntitle: About\n---\n\nWho we are and what we do.\n",
        "content/pages/trust.md": (
            "---\ntitle: Why you can trust us\n---\n\n"
            "Our standards, how we correct mistakes, and how we credit other publishers.\n"
        ),
    }
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
