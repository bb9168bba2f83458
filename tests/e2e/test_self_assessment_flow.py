"""The self-assessment in a real browser: an officer fills and submits, the leader confirms.

Screenshots of the pages go to ``DTI_SCREENSHOTS`` (or /tmp/shots-unit/ when unset).
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, AssessmentState, Evidence, Response
from indicators.models import Indicator
from tests.conftest import PASSWORD
from tests.factories import UserFactory, open_campaign, unit_tree

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
SHOTS = Path(os.environ.get("DTI_SCREENSHOTS") or "/tmp/shots-unit")
SAVED = re.compile(r"\d{2}:\d{2}")


def real_pdf() -> bytes:
    """A small, valid one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    text = b"BT /F1 18 Tf 72 770 Td (Bien ban hop Ban chi dao chuyen doi so) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, username):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def no_horizontal_overflow(page):
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], f"page is {widths[0]} px wide at {PHONE['width']} px"


def card(page, code):
    return page.locator(f'[data-testid="indicator-card"][data-code="{code}"]')


def type_and_save(page, code, field, value, score):
    """Type a figure, see the live score, then leave the field so that it autosaves."""
    box = card(page, code).locator(f'input[name="{field}"]')
    box.fill(value)
    expect(card(page, code).get_by_test_id("score")).to_contain_text(score)
    box.press("Tab")
    expect(card(page, code).get_by_test_id("save-status")).to_contain_text(SAVED)


def click_and_save(page, code, selector, score):
    card(page, code).locator(selector).check()
    expect(card(page, code).get_by_test_id("save-status")).to_contain_text(SAVED)
    expect(card(page, code).get_by_test_id("score")).to_contain_text(score)


@pytest.fixture
def scene(transactional_db, make_user, make_indicator_set):
    tree = unit_tree(communes=1)
    commune = tree["communes"][0]
    organizer = UserFactory(unit=tree["district"], roles=["organizer"])
    indicator_set = make_indicator_set(name="Bộ chỉ số DTI cấp xã năm 2025")
    Indicator.objects.filter(pillar__indicator_set=indicator_set, code="1.1").update(
        evidence_mandatory=True
    )
    campaign = open_campaign(
        organizer=organizer, indicator_set=indicator_set, units=[commune], name="Đánh giá DTI 2025"
    )
    officer = make_user(
        "le.van.cong", roles=["unit_officer"], full_name="Lê Văn Công", unit=commune
    )
    leader = make_user(
        "pham.thi.dung", roles=["unit_leader"], full_name="Phạm Thị Dung", unit=commune
    )
    return campaign.assessments.get(), officer, leader


