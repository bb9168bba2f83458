"""Publication in a real browser: the organizer publishes, an anonymous visitor reads the
rankings and downloads the decision appendix."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from assessments.models import Assessment, AssessmentState
from rankings.models import Publication
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE
from tests.factories import force_state
from tests.rankings.helpers import build_world

pytestmark = pytest.mark.e2e


def sign_in(page, username):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def appraised_world(transactional_db):
    world = build_world()
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    organizer = world.campaign.created_by
    organizer.set_password(PASSWORD)
    organizer.save()
    return world


def test_the_organizer_publishes_and_a_visitor_downloads_the_appendix(open_page, appraised_world):
    world = appraised_world
    campaign = world.campaign
    organizer = open_page(reverse("rankings:campaign_publish", args=[campaign.pk]))
    sign_in(organizer, world.campaign.created_by.username)
    organizer.locator('[name="decision_number"]').fill("1234/QĐ-UBND")
    organizer.locator('[name="decision_date"]').fill("25/11/2026")
    organizer.locator('[name="signer_title"]').fill("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH")
    organizer.locator('[name="signer_name"]').fill("Nguyễn Văn An")
    # Publishing cannot be undone: the organizer types their password again.
    organizer.locator('input[name="password"]').fill(PASSWORD)
    organizer.get_by_test_id("publish-button").click()
    expect(organizer.get_by_test_id("ranking-table").first).to_be_visible()
    assert Publication.objects.filter(campaign=campaign, version=1).exists()
    assert set(Assessment.objects.filter(campaign=campaign).values_list("state", flat=True)) == {
        AssessmentState.PUBLISHED
    }

    visitor = open_page("/ket-qua/")
    visitor.get_by_role("link", name=campaign.name).click()
    dti = visitor.locator('[data-testid="ranking-table"][data-kind="dti"]')
    first = dti.get_by_test_id("ranking-row").first
    expect(first).to_have_attribute("data-unit", "Xã A")
    expect(first.get_by_test_id("rank")).to_have_text("1")
    expect(first.get_by_test_id("value")).to_have_text("100,00\u00a0%")
    with visitor.expect_download() as download:
        visitor.locator('a[href*="phu-luc.pdf"]').first.click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Xã A" in text
    assert "1234/QĐ-UBND" in text


def test_a_visitor_without_javascript_chooses_a_ranking_and_pages_through_it(
    chromium, live_server, appraised_world, monkeypatch, snap
):
    from rankings import selectors, services

    world = appraised_world
    services.campaign_publish(
        campaign=world.campaign,
        user=world.campaign.created_by,
        decision_number="1234/QĐ-UBND",
        decision_date=date(2026, 11, 25),
        signer_title="KT. CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
    )
    monkeypatch.setattr(selectors, "PUBLIC_PAGE_ROWS", 4)  # the server runs in this process
    context = chromium.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    try:
        visitor = context.new_page()
        visitor.goto(
            live_server.url + reverse("rankings:results_campaign", args=[world.campaign.pk])
        )
        tabs = visitor.get_by_test_id("ranking-tabs")
        expect(tabs.get_by_role("link")).to_have_count(4)
        expect(tabs.locator('[aria-current="page"]')).to_have_attribute("data-kind", "dti")
        # Plain links: the digital-economy ranking, then its second page.
        tabs.get_by_role("link", name="Kinh tế số").click()
        table = visitor.get_by_test_id("ranking-table")
        expect(table).to_have_attribute("data-kind", "kts")
        expect(tabs.locator('[aria-current="page"]')).to_have_attribute("data-kind", "kts")
        rows = table.get_by_test_id("ranking-row")
        expect(rows).to_have_count(4)
        expect(rows.first).to_have_attribute("data-unit", "Xã A")
        snap(visitor, "public-rankings-kts-phone")
        table.get_by_test_id("pager").first.get_by_role("link", name="Sau").click()
        assert "xep-hang=kts" in visitor.url and "trang=2" in visitor.url
        expect(rows).to_have_count(2)
        expect(rows.nth(0).get_by_test_id("rank")).to_have_text("5")
        expect(rows.nth(1)).to_have_attribute("data-unit", "Xã E")
        # Each row leads to the unit's scorecard.
        rows.nth(1).get_by_role("link").click()
        expect(visitor.get_by_role("heading", level=1)).to_contain_text("Xã E")
    finally:
        context.close()
