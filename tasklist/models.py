"""A plan as the document prints it: parts → sections → tasks → assignments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import sees_everything
from agencies.models import Agency
from core.numerals import part_label, section_label
from tasklist.headings import heading, printed_label, task_reference

# A task's content as printed: real ones run to a few hundred characters. The importer reports a
# longer cell with its line and column (importers/layout.py); forms, the admin included, refuse it.
TASK_CONTENT_MAX_LENGTH = 5_000


def _agency_ids_of(user) -> models.QuerySet:
    return Agency.objects.filter(memberships__user=user).values("pk")


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlanQuerySet:
        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        held = Assignment.objects.filter(task__section__part__plan=OuterRef("pk"), agency__in=_agency_ids_of(user))
        return self.filter(Exists(held))


class PlanKind(models.TextChoices):
    """A plan as printed (方案, 清单), or one 督办事项 the office registered from no plan: stored
    as a plan of one untitled part, section and task (supervision.models.SupervisionItem)."""

    PLAN = "plan", _("Plan")
    ITEM = "item", _("Supervision item (督办事项)")


class Plan(models.Model):
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=PlanKind.choices, default=PlanKind.PLAN)
    doc_number = models.CharField(
        _("document number"), max_length=100, unique=True, help_text=_("For example 宿办发〔2021〕60号.")
    )
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=50)
    assignment_note = models.CharField(
        _("note on the units"),
        max_length=200,
        blank=True,
        help_text=_("A note printed with the units, e.g. 按职责分工负责，排序不分先后."),
    )
    head_approval_required = models.BooleanField(
        _("agency head approves reports"),
        default=False,
        help_text=_("When set, an agency's report goes to its head before it reaches the office."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = [models.F("issued_on").desc(nulls_last=True), "doc_number"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=PlanKind.values), name="plan_kind_valid")]

    def __str__(self) -> str:
        return f"{self.doc_number} {self.title}"


class Part(models.Model):
    """一、二、… of the plan."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="part_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="part_number_positive"),
        ]

    def __str__(self) -> str:
        # An untitled one (a plan printed without them) prints no heading; the admin still names it.
        return heading(self.number_label, self.title) or gettext("(untitled)")

    @property
    def number_label(self) -> str:
        return part_label(self.number)

    @property
    def printed_label(self) -> str:
        """The number as the plan prints it: "" where it prints no heading (tasklist.headings)."""
        return printed_label(self.number_label, self.title)


