"""Who may see and change an assessment: roles, units, agencies and django-guardian grants."""

import pytest
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import assign_perm

from assessments import permissions
from assessments.models import Evidence, Response
from tests.factories import UserFactory

VIEWERS = {
    "officer": True,
    "leader": True,
    "department_officer": False,  # a department of the district, not of the commune
    "organizer": True,
    "administrator": True,
    "other_officer": False,
    "other_leader": False,
    "other_organizer": False,
    "council_member": False,
    "council_closer": False,
}


@pytest.mark.parametrize(("role", "may"), VIEWERS.items())
def test_who_sees_an_assessment(world, role, may):
    assert permissions.can_view_assessment(getattr(world.people, role), world.assessment) is may


def test_a_guardian_grant_lets_a_council_member_see_one_assessment(world):
    member = world.people.council_member
    assign_perm("assessments.view_assessment", member, world.assessment)
    member = type(member).objects.get(pk=member.pk)  # guardian caches per user object

    assert permissions.can_view_assessment(member, world.assessment)
    assert not permissions.can_view_assessment(member, world.other_assessment)
    response = Response.objects.filter(assessment=world.assessment).first()
    evidence = Evidence.objects.create(
        response=response, kind="link", url="https://xa-a.gov.vn", uploaded_by=world.people.officer
    )
    assert permissions.can_view_evidence(member, evidence)
    assert not permissions.can_edit_response(member, response)


def test_closing_rounds_is_a_guardian_grant_on_the_campaign(world):
    assert permissions.can_close_round(world.people.council_closer, world.assessment)
    assert not permissions.can_close_round(world.people.council_member, world.assessment)
    assert not permissions.can_close_round(world.people.organizer, world.assessment)


def test_an_inactive_or_anonymous_user_may_do_nothing(world):
    officer = world.people.officer
    officer.is_active = False
    officer.save()
    response = Response.objects.filter(assessment=world.assessment).first()
    for user in (type(officer).objects.get(pk=officer.pk), AnonymousUser()):
        assert not permissions.can_view_assessment(user, world.assessment)
        assert not permissions.can_edit_response(user, response)
        assert not permissions.can_submit(user, world.assessment)


def test_a_role_in_another_unit_gives_nothing_here(world):
    leader_elsewhere = UserFactory(unit=world.b, roles=["unit_leader", "unit_officer"])
    assert not permissions.can_confirm(leader_elsewhere, world.assessment)
    assert not permissions.can_submit(leader_elsewhere, world.assessment)
    assert permissions.can_confirm(leader_elsewhere, world.other_assessment)


def test_a_superuser_is_an_administrator(world):
    root = UserFactory(is_superuser=True)
    assert permissions.is_administrator(root)
    assert permissions.can_reopen(root, world.assessment)
    assert not permissions.can_submit(root, world.assessment)
