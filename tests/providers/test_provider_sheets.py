"""A provider's sheet: the template, an upload's preview (nothing saved), the all-or-nothing
apply, CSV files, and hostile files that end in a message, never in a 500.

The world (``conftest.world``): Viettel provides 3.2 (a ratio whose whole is the
households figure) for communes A and B, the statistics office the households
figure for A, B and C.
"""

import datetime
import io
import zipfile

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from assessments.models import Assessment, AuditAction, AuditEntry, Response
from providers import services, sheets
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow, RowsRefused
from providers.views_figures import SHEET_SESSION_KEY

HEADERS = [header for _key, header, _width in sheets.COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def households(world, values, user=None):
    return services.figures_provide(
        user=user or world.people.statistics,
        campaign=world.campaign,
        rows=[FigureRow(unit=u.pk, field="tong_so_ho_gia_dinh", value=v) for u, v in values],
        channel=Channel.API,
    )


def template(client, world, user) -> bytes:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(
        reverse("providers:sheet_template", kwargs={"campaign_pk": world.campaign.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return response.content


def rows_of(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content))[sheets.SHEET]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def filled(content: bytes, values: dict[int, dict[str, object]]) -> bytes:
    """The template with ``{row number: {column key: value}}`` typed in."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[sheets.SHEET]
    column = {key: index + 1 for index, (key, _h, _w) in enumerate(sheets.COLUMNS)}
    for number, cells in values.items():
        for key, value in cells.items():
            sheet.cell(row=number, column=column[key], value=value)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def workbook(rows, *, merge=None, title=sheets.SHEET) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def upload(client, world, content: bytes, name="so-lieu.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("providers:sheet_upload", kwargs={"campaign_pk": world.campaign.pk}),
        {"file": SimpleUploadedFile(name, content)},
    )


def apply(client, world):
    return client.post(
        reverse("providers:sheet_upload", kwargs={"campaign_pk": world.campaign.pk}),
        {"action": "apply"},
    )


def statuses(response) -> list[tuple[int, str, str, bool, list[str]]]:
    return [
        (line.number, line.unit_name or line.unit, line.status, line.prefilled, line.messages)
        for line in sorted(response.context["preview"].lines, key=lambda line: line.number)
    ]


def fibre(world, unit) -> Response:
    return Response.objects.get(assessment=world.assessments[unit.name], indicator=world.fibre)


def nothing_sent_by(world, agency) -> bool:
    return not ProvidedFigure.objects.filter(assignment__agency=agency).exists()


# --- the template ----------------------------------------------------------------------


def test_the_template_lists_every_figure_owed_with_those_sent(client, world):
    world.a.code = "20125"
    world.a.save()
    households(world, [(world.a, "1520")])
    content = template(client, world, world.people.statistics)
    how = "Giá trị: một số (thông tin chung của đơn vị)."
    name = "Tổng số hộ gia đình trên địa bàn"
    assert rows_of(content) == [
        tuple(HEADERS),
        (world.a.pk, "20125", "Xã A", "@tong_so_ho_gia_dinh", name, None, None, 1520, "1.520", how),
        (world.b.pk, None, "Xã B", "@tong_so_ho_gia_dinh", name, None, None, None, None, how),
        (world.c.pk, None, "Xã C", "@tong_so_ho_gia_dinh", name, None, None, None, None, how),
    ]
    viettel = rows_of(template(client, world, world.people.viettel))
    assert [row[:5] for row in viettel[1:]] == [
        (world.a.pk, "20125", "Xã A", "3.2", world.fibre.name),
        (world.b.pk, None, "Xã B", "3.2", world.fibre.name),
    ]
    assert viettel[1][9] == (
        "Nhập a = Số hộ gia đình có kết nối Internet cáp quang. b lấy từ thông tin chung của "
        "đơn vị."
    )
    # the inputs a ratio does not take are greyed out
    sheet = load_workbook(io.BytesIO(template(client, world, world.people.viettel)))[sheets.SHEET]
    assert [sheet.cell(row=2, column=c).fill.fgColor.rgb for c in (6, 7, 8)] == [
        "00000000",
        "00E9ECEF",
        "00E9ECEF",
    ]


def test_text_that_looks_like_a_formula_stays_text_in_the_template(client, world):
    world.b.name = '=HYPERLINK("http://x.example","Xã B")'
    world.b.save()
    content = template(client, world, world.people.viettel)
    sheet = load_workbook(io.BytesIO(content))[sheets.SHEET]
    [cell] = [row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == world.b.pk]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (world.b.name, "s", True)


# --- preview, then apply -----------------------------------------------------------------


def test_the_preview_shows_every_rows_result_and_saves_nothing(client, world):
    households(world, [(world.a, "400"), (world.b, "400")])
    history = Response.history.count()
    content = filled(template(client, world, world.people.viettel), {2: {"a": 300}, 3: {"a": 100}})
    response = upload(client, world, content)
    assert response.status_code == 200
    assert statuses(response) == [
        (2, "Xã A", "created", True, []),
        (3, "Xã B", "created", True, []),
    ]
    assert response.context["preview"].counts == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "error": 0,
    }
    assert 'data-testid="apply"' in response.content.decode()
    assert nothing_sent_by(world, world.viettel)
    assert (fibre(world, world.a).inputs, fibre(world, world.a).version) == ({}, 0)
    assert Response.history.count() == history
    assert not AuditEntry.objects.filter(
        action=AuditAction.FIGURES_PROVIDED, actor=world.people.viettel
    ).exists()
    assert client.session[SHEET_SESSION_KEY % world.campaign.pk]["name"] == "so-lieu.xlsx"


def test_applying_saves_every_row_as_imported(client, world):
    households(world, [(world.a, "400"), (world.b, "400")])
    content = filled(template(client, world, world.people.viettel), {2: {"a": 300}, 3: {"a": 100}})
    upload(client, world, content)
    response = apply(client, world)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "providers:figures", kwargs={"campaign_pk": world.campaign.pk}
    )
    follow = client.get(response["Location"])
    assert [str(m) for m in follow.context["messages"]] == [
        "The sheet has been applied: 2 new figures, 0 changed, 0 unchanged."
    ]
    sent = ProvidedFigure.objects.filter(assignment=world.fibre_assignment).order_by(
        "assessment__unit__name"
    )
    assert [(f.value, f.channel, f.prefilled) for f in sent] == [
        ({"a": "300"}, Channel.SHEET, True),
        ({"a": "100"}, Channel.SHEET, True),
    ]
    a = fibre(world, world.a)
    assert (a.inputs, a.inputs_source, a.inputs_agency) == ({"a": "300"}, "imported", world.viettel)
    assert SHEET_SESSION_KEY % world.campaign.pk not in client.session
    # the same sheet again: every row unchanged, nothing to apply
    response = upload(client, world, filled(template(client, world, world.people.viettel), {}))
    assert [s[2] for s in statuses(response)] == ["unchanged", "unchanged"]
    assert 'data-testid="nothing-to-apply"' in response.content.decode()
    assert SHEET_SESSION_KEY % world.campaign.pk not in client.session


def test_a_row_that_went_wrong_after_the_preview_saves_nothing(client, world):
    households(world, [(world.a, "400"), (world.b, "400")])
    content = filled(template(client, world, world.people.viettel), {2: {"a": 300}, 3: {"a": 100}})
    upload(client, world, content)
    households(world, [(world.b, "50")])  # now B's 100 households exceed its 50
    response = apply(client, world)
    assert response.status_code == 200
    assert response.context["errors"] == ["1 of 2 rows have problems; nothing was saved."]
    assert statuses(response) == [
        (2, "Xã A", "created", True, []),
        (
            3,
            "Xã B",
            "error",
            False,
            [
                "“Số hộ gia đình có kết nối Internet cáp quang” (100) cannot be more than “Tổng "
                "số hộ gia đình trên địa bàn” (50): the part cannot exceed the whole. Check both "
                "figures."
            ],
        ),
    ]
    assert nothing_sent_by(world, world.viettel)
    assert fibre(world, world.a).inputs == {}


def test_apply_without_a_preview_asks_for_the_sheet_again(client, world):
    client.force_login(world.people.viettel)
    response = apply(client, world)
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert [str(m) for m in follow.context["messages"]] == [
        "Upload the sheet again: its preview has expired."
    ]


def test_empty_rows_are_skipped_and_a_row_outside_the_assignment_is_refused(client, world):
    households(world, [(world.a, "400")])
    content = template(client, world, world.people.viettel)
    book = load_workbook(io.BytesIO(content))
    book[sheets.SHEET].append([world.c.pk, None, "Xã C", "3.2", None, 10])
    book[sheets.SHEET].append([None, None, None, "@tong_so_ho_gia_dinh", None, None, None, 9])
    output = io.BytesIO()
    book.save(output)
    content = filled(output.getvalue(), {2: {"a": 300}})
    response = upload(client, world, content)
    assert statuses(response) == [
        (2, "Xã A", "created", True, []),
        (
            4,
            str(world.c.pk),
            "error",
            False,
            [f"Your agency does not provide “3.2” for unit “{world.c.pk}” in this campaign."],
        ),
        (5, "", "error", False, ["Row 5: Give the unit: its ID or its official code."]),
    ]
    assert response.context["preview"].blank == 1
    page = response.content.decode()
    assert 'data-testid="apply"' not in page and 'data-testid="fix-rows"' in page
    assert SHEET_SESSION_KEY % world.campaign.pk not in client.session
    assert nothing_sent_by(world, world.viettel)


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ";"), ("utf-8-sig", ";")]
)
def test_a_csv_file_in_utf_8_with_commas_or_semicolons(client, world, encoding, delimiter):
    world.c.code = "20131"
    world.c.save()
    client.force_login(world.people.statistics)
    lines = [
        ["ID đơn vị", "Mã đơn vị", "Tên đơn vị", "Mã số liệu", "Giá trị"],
        [str(world.a.pk), "", "Xã A", "@tong_so_ho_gia_dinh", "1520"],
        ["", "", "Xã B", "@tong_so_ho_gia_dinh", ""],
        ["", "20131", "Xã C", "tong_so_ho_gia_dinh", "800"],
    ]
    content = "\r\n".join(delimiter.join(line) for line in lines).encode(encoding)
    response = upload(client, world, content, name="so-lieu.csv")
    assert statuses(response) == [
        (2, "Xã A", "created", True, []),
        (4, "Xã C", "created", True, []),
    ]
    assert response.context["preview"].blank == 1
    apply(client, world)
    assert Assessment.objects.get(pk=world.assessments["Xã C"].pk).general_info == {
        "tong_so_ho_gia_dinh": "800"
    }
    assert Assessment.objects.get(pk=world.assessments["Xã B"].pk).general_info == {}


# --- hostile files -------------------------------------------------------------------------


def _damaged(world) -> bytes:
    """A real workbook whose sheet is cut off in the middle of its XML."""
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADERS, [world.a.pk, None, None, "3.2"]])))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return output.getvalue()


def _zip_of_text() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("a.txt", "không phải bảng tính")
    return output.getvalue()


def _formula(world) -> bytes:
    return workbook([HEADERS, [world.a.pk, None, "Xã A", "3.2", None, "=1+1"]])


def _merged(world) -> bytes:
    return workbook(
        [
            HEADERS,
            [world.a.pk, None, "Xã A", "3.2", None, 100],
            [world.b.pk, None, "Xã B", None, None, 100],
        ],
        merge="D2:D3",
    )


def _wrong_types(world) -> bytes:
    return workbook(
        [
            HEADERS,
            [world.a.pk, None, "Xã A", "3.2", None, datetime.datetime(2025, 2, 1)],
            ["Xã B", None, None, "3.2", None, 100],
            [world.b.pk, None, None, "3.2", None, 1e20],
        ]
    )


def _many_rows(world) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheets.SHEET)
    sheet.append(HEADERS)
    for _number in range(100_000):
        sheet.append([world.a.pk, None, None, "3.2", None, 1])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


NOT_A_WORKBOOK = (
    "The file is not an Excel workbook (.xlsx). Open it in Excel and save it as “Excel "
    "Workbook (.xlsx)”."
)
NO_FIGURES = "The sheet has no figures: fill in the template's rows and upload it again."
HOSTILE = {
    "not a workbook": (lambda w: b"%PDF-1.7 not a sheet", "so-lieu.xlsx", [NOT_A_WORKBOOK]),
    "a zip of text": (lambda w: _zip_of_text(), "so-lieu.xlsx", [NOT_A_WORKBOOK]),
    "damaged": (
        _damaged,
        "so-lieu.xlsx",
        ["The file is damaged and cannot be read as a workbook."],
    ),
    "formulas": (
        _formula,
        "so-lieu.xlsx",
        ["Row 2, a (tử số): Formulas are not allowed; type the value itself."],
    ),
    "merged cells": (
        _merged,
        "so-lieu.xlsx",
        [
            "The sheet has merged cells (D2:D3). Unmerge them so that every row holds its own "
            "unit and figure, and upload it again."
        ],
    ),
    "wrong types": (
        _wrong_types,
        "so-lieu.xlsx",
        [
            "Row 2, a (tử số): a date is not a figure; format the cell as Text or Number and "
            "type it again.",
            "Row 3, ID đơn vị: “Xã B” is not a unit ID.",
            "3.2 (Số hộ gia đình có kết nối Internet cáp quang): the number is too large.",
        ],
    ),
    "100,000 rows": (
        _many_rows,
        "so-lieu.xlsx",
        [
            f"The sheet has more than {sheets.MAX_ROWS} rows. Send it in parts, or delete the "
            "rows that hold no figure (empty but formatted rows too), and upload it again."
        ],
    ),
    "header only": (lambda w: workbook([HEADERS]), "so-lieu.xlsx", [NO_FIGURES]),
    "an empty sheet": (lambda w: workbook([]), "so-lieu.xlsx", [NO_FIGURES]),
    "other columns": (
        lambda w: workbook([["Họ và tên", "Số điện thoại"], ["An", "0912"]]),
        "so-lieu.xlsx",
        [
            "The first row must hold the template's column names: “Mã số liệu”, “ID đơn vị” or "
            "“Mã đơn vị”, and the input columns. Download the template and fill it in."
        ],
    ),
    "an empty file": (lambda w: b"", "so-lieu.xlsx", ["The submitted file is empty."]),
    "CSV not in UTF-8": (
        lambda w: "Ma so lieu;Gia tri;ID don vi\n@tong_so_ho_gia_dinh;5;1;Trà Bùi".encode("cp1258"),
        "so-lieu.csv",
        [
            "The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (Comma delimited)”, "
            "or upload the .xlsx workbook."
        ],
    ),
    "CSV with NUL bytes": (
        lambda w: b"M\x00a\x00,\x00",
        "so-lieu.csv",
        ["The file is damaged and cannot be read as a CSV file."],
    ),
    "neither": (
        lambda w: b"just text",
        "so-lieu.txt",
        ["Upload the template as an Excel workbook (.xlsx) or a CSV file (.csv)."],
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_gets_a_clear_message_and_changes_nothing(client, world, kind):
    make, name, expected = HOSTILE[kind]
    client.force_login(world.people.viettel)
    response = upload(client, world, make(world), name=name)
    assert response.status_code == 200
    preview = response.context["preview"]
    shown = response.context["errors"] + [
        message for line in (preview.lines if preview else []) for message in line.messages
    ]
    assert shown == expected
    assert 'data-testid="apply"' not in response.content.decode()
    assert SHEET_SESSION_KEY % world.campaign.pk not in client.session
    assert ProvidedFigure.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(client, world, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_BYTES", 1000)
    client.force_login(world.people.viettel)
    response = upload(client, world, b"x" * 1001, name="so-lieu.csv")
    assert response.status_code == 200
    assert response.context["errors"] == ["The file is larger than 1000\xa0bytes."]


# --- the service's dry run ------------------------------------------------------------------


def test_a_dry_run_answers_as_sending_would_and_saves_nothing(world):
    households(world, [(world.a, "400")])
    history = Response.history.count()
    audit = AuditEntry.objects.count()
    rows = [
        FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "300"}),
        FigureRow(unit=world.b.pk, indicator="3.2", value={"a": "ba trăm"}),
    ]
    results = services.figures_provide(
        user=world.people.viettel,
        campaign=world.campaign,
        rows=rows,
        channel=Channel.SHEET,
        all_or_nothing=True,
        dry_run=True,
    )
    assert [(r.status, r.prefilled, r.unit_name) for r in results] == [
        ("created", True, "Xã A"),
        ("error", False, "Xã B"),
    ]
    assert nothing_sent_by(world, world.viettel)
    assert fibre(world, world.a).inputs == {}
    assert (Response.history.count(), AuditEntry.objects.count()) == (history, audit)
    # the same rows sent for real: the bad one refuses them all
    with pytest.raises(RowsRefused):
        services.figures_provide(
            user=world.people.viettel,
            campaign=world.campaign,
            rows=rows,
            channel=Channel.SHEET,
            all_or_nothing=True,
        )
    assert nothing_sent_by(world, world.viettel)
