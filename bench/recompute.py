"""Recompute benchmark: the full recomputation of one campaign against a one-query baseline.

The baseline is the least any recomputation must do: one hand-written SQL
aggregate that reads every response and its latest appraisals once and
returns each unit's totals at the three stages. The recomputation does that
and more (pillar, sub-index and DTI values, bands, four rankings, all
written), so the ratio says what the rest costs. The two must agree on every
unit's totals; the run fails if they do not.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

BASELINE_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (a.response_id, a.round) a.response_id, a.round, a.score
    FROM councils_appraisal a
    JOIN assessments_response r ON r.id = a.response_id
    JOIN assessments_assessment s ON s.id = r.assessment_id
    WHERE s.campaign_id = %(campaign)s
    ORDER BY a.response_id, a.round, a.updated_at DESC, a.id DESC
)
SELECT r.assessment_id,
       SUM(COALESCE(r.self_score, 0)) FILTER (WHERE NOT i.is_bonus),
       SUM(COALESCE(r.self_score, 0)) FILTER (WHERE i.is_bonus),
       SUM(COALESCE(l1.score, 0)) FILTER (WHERE NOT i.is_bonus),
       SUM(COALESCE(l1.score, 0)) FILTER (WHERE i.is_bonus),
       SUM(COALESCE(l2.score, l1.score, 0)) FILTER (WHERE NOT i.is_bonus),
       SUM(COALESCE(l2.score, l1.score, 0)) FILTER (WHERE i.is_bonus),
       SUM(i.max_points) FILTER (WHERE NOT i.is_bonus)
FROM assessments_response r
JOIN assessments_assessment s ON s.id = r.assessment_id
JOIN indicators_indicator i ON i.id = r.indicator_id
JOIN indicators_pillar p ON p.id = i.pillar_id AND p.scored
LEFT JOIN latest l1 ON l1.response_id = r.id AND l1.round = 1
LEFT JOIN latest l2 ON l2.response_id = r.id AND l2.round = 2
WHERE s.campaign_id = %(campaign)s
GROUP BY r.assessment_id
"""

STAGES = ("self", "round_1", "final")


def baseline(campaign) -> dict[tuple[int, str], tuple[Decimal, Decimal, Decimal]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"campaign": campaign.pk})
        rows = cursor.fetchall()
    totals = {}
    for assessment_id, s_a, s_b, r1_a, r1_b, f_a, f_b, maximum in rows:
        for stage, achieved, bonus in zip(STAGES, (s_a, r1_a, f_a), (s_b, r1_b, f_b), strict=True):
            totals[(assessment_id, stage)] = (achieved, bonus or Decimal(0), maximum)
    return totals


def recomputed(campaign) -> dict[tuple[int, str], tuple[Decimal, Decimal, Decimal]]:
    from rankings.models import ScoreSummary

    return {
        (row.assessment_id, row.stage): (row.achieved_points, row.bonus_points, row.max_points)
        for row in ScoreSummary.objects.filter(campaign=campaign)
    }


def run(campaign, *, repeat: int = 3) -> dict:
    from rankings.models import Ranking
    from rankings.services import campaign_recompute

    full, base = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        campaign_recompute(campaign=campaign)
        full.append(time.perf_counter() - started)
        started = time.perf_counter()
        expected = baseline(campaign)
        base.append(time.perf_counter() - started)
    got = recomputed(campaign)
    mismatches = [key for key, value in expected.items() if got.get(key) != value]
    if mismatches or len(got) != len(expected):
        raise AssertionError(
            f"The recomputation and the baseline disagree on {len(mismatches)} unit-stages "
            f"(first: {mismatches[:3]}); {len(got)} summaries against {len(expected)}."
        )
    full_median, base_median = statistics.median(full), statistics.median(base)
    return {
        "recompute_seconds": [round(t, 3) for t in full],
        "baseline_seconds": [round(t, 3) for t in base],
        "recompute_median": round(full_median, 3),
        "baseline_median": round(base_median, 3),
        "ratio": round(full_median / base_median, 2),
        "summaries_checked": len(expected),
        "rankings_written": Ranking.objects.filter(campaign=campaign).count(),
    }
