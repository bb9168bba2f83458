from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from indicators.excel import export_indicator_set
from indicators.models import IndicatorSet


class Command(BaseCommand):
    help = "Write an indicator set to an Excel workbook (the import template)."

    def add_arguments(self, parser):
        parser.add_argument("set_id", type=int)
        parser.add_argument("path", type=Path)

    def handle(self, *args, set_id, path, **options):
        indicator_set = IndicatorSet.objects.filter(pk=set_id).first()
        if indicator_set is None:
            raise CommandError(_("No indicator set with id %(id)s.") % {"id": set_id})
        path.write_bytes(export_indicator_set(indicator_set))
        self.stdout.write(_("Wrote “%(set)s” to %(path)s.") % {"set": indicator_set, "path": path})
