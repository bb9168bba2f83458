"""The indicators admin: Excel upload, frozen sets read-only, actions, derived maxima."""

import io
import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from indicators import excel, services
from indicators.models import Indicator, IndicatorSet, SetStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CHANGELIST = reverse("admin:indicators_indicatorset_changelist")
IMPORT = reverse("admin:indicators_indicatorset_import")


def change_url(indicator_set):
    return reverse("admin:indicators_indicatorset_change", args=[indicator_set.pk])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(content, name="bo-chi-so.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.fixture
def admin_client(admin_client, settings):
    """The admin in English, so that messages are their msgids whatever the .po says."""
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


@pytest.fixture
def frozen_set(full_set):
    return services.indicator_set_freeze(indicator_set=full_set)


def test_the_changelist_links_to_the_upload_page(admin_client, full_set):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert f'href="{IMPORT}"' in response.content.decode()
    assert IMPORT == "/admin/indicators/indicatorset/import/"


def test_the_upload_page_offers_a_file_field(admin_client):
    response = admin_client.get(IMPORT)
    assert response.status_code == 200
    assert '<input type="file" name="file"' in response.content.decode()


@pytest.mark.parametrize(
    "url", ["admin:indicators_indicatorset_add", "admin:indicators_indicator_add"]
)
def test_the_add_pages_render(admin_client, full_set, url):
    assert admin_client.get(reverse(url)).status_code == 200


def test_a_good_workbook_creates_a_draft_set_and_opens_it(admin_client, full_set, snapshot):
    content = excel.export_indicator_set(full_set)

    response = admin_client.post(IMPORT, {"file": upload(content), "name": "Bộ chỉ số 2025"})

    imported = IndicatorSet.objects.get(name="Bộ chỉ số 2025")
    assert response.status_code == 302
    assert response.url == change_url(imported)
    assert imported.status == SetStatus.DRAFT
    assert snapshot(imported) == snapshot(full_set)


def test_a_bad_workbook_shows_every_error_and_saves_nothing(admin_client, full_set, edit_workbook):
    def spoil(workbook):
        workbook["Chỉ số"]["H3"] = "hai mươi"
        workbook["Chỉ số"]["I4"] = "Bốc thăm"

    content = edit_workbook(excel.export_indicator_set(full_set), spoil).getvalue()

    response = admin_client.post(IMPORT, {"file": upload(content), "name": "Bản lỗi"})

    assert response.status_code == 200
    assert [(e.sheet, e.row, e.column) for e in response.context["errors"]] == [
        ("Chỉ số", 3, "H"),
        ("Chỉ số", 4, "I"),
    ]
    page = response.content.decode()
    assert "<td>Chỉ số</td>\n            <td>3</td>\n            <td>H</td>" in page
    assert "“Điểm tối đa” must be a number, not “hai mươi”." in page
    assert "nothing was saved" in page
    assert IndicatorSet.objects.count() == 1


def test_a_file_that_is_not_a_workbook_is_an_error_not_a_crash(admin_client):
    response = admin_client.post(IMPORT, {"file": upload(b"PK\x03\x04 rubbish")})
    assert response.status_code == 200
    assert [e.message for e in response.context["errors"]] == [
        "The file is not an Excel workbook (.xlsx). Open it in Excel and save it as "
        "“Excel Workbook (.xlsx)”."
    ]
    assert IndicatorSet.objects.count() == 0


def test_the_upload_size_is_limited_by_the_setting(admin_client, full_set, settings):
    settings.INDICATOR_SET_IMPORT_MAX_BYTES = 1024
    content = excel.export_indicator_set(full_set)

    response = admin_client.post(IMPORT, {"file": upload(content), "name": "Quá lớn"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["The file is larger than 1.0\xa0KB."]}
    assert IndicatorSet.objects.count() == 1


def test_only_users_who_may_add_sets_reach_the_upload_page(client, make_user):
    staff = make_user("nhan.vien", is_staff=True)
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 403


def test_the_set_page_shows_derived_maxima_read_only(admin_client, full_set):
    response = admin_client.get(change_url(full_set))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<div class="readonly">227.50</div>' in page
    pillar_maxima = re.findall(r'<td class="field-derived_max_points">\s*<p>([^<]*)</p>', page)
    assert pillar_maxima == ["70.00", "32.50", "0.00", "70.00", "25.00", "30.00", "-"]
    assert 'name="max_points"' not in page
    assert 'name="pillars-0-total_max"' not in page


def test_the_changelist_shows_derived_maxima(admin_client, full_set):
    response = admin_client.get(CHANGELIST)
    assert '<td class="field-derived_max_points">227.50</td>' in response.content.decode()


def test_a_frozen_set_is_read_only(admin_client, frozen_set):
    page = admin_client.get(change_url(frozen_set)).content.decode()
    assert 'name="_save"' not in page
    assert 'name="pillars-0-name"' not in page

    response = admin_client.post(
        change_url(frozen_set),
        {"name": "Đổi tên", "tier": "district", "year": 2030, "bonus_rule": "add_capped"},
    )

    assert response.status_code == 403
    assert IndicatorSet.objects.get(pk=frozen_set.pk).name == "Bộ chỉ số DTI cấp huyện"


def test_a_frozen_set_cannot_be_deleted_from_the_admin(admin_client, frozen_set):
    url = reverse("admin:indicators_indicatorset_delete", args=[frozen_set.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert IndicatorSet.objects.filter(pk=frozen_set.pk).exists()


def test_an_indicator_of_a_frozen_set_is_read_only(admin_client, frozen_set):
    indicator = Indicator.objects.get(pillar__indicator_set=frozen_set, code="1.1")
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])

    page = admin_client.get(url).content.decode()
    assert "4 → 20; 3 → 15; 2 → 10; 1 → 5; đơn vị: cuộc họp" in page
    assert 'name="_save"' not in page
    response = admin_client.post(url, {"name": "Đổi", "max_points": "1"})

    assert response.status_code == 403
    assert Indicator.objects.get(pk=indicator.pk).max_points == 20


def indicator_post(indicator, **changes):
    data = {
        "pillar": indicator.pillar_id,
        "code": indicator.code,
        "name": indicator.name,
        "order": indicator.order,
        "max_points": str(indicator.max_points),
        "method": indicator.method,
        "rule_text": "",
        "guidance": "",
        "evidence_required": "",
        "data_source": "",
        "verifier": "",
        "source_note": "",
    }
    return {**data, **changes}


def test_the_rule_is_edited_as_text(admin_client, full_set):
    indicator = Indicator.objects.get(pillar__indicator_set=full_set, code="1.1")
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])

    response = admin_client.post(url, indicator_post(indicator, rule_text="2 → 20; 1 → 10"))

    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.rule == {"tiers": [{"min": "2", "points": "20"}, {"min": "1", "points": "10"}]}


