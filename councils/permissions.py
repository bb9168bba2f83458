"""Who may do what in a council: form it, assign, appraise, explain, close the rounds.

The one home of these answers, asked by ``services`` (which refuse with
``PermissionDenied``) and later by the pages. *When* (state, calendar) is the
services' business. Conflicts of interest live here too: a member never
appraises, and is never assigned, a unit they belong to.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from assessments import permissions as assessment_permissions
from assessments.models import Assessment, Campaign, Response

from .models import CLOSING_ROLES, Assignment, Council, CouncilMember


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def conflict_unit_ids(user) -> frozenset[int]:
    """The units a person belongs to: their own unit and their agency's unit."""
    ids = {user.unit_id}
    if user.agency_id:
        ids.add(user.agency.unit_id)
    return frozenset(pk for pk in ids if pk is not None)


def is_conflicted(user, unit_id: int) -> bool:
    return unit_id in conflict_unit_ids(user)


def member_of(user, council: Council) -> CouncilMember | None:
    if not _active(user):
        return None
    return CouncilMember.objects.filter(council=council, user=user).first()


def can_manage_council(user, campaign: Campaign) -> bool:
    """Form the council and change its members: the campaign's organizer."""
    return assessment_permissions.is_organizer_of(
        user, campaign
    ) or assessment_permissions.is_administrator(user)


def can_assign(user, council: Council) -> bool:
    """Assign indicators: the organizer, or the council's chair or a secretary."""
    if can_manage_council(user, council.campaign):
        return True
    member = member_of(user, council)
    return member is not None and member.role in CLOSING_ROLES


def covering_assignments(*, indicator=None, unit=None) -> QuerySet:
    """Assignments covering an indicator in a unit (both may be ``OuterRef``s).

    An assignment without units covers every unit. Members who belong to the
    unit are left out: they never appraise it, whatever they were assigned.
    """
    assignments = Assignment.objects.all()
    if indicator is not None:
        assignments = assignments.filter(indicator_id=indicator)
    return (
        assignments.filter(Q(units__isnull=True) | Q(units=unit))
        .exclude(member__user__unit_id=unit)
        .exclude(member__user__agency__unit_id=unit)
    )


def appraisable_responses(member: CouncilMember) -> QuerySet:
    """The responses ``member`` may appraise: assigned to them, in no unit of their own.

    One queryset, the same for the permission check and the member's workbench.
    """
    covering = covering_assignments(
        indicator=OuterRef("indicator_id"), unit=OuterRef("assessment__unit_id")
    ).filter(member=member)
    return (
        Response.objects.filter(assessment__campaign_id=member.council.campaign_id)
        .filter(Exists(covering))
        .exclude(assessment__unit_id__in=conflict_unit_ids(member.user))
    )


def can_appraise(user, response: Response) -> bool:
    """An assigned member of the campaign's council, never in a unit they belong to."""
    assessment = response.assessment
    council = Council.objects.filter(campaign_id=assessment.campaign_id).first()
    if council is None:
        return False
    member = member_of(user, council)
    return (
        member is not None
        and not is_conflicted(user, assessment.unit_id)
        and appraisable_responses(member).filter(pk=response.pk).exists()
    )


def can_explain(user, response: Response) -> bool:
    """The unit's officers (a department officer only for their assigned indicators)."""
    return assessment_permissions.can_edit_response(user, response)


def can_close_round(user, assessment: Assessment) -> bool:
    """Chair or secretary: the guardian grant made by ``services.member_add``."""
    return assessment_permissions.can_close_round(user, assessment)
