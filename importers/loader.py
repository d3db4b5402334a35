"""PlanDraft → database: resolve agencies, diff against what is stored, apply in one transaction.

The loader is the only writer of imported plans, so the web import, the command
and the tests share one path. It works in set operations (a handful of queries
whatever the size of the plan) and writes nothing that has not changed, so a
re-import of the same file leaves the database, including its history, as it was.

A dry run goes through exactly the same code and rolls the transaction back,
so what it reports (the web preview shows it) is what a real run would do.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_update_with_history

from agencies.models import Agency, AgencyAlias, AgencyKind
from agencies.names import looks_collective, normalize_name
from core.numerals import part_label, section_label, to_chinese
from core.signals import data_changed
from importers.agency_match import jurisdictions_naming
from importers.bulk import create_with_history, insert_rows
from importers.draft import DraftError, PlanDraft, Problem, TaskDraft
from tasklist.headings import is_printed, section_path
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task

logger = logging.getLogger(__name__)

# Task.order is unique per section; moved tasks pass through this offset so that
# swapping two positions never collides halfway through the update.
_ORDER_PARKING = 1_000_000
# Two texts at least this alike (difflib ratio) can be one task reworded.
ALIKE = 0.5
# The last matching pass compares every leftover pair; past this many pairs it is skipped
# (a file that rewrites thousands of tasks at once imports them as new, the old ones kept).
SIMILARITY_PAIRS = 250_000
# A plan whose units several jurisdictions know names this many of them for the user to choose from.
JURISDICTION_CANDIDATES = 5


def similarity(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= ALIKE and matcher.quick_ratio() >= ALIKE else 0.0


def alike(a: str, b: str) -> bool:
    return similarity(a, b) >= ALIKE


_ROLE_MARK = {AssignmentRole.LEAD: "牵头", AssignmentRole.COOPERATING: "配合", AssignmentRole.RESPONSIBLE: "责任"}

NEW, CHANGED, UNCHANGED, MISSING = "new", "changed", "unchanged", "missing"


@dataclass
class TaskChange:
    """One task of the file (or of the database, when the file no longer lists it)."""

    kind: str  # new | changed | unchanged | missing
    label: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)
    line: int | None = None  # where the file lists it


@dataclass
class ImportReport:
    doc_number: str
    dry_run: bool = False
    plan_created: bool = False
    plan_changes: dict[str, tuple[object, object]] = field(default_factory=dict)
    parts_created: int = 0
    parts_changed: int = 0
    sections_created: int = 0
    sections_changed: int = 0
    tasks: list[TaskChange] = field(default_factory=list)
    agencies_created: list[str] = field(default_factory=list)
    aliases_created: list[tuple[str, str]] = field(default_factory=list)  # (alias, agency)
    assignments_created: int = 0
    assignments_changed: int = 0
    assignments_removed: int = 0
    plan_id: int | None = None

    def count(self, kind: str) -> int:
        return sum(1 for task in self.tasks if task.kind == kind)

    def of_kind(self, kind: str) -> list[TaskChange]:
        return [task for task in self.tasks if task.kind == kind]

    @property
    def has_changes(self) -> bool:
        return bool(
            self.plan_created
            or self.plan_changes
            or self.parts_created
            or self.parts_changed
            or self.sections_created
            or self.sections_changed
            or self.count(NEW)
            or self.count(CHANGED)
            or self.agencies_created
            or self.aliases_created
            or self.assignments_created
            or self.assignments_changed
            or self.assignments_removed
        )

    def summary(self) -> list[str]:
        values = {
            "doc_number": self.doc_number,
            "parts_created": self.parts_created,
            "parts_changed": self.parts_changed,
            "sections_created": self.sections_created,
            "sections_changed": self.sections_changed,
            "tasks_created": self.count(NEW),
            "tasks_changed": self.count(CHANGED),
            "tasks_unchanged": self.count(UNCHANGED),
            "tasks_missing": self.count(MISSING),
            "agencies_created": len(self.agencies_created),
            "assignments_created": self.assignments_created,
            "assignments_changed": self.assignments_changed,
            "assignments_removed": self.assignments_removed,
        }
        empty = _("(empty)")
        lines = [
            (_("%(doc_number)s: new plan") if self.plan_created else _("%(doc_number)s: updates the stored plan"))
            % values
        ]
        for name, (old, new) in self.plan_changes.items():
            lines.append(f"  {name}: {old or empty} → {new or empty}")
        lines.append("  " + _("Parts: %(parts_created)s new, %(parts_changed)s changed") % values)
        lines.append("  " + _("Sections: %(sections_created)s new, %(sections_changed)s changed") % values)
        lines.append(
            "  "
            + _(
                "Tasks: %(tasks_created)s new, %(tasks_changed)s changed, %(tasks_unchanged)s unchanged, "
                "%(tasks_missing)s missing from the file (kept, not deleted)"
            )
            % values
        )
        for task in self.of_kind(CHANGED):
            what = ", ".join(change[0] for change in task.changes)
            lines.append("    " + _("Changed: %(task)s") % {"task": f"{task.label} ({what})"})
        lines.extend("    " + _("Missing: %(task)s") % {"task": task.label} for task in self.of_kind(MISSING))
        new_agencies = "  " + _("New agencies: %(agencies_created)s") % values
        if self.agencies_created:
            new_agencies += f"（{'、'.join(self.agencies_created)}）"
        lines.append(new_agencies)
        for alias, agency in self.aliases_created:
            lines.append("  " + _("New alias: %(alias)s → %(agency)s") % {"alias": alias, "agency": agency})
        lines.append(
            "  "
            + _(
                "Assignments: %(assignments_created)s new, %(assignments_changed)s changed, "
                "%(assignments_removed)s removed"
            )
            % values
        )
        if not self.has_changes:
            lines.append("  " + _("Nothing changes."))
        return lines


class _DryRunRollback(Exception):
    pass


class PlanConflict(DraftError):
    """The plan this import would create was imported by another one meanwhile."""

    def __init__(self, doc_number: str):
        message = _(
            "Plan %(doc_number)s was imported by someone else after this preview was made; this import changed "
            "nothing. To update that plan, upload the file again and see what it would change there."
        ) % {"doc_number": doc_number}
        super().__init__([Problem(None, message)])


def apply_draft(
    draft: PlanDraft,
    *,
    user=None,
    dry_run: bool = False,
    aliases: Mapping[str, int] | None = None,
    expect_new: bool = False,
) -> ImportReport:
    """Apply the draft in one transaction; with dry_run, report and roll back.

    `aliases` maps names the file prints to agencies the user chose for them
    (an accepted "市人社局 → 市人力资源和社会保障局？" suggestion); applying it
    records the alias, so the next import matches by itself.

    `expect_new`: the user confirmed a preview of a new plan. If the plan exists by now (another
    import of the same document, confirmed at the same moment), PlanConflict, and nothing changes.
    """
    report = ImportReport(doc_number=draft.meta.doc_number, dry_run=dry_run)
    try:
        with transaction.atomic():
            _Apply(draft, report, user, dict(aliases or {}), expect_new).run()
            # Its rows go in by COPY and bulk updates, which send no post_save: say so (the figure
            # cache's receiver waits for the commit, so a rollback or a dry run outdates nothing).
            data_changed.send(sender=_Apply)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        report.plan_id = None if report.plan_created else report.plan_id
    except IntegrityError:
        # Two imports at once both saw no such plan (or agency) and inserted it: the database's unique
        # constraint let the first through and stopped this one, whose transaction is rolled back.
        logger.warning("Import of %s ran into a concurrent one", draft.meta.doc_number, exc_info=True)
        if report.plan_created and Plan.objects.filter(doc_number=draft.meta.doc_number).exists():
            raise PlanConflict(draft.meta.doc_number) from None
        message = _(
            "Another import changed the same plan or agencies at the same moment; nothing was changed. Try again."
        )
        raise DraftError([Problem(None, message)]) from None
    return report


def task_label(
    part_number: int, part_title: str, section_number: int, section_title: str, number: int | None, content: str
) -> str:
    """ "一（一）3. 开展补贴性职业技能培训…": where the task is and how it begins. Untitled parts and
    sections print no heading (tasklist.headings), so they are left out: "一、3. …", "（一）3. …", "3. …"."""
    if is_printed(section_title):
        head = f"{to_chinese(part_number) if is_printed(part_title) else ''}{section_label(section_number)}"
    else:
        head = part_label(part_number) if is_printed(part_title) else ""
    return f"{head}{number}. {content[:30]}" if number is not None else f"{head}{content[:30]}"


def _section_path(section: Section) -> str:
    part = section.part
    return section_path(part.number_label, part.title, section.number_label, section.title)


def _units_text(pairs: list[tuple[str, str]]) -> str:
    return "、".join(f"{name}（{_ROLE_MARK[role]}）" for name, role in pairs)


class _Apply:
    def __init__(
        self, draft: PlanDraft, report: ImportReport, user, aliases: dict[str, int], expect_new: bool = False
    ) -> None:
        self.draft = draft
        self.report = report
        self.user = user
        self.aliases = {normalize_name(name): pk for name, pk in aliases.items()}
        self.expect_new = expect_new
        self.reason = _("Import %(doc_number)s") % {"doc_number": draft.meta.doc_number}

    def run(self) -> None:
        stored = Plan.objects.filter(doc_number=self.draft.meta.doc_number).first()
        if stored is not None and self.expect_new:
            raise PlanConflict(self.draft.meta.doc_number)
        # Set before anything is written: an IntegrityError from a concurrent import of the same
        # new plan (its agencies or the plan itself) is then recognised as one (see apply_draft).
        self.report.plan_created = stored is None
        self.complete_meta(stored)
        agencies = self.resolve_agencies()
        plan = self.upsert_plan(stored)
        self.report.plan_id = plan.pk
        parts = self.upsert_parts(plan)
        sections = self.upsert_sections(parts)
        tasks = self.upsert_tasks(plan, sections)
        self.sync_assignments(tasks, agencies)

    # -- plan metadata -----------------------------------------------------

    def complete_meta(self, stored: Plan | None) -> None:
        """What the file does not say is taken from the stored plan; a file never erases it."""
        meta = self.draft.meta
        if stored is not None:
            meta.title = meta.title or stored.title
            meta.issuer = meta.issuer or stored.issuer
            meta.issued_on = meta.issued_on or stored.issued_on
            meta.jurisdiction = meta.jurisdiction or stored.jurisdiction
            self.draft.assignment_note = self.draft.assignment_note or stored.assignment_note
        problems = []
        if not meta.title:
            problems.append(Problem(None, _("No plan title found; give it when importing.")))
        if not meta.jurisdiction:
            meta.jurisdiction, problem = self.jurisdiction_of_units()
            if problem:
                problems.append(problem)
        if problems:
            raise DraftError(problems)

    def jurisdiction_of_units(self) -> tuple[str, Problem | None]:
        """The issuer does not say whose agencies these are: the jurisdiction whose directory knows the
        plan's unit names, when it is clearly one (more names than any other, and at least half of them).
        Otherwise the candidates are named for the user to choose (--jurisdiction, or the upload form)."""
        names = {normalize_name(name) for name in self.draft.unit_names()}
        counts = jurisdictions_naming(list(names))
        if not counts:
            return "", Problem(None, _("Cannot tell the jurisdiction from the issuer; give it when importing."))
        (best, known), runner_up = counts[0], counts[1][1] if len(counts) > 1 else 0
        if known > runner_up and 2 * known >= len(names):
            return best, None
        candidates = _(" or ").join(
            ngettext("%(jurisdiction)s (%(count)s unit)", "%(jurisdiction)s (%(count)s units)", count)
            % {"jurisdiction": jurisdiction, "count": count}
            for jurisdiction, count in counts[:JURISDICTION_CANDIDATES]
        )
        message = _(
            "Cannot tell which jurisdiction the units belong to: it may be %(candidates)s; choose the "
            "jurisdiction when importing."
        ) % {"candidates": candidates}
        return "", Problem(None, message)

    def upsert_plan(self, plan: Plan | None) -> Plan:
        meta = self.draft.meta
        wanted = {
            "title": meta.title,
            "issuer": meta.issuer,
            "issued_on": meta.issued_on,
            "jurisdiction": meta.jurisdiction,
            "assignment_note": self.draft.assignment_note,
        }
        if plan is None:
            plan = Plan(doc_number=meta.doc_number, **wanted)
            self.report.plan_created = True
        else:
            for name, value in wanted.items():
                if getattr(plan, name) != value:
                    label = str(Plan._meta.get_field(name).verbose_name)
                    self.report.plan_changes[label] = (getattr(plan, name), value)
                    setattr(plan, name, value)
            if not self.report.plan_changes:
                return plan
        plan._history_user = self.user
        plan._change_reason = self.reason
        plan.full_clean(validate_unique=False)
        plan.save()
        return plan

    # -- agencies ----------------------------------------------------------

    def resolve_agencies(self) -> dict[str, Agency]:
        jurisdiction = self.draft.meta.jurisdiction
        by_name: dict[str, Agency] = {}
        by_pk: dict[int, Agency] = {}
        for agency in Agency.objects.filter(jurisdiction=jurisdiction):
            by_name[agency.name] = agency
            by_pk[agency.pk] = agency
            if agency.full_name:
                by_name.setdefault(normalize_name(agency.full_name), agency)
        for alias in AgencyAlias.objects.filter(jurisdiction=jurisdiction):
            by_name.setdefault(alias.name, by_pk[alias.agency_id])
        self.record_accepted_aliases(by_name, by_pk)
        missing = [name for name in self.draft.unit_names() if normalize_name(name) not in by_name]
        if missing:
            last = max((agency.sort_order for agency in by_pk.values()), default=0)
            created = self._create(
                Agency,
                [
                    Agency(
                        jurisdiction=jurisdiction,
                        name=normalize_name(name),
                        kind=AgencyKind.COLLECTIVE if looks_collective(name) else AgencyKind.DEPARTMENT,
                        sort_order=last + position,
                    )
                    for position, name in enumerate(missing, start=1)
                ],
            )
            by_name.update({agency.name: agency for agency in created})
            self.report.agencies_created = missing
        resolved = {name: by_name[normalize_name(name)] for name in self.draft.unit_names()}
        self.check_alias_duplicates(resolved)
        return resolved

    def record_accepted_aliases(self, by_name: dict[str, Agency], by_pk: dict[int, Agency]) -> None:
        """Names the user matched to an agency in the preview become that agency's aliases."""
        new_aliases = []
        for name in self.draft.unit_names():
            key = normalize_name(name)
            if key in by_name or key not in self.aliases:
                continue
            agency = by_pk.get(self.aliases[key])
            if agency is None:  # an id from another jurisdiction, or forged
                raise DraftError(
                    [Problem(None, _("“%(name)s” was matched to an agency that does not exist here.") % {"name": name})]
                )
            new_aliases.append(AgencyAlias(agency=agency, jurisdiction=agency.jurisdiction, name=key))
            by_name[key] = agency
            self.report.aliases_created.append((key, agency.name))
        self._create(AgencyAlias, new_aliases)

    def check_alias_duplicates(self, resolved: dict[str, Agency]) -> None:
        problems = []
        for _part, _section, task in self.draft.tasks():
            seen: dict[int, str] = {}
            for unit in task.units:
                agency = resolved[unit.name]
                if agency.pk in seen:
                    problems.append(
                        Problem(
                            task.ref,
                            _("“%(name)s” and “%(other)s” are one agency (%(agency)s), named twice on one task")
                            % {"name": unit.name, "other": seen[agency.pk], "agency": agency.name},
                        )
                    )
                seen[agency.pk] = unit.name
        if problems:
            raise DraftError(problems)

    # -- parts, sections -----------------------------------------------------

    def upsert_parts(self, plan: Plan) -> dict[int, Part]:
        existing = {part.number: part for part in Part.objects.filter(plan=plan)}
        new, changed = [], []
        for draft_part in self.draft.parts:
            part = existing.get(draft_part.number)
            if part is None:
                new.append(Part(plan=plan, number=draft_part.number, title=draft_part.title))
            elif part.title != draft_part.title:
                part.title = draft_part.title
                changed.append(part)
        self._create(Part, new)
        self._update(Part, changed, ["title"])
        self.report.parts_created, self.report.parts_changed = len(new), len(changed)
        if new:
            existing = {part.number: part for part in Part.objects.filter(plan=plan)}
        return existing

    def upsert_sections(self, parts: dict[int, Part]) -> dict[tuple[int, int], Section]:
        def stored() -> dict[tuple[int, int], Section]:
            return {
                (section.part.number, section.number): section
                for section in Section.objects.filter(part__in=parts.values()).select_related("part")
            }

        existing = stored()
        new, changed = [], []
        for draft_part in self.draft.parts:
            for draft_section in draft_part.sections:
                section = existing.get((draft_part.number, draft_section.number))
                if section is None:
                    new.append(
                        Section(part=parts[draft_part.number], number=draft_section.number, title=draft_section.title)
                    )
                elif section.title != draft_section.title:
                    section.title = draft_section.title
                    changed.append(section)
        self._create(Section, new)
        self._update(Section, changed, ["title"])
        self.report.sections_created, self.report.sections_changed = len(new), len(changed)
        return stored() if new else existing

    # -- tasks -------------------------------------------------------------

    def draft_tasks(self) -> list[tuple[tuple[int, int], int, TaskDraft]]:
        """(section key, position in its section, task draft) in the document's order."""
        return [
            ((draft_part.number, draft_section.number), order, draft_task)
            for draft_part in self.draft.parts
            for draft_section in draft_part.sections
            for order, draft_task in enumerate(draft_section.tasks, start=1)
        ]

    @staticmethod
    def match_tasks(stored: list[Task], wanted: list[tuple[tuple[int, int], int, TaskDraft]]) -> list[Task | None]:
        """Which stored task each task of the file is. A task keeps its identity (and its
        reports) when it is moved, renumbered or reworded, as far as the file lets us tell;
        where it cannot tell, the task is new and the stored one is reported missing and
        kept, which is safe: reports never end up under other content.

        1. the same content, where that content is unique on both sides;
        2. the same number, when the texts are still alike: across the plan when both
           the file and the stored plan number tasks through the whole plan (as Suqian's
           1–47 do), else within the section; an unnumbered task by its position;
        3. among what is left, the most alike text (a reworded and renumbered task).
        """
        result: list[Task | None] = [None] * len(wanted)
        free = {t.pk: t for t in stored}

        def unique(keys: list) -> set:
            seen, twice = set(), set()
            for key in keys:
                (twice if key in seen else seen).add(key)
            return seen - twice

        stored_contents = unique([t.content for t in stored])
        wanted_contents = unique([draft.content for *_key, draft in wanted])
        by_content = {t.content: t for t in stored if t.content in stored_contents}
        for index, (*_key, draft) in enumerate(wanted):
            if draft.content in wanted_contents and draft.content in by_content:
                result[index] = free.pop(by_content[draft.content].pk)

        wanted_numbers = [draft.number for *_key, draft in wanted if draft.number is not None]
        stored_numbers = [t.number for t in stored if t.number is not None]
        plan_wide = len(wanted_numbers) == len(set(wanted_numbers)) and len(stored_numbers) == len(set(stored_numbers))

        def section_of(task: Task) -> tuple[int, int]:
            return (task.section.part.number, task.section.number)

        def key(section_key, number, order):
            if number is None:
                return ("position", section_key, order)
            return ("number", number) if plan_wide else ("number", section_key, number)

        by_key = {key(section_of(t), t.number, t.order): t for t in free.values()}
        for index, (section_key, order, draft) in enumerate(wanted):
            if result[index] is not None:
                continue
            candidate = by_key.get(key(section_key, draft.number, order))
            if candidate is not None and candidate.pk in free and alike(candidate.content, draft.content):
                result[index] = free.pop(candidate.pk)

        left = [index for index, match in enumerate(result) if match is None]
        if left and free and len(left) * len(free) <= SIMILARITY_PAIRS:
            scored = sorted(
                (
                    (similarity(task.content, wanted[index][2].content), index, task.pk)
                    for index in left
                    for task in free.values()
                ),
                reverse=True,
            )
            for score, index, pk in scored:
                if score < ALIKE:
                    break
                if result[index] is None and pk in free:
                    result[index] = free.pop(pk)
        return result

    @staticmethod
    def task_edits(task: Task, section: Section, draft_task: TaskDraft, order: int) -> list[tuple[str, str, str]]:
        edits = []
        if task.section_id != section.pk:
            edits.append((_("section"), _section_path(task.section), _section_path(section)))
        if task.number != draft_task.number:
            edits.append((_("number"), str(task.number or ""), str(draft_task.number or "")))
        if task.content != draft_task.content:
            edits.append((_("content"), task.content, draft_task.content))
        if task.deadline_text != draft_task.deadline_text:
            edits.append((_("deadline"), task.deadline_text, draft_task.deadline_text))
        if task.order != order and task.section_id == section.pk:
            edits.append((_("position"), str(task.order), str(order)))
        return edits

    def upsert_tasks(self, plan: Plan, sections: dict[tuple[int, int], Section]) -> list[Task]:
        """The stored task for every task of the file, in the file's order; new ones created."""
        stored = list(
            Task.objects.filter(section__part__plan=plan).select_related("section__part").order_by("section", "order")
        )
        placed_at = {t.pk: (t.section_id, t.number, t.order) for t in stored}
        wanted = self.draft_tasks()
        matches = self.match_tasks(stored, wanted)
        titles = {
            (part.number, section.number): (part.number, part.title, section.number, section.title)
            for part in self.draft.parts
            for section in part.sections
        }
        tasks: list[Task] = []
        new: list[Task] = []
        changed: list[Task] = []
        for (section_key, order, draft_task), task in zip(wanted, matches, strict=True):
            section = sections[section_key]
            label = task_label(*titles[section_key], draft_task.number, draft_task.content)
            line = draft_task.ref.line if draft_task.ref else None
            if task is None:
                task = Task(
                    section_id=section.pk,  # ids, not objects: the related setters cost more than the row
                    number=draft_task.number,
                    order=order,
                    content=draft_task.content,
                    deadline_text=draft_task.deadline_text,
                    due_on=draft_task.due_on,
                )
                new.append(task)
                change = TaskChange(NEW, label, line=line)
            else:
                edits = self.task_edits(task, section, draft_task, order)
                if edits:
                    task.section, task.number, task.order = section, draft_task.number, order
                    task.content, task.deadline_text, task.due_on = (
                        draft_task.content,
                        draft_task.deadline_text,
                        draft_task.due_on,
                    )
                    changed.append(task)
                change = TaskChange(CHANGED if edits else UNCHANGED, label, edits, line=line)
            self.report.tasks.append(change)
            tasks.append(task)
        # Tasks the file no longer lists are reported and kept, never deleted silently.
        matched = {t.pk for t in matches if t is not None}
        missing = [t for t in stored if t.pk not in matched]
        self.report.tasks.extend(
            TaskChange(
                MISSING,
                task_label(
                    t.section.part.number, t.section.part.title, t.section.number, t.section.title, t.number, t.content
                ),
            )
            for t in missing
        )
        moved_missing = self.place_missing(missing, tasks)
        self.park([t for t in changed if placed_at[t.pk] != (t.section_id, t.number, t.order)] + moved_missing)
        self._update(Task, changed, ["section", "number", "order", "content", "deadline_text", "due_on"])
        self._update(Task, moved_missing, ["number", "order"])
        self._create(Task, new)
        return tasks

    @staticmethod
    def place_missing(missing: list[Task], file_tasks: list[Task]) -> list[Task]:
        """Kept tasks go after the file's tasks of their section; one whose number the
        file now gives to another task of its section loses the number (it keeps its text)."""
        tail: dict[int, int] = {}
        taken: set[tuple[int, int]] = set()
        for task in file_tasks:
            tail[task.section_id] = max(tail.get(task.section_id, 0), task.order)
            if task.number is not None:
                taken.add((task.section_id, task.number))
        moved = []
        for task in sorted(missing, key=lambda t: (t.section_id, t.order)):
            tail[task.section_id] = tail.get(task.section_id, 0) + 1
            number = None if (task.section_id, task.number) in taken else task.number
            if (task.order, task.number) != (tail[task.section_id], number):
                task.order, task.number = tail[task.section_id], number
                moved.append(task)
        return moved

    @staticmethod
    def park(moving: list[Task]) -> None:
        """Move tasks out of the way (no number, an unused position) before their final update,
        so that "(section, order)" and "(section, number)" stay unique after every statement."""
        if not moving:
            return
        final = {t.pk: (t.section_id, t.number, t.order) for t in moving}
        for task in moving:
            task.number, task.order = None, _ORDER_PARKING + task.pk
        Task.objects.bulk_update(moving, ["number", "order"])
        for task in moving:
            task.section_id, task.number, task.order = final[task.pk]

    # -- assignments -------------------------------------------------------

    def sync_assignments(self, tasks: list[Task], agencies: dict[str, Agency]) -> None:
        stored: dict[int, dict[int, Assignment]] = {}
        for assignment in Assignment.objects.filter(task__in=[t.pk for t in tasks]).select_related("agency"):
            stored.setdefault(assignment.task_id, {})[assignment.agency_id] = assignment
        create, update, remove = [], [], []
        for index, ((_section_key, _order, draft_task), task) in enumerate(zip(self.draft_tasks(), tasks, strict=True)):
            current = stored.get(task.pk, {})
            before = [(a.display_name, a.role) for a in sorted(current.values(), key=lambda a: a.order)]
            for position, unit in enumerate(draft_task.units, start=1):
                agency = agencies[unit.name]
                assignment = current.pop(agency.pk, None)
                wanted = {"role": unit.role, "order": position, "printed_name": unit.name}
                if assignment is None:
                    create.append({"task_id": task.pk, "agency_id": agency.pk, **wanted})
                elif any(getattr(assignment, k) != v for k, v in wanted.items()):
                    for k, v in wanted.items():
                        setattr(assignment, k, v)
                    update.append(assignment)
            remove.extend(current.values())
            after = [(unit.name, unit.role) for unit in draft_task.units]
            change = self.report.tasks[index]
            if change.kind != NEW and before != after:
                change.kind = CHANGED
                change.changes.append((_("agencies"), _units_text(before), _units_text(after)))
        if remove:
            try:
                Assignment.objects.filter(pk__in=[a.pk for a in remove]).delete()
            except ProtectedError as error:  # raised before anything is deleted
                raise DraftError(self.kept_by_records(remove, error.protected_objects)) from error
        # Roles and positions change freely (a task may name several leads; the first listed
        # compiles): only "one assignment per task and agency" is unique, and it never moves.
        self._update(Assignment, update, ["role", "order", "printed_name"])
        insert_rows(Assignment, create, user=self.user, reason=self.reason)
        self.report.assignments_created = len(create)
        self.report.assignments_changed = len(update)
        self.report.assignments_removed = len(remove)

    def kept_by_records(self, remove: list[Assignment], records) -> list[Problem]:
        """An agency whose filed reports (or closing application) hang on a task cannot be dropped from
        it by an import: the records' foreign keys PROTECT the assignment (supervision's models)."""
        kept = {getattr(record, "assignment_id", None) for record in records}
        return [
            Problem(
                None,
                _(
                    "The file no longer names “%(agency)s” on task “%(task)s”, but the agency has filed progress "
                    "reports on it and cannot be removed; keep it in the file, or ask the office to deal with the "
                    "reports first."
                )
                % {"agency": assignment.agency, "task": assignment.task},
            )
            for assignment in remove
            if assignment.pk in kept
        ]

    # -- bulk helpers that keep history ------------------------------------------

    def _create(self, model, objects: list) -> list:
        return create_with_history(model, objects, user=self.user, reason=self.reason)

    def _update(self, model, objects: list, fields: list[str]) -> None:
        if objects:
            bulk_update_with_history(
                objects, model, fields, batch_size=1000, default_user=self.user, default_change_reason=self.reason
            )
