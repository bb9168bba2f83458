"""Figures sent by data providers: right units only, provenance, idempotence, the note."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import services as assessment_services
from assessments.models import Assessment, AssessmentState, InputSource, Response
from providers import services
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow, RowsRefused
from tests.factories import force_state


def response(world, unit, code="3.2"):
    return Response.objects.select_related("inputs_agency").get(
        assessment=world.assessments[unit.name], indicator__code=code
    )


def provide(world, user, rows, channel=Channel.API, **kwargs):
    return services.figures_provide(
        user=user, campaign=world.campaign, rows=rows, channel=channel, **kwargs
    )


def test_provided_figures_prefill_the_assigned_units_only(world):
    provide(
        world,
        world.people.statistics,
        [
            FigureRow(unit=u.pk, field="tong_so_ho_gia_dinh", value="400")
            for u in (world.a, world.b, world.c)
        ],
    )
    results = provide(
        world,
        world.people.viettel,
        [
            FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "300", "b": "ignored"}),
            FigureRow(unit=world.b.pk, indicator="3.2", value={"a": 100}),
            FigureRow(unit=world.c.pk, indicator="3.2", value={"a": 50}),
        ],
    )
    assert [(r.status, r.prefilled) for r in results] == [
        ("created", True),
        ("created", True),
        ("error", False),
    ]
    assert results[2].messages == [
        f"Your agency does not provide “3.2” for unit “{world.c.pk}” in this campaign."
    ]
    a, b, c = (response(world, unit) for unit in (world.a, world.b, world.c))
    assert (a.inputs, a.self_score, a.inputs_source, a.inputs_agency) == (
        {"a": "300"},
        Decimal("15.00"),  # 300 of 400 households: 75 % of 20 points
        InputSource.PROVIDED,
        world.viettel,
    )
    assert a.updated_by == world.people.viettel
    assert (b.inputs, b.self_score) == ({"a": "100"}, Decimal("5.00"))
    assert (c.inputs, c.self_score, c.inputs_source, c.version) == ({}, None, InputSource.TYPED, 0)
    assert (
        ProvidedFigure.objects.filter(assessment=world.assessments[world.c.name])
        .filter(assignment=world.fibre_assignment)
        .count()
        == 0
    )
    info = Assessment.objects.get(pk=world.assessments[world.c.name].pk)
    assert info.general_info == {"tong_so_ho_gia_dinh": "400"}
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["source"] == "provided"
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["agency"] == world.statistics.name


def test_a_sheet_is_recorded_as_imported(world):
    provide(
        world,
        world.people.statistics,
        [FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value=1000)],
        channel=Channel.SHEET,
    )
    provide(
        world,
        world.people.viettel,
        [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "250"})],
        channel=Channel.SHEET,
    )
    row = response(world, world.a)
    assert (row.inputs_source, row.self_score) == (InputSource.IMPORTED, Decimal("5.00"))
    info = Assessment.objects.get(pk=world.assessments[world.a.name].pk)
    assert info.general_info == {"tong_so_ho_gia_dinh": "1000"}
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["source"] == "imported"


def test_resending_the_same_figures_changes_nothing(world):
    rows = [FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value="400")]
    provide(world, world.people.statistics, rows)
    figure = ProvidedFigure.objects.get()
    history = figure.history.count()
    version = Assessment.objects.get(pk=world.assessments[world.a.name].pk).history.count()
    again = provide(
        world,
        world.people.statistics,
        [FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value=400)],
    )
    assert [(r.status, r.prefilled) for r in again] == [("unchanged", True)]
    assert ProvidedFigure.objects.get().history.count() == history
    assert Assessment.objects.get(pk=world.assessments[world.a.name].pk).history.count() == version


def test_a_provider_cannot_send_outside_its_assignment(world):
    results = provide(
        world,
        world.people.viettel,
        [
            FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value="400"),  # statistics'
            FigureRow(unit=world.a.pk, indicator="7.1", value={"a": 1, "b": 2}),  # nobody's
            FigureRow(unit=999999, indicator="3.2", value={"a": 1}),  # no such unit
        ],
    )
    assert [r.status for r in results] == ["error", "error", "error"]
    assert ProvidedFigure.objects.count() == 0
    assert Assessment.objects.get(pk=world.assessments[world.a.name].pk).general_info == {}
    with pytest.raises(PermissionDenied):
        provide(
            world,
            world.people.viettel_without_role,
            [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 1})],
        )
    with pytest.raises(PermissionDenied):
        provide(
            world,
            world.people.officer_a,
            [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": 1})],
        )


def test_a_bad_row_in_a_sheet_saves_nothing(world):
    with pytest.raises(RowsRefused) as refused:
        provide(
            world,
            world.people.statistics,
            [
                FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value="400"),
                FigureRow(unit=world.b.pk, field="tong_so_ho_gia_dinh", value="bốn trăm"),
                FigureRow(unit=world.c.pk, field="tong_so_ho_gia_dinh", value="-3"),
            ],
            channel=Channel.SHEET,
            all_or_nothing=True,
        )
    assert [r.status for r in refused.value.results] == ["created", "error", "error"]
    assert refused.value.messages == ["2 of 3 rows have problems; nothing was saved."]
    assert ProvidedFigure.objects.count() == 0
    assert Assessment.objects.get(pk=world.assessments[world.a.name].pk).general_info == {}


def test_a_unit_that_typed_its_own_figure_keeps_it(world):
    officer = world.people.officer_a
    assessment_services.assessment_set_general_info(
        assessment=world.assessments[world.a.name],
        user=officer,
        values={"tong_so_ho_gia_dinh": "500"},
    )
    results = provide(
        world,
        world.people.statistics,
        [FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value="400")],
    )
    assert [(r.status, r.prefilled) for r in results] == [("created", False)]
    info = Assessment.objects.get(pk=world.assessments[world.a.name].pk)
    assert info.general_info == {"tong_so_ho_gia_dinh": "500"}
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["source"] == "typed"


def test_no_prefill_once_the_unit_has_submitted(world):
    force_state(world.assessments[world.a.name], AssessmentState.SELF_ASSESSED)
    results = provide(
        world, world.people.viettel, [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "1"})]
    )
    assert [(r.status, r.prefilled) for r in results] == [("created", False)]
    assert response(world, world.a).inputs == {}


def test_changing_a_provided_figure_needs_a_note(world):
    provide(
        world,
        world.people.statistics,
        [FigureRow(unit=world.a.pk, field="tong_so_ho_gia_dinh", value="400")],
    )
    provide(
        world,
        world.people.viettel,
        [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "300"})],
    )
    officer, row = world.people.officer_a, response(world, world.a)

    # keeping it: saving the same figure keeps its provenance
    kept = assessment_services.response_save(
        user=officer,
        expected_version=row.version,
        response_id=row.pk,
        inputs={"a": "300.0"},
        note="Đúng",
    )
    assert (kept.inputs_source, kept.inputs_agency_id) == (InputSource.PROVIDED, world.viettel.pk)

    with pytest.raises(ValidationError) as refused:
        assessment_services.response_save(
            user=officer, expected_version=kept.version, response_id=row.pk, inputs={"a": "320"}
        )
    assert refused.value.code == "provided_change_note_required"
    assert response(world, world.a).inputs == {"a": "300.0"}  # nothing saved

    changed = assessment_services.response_save(
        user=officer,
        expected_version=kept.version,
        response_id=row.pk,
        inputs={"a": "320"},
        provided_change_note="Số liệu Viettel chưa gồm 20 hộ dùng VNPT",
    )
    assert (changed.inputs, changed.self_score, changed.inputs_source, changed.inputs_agency) == (
        {"a": "320"},
        Decimal("16.00"),
        InputSource.TYPED,
        None,
    )
    assert changed.provided_change_note == "Số liệu Viettel chưa gồm 20 hộ dùng VNPT"
    assert changed.history.first().provided_change_note == changed.provided_change_note

    # a newer provided figure does not overwrite the unit's own
    again = provide(
        world,
        world.people.viettel,
        [FigureRow(unit=world.a.pk, indicator="3.2", value={"a": "310"})],
    )
    assert [(r.status, r.prefilled) for r in again] == [("updated", False)]
    assert response(world, world.a).inputs == {"a": "320"}

    # the general information works the same way
    assessment = world.assessments[world.a.name]
    with pytest.raises(ValidationError):
        assessment_services.assessment_set_general_info(
            assessment=assessment, user=officer, values={"tong_so_ho_gia_dinh": "420"}
        )
    assessment_services.assessment_set_general_info(
        assessment=assessment,
        user=officer,
        values={"tong_so_ho_gia_dinh": "420"},
        change_notes={"tong_so_ho_gia_dinh": "Theo sổ hộ khẩu tháng 10"},
    )
    info = Assessment.objects.get(pk=assessment.pk)
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["note"] == "Theo sổ hộ khẩu tháng 10"
    assert info.general_info_provenance["tong_so_ho_gia_dinh"]["source"] == "typed"


def test_only_the_organizer_names_providers(world):
    with pytest.raises(PermissionDenied):
        services.provider_assignment_create(
            user=world.people.viettel,
            campaign=world.campaign,
            agency=world.viettel,
            info_field=world.households,
        )
    with pytest.raises(ValidationError) as twice:
        services.provider_assignment_create(
            user=world.people.organizer,
            campaign=world.campaign,
            agency=world.viettel,
            indicator=world.fibre,
        )
    assert twice.value.messages == [
        f"{world.viettel.name} already provides “{world.fibre}” in this campaign."
    ]
