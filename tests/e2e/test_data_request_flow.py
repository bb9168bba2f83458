"""A data request in a real browser: a council member asks the police from the workbench,
the police's data provider answers from the home page with a file, the member reads it.

Selectors are the pages' test ids, whatever the language of the catalog.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from councils import services as council_services
from providers.models import DataRequest, DataRequestFile
from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, UserFactory, open_campaign, unit_tree

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"


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
def scene(transactional_db, settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    tree = unit_tree()
    district = tree["district"]
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=district)
    police = AgencyFactory(name="Công an huyện", kind="police", unit=district)
    organizer = person(username="to.chuc", agency=culture, roles=["organizer"])
    member = person(username="cong.an", full_name="Công an Minh", agency=police)
    person(username="so.lieu", full_name="Số liệu Công an", agency=police, roles=["data_provider"])
    campaign = open_campaign(organizer=organizer)
    council = council_services.council_create(
        campaign=campaign, user=organizer, decision_number="1234/QĐ-UBND"
    )
    added = council_services.member_add(council=council, user=organizer, member_user=member)
    pillars = {p.code: p for p in campaign.indicator_set.pillars.all()}
    council_services.assignment_set(
        council=council, user=organizer, member=added, pillars=[pillars["2"]]
    )
    return campaign


def test_a_member_asks_and_the_police_answer_with_a_file(open_page, live_server, scene, tmp_path):
    member = open_page(f"/tham-dinh/{scene.pk}/")
    sign_in(member, "cong.an")
    row = member.locator('[data-testid="workbench-row"][data-unit="Xã A"][data-code="2.1"]')
    row.get_by_test_id("ask-data").click()
    form = member.get_by_test_id("ask-form")
    form.locator('select[name="agency"]').select_option(label="Công an huyện (Huyện Thử)")
    # A due date in the past is refused and the question stays.
    form.locator('input[name="due_date"]').fill("01/01/2020")
    form.locator('textarea[name="question"]').fill("Số vụ việc tiếp nhận qua mạng năm 2025?")
    form.get_by_test_id("ask").click()
    expect(member.get_by_test_id("ask-errors")).to_be_visible()
    due = timezone.localdate() + timedelta(days=5)
    form = member.get_by_test_id("ask-form")
    expect(form.locator('textarea[name="question"]')).to_have_value(
        "Số vụ việc tiếp nhận qua mạng năm 2025?"
    )
    form.locator('input[name="due_date"]').fill(due.strftime("%d/%m/%Y"))
    form.get_by_test_id("ask").click()
    thread = member.get_by_test_id("thread-request")
    expect(thread).to_have_count(1)
    expect(thread).to_have_attribute("data-status", "open")
    assert DataRequest.objects.get().due_date == due

    provider = open_page("/", viewport=PHONE)
    sign_in(provider, "so.lieu")
    expect(provider.get_by_test_id("data-request-counts")).to_contain_text("1")
    provider.get_by_test_id("data-requests-link").click()
    provider.get_by_test_id("request-row").locator("a").first.click()
    expect(provider.get_by_test_id("request-question")).to_have_text(
        "Số vụ việc tiếp nhận qua mạng năm 2025?"
    )
    provider.get_by_test_id("answer-text").fill("12 vụ việc, theo sổ tiếp nhận.")
    pdf = tmp_path / "Sổ tiếp nhận.pdf"
    pdf.write_bytes(PDF)
    provider.get_by_test_id("answer-files").set_input_files(str(pdf))
    provider.get_by_test_id("send-answer").click()
    expect(provider.get_by_test_id("request-answer")).to_contain_text("12 vụ việc")
    expect(provider.get_by_test_id("request-file")).to_have_text("Sổ tiếp nhận.pdf")
    expect(provider.get_by_test_id("answer-form")).to_have_count(0)
    widths = provider.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], widths

    member.reload()
    expect(member.get_by_test_id("thread-request")).to_have_attribute("data-status", "answered")
    expect(member.get_by_test_id("thread-answer")).to_contain_text("12 vụ việc, theo sổ tiếp nhận.")
    href = member.get_by_test_id("thread-file").get_attribute("href")
    download = member.request.get(live_server.url + href)
    assert (download.status, download.body()) == (200, PDF)
    assert download.headers["content-type"] == "application/pdf"
    assert DataRequestFile.objects.get().original_name == "Sổ tiếp nhận.pdf"
