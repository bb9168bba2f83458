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


def membership(user, campaign_id: int) -> CouncilMember | None:
    """The person's membership of the council of a campaign, or None: 1 query.

    With its council, the campaign and the person's agency: what the member's
    pages and ``conflict_unit_ids`` read next.
    """
    if not _active(user):
        return None
    return (
        CouncilMember.objects.filter(council__campaign_id=campaign_id, user=user)
        .select_related(
            "council__campaign__organizing_unit",
            "council__campaign__indicator_set",
            "user__agency",
        )
        .first()
    )


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


def appraisable_condition(member: CouncilMember) -> Q:
    """``appraisable_responses`` as a condition on responses spelled with values: 1 query.

    The same responses: the member's assignments are read first, so the
    condition names the indicators (and, for an assignment limited to some
    units, those units) as values. Over a national campaign the database
    plans this far better than a correlated check per response: it knows
    how many responses each indicator has. For the pages that count or list
    many responses; the check of one response stays ``appraisable_responses``.
    """
    everywhere: set[int] = set()
    units_of: dict[int, set[int]] = {}
    for indicator_id, unit_id in Assignment.objects.filter(member=member).values_list(
        "indicator_id", "units"
    ):
        if unit_id is None:
            everywhere.add(indicator_id)
        else:
            units_of.setdefault(indicator_id, set()).add(unit_id)
    # Assignments limited to the same units share one clause.
    by_units: dict[frozenset[int], list[int]] = {}
    for indicator_id, units in units_of.items():
        by_units.setdefault(frozenset(units), []).append(indicator_id)
    covered = Q(indicator_id__in=sorted(everywhere))
    for units, indicator_ids in by_units.items():
        covered |= Q(indicator_id__in=sorted(indicator_ids), assessment__unit_id__in=sorted(units))
    return (
        Q(assessment__campaign_id=member.council.campaign_id)
        & covered
        & ~Q(assessment__unit_id__in=conflict_unit_ids(member.user))
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
