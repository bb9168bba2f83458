"""Closing round 1, the explanation, round 2 and the final scores."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import AssessmentState, AssessmentTransition
from councils import selectors, services
from councils.models import Appraisal, Explanation
from tests.councils.helpers import (
    fresh,
    in_explanation,
    in_round_one,
    in_round_two,
    response_of,
)
from tests.factories import force_state

S = AssessmentState


def appraise_round_one(world, assessment, codes=("1.1", "1.2", "2.1", "2.2")):
    """Each indicator scored as self-assessed by its owner in unit B (chair/police)."""
    owner = {"1": world.people.chair, "2": world.people.police}
    for code in codes:
        services.appraisal_record(
            response=response_of(assessment, code),
            member_user=owner[code[0]],
            round=1,
            score=str(response_of(assessment, code).self_score),
        )


def test_close_round_one_lists_what_is_missing_and_who_owns_it(assigned):
    in_round_one(assigned)
    a = assigned.assessment_a
    appraise_round_one(assigned, a, codes=["1.1"])
    services.assignment_remove(
        council=assigned.council,
        user=assigned.people.organizer,
        member=assigned.members.police,
        indicators=[assigned.indicators["2.2"]],
    )
    with pytest.raises(ValidationError) as excinfo:
        services.close_round_one(assessment=a, user=assigned.people.secretary)
    # the postman is assigned pillar 1 everywhere but belongs to Xã A: not an owner here
    assert excinfo.value.messages == [
        "Indicators without a round-1 score: 1.2 — Chủ tịch Hà, 2.1 — Công an Minh, "
        "2.2 — not assigned."
    ]
    assert fresh(a).state == S.CONFIRMED
    appraise_round_one(assigned, a, codes=["1.2", "2.1"])
    services.assignment_set(
        council=assigned.council,
        user=assigned.people.organizer,
        member=assigned.members.police,
        indicators=[assigned.indicators["2.2"]],
    )
    appraise_round_one(assigned, a, codes=["2.2"])
    services.close_round_one(assessment=a, user=assigned.people.secretary)
    assert fresh(a).state == S.APPRAISED_1
    entry = AssessmentTransition.objects.get(assessment=a)
    assert (entry.name, entry.by) == ("close_round_one", assigned.people.secretary)


def test_only_the_chair_or_secretary_closes_a_round(assigned):
    in_round_one(assigned)
    appraise_round_one(assigned, assigned.assessment_b)
    with pytest.raises(PermissionDenied) as denied:
        services.close_round_one(assessment=assigned.assessment_b, user=assigned.people.police)
    assert (
        str(denied.value) == "Only the council's chair or secretary can close an appraisal round."
    )
    services.close_round_one(assessment=assigned.assessment_b, user=assigned.people.chair)
    assert fresh(assigned.assessment_b).state == S.APPRAISED_1


def test_after_round_one_is_closed_it_cannot_be_changed(assigned):
    in_round_one(assigned)
    appraise_round_one(assigned, assigned.assessment_b)
    services.close_round_one(assessment=assigned.assessment_b, user=assigned.people.chair)
    with pytest.raises(ValidationError) as excinfo:
        appraise_round_one(assigned, assigned.assessment_b, codes=["1.1"])
    assert excinfo.value.messages == [
        "Round-1 appraisal is not possible now: the assessment is “Appraised, round 1”."
    ]


# --- the explanation ----------------------------------------------------------------


def explain(world, code, text="Đã bổ sung biên bản họp quý IV.", *, submit=True, who=None):
    act = services.explanation_submit if submit else services.explanation_save_draft
    return act(
        response=response_of(world.assessment_a, code), user=who or world.people.officer, text=text
    )


def test_the_unit_drafts_then_submits_its_explanation(assigned):
    in_explanation(assigned, assigned.assessment_a)
    draft = explain(assigned, "1.2", "Nháp", submit=False)
    assert (draft.status, draft.submitted_at) == ("draft", None)
    submitted = services.explanation_submit(
        response=response_of(assigned.assessment_a, "1.2"), user=assigned.people.officer
    )
    assert (submitted.pk, submitted.text, submitted.status) == (draft.pk, "Nháp", "submitted")
    assert submitted.submitted_at is not None
    with pytest.raises(ValidationError) as excinfo:
        explain(assigned, "1.2", "Sửa nháp", submit=False)
    assert excinfo.value.messages == [
        "This explanation is already submitted; submit it again to change it."
    ]
    assert explain(assigned, "1.2", "Bản cuối").text == "Bản cuối"
    assert Explanation.objects.get().history.count() == 3


def test_explanations_are_checked_for_who_length_and_state(assigned):
    in_explanation(assigned, assigned.assessment_a)
    with pytest.raises(PermissionDenied) as denied:
        explain(assigned, "1.1", who=assigned.people.other_officer)
    assert str(denied.value) == "Only an officer of the unit can explain its indicators."
    with pytest.raises(ValidationError) as excinfo:
        explain(assigned, "1.1", "x" * 2001)
    assert excinfo.value.messages == [
        "An explanation can be at most 2000 characters; this one has 2001."
    ]
    with pytest.raises(ValidationError) as excinfo:
        explain(assigned, "1.1", "   ")
    assert excinfo.value.messages == ["Write the explanation."]
    force_state(assigned.assessment_a, S.APPRAISED_1)
    with pytest.raises(ValidationError) as excinfo:
        explain(assigned, "1.1")
    assert excinfo.value.messages == [
        "Explanation is not possible now: the assessment is “Appraised, round 1”."
    ]
    assert Explanation.objects.count() == 0


def test_nothing_changes_after_the_explanation_window_closes(assigned):
    in_explanation(assigned, assigned.assessment_a)
    explain(assigned, "1.2", submit=False)
    in_explanation(assigned, assigned.assessment_a, window="closed")
    for submit in (False, True):
        with pytest.raises(ValidationError) as excinfo:
            explain(assigned, "1.2", "Muộn", submit=submit)
        assert excinfo.value.messages[0].startswith("The explanation window closed at ")
    explanation = Explanation.objects.get()
    assert (explanation.status, explanation.text) == ("draft", "Đã bổ sung biên bản họp quý IV.")


# --- round 2 --------------------------------------------------------------------------


@pytest.fixture
def disputed(assigned):
    """Unit A appraised in round 1 (1.2 lowered to 10), 1.2 disputed, round-2 window open."""
    in_round_one(assigned, assigned.assessment_a)
    appraise_round_one(assigned, assigned.assessment_a, codes=["1.1", "2.1", "2.2"])
    services.appraisal_record(
        response=response_of(assigned.assessment_a, "1.2"),
        member_user=assigned.people.chair,
        round=1,
        inputs={"value": "2"},
        comment="Chỉ có 2 biên bản.",
    )
    in_explanation(assigned, assigned.assessment_a)
    explain(assigned, "1.2")
    in_round_two(assigned, assigned.assessment_a)
    return assigned


def test_round_two_never_overwrites_round_one_and_the_final_is_the_latest(disputed):
    response = response_of(disputed.assessment_a, "1.2")
    services.appraisal_record(
        response=response,
        member_user=disputed.people.chair,
        round=2,
        inputs={"value": "4"},
        comment="Biên bản quý IV được chấp nhận.",
    )
    assert list(
        Appraisal.objects.filter(response=response)
        .order_by("round")
        .values_list("round", "score", "comment")
    ) == [
        (1, Decimal("10.00"), "Chỉ có 2 biên bản."),
        (2, Decimal("20.00"), "Biên bản quý IV được chấp nhận."),
    ]
    scores = {row.code: row for row in selectors.final_scores(assessment=disputed.assessment_a)}
    row = scores["1.2"]
    assert (row.self_score, row.round_1.score, row.round_2.score, row.final, row.disputed) == (
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("20.00"),
        True,
    )
    # an undisputed indicator keeps its round-1 score as final
    undisputed = scores["1.1"]
    assert (undisputed.round_2, undisputed.final, undisputed.disputed) == (
        None,
        Decimal("10.00"),
        False,
    )


def test_round_two_only_for_disputed_indicators_and_with_a_comment(disputed):
    chair = disputed.people.chair
    with pytest.raises(ValidationError) as excinfo:
        services.appraisal_record(
            response=response_of(disputed.assessment_a, "1.1"),
            member_user=chair,
            round=2,
            score="0",
            comment="x",
        )
    assert excinfo.value.messages == [
        "Only indicators the unit disputed are appraised again in round 2; 1.1 keeps its "
        "round-1 score."
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.appraisal_record(
            response=response_of(disputed.assessment_a, "1.2"),
            member_user=chair,
            round=2,
            score="20",
        )
    assert excinfo.value.messages == ["A round-2 appraisal needs a comment on the explanation."]
    assert Appraisal.objects.filter(round=2).count() == 0


def test_round_two_waits_for_the_explanation_window_to_close(disputed):
    in_explanation(disputed, disputed.assessment_a, window="open")
    with pytest.raises(ValidationError) as excinfo:
        services.appraisal_record(
            response=response_of(disputed.assessment_a, "1.2"),
            member_user=disputed.people.chair,
            round=2,
            score="20",
            comment="Đồng ý.",
        )
    assert excinfo.value.messages == [
        "Round-2 appraisal starts once the explanation window has closed."
    ]


def test_round_two_conflict_is_enforced_too(disputed):
    with pytest.raises(PermissionDenied) as denied:
        services.appraisal_record(
            response=response_of(disputed.assessment_a, "1.2"),
            member_user=disputed.people.postman,
            round=2,
            score="20",
            comment="Đồng ý.",
        )
    assert str(denied.value) == "You cannot appraise Xã A: you belong to it."


def test_close_round_two_when_every_disputed_indicator_is_reappraised(disputed):
    a = disputed.assessment_a
    with pytest.raises(ValidationError) as excinfo:
        services.close_round_two(assessment=a, user=disputed.people.chair)
    assert excinfo.value.messages == [
        "Disputed indicators not re-appraised yet: 1.2 — Chủ tịch Hà."
    ]
    services.appraisal_record(
        response=response_of(a, "1.2"),
        member_user=disputed.people.chair,
        round=2,
        score="20",
        comment="Đồng ý với giải trình.",
    )
    services.close_round_two(assessment=a, user=disputed.people.secretary)
    assert fresh(a).state == S.APPRAISED_2
    finals = [(row.code, row.final) for row in selectors.final_scores(assessment=a)]
    assert finals == [
        ("1.1", Decimal("10.00")),
        ("1.2", Decimal("20.00")),
        ("2.1", Decimal("10.00")),
        ("2.2", Decimal("5.00")),
    ]