@pytest.mark.parametrize(
    ("rule_text", "message"),
    [
        ("2 → hai mươi", "Cannot read “2 → hai mươi”"),
        ("2 → 25", "Tier from 2: 25 points is more than the maximum 20.00."),
    ],
)
def test_a_bad_rule_text_is_shown_on_the_rule_field(admin_client, full_set, rule_text, message):
    indicator = Indicator.objects.get(pillar__indicator_set=full_set, code="1.1")
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])

    response = admin_client.post(url, indicator_post(indicator, rule_text=rule_text))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["rule_text"]
    assert errors["rule_text"][0].startswith(message)
    indicator.refresh_from_db()
    assert indicator.rule["unit"] == "cuộc họp"


def test_the_copy_action_asks_the_year_then_creates_a_draft_copy(
    admin_client, frozen_set, snapshot
):
    action = {"action": "copy_to_new_year", ACTION_CHECKBOX_NAME: [frozen_set.pk]}

    asked = admin_client.post(CHANGELIST, {**action, "index": 0})
    assert asked.status_code == 200
    assert asked.context["form"].initial == {"year": 2025, "name": "Bộ chỉ số DTI cấp huyện"}

    done = admin_client.post(
        CHANGELIST, {**action, "apply": "1", "year": "2025", "name": "Bộ chỉ số DTI cấp huyện"}
    )

    copy = IndicatorSet.objects.get(year=2025)
    assert done.status_code == 302
    assert done.url == change_url(copy)
    assert (copy.status, copy.copied_from_id) == (SetStatus.DRAFT, frozen_set.pk)
    original, copied = snapshot(frozen_set), snapshot(copy)
    assert copied["set"].pop("status") == "draft"
    assert original["set"].pop("status") == "frozen"
    # The copy starts a new legal basis: the decision is the next year's to fill in.
    for field in ("year", "decision_number", "decision_date"):
        original["set"].pop(field), copied["set"].pop(field)
    assert copied == original


def test_the_copy_action_shows_a_name_clash_on_its_page(admin_client, full_set):
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "copy_to_new_year",
            ACTION_CHECKBOX_NAME: [full_set.pk],
            "apply": "1",
            "year": "2024",
            "name": full_set.name,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A set named “Bộ chỉ số DTI cấp huyện” already exists for 2024."
    ]
    assert IndicatorSet.objects.count() == 1


def test_the_activate_action(admin_client, full_set):
    response = admin_client.post(
        CHANGELIST, {"action": "activate", ACTION_CHECKBOX_NAME: [full_set.pk], "index": 0}
    )
    assert response.status_code == 302
    assert IndicatorSet.objects.get(pk=full_set.pk).status == SetStatus.ACTIVE


def test_the_export_action_downloads_the_workbook(admin_client, full_set):
    response = admin_client.post(
        CHANGELIST, {"action": "export_to_excel", ACTION_CHECKBOX_NAME: [full_set.pk], "index": 0}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="bo-chi-so-bo-chi-so-dti-cap-huyen-2024.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook["Bộ chỉ số"]["B2"].value == "Bộ chỉ số DTI cấp huyện"


def test_indicators_are_filtered_by_set_and_pillar(admin_client, full_set):
    pillar = full_set.pillars.get(code="2")
    response = admin_client.get(
        reverse("admin:indicators_indicator_changelist"),
        {"pillar__indicator_set__id__exact": full_set.pk, "pillar": pillar.pk},
    )
    assert response.status_code == 200
    assert [i.code for i in response.context["cl"].result_list] == ["2.1", "2.2"]


def test_max_points_are_typed_with_a_vietnamese_decimal_comma(admin_client, full_set):
    indicator = Indicator.objects.get(pillar__indicator_set=full_set, code="1.1")
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    admin_client.cookies["django_language"] = "vi"

    page = admin_client.get(url).content.decode()
    assert 'name="max_points" value="20,00"' in page
    response = admin_client.post(
        url, indicator_post(indicator, max_points="22,5", rule_text="2 → 20; 1 → 10")
    )

    assert response.status_code == 302
    assert Indicator.objects.get(pk=indicator.pk).max_points == Decimal("22.50")


def test_the_year_is_not_grouped_like_a_number(admin_client, full_set):
    page = admin_client.get(reverse("admin:indicators_indicatorset_changelist")).content.decode()
    assert f'<td class="field-year">{full_set.year}</td>' in page
