"""Reads of the API: tokens, what a provider owes, and the published results.

The provider reads go through ``providers.selectors`` and the published ones
read only ``rankings`` snapshots (``Publication``, ``PublishedResult``), the
same rows as the public pages. No read grows with the number of units: a
published list is a fixed number of queries per page, a provider's a few per
assignment of its agency.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from assessments.models import Assessment, Campaign
from providers import selectors as provider_selectors
from providers.models import ProvidedFigure, ProviderAssignment
from rankings import selectors as ranking_selectors
from rankings.models import Publication, PublishedResult

from . import permissions
from .models import ApiToken

# --- tokens -----------------------------------------------------------------------------


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def token_for_key(raw: str) -> ApiToken | None:
    """The token whose SHA-256 is that of ``raw``, revoked or not, with its person: 1 query."""
    return ApiToken.objects.select_related("user").filter(key_hash=key_hash(raw)).first()


def user_tokens(*, user) -> list[ApiToken]:
    """The person's tokens, newest first, revoked ones included: 1 query."""
    return list(ApiToken.objects.filter(user=user))


def user_token(*, user, pk: int) -> ApiToken | None:
    """One of the person's own tokens (None for anyone else's)."""
    token = ApiToken.objects.filter(pk=pk).first()
    return token if token is not None and permissions.can_manage_token(user, token) else None


def active_token_count(*, user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


# --- data providers -----------------------------------------------------------------------


def provider_campaigns(*, user) -> list[tuple[Campaign, list[ProviderAssignment]]]:
    """The campaigns the person's agency provides for, each with its assignments: 3 queries."""
    if not permissions.is_data_provider(user):
        return []
    found: dict[int, tuple[Campaign, list[ProviderAssignment]]] = {}
    assignments = provider_selectors.agency_assignments(agency_id=user.agency_id).select_related(
        "campaign__organizing_unit"
    )
    for assignment in permissions.provides_in(user, assignments):
        campaign = assignment.campaign
        found.setdefault(campaign.pk, (campaign, []))[1].append(assignment)
    return sorted(found.values(), key=lambda item: (-item[0].year, item[0].name, item[0].pk))


def campaign_assignments(*, user, campaign_id: int) -> list[ProviderAssignment]:
    """The person's assignments in one campaign (empty: not theirs to see): 2 queries."""
    if not permissions.is_data_provider(user):
        return []
    assignments = provider_selectors.agency_assignments(agency_id=user.agency_id).filter(
        campaign_id=campaign_id
    )
    return sorted(permissions.provides_in(user, assignments), key=_figure_order)


def _figure_order(assignment: ProviderAssignment):
    if assignment.indicator_id:
        return (0, assignment.indicator.code, assignment.pk)
    return (1, assignment.info_field.code, assignment.pk)


@dataclass(frozen=True)
class OwedFigure:
    """One unit × figure a provider owes, with what it sent (None: still missing)."""

    assignment: ProviderAssignment
    assessment: Assessment
    figure: ProvidedFigure | None


class OwedFigures(Sequence):
    """Every unit × figure of a provider's assignments, in order, read one slice at a time.

    A list the paginator can count and slice: the count is one query per
    assignment; a page reads only its own units and their figures (2 queries
    per assignment it touches).
    """

    def __init__(self, assignments: list[ProviderAssignment], *, missing: bool | None = None):
        self.parts = []
        for assignment in assignments:
            found = provider_selectors.assignment_assessments(assignment)
            if missing is True:
                found = found.exclude(provided_figures__assignment=assignment)
            elif missing is False:
                found = found.filter(provided_figures__assignment=assignment)
            self.parts.append((assignment, found))
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [found.count() for _assignment, found in self.parts]
        return self._counts

    def __len__(self) -> int:
        return sum(self.counts())

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index : index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop, _step = index.indices(len(self))
        rows: list[OwedFigure] = []
        offset = 0
        for (assignment, found), count in zip(self.parts, self.counts(), strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, count)
            offset += count
            if lo >= hi:
                continue
            assessments = list(found[lo:hi])
            sent = {
                figure.assessment_id: figure
                for figure in ProvidedFigure.objects.filter(
                    assignment=assignment, assessment__in=[a.pk for a in assessments]
                ).select_related("provided_by")
            }
            rows += [OwedFigure(assignment, a, sent.get(a.pk)) for a in assessments]
        return rows


# --- published results ------------------------------------------------------------------


def latest_publications() -> list[Publication]:
    return ranking_selectors.latest_publications()


def publication_of(*, campaign_id: int, version: int | None = None) -> Publication | None:
    return ranking_selectors.publication_of(campaign_id=campaign_id, version=version)


def publication_versions(*, campaign_id: int) -> list[Publication]:
    return ranking_selectors.publication_versions(campaign_id=campaign_id)


PREFIX_OF_KIND = dict(ranking_selectors.PUBLISHED_KINDS)


def ranking_counts(*, publication: Publication) -> dict[str, int]:
    """Units ranked in each of the four rankings (0: the set has no such ranking): 1 query."""
    counts = publication.results.aggregate(
        **{prefix: Count(f"{prefix}_rank") for prefix in PREFIX_OF_KIND.values()}
    )
    return {kind: counts[prefix] for kind, prefix in PREFIX_OF_KIND.items()}


def ranking_rows(*, publication: Publication, kind: str) -> QuerySet:
    """One published ranking by rank, then unit name, as the public page orders it."""
    prefix = PREFIX_OF_KIND[kind]
    return (
        publication.results.filter(**{f"{prefix}_rank__isnull": False})
        .select_related("assessment__unit")
        .order_by(f"{prefix}_rank", "unit_name", "pk")
    )


def published_result(*, publication: Publication, assessment_id: int) -> PublishedResult | None:
    return ranking_selectors.published_result(publication=publication, assessment_id=assessment_id)
