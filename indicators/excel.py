"""Excel import and export of an indicator set (openpyxl).

The workbook is the set's template as offices already exchange it: the sheet
and column names below are a file format, so they are Vietnamese in every
interface language; the "Hướng dẫn" sheet of each exported workbook and
docs/indicator-set-template.md explain every column.

* "Bộ chỉ số": one row per property of the set (column A the name, B the value).
* "Chỉ số": one row per component indicator, with its group and pillar
  repeated on each row; a row with only the group and pillar columns declares
  a pillar without indicators (a pillar that is not scored), a row with only
  the group columns a group without pillars.
* "Chỉ số phụ": the sub-indices and the pillars that feed each.
* "Thông tin chung": the general-information fields, the "@code" of ratio rules.
* "Xếp loại": the bands.

Import reads every row, reports every problem with its sheet, row and column,
and saves nothing unless the whole workbook is sound; then it saves a new
draft set in one transaction. Hostile files (not a workbook, zip bombs, huge
sheets, formulas) end in an error message, never an exception.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dti.spreadsheets import append_row

from . import scoring
from .models import (
    Band,
    BonusRule,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SubIndex,
    Tier,
    natural_key,
)
from .rule_text import EXAMPLES, rule_from_text, rule_to_text
from .selectors import indicator_set_structure

logger = logging.getLogger(__name__)

MAX_ROWS = 5000  # per sheet; a real set has at most a few hundred indicators
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a small upload may unpack to gigabytes (zip bomb)

GUIDE_SHEET = "Hướng dẫn"
SET_SHEET = "Bộ chỉ số"
INDICATOR_SHEET = "Chỉ số"
SUB_INDEX_SHEET = "Chỉ số phụ"
GENERAL_INFO_SHEET = "Thông tin chung"
BAND_SHEET = "Xếp loại"

YES, NO = "Có", "Không"

# Spreadsheet names of coded values; import also accepts the codes themselves.
TIER_NAMES = {
    Tier.PROVINCE: "tinh",
    Tier.DISTRICT: "huyen",
    Tier.COMMUNE: "xa",
    Tier.DEPARTMENT: "so-nganh",
}
METHOD_NAMES = {
    scoring.MANUAL: "Chấm điểm trực tiếp",
    scoring.YES_NO: "Có/Không",
    scoring.LEVELS: "Mức",
    scoring.TIERS: "Bậc ngưỡng",
    scoring.RATIO: "Tỷ lệ",
    scoring.COUNT: "Đếm số lượng",
    scoring.CHECKLIST: "Danh mục thành phần",
}
BONUS_RULE_NAMES = {
    BonusRule.ADD_CAPPED: "Cộng vào điểm đạt, tối đa 100%",
    BonusRule.ADD_UNCAPPED: "Cộng vào điểm đạt, có thể vượt 100%",
    BonusRule.SEPARATE: "Tính riêng, không cộng",
}
KIND_NAMES = {GeneralInfoField.Kind.NUMBER: "Số", GeneralInfoField.Kind.TEXT: "Văn bản"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str


SET_FIELDS = [
    Column("name", "Tên", "Tên bộ chỉ số. Bắt buộc."),
    Column("tier", "Cấp", "Cấp đánh giá: tinh, huyen, xa hoặc so-nganh. Bắt buộc."),
    Column("year", "Năm", "Năm đánh giá, ví dụ 2025. Bắt buộc."),
    Column("decision_number", "Số quyết định", "Số quyết định ban hành, ví dụ 1901/QĐ-UBND."),
    Column("decision_date", "Ngày quyết định", "dd/mm/yyyy hoặc ô kiểu ngày của Excel."),
    Column("issuer", "Cơ quan ban hành", "Ví dụ UBND tỉnh Bình Định."),
    Column("source_note", "Ghi chú nguồn", "Nguồn của bộ chỉ số, phần nào là minh họa."),
    Column(
        "bonus_rule",
        "Quy tắc điểm thưởng",
        "Cách điểm thưởng vào tỷ lệ %: " + "; ".join(BONUS_RULE_NAMES.values()) + ". "
        "Để trống là “" + BONUS_RULE_NAMES[BonusRule.ADD_CAPPED] + "”.",
    ),
    Column(
        "decimal_places",
        "Số chữ số thập phân",
        "Số chữ số thập phân của giá trị % (làm tròn nửa lên), 0 đến 4; để trống là 2.",
    ),
]
KEY_VALUE_COLUMNS = [
    Column("label", "Trường", "Tên trường, đúng như danh sách dưới."),
    Column("value", "Giá trị", "Giá trị của trường."),
]
INDICATOR_COLUMNS = [
    Column("group_code", "Mã nhóm", "Mã nhóm chỉ số (I, II …); để trống nếu bộ không chia nhóm."),
    Column(
        "group_name",
        "Tên nhóm",
        "Bắt buộc ở dòng đầu tiên của nhóm; các dòng sau để trống hoặc ghi giống hệt.",
    ),
    Column(
        "pillar_code",
        "Mã chỉ số chính",
        "Mã chỉ số chính (1, 2 …). Bắt buộc trên mọi dòng có chỉ số thành phần.",
    ),
    Column(
        "pillar_name",
        "Tên chỉ số chính",
        "Bắt buộc ở dòng đầu tiên của chỉ số chính; các dòng sau để trống hoặc ghi giống hệt.",
    ),
    Column(
        "pillar_scored",
        "Chỉ số chính có tính điểm",
        "Có/Không; để trống là Có. Ghi Không cho chỉ số chính chỉ thu thập, không tính điểm.",
    ),
    Column(
        "code",
        "Mã",
        "Mã chỉ số thành phần (1.1, 4.22.1 …), không trùng trong bộ. Để trống các cột từ Mã "
        "đến Nguồn để khai báo một chỉ số chính chưa có chỉ số thành phần.",
    ),
    Column("name", "Tên chỉ số thành phần", "Bắt buộc."),
    Column(
        "max_points",
        "Điểm tối đa",
        "Số không âm, tối đa 2 chữ số thập phân (dấu phẩy hoặc dấu chấm). Bắt buộc. "
        "Tổng điểm của chỉ số chính và của bộ được tính từ cột này, không nhập tay.",
    ),
    Column("method", "Phương pháp", "Tên hoặc mã phương pháp ở bảng dưới. Bắt buộc."),
    Column("rule", "Quy tắc", "Quy tắc tính điểm theo cú pháp ở bảng dưới."),
    Column("guidance", "Cách xác định và tính điểm", "Hướng dẫn cho đơn vị tự đánh giá."),
    Column("evidence_required", "Tài liệu kiểm chứng", "Tài liệu đơn vị phải nộp."),
    Column("evidence_mandatory", "Bắt buộc có tài liệu", "Có/Không; để trống là Không."),
    Column("data_source", "Nguồn dữ liệu", "Cơ quan cung cấp số liệu."),
    Column("verifier", "Đơn vị xác minh", "Cơ quan phối hợp xác minh."),
    Column(
        "is_bonus",
        "Điểm thưởng",
        "Có/Không; để trống là Không. Điểm thưởng không tính vào tổng điểm tối đa.",
    ),
    Column(
        "is_illustrative",
        "Minh họa",
        "Có nếu chỉ số không lấy từ quyết định chính thức; để trống là Không.",
    ),
    Column("source_note", "Nguồn", "Nguồn của chỉ số (văn bản, trang)."),
]
SUB_INDEX_COLUMNS = [
    Column("code", "Mã", "Mã chỉ số phụ: chữ không dấu, số, - và _ (ví dụ dti, cqs). Bắt buộc."),
    Column("name", "Tên", "Ví dụ Chỉ số Chính quyền số. Bắt buộc."),
    Column(
        "pillars",
        "Các chỉ số chính",
        "Mã các chỉ số chính tính vào chỉ số phụ, cách nhau bằng dấu phẩy hoặc chấm phẩy; "
        "một chỉ số chính có thể thuộc nhiều chỉ số phụ.",
    ),
]
GENERAL_INFO_COLUMNS = [
    Column(
        "code",
        "Mã",
        "Mã trường: chữ không dấu, số, - và _ (ví dụ population). Quy tắc tỷ lệ dùng @mã.",
    ),
    Column("name", "Tên", "Ví dụ Tổng số dân. Bắt buộc."),
    Column("kind", "Kiểu", "Số hoặc Văn bản; để trống là Số."),
]
BAND_COLUMNS = [
    Column("name", "Tên", "Ví dụ Xuất sắc, Tốt, Khá. Bắt buộc."),
    Column("min_percent", "Từ giá trị DTI (%)", "Đơn vị đạt từ giá trị này trở lên. Bắt buộc."),
    Column("is_illustrative", "Minh họa", "Có nếu ngưỡng không lấy từ quyết định chính thức."),
]
SHEETS = {
    SET_SHEET: KEY_VALUE_COLUMNS,
    INDICATOR_SHEET: INDICATOR_COLUMNS,
    SUB_INDEX_SHEET: SUB_INDEX_COLUMNS,
    GENERAL_INFO_SHEET: GENERAL_INFO_COLUMNS,
    BAND_SHEET: BAND_COLUMNS,
}
RULE_SYNTAX = {
    scoring.MANUAL: "để trống; đơn vị nhập điểm từ 0 đến điểm tối đa",
    scoring.YES_NO: "để trống; Có được điểm tối đa, Không được 0",
    scoring.LEVELS: EXAMPLES[scoring.LEVELS] + " (mã: mô tả = điểm, cách nhau bằng |)",
    scoring.TIERS: EXAMPLES[scoring.TIERS]
    + " (ngưỡng → điểm, cách nhau bằng ; — cũng đọc được >=4: 20 hoặc 4=20; "
    "có thể thêm “; đơn vị: cuộc họp”)",
    scoring.RATIO: EXAMPLES[scoring.RATIO]
    + " (@mã lấy số liệu từ trang Thông tin chung; b=0: tối đa hoặc 0)",
    scoring.COUNT: "5 hoặc " + EXAMPLES[scoring.COUNT] + " (điểm mỗi mục, không quá điểm tối đa)",
    scoring.CHECKLIST: EXAMPLES[scoring.CHECKLIST] + " (như Mức; cộng điểm các phần đạt)",
}


@dataclass(frozen=True)
class ImportIssue:
    """One problem of an imported workbook, located as a person finds it in Excel."""

    sheet: str | None  # None: the file as a whole
    row: int | None
    column: str | None
    message: str


@dataclass
class ImportResult:
    indicator_set: IndicatorSet | None
    errors: list[ImportIssue] = field(default_factory=list)


# --- export -------------------------------------------------------------------


def export_filename(indicator_set: IndicatorSet) -> str:
    return f"bo-chi-so-{_fold(indicator_set.name)[:60]}-{indicator_set.year}.xlsx"


def export_indicator_set(indicator_set: IndicatorSet) -> bytes:
    workbook = Workbook()
    _write_guide(workbook.active)

    sheet = _new_sheet(workbook, SET_SHEET, KEY_VALUE_COLUMNS)
    values = {
        "name": indicator_set.name,
        "tier": TIER_NAMES.get(indicator_set.tier, indicator_set.tier),
        "year": indicator_set.year,
        "decision_number": indicator_set.decision_number,
        "decision_date": indicator_set.decision_date,
        "issuer": indicator_set.issuer,
        "source_note": indicator_set.source_note,
        "bonus_rule": BONUS_RULE_NAMES.get(indicator_set.bonus_rule, indicator_set.bonus_rule),
        "decimal_places": indicator_set.decimal_places,
    }
    for column in SET_FIELDS:
        _append(sheet, [column.header, values[column.key]])
        if column.key == "decision_date":
            sheet.cell(sheet.max_row, 2).number_format = "DD/MM/YYYY"

    sheet = _new_sheet(workbook, INDICATOR_SHEET, INDICATOR_COLUMNS)
    used_groups = set()
    for view in indicator_set_structure(indicator_set=indicator_set):
        pillar, group = view.pillar, view.pillar.group
        used_groups.add(pillar.group_id)
        head = [
            group.code if group else None,
            group.name if group else None,
            pillar.code,
            pillar.name,
            _yes_no(pillar.scored),
        ]
        if not view.indicators:
            _append(sheet, head)
        for indicator in view.indicators:
            _append(
                sheet,
                head
                + [
                    indicator.code,
                    indicator.name,
                    indicator.max_points,
                    METHOD_NAMES.get(indicator.method, indicator.method),
                    rule_to_text(indicator.method, indicator.rule),
                    indicator.guidance,
                    indicator.evidence_required,
                    _yes_no(indicator.evidence_mandatory),
                    indicator.data_source,
                    indicator.verifier,
                    _yes_no(indicator.is_bonus),
                    _yes_no(indicator.is_illustrative),
                    indicator.source_note,
                ],
            )
    for group in indicator_set.groups.exclude(pk__in=used_groups - {None}):
        _append(sheet, [group.code, group.name])
    _add_choice_list(sheet, list(METHOD_NAMES.values()), "I")
    for letter in ("E", "M", "P", "Q"):
        _add_choice_list(sheet, [YES, NO], letter)

    sheet = _new_sheet(workbook, SUB_INDEX_SHEET, SUB_INDEX_COLUMNS)
    for sub_index in indicator_set.sub_indices.prefetch_related("pillars"):
        pillars = sorted(sub_index.pillars.all(), key=lambda p: (p.order, natural_key(p.code)))
        _append(sheet, [sub_index.code, sub_index.name, ", ".join(p.code for p in pillars)])

    sheet = _new_sheet(workbook, GENERAL_INFO_SHEET, GENERAL_INFO_COLUMNS)
    for info in indicator_set.general_info_fields.all():
        _append(sheet, [info.code, info.name, KIND_NAMES.get(info.kind, info.kind)])

    sheet = _new_sheet(workbook, BAND_SHEET, BAND_COLUMNS)
    for band in indicator_set.bands.all():
        _append(sheet, [band.name, band.min_percent, _yes_no(band.is_illustrative)])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append(sheet, values: list) -> None:
    append_row(sheet, values)


def _yes_no(flag: bool) -> str:
    return YES if flag else NO


def _new_sheet(workbook: Workbook, title: str, columns: list[Column]):
    sheet = workbook.create_sheet(title)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(1, index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        wide = column.key in (
            "name",
            "guidance",
            "evidence_required",
            "rule",
            "source_note",
            "value",
        )
        sheet.column_dimensions[get_column_letter(index)].width = 45 if wide else 16
    sheet.freeze_panes = "A2"
    return sheet


def _add_choice_list(sheet, choices: list[str], letter: str) -> None:
    # A drop-down that suggests, not forces: import checks the values anyway.
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=False,
    )
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)


def _write_guide(sheet) -> None:
    sheet.title = GUIDE_SHEET
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 100
    bold = Font(bold=True)
    lines: list[tuple] = [
        ("Mẫu nhập bộ chỉ số đánh giá chuyển đổi số (DTI)",),
        (
            "Mỗi trang tính dưới đây có dòng 1 là tiêu đề cột, giữ nguyên tên và thứ tự cột; "
            "dữ liệu bắt đầu từ dòng 2. Không dùng công thức. Khi nhập, mọi lỗi được liệt kê "
            "theo trang, dòng và cột; chỉ khi không còn lỗi nào thì bộ chỉ số mới được lưu, "
            "ở trạng thái nháp.",
        ),
        (),
        ("Trang tính", "Cột", "Ý nghĩa"),
    ]
    lines.append(
        (SET_SHEET, "Trường, Giá trị", "Mỗi dòng một trường: cột A tên trường, cột B giá trị.")
    )
    lines += [(SET_SHEET, column.header, column.help) for column in SET_FIELDS]
    for title, columns in list(SHEETS.items())[1:]:
        lines += [(title, column.header, column.help) for column in columns]
    lines += [(), ("Phương pháp", "Mã", "Quy tắc")]
    lines += [(name, code, RULE_SYNTAX[code]) for code, name in METHOD_NAMES.items()]
    lines += [
        (),
        (
            "Số thập phân viết bằng dấu phẩy hoặc dấu chấm (7,5 hoặc 7.5), không dùng dấu "
            "phân cách hàng nghìn.",
        ),
    ]
    for line in lines:
        _append(sheet, list(line))
        if len(line) == 3 and line[0] in ("Trang tính", "Phương pháp"):
            for cell in sheet[sheet.max_row]:
                cell.font = bold
    sheet["A1"].font = Font(bold=True, size=14)


# --- import -------------------------------------------------------------------


def import_indicator_set(fileobj, *, name: str | None = None) -> ImportResult:
    """Read a workbook; save it as a new draft set only if it has no error at all."""
    reader = _Reader()
    workbook = reader.open(fileobj)
    if workbook is None:
        return ImportResult(None, reader.errors)
    try:
        parsed = reader.read(workbook, name=name)
    except Exception:
        # Read-only openpyxl parses sheets lazily, so a corrupt sheet fails only here.
        logger.exception("Unreadable indicator set workbook")
        reader.errors.append(
            ImportIssue(
                None, None, None, _("The file is damaged and cannot be read as a workbook.")
            )
        )
    finally:
        workbook.close()
    if reader.errors:
        return ImportResult(None, sorted(reader.errors, key=_in_reading_order))
    return ImportResult(_save(parsed), [])


def _in_reading_order(issue: ImportIssue) -> tuple:
    sheets = list(SHEETS)
    sheet = sheets.index(issue.sheet) if issue.sheet in sheets else -1
    return (sheet, issue.row or 0, len(issue.column or ""), issue.column or "")


@dataclass
class _Cell:
    sheet: str
    row: int | None
    column: str
    header: str
    value: Any = None
    reported: bool = False  # already has an error (formula, #REF!): read as empty, silently

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())

    @property
    def empty(self) -> bool:
        """Nothing in the cell, not even a refused formula."""
        return self.blank and not self.reported


@dataclass
class _Parsed:
    indicator_set: IndicatorSet | None = None
    groups: dict[str, IndicatorGroup] = field(default_factory=dict)
    pillars: dict[str, tuple[Pillar, str | None]] = field(default_factory=dict)
    indicators: list[tuple[Indicator, str]] = field(default_factory=list)
    sub_indices: list[tuple[SubIndex, list[str]]] = field(default_factory=list)
    general_info: dict[str, GeneralInfoField] = field(default_factory=dict)
    bands: list[Band] = field(default_factory=list)


def _fold(text: str) -> str:
    """Compare names as people type them: no accents, case or punctuation (Sở, ngành = so-nganh)."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _names(names: dict[str, str]) -> dict[str, str]:
    """Folded code and spreadsheet name → code."""
    lookup = {_fold(str(code)): str(code) for code in names}
    lookup.update({_fold(name): str(code) for code, name in names.items()})
    return lookup


