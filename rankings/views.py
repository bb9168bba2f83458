"""The public results: no login, and nothing that is not published.

Every view finds a ``Publication`` first and answers 404 without one, so an
unpublished campaign, ranking, scorecard or document has no URL at all. The
pages read only the published snapshot (``PublishedResult``), never the live
scores, which keep changing until the next correction is published.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from . import selectors


def _publication(campaign_pk: int, request):
    version = request.GET.get("phien-ban")
    if version is not None and not version.isdigit():
        raise Http404
    publication = selectors.publication_of(
        campaign_id=campaign_pk, version=int(version) if version else None
    )
    if publication is None:
        raise Http404
    return publication


def _context(publication, **extra) -> dict:
    campaign = publication.campaign
    versions = selectors.publication_versions(campaign_id=campaign.pk)
    return {
        "publication": publication,
        "campaign": campaign,
        "versions": versions,
        "is_latest": publication.version == versions[-1].version,
        "places": campaign.indicator_set.decimal_places,
        **extra,
    }


def results_index(request):
    return render(
        request,
        "rankings/public/index.html",
        {"publications": selectors.latest_publications()},
    )


def results_campaign(request, campaign_pk):
    """One published ranking at a time, a page of rows: ``?xep-hang=cqs&trang=2``.

    The other rankings are links (tabs) that keep the version asked for; a
    ranking the publication does not have is a 404, as an unknown version is.
    """
    publication = _publication(campaign_pk, request)
    try:
        ranking = selectors.published_ranking_page(
            publication=publication,
            kind=request.GET.get(selectors.RANKING_PARAM),
            page=request.GET.get(selectors.PAGE_PARAM),
        )
    except selectors.NoSuchRanking:
        raise Http404 from None
    # Each row links to its unit's scorecard: one reverse() for the page, not one a row.
    head, _zero, tail = reverse(
        "rankings:results_unit", kwargs={"campaign_pk": campaign_pk, "assessment_pk": 0}
    ).rpartition("/0/")
    context = _context(publication, ranking=ranking)
    version = "" if context["is_latest"] else f"?phien-ban={publication.version}"
    for row in ranking.rows:
        row.url = f"{head}/{row.assessment_id}/{tail}{version}"
    return render(request, "rankings/public/campaign.html", context)


def results_unit(request, campaign_pk, assessment_pk):
    publication = _publication(campaign_pk, request)
    result = selectors.published_result(publication=publication, assessment_id=assessment_pk)
    if result is None:
        raise Http404
    averages = selectors.pillar_averages(publication=publication)
    pillars = selectors.pillars_against_average(result=result, averages=averages)
    return render(
        request,
        "rankings/public/unit.html",
        _context(
            publication,
            result=result,
            pillars=pillars,
            strengths=[p for p in pillars if p.above],
            weaknesses=[p for p in pillars if p.below],
            years=selectors.unit_years(unit_id=result.assessment.unit_id),
        ),
    )
