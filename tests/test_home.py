"""The signed-in home page: a card per role with real links and live figures."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from assessments.models import AssessmentState, Response
from tests.assessments.helpers import complete
from tests.factories import (
    AdministrativeUnitFactory,
    AgencyFactory,
    UserFactory,
    assessment_set,
    force_state,
    open_campaign,
    unit_tree,
)

HOME_URL = reverse("home")


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def district(db):
    tree = unit_tree(communes=3)
    a, b, c = tree["communes"]
    organizer = UserFactory(unit=tree["district"], roles=["organizer"])
    campaign = open_campaign(organizer=organizer, name="Đánh giá DTI các xã 2024")
    by_unit = {x.unit_id: x for x in campaign.assessments.all()}
    complete(by_unit[a.pk], organizer)
    force_state(by_unit[a.pk], AssessmentState.CONFIRMED)
    force_state(by_unit[b.pk], AssessmentState.SELF_ASSESSED)
    return tree | {"a": a, "b": b, "c": c, "organizer": organizer, "campaign": campaign}


def page_of(client):
    response = client.get(HOME_URL)
    assert response.status_code == 200
    return response.content.decode()


def test_an_organizer_sees_their_campaigns_with_counts_and_can_open_one(en, district):
    en.force_login(district["organizer"])
    page = page_of(en)
    card = page.split('data-testid="organizer-card"')[1].split("</section>")[0]
    detail = reverse("assessments:campaign_detail", kwargs={"pk": district["campaign"].pk})
    assert f'href="{detail}">Đánh giá DTI các xã 2024</a>' in card
    assert (
        "3 units: 1 still self-assessing, 1 waiting for their leader, 1 confirmed or further"
        in card
    )
    assert f'href="{reverse("assessments:campaign_create")}"' in card
    assert "New assessment campaign" in card
    assert f'href="{reverse("assessments:campaign_list")}"' in card


def test_a_unit_officer_sees_the_units_assessment_and_self_assesses(en, district):
    officer = UserFactory(unit=district["c"], roles=["unit_officer"])
    assessment = district["campaign"].assessments.get(unit=district["c"])
    Response.objects.filter(assessment=assessment, indicator__code="1.2").update(
        inputs={"value": "4"}, self_score=20, version=1
    )
    en.force_login(officer)
    page = page_of(en)
    cards = re.findall(r'data-testid="unit-assessment".*?</a>\s*</div>', page, re.S)
    assert len(cards) == 1
    card = cards[0]
    assert "Đánh giá DTI các xã 2024" in card
    assert ">Open for self-assessment<" in card
    assert "1 of 4 indicators answered" in card
    assert "Missing required evidence: 1" in card
    url = reverse("assessments:assessment_detail", kwargs={"pk": assessment.pk})
    assert f'href="{url}" data-testid="self-assess">Self-assess</a>' in card
    assert 'data-testid="review"' not in card


def test_a_unit_leader_is_sent_to_review_and_confirm(en, district):
    leader = UserFactory(unit=district["b"], roles=["unit_leader"])
    assessment = district["campaign"].assessments.get(unit=district["b"])
    en.force_login(leader)
    page = page_of(en)
    assert page.count('data-testid="unit-assessment"') == 1
    assert ">Self-assessed<" in page
    url = reverse("assessments:assessment_review", kwargs={"pk": assessment.pk})
    assert f'href="{url}" data-testid="review">Review and confirm</a>' in page
    assert 'data-testid="self-assess"' not in page


def test_the_home_page_says_tu_danh_gia_in_vietnamese(client, district):
    client.force_login(UserFactory(unit=district["c"], roles=["unit_officer"]))
    page = page_of(client)
    assert "Đang tự đánh giá" in page  # the state, from the catalogue


def test_a_department_officer_sees_the_districts_assessment(en, db):
    province = AdministrativeUnitFactory(name="Tỉnh Bình Định", kind="tinh")
    d1 = AdministrativeUnitFactory(name="Huyện Tuy Phước", kind="huyen", parent=province)
    science = AgencyFactory(name="Sở Khoa học và Công nghệ", unit=province)
    organizer = UserFactory(agency=science, roles=["organizer"])
    campaign = open_campaign(organizer=organizer, indicator_set=assessment_set(tier="district"))
    officer = UserFactory(
        agency=AgencyFactory(name="Phòng Nội vụ", unit=d1), roles=["unit_officer"]
    )
    en.force_login(officer)
    page = page_of(en)
    assert "Assessments of Huyện Tuy Phước" in page
    url = reverse(
        "assessments:assessment_detail", kwargs={"pk": campaign.assessments.get(unit=d1).pk}
    )
    assert f'href="{url}" data-testid="self-assess"' in page
    # The organizer of the province, through the Sở, sees the campaign on the home page.
    en.force_login(organizer)
    assert reverse("assessments:campaign_detail", kwargs={"pk": campaign.pk}) in page_of(en)


def test_published_assessments_and_other_units_are_not_listed(en, district):
    officer = UserFactory(unit=district["a"], roles=["unit_officer", "unit_leader"])
    force_state(district["campaign"].assessments.get(unit=district["a"]), AssessmentState.PUBLISHED)
    en.force_login(officer)
    page = page_of(en)
    assert 'data-testid="unit-assessment"' not in page
    assert "Your unit has no assessment in an open campaign." in page


def test_people_without_a_campaign_role_see_no_campaign_cards(en, district):
    en.force_login(UserFactory(roles=["council_member"]))
    page = page_of(en)
    assert 'data-testid="organizer-card"' not in page
    assert 'data-testid="unit-assessments"' not in page


def test_an_administrator_is_linked_to_every_campaign(en, district):
    en.force_login(UserFactory(roles=["administrator"]))
    assert f'href="{reverse("assessments:campaign_list")}"' in page_of(en)


def more_campaigns(district, count):
    """``count`` more campaigns of the same district, each on its own set."""
    for i in range(count):
        open_campaign(organizer=district["organizer"], name=f"Đợt thêm {i}")


@pytest.mark.parametrize("extra", [0, 4])
def test_the_organizers_home_reads_a_constant_number_of_queries(
    client, district, extra, django_assert_num_queries
):
    more_campaigns(district, extra)
    client.force_login(district["organizer"])
    # session, user, profile, roles, campaigns with their counts
    with django_assert_num_queries(5):
        page = page_of(client)
    assert page.count(reverse("assessments:campaign_list") + '"') >= 1
    assert len(re.findall(r'data-testid="campaign-counts"', page)) == 1 + extra


@pytest.mark.parametrize("extra", [0, 4])
def test_the_unit_home_reads_a_constant_number_of_queries(
    client, district, extra, django_assert_num_queries
):
    more_campaigns(district, extra)
    person = UserFactory(unit=district["a"], roles=["unit_officer", "unit_leader"])
    client.force_login(person)
    # session, user, profile, roles, the unit's assessments with their progress
    with django_assert_num_queries(5):
        page = page_of(client)
    assert page.count('data-testid="unit-assessment"') == 1 + extra
