"""The demo campaigns of ``manage.py load_demo``: Trà Bồng's commune assessments of last
year, published, and of this year, half-way through, so that every page, the public
results included, has something real to show.

Two stories (``Story``) told by one builder, in order:

* **last year** (``previous_story``): every commune goes all the way. Answers,
  submit and confirm, round 1 with comments where the council found less, the
  explanation opened for all, a few communes dispute one or two indicators,
  round 2 re-appraises every dispute, the chair closes round 2, and the
  organizer publishes (``rankings.services.campaign_publish``: the final stage
  is computed again, every unit becomes Published, the public snapshot is
  written). Its calendar is that year's October and November; the decision
  that publishes it is dated 28 November.
* **this year** (``current_story``): the same communes, left in every state but
  Published (``PLAN``), during round 2. The final calendar, relative to the day
  the demo is loaded (D, local time)::

      self-assessment   D-45 08:00 → D-24 17:00
      round 1           D-23 08:00 → D-13 17:00
      explanation       D-12 08:00 → D-6 17:00
      round 2           D-5 08:00  → D+6 17:00    ← now
      publication       D+13 17:00 (target)

  Five are done (Appraised-2), three wait for round 2 to close with their
  disputes (Explanation), two were appraised in round 1 but their explanation
  was never opened, two were confirmed but not appraised (both late: the
  calendar has no per-unit window for the council), two are Self-assessed and
  two Open. The last four got an administrator's extension of the
  self-assessment (the only per-unit window the product has, given by
  reopening), so their officers and leaders can still work: Trà Xuân, the
  commune of the demo officer and leader, is Open with most indicators
  answered.

Each commune's figures are invented but plausible and seeded (``profile_of``);
last year's are the same commune's, a little smaller and mostly less far along,
with answers drawn afresh, so the year-over-year changes go both ways.

How it is built. Every change goes through the services, as the people would
make it: the officer enters the general information and the answers (scored by
``Indicator.score``, with history) and cites the required documents, submits;
the leader returns or confirms; the organizer forms the council and assigns
whole pillars; the members appraise with their verified inputs and comments;
the chair closes the rounds; the organizer opens the explanation; the officer
explains with evidence; the administrator reopens with a written reason; the
organizer publishes. No row is written directly, with one exception, for
load time: the round-1 appraisals of last year that agree with the self score
(see ``Builder.agree_in_bulk``).

Several services check the calendar against the clock and take no ``at=``
(saving answers and evidence, submit and confirm, opening the explanation,
closing round 2). So each campaign is created with a *building calendar*: its
final calendar, but with self-assessment, round 1 and explanation open until a
few days from now. The history is played in order, then the organizer sets the
final calendar (``campaign_set_phases``; phases keep no history) and what needs
the explanation window closed follows: round-2 appraisals, closing round 2,
the reopenings, the publication. The transition log, the histories and the
appraisal times are therefore the moment of loading; explanations are
submitted, and round-2 appraisals checked, with ``at=`` inside the final
windows.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments import services as assessment_services
from assessments import windows
from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    AuditEntry,
    Campaign,
    PhaseKind,
    Response,
    Role,
    UnitKind,
    User,
)
from councils import audit as council_audit
from councils import services as council_services
from councils.models import (
    Appraisal,
    Assignment,
    CouncilRole,
    Explanation,
    ExplanationStatus,
    Round,
)
from indicators import scoring
from indicators.models import Indicator, IndicatorSet, SetStatus, Tier, natural_key
from indicators.services import indicator_set_activate, indicator_set_copy
from providers import services as provider_services
from providers.models import Channel
from providers.services import FigureRow
from rankings import services as rankings_services
from rankings.models import Publication

S = AssessmentState

CAMPAIGN_NAME = "Đánh giá Chỉ số chuyển đổi số (DTI) cấp xã năm {year}"

# The state each commune is left in this year, in the order of the summary.
PLAN = [
    ("Trà Xuân", S.OPEN),
    ("Trà Xinh", S.OPEN),
    ("Trà Thanh", S.SELF_ASSESSED),
    ("Trà Tây", S.SELF_ASSESSED),
    ("Trà Phong", S.CONFIRMED),
    ("Sơn Trà", S.CONFIRMED),
    ("Hương Trà", S.APPRAISED_1),
    ("Trà Thủy", S.APPRAISED_1),
    ("Trà Bùi", S.EXPLANATION),
    ("Trà Tân", S.EXPLANATION),
    ("Trà Sơn", S.EXPLANATION),
    ("Trà Bình", S.APPRAISED_2),
    ("Trà Giang", S.APPRAISED_2),
    ("Trà Hiệp", S.APPRAISED_2),
    ("Trà Lâm", S.APPRAISED_2),
    ("Trà Phú", S.APPRAISED_2),
]
# The demo officer and leader accounts of load_demo belong to this commune.
HOME_COMMUNE = "Trà Xuân"

# Officer and leader of every commune (invented names). Those of Trà Xuân and the
# officer of Trà Bùi are the demo accounts of load_demo, created there.
STAFF = {
    "Trà Xuân": ("Hồ Văn Minh", "Đinh Văn Lực"),
    "Trà Bình": ("Nguyễn Thị Hồng Nhung", "Đinh Văn Tư"),
    "Trà Bùi": ("Hồ Thị Lan", "Hồ Văn Thịnh"),
    "Trà Giang": ("Trần Văn Quý", "Hồ Văn Dương"),
    "Trà Hiệp": ("Đinh Thị Mỹ Linh", "Hồ Văn Ngoan"),
    "Trà Lâm": ("Lê Văn Tài", "Đinh Văn Hải"),
    "Trà Phú": ("Phạm Thị Thu Trang", "Nguyễn Văn Sỹ"),
    "Trà Sơn": ("Hồ Văn Vũ", "Đinh Văn Dũng"),
    "Trà Tân": ("Hồ Thị Kim Oanh", "Hồ Văn Bình"),
    "Trà Thủy": ("Võ Văn Phước", "Đinh Văn Rê"),
    "Hương Trà": ("Hồ Thị Bích", "Hồ Văn Tiên"),
    "Sơn Trà": ("Đinh Văn Nhân", "Hồ Văn Thắng"),
    "Trà Phong": ("Hồ Thị Hiền", "Đinh Văn Kiên"),
    "Trà Tây": ("Nguyễn Văn Đông", "Hồ Văn Lâm"),
    "Trà Thanh": ("Đinh Thị Thanh Xuân", "Hồ Văn Quang"),
    "Trà Xinh": ("Hồ Văn Bảy", "Đinh Văn Hoàng"),
}

# username (a demo account of load_demo), council role, the pillars assigned (whole)
COUNCIL = [
    ("hd.chutich", CouncilRole.CHAIR, ("7",)),
    ("hd.thuky", CouncilRole.SECRETARY, ("1", "2", "3")),
    ("congan", CouncilRole.MEMBER, ("5", "9")),
    ("noivu", CouncilRole.MEMBER, ("4", "8")),
]
ORGANIZER = "vhtt"
ADMINISTRATOR = "admin"

# This year's data providers (accounts of load_demo): what each agency provides, an
# indicator's code or "@" and a general-information code, and for which communes (none
# named: every one). They send their figures once the communes have answered, so most are
# kept aside beside the unit's own; Trà Xuân, reopened and waiting for the statistics
# office's economic figures, gets its 8.1 pre-filled.
PROVIDERS = [
    ("thongke", "@tong_so_ho_gia_dinh", ()),
    ("thongke", "8.1", ()),
    (
        "viettel",
        "3.3",
        (
            "Trà Xuân",
            "Trà Xinh",
            "Trà Thanh",
            "Trà Tây",
            "Trà Phong",
            "Sơn Trà",
            "Hương Trà",
            "Trà Thủy",
        ),
    ),
]
# Figures not sent yet: the providers' pages have something missing.
NOT_SENT = {
    ("thongke", "@tong_so_ho_gia_dinh"): ("Trà Lâm", "Trà Phú"),
    ("thongke", "8.1"): ("Trà Phú",),
    ("viettel", "3.3"): ("Sơn Trà", "Hương Trà", "Trà Thủy"),
}

# Units in these states have been through round 1, and through the explanation.
APPRAISED = {S.APPRAISED_1, S.EXPLANATION, S.APPRAISED_2, S.PUBLISHED}
EXPLAINED = {S.EXPLANATION, S.APPRAISED_2, S.PUBLISHED}


def slug(name: str) -> str:
    """``Trà Xuân`` → ``traxuan``: the first part of the commune's usernames."""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c)).lower()


