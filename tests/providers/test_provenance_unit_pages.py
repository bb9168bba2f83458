"""Provenance on the unit's pages: each figure says where it came from, and changing a
figure an agency provided asks for a reason on its own box, nothing typed lost.

The world is tests/providers/conftest.py: Viettel provides 3.2 (households with
fibre, whose whole is the general-information figure "households") for communes
A and B; the statistics office provides that households figure for every commune.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Assessment, InputSource, Response
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow
from tests.providers.provenance_helpers import FIBRE_LABEL, HOUSEHOLDS, NOTE, local, provide, text

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def provided(world):
    """Households 400 for A (the API: "provided"), then 3.2 a = 300 for A (a sheet: "imported")."""
    provide(
        world, world.people.statistics, [FigureRow(unit=world.a.pk, field=HOUSEHOLDS, value=400)]
    )
    provide(
        world,
        world.people.viettel,
        [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "300"})],
        channel=Channel.SHEET,
    )
    return world


def fibre(world, unit=None) -> Response:
    return Response.objects.select_related("inputs_agency").get(
        assessment=world.assessments[(unit or world.a).name], indicator__code="3.2"
    )


def detail(world, unit=None):
    return reverse(
        "assessments:assessment_detail", args=[world.assessments[(unit or world.a).name].pk]
    )


def save_url(world, response):
    return reverse(
        "assessments:response_save", args=[response.assessment_id, response.indicator_id]
    )


def pages_of(client, world, unit=None) -> list[str]:
    """Every page of the unit's self-assessment (whole pillars, about a dozen cards a page)."""
    first = client.get(detail(world, unit)).content.decode()
    numbers = re.findall(r'data-testid="pillar-link" data-page="(\d+)"', first)
    count = max(int(n) for n in numbers) if numbers else 1
    rest = [
        client.get(detail(world, unit), {"trang": n}).content.decode() for n in range(2, count + 1)
    ]
    return [first, *rest]


def every_page(client, world, unit=None) -> str:
    return "".join(pages_of(client, world, unit))


def page_holding(client, world, code: str) -> str:
    """The URL of the page that shows indicator ``code``'s card."""
    for number, html in enumerate(pages_of(client, world), start=1):
        if f'data-testid="indicator-card" data-code="{code}"' in html:
            return f"{detail(world)}?trang={number}"
    raise AssertionError(f"no page shows {code}")


def card(html: str, code: str) -> str:
    start = html.index(f'data-testid="indicator-card" data-code="{code}"')
    return html[start : html.index("</article>", start)]


def info_field(html: str, code: str) -> str:
    """One general-information figure of the page, up to the next one."""
    start = html.index(f'data-testid="general-info-field" data-code="{code}"')
    ends = (
        html.find('data-testid="general-info-field"', start + 1),
        html.find("</section>", start),
    )
    return html[start : min(end for end in ends if end != -1)]


def test_each_figure_says_where_it_came_from(client, provided):
    world = provided
    officer = world.people.officer_a
    yes_no = Response.objects.get(assessment=world.assessments[world.a.name], indicator__code="1.3")
    assessment_services.response_save(
        user=officer, response_id=yes_no.pk, expected_version=0, inputs={"value": True}
    )
    typed = Response.objects.get(pk=yes_no.pk)
    figure = ProvidedFigure.objects.get(assignment=world.fibre_assignment)
    households = ProvidedFigure.objects.get(assignment=world.households_assignment)

    client.force_login(officer)
    html = every_page(client, world)

    fibre_card = card(html, "3.2")
    assert 'data-testid="provenance" data-source="imported"' in fibre_card
    assert (
        text(fibre_card).count(
            f"Imported from a sheet of Viettel Huyện Thử {world.people.viettel}, "
            f"{local(figure.provided_at)}"
        )
        == 1
    )
    assert 'data-testid="provided-figure"' not in fibre_card  # the unit kept it
    assert fibre_card.count('name="provided_change_note"') == 1
    assert "Reason for changing the provided figure" in fibre_card

    yes_no_card = card(html, "1.3")
    assert 'data-testid="provenance" data-source="typed"' in yes_no_card
    assert f"Typed {officer}, {local(typed.updated_at)}" in text(yes_no_card)
    assert 'name="provided_change_note"' not in yes_no_card

    assert 'data-testid="provenance"' not in card(html, "1.1")  # nothing entered, nothing provided

    info = info_field(html, HOUSEHOLDS)
    assert 'data-testid="provenance" data-source="provided"' in info
    assert (
        f"Provided by Chi cục Thống kê Huyện Thử {world.people.statistics}, "
        f"{local(households.provided_at)}"
    ) in text(info)
    assert f'name="change_note__{HOUSEHOLDS}"' in info
    assert 'name="change_note__tong_so_cbcc"' not in html  # nobody provides it


