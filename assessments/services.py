"""Writes on campaigns, assessments, responses and evidence.

Every write is one transaction. A refusal changes nothing and says why:
``PermissionDenied`` when the person may not (asked of ``permissions``),
``ValidationError`` when the moment or the data do not allow it (state,
calendar, completeness: the assessment's guards). Messages are gettext with
English msgids; Vietnamese is the catalog's business. E-mail leaves only on
commit. Reads live in ``selectors``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from indicators import scoring
from indicators.models import (
    GeneralInfoField,
    Indicator,
    IndicatorSet,
    SetStatus,
    Tier,
    natural_key,
)
from indicators.services import indicator_set_freeze

from . import audit, permissions, selectors, signals, uploads, windows
from .models import (
    PHASE_ORDER,
    AdministrativeUnit,
    Agency,
    Assessment,
    AssessmentState,
    AssessmentTransition,
    AuditAction,
    Campaign,
    DepartmentAssignment,
    Evidence,
    EvidenceKind,
    EvidencePhase,
    InputSource,
    Level,
    Phase,
    PhaseKind,
    ReminderKind,
    ReminderSent,
    Response,
    TransitionName,
)

logger = logging.getLogger(__name__)


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _lock_assessment(pk: int) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign", "unit")
        .get(pk=pk)
    )


# --- campaigns -----------------------------------------------------------------


def _build_calendar(phases: Mapping[str, Mapping[str, Any]]) -> list[Phase]:
    """Unsaved ``Phase`` rows from ``{kind: {"opens_at", "closes_at", "grace_minutes"}}``.

    Times must be timezone-aware. Publication takes only ``closes_at`` (its target).
    """
    errors = []
    unknown = set(phases) - set(PhaseKind.values)
    if unknown:
        errors.append(_("Unknown phases: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))})
    if PhaseKind.SELF_ASSESSMENT not in phases:
        errors.append(_("The calendar needs a self-assessment window."))
    built = []
    for kind in PHASE_ORDER:
        if kind not in phases:
            continue
        spec = phases[kind]
        opens_at, closes_at = spec.get("opens_at"), spec.get("closes_at")
        if any(m is not None and timezone.is_naive(m) for m in (opens_at, closes_at)):
            raise ValueError("Phase times must be timezone-aware.")
        grace = int(spec.get("grace_minutes") or 0)
        phase = Phase(kind=kind, opens_at=opens_at, closes_at=closes_at, grace_minutes=grace)
        try:
            if grace < 0:
                raise ValidationError(_("The grace period cannot be negative."))
            if closes_at is None:
                raise ValidationError(_("A phase needs an opening and a closing time."))
            phase.clean()
        except ValidationError as exc:
            errors.extend(f"{kind.label}: {message}" for message in exc.messages)
            continue
        built.append(phase)
    for earlier, later in zip(built, built[1:], strict=False):
        opens_too_early = (
            later.opens_at is not None
            and earlier.opens_at is not None
            and later.opens_at < earlier.opens_at
        )
        if opens_too_early or later.closes_at < earlier.closes_at:
            errors.append(
                _("“%(later)s” cannot come before “%(earlier)s”.")
                % {"later": later.get_kind_display(), "earlier": earlier.get_kind_display()}
            )
    _refuse(errors)
    return built


def _check_units(
    *, organizing_unit: AdministrativeUnit, tier: str, units: Iterable | None
) -> list[AdministrativeUnit]:
    candidates = selectors.default_units(organizing_unit=organizing_unit, tier=tier)
    if units is None:
        chosen = list(candidates)
    else:
        chosen = list({unit.pk: unit for unit in units}.values())
        allowed = set(candidates.values_list("pk", flat=True))
        foreign = [unit.name for unit in chosen if unit.pk not in allowed]
        if foreign:
            raise ValidationError(
                _(
                    "These units are not active units under %(organizer)s at the level of "
                    "the set (%(tier)s): %(units)s."
                )
                % {
                    "tier": Level(tier).label,
                    "organizer": organizing_unit.name,
                    "units": ", ".join(sorted(foreign)),
                }
            )
    if not chosen:
        raise ValidationError(_("A campaign needs at least one assessed unit."))
    return chosen


def _add_assessments(campaign: Campaign, units: list[AdministrativeUnit]) -> None:
    """One assessment per unit and one blank response per indicator, in bulk."""
    Assessment.objects.bulk_create(Assessment(campaign=campaign, unit=unit) for unit in units)
    indicator_ids = list(
        Indicator.objects.filter(pillar__indicator_set_id=campaign.indicator_set_id).values_list(
            "pk", flat=True
        )
    )
    assessment_ids = Assessment.objects.filter(campaign=campaign, unit__in=units).values_list(
        "pk", flat=True
    )
    Response.objects.bulk_create(
        (
            Response(assessment_id=assessment_id, indicator_id=indicator_id)
            for assessment_id in assessment_ids
            for indicator_id in indicator_ids
        ),
        batch_size=1000,
    )
    signals.assessments_added.send(sender=Campaign, campaign=campaign)


@transaction.atomic
def campaign_create(
    *,
    organizer,
    name: str,
    year: int,
    indicator_set: IndicatorSet,
    phases: Mapping[str, Mapping[str, Any]],
    units: Iterable[AdministrativeUnit] | None = None,
) -> Campaign:
    """Open a campaign of the organizer's unit; freezes the set.

    ``units`` defaults to every active unit under the organizer at the set's
    tier (communes directly under a province, or under its districts).
    """
    unit_id = permissions.home_unit_id(organizer) if organizer.is_authenticated else None
    organizing_unit = AdministrativeUnit.objects.filter(pk=unit_id).first()
    if organizing_unit is None or not permissions.can_create_campaign(organizer, organizing_unit):
        raise PermissionDenied(_("Only an organizer can open a campaign, for their own unit."))
    indicator_set = IndicatorSet.objects.select_for_update().get(pk=indicator_set.pk)
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append(_("The campaign needs a name."))
    if indicator_set.status == SetStatus.DRAFT:
        errors.append(_("The indicator set is still a draft; activate it first."))
    if indicator_set.year != year:
        errors.append(
            _("The indicator set is for %(set_year)s, not %(year)s.")
            % {"set_year": indicator_set.year, "year": year}
        )
    if indicator_set.tier not in Level.values:
        errors.append(_("A campaign assesses administrative units; this set is for departments."))
    if Campaign.objects.filter(
        organizing_unit=organizing_unit, indicator_set=indicator_set
    ).exists():
        errors.append(_("Your unit already has a campaign with this indicator set."))
    _refuse(errors)
    chosen = _check_units(organizing_unit=organizing_unit, tier=indicator_set.tier, units=units)
    calendar = _build_calendar(phases)

    campaign = Campaign.objects.create(
        name=name,
        year=year,
        organizing_unit=organizing_unit,
        indicator_set=indicator_set,
        created_by=organizer,
    )
    indicator_set_freeze(indicator_set=indicator_set)
    for phase in calendar:
        phase.campaign = campaign
    Phase.objects.bulk_create(calendar)
    _add_assessments(campaign, chosen)
    audit.record(
        action=AuditAction.CAMPAIGN_CREATED,
        summary=audit.in_site_language(
            lambda: (
                _("Campaign opened with %(count)s units, indicator set %(set)s")
                % {"count": len(chosen), "set": indicator_set.name}
            )
        ),
        campaign_id=campaign.pk,
        actor=organizer,
        object_type=audit.label(Campaign),
        object_id=campaign.pk,
        details={
            "units": sorted(unit.pk for unit in chosen),
            "calendar": _calendar_details(calendar),
        },
    )
    return campaign


def _calendar_details(calendar: list[Phase]) -> dict:
    return {
        phase.kind: {
            "opens_at": phase.opens_at,
            "closes_at": phase.closes_at,
            "grace_minutes": phase.grace_minutes,
        }
        for phase in calendar
    }


def _calendar_text(calendar: list[Phase]) -> str:
    def moment(value):
        return windows.local_text(value) if value else "—"

    return "; ".join(
        f"{phase.get_kind_display()} {moment(phase.opens_at)} – {moment(phase.closes_at)}"
        for phase in calendar
    )


@transaction.atomic
def campaign_set_phases(
    *, campaign: Campaign, user, phases: Mapping[str, Mapping[str, Any]]
) -> list[Phase]:
    """Replace the calendar; ``phases`` is the whole calendar, as for ``campaign_create``."""
    if not permissions.can_manage_campaign(user, campaign):
        raise PermissionDenied(_("Only the campaign's organizer can change its calendar."))
    calendar = _build_calendar(phases)
    before = _calendar_details(list(Phase.objects.filter(campaign=campaign)))
    Phase.objects.filter(campaign=campaign).delete()
    for phase in calendar:
        phase.campaign = campaign
    created = Phase.objects.bulk_create(calendar)
    after = _calendar_details(calendar)
    if before == after:
        return created
    audit.record(
        action=AuditAction.CALENDAR_CHANGED,
        summary=audit.in_site_language(
            lambda: _("Calendar changed: %(calendar)s") % {"calendar": _calendar_text(calendar)}
        ),
        campaign_id=campaign.pk,
        actor=user,
        object_type=audit.label(Campaign),
        object_id=campaign.pk,
        details={"before": before, "after": after},
    )
    return created


@transaction.atomic
def campaign_set_units(
    *, campaign: Campaign, user, units: Iterable[AdministrativeUnit]
) -> list[AdministrativeUnit]:
    """Add and remove assessed units. A unit whose assessment has any data stays."""
    if not permissions.can_manage_campaign(user, campaign):
        raise PermissionDenied(_("Only the campaign's organizer can change the assessed units."))
    chosen = _check_units(
        organizing_unit=campaign.organizing_unit,
        tier=campaign.indicator_set.tier,
        units=units,
    )
    chosen_ids = {unit.pk for unit in chosen}
    list(Assessment.objects.select_for_update().filter(campaign=campaign).values_list("pk"))
    current = Assessment.objects.filter(campaign=campaign)
    leaving = current.exclude(unit_id__in=chosen_ids)
    started = (
        leaving.exclude(state=AssessmentState.OPEN)
        | leaving.filter(responses__version__gt=0)
        | leaving.filter(transitions__isnull=False)
        | leaving.exclude(general_info={})
    ).distinct()
    names = sorted(started.values_list("unit__name", flat=True))
    if names:
        raise ValidationError(
            _("These units have already entered data and cannot be removed: %(units)s.")
            % {"units": ", ".join(names)}
        )
    left = sorted(leaving.values_list("unit__name", flat=True))
    leaving.delete()
    present = set(current.values_list("unit_id", flat=True))
    joining = [unit for unit in chosen if unit.pk not in present]
    _add_assessments(campaign, joining)
    if left or joining:
        added = sorted(unit.name for unit in joining)
        audit.record(
            action=AuditAction.UNITS_CHANGED,
            summary=audit.in_site_language(
                lambda: (
                    _("Assessed units changed: added %(added)s; removed %(removed)s")
                    % {"added": ", ".join(added) or "—", "removed": ", ".join(left) or "—"}
                )
            ),
            campaign_id=campaign.pk,
            actor=user,
            object_type=audit.label(Campaign),
            object_id=campaign.pk,
            details={"added": added, "removed": left},
        )
    return chosen


@transaction.atomic
def department_assign(
    *, campaign: Campaign, user, agency: Agency, indicators: Iterable[Indicator]
) -> list[DepartmentAssignment]:
    """At district tier: the indicators ``agency`` (a department of the district) fills in.

    Replaces the department's earlier assignment in this campaign.
    """
    if not permissions.can_manage_campaign(user, campaign):
        raise PermissionDenied(_("Only the campaign's organizer can assign indicators."))
    errors = []
    if campaign.indicator_set.tier != Tier.DISTRICT:
        errors.append(_("Indicators are assigned to departments only in district campaigns."))
    if not Assessment.objects.filter(campaign=campaign, unit_id=agency.unit_id).exists():
        errors.append(
            _("%(agency)s is not a department of a district assessed in this campaign.")
            % {"agency": agency.name}
        )
    indicators = list(indicators)
    foreign = [i.code for i in indicators if i.pillar.indicator_set_id != campaign.indicator_set_id]
    if foreign:
        errors.append(
            _("Not indicators of this campaign's set: %(codes)s.") % {"codes": ", ".join(foreign)}
        )
    _refuse(errors)
    before = sorted(
        DepartmentAssignment.objects.filter(campaign=campaign, agency=agency).values_list(
            "indicator__code", flat=True
        ),
        key=natural_key,
    )
    DepartmentAssignment.objects.filter(campaign=campaign, agency=agency).delete()
    chosen = list({i.pk: i for i in indicators}.values())
    after = sorted((i.code for i in chosen), key=natural_key)
    if before != after:
        audit.record(
            action=AuditAction.DEPARTMENTS_ASSIGNED,
            summary=audit.in_site_language(
                lambda: (
                    _("%(agency)s fills in indicators %(after)s (before: %(before)s)")
                    % {
                        "agency": agency.name,
                        "after": ", ".join(after) or "—",
                        "before": ", ".join(before) or "—",
                    }
                )
            ),
            campaign_id=campaign.pk,
            unit_id=agency.unit_id,
            actor=user,
            object_type=audit.label(Agency),
            object_id=agency.pk,
            details={"before": before, "after": after},
        )
    return DepartmentAssignment.objects.bulk_create(
        DepartmentAssignment(campaign=campaign, agency=agency, indicator=indicator)
        for indicator in chosen
    )


# --- the state machine -----------------------------------------------------------

WHO_MAY = {
    TransitionName.SUBMIT: (
        permissions.can_submit,
        gettext_lazy("Only an officer of the unit can submit its self-assessment."),
    ),
    TransitionName.RETURN_FOR_EDITING: (
        permissions.can_return,
        gettext_lazy("Only a leader of the unit can return its self-assessment for editing."),
    ),
    TransitionName.CONFIRM: (
        permissions.can_confirm,
        gettext_lazy("Only a leader of the unit can confirm its self-assessment."),
    ),
    TransitionName.CLOSE_ROUND_ONE: (
        permissions.can_close_round,
        gettext_lazy("Only the council's chair or secretary can close an appraisal round."),
    ),
    TransitionName.OPEN_EXPLANATION: (
        permissions.can_open_explanation,
        gettext_lazy("Only the campaign's organizer can open the explanation."),
    ),
    TransitionName.CLOSE_ROUND_TWO: (
        permissions.can_close_round,
        gettext_lazy("Only the council's chair or secretary can close an appraisal round."),
    ),
    TransitionName.REOPEN: (
        permissions.can_reopen,
        gettext_lazy("Only an administrator can reopen an assessment."),
    ),
}


def _wrong_state(assessment: Assessment, name: str) -> ValidationError:
    return ValidationError(
        _("“%(action)s” is not possible: the assessment is “%(state)s”.")
        % {"action": TransitionName(name).label, "state": assessment.get_state_display()}
    )


def _apply(
    assessment: Assessment, *, name: str, user, reason: str = "", at=None, **kwargs
) -> AssessmentTransition:
    """Run one transition on a locked assessment, save it and write its log row."""
    method = getattr(assessment, name)
    if not can_proceed(method, check_conditions=False):
        raise _wrong_state(assessment, name)
    source = assessment.state
    if name == TransitionName.REOPEN:
        kwargs["reason"] = reason  # reopening refuses without a written reason
    method(at=at, **kwargs)
    assessment._history_user = user
    assessment.save()
    return AssessmentTransition.objects.create(
        assessment=assessment,
        name=name,
        from_state=source,
        to_state=assessment.state,
        by=user,
        at=at or timezone.now(),
        reason=(reason or "").strip(),
    )


def _transition(
    *, assessment: Assessment, user, name: str, reason: str = "", **kwargs
) -> Assessment:
    permitted, refusal = WHO_MAY[name]
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk)
        if not permitted(user, locked):
            raise PermissionDenied(str(refusal))
        _apply(locked, name=name, user=user, reason=reason, **kwargs)
    return locked


def assessment_submit(*, assessment: Assessment, user) -> Assessment:
    """Officer: Open → Self-assessed, inside the window, complete and evidenced."""
    return _transition(assessment=assessment, user=user, name=TransitionName.SUBMIT)


def assessment_return_for_editing(*, assessment: Assessment, user, reason: str = "") -> Assessment:
    """Leader: Self-assessed → Open, inside the window, with an optional note to the officer."""
    return _transition(
        assessment=assessment, user=user, name=TransitionName.RETURN_FOR_EDITING, reason=reason
    )


def assessment_confirm(*, assessment: Assessment, user) -> Assessment:
    """Leader: Self-assessed → Confirmed, inside the window; locks the self-assessment."""
    return _transition(assessment=assessment, user=user, name=TransitionName.CONFIRM)


def assessment_close_round_one(*, assessment: Assessment, user) -> Assessment:
    """Council chair/secretary: Confirmed → Appraised-1, when every indicator has a score."""
    return _transition(assessment=assessment, user=user, name=TransitionName.CLOSE_ROUND_ONE)


def assessment_open_explanation(*, assessment: Assessment, user) -> Assessment:
    """Organizer: Appraised-1 → Explanation, inside the explanation window."""
    return _transition(assessment=assessment, user=user, name=TransitionName.OPEN_EXPLANATION)


def assessment_close_round_two(*, assessment: Assessment, user) -> Assessment:
    """Council chair/secretary: Explanation → Appraised-2, after the explanation window."""
    return _transition(assessment=assessment, user=user, name=TransitionName.CLOSE_ROUND_TWO)


def assessment_reopen(
    *,
    assessment: Assessment,
    user,
    to_state: str,
    reason: str,
    extend_until: datetime | None = None,
) -> Assessment:
    """Administrator: back to an earlier state, with a written reason that is kept.

    Reopening the self-assessment (to Open or Self-assessed) may extend its
    window for this unit until ``extend_until``.
    """
    return _transition(
        assessment=assessment,
        user=user,
        name=TransitionName.REOPEN,
        reason=reason,
        to_state=to_state,
        extend_until=extend_until,
    )


def campaign_publish(*, campaign: Campaign, user) -> int:
    """Organizer: every Appraised-2 assessment → Published, once all are and rankings exist."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not permissions.can_publish(user, campaign):
            raise PermissionDenied(_("Only the campaign's organizer can publish its results."))
        assessments = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(campaign=campaign, state=AssessmentState.APPRAISED_2)
            .select_related("unit")
        )
        if not assessments:
            _refuse(
                [_("No unit of the campaign is appraised in round 2 and waiting for publication.")]
            )
        for assessment in assessments:
            assessment.campaign = campaign
            _apply(assessment, name=TransitionName.PUBLISH, user=user)
    return len(assessments)


