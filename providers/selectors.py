"""Reads for data providers: what an agency owes, what it has sent, what a response was given."""

from __future__ import annotations

from django.db.models import QuerySet

from assessments.models import Assessment, Campaign

from .models import ProvidedFigure, ProviderAssignment


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


def owed_figures(
    *, assignment: ProviderAssignment
) -> list[tuple[Assessment, ProvidedFigure | None]]:
    """Each covered unit with the figure the agency sent for it (None: still missing)."""
    sent = {
        figure.assessment_id: figure
        for figure in ProvidedFigure.objects.filter(assignment=assignment).select_related(
            "provided_by"
        )
    }
    return [
        (assessment, sent.get(assessment.pk)) for assessment in assignment_assessments(assignment)
    ]


def provided_figure(assessment_id: int, *, indicator_id=None, code=None):
    """The hook ``assessments.selectors.hooks.provided_figure`` (see there)."""
    if indicator_id is not None:
        return provided_figure_for_indicator(assessment_id=assessment_id, indicator_id=indicator_id)
    return provided_figure_for_field(assessment_id=assessment_id, code=code)


def campaigns_with_assignments(*, agency_id: int) -> QuerySet:
    return (
        Campaign.objects.filter(provider_assignments__agency_id=agency_id)
        .distinct()
        .order_by("-year", "name")
    )


def missing_count(*, assignment: ProviderAssignment) -> int:
    covered = assignment_assessments(assignment)
    return covered.exclude(provided_figures__assignment=assignment).count()
