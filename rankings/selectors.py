"""Reads on score summaries, rankings and their computation, shaped for pages and hooks.

Every read is a fixed number of queries, whatever the number of units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Least, Rank
from django.utils.translation import gettext

from assessments.models import Assessment, AssessmentState, AssessmentTransition, Campaign
from councils.models import Appraisal
from dti.paging import Page, page_number

from .models import (
    VALUE_PLACES,
    PillarScore,
    Publication,
    PublishedResult,
    Ranking,
    RankingKind,
    RankingRun,
    ScoreSummary,
    Stage,
    SubIndexScore,
)
from .sql import scaled

# A stage's results are shown for the units that have reached it: a unit not yet
# appraised has no round-1 or final score, and listing it at 0 % would mislead.
# Every unit is computed at every stage; the tables rank the units shown among
# themselves (RANK() over what is shown), so the places read 1, 2, 2, 4 … without gaps
# left by the units still behind.
STAGE_REACHED = {
    Stage.ROUND_1: (
        AssessmentState.APPRAISED_1,
        AssessmentState.EXPLANATION,
        AssessmentState.APPRAISED_2,
        AssessmentState.PUBLISHED,
    ),
    Stage.FINAL: (AssessmentState.APPRAISED_2, AssessmentState.PUBLISHED),
}


def reached(queryset, stage: str):
    """``queryset`` (of rows with an ``assessment``) kept to the units that reached ``stage``."""
    states = STAGE_REACHED.get(stage)
    return queryset if states is None else queryset.filter(assessment__state__in=states)


# --- rankings ---------------------------------------------------------------------


def _band_name() -> Subquery:
    """The band of a ranking entry's unit at its stage (one index look-up, no ordering)."""
    return Subquery(
        ScoreSummary.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            stage=OuterRef("stage"),
            assessment_id=OuterRef("assessment_id"),
        )
        .order_by()
        .values("band__name")[:1]
    )


def _entries(*, campaign: Campaign, stage: str):
    return (
        reached(Ranking.objects.filter(campaign=campaign, stage=stage), stage)
        .select_related("assessment__unit")
        .annotate(
            band_name=_band_name(),
            place=Window(Rank(), partition_by=[F("kind")], order_by=F("value").desc()),
        )
        .order_by("kind", "place", "assessment__unit__name", "pk")
    )


def _placed(entries) -> list[Ranking]:
    for entry in entries:
        entry.rank = entry.place  # the place among the units shown (the same once all are)
    return entries


def ranking_table(*, campaign: Campaign, stage: str, kind: str) -> list[Ranking]:
    """One ranking: its entries by rank, then unit name, each with ``band_name``: 1 query."""
    return _placed(list(_entries(campaign=campaign, stage=stage).filter(kind=kind)))


def rankings_by_kind(*, campaign: Campaign, stage: str) -> dict[str, list[Ranking]]:
    """The rankings of a stage, ``{kind: entries}`` in the order of ``RankingKind``: 1 query.

    A kind the set cannot rank (no sub-index of that code) is left out.
    """
    found = defaultdict(list)
    for entry in _placed(list(_entries(campaign=campaign, stage=stage))):
        found[entry.kind].append(entry)
    return {kind: found[kind] for kind in RankingKind.values if found[kind]}


ORGANIZER_PAGE_ROWS = 100
# The pages with the rankings show one at a time: ``?xep-hang=cqs&trang=2`` (their own
# parameters, the stage or the version, stay in the links between them).
RANKING_PARAM = "xep-hang"
PAGE_PARAM = "trang"


@dataclass(frozen=True)
class RankingTab:
    """One of the rankings a page can show, for the links between them."""

    kind: str
    label: str
    total: int  # its rows (the units shown)


@dataclass
class RankingRow:
    """One row of a provisional ranking, with only what the organizer's page shows."""

    rank: int  # the place among the units shown
    value: Decimal | None
    unit_name: str
    assessment_id: int
    band_name: str = ""  # the DTI's only
    url: str = ""  # the unit's scorecard (the view's)


