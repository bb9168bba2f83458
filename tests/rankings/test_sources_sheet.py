"""The results workbook's "Nguồn số liệu" sheet: where each published figure came from.

The six communes of helpers.py, with two data providers: Viettel sends indicator
7.13 (databases in use, a count) and the statistics office the general-information
figure "enterprises". Xã A keeps Viettel's figure (sent in a sheet), Xã B changes
it with a reason, Xã C types its own enterprises figure.
"""

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments import services as assessment_services
from assessments.models import Assessment, AssessmentState, Response
from indicators.models import GeneralInfoField, Indicator
from providers import services as provider_services
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow
from rankings import excel, services
from tests.factories import AgencyFactory, UserFactory, force_state

ENTERPRISES = "tong_so_doanh_nghiep"
ENTERPRISES_NAME = "Tổng số doanh nghiệp (DN) trên địa bàn"
REASON = "-Một cơ sở dữ liệu chưa vận hành"  # starts like a formula, as a list item would
HEADER = [
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


def unit_of(world, name):
    return world.assessments[name].unit


@pytest.fixture
def sourced(world):
    campaign = world.campaign
    district = unit_of(world, "Xã A").parent
    viettel = AgencyFactory(name="Viettel Huyện Thử", kind="telecom", unit=district)
    statistics = AgencyFactory(name="Chi cục Thống kê", kind="statistics", unit=district)
    people = {
        "viettel": UserFactory(full_name="Trần Văn Viễn", agency=viettel, roles=["data_provider"]),
        "statistics": UserFactory(
            full_name="Lê Thị Thống", agency=statistics, roles=["data_provider"]
        ),
        "officer_b": UserFactory(
            full_name="Phạm Văn Bình", unit=unit_of(world, "Xã B"), roles=["unit_officer"]
        ),
        "officer_c": UserFactory(
            full_name="Ngô Thị Cúc", unit=unit_of(world, "Xã C"), roles=["unit_officer"]
        ),
    }
    databases = Indicator.objects.get(pillar__indicator_set=world.indicator_set, code="7.13")
    enterprises = GeneralInfoField.objects.get(indicator_set=world.indicator_set, code=ENTERPRISES)
    organizer = campaign.created_by
    provider_services.provider_assignment_create(
        user=organizer, campaign=campaign, agency=viettel, indicator=databases
    )
    provider_services.provider_assignment_create(
        user=organizer, campaign=campaign, agency=statistics, info_field=enterprises
    )
    # The scored world answered everything directly; the agencies' indicator starts empty.
    Response.objects.filter(assessment__campaign=campaign, indicator=databases).update(
        inputs={}, self_score=None
    )
    a, b = unit_of(world, "Xã A"), unit_of(world, "Xã B")
    provider_services.figures_provide(
        user=people["viettel"],
        campaign=campaign,
        rows=[FigureRow(unit=a.pk, indicator="7.13", value=4)],
        channel=Channel.SHEET,
    )
    provider_services.figures_provide(
        user=people["viettel"],
        campaign=campaign,
        rows=[FigureRow(unit=b.pk, indicator="7.13", value=4)],
        channel=Channel.API,
    )
    provider_services.figures_provide(
        user=people["statistics"],
        campaign=campaign,
        rows=[FigureRow(unit=a.pk, field=ENTERPRISES, value="50")],
        channel=Channel.API,
    )
    b_databases = Response.objects.get(assessment=world.assessments["Xã B"], indicator=databases)
    assessment_services.response_save(
        user=people["officer_b"],
        response_id=b_databases.pk,
        expected_version=b_databases.version,
        inputs={"value": "3"},
        provided_change_note=REASON,
    )
    assessment_services.assessment_set_general_info(
        assessment=world.assessments["Xã C"], user=people["officer_c"], values={ENTERPRISES: "30"}
    )
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    publication = services.campaign_publish(
        campaign=campaign,
        user=organizer,
        decision_number="1234/QĐ-UBND",
        decision_date=date(2026, 2, 5),
        signer_title="CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
    )
    return world, people, publication, databases


def moment(value):
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def sheet_rows(content: bytes):
    sheet = load_workbook(io.BytesIO(content))["Nguồn số liệu"]
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_sources_sheet_says_where_each_figure_came_from(client, sourced):
    world, people, publication, databases = sourced
    content = client.get(reverse("rankings:results_workbook", args=[world.campaign.pk])).content
    sheet, rows = sheet_rows(content)
    assert rows[0] == HEADER

    by_unit = {}
    for row in rows[1:]:
        by_unit.setdefault(row[0], []).append(row)
    # The units in the matrix's order (DTI rank), their general information first, then
    # each answered or provided indicator: 7.13 was emptied and only A and B were sent
    # it; Xã F never answered 9.1, 9.7 and 9.8; the scored world's 8.1 has no inputs, so
    # an enterprises figure entered later leaves it unanswered (A and C).
    assert list(by_unit) == ["Xã A", "Xã B", "Xã C", "Xã D", "Xã E", "Xã F"]
    assert [len(unit_rows) for unit_rows in by_unit.values()] == [14, 14, 13, 13, 13, 10]
    assert [row[1] for row in by_unit["Xã A"]] == [
        "Thông tin chung", "1.1", "1.2", "1.3", "7.1", "7.2", "7.13", "7.14", "8.7", "8.8",
        "9.1", "9.7", "9.8", "KK",
    ]  # fmt: skip

    figure_a = ProvidedFigure.objects.get(
        assessment=world.assessments["Xã A"], assignment__indicator=databases
    )
    enterprises_a = ProvidedFigure.objects.get(
        assessment=world.assessments["Xã A"], assignment__info_field__code=ENTERPRISES
    )
    info_a = by_unit["Xã A"][0]
    assert info_a[:6] + info_a[7:] == [
        "Xã A",
        "Thông tin chung",
        ENTERPRISES_NAME,
        "50",
        "Cơ quan cung cấp",
        "Chi cục Thống kê",
        None,
        None,
    ]
    assert info_a[6].strftime("%d/%m/%Y %H:%M") == moment(enterprises_a.provided_at)

    kept = by_unit["Xã A"][6]
    assert kept[:6] + kept[7:] == [
        "Xã A",
        "7.13",
        databases.name,
        "4 cơ sở dữ liệu",
        "Nhập từ bảng tính của cơ quan cung cấp",
        "Viettel Huyện Thử",
        None,
        None,
    ]
    assert kept[6].strftime("%d/%m/%Y %H:%M") == moment(figure_a.provided_at)

    changed = next(row for row in by_unit["Xã B"] if row[1] == "7.13")
    b_databases = Response.objects.get(assessment=world.assessments["Xã B"], indicator=databases)
    assert changed[:6] + changed[7:] == [
        "Xã B",
        "7.13",
        databases.name,
        "3 cơ sở dữ liệu",
        "Đơn vị nhập",
        None,
        "4 cơ sở dữ liệu (Viettel Huyện Thử)",
        REASON,
    ]
    assert changed[6].strftime("%d/%m/%Y %H:%M") == moment(b_databases.updated_at)
    reason = sheet.cell(row=rows.index(changed) + 1, column=9)
    assert (reason.data_type, reason.quotePrefix) == ("s", True)  # text, never a formula
    assert sheet.cell(row=rows.index(changed) + 1, column=7).number_format == "dd/mm/yyyy hh:mm"
    # A public file: nobody's name, only agencies.
    names = {person.full_name for person in people.values()}
    assert not names & {value for row in rows for value in row}

    typed_c = by_unit["Xã C"][0]
    assessment_c = Assessment.objects.get(pk=world.assessments["Xã C"].pk)
    assert typed_c[:6] + typed_c[7:] == [
        "Xã C",
        "Thông tin chung",
        ENTERPRISES_NAME,
        "30",
        "Đơn vị nhập",
        None,
        None,
        None,
    ]
    assert typed_c[6] is not None
    assert assessment_c.general_info_provenance[ENTERPRISES]["source"] == "typed"

    # An indicator the scored world answered directly (a score, no inputs, nobody named).
    first = Indicator.objects.get(pillar__indicator_set=world.indicator_set, code="1.1")
    assert by_unit["Xã D"][0] == [
        "Xã D", "1.1", first.name, None, "Đơn vị nhập", None, None, None, None,
    ]  # fmt: skip


def test_the_workbook_reads_the_sources_in_a_fixed_number_of_queries(
    sourced, django_assert_num_queries
):
    _world, _people, publication, _databases = sourced
    with django_assert_num_queries(8):
        content = excel.results_workbook(publication=publication)
    _sheet, rows = sheet_rows(content)
    assert len(rows) == 1 + 14 + 14 + 13 + 13 + 13 + 10
