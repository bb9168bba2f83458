"""The committed indicator-set fixtures and the ``load_demo`` command.

Real facts are written out here, not read from the fixtures, so that a fixture
that drifts from its source fails.
"""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command

from assessments.models import AdministrativeUnit, Agency, User
from indicators import scoring
from indicators.fixtures_loader import fixture_paths, load_indicator_set, read_fixture
from indicators.models import (
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SetStatus,
    SubIndex,
)

pytestmark = pytest.mark.django_db

ILLUSTRATIVE_NOTE = "Minh họa — không có trong văn bản gốc"
DEMO_PASSWORD = "demo-dti-2024"

DISTRICT_NAME = (
    "Bộ chỉ số DTI cấp huyện — cấu trúc QĐ 1901/QĐ-UBND tỉnh Bình Định (có chỉ số minh họa)"
)
COMMUNE_NAME = "Bộ chỉ số minh họa cấp xã theo cấu trúc QĐ 922/QĐ-BTTTT"

FOUNDATION = "Nhóm chỉ số nền tảng chung"
ACTIVITY = "Nhóm chỉ số hoạt động"

# Bình Định 1901/QĐ-UBND 2023, district: code -> (group, name, components, max)
DISTRICT_PILLARS = {
    "1": ("I", "Nhận thức số", 6, Decimal("70")),
    "2": ("I", "Thể chế số", 4, Decimal("60")),
    "3": ("I", "Hạ tầng số", 7, Decimal("70")),
    "4": ("I", "Nhân lực số", 7, Decimal("70")),
    "5": ("I", "An toàn thông tin mạng", 8, Decimal("80")),
    "6": ("II", "Hoạt động chính quyền số", 14, Decimal("160")),
    "7": ("II", "Hoạt động kinh tế số", 5, Decimal("50")),
    "8": ("II", "Hoạt động xã hội số", 9, Decimal("140")),
}

# MIC 922/QĐ-BTTTT structure, commune counts chosen by the demo (60 in all).
COMMUNE_PILLARS = {
    "1": ("I", "Nhận thức số", 7, Decimal("100")),
    "2": ("I", "Thể chế số", 5, Decimal("100")),
    "3": ("I", "Hạ tầng số", 6, Decimal("100")),
    "4": ("I", "Nhân lực số", 6, Decimal("100")),
    "5": ("I", "An toàn thông tin mạng", 6, Decimal("100")),
    "6": ("I", "Đô thị thông minh", 0, Decimal("0")),
    "7": ("II", "Hoạt động chính quyền số", 14, Decimal("200")),
    "8": ("II", "Hoạt động kinh tế số", 8, Decimal("150")),
    "9": ("II", "Hoạt động xã hội số", 8, Decimal("150")),
}

UNIDENTIFIED_EVIDENCE = "Văn bản, tài liệu chứng minh"
UNIDENTIFIED_SOURCE = "UBND huyện, thị xã, thành phố cung cấp"
STTTT = "Sở Thông tin và Truyền thông"

# (set, code in the set) -> the real facts, as the reference sources give them.
REAL_ROWS = {
    ("district", "1.1"): {
        "original": "1.1",
        "name": "Ban chỉ đạo chuyển đổi số cấp huyện tổ chức các cuộc họp trong năm",
        "max_points": Decimal("20"),
        "method": "tiers",
        "evidence_required": UNIDENTIFIED_EVIDENCE,
        "data_source": UNIDENTIFIED_SOURCE,
        "verifier": STTTT,
    },
    ("district", "1.2"): {
        "original": "1.2",
        "name": "Bí thư/Chủ tịch huyện, thị xã thành phố chủ trì các cuộc họp về CĐS của "
        "huyện, thị xã, thành phố",
        "max_points": Decimal("20"),
        "method": "ratio",
        "evidence_required": "",
        "data_source": "",
        "verifier": "",
    },
    ("district", "1.3"): {
        "original": "1.1",
        "name": "Người đứng đầu huyện, thành phố (Bí thư hoặc Chủ tịch huyện, thành phố) là "
        "Trưởng ban Ban chỉ đạo chuyển đổi số của huyện, thành phố",
        "max_points": Decimal("10"),
        "method": "levels",
        "evidence_required": "Có trích dẫn số hiệu, tên văn bản, ngày văn bản, trích yếu đầy đủ",
        "data_source": "",
        "verifier": "",
    },
    ("district", "1.4"): {
        "original": "1.2",
        "name": "Người đứng đầu huyện, thành phố (Chủ tịch/Phó Chủ tịch UBND huyện, thành phố) "
        "chủ trì, chỉ đạo chuyển đổi số",
        "max_points": Decimal("10"),
        "method": "checklist",
        "evidence_required": "Có trích dẫn số hiệu, tên văn bản, ngày văn bản, trích yếu đầy đủ "
        "(Thông báo kết luận)",
        "data_source": "",
        "verifier": "",
    },
    ("commune", "1.1"): {
        "original": "1.1",
        "name": "Người đứng đầu xã, phường, thị trấn (Bí thư/Chủ tịch cấp xã) là Trưởng ban Ban "
        "Chỉ đạo về chuyển đổi số của xã, phường, thị trấn",
        "max_points": Decimal("20"),
        "method": "levels",
        "evidence_required": "",
        "data_source": "",
        "verifier": "",
    },
}

