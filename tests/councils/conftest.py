"""A district with two communes, its agencies, a council, and a commune campaign.

The set is ``small_set``: pillar 1 = 1.1 (yes/no, 10), 1.2 (tiers, 20);
pillar 2 = 2.1 (manual, 15), 2.2 (manual bonus, 5). Both communes have
answered every indicator (self scores 10, 20, 10, 5).
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from assessments.models import Assessment, Response
from councils import services
from councils.models import CouncilRole
from indicators.models import Indicator
from tests.factories import (
    AgencyFactory,
    UserFactory,
    assessment_set,
    open_campaign,
    unit_tree,
)

SELF = {
    "1.1": ({"value": True}, Decimal("10.00")),
    "1.2": ({"value": "4"}, Decimal("20.00")),
    "2.1": ({"value": "10"}, Decimal("10.00")),
    "2.2": ({"value": "5"}, Decimal("5.00")),
}
VERIFIERS = {
    "1.1": "Phòng Văn hóa và Thông tin",
    "1.2": "phòng văn hóa  và thông tin",
    "2.1": "Công an huyện",
    "2.2": "Sở Thông tin và Truyền thông",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def answer(assessment: Assessment) -> None:
    for response in Response.objects.filter(assessment=assessment).select_related("indicator"):
        inputs, score = SELF[response.indicator.code]
        Response.objects.filter(pk=response.pk).update(inputs=inputs, self_score=score, version=1)


@pytest.fixture
def world(db):
    tree = unit_tree()
    a, b = tree["communes"]
    district = tree["district"]
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=district)
    police = AgencyFactory(name="Công an huyện", unit=district)
    post = AgencyFactory(name="Bưu điện huyện", kind="post", unit=district)
    people = SimpleNamespace(
        organizer=UserFactory(agency=culture, roles=["organizer"]),
        chair=UserFactory(full_name="Chủ tịch Hà", agency=culture),
        secretary=UserFactory(full_name="Thư ký Lan", agency=culture),
        police=UserFactory(full_name="Công an Minh", agency=police),
        # lives and works in commune A, for the post office: A is their own unit
        postman=UserFactory(full_name="Bưu tá An", agency=post, unit=a),
        officer=UserFactory(unit=a, roles=["unit_officer"]),
        other_officer=UserFactory(unit=b, roles=["unit_officer"]),
        outsider=UserFactory(full_name="Người ngoài"),
    )
    indicator_set = assessment_set()
    for code, verifier in VERIFIERS.items():
        Indicator.objects.filter(pillar__indicator_set=indicator_set, code=code).update(
            verifier=verifier
        )
    campaign = open_campaign(organizer=people.organizer, indicator_set=indicator_set)
    council = services.council_create(
        campaign=campaign, user=people.organizer, decision_number="1234/QĐ-UBND"
    )
    members = SimpleNamespace(
        chair=services.member_add(
            council=council, user=people.organizer, member_user=people.chair, role=CouncilRole.CHAIR
        ),
        secretary=services.member_add(
            council=council,
            user=people.organizer,
            member_user=people.secretary,
            role=CouncilRole.SECRETARY,
        ),
        police=services.member_add(
            council=council, user=people.organizer, member_user=people.police
        ),
        postman=services.member_add(
            council=council, user=people.organizer, member_user=people.postman
        ),
    )
    assessment_a = Assessment.objects.get(campaign=campaign, unit=a)
    assessment_b = Assessment.objects.get(campaign=campaign, unit=b)
    for assessment in (assessment_a, assessment_b):
        answer(assessment)
    indicators = {i.code: i for i in Indicator.objects.filter(pillar__indicator_set=indicator_set)}
    return SimpleNamespace(
        **tree,
        a=a,
        b=b,
        agencies=SimpleNamespace(culture=culture, police=police, post=post),
        people=people,
        members=members,
        campaign=campaign,
        council=council,
        indicator_set=indicator_set,
        indicators=indicators,
        pillars={p.code: p for p in indicator_set.pillars.all()},
        assessment_a=assessment_a,
        assessment_b=assessment_b,
    )


@pytest.fixture
def assigned(world):
    """Chair: pillar 1 everywhere; police: pillar 2 everywhere; postman: pillar 1 everywhere."""
    organizer = world.people.organizer
    for member, pillar in [
        (world.members.chair, "1"),
        (world.members.police, "2"),
        (world.members.postman, "1"),
    ]:
        services.assignment_set(
            council=world.council, user=organizer, member=member, pillars=[world.pillars[pillar]]
        )
    return world
