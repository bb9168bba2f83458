"""Reads for data providers: what an agency owes, what it has sent, what a response was given."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from assessments.models import AdministrativeUnit, Agency, Assessment, Campaign, Role
from councils import permissions as council_permissions
from dti import paging

from . import permissions
from .models import (
    DataRequest,
    DataRequestFile,
    DataRequestStatus,
    ProvidedFigure,
    ProviderAssignment,
)


def agency_assignments(*, agency_id: int, campaign: Campaign | None = None) -> QuerySet:
    """The agency's assignments (of one campaign, or of every campaign), units prefetched."""
    found = ProviderAssignment.objects.filter(agency_id=agency_id)
    if campaign is not None:
        found = found.filter(campaign=campaign)
    return found.select_related("campaign", "indicator", "info_field").prefetch_related("units")


def assignment_assessments(assignment: ProviderAssignment) -> QuerySet:
    """The assessments an assignment covers: its units', or every unit's of the campaign."""
    found = Assessment.objects.filter(campaign_id=assignment.campaign_id)
    unit_ids = [unit.pk for unit in assignment.units.all()]
    if unit_ids:
        found = found.filter(unit_id__in=unit_ids)
    return found.select_related("unit").order_by("unit__name", "pk")


def provided_figures(*, assessment: Assessment) -> dict[tuple[str, str], ProvidedFigure]:
    """The figures provided for one unit, keyed ``("indicator", code)`` or ``("field", code)``."""
    found = {}
    rows = ProvidedFigure.objects.filter(assessment=assessment).select_related(
        "assignment__agency",
        "assignment__indicator",
        "assignment__info_field",
        "provided_by",
    )
    for figure in rows.order_by("provided_at", "pk"):
        assignment = figure.assignment
        if assignment.indicator_id:
            found[("indicator", assignment.indicator.code)] = figure
        else:
            found[("field", assignment.info_field.code)] = figure
    return found


def provided_figure_for_indicator(
    *, assessment_id: int, indicator_id: int
) -> ProvidedFigure | None:
    """The latest figure provided for one indicator of one unit (by any agency)."""
    return (
        ProvidedFigure.objects.filter(
            assessment_id=assessment_id, assignment__indicator_id=indicator_id
        )
        .select_related("assignment__agency", "provided_by")
        .order_by("-provided_at", "-pk")
        .first()
    )


def provided_figure_for_field(*, assessment_id: int, code: str) -> ProvidedFigure | None:
    return (
        ProvidedFigure.objects.filter(
            assessment_id=assessment_id, assignment__info_field__code=code
        )
        .select_related("assignment__agency", "provided_by")
        .order_by("-provided_at", "-pk")
        .first()
    )


def provided_figure(assessment_id: int, *, indicator_id=None, code=None):
    """The hook ``assessments.selectors.hooks.provided_figure`` (see there)."""
    if indicator_id is not None:
        return provided_figure_for_indicator(assessment_id=assessment_id, indicator_id=indicator_id)
    return provided_figure_for_field(assessment_id=assessment_id, code=code)


# --- the providers' pages: what an agency owes, page by page -----------------------
#
# A (assignment, assessment) pair is one figure the agency owes: its assignment's
# units, or every unit of the campaign. The pairs are one SQL query (the
# assignment joined to its campaign's assessments), filtered, counted and paged
# by the database, so a page costs the same for 3 units as for 3,000.

FIGURES_PER_PAGE = 100
FIGURES_PAGE_PARAMETER = "trang"


def owed_pairs(*, agency_id: int, campaign_id: int | None = None) -> QuerySet:
    """The figures an agency owes: one row per assignment and covered assessment.

    Each row is a ``ProviderAssignment`` annotated with ``assessment_pk``,
    ``unit_pk`` and ``sent`` (the agency has sent that unit's figure).
    """
    through = ProviderAssignment.units.through
    found = ProviderAssignment.objects.filter(agency_id=agency_id)
    if campaign_id is not None:
        found = found.filter(campaign_id=campaign_id)
    return (
        found.annotate(
            assessment_pk=F("campaign__assessments__pk"),
            unit_pk=F("campaign__assessments__unit_id"),
        )
        .annotate(
            limited=Exists(through.objects.filter(providerassignment_id=OuterRef("pk"))),
            listed=Exists(
                through.objects.filter(
                    providerassignment_id=OuterRef("pk"), administrativeunit_id=OuterRef("unit_pk")
                )
            ),
            sent=Exists(
                ProvidedFigure.objects.filter(
                    assignment_id=OuterRef("pk"), assessment_id=OuterRef("assessment_pk")
                )
            ),
        )
        .filter(assessment_pk__isnull=False)
        .filter(Q(limited=False) | Q(listed=True))
        .order_by()
    )