COMMUNES = {
    "Trà Xuân": "thi_tran",
    "Trà Bình": "xa",
    "Trà Bùi": "xa",
    "Trà Giang": "xa",
    "Trà Hiệp": "xa",
    "Trà Lâm": "xa",
    "Trà Phú": "xa",
    "Trà Sơn": "xa",
    "Trà Tân": "xa",
    "Trà Thủy": "xa",
    "Hương Trà": "xa",
    "Sơn Trà": "xa",
    "Trà Phong": "xa",
    "Trà Tây": "xa",
    "Trà Thanh": "xa",
    "Trà Xinh": "xa",
}

AGENCIES = {
    "Phòng Văn hóa và Thông tin": "government",
    "Văn phòng HĐND và UBND huyện": "government",
    "Phòng Kinh tế và Hạ tầng": "government",
    "Phòng Tài chính - Kế hoạch": "government",
    "Phòng Nội vụ": "government",
    "Phòng Lao động - Thương binh và Xã hội": "government",
    "Trung tâm Truyền thông - Văn hóa - Thể thao huyện": "government",
    "Công an huyện": "police",
    "Bưu điện huyện": "post",
    "Ngân hàng Agribank Trà Bồng": "bank",
    "Viễn thông Trà Bồng": "telecom",
    "Viettel Trà Bồng": "telecom",
    "Chi cục Thống kê Trà Bồng": "statistics",
}

# username -> (role, unit name, agency name, superuser)
DEMO_USERS = {
    "admin": ("administrator", None, None, True),
    "vhtt": ("organizer", "Trà Bồng", "Phòng Văn hóa và Thông tin", False),
    "traxuan.canbo": ("unit_officer", "Trà Xuân", None, False),
    "traxuan.lanhdao": ("unit_leader", "Trà Xuân", None, False),
    "trabui.canbo": ("unit_officer", "Trà Bùi", None, False),
    "congan": ("council_member", "Trà Bồng", "Công an huyện", False),
    "noivu": ("council_member", "Trà Bồng", "Phòng Nội vụ", False),
    "hd.chutich": ("council_member", "Trà Bồng", "Văn phòng HĐND và UBND huyện", False),
    "hd.thuky": ("council_member", "Trà Bồng", "Phòng Văn hóa và Thông tin", False),
    "thongke": ("data_provider", None, "Chi cục Thống kê Trà Bồng", False),
    "viettel": ("data_provider", None, "Viettel Trà Bồng", False),
}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fixture_data(tier):
    documents = [read_fixture(path) for path in fixture_paths()]
    matching = [d for d in documents if d["set"]["tier"] == tier]
    assert len(matching) == 1
    return matching[0]


@pytest.fixture
def district():
    return load_indicator_set(fixture_data("district"))


@pytest.fixture
def commune():
    return load_indicator_set(fixture_data("commune"))


def counted(indicator_set):
    return Indicator.objects.filter(pillar__indicator_set=indicator_set, is_bonus=False)