def explanations_open_due(*, now: datetime | None = None) -> int:
    """The calendar: open the explanation of every Appraised-1 unit whose window is open."""
    now = now or timezone.now()
    due = Assessment.objects.filter(
        state=AssessmentState.APPRAISED_1,
        campaign__phases__kind=PhaseKind.EXPLANATION,
        campaign__phases__opens_at__lte=now,
        campaign__phases__closes_at__gt=now,
    ).values_list("pk", flat=True)
    opened = 0
    for pk in list(due):
        with transaction.atomic():
            locked = _lock_assessment(pk)
            if locked.state != AssessmentState.APPRAISED_1 or locked.open_explanation_problems(now):
                continue
            _apply(locked, name=TransitionName.OPEN_EXPLANATION, user=None, at=now)
            opened += 1
    return opened


# --- general information and responses ------------------------------------------


class StaleResponse(ValidationError):
    """Someone saved the indicator after the page was loaded; nothing was saved.

    Carries what is stored now so that the page can show it beside the
    person's own value. To keep their own, they save again with ``version``.
    """

    def __init__(self, response: Response):
        who = str(response.updated_by) if response.updated_by else _("Someone")
        when = windows.local_text(response.updated_at) if response.updated_at else ""
        super().__init__(
            _(
                "%(who)s saved this indicator at %(time)s, after you opened it. Nothing was "
                "saved: compare the two values, then save again to keep yours."
            )
            % {"who": who, "time": when},
            code="stale",
        )
        self.version = response.version
        self.inputs = response.inputs
        self.self_score = response.self_score
        self.note = response.note
        self.updated_by = response.updated_by
        self.updated_at = response.updated_at