@dataclass(frozen=True)
class RankingPage:
    """One page of one provisional ranking of a stage, and the other rankings to choose."""

    rankings: list[RankingTab]  # every ranking of the stage, in the order of ``RankingKind``
    current: RankingTab | None  # None: nothing is computed at this stage
    entries: list[RankingRow]  # by rank, then unit name
    page: Page | None
    computed_at: object  # the earliest computation of the rows shown at this stage, or None


def _tabs(counts: Mapping[str, int]) -> list[RankingTab]:
    return [
        RankingTab(kind=kind, label=RankingKind(kind).label, total=counts[kind])
        for kind in RankingKind.values
        if counts.get(kind)
    ]


class NoSuchRanking(LookupError):
    """The ranking asked for is not one of the page's (the views answer 404)."""


def _chosen(tabs: list[RankingTab], kind: str | None) -> RankingTab | None:
    """The ranking asked for, the first when none is; None when there is none at all."""
    if kind is not None and kind not in RankingKind.values:
        raise NoSuchRanking(kind)
    if not tabs:
        return None
    if kind is None:
        return tabs[0]
    found = next((tab for tab in tabs if tab.kind == kind), None)
    if found is None:  # a ranking the set does not define
        raise NoSuchRanking(kind)
    return found


def _tab_page(current: RankingTab, number: int, pages: int, *, per_page: int, shown: int) -> Page:
    """Where the page stands in the chosen ranking, for the pager (organizer's and public)."""
    return Page(
        kind=current.kind,
        label=current.label,
        number=number,
        pages=pages,
        total=current.total,
        per_page=per_page,
        shown=shown,
        parameter=PAGE_PARAM,
    )


def ranking_page(
    *, campaign: Campaign, stage: str, kind: str | None = None, page: str | None = None
) -> RankingPage:
    """One page of one ranking of a stage (the DTI unless ``kind`` says): 2 queries, 3 for
    the DTI (its bands).

    ``NoSuchRanking`` when ``kind`` names no ranking of the stage (with nothing
    computed at the stage, a known ranking has an empty page). ``page`` is the
    page asked for: anything that is not a page number gives the first page, a
    number past the end the last one. The places are those of
    ``rankings_by_kind`` (ranked among every unit shown, not within the page).
    """
    shown = reached(Ranking.objects.filter(campaign=campaign, stage=stage), stage)
    counts, computed = {}, []
    for row in shown.order_by().values("kind").annotate(n=Count("pk"), at=Min("computed_at")):
        counts[row["kind"]] = row["n"]
        computed.append(row["at"])
    tabs = _tabs(counts)
    current = _chosen(tabs, kind)
    if current is None:
        return RankingPage(rankings=[], current=None, entries=[], page=None, computed_at=None)
    number, pages = page_number(page, total=current.total, per_page=ORGANIZER_PAGE_ROWS)
    start = (number - 1) * ORGANIZER_PAGE_ROWS
    # One query: the place of every row of the ranking (a window over all of them), then
    # the page's rows, as plain values (no model instances: a page is 100 rows).
    entries = [
        RankingRow(rank=place, value=value, unit_name=name, assessment_id=assessment_id)
        for place, value, name, assessment_id in shown.filter(kind=current.kind)
        .annotate(place=Window(Rank(), order_by=F("value").desc()))
        .order_by(F("value").desc(), "assessment__unit__name", "pk")
        .values_list("place", "value", "assessment__unit__name", "assessment_id")[
            start : start + ORGANIZER_PAGE_ROWS
        ]
    ]
    if current.kind == RankingKind.DTI:
        # The DTI shows each unit's band: one more query, for the page's rows only (as a
        # subquery of the one above PostgreSQL would look up every row before the page).
        bands = dict(
            ScoreSummary.objects.filter(
                campaign=campaign, stage=stage, assessment_id__in=[e.assessment_id for e in entries]
            ).values_list("assessment_id", "band__name")
        )
        for entry in entries:
            entry.band_name = bands.get(entry.assessment_id) or ""
    return RankingPage(
        rankings=tabs,
        current=current,
        entries=entries,
        page=_tab_page(current, number, pages, per_page=ORGANIZER_PAGE_ROWS, shown=len(entries)),
        computed_at=min(computed),
    )


