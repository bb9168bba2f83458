"""The figure an agency provided, beside each response of a query, in the same SQL query.

For the pages and files that list many responses (the council's rows and
results, the results workbook): ``with_provided`` annotates each response
with the latest figure provided for its unit and indicator (its value, the
agency, the person and the time), as subqueries, so that the listing stays one
query whatever the number of rows. ``provided_of`` turns those values into
``assessments.provenance.ProvidedValue``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from assessments.provenance import ProvidedValue

from .models import ProvidedFigure

FIELDS = ("provided_value", "provided_agency", "provided_by_name", "provided_at")


def with_provided(responses: QuerySet, *, usernames: bool = True) -> QuerySet:
    """``responses`` (of ``assessments.Response``) annotated with ``FIELDS``; None: nothing.

    The person is named by their full name, or their user name when they have
    none (``usernames=False``, for public files: the full name only).
    """
    figures = ProvidedFigure.objects.filter(
        assessment_id=OuterRef("assessment_id"),
        assignment__indicator_id=OuterRef("indicator_id"),
    ).order_by("-provided_at", "-pk")
    who = (
        Coalesce(NullIf("provided_by__full_name", Value("")), "provided_by__username")
        if usernames
        else F("provided_by__full_name")
    )
    return responses.annotate(
        provided_value=Subquery(figures.values("value")[:1]),
        provided_agency=Subquery(figures.values("assignment__agency__name")[:1]),
        provided_by_name=Subquery(figures.annotate(who=who).values("who")[:1]),
        provided_at=Subquery(figures.values("provided_at")[:1]),
    )


def provided_of(row) -> ProvidedValue | None:
    """The annotations of one row (a model instance or a ``values()`` dict), or None."""
    get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name, None)
    value = get("provided_value")
    if value is None:
        return None
    if isinstance(value, str):  # a database that hands a subquery's JSON back as text
        import json

        value = json.loads(value)
    return ProvidedValue(
        value=dict(value or {}),
        agency=get("provided_agency") or "",
        by=get("provided_by_name") or "",
        at=get("provided_at"),
    )
