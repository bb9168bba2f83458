"""The organizer's page of a campaign's data providers: who provides which figure, for
which units, how many figures came and how many are missing; naming an agency, and
withdrawing an assignment that has brought no figure yet.

Thin view: reads from ``selectors``, the check from ``permissions`` (404 for
whoever may not manage the campaign), writes through ``services``, whose
refusals are shown on the page unchanged.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessments.models import AdministrativeUnit, Campaign
from assessments.views import refusal_messages
from indicators.models import GeneralInfoField, Indicator

from . import display, permissions, selectors, services
from .forms_figures import AssignmentForm
from .models import ProviderAssignment

UNITS_SHOWN = 8  # an assignment's units named on the page; the rest are counted


def _form(campaign: Campaign, data=None) -> AssignmentForm:
    return AssignmentForm(
        data,
        agencies=selectors.provider_candidates(campaign=campaign),
        indicators=Indicator.objects.filter(
            pillar__indicator_set_id=campaign.indicator_set_id
        ).select_related("pillar"),
        fields=GeneralInfoField.objects.filter(indicator_set_id=campaign.indicator_set_id),
        units=AdministrativeUnit.objects.filter(assessments__campaign=campaign).order_by(
            "name", "pk"
        ),
        auto_id="provider-%s",
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_providers(request, campaign_pk):
    campaign = get_object_or_404(
        Campaign.objects.select_related("organizing_unit", "indicator_set"), pk=campaign_pk
    )
    if not permissions.can_manage_providers(request.user, campaign):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    form = _form(campaign, request.POST if action == "create" else None)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if action == "create":
                if form.is_valid():
                    assignment = services.provider_assignment_create(
                        user=request.user, campaign=campaign, **form.cleaned()
                    )
                    messages.success(
                        request,
                        _("%(agency)s now provides “%(figure)s”.")
                        % {
                            "agency": assignment.agency,
                            "figure": display.figure_name(assignment),
                        },
                    )
                    return redirect("providers:campaign_providers", campaign_pk=campaign.pk)
            elif action == "delete":
                wanted = request.POST.get("assignment", "")
                if not (wanted.isascii() and wanted.isdigit()):
                    raise Http404
                assignment = get_object_or_404(
                    ProviderAssignment.objects.select_related(
                        "agency", "campaign", "indicator", "info_field"
                    ),
                    pk=int(wanted),
                    campaign=campaign,
                )
                services.provider_assignment_delete(user=request.user, assignment=assignment)
                messages.success(
                    request,
                    _("%(agency)s no longer provides “%(figure)s”.")
                    % {"agency": assignment.agency, "figure": display.figure_name(assignment)},
                )
                return redirect("providers:campaign_providers", campaign_pk=campaign.pk)
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            errors += refusal_messages(exc)
    assignments = selectors.campaign_provider_assignments(campaign=campaign)
    for assignment in assignments:
        units = list(assignment.units.all())
        assignment.code = display.figure_code(assignment)
        assignment.name = display.figure_name(assignment)
        assignment.units_shown = units[:UNITS_SHOWN]
        assignment.units_more = max(0, len(units) - UNITS_SHOWN)
        assignment.missing = max(0, assignment.covered - assignment.sent)
    return render(
        request,
        "providers/assignments.html",
        {"campaign": campaign, "assignments": assignments, "form": form, "errors": errors},
    )
