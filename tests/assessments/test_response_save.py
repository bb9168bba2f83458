"""Saving responses: computed scores, optimistic concurrency, history, general information."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import selectors, services
from assessments.models import AssessmentState, PhaseKind, Response
from assessments.services import StaleResponse
from indicators.models import GeneralInfoField, Indicator
from indicators.services import indicator_set_activate
from tests.assessments.helpers import fresh
from tests.factories import (
    IndicatorFactory,
    IndicatorSetFactory,
    PillarFactory,
    UserFactory,
    force_state,
    open_campaign,
    set_window,
)


def response_of(world, code, assessment=None):
    return Response.objects.get(assessment=assessment or world.assessment, indicator__code=code)


def save(world, code, inputs, *, user=None, version=0, note=""):
    return services.response_save(
        assessment=world.assessment,
        indicator=Indicator.objects.get(
            pillar__indicator_set=world.campaign.indicator_set, code=code
        ),
        user=user or world.people.officer,
        inputs=inputs,
        note=note,
        expected_version=version,
    )


def test_the_score_is_computed_from_the_inputs(world):
    saved = save(world, "1.2", {"value": "3"}, note="3 cuộc họp trong năm")
    stored = response_of(world, "1.2")
    assert (stored.inputs, stored.self_score, stored.note, stored.version) == (
        {"value": "3"},
        Decimal("10.00"),
        "3 cuộc họp trong năm",
        1,
    )
    assert stored.updated_by == world.people.officer
    assert saved.version == 1


def test_saving_by_response_id_works_the_same(world):
    response = response_of(world, "1.1")
    services.response_save(
        response_id=response.pk,
        user=world.people.officer,
        inputs={"value": True},
        expected_version=0,
    )
    assert response_of(world, "1.1").self_score == Decimal("10.00")


def test_inputs_that_cannot_be_scored_are_refused_and_nothing_changes(world):
    save(world, "2.1", {"value": "12"})
    with pytest.raises(ValidationError) as excinfo:
        save(world, "2.1", {"value": "16"}, version=1)
    assert excinfo.value.messages == ["The score 16 is more than the maximum 15.00."]
    stored = response_of(world, "2.1")
    assert (stored.inputs, stored.self_score, stored.version) == (
        {"value": "12"},
        Decimal("12.00"),
        1,
    )


def test_none_clears_the_answer(world):
    save(world, "2.1", {"value": "12"})
    save(world, "2.1", None, version=1)
    stored = response_of(world, "2.1")
    assert (stored.inputs, stored.self_score, stored.version, stored.is_answered) == (
        {},
        None,
        2,
        False,
    )


def test_saving_the_same_values_again_is_not_a_change(world):
    save(world, "2.1", {"value": "12"}, note="x")
    save(world, "2.1", {"value": "12"}, note="x", version=1)
    stored = response_of(world, "2.1")
    assert stored.version == 1
    assert stored.history.count() == 1


def test_two_officers_saving_from_the_same_page_the_second_is_told_and_nothing_is_lost(world):
    first = world.people.officer
    second = UserFactory(unit=world.a, roles=["unit_officer"])
    response = response_of(world, "1.2")
    loaded_version = response.version  # both pages show version 0

    services.response_save(
        response_id=response.pk,
        user=first,
        inputs={"value": "4"},
        note="Theo biên bản",
        expected_version=loaded_version,
    )
    with pytest.raises(StaleResponse) as excinfo:
        services.response_save(
            response_id=response.pk,
            user=second,
            inputs={"value": "2"},
            note="",
            expected_version=loaded_version,
        )

    stale = excinfo.value
    assert (stale.inputs, stale.self_score, stale.note, stale.updated_by, stale.version) == (
        {"value": "4"},
        Decimal("20.00"),
        "Theo biên bản",
        first,
        1,
    )
    assert stale.code == "stale"
    assert str(first) in stale.messages[0]
    # Nothing was overwritten.
    assert response_of(world, "1.2").inputs == {"value": "4"}

    # The second officer has seen the other value and decides to keep their own.
    services.response_save(
        response_id=response.pk,
        user=second,
        inputs={"value": "2"},
        note="Đã đối chiếu",
        expected_version=stale.version,
    )
    stored = response_of(world, "1.2")
    assert (stored.inputs, stored.self_score, stored.version, stored.updated_by) == (
        {"value": "2"},
        Decimal("10.00"),
        2,
        second,
    )
    history = list(stored.history.order_by("history_date"))
    assert [(h.inputs, h.self_score, h.history_user) for h in history] == [
        ({"value": "4"}, Decimal("20.00"), first),
        ({"value": "2"}, Decimal("10.00"), second),
    ]


def test_the_history_lists_every_change_with_before_and_after(world):
    save(world, "2.1", {"value": "5"})
    save(world, "2.1", {"value": "7"}, note="Bổ sung", version=1)
    entries = selectors.response_history(response=response_of(world, "2.1"))
    changes = [(e.what, e.before, e.after, e.by) for e in entries]
    officer = world.people.officer
    assert changes == [
        ("inputs", {}, {"value": "5"}, officer),
        ("self_score", None, Decimal("5.00"), officer),
        ("inputs", {"value": "5"}, {"value": "7"}, officer),
        ("self_score", Decimal("5.00"), Decimal("7.00"), officer),
        ("note", "", "Bổ sung", officer),
    ]


@pytest.mark.parametrize(
    "role", ["leader", "other_officer", "department_officer", "organizer", "administrator"]
)
def test_only_the_units_officers_edit(world, role):
    with pytest.raises(PermissionDenied):
        save(world, "2.1", {"value": "5"}, user=getattr(world.people, role))
    assert response_of(world, "2.1").version == 0


@pytest.mark.parametrize(
    ("shape", "allowed"), [("open", True), ("grace", True), ("closed", False), ("not_yet", False)]
)
def test_editing_follows_the_self_assessment_window(world, shape, allowed):
    set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, shape)
    if allowed:
        save(world, "2.1", {"value": "5"})
        assert response_of(world, "2.1").version == 1
    else:
        with pytest.raises(ValidationError):
            save(world, "2.1", {"value": "5"})
        assert response_of(world, "2.1").version == 0


def test_a_submitted_self_assessment_cannot_be_edited(world):
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    with pytest.raises(ValidationError) as excinfo:
        save(world, "2.1", {"value": "5"})
    assert excinfo.value.messages == [
        "The self-assessment can be changed only while it is open; it is now “Self-assessed”."
    ]


def test_an_indicator_of_another_set_is_refused(world):
    with pytest.raises(ValidationError):
        services.response_save(
            assessment=world.assessment,
            indicator=IndicatorFactory(),
            user=world.people.officer,
            inputs={"value": True},
            expected_version=0,
        )


# --- general information shared by ratio indicators --------------------------------


@pytest.fixture
def ratio_world(world):
    indicator_set = IndicatorSetFactory(name="Bộ có tỉ lệ")
    pillar = PillarFactory(indicator_set=indicator_set, code="1")
    IndicatorFactory(
        pillar=pillar,
        code="1.1",
        method="ratio",
        max_points=Decimal("10"),
        rule={
            "a": {"label": "Người dân có tài khoản định danh"},
            "b": {"label": "Dân số", "field": "dan_so"},
            "if_b_zero": "zero",
        },
    )
    GeneralInfoField.objects.create(indicator_set=indicator_set, code="dan_so", name="Dân số")
    GeneralInfoField.objects.create(
        indicator_set=indicator_set, code="ghi_chu", name="Ghi chú", kind="text"
    )
    indicator_set_activate(indicator_set=indicator_set)
    campaign = open_campaign(organizer=world.people.organizer, indicator_set=indicator_set)
    world.assessment = campaign.assessments.get(unit=world.a)
    world.campaign = campaign
    return world


def test_a_ratio_needs_the_general_information_first(ratio_world):
    world = ratio_world
    with pytest.raises(ValidationError) as excinfo:
        save(world, "1.1", {"a": "300"})
    assert excinfo.value.messages == ["General information “dan_so” has not been entered yet."]

    services.assessment_set_general_info(
        assessment=world.assessment, user=world.people.officer, values={"dan_so": "1000"}
    )
    save(world, "1.1", {"a": "300"})
    assert response_of(world, "1.1").self_score == Decimal("3.00")


def test_changing_the_general_information_rescores_and_keeps_the_history(ratio_world):
    world = ratio_world
    officer = world.people.officer
    services.assessment_set_general_info(
        assessment=world.assessment, user=officer, values={"dan_so": "1000", "ghi_chu": " Xã "}
    )
    save(world, "1.1", {"a": "300"})

    services.assessment_set_general_info(
        assessment=world.assessment, user=officer, values={"dan_so": "600"}
    )
    stored = response_of(world, "1.1")
    assert (stored.self_score, stored.version) == (Decimal("5.00"), 2)
    assert fresh(world.assessment).general_info == {"dan_so": "600", "ghi_chu": "Xã"}

    services.assessment_set_general_info(
        assessment=world.assessment, user=officer, values={"dan_so": ""}
    )
    stored = response_of(world, "1.1")
    assert (stored.self_score, stored.version) == (None, 3)
    assert [h.self_score for h in stored.history.order_by("history_date")] == [
        Decimal("3.00"),
        Decimal("5.00"),
        None,
    ]
    assert fresh(world.assessment).general_info == {"ghi_chu": "Xã"}


def test_general_information_is_checked(ratio_world):
    world = ratio_world
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_set_general_info(
            assessment=world.assessment,
            user=world.people.officer,
            values={"dan_so": "-5", "ho_gia_dinh": "10"},
        )
    assert excinfo.value.messages == [
        "Dân số cannot be negative.",
        "Unknown general information “ho_gia_dinh”.",
    ]
    with pytest.raises(PermissionDenied):
        services.assessment_set_general_info(
            assessment=world.assessment, user=world.people.leader, values={"dan_so": "5"}
        )
    assert fresh(world.assessment).general_info == {}
