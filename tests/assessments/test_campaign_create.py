"""Opening a campaign: the set freezes, units with or without districts, the calendar; progress."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import permissions, selectors, services
from assessments.models import (
    Assessment,
    AssessmentState,
    Campaign,
    Evidence,
    Phase,
    PhaseKind,
    Response,
)
from indicators.models import IndicatorSet, IndicatorSetFrozen, SetStatus
from tests.assessments.helpers import complete
from tests.factories import (
    AdministrativeUnitFactory,
    AgencyFactory,
    UserFactory,
    assessment_set,
    calendar,
    force_state,
    open_campaign,
    small_set,
    unit_tree,
)


def test_opening_a_campaign_freezes_the_set_and_creates_every_response(world):
    campaign = world.campaign
    indicator_set = IndicatorSet.objects.get(pk=campaign.indicator_set_id)
    assert indicator_set.status == SetStatus.FROZEN
    assert campaign.organizing_unit == world.district
    assert campaign.created_by == world.people.organizer
    assert set(campaign.assessments.values_list("unit__name", "state")) == {
        ("Xã A", "open"),
        ("Xã B", "open"),
    }
    assert Response.objects.filter(assessment__campaign=campaign).count() == 2 * 4
    assert list(campaign.phases.order_by("closes_at").values_list("kind", flat=True)) == [
        "self_assessment",
        "round_1",
        "explanation",
        "round_2",
        "publication",
    ]
    with pytest.raises(IndicatorSetFrozen):
        indicator_set.pillars.first().indicators.update(max_points=1)


def test_after_2025_the_province_assesses_its_communes_directly(db):
    tree = unit_tree(districts=False, communes=3)
    organizer = UserFactory(
        agency=AgencyFactory(name="Sở KH&CN", unit=tree["province"]), roles=["organizer"]
    )
    campaign = open_campaign(organizer=organizer)
    assert campaign.organizing_unit == tree["province"]
    assert campaign.assessments.count() == 3


def test_a_province_reaches_communes_under_its_districts_too(db):
    tree = unit_tree(districts=True, communes=2)
    AdministrativeUnitFactory(name="Phường mới", kind="phuong", parent=tree["province"])
    AdministrativeUnitFactory(
        name="Xã đã sáp nhập", kind="xa", parent=tree["district"], is_active=False
    )
    organizer = UserFactory(unit=tree["province"], roles=["organizer"])
    campaign = open_campaign(organizer=organizer)
    assert set(campaign.assessments.values_list("unit__name", flat=True)) == {
        "Xã A",
        "Xã B",
        "Phường mới",
    }


def test_the_organizer_chooses_the_assessed_units(world):
    campaign = open_campaign(
        organizer=world.people.organizer, units=[world.a], name="Thí điểm", indicator_set=None
    )
    assert list(campaign.assessments.values_list("unit", flat=True)) == [world.a.pk]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": " "}, "The campaign needs a name."),
        ({"year": 2025}, "The indicator set is for 2024, not 2025."),
        ({"draft": True}, "The indicator set is still a draft; activate it first."),
    ],
)
def test_a_campaign_is_checked(world, change, message):
    indicator_set = small_set() if change.get("draft") else assessment_set()
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            organizer=world.people.organizer,
            name=change.get("name", "Đánh giá"),
            year=change.get("year", 2024),
            indicator_set=indicator_set,
            phases=calendar(),
        )
    assert excinfo.value.messages == [message]
    assert Campaign.objects.count() == 1  # the world's own
    assert IndicatorSet.objects.get(pk=indicator_set.pk).status != SetStatus.FROZEN


def test_units_outside_the_organizer_are_refused(world):
    elsewhere = AdministrativeUnitFactory(name="Xã ngoài huyện", kind="xa")
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(organizer=world.people.organizer, units=[world.a, elsewhere, world.district])
    assert excinfo.value.messages == [
        "These units are not active units under Huyện Thử at the level of the set (Commune): "
        "Huyện Thử, Xã ngoài huyện."
    ]


def test_a_set_is_used_once_by_an_organizer(world):
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(organizer=world.people.organizer, indicator_set=world.campaign.indicator_set)
    assert excinfo.value.messages == ["Your unit already has a campaign with this indicator set."]


@pytest.mark.parametrize("role", ["officer", "leader", "administrator", "council_member"])
def test_only_an_organizer_opens_a_campaign(world, role):
    with pytest.raises(PermissionDenied):
        open_campaign(organizer=getattr(world.people, role))


def test_the_calendar_is_checked(world):
    now = timezone.now()
    day = timedelta(days=1)
    bad = {
        PhaseKind.SELF_ASSESSMENT: {"opens_at": now, "closes_at": now - day},
        PhaseKind.ROUND_1: {"opens_at": now + 3 * day, "closes_at": now + 5 * day},
        PhaseKind.EXPLANATION: {"opens_at": now + day, "closes_at": now + 2 * day},
        PhaseKind.PUBLICATION: {"opens_at": now, "closes_at": now + 9 * day},
        PhaseKind.ROUND_2: {
            "opens_at": now + 6 * day,
            "closes_at": now + 7 * day,
            "grace_minutes": -5,
        },
    }
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(organizer=world.people.organizer, phases=bad)
    assert excinfo.value.messages == [
        "Self-assessment: A phase must open before it closes.",
        "Appraisal, round 2: The grace period cannot be negative.",
        "Publication: Publication has only a target date and time, no window.",
        "“Explanation” cannot come before “Appraisal, round 1”.",
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            organizer=world.people.organizer,
            name="Đánh giá",
            year=2024,
            indicator_set=assessment_set(),
            phases={},
        )
    assert excinfo.value.messages == ["The calendar needs a self-assessment window."]
    with pytest.raises(ValueError):
        open_campaign(
            organizer=world.people.organizer,
            phases={"self_assessment": {"opens_at": now.replace(tzinfo=None), "closes_at": now}},
        )


def test_the_organizer_changes_the_calendar(world):
    phases = calendar(self_assessment_closes_in=timedelta(days=20))
    services.campaign_set_phases(
        campaign=world.campaign, user=world.people.organizer, phases=phases
    )
    assert (
        Phase.objects.get(campaign=world.campaign, kind="self_assessment").closes_at
        == (phases["self_assessment"]["closes_at"])
    )
    with pytest.raises(PermissionDenied):
        services.campaign_set_phases(
            campaign=world.campaign, user=world.people.other_organizer, phases=phases
        )


def test_units_are_added_and_untouched_ones_removed(world):
    c = AdministrativeUnitFactory(name="Xã C", kind="xa", parent=world.district)
    services.campaign_set_units(
        campaign=world.campaign, user=world.people.organizer, units=[world.a, c]
    )
    assert set(world.campaign.assessments.values_list("unit__name", flat=True)) == {"Xã A", "Xã C"}
    assert Response.objects.filter(assessment__unit=c).count() == 4


def test_a_unit_with_data_stays(world):
    Response.objects.filter(assessment=world.other_assessment).update(version=1)
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_set_units(
            campaign=world.campaign, user=world.people.organizer, units=[world.a]
        )
    assert excinfo.value.messages == [
        "These units have already entered data and cannot be removed: Xã B."
    ]
    assert world.campaign.assessments.count() == 2


# --- progress --------------------------------------------------------------------------


def test_progress_counts_states_answers_missing_evidence_and_lateness(world):
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, AssessmentState.CONFIRMED)
    Response.objects.filter(assessment=world.other_assessment, indicator__code="1.1").update(
        self_score=10
    )
    later = timezone.now() + timedelta(days=11)  # the self-assessment closed yesterday

    progress = selectors.campaign_progress(campaign=world.campaign, now=later)

    assert progress.by_state == {
        "open": 1,
        "self_assessed": 0,
        "confirmed": 1,
        "appraised_1": 0,
        "explanation": 0,
        "appraised_2": 0,
        "published": 0,
    }
    rows = [
        (u.unit_name, u.state, u.answered, u.total, u.missing_evidence, u.late)
        for u in progress.units
    ]
    assert rows == [
        ("Xã A", "confirmed", 4, 4, 0, False),
        ("Xã B", "open", 1, 4, 1, True),
    ]
    assert [u.unit_name for u in progress.late_units] == ["Xã B"]
    assert not any(u.late for u in selectors.campaign_progress(campaign=world.campaign).units)

    # An extension for Xã B moves its own deadline: not late until it passes.
    type(world.other_assessment).objects.filter(pk=world.other_assessment.pk).update(
        extended_until=later + timedelta(days=2)
    )
    assert selectors.campaign_progress(campaign=world.campaign, now=later).late_units == []
    beyond = later + timedelta(days=3)
    late = selectors.campaign_progress(campaign=world.campaign, now=beyond).late_units
    assert [u.unit_name for u in late] == ["Xã B"]


def test_progress_takes_the_same_number_of_queries_for_2_and_20_units(db):
    def queries_for(communes):
        tree = unit_tree(communes=communes)
        organizer = UserFactory(unit=tree["district"], roles=["organizer"])
        campaign = open_campaign(organizer=organizer)
        officer = UserFactory(unit=tree["communes"][0], roles=["unit_officer"])
        for assessment in Assessment.objects.filter(campaign=campaign):
            complete(assessment, officer)
        with CaptureQueriesContext(connection) as captured:
            progress = selectors.campaign_progress(campaign=campaign)
        assert len(progress.units) == communes
        assert Evidence.objects.filter(response__assessment__campaign=campaign).count() == communes
        return len(captured)

    assert queries_for(2) == queries_for(20) == 4  # deadline, indicators, counts, units


def test_who_sees_the_campaign_page(world):
    people = world.people
    assert permissions.can_view_campaign(people.organizer, world.campaign)
    assert permissions.can_view_campaign(people.administrator, world.campaign)
    assert not permissions.can_view_campaign(people.other_organizer, world.campaign)
    assert not permissions.can_view_campaign(people.officer, world.campaign)
