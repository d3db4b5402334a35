"""Flat tasks through django-import-export in the admin.

One row per task: 方案文号 | 部分 | 节 | 序号 | 顺序 | 任务内容 | 完成时限. The section is
found from the first three columns through a cache filled by one query for the
whole file, and rows are written in bulk: the library's per-row foreign-key
lookups are what make its default import slow.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from core.signals import BulkImportSendsDataChanged
from tasklist.models import Section, Task


class SectionWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Section)
        self.cache: dict[tuple[str, int, int], Section] | None = None

    def _sections(self) -> dict[tuple[str, int, int], Section]:
        if self.cache is None:
            self.cache = {
                (s.part.plan.doc_number, s.part.number, s.number): s
                for s in Section.objects.select_related("part__plan")
            }
        return self.cache

    def clean(self, value, row=None, **kwargs):
        key = (str(row["方案文号"]).strip(), int(row["部分"]), int(value))
        try:
            return self._sections()[key]
        except KeyError:
            raise ValueError(
                _("Plan “%(plan)s” has no section %(section)s in part %(part)s")
                % {"plan": key[0], "part": key[1], "section": key[2]}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.number if value else ""


class TaskResource(BulkImportSendsDataChanged, resources.ModelResource):
    plan = fields.Field(attribute="section__part__plan__doc_number", column_name="方案文号", readonly=True)
    part = fields.Field(attribute="section__part__number", column_name="部分", readonly=True)
    section = fields.Field(attribute="section", column_name="节", widget=SectionWidget())
    number = fields.Field(attribute="number", column_name="序号", widget=widgets.IntegerWidget())
    order = fields.Field(attribute="order", column_name="顺序", widget=widgets.IntegerWidget())
    content = fields.Field(attribute="content", column_name="任务内容")
    deadline_text = fields.Field(attribute="deadline_text", column_name="完成时限")

    class Meta:
        model = Task
        fields = ("plan", "part", "section", "number", "order", "content", "deadline_text")
        import_id_fields = ("section", "order")
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        clean_model_instances = True  # the model's checks (content length) hold here as in every form

    def before_import(self, dataset, **kwargs):
        self.fields["section"].widget.cache = None  # sections may have changed since the last import
        super().before_import(dataset, **kwargs)

    def get_bulk_update_fields(self):
        # The library passes every field name; the read-only columns are not model fields.
        return [name for name in super().get_bulk_update_fields() if not self.fields[name].readonly]

    def get_queryset(self):
        return super().get_queryset().select_related("section__part__plan")
