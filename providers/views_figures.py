"""The data providers' own pages: the campaigns where their agency owes figures, the units ×
figures of one campaign (one page of 100 at a time, each with a small form), and the sheet:
its template, an upload's preview and its all-or-nothing apply.

Thin views: the reads come from ``selectors``, every check from ``permissions``
(a campaign where the person's agency owes nothing is a 404, as if it did not
exist), every write from ``services.figures_provide``, whose refusals are
shown as they come.
"""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.models import Campaign
from assessments.views import refusal_messages

from . import display, permissions, selectors, services, sheets
from .forms_figures import FigureForm, SheetForm
from .models import Channel, ProviderAssignment

SHEET_SESSION_KEY = "providers_sheet_%s"
MISSING_PARAMETER = "thieu"
PREVIEW_LINES_SHOWN = 2000  # the rest of a very long sheet is only counted
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _provider_campaign(request, campaign_pk) -> tuple[Campaign, list[ProviderAssignment]]:
    """The campaign and the agency's assignments in it, figures in page order; else 404."""
    if not permissions.is_data_provider(request.user):
        raise Http404
    campaign = get_object_or_404(
        Campaign.objects.select_related("organizing_unit", "indicator_set"), pk=campaign_pk
    )
    assignments = display.figure_order(
        selectors.agency_assignments(agency_id=request.user.agency_id, campaign=campaign)
    )
    if not assignments:
        raise Http404
    return campaign, assignments


class _Line:
    """A row of the page: the selector's row, its value in words and its form."""

    def __init__(self, row: selectors.OwedRow, form: FigureForm | None = None, **extra):
        self.row = row
        self.assignment = row.assignment
        self.figure = row.figure
        self.code = display.figure_code(row.assignment)
        self.name = display.figure_name(row.assignment)
        self.value_text = display.value_text(row.assignment, row.figure.value) if row.figure else ""
        self.dom_id = f"fig-{row.assignment.pk}-{row.assessment_id}"
        self.form = form or FigureForm(
            initial=FigureForm.initial_from(row.assignment, row.figure.value)
            if row.figure
            else None,
            assignment=row.assignment,
            row_id=self.dom_id,
        )
        self.errors: list[str] = []
        self.saved = None
        self.__dict__.update(extra)


def _page_query(request) -> str:
    """The page's own query (page number, "missing only") to come back to after a form."""
    kept = {
        key: request.GET[key]
        for key in (selectors.FIGURES_PAGE_PARAMETER, MISSING_PARAMETER)
        if request.GET.get(key)
    }
    return f"?{urlencode(kept)}" if kept else ""


# --- the campaigns --------------------------------------------------------------------


@login_required
def my_campaigns(request):
    """The campaigns where the person's agency owes figures (none for anyone else)."""
    user = request.user
    campaigns = (
        selectors.provider_campaigns(agency_id=user.agency_id)
        if permissions.is_data_provider(user)
        else []
    )
    return render(
        request,
        "providers/figures/campaigns.html",
        {"campaigns": campaigns, "is_provider": permissions.is_data_provider(user)},
    )


# --- units × figures ----------------------------------------------------------------------


@login_required
def figures(request, campaign_pk):
    campaign, assignments = _provider_campaign(request, campaign_pk)
    counts = selectors.owed_counts(agency_id=request.user.agency_id, campaign=campaign)
    missing_only = request.GET.get(MISSING_PARAMETER) == "1"
    rows, page = selectors.owed_page(
        agency_id=request.user.agency_id,
        campaign=campaign,
        assignments=assignments,
        counts=counts,
        missing_only=missing_only,
        page=request.GET.get(selectors.FIGURES_PAGE_PARAMETER),
        label=_("the figures owed"),
    )
    summary = []
    for assignment in assignments:
        owed, sent = counts.get(assignment.pk, (0, 0))
        summary.append(
            {
                "assignment": assignment,
                "code": display.figure_code(assignment),
                "name": display.figure_name(assignment),
                "units": len(assignment.units.all()),
                "owed": owed,
                "sent": sent,
                "missing": owed - sent,
            }
        )
    return render(
        request,
        "providers/figures/figures.html",
        {
            "campaign": campaign,
            "agency": request.user.agency,
            "summary": summary,
            "owed": sum(item["owed"] for item in summary),
            "missing": sum(item["missing"] for item in summary),
            "lines": [_Line(row) for row in rows],
            "table": page,
            "missing_only": missing_only,
            "page_query": _page_query(request),
            "sheet_form": SheetForm(),
            "max_rows": sheets.MAX_ROWS,
        },
    )


