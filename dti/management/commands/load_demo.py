"""``manage.py load_demo``: the indicator sets, the Trà Bồng district, demo accounts,
last year's campaign published and this year's half-way through (``dti.demo``).

Idempotent: every object is looked up before it is created, an indicator set
already present is left as it is, an existing account keeps its password and
roles, and each demo campaign (found by its name, year and district) is built
once and then left unchanged: a second run skips it with a message.
``--no-users`` skips the accounts and the campaigns (for a production
database), ``--no-campaign`` only the campaigns.

Sources of the demo data are listed in ``fixtures/README.md``.
"""

from __future__ import annotations

import os

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    AssessmentState,
    Role,
    UnitKind,
    User,
)
from assessments.windows import local_text
from dti import demo
from indicators import services
from indicators.fixtures_loader import (
    existing_indicator_set,
    fixture_paths,
    load_indicator_set,
    read_fixture,
)
from indicators.models import SetStatus, Tier
from indicators.templatetags.indicators_tags import percent

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
    # Chair and secretary of the demo campaign's council (``dti.demo.COUNCIL``).
    (
        "hd.chutich",
        "Võ Văn Thành",
        Role.COUNCIL_MEMBER,
        DISTRICT,
        "Văn phòng HĐND và UBND huyện",
        False,
    ),
    ("hd.thuky", "Trần Thị Ngọc Anh", Role.COUNCIL_MEMBER, DISTRICT, ORGANIZER_AGENCY, False),
    # Data providers of this year's campaign (``dti.demo.PROVIDERS``).
    ("thongke", "Lê Thị Thu Sương", Role.DATA_PROVIDER, None, "Chi cục Thống kê Trà Bồng", False),
    ("viettel", "Nguyễn Văn Toàn", Role.DATA_PROVIDER, None, "Viettel Trà Bồng", False),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


class DemoPassword:
    """The demo password, hashed once for every account a run creates.

    Hashing takes a noticeable fraction of a second (PBKDF2, a million
    iterations); the demo creates about forty accounts with one shared,
    printed password, so they share one hash too.
    """

    def __init__(self, raw: str):
        self.raw = raw
        self._hashed = None

    def hashed(self) -> str:
        if self._hashed is None:
            self._hashed = make_password(self.raw)
        return self._hashed


