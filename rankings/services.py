"""Writes of the rankings domain: (re)compute a campaign's score summaries and rankings.

``campaign_recompute`` replaces every result of the chosen stages of a
campaign in one transaction, with a fixed number of SQL statements whatever
the number of units (15 for the three stages, 16 on PostgreSQL; see
``_recompute``); no result row passes through Python. The steps:

1. every result of the run, computed once into a temporary table
   (``RESULTS_SQL``) from one pass over the campaign's responses and their
   latest appraisals: per unit and pillar, the points of the scored indicators
   and of the bonus indicators at each stage, the pillar's maximum and %; per
   unit, the totals and the DTI value (bonus added as the set's bonus rule
   says); per unit and sub-index, the points and maximum of its pillars (a
   pillar feeding several sub-indices counts in each) and %;
2. from that table, one ``INSERT … SELECT`` each: the pillar scores, the
   summaries with the band of their value, the sub-index scores;
3. the rankings, with ``RANK()`` over the same table's DTI values and sub-index
   values of codes cqs, kts and xhs.

The score of an indicator at a stage (``RESULTS_SQL``): self, the unit's
self score; round 1, the latest round-1 appraisal; final, the latest round-2
appraisal, else the latest round-1 one ("latest" by ``updated_at``, then
``pk``, as ``councils.selectors.final_scores``). An indicator without a
score at the stage counts 0 points, and its maximum still counts: a unit is
never ranked higher for what nobody scored.

Bonus points enter the DTI value only; pillar and sub-index values are
achieved ÷ maximum of their own scored indicators, as the methodology page
states. Every percentage is rounded half up to the set's decimal places.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import DecimalField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import permissions as assessment_permissions
from assessments import services as assessment_services
from assessments.models import Assessment, Campaign, Response
from councils.models import Appraisal, Round
from indicators.models import Band, BonusRule, Indicator, Pillar, SubIndex, natural_key

from .models import (
    POINTS,
    SUB_INDEX_KINDS,
    VALUE_PLACES,
    PillarScore,
    Publication,
    PublishedResult,
    Ranking,
    RankingKind,
    RankingRun,
    RunStatus,
    ScoreSummary,
    Stage,
    SubIndexScore,
)
from .sql import percent_sql

logger = logging.getLogger(__name__)

POINTS_FIELD = DecimalField(**POINTS)
ZERO = Value(Decimal(0), output_field=POINTS_FIELD)


def _latest_appraisal(round_: int) -> Subquery:
    return Subquery(
        Appraisal.objects.filter(response=OuterRef("pk"), round=round_)
        .order_by("-updated_at", "-pk")
        .values("score")[:1],
        output_field=POINTS_FIELD,
    )


def _checked_stages(stages: Iterable[str] | None) -> list[str]:
    if stages is None:
        return list(Stage.values)
    chosen = set(stages)
    unknown = chosen - set(Stage.values)
    if unknown or not chosen:
        raise ValueError(f"Stages must be some of {Stage.values}, not {sorted(unknown)}")
    return [stage for stage in Stage.values if stage in chosen]


# --- the steps -------------------------------------------------------------------
#
# Every statement is written by hand (the ORM cannot select from a temporary table
# or join a derived one) and is the same on PostgreSQL and SQLite (both have window
# functions and FILTER) except where LATEST_APPRAISALS_SQL says; the module docstring
# defines a stage's score, and tests/rankings/test_ranking_hand_computed.py checks
# the results against hand sums.
#
# Measured at 10,000 units × 81 indicators (the benchmark's campaign, before → after
# this design): pillar scores were one INSERT … SELECT, and the summaries, sub-index
# scores and rankings each re-read the rows written before them (with every dead row
# the earlier runs left), then a correlated UPDATE gave each summary its band: 13 s.
# Now the run computes everything once, writes each table once, in the order of its
# unique index: 9 s (bench/recompute.py's one-query baseline: 3 s).

# Every row of the run, computed once: the four result tables are written from it,
# no step re-reads the rows another wrote, and the values ranked are the very values
# written. PostgreSQL may run this SELECT in parallel, which it never does for an
# INSERT … SELECT.
RESULTS = "rankings_run_results"

# The latest appraisal of each response and round ("latest" by updated_at, then pk),
# found once for the whole campaign, not by a subquery per response and stage (18 of
# 34 seconds at 10,000 units × 81 indicators). PostgreSQL keeps the first row of each
# (response, round) in the sorted order with DISTINCT ON, about 10 % quicker at
# 10,000 units than numbering the rows (ROW_NUMBER), which is what SQLite does: the
# same rows (test_ranking_runs holds the two equal on PostgreSQL).
LATEST_APPRAISALS_SQL = {
    "postgresql": """
    SELECT DISTINCT ON (a.response_id, a.round) a.response_id, a.round, a.score
    FROM {appraisal} a
    JOIN {response} r ON r.id = a.response_id
    JOIN {assessment} s ON s.id = r.assessment_id
    WHERE s.campaign_id = %(campaign)s
    ORDER BY a.response_id, a.round, a.updated_at DESC, a.id DESC""",
    None: """
    SELECT response_id, round, score FROM (
        SELECT a.response_id, a.round, a.score,
               ROW_NUMBER() OVER (
                   PARTITION BY a.response_id, a.round ORDER BY a.updated_at DESC, a.id DESC
               ) AS n
        FROM {appraisal} a
        JOIN {response} r ON r.id = a.response_id
        JOIN {assessment} s ON s.id = r.assessment_id
        WHERE s.campaign_id = %(campaign)s
    ) numbered WHERE n = 1""",
}


# One pass over the campaign's responses gives every stage's points, summed per
# pillar, then per unit and per sub-index, before they are split by stage. Bonus
# points count only in scored pillars, as everything else: a pillar that is not
# scored adds nothing (indicators.models.COUNTED_INDICATOR). A row is one of
#   pillar:    a unit's pillar (ref_id: the pillar), its bonus points apart;
#   dti:       a unit's whole set (ref_id NULL), the DTI value with the bonus as the
#              set's rule says, and that value in ten-thousandths for the band;
#   sub_index: a unit's sub-index (ref_id, code), its pillars' points (a pillar
#              feeding several sub-indices counts in each), no bonus.
# stage_order (0, 1, 2: Stage's order) sorts the rows without comparing text.
RESULTS_SQL = """
CREATE TEMPORARY TABLE {results} AS
WITH latest AS (
    -- One row per appraised response: its latest round-1 and round-2 scores.
    SELECT response_id,
           MAX(CASE WHEN round = 1 THEN score END) AS round_1,
           MAX(CASE WHEN round = 2 THEN score END) AS round_2
    FROM ({latest}) latest_rows GROUP BY response_id
), scored AS (
    -- A pillar that is not scored keeps its rows, with nothing in them.
    SELECT r.assessment_id, i.pillar_id,
           p.scored AND NOT i.is_bonus AS counted,
           p.scored AND i.is_bonus AS bonus,
           i.max_points,
           COALESCE(r.self_score, 0) AS self_points,
           COALESCE(l.round_1, 0) AS round_1_points,
           COALESCE(l.round_2, l.round_1, 0) AS final_points
    FROM {response} r
    JOIN {assessment} s ON s.id = r.assessment_id
    JOIN {indicator} i ON i.id = r.indicator_id
    JOIN {pillar} p ON p.id = i.pillar_id
    LEFT JOIN latest l ON l.response_id = r.id
    WHERE s.campaign_id = %(campaign)s
), per_pillar AS (
    SELECT assessment_id, pillar_id,
           COALESCE(SUM(self_points) FILTER (WHERE counted), 0) AS self_achieved,
           COALESCE(SUM(self_points) FILTER (WHERE bonus), 0) AS self_bonus,
           COALESCE(SUM(round_1_points) FILTER (WHERE counted), 0) AS round_1_achieved,
           COALESCE(SUM(round_1_points) FILTER (WHERE bonus), 0) AS round_1_bonus,
           COALESCE(SUM(final_points) FILTER (WHERE counted), 0) AS final_achieved,
           COALESCE(SUM(final_points) FILTER (WHERE bonus), 0) AS final_bonus,
           COALESCE(SUM(max_points) FILTER (WHERE counted), 0) AS max_points
    FROM scored GROUP BY assessment_id, pillar_id
), per_unit AS (
    -- Ordered as the inserts will want them: sorting rows already in order is quick.
    SELECT assessment_id, {sums}
    FROM per_pillar GROUP BY assessment_id ORDER BY assessment_id
), per_sub_index AS (
    SELECT t.assessment_id, x.id AS sub_index_id, x.code, {sub_index_sums}
    FROM per_pillar t
    JOIN {sub_index_pillars} sp ON sp.{through_pillar} = t.pillar_id
    JOIN {sub_index} x ON x.id = sp.{through_sub_index}
    GROUP BY t.assessment_id, x.id, x.code ORDER BY t.assessment_id, x.id
), units AS (
    SELECT stage, stage_order, assessment_id, achieved, bonus, max_points,
           {dti_value} AS value
    FROM ({unit_stages}) by_stage
)
SELECT 'sub_index' AS result, stage, stage_order, assessment_id, sub_index_id AS ref_id,
       code, achieved, bonus, max_points, {value} AS value,
       CAST(NULL AS BIGINT) AS scaled_value
