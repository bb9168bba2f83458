"""A campaign at national scale, for the benchmarks (``manage.py generate_campaign``).

What it builds, reproducibly from ``seed``: a province with ``units`` communes
under districts of 14, the commune reference set widened to ``indicators``
component indicators (the added ones are copies of real rows, marked
illustrative), one campaign whose calendar has the self-assessment and the
appraisal rounds open now, an organizer, a council of one member per pillar
(and a chair), an officer and a leader for the first ``open_units`` communes,
and for every commune: general information, a self-assessed answer to every
indicator, and — by the unit's state — round-1 appraisals of every response,
submitted explanations of the lowered ones and round-2 appraisals of those.

States: the first ``open_units`` communes are Open (answers saved, as on the
eve of a deadline), 5 % of the rest Confirmed, 5 % in Explanation, the others
Appraised-2. About 800,000 responses at 10,000 × 80. Last, the rankings are
computed and the final stage is published (snapshot only, see ``_publish``).

Answers are realistic because they are made the demo's way (``dti.demo``):
``profile`` archetypes (a commune's figures and strength) answer each
indicator, the one scoring engine scores the answer, and a council member
lowers some answers the way the demo's council does. Each commune draws one
archetype and which of its answers are lowered and disputed from its own
``random.Random(seed, index)``, so the whole campaign is the same for the same
seed. Rows go in with PostgreSQL's COPY (``bulk_create`` elsewhere); no
history rows are written for them, since nobody typed them.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from assessments.models import (
    LEVEL_OF_KIND,
    AdministrativeUnit,
    Agency,
    AgencyKind,
    Assessment,
    AssessmentState,
    Campaign,
    Phase,
    PhaseKind,
    Response,
    Role,
    UnitKind,
    User,
)
from councils.models import (
    Appraisal,
    Assignment,
    Council,
    CouncilMember,
    CouncilRole,
    Explanation,
    ExplanationStatus,
)
from indicators import scoring
from indicators.fixtures_loader import FIXTURES_DIR, load_indicator_set, read_fixture
from indicators.models import Indicator, IndicatorSet, SetStatus
from indicators.services import indicator_set_activate, indicator_set_freeze

from . import demo

BASE_SET = "commune-922-illustrative-2024.json"
DISTRICT_SIZE = 14
ARCHETYPES = 400
LOWERED_SHARE = 0.2  # of the answers a member can lower
DISPUTED_SHARE = 0.5  # of the lowered answers, explained by the unit
UPHELD_SHARE = 0.5  # of the disputed answers, restored in round 2


@dataclass(frozen=True)
class Answer:
    """One archetype's answer to one indicator: self and, if a member lowers it, round 1."""

    inputs: str  # JSON
    score: Decimal
    note: str
    lowered_inputs: str | None
    lowered_score: Decimal | None
    comment: str


@dataclass
class Generated:
    campaign: Campaign
    created: bool
    organizer: User
    officers: list[User]
    members: list[CouncilMember]
    counts: dict[str, int]


def tag_of(*, units: int, indicators: int, seed: int) -> str:
    return f"bench-{seed}-{units}x{indicators}"


def _widened_set(indicators: int, seed: int) -> dict:
    """The commune reference set with copies of its own rows until it has ``indicators``."""
    data = read_fixture(FIXTURES_DIR / BASE_SET)
    data = copy.deepcopy(data)
    scored = [
        pillar
        for group in data["groups"]
        for pillar in group["pillars"]
        if pillar.get("scored", True) and pillar["indicators"]
    ]
    counted = sum(1 for p in scored for row in p["indicators"] if not row.get("is_bonus"))
    if indicators < counted:
        raise ValueError(f"The base set already has {counted} indicators; ask for at least that.")
    rng = random.Random(f"{seed}/set")
    added = 0
    while counted + added < indicators:
        pillar = scored[added % len(scored)]
        originals = [row for row in pillar["indicators"] if not row.get("is_bonus")]
        row = copy.deepcopy(rng.choice(originals))
        row["code"] = f"{pillar['code']}.{len(pillar['indicators']) + 1}"
        row["name"] = f"{row['name']} (bản sao đo hiệu năng)"
        row["is_illustrative"] = True
        row["source_note"] = "Minh họa — bản sao một chỉ số của bộ, chỉ để đo hiệu năng"
        pillar["indicators"].append(row)
        added += 1
    for pillar in scored:
        # The copies change the real structure; the check would (rightly) refuse it.
        pillar.pop("check", None)
    data["set"].update(
        name=f"Bộ chỉ số đo hiệu năng cấp xã, {indicators} chỉ số (minh họa)",
        year=timezone.localdate().year,
        source_note=(
            "Bộ chỉ số chỉ để đo hiệu năng: bộ chỉ số minh họa cấp xã, thêm bản sao các chỉ "
            "số của chính bộ đó cho đủ số chỉ số thành phần. Không phải bộ chỉ số chính thức."
        ),
    )
    return data