def test_the_leader_reads_the_sources_too(client, provided):
    world = provided
    from tests.factories import UserFactory

    leader = UserFactory(unit=world.a, roles=["unit_leader"])
    client.force_login(leader)
    html = every_page(client, world)
    assert 'data-source="imported"' in card(html, "3.2")
    assert 'name="provided_change_note"' not in html  # read only: no form
    assert "Provided by Chi cục Thống kê Huyện Thử" in text(info_field(html, HOUSEHOLDS))


def test_changing_a_provided_figure_asks_for_the_reason_on_its_box(client, provided):
    world = provided
    response = fibre(world)
    client.force_login(world.people.officer_a)
    refused = client.post(
        save_url(world, response),
        {
            "expected_version": str(response.version),
            "a": "320",
            "note": "",
            "provided_change_note": "",
        },
        **HTMX,
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    errors = re.findall(r'data-testid="change-note-error">([^<]*)<', html)
    assert errors == [
        "Viettel Huyện Thử provided this figure. To change it, write why in “Reason for "
        "changing the provided figure”; the council reads it."
    ]
    assert 'name="a" value="320"' in html  # what was typed is still there
    assert html.count('name="provided_change_note"') == 1
    assert 'data-testid="save-errors"' not in html
    stored = fibre(world)
    assert (stored.inputs, stored.self_score, stored.inputs_source, stored.version) == (
        {"a": "300"},
        Decimal("15.00"),
        InputSource.IMPORTED,
        response.version,
    )

    saved = client.post(
        save_url(world, response),
        {"expected_version": str(response.version), "a": "320", "provided_change_note": NOTE},
        **HTMX,
    )
    stored = fibre(world)
    assert (
        stored.inputs,
        stored.self_score,
        stored.inputs_source,
        stored.inputs_agency,
        stored.provided_change_note,
        stored.updated_by,
    ) == ({"a": "320"}, Decimal("16.00"), InputSource.TYPED, None, NOTE, world.people.officer_a)
    html = saved.content.decode()
    assert 'data-testid="change-note-error"' not in html
    marker = 'data-testid="provided-figure">'
    box = html[html.index(marker) + len(marker) :]
    figure = ProvidedFigure.objects.get(assignment=world.fibre_assignment)
    assert text(box[: box.index("</div>\n  </div>")]) == (
        f"Viettel Huyện Thử provided: {FIBRE_LABEL}: 300 ({world.people.viettel}, "
        f"{local(figure.provided_at)}) Reason for changing the provided figure: {NOTE}"
    )
    assert 'data-testid="provenance" data-source="typed"' in html

    # The page says the same afterwards; the note box holds the reason written.
    page = every_page(client, world)
    assert f"Reason for changing the provided figure: {NOTE}" in text(card(page, "3.2"))
    assert f">\n{NOTE}</textarea>" in card(page, "3.2")


def test_keeping_a_provided_figure_keeps_its_source(client, provided):
    world = provided
    response = fibre(world)
    client.force_login(world.people.officer_a)
    client.post(
        save_url(world, response),
        {
            "expected_version": str(response.version),
            "a": "300,0",
            "note": "Đúng với số liệu Viettel",
            "provided_change_note": "",
        },
        **HTMX,
    )
    stored = fibre(world)
    assert (
        stored.inputs,
        stored.note,
        stored.inputs_source,
        stored.inputs_agency,
        stored.provided_change_note,
    ) == ({"a": "300.0"}, "Đúng với số liệu Viettel", InputSource.IMPORTED, world.viettel, "")


def test_a_page_without_the_reason_box_keeps_the_reason_written(client, provided):
    world = provided
    response = fibre(world)
    assessment_services.response_save(
        user=world.people.officer_a,
        response_id=response.pk,
        expected_version=response.version,
        inputs={"a": "320"},
        provided_change_note=NOTE,
    )
    client.force_login(world.people.officer_a)
    client.post(
        save_url(world, response),
        {"expected_version": str(response.version + 1), "a": "320", "note": "Ghi chú mới"},
        **HTMX,
    )
    stored = fibre(world)
    assert (stored.note, stored.provided_change_note) == ("Ghi chú mới", NOTE)


def test_general_information_asks_for_the_reason_and_keeps_what_was_typed(client, provided):
    world = provided
    assessment = world.assessments[world.a.name]
    url = reverse("assessments:general_info_save", args=[assessment.pk])
    client.force_login(world.people.officer_a)

    refused = client.post(url, {HOUSEHOLDS: "420", "tong_so_cbcc": "25"})
    assert refused.status_code == 400
    html = refused.content.decode()
    info = info_field(html, HOUSEHOLDS)
    assert re.findall(r'data-testid="change-note-error">([^<]*)<', info) == [
        "Chi cục Thống kê Huyện Thử provided “Tổng số hộ gia đình trên địa bàn”. To change it, "
        "write why; the council reads it."
    ]
    assert f'name="{HOUSEHOLDS}" value="420"' in info
    assert 'name="tong_so_cbcc" value="25"' in html
    assert "Nothing was saved: write why you changed the provided figures marked below." in html
    kept = Assessment.objects.get(pk=assessment.pk)
    assert kept.general_info == {HOUSEHOLDS: "400"}  # nothing saved, not even the other figure
    assert kept.general_info_provenance[HOUSEHOLDS]["source"] == "provided"

    saved = client.post(
        url,
        {HOUSEHOLDS: "420", "tong_so_cbcc": "25", f"change_note__{HOUSEHOLDS}": "Theo sổ hộ khẩu"},
    )
    assert saved.status_code == 302
    stored = Assessment.objects.get(pk=assessment.pk)
    assert stored.general_info == {HOUSEHOLDS: "420", "tong_so_cbcc": "25"}
    entry = stored.general_info_provenance[HOUSEHOLDS]
    assert (entry["source"], entry["note"], entry["by_id"]) == (
        "typed",
        "Theo sổ hộ khẩu",
        world.people.officer_a.pk,
    )
    assert fibre(world).self_score == Decimal("14.29")  # 300 of 420 households × 20

    page = client.get(detail(world)).content.decode()
    info = text(info_field(page, HOUSEHOLDS))
    households = ProvidedFigure.objects.get(assignment=world.households_assignment)
    assert (
        f"Chi cục Thống kê Huyện Thử provided: 400 ({world.people.statistics}, "
        f"{local(households.provided_at)}) Reason for changing the provided figure: "
        "Theo sổ hộ khẩu"
    ) in info
    assert f"Typed {world.people.officer_a}," in info


def test_the_agencys_figure_shows_beside_an_empty_answer(client, world):
    # 3.2 arrives before the households figure: it cannot be scored, so nothing is
    # pre-filled, and the unit sees the agency's figure beside its empty box.
    provide(
        world, world.people.viettel, [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 7})]
    )
    client.force_login(world.people.officer_a)
    fibre_card = card(every_page(client, world), "3.2")
    assert 'data-testid="provenance" data-source=""' in fibre_card
    assert f"Viettel Huyện Thử provided: {FIBRE_LABEL}: 7" in text(fibre_card)
    assert 'name="a" value="' not in fibre_card


