"""The six communes of helpers.py, every number worked out by hand.

Pillars 1, 7, 8, 9 have 50 points each (set maximum 200): DTI = points ÷ 2;
CQS = (P1 + P7) %, KTS = (P1 + P8) %, XHS = (P1 + P9) % (each out of 100).
Bonus KK (in pillar 7) is added to the DTI points only, capped at 200.
"""

from decimal import Decimal as D

import pytest

from rankings import services
from rankings.models import Stage
from tests.rankings.helpers import result_rows

# Points per pillar (P1, P7, P8, P9) and KK at each stage, from the tables in helpers.py.
#   self:    A all max, KK 10;  B 1.1=10, 8.1=0;  C 1.2=10, 7.1=0, 9.1=10;
#            D 7.13=0, 8.7=0, 9.7=0;  E 1.1=10, 1.3=0, 7.1=7.5, 8.8=7.5, 9.8=0, KK 5;
#            F 1.1=0, pillar 9 not answered (counts 0)
#   round 1: as self except A KK 20; B 8.1=10; C 7.1=5 (latest of 15 and 5); D 1.1=10;
#            E KK 0; F 9.1=20, 9.7 and 9.8 not appraised (count 0)
#   final:   round 1 except the round-2 changes B 8.1=20, D 1.1=20, E KK 5
POINTS = {
    Stage.SELF: {
        "Xã A": (50, 50, 50, 50, 10),
        "Xã B": (40, 50, 30, 50, 0),
        "Xã C": (45, 35, 50, 40, 0),
        "Xã D": (50, 40, 35, 35, 0),
        "Xã E": (25, D("42.5"), D("42.5"), 35, 5),
        "Xã F": (30, 50, 50, 0, 0),
    },
    Stage.ROUND_1: {
        "Xã A": (50, 50, 50, 50, 20),
        "Xã B": (40, 50, 40, 50, 0),
        "Xã C": (45, 40, 50, 40, 0),
        "Xã D": (40, 40, 35, 35, 0),
        "Xã E": (25, D("42.5"), D("42.5"), 35, 0),
        "Xã F": (30, 50, 50, 20, 0),
    },
    Stage.FINAL: {
        "Xã A": (50, 50, 50, 50, 20),
        "Xã B": (40, 50, 50, 50, 0),
        "Xã C": (45, 40, 50, 40, 0),
        "Xã D": (50, 40, 35, 35, 0),
        "Xã E": (25, D("42.5"), D("42.5"), 35, 5),
        "Xã F": (30, 50, 50, 20, 0),
    },
}

# (achieved, bonus, DTI value, band); the maximum is 200 everywhere.
SUMMARIES = {
    Stage.SELF: {
        "Xã A": (200, 10, 100, "Xuất sắc"),  # (200 + 10) ÷ 2 = 105 → capped at 100
        "Xã B": (170, 0, 85, "Tốt"),  # 40 + 50 + 30 + 50 = 170 → 85
        "Xã C": (170, 0, 85, "Tốt"),  # 45 + 35 + 50 + 40 = 170 → 85 (ties with B)
        "Xã D": (160, 0, 80, "Tốt"),  # 50 + 40 + 35 + 35 = 160 → 80, exactly Tốt's threshold
        "Xã E": (145, 5, 75, "Khá"),  # 25 + 42.5 + 42.5 + 35 = 145; (145 + 5) ÷ 2 = 75
        "Xã F": (130, 0, 65, "Khá"),  # 30 + 50 + 50 + 0 = 130 → 65, exactly Khá's threshold
    },
    Stage.ROUND_1: {
        "Xã A": (200, 20, 100, "Xuất sắc"),  # 220 ÷ 2 = 110 → 100
        "Xã B": (180, 0, 90, "Xuất sắc"),  # 40 + 50 + 40 + 50 = 180 → 90
        "Xã C": (175, 0, D("87.5"), "Tốt"),  # 45 + 40 + 50 + 40 = 175 → 87.5
        "Xã D": (150, 0, 75, "Khá"),  # 40 + 40 + 35 + 35 = 150 → 75
        "Xã E": (145, 0, D("72.5"), "Khá"),  # KK 0: 145 ÷ 2 = 72.5
        "Xã F": (150, 0, 75, "Khá"),  # 30 + 50 + 50 + 20 = 150 → 75
    },
    Stage.FINAL: {
        "Xã A": (200, 20, 100, "Xuất sắc"),
        "Xã B": (190, 0, 95, "Xuất sắc"),  # 8.1 = 20: 40 + 50 + 50 + 50 = 190 → 95
        "Xã C": (175, 0, D("87.5"), "Tốt"),  # no round 2: round 1's 175
        "Xã D": (160, 0, 80, "Tốt"),  # 1.1 = 20: 50 + 40 + 35 + 35 = 160 → 80
        "Xã E": (145, 5, 75, "Khá"),  # KK 5: (145 + 5) ÷ 2 = 75
        "Xã F": (150, 0, 75, "Khá"),
    },
}

