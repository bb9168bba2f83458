from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = _("Appraisal councils")

    def ready(self):
        # The assessment guards ask these when a round is closed (see
        # assessments.selectors.LaterAppHooks).
        from assessments.selectors import hooks

        from . import selectors

        hooks.round_one_missing = selectors.round_one_missing_texts
        hooks.round_two_missing = selectors.round_two_missing_texts
