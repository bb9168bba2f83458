from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Data providers")

    def ready(self):
        # The unit's saves ask whether an agency provided the figure they change.
        from assessments.selectors import hooks

        from . import selectors

        hooks.provided_figure = selectors.provided_figure
        hooks.provided_figures = selectors.provided_figures
