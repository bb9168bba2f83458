"""The council sees where the unit's figures came from: in the workbench, the results and
the explanation page; when the unit changed a provided figure, the agency's figure and
the unit's reason beside it. No page reads more queries for it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import AssessmentState, Response
from councils import services as council_services
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow
from tests.factories import UserFactory, force_state
from tests.providers.provenance_helpers import FIBRE_LABEL, HOUSEHOLDS, NOTE, local, provide, text


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def change_fibre(world):
    """Viettel's 300 for A (a sheet), changed by the unit to 320 with its reason."""
    provide(
        world, world.people.statistics, [FigureRow(unit=world.a.pk, field=HOUSEHOLDS, value=400)]
    )
    provide(
        world,
        world.people.viettel,
        [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "300"})],
        channel=Channel.SHEET,
    )
    response = Response.objects.get(
        assessment=world.assessments[world.a.name], indicator__code="3.2"
    )
    assessment_services.response_save(
        user=world.people.officer_a,
        response_id=response.pk,
        expected_version=response.version,
        inputs={"a": "320"},
        provided_change_note=NOTE,
    )
    return ProvidedFigure.objects.get(assignment=world.fibre_assignment)


@pytest.fixture
def council(world):
    """A council whose police member appraises 3.2 (and 3.1) in every unit."""
    organizer = world.people.organizer
    council = council_services.council_create(
        campaign=world.campaign, user=organizer, decision_number="12/QĐ-UBND"
    )
    police = UserFactory(full_name="Công an Minh", agency=world.statistics)
    member = council_services.member_add(council=council, user=organizer, member_user=police)
    three_one = world.fibre.pillar.indicators.get(code="3.1")
    council_services.assignment_set(
        council=council, user=organizer, member=member, indicators=[world.fibre, three_one]
    )
    return police


def confirm(world):
    force_state(world.assessments[world.a.name], AssessmentState.CONFIRMED)


def row_of(html: str, unit: str, code: str) -> str:
    start = html.index(f'data-testid="workbench-row" data-code="{code}" data-unit="{unit}"')
    return html[start : html.index("</article>", start)]


def test_the_workbench_shows_the_source_the_agencys_figure_and_the_reason(client, world, council):
    figure = change_fibre(world)
    confirm(world)
    client.force_login(council)
    html = client.get(reverse("councils:workbench", args=[world.campaign.pk])).content.decode()
    row = row_of(html, world.a.name, "3.2")
    assert 'data-testid="provenance" data-source="typed"' in row
    response = Response.objects.get(
        assessment=world.assessments[world.a.name], indicator__code="3.2"
    )
    words = text(row)
    assert f"Typed {world.people.officer_a}, {local(response.updated_at)}" in words
    assert (
        f"Viettel Huyện Thử provided: {FIBRE_LABEL}: 300 ({world.people.viettel}, "
        f"{local(figure.provided_at)}) Reason for changing the provided figure: {NOTE}"
    ) in words
    assert f"{FIBRE_LABEL}: 320" in words  # the unit's own figure, as before
    # 3.1 was never answered nor provided: no source to show.
    assert 'data-testid="provenance"' not in row_of(html, world.a.name, "3.1")


def test_a_kept_figure_is_the_agencys(client, world, council):
    provide(
        world, world.people.statistics, [FigureRow(unit=world.a.pk, field=HOUSEHOLDS, value=400)]
    )
    provide(
        world, world.people.viettel, [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 300})]
    )
    figure = ProvidedFigure.objects.get(assignment=world.fibre_assignment)
    confirm(world)
    client.force_login(council)
    html = client.get(reverse("councils:workbench", args=[world.campaign.pk])).content.decode()
    row = row_of(html, world.a.name, "3.2")
    assert 'data-testid="provenance" data-source="provided"' in row
    assert (
        f"Provided by Viettel Huyện Thử {world.people.viettel}, {local(figure.provided_at)}"
    ) in text(row)
    assert 'data-testid="provided-figure"' not in row


def test_the_workbench_reads_no_more_queries_for_the_sources(client, world, council):
    confirm(world)
    client.force_login(council)
    url = reverse("councils:workbench", args=[world.campaign.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    force_state(world.assessments[world.a.name], AssessmentState.OPEN)
    change_fibre(world)
    confirm(world)
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert 'data-testid="provided-figure"' in html
    assert len(after) == len(before)


def test_the_results_and_the_explanation_show_it_too(client, world, council):
    figure = change_fibre(world)
    confirm(world)
    assessment = world.assessments[world.a.name]
    expected = (
        f"Viettel Huyện Thử provided: {FIBRE_LABEL}: 300 ({world.people.viettel}, "
        f"{local(figure.provided_at)}) Reason for changing the provided figure: {NOTE}"
    )
    client.force_login(council)
    results = client.get(reverse("councils:results", args=[assessment.pk])).content.decode()
    row = results[results.index('<tr data-code="3.2">') :]
    row = row[: row.index("</tr>")]
    assert 'data-source="typed"' in row
    assert expected in text(row)

    force_state(assessment, AssessmentState.EXPLANATION)
    client.force_login(world.people.officer_a)
    page = client.get(reverse("councils:explanation", args=[assessment.pk])).content.decode()
    start = page.index('data-testid="explain-row" data-code="3.2"')
    row = page[start : page.index("</article>", start)]
    assert 'data-source="typed"' in row
    assert expected in text(row)
