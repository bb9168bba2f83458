"""Malformed and hostile indicator-set workbooks, posted to the admin's upload page.

Whatever the file, the page answers 200 with clear errors and saves nothing
(never a 500, never a partial set): not a workbook at all, a damaged one,
100 000 rows (refused from the sheet's stated size before a row is read, or
by counting when it states none), merged cells, formulas and wrong types.
Random cell contents never make the importer raise (hypothesis).
"""

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet import _reader

from indicators import excel
from indicators.models import Indicator, IndicatorSet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

IMPORT = reverse("admin:indicators_indicatorset_import")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_A_WORKBOOK = (
    "The file is not an Excel workbook (.xlsx). Open it in Excel and save it as "
    "“Excel Workbook (.xlsx)”."
)


@pytest.fixture
def admin_client(admin_client, settings):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


def post(admin_client, content: bytes, name="bo-chi-so.xlsx"):
    response = admin_client.post(
        IMPORT, {"file": SimpleUploadedFile(name, content, content_type=XLSX)}
    )
    assert response.status_code == 200, "an upload is answered with its errors, never a 500"
    return response


def messages_of(response) -> list[str]:
    return [issue.message for issue in response.context["errors"]]


def template(**rows) -> bytes:
    """The documented sheets and headers, with ``rows`` per sheet title."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns in excel.SHEETS.items():
        sheet = workbook.create_sheet(title)
        sheet.append([c.header for c in columns])
        for row in rows.get(title, []):
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


SET_ROWS = [["Tên", "Bộ chỉ số thử"], ["Cấp", "xa"], ["Năm", 2025]]
INDICATOR_ROW = [None, None, "1", "Nhận thức số", None, "1.1", "Có chuyên mục", 10, "Có/Không"]


def good_template(**rows) -> bytes:
    return template(**{"Bộ chỉ số": SET_ROWS, "Chỉ số": [INDICATOR_ROW], **rows})


# --- not a workbook at all ----------------------------------------------------------------


def truncated() -> bytes:
    content = good_template()
    return content[: len(content) // 2]


def zip_of(**files) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name.replace("__", "/"), data)
    return out.getvalue()


def damaged_sheet() -> bytes:
    """A sound zip and workbook whose indicator sheet is not XML: fails only when read."""
    source = zipfile.ZipFile(io.BytesIO(good_template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2] + b"<<<not xml"
            archive.writestr(item, data)
    return out.getvalue()


NOT_WORKBOOKS = {
    "a text file": (b"Ten;Cap;Nam\nBo chi so;xa;2025\n", NOT_A_WORKBOOK),
    "a zip that is not a workbook": (zip_of(readme__txt=b"hello"), NOT_A_WORKBOOK),
    "a Word document": (
        zip_of(**{"[Content_Types]__xml": b"<Types/>", "word__document__xml": b"<w/>"}),
        NOT_A_WORKBOOK,
    ),
    "a truncated workbook": (truncated(), NOT_A_WORKBOOK),
    "an old .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, NOT_A_WORKBOOK),
    "a PDF named .xlsx": (b"%PDF-1.7\n%%EOF\n", NOT_A_WORKBOOK),
    "a damaged sheet": (damaged_sheet(), "The file is damaged and cannot be read as a workbook."),
}


@pytest.mark.parametrize(("content", "message"), NOT_WORKBOOKS.values(), ids=NOT_WORKBOOKS.keys())
def test_a_file_that_is_not_a_sound_workbook_is_one_clear_error(admin_client, content, message):
    response = post(admin_client, content)
    assert messages_of(response) == [message]
    assert message in response.content.decode()
    assert IndicatorSet.objects.count() == 0


def test_an_empty_file_is_refused_by_the_form(admin_client):
    response = post(admin_client, b"")
    assert response.context["form"].errors == {"file": ["The submitted file is empty."]}
    assert IndicatorSet.objects.count() == 0


def test_the_errors_are_vietnamese_on_a_vietnamese_page(admin_client, settings):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    with translation.override("vi"):
        html = post(admin_client, b"khong phai excel").content.decode()
        expected = translation.gettext(NOT_A_WORKBOOK)
    assert expected != NOT_A_WORKBOOK and expected.startswith("Tệp")
    assert expected in html


# --- 100 000 rows ----------------------------------------------------------------------------


def with_big_sheet(rows: int, *, dimension: bool) -> bytes:
    """The template whose “Chỉ số” sheet has ``rows`` data rows (written as XML, in 1 s)."""
    headers = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{c.header}</t></is></c>'
        for i, c in enumerate(excel.INDICATOR_COLUMNS)
    )
    body = "".join(
        f'<row r="{n}"><c r="F{n}" t="inlineStr"><is><t>1.{n}</t></is></c>'
        f'<c r="H{n}"><v>1</v></c></row>'
        for n in range(2, rows + 2)
    )
    size = f'<dimension ref="A1:Q{rows + 1}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'{size}<sheetData><row r="1">{headers}</row>{body}</sheetData></worksheet>'
    ).encode()
    source = zipfile.ZipFile(io.BytesIO(good_template()))
    index = list(excel.SHEETS).index(excel.INDICATOR_SHEET) + 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == f"xl/worksheets/sheet{index}.xml":
                data = sheet
            archive.writestr(item.filename, data)
    return out.getvalue()


@pytest.fixture
def rows_parsed(monkeypatch):
    parsed = []
    original = _reader.WorkSheetParser.parse_row

    def counting(self, row):
        parsed.append(1)
        return original(self, row)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_row", counting)
    return parsed


def test_100000_rows_are_refused_from_the_stated_size_before_any_row_is_read(
    admin_client, rows_parsed
):
    content = with_big_sheet(100_000, dimension=True)
    assert len(content) < 5 * 1024 * 1024  # under the upload limit: the importer must refuse it
    response = post(admin_client, content)
    assert [(e.sheet, e.row, e.message) for e in response.context["errors"]] == [
        (excel.INDICATOR_SHEET, 5002, "A sheet may have at most 5000 rows; the rest was not read.")
    ]
    assert len(rows_parsed) == 0
    assert IndicatorSet.objects.count() == 0


def test_a_sheet_that_states_no_size_is_counted_and_stopped_at_the_limit(admin_client, rows_parsed):
    response = post(admin_client, with_big_sheet(100_000, dimension=False))
    assert ("Chỉ số", "A sheet may have at most 5000 rows; the rest was not read.") in [
        (e.sheet, e.message) for e in response.context["errors"]
    ]
    assert len(rows_parsed) < 5100  # the rest of the 100 000 rows is never parsed
    assert IndicatorSet.objects.count() == 0


# --- merged cells, formulas, wrong types -----------------------------------------------------


def edited(edit) -> bytes:
    workbook = load_workbook(io.BytesIO(good_template()))
    edit(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_merged_cells_are_read_as_excel_shows_them_or_reported(admin_client):
    def merge(workbook):
        sheet = workbook[excel.INDICATOR_SHEET]
        sheet.append([None, None, None, None, None, "1.2", "Chỉ số hai", 5, "Có/Không"])
        sheet["C3"] = None
        sheet["D3"] = None
        sheet.merge_cells("C2:C3")  # the pillar code typed once for two indicators
        sheet.merge_cells("D2:D3")

    response = post(admin_client, edited(merge))
    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, "C")]
    assert messages_of(response) == ["“Mã chỉ số chính” is required."]
    assert IndicatorSet.objects.count() == 0


def test_formulas_and_excel_errors_are_refused_cell_by_cell(admin_client):
    def formulas(workbook):
        sheet = workbook[excel.INDICATOR_SHEET]
        sheet["H2"] = "=5*2"
        sheet["G2"] = '=HYPERLINK("http://evil.example/","bấm vào đây")'
        sheet.append([None, None, "1", None, None, "1.2", "#REF!", 5, "Có/Không"])
        sheet["G3"].data_type = "e"

    response = post(admin_client, edited(formulas))
    assert sorted((e.row, e.column, e.message) for e in response.context["errors"]) == [
        (2, "G", "Formulas are not allowed; type the value itself."),
        (2, "H", "Formulas are not allowed; type the value itself."),
        (3, "G", "The cell shows an Excel error (#REF!)."),
    ]
    assert IndicatorSet.objects.count() == 0


WRONG = {
    "a date as code": ("F2", datetime(2025, 2, 1), "must be text, not"),
    "text as points": ("H2", "mười", "must be a number, not “mười”"),
    "NaN as points": ("H2", "NaN", "must be a number, not “NaN”"),
    "infinity as points": ("H2", "inf", "must be a number, not “inf”"),
    "negative points": ("H2", -5, "cannot be negative"),
    "huge points": ("H2", 10**30, "must be less than"),
    "a boolean as points": ("H2", True, "must be a number, not “True”"),
    "an unknown method": ("I2", "Bói toán", "must be one of"),
    "a year as text": ("B4", "hai nghìn", "“Năm”"),
    "a year far away": ("B4", 99999, "“Năm”"),
}


@pytest.mark.parametrize(("cell", "value", "message"), WRONG.values(), ids=WRONG.keys())
def test_values_of_the_wrong_type_are_located_errors(admin_client, cell, value, message):
    sheet = excel.SET_SHEET if cell == "B4" else excel.INDICATOR_SHEET

    def put(workbook):
        if cell == "B4":
            workbook[sheet]["A4"] = "Năm"
            workbook[sheet]["A3"] = None
            workbook[sheet]["B3"] = None
            workbook[sheet]["A3"] = "Cấp"
            workbook[sheet]["B3"] = "xa"
        workbook[sheet][cell] = value

    response = post(admin_client, edited(put))
    located = [e for e in response.context["errors"] if e.sheet == sheet]
    assert located, messages_of(response)
    assert any(message in e.message for e in located), messages_of(response)
    assert IndicatorSet.objects.count() == 0


def test_a_sound_template_is_imported_so_the_refusals_above_are_the_cells(admin_client):
    response = admin_client.post(
        IMPORT, {"file": SimpleUploadedFile("bo.xlsx", good_template(), content_type=XLSX)}
    )
    assert response.status_code == 302
    assert Indicator.objects.get().name == "Có chuyên mục"


# --- random cells: only the importer's own errors (hypothesis) -------------------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["=1+1", "+SUM(A1)", "-2", "@x", "\t=cmd", "1,5", "1.000", "NaN", "∞", "Có"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
)
ROW = st.lists(CELL, min_size=0, max_size=17)


def safe_for_openpyxl(value):
    """What openpyxl can write at all (it refuses control characters and NaN is written as text)."""
    if isinstance(value, str):
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    return value


@settings(max_examples=40)
@given(
    set_rows=st.lists(ROW, max_size=4),
    indicator_rows=st.lists(ROW, max_size=5),
    other_rows=st.lists(ROW, max_size=3),
)
def test_random_cells_give_errors_or_a_set_never_an_exception(set_rows, indicator_rows, other_rows):
    def clean(rows):
        return [[safe_for_openpyxl(value) for value in row] for row in rows]

    content = template(
        **{
            excel.SET_SHEET: SET_ROWS + clean(set_rows),
            excel.INDICATOR_SHEET: [INDICATOR_ROW] + clean(indicator_rows),
            excel.SUB_INDEX_SHEET: clean(other_rows),
            excel.GENERAL_INFO_SHEET: clean(other_rows),
            excel.BAND_SHEET: clean(other_rows),
        }
    )
    before = IndicatorSet.objects.count()
    result = excel.import_indicator_set(io.BytesIO(content))
    if result.errors:
        assert result.indicator_set is None
        assert IndicatorSet.objects.count() == before  # nothing partial
        assert all(isinstance(issue.message, str) and issue.message for issue in result.errors)
    else:
        assert result.indicator_set.pk is not None
        IndicatorSet.objects.filter(pk=result.indicator_set.pk).delete()
