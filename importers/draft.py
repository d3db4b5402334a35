"""PlanDraft: what a file says, before it meets the database.

Plain dataclasses, no database (Django only for gettext): the layout step builds them, the loader applies
them, and tests compare them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tasklist.headings import is_printed


@dataclass(frozen=True)
class SourceRef:
    """Where in the source file something was read (1-based; column None for plain text)."""

    line: int
    column: int | None = None

    def label(self) -> str:
        if self.column is None:
            return _("Line %(line)s") % {"line": self.line}
        return _("Line %(line)s, column %(column)s") % {"line": self.line, "column": self.column}


@dataclass
class Problem:
    """One problem in a file. Its text is fixed in the language active when it was found,
    like its message, so that a clerk never reads half Chinese, half English."""

    ref: SourceRef | None
    message: str
    text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.ref is None:
            self.text = self.message
        else:
            self.text = _("%(where)s: %(message)s") % {"where": self.ref.label(), "message": self.message}

    def __str__(self) -> str:
        return self.text


# A clerk corrects a file from its first problems. Past this many the rest are only counted, so that
# a malformed file of thousands of rows cannot store and render hundreds of thousands of them.
MAX_PROBLEMS = 200


class ProblemList(list):
    """Problems as they are found: the first `limit` kept, the others counted in `omitted`."""

    def __init__(self, limit: int = MAX_PROBLEMS):
        super().__init__()
        self.limit = limit
        self.omitted = 0

    def append(self, problem: Problem) -> None:
        if len(self) < self.limit:
            super().append(problem)
        else:
            self.omitted += 1

    def extend(self, problems) -> None:
        for problem in problems:
            self.append(problem)


class DraftError(Exception):
    """A file could not be turned into a draft; carries every problem found (up to MAX_PROBLEMS,
    the rest counted in `omitted`), not just the first."""

    def __init__(self, problems: list[Problem], omitted: int = 0):
        self.problems = problems[:MAX_PROBLEMS]
        self.omitted = omitted + getattr(problems, "omitted", 0) + max(0, len(problems) - MAX_PROBLEMS)
        super().__init__("\n".join(self.messages()))

    def messages(self) -> list[str]:
        """What the clerk reads: each problem, then how many more there are."""
        return [str(p) for p in self.problems] + ([self.omission()] if self.omitted else [])

    def omission(self) -> str:
        """The line that says how many problems are not listed ("" when all are)."""
        if not self.omitted:
            return ""
        return _("%(count)s more problems are not listed; correct the ones above and import again to see the rest.") % {
            "count": self.omitted
        }

    def stored(self) -> tuple[list[str], dict]:
        """The problems as an import session keeps them: the listed ones, and beside them the
        total and the omission line (so the page counts problems, not the line about the rest)."""
        return [str(p) for p in self.problems], {
            "problem_count": len(self.problems) + self.omitted,
            "omission": self.omission(),
        }


@dataclass
class UnitDraft:
    name: str
    role: str  # "lead" | "cooperating" | "responsible"


@dataclass
class TaskDraft:
    number: int | None
    content: str
    units: list[UnitDraft] = field(default_factory=list)
    ref: SourceRef | None = None
    deadline_text: str = ""
    due_on: dt.date | None = None


@dataclass
class SectionDraft:
    number: int
    title: str
    tasks: list[TaskDraft] = field(default_factory=list)
    ref: SourceRef | None = None

    @property
    def untitled(self) -> bool:
        """A plan printed without sections (or parts) gets one of number 1 and no title; the plan
        page and the exports print no heading for it (tasklist.headings)."""
        return not is_printed(self.title)


@dataclass
class PartDraft:
    number: int
    title: str
    sections: list[SectionDraft] = field(default_factory=list)
    ref: SourceRef | None = None

    @property
    def untitled(self) -> bool:
        return not is_printed(self.title)


@dataclass
class PlanMeta:
    title: str = ""
    doc_number: str = ""
    issuer: str = ""
    issued_on: dt.date | None = None
    jurisdiction: str = ""


@dataclass
class PlanDraft:
    meta: PlanMeta
    parts: list[PartDraft] = field(default_factory=list)
    assignment_note: str = ""
    # What the clerk should see before confirming but that does not stop the import,
    # e.g. a task that names no unit (the office assigns it on the task page).
    warnings: list[Problem] = field(default_factory=list)
    sheet_name: str = ""  # the sheet or table the plan was read from
    sheet_names: list[str] = field(default_factory=list)  # every sheet the file has, for the user to pick

    def tasks(self):
        for part in self.parts:
            for section in part.sections:
                for task in section.tasks:
                    yield part, section, task

    def unit_names(self) -> list[str]:
        """Every unit name in order of first appearance."""
        seen: dict[str, None] = {}
        for _part, _section, task in self.tasks():
            for unit in task.units:
                seen.setdefault(unit.name, None)
        return list(seen)