class Section(models.Model):
    """（一）（二）… under a part."""

    part = models.ForeignKey(Part, verbose_name=_("part"), on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["part", "number"]
        constraints = [
            models.UniqueConstraint(fields=["part", "number"], name="section_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="section_number_positive"),
        ]

    def __str__(self) -> str:
        # An untitled one (a plan printed without them) prints no heading; the admin still names it.
        return heading(self.number_label, self.title) or gettext("(untitled)")

    @property
    def number_label(self) -> str:
        return section_label(self.number)

    @property
    def printed_label(self) -> str:
        """The number as the plan prints it: "" where it prints no heading (tasklist.headings)."""
        return printed_label(self.number_label, self.title)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> TaskQuerySet:
        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        held = Assignment.objects.filter(task=OuterRef("pk"), agency__in=_agency_ids_of(user))
        return self.filter(Exists(held))


class Task(models.Model):
    """A numbered task item, the unit that is tracked."""

    section = models.ForeignKey(Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveIntegerField(
        _("number"), null=True, blank=True, help_text=_("As printed; empty for an unnumbered task.")
    )
    order = models.PositiveIntegerField(_("order"), help_text=_("Position within the section."))
    content = models.TextField(_("content"), validators=[MaxLengthValidator(TASK_CONTENT_MAX_LENGTH)])
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    # 完成时限 as printed ("2021年底前", "长期坚持"), and the date it means when it names one.
    deadline_text = models.CharField(_("deadline as printed"), max_length=100, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    agencies = models.ManyToManyField(Agency, through="Assignment", related_name="tasks", verbose_name=_("agencies"))

    history = HistoricalRecords()
    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["section", "order"]
        constraints = [
            models.UniqueConstraint(fields=["section", "order"], name="task_unique_order"),
            models.UniqueConstraint(
                fields=["section", "number"],
                condition=Q(number__isnull=False),
                name="task_unique_number_in_section",
            ),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
            models.CheckConstraint(condition=~Q(content=""), name="task_content_not_empty"),
        ]

    def __str__(self) -> str:
        label = f"{self.number}. " if self.number is not None else ""
        return f"{label}{self.content[:40]}"

    def clean(self) -> None:
        self.content = self.content.strip()
        if not self.content:
            raise ValidationError({"content": _("A task needs its content.")})

    @property
    def is_closed(self) -> bool:
        return self.status == TaskStatus.CLOSED

    @property
    def reference(self) -> str:
        """The task as its plan refers to it, "（三）第2项" (tasklist.headings.task_reference); reads
        the section and part, so select them with the task."""
        section = self.section
        part = section.part
        return task_reference(part.number_label, part.title, section.number_label, section.title, self.number)

    @property
    def compiling_lead(self) -> Assignment | None:
        """汇总单位: the lead listed first, which applies to close the task (None without a lead)."""
        return Assignment.objects.compiling_leads().filter(task=self).select_related("agency").first()


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    COOPERATING = "cooperating", _("Cooperating unit")
    RESPONSIBLE = "responsible", _("Responsible unit")


# Short labels for the role badges (牵头 / 配合 / 责任).
ROLE_BADGES = {
    AssignmentRole.LEAD: _("Lead"),
    AssignmentRole.COOPERATING: _("Cooperating"),
    AssignmentRole.RESPONSIBLE: _("Responsible"),
}


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssignmentQuerySet:
        return self.filter(task__in=Task.objects.visible_to(user))

    def held_by(self, user) -> AssignmentQuerySet:
        """The assignments of the agencies the user works for: the ones it reports on."""
        return self.filter(agency__in=_agency_ids_of(user)) if user.is_authenticated else self.none()

    def reports_visible_to(self, user) -> AssignmentQuerySet:
        """Assignments whose reports the user may read: the office and leaders all; an agency its own,
        and a lead unit (every one, where a task names several) those of the other units on the tasks
        it leads."""
        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        leads = Assignment.objects.filter(
            task=OuterRef("task"), role=AssignmentRole.LEAD, agency__in=_agency_ids_of(user)
        )
        return self.filter(Q(agency__in=_agency_ids_of(user)) | Exists(leads))

    def compiling_leads(self) -> AssignmentQuerySet:
        """The compiling lead (汇总单位) of each task: among its leads, the one listed first. It
        applies to close the task, and its report speaks for the task where one is chosen."""
        return self.filter(pk=compiling_lead_of(OuterRef("task")))

    def with_compiling(self) -> AssignmentQuerySet:
        """Annotate ``compiles`` (the row is its task's compiling lead) and ``several_leads`` (its
        task names more than one lead): the pages mark 汇总 where both hold."""
        compiling = compiling_lead_of(OuterRef("task"))
        other_leads = Assignment.objects.filter(task=OuterRef("task"), role=AssignmentRole.LEAD).exclude(
            pk=compiling_lead_of(OuterRef("task"))
        )
        return self.annotate(
            compiles=Case(When(pk=compiling, then=Value(True)), default=Value(False), output_field=BooleanField()),
            several_leads=Exists(other_leads),
        )


def compiling_lead_of(task) -> Subquery:
    """The id of the compiling lead of ``task`` (a task, its id or an ``OuterRef``): the lead with
    the lowest ``order``, as the plan lists them; none where the task has no lead. The one
    definition, for closing, the pages and the exports alike."""
    leads = Assignment.objects.filter(task=task, role=AssignmentRole.LEAD).order_by("order", "pk")
    return Subquery(leads.values("pk")[:1])


class Assignment(models.Model):
    """An agency named on a task, in the role and position the plan prints."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=12, choices=AssignmentRole.choices)
    order = models.PositiveSmallIntegerField(_("order"), help_text=_("Position as printed."))
    # The plan may print an alias (市人社局) of the agency's name; exports print what the plan printed.
    printed_name = models.CharField(_("name as printed"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["task", "order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "agency"], name="assignment_unique_agency"),
            models.CheckConstraint(condition=Q(role__in=AssignmentRole.values), name="assignment_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def badge(self) -> str:
        return ROLE_BADGES[self.role]

    @property
    def display_name(self) -> str:
        return self.printed_name or self.agency.name
