"""A commune campaign driven through the services from self-assessment to publication.

Shared by tests/test_hostile_input.py (every name and text hostile) and
tests/test_faults.py (plain names): ``build_world(name=...)`` names units,
people, the set and the campaign with ``name(text)``, and each step after it
moves the campaign on as the people would.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import services as assessment_services
from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    PhaseKind,
    Response,
)
from councils import services as council_services
from councils.models import CouncilRole, Round
from indicators.models import Band, Indicator, IndicatorSet, Pillar, SubIndex
from rankings import services as ranking_services
from tests.factories import (
    AgencyFactory,
    UserFactory,
    assessment_set,
    force_state,
    open_campaign,
    set_window,
    unit_tree,
)

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"


def plain(text: str) -> str:
    return text


def build_world(name=plain, *, markup: str = ""):
    tree = unit_tree()
    a, b = tree["communes"]
    district = tree["district"]
    for unit, label in [(tree["province"], "Tỉnh"), (district, "Huyện"), (a, "Xã A"), (b, "Xã B")]:
        AdministrativeUnit.objects.filter(pk=unit.pk).update(name=name(label))
        unit.refresh_from_db()
    culture = AgencyFactory(name=name("Phòng Văn hóa và Thông tin"), unit=district)
    police = AgencyFactory(name=name("Công an huyện"), unit=district)
    people = SimpleNamespace(
        organizer=UserFactory(agency=culture, roles=["organizer"], full_name=name("Tổ chức")),
        officer=UserFactory(unit=a, roles=["unit_officer"], full_name=name("Cán bộ")),
        leader=UserFactory(unit=a, roles=["unit_leader"], full_name=name("Lãnh đạo")),
        officer_b=UserFactory(unit=b, roles=["unit_officer"], full_name=name("Cán bộ B")),
        chair=UserFactory(agency=culture, full_name=name("Chủ tịch Hội đồng")),
        member=UserFactory(agency=police, full_name=name("Thành viên")),
    )
    indicator_set = assessment_set()
    IndicatorSet.objects.filter(pk=indicator_set.pk).update(
        name=name("Bộ chỉ số"), issuer=name("UBND tỉnh"), decision_number="1/QĐ" + markup
    )
    for indicator in Indicator.objects.filter(pillar__indicator_set=indicator_set):
        Indicator.objects.filter(pk=indicator.pk).update(
            name=name(f"Chỉ số {indicator.code}"),
            guidance=name("Cách tính"),
            evidence_required=name("Tài liệu"),
            data_source=name("Nguồn"),
            verifier=name("Xác minh"),
        )
    Pillar.objects.filter(indicator_set=indicator_set).update(name=name("Chỉ số chính"))
    SubIndex.objects.filter(indicator_set=indicator_set).update(name=name("Chỉ số phụ"))
    Band.objects.create(indicator_set=indicator_set, name=name("Tốt")[:100], min_percent=0)
    world_name, world_markup = name, markup
    campaign = open_campaign(
        organizer=people.organizer, indicator_set=indicator_set, name=name("Đợt đánh giá")
    )
    return SimpleNamespace(
        **tree,
        name=world_name,
        markup=world_markup,
        a=a,
        b=b,
        people=people,
        campaign=campaign,
        indicator_set=indicator_set,
        assessment=Assessment.objects.get(campaign=campaign, unit=a),
        other=Assessment.objects.get(campaign=campaign, unit=b),
    )


ANSWERS = {
    "1.1": {"value": True},
    "1.2": {"value": "4"},
    "2.1": {"value": "10"},
    "2.2": {"value": "5"},
}


def self_assess(world) -> None:
    for assessment, officer in [
        (world.assessment, world.people.officer),
        (world.other, world.people.officer_b),
    ]:
        for response in Response.objects.filter(assessment=assessment).select_related("indicator"):
            assessment_services.response_save(
                user=officer,
                response_id=response.pk,
                expected_version=response.version,
                inputs=ANSWERS[response.indicator.code],
                note=world.name("Ghi chú"),
            )
        response = Response.objects.get(assessment=assessment, indicator__code="1.1")
        assessment_services.evidence_add_citation(
            response=response,
            user=officer,
            number="12/QĐ " + world.markup,
            date=date(2024, 3, 1),
            issuer=world.name("UBND xã"),
            summary=world.name("Trích yếu"),
        )
        assessment_services.evidence_add_file(
            response=response,
            user=officer,
            uploaded_file=SimpleUploadedFile(f"bien-ban{world.markup.replace('/', '')}.pdf", PDF),
        )
    officer, leader = world.people.officer, world.people.leader
    assessment_services.assessment_submit(assessment=world.assessment, user=officer)
    assessment_services.assessment_return_for_editing(
        assessment=world.assessment, user=leader, reason=world.name("Bổ sung")
    )
    assessment_services.assessment_submit(assessment=world.assessment, user=officer)


def form_council(world) -> None:
    """The council: the chair appraises pillar 1, the member pillar 2 (``world.council``)."""
    organizer = world.people.organizer
    council = council_services.council_create(
        campaign=world.campaign, user=organizer, decision_number="9/QĐ" + world.markup[:60]
    )
    chair = council_services.member_add(
        council=council, user=organizer, member_user=world.people.chair, role=CouncilRole.CHAIR
    )
    member = council_services.member_add(
        council=council, user=organizer, member_user=world.people.member
    )
    pillars = {p.code: p for p in world.indicator_set.pillars.all()}
    council_services.assignment_set(
        council=council, user=organizer, member=chair, pillars=[pillars["1"]]
    )
    council_services.assignment_set(
        council=council, user=organizer, member=member, pillars=[pillars["2"]]
    )
    world.council = council


def appraise_round_one_ready(world) -> None:
    """Both units confirmed and appraised in round 1; the round is not closed yet."""
    assessment_services.assessment_confirm(assessment=world.assessment, user=world.people.leader)
    force_state(world.other, AssessmentState.CONFIRMED)
    form_council(world)
    set_window(world.campaign, PhaseKind.ROUND_1, "open")
    for assessment in (world.assessment, world.other):
        for response in Response.objects.filter(assessment=assessment).select_related("indicator"):
            appraiser = world.people.chair if response.indicator.code < "2" else world.people.member
            council_services.appraisal_record(
                response=response,
                member_user=appraiser,
                round=Round.ONE,
                score=response.self_score - (1 if response.indicator.code == "2.1" else 0),
                comment=world.name("Nhận xét"),
            )


def appraise_round_one(world) -> None:
    appraise_round_one_ready(world)
    for assessment in (world.assessment, world.other):
        council_services.close_round_one(assessment=assessment, user=world.people.chair)


def explain(world) -> None:
    set_window(world.campaign, PhaseKind.EXPLANATION, "open")
    for assessment in (world.assessment, world.other):
        assessment_services.assessment_open_explanation(
            assessment=assessment, user=world.people.organizer
        )
    council_services.explanation_submit(
        response=Response.objects.get(assessment=world.assessment, indicator__code="2.1"),
        user=world.people.officer,
        text=world.name("Giải trình"),
    )


def appraise_round_two_and_publish(world) -> None:
    set_window(world.campaign, PhaseKind.EXPLANATION, "closed")
    set_window(world.campaign, PhaseKind.ROUND_2, "open")
    council_services.appraisal_record(
        response=Response.objects.get(assessment=world.assessment, indicator__code="2.1"),
        member_user=world.people.member,
        round=Round.TWO,
        score=Decimal("10"),
        comment=world.name("Chấp nhận giải trình"),
    )
    for assessment in (world.assessment, world.other):
        council_services.close_round_two(assessment=assessment, user=world.people.chair)
    ranking_services.campaign_publish(
        campaign=world.campaign,
        user=world.people.organizer,
        decision_number="2675/QĐ" + world.markup[:60],
        decision_date=date(2025, 11, 28),
        signer_title=world.name("KT. Chủ tịch"),
        signer_name=world.name("Nguyễn Văn An"),
    )
