"""The first pages in a real browser: sign-in, home, language, methodology, phone width."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "Dung-mat-khau-2025"
PHONE = {"width": 375, "height": 740}


def test_chromium_is_installed():
    """Fails, never skips, without the browser: the other tests here would only error."""
    assert Path("/usr/bin/chromium").exists(), (
        "Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)."
    )


def sign_in(page, username, password=PASSWORD):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def assert_no_horizontal_overflow(page):
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], f"page is {widths[0]} px wide at {PHONE['width']} px"


def test_sign_in_reaches_home_and_sign_out_returns_to_login(open_page, make_user, snap):
    make_user("nguyen.van.an", password=PASSWORD, full_name="Nguyễn Văn An", roles=["unit_officer"])
    page = open_page("/")
    assert page.url.endswith("/dang-nhap/?next=/")
    expect(page.get_by_text("Vui lòng đăng nhập để tiếp tục.")).to_be_visible()

    sign_in(page, "nguyen.van.an", "sai-mat-khau")
    expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    snap(page, "login-error-desktop")

    sign_in(page, "nguyen.van.an")
    expect(page.get_by_test_id("greeting")).to_have_text("Xin chào, Nguyễn Văn An")
    expect(page.get_by_test_id("roles")).to_contain_text("Công chức được giao")
    expect(page.get_by_test_id("current-user")).to_contain_text("Nguyễn Văn An")
    snap(page, "home-desktop")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    assert page.url.endswith("/dang-nhap/")


def test_methodology_page_shows_pillars_totals_and_rules(open_page, make_indicator_set, snap):
    indicator_set = make_indicator_set(name="Bộ chỉ số DTI cấp xã năm 2025")
    page = open_page("/phuong-phap/")
    page.get_by_role("link", name="Bộ chỉ số DTI cấp xã năm 2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bộ chỉ số DTI cấp xã năm 2025")
    assert page.url.endswith(f"/phuong-phap/{indicator_set.pk}/")

    pillars = page.get_by_test_id("pillar")
    expect(pillars).to_have_count(3)
    expect(pillars.nth(0)).to_contain_text("1. Nhận thức số")
    expect(page.get_by_test_id("pillar-max").nth(0)).to_have_text("tối đa 80 điểm")
    expect(page.get_by_test_id("pillar-max").nth(1)).to_have_text("tối đa 45 điểm")
    expect(page.get_by_test_id("set-max")).to_have_text("150")
    expect(page.get_by_text("Theo số lượng (cuộc họp): ≥ 4 → 20 điểm")).to_be_visible()
    expect(page.get_by_text("Chọn một mức: Chủ tịch là Trưởng ban → 20 điểm")).to_be_visible()
    expect(page.get_by_test_id("illustrative-badge")).to_have_text("minh họa")
    expect(page.get_by_test_id("illustrative-note")).to_be_visible()
    expect(page.get_by_test_id("rankings").get_by_role("listitem")).to_have_count(4)
    snap(page, "methodology-desktop")


def test_pages_fit_a_375px_phone(open_page, live_server, make_user, make_indicator_set, snap):
    indicator_set = make_indicator_set()
    make_user("tran.thi.binh", password=PASSWORD, full_name="Trần Thị Bình", roles=["unit_leader"])

    page = open_page("/dang-nhap/", viewport=PHONE)
    assert_no_horizontal_overflow(page)
    snap(page, "login-phone")
    sign_in(page, "tran.thi.binh")
    expect(page.get_by_test_id("greeting")).to_be_visible()
    assert_no_horizontal_overflow(page)
    snap(page, "home-phone")

    # The menu folds behind its button on a phone and still fits when opened.
    page.get_by_role("button", name="Mở hoặc đóng trình đơn").click()
    expect(page.locator("#main-menu")).to_have_class(re.compile(r"\bcollapse show\b"))
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    assert_no_horizontal_overflow(page)
    snap(page, "home-phone-menu")

    for path, name in [
        ("/phuong-phap/", "methodology-index-phone"),
        (f"/phuong-phap/{indicator_set.pk}/", "methodology-phone"),
    ]:
        page.goto(live_server.url + path)
        assert_no_horizontal_overflow(page)
        snap(page, name)


def test_switching_language_to_english(open_page, snap):
    page = open_page("/dang-nhap/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    assert "/dang-nhap/" in page.url
    snap(page, "login-english")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
