"""Excel export and import of indicator sets: round trip, every error located, hostile files."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from indicators import excel, services
from indicators.models import Indicator, IndicatorSet, SetStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

INDICATORS = excel.INDICATOR_SHEET


def located(result):
    return [(e.sheet, e.row, e.column) for e in result.errors]


def test_export_then_import_gives_the_same_set(full_set, snapshot):
    content = excel.export_indicator_set(full_set)

    result = excel.import_indicator_set(io.BytesIO(content), name="Bộ chỉ số nhập lại")

    assert result.errors == []
    imported = result.indicator_set
    assert imported.name == "Bộ chỉ số nhập lại"
    assert imported.status == SetStatus.DRAFT
    assert snapshot(imported) == snapshot(full_set)
    assert imported.max_points() == full_set.max_points() == Decimal("227.50")


def test_the_unscored_pillar_without_indicators_is_one_row_with_empty_indicator_columns(
    full_set,
):
    sheet = load_workbook(io.BytesIO(excel.export_indicator_set(full_set)))[INDICATORS]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[2] == "3"]
    assert rows == [
        ("I", "Nhóm chỉ số nền tảng chung", "3", "Đô thị thông minh", "Không") + (None,) * 13
    ]


def test_export_writes_the_documented_sheets_columns_and_rule_texts(full_set):
    workbook = load_workbook(io.BytesIO(excel.export_indicator_set(full_set)))
    assert workbook.sheetnames == [
        "Hướng dẫn",
        "Bộ chỉ số",
        "Chỉ số",
        "Chỉ số phụ",
        "Thông tin chung",
        "Xếp loại",
    ]
    sheet = workbook[INDICATORS]
    assert [c.value for c in sheet[1]] == [c.header for c in excel.INDICATOR_COLUMNS]
    first = [c.value for c in sheet[2]]
    assert first[5:10] == [
        "1.1",
        "Ban chỉ đạo chuyển đổi số cấp huyện tổ chức các cuộc họp trong năm",
        20,
        "Bậc ngưỡng",
        "4 → 20; 3 → 15; 2 → 10; 1 → 5; đơn vị: cuộc họp",
    ]
    assert [c.value for c in workbook["Chỉ số phụ"][3]] == [
        "cqs",
        "Chỉ số Chính quyền số",
        "1, 2, 3, 4",
    ]
    info = workbook["Bộ chỉ số"]
    assert [(r[0].value, r[1].value) for r in info.iter_rows(min_row=2)][:5] == [
        ("Tên", "Bộ chỉ số DTI cấp huyện"),
        ("Cấp", "huyen"),
        ("Năm", 2024),
        ("Số quyết định", "1901/QĐ-UBND"),
        ("Ngày quyết định", datetime(2023, 5, 30)),
    ]
    guide_text = " ".join(
        str(v) for row in workbook["Hướng dẫn"].iter_rows(values_only=True) for v in row if v
    )
    for column in excel.INDICATOR_COLUMNS:
        assert column.help in guide_text


def test_three_bad_rows_give_exactly_three_located_errors_and_save_nothing(full_set, edit_workbook):
    def spoil(workbook):
        sheet = workbook[INDICATORS]
        sheet["H3"] = "hai mươi"  # 1.2: max points not a number
        sheet["I4"] = "Bốc thăm"  # 1.3: no such method
        sheet["J5"] = "a: Dự họp"  # 1.4: a checklist part without points

    before = IndicatorSet.objects.count()
    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), spoil), name="Bản lỗi"
    )

    assert result.indicator_set is None
    assert located(result) == [(INDICATORS, 3, "H"), (INDICATORS, 4, "I"), (INDICATORS, 5, "J")]
    assert result.errors[0].message == "“Điểm tối đa” must be a number, not “hai mươi”."
    assert result.errors[1].message.startswith("“Phương pháp” must be one of: Chấm điểm trực tiếp;")
    assert result.errors[2].message.startswith("Cannot read “a: Dự họp”")
    assert IndicatorSet.objects.count() == before


def test_every_kind_of_mistake_is_reported_in_one_pass(full_set, edit_workbook):
    def spoil(workbook):
        info = workbook["Bộ chỉ số"]
        info["B3"] = "thôn"  # tier
        info["B5"] = "=A1"  # a formula
        sheet = workbook[INDICATORS]
        sheet["F3"] = "1.1"  # duplicate indicator code
        sheet["D4"] = "Nhận thức số (sửa)"  # pillar code reused with another name
        sheet["H5"] = -1  # negative max points
        sheet["M6"] = "có lẽ"  # not Có/Không
        sheet["F7"] = datetime(2025, 2, 1)  # "2.1" turned into a date by Excel
        sheet["J10"] = "4 → 20"  # a manual indicator takes no rule
        sheet["J11"] = "a: Số CBCC | b: @nobody | b=0: zero"  # unknown general-info field
        sheet["J12"] = "0"  # no points per item
        workbook["Chỉ số phụ"]["C2"] = "1, 2, 9"  # unknown pillar
        workbook["Thông tin chung"]["A6"] = "population"  # duplicate field code
        workbook["Xếp loại"]["B3"] = "90"  # duplicate threshold

    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), spoil), name="Bản lỗi"
    )

    assert located(result) == [
        ("Bộ chỉ số", 3, "B"),
        ("Bộ chỉ số", 5, "B"),
        (INDICATORS, 3, "F"),
        (INDICATORS, 4, "D"),
        (INDICATORS, 5, "H"),
        (INDICATORS, 6, "M"),
        (INDICATORS, 7, "F"),
        (INDICATORS, 10, "J"),
        (INDICATORS, 11, "J"),
        (INDICATORS, 12, "J"),
        ("Chỉ số phụ", 2, "C"),
        ("Thông tin chung", 6, "A"),
        ("Xếp loại", 3, "B"),
    ]
    messages = [e.message for e in result.errors]
    assert messages[1] == "Formulas are not allowed; type the value itself."
    assert messages[2] == "The code “1.1” is already used on row 2."
    assert messages[3] == "The code “1” is used for “Nhận thức số” on row 2."
    assert messages[8] == "No field of the sheet “Thông tin chung” has the code “nobody”."
    assert messages[10] == "No pillar of the sheet “Chỉ số” has the code(s) 9."
    assert result.indicator_set is None
    assert IndicatorSet.objects.count() == 1


def test_a_group_code_reused_for_another_group_and_a_pillar_moved_between_groups(
    full_set, edit_workbook
):
    def spoil(workbook):
        sheet = workbook[INDICATORS]
        sheet["B3"] = "Nhóm khác"
        sheet["A4"] = "II"
        sheet["B4"] = "Nhóm chỉ số hoạt động"

    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), spoil), name="Bản lỗi"
    )
    assert located(result) == [(INDICATORS, 3, "B"), (INDICATORS, 4, "A")]
    assert result.errors[1].message == "Pillar “1” is in another group on row 2."


def test_formula_like_text_is_exported_as_inert_text_and_read_back_unchanged(full_set, snapshot):
    texts = {
        "1.1": '=HYPERLINK("http://evil.example","bấm vào")',
        "1.2": "+84 912 345 678",
        "1.3": "-Văn bản chỉ đạo",
        "1.4": "@SUM(A1:A9)",
    }
    for code, text in texts.items():
        indicator = Indicator.objects.get(pillar__indicator_set=full_set, code=code)
        indicator.name = text
        indicator.guidance = text
        indicator.save()

    content = excel.export_indicator_set(full_set)

    sheet = load_workbook(io.BytesIO(content))[INDICATORS]
    for row, text in enumerate(texts.values(), start=2):
        for column in ("G", "K"):
            cell = sheet[f"{column}{row}"]
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    result = excel.import_indicator_set(io.BytesIO(content), name="Bản sao")
    assert result.errors == []
    assert snapshot(result.indicator_set) == snapshot(full_set)


def test_a_real_formula_is_refused(full_set, edit_workbook):
    def spoil(workbook):
        workbook[INDICATORS]["H2"] = "=10+10"

    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), spoil), name="Bản lỗi"
    )
    assert [(e.sheet, e.row, e.column, e.message) for e in result.errors] == [
        (INDICATORS, 2, "H", "Formulas are not allowed; type the value itself.")
    ]


def test_values_typed_in_excel_are_read_whatever_their_cell_type(full_set, edit_workbook):
    def retype(workbook):
        info = workbook["Bộ chỉ số"]
        info["B3"] = "Huyện"
        info["B4"] = "2024"
        info["B6"] = "30/05/2023"
        sheet = workbook[INDICATORS]
        sheet["C2"] = 1  # pillar code typed as a number
        sheet["H2"] = "20,0"  # Vietnamese decimal comma
        sheet["I2"] = "tiers"  # the method code instead of its name
        sheet["J2"] = ">=4: 20; 3=15; 2 -> 10; ≥1: 5; đơn vị: cuộc họp"
        sheet["M2"] = True
        sheet["P2"] = 0
        sheet["H7"] = 12.5
        sheet["J7"] = "2,5 điểm/điểm phát wifi"

    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), retype), name="Bản gõ tay"
    )

    assert result.errors == []
    imported = result.indicator_set
    assert (imported.tier, imported.year, imported.decision_date) == (
        "district",
        2024,
        date(2023, 5, 30),
    )
    first = Indicator.objects.get(pillar__indicator_set=imported, code="1.1")
    assert (first.pillar.code, first.max_points, first.method, first.rule) == (
        "1",
        Decimal("20.00"),
        "tiers",
        {
            "tiers": [
                {"min": "4", "points": "20"},
                {"min": "3", "points": "15"},
                {"min": "2", "points": "10"},
                {"min": "1", "points": "5"},
            ],
            "unit": "cuộc họp",
        },
    )
    assert (first.evidence_mandatory, first.is_bonus) == (True, False)
    wifi = Indicator.objects.get(pillar__indicator_set=imported, code="2.1")
    assert wifi.rule == {"points_per_item": "2.5", "unit": "điểm phát wifi"}


def test_a_name_already_used_for_the_year_and_tier_is_refused(full_set):
    before = IndicatorSet.objects.count()
    result = excel.import_indicator_set(io.BytesIO(excel.export_indicator_set(full_set)))
    assert [(e.sheet, e.row, e.column, e.message) for e in result.errors] == [
        (
            "Bộ chỉ số",
            2,
            "B",
            "A set named “Bộ chỉ số DTI cấp huyện” already exists for 2024 and this tier.",
        )
    ]
    assert IndicatorSet.objects.count() == before


def blank_template(**overrides) -> bytes:
    """A workbook with the documented sheets and headers, and the given rows per sheet."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns in excel.SHEETS.items():
        sheet = workbook.create_sheet(title)
        sheet.append([c.header for c in columns])
        for row in overrides.get(title, []):
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_minimal_hand_made_workbook_is_imported():
    content = blank_template(
        **{
            "Bộ chỉ số": [["Tên", "Bộ chỉ số cấp xã"], ["Cấp", "xa"], ["Năm", 2025]],
            "Chỉ số": [
                [None, None, "1", "Nhận thức số", None, "1.1", "Có chuyên mục", 10, "Có/Không"]
            ],
        }
    )
    result = excel.import_indicator_set(io.BytesIO(content))
    assert result.errors == []
    imported = result.indicator_set
    assert (imported.name, imported.tier, imported.bonus_rule, imported.decimal_places) == (
        "Bộ chỉ số cấp xã",
        "commune",
        "add_capped",
        2,
    )
    assert list(imported.groups.all()) == []
    assert imported.max_points() == Decimal("10.00")