FROM ({sub_index_stages}) by_stage
UNION ALL
SELECT 'pillar', stage, stage_order, assessment_id, pillar_id, NULL, achieved, bonus,
       max_points, {value}, NULL
FROM ({pillar_stages}) by_stage
UNION ALL
SELECT 'dti', stage, stage_order, assessment_id, NULL, NULL, achieved, bonus, max_points,
       value, {scaled_value}
FROM units
"""

# The points of each stage are columns of one row (<stage>_achieved, <stage>_bonus);
# a result row is one stage's.
STAGE_COLUMNS = ("achieved", "bonus")
STAGE_ROW_SQL = (
    "SELECT '{stage}' AS stage, {order} AS stage_order, {columns}, "
    "{stage}_achieved AS achieved, {stage}_bonus AS bonus, max_points FROM {source}"
)


# Each result table is written in the order of its unique index (campaign, stage,
# unit …), so that consecutive rows land in the same index pages.
PILLAR_SCORES_SQL = """
INSERT INTO {pillar_score} (campaign_id, stage, assessment_id, pillar_id,
                            achieved_points, bonus_points, max_points, value)
SELECT %(campaign)s, stage, assessment_id, ref_id, achieved, bonus, max_points, value
FROM {results} WHERE result = 'pillar'
ORDER BY stage_order, assessment_id, ref_id
"""

# The band: the highest threshold the value reaches, i.e. the band from whose
# threshold up to the next one's the value lies. Compared as whole
# ten-thousandths, since SQLite holds both sides as binary floats.
SUMMARIES_SQL = """
INSERT INTO {summary} (campaign_id, stage, assessment_id, achieved_points, bonus_points,
                       max_points, value, band_id, computed_at)
