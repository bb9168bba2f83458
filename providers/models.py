"""Data from the agencies that already hold it (seed 002: rely first on existing systems).

A ``ProviderAssignment`` names an agency as the provider of one indicator's raw
figures, or of one general-information field, for a campaign, optionally for
some units only. Its users send ``ProvidedFigure`` rows (typed in the page,
imported from a sheet, or sent through the API); each pre-fills the unit's
inputs while the unit may still edit them. A ``DataRequest`` is a council
member's question to an agency about one response; its answer and files stay
with the response.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ProviderAssignment(models.Model):
    """An agency owes one indicator's raw figures, or one general-information field."""

    campaign = models.ForeignKey(
        "assessments.Campaign",
        verbose_name=_("campaign"),
        related_name="provider_assignments",
        on_delete=models.CASCADE,
    )
    agency = models.ForeignKey(
        "assessments.Agency",
        verbose_name=_("agency"),
        related_name="provider_assignments",
        on_delete=models.PROTECT,
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("indicator"),
        related_name="provider_assignments",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    info_field = models.ForeignKey(
        "indicators.GeneralInfoField",
        verbose_name=_("general information field"),
        related_name="provider_assignments",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    units = models.ManyToManyField(
        "assessments.AdministrativeUnit",
        verbose_name=_("units"),
        related_name="+",
        blank=True,
        help_text=_("Leave empty when the agency provides the figure for every unit."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("provider assignment")
        verbose_name_plural = _("provider assignments")
        ordering = ["campaign", "agency__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(indicator__isnull=False, info_field__isnull=True)
                | Q(indicator__isnull=True, info_field__isnull=False),
                name="provider_assignment_names_one_figure",
            ),
            models.UniqueConstraint(
                fields=["campaign", "agency", "indicator"],
                condition=Q(indicator__isnull=False),
                name="unique_provider_indicator",
            ),
            models.UniqueConstraint(
                fields=["campaign", "agency", "info_field"],
                condition=Q(info_field__isnull=False),
                name="unique_provider_info_field",
            ),
        ]

    def __str__(self):
        return f"{self.agency} – {self.indicator or self.info_field}"


class Channel(models.TextChoices):
    """How the provider sent the figure."""

    FORM = "form", _("Typed in the provider's page")
    SHEET = "sheet", _("Imported from a sheet")
    API = "api", _("Sent through the API")


class ProvidedFigure(models.Model):
    """The figure an agency provides for one unit: inputs of an indicator or one field's value.

    ``value`` holds an indicator's raw inputs as the scoring engine takes them
    (``{"a": "12", "b": "40"}``), or ``{"value": "1520"}`` for a general-information
    field. One row per assignment and assessment; a newer figure replaces it and
    the history keeps the older ones.
    """

    assignment = models.ForeignKey(
        ProviderAssignment,
        verbose_name=_("provider assignment"),
        related_name="figures",
        on_delete=models.CASCADE,
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        verbose_name=_("assessment"),
        related_name="provided_figures",
        on_delete=models.CASCADE,
    )
    value = models.JSONField(_("value"), encoder=DjangoJSONEncoder)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provided by"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    provided_at = models.DateTimeField(_("provided at"))
    prefilled = models.BooleanField(
        _("pre-filled the unit's inputs"),
        default=False,
        help_text=_("False when the unit had already locked or typed its own figure."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provided figure")
        verbose_name_plural = _("provided figures")
        ordering = ["assignment", "assessment__unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "assessment"], name="unique_figure_per_assignment_and_unit"
            )
        ]

    def __str__(self):
        return f"{self.assignment} – {self.assessment.unit}"


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the agency")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DataRequest(models.Model):
    """A council member asks an agency for a figure on one (unit, indicator)."""

    response = models.ForeignKey(
        "assessments.Response",
        verbose_name=_("response"),
        related_name="data_requests",
        on_delete=models.CASCADE,
    )
    agency = models.ForeignKey(
        "assessments.Agency",
        verbose_name=_("agency"),
        related_name="data_requests",
        on_delete=models.PROTECT,
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    question = models.TextField(_("question"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DataRequestStatus.choices,
        default=DataRequestStatus.OPEN,
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-asked_at", "-pk"]
        indexes = [models.Index(fields=["agency", "status"], name="data_request_inbox")]

    def __str__(self):
        return f"{self.agency} – {self.response}"


def request_file_upload_to(instance, filename: str) -> str:
    """``data-requests/<request>/<uuid>.<ext>``; nothing else comes from the user."""
    suffix = PurePosixPath(filename).suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 6:
        suffix = ""
    return f"data-requests/{instance.request_id}/{uuid.uuid4().hex}{suffix}"


class DataRequestFile(models.Model):
    """A file the agency attached to its answer; private like evidence."""

    request = models.ForeignKey(
        DataRequest, verbose_name=_("data request"), related_name="files", on_delete=models.CASCADE
    )
    file = models.FileField(_("file"), upload_to=request_file_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("data request file")
        verbose_name_plural = _("data request files")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name
