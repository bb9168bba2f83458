from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    name = "rankings"
    verbose_name = _("Rankings")

    def ready(self):
        # The publish guard asks this (see assessments.selectors.LaterAppHooks).
        from assessments.selectors import hooks

        from . import selectors

        hooks.rankings_not_ready = selectors.rankings_not_ready

        # A closed round changes what the rankings of its stage are made of:
        # recompute them once the transition has committed (a Celery task).
        from django_fsm.signals import post_transition

        from assessments.models import Assessment

        post_transition.connect(
            _recompute_after_round, sender=Assessment, dispatch_uid="rankings-recompute"
        )


def _recompute_after_round(sender, instance, target, **kwargs):
    from django.db import transaction

    from assessments.models import AssessmentState

    from .models import Stage
    from .tasks import recompute_campaign

    stages = {
        AssessmentState.APPRAISED_1: [Stage.ROUND_1],
        AssessmentState.APPRAISED_2: [Stage.ROUND_1, Stage.FINAL],
    }.get(target)
    if stages:
        campaign_id = instance.campaign_id
        transaction.on_commit(
            lambda: recompute_campaign.delay(campaign_id, [str(s) for s in stages])
        )
