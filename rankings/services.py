"""Writes of the rankings domain: (re)compute a campaign's score summaries and rankings.

``campaign_recompute`` replaces every result of the chosen stages of a
campaign in one transaction, with a fixed number of SQL statements whatever
the number of units (15 for the three stages: one ``INSERT … SELECT`` per
table, see ``sql.insert_select`` and ``PILLAR_SCORES_SQL``); no result row
passes through Python. The steps:

1. pillar scores, from the responses, every stage in one pass: per unit and
   pillar, the points of the scored indicators and of the bonus indicators at
   the stage, the pillar's maximum and %;
2. summaries, from the pillar scores: per unit, the totals and the DTI value
   (bonus added as the set's bonus rule says), then the band of that value;
3. sub-index scores, from the pillar scores: per unit and sub-index, the
   points and maximum of its pillars (a pillar feeding several sub-indices
   counts in each) and %;
4. rankings, with ``RANK()`` over the DTI values and over the sub-index
   values of codes cqs, kts and xhs.

The score of an indicator at a stage (``PILLAR_SCORES_SQL``): self, the unit's
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
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value, Window
from django.db.models.functions import Least, Rank
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import permissions as assessment_permissions
from assessments import services as assessment_services
from assessments.models import Assessment, Campaign, Response
from councils.models import Appraisal, Round
from indicators.models import Band, BonusRule, Indicator, Pillar, natural_key

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
from .sql import insert_select, percent, percent_sql, scaled

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


def _with_bonus(bonus_rule: str, achieved, bonus, maximum):
    """The points the DTI value is computed from, under the set's bonus rule."""
    if bonus_rule == BonusRule.ADD_CAPPED:
        # Capping the points at the maximum caps the value at 100 %.
        return Least(achieved + bonus, maximum)
    if bonus_rule == BonusRule.ADD_UNCAPPED:
        return achieved + bonus
    if bonus_rule == BonusRule.SEPARATE:
        return achieved
    raise ValueError(f"Unknown bonus rule {bonus_rule!r}")


def _checked_stages(stages: Iterable[str] | None) -> list[str]:
    if stages is None:
        return list(Stage.values)
    chosen = set(stages)
    unknown = chosen - set(Stage.values)
    if unknown or not chosen:
        raise ValueError(f"Stages must be some of {Stage.values}, not {sorted(unknown)}")
    return [stage for stage in Stage.values if stage in chosen]


# --- the steps -------------------------------------------------------------------


# One pass over the campaign's responses gives every stage's pillar scores: the
# latest appraisal of each response and round is found once (ROW_NUMBER), not
# by a subquery per response and stage, which took 18 of 34 seconds at
# 10,000 units × 81 indicators. Written by hand because the ORM cannot join a
# derived table; the same on PostgreSQL and SQLite (both have window
# functions); the module docstring defines a stage's score, and
# tests/rankings/test_ranking_hand_computed.py checks the result against hand sums.
# Bonus points count only in scored pillars, as everything else: a pillar that is
# not scored adds nothing (indicators.models.COUNTED_INDICATOR).
PILLAR_SCORES_SQL = """
INSERT INTO {pillar_score} (campaign_id, stage, assessment_id, pillar_id,
                            achieved_points, bonus_points, max_points, value)
WITH ranked AS (
    SELECT a.response_id, a.round, a.score,
           ROW_NUMBER() OVER (
               PARTITION BY a.response_id, a.round ORDER BY a.updated_at DESC, a.id DESC
           ) AS n
    FROM {appraisal} a
    JOIN {response} r ON r.id = a.response_id
    JOIN {assessment} s ON s.id = r.assessment_id
    WHERE s.campaign_id = %(campaign)s
), latest AS (
    SELECT response_id,
           MAX(CASE WHEN round = 1 THEN score END) AS round_1,
           MAX(CASE WHEN round = 2 THEN score END) AS round_2
    FROM ranked WHERE n = 1 GROUP BY response_id
), scored AS (
    -- A pillar that is not scored keeps its rows, with nothing in them.
    SELECT r.assessment_id, i.pillar_id,
           CASE WHEN p.scored AND NOT i.is_bonus THEN 1 ELSE 0 END AS counted,
           CASE WHEN p.scored AND i.is_bonus THEN 1 ELSE 0 END AS bonus,
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
           SUM(counted * self_points) AS self_achieved,
           SUM(bonus * self_points) AS self_bonus,
           SUM(counted * round_1_points) AS round_1_achieved,
           SUM(bonus * round_1_points) AS round_1_bonus,
           SUM(counted * final_points) AS final_achieved,
           SUM(bonus * final_points) AS final_bonus,
           SUM(counted * max_points) AS max_points
    FROM scored GROUP BY assessment_id, pillar_id
), by_stage AS (
    {stage_rows}
)
SELECT %(campaign)s, stage, assessment_id, pillar_id, achieved, bonus, max_points,
       {value}
FROM by_stage
"""

