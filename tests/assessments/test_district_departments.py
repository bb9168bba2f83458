"""District self-assessment: departments fill in the indicators assigned to them."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import permissions, selectors, services
from assessments.models import AssessmentState, DepartmentAssignment, Response
from indicators.models import Indicator
from tests.assessments.helpers import complete, fresh
from tests.factories import (
    AdministrativeUnitFactory,
    AgencyFactory,
    IndicatorFactory,
    UserFactory,
    assessment_set,
    open_campaign,
)


@pytest.fixture
def district(db):
    province = AdministrativeUnitFactory(name="Tỉnh Bình Định", kind="tinh")
    d1 = AdministrativeUnitFactory(name="Huyện Tuy Phước", kind="huyen", parent=province)
    d2 = AdministrativeUnitFactory(name="Thị xã An Nhơn", kind="thi_xa", parent=province)
    science = AgencyFactory(name="Sở Khoa học và Công nghệ", unit=province)
    home_affairs = AgencyFactory(name="Phòng Nội vụ", unit=d1)
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=d1)
    other_home_affairs = AgencyFactory(name="Phòng Nội vụ", unit=d2)
    organizer = UserFactory(agency=science, roles=["organizer"])
    campaign = open_campaign(organizer=organizer, indicator_set=assessment_set(tier="district"))
    codes = {
        i.code: i for i in Indicator.objects.filter(pillar__indicator_set=campaign.indicator_set)
    }
    return SimpleNamespace(
        province=province,
        d1=d1,
        d2=d2,
        home_affairs=home_affairs,
        culture=culture,
        other_home_affairs=other_home_affairs,
        organizer=organizer,
        campaign=campaign,
        assessment=campaign.assessments.get(unit=d1),
        indicators=codes,
        officer=UserFactory(unit=d1, roles=["unit_officer"]),
        leader=UserFactory(unit=d1, roles=["unit_leader"]),
        home_affairs_officer=UserFactory(agency=home_affairs, roles=["unit_officer"]),
        culture_officer=UserFactory(agency=culture, roles=["unit_officer"]),
        other_officer=UserFactory(agency=other_home_affairs, roles=["unit_officer"]),
    )


def assign(d, agency, *codes):
    return services.department_assign(
        campaign=d.campaign,
        user=d.organizer,
        agency=agency,
        indicators=[d.indicators[c] for c in codes],
    )


def save(d, user, code, inputs):
    response = Response.objects.get(assessment=d.assessment, indicator__code=code)
    return services.response_save(
        response_id=response.pk, user=user, inputs=inputs, expected_version=response.version
    )


def test_the_province_organizer_acting_for_an_agency_organizes_the_districts(district):
    assert district.campaign.organizing_unit == district.province
    units = set(district.campaign.assessments.values_list("unit__name", flat=True))
    assert units == {"Huyện Tuy Phước", "Thị xã An Nhơn"}


def test_a_department_officer_edits_only_the_assigned_indicators(district):
    d = district
    assign(d, d.home_affairs, "1.1", "2.1")
    assign(d, d.other_home_affairs, "1.2")

    save(d, d.home_affairs_officer, "1.1", {"value": True})
    save(d, d.home_affairs_officer, "2.1", {"value": "7"})
    for user, code in [
        (d.home_affairs_officer, "1.2"),
        (d.culture_officer, "1.1"),
        (d.other_officer, "1.2"),  # assigned 1.2, but in the other district
    ]:
        with pytest.raises(PermissionDenied):
            save(d, user, code, {"value": "4"})
    assert Response.objects.filter(assessment=d.assessment, version__gt=0).count() == 2


def test_the_districts_own_officer_edits_everything(district):
    d = district
    assign(d, d.home_affairs, "1.1")
    save(d, d.officer, "1.2", {"value": "4"})
    save(d, d.officer, "1.1", {"value": False})
    assert Response.objects.filter(assessment=d.assessment, version__gt=0).count() == 2


def test_the_editable_indicators_of_a_page(district):
    d = district
    assign(d, d.home_affairs, "1.1", "2.1")
    ids = selectors.editable_indicator_ids
    assert ids(user=d.officer, assessment=d.assessment) is None
    assert ids(user=d.home_affairs_officer, assessment=d.assessment) == {
        d.indicators["1.1"].pk,
        d.indicators["2.1"].pk,
    }
    assert ids(user=d.culture_officer, assessment=d.assessment) == frozenset()
    assert ids(user=d.leader, assessment=d.assessment) == frozenset()


def test_evidence_follows_the_assignment(district):
    d = district
    assign(d, d.home_affairs, "1.1")
    on = Response.objects.get(assessment=d.assessment, indicator__code="1.1")
    off = Response.objects.get(assessment=d.assessment, indicator__code="1.2")
    services.evidence_add_link(response=on, user=d.home_affairs_officer, url="https://noivu.vn")
    with pytest.raises(PermissionDenied):
        services.evidence_add_link(response=off, user=d.home_affairs_officer, url="https://x.vn")


def test_a_department_does_not_submit_the_district_leader_confirms_the_whole(district):
    d = district
    complete(d.assessment, d.officer)
    with pytest.raises(PermissionDenied):
        services.assessment_submit(assessment=d.assessment, user=d.home_affairs_officer)
    services.assessment_submit(assessment=d.assessment, user=d.officer)
    with pytest.raises(PermissionDenied):
        services.assessment_confirm(assessment=d.assessment, user=d.home_affairs_officer)
    services.assessment_confirm(assessment=d.assessment, user=d.leader)
    assert fresh(d.assessment).state == AssessmentState.CONFIRMED


def test_a_new_assignment_replaces_the_old_one(district):
    d = district
    assign(d, d.home_affairs, "1.1", "2.1")
    assign(d, d.home_affairs, "1.2")
    assert list(
        DepartmentAssignment.objects.filter(agency=d.home_affairs).values_list(
            "indicator__code", flat=True
        )
    ) == ["1.2"]


def test_assignments_are_checked(district, world):
    d = district
    with pytest.raises(ValidationError) as excinfo:
        services.department_assign(
            campaign=d.campaign,
            user=d.organizer,
            agency=AgencyFactory(name="Công an tỉnh", unit=d.province),
            indicators=[IndicatorFactory(code="9.9")],
        )
    assert excinfo.value.messages == [
        "Công an tỉnh is not a department of a district assessed in this campaign.",
        "Not indicators of this campaign's set: 9.9.",
    ]
    with pytest.raises(PermissionDenied):
        services.department_assign(
            campaign=d.campaign, user=d.leader, agency=d.home_affairs, indicators=[]
        )
    # A commune campaign has no departments to assign.
    with pytest.raises(ValidationError) as excinfo:
        services.department_assign(
            campaign=world.campaign,
            user=world.people.organizer,
            agency=world.department,
            indicators=[],
        )
    assert "Indicators are assigned to departments only in district campaigns." in (
        excinfo.value.messages
    )
    assert DepartmentAssignment.objects.count() == 0


def test_a_department_officer_sees_the_district_assessment_but_not_another(district):
    d = district
    other = d.campaign.assessments.get(unit=d.d2)
    assert permissions.can_view_assessment(d.home_affairs_officer, d.assessment)
    assert not permissions.can_view_assessment(d.home_affairs_officer, other)
