"""Reads on campaigns, assessments and responses, shaped for services and pages.

Everything over many units is one set-based query (aggregates, subqueries),
never a query per unit: a province's campaign has thousands of responses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from dti.paging import Page, page_number
from indicators.models import Indicator, natural_key

from . import provenance
from .models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    DepartmentAssignment,
    Evidence,
    EvidencePhase,
    InputSource,
    Phase,
    PhaseKind,
    Response,
    Role,
    User,
)
from .permissions import is_department_officer_of, is_unit_officer_of

# --- what the later apps (councils, rankings) will answer ---------------------


def _no_appraisals_yet(assessment: Assessment) -> list[str]:
    # Without the councils app no indicator has a round-1 score.
    codes = Indicator.objects.filter(
        pillar__indicator_set_id=assessment.campaign.indicator_set_id
    ).values_list("code", flat=True)
    return sorted(codes, key=natural_key)


def _nothing_disputed(assessment: Assessment) -> list[str]:
    return []


def _rankings_not_computed(campaign: Campaign) -> list[str]:
    return [gettext("The rankings have not been computed yet.")]


def _nothing_provided(assessment_id: int, *, indicator_id=None, code=None):
    return None


def _no_figures(*, assessment: Assessment) -> dict:
    return {}


@dataclass
class LaterAppHooks:
    """Answers the assessment guards need from apps that come later.

    The councils app sets ``round_one_missing`` (codes of indicators without a
    round-1 score from their assigned member) and ``round_two_missing`` (codes
    of disputed indicators not re-appraised) in its ``AppConfig.ready()``; the
    rankings app sets ``rankings_not_ready`` (messages; empty when the
    campaign's rankings are computed). Until then the defaults answer
    honestly: nothing is appraised, nothing disputed, no ranking computed.
    Tests replace them with fakes (``monkeypatch.setattr(hooks, ...)``).
    """

    round_one_missing: Callable[[Assessment], list[str]] = _no_appraisals_yet
    round_two_missing: Callable[[Assessment], list[str]] = _nothing_disputed
    rankings_not_ready: Callable[[Campaign], list[str]] = _rankings_not_computed
    # The providers app answers with the latest ``ProvidedFigure`` for one
    # indicator (``indicator_id``) or general-information field (``code``) of
    # an assessment, or None; by default no agency provides anything.
    provided_figure: Callable[..., Any] = _nothing_provided
    # ... and with every figure provided for one assessment, in one query, keyed
    # ``("indicator", code)`` or ``("field", code)`` (the unit's page).
    provided_figures: Callable[..., dict] = _no_figures


hooks = LaterAppHooks()


def councils_ready_for_round_one_close(assessment: Assessment) -> list[str]:
    """Codes of the indicators still missing a round-1 score (empty: round 1 may close)."""
    return list(hooks.round_one_missing(assessment))


def councils_ready_for_round_two_close(assessment: Assessment) -> list[str]:
    """Codes of the disputed indicators not re-appraised yet (empty: round 2 may close)."""
    return list(hooks.round_two_missing(assessment))


def rankings_ready_for_publication(campaign: Campaign) -> list[str]:
    return list(hooks.rankings_not_ready(campaign))


# --- units and campaigns -------------------------------------------------------


def default_units(*, organizing_unit: AdministrativeUnit, tier: str) -> QuerySet:
    """The active units under the organizer at the set's tier, with or without districts."""
    return AdministrativeUnit.objects.descendants_of(organizing_unit).filter(
        level=tier, is_active=True
    )


@dataclass(frozen=True)
class Missing:
    """What keeps a self-assessment from being submitted (indicator codes)."""

    unanswered: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.unanswered and not self.evidence


def _missing_evidence(responses: QuerySet) -> QuerySet:
    """Responses whose indicator requires evidence and that have none from the self-assessment."""
    return responses.filter(indicator__evidence_mandatory=True).exclude(
        Exists(Evidence.objects.filter(response=OuterRef("pk"), phase=EvidencePhase.SELF))
    )


def missing_by_assessment(*, assessments: QuerySet) -> dict[int, Missing]:
    """Unanswered indicators and missing required evidence of many assessments, in 2 queries."""
    responses = Response.objects.filter(assessment__in=assessments.values("pk"))
    unanswered = defaultdict(list)
    for assessment_id, code in responses.filter(self_score__isnull=True).values_list(
        "assessment_id", "indicator__code"
    ):
        unanswered[assessment_id].append(code)
    evidence = defaultdict(list)
    for assessment_id, code in _missing_evidence(responses).values_list(
        "assessment_id", "indicator__code"
    ):
        evidence[assessment_id].append(code)
    return {
        pk: Missing(
            unanswered=sorted(unanswered[pk], key=natural_key),
            evidence=sorted(evidence[pk], key=natural_key),
        )
        for pk in set(unanswered) | set(evidence)
    }


def assessment_progress(*, assessment: Assessment) -> tuple[Missing, int]:
    """What keeps one self-assessment from being submitted, and its number of indicators:
    1 query (its responses, each with whether it has its required evidence)."""
    rows = (
        Response.objects.filter(assessment=assessment)
        .annotate(
            evidenced=Exists(
                Evidence.objects.filter(response=OuterRef("pk"), phase=EvidencePhase.SELF)
            )
        )
        .values_list("indicator__code", "self_score", "indicator__evidence_mandatory", "evidenced")
    )
    unanswered, evidence, total = [], [], 0
    for code, score, mandatory, evidenced in rows:
        total += 1
        if score is None:
            unanswered.append(code)
        if mandatory and not evidenced:
            evidence.append(code)
    missing = Missing(
        unanswered=sorted(unanswered, key=natural_key), evidence=sorted(evidence, key=natural_key)
    )
    return missing, total


def assessment_missing(*, assessment: Assessment) -> Missing:
    return assessment_progress(assessment=assessment)[0]


@dataclass(frozen=True)
class UnitProgress:
    assessment_id: int
    unit_id: int
    unit_name: str
    state: str
    answered: int
    total: int
    missing_evidence: int
    late: bool

    @property
    def state_label(self) -> str:
        return AssessmentState(self.state).label


CAMPAIGN_PAGE_ROWS = 100
CAMPAIGN_PAGE_PARAMETER = "trang"


@dataclass(frozen=True)
class CampaignProgress:
    """The campaign's counts (every unit) and one page of its units (the filters kept)."""

    by_state: dict[str, int]
    units: list[UnitProgress]  # one page, by unit name
    deadline: datetime | None
    total_units: int = 0  # every unit of the campaign
    late_count: int = 0  # every late unit of the campaign
    page: Page | None = None  # where ``units`` stand among the units the filters keep

    @property
    def late_units(self) -> list[UnitProgress]:
        """The late units of this page (``late_count`` counts every one)."""
        return [unit for unit in self.units if unit.late]


NOT_CONFIRMED = (AssessmentState.OPEN, AssessmentState.SELF_ASSESSED)


def _late_condition(deadline: datetime | None, now: datetime) -> Q | None:
    """The units late at ``now``, as a condition (None: no unit can be late yet).

    The rule of ``campaign_progress``'s ``late``: a unit's own deadline is the
    later of the campaign's and its extension.
    """
    if deadline is not None and now < deadline:
        return None
    if deadline is None:
        passed = Q(extended_until__isnull=False, extended_until__lte=now)
    else:
        passed = Q(extended_until__isnull=True) | Q(extended_until__lte=now)
    return Q(state__in=NOT_CONFIRMED) & passed


def campaign_progress(
    *,
    campaign: Campaign,
    now: datetime | None = None,
    page: str | None = None,
    state: str | None = None,
    late: bool = False,
    name: str = "",
) -> CampaignProgress:
    """Units per state and late (every unit), and one page of units: 4 queries.

    Each unit of the page with its answered / total, missing evidence and
    lateness. ``state``, ``late`` and ``name`` (part of the unit's name) keep
    some units only; ``page`` is the page asked for (``CAMPAIGN_PAGE_ROWS`` a
    page, by unit name). A unit is late when its self-assessment deadline (the
    closing time, grace not counted, or its extension) has passed and its
    leader has not confirmed.
    """
    now = now or timezone.now()
    deadline = (
        Phase.objects.filter(campaign=campaign, kind=PhaseKind.SELF_ASSESSMENT)
        .values_list("closes_at", flat=True)
        .first()
    )
    total = Indicator.objects.filter(pillar__indicator_set_id=campaign.indicator_set_id).count()
    late_condition = _late_condition(deadline, now)
    kept = []
    if state in AssessmentState.values:
        kept.append(Q(state=state))
    if late:
        # No unit can be late yet: nothing is kept.
        kept.append(late_condition if late_condition is not None else Q(pk__isnull=True))
    if name:
        kept.append(Q(unit__name__icontains=name))
    assessments = Assessment.objects.filter(campaign=campaign)
    counts = {f"in_{value}": Count("pk", filter=Q(state=value)) for value in AssessmentState.values}
    counts["_all"] = Count("pk")
    if late_condition is not None:
        counts["_late"] = Count("pk", filter=late_condition)
    if kept:
        counts["_kept"] = Count("pk", filter=Q(*kept))
    found = assessments.aggregate(**counts)
    total_units = found.pop("_all")
    late_count = found.pop("_late", 0)
    kept_count = found.pop("_kept", total_units)
    number, pages = page_number(page, total=kept_count, per_page=CAMPAIGN_PAGE_ROWS)
    start = (number - 1) * CAMPAIGN_PAGE_ROWS

    missing_evidence = (
        _missing_evidence(Response.objects.filter(assessment=OuterRef("pk")))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    answered = (
        Response.objects.filter(assessment=OuterRef("pk"), self_score__isnull=False)
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Two subqueries per unit of the page, no join: a join with the responses would group
    # by them and run the evidence subquery once per response (80 times too often). The
    # page's units are chosen first: counted before the OFFSET, the last page of 3,321
    # units ran both subqueries for every unit (0.4–0.6 s).
    page_ids = (
        assessments.filter(*kept)
        .order_by("unit__name", "pk")
        .values("pk")[start : start + CAMPAIGN_PAGE_ROWS]
    )
    rows = (
        assessments.filter(pk__in=page_ids)
        .annotate(
            answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
            missing_evidence=Coalesce(Subquery(missing_evidence, output_field=IntegerField()), 0),
        )
        .order_by("unit__name", "pk")
        .values(
            "pk", "unit_id", "unit__name", "state", "answered", "missing_evidence", "extended_until"
        )
    )

    def is_late(row) -> bool:
        # An administrator's extension moves this unit's own deadline.
        own = max((t for t in (deadline, row["extended_until"]) if t is not None), default=None)
        return own is not None and now >= own and row["state"] in NOT_CONFIRMED

    units = [
        UnitProgress(
            assessment_id=row["pk"],
            unit_id=row["unit_id"],
            unit_name=row["unit__name"],
            state=row["state"],
            answered=row["answered"],
            total=total,
            missing_evidence=row["missing_evidence"],
            late=is_late(row),
        )
        for row in rows
    ]
    return CampaignProgress(
        by_state={value: found[f"in_{value}"] for value in AssessmentState.values},
        units=units,
        deadline=deadline,
        total_units=total_units,
        late_count=late_count,
        page=Page(
            kind="units",
            label=gettext("Assessed units"),
            number=number,
            pages=pages,
            total=kept_count,
            per_page=CAMPAIGN_PAGE_ROWS,
            shown=len(units),
            parameter=CAMPAIGN_PAGE_PARAMETER,
        ),
    )


# --- assessments and responses -------------------------------------------------


def editable_indicator_ids(*, user, assessment: Assessment) -> frozenset[int] | None:
    """Indicators ``user`` may edit in ``assessment``: None means all, else the assigned ones.

    The same rule as ``permissions.can_edit_response``, for a whole page in one query.
    """
    if is_unit_officer_of(user, assessment):
        return None
    if not is_department_officer_of(user, assessment):
        return frozenset()
    return frozenset(
        DepartmentAssignment.objects.filter(
            campaign_id=assessment.campaign_id, agency_id=user.agency_id
        ).values_list("indicator_id", flat=True)
    )


def assessment_transitions(*, assessment: Assessment) -> QuerySet:
    return AssessmentTransition.objects.filter(assessment=assessment).select_related("by")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: Any
    what: str  # "inputs", "self_score", "note", "provided_change_note", "source" or "evidence"
    before: Any
    after: Any
    # How the version's inputs came (typed, imported, provided), from which agency, and
    # the unit's reason for changing a provided figure; empty for evidence.
    source: str = ""
    agency: str = ""
    change_note: str = ""

    @property
    def source_label(self) -> str:
        return str(InputSource(self.source).label) if self.source else ""


RESPONSE_FIELDS = ("inputs", "self_score", "note", "provided_change_note")
BLANK_RESPONSE = {
    "inputs": {},
    "self_score": None,
    "note": "",
    "provided_change_note": "",
    "source": ("typed", None),
}


def response_history(*, response: Response) -> list[HistoryEntry]:
    """Every change of the response's inputs, score, note and evidence, oldest first: 2 queries.

    Each change says how that version's inputs came (typed, imported from an
    agency's sheet, provided by an agency) and the unit's reason for changing a
    provided figure; a version that only changed where the inputs came from (the
    unit kept an agency's figure) is a "source" change. Responses are created
    blank in bulk, so the first change is compared with a blank response.
    """
    entries = []
    previous = BLANK_RESPONSE
    records = response.history.select_related("history_user", "inputs_agency").order_by(
        "history_date", "history_id"
    )
    for record in records:
        agency = record.inputs_agency.name if record.inputs_agency_id else ""
        current = {name: getattr(record, name) for name in RESPONSE_FIELDS}
        current["source"] = (record.inputs_source, agency or None)
        version = {
            "source": record.inputs_source,
            "agency": agency,
            "change_note": record.provided_change_note,
        }
        for name in RESPONSE_FIELDS:
            if current[name] != previous[name]:
                entries.append(
                    HistoryEntry(
                        at=record.history_date,
                        by=record.history_user,
                        what=name,
                        before=previous[name],
                        after=current[name],
                        **version,
                    )
                )
        if current["source"] != previous["source"] and current["inputs"] == previous["inputs"]:
            entries.append(
                HistoryEntry(
                    at=record.history_date,
                    by=record.history_user,
                    what="source",
                    before=_source_text(*previous["source"]),
                    after=_source_text(*current["source"]),
                    **version,
                )
            )
        previous = current
    evidence_records = (
        Evidence.history.filter(response_id=response.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record in evidence_records:
        if record.history_type == "+":
            before, after = None, str(record.instance)
        elif record.history_type == "-":
            before, after = str(record.instance), None
        else:
            continue
        entries.append(
            HistoryEntry(
                at=record.history_date,
                by=record.history_user,
                what="evidence",
                before=before,
                after=after,
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


def _source_text(source: str, agency: str | None) -> str:
    label = str(InputSource(source).label)
    return f"{label} ({agency})" if agency else label


def reminder_recipients(*, unit_ids) -> dict[int, list[str]]:
    """E-mail addresses of the officers and leaders acting for each unit, in 1 query."""
    people = (
        User.objects.filter(
            is_active=True,
            groups__name__in=[Role.UNIT_OFFICER, Role.UNIT_LEADER],
        )
        .filter(Q(unit_id__in=unit_ids, agency__isnull=True) | Q(agency__unit_id__in=unit_ids))
        .exclude(email="")
        .values_list("email", "unit_id", "agency__unit_id")
        .distinct()
    )
    found = defaultdict(set)
    for email, unit_id, agency_unit_id in people:
        found[unit_id or agency_unit_id].add(email)
    return {unit_id: sorted(emails) for unit_id, emails in found.items()}


# --- the organizer's pages and the home page ------------------------------------

# States at or after the leader's confirmation: the self-assessment is done.
CONFIRMED_OR_LATER = tuple(AssessmentState.values[AssessmentState.values.index("confirmed") :])


def campaigns_visible_to(user) -> QuerySet:
    """Campaigns whose page ``user`` may see: the queryset form of ``can_view_campaign``.

    Administrators see every campaign, organizers those of their own unit.
    Each row carries ``unit_count``, ``confirmed_count`` and ``count_<state>``
    for every state: one query for the whole list.
    """
    from .permissions import home_unit_id, is_administrator

    campaigns = Campaign.objects.select_related("organizing_unit", "indicator_set")
    if is_administrator(user):
        pass
    elif user.is_authenticated and user.is_active and user.has_role(Role.ORGANIZER):
        campaigns = campaigns.filter(organizing_unit_id=home_unit_id(user))
    else:
        return campaigns.none()
    counts = {
        f"count_{state}": Count("assessments", filter=Q(assessments__state=state))
        for state in AssessmentState.values
    }
    return campaigns.annotate(
        unit_count=Count("assessments"),
        confirmed_count=Count("assessments", filter=Q(assessments__state__in=CONFIRMED_OR_LATER)),
        **counts,
    ).order_by("-year", "name")


def campaign_indicator_sets(*, organizing_unit: AdministrativeUnit) -> QuerySet:
    """Active sets a campaign of ``organizing_unit`` may use: those of a tier it has units at."""
    from indicators.models import IndicatorSet, SetStatus

    levels = (
        AdministrativeUnit.objects.descendants_of(organizing_unit)
        .filter(is_active=True)
        .values("level")
    )
    return IndicatorSet.objects.filter(status=SetStatus.ACTIVE, tier__in=levels).order_by(
        "-year", "tier", "name"
    )


def candidate_units(*, organizing_unit: AdministrativeUnit) -> dict[str, list]:
    """Every unit a campaign of ``organizing_unit`` may assess, by level, in one query."""
    found = defaultdict(list)
    units = (
        AdministrativeUnit.objects.descendants_of(organizing_unit)
        .filter(is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    for unit in units:
        found[unit.level].append(unit)
    return dict(found)


@dataclass(frozen=True)
class UnitAssessment:
    """One assessment of a person's unit, as the home page lists it."""

    assessment_id: int
    campaign_name: str
    campaign_year: int
    unit_name: str
    state: str
    answered: int
    total: int
    missing_evidence: int
    closes_at: datetime | None

    @property
    def state_label(self) -> str:
        return AssessmentState(self.state).label


def unit_assessments(*, unit_id: int | None) -> list[UnitAssessment]:
    """The unit's assessments not yet published, with their progress: one query."""
    if unit_id is None:
        return []
    total = (
        Indicator.objects.filter(pillar__indicator_set_id=OuterRef("campaign__indicator_set_id"))
        .order_by()
        .values("pillar__indicator_set_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    missing_evidence = (
        _missing_evidence(Response.objects.filter(assessment=OuterRef("pk")))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    closes_at = Phase.objects.filter(
        campaign_id=OuterRef("campaign_id"), kind=PhaseKind.SELF_ASSESSMENT
    ).values("closes_at")[:1]
    rows = (
        Assessment.objects.filter(unit_id=unit_id)
        .exclude(state=AssessmentState.PUBLISHED)
        .annotate(
            answered=Count("responses", filter=Q(responses__self_score__isnull=False)),
            total=Coalesce(Subquery(total, output_field=IntegerField()), 0),
            missing_evidence=Coalesce(Subquery(missing_evidence, output_field=IntegerField()), 0),
            closes_at=Subquery(closes_at),
        )
        .order_by("-campaign__year", "campaign__name")
        .values(
            "pk",
            "campaign__name",
            "campaign__year",
            "unit__name",
            "state",
            "answered",
            "total",
            "missing_evidence",
            "closes_at",
            "extended_until",
        )
    )
    return [
        UnitAssessment(
            assessment_id=row["pk"],
            campaign_name=row["campaign__name"],
            campaign_year=row["campaign__year"],
            unit_name=row["unit__name"],
            state=row["state"],
            answered=row["answered"],
            total=row["total"],
            missing_evidence=row["missing_evidence"],
            # An administrator's extension moves this unit's deadline, not the campaign's.
            closes_at=max(
                (t for t in (row["closes_at"], row["extended_until"]) if t is not None),
                default=None,
            ),
        )
        for row in rows
    ]


def department_assignment_map(*, campaign: Campaign, unit_id: int) -> dict[int, int]:
    """``{indicator_id: agency_id}`` of the departments of ``unit_id`` in ``campaign``."""
    return dict(
        DepartmentAssignment.objects.filter(campaign=campaign, agency__unit_id=unit_id)
        .order_by("agency__name", "pk")
        .values_list("indicator_id", "agency_id")
    )


# --- the unit's self-assessment page ------------------------------------------------


def assessment_for_page() -> QuerySet:
    """Assessments with what every unit page reads: campaign, set, unit and the calendar."""
    return Assessment.objects.select_related(
        "campaign", "campaign__indicator_set", "unit"
    ).prefetch_related("campaign__phases")


@dataclass
class IndicatorCard:
    """One indicator of the page: the response, its evidence and what is still missing."""

    response: Response
    evidence: list[Evidence]
    unanswered: bool
    missing_evidence: bool
    editable: bool = False
    provenance: Any = None  # provenance.Provenance: typed, imported or provided; None: nothing yet

    @property
    def indicator(self) -> Indicator:
        return self.response.indicator

    @property
    def is_complete(self) -> bool:
        return not self.unanswered and not self.missing_evidence


@dataclass
class PillarCards:
    pillar: Any
    cards: list[IndicatorCard]


@dataclass
class GeneralInfoRow:
    field: Any
    value: Any
    provenance: Any = None  # provenance.Provenance, or None: nothing entered nor provided


@dataclass(frozen=True)
class PillarLink:
    """A pillar in the page's table of contents: where its cards are and how far along."""

    pillar: Any
    page: int  # the page (``?trang=``) that shows its cards; 0: none shown (filtered out)
    answered: int
    total: int
    incomplete: int  # cards unanswered or missing their required evidence


@dataclass
class AssessmentPage:
    general_info: list[GeneralInfoRow]
    general_info_names: dict[str, str]
    pillars: list[PillarCards]  # this page's pillars, with their cards
    missing: Missing
    total: int
    pillar_links: list[PillarLink] = field(default_factory=list)
    number: int = 1
    pages: int = 1

    @property
    def answered(self) -> int:
        return self.total - len(self.missing.unanswered)

    @property
    def previous_link(self) -> PillarLink | None:
        """The first pillar of the page before this one."""
        return next((link for link in self.pillar_links if link.page == self.number - 1), None)

    @property
    def next_link(self) -> PillarLink | None:
        """The first pillar of the page after this one."""
        return next((link for link in self.pillar_links if link.page == self.number + 1), None)


# Rendering the cards is most of the page's time (their forms, rules and
# evidence, about 5 ms a card): a page shows whole pillars, at most this many
# cards unless one pillar has more, so that the 81 indicators of a national set
# come one pillar (8–17 cards) at a time and a small set stays on one page.
# ``?trang=`` chooses the page.
CARDS_PER_PAGE = 12
PAGE_PARAMETER = "trang"


def _pillar_pages(rows: list[PillarCards], *, per_page: int) -> list[list[PillarCards]]:
    """Whole pillars in pages of at most ``per_page`` cards (a larger pillar: its own page)."""
    pages: list[list[PillarCards]] = []
    current: list[PillarCards] = []
    size = 0
    for row in rows:
        if current and size + len(row.cards) > per_page:
            pages.append(current)
            current, size = [], 0
        current.append(row)
        size += len(row.cards)
    if current:
        pages.append(current)
    return pages


def _cards(
    responses, evidence_by_response, missing: Missing, editable_ids, figures=None
) -> list[IndicatorCard]:
    unanswered, no_evidence = set(missing.unanswered), set(missing.evidence)
    figures = figures or {}
    return [
        IndicatorCard(
            response=response,
            evidence=evidence_by_response.get(response.pk, []),
            unanswered=response.indicator.code in unanswered,
            missing_evidence=response.indicator.code in no_evidence,
            editable=editable_ids is None or response.indicator_id in editable_ids,
            provenance=provenance.of_response(
                response, figures.get(("indicator", response.indicator.code))
            ),
        )
        for response in responses
    ]


def _responses_with_indicators() -> QuerySet:
    return Response.objects.select_related(
        "indicator", "indicator__pillar", "updated_by", "inputs_agency"
    )


def _evidence_by_response(response_filter: Q) -> dict[int, list[Evidence]]:
    found = defaultdict(list)
    for evidence in Evidence.objects.filter(response_filter).order_by("created_at", "pk"):
        found[evidence.response_id].append(evidence)
    return found


def assessment_page(
    *, assessment: Assessment, user, only_incomplete: bool = False, page: str | None = None
) -> AssessmentPage:
    """Everything the self-assessment page shows, in a constant number of queries.

    General information, one page of pillars (``page``, see ``CARDS_PER_PAGE``)
    with one card per indicator (response, evidence, what is missing), every
    pillar's progress and the whole progress. ``only_incomplete`` keeps the
    cards still unanswered or missing their required evidence.
    """
    from indicators.models import GeneralInfoField, Pillar

    set_id = assessment.campaign.indicator_set_id
    fields = list(GeneralInfoField.objects.filter(indicator_set_id=set_id))
    info = assessment.general_info or {}
    pillars = list(Pillar.objects.filter(indicator_set_id=set_id).select_related("group"))
    responses = list(
        _responses_with_indicators()
        .filter(assessment=assessment)
        .order_by("indicator__pillar__order", "indicator__pillar__code", "indicator__order")
    )
    responses.sort(
        key=lambda r: (r.indicator.pillar.order, r.indicator.order, natural_key(r.indicator.code))
    )
    evidence = _evidence_by_response(Q(response__assessment=assessment))
    missing = assessment_missing(assessment=assessment)
    editable_ids = editable_indicator_ids(user=user, assessment=assessment)
    # Every figure an agency provided for the unit, indicators and fields: one query.
    figures = hooks.provided_figures(assessment=assessment)
    cards = _cards(responses, evidence, missing, editable_ids, figures)
    every_card = defaultdict(list)
    for card in cards:
        every_card[card.indicator.pillar_id].append(card)
    shown = [
        PillarCards(
            pillar=pillar,
            cards=[c for c in every_card[pillar.pk] if not (only_incomplete and c.is_complete)],
        )
        for pillar in pillars
    ]
    pages = _pillar_pages([row for row in shown if row.cards], per_page=CARDS_PER_PAGE)
    number, _count = page_number(page, total=len(pages), per_page=1)
    page_of = {row.pillar.pk: n for n, rows in enumerate(pages, start=1) for row in rows}
    links = [
        PillarLink(
            pillar=pillar,
            page=page_of.get(pillar.pk, 0),
            answered=sum(not c.unanswered for c in every_card[pillar.pk]),
            total=len(every_card[pillar.pk]),
            incomplete=sum(not c.is_complete for c in every_card[pillar.pk]),
        )
        for pillar in pillars
        if every_card[pillar.pk]
    ]
    known = assessment.general_info_provenance or {}
    return AssessmentPage(
        general_info=[
            GeneralInfoRow(
                field=f,
                value=info.get(f.code),
                provenance=provenance.of_general_info(
                    known.get(f.code), info.get(f.code), figures.get(("field", f.code))
                ),
            )
            for f in fields
        ],
        general_info_names={f.code: f.name for f in fields},
        pillars=pages[number - 1] if pages else [],
        missing=missing,
        total=len(responses),
        pillar_links=links,
        number=number,
        pages=max(1, len(pages)),
    )


def indicator_card(
    *, assessment: Assessment, indicator_id: int, user, missing: Missing | None = None
) -> IndicatorCard:
    """One card again (after a save or an evidence change), in a constant number of queries.

    ``missing``: ``assessment_missing``'s answer, when the caller has it already."""
    response = _responses_with_indicators().get(assessment=assessment, indicator_id=indicator_id)
    response.assessment = assessment
    evidence = _evidence_by_response(Q(response=response))
    if missing is None:
        missing = assessment_missing(assessment=assessment)
    editable_ids = editable_indicator_ids(user=user, assessment=assessment)
    figure = hooks.provided_figure(assessment.pk, indicator_id=indicator_id)
    figures = {("indicator", response.indicator.code): figure} if figure else {}
    return _cards([response], evidence, missing, editable_ids, figures)[0]


@dataclass(frozen=True)
class PillarScore:
    pillar: Any
    achieved: Any
    maximum: Any
    percent: Any


@dataclass(frozen=True)
class SelfScoreSummary:
    pillars: list[PillarScore]
    achieved: Any
    maximum: Any
    percent: Any
    bonus: Any


def self_score_summary(*, assessment: Assessment) -> SelfScoreSummary:
    """The unit's own scores: per pillar (bonus apart) and the DTI value (``scoring.dti_value``).

    Pillar maxima are the set's (bonus indicators and pillars not scored add
    nothing); 2 queries.
    """
    from decimal import Decimal

    from django.db.models import DecimalField, Sum

    from indicators import scoring
    from indicators.models import Pillar

    achieved = (
        Response.objects.filter(
            assessment=assessment, indicator__pillar=OuterRef("pk"), indicator__is_bonus=False
        )
        .order_by()
        .values("indicator__pillar")
        .annotate(total=Sum("self_score"))
        .values("total")
    )
    pillars = (
        Pillar.objects.filter(indicator_set_id=assessment.campaign.indicator_set_id)
        .with_max_points()
        .annotate(
            achieved=Coalesce(
                Subquery(achieved, output_field=DecimalField()),
                Decimal(0),
                output_field=DecimalField(),
            )
        )
    )
    rows = []
    for pillar in pillars:
        got = Decimal(pillar.achieved) if pillar.scored else Decimal(0)
        rows.append(
            PillarScore(
                pillar=pillar,
                achieved=got,
                maximum=pillar.total_max,
                percent=scoring.percentage(got, pillar.total_max),
            )
        )
    bonus = Response.objects.filter(assessment=assessment, indicator__is_bonus=True).aggregate(
        total=Sum("self_score", default=Decimal(0))
    )["total"]
    total = sum((row.achieved for row in rows), Decimal(0))
    maximum = sum((row.maximum for row in rows), Decimal(0))
    indicator_set = assessment.campaign.indicator_set
    return SelfScoreSummary(
        pillars=rows,
        achieved=total,
        maximum=maximum,
        # The DTI value the rankings will compute from these self scores: the
        # bonus counts as the set's rule says.
        percent=scoring.dti_value(
            achieved=total,
            bonus=bonus,
            maximum=maximum,
            bonus_rule=indicator_set.bonus_rule,
            places=min(indicator_set.decimal_places, 4),
        ),
        bonus=bonus,
    )


def confirmed_at(*, assessment: Assessment):
    """When the leader last confirmed the self-assessment (None if never): 1 query."""
    from .models import TransitionName

    return (
        AssessmentTransition.objects.filter(assessment=assessment, name=TransitionName.CONFIRM)
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )


def returned_by_leader(*, assessment: Assessment) -> AssessmentTransition | None:
    """The leader's return, when it is the latest thing that happened to an Open
    self-assessment: the officer is shown who returned it, when and why. 1 query."""
    from .models import TransitionName

    if assessment.state != AssessmentState.OPEN:
        return None
    latest = (
        AssessmentTransition.objects.filter(assessment=assessment)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )
    if latest is None or latest.name != TransitionName.RETURN_FOR_EDITING:
        return None
    return latest


# --- the audit log -------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the organizer narrowed the log to; empty values do not filter."""

    unit_id: int | None = None
    action: str = ""
    actor: str = ""  # a user id (the links of the page), or part of a name

    @property
    def is_empty(self) -> bool:
        return not (self.unit_id or self.action or self.actor)


def audit_entries(*, campaign: Campaign, filters: AuditFilters | None = None) -> QuerySet:
    """The campaign's audit entries, newest first, with their unit: one query per page."""
    from .models import AuditEntry

    entries = AuditEntry.objects.filter(campaign=campaign)
    filters = filters or AuditFilters()
    if filters.unit_id:
        entries = entries.filter(unit_id=filters.unit_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    actor = filters.actor.strip()
    if actor.isdigit():
        entries = entries.filter(actor_id=int(actor))
    elif actor:
        entries = entries.filter(Q(actor_name__icontains=actor) | Q(actor__username__iexact=actor))
    return entries.select_related("unit").order_by("-at", "-pk")


def audit_units(*, campaign: Campaign) -> list[tuple[int, str]]:
    """The campaign's assessed units (id, name) for the log's filter: one query."""
    return list(
        Assessment.objects.filter(campaign=campaign)
        .order_by("unit__name")
        .values_list("unit_id", "unit__name")
    )
