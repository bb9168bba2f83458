"""``manage.py load_demo``: the indicator sets, the Trà Bồng district and demo accounts.

Idempotent: every object is looked up before it is created, an indicator set
already present is left as it is, and an existing account keeps its password
and roles. ``--no-users`` skips the accounts (for a production database).

Sources of the demo data are listed in ``fixtures/README.md``.
"""

from __future__ import annotations

import os

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import AdministrativeUnit, Agency, AgencyKind, Role, UnitKind, User
from indicators import services
from indicators.fixtures_loader import (
    existing_indicator_set,
    fixture_paths,
    load_indicator_set,
    read_fixture,
)
from indicators.models import SetStatus

DEFAULT_DEMO_PASSWORD = "demo-dti-2024"

PROVINCE = "Quảng Ngãi"
DISTRICT = "Trà Bồng"
# Trà Bồng before 1 July 2025: the district seat and 15 communes (see fixtures/README.md).
COMMUNES = [
    ("Trà Xuân", UnitKind.TOWNSHIP),
    ("Trà Bình", UnitKind.COMMUNE),
    ("Trà Bùi", UnitKind.COMMUNE),
    ("Trà Giang", UnitKind.COMMUNE),
    ("Trà Hiệp", UnitKind.COMMUNE),
    ("Trà Lâm", UnitKind.COMMUNE),
    ("Trà Phú", UnitKind.COMMUNE),
    ("Trà Sơn", UnitKind.COMMUNE),
    ("Trà Tân", UnitKind.COMMUNE),
    ("Trà Thủy", UnitKind.COMMUNE),
    ("Hương Trà", UnitKind.COMMUNE),
    ("Sơn Trà", UnitKind.COMMUNE),
    ("Trà Phong", UnitKind.COMMUNE),
    ("Trà Tây", UnitKind.COMMUNE),
    ("Trà Thanh", UnitKind.COMMUNE),
    ("Trà Xinh", UnitKind.COMMUNE),
]

ORGANIZER_AGENCY = "Phòng Văn hóa và Thông tin"
# The organizer and the twelve council-member agencies of the Trà Bồng 2024 plan
# (shared/seeds/000, section III.2), names written out in full.
AGENCIES = [
    (ORGANIZER_AGENCY, AgencyKind.GOVERNMENT),
    ("Văn phòng HĐND và UBND huyện", AgencyKind.GOVERNMENT),
    ("Phòng Kinh tế và Hạ tầng", AgencyKind.GOVERNMENT),
    ("Phòng Tài chính - Kế hoạch", AgencyKind.GOVERNMENT),
    ("Phòng Nội vụ", AgencyKind.GOVERNMENT),
    ("Phòng Lao động - Thương binh và Xã hội", AgencyKind.GOVERNMENT),
    ("Trung tâm Truyền thông - Văn hóa - Thể thao huyện", AgencyKind.GOVERNMENT),
    ("Công an huyện", AgencyKind.POLICE),
    ("Bưu điện huyện", AgencyKind.POST),
    ("Ngân hàng Agribank Trà Bồng", AgencyKind.BANK),
    ("Viễn thông Trà Bồng", AgencyKind.TELECOM),
    ("Viettel Trà Bồng", AgencyKind.TELECOM),
    ("Chi cục Thống kê Trà Bồng", AgencyKind.STATISTICS),
]

