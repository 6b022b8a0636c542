"""Split a source file into front matter and body, and read the YAML safely.

PyYAML's own constructors are not used: the node tree is walked here so that every value
keeps its file line, duplicate keys are caught, unknown tags are refused without running
anything, alias bombs are stopped by counting, and plain scalars stay text (no YAML 1.1
``NO`` -> False, ``1.10`` -> 1.1 or ``12:30`` -> 750). The schema decides types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from briefing.errors import ContentError, at_line

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 50
"""Front matter deeper than this is a mistake, not a briefing."""
MAX_VALUES = 20_000
"""Counted with aliases expanded: a few anchors can otherwise stand for billions of values."""

_SCAN_FIRST = 10_000
"""Front matter longer than this is checked for depth before it is composed."""
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge")
}
_NULLS = {"", "~", "null", "Null", "NULL"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OPENING = re.compile(r"---[ \t]*")
_CLOSING = re.compile(r"(---|\.\.\.)[ \t]*")


class Plain(str):
    """Text written without quotes in YAML; the schema may read it as a number or a flag."""

    __slots__ = ()


@dataclass(frozen=True)
class SourceText:
    """A source file split into its parts, with line numbers kept."""

    text: str
    """The whole file, decoded and with line endings normalised (for quoting lines)."""
    fields: dict[str, Any]
    """Front matter values: str (``Plain`` when unquoted), None, list, dict."""
    lines: dict[str, int] = field(default_factory=dict)
    """File line of each value, by dotted path (``image.caption``, ``tags[1]``)."""
    body: str = ""
    body_line: int = 1
    """File line where the body starts, to place Markdown problems."""
    has_front_matter: bool = False


def decode(path: str, raw: bytes) -> tuple[str | None, list[ContentError]]:
    """Bytes to text: UTF-8 (a BOM is fine), any line endings, no control characters."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1].hex().upper()
        return None, [
            ContentError(
                path,
                line,
                f"the file is not UTF-8 text (byte 0x{bad} on this line)",
                hint="save the file with UTF-8 encoding in your editor",
            )
        ]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problems: list[ContentError] = []
    match = _CONTROL.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(
            at_line(
                path,
                text,
                line,
                "invisible control characters were removed (first on this line)",
                hint="they often come from copy-pasting wire copy; retype the line if it looks odd",
                warning=True,
            )
        )
        text = _CONTROL.sub("", text)
    return text, problems


def split(path: str, raw: bytes) -> tuple[SourceText | None, list[ContentError]]:
    """Read one source file: decode, find the front matter block, parse it."""
    text, problems = decode(path, raw)
    if text is None:
        return None, problems
    lines = text.split("\n")
    if not lines or not _OPENING.fullmatch(lines[0]):
        return SourceText(text, {}, body=text, body_line=1), problems
    for index in range(1, len(lines)):
        if _CLOSING.fullmatch(lines[index]):
            break
    else:
        problems.append(
            at_line(
                path,
                text,
                1,
                "the front matter starts with --- but never ends",
                hint="add a line with just --- after the last field",
            )
        )
        return None, problems
    yaml_text = "\n".join(lines[1:index])
    fields, field_lines, yaml_problems = parse_yaml(path, text, yaml_text, first_line=2)
    problems.extend(yaml_problems)
    if fields is None:
        return None, problems
    body = "\n".join(lines[index + 1 :])
    return (
        SourceText(text, fields, field_lines, body, index + 2, has_front_matter=True),
        problems,
    )


def parse_yaml(
    path: str, text: str, yaml_text: str, first_line: int, *, what: str = "the front matter"
) -> tuple[dict[str, Any] | None, dict[str, int], list[ContentError]]:
    """Parse a YAML mapping whose first line is ``first_line`` of the file ``text``.

    ``what`` names the YAML in messages: ``the front matter``, or ``site.yaml``.
    """
    try:
        if len(yaml_text) > _SCAN_FIRST and _too_deep(yaml_text):
            message = f"{what} is nested more than {MAX_DEPTH} levels deep"
            return None, {}, [at_line(path, text, first_line, message)]
        node = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):
            # Newer libyaml stops at its own depth limit before ours is reached.
            message = f"{what} is nested more than {MAX_DEPTH} levels deep"
            return None, {}, [at_line(path, text, first_line, message)]
        where = exc.problem_mark or exc.context_mark
        spot = (where.line, where.column) if where else None
        unclosed = _UNCLOSED.get(str(exc.context))
        opened = _runaway_quote(yaml_text, *spot) if spot else None
        if unclosed is not None and exc.context_mark is not None:
            # The scanner only notices at the end of the text: point at where it opened.
            spot, (problem, hint) = (exc.context_mark.line, exc.context_mark.column), unclosed
        elif opened is not None:
            spot, problem = opened, "the quote that starts here is not closed on its line"
            hint = _UNCLOSED["while scanning a quoted scalar"][1]
        else:
            problem, hint = "", _yaml_hint(exc)
        line = first_line + spot[0] if spot else None
        column = spot[1] + 1 if spot else None
        message = f"{what} is not valid YAML: {problem or exc.problem or exc.context}"
        return None, {}, [at_line(path, text, line, message, column=column, hint=hint)]
    except yaml.YAMLError as exc:
        return (
            None,
            {},
            [at_line(path, text, first_line, f"{what} is not valid YAML: {exc}")],
        )
    except RecursionError:
        return None, {}, [at_line(path, text, first_line, f"{what} is nested too deeply")]
    if node is None:
        return {}, {}, []
    reader = _NodeReader(path, text, first_line, what)
    try:
        value = reader.read(node, "", 0)
    except _Refused as refusal:
        return None, {}, [refusal.problem]
    if not isinstance(value, dict):
        line = first_line + node.start_mark.line
        return (
            None,
            {},
            [
                at_line(
                    path,
                    text,
                    line,
                    f"{what} must be a list of `field: value` lines",
                    hint="write e.g. `title: My headline`, one field per line",
                )
            ],
        )
    return value, reader.lines, reader.problems