# --- one unit -----------------------------------------------------------------------


@dataclass
class UnitResult:
    """A unit's result at one stage: summary, pillars, sub-indices and its ranks."""

    summary: ScoreSummary
    pillars: list[PillarScore] = field(default_factory=list)
    sub_indices: list[SubIndexScore] = field(default_factory=list)
    ranks: dict[str, Ranking] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        return self.summary.stage


def unit_results(*, assessment: Assessment) -> list[UnitResult]:
    """The unit's results at each computed stage, in stage order: 4 queries."""
    # By (campaign, stage, unit …), the start of each table's unique constraint: the
    # result tables have no index on the unit alone (rankings.models, DERIVED).
    unit = {
        "campaign_id": assessment.campaign_id,
        "stage__in": Stage.values,
        "assessment": assessment,
    }
    summaries = ScoreSummary.objects.filter(**unit).select_related("band")
    results = {summary.stage: UnitResult(summary) for summary in summaries}
    for row in (
        PillarScore.objects.filter(**unit)
        .select_related("pillar")
        .order_by("pillar__order", "pillar__code")
    ):
        if row.stage in results:
            results[row.stage].pillars.append(row)
    for row in (
        SubIndexScore.objects.filter(**unit)
        .select_related("sub_index")
        .order_by("sub_index__order", "sub_index__code")
    ):
        if row.stage in results:
            results[row.stage].sub_indices.append(row)
    for row in Ranking.objects.filter(**unit, kind__in=RankingKind.values):
        if row.stage in results:
            results[row.stage].ranks[row.kind] = row
    return [results[stage] for stage in Stage.values if stage in results]


def unit_result(*, assessment: Assessment, stage: str) -> UnitResult | None:
    """The unit's result at ``stage``, or None if not computed yet."""
    return next((r for r in unit_results(assessment=assessment) if r.stage == stage), None)


# --- computations -----------------------------------------------------------------


def ranking_runs(*, campaign: Campaign, limit: int = 20) -> list[RankingRun]:
    """The campaign's latest computations, newest first: 1 query."""
    return list(RankingRun.objects.filter(campaign=campaign)[:limit])


def latest_run(*, campaign: Campaign) -> RankingRun | None:
    return RankingRun.objects.filter(campaign=campaign).first()


# --- publication --------------------------------------------------------------------

APPRAISED = (AssessmentState.APPRAISED_2, AssessmentState.PUBLISHED)


def _changed_since(campaign: Campaign, at) -> bool:
    """Whether anything that could alter the final results changed at or after ``at``.

    An appraisal saved; a unit reaching Appraised-2 (this also covers an
    appraisal whose transaction was still open while the rankings were
    computed: a unit reaches Appraised-2 only once its appraisals are
    committed); a unit added to or removed from the campaign.
    """
    return (
        # Through the council's members (an appraisal's member sits on the council of its
        # response's campaign): an index probe each, whatever other campaigns do.
        Appraisal.objects.filter(member__council__campaign=campaign, updated_at__gte=at).exists()
        or AssessmentTransition.objects.filter(
            assessment__campaign=campaign, to_state=AssessmentState.APPRAISED_2, at__gte=at
        ).exists()
        or Assessment.objects.filter(campaign=campaign, created_at__gte=at).exists()
        or Assessment.history.filter(
            campaign_id=campaign.pk, history_type="-", history_date__gte=at
        ).exists()
    )


def rankings_not_ready(campaign: Campaign) -> list[str]:
    """Why the final rankings cannot be published yet (empty: they can): at most 5 queries.

    The ``rankings_not_ready`` hook of ``assessments.selectors``: every unit
    needs a final result computed after the last change that could alter it
    (``_changed_since``). Whether every unit is appraised in round 2 is the
    guard's own check (``Assessment.publish_problems``), not repeated here.
    """
    computed = ScoreSummary.objects.filter(campaign=campaign, stage=Stage.FINAL).aggregate(
        units=Count("pk"), at=Min("computed_at")
    )
    if not computed["units"]:
        return [gettext("The rankings have not been computed yet.")]
    if _changed_since(campaign, computed["at"]):
        return [
            gettext(
                "The rankings are out of date: appraisals or units changed after they were "
                "computed. Compute them again."
            )
        ]
    return []


