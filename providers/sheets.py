"""A data provider's sheet: the template of the figures it owes, and the sheet filled in.

The template (``template_workbook``, openpyxl) has one row per unit and
figure the agency owes, on the sheet "Số liệu": the unit's ID, official code
and name, the figure's code (``3.2``, or ``@tong_so_ho_gia_dinh`` for a
general-information field) and name, one column per input (a ratio's ``a``
and ``b``; ``Giá trị`` for everything else), the value already sent, and how
to write it. The column names are a file format: Vietnamese in every
interface language, as the other sheets of the product.

The provider uploads it back as .xlsx, or as .csv (UTF-8 with or without a
BOM, comma or semicolon). ``read_sheet`` reads it whatever it holds: a file
that is not a workbook, a damaged one, formulas, merged cells, dates where
numbers go, more than ``MAX_ROWS`` rows, an empty sheet: each is a message,
never an exception. Rows whose input columns are empty are skipped (not
filled in yet). ``sheet_preview`` then runs every row through
``services.figures_provide`` without saving (``dry_run``), and
``sheet_apply`` sends them all or none (``all_or_nothing``, channel sheet).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from dti.spreadsheets import clean_text, keep_as_text
from indicators import scoring
from indicators.excel import _fold, _not_a_workbook, _not_openable

from . import display, services
from .models import Channel, ProviderAssignment

logger = logging.getLogger(__name__)

SHEET = "Số liệu"
GUIDE_SHEET = "Hướng dẫn"
MAX_ROWS = 20_000  # data rows: every commune of the country, a few figures each
MAX_BYTES = 2 * 1024 * 1024  # the upload, kept in the session between preview and apply
MAX_COLUMNS = 30  # columns read in a row; the template has ten

# key, header (a file format: never translated), width
COLUMNS = [
    ("id", "ID đơn vị", 10),
    ("code", "Mã đơn vị", 12),
    ("unit", "Tên đơn vị", 28),
    ("figure", "Mã số liệu", 24),
    ("figure_name", "Tên số liệu", 48),
    ("a", "a (tử số)", 14),
    ("b", "b (mẫu số)", 14),
    ("value", "Giá trị", 16),
    ("sent", "Giá trị đã gửi", 24),
    ("how", "Cách nhập", 48),
]
HEADER = {key: header for key, header, _width in COLUMNS}
INPUT_KEYS = ("a", "b", "value")
# Also accepted on upload: the bare input names.
ALIASES = {"a": "a", "b": "b"}

NOT_USED = PatternFill("solid", fgColor="E9ECEF")
HEAD = PatternFill("solid", fgColor="DCE6F2")


# --- the template ---------------------------------------------------------------------


def _how(assignment: ProviderAssignment) -> str:
    """How to write the figure, in Vietnamese (a column of the file format)."""
    if not assignment.indicator_id:
        if assignment.info_field.kind == "number":
            return "Giá trị: một số (thông tin chung của đơn vị)."
        return "Giá trị: văn bản (thông tin chung của đơn vị)."
    indicator = assignment.indicator
    rule, method = indicator.rule or {}, indicator.method
    if method == scoring.RATIO:
        typed = [t for t in ("a", "b") if not (rule.get(t) or {}).get("field")]
        parts = [f"{t} = {(rule.get(t) or {}).get('label') or t}" for t in typed]
        taken = [t for t in ("a", "b") if t not in typed]
        text = "Nhập " + "; ".join(parts) + "."
        if taken:
            text += " " + ", ".join(taken) + " lấy từ thông tin chung của đơn vị."
        return text
    if method == scoring.YES_NO:
        return "Giá trị: Có hoặc Không."
    if method == scoring.LEVELS:
        options = "; ".join(
            f"{o['key']} = {o.get('label') or o['key']}" for o in rule.get("options", [])
        )
        return f"Giá trị: mã của một mức — {options}."
    if method == scoring.CHECKLIST:
        parts = "; ".join(
            f"{p['key']} = {p.get('label') or p['key']}" for p in rule.get("parts", [])
        )
        return f"Giá trị: mã các phần đạt, cách nhau bởi dấu chấm phẩy — {parts}."
    unit = (rule.get("unit") or "").strip()
    return f"Giá trị: một số{f' ({unit})' if unit else ''}."


def _number_cell(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return value
    return int(number) if number == number.to_integral_value() else number


def _sent_inputs(assignment: ProviderAssignment, value) -> dict[str, Any]:
    """The input columns of a figure already sent, as a person would type them again."""
    value = value or {}
    if not assignment.indicator_id:
        stored = value.get("value")
        return {"value": _number_cell(stored) if assignment.info_field.kind == "number" else stored}
    method = assignment.indicator.method
    if method == scoring.RATIO:
        return {t: _number_cell(value[t]) for t in ("a", "b") if t in value}
    if method == scoring.YES_NO:
        return {"value": "Có" if value.get("value") is True else "Không"}
    if method == scoring.LEVELS:
        return {"value": value.get("option")}
    if method == scoring.CHECKLIST:
        return {"value": "; ".join(value.get("checked") or [])}
    return {"value": _number_cell(value.get("value"))}


def _used_inputs(assignment: ProviderAssignment) -> set[str]:
    return {spec.name for spec in display.inputs_of(assignment)}


def _cell(sheet, value, *, fill=None, bold=False):
    cell = WriteOnlyCell(sheet, value=clean_text(value) if isinstance(value, str) else value)
    keep_as_text(cell)
    if fill is not None:
        cell.fill = fill
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def template_workbook(*, rows) -> bytes:
    """The template of every figure the agency owes (``selectors.owed_all``), with those sent."""
    with translation.override("vi"):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(SHEET)
        for index, (_key, _header, width) in enumerate(COLUMNS):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, header, fill=HEAD, bold=True) for _k, header, _w in COLUMNS])
        hows: dict[int, str] = {}
        for row in rows:
            assignment = row.assignment
            used = _used_inputs(assignment)
            sent = _sent_inputs(assignment, row.figure.value) if row.figure else {}
            if assignment.pk not in hows:
                hows[assignment.pk] = _how(assignment)
            values = {
                "id": row.unit_id,
                "code": row.unit_code,
                "unit": row.unit_name,
                "figure": display.figure_code(assignment),
                "figure_name": display.figure_name(assignment),
                **{key: sent.get(key) for key in INPUT_KEYS},
                "sent": display.value_text(assignment, row.figure.value) if row.figure else "",
                "how": hows[assignment.pk],
            }
            sheet.append(
                [
                    _cell(
                        sheet,
                        values[key] if values[key] not in ("", None) else None,
                        fill=NOT_USED if key in INPUT_KEYS and key not in used else None,
                    )
                    for key, _header, _width in COLUMNS
                ]
            )
        guide = workbook.create_sheet(GUIDE_SHEET)
        guide.column_dimensions["A"].width = 22
        guide.column_dimensions["B"].width = 100
        for line in GUIDE:
            guide.append([_cell(guide, part) for part in line])
        output = io.BytesIO()
        workbook.save(output)
    return output.getvalue()


GUIDE = [
    ("Cột", "Cách điền"),
    (HEADER["id"], "Mã định danh của đơn vị trong hệ thống. Không sửa."),
    (HEADER["code"], "Mã đơn vị hành chính. Dùng khi không có ID đơn vị."),
    (HEADER["unit"], "Tên đơn vị, để đối chiếu; không được đọc khi nhập."),
    (
        HEADER["figure"],
        "Mã chỉ số (3.2) hoặc mã thông tin chung, bắt đầu bằng @ (@tong_so_ho_gia_dinh).",
    ),
    (HEADER["a"], "Tỷ lệ a/b: tử số a."),
    (HEADER["b"], "Tỷ lệ a/b: mẫu số b; để trống khi b lấy từ thông tin chung của đơn vị."),
    (
        HEADER["value"],
        "Các chỉ số khác và thông tin chung: một số; Có/Không; mã của mức; "
        "mã các phần đạt cách nhau bởi dấu chấm phẩy (theo cột Cách nhập).",
    ),
    (HEADER["sent"], "Số liệu cơ quan đã gửi; không được đọc khi nhập."),
    (HEADER["how"], "Cách nhập số liệu của dòng."),
    ("", ""),
    (
        "Lưu ý",
        "Dòng để trống các cột a, b và Giá trị được bỏ qua. Không dùng công thức, "
        "không gộp ô. Có thể lưu thành CSV (UTF-8, phân cách bằng dấu phẩy hoặc "
        "dấu chấm phẩy) với cùng hàng tiêu đề.",
    ),
    (
        "Nhập",
        "Tải tệp lên: hệ thống cho xem trước kết quả từng dòng, rồi ghi tất cả "
        "hoặc không ghi dòng nào.",
    ),
]


# --- reading an upload ----------------------------------------------------------------


@dataclass
class SheetLine:
    """One row of the upload to send: the unit, the figure's code and the inputs as typed."""

    number: int  # the row number in the sheet (the header is row 1)
    unit: int | str | None = None
    code: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def unit_text(self) -> str:
        return "" if self.unit is None else str(self.unit)


