"""Bad front matter and odd content, through the real ``briefing build`` (issue 6, first list).

Every mistake in the issue's list is run as a separate ``briefing build`` process on a site
that was built before: each exits 1, reports ``path:line: message`` as its first line, and
leaves the previous ``public/`` exactly as it was (bytes and modification times). The
oddities the issue accepts (a BOM, CRLF, ``NO``, control characters, right-to-left text and
emoji, a 10,000-character title, a 5 MB article) build correct pages. The processes run a
few at a time; their peak memory comes from ``wait4``.

Then hypothesis: any bytes, any text, any YAML mapping as an article gives either a site or
errors that each name the file and a line, never a traceback (in-process, for speed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import DEFAULT_FILES, NOW, Run, SiteDir, article, broken_links, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_helpers import COMMAND, Entry, changes, child_env, cli, tree_state

from briefing.schema import ARTICLE_FIELDS, IMAGE_FIELDS

DAY = "content/2026-03-17"
BAD = f"{DAY}/bad.md"
FRONT = "---\ntitle: Good\ndate: 2026-03-17\n"


def _alias_bomb(levels: int = 10, width: int = 10) -> bytes:
    """Each level refers to the one before ``width`` times: width**levels values."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]")
    return (FRONT + "\n".join(lines) + "\n---\n\nBody.\n").encode()


def _deep_block(depth: int = 5000) -> bytes:
    lines = [" " * level + f"k{level}:" for level in range(depth)] + [" " * depth + "end"]
    return (FRONT + "\n".join(lines) + "\n---\n").encode()


@dataclass(frozen=True)
class Mistake:
    id: str
    raw: bytes
    line: int
    says: str
    """A regular expression found in the message after ``path:line[:column]: ``."""


MISTAKES = [
    Mistake(
        "unclosed",
        b"---\ntitle: X\ndate: 2026-03-17\n\nBody.\n",
        1,
        "the front matter starts with --- but never ends",
    ),
    Mistake(
        "yaml-syntax",
        b"---\ntitle: Xi: a visit\ndate: 2026-03-17\n---\n",
        2,
        "the front matter is not valid YAML",
    ),
    Mistake(
        "unclosed-quote",
        b'---\ntitle: "Xi visits\ndate: 2026-03-17\n---\n',
        2,
        "the quote that starts here is never closed",
    ),
    Mistake(
        "tab",
        b"---\ntitle: X\n\tdate: 2026-03-17\n---\n",
        3,
        "not valid YAML: found a tab character",
    ),
    Mistake(
        "list-not-mapping",
        b"---\n- title\n- date\n---\n",
        2,
        "the front matter must be a list of `field: value` lines",
    ),
    Mistake(
        "image-as-list",
        (FRONT + "image: [a.jpg, b.jpg]\n---\n").encode(),
        4,
        "image should be a set of fields",
    ),
    Mistake(
        "title-as-mapping",
        b"---\ntitle: {a: b}\ndate: 2026-03-17\n---\n",
        2,
        "title should be text, not a set of fields",
    ),
    Mistake(
        "duplicate-key",
        (FRONT + "title: Again\n---\n").encode(),
        4,
        r"title appears twice \(first on line 2\)",
    ),
    Mistake("alias-bomb", _alias_bomb(), 4, "expands to too many values"),
    Mistake("python-tag", b"", 4, "the YAML tag !!python/object/apply:os.system is not allowed"),
    Mistake(
        "deep-flow", (FRONT + "deep: " + "[" * 5000 + "]" * 5000 + "\n---\n").encode(), 2, "nested"
    ),
    Mistake("deep-block", _deep_block(), 2, "nested"),
    Mistake(
        "impossible-date",
        b"---\ntitle: X\ndate: 2024-02-30\n---\n",
        3,
        r'date: "2024-02-30" is not a date \(day is out of range for month\)',
    ),
    Mistake(
        "impossible-leap-day",
        b"---\ntitle: X\ndate: 2025-02-29T09:00:00\n---\n",
        3,
        "day is out of range for month",
    ),
    Mistake(
        "date-words",
        b"---\ntitle: X\ndate: next friday\n---\n",
        3,
        r"is not a date \(expected e\.g\. 2023-03-17",
    ),
    Mistake("date-us-order", b"---\ntitle: X\ndate: 03/17/2026\n---\n", 3, "is not a date"),
    Mistake(
        "date-hour-25",
        b"---\ntitle: X\ndate: 2026-03-17T25:00\n---\n",
        3,
        r"is not a date \(hour must be in 0\.\.23\)",
    ),
    Mistake(
        "date-offset-25h",
        b"---\ntitle: X\ndate: 2026-03-17T09:00:00+25:00\n---\n",
        3,
        r"is not a date \(the offset from UTC must be less than 24 hours\)",
    ),
    Mistake("date-year-0", b"---\ntitle: X\ndate: 0000-01-01\n---\n", 3, "is not a date"),
    Mistake(
        "date-out-of-range",
        b"---\ntitle: X\ndate: 0001-01-01T00:00:00+14:00\n---\n",
        3,
        r"is not a date \(too far in the past or the future\)",
    ),
    Mistake(
        "date-list",
        b"---\ntitle: X\ndate: [2026-03-17]\n---\n",
        3,
        "date should be text, not a list",
    ),
    Mistake(
        "date-mapping",
        b"---\ntitle: X\ndate: {day: 17}\n---\n",
        3,
        "date should be text, not a set of fields",
    ),
    Mistake("date-bool", b"---\ntitle: X\ndate: yes\n---\n", 3, "is not a date"),
    Mistake("date-number", b"---\ntitle: X\ndate: 1.5e9\n---\n", 3, "is not a date"),
    Mistake("date-empty", b"---\ntitle: X\ndate: ''\n---\n", 3, "date is empty"),
    Mistake("date-missing", b"---\ntitle: X\ndate:\n---\n", 1, "date is missing"),
    Mistake(
        "updated-wrong",
        (FRONT + "updated: yesterday\n---\n").encode(),
        4,
        'updated: "yesterday" is not a date',
    ),
    Mistake(
        "not-utf8",
        b"---\ntitle: X\ndate: 2026-03-17\nsummary: Caf\xe9\n---\n",
        4,
        r"the file is not UTF-8 text \(byte 0xE9 on this line\)",
    ),
    Mistake(
        "utf16",
        "---\ntitle: X\ndate: 2026-03-17\n---\n".encode("utf-16"),
        1,
        "the file is not UTF-8 text",
    ),
    Mistake("empty-file", b"", 1, "the file has no front matter"),
    Mistake("only-a-bom", b"\xef\xbb\xbf", 1, "the file has no front matter"),
    Mistake(
        "undefined-alias",
        b"---\ntitle: *nope\ndate: 2026-03-17\n---\n",
        2,
        "not valid YAML: found undefined alias",
    ),
]


