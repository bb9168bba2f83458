"""Writes for data providers: naming providers, and receiving the figures they send.

``figures_provide`` is the one way a figure comes in, whether typed in the
provider's page, imported from a sheet or sent through the API: it checks
each row against the sender's assignments, stores it as a ``ProvidedFigure``
and pre-fills the unit's inputs when the unit may still edit them and has not
typed its own (``assessments.services.response_prefill``). Re-sending the
same figure changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import audit
from assessments import services as assessment_services
from assessments.models import (
    AdministrativeUnit,
    Agency,
    Assessment,
    AuditAction,
    Campaign,
    InputSource,
    Response,
)
from indicators import scoring
from indicators.models import GeneralInfoField, Indicator

from . import permissions, selectors
from .models import Channel, ProvidedFigure, ProviderAssignment

# How a channel shows in the unit's provenance: a sheet is "imported", the rest "provided".
SOURCE_OF_CHANNEL = {
    Channel.FORM: InputSource.PROVIDED,
    Channel.API: InputSource.PROVIDED,
    Channel.SHEET: InputSource.IMPORTED,
}

TRUE_WORDS = {"true", "1", "yes", "có", "co", "x", "đạt", "dat"}
FALSE_WORDS = {"false", "0", "no", "không", "khong", "chưa", "chua", "không đạt"}


# --- naming providers --------------------------------------------------------------


def provider_assignment_create(
    *,
    user,
    campaign: Campaign,
    agency: Agency,
    indicator: Indicator | None = None,
    info_field: GeneralInfoField | None = None,
    units: Iterable[AdministrativeUnit] = (),
) -> ProviderAssignment:
    """Name ``agency`` as the provider of one indicator's figures or one general-info field."""
    if not permissions.can_manage_providers(user, campaign):
        raise PermissionDenied(_("Only the campaign's organizer can name data providers."))
    if (indicator is None) == (info_field is None):
        raise ValidationError(_("Choose one indicator or one general information field."))
    set_id = campaign.indicator_set_id
    target = indicator or info_field
    target_set = indicator.pillar.indicator_set_id if indicator else info_field.indicator_set_id
    if target_set != set_id:
        raise ValidationError(
            _("“%(figure)s” is not in this campaign's indicator set.") % {"figure": target}
        )
    units = list(units)
    assessed = set(Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    outside = [unit.name for unit in units if unit.pk not in assessed]
    if outside:
        raise ValidationError(
            _("Not assessed in this campaign: %(units)s.") % {"units": ", ".join(outside)}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                assignment = ProviderAssignment(
                    campaign=campaign,
                    agency=agency,
                    indicator=indicator,
                    info_field=info_field,
                    created_by=user,
                )
                assignment._history_user = user
                assignment.save()
        except IntegrityError:
            raise ValidationError(
                _("%(agency)s already provides “%(figure)s” in this campaign.")
                % {"agency": agency, "figure": target}
            ) from None
        assignment.units.set(units)
        audit.record(
            action=AuditAction.PROVIDERS_CHANGED,
            summary=audit.in_site_language(
                lambda: (
                    _("%(agency)s named provider of “%(figure)s”")
                    % {"agency": agency, "figure": target}
                )
            ),
            campaign_id=campaign.pk,
            actor=user,
            object_type=audit.label(ProviderAssignment),
            object_id=assignment.pk,
            details={"agency": agency.name, "figure": str(target), "units": [u.pk for u in units]},
        )
    return assignment


def provider_assignment_delete(*, user, assignment: ProviderAssignment) -> None:
    """Withdraw an assignment; the figures it brought stay in the units' inputs and history."""
    if not permissions.can_manage_providers(user, assignment.campaign):
        raise PermissionDenied(_("Only the campaign's organizer can name data providers."))
    with transaction.atomic():
        if assignment.figures.exists():
            raise ValidationError(
                _(
                    "%(agency)s has already sent figures for this; they stay, and so does the "
                    "assignment."
                )
                % {"agency": assignment.agency}
            )
        audit.record(
            action=AuditAction.PROVIDERS_CHANGED,
            summary=audit.in_site_language(
                lambda: (
                    _("%(agency)s no longer provides “%(figure)s”")
                    % {
                        "agency": assignment.agency,
                        "figure": assignment.indicator or assignment.info_field,
                    }
                )
            ),
            campaign_id=assignment.campaign_id,
            actor=user,
            object_type=audit.label(ProviderAssignment),
            object_id=assignment.pk,
        )
        assignment._history_user = user
        assignment.delete()


# --- receiving figures -------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    """One figure as sent: the unit (its id or official code) and an indicator or a field.

    ``value`` is an indicator's raw inputs as the engine takes them (for a
    ratio ``{"a": 12, "b": 40}``; for manual, tiers and count ``{"value": 4}``
    or just ``4``; yes/no ``true``; levels the option's key; checklist the
    list of parts met), or a general-information field's figure.
    """

    unit: int | str
    indicator: str = ""
    field: str = ""
    value: Any = None


@dataclass
class RowResult:
    index: int
    unit: str
    figure: str
    status: str = "error"  # created, updated, unchanged, error
    prefilled: bool = False
    messages: list[str] = field(default_factory=list)
    unit_name: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "error"


class RowsRefused(ValidationError):
    """An all-or-nothing submission with a bad row: nothing was saved; ``results`` say why."""

    def __init__(self, results: list[RowResult]):
        bad = [r for r in results if not r.ok]
        super().__init__(
            _("%(count)d of %(total)d rows have problems; nothing was saved.")
            % {"count": len(bad), "total": len(results)}
        )
        self.results = results


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any, what: str) -> str:
    if isinstance(value, bool):
        raise ValidationError(_("%(what)s: a number is expected.") % {"what": what})
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        from assessments.forms import normalize_number

        text = _text(value)
        if not text:
            raise ValidationError(_("%(what)s is missing.") % {"what": what})
        number = scoring.to_decimal(normalize_number(text), what=what)
    if not number.is_finite():
        raise ValidationError(_("%(what)s: a number is expected.") % {"what": what})
    if number < 0:
        raise ValidationError(_("%(what)s cannot be negative.") % {"what": what})
    text = format(number.normalize(), "f")
    return text


def _boolean(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(_("%(what)s: write Có or Không.") % {"what": what})


def indicator_inputs(indicator: Indicator, value: Any) -> dict:
    """The engine's inputs from a figure as sent (sheet cell, JSON), or a ValidationError."""
    method, rule = indicator.method, indicator.rule or {}
    what = indicator.code
    if method == scoring.RATIO:
        if not isinstance(value, Mapping):
            raise ValidationError(
                _("%(what)s: send the numerator a and the denominator b.") % {"what": what}
            )
        inputs = {}
        for term in ("a", "b"):
            spec = rule.get(term) or {}
            if spec.get("field"):
                continue  # taken from the unit's general information
            inputs[term] = _number(value.get(term), f"{what} ({spec.get('label') or term})")
        return inputs
    if isinstance(value, Mapping):
        key = {scoring.LEVELS: "option", scoring.CHECKLIST: "checked"}.get(method, "value")
        value = value.get(key)
    if method in (scoring.MANUAL, scoring.TIERS, scoring.COUNT):
        return {"value": _number(value, what)}
    if method == scoring.YES_NO:
        return {"value": _boolean(value, what)}
    if method == scoring.LEVELS:
        keys = {str(o["key"]) for o in rule.get("options", [])}
        if _text(value) not in keys:
            raise ValidationError(
                _("%(what)s: the level must be one of %(keys)s.")
                % {"what": what, "keys": ", ".join(sorted(keys))}
            )
        return {"option": _text(value)}
    if method == scoring.CHECKLIST:
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise ValidationError(_("%(what)s: list the parts met.") % {"what": what})
        keys = {str(p["key"]) for p in rule.get("parts", [])}
        checked = [_text(part) for part in value]
        unknown = [part for part in checked if part not in keys]
        if unknown:
            raise ValidationError(
                _("%(what)s: unknown parts %(parts)s.")
                % {"what": what, "parts": ", ".join(unknown)}
            )
        return {"checked": sorted(set(checked))}
    raise ValidationError(_("%(what)s cannot be provided.") % {"what": what})


class _Context:
    """What one submission needs, read once: the sender's assignments and the campaign's units."""

    def __init__(self, *, user, campaign: Campaign):
        self.assignments = list(
            selectors.agency_assignments(agency_id=user.agency_id, campaign=campaign)
        )
        self.by_indicator = {a.indicator.code: a for a in self.assignments if a.indicator_id}
        self.by_field = {a.info_field.code: a for a in self.assignments if a.info_field_id}
        self.covered = {a.pk: {u.pk for u in a.units.all()} for a in self.assignments}
        assessments = Assessment.objects.filter(campaign=campaign).select_related("unit")
        self.by_unit_id = {a.unit_id: a for a in assessments}
        self.by_code = {a.unit.code: a for a in self.by_unit_id.values() if a.unit.code}

    def assessment(self, unit: int | str) -> Assessment | None:
        if isinstance(unit, int) and not isinstance(unit, bool):
            return self.by_unit_id.get(unit)
        text = _text(unit)
        return self.by_code.get(text) or (
            self.by_unit_id.get(int(text)) if text.isdigit() else None
        )

    def covers(self, assignment: ProviderAssignment, assessment: Assessment) -> bool:
        units = self.covered[assignment.pk]
        return not units or assessment.unit_id in units


def _provide_one(
    context: _Context, row: FigureRow, result: RowResult, *, user, channel: str, now
) -> None:
    """Store one row's figure and pre-fill the unit; raises ValidationError on a bad row."""
    assessment = context.assessment(row.unit)
    indicator_code, field_code = _text(row.indicator), _text(row.field)
    if bool(indicator_code) == bool(field_code):
        raise ValidationError(_("Give either an indicator code or a general information code."))
    assignment = (
        context.by_indicator.get(indicator_code)
        if indicator_code
        else context.by_field.get(field_code)
    )
    # One message for "no such unit", "not yours" and "no such figure": a provider
    # learns nothing about units or indicators outside its assignment.
    if assessment is None or assignment is None or not context.covers(assignment, assessment):
        raise ValidationError(
            _("Your agency does not provide “%(figure)s” for unit “%(unit)s” in this campaign.")
            % {"figure": indicator_code or field_code, "unit": _text(row.unit)}
        )
    result.unit_name = assessment.unit.name
    locked = assessment_services._lock_assessment(assessment.pk)
    agency = assignment.agency
    source = SOURCE_OF_CHANNEL[channel]
    if assignment.indicator_id:
        stored = indicator_inputs(assignment.indicator, row.value)
        scoring.check_ratio_part(
            rule=assignment.indicator.rule, inputs=stored, general_info=locked.general_info
        )
    else:
        value = row.value
        if assignment.info_field.kind == GeneralInfoField.Kind.NUMBER and value not in (None, ""):
            value = _number(value, assignment.info_field.name)
        stored = {"value": assessment_services._general_info_value(assignment.info_field, value)}
        if stored["value"] is None:
            raise ValidationError(
                _("“%(field)s” is missing.") % {"field": assignment.info_field.name}
            )
    figure = (
        ProvidedFigure.objects.select_for_update()
        .filter(assignment=assignment, assessment=locked)
        .first()
    )
    if figure is not None and assessment_services.inputs_equal(figure.value, stored):
        result.status = "unchanged"
        result.prefilled = figure.prefilled
        return
    if assignment.indicator_id:
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("indicator")
            .get(assessment=locked, indicator_id=assignment.indicator_id)
        )
        response.assessment = locked
        prefilled = assessment_services.response_prefill(
            response=response, inputs=stored, source=source, agency=agency, user=user
        )
    else:
        prefilled = assessment_services.general_info_prefill(
            assessment=locked,
            code=assignment.info_field.code,
            value=stored["value"],
            source=source,
            agency=agency,
            user=user,
        )
    result.status = "created" if figure is None else "updated"
    figure = figure or ProvidedFigure(assignment=assignment, assessment=locked)
    figure.value = stored
    figure.channel = channel
    figure.provided_by = user
    figure.provided_at = now
    figure.prefilled = prefilled
    figure._history_user = user
    figure.save()
    result.prefilled = prefilled
    if not prefilled:
        result.messages.append(
            _("Kept, not pre-filled: the unit has typed its own figure or can no longer edit.")
        )