def _store(
    response: Response,
    *,
    user,
    inputs: dict,
    self_score,
    note: str,
    source: str | None = None,
    agency=None,
    change_note: str | None = None,
) -> Response:
    """Write a new version of the response; ``source`` None keeps its provenance."""
    response.inputs = inputs
    response.self_score = self_score
    response.note = note
    if source is not None:
        response.inputs_source = source
        response.inputs_agency = agency
    if change_note is not None:
        response.provided_change_note = change_note
    response.version += 1
    response.updated_by = user
    response.updated_at = timezone.now()
    response._history_user = user
    response.save()
    return response


def inputs_equal(first: Mapping | None, second: Mapping | None) -> bool:
    """The same figures, whether written ``12``, ``"12"`` or ``"12.0"``."""
    first, second = dict(first or {}), dict(second or {})
    if first.keys() != second.keys():
        return False
    for key, value in first.items():
        other = second[key]
        if value == other:
            continue
        if isinstance(value, bool) or isinstance(other, bool):
            return False
        if isinstance(value, list) or isinstance(other, list):
            if sorted(map(str, value or [])) != sorted(map(str, other or [])):
                return False
            continue
        try:
            if scoring.to_decimal(value, what=key) != scoring.to_decimal(other, what=key):
                return False
        except ValidationError:
            return False
    return True