def officer_username(commune: str) -> str:
    return f"{slug(commune)}.canbo"


def leader_username(commune: str) -> str:
    return f"{slug(commune)}.lanhdao"


def campaign_name(year: int) -> str:
    return CAMPAIGN_NAME.format(year=year)


def find_campaign(district: AdministrativeUnit, year: int) -> Campaign | None:
    return Campaign.objects.filter(
        organizing_unit=district, name=campaign_name(year), year=year
    ).first()


# --- the two stories ------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """What one demo campaign goes through; ``Builder`` tells it."""

    year: int
    day: date  # D of the campaign's calendar (``final_calendar``)
    plan: list[tuple[str, str]]  # (commune, the state it is left in), in the summary's order
    council_decision: str
    # Seeds the communes' answers and the council's findings (``profile_of``, ``round_one``).
    seed: str = "dti-demo"
    years_before: int = 0  # 1: last year's figures of the same communes
    # How many of its lowered indicators each commune disputes in its explanation
    # (communes not named explain nothing).
    disputes: Mapping[str, int] = field(default_factory=dict)
    # Sent back once by the leader before being confirmed.
    returned: tuple[str, ...] = ()
    # Leave a draft explanation they never submit, beside their disputes.
    drafts: tuple[str, ...] = ()
    # Communes still in Explanation: how many disputes had their second look already.
    reappraised_so_far: Mapping[str, int] = field(default_factory=dict)
    # Round-1 appraisals that agree with the self score in one statement, for load
    # time (``Builder.agree_in_bulk``); the others always go through the service.
    agree_in_bulk: bool = False
    # The decision that publishes the results (``rankings.services.campaign_publish``).
    publication: Mapping | None = None
    # The data providers are named and send their figures (``PROVIDERS``).
    providers: bool = False

    @property
    def name(self) -> str:
        return campaign_name(self.year)


def current_story(today: date) -> Story:
    """This year's campaign, as it stands during round 2 (``PLAN``)."""
    return Story(
        year=today.year,
        day=today,
        plan=PLAN,
        council_decision="1568/QĐ-UBND",
        disputes={
            name: 1 if name == "Trà Sơn" else 2
            for name, state in PLAN
            if state in (S.EXPLANATION, S.APPRAISED_2)
        },
        returned=("Trà Bình",),
        drafts=("Trà Sơn",),
        reappraised_so_far={"Trà Tân": 1},
        providers=True,
    )


def previous_story(today: date) -> Story:
    """Last year's campaign: every commune published, a few disputes on the way."""
    year = today.year - 1
    return Story(
        year=year,
        # Round 1 in late October, the explanation in early November, round 2 until
        # 21 November, the publication decision on 28 November.
        day=date(year, 11, 15),
        plan=[(name, S.PUBLISHED) for name, _state in PLAN],
        council_decision="1432/QĐ-UBND",
        # Chosen among a few seeds so that the DTI table has a tie: two communes
        # share rank 15, as equal values do in the national tables.
        seed="dti-demo/published/3",
        years_before=1,
        disputes={"Trà Giang": 2, "Trà Sơn": 2, "Trà Bình": 1, "Trà Thủy": 1, "Sơn Trà": 1},
        returned=("Trà Hiệp",),
        agree_in_bulk=True,
        publication={
            "decision_number": "2675/QĐ-UBND",
            "decision_date": date(year, 11, 28),
            "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
            "signer_name": "Nguyễn Văn Thạnh",
        },
    )


# --- the calendar ---------------------------------------------------------------------


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def final_calendar(today: date) -> dict:
    day = timedelta(days=1)
    return {
        PhaseKind.SELF_ASSESSMENT: {
            "opens_at": _moment(today - 45 * day, 8),
            "closes_at": _moment(today - 24 * day, 17),
        },
        PhaseKind.ROUND_1: {
            "opens_at": _moment(today - 23 * day, 8),
            "closes_at": _moment(today - 13 * day, 17),
        },
        PhaseKind.EXPLANATION: {
            "opens_at": _moment(today - 12 * day, 8),
            "closes_at": _moment(today - 6 * day, 17),
        },
        PhaseKind.ROUND_2: {
            "opens_at": _moment(today - 5 * day, 8),
            "closes_at": _moment(today + 6 * day, 17),
        },
        PhaseKind.PUBLICATION: {"closes_at": _moment(today + 13 * day, 17)},
    }


