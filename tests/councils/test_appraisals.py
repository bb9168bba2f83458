"""Round-1 appraisals: who may record them, when, and what they must carry."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import AssessmentState, PhaseKind
from councils import services
from councils.models import Appraisal
from tests.councils.helpers import in_round_one, response_of
from tests.factories import force_state, set_window


def record(world, who, assessment, code, **kwargs):
    kwargs.setdefault("round", 1)
    return services.appraisal_record(
        response=response_of(assessment, code), member_user=who, **kwargs
    )


def test_a_member_never_appraises_their_own_unit_even_when_assigned_everywhere(assigned):
    in_round_one(assigned)
    postman = assigned.people.postman
    with pytest.raises(PermissionDenied) as denied:
        record(assigned, postman, assigned.assessment_a, "1.1", score="10")
    assert str(denied.value) == "You cannot appraise Xã A: you belong to it."
    appraisal = record(assigned, postman, assigned.assessment_b, "1.1", score="10")
    assert appraisal.score == Decimal("10.00")
    assert Appraisal.objects.count() == 1


def test_only_assigned_members_appraise_and_only_in_their_units(assigned):
    in_round_one(assigned)
    services.assignment_set(
        council=assigned.council,
        user=assigned.people.organizer,
        member=assigned.members.secretary,
        indicators=[assigned.indicators["2.1"]],
        units=[assigned.b],
    )
    refusal = "Only a council member assigned to this indicator in this unit can appraise it."
    for who, assessment, code in [
        (assigned.people.police, assigned.assessment_a, "1.1"),  # pillar 1 is not theirs
        (assigned.people.secretary, assigned.assessment_a, "2.1"),  # assigned in B only
        (assigned.people.outsider, assigned.assessment_a, "2.1"),  # not a member
    ]:
        with pytest.raises(PermissionDenied) as denied:
            record(assigned, who, assessment, code, score="10", comment="x")
        assert str(denied.value) == refusal
    record(assigned, assigned.people.secretary, assigned.assessment_b, "2.1", score="10")
    assert Appraisal.objects.count() == 1


def test_a_score_differing_from_the_self_score_needs_a_comment(assigned):
    in_round_one(assigned)
    chair = assigned.people.chair
    with pytest.raises(ValidationError) as excinfo:
        record(assigned, chair, assigned.assessment_a, "1.2", inputs={"value": "2"})
    assert excinfo.value.messages == [
        "The score differs from the self score (20.00): explain why in a comment."
    ]
    appraisal = record(
        assigned,
        chair,
        assigned.assessment_a,
        "1.2",
        inputs={"value": "2"},
        comment="  Chỉ có 2 biên bản họp.  ",
    )
    # the score comes from the indicator's rule (tiers: 2 meetings → 10)
    assert (appraisal.inputs, appraisal.score, appraisal.comment) == (
        {"value": "2"},
        Decimal("10.00"),
        "Chỉ có 2 biên bản họp.",
    )
    same = record(assigned, chair, assigned.assessment_a, "1.1", inputs={"value": True})
    assert (same.score, same.comment) == (Decimal("10.00"), "")


def test_correcting_an_appraisal_keeps_one_row_and_its_history(assigned):
    in_round_one(assigned)
    chair = assigned.people.chair
    record(assigned, chair, assigned.assessment_a, "1.1", score="10")
    record(assigned, chair, assigned.assessment_a, "1.1", score="0", comment="Không có văn bản.")
    appraisal = Appraisal.objects.get()
    assert (appraisal.score, appraisal.comment) == (Decimal("0.00"), "Không có văn bản.")
    assert list(appraisal.history.order_by("history_id").values_list("score", flat=True)) == [
        Decimal("10.00"),
        Decimal("0.00"),
    ]
    assert appraisal.history.first().history_user == chair


def test_score_or_inputs_are_checked(assigned):
    in_round_one(assigned)
    police = assigned.people.police
    cases = [
        ({"score": "16", "comment": "x"}, ["The score must be between 0 and 15.00."]),
        (
            {"score": "1", "inputs": {"value": "1"}},
            ["Give either the verified inputs or a score, not both."],
        ),
        ({}, ["Give either the verified inputs or a score, not both."]),
    ]
    for kwargs, messages in cases:
        with pytest.raises(ValidationError) as excinfo:
            record(assigned, police, assigned.assessment_a, "2.1", **kwargs)
        assert excinfo.value.messages == messages
    assert Appraisal.objects.count() == 0


def test_round_one_only_while_confirmed_and_inside_its_window(assigned):
    chair = assigned.people.chair
    force_state(assigned.assessment_a, AssessmentState.SELF_ASSESSED)
    set_window(assigned.campaign, PhaseKind.ROUND_1, "open")
    with pytest.raises(ValidationError) as excinfo:
        record(assigned, chair, assigned.assessment_a, "1.1", score="10")
    assert excinfo.value.messages == [
        "Round-1 appraisal is not possible now: the assessment is “Self-assessed”."
    ]
    force_state(assigned.assessment_a, AssessmentState.CONFIRMED)
    set_window(assigned.campaign, PhaseKind.ROUND_1, "not_yet")
    with pytest.raises(ValidationError) as excinfo:
        record(assigned, chair, assigned.assessment_a, "1.1", score="10")
    assert excinfo.value.messages[0].startswith("The round-1 appraisal window opens at ")
    assert Appraisal.objects.count() == 0