@login_required
@require_POST
def figure_save(request, campaign_pk, assignment_pk, assessment_pk):
    """Send one figure typed in the page (htmx: the row comes back with the result)."""
    campaign, assignments = _provider_campaign(request, campaign_pk)
    assignment = next((a for a in assignments if a.pk == assignment_pk), None)
    if assignment is None:
        raise Http404
    agency_id = request.user.agency_id
    row = selectors.owed_row(
        agency_id=agency_id, assignment=assignment, assessment_id=assessment_pk
    )
    if row is None:
        raise Http404
    dom_id = f"fig-{assignment.pk}-{assessment_pk}"
    form = FigureForm(request.POST, assignment=assignment, row_id=dom_id)
    errors: list[str] = []
    result = None
    if form.is_valid():
        target = (
            {"indicator": assignment.indicator.code}
            if assignment.indicator_id
            else {"field": assignment.info_field.code}
        )
        try:
            [result] = services.figures_provide(
                user=request.user,
                campaign=campaign,
                rows=[services.FigureRow(unit=row.unit_id, value=form.figure_value(), **target)],
                channel=Channel.FORM,
            )
        except (PermissionDenied, ValidationError) as exc:
            errors += refusal_messages(exc)
        else:
            if not result.ok:
                errors += result.messages
    else:
        errors += [
            f"{form.fields[name].label}: {error}" if name in form.fields else error
            for name, field_errors in form.errors.items()
            for error in field_errors
        ]
    if errors:
        line = _Line(row, form=form, errors=errors)
    else:
        row = selectors.owed_row(
            agency_id=agency_id, assignment=assignment, assessment_id=assessment_pk
        )
        line = _Line(row, saved=result)
    if not request.htmx:
        for message in errors:
            messages.error(request, message)
        if result is not None and result.ok:
            messages.success(request, _saved_message(result, line))
        url = reverse("providers:figures", kwargs={"campaign_pk": campaign.pk})
        return redirect(url + _page_query(request))
    return render(
        request,
        "providers/figures/_line.html",
        {"line": line, "campaign": campaign, "page_query": _page_query(request)},
    )


def _saved_message(result, line) -> str:
    if result.status == "unchanged":
        text = _("%(unit)s, %(figure)s: the same figure was already sent; nothing changed.")
    else:
        text = _("%(unit)s, %(figure)s: the figure has been sent.")
    text = text % {"unit": line.row.unit_name, "figure": line.code}
    return " ".join([text, *result.messages])


# --- the sheet ----------------------------------------------------------------------------


@login_required
def sheet_template(request, campaign_pk):
    """The .xlsx template of every figure the agency owes in the campaign, with those sent."""
    campaign, assignments = _provider_campaign(request, campaign_pk)
    rows = selectors.owed_all(
        agency_id=request.user.agency_id, campaign=campaign, assignments=assignments
    )
    response = HttpResponse(sheets.template_workbook(rows=rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="so-lieu-{campaign.pk}.xlsx"'
    return response


def _preview_page(request, campaign, preview, *, errors=(), applied=False, form=None):
    lines = preview.lines if preview else []
    shown = sorted(lines, key=lambda line: (line.status != "error", line.number))
    return render(
        request,
        "providers/figures/preview.html",
        {
            "campaign": campaign,
            "agency": request.user.agency,
            "preview": preview,
            "lines": shown[:PREVIEW_LINES_SHOWN],
            "hidden": max(0, len(lines) - PREVIEW_LINES_SHOWN),
            "errors": list(errors),
            "applied": applied,
            "sheet_form": form or SheetForm(),
        },
    )


@login_required
@require_POST
def sheet_upload(request, campaign_pk):
    """Upload → every row's result, nothing saved; apply → every row saved, or none."""
    campaign, assignments = _provider_campaign(request, campaign_pk)
    key = SHEET_SESSION_KEY % campaign.pk
    arguments = {"user": request.user, "campaign": campaign, "assignments": assignments}
    if request.POST.get("action") == "apply":
        stored = request.session.get(key)
        if not stored:
            messages.error(request, _("Upload the sheet again: its preview has expired."))
            return redirect("providers:figures", campaign_pk=campaign.pk)
        name, content = stored["name"], base64.b64decode(stored["content"])
        try:
            preview = sheets.sheet_apply(name=name, content=content, **arguments)
        except services.RowsRefused as exc:
            preview = sheets.refused_preview(name=name, content=content, results=exc.results)
            return _preview_page(request, campaign, preview, errors=exc.messages)
        except (PermissionDenied, ValidationError) as exc:
            return _preview_page(request, campaign, None, errors=refusal_messages(exc))
        request.session.pop(key, None)
        counts = preview.counts
        messages.success(
            request,
            _(
                "The sheet has been applied: %(created)s new figures, %(updated)s changed, "
                "%(unchanged)s unchanged."
            )
            % counts,
        )
        return redirect("providers:figures", campaign_pk=campaign.pk)
    form = SheetForm(request.POST, request.FILES)
    if not form.is_valid():
        request.session.pop(key, None)
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _preview_page(request, campaign, None, errors=errors, form=form)
    upload = form.cleaned_data["file"]
    content = upload.read()
    preview = sheets.sheet_preview(name=upload.name, content=content, **arguments)
    if preview.can_apply:
        request.session[key] = {
            "name": upload.name[:200],
            "content": base64.b64encode(content).decode("ascii"),
        }
    else:
        request.session.pop(key, None)
    return _preview_page(request, campaign, preview, errors=preview.errors)