def building_calendar(calendar_day: date, today: date) -> dict:
    """The final calendar of D = ``calendar_day`` with self-assessment, round 1 and
    explanation open ``today``.

    Windows may overlap as long as they open and close in order, so the
    services that check the clock accept what the history needs.
    """
    day = timedelta(days=1)
    phases = final_calendar(calendar_day)
    for offset, kind in enumerate(
        [PhaseKind.SELF_ASSESSMENT, PhaseKind.ROUND_1, PhaseKind.EXPLANATION, PhaseKind.ROUND_2],
        start=1,
    ):
        phases[kind] = {**phases[kind], "closes_at": _moment(today + offset * day, 17)}
    publication = phases[PhaseKind.PUBLICATION]["closes_at"]
    phases[PhaseKind.PUBLICATION] = {"closes_at": max(publication, _moment(today + 5 * day, 17))}
    return phases


# --- a commune's figures ----------------------------------------------------------------


def _whole(value) -> int:
    return int(Decimal(str(value)).to_integral_value(rounding=ROUND_HALF_UP))


@dataclass
class Profile:
    """One commune's invented but plausible figures; the same every time (seeded)."""

    unit: AdministrativeUnit
    rng: random.Random
    strength: float
    general_info: dict[str, str]
    base: dict[str, int]
    denominators: dict[str, int] = field(default_factory=dict)

    @property
    def place(self) -> str:
        return {UnitKind.TOWNSHIP: "thị trấn", UnitKind.WARD: "phường"}.get(self.unit.kind, "xã")

    @property
    def authority(self) -> str:
        return f"UBND {self.place} {self.unit.name}"

    def rate(self) -> float:
        return min(1.0, max(0.05, self.strength + self.rng.uniform(-0.22, 0.12)))

    def denominator(self, label: str) -> int:
        """The same figure for the same label in every indicator (villages, dossiers ...)."""
        if label not in self.denominators:
            self.denominators[label] = self._guess(label.casefold())
        return self.denominators[label]

    def _guess(self, label: str) -> int:
        b, rng = self.base, self.rng
        for words, value in [
            ("thôn, tổ dân phố", lambda: b["villages"]),
            ("nhiệm vụ", lambda: rng.randint(9, 16)),
            ("máy tính", lambda: b["officials"] + rng.randint(3, 7)),
            ("có phí, lệ phí", lambda: b["dossiers"] * rng.randint(12, 20) // 100),
            ("hồ sơ tthc", lambda: b["dossiers"]),
            ("văn bản đi", lambda: b["dossiers"] * rng.randint(55, 80) // 100),
            ("sổ hộ tịch", lambda: rng.randint(40, 140)),
            ("cuộc họp", lambda: rng.randint(28, 60)),
            ("phản ánh", lambda: rng.randint(4, 26)),
            ("hộ kinh doanh", lambda: b["shops"]),
            ("hợp tác xã", lambda: rng.randint(1, 4)),
            ("15 tuổi", lambda: b["people"] * rng.randint(68, 76) // 100),
            ("an sinh", lambda: b["people"] * rng.randint(4, 8) // 100),
        ]:
            if words in label:
                return max(1, value())
        return rng.randint(10, 50)


def profile_of(
    unit: AdministrativeUnit, *, seed: str = "dti-demo", years_before: int = 0
) -> Profile:
    """The commune's figures this year, or ``years_before`` years earlier.

    Earlier, the commune is the same one, slightly smaller and mostly less far
    along (a few did better then), and its answers are drawn from ``seed``.
    """
    profile = _profile_this_year(unit)
    if not years_before:
        return profile
    rng = random.Random(f"{seed}/{unit.name}")
    progress = rng.uniform(-0.06, 0.18) * years_before
    shrink = 1 - rng.uniform(0.005, 0.02) * years_before
    base = {**profile.base}
    base["people"] = int(base["people"] * shrink)
    base["dossiers"] = int(base["dossiers"] * (1 - rng.uniform(0.05, 0.15) * years_before))
    info = profile.general_info
    enterprises = max(1, int(info["tong_so_doanh_nghiep"]) - rng.randint(0, 2))
    general_info = {
        **info,
        "tong_so_doanh_nghiep": str(enterprises),
        "tong_so_nguoi_dan": str(base["people"]),
        "tong_so_ho_gia_dinh": str(int(int(info["tong_so_ho_gia_dinh"]) * shrink)),
    }
    strength = round(min(0.95, max(0.4, profile.strength - progress)), 2)
    return Profile(unit, rng, strength, general_info, base)


def _profile_this_year(unit: AdministrativeUnit) -> Profile:
    rng = random.Random(f"dti-demo/{unit.name}")
    township = unit.kind == UnitKind.TOWNSHIP
    strength = 0.9 if township else round(rng.uniform(0.55, 0.88), 2)
    people = rng.randint(8800, 10500) if township else rng.randint(2600, 7200)
    households = people * 10 // rng.randint(37, 43)
    officials = rng.randint(21, 24) if township else rng.randint(18, 22)
    base = {
        "people": people,
        "officials": officials,
        "villages": rng.randint(5, 7) if township else rng.randint(4, 9),
        "dossiers": rng.randint(2300, 3100) if township else rng.randint(450, 1500),
        "shops": rng.randint(260, 340) if township else rng.randint(20, 90),
    }
    general_info = {
        "tong_so_cbcc": str(officials),
        "tong_so_doanh_nghiep": str(rng.randint(35, 55) if township else rng.randint(2, 12)),
        "tong_so_nguoi_dan": str(people),
        "tong_so_ho_gia_dinh": str(households),
    }
    return Profile(unit, rng, strength, general_info, base)


def _ordered(items, key: str) -> list:
    return sorted(items, key=lambda item: Decimal(str(item[key])))


def self_inputs(indicator: Indicator, profile: Profile) -> tuple[dict, str]:
    """Raw inputs the officer types for one indicator, and sometimes a note."""
    rule, rng = indicator.rule or {}, profile.rng
    method = indicator.method
    note = ""
    if method == scoring.YES_NO:
        # Where a document is required the unit has it (and cites it): yes.
        value = indicator.evidence_mandatory or rng.random() < profile.strength + 0.15
        return {"value": value}, note
    if method == scoring.LEVELS:
        options = list(reversed(_ordered(rule["options"], "points")))
        draw = rng.random()
        if draw < profile.strength:
            chosen = options[0]
        elif draw < profile.strength + (1 - profile.strength) * 0.75 or len(options) < 3:
            chosen = options[min(1, len(options) - 1)]
        else:
            chosen = options[-1]
        return {"option": chosen["key"]}, note
    if method == scoring.CHECKLIST:
        checked = [p["key"] for p in rule["parts"] if rng.random() < profile.strength + 0.1]
        return {"checked": checked}, note
    if method == scoring.TIERS:
        tiers = _ordered(rule["tiers"], "min")
        mins = [_whole(t["min"]) for t in tiers]
        index = min(len(tiers) - 1, int(profile.rate() * len(tiers)))
        if rng.random() < 0.08:
            value = max(0, mins[0] - 1)  # below every threshold: 0 points
        elif index + 1 < len(mins):
            value = mins[index] + rng.randint(0, max(0, mins[index + 1] - mins[index] - 1))
        else:
            value = mins[index] + rng.randint(0, 2)
        if rule.get("unit") == "%":
            value = min(value, 99)
        return {"value": str(value)}, note
    if method == scoring.COUNT:
        per_item = Decimal(str(rule["points_per_item"]))
        full = _whole(indicator.max_points / per_item)
        return {"value": str(max(0, _whole(full * Decimal(str(profile.rate())))))}, note
    if method == scoring.RATIO:
        inputs = {}
        b_spec, a_spec = rule.get("b") or {}, rule.get("a") or {}
        if b_spec.get("field"):
            b = _whole(profile.general_info.get(b_spec["field"], "0"))
        else:
            b = profile.denominator(b_spec.get("label") or indicator.code)
            inputs["b"] = str(b)
        if not a_spec.get("field"):
            inputs["a"] = str(min(b, _whole(b * profile.rate())))
        if indicator.verifier and rng.random() < 0.3:
            note = f"Số liệu đã đối chiếu với {indicator.verifier}."
        return inputs, note
    if method == scoring.MANUAL:
        points = rng.choice([Decimal(0), Decimal(0), indicator.max_points / 2])
        if points:
            note = (
                f"Mô hình “Tổ công nghệ số cộng đồng đến từng nóc nhà” của {profile.place} "
                f"{profile.unit.name} được UBND huyện công nhận."
            )
        return {"value": str(points)}, note
    return {}, note  # pragma: no cover - every method of the engine is above


def lowered_inputs(indicator: Indicator, inputs: Mapping, profile: Profile):
    """What a council member verified instead, with the comment; None if nothing to lower."""
    rule, method = indicator.rule or {}, indicator.method
    if method == scoring.YES_NO and inputs.get("value") is True:
        return (
            {"value": False},
            "Văn bản gửi kèm là bản dự thảo, chưa được ký ban hành; chưa đủ căn cứ công nhận.",
        )
    if method == scoring.LEVELS:
        options = list(reversed(_ordered(rule["options"], "points")))
        keys = [o["key"] for o in options]
        at = keys.index(inputs.get("option")) if inputs.get("option") in keys else len(keys) - 1
        if at + 1 < len(options):
            lower = options[at + 1]
            return (
                {"option": lower["key"]},
                f"Theo tài liệu kiểm chứng, đơn vị đạt mức “{lower['label']}”.",
            )
    if method == scoring.CHECKLIST and inputs.get("checked"):
        parts = {p["key"]: p["label"] for p in rule["parts"]}
        dropped = inputs["checked"][-1]
        return (
            {"checked": list(inputs["checked"][:-1])},
            f"Chưa có tài liệu chứng minh nội dung “{parts.get(dropped, dropped)}”.",
        )
    if method in (scoring.TIERS, scoring.COUNT):
        value = _whole(inputs.get("value") or 0)
        if value > 0:
            lower = value * 2 // 3
            unit = rule.get("unit") or ""
            return (
                {"value": str(lower)},
                f"Danh sách kèm theo chỉ xác minh được {lower} {unit} (có mục trùng lặp "
                "hoặc không có tài liệu chứng minh).".replace("  ", " "),
            )
    if method == scoring.RATIO and inputs.get("a"):
        a = _whole(inputs["a"])
        if a > 0:
            lower = a * 85 // 100
            source = indicator.verifier or "cơ quan cung cấp số liệu"
            return (
                {**inputs, "a": str(lower)},
                f"Đối chiếu số liệu của {source}, chỉ xác nhận được {lower} (đơn vị báo cáo {a}).",
            )
    if method == scoring.MANUAL and Decimal(str(inputs.get("value") or 0)) > 0:
        return (
            {"value": "0"},
            "Chưa có quyết định công nhận sáng kiến của cấp có thẩm quyền.",
        )
    return None


# Documents the officer cites for the indicators that require evidence (by code);
# other codes get a generic report of the commune.
CITATIONS = {
    "1.3": ("{n}/CT-UBND", "Chỉ thị về đẩy mạnh chuyển đổi số trên địa bàn năm {year}"),
    "2.1": ("{n}/KH-UBND", "Kế hoạch chuyển đổi số năm {year}"),
    "2.3": ("{n}/QĐ-UBND", "Quyết định giao dự toán thu, chi ngân sách năm {year}"),
    "2.5": (
        "{n}/QĐ-UBND",
        "Quyết định kiện toàn Tổ công nghệ số cộng đồng xã và các thôn, tổ dân phố",
    ),
    "4.2": (
        "{n}/QĐ-UBND",
        "Quyết định phân công công chức phụ trách công nghệ thông tin, chuyển đổi số",
    ),
}
GENERIC_CITATION = ("{n}/BC-UBND", "Báo cáo kết quả thực hiện chỉ số {code} năm {year}")


# --- the build ------------------------------------------------------------------------------


@dataclass
class Result:
    """What ``load_campaigns`` did with one story."""

    story: Story
    campaign: Campaign | None = None
    created: bool = False
    indicator_set: IndicatorSet | None = None
    set_copied_from: IndicatorSet | None = None
    # The commune accounts created; given on the first campaign a run builds, else None.
    staff_created: int | None = None
    skipped_because_set_is_used: Campaign | None = None
    publication: Publication | None = None  # the newest, for a published story


def ensure_staff(units: Mapping[str, AdministrativeUnit], password) -> tuple[dict, int]:
    """The officer and leader of every planned commune; an existing account is left as it is."""
    groups = {
        role: Group.objects.get_or_create(name=role)[0]
        for role in (Role.UNIT_OFFICER, Role.UNIT_LEADER)
    }
    people, created = {}, 0
    for commune, _state in PLAN:
        for username, full_name, role in [
            (officer_username(commune), STAFF[commune][0], Role.UNIT_OFFICER),
            (leader_username(commune), STAFF[commune][1], Role.UNIT_LEADER),
        ]:
            user, new = User.objects.get_or_create(
                username=username, defaults={"full_name": full_name, "unit": units[commune]}
            )
            if new:
                user.password = password.hashed()
                user.save(update_fields=["password"])
                user.groups.add(groups[role])
                created += 1
            people[username] = user
    return people, created


def indicator_set_for(base: IndicatorSet, year: int) -> tuple[IndicatorSet, IndicatorSet | None]:
    """The commune set of ``year``: ``base`` itself, or its copy for the year (made once)."""
    if base.year == year:
        return base, None
    found = IndicatorSet.objects.filter(name=base.name, tier=base.tier, year=year).first()
    copied_from = None
    if found is None:
        found = indicator_set_copy(indicator_set=base, year=year)
        copied_from = base
    if found.status == SetStatus.DRAFT:
        found = indicator_set_activate(indicator_set=found)
    return found, copied_from


def latest_publication(campaign: Campaign) -> Publication | None:
    return Publication.objects.filter(campaign=campaign).order_by("-version").first()


def load_campaigns(
    *,
    district: AdministrativeUnit,
    units: Mapping[str, AdministrativeUnit],
    base_set: IndicatorSet,
    accounts: Mapping[str, User],
    password,
) -> list[Result]:
    """Last year's published campaign, then this year's: each built once, then left alone.

    A campaign already there (found by name, year and district) is not touched;
    nor is a year whose commune set the district already uses for a campaign of
    its own. ``password`` gives the new accounts' password hash:
    ``password.hashed()``. The stories are told around the current moment: the
    services check the clock.
    """
    if base_set.tier != Tier.COMMUNE:
        raise ValueError("The demo campaigns need the commune indicator set.")
    now = timezone.now()
    today = timezone.localtime(now).date()
    results, people = [], None
    for story in (previous_story(today), current_story(today)):
        existing = find_campaign(district, story.year)
        if existing is not None:
            results.append(
                Result(
                    story,
                    campaign=existing,
                    indicator_set=existing.indicator_set,
                    publication=latest_publication(existing),
                )
            )
            continue
        indicator_set, copied_from = indicator_set_for(base_set, story.year)
        used = Campaign.objects.filter(organizing_unit=district, indicator_set=indicator_set)
        if (used := used.first()) is not None:
            results.append(
                Result(story, indicator_set=indicator_set, skipped_because_set_is_used=used)
            )
            continue
        staff_created = None
        if people is None:
            staff, staff_created = ensure_staff(units, password)
            people = {**accounts, **staff}
        builder = Builder(
            story=story,
            units=units,
            indicator_set=indicator_set,
            people=people,
            now=now,
        )
        campaign = builder.build()
        results.append(
            Result(
                story,
                campaign=campaign,
                created=True,
                indicator_set=indicator_set,
                set_copied_from=copied_from,
                staff_created=staff_created,
                publication=builder.publication,
            )
        )
    return results


class Builder:
    """Tells one ``Story`` through the services, in order (``build``)."""

    def __init__(self, *, story: Story, units, indicator_set, people, now):
        self.story = story
        self.units = units
        self.indicator_set = indicator_set
        self.people = people
        self.today = timezone.localtime(now).date()
        self.year = story.year
        self.calendar = final_calendar(story.day)
        self.organizer = people[ORGANIZER]
        self.admin = people[ADMINISTRATOR]
        self.chair = next(people[u] for u, role, _p in COUNCIL if role == CouncilRole.CHAIR)
        self.profiles = {
            name: profile_of(units[name], seed=story.seed, years_before=story.years_before)
            for name, _state in story.plan
        }
        self.target = dict(story.plan)
        self.lowered: dict[int, list[tuple[Response, dict, str]]] = {}
        self.disputed: dict[int, list[Response]] = {}
        self.publication: Publication | None = None

    # --- helpers ---

    def officer(self, commune):
        return self.people[officer_username(commune)]

    def leader(self, commune):
        return self.people[leader_username(commune)]

    def responses(self, assessment) -> list[Response]:
        rows = Response.objects.filter(assessment=assessment).select_related(
            "indicator", "indicator__pillar"
        )
        return sorted(
            rows,
            key=lambda r: (r.indicator.pillar.order, natural_key(r.indicator.code)),
        )

    def reload(self, assessment) -> Assessment:
        return Assessment.objects.select_related("campaign", "unit").get(pk=assessment.pk)

    def opening_day(self, kind: str) -> date:
        return timezone.localtime(self.calendar[kind]["opens_at"]).date()

    # --- the story, in order ---

    def build(self) -> Campaign:
        plan = self.story.plan
        campaign = assessment_services.campaign_create(
            organizer=self.organizer,
            name=self.story.name,
            year=self.year,
            indicator_set=self.indicator_set,
            phases=building_calendar(self.story.day, self.today),
            units=[self.units[name] for name, _state in plan],
        )
        self.campaign = campaign
        self.form_council()
        assessments = {
            a.unit.name: a
            for a in Assessment.objects.filter(campaign=campaign).select_related("unit")
        }
        for name, _state in plan:
            self.self_assess(name, assessments[name])
        for name, state in plan:
            if state in APPRAISED:
                self.round_one(name, assessments[name])
        for name, state in plan:
            if state in EXPLAINED:
                self.explain(name, assessments[name])
        assessment_services.campaign_set_phases(
            campaign=campaign, user=self.organizer, phases=self.calendar
        )
        for name, state in plan:
            if state in EXPLAINED:
                self.round_two(name, assessments[name], close=state != S.EXPLANATION)
        for name, state in plan:
            if state in (S.OPEN, S.SELF_ASSESSED):
                self.late(name, assessments[name])
        if self.story.providers:
            self.provide()
        if self.story.publication is not None:
            self.publication = rankings_services.campaign_publish(
                campaign=campaign, user=self.organizer, **self.story.publication
            )
        return campaign

    def form_council(self):
        council = council_services.council_create(
            campaign=self.campaign,
            user=self.organizer,
            decision_number=self.story.council_decision,
            decision_date=self.opening_day(PhaseKind.SELF_ASSESSMENT) - timedelta(days=5),
        )
        pillars = {p.code: p for p in self.indicator_set.pillars.all()}
        covered = set()
        members = []
        for username, role, codes in COUNCIL:
            member = council_services.member_add(
                council=council, user=self.organizer, member_user=self.people[username], role=role
            )
            members.append((member, codes))
            covered.update(codes)
        # A pillar the plan does not name (a changed set) goes to the secretary.
        secretary = next(m for m, _codes in members if m.role == CouncilRole.SECRETARY)
        extra = [p for code, p in pillars.items() if code not in covered and p.indicators.exists()]
        for member, codes in members:
            chosen = [pillars[code] for code in codes if code in pillars]
            if member == secretary:
                chosen += extra
            if chosen:
                council_services.assignment_set(
                    council=council, user=self.organizer, member=member, pillars=chosen
                )
        self.council = council
        assignments = Assignment.objects.filter(member__council=council).select_related(
            "member__user"
        )
        self.owner_member = {a.indicator_id: a.member for a in assignments}
        self.owner = {pk: member.user for pk, member in self.owner_member.items()}

    def self_assess(self, name: str, assessment: Assessment):
        target, profile = self.target[name], self.profiles[name]
        officer = self.officer(name)
        assessment_services.assessment_set_general_info(
            assessment=assessment, user=officer, values=profile.general_info
        )
        for response in self.responses(assessment):
            inputs, note = self_inputs(response.indicator, profile)
            saved = assessment_services.response_save(
                user=officer,
                expected_version=response.version,
                inputs=inputs,
                note=note,
                response_id=response.pk,
            )
            self.cite(saved, officer, profile)
        assessment_services.assessment_submit(assessment=assessment, user=officer)
        if target == S.OPEN:
            return  # submitted, then reopened late (``late``)
        leader = self.leader(name)
        if name in self.story.returned:
            # The leader sends it back once with a note; the officer corrects and resubmits.
            response = next(r for r in self.responses(assessment) if r.indicator.code == "1.4")
            assessment_services.assessment_return_for_editing(
                assessment=assessment,
                user=leader,
                reason="Đề nghị bổ sung danh sách tin, bài của đài truyền thanh xã (chỉ số 1.4).",
            )
            value = _whole(response.inputs.get("value") or 0) + 4
            assessment_services.response_save(
                user=officer,
                expected_version=response.version,
                inputs={"value": str(value)},
                note="Đã bổ sung 4 tin, bài của đài truyền thanh xã.",
                response_id=response.pk,
            )
            assessment_services.assessment_submit(assessment=assessment, user=officer)
        assessment_services.assessment_confirm(assessment=assessment, user=leader)

    def cite(self, response: Response, officer, profile: Profile):
        """Evidence as the officer adds it: the required documents, and some more."""
        indicator, rng = response.indicator, profile.rng
        asked = (indicator.evidence_required or "").casefold()
        achieved = bool(response.self_score)
        required = indicator.evidence_mandatory or (indicator.method == scoring.MANUAL and achieved)
        if required or (achieved and "số hiệu" in asked and rng.random() < 0.5):
            kind = "citation"
        elif achieved and "đường dẫn" in asked and rng.random() < 0.7:
            kind = "link"
        else:
            return
        if kind == "link":
            assessment_services.evidence_add_link(
                response=response,
                user=officer,
                url=f"https://{slug(profile.unit.name)}.trabong.quangngai.gov.vn/"
                f"chuyen-muc/chuyen-doi-so?chi-so={indicator.code}",
            )
            return
        number, summary = CITATIONS.get(indicator.code, GENERIC_CITATION)
        issued = self.story.day - timedelta(days=60 + rng.randint(0, 200))
        assessment_services.evidence_add_citation(
            response=response,
            user=officer,
            number=number.format(n=rng.randint(12, 240)),
            date=issued,
            issuer=profile.authority,
            summary=summary.format(year=self.year, code=indicator.code),
        )

    def round_one(self, name: str, assessment: Assessment):
        profile = self.profiles[name]
        rng = random.Random(f"{self.story.seed}/round-1/{name}")
        responses = self.responses(assessment)
        general_info = self.reload(assessment).general_info
        candidates = []
        for response in responses:
            found = lowered_inputs(response.indicator, response.inputs, profile)
            if found is None or not response.self_score:
                continue
            score = response.indicator.score(found[0], general_info)
            if score < response.self_score:
                candidates.append((response, *found))
        lowered = rng.sample(candidates, min(len(candidates), rng.randint(3, 5)))
        lowered.sort(
            key=lambda item: (item[0].indicator.pillar.order, natural_key(item[0].indicator.code))
        )
        by_pk = {item[0].pk: item for item in lowered}
        agreeing = []
        for response in responses:
            member = self.owner[response.indicator_id]
            if response.pk in by_pk:
                _response, inputs, comment = by_pk[response.pk]
            elif self.story.agree_in_bulk:
                agreeing.append(response)
                continue
            else:
                inputs, comment = response.inputs, ""
            council_services.appraisal_record(
                response=response,
                member_user=member,
                round=Round.ONE,
                inputs=inputs,
                comment=comment,
            )
        if agreeing:
            self.agree_in_bulk(assessment, agreeing)
        council_services.close_round_one(assessment=assessment, user=self.chair)
        self.lowered[assessment.pk] = lowered

    def agree_in_bulk(self, assessment: Assessment, responses: list[Response]):
        """Round-1 appraisals that confirm the self score, written in one statement.

        For last year only, for load time: through ``appraisal_record`` each
        costs a dozen queries (locking the unit, the council, the member, the
        permission's ``Exists``, the window), about 20 ms on SQLite, so the 900
        agreeing appraisals of a whole campaign took some 18 s of the load
        (``round_one`` was then the largest part of it). The rows are the ones
        the service writes: the assigned member, the unit's inputs as the
        verified inputs, the score from the same engine (``Indicator.score``),
        no comment (none is needed when the score is the self score; a score
        that differed would be a bug and is refused) and a history row in the
        member's name. What the service checks on every call is checked once
        per unit: the unit is Confirmed and the round-1 window is open; the
        members were assigned whole pillars and belong to district agencies,
        never to a commune. The lowered appraisals, with their comments, and
        every round-2 appraisal still go through ``appraisal_record``, and
        closing round 1 (``close_round_one``) checks that every indicator has
        its score from its assigned member.
        """
        assessment = self.reload(assessment)
        if assessment.state != S.CONFIRMED:
            raise ValidationError(f"{assessment.unit}: round 1 is for Confirmed units only.")
        problem = windows.window_problem(assessment.campaign, PhaseKind.ROUND_1)
        if problem:
            raise ValidationError(problem)
        rows = []
        for response in responses:
            score = response.indicator.score(response.inputs, assessment.general_info)
            if score != response.self_score:
                raise ValueError(f"{response.indicator.code}: the engine disagrees with itself")
            member = self.owner_member[response.indicator_id]
            appraisal = Appraisal(
                response=response,
                round=Round.ONE,
                member=member,
                inputs=dict(response.inputs),
                score=score,
                comment="",
            )
            appraisal._history_user = member.user
            response.assessment = assessment
            rows.append(appraisal)
        created = bulk_create_with_history(rows, Appraisal)
        # Their audit entries too, as the service's would be (one statement).
        AuditEntry.objects.bulk_create(
            council_audit.appraisal_entry(row, row._history_user, new=True, changed={})
            for row in created
        )

    def explain(self, name: str, assessment: Assessment):
        officer, profile = self.officer(name), self.profiles[name]
        assessment_services.assessment_open_explanation(assessment=assessment, user=self.organizer)
        lowered = self.lowered[assessment.pk]
        count = self.story.disputes.get(name, 0)
        disputed = [response for response, _inputs, _comment in lowered[:count]]
        explanation_opens = self.calendar[PhaseKind.EXPLANATION]["opens_at"]
        for index, response in enumerate(disputed):
            indicator = response.indicator
            if index == 0:
                assessment_services.evidence_add_citation(
                    response=response,
                    user=officer,
                    number=f"{profile.rng.randint(150, 320)}/BC-UBND",
                    date=self.opening_day(PhaseKind.EXPLANATION) + timedelta(days=1),
                    issuer=profile.authority,
                    summary=f"Báo cáo giải trình, bổ sung số liệu chỉ số {indicator.code}",
                )
            else:
                assessment_services.evidence_add_link(
                    response=response,
                    user=officer,
                    url=f"https://{slug(name)}.trabong.quangngai.gov.vn/chuyen-doi-so/chi-so-"
                    f"{indicator.code.replace('.', '-')}",
                )
            council_services.explanation_submit(
                response=response,
                user=officer,
                text=explanation_text(indicator, profile),
                at=explanation_opens + timedelta(days=1 + index, hours=2 + len(name) % 6),
            )
        if name in self.story.drafts and len(lowered) > count:
            # A draft the unit never submitted: not disputed, keeps its round-1 score.
            council_services.explanation_save_draft(
                response=lowered[count][0],
                user=officer,
                text="Đơn vị đang tổng hợp lại số liệu để giải trình.",
                at=explanation_opens + timedelta(days=3),
            )
        self.disputed[assessment.pk] = disputed

    def round_two(self, name: str, assessment: Assessment, *, close: bool):
        lowered = {
            response.pk: inputs for response, inputs, _comment in self.lowered[assessment.pk]
        }
        disputed = self.disputed[assessment.pk]
        if not close:
            # Still in round 2: not every dispute has had its second look yet.
            disputed = disputed[: self.story.reappraised_so_far.get(name, 0)]
        # Now, inside this year's round 2; in the last hours of a round 2 that is over.
        at = min(timezone.now(), self.calendar[PhaseKind.ROUND_2]["closes_at"] - timedelta(hours=3))
        for index, response in enumerate(disputed):
            accepted = index == 0
            council_services.appraisal_record(
                response=response,
                member_user=self.owner[response.indicator_id],
                round=Round.TWO,
                inputs=response.inputs if accepted else lowered[response.pk],
                comment=(
                    "Đơn vị đã bổ sung tài liệu chứng minh đầy đủ; Hội đồng chấp nhận giải "
                    "trình, công nhận kết quả tự đánh giá."
                    if accepted
                    else "Tài liệu bổ sung chưa chứng minh được số liệu tại thời điểm đánh giá; "
                    "giữ nguyên kết quả thẩm định vòng 1."
                ),
                at=at,
            )
        if close:
            council_services.close_round_two(assessment=assessment, user=self.chair)

    def provide(self):
        """The organizer names the data providers; they send their figures (``PROVIDERS``).

        The figures agree with the communes' own, give or take a few (the agencies'
        registers are not the communes'); a commune that answered nothing gets one
        of the agency's own.
        """
        indicators = {
            i.code: i for i in Indicator.objects.filter(pillar__indicator_set=self.indicator_set)
        }
        fields = {f.code: f for f in self.indicator_set.general_info_fields.all()}
        assessments = {
            a.unit.name: a
            for a in Assessment.objects.filter(campaign=self.campaign).select_related("unit")
        }
        for username, code, communes in PROVIDERS:
            user = self.people.get(username)
            field_code = code[1:] if code.startswith("@") else ""
            target = fields.get(field_code) if field_code else indicators.get(code)
            if user is None or user.agency_id is None or target is None:
                continue  # an account changed by hand, or another indicator set
            provider_services.provider_assignment_create(
                user=self.organizer,
                campaign=self.campaign,
                agency=user.agency,
                units=[self.units[name] for name in communes],
                **({"info_field": target} if field_code else {"indicator": target}),
            )
            skipped = NOT_SENT.get((username, code), ())
            rows = [
                FigureRow(
                    unit=self.units[name].pk,
                    field=field_code,
                    indicator="" if field_code else code,
                    value=self.provided_value(code, assessments[name]),
                )
                for name in communes or [name for name, _state in self.story.plan]
                if name not in skipped
            ]
            provider_services.figures_provide(
                user=user,
                campaign=self.campaign,
                rows=rows,
                channel=Channel.SHEET if field_code else Channel.FORM,
                all_or_nothing=True,
            )

    def provided_value(self, code: str, assessment: Assessment):
        """The agency's figure for one commune: near the commune's own (seeded)."""
        rng = random.Random(f"dti-demo/providers/{assessment.unit.name}/{code}")
        info = assessment.general_info
        if code.startswith("@"):
            own = _whole(info.get(code[1:]) or 400)
            return str(own if rng.random() < 0.7 else own + rng.randint(-12, 12))
        response = (
            Response.objects.filter(assessment=assessment, indicator__code=code)
            .select_related("indicator")
            .first()
        )
        rule = response.indicator.rule or {}
        own = response.inputs or {}
        value = {}
        b_field = (rule.get("b") or {}).get("field")
        b = _whole(info.get(b_field) or 0) if b_field else _whole(own.get("b") or rng.randint(5, 9))
        if not b_field:
            value["b"] = str(b)
        a = _whole(own["a"]) if own.get("a") else _whole(b * Decimal(str(rng.uniform(0.4, 0.9))))
        if rng.random() < 0.3:
            a += rng.choice((-1, 1))
        value["a"] = str(min(max(a, 0), b))
        return value

    def late(self, name: str, assessment: Assessment):
        """Reopened by the administrator with an extension, after the window closed."""
        target, officer = self.target[name], self.officer(name)
        until = _moment(self.today + timedelta(days=5), 17)
        if target == S.OPEN:
            reason = (
                f"Theo đề nghị của {self.profiles[name].authority}: bổ sung số liệu kinh tế số, "
                "xã hội số do Chi cục Thống kê cung cấp lại; gia hạn tự đánh giá."
            )
        else:
            reason = (
                f"Theo đề nghị của {self.profiles[name].authority}: điều chỉnh số liệu hạ tầng "
                "số sau khi đối chiếu với Viễn thông Trà Bồng; gia hạn tự đánh giá."
            )
        assessment_services.assessment_reopen(
            assessment=assessment,
            user=self.admin,
            to_state=S.OPEN,
            reason=reason,
            extend_until=until,
        )
        responses = self.responses(assessment)
        if target == S.OPEN:
            # The officer clears the figures being collected again: partly answered.
            pillars = {"8", "9"} if name == HOME_COMMUNE else {"9"}
            for response in responses:
                if response.indicator.pillar.code in pillars and response.indicator.code not in (
                    "9.1",
                    "9.3",
                ):
                    assessment_services.response_save(
                        user=officer,
                        expected_version=response.version,
                        inputs=None,
                        note="Đang chờ số liệu cập nhật của Chi cục Thống kê.",
                        response_id=response.pk,
                    )
            return
        for response in responses:
            if response.indicator.code in ("3.2", "3.3") and response.inputs.get("a"):
                a = _whole(response.inputs["a"])
                inputs = {**response.inputs, "a": str(a - max(1, a // 10))}
                assessment_services.response_save(
                    user=officer,
                    expected_version=response.version,
                    inputs=inputs,
                    note="Đã điều chỉnh theo số liệu của Viễn thông Trà Bồng.",
                    response_id=response.pk,
                )
        assessment_services.assessment_submit(assessment=self.reload(assessment), user=officer)


def explanation_text(indicator: Indicator, profile: Profile) -> str:
    if indicator.method == scoring.RATIO:
        return (
            "Số liệu của đơn vị được tổng hợp đến hết ngày 30/9, sau thời điểm cơ quan cung cấp "
            "số liệu chốt danh sách. Đơn vị gửi kèm danh sách chi tiết, đề nghị Hội đồng xem xét "
            f"công nhận kết quả tự đánh giá chỉ số {indicator.code}."
        )
    if indicator.method == scoring.YES_NO:
        return (
            "Văn bản đã được ký ban hành trước thời điểm tự đánh giá; đơn vị gửi kèm bản chính, "
            f"đề nghị Hội đồng công nhận chỉ số {indicator.code} đạt."
        )
    return (
        f"{profile.authority} bổ sung biên bản, danh sách kèm theo làm rõ kết quả thực hiện; đề "
        f"nghị Hội đồng xem xét lại kết quả thẩm định vòng 1 của chỉ số {indicator.code}."
    )


# --- what the summary shows -------------------------------------------------------------


@dataclass(frozen=True)
class UnitLine:
    commune: str
    state: str
    state_label: str
    officer: str
    leader: str
    answered: int
    total: int
    extended_until: datetime | None
    disputed: int
    reappraised: int


def unit_lines(campaign: Campaign) -> list[UnitLine]:
    """One line per assessed unit, in the order of ``PLAN`` (others after): 3 queries."""
    assessments = (
        Assessment.objects.filter(campaign=campaign)
        .select_related("unit")
        .annotate(
            answered=Count("responses", filter=Q(responses__self_score__isnull=False)),
            total=Count("responses"),
        )
    )
    explained = dict(
        Explanation.objects.filter(
            response__assessment__campaign=campaign, status=ExplanationStatus.SUBMITTED
        )
        .values_list("response__assessment_id")
        .annotate(n=Count("pk"))
    )
    reappraised = dict(
        Appraisal.objects.filter(response__assessment__campaign=campaign, round=Round.TWO)
        .values_list("response__assessment_id")
        .annotate(n=Count("response_id", distinct=True))
    )
    order = {name: index for index, (name, _state) in enumerate(PLAN)}
    lines = [
        UnitLine(
            commune=a.unit.name,
            state=a.state,
            state_label=a.get_state_display(),
            officer=officer_username(a.unit.name),
            leader=leader_username(a.unit.name),
            answered=a.answered,
            total=a.total,
            extended_until=a.extended_until
            if a.extended_until and a.extended_until > timezone.now()
            else None,
            disputed=explained.get(a.pk, 0),
            reappraised=reappraised.get(a.pk, 0),
        )
        for a in assessments
    ]
    return sorted(lines, key=lambda line: (order.get(line.commune, len(order)), line.commune))
