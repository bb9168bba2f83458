"""Yearly indicator sets (Bộ chỉ số) and their parts.

A set is drafted, activated, and frozen when a campaign starts to use it.
Nothing belonging to a frozen set can change by any path: ``save``,
``delete``, queryset ``update``/``delete``/``bulk_create`` and the sub-index
membership all refuse (see ``FrozenGuard``). Totals are never stored: the
max points of a pillar, group or set are sums over its indicators.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from . import scoring


class IndicatorSetFrozen(ValidationError):
    """Raised by every write that would change a frozen set."""

    def __init__(self, indicator_set=None):
        name = f" “{indicator_set}”" if indicator_set is not None else ""
        super().__init__(
            gettext(
                "The indicator set%(name)s is frozen because a campaign uses it; "
                "copy it to a new year to make changes."
            )
            % {"name": name},
            code="frozen",
        )


def natural_key(code: str) -> tuple:
    """Sort codes as people read them: 1.2 < 1.10 < 2, and 4.22.1 after 4.22."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\s]+", code or "")
    )


# The indicators whose max points make up the totals: bonus points are added
# by the set's bonus rule, and a pillar marked not scored ("Không tính điểm")
# is collected but adds nothing.
COUNTED_INDICATOR = Q(is_bonus=False, pillar__scored=True)


class SetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")