def _indicator_set(indicators: int, seed: int) -> IndicatorSet:
    indicator_set = load_indicator_set(_widened_set(indicators, seed))
    if indicator_set.status == SetStatus.DRAFT:
        indicator_set = indicator_set_activate(indicator_set=indicator_set)
    return indicator_set_freeze(indicator_set=indicator_set)


def _answers(indicators: list[Indicator], seed: int) -> list[tuple[dict, list[Answer]]]:
    """Per archetype: its general information and its answer to each indicator."""
    archetypes = []
    for number in range(ARCHETYPES):
        unit = AdministrativeUnit(name=f"{seed}/{number}", kind=UnitKind.COMMUNE)
        profile = demo._profile_this_year(unit)
        # Wider than the demo district: a country has leaders and laggards.
        profile.strength = round(profile.rng.uniform(0.25, 0.97), 2)
        answers = []
        for indicator in indicators:
            inputs, note = demo.self_inputs(indicator, profile)
            score = _score(indicator, inputs, profile.general_info)
            lowered = demo.lowered_inputs(indicator, inputs, profile)
            lowered_inputs, lowered_score, comment = None, None, ""
            if lowered is not None:
                lowered_inputs, comment = lowered
                lowered_score = _score(indicator, lowered_inputs, profile.general_info)
                lowered_inputs = json.dumps(lowered_inputs, ensure_ascii=False)
            answers.append(
                Answer(
                    json.dumps(inputs, ensure_ascii=False),
                    score,
                    note,
                    lowered_inputs,
                    lowered_score,
                    comment,
                )
            )
        archetypes.append((profile.general_info, answers))
    return archetypes


def _score(indicator: Indicator, inputs: dict, general_info: dict) -> Decimal:
    return scoring.compute_score(
        method=indicator.method,
        rule=indicator.rule,
        max_points=indicator.max_points,
        inputs=inputs,
        general_info=general_info,
    )


@dataclass(frozen=True)
class Plan:
    """What one commune gets: its archetype, state, and which answers are lowered/disputed."""

    archetype: int
    state: str
    lowered: frozenset[int]
    disputed: frozenset[int]
    upheld: frozenset[int]


def _plans(count: int, open_units: int, n_indicators: int, seed: int) -> list[Plan]:
    plans = []
    for index in range(count):
        rng = random.Random(f"{seed}/unit/{index}")
        archetype = rng.randrange(ARCHETYPES)
        if index < open_units:
            state = AssessmentState.OPEN
        else:
            draw = rng.random()
            state = (
                AssessmentState.CONFIRMED
                if draw < 0.05
                else AssessmentState.EXPLANATION
                if draw < 0.10
                else AssessmentState.APPRAISED_2
            )
        lowered = frozenset(i for i in range(n_indicators) if rng.random() < LOWERED_SHARE)
        disputed = frozenset(i for i in sorted(lowered) if rng.random() < DISPUTED_SHARE)
        upheld = frozenset(i for i in sorted(disputed) if rng.random() < UPHELD_SHARE)
        plans.append(Plan(archetype, state, lowered, disputed, upheld))
    return plans