# username, full name, role, unit name (None: none), agency name (None: none), superuser
DEMO_USERS = [
    ("admin", "Quản trị hệ thống", Role.ADMINISTRATOR, None, None, True),
    ("vhtt", "Nguyễn Thị Thu Hà", Role.ORGANIZER, DISTRICT, ORGANIZER_AGENCY, False),
    ("traxuan.canbo", "Hồ Văn Minh", Role.UNIT_OFFICER, "Trà Xuân", None, False),
    ("traxuan.lanhdao", "Đinh Văn Lực", Role.UNIT_LEADER, "Trà Xuân", None, False),
    ("trabui.canbo", "Hồ Thị Lan", Role.UNIT_OFFICER, "Trà Bùi", None, False),
    ("congan", "Lê Văn Hùng", Role.COUNCIL_MEMBER, DISTRICT, "Công an huyện", False),
    ("noivu", "Phạm Thị Mai", Role.COUNCIL_MEMBER, DISTRICT, "Phòng Nội vụ", False),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo: the indicator sets of fixtures/, the Trà Bồng district with its "
        "communes and agencies, and demo accounts. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-users",
            action="store_true",
            help=gettext_lazy("Do not create demo accounts (for a production database)."),
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            self.load_sets()
            units = self.load_units()
            agencies = self.load_agencies(units[DISTRICT])
            accounts = None if options["no_users"] else self.load_users(units, agencies)
        if accounts is None:
            self.stdout.write(_("Demo accounts were skipped (--no-users)."))
        else:
            self.print_accounts(accounts)
        self.stdout.write(self.style.SUCCESS(_("The demo data is ready.")))

    # --- indicator sets ----------------------------------------------------

    def load_sets(self):
        for path in fixture_paths():
            data = read_fixture(path)
            present = existing_indicator_set(data) is not None
            indicator_set = load_indicator_set(data)
            values = {"name": indicator_set.name, "year": indicator_set.year}
            if present:
                message = _("Indicator set “%(name)s” (%(year)s): already present, unchanged.")
            else:
                message = _("Indicator set “%(name)s” (%(year)s): loaded.")
            self.stdout.write(message % values)
            if indicator_set.status == SetStatus.DRAFT:
                services.indicator_set_activate(indicator_set=indicator_set)
                self.stdout.write(_("Indicator set “%(name)s”: activated.") % values)

    # --- administrative units and agencies -----------------------------------

    def load_units(self) -> dict[str, AdministrativeUnit]:
        created = 0
        province, new = AdministrativeUnit.objects.get_or_create(
            parent=None, name=PROVINCE, defaults={"kind": UnitKind.PROVINCE}
        )
        created += new
        district, new = AdministrativeUnit.objects.get_or_create(
            parent=province, name=DISTRICT, defaults={"kind": UnitKind.DISTRICT}
        )
        created += new
        units = {PROVINCE: province, DISTRICT: district}
        for name, kind in COMMUNES:
            units[name], new = AdministrativeUnit.objects.get_or_create(
                parent=district, name=name, defaults={"kind": kind}
            )
            created += new
        self.stdout.write(
            _("Administrative units: %(created)s created, %(total)s in the demo tree.")
            % {"created": created, "total": len(units)}
        )
        return units

    def load_agencies(self, district: AdministrativeUnit) -> dict[str, Agency]:
        agencies, created = {}, 0
        for name, kind in AGENCIES:
            agencies[name], new = Agency.objects.get_or_create(
                unit=district, name=name, defaults={"kind": kind}
            )
            created += new
        self.stdout.write(
            _("Agencies of %(unit)s: %(created)s created, %(total)s in the demo.")
            % {"unit": district.name, "created": created, "total": len(agencies)}
        )
        return agencies

    # --- accounts ------------------------------------------------------------

    def load_users(self, units, agencies) -> list[tuple[User, str, bool]]:
        password = demo_password()
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        accounts = []
        for username, full_name, role, unit_name, agency_name, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "unit": units.get(unit_name) if unit_name else None,
                    "agency": agencies.get(agency_name) if agency_name else None,
                    "is_superuser": superuser,
                    "is_staff": superuser,
                },
            )
            if created:
                # Only a new account gets the demo password and its role: an
                # existing one keeps whatever its owner or an administrator set.
                user.set_password(password)
                user.save(update_fields=["password"])
                user.groups.add(groups[role])
            accounts.append((user, role, created))
        return accounts

    def print_accounts(self, accounts):
        password = demo_password()
        header = (_("Username"), _("Password"), _("Role"), _("Unit / agency"), _("Status"))
        rows = []
        for user, role, created in accounts:
            if user.agency_id:
                place = f"{user.agency.name}, {user.agency.unit.name}"
            elif user.unit_id:
                place = f"{user.unit.get_kind_display()}: {user.unit.name}"
            else:
                place = "—"
            rows.append(
                (
                    user.username,
                    password if created else "—",
                    str(Role(role).label),
                    place,
                    _("account created") if created else _("already existed; password unchanged"),
                )
            )
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

        def line(cells):
            cells = zip(cells, widths, strict=True)
            return "  ".join(str(cell).ljust(width) for cell, width in cells).rstrip()

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo accounts")))
        self.stdout.write(line(header))
        self.stdout.write(line("-" * width for width in widths))
        for row in rows:
            self.stdout.write(line(row))
        self.stdout.write("")
        self.stdout.write(
            _(
                "Demo password: set it with the DEMO_PASSWORD environment variable before the "
                "accounts are created; an existing account keeps its password."
            )
        )