def test_missing_set_fields_are_reported_where_to_add_them():
    result = excel.import_indicator_set(io.BytesIO(blank_template()))
    assert [(e.sheet, e.row, e.column, e.message) for e in result.errors] == [
        ("Bộ chỉ số", None, "A", "Add a row “Tên”."),
        ("Bộ chỉ số", None, "A", "Add a row “Cấp”."),
        ("Bộ chỉ số", None, "A", "Add a row “Năm”."),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"Ten,Cap\nBo chi so,xa\n", "The file is not an Excel workbook (.xlsx)."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
            "The file is not an Excel workbook (.xlsx).",
        ),
    ],
    ids=["empty", "csv", "old-xls"],
)
def test_a_file_that_is_not_a_workbook_gives_one_clear_error(content, message):
    result = excel.import_indicator_set(io.BytesIO(content))
    assert result.indicator_set is None
    assert len(result.errors) == 1
    assert (result.errors[0].sheet, result.errors[0].row, result.errors[0].column) == (None,) * 3
    assert result.errors[0].message.startswith(message)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "không phải Excel")
    result = excel.import_indicator_set(io.BytesIO(out.getvalue()))
    assert [e.message for e in result.errors] == [
        "The file is not an Excel workbook (.xlsx). Open it in Excel and save it as "
        "“Excel Workbook (.xlsx)”."
    ]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    result = excel.import_indicator_set(io.BytesIO(blank_template()))
    assert [e.message for e in result.errors] == ["The workbook is too large once unpacked."]


