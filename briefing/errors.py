"""Problems found in an editor's files, as values.

Every stage returns the problems it found instead of raising, so one build reports all of
them at once, in the terminal and in the preview overlay alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ContentError:
    """One problem in one file, in words an editor understands."""

    path: str
    """The file, relative to the site folder (e.g. ``content/2023-03-17/xi.md``)."""
    line: int | None
    """1-based line in that file, when known."""
    message: str
    """What is wrong, naming the field and quoting the value."""
    column: int | None = None
    """1-based column, when known."""
    hint: str = ""
    """What to do about it."""
    source_line: str = ""
    """The offending line as written, quoted under the message."""
    warning: bool = False
    """A warning is reported but does not fail the build."""

    @property
    def location(self) -> str:
        # A file name may hold a line break or another invisible character: spelled out, it
        # cannot split the report or forge a line of it (the message is treated alike).
        where = _INVISIBLE.sub(_spell_out, self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        """The text shown in the terminal: location, message, quoted line, hint."""
        label = "warning: " if self.warning else ""
        text = f"{self.location}: {label}{_INVISIBLE.sub(_spell_out, self.message)}"
        if self.source_line.strip():
            text += f"\n    | {self.source_line.rstrip()}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        """For the preview overlay, which receives problems as JSON."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "source_line": self.source_line,
            "warning": self.warning,
        }


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _spell_out(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def at_line(
    path: str,
    text: str,
    line: int | None,
    message: str,
    *,
    column: int | None = None,
    hint: str = "",
    warning: bool = False,
) -> ContentError:
    """Make a problem that quotes ``line`` of ``text`` (the file's contents)."""
    quoted = ""
    if line is not None:
        lines = text.splitlines()
        if 0 < line <= len(lines):
            quoted = lines[line - 1][:200]
    return ContentError(path, line, message, column, hint, quoted, warning)


def has_errors(problems: Iterable[ContentError]) -> bool:
    return any(not p.warning for p in problems)


def sort_problems(problems: Iterable[ContentError]) -> list[ContentError]:
    """File order, then line order, so a report reads top to bottom."""
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.column or 0, p.message))


def display_path(path: Path, root: Path) -> str:
    """A path as the editor sees it: relative to the site folder where possible."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
