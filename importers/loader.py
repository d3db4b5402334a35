"""PlanDraft → database: resolve agencies, diff against what is stored, apply in one transaction.

The loader is the only writer of imported plans, so the web import, the command
and the tests share one path. It works in set operations (a handful of queries
whatever the size of the plan) and writes nothing that has not changed, so a
re-import of the same file leaves the database, including its history, as it was.

A dry run goes through exactly the same code and rolls the transaction back,
so what it reports is what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from agencies.models import Agency, AgencyAlias, AgencyKind
from agencies.names import looks_collective, normalize_name
from importers.draft import DraftError, PlanDraft, Problem
from supervision.models import ProgressReport
from tasklist.models import Assignment, Part, Plan, Section, Task

# Task.order is unique per section; moved tasks pass through this offset so that
# swapping two positions never collides halfway through the update.
_ORDER_PARKING = 1_000_000


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
    tasks_created: list[str] = field(default_factory=list)
    tasks_changed: list[str] = field(default_factory=list)
    tasks_unchanged: int = 0
    tasks_missing: list[str] = field(default_factory=list)
    agencies_created: list[str] = field(default_factory=list)
    assignments_created: int = 0
    assignments_changed: int = 0
    assignments_removed: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(
            self.plan_created
            or self.plan_changes
            or self.parts_created
            or self.parts_changed
            or self.sections_created
            or self.sections_changed
            or self.tasks_created
            or self.tasks_changed
            or self.agencies_created
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
            "tasks_created": len(self.tasks_created),
            "tasks_changed": len(self.tasks_changed),
            "tasks_unchanged": self.tasks_unchanged,
            "tasks_missing": len(self.tasks_missing),
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
        lines.extend("    " + _("Changed: %(task)s") % {"task": label} for label in self.tasks_changed)
        lines.extend("    " + _("Missing: %(task)s") % {"task": label} for label in self.tasks_missing)
        new_agencies = "  " + _("New agencies: %(agencies_created)s") % values
        if self.agencies_created:
            new_agencies += f"（{'、'.join(self.agencies_created)}）"
        lines.append(new_agencies)
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


def apply_draft(draft: PlanDraft, *, user=None, dry_run: bool = False) -> ImportReport:
    """Apply the draft in one transaction; with dry_run, report and roll back."""
    report = ImportReport(doc_number=draft.meta.doc_number, dry_run=dry_run)
    try:
        with transaction.atomic():
            _Apply(draft, report, user).run()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


class _Apply:
    def __init__(self, draft: PlanDraft, report: ImportReport, user) -> None:
        self.draft = draft
        self.report = report
        self.user = user
        self.reason = _("Import %(doc_number)s") % {"doc_number": draft.meta.doc_number}

    def run(self) -> None:
        agencies = self.resolve_agencies()
        plan = self.upsert_plan()
        parts = self.upsert_parts(plan)
        sections = self.upsert_sections(parts)
        tasks = self.upsert_tasks(plan, sections)
        self.sync_assignments(tasks, agencies)

    # -- agencies ----------------------------------------------------------

    def resolve_agencies(self) -> dict[str, Agency]:
        jurisdiction = self.draft.meta.jurisdiction
        by_name: dict[str, Agency] = {}
        for agency in Agency.objects.filter(jurisdiction=jurisdiction):
            by_name[agency.name] = agency
            if agency.full_name:
                by_name.setdefault(normalize_name(agency.full_name), agency)
        for alias in AgencyAlias.objects.filter(jurisdiction=jurisdiction).select_related("agency"):
            by_name.setdefault(alias.name, alias.agency)
        missing = [name for name in self.draft.unit_names() if normalize_name(name) not in by_name]
        if missing:
            last = max((agency.sort_order for agency in by_name.values()), default=0)
            created = bulk_create_with_history(
                [
                    Agency(
                        jurisdiction=jurisdiction,
                        name=normalize_name(name),
                        kind=AgencyKind.COLLECTIVE if looks_collective(name) else AgencyKind.DEPARTMENT,
                        sort_order=last + position,
                    )
                    for position, name in enumerate(missing, start=1)
                ],
                Agency,
                default_user=self.user,
                default_change_reason=self.reason,
            )
            if not all(agency.pk for agency in created):  # backends that do not return ids
                created = list(Agency.objects.filter(jurisdiction=jurisdiction, name__in=missing))
            by_name.update({agency.name: agency for agency in created})
            self.report.agencies_created = missing
        resolved = {name: by_name[normalize_name(name)] for name in self.draft.unit_names()}
        self.check_alias_duplicates(resolved)
        return resolved

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

    # -- plan, parts, sections -------------------------------------------------

    def upsert_plan(self) -> Plan:
        meta = self.draft.meta
        wanted = {
            "title": meta.title,
            "issuer": meta.issuer,
            "issued_on": meta.issued_on,
            "jurisdiction": meta.jurisdiction,
            "assignment_note": self.draft.assignment_note,
        }
        plan = Plan.objects.filter(doc_number=meta.doc_number).first()
        if plan is None:
            plan = Plan(doc_number=meta.doc_number, **wanted)
            self.report.plan_created = True
        else:
            for name, value in wanted.items():
                if getattr(plan, name) != value:
                    self.report.plan_changes[str(Plan._meta.get_field(name).verbose_name)] = (
                        getattr(plan, name),
                        value,
                    )
                    setattr(plan, name, value)
            if not self.report.plan_changes:
                return plan
        plan._history_user = self.user
        plan._change_reason = self.reason
        plan.full_clean(validate_unique=False)
        plan.save()
        return plan

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
        existing.update({part.number: part for part in self._create(Part, new)})
        self._update(Part, changed, ["title"])
        self.report.parts_created, self.report.parts_changed = len(new), len(changed)
        if new and not all(p.pk for p in new):
            existing = {part.number: part for part in Part.objects.filter(plan=plan)}
        return existing

    def upsert_sections(self, parts: dict[int, Part]) -> dict[tuple[int, int], Section]:
        existing = {
            (section.part.number, section.number): section
            for section in Section.objects.filter(part__in=parts.values()).select_related("part")
        }
        new, changed = [], []
        for draft_part in self.draft.parts:
            for draft_section in draft_part.sections:
                key = (draft_part.number, draft_section.number)
                section = existing.get(key)
                if section is None:
                    section = Section(
                        part=parts[draft_part.number], number=draft_section.number, title=draft_section.title
                    )
                    new.append(section)
                    existing[key] = section
                elif section.title != draft_section.title:
                    section.title = draft_section.title
                    changed.append(section)
        self._create(Section, new)
        self._update(Section, changed, ["title"])
        self.report.sections_created, self.report.sections_changed = len(new), len(changed)
        if new and not all(s.pk for s in new):
            existing = {
                (section.part.number, section.number): section
                for section in Section.objects.filter(part__in=parts.values()).select_related("part")
            }
        return existing

    # -- tasks -------------------------------------------------------------

    @staticmethod
    def task_key(part_number: int, section_number: int, number: int | None, order: int) -> tuple:
        """Numbered tasks are matched by number, unnumbered ones by position."""
        return (
            (part_number, section_number, "n", number)
            if number is not None
            else (part_number, section_number, "o", order)
        )

    @staticmethod
    def label(part_number: int, section_number: int, number: int | None, content: str) -> str:
        from importers.numerals import to_chinese

        head = f"{to_chinese(part_number)}（{to_chinese(section_number)}）"
        return f"{head}{number}. {content[:30]}" if number is not None else f"{head}{content[:30]}"

    def upsert_tasks(self, plan: Plan, sections: dict[tuple[int, int], Section]) -> dict[tuple, Task]:
        stored = list(
            Task.objects.filter(section__part__plan=plan).select_related("section__part").order_by("section", "order")
        )
        self._stored_order = {t.pk: t.order for t in stored}
        by_key = {self.task_key(t.section.part.number, t.section.number, t.number, t.order): t for t in stored}
        matched: dict[tuple, Task] = {}
        new: list[Task] = []
        changed: list[Task] = []
        for draft_part in self.draft.parts:
            for draft_section in draft_part.sections:
                section = sections[(draft_part.number, draft_section.number)]
                for order, draft_task in enumerate(draft_section.tasks, start=1):
                    key = self.task_key(draft_part.number, draft_section.number, draft_task.number, order)
                    task = by_key.pop(key, None)
                    if task is None:
                        task = Task(section=section, number=draft_task.number, order=order, content=draft_task.content)
                        new.append(task)
                        self.report.tasks_created.append(
                            self.label(draft_part.number, draft_section.number, draft_task.number, draft_task.content)
                        )
                    else:
                        edits = []
                        if task.content != draft_task.content:
                            edits.append(_("content"))
                            task.content = draft_task.content
                        if task.order != order:
                            edits.append(_("position"))
                            task.order = order
                        if edits:
                            changed.append(task)
                            self.report.tasks_changed.append(
                                self.label(draft_part.number, draft_section.number, task.number, task.content)
                                + f" ({', '.join(edits)})"
                            )
                        else:
                            self.report.tasks_unchanged += 1
                    matched[key] = task
        # Tasks the file no longer lists are reported and kept, never deleted silently.
        missing = sorted(by_key.values(), key=lambda t: (t.section_id, t.order))
        self.report.tasks_missing = [
            self.label(t.section.part.number, t.section.number, t.number, t.content) for t in missing
        ]
        file_sizes = {sections[(p.number, s.number)].pk: len(s.tasks) for p in self.draft.parts for s in p.sections}
        self._place(changed, missing, file_sizes)
        self._update(Task, changed, ["content", "order"])
        self._create(Task, new)
        if new and not all(t.pk for t in new):
            fresh = {
                self.task_key(t.section.part.number, t.section.number, t.number, t.order): t
                for t in Task.objects.filter(section__part__plan=plan).select_related("section__part")
            }
            matched = {key: fresh[key] for key in matched}
        return matched

    def _place(self, changed: list[Task], missing: list[Task], file_sizes: dict[int, int]) -> None:
        """Give moved tasks their new position without ever colliding on (section, order).

        Tasks missing from the file go after the file's tasks of their section.
        Every task whose position changes is first parked outside the used range.
        """
        tail = dict(file_sizes)
        moved_missing = []
        for task in missing:
            tail[task.section_id] = tail.get(task.section_id, 0) + 1
            if task.order != tail[task.section_id]:
                task.order = tail[task.section_id]
                moved_missing.append(task)
        moving = [t for t in changed if t.order != self._stored_order[t.pk]] + moved_missing
        if not moving:
            return
        final = {t.pk: t.order for t in moving}
        for task in moving:
            task.order = _ORDER_PARKING + task.pk
        Task.objects.bulk_update(moving, ["order"])
        for task in moving:
            task.order = final[task.pk]
        if moved_missing:
            self._update(Task, moved_missing, ["order"])

    # -- assignments -------------------------------------------------------

    def sync_assignments(self, tasks: dict[tuple, Task], agencies: dict[str, Agency]) -> None:
        stored: dict[int, dict[int, Assignment]] = {}
        for assignment in Assignment.objects.filter(task__in=[t.pk for t in tasks.values()]):
            stored.setdefault(assignment.task_id, {})[assignment.agency_id] = assignment
        create, demote, promote, remove = [], [], [], []
        for draft_part in self.draft.parts:
            for draft_section in draft_part.sections:
                for order, draft_task in enumerate(draft_section.tasks, start=1):
                    key = self.task_key(draft_part.number, draft_section.number, draft_task.number, order)
                    task = tasks[key]
                    current = stored.get(task.pk, {})
                    for position, unit in enumerate(draft_task.units, start=1):
                        agency = agencies[unit.name]
                        assignment = current.pop(agency.pk, None)
                        wanted = {"role": unit.role, "order": position, "printed_name": unit.name}
                        if assignment is None:
                            create.append(Assignment(task=task, agency=agency, **wanted))
                        elif any(getattr(assignment, k) != v for k, v in wanted.items()):
                            for k, v in wanted.items():
                                setattr(assignment, k, v)
                            (promote if unit.role == "lead" else demote).append(assignment)
                    remove.extend(current.values())
        if remove:
            self.refuse_removing_reported(remove)
            Assignment.objects.filter(pk__in=[a.pk for a in remove]).delete()
        # A lead that moves from one agency to another: demote first, so that
        # "one lead per task" holds after every statement.
        self._update(Assignment, demote, ["role", "order", "printed_name"])
        self._update(Assignment, promote, ["role", "order", "printed_name"])
        self._create(Assignment, create)
        self.report.assignments_created = len(create)
        self.report.assignments_changed = len(demote) + len(promote)
        self.report.assignments_removed = len(remove)

    def refuse_removing_reported(self, remove: list[Assignment]) -> None:
        """An agency that has filed reports on a task cannot be dropped from it by an import."""
        reported = ProgressReport.objects.filter(assignment__in=remove).select_related(
            "assignment__agency", "assignment__task"
        )
        problems = {
            report.assignment_id: Problem(
                None,
                _(
                    "The file no longer names “%(agency)s” on task “%(task)s”, but the agency has filed progress "
                    "reports on it and cannot be removed; keep it in the file, or ask the office to deal with the "
                    "reports first."
                )
                % {"agency": report.assignment.agency, "task": report.assignment.task},
            )
            for report in reported
        }
        if problems:
            raise DraftError(list(problems.values()))

    # -- bulk helpers that keep history ------------------------------------------

    def _create(self, model, objects: list) -> list:
        if not objects:
            return []
        return bulk_create_with_history(
            objects, model, batch_size=1000, default_user=self.user, default_change_reason=self.reason
        )

    def _update(self, model, objects: list, fields: list[str]) -> None:
        if objects:
            bulk_update_with_history(
                objects, model, fields, batch_size=1000, default_user=self.user, default_change_reason=self.reason
            )
