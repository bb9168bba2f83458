from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicator sets")

    def ready(self):
        from django.db.models.signals import m2m_changed

        from .models import SubIndex

        def refuse_frozen_membership(sender, instance, action, pk_set, **kwargs):
            # Sub-index membership is part of the set: frozen means frozen here too.
            # ``instance`` is the sub-index or, from the other side, the pillar.
            if action in {"pre_add", "pre_remove", "pre_clear"}:
                instance.check_not_frozen()

        m2m_changed.connect(
            refuse_frozen_membership,
            sender=SubIndex.pillars.through,
            dispatch_uid="indicators.refuse_frozen_membership",
        )
