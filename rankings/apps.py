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

        # Each publication (and correction) is in the campaign's audit log.
        from django.db.models.signals import post_save

        from .models import Publication

        post_save.connect(_audit_publication, sender=Publication, dispatch_uid="rankings-audit")


def _audit_publication(sender, instance, created, raw=False, **kwargs):
    from django.utils.translation import gettext as _

    from assessments import audit
    from assessments.models import AuditAction

    if not created or raw:
        return

    def summary() -> str:
        values = {
            "version": instance.version,
            "number": instance.decision_number,
            "date": instance.decision_date.strftime("%d/%m/%Y"),
        }
        if instance.version == 1:
            return _("Results published (version 1), decision %(number)s of %(date)s") % values
        text = _(
            "Corrected results published (version %(version)s), decision %(number)s of %(date)s"
        )
        return f"{text % values} · " + _("reason: %(reason)s") % {"reason": instance.reason}

    audit.record(
        action=AuditAction.RESULTS_PUBLISHED,
        summary=audit.in_site_language(summary),
        campaign_id=instance.campaign_id,
        actor=instance.published_by,
        object_type=audit.label(sender),
        object_id=instance.pk,
        details={
            "version": instance.version,
            "decision_number": instance.decision_number,
            "decision_date": instance.decision_date,
            "signer_title": instance.signer_title,
            "signer_name": instance.signer_name,
            "reason": instance.reason,
        },
        at=instance.published_at,
    )


def _recompute_after_round(sender, instance, target, **kwargs):
    from django.db import connection, transaction

    from assessments.models import AssessmentState

    from .models import Stage

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
        # After the commit: the round is closed whatever happens here. If Redis does
        # not answer, the run is recorded "not queued" for the organizer and the
        # hourly beat queues it again; the chair's page never fails for it.
        from .services import recompute_queue

        recompute_queue(campaign_id=key[0], stages=list(key[1]))

    recompute.rankings_key = key
    transaction.on_commit(recompute)
