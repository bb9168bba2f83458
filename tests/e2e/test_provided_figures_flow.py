"""Provided figures in a real browser: two agencies upload their sheets, the unit officer
sees the pre-filled figures with their source, keeps one, changes another and is asked
why, writes the reason and saves.

The providers' upload page drives the sheets (CSV, preview, then apply). Selectors
are the pages' test ids and the agencies' names, whatever the language of the catalog.
Screenshots go to ``DTI_SCREENSHOTS`` when it is set.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, InputSource, Response
from indicators.fixtures_loader import FIXTURES_DIR, load_indicator_set, read_fixture
from indicators.models import GeneralInfoField, Indicator
from indicators.services import indicator_set_activate
from providers import services as provider_services
from providers.models import Channel, ProvidedFigure
from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, open_campaign, unit_tree

pytestmark = pytest.mark.e2e

COMMUNE_SET = FIXTURES_DIR / "commune-922-illustrative-2024.json"
HOUSEHOLDS = "tong_so_ho_gia_dinh"
REASON = "Số liệu Viettel chưa gồm 20 hộ dùng mạng VNPT"
SAVED = re.compile(r"\d{2}:\d{2}")


def sign_in(page, username):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def scene(transactional_db, make_user):
    tree = unit_tree(communes=1)
    commune, district = tree["communes"][0], tree["district"]
    indicator_set = indicator_set_activate(
        indicator_set=load_indicator_set(read_fixture(COMMUNE_SET))
    )
    organizer = make_user("to.chuc", roles=["organizer"], unit=district)
    campaign = open_campaign(
        organizer=organizer, indicator_set=indicator_set, units=[commune], name="DTI 2025"
    )
    viettel = AgencyFactory(name="Viettel Huyện Thử", kind="telecom", unit=district)
    statistics = AgencyFactory(name="Chi cục Thống kê", kind="statistics", unit=district)
    make_user("viettel", roles=["data_provider"], full_name="Trần Văn Viễn", agency=viettel)
    make_user("thong.ke", roles=["data_provider"], full_name="Lê Thị Thống", agency=statistics)
    officer = make_user("can.bo", roles=["unit_officer"], full_name="Lê Văn Công", unit=commune)
    provider_services.provider_assignment_create(
        user=organizer,
        campaign=campaign,
        agency=viettel,
        indicator=Indicator.objects.get(pillar__indicator_set=indicator_set, code="3.2"),
    )
    provider_services.provider_assignment_create(
        user=organizer,
        campaign=campaign,
        agency=statistics,
        info_field=GeneralInfoField.objects.get(indicator_set=indicator_set, code=HOUSEHOLDS),
    )
    return campaign, campaign.assessments.get(), officer


def upload_sheet(open_page, tmp_path, campaign, username, lines, snap):
    """Sign in as the provider, upload ``lines`` as a CSV, check the preview and apply it."""
    sheet = tmp_path / f"{username}.csv"
    sheet.write_text("\r\n".join(",".join(line) for line in lines), encoding="utf-8-sig")
    page = open_page(f"/dang-nhap/?next=/cung-cap-so-lieu/{campaign.pk}/")
    sign_in(page, username)
    page.get_by_test_id("sheet-form").locator('input[type="file"]').set_input_files(str(sheet))
    page.get_by_test_id("sheet-upload").click()
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_test_id("count-error")).to_have_text("0")
    snap(page, f"provider-preview-{username}")
    page.get_by_test_id("apply").click()
    expect(page.get_by_test_id("sheet-form")).to_be_visible()
    page.context.close()


def snap_part(locator, name):
    """A screenshot of one part of the page (the whole page, ~90 cards, is too long)."""
    folder = os.environ.get("DTI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(Path(folder) / f"{name}.png"))


def card(page, code):
    return page.locator(f'[data-testid="indicator-card"][data-code="{code}"]')


def test_the_officer_keeps_one_figure_and_changes_another_with_a_reason(
    open_page, scene, tmp_path, snap
):
    campaign, assessment, officer = scene
    unit = str(assessment.unit_id)
    # The statistics office first: 3.2 is a share of the households it sends.
    upload_sheet(
        open_page,
        tmp_path,
        campaign,
        "thong.ke",
        [["ID đơn vị", "Mã số liệu", "Giá trị"], [unit, f"@{HOUSEHOLDS}", "400"]],
        snap,
    )
    upload_sheet(
        open_page,
        tmp_path,
        campaign,
        "viettel",
        [["ID đơn vị", "Mã số liệu", "a (tử số)"], [unit, "3.2", "300"]],
        snap,
    )
    fibre = Response.objects.get(assessment=assessment, indicator__code="3.2")
    assert (fibre.inputs, fibre.inputs_source) == ({"a": "300"}, InputSource.IMPORTED)

    page = open_page(f"/dang-nhap/?next=/danh-gia/{assessment.pk}/")
    sign_in(page, officer.username)

    # Both figures arrived pre-filled, each marked with where it came from.
    households = page.locator(f'[data-testid="general-info-field"][data-code="{HOUSEHOLDS}"]')
    expect(households.locator("input").first).to_have_value("400")
    expect(households.get_by_test_id("provenance")).to_have_attribute("data-source", "imported")
    expect(households.get_by_test_id("source")).to_contain_text("Chi cục Thống kê")
    expect(households.get_by_test_id("source-who")).to_contain_text("Lê Thị Thống")
    # 3.2 is in pillar 3, on a page of its own: the list of pillars leads there.
    page.get_by_test_id("pillar-nav").get_by_role("link", name=re.compile(r"^3\. ")).click()
    fibre_card = card(page, "3.2")
    expect(fibre_card.locator('input[name="a"]')).to_have_value("300")
    expect(fibre_card.get_by_test_id("provenance")).to_have_attribute("data-source", "imported")
    expect(fibre_card.get_by_test_id("source")).to_contain_text("Viettel Huyện Thử")
    expect(fibre_card.get_by_test_id("source-who")).to_contain_text("Trần Văn Viễn")
    expect(fibre_card.get_by_test_id("score")).to_contain_text("15")
    snap_part(page.get_by_test_id("general-info"), "unit-prefilled-general-info")
    snap_part(fibre_card, "unit-prefilled-card")

    # Keep the households figure: save the general information with another figure typed.
    page.locator("#gi-tong_so_cbcc").fill("25")
    page.get_by_test_id("general-info-save").click()
    households = page.locator(f'[data-testid="general-info-field"][data-code="{HOUSEHOLDS}"]')
    expect(households.get_by_test_id("provenance")).to_have_attribute("data-source", "imported")
    expect(page.locator("#gi-tong_so_cbcc")).to_have_value("25")

    # Change Viettel's figure: the save asks why, on the reason's own box, and keeps 320.
    fibre_card = card(page, "3.2")
    box = fibre_card.locator('input[name="a"]')
    box.fill("320")
    box.press("Tab")
    expect(card(page, "3.2").get_by_test_id("change-note-error")).to_be_visible()
    expect(card(page, "3.2").locator('input[name="a"]')).to_have_value("320")
    snap_part(card(page, "3.2"), "unit-reason-asked")
    assert Response.objects.get(pk=fibre.pk).inputs == {"a": "300"}  # nothing saved yet

    reason = card(page, "3.2").locator('textarea[name="provided_change_note"]')
    reason.fill(REASON)
    reason.press("Tab")
    expect(card(page, "3.2").get_by_test_id("save-status")).to_contain_text(SAVED)
    expect(card(page, "3.2").get_by_test_id("change-note-error")).to_have_count(0)
    fibre_card = card(page, "3.2")
    expect(fibre_card.get_by_test_id("provenance")).to_have_attribute("data-source", "typed")
    expect(fibre_card.get_by_test_id("provided-value")).to_contain_text("300")
    expect(fibre_card.get_by_test_id("change-note")).to_contain_text(REASON)
    expect(fibre_card.get_by_test_id("score")).to_contain_text("16")
    snap_part(fibre_card, "unit-changed-with-reason")

    stored = Response.objects.select_related("inputs_agency").get(pk=fibre.pk)
    assert (
        stored.inputs,
        str(stored.self_score),
        stored.inputs_source,
        stored.inputs_agency,
        stored.provided_change_note,
        stored.updated_by,
    ) == ({"a": "320"}, "16.00", InputSource.TYPED, None, REASON, officer)
    info = Assessment.objects.get(pk=assessment.pk)
    assert info.general_info == {HOUSEHOLDS: "400", "tong_so_cbcc": "25"}
    kept = info.general_info_provenance[HOUSEHOLDS]
    assert (kept["source"], kept["agency"], "note" in kept) == (
        "imported",
        "Chi cục Thống kê",
        False,
    )
    assert info.general_info_provenance["tong_so_cbcc"]["source"] == "typed"
    assert list(
        ProvidedFigure.objects.order_by("assignment__agency__name").values_list(
            "assignment__agency__name", "value", "channel"
        )
    ) == [
        ("Chi cục Thống kê", {"value": "400"}, Channel.SHEET),
        ("Viettel Huyện Thử", {"a": "300"}, Channel.SHEET),
    ]