def test_the_page_reads_every_provided_figure_in_one_query(client, world):
    client.force_login(world.people.officer_a)
    page = page_holding(client, world, "3.2")
    with CaptureQueriesContext(connection) as before:
        client.get(page)
    provide(
        world, world.people.statistics, [FigureRow(unit=world.a.pk, field=HOUSEHOLDS, value=400)]
    )
    provide(
        world, world.people.viettel, [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 1})]
    )
    with CaptureQueriesContext(connection) as after:
        html = client.get(page).content.decode()
    assert 'data-source="provided"' in card(html, "3.2")
    assert len(after) == len(before)
    assert sum("providers_providedfigure" in q["sql"] for q in after.captured_queries) == 1


# --- the history ------------------------------------------------------------------------


def history_rows(html: str) -> list[list[str]]:
    body = html[html.index("<tbody>") :]
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_each_version_in_the_history_says_where_its_figures_came_from(client, provided):
    world = provided
    response = fibre(world)
    assessment_services.response_save(
        user=world.people.officer_a,
        response_id=response.pk,
        expected_version=response.version,
        inputs={"a": "320"},
        provided_change_note=NOTE,
    )
    client.force_login(world.people.officer_a)
    url = reverse(
        "assessments:response_history", args=[response.assessment_id, response.indicator_id]
    )
    rows = history_rows(client.get(url, **HTMX).content.decode())
    viettel, officer = str(world.people.viettel), str(world.people.officer_a)
    imported = "Imported from a sheet of Viettel Huyện Thử"
    typed = f"Typed Reason for changing the provided figure: {NOTE}"
    assert [row[1:] for row in rows] == [
        [viettel, "Answer", "—", "a: 300", imported],
        [viettel, "Self score", "—", "15", imported],
        [officer, "Answer", "a: 300", "a: 320", typed],
        [officer, "Self score", "15", "16", typed],
        [officer, "Reason for changing the provided figure", "—", NOTE, "Typed"],
    ]
    # The whole page, too.
    page = client.get(url).content.decode()
    assert history_rows(page) == rows