class _Writer:
    """COPY on PostgreSQL, ``bulk_create`` elsewhere (the tests' SQLite)."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def write(self, model, fields: list[str], rows) -> int:
        if not self.postgres:
            objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model.objects.bulk_create(objs, batch_size=2000)
            return len(objs)
        columns = [model._meta.get_field(name).column for name in fields]
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy_:
            for row in rows:
                copy_.write_row(row)
                written += 1
        return written


def _json(value: str | None):
    """JSON text as COPY wants it, or the Python value ``bulk_create`` wants."""
    if value is None or connection.vendor == "postgresql":
        return value
    return json.loads(value)


def _units(tag: str, count: int) -> tuple[AdministrativeUnit, list[AdministrativeUnit]]:
    province = AdministrativeUnit.objects.create(
        name=f"Tỉnh đo hiệu năng {tag}", kind=UnitKind.PROVINCE, code=tag
    )
    n_districts = (count + DISTRICT_SIZE - 1) // DISTRICT_SIZE
    AdministrativeUnit.objects.bulk_create(
        AdministrativeUnit(
            name=f"Huyện số {d + 1:04d}",
            kind=UnitKind.DISTRICT,
            level=LEVEL_OF_KIND[UnitKind.DISTRICT],
            parent=province,
            code=f"H{d + 1:04d}",
        )
        for d in range(n_districts)
    )
    districts = list(AdministrativeUnit.objects.filter(parent=province).order_by("code"))
    AdministrativeUnit.objects.bulk_create(
        (
            AdministrativeUnit(
                name=f"Xã số {i + 1:05d}",
                kind=UnitKind.COMMUNE,
                level=LEVEL_OF_KIND[UnitKind.COMMUNE],
                parent=districts[i // DISTRICT_SIZE],
                code=f"X{i + 1:05d}",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    communes = list(AdministrativeUnit.objects.filter(parent__parent=province).order_by("code"))
    return province, communes


def _people(tag, province, communes, open_units, pillars, password_hash):
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    organizer = User.objects.create(
        username=f"{tag}.vhtt",
        full_name="Cán bộ Sở VH&TT (đo hiệu năng)",
        unit=province,
        password=password_hash,
    )
    organizer.groups.add(groups[Role.ORGANIZER])
    User.objects.bulk_create(
        [
            User(
                username=f"{tag}.x{i + 1:05d}.canbo",
                full_name=f"Công chức xã số {i + 1:05d}",
                unit=communes[i],
                password=password_hash,
            )
            for i in range(open_units)
        ]
        + [
            User(
                username=f"{tag}.x{i + 1:05d}.lanhdao",
                full_name=f"Chủ tịch xã số {i + 1:05d}",
                unit=communes[i],
                password=password_hash,
            )
            for i in range(open_units)
        ]
    )
    officers = list(User.objects.filter(username__startswith=f"{tag}.x").order_by("username"))
    by_role = {Role.UNIT_OFFICER: [], Role.UNIT_LEADER: []}
    for person in officers:
        role = Role.UNIT_OFFICER if person.username.endswith(".canbo") else Role.UNIT_LEADER
        by_role[role].append(person)
    for role, people in by_role.items():
        groups[role].user_set.add(*people)
    # One agency per pillar appraises it; the culture department chairs.
    Agency.objects.bulk_create(
        [Agency(name="Sở Văn hóa, Thể thao và Du lịch", kind=AgencyKind.GOVERNMENT, unit=province)]
        + [
            Agency(
                name=f"Cơ quan thẩm định trụ cột {pillar.code}",
                kind=AgencyKind.GOVERNMENT,
                unit=province,
            )
            for pillar in pillars
        ]
    )
    agencies = list(Agency.objects.filter(unit=province).order_by("pk"))
    member_users = []
    for number, agency in enumerate(agencies):
        member_users.append(
            User(
                username=f"{tag}.hd{number:02d}",
                full_name=f"Thành viên Hội đồng {number:02d}",
                agency=agency,
                password=password_hash,
            )
        )
    User.objects.bulk_create(member_users)
    member_users = list(User.objects.filter(username__startswith=f"{tag}.hd").order_by("username"))
    groups[Role.COUNCIL_MEMBER].user_set.add(*member_users)
    return organizer, by_role[Role.UNIT_OFFICER], member_users


def _calendar(campaign: Campaign) -> None:
    # Every window open now, as in the last days before the deadlines overlap:
    # officers still saving while the council appraises the confirmed units.
    now = timezone.now()
    day = timedelta(days=1)
    Phase.objects.bulk_create(
        [
            Phase(
                campaign=campaign,
                kind=PhaseKind.SELF_ASSESSMENT,
                opens_at=now - 30 * day,
                closes_at=now + 20 * day,
            ),
            Phase(
                campaign=campaign,
                kind=PhaseKind.ROUND_1,
                opens_at=now - 20 * day,
                closes_at=now + 25 * day,
            ),
            Phase(
                campaign=campaign,
                kind=PhaseKind.EXPLANATION,
                opens_at=now - 15 * day,
                closes_at=now + 26 * day,
            ),
            Phase(
                campaign=campaign,
                kind=PhaseKind.ROUND_2,
                opens_at=now - 10 * day,
                closes_at=now + 27 * day,
            ),
            Phase(campaign=campaign, kind=PhaseKind.PUBLICATION, closes_at=now + 30 * day),
        ]
    )


def _council(campaign, member_users, pillars) -> list[CouncilMember]:
    council = Council.objects.create(
        campaign=campaign, decision_number="999/QĐ-UBND (đo hiệu năng)"
    )
    CouncilMember.objects.bulk_create(
        CouncilMember(
            council=council,
            user=person,
            role=CouncilRole.CHAIR if number == 0 else CouncilRole.MEMBER,
        )
        for number, person in enumerate(member_users)
    )
    members = list(CouncilMember.objects.filter(council=council).order_by("user__username"))
    # The chair's agency (number 0) assigns; member i + 1 appraises pillar i, in every unit.
    Assignment.objects.bulk_create(
        Assignment(member=members[number + 1], indicator=indicator)
        for number, pillar in enumerate(pillars)
        for indicator in pillar.indicators.all()
    )
    from councils.services import council_sync_permissions

    council_sync_permissions(council=council)
    return members


def _now_text(moment) -> object:
    return moment.isoformat() if connection.vendor == "postgresql" else moment


def _responses(writer, assessments, plans, indicators, archetypes, at) -> int:
    stamp = _now_text(at)

    def rows():
        for assessment, plan in zip(assessments, plans, strict=True):
            answers = archetypes[plan.archetype][1]
            for indicator, answer in zip(indicators, answers, strict=True):
                yield (
                    assessment.pk,
                    indicator.pk,
                    _json(answer.inputs),
                    answer.score,
                    answer.note,
                    1,
                    None,
                    stamp,
                    "typed",
                    "",
                )

    fields = [
        "assessment_id",
        "indicator_id",
        "inputs",
        "self_score",
        "note",
        "version",
        "updated_by_id",
        "updated_at",
        # COPY writes no model defaults: typed by the unit, nothing provided changed.
        "inputs_source",
        "provided_change_note",
    ]
    return writer.write(Response, fields, rows())


def _appraisals_and_explanations(
    writer, campaign, assessments, plans, indicators, archetypes, member_of_indicator, at
) -> tuple[int, int]:
    response_ids = {}
    for pk, assessment_id, indicator_id in (
        Response.objects.filter(assessment__campaign=campaign)
        .values_list("pk", "assessment_id", "indicator_id")
        .iterator(chunk_size=20000)
    ):
        response_ids[(assessment_id, indicator_id)] = pk
    stamp = _now_text(at)
    later = _now_text(at + timedelta(minutes=1))
    appraised = {AssessmentState.EXPLANATION, AssessmentState.APPRAISED_2}

    def work():
        for assessment, plan in zip(assessments, plans, strict=True):
            if plan.state not in appraised:
                continue
            answers = archetypes[plan.archetype][1]
            for index, (indicator, answer) in enumerate(zip(indicators, answers, strict=True)):
                yield assessment, plan, index, indicator, answer

    def appraisal_rows():
        for assessment, plan, index, indicator, answer in work():
            response = response_ids[(assessment.pk, indicator.pk)]
            member = member_of_indicator[indicator.pk]
            lowered = index in plan.lowered and answer.lowered_inputs is not None
            if lowered:
                yield (
                    response,
                    1,
                    member,
                    _json(answer.lowered_inputs),
                    answer.lowered_score,
                    answer.comment,
                    stamp,
                    stamp,
                )
            else:
                yield (response, 1, member, _json(answer.inputs), answer.score, "", stamp, stamp)
            if lowered and index in plan.disputed and plan.state == AssessmentState.APPRAISED_2:
                upheld = index in plan.upheld
                yield (
                    response,
                    2,
                    member,
                    _json(answer.inputs if upheld else answer.lowered_inputs),
                    answer.score if upheld else answer.lowered_score,
                    "Chấp nhận giải trình của đơn vị." if upheld else "Giữ kết quả vòng 1.",
                    later,
                    later,
                )

    def explanation_rows():
        for assessment, plan, index, indicator, answer in work():
            if index in plan.disputed and answer.lowered_inputs is not None:
                yield (
                    response_ids[(assessment.pk, indicator.pk)],
                    "Đơn vị bổ sung tài liệu kiểm chứng và đề nghị giữ điểm tự đánh giá.",
                    ExplanationStatus.SUBMITTED,
                    stamp,
                    stamp,
                )

    n_appraisals = writer.write(
        Appraisal,
        [
            "response_id",
            "round",
            "member_id",
            "inputs",
            "score",
            "comment",
            "created_at",
            "updated_at",
        ],
        appraisal_rows(),
    )
    n_explanations = writer.write(
        Explanation,
        ["response_id", "text", "status", "submitted_at", "updated_at"],
        explanation_rows(),
    )
    return n_appraisals, n_explanations


def existing(*, units: int, indicators: int, seed: int) -> Campaign | None:
    return Campaign.objects.filter(
        organizing_unit__code=tag_of(units=units, indicators=indicators, seed=seed)
    ).first()


@transaction.atomic
def generate(
    *, units: int, indicators: int, seed: int, open_units: int = 100, password: str
) -> Generated:
    """Build the campaign (or find it, if this scale and seed were generated before)."""
    tag = tag_of(units=units, indicators=indicators, seed=seed)
    found = existing(units=units, indicators=indicators, seed=seed)
    if found is not None:
        return _describe(found, created=False)
    open_units = min(open_units, units)
    indicator_set = _indicator_set(indicators, seed)
    pillars = list(
        indicator_set.pillars.filter(scored=True, indicators__isnull=False)
        .distinct()
        .order_by("order")
        .prefetch_related("indicators")
    )
    all_indicators = list(
        Indicator.objects.filter(pillar__indicator_set=indicator_set).order_by(
            "pillar__order", "order"
        )
    )
    province, communes = _units(tag, units)
    organizer, _officers, member_users = _people(
        tag, province, communes, open_units, pillars, make_password(password)
    )
    campaign = Campaign.objects.create(
        name=f"Đánh giá DTI cấp xã toàn quốc (đo hiệu năng, {units} xã)",
        year=indicator_set.year,
        organizing_unit=province,
        indicator_set=indicator_set,
        created_by=organizer,
    )
    _calendar(campaign)
    archetypes = _answers(all_indicators, seed)
    plans = _plans(units, open_units, len(all_indicators), seed)
    Assessment.objects.bulk_create(
        (
            Assessment(
                campaign=campaign,
                unit=commune,
                state=plan.state,
                general_info=archetypes[plan.archetype][0],
            )
            for commune, plan in zip(communes, plans, strict=True)
        ),
        batch_size=2000,
    )
    assessments = list(
        Assessment.objects.filter(campaign=campaign).order_by("unit__code").only("pk", "unit_id")
    )
    _council(campaign, member_users, pillars)
    member_of_indicator = dict(
        Assignment.objects.filter(member__council__campaign=campaign).values_list(
            "indicator_id", "member_id"
        )
    )
    writer = _Writer()
    at = timezone.now()
    _responses(writer, assessments, plans, all_indicators, archetypes, at)
    _appraisals_and_explanations(
        writer, campaign, assessments, plans, all_indicators, archetypes, member_of_indicator, at
    )
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would give them a little later.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _publish(campaign, organizer)
    if connection.vendor == "postgresql":
        # The rankings' too: analysed only before them, a second campaign's rows looked
        # like one row to the planner (autovacuum is off on some machines).
        from rankings.models import (
            PillarScore,
            PublishedResult,
            Ranking,
            ScoreSummary,
            SubIndexScore,
        )

        tables = ", ".join(
            model._meta.db_table
            for model in (PillarScore, Ranking, ScoreSummary, SubIndexScore, PublishedResult)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
    return _describe(campaign, created=True)


def _publish(campaign: Campaign, organizer: User) -> None:
    """The rankings at every stage, and a publication of the final stage for the public pages.

    Written as ``rankings.services.campaign_publish`` writes its snapshot, but
    without moving the units to Published: most of them are still being
    appraised, which is the point of the benchmark campaign.
    """
    from rankings.models import Publication
    from rankings.services import _snapshot, campaign_recompute

    campaign_recompute(campaign=campaign)
    publication = Publication.objects.create(
        campaign=campaign,
        version=1,
        decision_number="999/QĐ-UBND",
        decision_date=timezone.localdate(),
        signer_title="Chủ tịch (đo hiệu năng)",
        signer_name="Người ký đo hiệu năng",
        published_at=timezone.now(),
        published_by=organizer,
    )
    _snapshot(publication, campaign)


def _describe(campaign: Campaign, *, created: bool) -> Generated:
    tag = campaign.organizing_unit.code
    organizer = User.objects.get(username=f"{tag}.vhtt")
    officers = list(
        User.objects.filter(username__startswith=f"{tag}.x", username__endswith=".canbo")
        .select_related("unit")
        .order_by("username")
    )
    members = list(
        CouncilMember.objects.filter(council__campaign=campaign)
        .select_related("user")
        .order_by("user__username")
    )
    counts = {
        "units": Assessment.objects.filter(campaign=campaign).count(),
        "indicators": Indicator.objects.filter(
            pillar__indicator_set_id=campaign.indicator_set_id
        ).count(),
        "responses": Response.objects.filter(assessment__campaign=campaign).count(),
        "appraisals": Appraisal.objects.filter(response__assessment__campaign=campaign).count(),
        "explanations": Explanation.objects.filter(response__assessment__campaign=campaign).count(),
    }
    return Generated(campaign, created, organizer, officers, members, counts)