def structure(indicator_set):
    return {
        p.code: (p.group.code, p.name, p.indicators.filter(is_bonus=False).count(), p.total_max)
        for p in Pillar.objects.with_max_points().filter(indicator_set=indicator_set)
    }


# --- structure ---------------------------------------------------------------


def test_there_are_exactly_the_two_fixture_sets():
    assert sorted(path.name for path in fixture_paths()) == [
        "binh-dinh-2023-district.json",
        "commune-922-illustrative-2024.json",
    ]


def test_district_set_has_the_real_binh_dinh_structure(district):
    groups = list(district.groups.order_by("order").values_list("code", "name"))
    assert groups == [("I", FOUNDATION), ("II", ACTIVITY)]
    assert structure(district) == DISTRICT_PILLARS
    assert counted(district).count() == 60
    assert district.max_points() == Decimal("700")
    assert [p.code for p in district.pillars.order_by("order")] == list(DISTRICT_PILLARS)
    group_max = {
        g.code: sum((p.max_points() for p in g.pillars.all()), Decimal(0))
        for g in district.groups.all()
    }
    assert group_max == {"I": Decimal("350"), "II": Decimal("350")}


def test_commune_set_has_the_national_structure(commune):
    groups = list(commune.groups.order_by("order").values_list("code", "name"))
    assert groups == [("I", FOUNDATION), ("II", ACTIVITY)]
    assert structure(commune) == COMMUNE_PILLARS
    assert counted(commune).count() == 60
    assert commune.max_points() == Decimal("1000")
    smart_city = commune.pillars.get(code="6")
    assert smart_city.scored is False
    assert smart_city.indicators.count() == 0
    assert list(commune.pillars.filter(scored=False).values_list("code", flat=True)) == ["6"]


def test_every_scoring_method_appears_in_the_district_set(district):
    methods = set(counted(district).values_list("method", flat=True)) | set(
        Indicator.objects.filter(pillar__indicator_set=district).values_list("method", flat=True)
    )
    assert methods == {"manual", "yes_no", "levels", "tiers", "ratio", "count", "checklist"}
    assert methods == set(scoring.METHODS)


def test_the_district_set_carries_its_legal_basis(district):
    assert district.name == DISTRICT_NAME
    assert district.decision_number == "1901/QĐ-UBND"
    assert district.decision_date == date(2023, 5, 30)
    assert district.issuer == "UBND tỉnh Bình Định"
    assert (district.year, district.tier, district.bonus_rule) == (2023, "district", "add_capped")
    assert "Cấu trúc là thật" in district.source_note
    assert "Minh họa" in district.source_note
    assert "1.5, 1.6 và toàn bộ chỉ số chính 2–8" in district.source_note


def test_the_commune_set_says_it_is_illustrative(commune):
    assert commune.name == COMMUNE_NAME
    assert "minh họa" in commune.name
    assert (commune.year, commune.tier, commune.bonus_rule) == (2024, "commune", "add_capped")
    assert (commune.decision_number, commune.decision_date, commune.issuer) == ("", None, "")
    assert "không phải bộ chỉ số chính thức" in commune.source_note
    assert "“Hoạt động xã hội số” là tên suy ra" in commune.source_note
    assert "60 chỉ số (7/5/6/6/6/0/14/8/8" in commune.source_note


def test_commune_general_information_fields(commune):
    fields = list(commune.general_info_fields.order_by("order").values_list("code", "name", "kind"))
    assert fields == [
        ("tong_so_cbcc", "Tổng số cán bộ công chức (CBCC)", "number"),
        ("tong_so_doanh_nghiep", "Tổng số doanh nghiệp (DN) trên địa bàn", "number"),
        ("tong_so_nguoi_dan", "Tổng số người dân trên địa bàn", "number"),
        ("tong_so_ho_gia_dinh", "Tổng số hộ gia đình trên địa bàn", "number"),
    ]


