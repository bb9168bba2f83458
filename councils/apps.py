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

        # A unit that moves to Explanation (organizer or calendar) is told its
        # round-1 results are there, once the transition has committed.
        from django_fsm.signals import post_transition

        from assessments.models import Assessment

        post_transition.connect(
            _results_available_on_commit, sender=Assessment, dispatch_uid="councils-results"
        )

        # Units added to a campaign after its council was formed: its members
        # may see their assessments too (except, as always, their own units').
        from assessments.signals import assessments_added

        assessments_added.connect(_grant_members_the_new_units, dispatch_uid="councils-units")

        # The council's changes (members, assignments, appraisals, explanations) are audited.
        from . import audit

        audit.connect()


def _grant_members_the_new_units(sender, campaign, **kwargs):
    from .models import Council
    from .services import council_sync_permissions

    council = Council.objects.filter(campaign=campaign).first()
    if council is not None:
        council.campaign = campaign
        council_sync_permissions(council=council)


def _results_available_on_commit(sender, instance, target, **kwargs):
    from django.db import transaction

    from assessments.models import AssessmentState

    from .reminders import results_available_notify

    if target == AssessmentState.EXPLANATION:
        transaction.on_commit(lambda: results_available_notify(assessment_ids=[instance.pk]))
