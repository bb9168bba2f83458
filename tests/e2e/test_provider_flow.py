"""A data provider in a real browser: from the menu to its figures, one figure typed in its
row (htmx), then a sheet uploaded, previewed and applied; and the page on a phone.

Selectors are the pages' test ids: the provider pages' words may still be
waiting for their Vietnamese translation (locale-pending/). Screenshots go to
``DTI_SCREENSHOTS`` (or /tmp/shots-providers/ when unset).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessments.models import Response
from indicators.fixtures_loader import load_indicator_set, read_fixture
from indicators.models import Indicator
from indicators.services import indicator_set_activate
from providers import services
from providers.models import Channel, ProvidedFigure
from providers.services import FigureRow
from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, UserFactory, open_campaign, unit_tree
from tests.providers.conftest import COMMUNE_SET

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
SHOTS = Path(os.environ.get("DTI_SCREENSHOTS") or "/tmp/shots-providers")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def person(**fields):
    user = UserFactory(**fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(page, username):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def provider_world(transactional_db):
    tree = unit_tree(communes=3)
    a, b, _c = tree["communes"]
    district = tree["district"]
    indicator_set = indicator_set_activate(
        indicator_set=load_indicator_set(read_fixture(COMMUNE_SET))
    )
    viettel = AgencyFactory(name="Viettel Huyện Thử", kind="telecom", unit=district)
    statistics = AgencyFactory(name="Chi cục Thống kê Huyện Thử", kind="statistics", unit=district)
    organizer = person(username="to.chuc", unit=district, roles=["organizer"])
    person(username="viettel", full_name="Nguyễn Văn Toàn", agency=viettel, roles=["data_provider"])
    counter = person(username="thong.ke", agency=statistics, roles=["data_provider"])
    campaign = open_campaign(organizer=organizer, indicator_set=indicator_set)
    fibre = Indicator.objects.get(pillar__indicator_set=indicator_set, code="3.2")
    services.provider_assignment_create(
        user=organizer, campaign=campaign, agency=viettel, indicator=fibre, units=[a, b]
    )
    services.provider_assignment_create(
        user=organizer,
        campaign=campaign,
        agency=statistics,
        info_field=indicator_set.general_info_fields.get(code="tong_so_ho_gia_dinh"),
    )
    services.figures_provide(
        user=counter,
        campaign=campaign,
        rows=[FigureRow(unit=u.pk, field="tong_so_ho_gia_dinh", value=400) for u in (a, b)],
        channel=Channel.API,
    )
    return {"campaign": campaign, "a": a, "b": b, "fibre": fibre}


def test_a_provider_types_one_figure_and_sends_the_rest_as_a_sheet(open_page, provider_world):
    w = provider_world
    page = open_page("/dang-nhap/")
    sign_in(page, "viettel")
    page.get_by_test_id("provider-nav").click()
    page.get_by_test_id("open-figures").click()
    lines = page.get_by_test_id("figure-line")
    expect(lines).to_have_count(2)
    expect(page.get_by_test_id("line-status")).to_have_count(2)

    # one figure, typed in its row: the row comes back sent and pre-filling the unit
    first = lines.filter(has_text="Xã A")
    first.locator("input[name=a]").fill("300")
    first.get_by_test_id("send-figure").click()
    sent = page.get_by_test_id("figure-line").filter(has_text="Xã A")
    expect(sent.get_by_test_id("line-value")).to_have_text("a = 300")
    expect(sent.get_by_test_id("line-prefilled")).to_be_visible()
    shot(page, "provider-figures-desktop")

    # the rest as a sheet: preview, then apply
    csv = f"ID đơn vị;Mã số liệu;a (tử số)\n{w['b'].pk};3.2;100\n".encode("utf-8-sig")
    page.locator("#sheet-file").set_input_files(
        files=[{"name": "so-lieu.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_test_id("sheet-upload").click()
    preview = page.get_by_test_id("preview-line")
    expect(preview).to_have_count(1)
    expect(preview).to_have_attribute("data-status", "created")
    assert not ProvidedFigure.objects.filter(
        assessment__unit=w["b"], assignment__indicator=w["fibre"]
    ).exists()
    shot(page, "provider-preview-desktop")
    page.get_by_test_id("apply").click()
    expect(
        page.get_by_test_id("figure-line").filter(has_text="Xã B").get_by_test_id("line-value")
    ).to_have_text("a = 100")
    b = Response.objects.get(assessment__unit=w["b"], indicator=w["fibre"])
    assert (b.inputs, b.inputs_source) == ({"a": "100"}, "imported")

    # on a phone: the same page, nothing wider than the screen
    page.set_viewport_size(PHONE)
    page.reload()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], f"page is {widths[0]} px wide at {PHONE['width']} px"
    shot(page, "provider-figures-phone")