def test_missing_sheets_are_named(full_set, edit_workbook):
    def drop(workbook):
        del workbook["Xếp loại"]
        del workbook["Chỉ số phụ"]

    result = excel.import_indicator_set(edit_workbook(excel.export_indicator_set(full_set), drop))
    assert [(e.sheet, e.message) for e in result.errors] == [
        ("Chỉ số phụ", "The sheet “Chỉ số phụ” is missing."),
        ("Xếp loại", "The sheet “Xếp loại” is missing."),
    ]


def test_a_moved_column_is_reported_at_the_header(full_set, edit_workbook):
    def swap(workbook):
        sheet = workbook[INDICATORS]
        sheet["H1"], sheet["I1"] = "Phương pháp", "Điểm tối đa"

    result = excel.import_indicator_set(
        edit_workbook(excel.export_indicator_set(full_set), swap), name="Bản lỗi"
    )
    assert [(e.sheet, e.row, e.column, e.message) for e in result.errors] == [
        (INDICATORS, 1, "H", "The header of this column must be “Điểm tối đa”."),
        (INDICATORS, 1, "I", "The header of this column must be “Phương pháp”."),
    ]


def test_too_many_rows_are_refused_with_one_error(monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    rows = [
        [None, None, "1", "Nhận thức số", None, f"1.{n}", "Chỉ số", 1, "Có/Không"] for n in range(5)
    ]
    content = blank_template(
        **{"Bộ chỉ số": [["Tên", "Bộ lớn"], ["Cấp", "xa"], ["Năm", 2025]], "Chỉ số": rows}
    )
    result = excel.import_indicator_set(io.BytesIO(content))
    assert [(e.sheet, e.row, e.message) for e in result.errors] == [
        (INDICATORS, 5, "A sheet may have at most 3 rows; the rest was not read.")
    ]


def test_the_import_service_returns_the_result(full_set):
    result = services.indicator_set_import_excel(
        fileobj=io.BytesIO(excel.export_indicator_set(full_set)), name="Qua service"
    )
    assert result.errors == []
    assert result.indicator_set.name == "Qua service"


def test_management_commands_export_and_import(full_set, tmp_path, capsys):
    path = tmp_path / "bo-chi-so.xlsx"
    call_command("export_indicator_set", str(full_set.pk), str(path))

    call_command("import_indicator_set", str(path), "--name", "Bản nhập")

    imported = IndicatorSet.objects.exclude(pk=full_set.pk).get()
    assert imported.name == "Bản nhập"
    assert f"(id {imported.pk})" in capsys.readouterr().out


def test_the_import_command_prints_every_error_and_fails(full_set, tmp_path, capsys):
    path = tmp_path / "bo-chi-so.xlsx"
    call_command("export_indicator_set", str(full_set.pk), str(path))

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_indicator_set", str(path))

    assert "Bộ chỉ số, row 2, column B: A set named" in capsys.readouterr().err
    assert IndicatorSet.objects.count() == 1


def test_the_export_command_refuses_an_unknown_set(tmp_path):
    with pytest.raises(CommandError, match="No indicator set with id 999"):
        call_command("export_indicator_set", "999", str(tmp_path / "x.xlsx"))