WITH bands AS (
    SELECT id, {threshold} AS low, LEAD({threshold}) OVER (ORDER BY min_percent) AS high
    FROM {band} WHERE indicator_set_id = %(indicator_set)s
)
SELECT %(campaign)s, v.stage, v.assessment_id, v.achieved, v.bonus, v.max_points, v.value,
       b.id, %(at)s
FROM {results} v
LEFT JOIN bands b
       ON v.scaled_value >= b.low AND (b.high IS NULL OR v.scaled_value < b.high)
WHERE v.result = 'dti'
ORDER BY v.stage_order, v.assessment_id
"""

SUB_INDEX_SCORES_SQL = """
INSERT INTO {sub_index_score} (campaign_id, stage, assessment_id, sub_index_id,
                               achieved_points, max_points, value)
SELECT %(campaign)s, stage, assessment_id, ref_id, achieved, max_points, value
FROM {results} WHERE result = 'sub_index'
ORDER BY stage_order, assessment_id, ref_id
"""

# Highest value first; RANK() gives equal values one rank and skips the next. Units
# whose value is empty (nothing to score) are not ranked.
RANKINGS_SQL = """
INSERT INTO {ranking} (campaign_id, stage, kind, assessment_id, value, rank, computed_at)
SELECT %(campaign)s, stage, CASE WHEN result = 'dti' THEN %(dti)s ELSE code END,
       assessment_id, value,
       RANK() OVER (PARTITION BY stage_order, ref_id ORDER BY value DESC), %(at)s