def test_a_version_that_only_takes_the_agencys_figure_is_a_source_change(client, world):
    provide(
        world, world.people.statistics, [FigureRow(unit=world.a.pk, field=HOUSEHOLDS, value=400)]
    )
    response = fibre(world)
    officer = world.people.officer_a
    # The unit types 300 before Viettel sends the same figure: its own figure stands ...
    assessment_services.response_save(
        user=officer, response_id=response.pk, expected_version=0, inputs={"a": "300"}
    )
    provide(
        world, world.people.viettel, [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 300})]
    )
    assert fibre(world).inputs_source == InputSource.TYPED
    # ... and saving it again marks it as the agency's.
    assessment_services.response_save(
        user=officer, response_id=response.pk, expected_version=1, inputs={"a": "300"}, note="Khớp"
    )
    assert (fibre(world).inputs_source, fibre(world).inputs_agency) == (
        InputSource.PROVIDED,
        world.viettel,
    )
    client.force_login(officer)
    url = reverse(
        "assessments:response_history", args=[response.assessment_id, response.indicator_id]
    )
    rows = [row[1:] for row in history_rows(client.get(url, **HTMX).content.decode())]
    assert rows[-2:] == [
        [str(officer), "Note", "—", "Khớp", "Provided by Viettel Huyện Thử"],
        [
            str(officer),
            "Source of the figures",
            "Typed",
            "Provided by an agency (Viettel Huyện Thử)",
            "Provided by Viettel Huyện Thử",
        ],
    ]
