"""Reads on indicator sets, shaped for pages and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum

from .models import (
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SubIndex,
    Tier,
    natural_key,
)


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
        counted = [i.max_points for i in indicators if not i.is_bonus] if pillar.scored else []
        maximum = sum(counted, Decimal(0))
        views.append(PillarView(pillar=pillar, indicators=indicators, max_points=maximum))
    return views


def public_indicator_sets():
    """Sets the public may read the method of: active and frozen ones."""
    return IndicatorSet.objects.exclude(status="draft")


def public_indicator_set_summaries() -> list[IndicatorSet]:
    """Public sets, newest year first, each with its indicator count and derived max, in 1 query.

    ``total_max`` counts the indicators of scored pillars only, bonus indicators excluded.
    """
    scored = Q(pillars__scored=True, pillars__indicators__is_bonus=False)
    sets = public_indicator_sets().annotate(
        indicator_count=Count("pillars__indicators", filter=Q(pillars__indicators__is_bonus=False)),
        bonus_count=Count("pillars__indicators", filter=Q(pillars__indicators__is_bonus=True)),
        illustrative_count=Count(
            "pillars__indicators", filter=Q(pillars__indicators__is_illustrative=True)
        ),
        total_max=Sum("pillars__indicators__max_points", filter=scored, default=Decimal(0)),
    )
    tier_order = {tier: position for position, tier in enumerate(TIER_READING_ORDER)}
    return sorted(sets, key=lambda s: (-s.year, tier_order.get(s.tier, 99), s.name))


# Province first, then down the tree; the department (sở, ngành) sets last.
TIER_READING_ORDER = [Tier.PROVINCE, Tier.DISTRICT, Tier.COMMUNE, Tier.DEPARTMENT]


@dataclass
class PillarRow:
    """A pillar as the methodology page shows it: regular indicators and the derived max."""

    pillar: Pillar
    indicators: list[Indicator]
    max_points: Decimal

    @property
    def scored(self) -> bool:
        return self.pillar.scored


@dataclass
class GroupRow:
    group: IndicatorGroup | None
    pillars: list[PillarRow]
    max_points: Decimal


@dataclass
class SubIndexRow:
    sub_index: SubIndex
    pillars: list[Pillar]
    max_points: Decimal


@dataclass
class BandRow:
    band: Band
    upper: Decimal | None  # the next band's threshold; None for the top band


@dataclass
class Methodology:
    indicator_set: IndicatorSet
    groups: list[GroupRow]
    bonus_indicators: list[Indicator]
    sub_indices: list[SubIndexRow]
    bands: list[BandRow]
    general_info_names: dict[str, str]
    max_points: Decimal
    indicator_count: int
    has_illustrative: bool

    @property
    def has_groups(self) -> bool:
        return any(row.group is not None for row in self.groups)

    @property
    def rankings(self) -> list[str]:
        """Names of the rankings: DTI, then each sub-index that is not the DTI itself."""
        return [row.sub_index.name for row in self.sub_indices if not _is_dti(row.sub_index)]


def _is_dti(sub_index: SubIndex) -> bool:
    return sub_index.code.lower() == "dti"


def indicator_set_methodology(*, indicator_set: IndicatorSet) -> Methodology:
    """Everything the public methodology page shows, in 6 queries whatever the set's size.

    Every maximum is derived from the indicators: a pillar's is the sum of its
    regular (non-bonus) indicators, a group's and the set's the sum of their
    scored pillars, a sub-index's the sum of its scored pillars. A pillar marked
    not scored is shown but adds nothing.
    """
    structure = indicator_set_structure(indicator_set=indicator_set)
    pillar_rows: dict[int, PillarRow] = {}
    bonus: list[Indicator] = []
    groups: dict[int | None, GroupRow] = {}
    group_keys: dict[int | None, tuple] = {}
    for view in structure:
        regular = [i for i in view.indicators if not i.is_bonus]
        bonus.extend(i for i in view.indicators if i.is_bonus)
        if view.indicators and not regular:
            continue  # a pillar that only holds bonus indicators is listed with the bonus
        maximum = view.max_points
        row = PillarRow(pillar=view.pillar, indicators=regular, max_points=maximum)
        pillar_rows[view.pillar.pk] = row
        group = view.pillar.group
        key = group.pk if group else None
        if key not in groups:
            groups[key] = GroupRow(group=group, pillars=[], max_points=Decimal(0))
            group_keys[key] = (
                (1, 0, ()) if group is None else (0, group.order, natural_key(group.code))
            )
        groups[key].pillars.append(row)
        groups[key].max_points += maximum
    group_list = sorted(groups.values(), key=lambda g: group_keys[g.group.pk if g.group else None])

    sub_indices = []
    for sub_index in (
        SubIndex.objects.filter(indicator_set=indicator_set)
        .prefetch_related(Prefetch("pillars", queryset=Pillar.objects.order_by("order", "code")))
        .order_by("order", "code")
    ):
        pillars = sorted(sub_index.pillars.all(), key=lambda p: (p.order, natural_key(p.code)))
        maximum = sum(
            (pillar_rows[p.pk].max_points for p in pillars if p.pk in pillar_rows), Decimal(0)
        )
        sub_indices.append(SubIndexRow(sub_index=sub_index, pillars=pillars, max_points=maximum))

    bands = list(Band.objects.filter(indicator_set=indicator_set).order_by("-min_percent"))
    band_rows = [
        BandRow(band=band, upper=bands[position - 1].min_percent if position else None)
        for position, band in enumerate(bands)
    ]
    names = dict(
        GeneralInfoField.objects.filter(indicator_set=indicator_set).values_list("code", "name")
    )
    regular_count = sum(len(row.indicators) for row in pillar_rows.values())
    return Methodology(
        indicator_set=indicator_set,
        groups=group_list,
        bonus_indicators=bonus,
        sub_indices=sub_indices,
        bands=band_rows,
        general_info_names=names,
        max_points=sum((g.max_points for g in group_list), Decimal(0)),
        indicator_count=regular_count,
        has_illustrative=any(i.is_illustrative for view in structure for i in view.indicators)
        or any(band.is_illustrative for band in bands),
    )