def test_officer_fills_uploads_submits_and_leader_confirms(open_page, live_server, scene, tmp_path):
    assessment, officer, leader = scene
    detail = f"/danh-gia/{assessment.pk}/"
    page = open_page(f"/dang-nhap/?next={detail}")
    sign_in(page, officer.username)
    expect(page.get_by_test_id("indicator-card")).to_have_count(10)
    expect(page.get_by_test_id("illustrative-badge")).to_have_text("minh họa")

    # The general information first: the ratio 2.1 takes its denominator from it.
    page.locator("#gi-so_cbcc").fill("40")
    page.get_by_test_id("general-info-save").click()
    expect(card(page, "2.1").get_by_test_id("general-info-value")).to_have_text("40")

    type_and_save(page, "1.1", "value", "3", "15")  # tiers: 3 meetings → 15
    # Ratio: with only a typed, the engine says b is missing (in Vietnamese), then scores.
    ratio = card(page, "1.2")
    ratio.locator('input[name="a"]').fill("3")
    expect(ratio.get_by_test_id("score")).to_contain_text(
        "Tổng số cuộc họp về CĐS: cần nhập một số."
    )
    type_and_save(page, "1.2", "b", "4", "15")  # ratio 3/4 × 20
    click_and_save(page, "1.3", 'input[value="b"]', "10")  # levels
    click_and_save(page, "1.4", 'input[value="a"]', "5")  # checklist
    click_and_save(page, "1.4", 'input[value="b"]', "10")
    click_and_save(page, "1.5", 'input[value="yes"]', "10")  # yes / no
    type_and_save(page, "2.1", "a", "30", "15")  # 30 of 40 officials × 20
    type_and_save(page, "2.2", "value", "2", "10")  # count × 5
    type_and_save(page, "2.3", "value", "7,5", "7,5")  # manual, Vietnamese decimal comma
    click_and_save(page, "3.1", 'input[value="no"]', "0")
    type_and_save(page, "3.2", "value", "1", "1")
    expect(page.get_by_test_id("answered")).to_contain_text("10")

    # A bad figure shows the engine's message as it is typed, and nothing is saved.
    card(page, "2.3").locator('input[name="value"]').fill("99")
    expect(card(page, "2.3").get_by_test_id("score")).to_contain_text("99")
    card(page, "2.3").locator('input[name="value"]').fill("7,5")
    expect(card(page, "2.3").get_by_test_id("score")).to_contain_text("7,5")

    # Evidence: a real PDF on 1.1, which requires it.
    pdf = tmp_path / "Biên bản họp BCĐ.pdf"
    pdf.write_bytes(real_pdf())
    evidence = card(page, "1.1")
    evidence.get_by_test_id("evidence-add").click()
    evidence.locator('input[type="file"]').set_input_files(str(pdf))
    evidence.get_by_test_id("evidence-file-form").locator('button[type="submit"]').click()
    expect(card(page, "1.1").get_by_test_id("evidence-download")).to_have_text(
        "Biên bản họp BCĐ.pdf"
    )
    shot(page, "unit-detail-desktop")

    scores = dict(
        Response.objects.filter(assessment=assessment).values_list("indicator__code", "self_score")
    )
    assert {code: str(score) for code, score in scores.items()} == {
        "1.1": "15.00",
        "1.2": "15.00",
        "1.3": "10.00",
        "1.4": "10.00",
        "1.5": "10.00",
        "2.1": "15.00",
        "2.2": "10.00",
        "2.3": "7.50",
        "3.1": "0.00",
        "3.2": "1.00",
    }
    stored = Evidence.objects.get()
    assert stored.content_type == "application/pdf" and stored.size == len(real_pdf())

    # The download opens the PDF for who may see it.
    download = page.request.get(live_server.url + f"/tai-lieu/{stored.pk}/")
    assert download.status == 200
    assert download.body() == real_pdf()
    assert download.headers["x-content-type-options"] == "nosniff"

    # The same page on a phone.
    phone = open_page(f"/dang-nhap/?next={detail}", viewport=PHONE)
    sign_in(phone, officer.username)
    expect(phone.get_by_test_id("indicator-card")).to_have_count(10)
    no_horizontal_overflow(phone)
    card(phone, "1.1").get_by_test_id("evidence-add").click()
    expect(card(phone, "1.1").get_by_test_id("evidence-file-form")).to_be_visible()
    no_horizontal_overflow(phone)
    shot(phone, "unit-detail-phone")

    page.reload()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("state")).to_have_text("Đã tự đánh giá")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SELF_ASSESSED
    expect(page.get_by_test_id("read-only-banner")).to_be_visible()
    expect(page.get_by_test_id("answer-form")).to_have_count(0)

    # The leader reviews and confirms.
    review = open_page(f"/dang-nhap/?next=/danh-gia/{assessment.pk}/xac-nhan/")
    sign_in(review, leader.username)
    expect(review.get_by_test_id("total")).to_have_text("92,50 / 150")
    expect(review.get_by_test_id("pillar-score")).to_have_count(3)
    expect(review.get_by_test_id("confirm")).to_be_enabled()
    shot(review, "unit-review-desktop")
    review_phone = open_page(
        f"/dang-nhap/?next=/danh-gia/{assessment.pk}/xac-nhan/", viewport=PHONE
    )
    sign_in(review_phone, leader.username)
    no_horizontal_overflow(review_phone)
    shot(review_phone, "unit-review-phone")

    # Confirming cannot be undone: the leader types their password again.
    review.locator('input[name="password"]').fill(PASSWORD)
    review.get_by_test_id("confirm").click()
    expect(review.get_by_test_id("read-only-banner")).to_be_visible()
    expect(review.get_by_test_id("state")).to_have_text("Đã xác nhận")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.CONFIRMED

    # The officer's page is read-only now.
    page.goto(live_server.url + detail)
    expect(page.get_by_test_id("read-only-banner")).to_be_visible()
    expect(page.get_by_test_id("answer-form")).to_have_count(0)
    expect(page.get_by_test_id("evidence-remove")).to_have_count(0)
    expect(page.get_by_test_id("submit")).to_have_count(0)
    shot(page, "unit-read-only-desktop")
    phone.goto(live_server.url + detail)
    no_horizontal_overflow(phone)
    shot(phone, "unit-read-only-phone")
