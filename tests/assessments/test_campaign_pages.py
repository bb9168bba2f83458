"""The organizer's pages: create a campaign, follow its progress, calendar, units,
department assignment, reopening, and who may see what."""

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessments import permissions
from assessments.forms_campaigns import default_calendar
from assessments.models import (
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    DepartmentAssignment,
    Phase,
    PhaseKind,
    Response,
)
from indicators.models import Indicator, IndicatorSet, SetStatus
from tests.assessments.helpers import complete, fresh
from tests.factories import (
    AdministrativeUnitFactory,
    AgencyFactory,
    UserFactory,
    assessment_set,
    force_state,
    open_campaign,
    set_window,
)

CREATE_URL = reverse("assessments:campaign_create")
LIST_URL = reverse("assessments:campaign_list")


def detail_url(campaign):
    return reverse("assessments:campaign_detail", kwargs={"pk": campaign.pk})


def page_of(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def en(client):
    """The client asks for English: new messages are checked as their msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def fresh_set(db):
    """An active commune set for 2024 that no campaign uses yet."""
    return assessment_set()


def calendar_post(**overrides):
    data = {
        "self_assessment_opens": "21/10/2024 08:00",
        "self_assessment_closes": "31/10/2024 17:00",
        "self_assessment_grace": "30",
        "round_1_opens": "31/10/2024 17:00",
        "round_1_closes": "10/11/2024 17:00",
        "round_1_grace": "0",
        "explanation_opens": "10/11/2024 17:00",
        "explanation_closes": "15/11/2024 17:00",
        "explanation_grace": "0",
        "round_2_opens": "15/11/2024 17:00",
        "round_2_closes": "25/11/2024 17:00",
        "round_2_grace": "0",
        "publication_closes": "29/11/2024 17:00",
    }
    data.update(overrides)
    return data


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- create ---------------------------------------------------------------------------


def test_create_form_preselects_the_units_and_a_default_calendar(en, world, fresh_set):
    AdministrativeUnitFactory(name="Xã Cũ", kind="xa", parent=world.district, is_active=False)
    en.force_login(world.people.organizer)
    page = page_of(en, CREATE_URL)
    # Only the active set nobody uses is offered (the world's set is frozen).
    assert f'<option value="{fresh_set.pk}" selected data-tier="commune">' in page
    assert f'value="{world.campaign.indicator_set_id}"' not in page
    assert "will be frozen when the campaign opens" in page
    # The district's active communes, every one ticked; the inactive one is not offered.
    boxes = re.findall(r'<input type="checkbox" name="units_commune" value="(\d+)"[^>]*>', page)
    checked = re.findall(r'name="units_commune" value="(\d+)"[^>]*checked', page)
    assert sorted(map(int, boxes)) == sorted([world.a.pk, world.b.pk])
    assert sorted(map(int, checked)) == sorted([world.a.pk, world.b.pk])
    assert "Xã Cũ" not in page
    # The default calendar, in local time dd/mm/yyyy HH:MM.
    default = default_calendar()
    for kind in ("self_assessment", "round_1", "explanation", "round_2"):
        opens = timezone.localtime(default[kind]["opens_at"]).strftime("%d/%m/%Y %H:%M")
        closes = timezone.localtime(default[kind]["closes_at"]).strftime("%d/%m/%Y %H:%M")
        assert f'name="{kind}_opens" value="{opens}"' in page
        assert f'name="{kind}_closes" value="{closes}"' in page
    target = timezone.localtime(default["publication"]["closes_at"]).strftime("%d/%m/%Y %H:%M")
    assert f'name="publication_closes" value="{target}"' in page


def test_the_default_calendar_follows_the_plan_of_seed_000():
    from datetime import date

    calendar = default_calendar(date(2024, 10, 20))

    def local(moment):
        return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")

    assert [
        (kind, local(calendar[kind]["opens_at"]), local(calendar[kind]["closes_at"]))
        for kind in ("self_assessment", "round_1", "explanation", "round_2")
    ] == [
        ("self_assessment", "21/10/2024 08:00", "31/10/2024 17:00"),
        ("round_1", "31/10/2024 17:00", "10/11/2024 17:00"),
        ("explanation", "10/11/2024 17:00", "15/11/2024 17:00"),
        ("round_2", "15/11/2024 17:00", "25/11/2024 17:00"),
    ]
    assert local(calendar["publication"]["closes_at"]) == "29/11/2024 17:00"
    # Late in the year the publication follows round 2 instead.
    late = default_calendar(date(2024, 11, 20))
    assert local(late["publication"]["closes_at"]) == "31/12/2024 17:00"


def test_creating_a_campaign_through_the_form(en, world, fresh_set):
    en.force_login(world.people.organizer)
    data = {
        "name": "Đánh giá DTI các xã năm 2024",
        "year": "2024",
        "indicator_set": str(fresh_set.pk),
        "units_commune": [str(world.a.pk)],
        **calendar_post(),
    }
    response = en.post(CREATE_URL, data)
    campaign = Campaign.objects.get(indicator_set=fresh_set)
    assert response.status_code == 302
    assert response.url == detail_url(campaign)
    assert campaign.name == "Đánh giá DTI các xã năm 2024"
    assert campaign.organizing_unit == world.district
    assert campaign.created_by == world.people.organizer
    assert list(campaign.assessments.values_list("unit__name", flat=True)) == ["Xã A"]
    assert Response.objects.filter(assessment__campaign=campaign).count() == 4
    assert IndicatorSet.objects.get(pk=fresh_set.pk).status == SetStatus.FROZEN
    # Typed in Vietnam time (UTC+7), stored as the same moments.
    phases = {p.kind: p for p in campaign.phases.all()}
    assert phases["self_assessment"].opens_at == utc(2024, 10, 21, 1, 0)
    assert phases["self_assessment"].closes_at == utc(2024, 10, 31, 10, 0)
    assert phases["self_assessment"].grace_minutes == 30
    assert phases["round_2"].closes_at == utc(2024, 11, 25, 10, 0)
    assert phases["publication"].opens_at is None
    assert phases["publication"].closes_at == utc(2024, 11, 29, 10, 0)
    page = page_of(en, response.url)
    assert "its indicator set is now frozen" in page


def test_a_calendar_that_closes_before_it_opens_saves_nothing(en, world, fresh_set):
    en.force_login(world.people.organizer)
    campaigns = Campaign.objects.count()
    data = {
        "name": "Đánh giá DTI lỗi lịch",
        "year": "2024",
        "indicator_set": str(fresh_set.pk),
        "units_commune": [str(world.a.pk), str(world.b.pk)],
        **calendar_post(self_assessment_closes="20/10/2024 17:00"),
    }
    response = en.post(CREATE_URL, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Self-assessment: A phase must open before it closes." in page
    assert Campaign.objects.count() == campaigns
    assert Phase.objects.filter(campaign__indicator_set=fresh_set).count() == 0
    assert IndicatorSet.objects.get(pk=fresh_set.pk).status == SetStatus.ACTIVE
    # Nothing typed is lost.
    assert 'value="Đánh giá DTI lỗi lịch"' in page
    assert 'name="self_assessment_closes" value="20/10/2024 17:00"' in page
    assert 'name="round_2_closes" value="25/11/2024 17:00"' in page
    assert 'name="self_assessment_grace" value="30"' in page
    assert len(re.findall(r'name="units_commune" value="\d+"[^>]*checked', page)) == 2


def test_the_calendar_error_is_vietnamese_by_default(client, world, fresh_set):
    client.force_login(world.people.organizer)
    data = {
        "name": "Đánh giá DTI lỗi lịch",
        "year": "2024",
        "indicator_set": str(fresh_set.pk),
        "units_commune": [str(world.a.pk)],
        **calendar_post(self_assessment_closes="20/10/2024 17:00"),
    }
    page = client.post(CREATE_URL, data).content.decode()
    assert "Tự đánh giá: Thời điểm bắt đầu phải trước thời điểm kết thúc." in page


def test_a_date_not_in_the_local_format_is_refused_on_its_field(en, world, fresh_set):
    en.force_login(world.people.organizer)
    data = {
        "name": "Đánh giá",
        "year": "2024",
        "indicator_set": str(fresh_set.pk),
        "units_commune": [str(world.a.pk)],
        **calendar_post(round_1_opens="31.10.2024 17h"),
    }
    page = en.post(CREATE_URL, data).content.decode()
    assert "Enter the date and time as dd/mm/yyyy HH:MM." in page
    assert not Campaign.objects.filter(indicator_set=fresh_set).exists()


def test_only_an_organizer_may_open_the_create_page(client, world):
    for person in (world.people.officer, world.people.leader, world.people.administrator):
        client.force_login(person)
        assert client.get(CREATE_URL).status_code == 404
    client.logout()
    response = client.get(CREATE_URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={CREATE_URL}"


# --- the campaign page ---------------------------------------------------------------------


def rows(page):
    """``{unit name: row html}`` of the units table."""
    found = {}
    for chunk in page.split('data-testid="unit-row"')[1:]:
        chunk = chunk.split("</tr>")[0]
        found[re.search(r'data-unit="([^"]+)"', chunk).group(1)] = chunk
    return found


def by_testid(html, name):
    return re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html).group(1).strip()


def test_the_progress_page_counts_exactly(en, world):
    campaign, a, b = world.campaign, world.assessment, world.other_assessment
    complete(a, world.people.officer)
    force_state(a, AssessmentState.CONFIRMED)
    two = Response.objects.filter(assessment=b, indicator__code__in=["1.2", "2.1"])
    two.update(inputs={"value": "1"}, self_score=1, version=1)
    set_window(campaign, PhaseKind.SELF_ASSESSMENT, "closed")
    en.force_login(world.people.organizer)
    page = page_of(en, detail_url(campaign))
    assert by_testid(page, "count-total") == "2"
    assert by_testid(page, "count-open") == "1"
    assert by_testid(page, "count-confirmed") == "1"
    assert by_testid(page, "count-self_assessed") == "0"
    assert by_testid(page, "count-published") == "0"
    assert by_testid(page, "count-late") == "1"
    found = rows(page)
    assert list(found) == ["Xã A", "Xã B"]
    assert by_testid(found["Xã A"], "state") == "Confirmed"
    assert by_testid(found["Xã A"], "answered") == "4/4"
    assert by_testid(found["Xã A"], "missing-evidence") == "0"
    assert 'data-testid="late"' not in found["Xã A"]
    assert by_testid(found["Xã B"], "state") == "Open for self-assessment"
    assert by_testid(found["Xã B"], "answered") == "2/4"
    assert by_testid(found["Xã B"], "missing-evidence") == "1"
    assert by_testid(found["Xã B"], "late") == "Late"
    for assessment, name in ((a, "Xã A"), (b, "Xã B")):
        url = reverse("assessments:assessment_detail", kwargs={"pk": assessment.pk})
        assert f'href="{url}"' in found[name]
    # The set's public methodology page, and no phase open now.
    methodology = reverse("indicators:methodology", args=[campaign.indicator_set_id])
    assert f'href="{methodology}"' in page
    assert "No phase is open now." in page


def test_the_progress_page_is_vietnamese_by_default(client, world):
    client.force_login(world.people.organizer)
    page = page_of(client, detail_url(world.campaign))
    assert '<html lang="vi">' in page
    assert "Đang tự đánh giá" in page  # AssessmentState.OPEN
    assert "Tự đánh giá" in page  # PhaseKind.SELF_ASSESSMENT


def test_the_campaign_page_shows_which_phase_is_open_now(en, world):
    en.force_login(world.people.organizer)
    page = page_of(en, detail_url(world.campaign))
    assert re.search(r'data-testid="open-now">Open now: <strong>Self-assessment</strong>', page)
    local = timezone.localtime(world.campaign.phases.get(kind="self_assessment").closes_at)
    assert local.strftime("%d/%m/%Y %H:%M") in page


def organizer_with_units(count):
    district = AdministrativeUnitFactory(name=f"Huyện {count}", kind="huyen")
    for i in range(count):
        AdministrativeUnitFactory(name=f"Xã {count}-{i}", kind="xa", parent=district)
    organizer = UserFactory(unit=district, roles=["organizer"])
    campaign = open_campaign(organizer=organizer)
    assessments = list(campaign.assessments.all())
    complete(assessments[0], organizer)
    force_state(assessments[1], AssessmentState.SELF_ASSESSED)
    return organizer, campaign


@pytest.mark.parametrize("units", [2, 20])
def test_the_campaign_page_reads_a_constant_number_of_queries(
    client, db, units, django_assert_num_queries
):
    organizer, campaign = organizer_with_units(units)
    client.force_login(organizer)
    # session, user, roles, campaign, phases, indicator count, deadline, the counts (per
    # state, late, kept by the filters), one page of units
    with django_assert_num_queries(9):
        response = client.get(detail_url(campaign))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="unit-row"') == units


def test_the_campaign_page_pages_its_units_and_keeps_the_filters(en, db, monkeypatch):
    from assessments import selectors

    organizer, campaign = organizer_with_units(12)  # Xã 12-0 … Xã 12-11; one self-assessed
    names = sorted(campaign.assessments.values_list("unit__name", flat=True))
    confirmed = campaign.assessments.get(unit__name=names[0])
    force_state(confirmed, AssessmentState.CONFIRMED)
    set_window(campaign, PhaseKind.SELF_ASSESSMENT, "closed")  # the others are late
    monkeypatch.setattr(selectors, "CAMPAIGN_PAGE_ROWS", 5)
    en.force_login(organizer)

    def listed(**params):
        html = page_of(en, detail_url(campaign), data=params)
        return html, list(rows(html))

    html, found = listed()
    assert found == names[:5]
    assert (by_testid(html, "count-total"), by_testid(html, "count-late")) == ("12", "11")
    assert "Rows 1–5 of 12" in html
    assert 'href="?trang=2#table-units"' in html
    assert listed(trang="3")[1] == names[10:]
    assert listed(trang="9")[1] == names[10:]  # past the end: the last page
    # Filtered: the counts stay the campaign's, the pager keeps the filters.
    html, found = listed(**{"tre-han": "1", "trang": "2"})
    assert found == names[6:11]
    assert (by_testid(html, "count-total"), by_testid(html, "count-late")) == ("12", "11")
    assert 'href="?tre-han=1&amp;trang=3#table-units"' in html
    assert listed(**{"trang-thai": "confirmed"})[1] == [names[0]]
    self_assessed = campaign.assessments.get(state=AssessmentState.SELF_ASSESSED).unit.name
    assert listed(**{"trang-thai": "self_assessed", "q": self_assessed})[1] == [self_assessed]
    assert listed(**{"trang-thai": "appraised_2", "q": self_assessed})[1] == []
    html, found = listed(q="nowhere")
    assert found == []
    assert "No unit matches these filters." in html


# --- calendar and units ----------------------------------------------------------------------


def test_the_calendar_page_saves_through_the_service(en, world):
    en.force_login(world.people.organizer)
    url = reverse("assessments:campaign_calendar", kwargs={"pk": world.campaign.pk})
    page = page_of(en, url)
    local = timezone.localtime(world.campaign.phases.get(kind="round_1").opens_at)
    assert f'name="round_1_opens" value="{local:%d/%m/%Y %H:%M}"' in page
    response = en.post(url, calendar_post())
    assert response.status_code == 302
    assert world.campaign.phases.get(kind="explanation").opens_at == utc(2024, 11, 10, 10, 0)
    bad = en.post(url, calendar_post(round_1_closes="01/11/2024 08:00", round_2_closes=""))
    assert bad.status_code == 200
    assert "Appraisal, round 2: A phase needs an opening and a closing time." in (
        bad.content.decode()
    )
    assert world.campaign.phases.get(kind="round_1").closes_at == utc(2024, 11, 10, 10, 0)


def test_the_units_page_adds_and_removes_units(en, world):
    c = AdministrativeUnitFactory(name="Xã C", kind="xa", parent=world.district)
    en.force_login(world.people.organizer)
    url = reverse("assessments:campaign_units", kwargs={"pk": world.campaign.pk})
    page = page_of(en, url)
    assert len(re.findall(r'name="units" value="\d+"[^>]*checked', page)) == 2
    assert f'name="units" value="{c.pk}"' in page
    response = en.post(url, {"units": [world.a.pk, c.pk]})
    assert response.status_code == 302
    assert sorted(world.campaign.assessments.values_list("unit__name", flat=True)) == [
        "Xã A",
        "Xã C",
    ]
    complete(Assessment.objects.get(campaign=world.campaign, unit=c), world.people.organizer)
    refused = en.post(url, {"units": [world.a.pk]})
    assert refused.status_code == 200
    assert "These units have already entered data and cannot be removed: Xã C." in (
        refused.content.decode()
    )


# --- district tier: departments ------------------------------------------------------------


@pytest.fixture
def district(db):
    province = AdministrativeUnitFactory(name="Tỉnh Bình Định", kind="tinh")
    d1 = AdministrativeUnitFactory(name="Huyện Tuy Phước", kind="huyen", parent=province)
    d2 = AdministrativeUnitFactory(name="Thị xã An Nhơn", kind="thi_xa", parent=province)
    science = AgencyFactory(name="Sở Khoa học và Công nghệ", unit=province)
    home_affairs = AgencyFactory(name="Phòng Nội vụ", unit=d1)
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=d1)
    other = AgencyFactory(name="Phòng Tư pháp", unit=d2)
    organizer = UserFactory(agency=science, roles=["organizer"])
    campaign = open_campaign(organizer=organizer, indicator_set=assessment_set(tier="district"))
    return SimpleNamespace(
        d1=d1,
        d2=d2,
        home_affairs=home_affairs,
        culture=culture,
        other=other,
        organizer=organizer,
        campaign=campaign,
        assessment=campaign.assessments.get(unit=d1),
        indicators={
            i.code: i
            for i in Indicator.objects.filter(pillar__indicator_set=campaign.indicator_set)
        },
        home_affairs_officer=UserFactory(agency=home_affairs, roles=["unit_officer"]),
        culture_officer=UserFactory(agency=culture, roles=["unit_officer"]),
    )


def departments_url(campaign):
    return reverse("assessments:campaign_departments", kwargs={"pk": campaign.pk})


def test_department_assignment_saves_and_limits_what_a_department_edits(en, district):
    d = district
    en.force_login(d.organizer)
    url = departments_url(d.campaign)
    page = page_of(en, url + f"?don-vi={d.d1.pk}")
    assert "1. Nhận thức số" in page and "2. Hoạt động chính quyền số" in page
    assert "Phòng Nội vụ" in page and "Phòng Văn hóa và Thông tin" in page
    assert "Phòng Tư pháp" not in page  # a department of the other district
    ind, pillar = d.indicators, ind_pillars(d)
    data = {
        "unit": d.d1.pk,
        f"pillar_{pillar['1']}": d.home_affairs.pk,  # the whole pillar 1
        f"indicator_{ind['1.1'].pk}": "",
        f"indicator_{ind['2.1'].pk}": d.culture.pk,
        f"indicator_{ind['2.2'].pk}": "",
    }
    response = en.post(url, data)
    assert response.status_code == 302
    assert response.url == f"{url}?don-vi={d.d1.pk}"
    assert sorted(
        DepartmentAssignment.objects.filter(campaign=d.campaign).values_list(
            "agency__name", "indicator__code"
        )
    ) == [
        ("Phòng Nội vụ", "1.1"),
        ("Phòng Nội vụ", "1.2"),
        ("Phòng Văn hóa và Thông tin", "2.1"),
    ]
    responses = {
        r.indicator.code: r
        for r in Response.objects.filter(assessment=d.assessment).select_related(
            "indicator", "assessment"
        )
    }
    home = d.home_affairs_officer
    assert [c for c in sorted(responses) if permissions.can_edit_response(home, responses[c])] == [
        "1.1",
        "1.2",
    ]
    culture = d.culture_officer
    assert [
        c for c in sorted(responses) if permissions.can_edit_response(culture, responses[c])
    ] == ["2.1"]
    # The page shows the saved assignment.
    page = page_of(en, url + f"?don-vi={d.d1.pk}")
    assert re.search(
        rf'name="indicator_{ind["2.1"].pk}"[^>]*>.*?<option value="{d.culture.pk}" selected>',
        page,
        re.S,
    )
    # Saving again replaces: 1.2 moves to culture, pillar 1 no longer whole.
    data = {
        "unit": d.d1.pk,
        f"indicator_{ind['1.1'].pk}": d.home_affairs.pk,
        f"indicator_{ind['1.2'].pk}": d.culture.pk,
    }
    assert en.post(url, data).status_code == 302
    assert sorted(
        DepartmentAssignment.objects.filter(campaign=d.campaign).values_list(
            "agency__name", "indicator__code"
        )
    ) == [("Phòng Nội vụ", "1.1"), ("Phòng Văn hóa và Thông tin", "1.2")]


def ind_pillars(d):
    return {i.pillar.code: i.pillar_id for i in d.indicators.values()}


def test_the_department_page_is_only_for_district_campaigns(en, world, district):
    en.force_login(world.people.organizer)
    assert en.get(departments_url(world.campaign)).status_code == 404
    page = page_of(en, detail_url(world.campaign))
    assert departments_url(world.campaign) not in page
    en.force_login(district.organizer)
    assert departments_url(district.campaign) in page_of(en, detail_url(district.campaign))
    en.force_login(district.home_affairs_officer)
    assert en.get(departments_url(district.campaign)).status_code == 404


# --- reopening --------------------------------------------------------------------------------


def reopen_url(assessment):
    return reverse(
        "assessments:campaign_assessment_reopen",
        kwargs={"pk": assessment.campaign_id, "assessment_pk": assessment.pk},
    )


def test_reopening_needs_a_written_reason(en, world):
    a = world.assessment
    force_state(a, AssessmentState.CONFIRMED)
    en.force_login(world.people.administrator)
    page = page_of(en, detail_url(world.campaign))
    assert f'href="{reopen_url(a)}"' in page
    assert reopen_url(world.other_assessment) not in page  # still open: nothing to reopen
    page = page_of(en, reopen_url(a))
    assert '<option value="self_assessed">Self-assessed</option>' in page
    assert '<option value="open">Open for self-assessment</option>' in page
    response = en.post(reopen_url(a), {"to_state": "self_assessed", "reason": "   "})
    assert response.status_code == 200
    assert "Reopening needs a written reason." in response.content.decode()
    assert fresh(a).state == AssessmentState.CONFIRMED
    assert not AssessmentTransition.objects.filter(assessment=a).exists()
    response = en.post(
        reopen_url(a),
        {"to_state": "self_assessed", "reason": "Xã đề nghị bổ sung tài liệu kiểm chứng."},
    )
    assert response.status_code == 302
    assert response.url == detail_url(world.campaign)
    assert fresh(a).state == AssessmentState.SELF_ASSESSED
    log = AssessmentTransition.objects.get(assessment=a)
    assert (log.name, log.from_state, log.to_state, log.by, log.reason) == (
        "reopen",
        "confirmed",
        "self_assessed",
        world.people.administrator,
        "Xã đề nghị bổ sung tài liệu kiểm chứng.",
    )


def test_only_an_administrator_may_reopen(client, world):
    force_state(world.assessment, AssessmentState.CONFIRMED)
    client.force_login(world.people.organizer)
    assert reopen_url(world.assessment) not in page_of(client, detail_url(world.campaign))
    for person in (world.people.organizer, world.people.officer, world.people.leader):
        client.force_login(person)
        assert client.get(reopen_url(world.assessment)).status_code == 404
        response = client.post(reopen_url(world.assessment), {"to_state": "open", "reason": "x"})
        assert response.status_code == 404
    assert fresh(world.assessment).state == AssessmentState.CONFIRMED


# --- who may see what ---------------------------------------------------------------------------


def test_other_people_get_404_for_a_campaign_and_its_pages(client, world):
    campaign = world.campaign
    urls = [
        detail_url(campaign),
        reverse("assessments:campaign_calendar", kwargs={"pk": campaign.pk}),
        reverse("assessments:campaign_units", kwargs={"pk": campaign.pk}),
    ]
    people = world.people
    for person in (
        people.other_organizer,
        people.officer,
        people.leader,
        people.department_officer,
        people.council_member,
    ):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
    # The administrator sees the page but does not manage the campaign.
    client.force_login(people.administrator)
    assert client.get(urls[0]).status_code == 200
    assert client.get(urls[1]).status_code == 404
    client.force_login(people.organizer)
    for url in urls:
        assert client.get(url).status_code == 200
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"


def test_the_list_shows_only_the_campaigns_one_may_see(en, world):
    en.force_login(world.people.organizer)
    page = page_of(en, LIST_URL)
    assert page.count('data-testid="campaign-row"') == 1
    assert detail_url(world.campaign) in page
    assert f'href="{CREATE_URL}"' in page
    en.force_login(world.people.other_organizer)
    page = page_of(en, LIST_URL)
    assert 'data-testid="campaign-row"' not in page
    assert "There is no assessment campaign you can follow yet." in page
    en.force_login(world.people.administrator)
    page = page_of(en, LIST_URL)
    assert detail_url(world.campaign) in page
    assert f'href="{CREATE_URL}"' not in page
