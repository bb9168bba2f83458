"""The published results as one Excel workbook (openpyxl).

One sheet per ranking the set defines (DTI, Chính quyền số, Kinh tế số, Xã hội
số: rank, unit, value, and the band for DTI), a "Ma trận" sheet of units ×
indicators (self score, round 1, round 2 and final of each indicator), a
"Nguồn số liệu" sheet saying where each unit's figures came from (typed by the
unit, imported from an agency's sheet or provided by an agency: who, when, and
the unit's reason for changing a provided figure) and a "Thông tin" sheet
saying what was published, by which decision and version.
Like the PDF documents it reads the published snapshot (the sources sheet
reads the published units' figures, which publication has locked), and its
wording is Vietnamese whatever the page's language (see ``rankings.documents``).

Numbers are number cells (a ``Decimal`` is written as a number, with a number
format of the set's decimal places), never text, so the sheets sort and sum.
Text is never a formula: a cell whose text starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (a unit's or indicator's name, a correction
reason …) is written as a string with Excel's quote prefix, so Excel and
LibreOffice show it as typed and never evaluate it, even after an edit.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from assessments.models import InputSource
from dti.spreadsheets import clean_text, keep_as_text

from . import selectors
from .documents import SHORT_TITLES, authority_of
from .models import Publication

MATRIX_SHEET = "Ma trận"
SOURCES_SHEET = "Nguồn số liệu"
INFO_SHEET = "Thông tin"
STAGES = [("self", "Tự chấm"), ("round_1", "Vòng 1"), ("round_2", "Vòng 2"), ("final", "Cuối cùng")]


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="A6A6A6")
LEFT_EDGE = Border(left=THIN)


def number_format(places: int) -> str:
    return "0." + "0" * places if places > 0 else "0"


def put(sheet, row: int, column: int, value, *, number_format: str | None = None):
    """Write one cell: a number as a number, text as text that is never a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = clean_text(value)
        keep_as_text(cell)
    else:
        cell.value = value
        if number_format and isinstance(value, int | float | Decimal):
            cell.number_format = number_format
    return cell


