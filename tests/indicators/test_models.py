"""Indicator sets: derived totals, the frozen guarantee on every path, copying."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from indicators import services
from indicators.models import (
    Indicator,
    IndicatorSet,
    IndicatorSetFrozen,
    Pillar,
    SetStatus,
    SubIndex,
    natural_key,
)
from tests.factories import IndicatorFactory, PillarFactory, small_set

pytestmark = pytest.mark.django_db


def test_totals_are_derived_from_indicators_and_leave_out_bonus():
    indicator_set = small_set()
    pillars = {p.code: p for p in Pillar.objects.with_max_points()}
    assert pillars["1"].total_max == Decimal("30.00")
    assert pillars["2"].total_max == Decimal("15.00")
    assert indicator_set.max_points() == Decimal("45.00")
    assert SubIndex.objects.get(code="cqs").max_points() == Decimal("45.00")


def test_a_new_indicator_changes_the_derived_total():
    indicator_set = small_set()
    IndicatorFactory(
        pillar=indicator_set.pillars.get(code="2"), code="2.3", max_points=Decimal("2.5")
    )
    assert indicator_set.max_points() == Decimal("47.50")


def test_natural_order_of_codes():
    codes = ["1.10", "2", "1.2", "4.22.1", "4.22", "1.1"]
    assert sorted(codes, key=natural_key) == ["1.1", "1.2", "1.10", "2", "4.22", "4.22.1"]


def test_an_unsound_rule_is_refused_on_save_not_only_in_forms():
    pillar = PillarFactory()
    with pytest.raises(ValidationError) as excinfo:
        Indicator.objects.create(
            pillar=pillar, code="1.1", name="x", max_points=Decimal("10"), method="levels", rule={}
        )
    assert "rule" in excinfo.value.message_dict
    assert Indicator.objects.count() == 0


def test_a_code_is_used_once_per_set():
    indicator_set = small_set()
    with pytest.raises(ValidationError) as excinfo:
        IndicatorFactory(pillar=indicator_set.pillars.get(code="2"), code="1.1")
    assert "code" in excinfo.value.message_dict


def frozen_paths(indicator_set):
    pillar = indicator_set.pillars.get(code="1")
    indicator = Indicator.objects.get(pillar=pillar, code="1.1")
    sub_index = indicator_set.sub_indices.get()

    def rename_set():
        indicator_set.name = "Khác"
        indicator_set.save()

    def change_max():
        indicator.max_points = Decimal("99")
        indicator.save()

    def add_indicator():
        IndicatorFactory(pillar=pillar, code="1.9")

    return {
        "set save": rename_set,
        "set delete": lambda: IndicatorSet.objects.get(pk=indicator_set.pk).delete(),
        "set queryset update": lambda: IndicatorSet.objects.filter(pk=indicator_set.pk).update(
            year=1
        ),
        "set queryset delete": lambda: IndicatorSet.objects.filter(pk=indicator_set.pk).delete(),
        "indicator save": change_max,
        "indicator create": add_indicator,
        "indicator delete": indicator.delete,
        "indicator queryset update": lambda: Indicator.objects.filter(pk=indicator.pk).update(
            max_points=Decimal("1")
        ),
        "indicator queryset delete": lambda: Indicator.objects.filter(pk=indicator.pk).delete(),
        "indicator bulk_create": lambda: Indicator.objects.bulk_create(
            [Indicator(pillar=pillar, code="1.8", name="x", max_points=1, method="yes_no")]
        ),
        "pillar save": lambda: Pillar.objects.filter(pk=pillar.pk).first().save(),
        "pillar queryset update": lambda: Pillar.objects.filter(pk=pillar.pk).update(name="x"),
        "sub-index membership": lambda: sub_index.pillars.remove(pillar),
        "sub-index membership, pillar side": lambda: pillar.sub_indices.clear(),
    }


FROZEN_PATHS = [
    "set save",
    "set delete",
    "set queryset update",
    "set queryset delete",
    "indicator save",
    "indicator create",
    "indicator delete",
    "indicator queryset update",
    "indicator queryset delete",
    "indicator bulk_create",
    "pillar save",
    "pillar queryset update",
    "sub-index membership",
    "sub-index membership, pillar side",
]


def test_every_frozen_path_is_listed():
    assert sorted(frozen_paths(small_set()).keys()) == sorted(FROZEN_PATHS)


@pytest.mark.parametrize("path", FROZEN_PATHS)
def test_a_frozen_set_cannot_change_by_any_path(path):
    indicator_set = small_set(status="frozen")
    before = snapshot(indicator_set)
    # Services run writes in a transaction; a refused write rolls back only its own.
    with pytest.raises(IndicatorSetFrozen), transaction.atomic():
        frozen_paths(indicator_set)[path]()
    assert snapshot(IndicatorSet.objects.get(pk=indicator_set.pk)) == before


def snapshot(indicator_set):
    return (
        indicator_set.name,
        indicator_set.year,
        indicator_set.status,
        sorted(
            Indicator.objects.filter(pillar__indicator_set=indicator_set).values_list(
                "code", "max_points", "name"
            )
        ),
        sorted(Pillar.objects.filter(indicator_set=indicator_set).values_list("code", "name")),
        sorted(
            SubIndex.pillars.through.objects.filter(
                subindex__indicator_set=indicator_set
            ).values_list("subindex__code", "pillar__code")
        ),
    )


def test_a_draft_set_can_still_change():
    indicator_set = small_set()
    indicator = Indicator.objects.get(pillar__indicator_set=indicator_set, code="1.1")
    indicator.max_points = Decimal("12")
    indicator.save()
    assert indicator_set.max_points() == Decimal("47.00")


def test_activate_then_freeze():
    indicator_set = small_set()
    services.indicator_set_activate(indicator_set=indicator_set)
    services.indicator_set_freeze(indicator_set=indicator_set)
    # A protected FSM field cannot be refreshed in place; read it afresh.
    assert IndicatorSet.objects.get(pk=indicator_set.pk).status == SetStatus.FROZEN


def test_an_empty_set_cannot_be_activated():
    indicator_set = IndicatorSet.objects.create(name="Trống", tier="commune", year=2025)
    with pytest.raises(ValidationError):
        services.indicator_set_activate(indicator_set=indicator_set)
    assert IndicatorSet.objects.get(pk=indicator_set.pk).status == SetStatus.DRAFT


def test_copy_to_a_new_year_is_an_editable_draft_with_everything():
    original = small_set(status="frozen")
    copy = services.indicator_set_copy(indicator_set=original, year=2025)
    assert copy.status == SetStatus.DRAFT
    assert copy.year == 2025
    assert copy.copied_from == original
    assert copy.max_points() == original.max_points()

    def shape(s):
        return (
            sorted(
                Indicator.objects.filter(pillar__indicator_set=s).values_list(
                    "pillar__code", "code", "name", "max_points", "method", "rule", "is_bonus"
                )
            ),
            sorted(
                SubIndex.pillars.through.objects.filter(subindex__indicator_set=s).values_list(
                    "subindex__code", "pillar__code"
                )
            ),
        )

    assert shape(copy) == shape(original)
    indicator = Indicator.objects.get(pillar__indicator_set=copy, code="1.1")
    indicator.max_points = Decimal("11")
    indicator.save()  # the copy is free to change; the original stays frozen
    assert original.max_points() == Decimal("45.00")


def test_copy_refuses_a_name_already_used_that_year():
    original = small_set()
    services.indicator_set_copy(indicator_set=original, year=2025)
    with pytest.raises(ValidationError):
        services.indicator_set_copy(indicator_set=original, year=2025)
    assert IndicatorSet.objects.filter(year=2025).count() == 1