def _provenance_of_typed(response: Response, inputs: dict, change_note: str | None):
    """``(source, agency, change_note)`` of inputs the unit saves; refuses an unexplained change.

    A unit may keep or change a figure an agency provided; changing it needs
    a note, which the council reads beside both values. ``change_note=None``
    keeps the note already written.
    """
    provided = selectors.hooks.provided_figure(
        response.assessment_id, indicator_id=response.indicator_id
    )
    if provided is None or not inputs:
        return InputSource.TYPED, None, ""
    if inputs_equal(inputs, provided.value):
        source = response.inputs_source
        if source == InputSource.TYPED:
            source = InputSource.PROVIDED
        return source, provided.assignment.agency, ""
    note = (response.provided_change_note if change_note is None else change_note).strip()
    if not note:
        raise ValidationError(
            _(
                "%(agency)s provided this figure. To change it, write why in “Reason for "
                "changing the provided figure”; the council reads it."
            )
            % {"agency": provided.assignment.agency},
            code="provided_change_note_required",
        )
    return InputSource.TYPED, None, note


def response_save(
    *,
    user,
    expected_version: int,
    inputs: Mapping | None,
    note: str = "",
    response_id: int | None = None,
    assessment: Assessment | None = None,
    indicator: Indicator | None = None,
    provided_change_note: str | None = None,
) -> Response:
    """Save one indicator's raw inputs and note; the score is computed, never typed.

    ``expected_version`` is the version the page showed: if someone saved
    since, ``StaleResponse`` is raised and nothing changes. ``inputs=None``
    clears the answer. Inputs that cannot be scored are refused. Inputs that
    differ from a figure an agency provided need ``provided_change_note``.
    """
    lookup = (
        {"pk": response_id}
        if response_id is not None
        else {"assessment": assessment, "indicator": indicator}
    )
    with transaction.atomic():
        found = Response.objects.filter(**lookup).values_list("pk", "assessment_id").first()
        if found is None:
            raise ValidationError(_("This indicator is not part of the assessment."))
        locked = _lock_assessment(found[1])
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .get(pk=found[0])
        )
        response.assessment = locked
        if not permissions.can_edit_response(user, response):
            raise PermissionDenied(_("You may not edit this indicator."))
        _refuse(locked.editing_problems(EvidencePhase.SELF))
        if response.version != expected_version:
            raise StaleResponse(response)
        note = (note or "").strip()
        if inputs is None:
            inputs, score = {}, None
        else:
            inputs = dict(inputs)
            score = response.indicator.score(inputs, locked.general_info)
        source, agency, change_note = _provenance_of_typed(response, inputs, provided_change_note)
        if (inputs, score, note, source, change_note) == (
            response.inputs,
            response.self_score,
            response.note,
            response.inputs_source,
            response.provided_change_note,
        ):
            return response
        return _store(
            response,
            user=user,
            inputs=inputs,
            self_score=score,
            note=note,
            source=source,
            agency=agency,
            change_note=change_note,
        )