def _header(sheet, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER


def _decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _sheet_title(title: str) -> str:
    """A valid sheet title: at most 31 characters, none of []:*?/\\."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31]


def results_workbook(*, publication: Publication) -> bytes:
    """The workbook of one published version: 8 queries, whatever the number of units."""
    campaign = publication.campaign
    places = campaign.indicator_set.decimal_places
    value_format = number_format(places)
    tables = selectors.published_tables(publication=publication)
    workbook = Workbook()
    workbook.remove(workbook.active)

    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(SHORT_TITLES[table.kind]))
        titles = ["Thứ hạng", "Đơn vị", "Giá trị (%)"]
        if table.kind == "dti":
            titles.append("Xếp loại")
        _header(sheet, 1, titles)
        for row, (rank, value, result) in enumerate(table.rows, start=2):
            put(sheet, row, 1, rank)
            put(sheet, row, 2, result.unit_name)
            put(sheet, row, 3, value, number_format=value_format)
            if table.kind == "dti":
                put(sheet, row, 4, result.band_name or None)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{max(len(table.rows) + 1, 1)}"
        for letter, width in zip("ABCD", (10, 36, 14, 16), strict=False):
            sheet.column_dimensions[letter].width = width

    # Every unit, ranked or not (nothing to score), by DTI rank then name.
    ordered = sorted(
        publication.results.all(),
        key=lambda r: (r.dti_rank is None, r.dti_rank or 0, r.unit_name),
    )
    _matrix(workbook.create_sheet(MATRIX_SHEET), ordered)
    _sources(workbook.create_sheet(SOURCES_SHEET), ordered, publication)
    _info(workbook.create_sheet(INFO_SHEET), publication)

    workbook.properties.title = f"Kết quả xếp hạng – {campaign.name}"[:255]
    workbook.properties.creator = authority_of(campaign.organizing_unit).name
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _matrix(sheet, results: list) -> None:
    """Units down, indicators across: four columns (self, round 1, round 2, final) each.

    Rows 1–3 name each indicator (code, name, max points) over its four
    columns, row 4 the stages; a unit's row starts with its name and DTI rank.
    """
    indicators: dict[str, dict] = {}
    for result in results:
        for item in result.indicators:
            indicators.setdefault(item["code"], item)
    fixed = ["Đơn vị", "Hạng DTI"]
    for column, title in enumerate(fixed, start=1):
        sheet.merge_cells(start_row=1, start_column=column, end_row=4, end_column=column)
        cell = put(sheet, 1, column, title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER
    columns = {}
    for index, (code, item) in enumerate(indicators.items()):
        first = len(fixed) + 1 + index * len(STAGES)
        columns[code] = first
        last = first + len(STAGES) - 1
        name = item["name"] + (" (điểm khuyến khích)" if item.get("bonus") else "")
        for row, value in ((1, code), (2, name), (3, _decimal(item["max"]))):
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
            cell = put(sheet, row, first, value, number_format='"Tối đa "General')
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER
        for offset, (_key, title) in enumerate(STAGES):
            cell = put(sheet, 4, first + offset, title)
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER
            sheet.column_dimensions[get_column_letter(first + offset)].width = 9
        sheet.row_dimensions[2].height = 60
    for row, result in enumerate(results, start=5):
        put(sheet, row, 1, result.unit_name)
        put(sheet, row, 2, result.dti_rank)
        for item in result.indicators:
            first = columns[item["code"]]
            for offset, (key, _title) in enumerate(STAGES):
                cell = put(sheet, row, first + offset, _decimal(item[key]), number_format="0.00")
                if offset == 0:
                    cell.border = LEFT_EDGE
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 9
    sheet.freeze_panes = "C5"


# How a figure came, in the words of the workbook (Vietnamese whatever the page's language).
SOURCE_WORDS = {
    InputSource.TYPED: "Đơn vị nhập",
    InputSource.IMPORTED: "Nhập từ bảng tính của cơ quan cung cấp",
    InputSource.PROVIDED: "Cơ quan cung cấp",
}
SOURCES_TITLES = [
    "Đơn vị",
    "Mã",
    "Chỉ số / thông tin chung",
    "Số liệu của đơn vị",
    "Nguồn",
    "Cơ quan",
    "Thời điểm",
    "Số liệu cơ quan cung cấp, khi khác (cơ quan)",
    "Lý do thay đổi số liệu được cung cấp",
]


def _sources(sheet, results: list, publication: Publication) -> None:
    """Where each figure came from: one row per answered or provided figure of each unit.

    A public file: the source and the agency, never the person who typed or sent
    it (the organizer's pages and the history name them).

    The units in the order of the matrix; each unit's general information first,
    then its indicators. The time is the local time of the saving or providing.
    """
    with translation.override("vi"):  # numbers and Có/Không as the rest of the workbook
        rows = selectors.input_sources(publication=publication)
    names = {result.assessment_id: result.unit_name for result in results}
    position = {result.assessment_id: index for index, result in enumerate(results)}
    rows = sorted(rows, key=lambda row: position.get(row.assessment_id, len(position)))
    _header(sheet, 1, SOURCES_TITLES)
    for number, row in enumerate(rows, start=2):
        found = row.provenance
        at = timezone.localtime(found.at).replace(tzinfo=None) if found.at else None
        values = [
            names.get(row.assessment_id, ""),
            row.code if not row.is_general_info else "Thông tin chung",
            row.name,
            row.figure or None,
            SOURCE_WORDS.get(found.source, found.source) if found.entered else None,
            found.agency or None,
            at,
            f"{row.provided_text} ({found.provided.agency})" if row.provided_text else None,
            found.note or None,
        ]
        for column, value in enumerate(values, start=1):
            cell = put(sheet, number, column, value)
            if column == 7 and value is not None:
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif column in (3, 4, 8, 9):
                cell.alignment = WRAP
    last = get_column_letter(len(SOURCES_TITLES))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
    sheet.freeze_panes = "B2"
    for letter, width in zip("ABCDEFGHI", (28, 16, 40, 26, 22, 26, 16, 26, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def _info(sheet, publication: Publication) -> None:
    campaign = publication.campaign
    indicator_set = campaign.indicator_set
    decision = publication.decision_number
    if publication.decision_date:
        decision += f" ngày {publication.decision_date:%d/%m/%Y}"
    rows = [
        ("Đợt đánh giá", campaign.name),
        ("Năm", campaign.year),
        ("Đơn vị tổ chức", campaign.organizing_unit.name),
        ("Bộ chỉ số", indicator_set.name),
        (
            "Văn bản ban hành bộ chỉ số",
            " ".join(
                part
                for part in (
                    indicator_set.decision_number,
                    f"ngày {indicator_set.decision_date:%d/%m/%Y}"
                    if indicator_set.decision_date
                    else "",
                    f"của {indicator_set.issuer}" if indicator_set.issuer else "",
                )
                if part
            )
            or None,
        ),
        ("Quyết định công bố", decision),
        (
            "Chức vụ người ký",
            " – ".join(
                line.strip() for line in publication.signer_title.splitlines() if line.strip()
            ),
        ),
        ("Người ký", publication.signer_name),
        ("Phiên bản", publication.version),
        ("Ngày công bố", timezone.localdate(publication.published_at)),
        ("Lý do đính chính", publication.reason or None),
        ("Số chữ số thập phân", indicator_set.decimal_places),
        (
            "Ghi chú",
            "Giá trị (%) = tổng điểm đạt được ÷ tổng điểm tối đa × 100, làm tròn nửa lên; "
            "điểm “Cuối cùng” là điểm thẩm định vòng 2, nếu không có là điểm vòng 1.",
        ),
    ]
    for row, (label, value) in enumerate(rows, start=1):
        put(sheet, row, 1, label).font = HEADER_FONT
        cell = put(sheet, row, 2, value)
        cell.alignment = WRAP
        if label == "Ngày công bố":
            cell.number_format = "dd/mm/yyyy"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
