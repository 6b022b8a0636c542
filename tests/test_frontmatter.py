"""Bad front matter: every mistake an editor makes is reported as ``path:line: words``.

Each case goes through ``briefing build``: the exit code is 1, the first line of the report
names the file and the line, and the words say what is wrong without YAML jargon where an
editor would trip over it. Accepted oddities (BOM, CRLF, ``NO``) build a correct page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SiteDir, article, photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.content import Kind
from briefing.frontmatter import MAX_DEPTH, split
from briefing.parse import parse_source

XI = "content/2023-03-17/xi.md"


def failing(site: SiteDir) -> list[str]:
    """Build, expect failure, return the reported errors' first lines."""
    result = site.build()
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert result.errors, result.err
    return result.errors


def only_error(site: SiteDir) -> str:
    errors = failing(site)
    assert len(errors) == 1, errors
    return errors[0]


def test_the_issue_example_next_friday_names_file_line_and_shows_an_example(make_site):
    site = make_site(
        {
            XI: """\
            ---
            title: Xi visits Moscow
            summary: A show of support.
            date: next friday
            ---

            BEIJING -- text.
            """
        }
    )
    result = site.build()
    assert result.code == 1
    assert result.errors == [
        'content/2023-03-17/xi.md:4: date: "next friday" is not a date '
        "(expected e.g. 2023-03-17 or 2023-03-17T09:00:00+08:00)"
    ]
    assert "    | date: next friday" in result.err.splitlines()


def test_front_matter_that_never_closes_says_to_add_the_closing_dashes(make_site):
    site = make_site({XI: "---\ntitle: Xi\ndate: 2023-03-17\n\nBody text.\n"})
    error = only_error(site)
    assert error.startswith(f"{XI}:1: ")
    assert "never ends" in error
    assert "add a line with just ---" in site.build().err


def test_yaml_syntax_error_points_at_the_line_and_column_and_suggests_quotes(make_site):
    site = make_site({XI: "---\ntitle: Xi: a visit\ndate: 2023-03-17\n---\n\nBody.\n"})
    error = only_error(site)
    assert error.startswith(f"{XI}:2:10: the front matter is not valid YAML")
    assert 'must be put in quotes, e.g. title: "Xi: a visit"' in site.build().err


def test_yaml_error_further_down_counts_lines_from_the_top_of_the_file(make_site):
    text = "---\ntitle: Xi\nsummary: fine\ndate: 2023-03-17\nbyline: a: b\n---\n"
    error = only_error(make_site({XI: text}))
    assert error.startswith(f"{XI}:5:10: the front matter is not valid YAML")


def test_an_unclosed_quote_points_at_the_line_where_it_opens(make_site):
    site = make_site({XI: '---\ntitle: "Xi visits\ndate: 2023-03-17\nsummary: x\n---\n\nBody.\n'})
    assert only_error(site) == (
        f"{XI}:2:8: the front matter is not valid YAML: the quote that starts here is never closed"
    )
    assert '    | title: "Xi visits' in site.build().err.splitlines()


def test_a_quote_left_open_until_the_next_quoted_value_points_at_where_it_opens(make_site):
    # The quote on line 2 is closed by the first quote of line 3, and YAML only notices
    # after it: the editor must be sent to line 2, where the mistake is.
    text = '---\ntitle: "Xi visits\nsummary: "Talks in Moscow"\ndate: 2023-03-17\n---\n'
    site = make_site({XI: text})
    assert only_error(site) == (
        f"{XI}:2:8: the front matter is not valid YAML: the quote that starts here is not "
        "closed on its line"
    )
    assert "end the text with the same quote mark it starts with" in site.build().err


def test_a_quoted_value_over_two_lines_is_still_valid_yaml(make_site):
    text = '---\ntitle: "Xi visits\n  Moscow"\ndate: 2023-03-17\n---\n\nBody.\n'
    site = make_site({XI: text})
    assert site.build().code == 0


def test_an_unclosed_list_points_at_the_line_where_it_opens(make_site):
    site = make_site({XI: "---\ntitle: Xi\ntags: [china, russia\ndate: 2023-03-17\n---\n"})
    assert only_error(site) == (
        f"{XI}:3:7: the front matter is not valid YAML: the [ that starts here is never closed"
    )
    assert "end the list with ] on the same line" in site.build().err


