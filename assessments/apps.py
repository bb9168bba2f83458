from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        # Every change of a campaign's data leaves an audit entry, in its own transaction.
        from . import audit

        audit.connect()