def owed_counts(*, agency_id: int, campaign: Campaign | None = None) -> dict[int, tuple[int, int]]:
    """``{assignment pk: (owed, sent)}``: the agency's figures in one campaign (or in every
    campaign), one query."""
    rows = (
        owed_pairs(agency_id=agency_id, campaign_id=campaign.pk if campaign else None)
        .values("pk")
        .annotate(owed=Count("assessment_pk"), done=Count("assessment_pk", filter=Q(sent=True)))
    )
    return {row["pk"]: (row["owed"], row["done"]) for row in rows}


@dataclass(frozen=True)
class OwedCampaign:
    campaign: Campaign
    owed: int
    sent: int

    @property
    def missing(self) -> int:
        return self.owed - self.sent


def provider_campaigns(*, agency_id: int) -> list[OwedCampaign]:
    """The campaigns where the agency owes figures, newest first, with its counts: two queries."""
    counts = {
        row["campaign_id"]: (row["owed"], row["done"])
        for row in owed_pairs(agency_id=agency_id)
        .values("campaign_id")
        .annotate(owed=Count("assessment_pk"), done=Count("assessment_pk", filter=Q(sent=True)))
    }
    campaigns = (
        Campaign.objects.filter(provider_assignments__agency_id=agency_id)
        .distinct()
        .select_related("organizing_unit")
        .order_by("-year", "name", "pk")
    )
    return [OwedCampaign(c, *counts.get(c.pk, (0, 0))) for c in campaigns]


@dataclass(frozen=True)
class OwedRow:
    """One figure the agency owes: a unit, the assignment, and what was sent (None: missing)."""

    assessment_id: int
    unit_id: int
    unit_name: str
    unit_code: str
    assignment: ProviderAssignment
    figure: ProvidedFigure | None


def _owed_rows(pairs: QuerySet, assignments: list[ProviderAssignment]) -> QuerySet:
    """The pairs as values, in page order: by unit, then the assignments' order."""
    position = Case(
        *[When(pk=a.pk, then=Value(index)) for index, a in enumerate(assignments)],
        default=Value(len(assignments)),
        output_field=IntegerField(),
    )
    return (
        pairs.annotate(
            unit_name=F("campaign__assessments__unit__name"),
            unit_code=F("campaign__assessments__unit__code"),
            position=position,
        )
        .order_by("unit_name", "unit_pk", "position")
        .values("pk", "assessment_pk", "unit_pk", "unit_name", "unit_code")
    )


def _with_figures(rows: list[dict], assignments: list[ProviderAssignment]) -> list[OwedRow]:
    by_pk = {a.pk: a for a in assignments}
    sent = {}
    if rows:
        found = ProvidedFigure.objects.filter(
            assignment_id__in=list(by_pk),
            assessment_id__in={row["assessment_pk"] for row in rows},
        ).select_related("provided_by")
        sent = {(f.assignment_id, f.assessment_id): f for f in found}
    return [
        OwedRow(
            assessment_id=row["assessment_pk"],
            unit_id=row["unit_pk"],
            unit_name=row["unit_name"],
            unit_code=row["unit_code"] or "",
            assignment=by_pk[row["pk"]],
            figure=sent.get((row["pk"], row["assessment_pk"])),
        )
        for row in rows
    ]


def owed_page(
    *,
    agency_id: int,
    campaign: Campaign,
    assignments: list[ProviderAssignment],
    counts: dict[int, tuple[int, int]],
    missing_only: bool = False,
    page: str | None = None,
    label: str = "",
) -> tuple[list[OwedRow], paging.Page]:
    """One page of the units × figures the agency owes, by unit: ``(rows, Page)``.

    ``assignments`` are the agency's in the campaign, in the order a unit's
    figures are shown; ``counts`` are ``owed_counts`` (the total comes from
    there). Two queries, whatever the number of units.
    """
    pairs = owed_pairs(agency_id=agency_id, campaign_id=campaign.pk)
    if missing_only:
        pairs = pairs.filter(sent=False)
        total = sum(owed - done for owed, done in counts.values())
    else:
        total = sum(owed for owed, _done in counts.values())
    number, pages = paging.page_number(page, total=total, per_page=FIGURES_PER_PAGE)
    start = (number - 1) * FIGURES_PER_PAGE
    rows = list(_owed_rows(pairs, assignments)[start : start + FIGURES_PER_PAGE])
    return _with_figures(rows, assignments), paging.Page(
        kind="figures",
        label=label,
        number=number,
        pages=pages,
        total=total,
        per_page=FIGURES_PER_PAGE,
        shown=len(rows),
        parameter=FIGURES_PAGE_PARAMETER,
    )


