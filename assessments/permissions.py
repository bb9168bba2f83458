"""Who may do what to which object, for campaigns, assessments, responses and evidence.

The one home of these answers: services refuse with ``PermissionDenied`` when
a predicate says no, and views ask the same predicates before showing a
button. The predicates answer *who*; *when* (state, calendar, completeness)
is answered by the assessment's guards (``Assessment.*_problems``).

Roles are Django groups (``Role``). A person of a commune or district has
``user.unit``; a department officer or an organizing office (Phòng VH&TT,
Sở KH&CN) belongs to an ``Agency`` and acts for ``agency.unit``. Object
grants made with django-guardian are honoured too: ``view_assessment`` on an
assessment (council members), ``close_appraisal_rounds`` on a campaign
(council chair and secretaries).
"""

from __future__ import annotations

from guardian.shortcuts import get_user_perms

from .models import (
    AdministrativeUnit,
    Assessment,
    Campaign,
    DepartmentAssignment,
    Evidence,
    Response,
    Role,
)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def home_unit_id(user) -> int | None:
    """The unit a person acts for: their own, or their agency's."""
    if user.unit_id:
        return user.unit_id
    if user.agency_id:
        return user.agency.unit_id
    return None


def is_administrator(user) -> bool:
    return _active(user) and (user.is_superuser or user.has_role(Role.ADMINISTRATOR))


def is_organizer_of(user, campaign: Campaign) -> bool:
    return (
        _active(user)
        and user.has_role(Role.ORGANIZER)
        and home_unit_id(user) == campaign.organizing_unit_id
    )


def is_unit_officer_of(user, assessment: Assessment) -> bool:
    """An officer of the assessed unit itself (not of one of its departments)."""
    return (
        _active(user)
        and user.has_role(Role.UNIT_OFFICER)
        and user.agency_id is None
        and user.unit_id == assessment.unit_id
    )


def is_department_officer_of(user, assessment: Assessment) -> bool:
    """An officer of a department (agency) of the assessed unit, e.g. a district's Phòng."""
    return (
        _active(user)
        and user.has_role(Role.UNIT_OFFICER)
        and user.agency_id is not None
        and user.agency.unit_id == assessment.unit_id
    )


def is_unit_leader_of(user, assessment: Assessment) -> bool:
    return (
        _active(user)
        and user.has_role(Role.UNIT_LEADER)
        and user.agency_id is None
        and user.unit_id == assessment.unit_id
    )


# --- campaigns ---------------------------------------------------------------


def can_create_campaign(user, organizing_unit: AdministrativeUnit) -> bool:
    return (
        _active(user) and user.has_role(Role.ORGANIZER) and home_unit_id(user) == organizing_unit.pk
    )


def can_manage_campaign(user, campaign: Campaign) -> bool:
    """Calendar, assessed units, department assignments."""
    return is_organizer_of(user, campaign)


def can_view_campaign(user, campaign: Campaign) -> bool:
    """The campaign page with every unit's progress."""
    return is_organizer_of(user, campaign) or is_administrator(user)


def can_publish(user, campaign: Campaign) -> bool:
    return is_organizer_of(user, campaign)


def can_view_audit_log(user, campaign: Campaign) -> bool:
    """The campaign's audit log (every change, who made it, before and after) and its export."""
    return is_organizer_of(user, campaign) or is_administrator(user)


# --- assessments -------------------------------------------------------------


def can_view_assessment(user, assessment: Assessment) -> bool:
    if not _active(user):
        return False
    return (
        is_unit_officer_of(user, assessment)
        or is_unit_leader_of(user, assessment)
        or is_department_officer_of(user, assessment)
        or is_organizer_of(user, assessment.campaign)
        or is_administrator(user)
        or user.has_perm("assessments.view_assessment", assessment)
    )


def can_edit_general_info(user, assessment: Assessment) -> bool:
    return is_unit_officer_of(user, assessment)


def can_submit(user, assessment: Assessment) -> bool:
    return is_unit_officer_of(user, assessment)


def can_return(user, assessment: Assessment) -> bool:
    return is_unit_leader_of(user, assessment)


def can_confirm(user, assessment: Assessment) -> bool:
    return is_unit_leader_of(user, assessment)


def can_close_round(user, assessment: Assessment) -> bool:
    """The council's chair or a secretary: granted per campaign by the councils app.

    Only that grant counts. ``user.has_perm`` would also say yes to every
    superuser, who is an administrator here (``is_administrator``), not a member
    of the council: closing a round is the council's decision.
    """
    return (
        _active(user)
        and get_user_perms(user, assessment.campaign)
        .filter(codename="close_appraisal_rounds")
        .exists()
    )


def can_open_explanation(user, assessment: Assessment) -> bool:
    return is_organizer_of(user, assessment.campaign)


def can_reopen(user, assessment: Assessment) -> bool:
    return is_administrator(user)


# --- responses and evidence --------------------------------------------------


def can_edit_response(user, response: Response) -> bool:
    """The unit's officers edit every indicator; a department officer only those assigned."""
    assessment = response.assessment
    if is_unit_officer_of(user, assessment):
        return True
    return (
        is_department_officer_of(user, assessment)
        and DepartmentAssignment.objects.filter(
            campaign_id=assessment.campaign_id,
            agency_id=user.agency_id,
            indicator_id=response.indicator_id,
        ).exists()
    )


def can_manage_evidence(user, response: Response) -> bool:
    return can_edit_response(user, response)


def can_view_evidence(user, evidence: Evidence) -> bool:
    """For the permission-checked download view: whoever may see the assessment."""
    return can_view_assessment(user, evidence.response.assessment)