def _used_on(code: str, row: int) -> str:
    return _("The code “%(code)s” is already used on row %(row)s.") % {"code": code, "row": row}


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _not_a_workbook() -> str:
    return _(
        "The file is not an Excel workbook (.xlsx). Open it in Excel and save it as "
        "“Excel Workbook (.xlsx)”."
    )


def _not_openable(fileobj) -> str | None:
    """Why the file cannot be opened as a workbook at all, checked before openpyxl reads it."""
    if fileobj.seek(0, io.SEEK_END) == 0:
        return _("The file is empty.")
    try:
        with zipfile.ZipFile(fileobj) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # whatever a hostile file makes zipfile raise
        return _not_a_workbook()
    finally:
        fileobj.seek(0)
    if unpacked > MAX_UNPACKED_BYTES:
        return _("The workbook is too large once unpacked.")
    return None


_YES = {"co", "x", "yes", "true", "1", "dung"}
_NO = {"khong", "no", "false", "0", "sai"}
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")


class _Reader:
    """Reads the workbook and collects every problem instead of stopping at the first."""

    def __init__(self):
        self.errors: list[ImportIssue] = []

    def error(self, cell: _Cell, message: str) -> None:
        self.errors.append(ImportIssue(cell.sheet, cell.row, cell.column, message))

    # --- the file

    def open(self, fileobj):
        """The workbook, or None after recording why the file cannot be one."""
        if not fileobj.seekable():
            fileobj = io.BytesIO(fileobj.read())
        problem = _not_openable(fileobj)
        if problem is None:
            try:
                workbook = load_workbook(fileobj, read_only=True, data_only=False)
            except Exception:  # a zip that is not a workbook fails in many ways
                problem = _not_a_workbook()
        if problem:
            self.errors.append(ImportIssue(None, None, None, problem))
            return None
        missing = [sheet for sheet in SHEETS if sheet not in workbook.sheetnames]
        for sheet in missing:
            self.errors.append(
                ImportIssue(
                    sheet, None, None, _("The sheet “%(sheet)s” is missing.") % {"sheet": sheet}
                )
            )
        if missing:
            workbook.close()
            return None
        # The size each sheet states (its <dimension>), before any row is read, so that a
        # 100 000-row sheet is refused at once; rows() counts them anyway, since a sheet
        # may state no size or a wrong one.
        oversized = [sheet for sheet in SHEETS if (workbook[sheet].max_row or 0) > MAX_ROWS + 1]
        for sheet in oversized:
            self.errors.append(
                ImportIssue(
                    sheet,
                    MAX_ROWS + 2,
                    None,
                    _("A sheet may have at most %(max)s rows; the rest was not read.")
                    % {"max": MAX_ROWS},
                )
            )
        if oversized:
            workbook.close()
            return None
        return workbook

    def check_headers(self, workbook) -> None:
        for sheet, columns in SHEETS.items():
            header = next(workbook[sheet].iter_rows(max_row=1, max_col=len(columns)), ())
            for index, column in enumerate(columns):
                value = header[index].value if index < len(header) else None
                if _fold(str(value or "")) != _fold(column.header):
                    self.errors.append(
                        ImportIssue(
                            sheet,
                            1,
                            get_column_letter(index + 1),
                            _("The header of this column must be “%(header)s”.")
                            % {"header": column.header},
                        )
                    )

    def rows(
        self, workbook, sheet: str, columns: list[Column]
    ) -> Iterator[tuple[int, dict[str, _Cell]]]:
        """The non-blank data rows of a sheet (its header row was checked on opening)."""
        rows = workbook[sheet].iter_rows(min_row=2, max_col=len(columns))
        for number, row in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                # Only look for content here: a hostile sheet may pad a million empty rows.
                if any(cell.value is not None for cell in row):
                    self.errors.append(
                        ImportIssue(
                            sheet,
                            number,
                            None,
                            _("A sheet may have at most %(max)s rows; the rest was not read.")
                            % {"max": MAX_ROWS},
                        )
                    )
                    return
                continue
            cells = {
                column.key: self._cell(sheet, number, index, column, row)
                for index, column in enumerate(columns)
            }
            if not all(cell.empty for cell in cells.values()):
                yield number, cells

    def _cell(self, sheet: str, number: int, index: int, column: Column, row) -> _Cell:
        source = row[index] if index < len(row) else None
        cell = _Cell(sheet, number, get_column_letter(index + 1), column.header)
        if source is None:
            return cell
        value, data_type = source.value, source.data_type
        if data_type == "f":
            # A formula is only a value once Excel computes it; ask for the value itself.
            self.error(cell, _("Formulas are not allowed; type the value itself."))
            cell.reported = True
        elif data_type == "e":
            self.error(cell, _("The cell shows an Excel error (%(value)s).") % {"value": value})
            cell.reported = True
        else:
            cell.value = value
        return cell

    # --- typed cell values; each returns None (and records why) when it cannot

    def required(self, cell: _Cell) -> None:
        """Record that a required cell is empty, unless its content was refused already."""
        if cell.empty:
            self.error(cell, _("“%(header)s” is required.") % {"header": cell.header})

    def text(self, cell: _Cell, *, required: bool = False, max_length: int | None = None) -> str:
        if cell.blank:
            if required:
                self.required(cell)
            return ""
        value = cell.value
        if isinstance(value, bool | datetime.date | datetime.time | datetime.timedelta):
            # Excel turns "1.2" into a date in some locales: say so instead of storing "2025-02-01".
            self.error(
                cell,
                _("“%(header)s” must be text, not “%(value)s”; format the cell as Text.")
                % {"header": cell.header, "value": _short(value)},
            )
            return ""
        if isinstance(value, float):
            text = str(int(value)) if value.is_integer() else repr(value)
        else:
            text = str(value).strip()
        if max_length and len(text) > max_length:
            self.error(
                cell,
                _("“%(header)s” is longer than %(max)s characters.")
                % {"header": cell.header, "max": max_length},
            )
            return ""
        return text

    def slug(self, cell: _Cell, *, max_length: int) -> str:
        text = self.text(cell, required=True, max_length=max_length)
        if text and not _SLUG.match(text):
            self.error(
                cell,
                _("“%(header)s” may contain only letters without accents, digits, - and _.")
                % {"header": cell.header},
            )
            return ""
        return text

    def decimal(self, cell: _Cell, *, model, name: str, required: bool = False) -> Decimal | None:
        if cell.blank:
            if required:
                self.required(cell)
            return None
        value = cell.value
        number = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = Decimal(repr(value))
        elif isinstance(value, str) and _DECIMAL.match(value.strip().replace(",", ".")):
            number = Decimal(value.strip().replace(",", "."))
        if number is None:
            self.error(
                cell,
                _("“%(header)s” must be a number, not “%(value)s”.")
                % {"header": cell.header, "value": _short(value)},
            )
            return None
        model_field = model._meta.get_field(name)
        places = model_field.decimal_places
        limit = Decimal(10) ** (model_field.max_digits - places)
        if number < 0:
            message = _("“%(header)s” cannot be negative.")
        elif -number.as_tuple().exponent > places and number != round(number, places):
            message = _("“%(header)s” may have at most %(places)s decimal places.")
        elif number >= limit:
            message = _("“%(header)s” must be less than %(limit)s.")
        else:
            return number
        self.error(cell, message % {"header": cell.header, "places": places, "limit": limit})
        return None

    def integer(
        self, cell: _Cell, *, low: int, high: int, default: int | None = None
    ) -> int | None:
        if cell.blank:
            if default is None:
                self.required(cell)
            return default
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        self.error(
            cell,
            _("“%(header)s” must be a whole number from %(low)s to %(high)s, not “%(value)s”.")
            % {"header": cell.header, "low": low, "high": high, "value": _short(cell.value)},
        )
        return None

    def boolean(self, cell: _Cell, *, default: bool | None) -> bool | None:
        if cell.blank:
            return default
        value = cell.value
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return value == 1
        folded = _fold(value) if isinstance(value, str) else ""
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        self.error(
            cell,
            _("“%(header)s” must be “Có” or “Không”, not “%(value)s”.")
            % {"header": cell.header, "value": _short(value)},
        )
        return default

    def date(self, cell: _Cell) -> datetime.date | None:
        if cell.blank:
            return None
        value = cell.value
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            text = re.sub(r"[.\-]", "/", value.strip())
            for pattern in ("%d/%m/%Y", "%Y/%m/%d"):
                try:
                    return datetime.datetime.strptime(text, pattern).date()
                except ValueError:
                    continue
        self.error(
            cell,
            _("“%(header)s” must be a date written dd/mm/yyyy, not “%(value)s”.")
            % {"header": cell.header, "value": _short(value)},
        )
        return None

    def choice(
        self, cell: _Cell, names: dict[str, str], *, default: str | None = None
    ) -> str | None:
        if cell.blank:
            if default is None:
                self.required(cell)
            return default
        code = _names(names).get(_fold(str(cell.value)))
        if code is None:
            self.error(
                cell,
                _("“%(header)s” must be one of: %(choices)s; not “%(value)s”.")
                % {
                    "header": cell.header,
                    "choices": "; ".join(names.values()),
                    "value": _short(cell.value),
                },
            )
        return code

    # --- the sheets

    def read(self, workbook, *, name: str | None) -> _Parsed | None:
        self.check_headers(workbook)
        if self.errors:
            return None  # a moved column would make every value of the sheet read wrong
        parsed = _Parsed()
        parsed.general_info = self.read_general_info(workbook)
        self.read_indicators(workbook, parsed)
        parsed.indicator_set = self.read_set(workbook, name=name)
        parsed.sub_indices = self.read_sub_indices(workbook, parsed.pillars)
        parsed.bands = self.read_bands(workbook)
        return parsed

    def read_set(self, workbook, *, name: str | None) -> IndicatorSet:
        by_label = {_fold(column.header): column for column in SET_FIELDS}
        cells: dict[str, _Cell] = {}
        for _number, row in self.rows(workbook, SET_SHEET, KEY_VALUE_COLUMNS):
            label = self.text(row["label"], required=True)
            if not label:
                continue
            column = by_label.get(_fold(label))
            if column is None:
                self.error(
                    row["label"],
                    _("Unknown field “%(label)s”; the fields are: %(fields)s.")
                    % {"label": _short(label), "fields": ", ".join(c.header for c in SET_FIELDS)},
                )
            elif column.key in cells:
                self.error(
                    row["label"],
                    _("“%(label)s” is given twice (row %(row)s).")
                    % {"label": column.header, "row": cells[column.key].row},
                )
            else:
                cells[column.key] = replace(row["value"], header=column.header)
        if name:
            cells["name"] = _Cell(SET_SHEET, None, "B", _("name given on import"), name)
        for column in SET_FIELDS:
            if column.key not in cells:
                cells[column.key] = _Cell(SET_SHEET, None, "A", column.header)
                if column.key in ("name", "tier", "year"):
                    self.error(
                        cells[column.key], _("Add a row “%(label)s”.") % {"label": column.header}
                    )
                    cells[column.key].reported = True

        indicator_set = IndicatorSet(
            name=self.text(
                cells["name"], required=True, max_length=_max_length(IndicatorSet, "name")
            ),
            tier=self.choice(cells["tier"], TIER_NAMES),
            year=self.integer(cells["year"], low=2000, high=2100),
            decision_number=self.text(
                cells["decision_number"], max_length=_max_length(IndicatorSet, "decision_number")
            ),
            decision_date=self.date(cells["decision_date"]),
            issuer=self.text(cells["issuer"], max_length=_max_length(IndicatorSet, "issuer")),
            source_note=self.text(cells["source_note"]),
            bonus_rule=self.choice(
                cells["bonus_rule"], BONUS_RULE_NAMES, default=BonusRule.ADD_CAPPED
            ),
            decimal_places=self.integer(cells["decimal_places"], low=0, high=4, default=2),
        )
        clash = IndicatorSet.objects.filter(
            name=indicator_set.name, year=indicator_set.year, tier=indicator_set.tier
        )
        if indicator_set.name and clash.exists():
            self.error(
                cells["name"],
                _("A set named “%(name)s” already exists for %(year)s and this tier.")
                % {"name": indicator_set.name, "year": indicator_set.year},
            )
        return indicator_set

    def read_general_info(self, workbook) -> dict[str, GeneralInfoField]:
        fields: dict[str, GeneralInfoField] = {}
        rows_of: dict[str, int] = {}
        for number, row in self.rows(workbook, GENERAL_INFO_SHEET, GENERAL_INFO_COLUMNS):
            code = self.slug(row["code"], max_length=_max_length(GeneralInfoField, "code"))
            info = GeneralInfoField(
                code=code,
                name=self.text(
                    row["name"], required=True, max_length=_max_length(GeneralInfoField, "name")
                ),
                kind=self.choice(row["kind"], KIND_NAMES, default=GeneralInfoField.Kind.NUMBER),
                order=len(fields) + 1,
            )
            if code in rows_of:
                self.error(row["code"], _used_on(code, rows_of[code]))
            elif code:
                fields[code], rows_of[code] = info, number
        return fields

    def read_indicators(self, workbook, parsed: _Parsed) -> None:
        first_rows: dict[tuple[str, str], int] = {}
        indicator_rows: dict[str, int] = {}
        counts: dict[str, int] = {}
        indicator_keys = [column.key for column in INDICATOR_COLUMNS[5:]]
        for number, row in self.rows(workbook, INDICATOR_SHEET, INDICATOR_COLUMNS):
            group_code = self.read_group(row, number, parsed, first_rows)
            has_indicator = any(not row[key].empty for key in indicator_keys)
            if row["pillar_code"].empty and row["pillar_name"].empty and not has_indicator:
                continue  # a group-only row
            pillar_code = self.read_pillar(row, number, group_code, parsed, first_rows)
            if not has_indicator:
                continue  # a pillar without indicators
            indicator = self.read_indicator(row, parsed.general_info)
            code = indicator.code
            if code in indicator_rows:
                self.error(row["code"], _used_on(code, indicator_rows[code]))
            elif code:
                indicator_rows[code] = number
            if pillar_code:
                counts[pillar_code] = indicator.order = counts.get(pillar_code, 0) + 1
                parsed.indicators.append((indicator, pillar_code))

    def read_group(self, row, number, parsed: _Parsed, first_rows) -> str | None:
        code = self.text(row["group_code"], max_length=_max_length(IndicatorGroup, "code"))
        name = self.text(row["group_name"], max_length=_max_length(IndicatorGroup, "name"))
        if not code:
            if name:
                self.required(row["group_code"])
            return None
        group = parsed.groups.get(code)
        if group is None:
            self.required(row["group_name"])
            parsed.groups[code] = IndicatorGroup(code=code, name=name, order=len(parsed.groups) + 1)
            first_rows["group", code] = number
        elif name and name != group.name:
            self.error(
                row["group_name"],
                _("The code “%(code)s” is used for “%(name)s” on row %(row)s.")
                % {"code": code, "name": _short(group.name), "row": first_rows["group", code]},
            )
        return code

    def read_pillar(self, row, number, group_code, parsed: _Parsed, first_rows) -> str:
        code = self.text(row["pillar_code"], required=True, max_length=_max_length(Pillar, "code"))
        name = self.text(row["pillar_name"], max_length=_max_length(Pillar, "name"))
        scored = self.boolean(row["pillar_scored"], default=None)
        if not code:
            return ""
        if code not in parsed.pillars:
            self.required(row["pillar_name"])
            pillar = Pillar(
                code=code,
                name=name,
                scored=True if scored is None else scored,
                order=len(parsed.pillars) + 1,
            )
            parsed.pillars[code] = (pillar, group_code)
            first_rows["pillar", code] = number
            return code
        pillar, pillar_group = parsed.pillars[code]
        first = first_rows["pillar", code]
        if name and name != pillar.name:
            self.error(
                row["pillar_name"],
                _("The code “%(code)s” is used for “%(name)s” on row %(row)s.")
                % {"code": code, "name": _short(pillar.name), "row": first},
            )
        if group_code is not None and group_code != pillar_group:
            self.error(
                row["group_code"],
                _("Pillar “%(code)s” is in another group on row %(row)s.")
                % {"code": code, "row": first},
            )
        if scored is not None and scored != pillar.scored:
            self.error(
                row["pillar_scored"],
                _("Pillar “%(code)s” is marked otherwise on row %(row)s.")
                % {"code": code, "row": first},
            )
        return code

    def read_indicator(self, row, general_info: dict[str, GeneralInfoField]) -> Indicator:
        def text(key, required=False):
            return self.text(row[key], required=required, max_length=_max_length(Indicator, key))

        indicator = Indicator(
            code=text("code", required=True),
            name=text("name", required=True),
            max_points=self.decimal(
                row["max_points"], model=Indicator, name="max_points", required=True
            ),
            method=self.choice(row["method"], METHOD_NAMES),
            guidance=text("guidance"),
            evidence_required=text("evidence_required"),
            evidence_mandatory=self.boolean(row["evidence_mandatory"], default=False),
            data_source=text("data_source"),
            verifier=text("verifier"),
            is_bonus=self.boolean(row["is_bonus"], default=False),
            is_illustrative=self.boolean(row["is_illustrative"], default=False),
            source_note=text("source_note"),
        )
        rule_cell = row["rule"]
        reported = len(self.errors)
        rule_text = self.text(rule_cell)
        if indicator.method is None or rule_cell.reported or len(self.errors) > reported:
            return indicator
        try:
            indicator.rule = rule_from_text(indicator.method, rule_text)
            if indicator.max_points is not None:
                scoring.validate_rule(indicator.method, indicator.rule, indicator.max_points)
        except scoring.ScoringError as exc:
            for message in exc.messages:
                self.error(rule_cell, message)
            return indicator
        if indicator.method == scoring.RATIO:
            for term in ("a", "b"):
                code = (indicator.rule.get(term) or {}).get("field")
                info = general_info.get(code)
                if code and info is None:
                    self.error(
                        rule_cell,
                        _("No field of the sheet “%(sheet)s” has the code “%(code)s”.")
                        % {"sheet": GENERAL_INFO_SHEET, "code": code},
                    )
                elif code and info.kind != GeneralInfoField.Kind.NUMBER:
                    self.error(
                        rule_cell,
                        _("The field “%(code)s” is text; a ratio needs a number field.")
                        % {"code": code},
                    )
        return indicator

    def read_sub_indices(self, workbook, pillars) -> list[tuple[SubIndex, list[str]]]:
        sub_indices: list[tuple[SubIndex, list[str]]] = []
        rows_of: dict[str, int] = {}
        for number, row in self.rows(workbook, SUB_INDEX_SHEET, SUB_INDEX_COLUMNS):
            code = self.slug(row["code"], max_length=_max_length(SubIndex, "code"))
            name = self.text(row["name"], required=True, max_length=_max_length(SubIndex, "name"))
            pillar_codes = [
                part.strip()
                for part in re.split(r"[,;]", self.text(row["pillars"]))
                if part.strip()
            ]
            unknown = [c for c in pillar_codes if c not in pillars]
            if unknown:
                self.error(
                    row["pillars"],
                    _("No pillar of the sheet “%(sheet)s” has the code(s) %(codes)s.")
                    % {"sheet": INDICATOR_SHEET, "codes": ", ".join(unknown)},
                )
            if code in rows_of:
                self.error(row["code"], _used_on(code, rows_of[code]))
            elif code:
                rows_of[code] = number
            sub_index = SubIndex(code=code, name=name, order=len(sub_indices) + 1)
            sub_indices.append((sub_index, list(dict.fromkeys(pillar_codes))))
        return sub_indices

    def read_bands(self, workbook) -> list[Band]:
        bands: list[Band] = []
        rows_of: dict[Decimal, int] = {}
        for number, row in self.rows(workbook, BAND_SHEET, BAND_COLUMNS):
            threshold = self.decimal(
                row["min_percent"], model=Band, name="min_percent", required=True
            )
            band = Band(
                name=self.text(row["name"], required=True, max_length=_max_length(Band, "name")),
                min_percent=threshold,
                is_illustrative=self.boolean(row["is_illustrative"], default=False),
            )
            if threshold in rows_of:
                self.error(
                    row["min_percent"],
                    _("Another band starts at this value on row %(row)s.")
                    % {"row": rows_of[threshold]},
                )
            elif threshold is not None:
                rows_of[threshold] = number
            bands.append(band)
        return bands


@transaction.atomic
def _save(parsed: _Parsed) -> IndicatorSet:
    indicator_set = parsed.indicator_set
    indicator_set.save()
    for group in parsed.groups.values():
        group.indicator_set = indicator_set
        group.save()
    pillars = {}
    for code, (pillar, group_code) in parsed.pillars.items():
        pillar.indicator_set = indicator_set
        pillar.group = parsed.groups.get(group_code)
        pillar.save()
        pillars[code] = pillar
    for indicator, pillar_code in parsed.indicators:
        indicator.pillar = pillars[pillar_code]
    # Every indicator was checked while reading (rule, unique code): no per-row save() needed.
    Indicator.objects.bulk_create([indicator for indicator, _code in parsed.indicators])
    for sub_index, pillar_codes in parsed.sub_indices:
        sub_index.indicator_set = indicator_set
        sub_index.save()
        sub_index.pillars.set([pillars[code] for code in pillar_codes])
    for info in parsed.general_info.values():
        info.indicator_set = indicator_set
    GeneralInfoField.objects.bulk_create(list(parsed.general_info.values()))
    for band in parsed.bands:
        band.indicator_set = indicator_set
    Band.objects.bulk_create(parsed.bands)
    return indicator_set
