"""Score summaries and rankings of a campaign, per stage, and the runs that compute them.

Everything here is derived: ``services.campaign_recompute`` replaces the rows
of a campaign's stage from the responses and appraisals, in one transaction,
and nothing else writes them. Rows are keyed by (campaign, stage, assessment
…) with unique constraints, so a stage of a campaign can never hold two
results for one unit, however often or concurrently it is recomputed.

Percentages are stored with ``VALUE_PLACES`` decimals; each one is already
rounded half up to its set's ``decimal_places`` (at most ``VALUE_PLACES``),
so pages only format them (``|percent:indicator_set.decimal_places``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Stored decimals of every percentage; a set asking for more is rounded to this many.
VALUE_PLACES = 4
POINTS = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 10, "decimal_places": VALUE_PLACES}


class Stage(models.TextChoices):
    """Whose scores a result is made of.

    self: the unit's self scores; round_1: the latest round-1 appraisal of each
    indicator; final: the latest round-2 appraisal, else the latest round-1 one
    (as ``councils.selectors.final_scores``). An indicator without a score at a
    stage counts 0 points; its maximum still counts.
    """

    SELF = "self", _("Self-assessment")
    ROUND_1 = "round_1", _("Appraisal, round 1")
    FINAL = "final", _("Final (after appraisal)")


class RankingKind(models.TextChoices):
    """The four rankings. Except DTI, each value is the code of the set's sub-index.

    DTI is the whole set (every scored pillar, with the set's bonus rule); the
    other three rank the sub-index of the same code (the codes every set in
    fixtures/indicator_sets uses). A set without such a sub-index has no
    ranking of that kind.
    """

    DTI = "dti", _("Digital Transformation Index (DTI)")
    DIGITAL_GOVERNMENT = "cqs", _("Digital government")
    DIGITAL_ECONOMY = "kts", _("Digital economy")
    DIGITAL_SOCIETY = "xhs", _("Digital society")


SUB_INDEX_KINDS = [
    RankingKind.DIGITAL_GOVERNMENT,
    RankingKind.DIGITAL_ECONOMY,
    RankingKind.DIGITAL_SOCIETY,
]


# The four result tables below are derived rows, rewritten whole by
# ``services.campaign_recompute`` with INSERT … SELECT from live rows while the
# campaign is locked, so every reference is right by construction; deletes
# still cascade or are refused through Django. They carry no database foreign
# key: its checks (three per row, deferred to the commit) cost 7.6 of 34
# seconds of a national recomputation (10,000 units, measured with
# ``make bench``). Every unique constraint starts with the campaign, then the
# stage and the unit, so neither the campaign nor the unit needs an index of its
# own: a unit's results are read by (campaign, stage, unit) through that
# constraint (``selectors.unit_results``). An index on the unit alone cost a fifth
# of the time of writing the pillar scores (240,000 rows at 10,000 units, measured
# on a copy of the table); without it, deleting a unit (the administrator only; no
# service deletes one) scans these tables. Nothing looks result rows up by pillar,
# sub-index or band except the refused delete of a frozen set's row.
DERIVED = {"db_constraint": False, "db_index": False}
DERIVED_CAMPAIGN = DERIVED
DERIVED_REFERENCE = DERIVED


class ScoreSummary(models.Model):
    """A unit's result at one stage: points, the DTI value and its band.

    ``achieved_points`` and ``max_points`` count the scored indicators only;
    ``bonus_points`` are the bonus indicators', which enter ``value`` as the
    set's bonus rule says. ``value`` is empty when the set has no points to
    score (maximum 0).
    """

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="score_summaries",
        on_delete=models.CASCADE,
        **DERIVED_CAMPAIGN,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="score_summaries",
        on_delete=models.CASCADE,
        **DERIVED,
    )
    achieved_points = models.DecimalField(_("points achieved"), **POINTS)
    max_points = models.DecimalField(_("max points"), **POINTS)
    bonus_points = models.DecimalField(_("bonus points"), **POINTS)
    value = models.DecimalField(_("DTI value (%)"), null=True, blank=True, **PERCENT)
    band = models.ForeignKey(
        "indicators.Band",
        verbose_name=_("band"),
        related_name="+",
        null=True,
        blank=True,
        # The set of a campaign is frozen, so its bands cannot go; never silently.
        on_delete=models.PROTECT,
        **DERIVED_REFERENCE,
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("score summary")
        verbose_name_plural = _("score summaries")
        ordering = ["campaign", "stage", "assessment"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "stage", "assessment"], name="unique_score_summary"
            ),
            models.CheckConstraint(
                condition=Q(achieved_points__gte=0, max_points__gte=0, bonus_points__gte=0),
                name="score_summary_points_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.assessment} – {self.get_stage_display()}: {self.value}"


class PillarScore(models.Model):
    """A unit's points and % in one pillar at one stage (bonus kept apart, not in ``value``)."""

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="pillar_scores",
        on_delete=models.CASCADE,
        **DERIVED_CAMPAIGN,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="pillar_scores",
        on_delete=models.CASCADE,
        **DERIVED,
    )
    pillar = models.ForeignKey(
        "indicators.Pillar",
        verbose_name=_("pillar"),
        related_name="+",
        on_delete=models.PROTECT,
        **DERIVED_REFERENCE,
    )
    achieved_points = models.DecimalField(_("points achieved"), **POINTS)
    max_points = models.DecimalField(_("max points"), **POINTS)
    bonus_points = models.DecimalField(_("bonus points"), **POINTS)
    value = models.DecimalField(_("value (%)"), null=True, blank=True, **PERCENT)

    class Meta:
        verbose_name = _("pillar score")
        verbose_name_plural = _("pillar scores")
        ordering = ["campaign", "stage", "assessment", "pillar"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "stage", "assessment", "pillar"], name="unique_pillar_score"
            )
        ]

    def __str__(self):
        return f"{self.assessment} – {self.pillar.code}: {self.value}"


