"""Fixtures of the Excel and admin tests: a realistic district set and its structural snapshot."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from indicators.models import (
    INDICATOR_CONTENT_FIELDS,
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SubIndex,
)

TIERS = {
    "tiers": [
        {"min": "4", "points": "20"},
        {"min": "3", "points": "15"},
        {"min": "2", "points": "10"},
        {"min": "1", "points": "5"},
    ],
    "unit": "cuộc họp",
}


@pytest.fixture
def full_set(db):
    """A district set shaped like Bình Định 1901/2023, with every method and shape of data.

    Foundation pillars 1–3 feed all three sub-indices, each activity pillar one;
    pillar 3 (Đô thị thông minh) is unscored and has no indicators; ratio
    indicators divide by general-information fields; 4.3 is a bonus.
    """
    s = IndicatorSet.objects.create(
        name="Bộ chỉ số DTI cấp huyện",
        tier="district",
        year=2024,
        decision_number="1901/QĐ-UBND",
        decision_date=date(2023, 5, 30),
        issuer="UBND tỉnh Bình Định",
        source_note="Cấu trúc theo QĐ 1901/QĐ-UBND; một số chỉ số là minh họa.",
        bonus_rule="add_uncapped",
        decimal_places=2,
    )
    foundation = IndicatorGroup.objects.create(
        indicator_set=s, code="I", name="Nhóm chỉ số nền tảng chung", order=1
    )
    activity = IndicatorGroup.objects.create(
        indicator_set=s, code="II", name="Nhóm chỉ số hoạt động", order=2
    )
    pillars = {}
    for order, (code, name, group, scored) in enumerate(
        [
            ("1", "Nhận thức số", foundation, True),
            ("2", "Hạ tầng số", foundation, True),
            ("3", "Đô thị thông minh", foundation, False),
            ("4", "Hoạt động chính quyền số", activity, True),
            ("5", "Hoạt động kinh tế số", activity, True),
            ("6", "Hoạt động xã hội số", activity, True),
        ],
        start=1,
    ):
        pillars[code] = Pillar.objects.create(
            indicator_set=s, group=group, code=code, name=name, scored=scored, order=order
        )
    for order, (code, name, kind) in enumerate(
        [
            ("population", "Tổng số dân", "number"),
            ("households", "Tổng số hộ gia đình", "number"),
            ("officials", "Tổng số cán bộ, công chức", "number"),
            ("enterprises", "Số doanh nghiệp đang hoạt động", "number"),
            ("contact", "Người đầu mối", "text"),
        ],
        start=1,
    ):
        GeneralInfoField.objects.create(
            indicator_set=s, code=code, name=name, kind=kind, order=order
        )

    def add(pillar, order, code, max_points, method, rule=None, **extra):
        Indicator.objects.create(
            pillar=pillars[pillar],
            order=order,
            code=code,
            name=extra.pop("name", f"Chỉ số thành phần {code}"),
            max_points=Decimal(max_points),
            method=method,
            rule=rule or {},
            **extra,
        )

    add(
        "1",
        1,
        "1.1",
        "20",
        "tiers",
        TIERS,
        name="Ban chỉ đạo chuyển đổi số cấp huyện tổ chức các cuộc họp trong năm",
        guidance="- Họp 4 cuộc/năm: 20 điểm;\n- Họp 3 cuộc/năm: 15 điểm.",
        evidence_required="Văn bản, tài liệu chứng minh",
        evidence_mandatory=True,
        data_source="UBND huyện, thị xã, thành phố cung cấp",
        verifier="Sở Thông tin và Truyền thông",
        source_note="QĐ 1901/QĐ-UBND, Phụ lục, dòng 1.1",
    )
    add(
        "1",
        2,
        "1.2",
        "20",
        "ratio",
        {
            "a": {"label": "Số cuộc họp về CĐS do Bí thư/Chủ tịch chủ trì"},
            "b": {"label": "Tổng số cuộc họp về CĐS của huyện"},
            "if_b_zero": "zero",
        },
        name="Bí thư/Chủ tịch huyện chủ trì các cuộc họp về CĐS",
        guidance="Điểm = a/b × 20",
    )
    add(
        "1",
        3,
        "1.3",
        "10",
        "levels",
        {
            "options": [
                {"key": "a", "label": "Trưởng ban là Bí thư/Chủ tịch", "points": "10"},
                {"key": "b", "label": "Trưởng ban là Phó Bí thư/Phó Chủ tịch", "points": "5"},
                {"key": "c", "label": "Không có", "points": "0"},
            ]
        },
    )
    add(
        "1",
        4,
        "1.4",
        "10",
        "checklist",
        {
            "parts": [
                {"key": "a", "label": "Dự đầy đủ các phiên họp của tỉnh", "points": "5"},
                {"key": "b", "label": "Chủ trì các cuộc họp của huyện", "points": "5"},
            ]
        },
    )
    add("1", 5, "1.10", "10", "yes_no", is_illustrative=True)
    add("2", 1, "2.1", "12.5", "count", {"points_per_item": "2.5", "unit": "điểm phát wifi"})
    add(
        "2",
        2,
        "2.2",
        "20",
        "ratio",
        {
            "a": {"label": "Số hộ có cáp quang"},
            "b": {"field": "households", "label": "Tổng số hộ gia đình"},
            "if_b_zero": "full",
        },
    )
    add("4", 1, "4.1", "30", "manual", evidence_required="Báo cáo của đơn vị")
    add(
        "4",
        2,
        "4.2",
        "40",
        "ratio",
        {
            "a": {"label": "Số CBCC sử dụng chữ ký số"},
            "b": {"field": "officials"},
            "if_b_zero": "zero",
        },
    )
    add("4", 3, "4.3", "5", "count", {"points_per_item": "1"}, is_bonus=True)
    add(
        "5",
        1,
        "5.1",
        "25",
        "ratio",
        {
            "a": {"label": "Số doanh nghiệp nộp thuế điện tử"},
            "b": {"field": "enterprises"},
            "if_b_zero": "zero",
        },
    )
    add(
        "6",
        1,
        "6.1",
        "30",
        "ratio",
        {
            "a": {"label": "Số người dân có tài khoản định danh điện tử mức 2"},
            "b": {"field": "population", "label": "Tổng số dân"},
            "if_b_zero": "zero",
        },
    )
    foundation_pillars = [pillars["1"], pillars["2"], pillars["3"]]
    for order, (code, name, extra) in enumerate(
        [
            ("dti", "Chỉ số chuyển đổi số", list(pillars.values())),
            ("cqs", "Chỉ số Chính quyền số", [*foundation_pillars, pillars["4"]]),
            ("kts", "Chỉ số Kinh tế số", [*foundation_pillars, pillars["5"]]),
            ("xhs", "Chỉ số Xã hội số", [*foundation_pillars, pillars["6"]]),
        ],
        start=1,
    ):
        SubIndex.objects.create(indicator_set=s, code=code, name=name, order=order).pillars.set(
            extra
        )
    for name, low, illustrative in [
        ("Xuất sắc", "90", True),
        ("Tốt", "80", True),
        ("Khá", "65.5", False),
        ("Trung bình", "50", False),
        ("Kém", "0", False),
    ]:
        Band.objects.create(
            indicator_set=s, name=name, min_percent=Decimal(low), is_illustrative=illustrative
        )
    return s


INDICATOR_FIELDS = INDICATOR_CONTENT_FIELDS


def _snapshot(indicator_set: IndicatorSet) -> dict:
    """Everything an export must carry, in reading order, without database ids."""
    indicator_set = IndicatorSet.objects.get(pk=indicator_set.pk)
    return {
        "set": {
            f: getattr(indicator_set, f)
            for f in [
                "tier",
                "year",
                "decision_number",
                "decision_date",
                "issuer",
                "source_note",
                "bonus_rule",
                "decimal_places",
                "status",
            ]
        },
        "groups": list(indicator_set.groups.values_list("code", "name", "order")),
        "pillars": [
            {
                "code": p.code,
                "name": p.name,
                "group": p.group.code if p.group else None,
                "scored": p.scored,
                "order": p.order,
                "indicators": [
                    {f: getattr(i, f) for f in INDICATOR_FIELDS} for i in p.indicators.all()
                ],
            }
            for p in indicator_set.pillars.select_related("group")
        ],
        "sub_indices": [
            (s.code, s.name, s.order, sorted(p.code for p in s.pillars.all()))
            for s in indicator_set.sub_indices.all()
        ],
        "general_info": list(
            indicator_set.general_info_fields.values_list("code", "name", "kind", "order")
        ),
        "bands": list(indicator_set.bands.values_list("name", "min_percent", "is_illustrative")),
    }


def _edit_workbook(content: bytes, edit) -> io.BytesIO:
    """The workbook ``content`` after ``edit(workbook)``, as an upload-like file."""
    workbook = load_workbook(io.BytesIO(content))
    edit(workbook)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


# The helpers are fixtures so that test modules need not import this conftest by name.
@pytest.fixture
def snapshot():
    return _snapshot


@pytest.fixture
def edit_workbook():
    return _edit_workbook


@pytest.fixture
def english():
    """Messages in their English msgids, whatever the .po files say today."""
    from django.utils import translation

    with translation.override("en"):
        yield
