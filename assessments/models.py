"""Administrative units, agencies and people; campaigns, assessments, responses, evidence.

The unit tree and the people come first because every permission question
starts from them. An ``Assessment`` carries the state machine of DESIGN.md as
django-fsm transitions whose bodies check the calendar and completeness; who
may call them is the business of ``permissions``, and the ``services`` run
each one in a transaction that also writes the ``AssessmentTransition`` log.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import PurePosixPath

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords


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
    DATA_PROVIDER = "data_provider", _("Data provider")


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


# --- Campaigns and their calendar ------------------------------------------


class PhaseKind(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    ROUND_1 = "round_1", _("Appraisal, round 1")
    EXPLANATION = "explanation", _("Explanation")
    ROUND_2 = "round_2", _("Appraisal, round 2")
    PUBLICATION = "publication", _("Publication")


PHASE_ORDER = list(PhaseKind)


class Campaign(models.Model):
    """Đợt đánh giá: a year's assessment of the units under one organizing unit.

    The assessed units are the campaign's ``Assessment`` rows; creating the
    campaign (``services.campaign_create``) freezes its indicator set.
    """

    name = models.CharField(_("name"), max_length=300)
    year = models.PositiveSmallIntegerField(_("year"))
    organizing_unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("organizing unit"),
        related_name="organized_campaigns",
        on_delete=models.PROTECT,
    )
    indicator_set = models.ForeignKey(
        "indicators.IndicatorSet",
        verbose_name=_("indicator set"),
        related_name="campaigns",
        on_delete=models.PROTECT,
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), related_name="+", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organizing_unit", "indicator_set"], name="unique_campaign_per_set"
            )
        ]
        # Granted per campaign with django-guardian to the council's chair and
        # secretaries (councils app); permissions.can_close_round asks for it.
        permissions = [("close_appraisal_rounds", "Can close the appraisal rounds")]

    def __str__(self):
        return f"{self.name} ({self.year})"


class Phase(models.Model):
    """One window of the calendar. Publication has only a target: ``closes_at``."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="phases", on_delete=models.CASCADE
    )
    kind = models.CharField(_("phase"), max_length=20, choices=PhaseKind.choices)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(
        _("closes at"), help_text=_("For publication: the target date and time.")
    )
    grace_minutes = models.PositiveIntegerField(
        _("grace period (minutes)"),
        default=0,
        help_text=_("Work is still accepted this long after the closing time."),
    )

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["campaign", "closes_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="unique_phase_kind"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(opens_at__lt=models.F("closes_at")),
                name="phase_opens_before_it_closes",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=PhaseKind.PUBLICATION, opens_at__isnull=True, grace_minutes=0)
                    | (~Q(kind=PhaseKind.PUBLICATION) & Q(opens_at__isnull=False))
                ),
                name="phase_publication_is_a_target",
            ),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.get_kind_display()}"

    @property
    def ends_at(self):
        """The moment work stops being accepted: closing time plus grace."""
        return self.closes_at + timedelta(minutes=self.grace_minutes)

    def is_open(self, at) -> bool:
        return self.opens_at is not None and self.opens_at <= at < self.ends_at

    def clean(self):
        if self.kind == PhaseKind.PUBLICATION:
            if self.opens_at is not None or self.grace_minutes:
                raise ValidationError(
                    gettext("Publication has only a target date and time, no window.")
                )
        elif self.opens_at is None or self.closes_at is None:
            raise ValidationError(gettext("A phase needs an opening and a closing time."))
        elif self.opens_at >= self.closes_at:
            raise ValidationError(gettext("A phase must open before it closes."))


# --- Assessments and their state machine -----------------------------------


class AssessmentState(models.TextChoices):
    OPEN = "open", _("Open for self-assessment")
    SELF_ASSESSED = "self_assessed", _("Self-assessed")
    CONFIRMED = "confirmed", _("Confirmed")
    APPRAISED_1 = "appraised_1", _("Appraised, round 1")
    EXPLANATION = "explanation", _("Explanation")
    APPRAISED_2 = "appraised_2", _("Appraised, round 2")
    PUBLISHED = "published", _("Published")


