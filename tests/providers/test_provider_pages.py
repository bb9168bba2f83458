"""The providers' pages: the organizer naming providers, a provider's campaigns and its
units × figures (filter, pages, one figure typed at a time), the home card and the menu.

The world (``conftest.world``): Viettel provides 3.2 for communes A and B, the
statistics office the households figure for A, B and C.
"""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from assessments.models import Assessment, AuditAction, AuditEntry, Response
from indicators.fixtures_loader import load_indicator_set, read_fixture
from indicators.models import Indicator
from indicators.services import indicator_set_activate
from providers import display, selectors, services
from providers.models import Channel, ProvidedFigure, ProviderAssignment
from providers.services import FigureRow
from tests.factories import AgencyFactory, UserFactory, open_campaign, unit_tree
from tests.providers.conftest import COMMUNE_SET

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(client, user):
    client.logout()  # which forgets the cookies: the language too
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def providers_url(world):
    return reverse("providers:campaign_providers", kwargs={"campaign_pk": world.campaign.pk})


def figures_url(world, query=""):
    return reverse("providers:figures", kwargs={"campaign_pk": world.campaign.pk}) + query


def save_url(world, assignment, unit):
    return reverse(
        "providers:figure_save",
        kwargs={
            "campaign_pk": world.campaign.pk,
            "assignment_pk": assignment.pk,
            "assessment_pk": world.assessments[unit.name].pk,
        },
    )


def send_households(world, values):
    services.figures_provide(
        user=world.people.statistics,
        campaign=world.campaign,
        rows=[
            FigureRow(unit=unit.pk, field="tong_so_ho_gia_dinh", value=value)
            for unit, value in values
        ],
        channel=Channel.API,
    )


def lines(response) -> list[tuple[str, str, str]]:
    """(unit, figure code, value sent or "") of each row of the figures page."""
    return [(line.row.unit_name, line.code, line.value_text) for line in response.context["lines"]]


# --- the organizer's page ------------------------------------------------------------------


def test_the_organizer_sees_who_provides_what_with_sent_and_missing(client, world):
    send_households(world, [(world.a, "400"), (world.b, "500")])
    response = as_user(client, world.people.organizer).get(providers_url(world))
    assert response.status_code == 200
    rows = {
        (a.agency.name, a.code): (a.covered, a.sent, a.missing, [u.name for u in a.units_shown])
        for a in response.context["assignments"]
    }
    assert rows == {
        ("Chi cục Thống kê Huyện Thử", "@tong_so_ho_gia_dinh"): (3, 2, 1, []),
        ("Viettel Huyện Thử", "3.2"): (2, 0, 2, ["Xã A", "Xã B"]),
    }
    page = response.content.decode()
    assert "All units" in page
    # figures came: it stays, and the page offers no withdraw button for it
    assert page.count('data-testid="withdraw"') == 1
    assert page.count('data-testid="cannot-withdraw"') == 1


def test_the_campaign_page_links_to_the_providers(client, world):
    page = as_user(client, world.people.organizer).get(
        reverse("assessments:campaign_detail", kwargs={"pk": world.campaign.pk})
    )
    assert providers_url(world) in page.content.decode()


def test_the_organizer_names_an_agency_for_some_units(client, world):
    police = AgencyFactory(name="Công an huyện Thử", kind="police", unit=world.district)
    people = world.indicator_set.general_info_fields.get(code="tong_so_nguoi_dan")
    response = as_user(client, world.people.organizer).post(
        providers_url(world),
        {"action": "create", "agency": police.pk, "figure": f"f{people.pk}", "units": [world.c.pk]},
    )
    assert response.status_code == 302
    assignment = ProviderAssignment.objects.get(agency=police)
    assert (assignment.info_field, [u.name for u in assignment.units.all()]) == (people, ["Xã C"])
    assert AuditEntry.objects.filter(action=AuditAction.PROVIDERS_CHANGED).count() == 3
    follow = client.get(providers_url(world))
    assert "Công an huyện Thử now provides “Tổng số người dân trên địa bàn”." in [
        str(m) for m in follow.context["messages"]
    ]