def response_prefill(
    *, response: Response, inputs: Mapping, source: str, agency: Agency, user
) -> bool:
    """Pre-fill a response with a figure an agency provided; True when the inputs were written.

    Called by the providers' services inside their transaction, with the
    assessment locked. Nothing is written when the unit may not edit now
    (state, calendar) or has typed its own answer: the unit's figure stands,
    and its page shows the provided one beside it. Figures that cannot be
    scored yet (a general-information figure missing) are not written either.
    """
    assessment = response.assessment
    if assessment.editing_problems(EvidencePhase.SELF):
        return False
    if response.inputs_source == InputSource.TYPED and (response.is_answered or response.inputs):
        return False
    inputs = dict(inputs)
    try:
        score = response.indicator.score(inputs, assessment.general_info)
    except scoring.PartExceedsWhole:
        raise
    except scoring.ScoringError:
        return False
    if inputs_equal(inputs, response.inputs) and response.inputs_agency_id == agency.pk:
        return True  # already this agency's figure
    _store(
        response,
        user=user,
        inputs=inputs,
        self_score=score,
        note=response.note,
        source=source,
        agency=agency,
        change_note="",
    )
    return True


def general_info_prefill(
    *, assessment: Assessment, code: str, value: str, source: str, agency: Agency, user
) -> bool:
    """Pre-fill one general-information figure an agency provided (assessment locked).

    The same rule as ``response_prefill``: only while the unit may edit and
    has not typed its own figure. Answered ratio indicators that take the
    figure are scored again; one that would exceed its whole refuses it.
    """
    if assessment.editing_problems(EvidencePhase.SELF):
        return False
    provenance = dict(assessment.general_info_provenance or {})
    known = provenance.get(code) or {}
    if assessment.general_info.get(code) not in (None, "") and known.get("source", "typed") == (
        InputSource.TYPED
    ):
        return False
    provenance[code] = _provenance_entry(source=source, agency=agency, user=user)
    info = dict(assessment.general_info)
    changed = info.get(code) != value
    info[code] = value
    assessment.general_info = info
    assessment.general_info_provenance = provenance
    assessment._history_user = user
    assessment.save(update_fields=["general_info", "general_info_provenance"])
    if changed:
        _rescore_ratios(assessment, {code}, user)
    return True


