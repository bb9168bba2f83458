"""The scoring rules one at a time: bonus rules, rounding, empty maxima, unscored pillars."""

from decimal import ROUND_HALF_EVEN
from decimal import Decimal as D

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import scoring
from rankings import services
from rankings.models import RankingRun, Stage
from rankings.sql import percent
from tests.rankings.helpers import campaign_of, result_rows, self_score, small_set


def compute_self(indicator_set, scores: dict[str, dict[str, str]]) -> dict[str, list[tuple]]:
    campaign = campaign_of(indicator_set, communes=len(scores))
    self_score(campaign, scores)
    services.campaign_recompute(campaign=campaign, stages=[Stage.SELF])
    return result_rows(campaign)


# Pillar 1: 1.1 out of 100 and a bonus KK of up to 20; CQS is pillar 1.
# Xã A: 90 + KK 20; Xã B: 70 + KK 20.
@pytest.mark.parametrize(
    ("rule", "value_a", "value_b"),
    [
        ("add_capped", "100", "90"),  # A: 90 + 20 = 110 → capped at 100; B: 70 + 20 = 90
        ("add_uncapped", "110", "90"),  # A: 110 stays 110
        ("separate", "90", "70"),  # the bonus is shown, not counted
    ],
)
def test_each_bonus_rule(db, rule, value_a, value_b):
    indicator_set = small_set(
        pillars={"1": [("1.1", "100", False), ("KK", "20", True)]},
        sub_indices={"cqs": ["1"]},
        bonus_rule=rule,
    )
    rows = compute_self(
        indicator_set, {"Xã A": {"1.1": "90", "KK": "20"}, "Xã B": {"1.1": "70", "KK": "20"}}
    )
    assert rows["summaries"] == [
        ("self", "Xã A", D(90), D(20), D(100), D(value_a), None),
        ("self", "Xã B", D(70), D(20), D(100), D(value_b), None),
    ]
    # Sub-indices and pillars never carry the bonus, whatever the rule.
    assert [row[2:] for row in rows["sub_indices"]] == [
        ("cqs", D(90), D(100), D(90)),
        ("cqs", D(70), D(100), D(70)),
    ]
    assert [row[2:] for row in rows["pillars"]] == [
        ("1", D(90), D(20), D(100), D(90)),
        ("1", D(70), D(20), D(100), D(70)),
    ]
    assert rows["rankings"] == [
        ("self", "cqs", "Xã A", D(90), 1),
        ("self", "cqs", "Xã B", D(70), 2),
        ("self", "dti", "Xã A", D(value_a), 1),
        ("self", "dti", "Xã B", D(value_b), 2),
    ]


def test_rounding_is_half_up_and_ranks_use_the_rounded_value(db):
    # One indicator out of 200, so the value is points ÷ 2:
    #   A 170.01 → 85.005 → 85.01 (half up; half-even, or a float, would give 85.00)
    #   B 170.02 → 85.01 exactly: equal to A once rounded, so they share rank 1
    #   C 133.33 → 66.665 → 66.67 (half-even would give 66.66)
    indicator_set = small_set(
        pillars={"1": [("1.1", "200", False)]},
        bands=[("Tốt", "85.01"), ("Khá", "66.67"), ("Kém", "0")],
    )
    rows = compute_self(
        indicator_set,
        {"Xã A": {"1.1": "170.01"}, "Xã B": {"1.1": "170.02"}, "Xã C": {"1.1": "133.33"}},
    )
    assert D("85.005").quantize(D("0.01"), rounding=ROUND_HALF_EVEN) == D("85.00")
    assert [(unit, value, band) for _s, unit, _a, _b, _m, value, band in rows["summaries"]] == [
        ("Xã A", D("85.01"), "Tốt"),  # reaches the 85.01 threshold only when rounded up
        ("Xã B", D("85.01"), "Tốt"),
        ("Xã C", D("66.67"), "Khá"),
    ]
    assert [(unit, rank) for _s, _k, unit, _v, rank in rows["rankings"]] == [
        ("Xã A", 1),
        ("Xã B", 1),
        ("Xã C", 3),
    ]


@pytest.mark.parametrize(
    ("places", "points", "value"),
    [
        (0, "169", "85"),  # 84.5 → 85 (half-even: 84)
        (1, "170.10", "85.1"),  # 85.05 → 85.1 (half-even: 85.0)
        (1, "170.01", "85.0"),  # 85.005 → 85.0
        (3, "133.33", "66.665"),  # exact at three places
    ],
)
def test_the_sets_decimal_places(db, places, points, value):
    indicator_set = small_set(pillars={"1": [("1.1", "200", False)]}, decimal_places=places)
    rows = compute_self(indicator_set, {"Xã A": {"1.1": points}})
    assert rows["summaries"][0][5] == D(value)


