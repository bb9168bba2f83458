"""The published results, read-only and anonymous: the same data as the public pages.

Everything is read from a ``Publication`` and its snapshot
(``PublishedResult``), never from live scores: a campaign that is not
published has no results here (404), as it has no public page. ``version``
asks for an older published version, as ``?phien-ban=`` does on the pages.
"""

# No ``from __future__ import annotations`` here: django-ninja reads these signatures.

from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.pagination import paginate

from rankings.models import VALUE_PLACES, RankingKind

from . import selectors
from .errors import NotFound
from .pagination import Mapped, Pages
from .schemas import (
    Error,
    InvalidRequest,
    PublishedCampaignDetailOut,
    PublishedCampaignOut,
    RankingKindName,
    RankingRowOut,
    ScorecardOut,
)
from .throttling import AnonymousThrottle

MAX_ID = 2**63 - 1
MAX_VERSION = 32767
REFUSALS = {404: Error, 422: InvalidRequest, 429: Error}

router = Router(tags=["results"], auth=None, throttle=[AnonymousThrottle()])

VersionQuery = Query(
    None, ge=1, le=MAX_VERSION, description="A published version (default: the newest)."
)


def _publication(campaign_id: int, version: int | None):
    publication = selectors.publication_of(campaign_id=campaign_id, version=version)
    if publication is None:
        raise NotFound(_("No published results of this campaign (or of this version)."))
    return publication


def _places(publication) -> int:
    return min(publication.campaign.indicator_set.decimal_places, VALUE_PLACES)


def _percent(value, places: int) -> Decimal | None:
    """A stored percentage with the set's decimals (already rounded to them when computed)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _unit(unit, name: str | None = None) -> dict:
    return {"id": unit.pk, "code": unit.code, "name": name or unit.name}


def _version(publication) -> dict:
    return {
        "version": publication.version,
        "decision_number": publication.decision_number,
        "decision_date": publication.decision_date,
        "published_at": publication.published_at,
        "correction_reason": publication.reason,
    }


def _campaign(publication) -> dict:
    campaign = publication.campaign
    indicator_set = campaign.indicator_set
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "year": campaign.year,
        "organizing_unit": _unit(campaign.organizing_unit),
        "indicator_set": {
            "id": indicator_set.pk,
            "name": indicator_set.name,
            "decimal_places": _places(publication),
        },
        "publication": _version(publication),
    }


@router.get(
    "/campaigns",
    response={200: list[PublishedCampaignOut], 422: InvalidRequest, 429: Error},
    url_name="results_campaigns",
    summary="Published campaigns",
)
@paginate(Pages)
def results_campaigns(request):
    """Every published campaign with its newest publication, newest year first."""
    return Mapped(selectors.latest_publications(), _campaign)


@router.get(
    "/campaigns/{campaign_id}",
    response={200: PublishedCampaignDetailOut, **REFUSALS},
    url_name="results_campaign",
    summary="One published campaign: its versions and rankings",
)
def results_campaign(
    request, campaign_id: int = Path(..., ge=1, le=MAX_ID), version: int | None = VersionQuery
):
    publication = _publication(campaign_id, version)
    counts = selectors.ranking_counts(publication=publication)
    return {
        **_campaign(publication),
        "versions": [_version(v) for v in selectors.publication_versions(campaign_id=campaign_id)],
        "rankings": [
            {"kind": kind, "label": str(RankingKind(kind).label), "units": counts[kind]}
            for kind in RankingKind.values
            if counts[kind]
        ],
    }


@router.get(
    "/campaigns/{campaign_id}/rankings/{kind}",
    response={200: list[RankingRowOut], **REFUSALS},
    url_name="results_ranking",
    summary="One of the four published rankings, by rank",
)
@paginate(Pages)
def results_ranking(
    request,
    kind: RankingKindName,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    version: int | None = VersionQuery,
):
    """dti: the DTI; cqs, kts, xhs: digital government, economy and society. Equal values
    share a rank and the next rank is skipped; rows of one rank by unit name."""
    publication = _publication(campaign_id, version)
    if not selectors.ranking_counts(publication=publication)[kind]:
        raise NotFound(_("This campaign's indicator set has no such ranking."))
    places = _places(publication)
    prefix = selectors.PREFIX_OF_KIND[kind]

    def row(result) -> dict:
        return {
            "rank": getattr(result, f"{prefix}_rank"),
            "value": _percent(getattr(result, f"{prefix}_value"), places),
            "band": (result.band_name or None) if kind == RankingKind.DTI else None,
            "assessment_id": result.assessment_id,
            "unit": _unit(result.assessment.unit, result.unit_name),
        }

    return Mapped(selectors.ranking_rows(publication=publication, kind=kind), row)


@router.get(
    "/campaigns/{campaign_id}/scorecards/{assessment_id}",
    response={200: ScorecardOut, **REFUSALS},
    url_name="results_scorecard",
    summary="One unit's published scorecard",
)
def results_scorecard(
    request,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    assessment_id: int = Path(..., ge=1, le=MAX_ID),
    version: int | None = VersionQuery,
):
    """The unit's DTI (value, rank, band), its three sub-indices, its pillars and every
    indicator's maximum, self score, round-1, round-2 and final score."""
    publication = _publication(campaign_id, version)
    result = selectors.published_result(publication=publication, assessment_id=assessment_id)
    if result is None:
        raise NotFound(_("No published result of this unit in this campaign."))
    places = _places(publication)
    sub_indices = [
        {
            "kind": kind,
            "label": str(RankingKind(kind).label),
            "value": _percent(getattr(result, f"{prefix}_value"), places),
            "rank": getattr(result, f"{prefix}_rank"),
        }
        for kind, prefix in selectors.PREFIX_OF_KIND.items()
        if kind != RankingKind.DTI and getattr(result, f"{prefix}_rank") is not None
    ]
    return {
        "campaign": campaign_id,
        "assessment_id": result.assessment_id,
        "unit": _unit(result.assessment.unit, result.unit_name),
        "publication": _version(publication),
        "points": {
            "achieved": result.achieved_points,
            "bonus": result.bonus_points,
            "max": result.max_points,
        },
        "dti": {
            "value": _percent(result.dti_value, places),
            "rank": result.dti_rank,
            "band": result.band_name,
        },
        "sub_indices": sub_indices,
        "pillars": [
            {
                "code": pillar["code"],
                "name": pillar["name"],
                "achieved": _decimal(pillar.get("achieved")),
                "bonus": _decimal(pillar.get("bonus")),
                "max": _decimal(pillar.get("max")),
                "value": _percent(pillar.get("value"), places),
            }
            for pillar in result.pillars
        ],
        "indicators": [
            {
                "code": item["code"],
                "name": item["name"],
                "pillar": item.get("pillar") or "",
                "max": _decimal(item.get("max")),
                "bonus": bool(item.get("bonus")),
                "self_score": _decimal(item.get("self")),
                "round_1": _decimal(item.get("round_1")),
                "round_2": _decimal(item.get("round_2")),
                "final": _decimal(item.get("final")),
            }
            for item in result.indicators
        ],
    }