@dataclass
class ReadSheet:
    lines: list[SheetLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the file cannot be read at all
    blank: int = 0  # rows with a unit and figure but no input: not filled in yet

    @property
    def has_problems(self) -> bool:
        return bool(self.errors or any(line.problems for line in self.lines))


def _too_many_rows() -> str:
    return _(
        "The sheet has more than %(max)s rows. Send it in parts, or delete the rows that "
        "hold no figure (empty but formatted rows too), and upload it again."
    ) % {"max": MAX_ROWS}


def _no_figures() -> str:
    return _("The sheet has no figures: fill in the template's rows and upload it again.")


def _headers_missing() -> str:
    return _(
        "The first row must hold the template's column names: “%(figure)s”, “%(id)s” or "
        "“%(code)s”, and the input columns. Download the template and fill it in."
    ) % {"figure": HEADER["figure"], "id": HEADER["id"], "code": HEADER["code"]}


def _columns(header: list) -> dict[str, int] | None:
    """Where each column the upload reads is, by its (folded) name; None if unusable."""
    wanted = {_fold(HEADER[key]): key for key in ("id", "code", "figure", *INPUT_KEYS)}
    wanted.update({alias: key for alias, key in ALIASES.items()})
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        key = wanted.get(_fold(str(value))) if value not in (None, "") else None
        if key and key not in found:
            found[key] = index
    usable = (
        "figure" in found
        and ("id" in found or "code" in found)
        and any(k in found for k in INPUT_KEYS)
    )
    return found if usable else None


def _where(number: int, key: str) -> str:
    return _("Row %(row)s") % {"row": number} + f", {HEADER[key]}: "


def _plain(value):
    """A cell's value as the services take it: integral floats as integers, text stripped."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _line(number: int, cells: dict[str, Any], problems: list[str]) -> SheetLine | None:
    """The row to send, or None when it has nothing to send (blank inputs)."""
    line = SheetLine(number=number, problems=problems)
    for key in INPUT_KEYS:
        value = _plain(cells.get(key))
        if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
            line.problems.append(
                _where(number, key)
                + _("a date is not a figure; format the cell as Text or Number and type it again.")
            )
            value = None
        if value not in (None, ""):
            line.inputs[key] = value
    if not line.inputs and not problems:
        return None
    unit_id, unit_code = _plain(cells.get("id")), _plain(cells.get("code"))
    if unit_id not in (None, ""):
        if isinstance(unit_id, int) and not isinstance(unit_id, bool):
            line.unit = unit_id
        elif isinstance(unit_id, str) and unit_id.isascii() and unit_id.isdigit():
            line.unit = int(unit_id)
        else:
            line.problems.append(
                _where(number, "id") + _("“%(value)s” is not a unit ID.") % {"value": unit_id}
            )
    elif unit_code not in (None, ""):
        if isinstance(unit_code, bool | datetime.date | datetime.time | datetime.timedelta):
            line.problems.append(
                _where(number, "code")
                + _("“%(value)s” is not an official code.") % {"value": unit_code}
            )
        else:
            line.unit = str(unit_code)
    else:
        line.problems.append(
            _("Row %(row)s") % {"row": number}
            + ": "
            + _("Give the unit: its ID or its official code.")
        )
    code = cells.get("figure")
    if isinstance(code, float):
        code = repr(code)
    code = _plain(code)
    if code in (None, ""):
        line.problems.append(
            _where(number, "figure") + _("“%(header)s” is required.") % {"header": HEADER["figure"]}
        )
    elif isinstance(code, bool | datetime.date | datetime.time | datetime.timedelta):
        line.problems.append(
            _where(number, "figure") + _("“%(value)s” is not a figure code.") % {"value": code}
        )
    else:
        line.code = str(code)
    return line


def _merged_ranges(sheet) -> list[str]:
    """The merged ranges of a read-only sheet, from its XML (openpyxl skips them there).

    A byte scan, not an XML parse: the part is at most the workbook's unpacked
    limit, and the tag is all that matters.
    """
    pattern = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"')
    found: dict[str, None] = {}
    tail = b""
    try:
        with sheet._get_source() as source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                for match in pattern.finditer(data):
                    found[match.group(1).decode("ascii")] = None
                if len(found) >= 5:
                    break
                tail = data[-512:]
    except Exception:  # not a read-only sheet of this openpyxl: its rows still tell
        logger.warning("Could not look for merged cells", exc_info=True)
    return list(found)


def _read_rows(rows, result: ReadSheet, *, typed) -> None:
    """Read the header and the data rows (``typed``: cells carry Excel's data types)."""
    header = next(rows, None)
    if header is None:
        result.errors.append(_no_figures())
        return
    columns = _columns([(cell.value if typed else cell) for cell in header])
    if columns is None:
        result.errors.append(_headers_missing())
        return
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            values = [(cell.value if typed else cell) for cell in row]
            if any(value not in (None, "") for value in values):
                result.errors.append(_too_many_rows())
                result.lines = []
                return
            continue  # padding: empty rows past the limit hold no figure
        cells, problems = {}, []
        for key, index in columns.items():
            if index >= len(row):
                continue
            cell = row[index]
            if not typed:
                cells[key] = cell
            elif cell.data_type == "f":
                problems.append(
                    _where(number, key) + _("Formulas are not allowed; type the value itself.")
                )
            elif cell.data_type == "e":
                problems.append(
                    _where(number, key)
                    + _("The cell shows an Excel error (%(value)s).") % {"value": cell.value}
                )
            else:
                cells[key] = cell.value
        line = _line(number, cells, problems)
        if line is not None:
            result.lines.append(line)
        elif cells.get("figure") not in (None, ""):
            result.blank += 1
    if not result.lines and not result.errors:
        result.errors.append(_no_figures())


def _read_workbook(content: bytes) -> ReadSheet:
    result = ReadSheet()
    fileobj = io.BytesIO(content)
    problem = _not_openable(fileobj)
    workbook = None
    if problem is None:
        try:
            workbook = load_workbook(fileobj, read_only=True, data_only=False)
        except Exception:  # a zip that is not a workbook fails in many ways
            problem = _not_a_workbook()
    if problem:
        result.errors.append(problem)
        return result
    try:
        sheets = workbook.worksheets
        if not sheets:
            result.errors.append(_no_figures())
            return result
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else sheets[0]
        if (sheet.max_row or 0) > MAX_ROWS + 1:
            result.errors.append(_too_many_rows())
            return result
        _read_rows(iter(sheet.iter_rows(max_col=MAX_COLUMNS)), result, typed=True)
        if result.errors:
            return result
        merged = _merged_ranges(sheet)
        if merged:
            result.errors.append(
                _(
                    "The sheet has merged cells (%(ranges)s). Unmerge them so that every row "
                    "holds its own unit and figure, and upload it again."
                )
                % {"ranges": ", ".join(merged)}
            )
            result.lines = []
    except Exception:
        # Read-only openpyxl parses the sheet lazily, so a damaged one fails only here.
        logger.exception("Unreadable provider sheet")
        result.errors.append(_("The file is damaged and cannot be read as a workbook."))
        result.lines = []
    finally:
        workbook.close()
    return result


def _read_csv(content: bytes) -> ReadSheet:
    result = ReadSheet()
    if not content:
        result.errors.append(_("The file is empty."))
        return result
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(
            _(
                "The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (Comma "
                "delimited)”, or upload the .xlsx workbook."
            )
        )
        return result
    if "\x00" in text:
        result.errors.append(_("The file is damaged and cannot be read as a CSV file."))
        return result
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _read_rows((row[:MAX_COLUMNS] for row in reader), result, typed=False)
    except csv.Error:
        result.errors.append(_("The file is damaged and cannot be read as a CSV file."))
        result.lines = []
    return result


def read_sheet(name: str, content: bytes) -> ReadSheet:
    """The rows of an uploaded .xlsx or .csv, or the problems that stop reading it."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "csv":
        return _read_csv(content)
    if suffix in ("xlsx", "xlsm") or content[:4] == b"PK\x03\x04":
        return _read_workbook(content)
    result = ReadSheet()
    result.errors.append(
        _("Upload the template as an Excel workbook (.xlsx) or a CSV file (.csv).")
        if content
        else _("The file is empty.")
    )
    return result


# --- preview and apply ----------------------------------------------------------------


def _figure_rows(lines: list[SheetLine], assignments) -> list[services.FigureRow]:
    """The lines as ``FigureRow``: ``@code`` (or a field's bare code) is a general-information
    field, anything else an indicator's code; a ratio takes ``a`` and ``b``."""
    indicators = {a.indicator.code: a.indicator for a in assignments if a.indicator_id}
    fields = {a.info_field.code for a in assignments if a.info_field_id}
    rows = []
    for line in lines:
        code, inputs = line.code, line.inputs
        if code.startswith("@") or (code in fields and code not in indicators):
            rows.append(
                services.FigureRow(
                    unit=line.unit, field=code.lstrip("@"), value=inputs.get("value")
                )
            )
            continue
        indicator = indicators.get(code)
        if indicator is not None and indicator.method == scoring.RATIO:
            value = {t: inputs[t] for t in ("a", "b") if t in inputs}
        else:
            value = inputs.get("value")
        rows.append(services.FigureRow(unit=line.unit, indicator=code, value=value))
    return rows


@dataclass
class PreviewLine:
    number: int
    unit: str
    unit_name: str
    figure: str
    status: str  # created, updated, unchanged, error
    prefilled: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass
class Preview:
    lines: list[PreviewLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blank: int = 0

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("created", "updated", "unchanged", "error")}

    @property
    def can_apply(self) -> bool:
        return (
            not self.errors
            and not self.count("error")
            and bool(self.count("created") + self.count("updated"))
        )


def _preview_of(read: ReadSheet, sendable: list[SheetLine], results) -> Preview:
    preview = Preview(errors=list(read.errors), blank=read.blank)
    by_number = dict(zip((line.number for line in sendable), results, strict=True))
    for line in read.lines:
        result = by_number.get(line.number)
        if result is None:
            preview.lines.append(
                PreviewLine(
                    line.number, line.unit_text, "", line.code, "error", False, line.problems
                )
            )
        else:
            preview.lines.append(
                PreviewLine(
                    line.number,
                    line.unit_text,
                    result.unit_name,
                    line.code,
                    result.status,
                    result.prefilled,
                    list(result.messages),
                )
            )
    return preview


def sheet_preview(*, user, campaign, assignments, name: str, content: bytes) -> Preview:
    """Every row's result as if the sheet were sent now; nothing is saved."""
    read = read_sheet(name, content)
    if read.errors:
        return Preview(errors=list(read.errors), blank=read.blank)
    sendable = [line for line in read.lines if not line.problems]
    results = []
    if sendable:
        results = services.figures_provide(
            user=user,
            campaign=campaign,
            rows=_figure_rows(sendable, assignments),
            channel=Channel.SHEET,
            dry_run=True,
        )
    return _preview_of(read, sendable, results)


def sheet_apply(*, user, campaign, assignments, name: str, content: bytes) -> Preview:
    """Send every row of the sheet, or none: ``RowsRefused`` (nothing saved) names each problem.

    A sheet that cannot be read, or with a row it cannot read, is refused
    with a ``ValidationError`` before anything is sent.
    """
    read = read_sheet(name, content)
    if read.has_problems:
        raise ValidationError(list(read.errors) + [p for line in read.lines for p in line.problems])
    results = services.figures_provide(
        user=user,
        campaign=campaign,
        rows=_figure_rows(read.lines, assignments),
        channel=Channel.SHEET,
        all_or_nothing=True,
    )
    return _preview_of(read, read.lines, results)


def refused_preview(*, name: str, content: bytes, results) -> Preview:
    """The preview of a sheet ``sheet_apply`` refused (``RowsRefused.results``)."""
    read = read_sheet(name, content)
    return _preview_of(read, read.lines, results)
