import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from importers.draft import DraftError, PlanMeta
from importers.loader import apply_draft
from importers.pipeline import draft_from_path


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--issued-on %(value)s: expected a date as YYYY-MM-DD.") % {"value": value}) from None


class Command(BaseCommand):
    help = (
        "Import a task division plan from a file (.txt, .docx, .xlsx, .xls, .ods). Re-importing the same "
        "file changes nothing; --dry-run prints what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--sheet", help="The sheet (or Word table) to read; default: the first with a header.")
        parser.add_argument("--user", help="Username recorded in the history as the one who imported.")
        parser.add_argument(
            "--doc-number", help="Document number, when the file does not carry it (overrides the file)."
        )
        parser.add_argument("--title", help="Plan title (overrides the file).")
        parser.add_argument("--issuer", help="Issuing body (overrides the file).")
        parser.add_argument("--issued-on", type=_date, help="Date of issue, YYYY-MM-DD (overrides the file).")
        parser.add_argument("--jurisdiction", help="Jurisdiction such as 宿迁市 (overrides what the issuer implies).")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("There is no user “%(name)s”.") % {"name": options["user"]})
        override = PlanMeta(
            title=options["title"] or "",
            doc_number=options["doc_number"] or "",
            issuer=options["issuer"] or "",
            issued_on=options["issued_on"],
            jurisdiction=options["jurisdiction"] or "",
        )
        try:
            draft = draft_from_path(options["file"], override, options["sheet"])
            report = apply_draft(draft, user=user, dry_run=options["dry_run"])
        except DraftError as error:
            heading = _("%(file)s cannot be imported:") % {"file": options["file"]}
            raise CommandError("\n".join([heading, *error.messages()])) from None
        if options["dry_run"]:
            self.stdout.write(_("Dry run (--dry-run): what would change; the database was not modified."))
        for line in report.summary():
            self.stdout.write(line)
        # What the web preview shows in its warnings card: imported, but worth a look.
        for warning in draft.warnings:
            self.stdout.write(_("Warning: %(warning)s") % {"warning": warning})
