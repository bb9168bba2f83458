"""Excel export and import of a council's assignments (openpyxl).

One sheet, "Phân công", one row per indicator and member: the indicator's
code and name, the member's account, name and agency, and the units (names
separated by ";", empty for every assessed unit). Indicators nobody has are
exported with the member columns empty, to be filled in. The column names are
a file format, Vietnamese in every interface language.

The sheet is the council's whole assignment: importing it gives a preview of
what will be added, changed and removed (and every problem, by row), and
``import_apply`` writes that preview in one transaction, all or nothing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from dti.spreadsheets import append_row
from indicators.excel import _not_a_workbook, _not_openable
from indicators.models import natural_key

from . import permissions, selectors, services
from .models import Assignment, Council, CouncilMember

logger = logging.getLogger(__name__)

SHEET = "Phân công"
HEADERS = ["Mã chỉ số", "Tên chỉ số", "Tài khoản", "Họ và tên", "Cơ quan", "Đơn vị"]
MAX_ROWS = 20000


def export_assignments(*, council: Council) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    append_row(sheet, HEADERS)
    assignments = (
        Assignment.objects.filter(member__council=council)
        .select_related("indicator", "member__user__agency")
        .prefetch_related("units")
    )
    by_indicator: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_indicator.setdefault(assignment.indicator_id, []).append(assignment)
    indicators = sorted(selectors.indicators_of(council), key=lambda i: natural_key(i.code))
    for indicator in indicators:
        rows = by_indicator.get(indicator.pk) or [None]
        for assignment in rows:
            if assignment is None:
                append_row(sheet, [indicator.code, indicator.name, "", "", "", ""])
                continue
            user = assignment.member.user
            units = "; ".join(sorted(unit.name for unit in assignment.units.all()))
            append_row(
                sheet,
                [indicator.code, indicator.name, user.username, str(user), user.agency.name, units],
            )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@dataclass
class Change:
    code: str
    person: str
    units_before: list[str] | None  # None: not assigned before
    units_after: list[str] | None  # None: removed


@dataclass
class ImportPreview:
    planned: list[services.PlannedAssignment] = field(default_factory=list)
    removed: list[Assignment] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    gone: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.gone)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _too_many_rows() -> str:
    return _(
        "The sheet has more than %(max)s rows. Delete the rows that are not assignments "
        "(empty but formatted rows too) and upload it again."
    ) % {"max": MAX_ROWS}


def _read_rows(sheet) -> tuple[list[tuple], list[str]]:
    """The sheet's values, row by row, or the problems that stop reading it.

    The sheet's stated size is checked before a row is read, and rows are
    counted as they come (a sheet may state no size, or a wrong one). A
    formula is refused: its value is whatever Excel last computed, if anything.
    """
    errors: list[str] = []
    if sheet.max_row is not None and sheet.max_row > MAX_ROWS + 1:
        return [], [_too_many_rows()]
    rows = []
    for number, row in enumerate(sheet.iter_rows(max_col=len(HEADERS)), start=1):
        if number > MAX_ROWS + 1:
            if any(cell.value is not None for cell in row):
                return [], [_too_many_rows()]
            continue  # padding: empty rows past the limit are no assignments
        values = []
        for column, cell in enumerate(row):
            if cell.data_type == "f":
                errors.append(
                    _("Row %(row)s") % {"row": number}
                    + f", {HEADERS[column]}: "
                    + _("Formulas are not allowed; type the value itself.")
                )
                values.append(None)
            elif cell.data_type == "e":
                errors.append(
                    _("Row %(row)s") % {"row": number}
                    + f", {HEADERS[column]}: "
                    + _("The cell shows an Excel error (%(value)s).") % {"value": cell.value}
                )
                values.append(None)
            else:
                values.append(cell.value)
        rows.append(tuple(values))
    return rows, errors


def import_preview(*, council: Council, fileobj) -> ImportPreview:
    """Read the sheet and say what would change; writes nothing.

    Whatever the file (not a workbook, damaged, huge, formulas, merged or
    mistyped cells), the answer is a preview with errors, never an exception.
    """
    preview = ImportPreview()
    if not fileobj.seekable():
        fileobj = io.BytesIO(fileobj.read())
    problem = _not_openable(fileobj)
    workbook = None
    if problem is None:
        try:
            workbook = load_workbook(fileobj, read_only=True, data_only=False)
        except Exception:
            problem = _not_a_workbook()
    if problem:
        preview.errors.append(problem)
        return preview
    try:
        if SHEET not in workbook.sheetnames:
            preview.errors.append(_("The sheet “%(sheet)s” is missing.") % {"sheet": SHEET})
            return preview
        rows, errors = _read_rows(workbook[SHEET])
    except Exception:
        # Read-only openpyxl parses the sheet lazily, so a damaged one fails only here.
        logger.exception("Unreadable assignment workbook")
        preview.errors.append(_("The file is damaged and cannot be read as a workbook."))
        return preview
    finally:
        workbook.close()
    if errors:
        preview.errors.extend(errors)
        return preview
    indicators = {i.code: i for i in selectors.indicators_of(council)}
    members = {
        m.user.username: m
        for m in CouncilMember.objects.filter(council=council).select_related("user__agency")
    }
    units = {
        a.unit.name: a.unit
        for a in council.campaign.assessments.select_related("unit")  # assessed units
    }
    wanted: dict[tuple[int, int], services.PlannedAssignment] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = (list(row) + [None] * len(HEADERS))[: len(HEADERS)]
        code, username, unit_text = _text(cells[0]), _text(cells[2]), _text(cells[5])
        if not username:
            continue  # a blank row, or an unassigned indicator as exported
        where = _("Row %(row)s") % {"row": number}
        indicator = indicators.get(code)
        member = members.get(username)
        if not code:
            # e.g. a merged cell: only its first row holds the code
            preview.errors.append(
                f"{where}: " + _("“%(header)s” is required.") % {"header": HEADERS[0]}
            )
        elif indicator is None:
            preview.errors.append(
                f"{where}: "
                + _("Not indicators of this campaign's set: %(codes)s.") % {"codes": code}
            )
        if member is None:
            preview.errors.append(
                f"{where}: " + _("Not members of this council: %(people)s.") % {"people": username}
            )
        names = [part.strip() for part in unit_text.split(";") if part.strip()]
        unknown = [name for name in names if name not in units]
        if unknown:
            preview.errors.append(
                f"{where}: "
                + _("These units are not assessed in this campaign: %(units)s.")
                % {"units": ", ".join(unknown)}
            )
        if indicator is None or member is None or unknown:
            continue
        chosen = tuple(units[name] for name in names)
        conflicted = [u.name for u in chosen if permissions.is_conflicted(member.user, u.pk)]
        for unit_name in conflicted:
            preview.errors.append(
                f"{where}: "
                + _("%(person)s belongs to %(unit)s and cannot appraise it.")
                % {"person": member.user, "unit": unit_name}
            )
        wanted[(member.pk, indicator.pk)] = services.PlannedAssignment(member, indicator, chosen)
    existing = {
        (a.member_id, a.indicator_id): a
        for a in Assignment.objects.filter(member__council=council)
        .select_related("indicator", "member__user")
        .prefetch_related("units")
    }
    for key, item in wanted.items():
        after = sorted(u.name for u in item.units)
        current = existing.get(key)
        if current is None:
            preview.added.append(Change(item.indicator.code, str(item.member.user), None, after))
        else:
            before = sorted(u.name for u in current.units.all())
            if before != after:
                preview.changed.append(
                    Change(item.indicator.code, str(item.member.user), before, after)
                )
    for key, current in existing.items():
        if key not in wanted:
            preview.removed.append(current)
            preview.gone.append(
                Change(
                    current.indicator.code,
                    str(current.member.user),
                    sorted(u.name for u in current.units.all()),
                    None,
                )
            )
    preview.planned = list(wanted.values())
    return preview


def import_apply(*, council: Council, user, preview: ImportPreview) -> None:
    """Write the previewed sheet: every row, and the removals, or nothing."""
    if not permissions.can_assign(user, council):
        raise PermissionDenied(
            _("Only the organizer or the council's chair or secretary can assign indicators.")
        )
    if preview.errors:
        raise ValidationError(preview.errors)
    with transaction.atomic():
        services.assignments_apply(council=council, user=user, planned=preview.planned)
        for assignment in preview.removed:
            assignment = Assignment.objects.filter(pk=assignment.pk).first()
            if assignment is not None:
                assignment._history_user = user
                assignment.delete()