def _provenance_entry(*, source: str, agency=None, user=None, note: str = "") -> dict:
    entry = {"source": str(source), "at": timezone.now().isoformat()}
    if agency is not None:
        entry.update(agency=agency.name, agency_id=agency.pk)
    if user is not None:
        entry.update(by=str(user), by_id=user.pk)
    if note:
        entry["note"] = note
    return entry


def _general_info_value(field: GeneralInfoField, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field.kind == GeneralInfoField.Kind.NUMBER:
        number = scoring.to_decimal(value, what=field.name)
        if number < 0:
            raise ValidationError(_("%(what)s cannot be negative.") % {"what": field.name})
        return str(number)
    return str(value).strip()[:500]


def assessment_set_general_info(
    *,
    assessment: Assessment,
    user,
    values: Mapping[str, Any],
    change_notes: Mapping[str, str] | None = None,
) -> Assessment:
    """Enter the unit's general information (population, officials ...): only the keys given.

    Answered ratio indicators that take a changed figure are scored again; a
    response whose figure was cleared becomes unanswered. Each such change is
    a new version, kept in the history. A figure that would make an answered
    share exceed its whole (a > b) is refused, with the indicators to correct.
    Changing a figure an agency provided needs a note in ``change_notes``.
    """
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk)
        if not permissions.can_edit_general_info(user, locked):
            raise PermissionDenied(
                _("Only an officer of the unit can enter its general information.")
            )
        _refuse(locked.editing_problems(EvidencePhase.SELF))
        fields = {
            f.code: f
            for f in GeneralInfoField.objects.filter(
                indicator_set_id=locked.campaign.indicator_set_id
            )
        }
        errors, cleaned = [], {}
        for code, value in values.items():
            if code not in fields:
                errors.append(_("Unknown general information “%(code)s”.") % {"code": code})
                continue
            try:
                cleaned[code] = _general_info_value(fields[code], value)
            except ValidationError as exc:
                errors.extend(exc.messages)
        _refuse(errors)
        info = dict(locked.general_info)
        changed = {code for code, value in cleaned.items() if info.get(code) != value}
        if not changed:
            return locked
        provenance = dict(locked.general_info_provenance or {})
        notes = {code: (text or "").strip() for code, text in (change_notes or {}).items()}
        for code in sorted(changed):
            provenance[code] = _typed_info_provenance(
                locked, fields[code], cleaned[code], notes.get(code), provenance.get(code), user
            )
        for code in changed:
            if cleaned[code] is None:
                info.pop(code, None)
                provenance.pop(code, None)
            else:
                info[code] = cleaned[code]
        locked.general_info = info
        locked.general_info_provenance = provenance
        locked._history_user = user
        locked.save(update_fields=["general_info", "general_info_provenance"])
        _rescore_ratios(locked, changed, user)
    return locked


def _typed_info_provenance(assessment, field, value, note, known, user) -> dict:
    """The provenance of a general-information figure the unit types; refuses an unexplained
    change of a figure an agency provided."""
    provided = selectors.hooks.provided_figure(assessment.pk, code=field.code)
    if provided is not None and value is not None:
        if inputs_equal({"v": value}, {"v": provided.value.get("value")}):
            return _provenance_entry(
                source=InputSource.PROVIDED, agency=provided.assignment.agency, user=user
            )
        note = note if note is not None else (known or {}).get("note", "")
        if not note:
            # ``params["code"]`` lets a page put the message on the field's note box.
            raise ValidationError(
                _(
                    "%(agency)s provided “%(field)s”. To change it, write why; "
                    "the council reads it."
                ),
                code="provided_change_note_required",
                params={
                    "agency": str(provided.assignment.agency),
                    "field": field.name,
                    "code": field.code,
                },
            )
        return _provenance_entry(source=InputSource.TYPED, user=user, note=note)
    return _provenance_entry(source=InputSource.TYPED, user=user)