def test_a_tab_used_for_indenting_is_named_as_a_tab(make_site):
    site = make_site({XI: "---\ntitle: Xi\n\tdate: 2023-03-17\n---\n\nBody.\n"})
    error = only_error(site)
    assert error.startswith(f"{XI}:3:")
    assert "tab" in site.build().err


def test_a_field_written_twice_is_an_error_naming_both_lines(make_site):
    site = make_site({XI: "---\ntitle: First\ndate: 2023-03-17\ntitle: Second\n---\n\nB.\n"})
    assert only_error(site) == f"{XI}:4: title appears twice (first on line 2)"


def test_a_duplicate_inside_a_nested_field_is_also_caught(make_site):
    text = "---\ntitle: X\ndate: 2023-03-17\nimage:\n  src: a.jpg\n  src: b.jpg\n---\n"
    errors = failing(make_site({XI: text}))
    assert f"{XI}:6: image.src appears twice (first on line 5)" in errors


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-02-30", "day is out of range for month"),
        ("2024-13-01", "month must be in 1..12"),
        ("2024-02-30T09:00:00", "day is out of range for month"),
    ],
)
def test_an_impossible_date_says_why_it_is_impossible(make_site, value, reason):
    error = only_error(make_site({XI: article("Xi", date=value)}))
    assert error == f'{XI}:3: date: "{value}" is not a date ({reason})'


@pytest.mark.parametrize(
    "value",
    [
        "next friday",
        "2023-3-17",
        "March 17",
        "17/03/2023",
        "true",
        "12:30",
        "2023-03-17 morning",
        "'2023'",
    ],
)
def test_every_wrong_shape_of_date_text_is_refused_with_the_example(make_site, value):
    error = only_error(make_site({XI: article("Xi", date=value)}))
    assert error.startswith(f'{XI}:3: date: "')
    assert error.endswith(
        "is not a date (expected e.g. 2023-03-17 or 2023-03-17T09:00:00+08:00)"
    ), error


@pytest.mark.parametrize(("value", "kind"), [("[2023-03-17]", "a list"), ("{day: 17}", "a set")])
def test_a_date_that_is_a_list_or_mapping_says_it_should_be_text(make_site, value, kind):
    error = only_error(make_site({XI: article("Xi", date=value)}))
    assert error.startswith(f"{XI}:3: date should be text, not {kind}")


def test_two_sections_as_a_list_says_to_keep_one_and_use_tags(make_site):
    site = make_site({XI: article("Xi", section="[World, Politics]")})
    assert only_error(site).startswith(f"{XI}:4: section should be text, not a list")
    assert "keep one here, and put the others in tags" in site.build().err


