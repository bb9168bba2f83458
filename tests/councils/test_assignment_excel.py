"""Excel export and import of the assignment sheet: preview first, then all or nothing."""

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from councils import excel, services
from councils.models import Assignment


def sheet_rows(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in workbook[excel.SHEET].iter_rows(values_only=True)]


def as_file(rows: list[list]) -> io.BytesIO:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = excel.SHEET
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    output.seek(0)
    return output


def test_export_lists_assignments_and_unassigned_indicators(world):
    services.assignment_set(
        council=world.council,
        user=world.people.organizer,
        member=world.members.police,
        indicators=[world.indicators["2.1"]],
        units=[world.b],
    )
    rows = sheet_rows(excel.export_assignments(council=world.council))
    police = world.people.police.username
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [
        ("Mã chỉ số", "Tài khoản", "Cơ quan", "Đơn vị"),
        ("1.1", None, None, None),
        ("1.2", None, None, None),
        ("2.1", police, "Công an huyện", "Xã B"),
        ("2.2", None, None, None),
    ]


def test_import_previews_then_applies_the_whole_sheet(world):
    organizer = world.people.organizer
    services.assignment_set(
        council=world.council,
        user=organizer,
        member=world.members.police,
        pillars=[world.pillars["2"]],
    )
    chair, police = world.people.chair.username, world.people.police.username
    upload = as_file(
        [
            excel.HEADERS,
            ["1.1", "", chair, "", "", ""],
            ["2.1", "", police, "", "", "Xã B"],
            ["1.2", "", "", "", "", ""],
        ]
    )
    preview = excel.import_preview(council=world.council, fileobj=upload)
    assert preview.errors == []
    assert [(c.code, c.person, c.units_before, c.units_after) for c in preview.added] == [
        ("1.1", "Chủ tịch Hà", None, [])
    ]
    assert [(c.code, c.units_before, c.units_after) for c in preview.changed] == [
        ("2.1", [], ["Xã B"])
    ]
    assert [(c.code, c.person) for c in preview.gone] == [("2.2", "Công an Minh")]
    assert Assignment.objects.count() == 2  # nothing written by the preview
    excel.import_apply(council=world.council, user=organizer, preview=preview)
    assert sorted(
        (a.indicator.code, str(a.member.user), [u.name for u in a.units.all()])
        for a in Assignment.objects.all()
    ) == [("1.1", "Chủ tịch Hà", []), ("2.1", "Công an Minh", ["Xã B"])]


def test_import_with_a_problem_writes_nothing(world):
    postman = world.people.postman.username
    upload = as_file(
        [
            excel.HEADERS,
            ["1.1", "", postman, "", "", "Xã A; Xã B"],
            ["9.9", "", "ai.do", "", "", ""],
        ]
    )
    preview = excel.import_preview(council=world.council, fileobj=upload)
    assert preview.errors == [
        "Row 2: Bưu tá An belongs to Xã A and cannot appraise it.",
        "Row 3: Not indicators of this campaign's set: 9.9.",
        "Row 3: Not members of this council: ai.do.",
    ]
    with pytest.raises(ValidationError):
        excel.import_apply(council=world.council, user=world.people.organizer, preview=preview)
    assert Assignment.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_an_error(world):
    preview = excel.import_preview(council=world.council, fileobj=io.BytesIO(b"not a workbook"))
    assert len(preview.errors) == 1
    assert preview.planned == []


def test_a_name_that_looks_like_a_formula_is_exported_as_text(world):
    world.people.police.__class__.objects.filter(pk=world.people.police.pk).update(
        full_name='=HYPERLINK("http://ke-gian.example","Bấm vào")'
    )
    services.assignment_set(
        council=world.council,
        user=world.people.organizer,
        member=world.members.police,
        indicators=[world.indicators["2.1"]],
    )
    sheet = load_workbook(io.BytesIO(excel.export_assignments(council=world.council)))[excel.SHEET]
    (cell,) = [c for c in sheet["D"] if c.value and str(c.value).startswith("=")]
    assert cell.value == '=HYPERLINK("http://ke-gian.example","Bấm vào")'
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
