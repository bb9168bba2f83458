"""Writes on indicator sets. Each is one transaction; reads live in selectors.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import (
    INDICATOR_CONTENT_FIELDS,
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SetStatus,
    SubIndex,
)


@transaction.atomic
def indicator_set_activate(*, indicator_set: IndicatorSet) -> IndicatorSet:
    indicator_set = IndicatorSet.objects.select_for_update().get(pk=indicator_set.pk)
    if indicator_set.status != SetStatus.DRAFT:
        raise ValidationError(_("Only a draft set can be activated."))
    if not Indicator.objects.filter(pillar__indicator_set=indicator_set).exists():
        raise ValidationError(_("A set without indicators cannot be activated."))
    indicator_set.activate()
    indicator_set.save()
    return indicator_set


@transaction.atomic
def indicator_set_freeze(*, indicator_set: IndicatorSet) -> IndicatorSet:
    """Freeze a set for good; a campaign calls this when it starts to use the set."""
    indicator_set = IndicatorSet.objects.select_for_update().get(pk=indicator_set.pk)
    if indicator_set.status == SetStatus.FROZEN:
        return indicator_set
    indicator_set.freeze()
    indicator_set.save()
    return indicator_set


@transaction.atomic
def indicator_set_copy(
    *, indicator_set: IndicatorSet, year: int, name: str | None = None
) -> IndicatorSet:
    """Start next year's set as a draft copy of this one (Bộ chỉ số năm sau)."""
    name = name or indicator_set.name
    if IndicatorSet.objects.filter(name=name, year=year, tier=indicator_set.tier).exists():
        raise ValidationError(
            _("A set named “%(name)s” already exists for %(year)s.") % {"name": name, "year": year}
        )
    copy = IndicatorSet.objects.create(
        name=name,
        tier=indicator_set.tier,
        year=year,
        issuer=indicator_set.issuer,
        source_note=indicator_set.source_note,
        bonus_rule=indicator_set.bonus_rule,
        decimal_places=indicator_set.decimal_places,
        copied_from=indicator_set,
    )
    groups = {}
    for group in indicator_set.groups.all():
        groups[group.pk] = IndicatorGroup.objects.create(
            indicator_set=copy, code=group.code, name=group.name, order=group.order
        )
    pillars = {}
    for pillar in indicator_set.pillars.all():
        pillars[pillar.pk] = Pillar.objects.create(
            indicator_set=copy,
            group=groups.get(pillar.group_id),
            code=pillar.code,
            name=pillar.name,
            scored=pillar.scored,
            order=pillar.order,
        )
    Indicator.objects.bulk_create(
        Indicator(
            pillar=pillars[indicator.pillar_id],
            **{f: getattr(indicator, f) for f in INDICATOR_CONTENT_FIELDS},
        )
        for indicator in Indicator.objects.filter(pillar__indicator_set=indicator_set)
    )
    for sub_index in indicator_set.sub_indices.prefetch_related("pillars"):
        new = SubIndex.objects.create(
            indicator_set=copy, code=sub_index.code, name=sub_index.name, order=sub_index.order
        )
        new.pillars.set([pillars[p.pk] for p in sub_index.pillars.all()])
    GeneralInfoField.objects.bulk_create(
        GeneralInfoField(indicator_set=copy, code=f.code, name=f.name, kind=f.kind, order=f.order)
        for f in indicator_set.general_info_fields.all()
    )
    Band.objects.bulk_create(
        Band(
            indicator_set=copy,
            name=b.name,
            min_percent=b.min_percent,
            is_illustrative=b.is_illustrative,
        )
        for b in indicator_set.bands.all()
    )
    return copy


def indicator_set_import_excel(*, fileobj, name: str | None = None):
    """Import a workbook as a new draft set; returns ``excel.ImportResult`` (set or every error)."""
    # A local import: excel brings openpyxl and the selectors, which no other service needs.
    from .excel import import_indicator_set

    return import_indicator_set(fileobj, name=name)