def test_naming_the_same_provider_twice_is_refused_with_the_services_message(client, world):
    before = ProviderAssignment.objects.count()
    response = as_user(client, world.people.organizer).post(
        providers_url(world),
        {"action": "create", "agency": world.viettel.pk, "figure": f"i{world.fibre.pk}"},
    )
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Viettel Huyện Thử already provides “3.2. Tỷ lệ hộ gia đình trên địa bàn có kết nối "
        "Internet cáp quang băng rộng” in this campaign."
    ]
    assert ProviderAssignment.objects.count() == before


def test_an_incomplete_form_names_nobody(client, world):
    before = ProviderAssignment.objects.count()
    response = as_user(client, world.people.organizer).post(
        providers_url(world), {"action": "create", "agency": "", "figure": "i999999"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"agency", "figure"}
    assert ProviderAssignment.objects.count() == before


def test_withdrawing_an_assignment_without_figures(client, world):
    response = as_user(client, world.people.organizer).post(
        providers_url(world), {"action": "delete", "assignment": world.fibre_assignment.pk}
    )
    assert response.status_code == 302
    assert not ProviderAssignment.objects.filter(pk=world.fibre_assignment.pk).exists()


def test_an_assignment_that_brought_figures_cannot_be_withdrawn(client, world):
    send_households(world, [(world.a, "400")])
    response = as_user(client, world.people.organizer).post(
        providers_url(world), {"action": "delete", "assignment": world.households_assignment.pk}
    )
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Chi cục Thống kê Huyện Thử has already sent figures for this; they stay, and so does "
        "the assignment."
    ]
    assert ProviderAssignment.objects.filter(pk=world.households_assignment.pk).exists()


@pytest.mark.parametrize("wanted", ["", "abc", "999999"])
def test_withdrawing_what_is_not_there_is_a_404(client, world, wanted):
    response = as_user(client, world.people.organizer).post(
        providers_url(world), {"action": "delete", "assignment": wanted}
    )
    assert response.status_code == 404


