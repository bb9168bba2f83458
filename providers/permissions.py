"""Who may provide which figures, and who may ask agencies for data.

The one home of these answers, asked by the provider pages, the API and the
services alike. A provider is a person with the ``data_provider`` role who
belongs to the assignment's agency; an assignment with units covers only
those units, one without units every unit of the campaign (which units an
assignment covers is a question of data, answered in SQL by
``selectors.owed_pairs`` for the pages and by ``services.figures_provide``).
"""

from __future__ import annotations

from assessments.models import Campaign, Role
from assessments.permissions import can_manage_campaign, is_organizer_of
from councils import permissions as council_permissions

from .models import ProviderAssignment


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_data_provider(user) -> bool:
    return _active(user) and user.agency_id is not None and user.has_role(Role.DATA_PROVIDER)


def is_provider_for(user, assignment: ProviderAssignment) -> bool:
    """The person provides for this assignment's agency (any of its units)."""
    return is_data_provider(user) and user.agency_id == assignment.agency_id


def can_manage_providers(user, campaign: Campaign) -> bool:
    """The organizer of the campaign names the providers (as they form the council)."""
    return can_manage_campaign(user, campaign)


# --- data requests ------------------------------------------------------------------
#
# A council member asks an agency for a figure about one response; the agency's
# data providers answer. Who sees what: ``can_view_data_request``.

VIEW_ASSESSMENT = "assessments.view_assessment"


def belongs_to_assessed_unit(user, response) -> bool:
    """The person belongs to the assessed unit (the councils' conflict rule)."""
    return council_permissions.is_conflicted(user, response.assessment.unit_id)


def _of_agency(user, data_request) -> bool:
    return is_data_provider(user) and user.agency_id == data_request.agency_id


def council_sees_response(user, response) -> bool:
    """A member of the campaign's council who may appraise the response now, or could see
    it (the view grant ``councils.services`` gives members), never in a unit of their own."""
    assessment = response.assessment
    member = council_permissions.membership(user, assessment.campaign_id)
    if member is None or council_permissions.is_conflicted(member.user, assessment.unit_id):
        return False
    if user.has_perm(VIEW_ASSESSMENT, assessment):
        return True
    return council_permissions.appraisable_responses(member).filter(pk=response.pk).exists()


def can_ask_for_data(user, response) -> bool:
    """Ask an agency for a figure about ``response``: a member of the campaign's council
    who may appraise or see it; never a member of the assessed unit."""
    return council_sees_response(user, response)


def sees_response_requests(user, response) -> bool:
    """Sees every request about ``response``: its council's members who may see it, and
    the campaign's organizer; never anyone of the assessed unit."""
    if not _active(user) or belongs_to_assessed_unit(user, response):
        return False
    return is_organizer_of(user, response.assessment.campaign) or council_sees_response(
        user, response
    )


def can_view_data_request(user, data_request) -> bool:
    """The request, its answer and its files.

    The person who asked, the council's members who may see the response, the
    agency's data providers and the campaign's organizer.

    Not the assessed unit. The plan (seed 002, part III, items 3.b and 4.a) has
    the agencies answer "khi có đề nghị phối hợp của Hội đồng Thẩm định": the
    request is the council's way of checking the unit's own figures, and the
    unit's part is its explanation (it reads the round-1 scores and comments
    from Explanation on), not the council's correspondence with the police or
    a bank, whose answers may hold figures about people or other units.
    Nothing in seeds/ has the unit read them, so its officers, its leader and
    anyone else who belongs to the unit (the councils' conflict rule: their
    own unit or their agency's) see none of it, whatever else they are.
    Administrators are not named either: the correspondence is the campaign's.
    """
    response = data_request.response
    if not _active(user) or belongs_to_assessed_unit(user, response):
        return False
    return (
        data_request.asked_by_id == user.pk
        or _of_agency(user, data_request)
        or sees_response_requests(user, response)
    )


def can_answer_data_request(user, data_request) -> bool:
    """An active person of the request's agency with the data provider role."""
    return _of_agency(user, data_request) and not belongs_to_assessed_unit(
        user, data_request.response
    )


def can_withdraw_data_request(user, data_request) -> bool:
    """The council member who asked."""
    return _active(user) and data_request.asked_by_id == user.pk


def can_download_data_request_file(user, request_file) -> bool:
    """A file of an answer: whoever may see the request; never public."""
    return can_view_data_request(user, request_file.request)
