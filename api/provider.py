"""The data providers' endpoints: their campaigns, what they owe, and bulk submission.

Every endpoint needs a token of a data provider (``providers.permissions``,
as the provider pages ask); a campaign in which the person's agency
provides nothing does not exist for them (404), and a row about a unit or a
figure outside the agency's assignment is refused with the one message that
reveals nothing (``providers.services.figures_provide``).
"""

# No ``from __future__ import annotations`` here: django-ninja reads these signatures.

import hashlib
import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from providers import selectors as provider_selectors
from providers.services import FigureRow

from . import permissions, selectors, services
from .errors import NotFound
from .pagination import Mapped, Pages
from .schemas import (
    Error,
    FiguresIn,
    FiguresOut,
    InvalidRequest,
    OwedFigureOut,
    ProviderCampaignOut,
)
from .security import token_auth
from .throttling import BulkThrottle, TokenThrottle

MAX_ID = 2**63 - 1
REFUSALS = {401: Error, 403: Error, 422: InvalidRequest, 429: Error}

router = Router(tags=["provider"], auth=token_auth, throttle=[TokenThrottle()])


def _provider(request):
    """The token's person, if a data provider; 403 otherwise."""
    user = request.auth.user
    if not permissions.is_data_provider(user):
        raise PermissionDenied(_("Only a data provider's people can use these endpoints."))
    return user


def _assignments(user, campaign_id: int) -> list:
    assignments = selectors.campaign_assignments(user=user, campaign_id=campaign_id)
    if not assignments:
        raise NotFound(_("Your agency provides no figures in a campaign with this id."))
    return assignments


def _unit(unit) -> dict:
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def _figure(assignment) -> dict:
    if assignment.indicator_id:
        indicator = assignment.indicator
        return {"kind": "indicator", "code": indicator.code, "name": indicator.name}
    field = assignment.info_field
    return {"kind": "field", "code": field.code, "name": field.name}


def _inputs(assignment) -> list[str]:
    """The keys an indicator's value takes (``providers.services.indicator_inputs``)."""
    if not assignment.indicator_id:
        return []
    indicator = assignment.indicator
    rule = indicator.rule or {}
    if indicator.method == "ratio":
        return [term for term in ("a", "b") if not (rule.get(term) or {}).get("field")]
    return [{"levels": "option", "checklist": "checked"}.get(indicator.method, "value")]


@router.get(
    "/campaigns",
    response={200: list[ProviderCampaignOut], **REFUSALS},
    url_name="provider_campaigns",
    summary="My campaigns and what my agency provides in each",
)
def provider_campaigns(request):
    """The campaigns in which the token's agency provides figures, newest year first, each
    with its assignments: the figure, the units it covers and how many are still missing."""
    user = _provider(request)
    found = []
    counts = provider_selectors.owed_counts(agency_id=user.agency_id)
    for campaign, assignments in selectors.provider_campaigns(user=user):
        rows = []
        for assignment in assignments:
            units, sent = counts.get(assignment.pk, (0, 0))
            missing = units - sent
            rows.append(
                {
                    "id": assignment.pk,
                    **_figure(assignment),
                    "method": assignment.indicator.method if assignment.indicator_id else None,
                    "inputs": _inputs(assignment),
                    "units": units,
                    "missing": missing,
                }
            )
        found.append(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "year": campaign.year,
                "organizing_unit": _unit(campaign.organizing_unit),
                "assignments": rows,
            }
        )
    return found


def _owed(row: selectors.OwedFigure) -> dict:
    figure = row.figure
    return {
        "unit": _unit(row.assessment.unit),
        "figure": _figure(row.assignment),
        "status": "missing" if figure is None else "sent",
        "value": None if figure is None else figure.value,
        "channel": None if figure is None else figure.channel,
        "provided_at": None if figure is None else figure.provided_at,
        "provided_by": None if figure is None else str(figure.provided_by),
        "prefilled": None if figure is None else figure.prefilled,
    }


@router.get(
    "/campaigns/{campaign_id}/figures",
    response={200: list[OwedFigureOut], 404: Error, **REFUSALS},
    url_name="provider_figures",
    summary="What I owe in a campaign: units × figures, with what was sent",
)
@paginate(Pages)
def provider_figures(
    request,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    figure: str | None = Query(
        None, max_length=50, description="Only this indicator or field code."
    ),
    missing: bool | None = Query(
        None, description="true: only figures not sent yet; false: only those sent."
    ),
):
    """Every unit × figure the token's agency owes in the campaign, figure by figure and
    unit by unit (by name), with the value it sent, when and by whom."""
    user = _provider(request)
    assignments = _assignments(user, campaign_id)
    if figure:
        assignments = [a for a in assignments if _figure(a)["code"] == figure.strip()]
    return Mapped(selectors.OwedFigures(assignments, missing=missing), _owed)


def _body_hash(campaign_id: int, payload: FiguresIn) -> str:
    body = {"campaign": campaign_id, "rows": payload.model_dump(mode="json")["rows"]}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@router.post(
    "/campaigns/{campaign_id}/figures",
    response={200: FiguresOut, 400: Error, 404: Error, 409: Error, 413: Error, **REFUSALS},
    url_name="provider_figures_submit",
    summary="Send figures in bulk (idempotent by Idempotency-Key)",
    throttle=[TokenThrottle(), BulkThrottle()],
)
def provider_figures_submit(
    request,
    response: HttpResponse,
    payload: FiguresIn,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="A key the client makes for this request (a UUID). Sending the same key "
        "and body again returns the first answer and changes nothing; the same key with "
        "another body is refused (409).",
    ),
):
    """Each row names a unit (id or official code), an indicator or a general-information
    field, and the value. Good rows are saved, bad ones reported; each row gets its own
    result: created, updated, unchanged or error, whether it pre-filled the unit's input,
    and messages. Rows outside the agency's assignment are errors."""
    user = _provider(request)
    campaign = _assignments(user, campaign_id)[0].campaign
    rows = [
        FigureRow(
            unit=row.unit, indicator=row.indicator or "", field=row.field or "", value=row.value
        )
        for row in payload.rows
    ]
    try:
        answer = services.figures_submit(
            user=user,
            campaign=campaign,
            key=idempotency_key,
            body_hash=_body_hash(campaign_id, payload),
            rows=rows,
        )
    except services.KeyReused as exc:
        raise HttpError(409, exc.messages[0]) from None
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return answer.body