FROM {results}
WHERE value IS NOT NULL AND (result = 'dti' OR (result = 'sub_index' AND code IN ({kinds})))
ORDER BY stage_order, ref_id, assessment_id
"""


def _tables() -> dict[str, str]:
    """The quoted names of the tables the statements read and write."""
    through = SubIndex.pillars.through._meta
    names = {
        "results": RESULTS,
        "appraisal": Appraisal._meta.db_table,
        "response": Response._meta.db_table,
        "assessment": Assessment._meta.db_table,
        "indicator": Indicator._meta.db_table,
        "pillar": Pillar._meta.db_table,
        "band": Band._meta.db_table,
        "sub_index": SubIndex._meta.db_table,
        "sub_index_pillars": through.db_table,
        "through_pillar": through.get_field("pillar").column,
        "through_sub_index": through.get_field("subindex").column,
        "pillar_score": PillarScore._meta.db_table,
        "summary": ScoreSummary._meta.db_table,
        "sub_index_score": SubIndexScore._meta.db_table,
        "ranking": Ranking._meta.db_table,
    }
    return {name: connection.ops.quote_name(table) for name, table in names.items()}


def _scaled_sql(expression: str, places: int) -> str:
    """``sql.scaled`` as SQL text: ``expression`` × 10^places as a whole number."""
    return f"CAST(ROUND(({expression}) * {10 ** int(places)}) AS BIGINT)"


def _with_bonus(bonus_rule: str, achieved: str, bonus: str, maximum: str) -> str:
    """The points the DTI value is computed from, under the set's bonus rule (SQL text;
    ``indicators.scoring.dti_value`` is the same in Python)."""
    if bonus_rule == BonusRule.ADD_CAPPED:
        # Capping the points at the maximum caps the value at 100 %.
        points = f"{achieved} + {bonus}"
        return f"CASE WHEN {points} < {maximum} THEN {points} ELSE {maximum} END"
    if bonus_rule == BonusRule.ADD_UNCAPPED:
        return f"{achieved} + {bonus}"
    if bonus_rule == BonusRule.SEPARATE:
        return achieved
    raise ValueError(f"Unknown bonus rule {bonus_rule!r}")


def _execute(sql: str, params: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _stage_rows(source: str, stages: list[str], columns: str) -> str:
    # Stages are Stage values (_checked_stages), never the user's text.
    return " UNION ALL ".join(
        STAGE_ROW_SQL.format(
            stage=stage, order=Stage.values.index(stage), columns=columns, source=source
        )
        for stage in stages
    )


def _compute_results(campaign: Campaign, stages: list[str], places: int) -> None:
    # A maximum of 0 (a bonus-only pillar, a set with nothing to score) gives no
    # value, as ``percent`` does.
    sums = ", ".join(
        f"SUM({stage}_{column}) AS {stage}_{column}" for stage in stages for column in STAGE_COLUMNS
    )
    # Sub-index scores carry no bonus points.
    sub_index_sums = ", ".join(
        f"SUM({stage}_achieved) AS {stage}_achieved, 0 AS {stage}_bonus" for stage in stages
    )
    tables = _tables()
    latest = LATEST_APPRAISALS_SQL.get(connection.vendor, LATEST_APPRAISALS_SQL[None])
    sql = RESULTS_SQL.format(
        **tables,
        latest=latest.format(**tables),
        sums=f"{sums}, SUM(max_points) AS max_points",
        sub_index_sums=f"{sub_index_sums}, SUM(max_points) AS max_points",
        pillar_stages=_stage_rows("per_pillar", stages, "assessment_id, pillar_id"),
        unit_stages=_stage_rows("per_unit", stages, "assessment_id"),
        sub_index_stages=_stage_rows("per_sub_index", stages, "assessment_id, sub_index_id, code"),
        value=percent_sql("achieved", "max_points", places=places),
        dti_value=percent_sql(
            _with_bonus(campaign.indicator_set.bonus_rule, "achieved", "bonus", "max_points"),
            "max_points",
            places=places,
        ),
        scaled_value=_scaled_sql("value", VALUE_PLACES),
    )
    _execute(sql, {"campaign": campaign.pk})


def _insert_pillar_scores(campaign: Campaign) -> None:
    _execute(PILLAR_SCORES_SQL.format(**_tables()), {"campaign": campaign.pk})


def _insert_summaries(campaign: Campaign, at: datetime) -> None:
    sql = SUMMARIES_SQL.format(**_tables(), threshold=_scaled_sql("min_percent", VALUE_PLACES))
    _execute(sql, _params(campaign, at))


def _insert_sub_index_scores(campaign: Campaign) -> None:
    _execute(SUB_INDEX_SCORES_SQL.format(**_tables()), {"campaign": campaign.pk})


def _insert_rankings(campaign: Campaign, at: datetime) -> None:
    kinds = ", ".join(f"'{kind.value}'" for kind in SUB_INDEX_KINDS)
    sql = RANKINGS_SQL.format(**_tables(), kinds=kinds)
    _execute(sql, {**_params(campaign, at), "dti": RankingKind.DTI.value})


def _params(campaign: Campaign, at: datetime) -> dict:
    return {
        "campaign": campaign.pk,
        "indicator_set": campaign.indicator_set_id,
        "at": connection.ops.adapt_datetimefield_value(at),
    }


def _give_the_batch_memory() -> None:
    """PostgreSQL: room for a national campaign's sorts and hashes (the default 4 MB spills
    them to disk), for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '128MB'")