STAGE_ROW_SQL = (
    "SELECT '{stage}' AS stage, assessment_id, pillar_id, {stage}_achieved AS achieved, "
    "{stage}_bonus AS bonus, max_points FROM per_pillar"
)


def _insert_pillar_scores(campaign: Campaign, stages: list[str], places: int) -> None:
    tables = {
        "pillar_score": PillarScore,
        "appraisal": Appraisal,
        "response": Response,
        "assessment": Assessment,
        "indicator": Indicator,
        "pillar": Pillar,
    }
    # A (bonus) pillar's maximum of 0 gives no value, as ``percent`` does.
    sql = PILLAR_SCORES_SQL.format(
        **{name: connection.ops.quote_name(model._meta.db_table) for name, model in tables.items()},
        stage_rows=" UNION ALL ".join(STAGE_ROW_SQL.format(stage=stage) for stage in stages),
        value=percent_sql("achieved", "max_points", places=places),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"campaign": campaign.pk})


def _insert_summaries(campaign: Campaign, stages: list[str], places: int, at: datetime) -> None:
    indicator_set = campaign.indicator_set
    rows = (
        PillarScore.objects.filter(campaign=campaign, stage__in=stages)
        .values("campaign_id", "stage", "assessment_id")
        .annotate(
            achieved=Sum("achieved_points"), bonus=Sum("bonus_points"), maximum=Sum("max_points")
        )
        .annotate(
            dti=percent(
                _with_bonus(indicator_set.bonus_rule, F("achieved"), F("bonus"), F("maximum")),
                F("maximum"),
                places=places,
            ),
            at=Value(at),
        )
    )
    insert_select(
        ScoreSummary,
        rows,
        {
            "campaign_id": "campaign_id",
            "stage": "stage",
            "assessment_id": "assessment_id",
            "achieved_points": "achieved",
            "bonus_points": "bonus",
            "max_points": "maximum",
            "value": "dti",
            "computed_at": "at",
        },
    )
    # The band: the highest threshold the value reaches. Compared as whole
    # ten-thousandths, since SQLite holds both sides as binary floats.
    reached = (
        Band.objects.filter(indicator_set=indicator_set)
        .alias(threshold=scaled(F("min_percent"), VALUE_PLACES))
        .filter(threshold__lte=scaled(OuterRef("value"), VALUE_PLACES))
        .order_by("-min_percent")
        .values("pk")[:1]
    )
    ScoreSummary.objects.filter(campaign=campaign, stage__in=stages).update(
        band_id=Subquery(reached)
    )


def _insert_sub_index_scores(campaign: Campaign, stages: list[str], places: int) -> None:
    rows = (
        PillarScore.objects.filter(campaign=campaign, stage__in=stages)
        .values("campaign_id", "stage", "assessment_id", sub_index=F("pillar__sub_indices"))
        .filter(sub_index__isnull=False)
        .annotate(achieved=Sum("achieved_points"), maximum=Sum("max_points"))
        .annotate(percentage=percent(F("achieved"), F("maximum"), places=places))
    )
    insert_select(
        SubIndexScore,
        rows,
        {
            "campaign_id": "campaign_id",
            "stage": "stage",
            "assessment_id": "assessment_id",
            "sub_index_id": "sub_index",
            "achieved_points": "achieved",
            "max_points": "maximum",
            "value": "percentage",
        },
    )


RANKING_COLUMNS = {
    "campaign_id": "campaign_id",
    "stage": "stage",
    "kind": "ranking",
    "assessment_id": "assessment_id",
    "value": "value",
    "rank": "place",
    "computed_at": "at",
}


def _insert_rankings(campaign: Campaign, stages: list[str], at: datetime) -> None:
    # Highest value first; RANK() gives equal values one rank and skips the next.
    by_value = F("value").desc()
    dti = ScoreSummary.objects.filter(
        campaign=campaign, stage__in=stages, value__isnull=False
    ).annotate(
        ranking=Value(RankingKind.DTI.value),
        place=Window(Rank(), partition_by=[F("stage")], order_by=by_value),
        at=Value(at),
    )
    insert_select(Ranking, dti, RANKING_COLUMNS)
    sub_indices = SubIndexScore.objects.filter(
        campaign=campaign,
        stage__in=stages,
        value__isnull=False,
        sub_index__code__in=[kind.value for kind in SUB_INDEX_KINDS],
    ).annotate(
        ranking=F("sub_index__code"),
        place=Window(Rank(), partition_by=[F("stage"), F("sub_index_id")], order_by=by_value),
        at=Value(at),
    )
    insert_select(Ranking, sub_indices, RANKING_COLUMNS)


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
    _insert_pillar_scores(campaign, stages, places)
    _insert_summaries(campaign, stages, places, at)
    _insert_sub_index_scores(campaign, stages, places)
    _insert_rankings(campaign, stages, at)


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
