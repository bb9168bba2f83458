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
    from django.db import connection, transaction

    from assessments.models import AssessmentState

    from .models import Stage
    from .tasks import recompute_campaign

    stages = {
        AssessmentState.APPRAISED_1: [Stage.ROUND_1],
        AssessmentState.APPRAISED_2: [Stage.ROUND_1, Stage.FINAL],
    }.get(target)
    if not stages:
        return
    key = (instance.campaign_id, tuple(str(stage) for stage in stages))
    # Closing a round for twenty units in one transaction queues one computation,
    # not twenty: a callback already waiting for this commit covers them all.
    # (Django drops waiting callbacks with a rolled-back savepoint, so this
    # list is exactly what will run.)
    if any(
        getattr(func, "rankings_key", None) == key for _ids, func, *_ in connection.run_on_commit
    ):
        return

    def recompute():
        recompute_campaign.delay(key[0], list(key[1]))

    recompute.rankings_key = key
    transaction.on_commit(recompute)