def test_a_set_asking_more_places_than_stored_gets_four(db):
    # 1 of 3 points: 33.333…% → 33.3333 with 4 places (the set asks for 6).
    indicator_set = small_set(pillars={"1": [("1.1", "3", False)]}, decimal_places=6)
    rows = compute_self(indicator_set, {"Xã A": {"1.1": "1"}})
    assert rows["summaries"][0][5] == D("33.3333")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    achieved=st.integers(min_value=0, max_value=10**8),
    maximum=st.integers(min_value=0, max_value=10**8),
    places=st.integers(min_value=0, max_value=4),
)
def test_sql_percent_is_scoring_percentage(db, achieved, maximum, places):
    """The SQL rounding and the engine's Decimal rounding agree, on any points (hundredths)."""
    achieved, maximum = D(achieved).scaleb(-2), D(maximum).scaleb(-2)
    computed = (
        ContentType.objects.annotate(p=percent(Value(achieved), Value(maximum), places=places))
        .values_list("p", flat=True)
        .first()
    )
    assert computed == scoring.percentage(achieved, maximum, places)


def test_nothing_to_score_gives_no_value_no_band_and_no_rank(db):
    # Pillar 1 holds only a bonus indicator: every maximum is 0.
    indicator_set = small_set(
        pillars={"1": [("KK", "20", True)]}, sub_indices={"cqs": ["1"]}, bands=[("Kém", "0")]
    )
    rows = compute_self(indicator_set, {"Xã A": {"KK": "10"}})
    assert rows == {
        "summaries": [("self", "Xã A", D(0), D(10), D(0), None, None)],
        "pillars": [("self", "Xã A", "1", D(0), D(10), D(0), None)],
        "sub_indices": [("self", "Xã A", "cqs", D(0), D(0), None)],
        "rankings": [],
    }


def test_a_pillar_not_scored_adds_nothing_not_even_bonus(db):
    # Pillar 2 is "Không tính điểm": its 10 points and its bonus 5 are collected only.
    indicator_set = small_set(
        pillars={
            "1": [("1.1", "10", False)],
            "2*": [("2.1", "10", False), ("2.2", "5", True)],
        },
        sub_indices={"cqs": ["1"], "abc": ["1"]},
    )
    rows = compute_self(indicator_set, {"Xã A": {"1.1": "5", "2.1": "10", "2.2": "5"}})
    assert rows["summaries"] == [("self", "Xã A", D(5), D(0), D(10), D(50), None)]
    assert rows["pillars"] == [
        ("self", "Xã A", "1", D(5), D(0), D(10), D(50)),
        ("self", "Xã A", "2", D(0), D(0), D(0), None),
    ]
    # Sub-index "abc" is computed but is none of the four rankings.
    assert [row[2] for row in rows["sub_indices"]] == ["abc", "cqs"]
    assert [row[1] for row in rows["rankings"]] == ["cqs", "dti"]


def test_unknown_stages_are_refused_before_anything_is_written(db):
    indicator_set = small_set(pillars={"1": [("1.1", "10", False)]})
    campaign = campaign_of(indicator_set, communes=1)
    with pytest.raises(ValueError, match="sefl"):
        services.campaign_recompute(campaign=campaign, stages=["final", "sefl"])
    with pytest.raises(ValueError):
        services.campaign_recompute(campaign=campaign, stages=[])
    assert not RankingRun.objects.exists()
    run = services.campaign_recompute(campaign=campaign, stages=["final", "self", "final"])
    assert run.stages == ["self", "final"]


@pytest.mark.parametrize("bonus_rule", ["add_capped", "add_uncapped", "separate"])
def test_the_review_page_and_the_rankings_give_the_same_self_scored_dti_value(db, bonus_rule):
    """One number, two computations (Python for the leader's review page, SQL for the
    rankings): they must agree for every unit and every bonus rule."""
    from assessments.models import Assessment
    from assessments.selectors import self_score_summary
    from rankings.models import ScoreSummary
    from tests.rankings.helpers import (
        ROUND_1,
        ROUND_2,
        SELF,
        campaign_of,
        score_everything,
        trimmed_commune_set,
    )

    campaign = campaign_of(trimmed_commune_set(bonus_rule=bonus_rule))
    score_everything(campaign, self_scores=SELF, round_1=ROUND_1, round_2=ROUND_2)
    services.campaign_recompute(campaign=campaign, stages=[Stage.SELF])
    sql = dict(
        ScoreSummary.objects.filter(campaign=campaign, stage=Stage.SELF).values_list(
            "assessment__unit__name", "value"
        )
    )
    python = {
        assessment.unit.name: self_score_summary(assessment=assessment).percent
        for assessment in Assessment.objects.filter(campaign=campaign).select_related(
            "unit", "campaign__indicator_set"
        )
    }
    assert python == sql
    assert len(python) == 6
