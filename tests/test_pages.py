"""The first pages: sign-in, home, and the public methodology pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

PASSWORD = "Dung-mat-khau-2025"

LOGIN_URL = reverse("login")
HOME_URL = reverse("home")
INDEX_URL = reverse("indicators:methodology_index")


def methodology_url(indicator_set):
    return reverse("indicators:methodology", args=[indicator_set.pk])


def text(response):
    return response.content.decode()


# --- Sign-in ------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_vietnamese_by_default(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    assert "Tên đăng nhập" in page
    assert "Mật khẩu" in page
    assert "Chỉ số chuyển đổi số (DTI)" in page


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(client):
    # Many office PCs run an English Windows; the officials did not ask for English.
    page = text(client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    assert "Sign in" not in page


@pytest.mark.django_db
def test_login_page_is_english_when_the_language_cookie_says_so(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(client.get(LOGIN_URL))
    assert "Username" in page
    assert "Password" in page


def test_wrong_password_shows_the_vietnamese_error(client, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    response = client.post(LOGIN_URL, {"username": "nguyen.van.an", "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in text(response)
    assert "_auth_user_id" not in client.session


def test_correct_password_signs_in_and_goes_home(client, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    response = client.post(LOGIN_URL, {"username": "nguyen.van.an", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_logout_is_a_post_and_returns_to_the_login_page(client, make_user):
    client.force_login(make_user())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert client.get(HOME_URL).status_code == 302


# --- Home -------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get(HOME_URL)
    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={HOME_URL}"


def test_home_greets_the_user_and_shows_role_and_unit(client, make_user):
    from assessments.models import AdministrativeUnit

    district = AdministrativeUnit.objects.create(name="Huyện Tây Sơn", kind="huyen")
    commune = AdministrativeUnit.objects.create(name="Xã Bình Tường", kind="xa", parent=district)
    user = make_user(
        "tran.thi.binh", roles=["unit_officer"], full_name="Trần Thị Bình", unit=commune
    )
    client.force_login(user)
    page = text(client.get(HOME_URL))
    assert "Xin chào, Trần Thị Bình" in page
    assert "Công chức được giao" in page  # Role.UNIT_OFFICER
    assert "Xã Bình Tường" in page
    assert "Huyện Tây Sơn" in page
    assert "nhập số liệu, tự chấm điểm" in page
    assert reverse("admin:index") not in page


def test_home_shows_the_admin_link_to_staff(client, make_user):
    client.force_login(make_user("quan.tri", roles=["administrator"], is_staff=True))
    page = text(client.get(HOME_URL))
    assert "Quản trị hệ thống" in page
    assert reverse("admin:index") in page


def test_home_uses_a_bounded_number_of_queries(client, make_user, django_assert_max_num_queries):
    user = make_user(roles=["unit_officer", "unit_leader", "council_member"])
    client.force_login(user)
    with django_assert_max_num_queries(5):
        response = client.get(HOME_URL)
    assert response.status_code == 200
    page = text(response)
    for role in ("Công chức được giao", "Lãnh đạo đơn vị", "Thành viên Hội đồng thẩm định"):
        assert role in page


# --- Methodology index ------------------------------------------------------------------


def test_methodology_index_lists_only_active_and_frozen_sets(client, make_indicator_set):
    make_indicator_set(name="Bộ chỉ số đang áp dụng", status="active")
    make_indicator_set(name="Bộ chỉ số đã dùng", status="frozen", year=2024)
    make_indicator_set(name="Bộ chỉ số đang soạn", status="draft", year=2026)
    response = client.get(INDEX_URL)
    assert response.status_code == 200
    page = text(response)
    assert "Bộ chỉ số đang áp dụng" in page
    assert "Bộ chỉ số đã dùng" in page
    assert "Bộ chỉ số đang soạn" not in page
    assert "Năm 2025" in page and "Năm 2024" in page
    assert "Quyết định số 1901/QĐ-UBND ngày 30/05/2025 của UBND tỉnh Bình Định" in page
    # Years newest first.
    assert page.index("Năm 2025") < page.index("Năm 2024")


# --- Methodology page -----------------------------------------------------------------------


def test_draft_set_is_not_public(client, make_indicator_set):
    draft = make_indicator_set(status="draft")
    assert client.get(methodology_url(draft)).status_code == 404


def test_methodology_page_shows_derived_totals_and_rules(client, make_indicator_set):
    indicator_set = make_indicator_set()
    response = client.get(methodology_url(indicator_set))
    assert response.status_code == 200
    page = text(response)
    # Legal basis, date as dd/mm/yyyy.
    assert "1901/QĐ-UBND" in page
    assert "30/05/2025" in page
    assert "UBND tỉnh Bình Định" in page
    # Derived maxima: pillar 1 = 80, pillar 2 = 45, group I = 125, pillar 3 = 25, set = 150.
    assert 'data-testid="set-max">150<' in page
    assert "tối đa 80 điểm" in page
    assert "tối đa 45 điểm" in page
    assert "tối đa 125 điểm" in page
    assert "tối đa 25 điểm" in page
    # The bonus indicator is listed apart and not in the sum.
    assert 'data-testid="bonus"' in page
    assert "Sáng kiến chuyển đổi số được công nhận" in page
    assert "tối đa 30 điểm" not in page
    # Each method described in plain Vietnamese.
    assert "Theo số lượng (cuộc họp): ≥ 4 → 20 điểm; ≥ 3 → 15 điểm" in page
    assert "Tỉ lệ a/b × điểm tối đa" in page
    assert "lấy từ thông tin chung “Tổng số cán bộ, công chức”" in page
    assert "nếu b = 0: 0 điểm" in page
    assert "nếu b = 0: đạt điểm tối đa" in page
    assert "Chọn một mức: Chủ tịch là Trưởng ban → 20 điểm" in page
    assert "Cộng điểm các phần: Dự đầy đủ các phiên họp của tỉnh → 5 điểm" in page
    assert "Có → điểm tối đa (10 điểm); Không → 0 điểm" in page
    assert "Số lượng × 5 điểm, tối đa 15 điểm" in page
    assert "Nhập điểm từ 0 đến tối đa (10 điểm)" in page
    # Illustrative rows: a badge and a note at the top.
    assert 'data-testid="illustrative-note"' in page
    assert page.count('data-testid="illustrative-badge">minh họa<') == 1
    # How the values are computed.
    assert "tổng điểm đạt được ÷ tổng điểm tối đa × 100" in page
    assert "85,445 → 85,45" in page
    assert "15, 15, 17" in page
    assert "Chính quyền số" in page and "Kinh tế số" in page and "Xã hội số" in page
    assert "Cộng vào tổng điểm đạt được" in page  # BonusRule.ADD_CAPPED
    # Bands with thresholds, Vietnamese number format.
    assert "từ 80,00\u00a0% trở lên" in page
    assert "từ 65,00\u00a0% đến dưới 80,00\u00a0%" in page


def test_methodology_page_uses_the_vietnamese_number_format(client, make_indicator_set):
    from indicators.models import Indicator

    indicator_set = make_indicator_set(status="draft")
    Indicator.objects.filter(code="2.3").update(max_points=Decimal("12.5"))
    from indicators import services

    services.indicator_set_activate(indicator_set=indicator_set)
    page = text(client.get(methodology_url(indicator_set)))
    assert ">12,50<" in page  # 2.3's own max
    assert 'data-testid="set-max">152,50<' in page


def test_frozen_set_is_public(client, make_indicator_set):
    frozen = make_indicator_set(status="frozen")
    assert client.get(methodology_url(frozen)).status_code == 200


def build_flat_set(count, name):
    from indicators import services
    from indicators.models import Band, Indicator, IndicatorSet, Pillar, SubIndex

    indicator_set = IndicatorSet.objects.create(name=name, year=2025, tier="district")
    pillars = [
        Pillar.objects.create(indicator_set=indicator_set, code=str(n), name=f"Trụ cột {n}")
        for n in range(1, 5)
    ]
    methods = [
        ("yes_no", {}),
        ("manual", {}),
        ("count", {"points_per_item": "2"}),
        ("tiers", {"tiers": [{"min": "1", "points": "5"}]}),
        ("ratio", {"a": {"label": "a"}, "b": {"label": "b"}, "if_b_zero": "full"}),
    ]
    Indicator.objects.bulk_create(
        Indicator(
            pillar=pillars[n % 4],
            code=f"{n % 4 + 1}.{n}",
            name=f"Chỉ số {n}",
            max_points=Decimal(10),
            method=methods[n % 5][0],
            rule=methods[n % 5][1],
            is_bonus=n == 0,
            is_illustrative=n % 7 == 0,
        )
        for n in range(count)
    )
    SubIndex.objects.create(
        indicator_set=indicator_set, code="cqs", name="Chính quyền số"
    ).pillars.set(pillars[:3])
    Band.objects.create(indicator_set=indicator_set, name="Tốt", min_percent=Decimal(80))
    return services.indicator_set_activate(indicator_set=indicator_set)


@pytest.mark.django_db
def test_methodology_page_queries_do_not_grow_with_the_set(client, django_assert_num_queries):
    small = build_flat_set(10, "Bộ nhỏ")
    large = build_flat_set(80, "Bộ lớn")
    # The set, pillars with groups, indicators, sub-indices, their pillars, bands and
    # general-information fields: 7 queries, whatever the number of indicators.
    with django_assert_num_queries(7):
        assert client.get(methodology_url(small)).status_code == 200
    with django_assert_num_queries(7):
        response = client.get(methodology_url(large))
    assert response.status_code == 200
    assert text(response).count('data-testid="indicator"') == 80


def test_a_pillar_not_scored_is_shown_but_adds_nothing(client, make_indicator_set):
    from indicators import services
    from indicators.models import Indicator, Pillar

    indicator_set = make_indicator_set(status="draft")
    pillar = Pillar.objects.create(
        indicator_set=indicator_set, code="9", name="Đô thị thông minh", scored=False, order=9
    )
    Indicator.objects.create(
        pillar=pillar, code="9.1", name="Có đề án đô thị thông minh", max_points=10, method="yes_no"
    )
    services.indicator_set_activate(indicator_set=indicator_set)
    page = text(client.get(methodology_url(indicator_set)))
    assert "Đô thị thông minh" in page
    assert "không tính điểm" in page
    assert 'data-testid="set-max">150<' in page


def test_an_unreadable_rule_falls_back_to_the_method_name():
    from django.utils import translation

    from indicators.models import Indicator
    from indicators.templatetags.indicators_tags import describe_rule

    broken = Indicator(code="1.1", name="x", max_points=Decimal(10), method="ratio", rule={})
    with translation.override("vi"):
        assert describe_rule(broken) == "Tỉ lệ a/b"


@pytest.mark.django_db
def test_a_missing_page_answers_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text(response)


@pytest.mark.django_db
def test_an_expired_form_answers_in_vietnamese():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(LOGIN_URL, {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in text(response)
