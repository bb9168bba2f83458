"""The council of a campaign and its members: who forms it, what members are granted."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import permissions as assessment_permissions
from councils import services
from councils.models import Council, CouncilMember, CouncilRole
from tests.factories import UserFactory, open_campaign


def test_council_is_formed_once_per_campaign_by_its_organizer(world):
    assert (world.council.campaign, world.council.decision_number) == (
        world.campaign,
        "1234/QĐ-UBND",
    )
    with pytest.raises(ValidationError) as excinfo:
        services.council_create(
            campaign=world.campaign, user=world.people.organizer, decision_number="99/QĐ-UBND"
        )
    assert excinfo.value.messages == ["This campaign already has an appraisal council."]
    with pytest.raises(PermissionDenied) as denied:
        services.council_create(
            campaign=world.campaign, user=world.people.chair, decision_number="99/QĐ-UBND"
        )
    assert str(denied.value) == "Only the campaign's organizer can form its appraisal council."
    assert Council.objects.count() == 1
    assert world.council.history.count() == 1


def test_council_needs_a_decision_number_and_no_future_date(world):
    other = open_campaign(organizer=world.people.organizer, name="Đợt khác")
    with pytest.raises(ValidationError) as excinfo:
        services.council_create(
            campaign=other,
            user=world.people.organizer,
            decision_number="  ",
            decision_date=date(2999, 1, 1),
        )
    assert excinfo.value.messages == [
        "Enter the number of the decision forming the council.",
        "The decision's date cannot be in the future.",
    ]


def test_members_come_from_agencies_and_join_once(world):
    with pytest.raises(ValidationError) as excinfo:
        services.member_add(
            council=world.council, user=world.people.organizer, member_user=world.people.outsider
        )
    assert excinfo.value.messages == [
        "Người ngoài does not belong to an agency; council members come from agencies."
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.member_add(
            council=world.council, user=world.people.organizer, member_user=world.people.police
        )
    assert excinfo.value.messages == ["Công an Minh is already a member of the council."]
    with pytest.raises(PermissionDenied):
        services.member_add(
            council=world.council,
            user=world.people.chair,
            member_user=UserFactory(agency=world.agencies.police),
        )
    assert CouncilMember.objects.filter(council=world.council).count() == 4


def test_chair_and_secretary_may_close_rounds_and_members_see_the_units(world):
    a, b = world.assessment_a, world.assessment_b
    people = world.people
    can_close = assessment_permissions.can_close_round
    assert [can_close(p, a) for p in (people.chair, people.secretary, people.police)] == [
        True,
        True,
        False,
    ]
    view = assessment_permissions.can_view_assessment
    assert [view(people.police, a), view(people.police, b)] == [True, True]
    # the postman belongs to commune A: no grant to view A's assessment as a member
    assert people.postman.has_perm("assessments.view_assessment", a) is False
    assert people.postman.has_perm("assessments.view_assessment", b) is True
    assert people.police.groups.filter(name="council_member").exists()


def test_members_may_see_units_added_to_the_campaign_after_the_council(world):
    from assessments.models import Assessment
    from assessments.services import campaign_set_units
    from tests.factories import AdministrativeUnitFactory

    c = AdministrativeUnitFactory(name="Xã C", kind="xa", parent=world.district)
    campaign_set_units(
        campaign=world.campaign, user=world.people.organizer, units=[world.a, world.b, c]
    )
    added = Assessment.objects.get(campaign=world.campaign, unit=c)
    people = world.people
    assert [
        p.has_perm("assessments.view_assessment", added) for p in (people.police, people.postman)
    ] == [
        True,
        True,
    ]
    assert people.outsider.has_perm("assessments.view_assessment", added) is False


def test_changing_a_role_moves_the_closing_grant(world):
    services.member_set_role(
        member=world.members.secretary, user=world.people.organizer, role=CouncilRole.MEMBER
    )
    services.member_set_role(
        member=world.members.police, user=world.people.organizer, role=CouncilRole.SECRETARY
    )
    secretary, police = (
        type(world.people.secretary).objects.get(pk=u.pk)
        for u in (world.people.secretary, world.people.police)
    )
    can_close = assessment_permissions.can_close_round
    assert [can_close(secretary, world.assessment_a), can_close(police, world.assessment_a)] == [
        False,
        True,
    ]


def test_removing_a_member_revokes_the_grants(world):
    services.member_remove(member=world.members.police, user=world.people.organizer)
    police = type(world.people.police).objects.get(pk=world.people.police.pk)
    assert police.has_perm("assessments.view_assessment", world.assessment_a) is False
    assert not CouncilMember.objects.filter(user=police).exists()