@dataclass(frozen=True)
class Outcome:
    run: Run
    before: dict[str, Entry]
    after: dict[str, Entry]
    peak_kib: int
    """The process's peak resident memory."""
    root: Path


def _previous_site(root: Path) -> None:
    """A site with one good article, built: the ``public/`` every case must leave alone."""
    for name, text in {
        **DEFAULT_FILES,
        f"{DAY}/good.md": article("Good", date="2026-03-17"),
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
        assert run_cli("build", root).code == 0


def _run_all(jobs: dict[str, Path], parallel: int = 4) -> dict[str, tuple[Run, int]]:
    """``briefing build`` of each site, ``parallel`` at a time; (run, peak memory in KiB)."""
    results: dict[str, tuple[Run, int]] = {}
    pending = list(jobs.items())
    while pending:
        batch, pending = pending[:parallel], pending[parallel:]
        started = []
        for name, root in batch:
            out, err = root.parent / f"{root.name}.out", root.parent / f"{root.name}.err"
            with open(out, "wb") as stdout, open(err, "wb") as stderr:
                process = subprocess.Popen(
                    [*COMMAND, "build", str(root)], stdout=stdout, stderr=stderr, env=child_env()
                )
            started.append((name, root, process, out, err))
        for name, _, process, out, err in started:
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            results[name] = (
                Run(process.returncode, out.read_text(), err.read_text(errors="replace")),
                usage.ru_maxrss,
            )
    return results


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    base = tmp_path_factory.mktemp("mistakes")
    previous = base / "previous"
    _previous_site(previous)
    jobs: dict[str, Path] = {}
    before: dict[str, dict[str, Entry]] = {}
    for mistake in [*MISTAKES, Mistake("control", b"", 0, "")]:
        root = base / mistake.id
        shutil.copytree(previous, root)
        raw = mistake.raw
        if mistake.id == "python-tag":
            raw = (
                FRONT + f"evil: !!python/object/apply:os.system ['touch {base / 'pwned'}']\n---\n"
            ).encode()
        if mistake.id == "control":
            raw = article("Fine", date="2026-03-17").encode()
        # Were the build to go ahead, it would change public/: the good article is edited.
        (root / DAY / "good.md").write_text(article("Good, edited", date="2026-03-17"))
        (root / BAD).write_bytes(raw)
        before[mistake.id] = tree_state(root / "public")
        jobs[mistake.id] = root
    results = _run_all(jobs)
    yield {
        name: Outcome(run, before[name], tree_state(jobs[name] / "public"), peak, jobs[name])
        for name, (run, peak) in results.items()
    }


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_each_mistake_fails_the_build_with_file_and_line_and_keeps_the_site(mistakes, mistake):
    outcome = mistakes[mistake.id]
    run = outcome.run
    assert run.code == 1, run.err
    assert "Traceback" not in run.err
    assert run.errors, run.err
    first = run.errors[0]
    location = re.escape(BAD) + rf":{mistake.line}(:\d+)?: "
    assert re.match(location + ".*" + mistake.says, first), first
    assert re.search(r"^\d+ errors?: nothing was written", run.err, re.MULTILINE)
    assert changes(outcome.before, outcome.after) == []
    leftovers = sorted(p.name for p in outcome.root.iterdir() if p.name.startswith(".public"))
    assert leftovers in ([], [".public.lock"])


def test_the_control_case_does_build(mistakes):
    """The same set-up with a good second article builds: the failures above are the files'."""
    outcome = mistakes["control"]
    assert outcome.run.code == 0, outcome.run.err
    assert changes(outcome.before, outcome.after) != []


@pytest.mark.parametrize("name", ["alias-bomb", "deep-flow", "deep-block"])
def test_bombs_are_refused_in_bounded_memory(mistakes, name):
    """10**10 values behind a few anchors, 5,000 levels of nesting: refused without ever
    being built, so the process needs no more memory than a good build."""
    assert mistakes[name].peak_kib < mistakes["control"].peak_kib + 100 * 1024


def test_python_tags_are_refused_and_never_run(mistakes, tmp_path_factory):
    assert mistakes["python-tag"].run.code == 1
    assert not (mistakes["python-tag"].root.parent / "pwned").exists()


# Oddities the issue accepts: each builds a correct page, through the real command too.


def _built(make_site: Callable[..., SiteDir], raw: bytes | str) -> SiteDir:
    site = make_site({f"{DAY}/odd.md": raw})
    result = cli("build", site.root)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return site


def test_a_bom_and_windows_line_endings_are_accepted(make_site):
    raw = "\ufeff---\r\ntitle: Café\r\ndate: 2026-03-17\r\ntags: [a, b]\r\n---\r\n\r\nLine one.\r\n"
    page = _built(make_site, raw.encode()).page("2026/03/17/odd/")
    assert page.h1.get_text() == "Café"
    assert [a.get_text() for a in page.select(".tags a")] == ["a", "b"]
    assert "\r" not in page.select_one(".article-body").get_text()


def test_yaml_11_words_stay_the_text_the_editor_wrote(make_site):
    raw = "---\ntitle: NO\ndate: 2026-03-17\nsummary: yes\nbyline: [off, On]\nsection: 1.10\n---\n"
    site = _built(make_site, raw)
    page = site.page("2026/03/17/odd/")
    assert page.h1.get_text() == "NO"
    assert page.select_one(".dek").get_text() == "yes"
    assert [a.get_text() for a in page.select(".byline .author")] == ["off", "On"]
    assert site.exists("sections/1-10/")


def test_control_characters_are_removed_with_a_warning_on_their_line(make_site):
    raw = b"---\ntitle: Wire\x0c copy\x00\ndate: 2026-03-17\n---\n\nBody\x07 text\x1b.\n"
    site = make_site({f"{DAY}/odd.md": raw})
    result = cli("build", site.root)
    assert result.code == 0
    assert result.warnings == [
        f"{DAY}/odd.md:2: warning: invisible control characters were removed (first on this line)"
    ]
    assert site.page("2026/03/17/odd/").h1.get_text() == "Wire copy"
    assert site.feed().entries[0].title == "Wire copy"
    data = json.loads(site.file("feed.json").read_text(encoding="utf-8"))
    assert data["items"][0]["title"] == "Wire copy"


RTL = "مرحبا بالعالم 🌍 שלום עולם"


def test_right_to_left_text_and_emoji_come_through_everywhere(make_site):
    raw = article(
        json.dumps(RTL, ensure_ascii=False),
        date="2026-03-17",
        body="نص عربي 🗞️ mixed with English, and עברית.",
        section='"أخبار"',
        tags=json.dumps(["عربي", "🗞️ news", "שלום"], ensure_ascii=False),
        byline='"فاطمة 👩‍💻"',
    )
    site = _built(make_site, raw)
    page = site.page("2026/03/17/odd/")
    assert page.h1.get_text() == RTL
    assert page.title.get_text().startswith(RTL)
    assert "نص عربي 🗞️" in page.select_one(".article-body").get_text()
    assert [a.get_text() for a in page.select(".tags a")] == ["عربي", "🗞️ news", "שלום"]
    assert page.select_one(".byline .author").get_text() == "فاطمة 👩‍💻"
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["headline"] == RTL
    assert site.feed().entries[0].title == RTL
    assert site.exists("tags/عربي/") and site.exists("sections/أخبار/")
    assert broken_links(site.out, "https://example.org") == []


def test_a_tag_or_section_of_emoji_alone_is_left_out_with_a_warning_on_its_line(make_site):
    raw = article("Emoji", date="2026-03-17", section='"🗞️"', tags='[news, "🌍", "!!"]')
    site = make_site({f"{DAY}/odd.md": raw})
    result = cli("build", site.root)
    assert result.code == 0, result.err
    assert result.warnings == [
        f"{DAY}/odd.md:4: warning: the section '🗞️' has no letters or digits to make a web "
        "address from; it is left out",
        f"{DAY}/odd.md:5: warning: the tag '!!' has no letters or digits to make a web "
        "address from; it is left out",
        f"{DAY}/odd.md:5: warning: the tag '🌍' has no letters or digits to make a web "
        "address from; it is left out",
    ]
    page = site.page("2026/03/17/odd/")
    assert [a.get_text() for a in page.select(".tags a")] == ["news"]


def test_a_title_of_ten_thousand_characters_without_spaces_builds(make_site):
    title = ("Ж" * 9_999) + "!"
    site = _built(make_site, article(title, date="2026-03-17"))
    page = site.page("2026/03/17/odd/")
    assert page.h1.get_text() == title
    assert site.feed().entries[0].title == title
    home = site.page("")
    assert title in home.get_text()


def _live_blog(size: int) -> tuple[str, int]:
    """A live blog of ``size`` bytes: the same few headings again and again, with links,
    emphasis, lists and quotes, as long wire copy has. Returns (text, headings)."""
    block = (
        "## Update\n\nOfficials said on *Tuesday* that the **council** would meet again; "
        'see [the statement](https://example.org/s) and the "figures".\n\n'
        "- one\n- two\n\n> A quote -- with a dash.\n\n"
    )
    count = size // len(block)
    return block * count + "Last line of the live blog.\n", count


def test_a_5_mb_article_builds(make_site):
    body, headings = _live_blog(5 * 1024 * 1024)
    site = make_site({f"{DAY}/live.md": article("Live", date="2026-03-17", body=body)})
    result = cli("build", site.root, timeout=600)
    assert result.code == 0, result.err
    html = site.file("2026/03/17/live/").read_text(encoding="utf-8")
    assert "Last line of the live blog." in html
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert len(ids) == headings and len(set(ids)) == headings
    assert ids[:3] == ["update", "update-1", "update-2"]
    feed = json.loads(site.file("feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["content_html"].rstrip().endswith("Last line of the live blog.</p>")
    ET.parse(site.file("feed.xml"))


# Property-based: anything as an article gives a site or located errors.

NAME = "2026-03-17/x.md"


def _build_one(raw: bytes) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        (root / "content" / "2026-03-17").mkdir(parents=True)
        (root / "site.yaml").write_text("title: T\nsearch: false\n", encoding="utf-8")
        (root / "content" / NAME).write_bytes(raw)
        result = run_cli("build", root)
        out = root / "public"
        if result.code == 0:
            assert (out / "index.html").is_file()
        else:
            assert not out.exists()
    return result


def _located(result: Run) -> None:
    assert result.code in (0, 1), result
    assert "Traceback" not in result.err
    if result.code == 1:
        assert result.errors, result.err
    for line in result.problems:
        assert re.match(rf"content/{re.escape(NAME)}:\d+(:\d+)?: \S", line), line


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_any_bytes_as_an_article_give_a_site_or_located_errors(raw):
    _located(_build_one(raw))


@SETTINGS
@given(text=st.text(max_size=300), head=st.booleans())
def test_any_text_as_an_article_give_a_site_or_located_errors(text, head):
    raw = (FRONT + text if head else text).encode("utf-8", "surrogatepass")
    _located(_build_one(raw))


_KEYS = st.sampled_from(
    # Every field the schema knows, the nested ones (image, source, corrections) included.
    sorted({*ARTICLE_FIELDS, *IMAGE_FIELDS, "url", "name", "text"})
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(["2026-03-17", "2026-02-30", "NO", "yes", "12:30", "1.10", "~", ""])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@SETTINGS
@given(fields=st.dictionaries(_KEYS, _VALUES, max_size=8), flow=st.booleans())
def test_any_yaml_mapping_as_front_matter_gives_a_site_or_located_errors(fields, flow):
    fields.setdefault("title", "T")
    fields.setdefault("date", "2026-03-17")
    front = yaml.safe_dump(fields, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    _located(_build_one(f"---\n{front}---\nBody.\n".encode("utf-8", "surrogatepass")))


def test_a_date_beyond_what_a_datetime_holds_in_the_site_zone_is_a_located_error():
    """Found by the mapping property above: year 9999 one offset away crashed a filter."""
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        result = _build_one(f"---\ntitle: T\ndate: {moment}\n---\n".encode())
        assert result.errors == [
            f'content/{NAME}:3: date: "{moment}" is not a date (too far in the past or the future)'
        ]