def is_ready_for_publication(campaign: Campaign) -> bool:
    """Every unit appraised in round 2 (or published) and the final rankings up to date."""
    units = Assessment.objects.filter(campaign=campaign).aggregate(
        all=Count("pk"), behind=Count("pk", filter=~Q(state__in=APPRAISED))
    )
    if not units["all"] or units["behind"]:
        return False
    return not rankings_not_ready(campaign)


# --- what is published (the public pages read only this) ------------------------------


def latest_publications() -> list[Publication]:
    """The newest version of every published campaign, newest year first: 1 query."""
    newest = Publication.objects.filter(campaign=OuterRef("campaign")).order_by("-version")
    return list(
        Publication.objects.filter(pk=Subquery(newest.values("pk")[:1]))
        .select_related("campaign__organizing_unit", "campaign__indicator_set")
        .order_by("-campaign__year", "campaign__name")
    )


def publication_of(*, campaign_id: int, version: int | None = None) -> Publication | None:
    """A version of a campaign's publication (default: the newest), or None: 1 query."""
    found = (
        Publication.objects.filter(campaign_id=campaign_id)
        .select_related("campaign__organizing_unit", "campaign__indicator_set", "published_by")
        .order_by("-version")
    )
    if version is not None:
        found = found.filter(version=version)
    return found.first()


def publication_versions(*, campaign_id: int) -> list[Publication]:
    return list(Publication.objects.filter(campaign_id=campaign_id).order_by("version"))


PUBLISHED_KINDS = [
    (RankingKind.DTI, "dti"),
    (RankingKind.DIGITAL_GOVERNMENT, "cqs"),
    (RankingKind.DIGITAL_ECONOMY, "kts"),
    (RankingKind.DIGITAL_SOCIETY, "xhs"),
]


@dataclass(frozen=True)
class PublishedTable:
    kind: str
    label: str
    rows: list  # (rank, value, result), by rank then unit name


def published_tables(*, publication: Publication) -> list[PublishedTable]:
    """The four published rankings (those the set defines), each by rank: 1 query."""
    results = list(publication.results.all())
    tables = []
    for kind, prefix in PUBLISHED_KINDS:
        rows = [
            (getattr(r, f"{prefix}_rank"), getattr(r, f"{prefix}_value"), r)
            for r in results
            if getattr(r, f"{prefix}_rank") is not None
        ]
        if rows:
            rows.sort(key=lambda row: (row[0], row[2].unit_name))
            tables.append(PublishedTable(kind=kind, label=RankingKind(kind).label, rows=rows))
    return tables


PUBLIC_PAGE_ROWS = 100


@dataclass
class PublishedRow:
    """One row of a published ranking, with only what the public page shows."""

    rank: int
    value: Decimal | None
    unit_name: str
    assessment_id: int
    band_name: str
    url: str = ""  # the unit's public scorecard (the view's)


@dataclass(frozen=True)
class PublishedRankingPage:
    """One page of one published ranking, and the other rankings to choose."""

    rankings: list[RankingTab]  # every published ranking, in the order of ``RankingKind``
    current: RankingTab | None  # None: the publication ranks nothing
    rows: list[PublishedRow]  # by rank, then unit name
    page: Page | None