def _recompute(campaign: Campaign, stages: list[str], at: datetime) -> None:
    _give_the_batch_memory()
    # A set may ask for more decimals than are stored; it gets as many as fit.
    places = min(campaign.indicator_set.decimal_places, VALUE_PLACES)
    # Replace, never merge: the rows of these stages are exactly this run's.
    for model in (Ranking, SubIndexScore, ScoreSummary, PillarScore):
        model.objects.filter(campaign=campaign, stage__in=stages).delete()
    _compute_results(campaign, stages, places)
    _insert_pillar_scores(campaign)
    _insert_summaries(campaign, at)
    _insert_sub_index_scores(campaign)
    _insert_rankings(campaign, at)
    # Created in this transaction: a failed run's rollback removes it as well.
    _execute(f"DROP TABLE {_tables()['results']}", {})


def _finish(run: RankingRun, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def runs_abandon_stale(*, campaign: Campaign | None = None) -> int:
    """Record as failed every run still "running" after ``RANKING_RUN_STALE_MINUTES``.

    A worker killed during a computation (out of memory, a redeploy, ``kill -9``)
    never finishes its run; the database rolled its transaction back, so the
    previous results are intact, and the next run computes them afresh.
    """
    stale = RankingRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=RankingRun.stale_before()
    )
    if campaign is not None:
        stale = stale.filter(campaign=campaign)
    return stale.update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error=_(
            "Abandoned: not finished after %(minutes)s minutes (the computing process stopped). "
            "The results before it are unchanged; the next computation replaces them."
        )
        % {"minutes": settings.RANKING_RUN_STALE_MINUTES},
    )