class SubIndexScore(models.Model):
    """A unit's % in one sub-index at one stage: its pillars' points ÷ their maximum."""

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="sub_index_scores",
        on_delete=models.CASCADE,
        **DERIVED_CAMPAIGN,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="sub_index_scores",
        on_delete=models.CASCADE,
        **DERIVED,
    )
    sub_index = models.ForeignKey(
        "indicators.SubIndex",
        verbose_name=_("sub-index"),
        related_name="+",
        on_delete=models.PROTECT,
        **DERIVED_REFERENCE,
    )
    achieved_points = models.DecimalField(_("points achieved"), **POINTS)
    max_points = models.DecimalField(_("max points"), **POINTS)
    value = models.DecimalField(_("value (%)"), null=True, blank=True, **PERCENT)

    class Meta:
        verbose_name = _("sub-index score")
        verbose_name_plural = _("sub-index scores")
        ordering = ["campaign", "stage", "assessment", "sub_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "stage", "assessment", "sub_index"],
                name="unique_sub_index_score",
            )
        ]

    def __str__(self):
        return f"{self.assessment} – {self.sub_index}: {self.value}"


class Ranking(models.Model):
    """One unit's place in one of the four rankings of a campaign at one stage.

    Equal values share a rank and the next rank is skipped (1, 2, 2, 4), as
    the national tables do. Units whose value is empty (nothing to score) are
    not ranked.
    """

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="rankings",
        on_delete=models.CASCADE,
        **DERIVED_CAMPAIGN,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    kind = models.CharField(_("ranking"), max_length=10, choices=RankingKind.choices)
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="rankings",
        on_delete=models.CASCADE,
        **DERIVED,
    )
    value = models.DecimalField(_("value (%)"), **PERCENT)
    rank = models.PositiveIntegerField(_("rank"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        ordering = ["campaign", "stage", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "stage", "kind", "assessment"], name="unique_ranking_entry"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="ranking_rank_from_one"),
        ]
        # No index by rank: the pages place the entries by value (selectors.ranking_page),
        # and one cost half the time of writing the rankings (120,000 rows at 10,000 units).

    def __str__(self):
        return f"{self.get_kind_display()} – {self.assessment}: {self.rank}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # The queue (Redis) did not answer: nothing ran; queued again by the hourly beat.
    NOT_QUEUED = "not_queued", _("Not queued")