def _too_deep(yaml_text: str) -> bool:
    """Check nesting with the event stream, which does not recurse: libyaml's composer
    does, and crashes the process on a few hundred thousand open brackets."""
    depth = 0
    for event in yaml.parse(yaml_text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


_UNCLOSED = {
    "while scanning a quoted scalar": (
        "the quote that starts here is never closed",
        "end the text with the same quote mark it starts with, on the same line",
    ),
    "while parsing a flow sequence": (
        "the [ that starts here is never closed",
        "end the list with ] on the same line, e.g. tags: [china, russia]",
    ),
    "while parsing a flow mapping": (
        "the { that starts here is never closed",
        "end it with } on the same line, or write the fields on indented lines below",
    ),
}


def _runaway_quote(yaml_text: str, line: int, column: int) -> tuple[int, int] | None:
    """A quoted value left open on its line runs on to the next quote mark, most often the
    one that opens the next quoted value, and YAML only objects after it. When the text
    just before the problem ends with a quote that closes one opened on an earlier line:
    that line and the opening quote's column (0-based)."""
    lines = yaml_text.split("\n")
    before = lines[line][:column].rstrip() if line < len(lines) else ""
    quote = before[-1:]
    if quote not in ('"', "'") or before.count(quote) % 2 == 0:
        return None
    for number in range(line - 1, -1, -1):
        if lines[number].count(quote) % 2:
            return number, lines[number].rindex(quote)
    return None


def _yaml_hint(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or "")
    if "\\t" in problem or "tab" in problem:
        return "YAML does not allow tab characters for indenting: use spaces"
    if "mapping values are not allowed" in problem:
        return 'a value that contains ": " must be put in quotes, e.g. title: "Xi: a visit"'
    if "found undefined alias" in problem:
        return "remove the *name, or define it first with &name"
    return "check the indentation, and put values containing : # [ ] { } in quotes"


class _Refused(Exception):
    def __init__(self, problem: ContentError) -> None:
        self.problem = problem


class _NodeReader:
    """Turns a composed YAML node tree into plain values, recording lines and limits."""

    def __init__(self, path: str, text: str, first_line: int, what: str) -> None:
        self.what = what
        self.path = path
        self.text = text
        self.first_line = first_line
        self.lines: dict[str, int] = {}
        self.problems: list[ContentError] = []
        self.count = 0

    def _line(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def _refuse(self, node: yaml.Node, message: str, hint: str = "") -> _Refused:
        return _Refused(at_line(self.path, self.text, self._line(node), message, hint=hint))

    def read(self, node: yaml.Node, where: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._refuse(
                node,
                f"{self.what} expands to too many values (YAML anchors and aliases?)",
                hint="write the values out instead of using &anchors and *aliases",
            )
        if depth > MAX_DEPTH:
            raise self._refuse(node, f"{self.what} is nested more than {MAX_DEPTH} levels deep")
        if node.tag not in _STANDARD_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._refuse(
                node,
                f"the YAML tag {tag} is not allowed in {self.what}",
                hint="it holds text, lists and `field: value` pairs only",
            )
        if where:
            self.lines.setdefault(where, self._line(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style is None or node.style == "":
                return None if node.value in _NULLS else Plain(node.value)
            return str(node.value)
        if isinstance(node, yaml.SequenceNode):
            return [
                self.read(item, f"{where}[{index}]", depth + 1)
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._refuse(
                        key_node, "a field name must be a word, not a list or mapping"
                    )
                key = str(key_node.value)
                path = f"{where}.{key}" if where else key
                if key in result:
                    first = self.lines.get(path)
                    self.problems.append(
                        at_line(
                            self.path,
                            self.text,
                            self._line(key_node),
                            f"{path} appears twice (first on line {first})",
                            hint="keep only one of them",
                        )
                    )
                self.lines[path] = self._line(key_node)
                result[key] = self.read(value_node, path, depth + 1)
            return result
        raise self._refuse(node, f"this YAML value is not supported in {self.what}")
