"""The API in a real browser: the docs page loads nothing from another site (offices'
networks are closed), and a person makes a token, uses it, and revokes it."""

import pytest
from playwright.sync_api import expect

from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "Dung-mat-khau-2025"


def test_the_api_docs_load_only_from_this_site(chromium, live_server, transactional_db, snap):
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/api/v1/docs")
    operations = page.locator(".opblock")
    expect(operations).to_have_count(7)
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    snap(page, "api-docs")
    assert any(url.endswith("/api/v1/openapi.json") for url in requested)
    outside = [url for url in requested if not url.startswith((live_server.url, "data:"))]
    assert outside == []
    context.close()


def test_a_person_makes_uses_and_revokes_a_token(open_page, live_server, snap):
    person = UserFactory(
        username="hoang.vien.thong", agency=AgencyFactory(name="Viettel"), roles=["data_provider"]
    )
    person.set_password(PASSWORD)
    person.save()
    page = open_page("/tai-khoan/api/")
    page.get_by_label("Tên đăng nhập").fill("hoang.vien.thong")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("no-tokens")).to_be_visible()

    page.locator("#id_name").fill("Hệ thống báo cáo Viettel")
    page.get_by_test_id("token-create").click()
    token = page.get_by_test_id("new-token-value").input_value()
    assert token.startswith("dti_")
    snap(page, "api-token-created")
    api = f"{live_server.url}/api/v1/provider/campaigns"
    used = page.request.get(api, headers={"Authorization": f"Bearer {token}"})
    assert (used.status, used.json()) == (200, [])
    # the session alone is not a token
    assert page.request.get(api).status == 401

    page.reload()  # the token is shown once; reloading makes no second one
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.get_by_test_id("token")).to_have_count(1)
    expect(page.get_by_test_id("token")).to_contain_text(token[:12])
    expect(page.get_by_test_id("token-status")).to_have_attribute("data-state", "active")
    page.get_by_test_id("token-revoke").click()
    expect(page.get_by_test_id("token-status")).to_have_attribute("data-state", "revoked")
    assert page.request.get(api, headers={"Authorization": f"Bearer {token}"}).status == 401
