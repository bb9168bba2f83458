"""Writes for data providers: naming providers, and receiving the figures they send.

``figures_provide`` is the one way a figure comes in, whether typed in the
provider's page, imported from a sheet or sent through the API: it checks
each row against the sender's assignments, stores it as a ``ProvidedFigure``
and pre-fills the unit's inputs when the unit may still edit them and has not
typed its own (``assessments.services.response_prefill``). Re-sending the
same figure changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from assessments import audit, uploads
from assessments import services as assessment_services
from assessments.models import (
    AdministrativeUnit,
    Agency,
    Assessment,
    AssessmentState,
    AuditAction,
    Campaign,
    InputSource,
    Response,
    Role,
)
from indicators import scoring
from indicators.models import GeneralInfoField, Indicator

from . import permissions, selectors
from .models import (
    Channel,
    DataRequest,
    DataRequestFile,
    DataRequestStatus,
    ProvidedFigure,
    ProviderAssignment,
)

logger = logging.getLogger(__name__)

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
    if isinstance(value, (int, Decimal, float)):
        # a sheet's cells and JSON numbers: the engine's limits (size, NaN) hold for them too
        number = scoring.to_decimal(value, what=what)
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


# Up to this many units named in a submission are read by key; more, the whole campaign.
UNITS_READ_ONE_BY_ONE = 500


class _Context:
    """What one submission needs, read once: the sender's assignments and the campaign's units."""

    def __init__(self, *, user, campaign: Campaign, rows: Sequence[FigureRow] = ()):
        self.assignments = list(
            selectors.agency_assignments(agency_id=user.agency_id, campaign=campaign)
        )
        self.by_indicator = {a.indicator.code: a for a in self.assignments if a.indicator_id}
        self.by_field = {a.info_field.code: a for a in self.assignments if a.info_field_id}
        self.covered = {a.pk: {u.pk for u in a.units.all()} for a in self.assignments}
        # Only the units the rows name: one figure typed in the page reads one unit,
        # not the province's 3,321.
        refs = {_text(row.unit) for row in rows}
        assessments = Assessment.objects.filter(campaign=campaign).select_related("unit")
        if len(refs) <= UNITS_READ_ONE_BY_ONE:
            ids = {int(ref) for ref in refs if ref.isdigit()}
            assessments = assessments.filter(Q(unit_id__in=ids) | Q(unit__code__in=refs))
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
    dry_run: bool = False,
) -> list[RowResult]:
    """Receive figures from a provider; one result per row, in order.

    Each row is checked against the sender's assignments. With
    ``all_or_nothing`` (a sheet) one bad row saves nothing and raises
    ``RowsRefused`` with every row's result; otherwise good rows are saved
    and bad ones reported (the API). Re-sending a stored figure is
    "unchanged" and writes nothing.

    With ``dry_run`` (a sheet's preview) every row is checked and stored
    exactly as it would be, then the whole transaction is rolled back: the
    results say what sending would do (created, updated, unchanged, pre-filled
    or not, each error), nothing is saved and ``RowsRefused`` is never raised.
    """
    if not permissions.is_data_provider(user):
        raise PermissionDenied(_("Only a data provider's people can send figures."))
    rows = list(rows)
    context = _Context(user=user, campaign=campaign, rows=rows)
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
        if dry_run:
            transaction.set_rollback(True)
            return results
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


# --- data requests -------------------------------------------------------------------
#
# A council member asks an agency for a figure about one response (one unit's
# indicator) with a due date; one of the agency's data providers answers with
# a text and, if need be, files; the member who asked may withdraw it while it
# waits. The request, the answer and the files stay with the response and its
# history. Files are checked by their content as evidence is
# (``assessments.uploads``) and stored privately.

QUESTION_MAX_CHARS = 5000
ANSWER_MAX_CHARS = 10000
ANSWER_MAX_FILES = 10


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _day(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _send_mail(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # the request is saved; at worst the notice is lost
        logger.exception("Data request notice to %s could not be sent", message.to)


def _request_lines(data_request: DataRequest) -> list[str]:
    response = data_request.response
    assessment = response.assessment
    return [
        _("Campaign: %(campaign)s") % {"campaign": assessment.campaign},
        _("Unit: %(unit)s") % {"unit": assessment.unit.name},
        _("Indicator: %(code)s. %(name)s")
        % {"code": response.indicator.code, "name": response.indicator.name},
    ]


def _footer() -> list[str]:
    return ["", _("This message was sent automatically by the DTI assessment system.")]


def _ask_message(data_request: DataRequest, to: list[str]) -> EmailMessage:
    """To the agency's data providers: what the council asks, about whom, by when."""
    with translation.override(settings.LANGUAGE_CODE):
        response = data_request.response
        subject = _("[DTI] The appraisal council asks for data: %(unit)s, indicator %(code)s") % {
            "unit": response.assessment.unit.name,
            "code": response.indicator.code,
        }
        lines = [
            _("The appraisal council asks %(agency)s for a figure.")
            % {"agency": data_request.agency},
            *_request_lines(data_request),
            _("Asked by: %(person)s") % {"person": data_request.asked_by},
            _("Answer by: %(date)s") % {"date": _day(data_request.due_date)},
            "",
            _("Question:"),
            data_request.question,
            "",
            _(
                "Sign in to the DTI system and open “Data requests” on the home page to "
                "answer; files can be attached there."
            ),
        ]
        return EmailMessage(subject=subject, body="\n".join(lines + _footer()), to=to)


def _answer_message(data_request: DataRequest, files: int, to: list[str]) -> EmailMessage:
    """To the member who asked: the agency's answer."""
    with translation.override(settings.LANGUAGE_CODE):
        response = data_request.response
        subject = _("[DTI] %(agency)s answered your data request: %(unit)s, indicator %(code)s") % {
            "agency": data_request.agency,
            "unit": response.assessment.unit.name,
            "code": response.indicator.code,
        }
        lines = [
            *_request_lines(data_request),
            "",
            _("Your question:"),
            data_request.question,
            "",
            _("Answer of %(person)s (%(time)s):")
            % {"person": data_request.answered_by, "time": _when(data_request.answered_at)},
            data_request.answer,
        ]
        if files:
            lines += [
                "",
                _(
                    "Files attached to the answer: %(count)d. Open the request in the DTI "
                    "system to read them."
                )
                % {"count": files},
            ]
        return EmailMessage(subject=subject, body="\n".join(lines + _footer()), to=to)


def _agency_recipients(agency: Agency, assessment: Assessment) -> list[str]:
    """The agency's active data providers with an e-mail, none of the assessed unit."""
    people = (
        get_user_model()
        .objects.filter(agency=agency, is_active=True, groups__name=Role.DATA_PROVIDER)
        .exclude(email="")
        .exclude(unit_id=assessment.unit_id)
    )
    return sorted(set(people.values_list("email", flat=True)))


def _agency_problem(agency: Agency, response: Response) -> str:
    """Why ``agency`` is not among ``selectors.askable_agencies``."""
    assessment = response.assessment
    if agency.unit_id == assessment.unit_id:
        return _(
            "%(agency)s belongs to %(unit)s, the unit assessed: the unit answers the council "
            "through its explanation."
        ) % {"agency": agency, "unit": assessment.unit.name}
    answerers = get_user_model().objects.filter(
        agency=agency, is_active=True, groups__name=Role.DATA_PROVIDER
    )
    if not answerers.exists():
        return _(
            "Nobody at %(agency)s can answer in the system yet: ask the administrator to give "
            "one of its people the data provider role."
        ) % {"agency": agency}
    return _("%(agency)s is outside the area of this campaign.") % {"agency": agency}


def _record_request(data_request: DataRequest, *, user, event: str, summary, **details) -> None:
    response = data_request.response
    assessment = response.assessment
    audit.record(
        action=AuditAction.DATA_REQUEST,
        summary=audit.in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=audit.label(DataRequest),
        object_id=data_request.pk,
        details={
            "event": event,
            "indicator": response.indicator.code,
            "agency": data_request.agency.name,
            **details,
        },
    )


def data_request_ask(
    *, user, response: Response, agency: Agency | None, question: str, due_date: date | None
) -> DataRequest:
    """A council member asks ``agency`` for a figure about ``response``, due by ``due_date``.

    Refused to anyone but a member of the campaign's council who may see the
    response (``permissions.can_ask_for_data``), once the unit's results are
    published, for an agency nobody can answer for, and for a due date in the
    past. The agency's data providers are e-mailed once the request is saved.
    """
    question = (question or "").strip()
    with transaction.atomic():
        response = Response.objects.select_related(
            "indicator", "assessment__unit", "assessment__campaign"
        ).get(pk=response.pk)
        if not permissions.can_ask_for_data(user, response):
            raise PermissionDenied(
                _(
                    "Only a member of the campaign's council who may see this indicator can "
                    "ask an agency for data about it."
                )
            )
        assessment = response.assessment
        if assessment.state == AssessmentState.PUBLISHED:
            raise ValidationError(
                _("The results of %(unit)s are published: no more data can be asked about them.")
                % {"unit": assessment.unit.name}
            )
        problems = []
        if agency is None:
            problems.append(_("Choose the agency to ask."))
        elif not selectors.askable_agencies(response=response).filter(pk=agency.pk).exists():
            problems.append(_agency_problem(agency, response))
        if not question:
            problems.append(_("Write what the agency should provide."))
        elif len(question) > QUESTION_MAX_CHARS:
            problems.append(
                _("The question is too long: at most %(count)d characters.")
                % {"count": QUESTION_MAX_CHARS}
            )
        if due_date is None:
            problems.append(_("Enter the due date (dd/mm/yyyy)."))
        elif due_date < timezone.localdate():
            problems.append(_("The due date cannot be in the past."))
        assessment_services._refuse(problems)
        data_request = DataRequest(
            response=response,
            agency=agency,
            asked_by=user,
            question=question,
            due_date=due_date,
        )
        data_request._history_user = user
        data_request.save()
        _record_request(
            data_request,
            user=user,
            event="asked",
            summary=lambda: (
                _("Indicator %(code)s: data asked of %(agency)s, due %(date)s")
                % {"code": response.indicator.code, "agency": agency, "date": _day(due_date)}
            ),
            due_date=due_date.isoformat(),
        )
        to = _agency_recipients(agency, assessment)
        if to:
            message = _ask_message(data_request, to)
            transaction.on_commit(lambda: _send_mail(message))
    return data_request


def _lock_request(data_request: DataRequest) -> DataRequest:
    """The request, locked, with its response, unit, campaign, agency and asker."""
    return (
        DataRequest.objects.select_for_update(of=("self",))
        .select_related(
            "agency",
            "asked_by",
            "response__indicator",
            "response__assessment__unit",
            "response__assessment__campaign",
        )
        .get(pk=data_request.pk)
    )


def _lock_for_answer(data_request: DataRequest, user) -> DataRequest:
    locked = _lock_request(data_request)
    if not permissions.can_answer_data_request(user, locked):
        raise PermissionDenied(
            _("Only the people of %(agency)s with the data provider role can answer this request.")
            % {"agency": locked.agency}
        )
    if locked.status == DataRequestStatus.ANSWERED:
        raise ValidationError(
            _("This request was already answered on %(time)s; an answer cannot be changed.")
            % {"time": _when(locked.answered_at)}
        )
    if locked.status == DataRequestStatus.WITHDRAWN:
        raise ValidationError(
            _("This request was withdrawn by the council member who asked; it cannot be answered.")
        )
    return locked


def _check_files(files: list) -> tuple[list, list[str]]:
    """Each file with its ``CheckedUpload`` (the type read from the content), and the problems."""
    checked, problems = [], []
    if len(files) > ANSWER_MAX_FILES:
        problems.append(
            _("Attach at most %(count)d files to one answer.") % {"count": ANSWER_MAX_FILES}
        )
        return checked, problems
    for upload in files:
        try:
            checked.append(
                (
                    upload,
                    uploads.check_upload(
                        upload,
                        max_bytes=settings.EVIDENCE_MAX_BYTES,
                        allowed_types=settings.EVIDENCE_ALLOWED_TYPES,
                    ),
                )
            )
        except ValidationError as exc:
            name = uploads.display_name(getattr(upload, "name", ""), fallback=_("attachment"))
            problems += [
                _("“%(name)s”: %(problem)s") % {"name": name, "problem": message}
                for message in exc.messages
            ]
    return checked, problems


def data_request_answer(
    *, user, data_request: DataRequest, answer: str, files: Sequence = ()
) -> DataRequest:
    """The agency answers: a text and optional files, once; the member who asked is e-mailed.

    Each file's type is read from its content (``assessments.uploads``) and the
    same file attached twice is kept once. No row without a file, no file
    without a row: every file is written under a name chosen before writing
    and removed again (or the part of it written) if anything fails before
    the answer is committed. A refusal saves nothing.
    """
    answer = (answer or "").strip()
    files = [upload for upload in files if upload is not None]
    with transaction.atomic():
        _lock_for_answer(data_request, user)  # refuse early, before reading the files
    problems = []
    if not answer:
        problems.append(_("Write the answer."))
    elif len(answer) > ANSWER_MAX_CHARS:
        problems.append(
            _("The answer is too long: at most %(count)d characters.") % {"count": ANSWER_MAX_CHARS}
        )
    checked, file_problems = _check_files(files)
    assessment_services._refuse(problems + file_problems)
    storage = DataRequestFile._meta.get_field("file").storage
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock_for_answer(data_request, user)
            stored: list[DataRequestFile] = []
            seen: set[str] = set()
            for upload, check in checked:
                if check.sha256 in seen:
                    continue
                seen.add(check.sha256)
                row = DataRequestFile(
                    request=locked,
                    original_name=check.display_name,
                    size=check.size,
                    sha256=check.sha256,
                    content_type=check.content_type,
                    uploaded_by=user,
                )
                name = row.file.field.generate_filename(row, f"upload.{check.extension}")
                written.append(name)
                upload.seek(0)
                try:
                    row.file.name = written[-1] = storage.save(name, upload, max_length=255)
                except OSError as exc:  # disk full, storage gone, the upload's temporary file lost
                    logger.exception("Data request file %s could not be stored", name)
                    raise ValidationError(
                        _("The file could not be stored, so nothing was saved. Try again later.")
                    ) from exc
                row._history_user = user
                row.save()
                stored.append(row)
            locked.status = DataRequestStatus.ANSWERED
            locked.answer = answer
            locked.answered_by = user
            locked.answered_at = timezone.now()
            locked._history_user = user
            locked.save()
            _record_request(
                locked,
                user=user,
                event="answered",
                summary=lambda: (
                    _("Indicator %(code)s: %(agency)s answered the data request, files: %(count)d")
                    % {
                        "code": locked.response.indicator.code,
                        "agency": locked.agency,
                        "count": len(stored),
                    }
                ),
                files=[
                    {"name": row.original_name, "sha256": row.sha256, "size": row.size}
                    for row in stored
                ],
            )
            asker = locked.asked_by
            if asker.is_active and asker.email:
                message = _answer_message(locked, len(stored), [asker.email])
                transaction.on_commit(lambda: _send_mail(message))
    except BaseException:
        # Refused, cut off while writing, or the commit failed: no file without its row.
        for name in written:
            assessment_services._discard_file(storage, name)
        raise
    return locked


def data_request_withdraw(*, user, data_request: DataRequest) -> DataRequest:
    """The member who asked withdraws a request still waiting for its answer."""
    with transaction.atomic():
        locked = _lock_request(data_request)
        if not permissions.can_withdraw_data_request(user, locked):
            raise PermissionDenied(
                _("Only the council member who asked can withdraw this request.")
            )
        if locked.status != DataRequestStatus.OPEN:
            raise ValidationError(
                _("This request is “%(status)s”: it can be withdrawn only while it waits.")
                % {"status": locked.get_status_display()}
            )
        locked.status = DataRequestStatus.WITHDRAWN
        locked._history_user = user
        locked.save()
        _record_request(
            locked,
            user=user,
            event="withdrawn",
            summary=lambda: (
                _("Indicator %(code)s: data request to %(agency)s withdrawn")
                % {"code": locked.response.indicator.code, "agency": locked.agency}
            ),
        )
    return locked
