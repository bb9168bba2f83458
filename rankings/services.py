"""Writes of the rankings domain: (re)compute a campaign's score summaries and rankings.

``campaign_recompute`` replaces every result of the chosen stages of a
campaign in one transaction, with a fixed number of SQL statements whatever
the number of units (17 for the three stages: one ``INSERT … SELECT`` per
table, per stage for the pillar scores, see ``sql.insert_select``); no result
row passes through Python. The steps:

1. pillar scores, from the responses: per unit and pillar, the points of the
   scored indicators and of the bonus indicators at the stage, the pillar's
   maximum and %;
2. summaries, from the pillar scores: per unit, the totals and the DTI value
   (bonus added as the set's bonus rule says), then the band of that value;
3. sub-index scores, from the pillar scores: per unit and sub-index, the
   points and maximum of its pillars (a pillar feeding several sub-indices
   counts in each) and %;
4. rankings, with ``RANK()`` over the DTI values and over the sub-index
   values of codes cqs, kts and xhs.

The score of an indicator at a stage (``stage_score``): self, the unit's
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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, Least, Rank
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import permissions as assessment_permissions
from assessments import services as assessment_services
from assessments.models import Campaign, Response
from councils.models import Appraisal, Round
from indicators.models import Band, BonusRule, natural_key

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
from .sql import insert_select, percent, scaled

logger = logging.getLogger(__name__)

POINTS_FIELD = DecimalField(**POINTS)
ZERO = Value(Decimal(0), output_field=POINTS_FIELD)

# indicators.models.COUNTED_INDICATOR, seen from a response: the indicators
# whose points make up the totals. Bonus points count only in scored pillars,
# as everything else: a pillar that is not scored adds nothing.
COUNTED_RESPONSE = Q(indicator__is_bonus=False, indicator__pillar__scored=True)
BONUS_RESPONSE = Q(indicator__is_bonus=True, indicator__pillar__scored=True)


def _latest_appraisal(round_: int) -> Subquery:
    return Subquery(
        Appraisal.objects.filter(response=OuterRef("pk"), round=round_)
        .order_by("-updated_at", "-pk")
        .values("score")[:1],
        output_field=POINTS_FIELD,
    )


def stage_score(stage: str):
    """The score of a response (an expression over ``Response``) at ``stage``; NULL if none."""
    if stage == Stage.SELF:
        return F("self_score")
    if stage == Stage.ROUND_1:
        return _latest_appraisal(Round.ONE)
    if stage == Stage.FINAL:
        return Coalesce(_latest_appraisal(Round.TWO), _latest_appraisal(Round.ONE))
    raise ValueError(f"Unknown stage {stage!r}")


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


def _insert_pillar_scores(campaign: Campaign, stage: str, places: int) -> None:
    score = Coalesce(stage_score(stage), ZERO, output_field=POINTS_FIELD)
    rows = (
        Response.objects.filter(assessment__campaign=campaign)
        .values("assessment_id", pillar_id=F("indicator__pillar_id"))
        .annotate(
            achieved_points=Sum(score, filter=COUNTED_RESPONSE, default=ZERO),
            bonus_points=Sum(score, filter=BONUS_RESPONSE, default=ZERO),
            # A unit has one response per indicator of the set (created with the
            # campaign; the set is frozen), so this is the pillar's maximum.
            max_points=Sum("indicator__max_points", filter=COUNTED_RESPONSE, default=ZERO),
        )
        .annotate(
            campaign_id=Value(campaign.pk),
            stage=Value(stage),
            value=percent(F("achieved_points"), F("max_points"), places=places),
        )
    )
    columns = [
        "campaign_id",
        "stage",
        "assessment_id",
        "pillar_id",
        "achieved_points",
        "bonus_points",
        "max_points",
        "value",
    ]
    insert_select(PillarScore, rows, {name: name for name in columns})


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


def _recompute(campaign: Campaign, stages: list[str], at: datetime) -> None:
    # A set may ask for more decimals than are stored; it gets as many as fit.
    places = min(campaign.indicator_set.decimal_places, VALUE_PLACES)
    # Replace, never merge: the rows of these stages are exactly this run's.
    for model in (Ranking, SubIndexScore, ScoreSummary, PillarScore):
        model.objects.filter(campaign=campaign, stage__in=stages).delete()
    for stage in stages:
        _insert_pillar_scores(campaign, stage, places)
    _insert_summaries(campaign, stages, places, at)
    _insert_sub_index_scores(campaign, stages, places)
    _insert_rankings(campaign, stages, at)


def _finish(run: RankingRun, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def campaign_recompute(*, campaign: Campaign, stages: Iterable[str] | None = None) -> RankingRun:
    """Compute every score summary and ranking of ``campaign`` at ``stages`` (default: all).

    Safe to run again and to run twice at once: the campaign row is locked for
    the whole transaction, the stages' rows are replaced, and the same inputs
    give the same rows. Returns the ``RankingRun``, written outside the
    transaction so that the organizer sees it running and, if it fails, why.
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
    except Exception as exc:
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