class Tier(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    DEPARTMENT = "department", _("Department")


class BonusRule(models.TextChoices):
    # How encouragement points enter the percentage is a rule of each set.
    ADD_CAPPED = "add_capped", _("Added to achieved points; the value is capped at 100%")
    ADD_UNCAPPED = "add_uncapped", _("Added to achieved points; the value may exceed 100%")
    SEPARATE = "separate", _("Shown separately; not counted in the percentages")


class FrozenGuardQuerySet(models.QuerySet):
    """Refuses bulk writes that touch a frozen set; the model's save/delete guard the rest."""

    set_path = "indicator_set"

    def _touches_frozen(self) -> bool:
        return self.filter(**{f"{self.set_path}__status": SetStatus.FROZEN}).exists()

    def update(self, **kwargs):
        if self._touches_frozen():
            raise IndicatorSetFrozen()
        return super().update(**kwargs)

    def delete(self):
        if self._touches_frozen():
            raise IndicatorSetFrozen()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.check_not_frozen()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.check_not_frozen()
        return super().bulk_update(objs, *args, **kwargs)


class FrozenGuard(models.Model):
    """Mixin for the parts of a set: writes are refused once the set is frozen."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.check_not_frozen()
        if self.pk:
            # Moving a part out of a frozen set is a change to that set too.
            previous = type(self).objects.filter(pk=self.pk).first()
            if previous is not None:
                previous.check_not_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.check_not_frozen()
        return super().delete(*args, **kwargs)

    def owning_set(self) -> IndicatorSet:
        raise NotImplementedError

    def check_not_frozen(self) -> None:
        indicator_set = self.owning_set()
        if indicator_set is None:
            return
        # Read the status from the database: an in-memory copy may be stale.
        status = (
            IndicatorSet.objects.filter(pk=indicator_set.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status == SetStatus.FROZEN:
            raise IndicatorSetFrozen(indicator_set)


class IndicatorSetQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=SetStatus.FROZEN).exists():
            raise IndicatorSetFrozen()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=SetStatus.FROZEN).exists():
            raise IndicatorSetFrozen()
        return super().delete()


class IndicatorSet(models.Model):
    name = models.CharField(_("name"), max_length=300)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    source_note = models.TextField(
        _("source note"),
        blank=True,
        help_text=_("Where the set comes from and what in it is illustrative."),
    )
    status = FSMField(
        _("status"), default=SetStatus.DRAFT, choices=SetStatus.choices, protected=True
    )
    bonus_rule = models.CharField(
        _("bonus points rule"),
        max_length=20,
        choices=BonusRule.choices,
        default=BonusRule.ADD_CAPPED,
    )
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places of percentages"), default=2, help_text=_("Rounded half up.")
    )
    copied_from = models.ForeignKey(
        "self", verbose_name=_("copied from"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = IndicatorSetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator set")
        verbose_name_plural = _("indicator sets")
        ordering = ["-year", "tier", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "year", "tier"], name="unique_set_name_year_tier"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"

    # A frozen set refuses its own edits too, except the status itself, which
    # only the transitions below change.
    def save(self, *args, **kwargs):
        if self.pk:
            stored = (
                IndicatorSet.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            )
            if stored == SetStatus.FROZEN:
                raise IndicatorSetFrozen(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if IndicatorSet.objects.filter(pk=self.pk, status=SetStatus.FROZEN).exists():
            raise IndicatorSetFrozen(self)
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status == SetStatus.FROZEN

    @transition(field=status, source=SetStatus.DRAFT, target=SetStatus.ACTIVE)
    def activate(self):
        """Ready for use; still editable until a campaign freezes it."""

    @transition(field=status, source=[SetStatus.DRAFT, SetStatus.ACTIVE], target=SetStatus.FROZEN)
    def freeze(self):
        """Called when a campaign starts to use the set."""

    def max_points(self) -> Decimal:
        return Indicator.objects.filter(COUNTED_INDICATOR, pillar__indicator_set=self).aggregate(
            total=Sum("max_points", default=Decimal(0))
        )["total"]


class IndicatorGroup(FrozenGuard):
    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("indicator set"),
        related_name="groups",
        on_delete=models.CASCADE,
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=300)
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["indicator_set", "code"], name="unique_group_code")
        ]

    def __str__(self):
        return f"{self.code}. {self.name}"

    def owning_set(self):
        return self.indicator_set


class PillarQuerySet(FrozenGuardQuerySet):
    def with_max_points(self):
        return self.annotate(
            total_max=Sum(
                "indicators__max_points",
                filter=Q(indicators__is_bonus=False, scored=True),
                default=Decimal(0),
            )
        )


class Pillar(FrozenGuard):
    """Chỉ số chính: a pillar such as Nhận thức số. Its max is the sum of its indicators."""

    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("indicator set"),
        related_name="pillars",
        on_delete=models.CASCADE,
    )
    group = models.ForeignKey(
        IndicatorGroup,
        verbose_name=_("group"),
        related_name="pillars",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=300)
    scored = models.BooleanField(
        _("scored"), default=True, help_text=_("Off for a pillar that is collected but not scored.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = PillarQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["indicator_set", "code"], name="unique_pillar_code")
        ]

    def __str__(self):
        return f"{self.code}. {self.name}"

    def owning_set(self):
        return self.indicator_set

    def clean(self):
        if self.group_id and self.group.indicator_set_id != self.indicator_set_id:
            raise ValidationError({"group": gettext("The group belongs to another indicator set.")})

    def max_points(self) -> Decimal:
        return self.indicators.filter(COUNTED_INDICATOR).aggregate(
            total=Sum("max_points", default=Decimal(0))
        )["total"]


# What makes an indicator what it is: copied to next year's set, compared
# after an export and re-import.
INDICATOR_CONTENT_FIELDS = (
    "code",
    "name",
    "max_points",
    "method",
    "rule",
    "guidance",
    "evidence_required",
    "evidence_mandatory",
    "data_source",
    "verifier",
    "is_bonus",
    "is_illustrative",
    "source_note",
    "order",
)


class IndicatorQuerySet(FrozenGuardQuerySet):
    set_path = "pillar__indicator_set"


class Indicator(FrozenGuard):
    """Chỉ số thành phần: one component indicator with its scoring method and rule."""

    pillar = models.ForeignKey(
        Pillar, verbose_name=_("pillar"), related_name="indicators", on_delete=models.CASCADE
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.TextField(_("name"))
    max_points = models.DecimalField(
        _("max points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    method = models.CharField(_("scoring method"), max_length=20, choices=scoring.METHOD_CHOICES)
    rule = models.JSONField(_("scoring rule"), default=dict, blank=True)
    guidance = models.TextField(_("how it is determined and scored"), blank=True)
    evidence_required = models.TextField(_("required evidence"), blank=True)
    evidence_mandatory = models.BooleanField(
        _("evidence is mandatory"),
        default=False,
        help_text=_("The unit cannot submit without evidence for this indicator."),
    )
    data_source = models.CharField(_("data source"), max_length=300, blank=True)
    verifier = models.CharField(_("verifying agency"), max_length=300, blank=True)
    is_bonus = models.BooleanField(_("bonus (encouragement) points"), default=False)
    is_illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Not from an official decision; shown as “minh họa” wherever it appears."),
    )
    source_note = models.CharField(_("source"), max_length=500, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = IndicatorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code}. {self.name[:80]}"

    def save(self, *args, **kwargs):
        # A rule that cannot score, or a code used twice in one set, is refused
        # on every path, not only in forms.
        self.clean()
        super().save(*args, **kwargs)

    def owning_set(self):
        return self.pillar.indicator_set if self.pillar_id else None

    def clean(self):
        if self.max_points is not None and self.method:
            try:
                scoring.validate_rule(self.method, self.rule, self.max_points)
            except scoring.ScoringError as exc:
                raise ValidationError({"rule": exc.messages}) from None
        if self.pillar_id and self.code:
            clash = Indicator.objects.filter(
                pillar__indicator_set_id=self.pillar.indicator_set_id, code=self.code
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"code": gettext("Another indicator of this set has this code.")}
                )

    def score(self, inputs, general_info=None):
        """The score of these raw inputs, as every service computes it.

        Besides what the engine refuses, a ratio whose part exceeds its whole
        is refused here (``scoring.check_ratio_part``), not scored as the maximum.
        """
        if self.method == scoring.RATIO:
            scoring.check_ratio_part(rule=self.rule, inputs=inputs, general_info=general_info)
        return scoring.compute_score(
            method=self.method,
            rule=self.rule,
            max_points=self.max_points,
            inputs=inputs,
            general_info=general_info,
        )


class SubIndex(FrozenGuard):
    """A ranking dimension (DTI, Chính quyền số, ...) and the pillars that feed it."""

    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("indicator set"),
        related_name="sub_indices",
        on_delete=models.CASCADE,
    )
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    pillars = models.ManyToManyField(
        Pillar, verbose_name=_("pillars"), related_name="sub_indices", blank=True
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        verbose_name = _("sub-index")
        verbose_name_plural = _("sub-indices")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["indicator_set", "code"], name="unique_sub_index_code")
        ]

    def __str__(self):
        return self.name

    def owning_set(self):
        return self.indicator_set

    def max_points(self) -> Decimal:
        return Indicator.objects.filter(COUNTED_INDICATOR, pillar__sub_indices=self).aggregate(
            total=Sum("max_points", default=Decimal(0))
        )["total"]


class GeneralInfoField(FrozenGuard):
    """Thông tin chung: a figure each unit enters once (population, officials ...)."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Number")
        TEXT = "text", _("Text")

    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("indicator set"),
        related_name="general_info_fields",
        on_delete=models.CASCADE,
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NUMBER)
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        verbose_name = _("general information field")
        verbose_name_plural = _("general information fields")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "code"], name="unique_general_info_code"
            )
        ]

    def __str__(self):
        return self.name

    def owning_set(self):
        return self.indicator_set


class Band(FrozenGuard):
    """Xếp loại: a unit whose DTI value reaches ``min_percent`` gets this band."""

    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("indicator set"),
        related_name="bands",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name"), max_length=100)
    min_percent = models.DecimalField(
        _("from DTI value (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    is_illustrative = models.BooleanField(_("illustrative threshold"), default=False)

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        verbose_name = _("band")
        verbose_name_plural = _("bands")
        ordering = ["-min_percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "min_percent"], name="unique_band_threshold"
            )
        ]

    def __str__(self):
        return f"{self.name} (≥ {self.min_percent}%)"

    def owning_set(self):
        return self.indicator_set