def published_ranking_page(
    *, publication: Publication, kind: str | None = None, page: str | None = None
) -> PublishedRankingPage:
    """One page of one published ranking (the DTI unless ``kind`` says): 2 queries.

    ``NoSuchRanking`` when ``kind`` names no ranking of the publication.
    ``page`` is the page asked for: anything that is not a page number gives
    the first page, a number past the end the last one. A country has 10,000
    rows a ranking.
    """
    counts = publication.results.aggregate(
        **{prefix: Count(f"{prefix}_rank") for _kind, prefix in PUBLISHED_KINDS}
    )
    prefix_of = dict(PUBLISHED_KINDS)
    tabs = _tabs({kind: counts[prefix] for kind, prefix in PUBLISHED_KINDS})
    current = _chosen(tabs, kind)
    if current is None:
        return PublishedRankingPage(rankings=[], current=None, rows=[], page=None)
    prefix = prefix_of[current.kind]
    number, pages = page_number(page, total=current.total, per_page=PUBLIC_PAGE_ROWS)
    start = (number - 1) * PUBLIC_PAGE_ROWS
    # Only the columns shown: each row also holds its scorecard (JSON, about 1 KB a unit).
    found = (
        publication.results.filter(**{f"{prefix}_rank__isnull": False})
        .order_by(f"{prefix}_rank", "unit_name", "pk")
        .values_list(f"{prefix}_rank", f"{prefix}_value", "unit_name", "assessment_id", "band_name")
    )[start : start + PUBLIC_PAGE_ROWS]
    rows = [PublishedRow(*row) for row in found]
    return PublishedRankingPage(
        rankings=tabs,
        current=current,
        rows=rows,
        page=_tab_page(current, number, pages, per_page=PUBLIC_PAGE_ROWS, shown=len(rows)),
    )


def published_result(*, publication: Publication, assessment_id: int) -> PublishedResult | None:
    return (
        PublishedResult.objects.filter(publication=publication, assessment_id=assessment_id)
        .select_related("assessment__unit")
        .first()
    )