def recompute_queue(*, campaign_id: int, stages: Iterable[str] | None = None) -> str:
    """Queue the computation of a campaign's rankings; never raises.

    Returns "queued"; or "not_queued" when the queue (Redis) did not take it:
    a run is then recorded as not queued, shown to the organizer, and the
    hourly beat (``recompute_requeue_waiting``) queues it again. Without a
    broker (the embedded demo) the computation runs here: "done", or "failed"
    (its run records why).
    """
    from . import tasks

    task = tasks.recompute_campaign
    chosen = _checked_stages(stages)
    eager = task.app.conf.task_always_eager
    try:
        task.delay(campaign_id) if stages is None else task.delay(campaign_id, chosen)
    except Exception as exc:  # noqa: BLE001 - whatever the queue raises, the page goes on
        if eager:
            logger.exception("Ranking computation of campaign %s failed", campaign_id)
            return "failed"
        logger.warning(
            "Ranking computation of campaign %s not queued: %s", campaign_id, exc, exc_info=True
        )
        try:
            RankingRun.objects.create(
                campaign_id=campaign_id,
                stages=chosen,
                status=RunStatus.NOT_QUEUED,
                finished_at=timezone.now(),
                error=f"{type(exc).__name__}: {exc}".strip()[:2000],
            )
        except Exception:  # noqa: BLE001 - e.g. the campaign was deleted meanwhile
            logger.exception(
                "The unqueued computation of campaign %s was not recorded", campaign_id
            )
        return "not_queued"
    return "done" if eager else "queued"


def recompute_requeue_waiting() -> int:
    """The hourly beat: abandoned runs count as failed; what Redis did not take is queued again.

    Every campaign whose latest run was not queued is queued again, every stage
    (a computation is idempotent, and several rounds may have closed meanwhile).
    Returns how many were queued.
    """
    runs_abandon_stale()
    latest = RankingRun.objects.filter(campaign=OuterRef("campaign_id")).order_by(
        "-started_at", "-pk"
    )
    waiting = RankingRun.objects.filter(
        status=RunStatus.NOT_QUEUED, pk=Subquery(latest.values("pk")[:1])
    ).values_list("campaign_id", flat=True)
    return sum(
        recompute_queue(campaign_id=campaign_id) in ("queued", "done")
        for campaign_id in list(waiting)
    )


def campaign_recompute(*, campaign: Campaign, stages: Iterable[str] | None = None) -> RankingRun:
    """Compute every score summary and ranking of ``campaign`` at ``stages`` (default: all).

    Safe to run again and to run twice at once: the campaign row is locked for
    the whole transaction, the stages' rows are replaced, and the same inputs
    give the same rows. Returns the ``RankingRun``, written outside the
    transaction so that the organizer sees it running and, if it fails, why.
    A run interrupted in its transaction leaves the previous results as they
    were (one abandoned earlier, its process killed, is recorded as failed by
    the task before the next run: ``runs_abandon_stale``).
    """
    stages = _checked_stages(stages)
    run = RankingRun.objects.create(campaign=campaign, stages=stages)
    try:
        with transaction.atomic():
            locked = (
                Campaign.objects.select_for_update(of=("self",))
                .select_related("indicator_set")
                .get(pk=campaign.pk)
            )
            # Taken once the lock is held: every row of the run carries it, and
            # is_ready_for_publication compares it with the last appraisal change.
            _recompute(locked, stages, at=timezone.now())
    except BaseException as exc:  # a worker's warm shutdown too: the run says what happened
        logger.exception("Ranking computation %s of campaign %s failed", run.pk, campaign.pk)
        _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, RunStatus.SUCCEEDED)
    return run


# --- publication ----------------------------------------------------------------------

PERCENT_PLACES = "0." + "0" * VALUE_PLACES