# (value, rank) per ranking; equal values share a rank, the next is skipped.
RANKINGS = {
    Stage.SELF: {
        "dti": {"Xã A": (100, 1), "Xã B": (85, 2), "Xã C": (85, 2), "Xã D": (80, 4),
                "Xã E": (75, 5), "Xã F": (65, 6)},
        # CQS = P1 + P7: A 100, B 40+50, C 45+35, D 50+40, E 25+42.5, F 30+50
        "cqs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã D": (90, 2), "Xã C": (80, 4),
                "Xã F": (80, 4), "Xã E": (D("67.5"), 6)},
        # KTS = P1 + P8: B 40+30, C 45+50, D 50+35, E 25+42.5, F 30+50
        "kts": {"Xã A": (100, 1), "Xã C": (95, 2), "Xã D": (85, 3), "Xã F": (80, 4),
                "Xã B": (70, 5), "Xã E": (D("67.5"), 6)},
        # XHS = P1 + P9: B 40+50, C 45+40, D 50+35, E 25+35, F 30+0
        "xhs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã C": (85, 3), "Xã D": (85, 3),
                "Xã E": (60, 5), "Xã F": (30, 6)},
    },
    Stage.ROUND_1: {
        "dti": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã C": (D("87.5"), 3), "Xã D": (75, 4),
                "Xã F": (75, 4), "Xã E": (D("72.5"), 6)},
        # CQS: B 40+50, C 45+40, D 40+40, F 30+50
        "cqs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã C": (85, 3), "Xã D": (80, 4),
                "Xã F": (80, 4), "Xã E": (D("67.5"), 6)},
        # KTS: B 40+40, C 45+50, D 40+35, F 30+50
        "kts": {"Xã A": (100, 1), "Xã C": (95, 2), "Xã B": (80, 3), "Xã F": (80, 3),
                "Xã D": (75, 5), "Xã E": (D("67.5"), 6)},
        # XHS: B 40+50, C 45+40, D 40+35, F 30+20
        "xhs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã C": (85, 3), "Xã D": (75, 4),
                "Xã E": (60, 5), "Xã F": (50, 6)},
    },
    Stage.FINAL: {
        "dti": {"Xã A": (100, 1), "Xã B": (95, 2), "Xã C": (D("87.5"), 3), "Xã D": (80, 4),
                "Xã E": (75, 5), "Xã F": (75, 5)},
        # CQS: B 40+50, C 45+40, D 50+40, F 30+50
        "cqs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã D": (90, 2), "Xã C": (85, 4),
                "Xã F": (80, 5), "Xã E": (D("67.5"), 6)},
        # KTS: B 40+50, C 45+50, D 50+35, F 30+50
        "kts": {"Xã A": (100, 1), "Xã C": (95, 2), "Xã B": (90, 3), "Xã D": (85, 4),
                "Xã F": (80, 5), "Xã E": (D("67.5"), 6)},
        # XHS: B 40+50, C 45+40, D 50+35, F 30+20
        "xhs": {"Xã A": (100, 1), "Xã B": (90, 2), "Xã C": (85, 3), "Xã D": (85, 3),
                "Xã E": (60, 5), "Xã F": (50, 6)},
    },
}  # fmt: skip