def test_only_the_organizer_reaches_the_providers_page(client, world):
    other = UserFactory(unit=world.province, roles=["organizer"])
    url = providers_url(world)
    for user in (
        world.people.viettel,
        world.people.officer_a,
        other,
        UserFactory(roles=["administrator"]),
    ):
        assert as_user(client, user).get(url).status_code == 404, user
        assert (
            client.post(url, {"action": "delete", "assignment": world.fibre_assignment.pk})
        ).status_code == 404
    response = as_user(client, None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert ProviderAssignment.objects.filter(pk=world.fibre_assignment.pk).exists()


# --- the provider's campaigns and figures ----------------------------------------------------


def test_a_provider_sees_the_campaigns_where_its_agency_owes_figures(client, world):
    send_households(world, [(world.a, "400")])
    response = as_user(client, world.people.statistics).get(reverse("providers:my_campaigns"))
    assert [(c.campaign, c.owed, c.sent, c.missing) for c in response.context["campaigns"]] == [
        (world.campaign, 3, 1, 2)
    ]
    response = as_user(client, world.people.officer_a).get(reverse("providers:my_campaigns"))
    assert response.status_code == 200
    assert response.context["campaigns"] == []
    assert "Only the people of an agency named as a data provider" in response.content.decode()


def test_a_provider_sees_its_units_and_figures_only(client, world):
    send_households(world, [(world.a, "1520")])
    response = as_user(client, world.people.viettel).get(figures_url(world))
    assert response.status_code == 200
    assert lines(response) == [("Xã A", "3.2", ""), ("Xã B", "3.2", "")]
    response = as_user(client, world.people.statistics).get(figures_url(world))
    assert lines(response) == [
        ("Xã A", "@tong_so_ho_gia_dinh", "1,520"),
        ("Xã B", "@tong_so_ho_gia_dinh", ""),
        ("Xã C", "@tong_so_ho_gia_dinh", ""),
    ]
    summary = response.context["summary"][0]
    assert (summary["owed"], summary["sent"], summary["missing"]) == (3, 1, 2)


def test_the_figures_pages_are_a_404_for_whoever_owes_nothing(client, world):
    telecom = AgencyFactory(name="VNPT Huyện Thử", kind="telecom", unit=world.district)
    stranger = UserFactory(agency=telecom, roles=["data_provider"])
    urls = [
        figures_url(world),
        reverse("providers:sheet_template", kwargs={"campaign_pk": world.campaign.pk}),
    ]
    for user in (
        stranger,
        world.people.viettel_without_role,
        world.people.officer_a,
        world.people.organizer,
    ):
        for url in urls:
            assert as_user(client, user).get(url).status_code == 404, (user, url)
        assert (
            client.post(save_url(world, world.fibre_assignment, world.a), {"a": "1"}).status_code
            == 404
        )
    for url in urls:
        response = as_user(client, None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert ProvidedFigure.objects.count() == 0


def test_a_provider_cannot_send_for_a_unit_or_figure_outside_its_assignment(client, world):
    viettel = as_user(client, world.people.viettel)
    # commune C is not Viettel's; the households figure is the statistics office's
    assert viettel.post(
        save_url(world, world.fibre_assignment, world.c), {"a": "5"}
    ).status_code == (404)
    assert viettel.post(
        save_url(world, world.households_assignment, world.a), {"value": "5"}
    ).status_code == (404)
    assert viettel.get(save_url(world, world.fibre_assignment, world.a)).status_code == 405
    assert ProvidedFigure.objects.count() == 0


def test_typing_a_figure_sends_it_and_prefills_the_unit(client, world):
    send_households(world, [(world.a, "400")])
    response = as_user(client, world.people.viettel).post(
        save_url(world, world.fibre_assignment, world.a) + "?thieu=1", {"a": "300"}, **HTMX
    )
    assert response.status_code == 200
    line = response.context["line"]
    assert (line.value_text, line.figure.channel, line.figure.prefilled, line.saved.status) == (
        "a = 300",
        Channel.FORM,
        True,
        "created",
    )
    page = response.content.decode()
    assert 'data-testid="line-prefilled"' in page
    assert f'action="{save_url(world, world.fibre_assignment, world.a)}?thieu=1"' in page
    unit = Response.objects.get(assessment=world.assessments["Xã A"], indicator=world.fibre)
    assert (unit.inputs, unit.self_score, unit.inputs_source) == (
        {"a": "300"},
        Decimal("15.00"),
        "provided",
    )


def test_a_refused_figure_is_shown_on_its_row_and_nothing_is_saved(client, world):
    send_households(world, [(world.a, "400")])
    viettel = as_user(client, world.people.viettel)
    response = viettel.post(save_url(world, world.fibre_assignment, world.a), {"a": "500"}, **HTMX)
    assert response.status_code == 200
    assert response.context["line"].errors == [
        "“Số hộ gia đình có kết nối Internet cáp quang” (500) cannot be more than “Tổng số hộ "
        "gia đình trên địa bàn” (400): the part cannot exceed the whole. Check both figures."
    ]
    response = viettel.post(
        save_url(world, world.fibre_assignment, world.a), {"a": "ba trăm"}, **HTMX
    )
    assert response.context["line"].errors == [
        "Số hộ gia đình có kết nối Internet cáp quang: “ba trăm” is not a number."
    ]
    response = viettel.post(save_url(world, world.fibre_assignment, world.a), {}, **HTMX)
    assert response.context["line"].errors == [
        "Số hộ gia đình có kết nối Internet cáp quang: This field is required."
    ]
    assert ProvidedFigure.objects.filter(assignment=world.fibre_assignment).count() == 0
    assert (
        Response.objects.get(assessment=world.assessments["Xã A"], indicator=world.fibre).inputs
        == {}
    )


def test_without_htmx_the_form_comes_back_to_the_same_page(client, world):
    statistics = as_user(client, world.people.statistics)
    url = save_url(world, world.households_assignment, world.b)
    response = statistics.post(url + "?trang=1&thieu=1&other=x", {"value": "1520"})
    assert response.status_code == 302
    assert response["Location"] == figures_url(world, "?trang=1&thieu=1")
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["Xã B, @tong_so_ho_gia_dinh: the figure has been sent."]
    assert Assessment.objects.get(pk=world.assessments["Xã B"].pk).general_info == {
        "tong_so_ho_gia_dinh": "1520"
    }
    # the same figure again: nothing changes, and the page says so
    response = statistics.post(url, {"value": "1520"})
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [
        "Xã B, @tong_so_ho_gia_dinh: the same figure was already sent; nothing changed."
    ]
    assert ProvidedFigure.objects.get().history.count() == 1


def test_figures_are_read_as_the_pages_language_writes_them(client, world):
    statistics = as_user(client, world.people.statistics)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    for unit, typed, stored in ((world.a, "1.520", "1520"), (world.b, "1,500", "1.5")):
        statistics.post(save_url(world, world.households_assignment, unit), {"value": typed})
        info = Assessment.objects.get(pk=world.assessments[unit.name].pk).general_info
        assert info == {"tong_so_ho_gia_dinh": stored}, typed


def test_missing_only_and_pages_of_rows(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "FIGURES_PER_PAGE", 2)
    send_households(world, [(world.b, "400")])
    statistics = as_user(client, world.people.statistics)
    first = statistics.get(figures_url(world))
    assert lines(first) == [
        ("Xã A", "@tong_so_ho_gia_dinh", ""),
        ("Xã B", "@tong_so_ho_gia_dinh", "400"),
    ]
    table = first.context["table"]
    assert (table.number, table.pages, table.total) == (1, 2, 3)
    second = statistics.get(figures_url(world, "?trang=2"))
    assert lines(second) == [("Xã C", "@tong_so_ho_gia_dinh", "")]
    missing = statistics.get(figures_url(world, "?thieu=1"))
    assert lines(missing) == [
        ("Xã A", "@tong_so_ho_gia_dinh", ""),
        ("Xã C", "@tong_so_ho_gia_dinh", ""),
    ]
    assert (missing.context["table"].pages, missing.context["table"].total) == (1, 2)
    # a page past the end is the last one; nonsense is the first
    assert lines(statistics.get(figures_url(world, "?trang=99"))) == lines(second)
    assert lines(statistics.get(figures_url(world, "?trang=x"))) == lines(first)


# --- values in words ------------------------------------------------------------------------


def test_each_kind_of_figure_reads_as_people_write_it(world):
    by_code = {
        i.code: i for i in Indicator.objects.filter(pillar__indicator_set=world.indicator_set)
    }

    def text(code, value):
        return display.value_text(ProviderAssignment(indicator=by_code[code]), value)

    with translation.override("vi"):
        assert text("3.2", {"a": "300"}) == "a = 300"
        assert text("1.7", {"a": "3", "b": "4.5"}) == "a = 3; b = 4,5"
        assert text("1.3", {"value": True}) == "Có"
        assert text("1.3", {"value": False}) == "Không"
        assert text("1.1", {"option": "pho"}) == "Phó Bí thư/Phó Chủ tịch (cấp Phó) là Trưởng ban"
        assert text("1.5", {"checked": ["a", "b"]}) == (
            "Có chuyên mục riêng về chuyển đổi số; "
            "Chuyên mục được cập nhật tin, bài ít nhất mỗi tháng một lần"
        )
        assert text("1.4", {"value": "12"}) == "12 tin, bài"
        field = ProviderAssignment(info_field=world.households)
        assert display.value_text(field, {"value": "1520"}) == "1.520"


# --- the home page and the menu ----------------------------------------------------------


def test_the_home_page_and_the_menu_lead_a_provider_to_its_figures(client, world):
    send_households(world, [(world.a, "400")])
    page = as_user(client, world.people.statistics).get(reverse("home"))
    assert [(c.campaign, c.missing) for c in page.context["provider_campaigns"]] == [
        (world.campaign, 2)
    ]
    html = page.content.decode()
    assert 'data-testid="provider-card"' in html
    assert "2 of 3 figures still missing" in html
    assert 'data-testid="provider-nav"' in html
    page = as_user(client, world.people.officer_a).get(reverse("home"))
    assert "provider_campaigns" not in page.context
    html = page.content.decode()
    assert 'data-testid="provider-card"' not in html and 'data-testid="provider-nav"' not in html


# --- a page costs the same for 3 units as for 12 ------------------------------------------


@pytest.fixture
def sized(db):
    """``sized(n)``: a campaign of n communes; a telecom provides 3.2 for all of them, the
    statistics office the households for every one, half of both already sent."""
    indicator_set = indicator_set_activate(
        indicator_set=load_indicator_set(read_fixture(COMMUNE_SET))
    )
    made = {}

    def make(n):
        tree = unit_tree(communes=n)
        district = tree["district"]
        organizer = UserFactory(unit=district, roles=["organizer"])
        telecom = AgencyFactory(name=f"Viettel {n}", kind="telecom", unit=district)
        statistics = AgencyFactory(name=f"Thống kê {n}", kind="statistics", unit=district)
        provider = UserFactory(agency=telecom, roles=["data_provider"])
        counter = UserFactory(agency=statistics, roles=["data_provider"])
        campaign = open_campaign(
            organizer=organizer, indicator_set=indicator_set, name=f"Đợt {n}", units=None
        )
        fibre = Indicator.objects.get(pillar__indicator_set=indicator_set, code="3.2")
        services.provider_assignment_create(
            user=organizer, campaign=campaign, agency=telecom, indicator=fibre
        )
        services.provider_assignment_create(
            user=organizer,
            campaign=campaign,
            agency=statistics,
            info_field=indicator_set.general_info_fields.get(code="tong_so_ho_gia_dinh"),
        )
        half = tree["communes"][: n // 2]
        services.figures_provide(
            user=counter,
            campaign=campaign,
            rows=[FigureRow(unit=u.pk, field="tong_so_ho_gia_dinh", value=400) for u in half],
            channel=Channel.API,
        )
        services.figures_provide(
            user=provider,
            campaign=campaign,
            rows=[FigureRow(unit=u.pk, indicator="3.2", value={"a": 100}) for u in half],
            channel=Channel.API,
        )
        made[n] = (campaign, provider, organizer)
        return made[n]

    return make


# session, user, roles, campaign, assignments, their units, counts, rows, figures, the agency
FIGURES_PAGE_QUERIES = 10
# session, user, roles, campaign, the form's agencies, indicators, fields and units,
# the assessed units, the assignments, their units
PROVIDERS_PAGE_QUERIES = 11


@pytest.mark.parametrize("units", [3, 12])
def test_the_pages_read_a_constant_number_of_queries(
    client, sized, units, django_assert_num_queries
):
    campaign, provider, organizer = sized(units)
    as_user(client, provider)
    url = reverse("providers:figures", kwargs={"campaign_pk": campaign.pk})
    with django_assert_num_queries(FIGURES_PAGE_QUERIES):
        response = client.get(url)
    assert len(response.context["lines"]) == units
    with django_assert_num_queries(FIGURES_PAGE_QUERIES):
        response = client.get(url + "?thieu=1")
    assert len(response.context["lines"]) == units - units // 2
    as_user(client, organizer)
    with django_assert_num_queries(PROVIDERS_PAGE_QUERIES):
        response = client.get(
            reverse("providers:campaign_providers", kwargs={"campaign_pk": campaign.pk})
        )
    assert [a.sent for a in response.context["assignments"]] == [units // 2, units // 2]