class RankingRun(models.Model):
    """One computation of a campaign's summaries and rankings, for the organizer to follow.

    Written outside the computation's transaction, so that a run in progress
    is visible as running and a failed one keeps its error. A run still
    running after ``settings.RANKING_RUN_STALE_MINUTES`` was abandoned (its
    worker was killed): ``is_abandoned`` says so on reading, and the next run
    (or the hourly beat) records it as failed.
    """

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="ranking_runs",
        on_delete=models.CASCADE,
    )
    stages = models.JSONField(_("stages"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("ranking computation")
        verbose_name_plural = _("ranking computations")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=RunStatus.RUNNING) | Q(finished_at__isnull=False),
                name="ranking_run_finished_has_time",
            )
        ]

    def __str__(self):
        return f"{self.campaign} – {self.get_status_display()} ({self.started_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def stale_before():
        """Runs started before this and still running were abandoned."""
        return timezone.now() - timedelta(minutes=settings.RANKING_RUN_STALE_MINUTES)

    @property
    def is_abandoned(self) -> bool:
        return self.status == RunStatus.RUNNING and self.started_at < self.stale_before()


# --- publication ----------------------------------------------------------------------


class ImmutableRow(models.Model):
    """A published row is written once: a correction is a new publication, never an edit."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"A published {self._meta.verbose_name} cannot be changed.")
        super().save(*args, **kwargs)


class Publication(ImmutableRow):
    """One published version of a campaign's final results.

    The first version publishes the campaign; each later one is a correction,
    with its written reason. Every version stays readable; the public pages
    show the newest unless an older one is asked for.
    """

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="publications",
        on_delete=models.PROTECT,
    )
    version = models.PositiveSmallIntegerField(_("version"))
    reason = models.TextField(_("reason for the correction"), blank=True)
    decision_number = models.CharField(_("decision number"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    signer_title = models.CharField(_("signed as"), max_length=200)
    signer_name = models.CharField(_("signed by"), max_length=200)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        related_name="+",
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["campaign", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="unique_publication"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="publication_correction_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.campaign} – v{self.version}"


class PublishedResult(ImmutableRow):
    """A unit's published result: the four values and ranks, its band, and its scorecard.

    A snapshot, copied from the final stage when publishing: later
    computations never change what was published. ``pillars`` and
    ``indicators`` hold the scorecard as lists of plain values (decimals as
    strings), ``sub_indices`` the three sub-index values by code.
    """

    publication = models.ForeignKey(
        Publication,
        verbose_name=_("publication"),
        related_name="results",
        on_delete=models.CASCADE,
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="published_results",
        on_delete=models.PROTECT,
    )
    unit_name = models.CharField(_("unit"), max_length=200)
    achieved_points = models.DecimalField(_("points achieved"), **POINTS)
    bonus_points = models.DecimalField(_("bonus points"), **POINTS)
    max_points = models.DecimalField(_("max points"), **POINTS)
    dti_value = models.DecimalField(_("DTI value (%)"), null=True, **PERCENT)
    dti_rank = models.PositiveIntegerField(_("DTI rank"), null=True)
    band_name = models.CharField(_("band"), max_length=100, blank=True)
    cqs_value = models.DecimalField(_("digital government (%)"), null=True, **PERCENT)
    cqs_rank = models.PositiveIntegerField(_("digital government rank"), null=True)
    kts_value = models.DecimalField(_("digital economy (%)"), null=True, **PERCENT)
    kts_rank = models.PositiveIntegerField(_("digital economy rank"), null=True)
    xhs_value = models.DecimalField(_("digital society (%)"), null=True, **PERCENT)
    xhs_rank = models.PositiveIntegerField(_("digital society rank"), null=True)
    pillars = models.JSONField(_("pillars"), default=list)
    indicators = models.JSONField(_("indicators"), default=list)

    class Meta:
        verbose_name = _("published result")
        verbose_name_plural = _("published results")
        ordering = ["publication", "dti_rank", "unit_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "assessment"], name="unique_published_result"
            )
        ]

    def __str__(self):
        return f"{self.unit_name} – {self.publication}"
