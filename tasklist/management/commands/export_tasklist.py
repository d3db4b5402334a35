import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tasklist.export import plan_as_dict
from tasklist.exporters import export_plan_docx, export_plan_xlsx
from tasklist.models import Plan


def _render(plan: Plan, fmt: str) -> bytes:
    if fmt == "xlsx":
        return export_plan_xlsx(plan)
    if fmt == "docx":
        return export_plan_docx(plan)
    return (json.dumps(plan_as_dict(plan), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class Command(BaseCommand):
    help = (
        "Export a plan by its document number: json (the contract in docs/json-export.md), "
        "xlsx (the plan's own layout plus a flat sheet, importable again) or docx."
    )

    def add_arguments(self, parser):
        parser.add_argument("doc_number")
        parser.add_argument("--format", choices=["json", "xlsx", "docx"], default="json")
        parser.add_argument("-o", "--output", required=True, help="File to write, or - for standard output.")

    def handle(self, *args, **options):
        plan = Plan.objects.filter(doc_number=options["doc_number"]).first()
        if plan is None:
            known = "、".join(Plan.objects.values_list("doc_number", flat=True)) or "—"
            raise CommandError(
                _("There is no plan numbered “%(doc_number)s”. Known plans: %(known)s")
                % {"doc_number": options["doc_number"], "known": known}
            )
        data = _render(plan, options["format"])
        if options["output"] == "-":
            if options["format"] == "json":
                self.stdout.write(data.decode("utf-8"), ending="")
            else:
                sys.stdout.buffer.write(data)  # binary: past Django's text wrapper
                sys.stdout.flush()
            return
        try:
            with open(options["output"], "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise CommandError(
                _("Cannot write “%(path)s”: %(error)s") % {"path": options["output"], "error": error.strerror}
            ) from None
        self.stderr.write(
            _("Exported %(doc_number)s to %(path)s") % {"doc_number": plan.doc_number, "path": options["output"]}
        )