@pytest.mark.parametrize("tier", ["district", "commune"])
def test_a_ratio_takes_its_denominator_from_general_information(tier):
    indicator_set = load_indicator_set(fixture_data(tier))
    codes = set(indicator_set.general_info_fields.values_list("code", flat=True))
    ratios = Indicator.objects.filter(pillar__indicator_set=indicator_set, method="ratio")
    on_officials = [i for i in ratios if i.rule["b"].get("field") == "tong_so_cbcc"]
    assert on_officials
    used = {i.rule["b"]["field"] for i in ratios if i.rule["b"].get("field")}
    assert used <= codes
    indicator = on_officials[0]
    score = indicator.score({"a": "30"}, general_info={"tong_so_cbcc": "40"})
    assert score == (Decimal("0.75") * indicator.max_points).quantize(Decimal("0.01"))


@pytest.mark.parametrize("tier", ["district", "commune"])
def test_one_bonus_indicator_outside_the_maxima(tier):
    indicator_set = load_indicator_set(fixture_data(tier))
    bonus = Indicator.objects.filter(pillar__indicator_set=indicator_set, is_bonus=True)
    assert bonus.count() == 1
    row = bonus.get()
    assert (row.code, row.method, row.max_points) == ("KK", "manual", Decimal("20"))
    assert row.is_illustrative is True
    assert row.source_note == ILLUSTRATIVE_NOTE
    total = Indicator.objects.filter(pillar__indicator_set=indicator_set).count()
    assert total == 61


@pytest.mark.parametrize("tier", ["district", "commune"])
def test_some_evidence_is_mandatory(tier):
    indicator_set = load_indicator_set(fixture_data(tier))
    mandatory = Indicator.objects.filter(
        pillar__indicator_set=indicator_set, evidence_mandatory=True
    )
    assert mandatory.exists()
    assert all(i.evidence_required for i in mandatory)


# --- real rows and illustrative rows -----------------------------------------


@pytest.mark.parametrize(("tier", "code"), list(REAL_ROWS))
def test_real_rows_are_present_unchanged(tier, code):
    indicator_set = load_indicator_set(fixture_data(tier))
    facts = REAL_ROWS[(tier, code)]
    row = Indicator.objects.get(pillar__indicator_set=indicator_set, code=code)
    assert row.pillar.code == "1"
    assert row.name == facts["name"]
    assert row.max_points == facts["max_points"]
    assert row.method == facts["method"]
    assert row.evidence_required == facts["evidence_required"]
    assert row.data_source == facts["data_source"]
    assert row.verifier == facts["verifier"]
    assert row.is_illustrative is False
    assert row.is_bonus is False
    assert row.source_note.startswith("Thực tế — ")
    assert row.source_note.endswith(f"mã gốc {facts['original']}")


def test_real_rules_score_as_their_sources_say(district, commune):
    def row(indicator_set, code):
        return Indicator.objects.get(pillar__indicator_set=indicator_set, code=code)

    meetings = row(district, "1.1")
    assert [meetings.score({"value": n}) for n in (0, 1, 2, 3, 4, 6)] == [
        Decimal(p) for p in ("0", "5", "10", "15", "20", "20")
    ]
    chaired = row(district, "1.2")
    assert chaired.score({"a": "3", "b": "4"}) == Decimal("15.00")
    assert chaired.score({"a": "0", "b": "0"}) == Decimal("0.00")
    head = row(district, "1.3")
    assert {o["key"]: o["points"] for o in head.rule["options"]} == {
        "truong": "10",
        "pho": "5",
        "khong": "0",
    }
    leads = row(district, "1.4")
    assert [p["points"] for p in leads.rule["parts"]] == ["5", "5"]
    assert leads.score({"checked": ["a", "b"]}) == Decimal("10.00")
    assert leads.score({"checked": ["b"]}) == Decimal("5.00")
    commune_head = row(commune, "1.1")
    assert {o["key"]: o["points"] for o in commune_head.rule["options"]} == {
        "truong": "20",
        "pho": "10",
        "khong": "0",
    }


