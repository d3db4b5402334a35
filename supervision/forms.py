from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from core.widgets import DatePicker
from supervision.attachments import check_upload
from supervision.models import ProgressReport, ReportingCycle, TaskTarget
from tasklist.models import AssignmentRole


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked by supervision.attachments (as the action that
    stores them checks them again), so a refusal names the file on the field and what was typed
    stays in the form."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        # An empty file is refused by check_upload, in words that name it, not by FileField's own.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        errors = []
        for upload in files:
            try:
                check_upload(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files


class VersionField(forms.IntegerField):
    """The version of the report the page was opened at (0 for a new one), for the actions'
    optimistic check. A version that is missing or not a version at all matches no saved report:
    it becomes UNKNOWN, which the action refuses as stale, with the words a concurrent save gets,
    instead of the form failing on a field nobody sees."""

    UNKNOWN = -1
    widget = forms.HiddenInput

    def to_python(self, value):
        try:
            number = super().to_python(value)
        except ValidationError:
            return self.UNKNOWN
        return self.UNKNOWN if number is None or number < 0 else number


class ReportForm(forms.ModelForm):
    """已完成工作 / 下一步计划 / 存在问题及需协调事项, and what the task measures."""

    version = VersionField()
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    class Meta:
        model = ProgressReport
        fields = ["work_done", "next_steps", "problems", "percent_complete", "stage"]
        widgets = {
            "work_done": forms.Textarea(attrs={"rows": 6}),
            "next_steps": forms.Textarea(attrs={"rows": 4}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "percent_complete": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
        }

    def __init__(self, *args, targets: list[TaskTarget] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        figures = self.instance.figures or {}
        for target in self.targets:
            label = f"{target.label}（{target.unit}）" if target.unit else target.label
            self.fields[self.figure_field(target)] = forms.CharField(
                label=label,
                required=False,
                max_length=30,
                initial=figures.get(str(target.pk), ""),
                help_text=_("Target: %(target)s") % {"target": target} if target.target is not None else "",
            )

    def opened_version(self) -> int:
        """The posted version alone, cleaned as the form cleans it: 无变化 (no change) sends the
        version and nothing else of the form."""
        field = self.fields["version"]
        return field.clean(field.widget.value_from_datadict(self.data, self.files, self.add_prefix("version")))

    @staticmethod
    def figure_field(target: TaskTarget) -> str:
        return f"figure_{target.pk}"

    def clean(self):
        cleaned = super().clean()
        figures = {}
        for target in self.targets:
            raw = (cleaned.get(self.figure_field(target)) or "").strip().replace(",", "")
            if not raw:
                continue
            try:
                figures[str(target.pk)] = str(Decimal(raw))
            except InvalidOperation:
                self.add_error(self.figure_field(target), _("Enter a number, e.g. 1.5 or 1200."))
        cleaned["figures"] = figures
        return cleaned

    def report_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["figures"] = self.cleaned_data["figures"]
        return data


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Leader comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ClosingForm(forms.Form):
    summary = forms.CharField(
        label=_("Closing report"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was achieved, with the evidence (documents, figures, dates)."),
    )


class CycleForm(forms.ModelForm):
    class Meta:
        model = ReportingCycle
        fields = ["kind", "due_rule", "due_value", "starts_on", "ends_on", "milestones", "cooperating_must_report"]
        widgets = {
            "starts_on": DatePicker(),
            "ends_on": DatePicker(),
            "milestones": forms.Textarea(attrs={"rows": 4, "placeholder": "2021-06-30\n2021-12-31"}),
        }


class ExtensionForm(forms.Form):
    new_due_on = forms.DateField(label=_("New due date"), widget=DatePicker())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TaskEditForm(forms.Form):
    """The office's edit of a task: its text and its deadline (as printed, and the date it means)."""

    content = forms.CharField(label=_("Task content"), widget=forms.Textarea(attrs={"rows": 5}))
    deadline_text = forms.CharField(
        label=_("Deadline as printed"), required=False, max_length=100, help_text=_("For example 2021年底前, 长期坚持.")
    )
    due_on = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DatePicker(),
        help_text=_("Leave empty to take the date the deadline names."),
    )


class UnitForm(forms.Form):
    """One unit of the task: an existing one (``assignment`` set) or a new one."""

    assignment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    agency = forms.ModelChoiceField(
        label=_("Unit"), queryset=Agency.objects.order_by("jurisdiction", "sort_order", "name"), required=False
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *AssignmentRole.choices], required=False)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("agency") and not data.get("role") and not data.get("remove"):
            self.add_error("role", _("Choose the unit's role."))
        if data.get("assignment") and not data.get("agency"):
            self.add_error("agency", _("Choose the unit, or tick Remove."))
        return data


UnitFormSet = forms.formset_factory(UnitForm, extra=3, max_num=200, absolute_max=200, validate_max=True)
