"""factory-boy factories shared by the tests."""

from decimal import Decimal

import factory

from indicators.models import Indicator, IndicatorGroup, IndicatorSet, Pillar, SubIndex


class IndicatorSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorSet

    name = factory.Sequence(lambda n: f"Bộ chỉ số thử {n}")
    tier = "commune"
    year = 2024


class IndicatorGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorGroup

    indicator_set = factory.SubFactory(IndicatorSetFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    name = "Nhóm chỉ số nền tảng chung"


class PillarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pillar

    indicator_set = factory.SubFactory(IndicatorSetFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"Chỉ số chính {n + 1}")


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    pillar = factory.SubFactory(PillarFactory)
    code = factory.Sequence(lambda n: f"9.{n + 1}")
    name = factory.Sequence(lambda n: f"Chỉ số thành phần {n + 1}")
    max_points = Decimal("10")
    method = "yes_no"
    rule = factory.LazyFunction(dict)


class SubIndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubIndex

    indicator_set = factory.SubFactory(IndicatorSetFactory)
    code = factory.Sequence(lambda n: f"s{n}")
    name = factory.Sequence(lambda n: f"Chỉ số phụ {n}")


def small_set(*, status="draft"):
    """A two-pillar set: 1 (10 + 20 points) and 2 (15 points, plus a 5-point bonus)."""
    indicator_set = IndicatorSetFactory()
    p1 = PillarFactory(indicator_set=indicator_set, code="1", name="Nhận thức số", order=1)
    p2 = PillarFactory(
        indicator_set=indicator_set, code="2", name="Hoạt động chính quyền số", order=2
    )
    IndicatorFactory(pillar=p1, code="1.1", max_points=Decimal("10"))
    IndicatorFactory(
        pillar=p1,
        code="1.2",
        max_points=Decimal("20"),
        method="tiers",
        rule={"tiers": [{"min": "4", "points": "20"}, {"min": "2", "points": "10"}]},
    )
    IndicatorFactory(pillar=p2, code="2.1", max_points=Decimal("15"), method="manual")
    IndicatorFactory(pillar=p2, code="2.2", max_points=Decimal("5"), method="manual", is_bonus=True)
    cqs = SubIndexFactory(indicator_set=indicator_set, code="cqs", name="Chính quyền số")
    cqs.pillars.set([p1, p2])
    if status == "frozen":
        indicator_set.freeze()
        indicator_set.save()
    return indicator_set


# --- Administrative units, people and campaigns (assessments) ---------------

from datetime import timedelta  # noqa: E402

from django.contrib.auth.models import Group  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.models import (  # noqa: E402
    AdministrativeUnit,
    Agency,
    Assessment,
    Campaign,
    Phase,
    PhaseKind,
    User,
)


class AdministrativeUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit

    name = factory.Sequence(lambda n: f"Xã thử {n}")
    kind = "xa"
    parent = None


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Phòng thử {n}")
    kind = "government"
    unit = factory.SubFactory(AdministrativeUnitFactory, kind="huyen")


class UserFactory(factory.django.DjangoModelFactory):
    """A person; ``roles=["unit_officer"]`` puts them in the role groups."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nguoidung{n}")
    full_name = factory.Sequence(lambda n: f"Người dùng {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))


def unit_tree(*, districts: bool = True, communes: int = 2) -> dict:
    """A province with ``communes`` communes, under one district (before 2025) or directly."""
    province = AdministrativeUnitFactory(name="Tỉnh Thử", kind="tinh")
    parent = province
    district = None
    if districts:
        district = AdministrativeUnitFactory(name="Huyện Thử", kind="huyen", parent=province)
        parent = district
    units = [
        AdministrativeUnitFactory(name=f"Xã {chr(65 + i)}", kind="xa", parent=parent)
        for i in range(communes)
    ]
    return {"province": province, "district": district, "communes": units}


WINDOW_SHAPES = {
    # (opens, closes) relative to now, and the grace period in minutes
    "open": (timedelta(days=-1), timedelta(days=2), 0),
    "grace": (timedelta(days=-3), timedelta(minutes=-10), 60),
    "closed": (timedelta(days=-5), timedelta(days=-2), 60),
    "not_yet": (timedelta(days=1), timedelta(days=3), 0),
}


def set_window(campaign: Campaign, kind: str, shape: str, *, now=None) -> Phase:
    """Put one phase of ``campaign`` in ``shape`` (open, grace, closed, not_yet) around now.

    Writes the row directly, so windows can be combined freely in tests.
    """
    now = now or timezone.now()
    opens, closes, grace = WINDOW_SHAPES[shape]
    phase, _created = Phase.objects.update_or_create(
        campaign=campaign,
        kind=kind,
        defaults={"opens_at": now + opens, "closes_at": now + closes, "grace_minutes": grace},
    )
    return phase


def calendar(*, now=None, self_assessment_closes_in=timedelta(days=10)) -> dict:
    """A whole, ordered calendar whose self-assessment is open now."""
    now = now or timezone.now()
    closes = now + self_assessment_closes_in
    day = timedelta(days=1)
    return {
        PhaseKind.SELF_ASSESSMENT: {"opens_at": now - day, "closes_at": closes},
        PhaseKind.ROUND_1: {"opens_at": closes, "closes_at": closes + 10 * day},
        PhaseKind.EXPLANATION: {"opens_at": closes + 10 * day, "closes_at": closes + 15 * day},
        PhaseKind.ROUND_2: {"opens_at": closes + 15 * day, "closes_at": closes + 20 * day},
        PhaseKind.PUBLICATION: {"closes_at": closes + 25 * day},
    }


def assessment_set(*, tier: str = "commune"):
    """``small_set`` activated, with evidence mandatory for 1.1."""
    from indicators.services import indicator_set_activate

    indicator_set = small_set()
    if tier != indicator_set.tier:
        type(indicator_set).objects.filter(pk=indicator_set.pk).update(tier=tier)
    Indicator.objects.filter(pillar__indicator_set=indicator_set, code="1.1").update(
        evidence_mandatory=True
    )
    return indicator_set_activate(indicator_set=indicator_set)


def sized_set(*, indicators: int):
    """An active commune set of ``indicators`` 5-point indicators over four pillars.

    Every scoring method in turn, some with mandatory evidence: for the tests
    that check a page's query count does not grow with the set.
    """
    from indicators.models import GeneralInfoField
    from indicators.services import indicator_set_activate

    indicator_set = IndicatorSetFactory(year=2025)
    GeneralInfoField.objects.create(indicator_set=indicator_set, code="dan_so", name="Dân số")
    pillars = [
        PillarFactory(indicator_set=indicator_set, code=str(n), order=n) for n in range(1, 5)
    ]
    methods = [
        ("yes_no", {}),
        ("manual", {}),
        ("tiers", {"tiers": [{"min": "1", "points": "5"}], "unit": "lần"}),
        ("count", {"points_per_item": "1"}),
        ("ratio", {"a": {"label": "a"}, "b": {"field": "dan_so"}, "if_b_zero": "zero"}),
        ("levels", {"options": [{"key": "a", "label": "A", "points": "5"}]}),
        ("checklist", {"parts": [{"key": "a", "label": "A", "points": "5"}]}),
    ]
    for n in range(indicators):
        method, rule = methods[n % len(methods)]
        Indicator.objects.create(
            pillar=pillars[n % 4],
            code=f"{n % 4 + 1}.{n + 1}",
            name=f"Chỉ số {n}",
            max_points=Decimal("5"),
            method=method,
            rule=rule,
            evidence_mandatory=n % 3 == 0,
            is_illustrative=n % 5 == 0,
        )
    return indicator_set_activate(indicator_set=indicator_set)


def open_campaign(*, organizer, units=None, indicator_set=None, **kwargs) -> Campaign:
    """A campaign opened through the service, self-assessment open now."""
    from assessments.services import campaign_create

    indicator_set = indicator_set or assessment_set()
    return campaign_create(
        organizer=organizer,
        name=kwargs.pop("name", "Đánh giá DTI thử"),
        year=indicator_set.year,
        indicator_set=indicator_set,
        phases=kwargs.pop("phases", None) or calendar(),
        units=units,
        **kwargs,
    )


def force_state(assessment: Assessment, state: str) -> None:
    """Put an assessment in ``state`` without a transition (test set-up only)."""
    Assessment.objects.filter(pk=assessment.pk).update(state=state)


# --- Councils ------------------------------------------------------------------

from councils.models import Council, CouncilMember  # noqa: E402


class CouncilFactory(factory.django.DjangoModelFactory):
    """A council row written directly; ``councils.services.council_create`` for the rules."""

    class Meta:
        model = Council

    decision_number = factory.Sequence(lambda n: f"{n + 100}/QĐ-UBND")


class CouncilMemberFactory(factory.django.DjangoModelFactory):
    """A member row written directly (no guardian grants); ``member_add`` grants them."""

    class Meta:
        model = CouncilMember

    council = factory.SubFactory(CouncilFactory)
    user = factory.SubFactory(UserFactory, agency=factory.SubFactory(AgencyFactory))
    role = "member"
