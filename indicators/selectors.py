"""Reads on indicator sets, shaped for pages and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from .models import Indicator, IndicatorSet, Pillar, natural_key


@dataclass
class PillarView:
    pillar: Pillar
    indicators: list[Indicator]
    max_points: Decimal = field(default=Decimal(0))


def indicator_set_structure(*, indicator_set: IndicatorSet) -> list[PillarView]:
    """Pillars with their indicators in reading order, and derived maxima, in 2 queries."""
    pillars = (
        Pillar.objects.filter(indicator_set=indicator_set)
        .select_related("group")
        .prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.all(), to_attr="indicator_list")
        )
    )
    views = []
    for pillar in sorted(pillars, key=lambda p: (p.order, natural_key(p.code))):
        indicators = sorted(pillar.indicator_list, key=lambda i: (i.order, natural_key(i.code)))
        maximum = sum((i.max_points for i in indicators if not i.is_bonus), Decimal(0))
        views.append(PillarView(pillar=pillar, indicators=indicators, max_points=maximum))
    return views


def public_indicator_sets():
    """Sets the public may read the method of: active and frozen ones."""
    return IndicatorSet.objects.exclude(status="draft")
