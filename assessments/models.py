"""Administrative units, agencies and the people who work in them.

Campaigns, assessments, responses and evidence join this module in the
self-assessment work; the unit tree and the people come first because every
permission question starts from them.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


class UnitKind(models.TextChoices):
    PROVINCE = "tinh", _("Province (tỉnh)")
    CITY_CENTRAL = "thanh_pho_tw", _("Centrally-run city")
    DISTRICT = "huyen", _("Rural district (huyện)")
    URBAN_DISTRICT = "quan", _("Urban district (quận)")
    TOWN = "thi_xa", _("District-level town (thị xã)")
    CITY = "thanh_pho", _("Provincial city")
    COMMUNE = "xa", _("Commune (xã)")
    WARD = "phuong", _("Ward (phường)")
    TOWNSHIP = "thi_tran", _("Township (thị trấn)")
    SPECIAL_ZONE = "dac_khu", _("Special zone (đặc khu)")


LEVEL_OF_KIND = {
    UnitKind.PROVINCE: Level.PROVINCE,
    UnitKind.CITY_CENTRAL: Level.PROVINCE,
    UnitKind.DISTRICT: Level.DISTRICT,
    UnitKind.URBAN_DISTRICT: Level.DISTRICT,
    UnitKind.TOWN: Level.DISTRICT,
    UnitKind.CITY: Level.DISTRICT,
    UnitKind.COMMUNE: Level.COMMUNE,
    UnitKind.WARD: Level.COMMUNE,
    UnitKind.TOWNSHIP: Level.COMMUNE,
    UnitKind.SPECIAL_ZONE: Level.COMMUNE,
}


class AdministrativeUnitQuerySet(models.QuerySet):
    def descendants_of(self, unit: AdministrativeUnit):
        # At most three tiers, so two joins cover every descendant; nothing
        # here assumes a district exists between province and commune.
        return self.filter(Q(parent=unit) | Q(parent__parent=unit))


class AdministrativeUnit(models.Model):
    """Tỉnh, huyện, xã: a tree by ``parent``; the level follows from the kind."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        related_name="children",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    code = models.CharField(_("official code"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = AdministrativeUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_unit_name_in_parent"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.level = LEVEL_OF_KIND[self.kind]
        super().save(*args, **kwargs)


class AgencyKind(models.TextChoices):
    GOVERNMENT = "government", _("Government office")
    POLICE = "police", _("Police")
    STATISTICS = "statistics", _("Statistics office")
    POST = "post", _("Post office")
    TELECOM = "telecom", _("Telecommunications enterprise")
    BANK = "bank", _("Bank")
    OTHER = "other", _("Other")


class Agency(models.Model):
    """Cơ quan, doanh nghiệp: a department, the police, a telecom branch ..."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("administrative unit"),
        related_name="agencies",
        on_delete=models.PROTECT,
        help_text=_("The unit the agency works in, such as the district."),
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="unique_agency_name_in_unit"),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    """Product roles, held as Django groups of the same name."""

    ADMINISTRATOR = "administrator", _("Administrator")
    ORGANIZER = "organizer", _("Organizer")
    UNIT_OFFICER = "unit_officer", _("Unit officer")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    COUNCIL_MEMBER = "council_member", _("Council member")


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("administrative unit"),
        related_name="people",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        related_name="people",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username

    def role_codes(self) -> frozenset[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = frozenset(self.groups.values_list("name", flat=True))
        return self._role_codes

    def has_role(self, role: Role) -> bool:
        return self.is_active and role in self.role_codes()