def test_a_date_in_the_updated_field_is_checked_too(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", updated="yesterday")}))
    assert error.startswith(f'{XI}:4: updated: "yesterday" is not a date')


def test_bytes_that_are_not_utf8_name_the_line_and_the_fix(make_site):
    raw = b"---\ntitle: Caf\xe9 culture\ndate: 2023-03-17\n---\n\nBody.\n"
    site = make_site({XI: raw})
    assert only_error(site) == f"{XI}:2: the file is not UTF-8 text (byte 0xE9 on this line)"
    assert "save the file with UTF-8 encoding" in site.build().err


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(make_site):
    raw = "\ufeff---\r\ntitle: Café culture\r\ndate: 2023-03-17\r\n---\r\n\r\nBody line.\r\n"
    site = make_site({XI: raw.encode("utf-8")}).built()
    page = site.page("2023/03/17/xi/")
    assert page.h1.get_text() == "Café culture"
    assert page.select_one(".article-body p").get_text() == "Body line."


def test_old_mac_line_endings_are_accepted(make_site):
    raw = b"---\rtitle: Mac\rdate: 2023-03-17\r---\r\rBody.\r"
    site = make_site({XI: raw}).built()
    assert site.page("2023/03/17/xi/").h1.get_text() == "Mac"


def test_an_empty_file_is_an_error_saying_front_matter_is_missing(make_site):
    site = make_site({XI: b""})
    assert only_error(site) == f"{XI}:1: the file has no front matter"
    assert "start the file with a line ---" in site.build().err


def test_a_file_with_only_text_and_no_front_matter_is_an_error(make_site):
    assert only_error(make_site({XI: "Just a body.\n"})) == f"{XI}:1: the file has no front matter"


def test_a_missing_title_says_so_and_how_to_add_it(make_site):
    site = make_site({XI: "---\ndate: 2023-03-17\n---\n\nBody.\n"})
    assert only_error(site) == f"{XI}:1: title is missing"
    assert "add a line `title: ...`" in site.build().err


def test_an_empty_title_is_an_error_on_its_line(make_site):
    error = only_error(make_site({XI: "---\ntitle: ''\ndate: 2023-03-17\n---\n"}))
    assert error == f"{XI}:2: title is empty"


def test_a_missing_date_says_so(make_site):
    assert only_error(make_site({XI: "---\ntitle: Xi\n---\n\nB.\n"})) == f"{XI}:1: date is missing"


def test_front_matter_that_is_a_list_says_fields_are_expected(make_site):
    error = only_error(make_site({XI: "---\n- title\n- date\n---\n\nBody.\n"}))
    assert error == f"{XI}:2: the front matter must be a list of `field: value` lines"


def test_front_matter_that_is_a_single_word_says_fields_are_expected(make_site):
    error = only_error(make_site({XI: "---\njust words\n---\n\nBody.\n"}))
    assert error == f"{XI}:2: the front matter must be a list of `field: value` lines"


def test_an_image_written_as_a_list_says_it_wants_indented_fields(make_site):
    site = make_site({XI: article("Xi", date="2023-03-17", image="[a.jpg, b.jpg]")})
    error = only_error(site)
    assert error == f"{XI}:4: image should be a set of fields on indented lines below it"


def test_a_source_written_as_text_says_it_wants_indented_fields(make_site):
    site = make_site({XI: article("Xi", date="2023-03-17", source="NPR")})
    error = only_error(site)
    assert error == f"{XI}:4: source should be a set of fields on indented lines below it"


def test_tags_written_as_a_mapping_say_a_list_is_expected(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", tags="{a: 1}")}))
    assert error.startswith(f"{XI}:4: tags should be a list of names")


def test_corrections_must_be_a_list_of_entries(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", corrections="oops")}))
    assert error.startswith(f"{XI}:4: corrections should be a list of entries")


def test_a_weight_that_is_not_a_number_is_named(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", weight="first")}))
    assert error == f'{XI}:4: weight: "first" is not a whole number'


def test_draft_must_be_true_or_false(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", draft="maybe")}))
    assert error == f'{XI}:4: draft: "maybe" is not true or false'


def test_a_source_url_that_is_not_a_web_address_is_refused(make_site):
    text = (
        "---\ntitle: X\ndate: 2023-03-17\nsource:\n  name: NPR\n  url: javascript:alert(1)\n---\n"
    )
    error = only_error(make_site({XI: text}))
    assert error == f'{XI}:6: source.url: "javascript:alert(1)" is not a web address'


def test_python_object_tags_are_refused_and_never_run(make_site, tmp_path):
    marker = tmp_path / "pwned"
    text = (
        "---\ntitle: X\ndate: 2023-03-17\n"
        f"evil: !!python/object/apply:os.system ['touch {marker}']\n---\n"
    )
    error = only_error(make_site({XI: text}))
    assert error == (
        f"{XI}:4: the YAML tag !!python/object/apply:os.system is not allowed in the front matter"
    )
    assert not marker.exists()


def test_custom_yaml_tags_are_refused(make_site):
    error = only_error(make_site({XI: article("Xi", date="2023-03-17", mood="!shout loud")}))
    assert error.startswith(f"{XI}:4: the YAML tag !shout is not allowed")


def test_an_alias_bomb_is_refused_with_a_plain_message(make_site):
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 10):
        levels.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    text = "---\ntitle: Bomb\ndate: 2023-03-17\n" + "\n".join(levels) + "\n---\n\nBody.\n"
    site = make_site({XI: text})
    error = only_error(site)
    assert error.startswith(f"{XI}:")
    assert "expands to too many values" in error
    assert "anchors and *aliases" in site.build().err


@pytest.mark.parametrize("depth", [60, 1000, 5000])
def test_deeply_nested_front_matter_is_refused_not_crashed(make_site, depth):
    text = "---\ntitle: Deep\ndate: 2023-03-17\ndeep: " + "[" * depth + "]" * depth + "\n---\n"
    error = only_error(make_site({XI: text}))
    assert error.startswith(f"{XI}:")
    assert "nested" in error and "deep" in error


def test_5000_deep_block_mappings_are_refused(make_site):
    lines = [" " * level + f"k{level}:" for level in range(5000)] + [" " * 5000 + "end"]
    text = "---\ntitle: Deep\ndate: 2023-03-17\n" + "\n".join(lines) + "\n---\n"
    error = only_error(make_site({XI: text}))
    assert error.startswith(f"{XI}:")
    assert f"more than {MAX_DEPTH} levels" in error or "too deeply" in error


def test_yaml_11_booleans_and_numbers_stay_the_words_the_editor_wrote(make_site):
    text = """\
    ---
    title: NO
    date: 2023-03-17
    summary: yes
    dateline: off
    byline: [NO, Yes]
    section: on
    tags: [1.10, 12:30, y]
    ---

    Body.
    """
    page = make_site({XI: text}).built().page("2023/03/17/xi/")
    assert page.h1.get_text() == "NO"
    assert page.select_one(".dek").get_text() == "yes"
    assert page.select_one(".dateline").get_text() == "off —"
    assert [a.get_text() for a in page.select(".byline .author")] == ["NO", "Yes"]
    assert page.select_one(".kicker a").get_text() == "on"
    assert [a.get_text() for a in page.select(".tags a")] == ["1.10", "12:30", "y"]


def test_two_broken_files_are_both_reported_in_one_build(make_site):
    site = make_site(
        {
            "content/2023-03-17/a.md": article("A", date="next friday"),
            "content/2023-03-18/b.md": "---\ntitle: B: oops\ndate: 2023-03-18\n---\n",
            "content/2023-03-18/fine.md": article("Fine", date="2023-03-18"),
        }
    )
    result = site.build()
    assert result.code == 1
    paths = [error.split(":")[0] for error in result.errors]
    assert paths == ["content/2023-03-17/a.md", "content/2023-03-18/b.md"]
    assert "2 errors: nothing was written" in result.err


def test_several_mistakes_in_one_file_are_all_reported(make_site):
    text = "---\ntitle: X\ndate: soon\nweight: heavy\ndraft: perhaps\n---\n"
    errors = failing(make_site({XI: text}))
    assert [error.split(":")[1] for error in errors] == ["3", "4", "5"]


def test_a_misspelled_image_caption_is_a_warning_naming_caption(make_site):
    text = """\
    ---
    title: Xi
    date: 2023-03-17
    image:
      src: /photo.jpg
      alt: A photo
      captoin: Leaders meet
    ---
    """
    site = make_site({XI: text, "content/photo.jpg": photo()})
    result = site.build()
    assert result.code == 0
    assert result.warnings == [
        f"{XI}:7: warning: unknown field 'image.captoin': did you mean 'image.caption'?"
    ]


def test_a_misspelled_image_field_is_a_warning_naming_image(make_site):
    text = "---\ntitle: Xi\ndate: 2023-03-17\nimgae: photo.jpg\n---\n"
    result = make_site({XI: text}).build()
    assert result.code == 0
    assert result.warnings == [f"{XI}:4: warning: unknown field 'imgae': did you mean 'image'?"]


def test_an_image_without_alt_text_is_a_warning_for_screen_reader_users(make_site):
    text = "---\ntitle: Xi\ndate: 2023-03-17\nimage:\n  src: /p.jpg\n---\n"
    result = make_site({XI: text, "content/p.jpg": photo()}).build()
    assert result.code == 0
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(f"{XI}:5: warning: image.alt is missing")


def test_control_characters_from_wire_copy_are_removed_with_a_warning(make_site):
    raw = b"---\ntitle: Wire\x0c copy\ndate: 2023-03-17\n---\n\nBody\x07 text.\n"
    site = make_site({XI: raw})
    result = site.build()
    assert result.code == 0
    assert result.warnings[0].startswith(f"{XI}:2: warning: invisible control characters")
    assert site.page("2023/03/17/xi/").h1.get_text() == "Wire copy"
    assert site.feed().entries[0].title == "Wire copy"


def test_a_ten_thousand_character_title_builds(make_site):
    title = "Long " * 2000
    site = make_site({XI: article(title.strip(), date="2023-03-17")}).built()
    assert site.page("2023/03/17/xi/").h1.get_text() == title.strip()


def test_right_to_left_text_and_emoji_come_through_intact(make_site):
    title = "مرحبا بالعالم 🌍 שלום"
    text = article(f'"{title}"', date="2023-03-17", body="نص عربي 🗞️ and English.")
    site = make_site({XI: text}).built()
    page = site.page("2023/03/17/xi/")
    assert page.h1.get_text() == title
    assert "نص عربي 🗞️" in page.select_one(".article-body").get_text()
    assert site.feed().entries[0].title == title


def test_jinja_syntax_in_content_is_printed_not_evaluated(make_site):
    text = article(
        '"{{ 7*7 }} ways"', date="2023-03-17", body="{% if true %}x{% endif %} {{ 6*6 }}"
    )
    page = make_site({XI: text}).built().page("2023/03/17/xi/")
    assert page.h1.get_text() == "{{ 7*7 }} ways"
    assert "{{ 6*6 }}" in page.select_one(".article-body").get_text()


# Property-based: whatever bytes an editor saves, parsing gives fields or located errors.

_yaml_ish = st.text(
    alphabet=st.sampled_from(list("ab:- \n\t[]{}&*!|>'\"#%@`,?~0129.\x00\x0c\r\ufeffé")),
    max_size=200,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=_yaml_ish, body=st.text(max_size=50))
def test_any_front_matter_gives_fields_or_errors_with_a_line(front, body):
    raw = f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass")
    parsed, problems = parse_source("2023-03-17/x.md", Kind.ARTICLE, raw, "UTC")
    errors = [p for p in problems if not p.warning]
    if parsed is None:
        assert errors, "refused without saying why"
    for problem in problems:
        assert problem.path == "content/2023-03-17/x.md"
        assert problem.line is not None and problem.line >= 1, problem
        assert problem.message


@settings(max_examples=300, deadline=None)
@given(
    extra=st.lists(st.sampled_from(["summary: S", "byline: [A]", "", "# note"]), max_size=4),
    body=st.text(alphabet=st.sampled_from(list("ab-\n\r\t \ufeff\x0c---")), max_size=60),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_the_body_is_exactly_what_follows_the_front_matter(extra, body, newline):
    front = newline.join(["---", "title: A", "date: 2026-03-17T09:00:00", *extra, "---"])
    raw = (front + newline + body).encode()
    parsed, _ = parse_source("2023-03-17/x.md", Kind.ARTICLE, raw, "UTC")
    split_source, _ = split("content/2023-03-17/x.md", raw)
    assert parsed is not None and split_source is not None
    assert parsed.body == split_source.body


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300))
def test_any_bytes_give_a_result_or_located_errors(raw):
    source, problems = split("content/x.md", raw)
    if source is None:
        assert problems
    for problem in problems:
        assert problem.line is not None


def test_a_property_sample_builds_through_the_cli_without_a_traceback(make_site, tmp_path: Path):
    """A few awkward inputs through the whole build: a site or an error, never a crash."""
    awkward = [
        b"---\n: \n---\n",
        b"---\n? [a]\n: b\n---\n",
        b"---\ntitle: [\n---\n",
        b"---\ntitle: x\ndate: 2023-03-17\nslug: '..'\n---\n",
        b"---\ntitle: x\ndate: 2023-03-17\ntags: [null, ~, '']\n---\n",
        b"---\ntitle: x\ndate: 2023-03-17T25:00:00\n---\n",
        b"---\ntitle: x\ndate: 2023-03-17\nimage: {src: ''}\n---\n",
        b"---\n...\n",
        b"---\n---\n",
    ]
    for index, raw in enumerate(awkward):
        site = make_site({f"content/2023-03-17/a{index}.md": raw})
        result = site.build()
        assert "Traceback" not in result.err
        assert result.code in (0, 1), (raw, result)
        for line in result.problems:
            assert line.startswith(f"content/2023-03-17/a{index}.md:"), (raw, line)


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: Xi: a visit\ndate: 2023-03-17\n---\n",
        "---\ntitle: Xi\n\tdate: 2023-03-17\n---\n",
        "---\ntitle: Xi\ndate: 2023-03-17\ntitle: Again\n---\n",
        "---\ntitle: Xi\ndate: 2024-02-30\n---\n",
        "---\ntitle: Xi\ndate: 2023-03-17\nweight: heavy\n---\n",
        "---\ntitle: Xi\ndate: 2023-03-17\nslug: ../x\n---\n",
        "---\ntitle: Xi\ndate: 2023-03-17\nx: !!python/object/apply:os.system [ls]\n---\n",
    ],
)
def test_every_located_error_quotes_the_line_it_names(make_site, text):
    result = make_site({XI: text}).build()
    assert result.code == 1
    lines = result.err.splitlines()
    first = lines[0]
    number = int(first.split(":")[1])
    assert lines[1] == "    | " + text.split("\n")[number - 1].rstrip()