def _text(value, places: str = "0.01") -> str | None:
    """A snapshot's decimal as text with fixed places, the same from either database
    (SQLite hands a subquery's decimal back as an int or a float)."""
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _snapshot(publication: Publication, campaign: Campaign) -> int:
    """Copy the final stage into ``PublishedResult`` rows: 5 queries, whatever the units."""
    summaries = list(
        ScoreSummary.objects.filter(campaign=campaign, stage=Stage.FINAL).select_related(
            "assessment__unit", "band"
        )
    )
    ranks = {
        (row.assessment_id, row.kind): row
        for row in Ranking.objects.filter(campaign=campaign, stage=Stage.FINAL)
    }
    pillars = defaultdict(list)
    for row in (
        PillarScore.objects.filter(campaign=campaign, stage=Stage.FINAL)
        .select_related("pillar")
        .order_by("pillar__order", "pillar__code")
    ):
        pillars[row.assessment_id].append(
            {
                "code": row.pillar.code,
                "name": row.pillar.name,
                "achieved": _text(row.achieved_points),
                "bonus": _text(row.bonus_points),
                "max": _text(row.max_points),
                "value": _text(row.value, PERCENT_PLACES),
            }
        )
    indicators = defaultdict(list)
    responses = (
        Response.objects.filter(assessment__campaign=campaign)
        .annotate(round_1=_latest_appraisal(Round.ONE), round_2=_latest_appraisal(Round.TWO))
        .values(
            "assessment_id",
            "indicator__code",
            "indicator__name",
            "indicator__pillar__code",
            "indicator__max_points",
            "indicator__is_bonus",
            "self_score",
            "round_1",
            "round_2",
        )
    )
    for row in responses:
        final = row["round_2"] if row["round_2"] is not None else row["round_1"]
        indicators[row["assessment_id"]].append(
            {
                "code": row["indicator__code"],
                "name": row["indicator__name"],
                "pillar": row["indicator__pillar__code"],
                "max": _text(row["indicator__max_points"]),
                "bonus": row["indicator__is_bonus"],
                "self": _text(row["self_score"]),
                "round_1": _text(row["round_1"]),
                "round_2": _text(row["round_2"]),
                "final": _text(final),
            }
        )

    def rank_of(summary, kind):
        entry = ranks.get((summary.assessment_id, kind))
        return (entry.value, entry.rank) if entry else (None, None)

    rows = []
    for summary in summaries:
        cqs, kts, xhs = (rank_of(summary, kind) for kind in SUB_INDEX_KINDS)
        rows.append(
            PublishedResult(
                publication=publication,
                assessment_id=summary.assessment_id,
                unit_name=summary.assessment.unit.name,
                achieved_points=summary.achieved_points,
                bonus_points=summary.bonus_points,
                max_points=summary.max_points,
                dti_value=summary.value,
                dti_rank=rank_of(summary, RankingKind.DTI)[1],
                band_name=summary.band.name if summary.band else "",
                cqs_value=cqs[0],
                cqs_rank=cqs[1],
                kts_value=kts[0],
                kts_rank=kts[1],
                xhs_value=xhs[0],
                xhs_rank=xhs[1],
                pillars=pillars[summary.assessment_id],
                indicators=sorted(
                    indicators[summary.assessment_id], key=lambda item: natural_key(item["code"])
                ),
            )
        )
    PublishedResult.objects.bulk_create(rows)
    return len(rows)


def campaign_publish(
    *,
    campaign: Campaign,
    user,
    decision_number: str,
    decision_date,
    signer_title: str,
    signer_name: str,
    reason: str = "",
) -> Publication:
    """Publish the campaign's final results, or a correction of them, in one transaction.

    Computes the final stage again under the campaign's lock, moves every
    Appraised-2 unit to Published (the assessments' guard: all units
    appraised, rankings up to date), then writes the publication and its
    snapshot. A correction (any version after the first) needs a written
    reason; the earlier versions stay as they were.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("indicator_set")
            .get(pk=campaign.pk)
        )
        if not assessment_permissions.can_publish(user, locked):
            raise PermissionDenied(_("Only the campaign's organizer can publish its results."))
        last = Publication.objects.filter(campaign=locked).order_by("-version").first()
        problems = []
        if not (decision_number or "").strip():
            problems.append(_("Enter the number of the decision that publishes the rankings."))
        if decision_date is None:
            problems.append(_("Enter the date of the decision."))
        if not (signer_title or "").strip() or not (signer_name or "").strip():
            problems.append(_("Enter who signs the decision and as what."))
        if last is not None and not reason:
            problems.append(
                _("The results were published already: a correction needs a written reason.")
            )
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        _recompute(locked, [Stage.FINAL], at=now)
        assessment_services.campaign_publish(campaign=locked, user=user)
        publication = Publication.objects.create(
            campaign=locked,
            version=last.version + 1 if last else 1,
            reason=reason,
            decision_number=decision_number.strip(),
            decision_date=decision_date,
            signer_title=signer_title.strip(),
            signer_name=signer_name.strip(),
            published_at=now,
            published_by=user,
        )
        _snapshot(publication, locked)
    return publication