def _rescore_ratios(assessment: Assessment, changed: set[str], user) -> None:
    responses = (
        Response.objects.select_for_update(of=("self",))
        .filter(
            assessment=assessment,
            indicator__method=scoring.RATIO,
            self_score__isnull=False,
        )
        .select_related("indicator")
    )
    problems = []
    for response in responses:
        rule = response.indicator.rule or {}
        uses = {(rule.get(term) or {}).get("field") for term in ("a", "b")}
        if not uses & changed:
            continue
        try:
            score = response.indicator.score(response.inputs, assessment.general_info)
        except scoring.PartExceedsWhole as exc:
            # The new figure would make an answered share exceed its whole: refuse the
            # figure (the whole transaction), and say which indicator to correct first.
            problems.extend(f"{response.indicator.code}: {message}" for message in exc.messages)
            continue
        except scoring.ScoringError:
            score = None
        if score != response.self_score:
            _store(
                response, user=user, inputs=response.inputs, self_score=score, note=response.note
            )
    _refuse(problems)


# --- evidence --------------------------------------------------------------------


def _evidence_phase(assessment: Assessment) -> str:
    if assessment.state == AssessmentState.EXPLANATION:
        return EvidencePhase.EXPLANATION
    return EvidencePhase.SELF


def _lock_for_evidence(response: Response, user, phase: str | None = None) -> Response:
    """Lock the assessment, check who and when; the response comes back fresh."""
    locked = _lock_assessment(response.assessment_id)
    response = Response.objects.select_related("indicator").get(pk=response.pk)
    response.assessment = locked
    if not permissions.can_manage_evidence(user, response):
        raise PermissionDenied(_("You may not change the evidence of this indicator."))
    _refuse(locked.editing_problems(phase or _evidence_phase(locked)))
    return response


def _discard_file(storage, name: str) -> None:
    """Remove a stored file (or the part of it written) whose row will never exist."""
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001 - the refusal that got here matters more
        logger.exception("The stored file %s could not be removed", name)


def evidence_add_file(*, response: Response, user, uploaded_file) -> Evidence:
    """Attach a file: its type is read from the content, its name kept only for display.

    The file is read in chunks for the size limit, the type and the SHA-256,
    then stored on the private storage under a generated name. The same file
    attached twice to one response is stored once: the first one is returned.

    No row without a file, no file without a row: the file is written first,
    under a name chosen before writing, and removed again (or the part of it
    written) if anything fails before the row is committed.
    """
    with transaction.atomic():
        _lock_for_evidence(response, user)  # refuse early, before reading the file
    checked = uploads.check_upload(
        uploaded_file,
        max_bytes=settings.EVIDENCE_MAX_BYTES,
        allowed_types=settings.EVIDENCE_ALLOWED_TYPES,
    )
    storage, written = Evidence._meta.get_field("file").storage, None
    try:
        with transaction.atomic():
            response = _lock_for_evidence(response, user)
            same = {"response": response, "kind": EvidenceKind.FILE, "sha256": checked.sha256}
            existing = Evidence.objects.filter(**same).first()
            if existing is not None:
                return existing
            evidence = Evidence(
                response=response,
                phase=_evidence_phase(response.assessment),
                kind=EvidenceKind.FILE,
                original_name=checked.display_name,
                size=checked.size,
                sha256=checked.sha256,
                content_type=checked.content_type,
                uploaded_by=user,
            )
            written = evidence.file.field.generate_filename(evidence, f"upload.{checked.extension}")
            uploaded_file.seek(0)
            try:
                evidence.file.name = written = storage.save(written, uploaded_file, max_length=255)
            except OSError as exc:  # disk full, storage gone, the upload's temporary file lost
                logger.exception("Evidence file %s could not be stored", written)
                raise ValidationError(
                    _("The file could not be stored, so nothing was saved. Try again later.")
                ) from exc
            evidence._history_user = user
            try:
                with transaction.atomic():
                    evidence.save()
            except IntegrityError:
                # The same file arrived twice at once: keep the first.
                _discard_file(storage, written)
                written = None
                return Evidence.objects.get(**same)
    except BaseException:
        # Refused, cut off while writing, or the commit failed: no file without its row.
        if written is not None:
            _discard_file(storage, written)
        raise
    return evidence


def evidence_add_citation(
    *, response: Response, user, number: str, date: date | None, issuer: str, summary: str = ""
) -> Evidence:
    """Cite an official document: number, date, issuer, summary (số, ngày, cơ quan, trích yếu)."""
    number, issuer, summary = (
        (number or "").strip(),
        (issuer or "").strip(),
        (summary or "").strip(),
    )
    errors = []
    if not number:
        errors.append(_("Enter the document's number."))
    elif len(number) > 100:
        errors.append(_("The document's number is too long."))
    if not issuer:
        errors.append(_("Enter who issued the document."))
    elif len(issuer) > 300:
        errors.append(_("The issuer's name is too long."))
    if date is None:
        errors.append(_("Enter the document's date."))
    elif date > timezone.localdate():
        errors.append(_("The document's date cannot be in the future."))
    _refuse(errors)
    with transaction.atomic():
        response = _lock_for_evidence(response, user)
        evidence = Evidence(
            response=response,
            phase=_evidence_phase(response.assessment),
            kind=EvidenceKind.CITATION,
            citation_number=number,
            citation_date=date,
            citation_issuer=issuer,
            citation_summary=summary,
            uploaded_by=user,
        )
        evidence._history_user = user
        evidence.save()
    return evidence


