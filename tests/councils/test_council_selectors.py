"""Reads: the hooks the assessments app asks, final scores and the member's workbench."""

from decimal import Decimal

from assessments import selectors as assessment_selectors
from councils import selectors, services
from tests.councils.helpers import in_round_one, response_of


def test_the_councils_app_answers_the_assessment_hooks():
    assert assessment_selectors.hooks.round_one_missing is selectors.round_one_missing_texts
    assert assessment_selectors.hooks.round_two_missing is selectors.round_two_missing_texts


def test_final_scores_take_the_same_queries_for_any_number_of_appraisals(
    assigned, django_assert_num_queries
):
    in_round_one(assigned)
    a = assigned.assessment_a
    with django_assert_num_queries(2):
        before = selectors.final_scores(assessment=a)
    assert [(row.code, row.self_score, row.round_1, row.final) for row in before] == [
        ("1.1", Decimal("10.00"), None, None),
        ("1.2", Decimal("20.00"), None, None),
        ("2.1", Decimal("10.00"), None, None),
        ("2.2", Decimal("5.00"), None, None),
    ]
    services.appraisal_record(
        response=response_of(a, "2.1"),
        member_user=assigned.people.police,
        round=1,
        score="7.5",
        comment="Thiếu danh sách tập huấn.",
    )
    with django_assert_num_queries(2):
        after = selectors.final_scores(assessment=a)
    row = next(row for row in after if row.code == "2.1")
    assert (row.round_1.score, row.round_1.comment, row.round_1.by, row.final) == (
        Decimal("7.50"),
        "Thiếu danh sách tập huấn.",
        "Công an Minh",
        Decimal("7.50"),
    )


def test_workbench_rows_and_filters(assigned, django_assert_num_queries):
    in_round_one(assigned)
    postman = assigned.members.postman
    services.appraisal_record(
        response=response_of(assigned.assessment_b, "1.2"),
        member_user=assigned.people.postman,
        round=1,
        score="10",
        comment="Chỉ 2 cuộc họp.",
    )
    with django_assert_num_queries(2):
        rows = selectors.member_workbench(member=postman)
    # pillar 1 in every unit except Xã A, the postman's own
    assert [(r.unit_name, r.code, r.self_score, r.final, r.awaiting_round) for r in rows] == [
        ("Xã B", "1.1", Decimal("10.00"), None, 1),
        ("Xã B", "1.2", Decimal("20.00"), Decimal("10.00"), None),
    ]
    assert rows[0].self_inputs == {"value": True}
    differs = selectors.member_workbench(member=postman, differs_from_self=True)
    assert [(r.unit_name, r.code) for r in differs] == [("Xã B", "1.2")]
    waiting = selectors.member_workbench(member=postman, not_yet_appraised=True)
    assert [(r.unit_name, r.code) for r in waiting] == [("Xã B", "1.1")]
    assert selectors.member_workbench(member=postman, unit=assigned.a) == []
    chair_rows = selectors.member_workbench(
        member=assigned.members.chair, pillar=assigned.pillars["1"], unit=assigned.a
    )
    assert [(r.unit_name, r.code) for r in chair_rows] == [("Xã A", "1.1"), ("Xã A", "1.2")]
