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