def owed_all(
    *, agency_id: int, campaign: Campaign, assignments: list[ProviderAssignment]
) -> list[OwedRow]:
    """Every figure the agency owes in the campaign, in page order (the sheet): two queries."""
    pairs = owed_pairs(agency_id=agency_id, campaign_id=campaign.pk)
    return _with_figures(list(_owed_rows(pairs, assignments)), assignments)


def owed_row(
    *, agency_id: int, assignment: ProviderAssignment, assessment_id: int
) -> OwedRow | None:
    """One figure the agency owes (its row on the page), or None when it owes no such figure."""
    pairs = owed_pairs(agency_id=agency_id, campaign_id=assignment.campaign_id).filter(
        pk=assignment.pk, assessment_pk=assessment_id
    )
    rows = _with_figures(list(_owed_rows(pairs, [assignment])), [assignment])
    return rows[0] if rows else None


def campaign_provider_assignments(*, campaign: Campaign) -> list[ProviderAssignment]:
    """The campaign's providers for its organizer: each with ``covered`` and ``sent`` counts.

    ``covered`` is the number of assessed units the assignment names, or of
    every assessed unit when it names none. Three queries.
    """
    assessed = set(Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    found = list(
        ProviderAssignment.objects.filter(campaign=campaign)
        .select_related("agency", "indicator", "info_field")
        .prefetch_related(
            Prefetch("units", queryset=AdministrativeUnit.objects.order_by("name", "pk"))
        )
        .annotate(sent=Count("figures", distinct=True))
        .order_by("agency__name", "pk")
    )
    for assignment in found:
        units = assignment.units.all()
        assignment.covered = (
            sum(1 for unit in units if unit.pk in assessed) if units else len(assessed)
        )
    return found


def provider_candidates(*, campaign: Campaign) -> QuerySet:
    """The agencies an organizer may name: those of the campaign's area (the organizing
    unit, the units above it and below it)."""
    organizing = campaign.organizing_unit_id
    area = AdministrativeUnit.objects.filter(
        Q(pk=organizing)
        | Q(children=organizing)
        | Q(children__children=organizing)
        | Q(parent_id=organizing)
        | Q(parent__parent_id=organizing)
    )
    return (
        Agency.objects.filter(unit__in=area.values("pk"))
        .select_related("unit")
        .order_by("name", "pk")
    )


# --- data requests ------------------------------------------------------------------

# The agency's inbox, in the order the tabs show: waiting and not yet due, past their
# due date, answered, withdrawn.
INBOX_BOXES = ("open", "overdue", "answered", "withdrawn")
REQUESTS_PER_PAGE = 25
PAGE_PARAMETER = "trang"


def _with_context(found: QuerySet) -> QuerySet:
    """What a list of requests shows: the unit, the indicator, the campaign, who and whom."""
    return found.select_related(
        "agency",
        "asked_by",
        "answered_by",
        "response__indicator",
        "response__assessment__unit",
        "response__assessment__campaign",
    )


def _box_filter(box: str, today) -> Q:
    return {
        "open": Q(status=DataRequestStatus.OPEN, due_date__gte=today),
        "overdue": Q(status=DataRequestStatus.OPEN, due_date__lt=today),
        "answered": Q(status=DataRequestStatus.ANSWERED),
        "withdrawn": Q(status=DataRequestStatus.WITHDRAWN),
    }[box]


BOX_ORDER = {
    "open": ("due_date", "asked_at", "pk"),
    "overdue": ("due_date", "asked_at", "pk"),
    "answered": ("-answered_at", "-pk"),
    "withdrawn": ("-asked_at", "-pk"),
}


def _agency_requests(user) -> QuerySet:
    """The requests to the person's agency, leaving out those about a unit of their own
    (``permissions.can_view_data_request``)."""
    return DataRequest.objects.filter(agency_id=user.agency_id).exclude(
        response__assessment__unit_id__in=council_permissions.conflict_unit_ids(user)
    )


def inbox_counts(*, user) -> dict[str, int]:
    """How many requests to the person's agency are in each box: one query."""
    today = timezone.localdate()
    return _agency_requests(user).aggregate(
        **{box: Count("pk", filter=_box_filter(box, today)) for box in INBOX_BOXES}
    )


def _page(found: QuerySet, *, total: int, asked: str | None, kind: str, label: str):
    number, pages = paging.page_number(asked, total=total, per_page=REQUESTS_PER_PAGE)
    start = (number - 1) * REQUESTS_PER_PAGE
    rows = list(found[start : start + REQUESTS_PER_PAGE])
    page = paging.Page(
        kind=kind,
        label=label,
        number=number,
        pages=pages,
        total=total,
        per_page=REQUESTS_PER_PAGE,
        shown=len(rows),
        parameter=PAGE_PARAMETER,
    )
    return rows, page


def agency_inbox(*, user, box: str, page: str | None, counts: dict[str, int], label: str = ""):
    """One page of a box of the agency's inbox, most urgent first: ``(rows, Page)``.

    ``counts`` are ``inbox_counts``: the box's total comes from there, so a
    page costs one more query, whatever the number of requests.
    """
    found = _with_context(_agency_requests(user).filter(_box_filter(box, timezone.localdate())))
    return _page(
        found.order_by(*BOX_ORDER[box]),
        total=counts[box],
        asked=page,
        kind="requests",
        label=label,
    )


def member_requests(*, user, campaign: Campaign, page: str | None, label: str = ""):
    """The requests a council member asked in one campaign, newest first: ``(rows, Page)``."""
    found = DataRequest.objects.filter(asked_by=user, response__assessment__campaign=campaign)
    return _page(
        _with_context(found).order_by("-asked_at", "-pk"),
        total=found.count(),
        asked=page,
        kind="requests",
        label=label,
    )


def response_requests(*, user, response) -> list[DataRequest]:
    """The requests about ``response`` that ``user`` may see, oldest first, files included.

    Every one for those who see the response's requests; otherwise those the
    person asked or whose agency was asked (``permissions.can_view_data_request``).
    """
    active = user is not None and user.is_authenticated and user.is_active
    if not active or permissions.belongs_to_assessed_unit(user, response):
        return []
    found = DataRequest.objects.filter(response=response)
    if not permissions.sees_response_requests(user, response):
        mine = Q(asked_by_id=user.pk)
        if permissions.is_data_provider(user):
            mine |= Q(agency_id=user.agency_id)
        found = found.filter(mine)
    return list(
        found.select_related("agency", "asked_by", "answered_by")
        .prefetch_related("files")
        .order_by("asked_at", "pk")
    )


def data_request(pk: int) -> DataRequest | None:
    """One request with what its page shows (its files, its response's unit and indicator)."""
    return _with_context(DataRequest.objects.filter(pk=pk)).prefetch_related("files").first()


def request_file(pk: int) -> DataRequestFile | None:
    return (
        DataRequestFile.objects.select_related(
            "request__response__assessment__campaign", "request__response__assessment__unit"
        )
        .filter(pk=pk)
        .first()
    )


def askable_agencies(*, response) -> QuerySet:
    """The agencies a council may ask about ``response``.

    Those in the campaign's area (the organizing unit, the units above it and
    below it) with at least one active data provider to answer, and never an
    agency of the assessed unit itself: the unit answers through its explanation.
    """
    assessment = response.assessment
    organizing = assessment.campaign.organizing_unit_id
    area = AdministrativeUnit.objects.filter(
        Q(pk=organizing)
        | Q(children=organizing)
        | Q(children__children=organizing)
        | Q(parent_id=organizing)
        | Q(parent__parent_id=organizing)
    )
    answerers = get_user_model().objects.filter(
        agency=OuterRef("pk"), is_active=True, groups__name=Role.DATA_PROVIDER
    )
    return (
        Agency.objects.filter(unit__in=area.values("pk"))
        .exclude(unit_id=assessment.unit_id)
        .filter(Exists(answerers))
        .select_related("unit")
        .order_by("name", "pk")
    )
