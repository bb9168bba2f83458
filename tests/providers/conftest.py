"""A district of three communes on the demo's QĐ 922 commune set, and two data providers.

Viettel provides indicator 3.2 (households with fibre Internet: a ratio whose
whole is the general-information figure "households") for communes A and B
only; the statistics office provides that households figure for every commune.
"""

from types import SimpleNamespace

import pytest
from django.utils import translation

from assessments.models import Assessment
from indicators.fixtures_loader import FIXTURES_DIR, load_indicator_set, read_fixture
from indicators.models import GeneralInfoField, Indicator
from indicators.services import indicator_set_activate
from providers import services
from tests.factories import AgencyFactory, UserFactory, open_campaign, unit_tree

COMMUNE_SET = FIXTURES_DIR / "commune-922-illustrative-2024.json"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted as their English msgids."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    tree = unit_tree(communes=3)
    a, b, c = tree["communes"]
    district = tree["district"]
    indicator_set = indicator_set_activate(
        indicator_set=load_indicator_set(read_fixture(COMMUNE_SET))
    )
    viettel = AgencyFactory(name="Viettel Huyện Thử", kind="telecom", unit=district)
    statistics = AgencyFactory(name="Chi cục Thống kê Huyện Thử", kind="statistics", unit=district)
    people = SimpleNamespace(
        organizer=UserFactory(unit=district, roles=["organizer"]),
        viettel=UserFactory(agency=viettel, roles=["data_provider"]),
        statistics=UserFactory(agency=statistics, roles=["data_provider"]),
        officer_a=UserFactory(unit=a, roles=["unit_officer"]),
        officer_c=UserFactory(unit=c, roles=["unit_officer"]),
        viettel_without_role=UserFactory(agency=viettel),
    )
    campaign = open_campaign(organizer=people.organizer, indicator_set=indicator_set)
    fibre = Indicator.objects.get(pillar__indicator_set=indicator_set, code="3.2")
    households = GeneralInfoField.objects.get(
        indicator_set=indicator_set, code="tong_so_ho_gia_dinh"
    )
    fibre_assignment = services.provider_assignment_create(
        user=people.organizer, campaign=campaign, agency=viettel, indicator=fibre, units=[a, b]
    )
    households_assignment = services.provider_assignment_create(
        user=people.organizer, campaign=campaign, agency=statistics, info_field=households
    )
    assessments = {
        unit.name: Assessment.objects.get(campaign=campaign, unit=unit) for unit in (a, b, c)
    }
    return SimpleNamespace(
        **tree,
        a=a,
        b=b,
        c=c,
        viettel=viettel,
        statistics=statistics,
        people=people,
        campaign=campaign,
        indicator_set=indicator_set,
        fibre=fibre,
        households=households,
        fibre_assignment=fibre_assignment,
        households_assignment=households_assignment,
        assessments=assessments,
    )
