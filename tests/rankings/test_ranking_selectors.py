"""Reads for the later pages, and the publication guard the rankings app answers."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.models import Assessment, AssessmentState, AssessmentTransition, TransitionName
from councils.models import Appraisal
from rankings import selectors, services
from rankings.models import ScoreSummary, Stage
from tests.factories import force_state

NOT_COMPUTED = "The rankings have not been computed yet."
OUT_OF_DATE = (
    "The rankings are out of date: appraisals or units changed after they were computed. "
    "Compute them again."
)


@pytest.fixture
def computed(world):
    services.campaign_recompute(campaign=world.campaign)
    return world


def test_a_ranking_table_is_by_rank_then_unit_name(computed, django_assert_num_queries):
    Assessment.objects.filter(campaign=computed.campaign).update(state=AssessmentState.APPRAISED_2)
    with django_assert_num_queries(1):
        table = selectors.ranking_table(campaign=computed.campaign, stage=Stage.FINAL, kind="dti")
        rows = [(e.rank, e.assessment.unit.name, e.value, e.band_name) for e in table]
    assert rows == [
        (1, "Xã A", D(100), "Xuất sắc"),
        (2, "Xã B", D(95), "Xuất sắc"),
        (3, "Xã C", D("87.5"), "Tốt"),
        (4, "Xã D", D(80), "Tốt"),
        (5, "Xã E", D(75), "Khá"),  # tied with F: by name
        (5, "Xã F", D(75), "Khá"),
    ]


def test_rankings_by_kind_in_the_order_of_the_four(computed, django_assert_num_queries):
    with django_assert_num_queries(1):
        tables = selectors.rankings_by_kind(campaign=computed.campaign, stage=Stage.SELF)
    assert list(tables) == ["dti", "cqs", "kts", "xhs"]
    assert [(e.rank, e.assessment.unit.name) for e in tables["cqs"]] == [
        (1, "Xã A"),
        (2, "Xã B"),
        (2, "Xã D"),
        (4, "Xã C"),
        (4, "Xã F"),
        (6, "Xã E"),
    ]
    assert selectors.rankings_by_kind(campaign=computed.campaign, stage="nothing") == {}


def test_a_units_results_at_every_stage(computed, django_assert_num_queries):
    e = computed.assessments["Xã E"]
    with django_assert_num_queries(4):
        results = selectors.unit_results(assessment=e)
    assert [r.stage for r in results] == ["self", "round_1", "final"]
    final = results[2]
    assert (final.summary.achieved_points, final.summary.bonus_points, final.summary.value) == (
        D(145),
        D(5),
        D(75),
    )
    assert final.summary.band.name == "Khá"
    assert [(p.pillar.code, p.achieved_points, p.bonus_points, p.value) for p in final.pillars] == [
        ("1", D(25), D(0), D(50)),  # 25 of 50
        ("7", D("42.5"), D(5), D(85)),  # 42.5 of 50; KK's 5 kept apart
        ("8", D("42.5"), D(0), D(85)),
        ("9", D(35), D(0), D(70)),
    ]
    assert [(s.sub_index.code, s.value) for s in final.sub_indices] == [
        ("dti", D("72.5")),  # 145 of 200, bonus apart
        ("cqs", D("67.5")),
        ("kts", D("67.5")),
        ("xhs", D(60)),
    ]
    assert {kind: entry.rank for kind, entry in final.ranks.items()} == {
        "dti": 5,
        "cqs": 6,
        "kts": 6,
        "xhs": 5,
    }
    assert selectors.unit_result(assessment=e, stage=Stage.ROUND_1).summary.value == D("72.5")


def test_nothing_computed_yet(world):
    assert selectors.unit_results(assessment=world.assessments["Xã A"]) == []
    assert selectors.unit_result(assessment=world.assessments["Xã A"], stage="final") is None
    assert selectors.latest_run(campaign=world.campaign) is None


def test_the_runs_newest_first(world):
    first = services.campaign_recompute(campaign=world.campaign, stages=["self"])
    second = services.campaign_recompute(campaign=world.campaign)
    assert selectors.ranking_runs(campaign=world.campaign) == [second, first]
    assert selectors.latest_run(campaign=world.campaign) == second


# --- publication -----------------------------------------------------------------------


def all_appraised(world) -> None:
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)


def computed_an_hour_ago(campaign) -> None:
    """The scores as of two hours ago, the results of an hour ago: a change now is after both."""
    now = timezone.now()
    Appraisal.objects.update(updated_at=now - timedelta(hours=2))
    Assessment.objects.filter(campaign=campaign).update(created_at=now - timedelta(hours=2))
    ScoreSummary.objects.filter(campaign=campaign).update(computed_at=now - timedelta(hours=1))


def test_the_rankings_app_answers_the_publication_hook():
    assert assessment_selectors.hooks.rankings_not_ready is selectors.rankings_not_ready


def test_ready_once_every_unit_is_appraised_and_the_final_rankings_computed(world):
    all_appraised(world)
    assert selectors.rankings_not_ready(world.campaign) == [NOT_COMPUTED]
    assert not selectors.is_ready_for_publication(world.campaign)
    services.campaign_recompute(campaign=world.campaign, stages=[Stage.SELF, Stage.ROUND_1])
    assert selectors.rankings_not_ready(world.campaign) == [NOT_COMPUTED]
    services.campaign_recompute(campaign=world.campaign, stages=[Stage.FINAL])
    assert selectors.rankings_not_ready(world.campaign) == []
    assert selectors.is_ready_for_publication(world.campaign)


def test_a_unit_behind_is_not_ready_though_the_rankings_are(computed):
    all_appraised(computed)
    force_state(computed.assessments["Xã C"], AssessmentState.EXPLANATION)
    # The guard counts the units itself; the hook speaks only of the rankings.
    assert selectors.rankings_not_ready(computed.campaign) == []
    assert not selectors.is_ready_for_publication(computed.campaign)


def test_an_appraisal_saved_afterwards_makes_them_out_of_date(computed):
    all_appraised(computed)
    computed_an_hour_ago(computed.campaign)
    assert selectors.rankings_not_ready(computed.campaign) == []
    Appraisal.objects.first().save()  # updated_at: now
    assert selectors.rankings_not_ready(computed.campaign) == [OUT_OF_DATE]
    assert not selectors.is_ready_for_publication(computed.campaign)
    services.campaign_recompute(campaign=computed.campaign, stages=[Stage.FINAL])
    assert selectors.is_ready_for_publication(computed.campaign)


def test_a_unit_closed_afterwards_makes_them_out_of_date(computed):
    all_appraised(computed)
    computed_an_hour_ago(computed.campaign)
    AssessmentTransition.objects.create(
        assessment=computed.assessments["Xã B"],
        name=TransitionName.CLOSE_ROUND_TWO,
        from_state=AssessmentState.EXPLANATION,
        to_state=AssessmentState.APPRAISED_2,
    )
    assert selectors.rankings_not_ready(computed.campaign) == [OUT_OF_DATE]


def test_a_unit_removed_or_added_afterwards_makes_them_out_of_date(computed):
    # Only a unit that never started can leave a campaign (campaign_set_units); the
    # other units' ranks were computed with it.
    all_appraised(computed)
    computed_an_hour_ago(computed.campaign)
    f = computed.assessments["Xã F"]
    Assessment.objects.filter(pk=f.pk).delete()
    assert selectors.rankings_not_ready(computed.campaign) == [OUT_OF_DATE]
    services.campaign_recompute(campaign=computed.campaign, stages=[Stage.FINAL])
    assert selectors.rankings_not_ready(computed.campaign) == []
    computed_an_hour_ago(computed.campaign)
    Assessment.objects.create(campaign=computed.campaign, unit=f.unit)
    assert selectors.rankings_not_ready(computed.campaign) == [OUT_OF_DATE]


def test_the_organizer_publishes_once_the_rankings_are_up_to_date(world):
    all_appraised(world)
    organizer = world.campaign.created_by
    with pytest.raises(ValidationError) as refused:
        assessment_services.campaign_publish(campaign=world.campaign, user=organizer)
    assert refused.value.messages == [NOT_COMPUTED]
    services.campaign_recompute(campaign=world.campaign)
    assert assessment_services.campaign_publish(campaign=world.campaign, user=organizer) == 6
    assert set(
        Assessment.objects.filter(campaign=world.campaign).values_list("state", flat=True)
    ) == {AssessmentState.PUBLISHED}


def test_the_final_table_leaves_out_units_not_appraised_in_round_two(computed):
    Assessment.objects.filter(
        campaign=computed.campaign, unit__name__in=["Xã A", "Xã C", "Xã E"]
    ).update(state=AssessmentState.APPRAISED_2)
    table = selectors.ranking_table(campaign=computed.campaign, stage=Stage.FINAL, kind="dti")
    # Ranked among the units shown: B (95) and D (80), still behind, leave no gap.
    assert [(e.rank, e.assessment.unit.name) for e in table] == [
        (1, "Xã A"),
        (2, "Xã C"),
        (3, "Xã E"),
    ]
