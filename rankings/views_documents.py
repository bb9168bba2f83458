"""The published results as files: the decision's appendix (PDF), the rankings workbook
(Excel) and each unit's scorecard (PDF). Public, no login, like the result pages.

Every view finds the ``Publication`` first, with the result pages' own helper
(``?phien-ban=N`` for an older version), and answers 404 without one: an
unpublished campaign has no document at all.

A published version never changes, so a rendered document is kept in the
cache for an hour (the day a ranking is published, everybody downloads the
same few files); the key names the version's row and its publication time,
so a document can never be served for another version. A cache that is
down only costs the rendering.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header

from . import documents, excel, selectors
from .views import _publication

logger = logging.getLogger(__name__)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CACHE_SECONDS = 3600
# Bump when a document's layout changes, so that no cached copy of the old one is served.
LAYOUT = 1


def ascii_slug(text: str, *, limit: int = 60) -> str:
    """``Xã Trà Bùi`` → ``xa-tra-bui``: a file name every browser and mail client keeps."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "dti"


def _cached(key: str, render: Callable[[], bytes]) -> bytes:
    try:
        content = cache.get(key)
    except Exception:  # a cache outage must not take the documents down
        logger.warning("Document cache unavailable", exc_info=True)
        content = None
    if content is None:
        content = render()
        try:
            cache.set(key, content, CACHE_SECONDS)
        except Exception:
            logger.warning("Document cache unavailable", exc_info=True)
    return content


def _key(kind: str, publication, *extra) -> str:
    stamp = publication.published_at.timestamp()
    parts = [kind, publication.pk, f"{stamp:.6f}", *extra]
    return f"rankings:document:v{LAYOUT}:" + ":".join(str(part) for part in parts)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stem(publication) -> str:
    campaign = publication.campaign
    return f"dti-{campaign.year}-{ascii_slug(campaign.name, limit=50)}"


def results_appendix_pdf(request, campaign_pk):
    publication = _publication(campaign_pk, request)
    content = _cached(
        _key("appendix", publication),
        lambda: documents.appendix_pdf(publication=publication),
    )
    filename = f"{_stem(publication)}-phu-luc-xep-hang-v{publication.version}.pdf"
    return _download(content, PDF, filename)


def results_workbook(request, campaign_pk):
    publication = _publication(campaign_pk, request)
    content = _cached(
        _key("workbook", publication),
        lambda: excel.results_workbook(publication=publication),
    )
    filename = f"{_stem(publication)}-xep-hang-v{publication.version}.xlsx"
    return _download(content, XLSX, filename)


def results_unit_pdf(request, campaign_pk, assessment_pk):
    publication = _publication(campaign_pk, request)
    result = selectors.published_result(publication=publication, assessment_id=assessment_pk)
    if result is None:
        raise Http404
    content = _cached(
        _key("scorecard", publication, assessment_pk),
        lambda: documents.scorecard_pdf(publication=publication, result=result),
    )
    filename = (
        f"dti-{publication.campaign.year}-phieu-ket-qua-{ascii_slug(result.unit_name, limit=40)}"
        f"-v{publication.version}.pdf"
    )
    return _download(content, PDF, filename)
