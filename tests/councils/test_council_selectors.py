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


def test_the_workbench_unit_counts_agree_with_its_rows_under_every_filter(assigned):
    """The page's unit list counts in SQL (joins); the rows filter each row (``Exists``):
    both must keep the same units and count the same progress, whatever the filters."""
    from itertools import product

    from django.utils import timezone

    from councils.models import Explanation
    from councils.permissions import appraisable_condition
    from tests.councils.helpers import in_round_two

    in_round_one(assigned)
    chair, postman = assigned.people.chair, assigned.people.postman
    b = assigned.assessment_b
    # Xã B: 1.1 appraised as self-scored, 1.2 lower, then disputed and re-appraised in round 2.
    services.appraisal_record(
        response=response_of(b, "1.1"), member_user=chair, round=1, score="10"
    )
    services.appraisal_record(
        response=response_of(b, "1.2"), member_user=postman, round=1, score="5", comment="Ít."
    )
    Explanation.objects.create(
        response=response_of(b, "1.2"), text="Đủ.", status="submitted", submitted_at=timezone.now()
    )
    in_round_two(assigned, b)
    services.appraisal_record(
        response=response_of(b, "1.2"), member_user=chair, round=2, score="20", comment="Đủ."
    )
    # Xã A (confirmed): 1.1 lower by the chair.
    services.appraisal_record(
        response=response_of(assigned.assessment_a, "1.1"),
        member_user=chair,
        round=1,
        score="0",
        comment="Không có.",
    )
    for who in ("chair", "postman"):
        member = getattr(assigned.members, who)
        combinations = product((None, "1", "2"), (False, True), (False, True))
        for pillar_code, differs, pending in combinations:
            filters = {
                "pillar": assigned.pillars[pillar_code] if pillar_code else None,
                "differs_from_self": differs,
                "not_yet_appraised": pending,
            }
            rows = selectors.member_workbench(member=member, **filters)
            listing = selectors.workbench_units(
                member=member, scope=appraisable_condition(member), **filters
            )
            assert sorted(u.unit_name for u in listing.units) == sorted(
                {r.unit_name for r in rows}
            ), (who, filters)
            every = selectors.member_workbench(member=member)

            def done(rows):
                return sum(
                    (r.round_2 if r.state == "explanation" and r.disputed else r.round_1)
                    is not None
                    for r in rows
                )

            assert listing.assigned == bool(every)
            # The overall progress is its own query (the page asks for it after showing):
            # the same with the member's condition or the permission's queryset.
            for scope in (appraisable_condition(member), None):
                overall = selectors.workbench_progress(member=member, scope=scope)
                assert (overall.done, overall.total) == (done(every), len(every))
            for unit in listing.units:
                mine = [r for r in every if r.unit_id == unit.unit_id]
                assert (unit.done, unit.total) == (done(mine), len(mine))


def test_a_disputed_indicator_needs_round_two_only_while_its_unit_is_in_explanation(assigned):
    """The progress asks for round 2 only in Explanation: before (Appraised-1) and after
    (Appraised-2) the disputed indicator counts with its round-1 score."""
    from django.utils import timezone

    from assessments.models import AssessmentState
    from councils.models import Explanation
    from councils.permissions import appraisable_condition
    from tests.councils.helpers import in_round_two
    from tests.factories import force_state

    in_round_one(assigned)
    police = assigned.members.police
    b = assigned.assessment_b
    for code in ("2.1", "2.2"):
        services.appraisal_record(
            response=response_of(b, code),
            member_user=assigned.people.police,
            round=1,
            score="1",
            comment="Thiếu.",
        )
    Explanation.objects.create(
        response=response_of(b, "2.1"), text="Đủ.", status="submitted", submitted_at=timezone.now()
    )

    def progress():
        overall = selectors.workbench_progress(member=police, scope=appraisable_condition(police))
        listing = selectors.workbench_units(member=police, scope=appraisable_condition(police))
        return (overall.done, overall.total), [(u.unit_name, u.done) for u in listing.units]

    force_state(b, AssessmentState.APPRAISED_1)
    assert progress() == ((2, 4), [("Xã A", 0), ("Xã B", 2)])
    in_round_two(assigned, b)  # 2.1 now waits for its second look; Xã B comes first
    assert progress() == ((1, 4), [("Xã B", 1), ("Xã A", 0)])
    force_state(b, AssessmentState.APPRAISED_2)
    assert progress() == ((2, 4), [("Xã A", 0), ("Xã B", 2)])
