import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tasklist.export import plan_as_dict
from tasklist.models import Plan


class Command(BaseCommand):
    help = "Export a plan by its document number. JSON is the contract documented in docs/json-export.md."

    def add_arguments(self, parser):
        parser.add_argument("doc_number")
        parser.add_argument("--format", choices=["json"], default="json")
        parser.add_argument("-o", "--output", required=True, help="File to write, or - for standard output.")

    def handle(self, *args, **options):
        plan = Plan.objects.filter(doc_number=options["doc_number"]).first()
        if plan is None:
            known = "、".join(Plan.objects.values_list("doc_number", flat=True)) or "—"
            raise CommandError(
                _("There is no plan numbered “%(doc_number)s”. Known plans: %(known)s")
                % {"doc_number": options["doc_number"], "known": known}
            )
        text = json.dumps(plan_as_dict(plan), ensure_ascii=False, indent=2) + "\n"
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            try:
                with open(options["output"], "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as error:
                raise CommandError(
                    _("Cannot write “%(path)s”: %(error)s") % {"path": options["output"], "error": error.strerror}
                ) from None
            self.stderr.write(
                _("Exported %(doc_number)s to %(path)s") % {"doc_number": plan.doc_number, "path": options["output"]}
            )
