from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

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
                f"{path}: {result.created} created, {result.updated} updated, {result.aliases_created} aliases added"
            )
