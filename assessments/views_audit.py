"""The campaign's audit log (nhật ký): the page, and its export to Excel or CSV.

For the campaign's organizer and administrators (``permissions.can_view_audit_log``);
anyone else gets a 404, as for every campaign page, and anonymous people the
login page. The page is a fixed number of queries whatever the log's length:
the campaign, the units of the filter, the count and one page of 50 entries.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dti.spreadsheets import FORMULA_STARTS, append_row

from . import permissions, selectors
from .models import AuditAction, Campaign

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _campaign(request, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("organizing_unit"), pk=pk)
    if not permissions.can_view_audit_log(request.user, campaign):
        raise Http404
    return campaign


def _filters(request) -> selectors.AuditFilters:
    unit = request.GET.get("don-vi", "")
    action = request.GET.get("hanh-dong", "")
    return selectors.AuditFilters(
        unit_id=int(unit) if unit.isdigit() else None,
        action=action if action in AuditAction.values else "",
        actor=request.GET.get("nguoi", "")[:200],
    )


def _query(filters: selectors.AuditFilters, **extra) -> str:
    params = {
        "don-vi": filters.unit_id or "",
        "hanh-dong": filters.action,
        "nguoi": filters.actor,
        **extra,
    }
    return urlencode({key: value for key, value in params.items() if value})


@login_required
def campaign_audit_log(request, pk):
    campaign = _campaign(request, pk)
    filters = _filters(request)
    entries = selectors.audit_entries(campaign=campaign, filters=filters)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request,
        "assessments/campaigns/audit_log.html",
        {
            "campaign": campaign,
            "page": page,
            "entries": list(page.object_list),
            "filters": filters,
            "units": selectors.audit_units(campaign=campaign),
            "actions": AuditAction.choices,
            "query": _query(filters),
        },
    )


# --- the export --------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Time"),
        _("Unit"),
        _("By"),
        _("Action"),
        _("What changed"),
        _("Object"),
        _("Details (before and after)"),
    ]


def _rows(campaign: Campaign, filters: selectors.AuditFilters):
    """The entries as rows of plain values, newest first, read in chunks."""
    entries = selectors.audit_entries(campaign=campaign, filters=filters)
    labels = dict(AuditAction.choices)
    for entry in entries.iterator(chunk_size=2000):
        yield [
            timezone.localtime(entry.at).replace(tzinfo=None, microsecond=0),
            entry.unit.name if entry.unit else "",
            entry.actor_name or _("System"),
            str(labels.get(entry.action, entry.action)),
            entry.summary,
            f"{entry.object_type} #{entry.object_id}" if entry.object_id else entry.object_type,
            json.dumps(entry.details, cls=DjangoJSONEncoder, ensure_ascii=False),
        ]


def _file_name(campaign: Campaign, extension: str) -> str:
    return f"nhat-ky-dot-{campaign.pk}-{timezone.localdate():%Y%m%d}.{extension}"


def _attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def campaign_audit_export(request, pk, fmt):
    """The log with the page's filters, as Excel (``xlsx``) or CSV; text is never a formula."""
    campaign = _campaign(request, pk)
    filters = _filters(request)
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Vietnamese letters intact
        writer = csv.writer(buffer)
        writer.writerow(_headers())
        for row in _rows(campaign, filters):
            writer.writerow([_csv_cell(value) for value in row])
        return _attachment(
            buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", _file_name(campaign, fmt)
        )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Audit log")[:31]
    append_row(sheet, _headers())
    for row in _rows(campaign, filters):
        append_row(sheet, row)
        sheet.cell(row=sheet.max_row, column=1).number_format = "dd/mm/yyyy hh:mm:ss"
    for column, width in zip("ABCDEFG", (20, 24, 24, 28, 70, 28, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return _attachment(output.getvalue(), XLSX, _file_name(campaign, fmt))


def _csv_cell(value):
    """Text that a spreadsheet would run as a formula is written with a leading quote."""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
