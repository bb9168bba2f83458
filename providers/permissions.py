"""Who may provide which figures, and who may ask agencies for data.

The one home of these answers, asked by the provider pages, the API and the
services alike. A provider is a person with the ``data_provider`` role who
belongs to the assignment's agency; an assignment with units covers only
those units, one without units every unit of the campaign.
"""

from __future__ import annotations

from assessments.models import Assessment, Campaign, Role
from assessments.permissions import can_manage_campaign

from .models import ProviderAssignment


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_data_provider(user) -> bool:
    return _active(user) and user.agency_id is not None and user.has_role(Role.DATA_PROVIDER)


def is_provider_for(user, assignment: ProviderAssignment) -> bool:
    """The person provides for this assignment's agency (any of its units)."""
    return is_data_provider(user) and user.agency_id == assignment.agency_id


def assignment_covers(assignment: ProviderAssignment, assessment: Assessment) -> bool:
    """The assignment's campaign and units include the assessed unit."""
    if assessment.campaign_id != assignment.campaign_id:
        return False
    units = assignment.units.all()
    if getattr(assignment, "_prefetched_objects_cache", {}).get("units") is not None:
        ids = {unit.pk for unit in units}
        return not ids or assessment.unit_id in ids
    return not units.exists() or units.filter(pk=assessment.unit_id).exists()


def can_provide(user, assignment: ProviderAssignment, assessment: Assessment) -> bool:
    return is_provider_for(user, assignment) and assignment_covers(assignment, assessment)


def can_manage_providers(user, campaign: Campaign) -> bool:
    """The organizer of the campaign names the providers (as they form the council)."""
    return can_manage_campaign(user, campaign)