@pytest.mark.parametrize(
    ("tier", "real_codes"), [("district", {"1.1", "1.2", "1.3", "1.4"}), ("commune", {"1.1"})]
)
def test_every_other_row_is_marked_illustrative(tier, real_codes):
    indicator_set = load_indicator_set(fixture_data(tier))
    rows = Indicator.objects.filter(pillar__indicator_set=indicator_set)
    assert set(rows.filter(is_illustrative=False).values_list("code", flat=True)) == real_codes
    illustrative = rows.filter(is_illustrative=True)
    assert illustrative.count() == 61 - len(real_codes)
    assert set(illustrative.values_list("source_note", flat=True)) == {ILLUSTRATIVE_NOTE}
    assert all(i.name and i.guidance and i.evidence_required for i in illustrative)
    bands = list(indicator_set.bands.values_list("name", "min_percent", "is_illustrative"))
    assert bands == [
        ("Xuất sắc", Decimal("90"), True),
        ("Tốt", Decimal("80"), True),
        ("Khá", Decimal("65"), True),
        ("Trung bình", Decimal("50"), True),
        ("Kém", Decimal("0"), True),
    ]


def test_every_rule_of_every_fixture_is_sound(district, commune):
    for indicator in Indicator.objects.all():
        scoring.validate_rule(indicator.method, indicator.rule, indicator.max_points)
    codes = Indicator.objects.filter(pillar__indicator_set=district).values_list("code", flat=True)
    assert len(set(codes)) == len(codes) == 61


# --- sub-indices -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "foundation", "cqs", "kts", "xhs"),
    [
        ("district", ["1", "2", "3", "4", "5"], "6", "7", "8"),
        ("commune", ["1", "2", "3", "4", "5"], "7", "8", "9"),
    ],
)
def test_sub_indices_follow_the_national_method(tier, foundation, cqs, kts, xhs):
    indicator_set = load_indicator_set(fixture_data(tier))
    mapping = {
        s.code: (s.name, sorted(s.pillars.values_list("code", flat=True)))
        for s in indicator_set.sub_indices.all()
    }
    assert mapping == {
        "dti": ("Chỉ số chuyển đổi số (DTI)", sorted([*foundation, cqs, kts, xhs])),
        "cqs": ("Chính quyền số", sorted([*foundation, cqs])),
        "kts": ("Kinh tế số", sorted([*foundation, kts])),
        "xhs": ("Xã hội số", sorted([*foundation, xhs])),
    }
    names = {p.code: p.name for p in indicator_set.pillars.all()}
    assert [names[c] for c in foundation] == [
        "Nhận thức số",
        "Thể chế số",
        "Hạ tầng số",
        "Nhân lực số",
        "An toàn thông tin mạng",
    ]
    assert (names[cqs], names[kts], names[xhs]) == (
        "Hoạt động chính quyền số",
        "Hoạt động kinh tế số",
        "Hoạt động xã hội số",
    )
    assert indicator_set.sub_indices.get(code="dti").max_points() == indicator_set.max_points()


def test_the_unscored_pillar_feeds_no_sub_index(commune):
    assert commune.pillars.get(code="6").sub_indices.count() == 0


# --- loader ------------------------------------------------------------------


def test_loading_a_set_twice_changes_nothing():
    data = fixture_data("district")
    first = load_indicator_set(data)
    counts = (Indicator.objects.count(), Pillar.objects.count(), Indicator.history.count())
    second = load_indicator_set(data)
    assert second.pk == first.pk
    assert IndicatorSet.objects.count() == 1
    assert (Indicator.objects.count(), Pillar.objects.count(), Indicator.history.count()) == counts


def test_an_unsound_rule_is_refused_and_nothing_is_created():
    data = fixture_data("district")
    row = data["groups"][1]["pillars"][0]["indicators"][2]
    row["rule"] = {"options": []}
    with pytest.raises(ValidationError) as excinfo:
        load_indicator_set(data)
    assert any(row["code"] in message for message in excinfo.value.messages)
    assert IndicatorSet.objects.count() == 0
    assert Indicator.objects.count() == 0


def test_a_pillar_that_does_not_add_up_is_refused():
    data = fixture_data("commune")
    data["groups"][0]["pillars"][0]["indicators"][1]["max_points"] = "16"
    with pytest.raises(ValidationError):
        load_indicator_set(data)
    assert IndicatorSet.objects.count() == 0


# --- load_demo ---------------------------------------------------------------