@pytest.fixture
def computed(world):
    run = services.campaign_recompute(campaign=world.campaign)
    assert (run.status, run.error, run.stages) == ("succeeded", "", ["self", "round_1", "final"])
    return result_rows(world.campaign)


@pytest.mark.parametrize("stage", Stage.values)
def test_summaries_and_bands(computed, stage):
    expected = [
        (stage, unit, D(achieved), D(bonus), D(200), D(value), band)
        for unit, (achieved, bonus, value, band) in SUMMARIES[stage].items()
    ]
    assert [row for row in computed["summaries"] if row[0] == stage] == expected


@pytest.mark.parametrize("stage", Stage.values)
def test_every_ranking(computed, stage):
    expected = sorted(
        (stage, kind, unit, D(value), rank)
        for kind, entries in RANKINGS[stage].items()
        for unit, (value, rank) in entries.items()
    )
    assert [row for row in computed["rankings"] if row[0] == stage] == expected


@pytest.mark.parametrize("stage", Stage.values)
def test_pillar_scores(computed, stage):
    # Each pillar is out of 50, so its % is points × 2; KK's points sit in pillar 7,
    # apart from its value. Pillar 6 has no indicators and gets no row.
    expected = []
    for unit, (p1, p7, p8, p9, kk) in POINTS[stage].items():
        for code, points in (("1", p1), ("7", p7), ("8", p8), ("9", p9)):
            bonus = kk if code == "7" else 0
            expected.append((stage, unit, code, D(points), D(bonus), D(50), D(points) * 2))
    assert [row for row in computed["pillars"] if row[0] == stage] == expected


@pytest.mark.parametrize("stage", Stage.values)
def test_sub_index_scores(computed, stage):
    # Pillar 1 feeds all four sub-indices; "dti" is the sub-index of all four pillars
    # (points ÷ 2, the bonus apart), which is why E's is 72.5 while its DTI value is 75.
    expected = []
    for unit, (p1, p7, p8, p9, _kk) in POINTS[stage].items():
        total = p1 + p7 + p8 + p9
        expected += [
            (stage, unit, "cqs", D(p1 + p7), D(100), D(p1 + p7)),
            (stage, unit, "dti", D(total), D(200), D(total) / 2),
            (stage, unit, "kts", D(p1 + p8), D(100), D(p1 + p8)),
            (stage, unit, "xhs", D(p1 + p9), D(100), D(p1 + p9)),
        ]
    assert [row for row in computed["sub_indices"] if row[0] == stage] == expected


def test_the_points_tables_agree_with_the_summaries():
    # A check on the hand arithmetic itself: the pillars add up to each summary.
    for stage, units in POINTS.items():
        for unit, (p1, p7, p8, p9, kk) in units.items():
            achieved, bonus, value, _band = SUMMARIES[stage][unit]
            assert (p1 + p7 + p8 + p9, kk) == (achieved, bonus)
            assert min(D(achieved + bonus) / 2, D(100)) == value


def test_the_same_scores_as_the_unit_and_council_pages(world, computed):
    """Self stage = the unit page's self_score_summary; final = councils' final_scores."""
    from assessments.selectors import self_score_summary
    from councils.selectors import final_scores

    summaries = {(row[0], row[1]): row for row in computed["summaries"]}
    for unit, assessment in world.assessments.items():
        page = self_score_summary(assessment=assessment)
        assert summaries[("self", unit)][2:4] == (page.achieved, page.bonus)
        finals = final_scores(assessment=assessment)
        achieved = sum((row.final or 0 for row in finals if row.code != "KK"), D(0))
        bonus = sum((row.final or 0 for row in finals if row.code == "KK"), D(0))
        assert summaries[("final", unit)][2:4] == (achieved, bonus)
