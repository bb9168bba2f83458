"""A district with two communes, the people of every role, and an open commune campaign."""

from types import SimpleNamespace

import pytest
from django.utils import translation
from guardian.shortcuts import assign_perm

from assessments import selectors
from assessments.models import Assessment
from tests.factories import AgencyFactory, UserFactory, open_campaign, unit_tree

OFFICER, LEADER, ORGANIZER = "unit_officer", "unit_leader", "organizer"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted as their English msgids; test_assessments_locale checks Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    tree = unit_tree()
    a, b = tree["communes"]
    department = AgencyFactory(name="Phòng Nội vụ", unit=tree["district"])
    people = SimpleNamespace(
        officer=UserFactory(unit=a, roles=[OFFICER]),
        leader=UserFactory(unit=a, roles=[LEADER]),
        other_officer=UserFactory(unit=b, roles=[OFFICER]),
        other_leader=UserFactory(unit=b, roles=[LEADER]),
        department_officer=UserFactory(agency=department, roles=[OFFICER]),
        organizer=UserFactory(unit=tree["district"], roles=[ORGANIZER]),
        other_organizer=UserFactory(unit=tree["province"], roles=[ORGANIZER]),
        administrator=UserFactory(roles=["administrator"]),
        council_member=UserFactory(roles=["council_member"]),
        council_closer=UserFactory(roles=["council_member"]),
    )
    campaign = open_campaign(organizer=people.organizer)
    # What the councils app will do for the chair and secretaries of the campaign's council.
    assign_perm("assessments.close_appraisal_rounds", people.council_closer, campaign)
    return SimpleNamespace(
        **tree,
        a=a,
        b=b,
        department=department,
        people=people,
        campaign=campaign,
        assessment=Assessment.objects.get(campaign=campaign, unit=a),
        other_assessment=Assessment.objects.get(campaign=campaign, unit=b),
    )


@pytest.fixture
def councils_ready(monkeypatch):
    """Fakes of what councils and rankings will answer: every score in, rankings computed."""
    monkeypatch.setattr(selectors.hooks, "round_one_missing", lambda assessment: [])
    monkeypatch.setattr(selectors.hooks, "round_two_missing", lambda assessment: [])
    monkeypatch.setattr(selectors.hooks, "rankings_not_ready", lambda campaign: [])
