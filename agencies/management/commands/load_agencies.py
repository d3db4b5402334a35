from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies.directory import load_directory_file


class Command(BaseCommand):
    help = "Load an agency directory (names, full names, aliases) from a JSON file. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *args, **options):
        for path in options["files"]:
            try:
                result = load_directory_file(path)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stdout.write(
                _("%(path)s: %(created)s created, %(updated)s updated, %(aliases)s aliases added")
                % {
                    "path": path,
                    "created": result.created,
                    "updated": result.updated,
                    "aliases": result.aliases_created,
                }
            )