def pillar_averages(*, publication: Publication) -> dict[str, Decimal]:
    """Each pillar's average value over the published units (rounded half up, 2 places)."""
    sums, counts = defaultdict(Decimal), defaultdict(int)
    for pillars in publication.results.values_list("pillars", flat=True):
        for pillar in pillars:
            if pillar["value"] is not None:
                sums[pillar["code"]] += Decimal(pillar["value"])
                counts[pillar["code"]] += 1
    return {
        code: (sums[code] / counts[code]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for code in sums
    }


@dataclass(frozen=True)
class YearResult:
    year: int
    campaign_id: int
    campaign_name: str
    dti_value: Decimal | None
    dti_rank: int | None
    change: Decimal | None  # against the year before, in percentage points


def unit_years(*, unit_id: int) -> list[YearResult]:
    """The unit's published DTI value per year (newest version of each campaign): 1 query."""
    newest = Publication.objects.filter(campaign=OuterRef("publication__campaign")).order_by(
        "-version"
    )
    rows = (
        PublishedResult.objects.filter(
            assessment__unit_id=unit_id, publication_id=Subquery(newest.values("pk")[:1])
        )
        .select_related("publication__campaign")
        .order_by("publication__campaign__year", "publication__campaign_id")
    )
    years, previous = [], None
    for row in rows:
        value = row.dti_value
        change = value - previous if value is not None and previous is not None else None
        campaign = row.publication.campaign
        years.append(
            YearResult(campaign.year, campaign.pk, campaign.name, value, row.dti_rank, change)
        )
        previous = value
    return years


@dataclass(frozen=True)
class PillarAgainstAverage:
    code: str
    name: str
    value: Decimal | None
    average: Decimal | None

    @property
    def above(self) -> bool:
        return None not in (self.value, self.average) and self.value > self.average

    @property
    def below(self) -> bool:
        return None not in (self.value, self.average) and self.value < self.average


def pillars_against_average(
    *, result: PublishedResult, averages: dict[str, Decimal]
) -> list[PillarAgainstAverage]:
    """The unit's pillars beside the campaign's averages: its strengths are above, its
    weaknesses below."""
    return [
        PillarAgainstAverage(
            code=pillar["code"],
            name=pillar["name"],
            value=Decimal(pillar["value"]) if pillar["value"] is not None else None,
            average=averages.get(pillar["code"]),
        )
        for pillar in result.pillars
    ]


# --- the organizer's dashboard (each read one aggregate query) ---------------------------

BIN_WIDTH = 10  # percentage points per column of the DTI histogram
BINS = 10
WHOLE = 10**VALUE_PLACES  # stored percentages as whole ten-thousandths (sql.scaled)


def _mean(total, count, places: int = 2) -> Decimal | None:
    if not count:
        return None
    value = Decimal(total) / WHOLE / count
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def dti_distribution(*, campaign: Campaign, stage: str = Stage.FINAL) -> list[int]:
    """Units per 10-point bin of the DTI value (0–10, …, 90–100 and above): 1 query.

    Exact on both databases: the bin is a division of whole numbers.
    """
    bin_of = ExpressionWrapper(
        scaled(F("value"), VALUE_PLACES) / Value(BIN_WIDTH * WHOLE),
        output_field=BigIntegerField(),
    )
    rows = (
        reached(ScoreSummary.objects.filter(campaign=campaign, stage=stage), stage)
        .filter(value__isnull=False)
        .annotate(bin=Least(bin_of, Value(BINS - 1)))
        .order_by()
        .values("bin")
        .annotate(units=Count("pk"))
        .values_list("bin", "units")
    )
    counts = [0] * BINS
    for bin_, units in rows:
        counts[max(0, int(bin_))] += units
    return counts


def dti_overview(*, campaign: Campaign, stage: str = Stage.FINAL) -> dict:
    """Units with a value, the average (2 places, half up), lowest and highest: 1 query."""
    found = (
        reached(ScoreSummary.objects.filter(campaign=campaign, stage=stage), stage).filter(
            value__isnull=False
        )
    ).aggregate(
        units=Count("pk"),
        total=Sum(scaled(F("value"), VALUE_PLACES)),
        lowest=Min("value"),
        highest=Max("value"),
    )
    return {**found, "average": _mean(found["total"], found["units"])}


@dataclass(frozen=True)
class PillarAverage:
    code: str
    name: str
    units: int
    average: Decimal | None


def final_pillar_averages(*, campaign: Campaign, stage: str = Stage.FINAL) -> list[PillarAverage]:
    """Each pillar's average value over the units at ``stage``, in the set's order: 1 query."""
    rows = (
        reached(PillarScore.objects.filter(campaign=campaign, stage=stage), stage)
        .filter(value__isnull=False)
        .order_by()
        .values("pillar_id", "pillar__code", "pillar__name", "pillar__order")
        .annotate(units=Count("pk"), total=Sum(scaled(F("value"), VALUE_PLACES)))
        .order_by("pillar__order", "pillar__code")
    )
    return [
        PillarAverage(
            row["pillar__code"],
            row["pillar__name"],
            row["units"],
            _mean(row["total"], row["units"]),
        )
        for row in rows
    ]


def units_by_state(*, campaign: Campaign) -> list[tuple[str, str, int]]:
    """(state, label, units) for every state, in the state machine's order: 1 query."""
    counts = dict(
        Assessment.objects.filter(campaign=campaign)
        .order_by()
        .values("state")
        .annotate(units=Count("pk"))
        .values_list("state", "units")
    )
    return [(state.value, state.label, counts.get(state.value, 0)) for state in AssessmentState]


# --- where the published figures came from (the workbook's "Nguồn số liệu") ---------


@dataclass(frozen=True)
class InputSourceRow:
    """One figure of a published unit: an indicator's inputs or a general-information value."""

    assessment_id: int
    code: str
    name: str
    figure: str  # the unit's figure in words ("" when the unit has none)
    provenance: object  # assessments.provenance.Provenance
    provided_text: str = ""  # the agency's figure in words, when it differs
    is_general_info: bool = False


def input_sources(*, publication) -> list[InputSourceRow]:
    """Where each figure of the published units came from: 5 queries, whatever the units.

    Every answered or provided indicator (its inputs) and general-information
    figure, typed, imported from an agency's sheet or provided (which agency,
    who, when), with the figure provided beside the unit's when they differ,
    and the unit's reason. The public workbook prints the agency, never the
    person. Unit by unit as the assessments are now (a published unit's
    figures are locked).
    """
    from types import SimpleNamespace

    from assessments import provenance
    from assessments.models import Response, User
    from indicators.models import GeneralInfoField, natural_key
    from providers.models import ProvidedFigure
    from providers.provenance import provided_of, with_provided

    ids = publication.results.values("assessment_id")
    responses = with_provided(
        Response.objects.filter(assessment_id__in=ids), usernames=False
    ).values(
        "assessment_id",
        "indicator__code",
        "indicator__name",
        "indicator__method",
        "indicator__rule",
        "inputs",
        "self_score",
        "inputs_source",
        "inputs_agency__name",
        "provided_change_note",
        "updated_at",
        "updated_by__full_name",
        "provided_value",
        "provided_agency",
        "provided_by_name",
        "provided_at",
    )
    rows = []
    for row in responses:
        indicator = SimpleNamespace(method=row["indicator__method"], rule=row["indicator__rule"])
        found = provenance.build(
            source=row["inputs_source"],
            inputs=row["inputs"],
            agency=row["inputs_agency__name"] or "",
            by=row["updated_by__full_name"] or "",
            at=row["updated_at"],
            note=row["provided_change_note"],
            provided=provided_of(row),
            entered=bool(row["inputs"]) or row["self_score"] is not None,
        )
        if not (found.entered or found.provided):
            continue
        rows.append(
            InputSourceRow(
                assessment_id=row["assessment_id"],
                code=row["indicator__code"],
                name=row["indicator__name"],
                figure=provenance.inputs_text(indicator, row["inputs"]) if row["inputs"] else "",
                provenance=found,
                provided_text=(
                    provenance.inputs_text(indicator, found.provided.value) if found.differs else ""
                ),
            )
        )

    fields = {
        field.code: field
        for field in GeneralInfoField.objects.filter(
            indicator_set_id=publication.campaign.indicator_set_id
        )
    }
    provided, provided_codes = {}, defaultdict(set)
    for figure in (
        ProvidedFigure.objects.filter(assessment_id__in=ids, assignment__info_field__isnull=False)
        .order_by("provided_at", "pk")
        .values(
            "assessment_id",
            "assignment__info_field__code",
            "value",
            "assignment__agency__name",
            "provided_by__full_name",
            "provided_at",
        )
    ):
        provided_codes[figure["assessment_id"]].add(figure["assignment__info_field__code"])
        provided[(figure["assessment_id"], figure["assignment__info_field__code"])] = (
            provenance.ProvidedValue(
                value=dict(figure["value"] or {}),
                agency=figure["assignment__agency__name"],
                by=figure["provided_by__full_name"] or "",
                at=figure["provided_at"],
            )
        )
    infos = list(
        Assessment.objects.filter(pk__in=ids)
        .order_by()
        .values("pk", "general_info", "general_info_provenance")
    )
    by_ids = {
        entry.get("by_id")
        for info in infos
        for entry in (info["general_info_provenance"] or {}).values()
        if isinstance(entry, Mapping) and entry.get("by_id")
    }
    full_names = dict(User.objects.filter(pk__in=by_ids).values_list("pk", "full_name"))
    for info in infos:
        values, known = info["general_info"] or {}, info["general_info_provenance"] or {}
        for code in sorted(set(values) | provided_codes[info["pk"]]):
            field = fields.get(code)
            entry = dict(known.get(code) or {})
            entry["by"] = full_names.get(entry.get("by_id"), "")  # never a user name
            figure = provided.get((info["pk"], code))
            found = provenance.of_general_info(entry, values.get(code), provided=figure)
            if found is None:
                continue
            number = field is not None and field.kind == GeneralInfoField.Kind.NUMBER

            def words(value, number=number):
                return provenance.general_info_text(value, number=number)

            rows.append(
                InputSourceRow(
                    assessment_id=info["pk"],
                    code=code,
                    name=field.name if field else code,
                    figure=words(values.get(code)) if found.entered else "",
                    provenance=found,
                    provided_text=words(figure.value.get("value")) if found.differs else "",
                    is_general_info=True,
                )
            )
    return sorted(rows, key=lambda r: (r.assessment_id, not r.is_general_info, natural_key(r.code)))