def evidence_add_link(*, response: Response, user, url: str) -> Evidence:
    """Link to a public page (http or https only)."""
    url = (url or "").strip()
    try:
        if len(url) > 2000:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(_("Enter a web address starting with http:// or https://.")) from None
    with transaction.atomic():
        response = _lock_for_evidence(response, user)
        evidence = Evidence(
            response=response,
            phase=_evidence_phase(response.assessment),
            kind=EvidenceKind.LINK,
            url=url,
            uploaded_by=user,
        )
        evidence._history_user = user
        evidence.save()
    return evidence


def evidence_remove(*, evidence: Evidence, user) -> None:
    """Remove evidence while its phase is open. The history keeps it, and its file stays stored."""
    with transaction.atomic():
        response = _lock_for_evidence(evidence.response, user, phase=evidence.phase)
        evidence = Evidence.objects.get(pk=evidence.pk)
        evidence.response = response  # locked, with its assessment and indicator
        evidence._history_user = user
        evidence.delete()


# --- reminders ----------------------------------------------------------------------

REMINDER_LEAD = {
    ReminderKind.THREE_DAYS: timedelta(days=3),
    ReminderKind.ONE_DAY: timedelta(days=1),
}


def _reminder_message(
    *, assessment: Assessment, phase: Phase, kind: str, missing: selectors.Missing, to: list[str]
) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == ReminderKind.ONE_DAY:
            subject = _("[DTI] %(unit)s: the self-assessment closes in 1 day")
        else:
            subject = _("[DTI] %(unit)s: the self-assessment closes in 3 days")
        lines = [
            _("Campaign: %(campaign)s") % {"campaign": assessment.campaign},
            _("Unit: %(unit)s") % {"unit": assessment.unit.name},
            _("The self-assessment window closes at %(time)s.")
            % {"time": windows.local_text(phase.closes_at)},
            _("The unit's leader has not confirmed the self-assessment yet (now: %(state)s).")
            % {"state": assessment.get_state_display()},
            "",
        ]
        if missing.unanswered:
            lines.append(
                _("Indicators not answered yet (%(count)s): %(codes)s.")
                % {"count": len(missing.unanswered), "codes": ", ".join(missing.unanswered)}
            )
        if missing.evidence:
            lines.append(
                _("Indicators still missing their required evidence (%(count)s): %(codes)s.")
                % {"count": len(missing.evidence), "codes": ", ".join(missing.evidence)}
            )
        if missing.is_complete and assessment.state == AssessmentState.OPEN:
            lines.append(_("Every indicator is answered: the officer still has to submit."))
        elif missing.is_complete:
            lines.append(_("The self-assessment is submitted: the leader still has to confirm it."))
        lines += ["", _("This message was sent automatically by the DTI assessment system.")]
        return EmailMessage(
            subject=subject % {"unit": assessment.unit.name}, body="\n".join(lines), to=to
        )


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # a reminder is marked sent before it leaves: never twice, at worst lost
        logger.exception("Reminder to %s could not be sent", message.to)


@transaction.atomic
def reminders_send(*, now: datetime | None = None) -> int:
    """E-mail the officers and leaders of units not confirmed, 3 days and 1 day before closing.

    Each (assessment, reminder) is recorded in ``ReminderSent`` before its mail
    leaves on commit, so running again never sends it twice. A unit nobody can
    be mailed for is left unmarked and tried again on the next run.
    """
    now = now or timezone.now()
    phases = Phase.objects.filter(
        kind=PhaseKind.SELF_ASSESSMENT,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_LEAD[ReminderKind.THREE_DAYS],
    ).select_related("campaign")
    sent = 0
    for phase in phases:
        left = phase.closes_at - now
        kind = (
            ReminderKind.ONE_DAY
            if left <= REMINDER_LEAD[ReminderKind.ONE_DAY]
            else ReminderKind.THREE_DAYS
        )
        pending = (
            Assessment.objects.filter(campaign=phase.campaign, state__in=selectors.NOT_CONFIRMED)
            .exclude(reminders__kind=kind)
            .select_related("unit", "campaign")
        )
        missing = selectors.missing_by_assessment(assessments=pending)
        recipients = selectors.reminder_recipients(unit_ids=pending.values("unit_id"))
        for assessment in pending:
            to = recipients.get(assessment.unit_id)
            if not to:
                continue
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        assessment=assessment, kind=kind, recipients=", ".join(to)
                    )
            except IntegrityError:
                continue  # another run got there first
            message = _reminder_message(
                assessment=assessment,
                phase=phase,
                kind=kind,
                missing=missing.get(assessment.pk, selectors.Missing()),
                to=to,
            )
            transaction.on_commit(lambda message=message: _send(message))
            sent += 1
    return sent
