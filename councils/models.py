"""Appraisal councils: the council of a campaign, its members, their assignments,
the appraisals they record in two rounds, and the units' explanations between them.

The rules (who, when, conflicts) live in ``services`` and ``permissions``; the
models hold what must be true on every path: one council per campaign, one
membership per person, one assignment per member and indicator, one appraisal
per response, round and member (so round 2 never overwrites round 1), one
explanation per response. Appraisals and explanations keep their history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# The longest explanation a unit may write for one indicator (characters).
EXPLANATION_MAX_CHARS = getattr(settings, "COUNCILS_EXPLANATION_MAX_CHARS", 2000)


class CouncilRole(models.TextChoices):
    CHAIR = "chair", _("Council chair")
    SECRETARY = "secretary", _("Secretary")
    MEMBER = "member", _("Member")


# Chair and secretaries close the rounds and resolve what is unassigned.
CLOSING_ROLES = (CouncilRole.CHAIR, CouncilRole.SECRETARY)


class Round(models.IntegerChoices):
    ONE = 1, _("Round 1")
    TWO = 2, _("Round 2")


class Council(models.Model):
    """Hội đồng thẩm định: one per campaign, set up by a decision (quyết định)."""

    campaign = models.OneToOneField(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="council",
        on_delete=models.CASCADE,
    )
    decision_number = models.CharField(_("decision number"), max_length=100)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal council")
        verbose_name_plural = _("appraisal councils")
        ordering = ["-created_at"]

    def __str__(self):
        return gettext("Appraisal council – %(campaign)s") % {"campaign": self.campaign}


class CouncilMember(models.Model):
    """Thành viên Hội đồng: a person of an agency, with their role in the council."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), related_name="members", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        related_name="council_memberships",
        on_delete=models.PROTECT,
    )
    role = models.CharField(
        _("role"), max_length=20, choices=CouncilRole.choices, default=CouncilRole.MEMBER
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        ordering = ["council", "role", "user__full_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["council", "user"], name="unique_council_member")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def closes_rounds(self) -> bool:
        return self.role in CLOSING_ROLES

    def clean(self):
        if self.user_id and self.user.agency_id is None:
            raise ValidationError({"user": gettext("A council member must belong to an agency.")})


class Assignment(models.Model):
    """Phân công: a member appraises an indicator, in some units or (no units) in all."""

    member = models.ForeignKey(
        CouncilMember,
        verbose_name=_("council member"),
        related_name="assignments",
        on_delete=models.CASCADE,
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("indicator"),
        related_name="council_assignments",
        on_delete=models.PROTECT,
    )
    units = models.ManyToManyField(
        "assessments.AdministrativeUnit",
        verbose_name=_("units"),
        related_name="+",
        blank=True,
        help_text=_("Empty: every assessed unit (except the member's own)."),
    )

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["member", "indicator"], name="unique_assignment")
        ]

    def __str__(self):
        return f"{self.member.user} – {self.indicator.code}"


class Appraisal(models.Model):
    """Thẩm định: one member's score of one response in one round; rounds never overwrite."""

    response = models.ForeignKey(
        "assessments.Response",
        verbose_name=_("response"),
        related_name="appraisals",
        on_delete=models.CASCADE,
    )
    round = models.PositiveSmallIntegerField(_("round"), choices=Round.choices)
    member = models.ForeignKey(
        CouncilMember,
        verbose_name=_("council member"),
        related_name="appraisals",
        on_delete=models.PROTECT,
    )
    inputs = models.JSONField(_("verified inputs"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["response", "round", "updated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "round", "member"], name="unique_appraisal_per_round"
            ),
            models.CheckConstraint(condition=Q(round__in=[1, 2]), name="appraisal_round_1_or_2"),
            models.CheckConstraint(condition=Q(score__gte=0), name="appraisal_score_not_negative"),
        ]
        # Whether the rankings are out of date asks for a campaign's appraisals changed since
        # a moment: one probe per council member (rankings.selectors._changed_since). On
        # ``updated_at`` alone it read every campaign's newer appraisals (1.2 s while
        # another province's campaign was being appraised).
        indexes = [
            models.Index(fields=["member", "updated_at"], name="appraisal_member_updated_at")
        ]

    def __str__(self):
        return f"{self.response} – {self.get_round_display()}: {self.score}"


class ExplanationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Explanation(models.Model):
    """Giải trình: the unit disputes one indicator's round-1 score. Submitted = disputed."""

    response = models.OneToOneField(
        "assessments.Response",
        verbose_name=_("response"),
        related_name="explanation",
        on_delete=models.CASCADE,
    )
    text = models.TextField(_("explanation"), max_length=EXPLANATION_MAX_CHARS)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ExplanationStatus.choices,
        default=ExplanationStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("explanation")
        verbose_name_plural = _("explanations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ExplanationStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="explanation_submitted_has_time",
            )
        ]

    def __str__(self):
        return f"{self.response} – {self.get_status_display()}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ExplanationStatus.SUBMITTED


class NoticeKind(models.TextChoices):
    MEMBER_THREE_DAYS = "member_3d", _("Member: the round closes in three days")
    MEMBER_ONE_DAY = "member_1d", _("Member: the round closes in one day")
    RESULTS_AVAILABLE = "results", _("Unit: the round-1 results are available")
    EXPLANATION_THREE_DAYS = "explain_3d", _("Unit: the explanation closes in three days")
    EXPLANATION_ONE_DAY = "explain_1d", _("Unit: the explanation closes in one day")


class Notice(models.Model):
    """An appraisal e-mail that went out, so that none goes out twice.

    A member's reminder is one per (kind, phase, member); a unit's notice one
    per (kind, phase, assessment). The row is written in the transaction that
    decides to send, the mail leaves after commit.
    """

    kind = models.CharField(_("notice"), max_length=20, choices=NoticeKind.choices)
    phase = models.ForeignKey(
        "assessments.Phase", verbose_name=_("phase"), related_name="+", on_delete=models.CASCADE
    )
    member = models.ForeignKey(
        CouncilMember,
        verbose_name=_("member"),
        related_name="notices",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="council_notices",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    recipients = models.TextField(_("recipients"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal notice")
        verbose_name_plural = _("appraisal notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, assessment__isnull=True)
                | Q(member__isnull=True, assessment__isnull=False),
                name="notice_for_a_member_or_a_unit",
            ),
            models.UniqueConstraint(
                fields=["kind", "phase", "member"],
                condition=Q(member__isnull=False),
                name="unique_member_notice",
            ),
            models.UniqueConstraint(
                fields=["kind", "phase", "assessment"],
                condition=Q(assessment__isnull=False),
                name="unique_unit_notice",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.member or self.assessment}"