def figures_provide(
    *,
    user,
    campaign: Campaign,
    rows: Sequence[FigureRow],
    channel: str,
    all_or_nothing: bool = False,
) -> list[RowResult]:
    """Receive figures from a provider; one result per row, in order.

    Each row is checked against the sender's assignments. With
    ``all_or_nothing`` (a sheet) one bad row saves nothing and raises
    ``RowsRefused`` with every row's result; otherwise good rows are saved
    and bad ones reported (the API). Re-sending a stored figure is
    "unchanged" and writes nothing.
    """
    if not permissions.is_data_provider(user):
        raise PermissionDenied(_("Only a data provider's people can send figures."))
    context = _Context(user=user, campaign=campaign)
    if not context.assignments:
        raise PermissionDenied(_("Your agency provides no figures for this campaign."))
    now = timezone.now()
    results: list[RowResult] = []
    seen: set[tuple[int, str, str]] = set()
    with transaction.atomic():
        for index, row in enumerate(rows):
            result = RowResult(
                index=index,
                unit=_text(row.unit),
                figure=_text(row.indicator) or _text(row.field),
            )
            results.append(result)
            assessment = context.assessment(row.unit)
            key = (assessment.pk if assessment else -1, _text(row.indicator), _text(row.field))
            if assessment is not None and key in seen:
                result.messages.append(_("This unit and figure appear twice; send each once."))
                continue
            seen.add(key)
            try:
                with transaction.atomic():  # a savepoint: a bad row leaves nothing behind
                    _provide_one(context, row, result, user=user, channel=channel, now=now)
            except ValidationError as exc:
                result.status = "error"
                result.prefilled = False
                result.messages = list(exc.messages)
        if all_or_nothing and not all(r.ok for r in results):
            transaction.set_rollback(True)
            raise RowsRefused(results)
        changed = [r for r in results if r.status in ("created", "updated")]
        if changed:
            audit.record(
                action=AuditAction.FIGURES_PROVIDED,
                summary=audit.in_site_language(
                    lambda: (
                        _("%(agency)s provided %(count)d figures (%(channel)s)")
                        % {
                            "agency": user.agency,
                            "count": len(changed),
                            "channel": Channel(channel).label,
                        }
                    )
                ),
                campaign_id=campaign.pk,
                actor=user,
                object_type=audit.label(ProvidedFigure),
                details={
                    "channel": channel,
                    "rows": [
                        {"unit": r.unit, "figure": r.figure, "status": r.status}
                        for r in changed[:500]
                    ],
                },
            )
    return results