def table(header, rows) -> list[str]:
    """Left-aligned columns under a header and a rule, as lines of text."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        cells = zip(cells, widths, strict=True)
        return "  ".join(str(cell).ljust(width) for cell, width in cells).rstrip()

    return [line(header), line("-" * width for width in widths), *(line(row) for row in rows)]


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo: the indicator sets of fixtures/, the Trà Bồng district with its "
        "communes and agencies, demo accounts, last year's commune campaign published and "
        "this year's half-way through. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-users",
            action="store_true",
            help=gettext_lazy("Do not create demo accounts (for a production database)."),
        )
        parser.add_argument(
            "--no-campaign",
            action="store_true",
            help=gettext_lazy("Do not build the demo campaign."),
        )

    def handle(self, *args, **options):
        failure, results = None, []
        with transaction.atomic():
            sets = self.load_sets()
            units = self.load_units()
            agencies = self.load_agencies(units[DISTRICT])
            accounts = None if options["no_users"] else self.load_users(units, agencies)
            if accounts is not None and not options["no_campaign"]:
                try:
                    # A savepoint: a campaign that cannot be built leaves nothing behind,
                    # and the rest of the demo is still loaded.
                    with transaction.atomic():
                        results = demo.load_campaigns(
                            district=units[DISTRICT],
                            units=units,
                            base_set=next(s for s in sets if s.tier == Tier.COMMUNE),
                            accounts={user.username: user for user, _role, _new in accounts},
                            password=DemoPassword(demo_password()),
                        )
                except (ValidationError, PermissionDenied) as exc:
                    failure = exc
        if accounts is None:
            self.stdout.write(_("Demo accounts were skipped (--no-users)."))
            self.stdout.write(
                _("The demo campaign was skipped (--no-users): it needs the accounts.")
            )
        else:
            self.print_accounts(accounts)
            if options["no_campaign"]:
                self.stdout.write(_("The demo campaign was skipped (--no-campaign)."))
            else:
                for result in results:
                    if result.story.publication is not None:
                        self.print_published(result)
                    else:
                        self.print_campaign(result)
        if failure is not None:
            reason = "; ".join(getattr(failure, "messages", None) or [str(failure)])
            raise CommandError(
                _("The demo campaign could not be built and nothing of it was kept: %(reason)s")
                % {"reason": reason}
            )
        self.stdout.write(self.style.SUCCESS(_("The demo data is ready.")))

    # --- indicator sets ----------------------------------------------------

    def load_sets(self):
        sets = []
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
                indicator_set = services.indicator_set_activate(indicator_set=indicator_set)
                self.stdout.write(_("Indicator set “%(name)s”: activated.") % values)
            sets.append(indicator_set)
        return sets

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
        password = DemoPassword(demo_password())
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
                user.password = password.hashed()
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
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo accounts")))
        for text in table(header, rows):
            self.stdout.write(text)
        self.stdout.write("")
        self.stdout.write(
            _(
                "Demo password: set it with the DEMO_PASSWORD environment variable before the "
                "accounts are created; an existing account keeps its password."
            )
        )

    # --- the demo campaigns -----------------------------------------------------

    def print_set_copied(self, result: demo.Result):
        if result.set_copied_from is not None:
            self.stdout.write(
                _(
                    "Indicator set “%(name)s” (%(year)s): copied from the %(from_year)s set for "
                    "the demo campaign, activated."
                )
                % {
                    "name": result.indicator_set.name,
                    "year": result.indicator_set.year,
                    "from_year": result.set_copied_from.year,
                }
            )

    def print_created_or_present(self, result: demo.Result):
        write, campaign = self.stdout.write, result.campaign
        values = {
            "name": campaign.name,
            "year": campaign.year,
            "unit": campaign.organizing_unit.name,
        }
        if result.created:
            write(_("“%(name)s” (%(year)s), organized by %(unit)s: created.") % values)
            if result.staff_created is not None:
                write(
                    _("Accounts of the communes' officers and leaders: %(count)s created.")
                    % {"count": result.staff_created}
                )
        else:
            write(
                _(
                    "“%(name)s” (%(year)s): already present, unchanged. To build it again, "
                    "start from an empty database."
                )
                % values
            )

    def print_published(self, result: demo.Result):
        """Last year's campaign: its publication, the top of its DTI ranking, the public URLs."""
        write = self.stdout.write
        self.print_set_copied(result)
        write("")
        write(self.style.MIGRATE_HEADING(_("Published demo campaign")))
        if result.skipped_because_set_is_used is not None:
            used = result.skipped_because_set_is_used
            write(
                _(
                    "%(unit)s already has a campaign with the %(year)s commune set "
                    "(“%(name)s”): the published demo campaign was not created."
                )
                % {"unit": used.organizing_unit.name, "year": used.year, "name": used.name}
            )
            return
        self.print_created_or_present(result)
        campaign, publication = result.campaign, result.publication
        if publication is None:
            write(_("Its results have not been published."))
            return
        results = list(publication.results.order_by("dti_rank", "unit_name"))
        write(
            _(
                "Published by decision %(number)s of %(date)s (version %(version)s): "
                "%(count)s units in the four rankings."
            )
            % {
                "number": publication.decision_number,
                "date": date_format(publication.decision_date, "d/m/Y"),
                "version": publication.version,
                "count": len(results),
            }
        )
        places = campaign.indicator_set.decimal_places
        top = [
            f"{row.dti_rank}. {row.unit_name} ({percent(row.dti_value, places)})"
            for row in results[:3]
        ]
        if top:
            write(_("DTI ranking: %(top)s …") % {"top": "; ".join(top)})
        write(
            _("Public results, no login needed: %(index)s (this campaign: %(campaign)s)")
            % {
                "index": reverse("rankings:results_index"),
                "campaign": reverse("rankings:results_campaign", args=[campaign.pk]),
            }
        )

    def print_campaign(self, result: demo.Result):
        write = self.stdout.write
        self.print_set_copied(result)
        write("")
        write(self.style.MIGRATE_HEADING(_("Demo campaign")))
        if result.skipped_because_set_is_used is not None:
            used = result.skipped_because_set_is_used
            write(
                _(
                    "%(unit)s already has a campaign with this year's commune set (“%(name)s”): "
                    "the demo campaign was not created."
                )
                % {"unit": used.organizing_unit.name, "name": used.name}
            )
            return
        self.print_created_or_present(result)
        campaign = result.campaign
        write("")
        write(_("Calendar:"))
        for phase in campaign.phases.order_by("closes_at"):
            if phase.opens_at is None:
                text = _("%(phase)s: target %(closes)s")
            else:
                text = _("%(phase)s: %(opens)s – %(closes)s")
            write(
                "  "
                + text
                % {
                    "phase": phase.get_kind_display(),
                    "opens": local_text(phase.opens_at) if phase.opens_at else "",
                    "closes": local_text(phase.closes_at),
                }
            )
        write("")
        lines = demo.unit_lines(campaign)
        header = (_("Unit"), _("State"), _("Officer"), _("Leader"), _("Answered"), _("Notes"))
        rows = []
        for line in lines:
            notes = []
            if line.extended_until is not None:
                notes.append(
                    _("self-assessment extended until %(time)s")
                    % {"time": local_text(line.extended_until)}
                )
            if line.disputed:
                notes.append(
                    _("%(disputed)s disputed, %(done)s re-appraised in round 2")
                    % {"disputed": line.disputed, "done": line.reappraised}
                )
            rows.append(
                (
                    line.commune,
                    line.state_label,
                    line.officer,
                    line.leader,
                    f"{line.answered}/{line.total}",
                    "; ".join(notes),
                )
            )
        for text in table(header, rows):
            write(text)
        self.print_logins(lines)

    def print_logins(self, lines):
        write = self.stdout.write
        by_name = {line.commune: line for line in lines}
        home = by_name.get(demo.HOME_COMMUNE)
        explaining = next(
            (line for line in lines if line.state == AssessmentState.EXPLANATION), None
        )
        members = [u for u, role, _p in demo.COUNCIL if role == demo.CouncilRole.MEMBER]
        chair = next(u for u, role, _p in demo.COUNCIL if role == demo.CouncilRole.CHAIR)
        secretary = next(u for u, role, _p in demo.COUNCIL if role == demo.CouncilRole.SECRETARY)
        write("")
        write(self.style.MIGRATE_HEADING(_("Which login for which role")))
        rows = [
            (_("Organizer"), demo.ORGANIZER, _("the campaign, its calendar, units and council")),
        ]
        if home is not None:
            rows += [
                (
                    _("Unit officer"),
                    home.officer,
                    _(
                        "%(unit)s, %(state)s: %(answered)s of %(total)s answered; "
                        "continue and submit"
                    )
                    % {
                        "unit": home.commune,
                        "state": home.state_label,
                        "answered": home.answered,
                        "total": home.total,
                    },
                ),
                (
                    _("Unit leader"),
                    home.leader,
                    _("%(unit)s: return or confirm once the officer has submitted")
                    % {"unit": home.commune},
                ),
            ]
        if explaining is not None:
            rows.append(
                (
                    _("Unit officer"),
                    explaining.officer,
                    _("%(unit)s, %(state)s: the explanation and the round-1 results")
                    % {"unit": explaining.commune, "state": explaining.state_label},
                )
            )
        rows += [
            (
                _("Council chair"),
                chair,
                _("the rounds page: close round 2 once the disputes are re-appraised"),
            ),
            (_("Secretary"), secretary, _("the rounds page and the assignments")),
            (
                _("Council member"),
                ", ".join(members),
                _("the workbench: round-2 appraisals of the disputed indicators"),
            ),
            (
                _("Data provider"),
                ", ".join(dict.fromkeys(username for username, _c, _u in demo.PROVIDERS)),
                _("the figures their agency owes: typed, or as a sheet"),
            ),
            (_("Administrator"), "admin", _("the Django admin; reopening a unit")),
        ]
        for text in table((_("Role"), _("Username"), _("What to look at")), rows):
            write(text)
        write(
            _(
                "Every commune has an officer (<commune>.canbo) and a leader (<commune>.lanhdao) "
                "with the demo password; see the table above."
            )
        )
