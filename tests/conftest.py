"""Shared test fixtures: people with roles, and a small indicator set of every method."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings

# Property tests share two cores with the rest of the suite (and CI's
# PostgreSQL): judge them on their examples, not on how fast the machine is.
settings.register_profile(
    "dti", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("dti")

PASSWORD = "Mat-khau-thu-nghiem-2025"


@pytest.fixture(autouse=True)
def site_language_after_each_test():
    """Each test starts in the site's language.

    The test client runs the locale middleware in the test's own thread, and a
    request with the English cookie leaves English active for whatever runs
    next in that thread; a test's outcome must not depend on the one before.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def make_user(db, django_user_model):
    """``make_user("an", roles=["unit_officer"], full_name=...)``; the password is ``PASSWORD``."""
    from django.contrib.auth.models import Group

    def make(username="can.bo", *, roles=(), password=PASSWORD, **fields):
        user = django_user_model.objects.create_user(username=username, password=password, **fields)
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def make_indicator_set(db):
    """A set with one indicator of each method, a bonus and an illustrative one.

    Maxima: pillar 1 = 80, pillar 2 = 45, group I = 125, pillar 3 = 25 (its
    5-point bonus indicator excluded), set = 150.
    """
    from indicators import services
    from indicators.models import (
        Band,
        GeneralInfoField,
        Indicator,
        IndicatorGroup,
        IndicatorSet,
        Pillar,
        SubIndex,
    )

    def make(*, status="active", name="Bộ chỉ số cấp xã", year=2025, **fields):
        fields = {
            "tier": "commune",
            "decision_number": "1901/QĐ-UBND",
            "decision_date": date(2025, 5, 30),
            "issuer": "UBND tỉnh Bình Định",
            **fields,
        }
        s = IndicatorSet.objects.create(name=name, year=year, **fields)
        g1 = IndicatorGroup.objects.create(
            indicator_set=s, code="I", name="Nhóm chỉ số nền tảng chung", order=1
        )
        g2 = IndicatorGroup.objects.create(
            indicator_set=s, code="II", name="Nhóm chỉ số hoạt động", order=2
        )
        p1 = Pillar.objects.create(
            indicator_set=s, group=g1, code="1", name="Nhận thức số", order=1
        )
        p2 = Pillar.objects.create(indicator_set=s, group=g1, code="2", name="Nhân lực số", order=2)
        p3 = Pillar.objects.create(
            indicator_set=s, group=g2, code="3", name="Hoạt động chính quyền số", order=3
        )
        GeneralInfoField.objects.create(
            indicator_set=s, code="so_cbcc", name="Tổng số cán bộ, công chức"
        )

        def add(pillar, code, max_points, method, rule=None, **extra):
            extra.setdefault("name", f"Chỉ số {code}")
            Indicator.objects.create(
                pillar=pillar,
                code=code,
                max_points=Decimal(max_points),
                method=method,
                rule=rule or {},
                **extra,
            )

        tiers = [
            {"min": "4", "points": "20"},
            {"min": "3", "points": "15"},
            {"min": "2", "points": "10"},
            {"min": "1", "points": "5"},
        ]
        add(
            p1,
            "1.1",
            "20",
            "tiers",
            {"tiers": tiers, "unit": "cuộc họp"},
            name="Ban chỉ đạo chuyển đổi số tổ chức các cuộc họp trong năm",
            guidance="Mỗi quý họp ít nhất một lần.",
            evidence_required="Văn bản, tài liệu chứng minh",
            data_source="UBND cấp xã cung cấp",
            verifier="Phòng Văn hóa và Thông tin",
        )
        add(
            p1,
            "1.2",
            "20",
            "ratio",
            {
                "a": {"label": "Số cuộc họp do Chủ tịch chủ trì"},
                "b": {"label": "Tổng số cuộc họp về CĐS"},
                "if_b_zero": "zero",
            },
        )
        add(
            p1,
            "1.3",
            "20",
            "levels",
            {
                "options": [
                    {"key": "a", "label": "Chủ tịch là Trưởng ban", "points": "20"},
                    {"key": "b", "label": "Phó Chủ tịch là Trưởng ban", "points": "10"},
                    {"key": "c", "label": "Không có", "points": "0"},
                ]
            },
        )
        add(
            p1,
            "1.4",
            "10",
            "checklist",
            {
                "parts": [
                    {"key": "a", "label": "Dự đầy đủ các phiên họp của tỉnh", "points": "5"},
                    {"key": "b", "label": "Chủ trì các cuộc họp của xã", "points": "5"},
                ]
            },
        )
        add(
            p1,
            "1.5",
            "10",
            "yes_no",
            is_illustrative=True,
            name="Trang thông tin điện tử có chuyên mục chuyển đổi số",
        )
        add(
            p2,
            "2.1",
            "20",
            "ratio",
            {
                "a": {"label": "Số CBCC được tập huấn kỹ năng số"},
                "b": {"field": "so_cbcc"},
                "if_b_zero": "full",
            },
        )
        add(p2, "2.2", "15", "count", {"points_per_item": "5"})
        add(p2, "2.3", "10", "manual")
        add(p3, "3.1", "25", "yes_no")
        add(
            p3,
            "3.2",
            "5",
            "count",
            {"points_per_item": "1"},
            is_bonus=True,
            name="Sáng kiến chuyển đổi số được công nhận",
        )
        for order, (code, label, pillars) in enumerate(
            [
                ("cqs", "Chính quyền số", [p1, p2, p3]),
                ("kts", "Kinh tế số", [p1, p2]),
                ("xhs", "Xã hội số", [p1]),
            ]
        ):
            SubIndex.objects.create(
                indicator_set=s, code=code, name=label, order=order
            ).pillars.set(pillars)
        for band, low, illustrative in [
            ("Tốt", "80", False),
            ("Khá", "65", False),
            ("Trung bình", "50", True),
            ("Kém", "0", False),
        ]:
            Band.objects.create(
                indicator_set=s, name=band, min_percent=Decimal(low), is_illustrative=illustrative
            )
        if status in ("active", "frozen"):
            s = services.indicator_set_activate(indicator_set=s)
        if status == "frozen":
            s = services.indicator_set_freeze(indicator_set=s)
        return s

    return make