STATE_ORDER = list(AssessmentState)


class TransitionName(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    RETURN_FOR_EDITING = "return_for_editing", _("Return for editing")
    CONFIRM = "confirm", _("Confirm")
    CLOSE_ROUND_ONE = "close_round_one", _("Close appraisal round 1")
    OPEN_EXPLANATION = "open_explanation", _("Open the explanation")
    CLOSE_ROUND_TWO = "close_round_two", _("Close appraisal round 2")
    PUBLISH = "publish", _("Publish")
    REOPEN = "reopen", _("Reopen")


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems, code="guard")


def _codes(codes) -> str:
    return ", ".join(codes)


class Assessment(ConcurrentTransitionMixin, models.Model):
    """Kết quả tự đánh giá: one unit in one campaign, carrying the state machine.

    The transitions below check the calendar and completeness and refuse with
    a ``ValidationError`` listing every problem; *who* may call them is asked
    of ``permissions`` by the services, which also write the transition log.
    Nothing else may change ``state`` (the field is protected).
    """

    State = AssessmentState

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="assessments", on_delete=models.CASCADE
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("administrative unit"),
        related_name="assessments",
        on_delete=models.PROTECT,
    )
    state = FSMField(
        _("state"), default=AssessmentState.OPEN, choices=AssessmentState.choices, protected=True
    )
    general_info = models.JSONField(
        _("general information"),
        default=dict,
        blank=True,
        help_text=_("Figures entered once per unit, keyed by the set's general information codes."),
    )
    general_info_provenance = models.JSONField(
        _("general information provenance"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_(
            "Per code: how the figure came (typed, imported, provided), by whom and when, "
            "and the unit's note when it changed a provided figure."
        ),
    )
    extended_until = models.DateTimeField(
        _("self-assessment extended until"),
        null=True,
        blank=True,
        help_text=_("Set when an administrator reopens the self-assessment after its window."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["campaign", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_assessment_per_unit")
        ]

    def __str__(self):
        return f"{self.unit} – {self.campaign}"

    # --- guards: each returns the list of reasons the transition is refused ---

    def self_assessment_problems(self, at=None) -> list[str]:
        from . import windows

        problem = windows.self_assessment_problem(self, at)
        return [problem] if problem else []

    def editing_problems(self, phase: str, at=None) -> list[str]:
        """Why responses and evidence of ``phase`` cannot be changed now (empty: they can)."""
        from . import windows

        if phase == EvidencePhase.EXPLANATION:
            if self.state != AssessmentState.EXPLANATION:
                return [gettext("Explanation evidence can be added only during the explanation.")]
            problem = windows.window_problem(self.campaign, PhaseKind.EXPLANATION, at)
            return [problem] if problem else []
        if self.state != AssessmentState.OPEN:
            return [
                gettext(
                    "The self-assessment can be changed only while it is open; it is now "
                    "“%(state)s”."
                )
                % {"state": self.get_state_display()}
            ]
        return self.self_assessment_problems(at)

    def submit_problems(self, at=None, *, missing=None) -> list[str]:
        """Why the self-assessment cannot be submitted now; ``missing``: what
        ``selectors.assessment_missing`` gives, when the caller has it already."""
        from . import selectors

        problems = self.self_assessment_problems(at)
        if missing is None:
            missing = selectors.assessment_missing(assessment=self)
        if missing.unanswered:
            problems.append(
                gettext("Indicators not answered yet: %(codes)s.")
                % {"codes": _codes(missing.unanswered)}
            )
        if missing.evidence:
            problems.append(
                gettext("Indicators still missing their required evidence: %(codes)s.")
                % {"codes": _codes(missing.evidence)}
            )
        return problems

    def close_round_one_problems(self) -> list[str]:
        from . import selectors

        missing = selectors.councils_ready_for_round_one_close(self)
        if missing:
            return [
                gettext("Indicators without a round-1 score: %(codes)s.")
                % {"codes": _codes(missing)}
            ]
        return []

    def open_explanation_problems(self, at=None) -> list[str]:
        from . import windows

        problem = windows.window_problem(self.campaign, PhaseKind.EXPLANATION, at)
        return [problem] if problem else []

    def close_round_two_problems(self, at=None) -> list[str]:
        from . import selectors, windows

        problems = []
        if not windows.has_closed(self.campaign, PhaseKind.EXPLANATION, at):
            problems.append(gettext("Round 2 can be closed only after the explanation window."))
        missing = selectors.councils_ready_for_round_two_close(self)
        if missing:
            problems.append(
                gettext("Disputed indicators not re-appraised yet: %(codes)s.")
                % {"codes": _codes(missing)}
            )
        return problems

    def publish_problems(self) -> list[str]:
        """Campaign-wide: asked once per campaign object, not once per unit published."""
        from . import selectors

        cached = getattr(self.campaign, "_publish_problems", None)
        if cached is not None:
            return list(cached)
        problems = []
        behind = (
            Assessment.objects.filter(campaign_id=self.campaign_id)
            .exclude(state__in=[AssessmentState.APPRAISED_2, AssessmentState.PUBLISHED])
            .count()
        )
        if behind:
            problems.append(
                gettext("%(count)s units of the campaign are not appraised in round 2 yet.")
                % {"count": behind}
            )
        problems.extend(selectors.rankings_ready_for_publication(self.campaign))
        self.campaign._publish_problems = problems
        return problems

    def reopen_problems(self, target: str, reason: str) -> list[str]:
        problems = []
        if target not in STATE_ORDER or STATE_ORDER.index(target) >= STATE_ORDER.index(self.state):
            problems.append(gettext("An assessment can be reopened only to an earlier state."))
        if not (reason or "").strip():
            problems.append(gettext("Reopening needs a written reason."))
        return problems

    # --- transitions ---

    @transition(field=state, source=AssessmentState.OPEN, target=AssessmentState.SELF_ASSESSED)
    def submit(self, *, at=None):
        _refuse(self.submit_problems(at))

    @transition(field=state, source=AssessmentState.SELF_ASSESSED, target=AssessmentState.OPEN)
    def return_for_editing(self, *, at=None):
        _refuse(self.self_assessment_problems(at))

    @transition(field=state, source=AssessmentState.SELF_ASSESSED, target=AssessmentState.CONFIRMED)
    def confirm(self, *, at=None):
        _refuse(self.self_assessment_problems(at))

    @transition(field=state, source=AssessmentState.CONFIRMED, target=AssessmentState.APPRAISED_1)
    def close_round_one(self, *, at=None):
        _refuse(self.close_round_one_problems())

    @transition(field=state, source=AssessmentState.APPRAISED_1, target=AssessmentState.EXPLANATION)
    def open_explanation(self, *, at=None):
        _refuse(self.open_explanation_problems(at))

    @transition(field=state, source=AssessmentState.EXPLANATION, target=AssessmentState.APPRAISED_2)
    def close_round_two(self, *, at=None):
        _refuse(self.close_round_two_problems(at))

    @transition(field=state, source=AssessmentState.APPRAISED_2, target=AssessmentState.PUBLISHED)
    def publish(self, *, at=None):
        _refuse(self.publish_problems())

    @transition(
        field=state,
        source=STATE_ORDER[1:],
        target=RETURN_VALUE(*STATE_ORDER[:-1]),
    )
    def reopen(self, *, to_state: str, reason: str, extend_until=None, at=None):
        problems = self.reopen_problems(to_state, reason)
        if extend_until is not None:
            if to_state not in (AssessmentState.OPEN, AssessmentState.SELF_ASSESSED):
                problems.append(
                    gettext("Only a reopened self-assessment can have its window extended.")
                )
            elif extend_until <= (at or timezone.now()):
                problems.append(gettext("The extension must end in the future."))
        _refuse(problems)
        if extend_until is not None:
            self.extended_until = extend_until
        return to_state


class AssessmentTransitionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(gettext("The transition log cannot be changed."))

    def delete(self):
        raise ValidationError(gettext("The transition log cannot be changed."))


class AssessmentTransition(models.Model):
    """Append-only log of every state change: who, when, from, to and why."""

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        related_name="transitions",
        on_delete=models.PROTECT,
    )
    name = models.CharField(_("transition"), max_length=30, choices=TransitionName.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=AssessmentState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=AssessmentState.choices)
    by = models.ForeignKey(
        User,
        verbose_name=_("by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty when the calendar made the change."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AssessmentTransitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.assessment}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(gettext("The transition log cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(gettext("The transition log cannot be changed."))


# --- Responses and evidence --------------------------------------------------


class InputSource(models.TextChoices):
    """How a figure reached the unit's inputs (provenance, shown wherever it is)."""

    TYPED = "typed", _("Typed")
    IMPORTED = "imported", _("Imported from a sheet")
    PROVIDED = "provided", _("Provided by an agency")


class Response(models.Model):
    """Điểm từng chỉ số: one indicator of one assessment.

    ``version`` grows with every save; ``services.response_save`` refuses a
    save made from an older version, so nobody overwrites another silently.
    ``inputs_source`` and ``inputs_agency`` say where the current inputs came
    from; ``updated_by``/``updated_at`` say who and when. A unit that changes
    a figure an agency provided writes ``provided_change_note``, which the
    council reads beside the two values.
    """

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), related_name="responses", on_delete=models.CASCADE
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("indicator"),
        related_name="responses",
        on_delete=models.PROTECT,
    )
    inputs = models.JSONField(_("raw inputs"), default=dict, blank=True)
    self_score = models.DecimalField(
        _("self score"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    updated_by = models.ForeignKey(
        User,
        verbose_name=_("updated by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    inputs_source = models.CharField(
        _("source of the inputs"),
        max_length=10,
        choices=InputSource.choices,
        default=InputSource.TYPED,
    )
    inputs_agency = models.ForeignKey(
        Agency,
        verbose_name=_("providing agency"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    provided_change_note = models.TextField(_("why the provided figure was changed"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"], name="unique_response_per_indicator"
            )
        ]

    def __str__(self):
        return f"{self.assessment} – {self.indicator.code}"

    @property
    def is_answered(self) -> bool:
        return self.self_score is not None


class EvidencePhase(models.TextChoices):
    SELF = "self", _("Self-assessment")
    EXPLANATION = "explanation", _("Explanation")


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    CITATION = "citation", _("Official document")
    LINK = "link", _("Link")


def evidence_upload_to(instance, filename: str) -> str:
    """``evidence/<campaign>/<assessment>/<uuid>.<ext>``; nothing comes from the user.

    The extension is the one the services detected from the content; anything
    else in ``filename`` is ignored.
    """
    suffix = PurePosixPath(filename).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
        suffix = ""
    assessment = instance.response.assessment
    return f"evidence/{assessment.campaign_id}/{assessment.pk}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """Tài liệu kiểm chứng: a file, a citation of an official document, or a link."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), related_name="evidence", on_delete=models.CASCADE
    )
    phase = models.CharField(
        _("phase"), max_length=20, choices=EvidencePhase.choices, default=EvidencePhase.SELF
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=255, blank=True)
    original_name = models.CharField(
        _("file name"), max_length=255, blank=True, help_text=_("Shown only; never a path.")
    )
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    citation_number = models.CharField(_("document number"), max_length=100, blank=True)
    citation_date = models.DateField(_("document date"), null=True, blank=True)
    citation_issuer = models.CharField(_("issued by"), max_length=300, blank=True)
    citation_summary = models.TextField(_("summary"), blank=True)
    url = models.URLField(_("link"), max_length=2000, blank=True)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("added by"), related_name="+", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "sha256"],
                condition=Q(kind=EvidenceKind.FILE),
                name="unique_evidence_file_per_response",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EvidenceKind.FILE) | (~Q(file="") & ~Q(sha256="")),
                name="evidence_file_has_file_and_hash",
            ),
        ]

    def __str__(self):
        if self.kind == EvidenceKind.FILE:
            return self.original_name
        if self.kind == EvidenceKind.CITATION:
            return f"{self.citation_number} – {self.citation_issuer}"
        return self.url


# --- District self-assessment and reminders ----------------------------------


class DepartmentAssignment(models.Model):
    """At district tier: which indicators a department (agency of the district) fills in."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="department_assignments",
        on_delete=models.CASCADE,
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("department"), related_name="assignments", on_delete=models.PROTECT
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("indicator"),
        related_name="department_assignments",
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("department assignment")
        verbose_name_plural = _("department assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "agency", "indicator"], name="unique_department_assignment"
            )
        ]

    def __str__(self):
        return f"{self.agency} – {self.indicator.code}"


class ReminderKind(models.TextChoices):
    THREE_DAYS = "3d", _("Three days before the deadline")
    ONE_DAY = "1d", _("One day before the deadline")


class ReminderSent(models.Model):
    """Marks a reminder as sent, so that no reminder goes out twice."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), related_name="reminders", on_delete=models.CASCADE
    )
    kind = models.CharField(_("reminder"), max_length=2, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.TextField(_("recipients"), blank=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "kind"], name="unique_reminder")
        ]

    def __str__(self):
        return f"{self.assessment}: {self.get_kind_display()}"


# --- the audit log ---------------------------------------------------------------


class AuditAction(models.TextChoices):
    """What an audit entry records. The state changes are named after their transition."""

    SUBMIT = "submit", _("Submitted")
    RETURN_FOR_EDITING = "return_for_editing", _("Returned for editing")
    CONFIRM = "confirm", _("Confirmed")
    CLOSE_ROUND_ONE = "close_round_one", _("Round 1 closed")
    OPEN_EXPLANATION = "open_explanation", _("Explanation opened")
    CLOSE_ROUND_TWO = "close_round_two", _("Round 2 closed")
    PUBLISH = "publish", _("Unit published")
    REOPEN = "reopen", _("Reopened")
    RESPONSE_CHANGED = "response_changed", _("Self-assessment answer changed")
    GENERAL_INFO_CHANGED = "general_info_changed", _("General information changed")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")
    APPRAISAL_RECORDED = "appraisal_recorded", _("Appraisal recorded")
    EXPLANATION_SUBMITTED = "explanation_submitted", _("Explanation submitted")
    COUNCIL_CHANGED = "council_changed", _("Council formed or changed")
    MEMBER_ADDED = "member_added", _("Council member added")
    MEMBER_CHANGED = "member_changed", _("Council member's role changed")
    MEMBER_REMOVED = "member_removed", _("Council member removed")
    ASSIGNMENT_ADDED = "assignment_added", _("Assignment added")
    ASSIGNMENT_CHANGED = "assignment_changed", _("Assignment's units changed")
    ASSIGNMENT_REMOVED = "assignment_removed", _("Assignment removed")
    DEPARTMENTS_ASSIGNED = "departments_assigned", _("Indicators assigned to a department")
    CAMPAIGN_CREATED = "campaign_created", _("Campaign opened")
    CALENDAR_CHANGED = "calendar_changed", _("Calendar changed")
    UNITS_CHANGED = "units_changed", _("Assessed units changed")
    RESULTS_PUBLISHED = "results_published", _("Results published")
    PROVIDERS_CHANGED = "providers_changed", _("Data providers changed")
    FIGURES_PROVIDED = "figures_provided", _("Figures provided by an agency")
    DATA_REQUEST = "data_request", _("Data request asked, answered or withdrawn")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(gettext("The audit log cannot be changed."))

    def delete(self):
        raise ValidationError(gettext("The audit log cannot be changed."))


class AuditEntry(models.Model):
    """Nhật ký: one change of a campaign's data, written in the change's own transaction.

    Append-only: a row is never updated or deleted, neither from Python (here)
    nor in SQL on PostgreSQL (a trigger, migration 0004). ``summary`` is the
    line people read, written in the site's language when the change was made;
    ``details`` holds the values before and after. ``assessments.audit``
    writes the rows.
    """

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="audit_entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("unit"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty when the system or the calendar made the change."),
    )
    actor_name = models.CharField(_("by (name)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=500)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["campaign", "-at", "-id"], name="audit_campaign_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '—'}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(gettext("The audit log cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(gettext("The audit log cannot be changed."))
