"""The appraisal in a real browser: the workbench, the matrix, and one unit's whole walk.

Screenshots of the workbench and the assignment matrix (1280 and 375 px wide)
go to ``DTI_SCREENSHOTS`` (or /tmp/shots-council/ when unset).
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    PhaseKind,
    Response,
    User,
)
from councils import services
from councils.models import Appraisal, CouncilRole
from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, UserFactory, open_campaign, set_window, unit_tree

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
SHOTS = Path(os.environ.get("DTI_SCREENSHOTS") or "/tmp/shots-council")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, username):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def person(**fields):
    user = UserFactory(**fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def no_horizontal_overflow(page):
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], f"page is {widths[0]} px wide at {PHONE['width']} px"


@pytest.fixture
def council_world(transactional_db):
    tree = unit_tree(communes=3)
    district = tree["district"]
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=district)
    police = AgencyFactory(name="Công an huyện", unit=district)
    organizer = person(username="to.chuc", agency=culture, roles=["organizer"])
    chair = person(username="chu.tich", full_name="Chủ tịch Hà", agency=culture)
    officer = person(username="cong.an", full_name="Công an Minh", agency=police)
    campaign = open_campaign(organizer=organizer)
    council = services.council_create(
        campaign=campaign, user=organizer, decision_number="1234/QĐ-UBND"
    )
    members = {
        "chair": services.member_add(
            council=council, user=organizer, member_user=chair, role=CouncilRole.CHAIR
        ),
        "police": services.member_add(council=council, user=organizer, member_user=officer),
    }
    pillars = {p.code: p for p in campaign.indicator_set.pillars.all()}
    services.assignment_set(
        council=council, user=organizer, member=members["chair"], pillars=[pillars["1"]]
    )
    services.assignment_set(
        council=council, user=organizer, member=members["police"], pillars=[pillars["2"]]
    )
    for response in Response.objects.filter(assessment__campaign=campaign).select_related(
        "indicator"
    ):
        value = {"2.1": "10", "2.2": "5"}.get(response.indicator.code)
        if value:
            Response.objects.filter(pk=response.pk).update(
                inputs={"value": value}, self_score=Decimal(value), version=1
            )
    Assessment.objects.filter(campaign=campaign).update(state=AssessmentState.CONFIRMED)
    set_window(campaign, PhaseKind.ROUND_1, "open")
    return campaign


def row(page, unit, code):
    return page.locator(f'[data-testid="workbench-row"][data-unit="{unit}"][data-code="{code}"]')


def test_a_member_records_round_one_scores_in_the_browser(open_page, council_world):
    campaign = council_world
    page = open_page(f"/tham-dinh/{campaign.pk}/")
    sign_in(page, "cong.an")
    expect(page.get_by_test_id("progress-overall")).to_have_text("0/6")
    shot(page, "workbench-1280")

    target = row(page, "Xã B", "2.1")
    target.get_by_test_id("score-input").fill("8")
    target.get_by_test_id("record").click()
    expect(target.get_by_test_id("row-errors")).to_contain_text("10.00")
    target.get_by_test_id("comment-input").fill("Thiếu biên bản họp.")
    target.get_by_test_id("record").click()
    expect(target.get_by_test_id("row-saved")).to_be_visible()
    expect(target.get_by_test_id("round-1")).to_have_text("8")

    same = row(page, "Xã B", "2.2")
    same.get_by_test_id("score-input").fill("5")
    same.get_by_test_id("record").click()
    expect(same.get_by_test_id("row-saved")).to_be_visible()

    scores = dict(
        Appraisal.objects.filter(response__assessment__unit__name="Xã B").values_list(
            "response__indicator__code", "score"
        )
    )
    assert scores == {"2.1": Decimal("8.00"), "2.2": Decimal("5.00")}

    phone = open_page(f"/tham-dinh/{campaign.pk}/", viewport=PHONE)
    sign_in(phone, "cong.an")
    expect(phone.get_by_test_id("progress-overall")).to_have_text("2/6")
    no_horizontal_overflow(phone)
    shot(phone, "workbench-375")


def test_the_assignment_matrix_at_both_widths(open_page, council_world):
    campaign = council_world
    page = open_page(f"/hoi-dong/{campaign.pk}/phan-cong/")
    sign_in(page, "to.chuc")
    expect(page.get_by_test_id("matrix")).to_be_visible()
    shot(page, "matrix-1280")
    phone = open_page(f"/hoi-dong/{campaign.pk}/phan-cong/", viewport=PHONE)
    sign_in(phone, "to.chuc")
    expect(phone.get_by_test_id("matrix")).to_be_visible()
    no_horizontal_overflow(phone)
    shot(phone, "matrix-375")


def test_one_unit_from_confirmed_through_both_rounds_to_appraised_two(open_page, council_world):
    """Member, chair, organizer and the unit's officer each do their part in Chromium."""
    campaign = council_world
    commune = AdministrativeUnit.objects.get(name="Xã B")
    assessment = Assessment.objects.get(campaign=campaign, unit=commune)
    person(username="can.bo.xa.b", full_name="Cán bộ xã B", unit=commune, roles=["unit_officer"])
    set_window(campaign, PhaseKind.EXPLANATION, "not_yet")
    # The chair's pillar-1 scores for this unit are recorded beforehand (the member's
    # own path through the workbench is the police officer's below).
    for code in ("1.1", "1.2"):
        services.appraisal_record(
            response=Response.objects.get(assessment=assessment, indicator__code=code),
            member_user=User.objects.get(username="chu.tich"),
            round=1,
            score="0",
            comment="Không có tài liệu kiểm chứng.",
        )

    # Round 1: the police member appraises pillar 2; 2.1 lower than the self score.
    member = open_page(f"/tham-dinh/{campaign.pk}/?unit={commune.pk}")
    sign_in(member, "cong.an")
    target = row(member, "Xã B", "2.1")
    target.get_by_test_id("score-input").fill("6")
    target.get_by_test_id("comment-input").fill("Chỉ có 6 biên bản hợp lệ.")
    target.get_by_test_id("record").click()
    expect(target.get_by_test_id("row-saved")).to_be_visible()
    same = row(member, "Xã B", "2.2")
    same.get_by_test_id("score-input").fill("5")
    same.get_by_test_id("record").click()
    expect(same.get_by_test_id("row-saved")).to_be_visible()

    # The chair closes round 1 for the unit.
    chair = open_page(f"/hoi-dong/{campaign.pk}/ket-thuc-vong/")
    sign_in(chair, "chu.tich")
    unit_row = chair.locator('[data-testid="round-unit"][data-unit="Xã B"]')
    unit_row.get_by_test_id("close-1").click()
    expect(unit_row.get_by_test_id("state")).to_have_text("Đã thẩm định lần 1")

    # The organizer opens the explanation once its window is open.
    set_window(campaign, PhaseKind.EXPLANATION, "open")
    organizer = open_page(f"/hoi-dong/{campaign.pk}/ket-thuc-vong/")
    sign_in(organizer, "to.chuc")
    unit_row = organizer.locator('[data-testid="round-unit"][data-unit="Xã B"]')
    unit_row.get_by_test_id("open-explanation").click()
    expect(unit_row.get_by_test_id("state")).to_have_text("Giải trình")

    # The unit's officer sees the round-1 scores from the home page and disputes 2.1.
    officer = open_page("/")
    sign_in(officer, "can.bo.xa.b")
    officer.get_by_test_id("explain").click()
    disputed = officer.locator('[data-testid="explain-row"][data-code="2.1"]')
    expect(disputed.get_by_test_id("round-1")).to_have_text("6")
    disputed.locator("textarea").fill("Xã đã họp 10 lần; bổ sung 4 biên bản còn thiếu.")
    disputed.get_by_test_id("save-draft").click()
    disputed = officer.locator('[data-testid="explain-row"][data-code="2.1"]')
    expect(disputed.get_by_test_id("explanation-status")).to_contain_text("Bản nháp")
    disputed.get_by_test_id("submit-explanation").click()
    disputed = officer.locator('[data-testid="explain-row"][data-code="2.1"]')
    expect(disputed.get_by_test_id("explanation-status")).to_contain_text("Đã gửi")
    shot(officer, "explanation-1280")

    # The window closes; round 2: the disputed indicator comes first, re-appraised.
    set_window(campaign, PhaseKind.EXPLANATION, "closed")
    set_window(campaign, PhaseKind.ROUND_2, "open")
    member.goto(member.url)
    first = member.get_by_test_id("workbench-row").first
    expect(first).to_have_attribute("data-code", "2.1")
    expect(first.get_by_test_id("disputed")).to_be_visible()
    first.get_by_test_id("score-input").fill("10")
    first.get_by_test_id("comment-input").fill("Đã đủ biên bản sau giải trình.")
    first.get_by_test_id("record").click()
    expect(first.get_by_test_id("row-saved")).to_be_visible()
    expect(first.get_by_test_id("round-2")).to_have_text("10")

    # The chair closes round 2.
    chair.goto(chair.url)
    unit_row = chair.locator('[data-testid="round-unit"][data-unit="Xã B"]')
    unit_row.get_by_test_id("close-2").click()
    expect(unit_row.get_by_test_id("state")).to_have_text("Đã thẩm định lần 2")

    # The unit sees self, round-1, round-2 and final scores side by side.
    officer.goto(officer.url.split("/giai-trinh/")[0] + "/")
    officer.get_by_test_id("appraisal-results").click()
    final = officer.locator('[data-testid="scores"] tr[data-code="2.1"]')
    expect(final.get_by_test_id("final")).to_have_text("10")
    expect(final).to_contain_text("6")
    shot(officer, "results-1280")

    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.APPRAISED_2
    rounds = dict(
        Appraisal.objects.filter(
            response__assessment=assessment, response__indicator__code="2.1"
        ).values_list("round", "score")
    )
    assert rounds == {1: Decimal("6.00"), 2: Decimal("10.00")}