def run_demo(*args):
    # The demo campaign (and the accounts and set copy it brings) is tested in
    # tests/test_demo.py; here the sets, the tree and the demo accounts.
    out = StringIO()
    call_command("load_demo", "--no-campaign", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return {
        "sets": list(IndicatorSet.objects.order_by("pk").values_list("pk", "status")),
        "groups": IndicatorGroup.objects.count(),
        "pillars": Pillar.objects.count(),
        "indicators": Indicator.objects.count(),
        "indicator_history": Indicator.history.count(),
        "set_history": IndicatorSet.history.count(),
        "sub_indices": SubIndex.objects.count(),
        "sub_index_pillars": SubIndex.pillars.through.objects.count(),
        "general_info": GeneralInfoField.objects.count(),
        "bands": Band.objects.count(),
        "units": list(AdministrativeUnit.objects.order_by("pk").values_list("pk", "name")),
        "agencies": list(Agency.objects.order_by("pk").values_list("pk", "name", "kind")),
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "password")),
        "memberships": User.groups.through.objects.count(),
        "groups_auth": Group.objects.count(),
    }


def test_load_demo_twice_leaves_everything_identical():
    run_demo()
    first = snapshot()
    assert first["indicators"] == 122
    assert len(first["units"]) == 18
    assert len(first["agencies"]) == 13
    assert len(first["users"]) == len(DEMO_USERS)
    assert first["memberships"] == len(DEMO_USERS)
    output = run_demo()
    assert snapshot() == first
    assert "already present, unchanged" in output or "đã có" in output


def test_load_demo_activates_both_sets():
    run_demo()
    assert {s.tier: s.status for s in IndicatorSet.objects.all()} == {
        "district": SetStatus.ACTIVE,
        "commune": SetStatus.ACTIVE,
    }


def test_load_demo_builds_the_tra_bong_tree_and_agencies():
    run_demo()
    province = AdministrativeUnit.objects.get(name="Quảng Ngãi")
    assert (province.kind, province.level, province.parent) == ("tinh", "province", None)
    district = AdministrativeUnit.objects.get(name="Trà Bồng")
    assert (district.kind, district.level, district.parent) == ("huyen", "district", province)
    children = {u.name: u.kind for u in district.children.all()}
    assert children == COMMUNES
    assert set(district.children.values_list("level", flat=True)) == {"commune"}
    agencies = {a.name: a.kind for a in Agency.objects.filter(unit=district)}
    assert agencies == AGENCIES
    assert Agency.objects.count() == len(AGENCIES)


def test_commune_verifiers_are_agencies_of_the_demo():
    run_demo()
    commune = IndicatorSet.objects.get(tier="commune")
    verifiers = set(
        Indicator.objects.filter(pillar__indicator_set=commune)
        .exclude(verifier="")
        .values_list("verifier", flat=True)
    )
    assert verifiers
    assert verifiers <= set(AGENCIES)


def test_every_demo_user_logs_in_with_the_right_role(client):
    output = run_demo()
    for username, (role, unit, agency, superuser) in DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()
        assert set(user.groups.values_list("name", flat=True)) == {role}
        assert user.has_role(role)
        assert (user.unit.name if user.unit else None) == unit
        assert (user.agency.name if user.agency else None) == agency
        assert user.is_superuser is superuser
        assert user.full_name
        assert username in output
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERS)
    assert output.count(DEMO_PASSWORD) == len(DEMO_USERS)
    vhtt = User.objects.get(username="vhtt")
    assert vhtt.agency.unit.name == "Trà Bồng"


def test_a_second_run_does_not_reset_a_changed_password(client):
    run_demo()
    user = User.objects.get(username="traxuan.canbo")
    user.set_password("mat-khau-rieng-2024")
    user.save()
    run_demo()
    assert client.login(username="traxuan.canbo", password="mat-khau-rieng-2024")
    assert not User.objects.get(username="traxuan.canbo").check_password(DEMO_PASSWORD)


def test_demo_password_comes_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "mat-khau-demo-khac")
    output = run_demo()
    assert client.login(username="noivu", password="mat-khau-demo-khac")
    assert not client.login(username="noivu", password=DEMO_PASSWORD)
    assert "mat-khau-demo-khac" in output


def test_no_users_creates_no_users():
    run_demo("--no-users")
    assert User.objects.count() == 0
    assert IndicatorSet.objects.count() == 2
    assert AdministrativeUnit.objects.count() == 18
    assert Agency.objects.count() == 13
