"""The organizer's pages: campaigns, their calendar and units, progress, assignments, reopening.

Thin views: they read through ``selectors``, ask ``permissions`` and write
through ``services``, whose refusals are shown on the form unchanged. A
campaign the person may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from indicators.models import Indicator, Tier

from . import permissions, selectors, services
from .forms_campaigns import (
    CalendarForm,
    CampaignCreateForm,
    DepartmentAssignmentForm,
    ReopenForm,
    UnitsForm,
    calendar_initial,
    default_calendar,
)
from .models import (
    PHASE_ORDER,
    AdministrativeUnit,
    Agency,
    Assessment,
    AssessmentState,
    Campaign,
    PhaseKind,
)


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("organizing_unit", "indicator_set"), pk=pk
    )


def _viewable(request, pk: int) -> Campaign:
    campaign = _campaign(pk)
    if not permissions.can_view_campaign(request.user, campaign):
        raise Http404
    return campaign


def _managed(request, pk: int) -> Campaign:
    campaign = _campaign(pk)
    if not permissions.can_manage_campaign(request.user, campaign):
        raise Http404
    return campaign


def _refused(form, exc: ValidationError | PermissionDenied) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        form.add_error(None, message)


def _organizing_unit(user) -> AdministrativeUnit | None:
    unit_id = permissions.home_unit_id(user)
    unit = AdministrativeUnit.objects.filter(pk=unit_id).first() if unit_id else None
    if unit is None or not permissions.can_create_campaign(user, unit):
        return None
    return unit


# --- list and create ---------------------------------------------------------------


@login_required
def campaign_list(request):
    organizing_unit = _organizing_unit(request.user)
    return render(
        request,
        "assessments/campaigns/list.html",
        {
            "campaigns": selectors.campaigns_visible_to(request.user),
            "can_create": organizing_unit is not None,
            "states": [(state, state.label) for state in AssessmentState],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    organizing_unit = _organizing_unit(request.user)
    if organizing_unit is None:
        raise Http404
    indicator_sets = selectors.campaign_indicator_sets(organizing_unit=organizing_unit)
    units_by_level = selectors.candidate_units(organizing_unit=organizing_unit)
    options = {"indicator_sets": indicator_sets, "units_by_level": units_by_level}
    if request.method == "POST":
        form = CampaignCreateForm(request.POST, **options)
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    organizer=request.user,
                    name=form.cleaned_data["name"],
                    year=form.cleaned_data["year"],
                    indicator_set=form.cleaned_data["indicator_set"],
                    phases=form.phases(),
                    units=form.units(),
                )
            except (ValidationError, PermissionDenied) as exc:
                _refused(form, exc)
            else:
                messages.success(
                    request,
                    _("The campaign “%(name)s” is open; its indicator set is now frozen.")
                    % {"name": campaign.name},
                )
                return redirect("assessments:campaign_detail", pk=campaign.pk)
    else:
        year = timezone.localdate().year
        sets = list(indicator_sets)
        chosen = next((s for s in sets if s.year == year), sets[0] if sets else None)
        year = chosen.year if chosen else year
        initial = {
            "name": _("Digital transformation assessment of %(year)s") % {"year": year},
            "year": year,
            "indicator_set": chosen.pk if chosen else None,
            **calendar_initial(default_calendar()),
        }
        for level in units_by_level:
            initial[f"units_{level}"] = list(
                selectors.default_units(organizing_unit=organizing_unit, tier=level).values_list(
                    "pk", flat=True
                )
            )
        form = CampaignCreateForm(initial=initial, **options)
    return render(
        request,
        "assessments/campaigns/create.html",
        {"form": form, "organizing_unit": organizing_unit},
    )


# --- the campaign page ---------------------------------------------------------------


def _calendar(campaign: Campaign, now) -> list[dict]:
    """Each phase of the calendar with where it stands now."""
    phases = {phase.kind: phase for phase in campaign.phases.all()}
    rows = []
    for kind in PHASE_ORDER:
        phase = phases.get(kind)
        if phase is None:
            status = "unscheduled"
        elif kind == PhaseKind.PUBLICATION:
            status = "target"
        elif phase.is_open(now):
            status = "grace" if now >= phase.closes_at else "open"
        elif now < phase.opens_at:
            status = "upcoming"
        else:
            status = "closed"
        rows.append({"kind": kind, "phase": phase, "status": status})
    return rows


UNIT_NAME_MAX = 100


@login_required
def campaign_detail(request, pk):
    """The campaign's calendar, its counts and its units, 100 a page (``?trang=``).

    The units table's filters (state, late, part of the name) stay in the
    query string, so the pager keeps them.
    """
    campaign = _viewable(request, pk)
    now = timezone.now()
    state = request.GET.get("trang-thai", "")
    filters = {
        "state": state if state in AssessmentState.values else "",
        "late": request.GET.get("tre-han") == "1",
        "name": " ".join(request.GET.get("q", "").split())[:UNIT_NAME_MAX],
    }
    progress = selectors.campaign_progress(
        campaign=campaign,
        now=now,
        page=request.GET.get(selectors.CAMPAIGN_PAGE_PARAMETER),
        **filters,
    )
    calendar = _calendar(campaign, now)
    return render(
        request,
        "assessments/campaigns/detail.html",
        {
            "campaign": campaign,
            "progress": progress,
            "filters": filters,
            "states": AssessmentState.choices,
            "by_state": [
                (state, state.label, progress.by_state[state]) for state in AssessmentState
            ],
            "calendar": calendar,
            "open_phases": [row for row in calendar if row["status"] in ("open", "grace")],
            "can_manage": permissions.can_manage_campaign(request.user, campaign),
            "can_view_audit_log": permissions.can_view_audit_log(request.user, campaign),
            # The rule does not depend on the unit: ask it once, for an assessment of the campaign.
            "can_reopen": permissions.can_reopen(request.user, Assessment(campaign=campaign)),
            "is_district": campaign.indicator_set.tier == Tier.DISTRICT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_calendar(request, pk):
    campaign = _managed(request, pk)
    if request.method == "POST":
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                services.campaign_set_phases(
                    campaign=campaign, user=request.user, phases=form.phases()
                )
            except (ValidationError, PermissionDenied) as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("The calendar is saved."))
                return redirect("assessments:campaign_detail", pk=campaign.pk)
    else:
        form = CalendarForm(initial=calendar_initial(campaign.phases.all()))
    return render(
        request, "assessments/campaigns/calendar.html", {"campaign": campaign, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_units(request, pk):
    campaign = _managed(request, pk)
    candidates = list(
        selectors.default_units(
            organizing_unit=campaign.organizing_unit, tier=campaign.indicator_set.tier
        ).select_related("parent")
    )
    if request.method == "POST":
        form = UnitsForm(request.POST, units=candidates)
        if form.is_valid():
            try:
                services.campaign_set_units(
                    campaign=campaign, user=request.user, units=form.cleaned_data["units"]
                )
            except (ValidationError, PermissionDenied) as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("The assessed units are saved."))
                return redirect("assessments:campaign_detail", pk=campaign.pk)
    else:
        current = list(campaign.assessments.values_list("unit_id", flat=True))
        form = UnitsForm(initial={"units": current}, units=candidates)
    return render(request, "assessments/campaigns/units.html", {"campaign": campaign, "form": form})


# --- district tier: departments ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_departments(request, pk):
    campaign = _managed(request, pk)
    if campaign.indicator_set.tier != Tier.DISTRICT:
        raise Http404
    districts = list(
        AdministrativeUnit.objects.filter(assessments__campaign=campaign).order_by("name")
    )
    if not districts:
        raise Http404
    wanted = request.POST.get("unit") or request.GET.get("don-vi")
    district = next((d for d in districts if str(d.pk) == wanted), districts[0])
    agencies = list(Agency.objects.filter(unit=district).order_by("name"))
    indicators = list(
        Indicator.objects.filter(pillar__indicator_set_id=campaign.indicator_set_id).select_related(
            "pillar"
        )
    )
    options = {"indicators": indicators, "agencies": agencies}
    if request.method == "POST":
        form = DepartmentAssignmentForm(request.POST, **options)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for agency, chosen in form.assignment().items():
                        services.department_assign(
                            campaign=campaign, user=request.user, agency=agency, indicators=chosen
                        )
            except (ValidationError, PermissionDenied) as exc:
                _refused(form, exc)
            else:
                messages.success(
                    request,
                    _("The assignment of %(unit)s is saved.") % {"unit": district.name},
                )
                return redirect(
                    f"{request.path}?don-vi={district.pk}" if len(districts) > 1 else request.path
                )
    else:
        current = selectors.department_assignment_map(campaign=campaign, unit_id=district.pk)
        initial = {f"indicator_{i}": str(a) for i, a in current.items()}
        form = DepartmentAssignmentForm(initial=initial, **options)
    return render(
        request,
        "assessments/campaigns/departments.html",
        {
            "campaign": campaign,
            "form": form,
            "district": district,
            "districts": districts,
            "agencies": agencies,
        },
    )


# --- reopening (administrators) -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assessment_reopen(request, pk, assessment_pk):
    campaign = _viewable(request, pk)
    assessment = get_object_or_404(
        Assessment.objects.select_related("unit"), pk=assessment_pk, campaign=campaign
    )
    assessment.campaign = campaign
    if not permissions.can_reopen(request.user, assessment):
        raise Http404
    options = {"current_state": assessment.state}
    if request.method == "POST":
        form = ReopenForm(request.POST, **options)
        if form.is_valid():
            try:
                services.assessment_reopen(
                    assessment=assessment,
                    user=request.user,
                    to_state=form.cleaned_data["to_state"],
                    reason=form.cleaned_data["reason"],
                    extend_until=form.cleaned_data["extend_until"],
                )
            except (ValidationError, PermissionDenied) as exc:
                _refused(form, exc)
            else:
                messages.success(
                    request,
                    _("The assessment of %(unit)s is reopened.") % {"unit": assessment.unit.name},
                )
                return redirect("assessments:campaign_detail", pk=campaign.pk)
    else:
        form = ReopenForm(**options)
    return render(
        request,
        "assessments/campaigns/reopen.html",
        {
            "campaign": campaign,
            "assessment": assessment,
            "form": form,
            "transitions": selectors.assessment_transitions(assessment=assessment),
        },
    )
