from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from indicators.services import indicator_set_import_excel


class Command(BaseCommand):
    help = "Import an Excel workbook as a new draft indicator set; nothing is saved on any error."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--name", help="Name of the new set instead of the workbook's.")

    def handle(self, *args, path, name, **options):
        try:
            with path.open("rb") as fileobj:
                result = indicator_set_import_excel(fileobj=fileobj, name=name)
        except OSError as exc:
            raise CommandError(exc) from None
        for error in result.errors:
            where = [error.sheet] if error.sheet else []
            if error.row:
                where.append(_("row %(row)s") % {"row": error.row})
            if error.column:
                where.append(_("column %(column)s") % {"column": error.column})
            self.stderr.write(f"{', '.join(where)}: {error.message}" if where else error.message)
        if result.errors:
            raise CommandError(
                _("%(count)s error(s); nothing was saved.") % {"count": len(result.errors)}
            )
        self.stdout.write(
            _("Created the draft set “%(set)s” (id %(id)s).")
            % {"set": result.indicator_set, "id": result.indicator_set.pk}
        )
