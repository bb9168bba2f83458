"""Assignments: by pillar, by indicator, limited to units; conflicts; proposal; coverage."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from councils import selectors, services
from councils.models import Assignment


def assigned_codes(member) -> list[str]:
    return sorted(member.assignments.values_list("indicator__code", flat=True))


def test_assign_a_whole_pillar_then_limit_an_indicator_to_units(world):
    organizer, police = world.people.organizer, world.members.police
    services.assignment_set(
        council=world.council, user=organizer, member=police, pillars=[world.pillars["2"]]
    )
    assert assigned_codes(police) == ["2.1", "2.2"]
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=police,
        indicators=[world.indicators["2.1"]],
        units=[world.b],
    )
    rows = {
        a.indicator.code: sorted(u.name for u in a.units.all())
        for a in Assignment.objects.filter(member=police)
    }
    assert rows == {"2.1": ["Xã B"], "2.2": []}


def test_the_chair_may_assign_but_a_plain_member_may_not(world):
    services.assignment_set(
        council=world.council,
        user=world.people.chair,
        member=world.members.police,
        indicators=[world.indicators["2.1"]],
    )
    with pytest.raises(PermissionDenied) as denied:
        services.assignment_set(
            council=world.council,
            user=world.people.police,
            member=world.members.police,
            indicators=[world.indicators["2.2"]],
        )
    assert str(denied.value) == (
        "Only the organizer or the council's chair or secretary can assign indicators."
    )
    assert assigned_codes(world.members.police) == ["2.1"]


def test_assigning_a_member_to_their_own_unit_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.assignment_set(
            council=world.council,
            user=world.people.organizer,
            member=world.members.postman,
            pillars=[world.pillars["1"]],
            units=[world.a, world.b],
        )
    assert excinfo.value.messages == ["Bưu tá An belongs to Xã A and cannot appraise it."]
    assert Assignment.objects.count() == 0


def test_indicators_of_another_set_and_units_not_assessed_are_refused(world):
    from tests.factories import AdministrativeUnitFactory, IndicatorFactory

    stranger = IndicatorFactory(code="7.7")
    elsewhere = AdministrativeUnitFactory(name="Xã Xa")
    with pytest.raises(ValidationError) as excinfo:
        services.assignment_set(
            council=world.council,
            user=world.people.organizer,
            member=world.members.police,
            indicators=[world.indicators["2.1"], stranger],
            units=[elsewhere],
        )
    assert excinfo.value.messages == [
        "Not indicators of this campaign's set: 7.7.",
        "These units are not assessed in this campaign: Xã Xa.",
    ]
    assert Assignment.objects.count() == 0


def test_a_batch_is_written_whole_or_not_at_all(world):
    P = services.PlannedAssignment
    planned = [
        P(world.members.police, world.indicators["2.1"]),
        P(world.members.postman, world.indicators["1.1"], (world.a,)),  # own unit: refused
    ]
    with pytest.raises(ValidationError):
        services.assignments_apply(
            council=world.council, user=world.people.organizer, planned=planned
        )
    assert Assignment.objects.count() == 0


def test_assignment_remove(assigned):
    removed = services.assignment_remove(
        council=assigned.council,
        user=assigned.people.organizer,
        member=assigned.members.chair,
        indicators=[assigned.indicators["1.2"]],
    )
    assert removed == 1
    assert assigned_codes(assigned.members.chair) == ["1.1"]


def test_proposal_from_verifying_agencies_applies_nothing(world):
    organizer = world.people.organizer
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=world.members.police,
        indicators=[world.indicators["2.2"]],
    )
    proposal = services.assignment_propose_from_verifiers(council=world.council, user=organizer)
    # 1.1 and 1.2 go to Phòng VH&TT (chair and secretary share them, least loaded first),
    # 2.1 to Công an huyện; 2.2 is assigned already; nobody of the Sở is a member.
    assert [(p.indicator.code, str(p.member.user)) for p in proposal.planned] == [
        ("1.1", "Thư ký Lan"),
        ("1.2", "Chủ tịch Hà"),
        ("2.1", "Công an Minh"),
    ]
    assert proposal.unmatched == []
    assert Assignment.objects.count() == 1
    services.assignments_apply(council=world.council, user=organizer, planned=proposal.planned)
    assert Assignment.objects.count() == 4


def test_proposal_lists_indicators_no_member_verifies(world):
    services.member_remove(member=world.members.police, user=world.people.organizer)
    proposal = services.assignment_propose_from_verifiers(
        council=world.council, user=world.people.organizer
    )
    assert proposal.unmatched == [
        ("2.1", "Công an huyện"),
        ("2.2", "Sở Thông tin và Truyền thông"),
    ]


def test_coverage_lists_unassigned_indicators_and_member_loads(world, django_assert_num_queries):
    organizer = world.people.organizer
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=world.members.chair,
        pillars=[world.pillars["1"]],
    )
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=world.members.police,
        indicators=[world.indicators["2.1"]],
        units=[world.b],
    )
    # the postman has 2.1 everywhere, but commune A is their own: A stays uncovered by them
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=world.members.postman,
        indicators=[world.indicators["2.2"]],
    )
    with django_assert_num_queries(5):
        found = selectors.coverage(council=world.council)
    assert [(u.code, u.units, u.all_units) for u in found.uncovered] == [
        ("2.1", ["Xã A"], False),
        ("2.2", ["Xã A"], False),
    ]
    loads = {str(load.member.user): (load.indicators, load.cells) for load in found.loads}
    assert loads == {
        "Chủ tịch Hà": (2, 4),
        "Thư ký Lan": (0, 0),
        "Công an Minh": (1, 1),
        "Bưu tá An": (1, 1),
    }
