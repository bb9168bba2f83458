"""Writes on councils: members, assignments, appraisals, explanations, closing the rounds.

Every write is one transaction and keeps its history (simple_history, with
the acting person). A refusal changes nothing and says why: ``PermissionDenied``
when the person may not (asked of ``permissions``), ``ValidationError`` when
the moment or the data do not allow it. Messages are gettext with English
msgids. Reads live in ``selectors``.

A member never appraises a unit they belong to, whatever the path: an
assignment naming such a unit is refused, an "all units" assignment skips
it, and ``appraisal_record`` refuses it again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from assessments import services as assessment_services
from assessments import windows
from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    Campaign,
    PhaseKind,
    Response,
    Role,
)
from indicators import scoring
from indicators.models import Indicator, Pillar, natural_key

from . import permissions
from .models import (
    CLOSING_ROLES,
    EXPLANATION_MAX_CHARS,
    Appraisal,
    Assignment,
    Council,
    CouncilMember,
    CouncilRole,
    Explanation,
    ExplanationStatus,
    Round,
)

CLOSE_PERM = "assessments.close_appraisal_rounds"
VIEW_PERM = "assessments.view_assessment"


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _lock_assessment(pk: int) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign", "unit")
        .get(pk=pk)
    )


def _person(user) -> str:
    return str(user)


# --- the council and its members ---------------------------------------------------


@transaction.atomic
def council_create(
    *, campaign: Campaign, user, decision_number: str, decision_date=None
) -> Council:
    """Form the campaign's council (one per campaign), by its decision number and date."""
    if not permissions.can_manage_council(user, campaign):
        raise PermissionDenied(_("Only the campaign's organizer can form its appraisal council."))
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    errors = []
    decision_number = (decision_number or "").strip()
    if not decision_number:
        errors.append(_("Enter the number of the decision forming the council."))
    elif len(decision_number) > 100:
        errors.append(_("The decision number is too long."))
    if decision_date is not None and decision_date > timezone.localdate():
        errors.append(_("The decision's date cannot be in the future."))
    if Council.objects.filter(campaign=campaign).exists():
        errors.append(_("This campaign already has an appraisal council."))
    _refuse(errors)
    council = Council(
        campaign=campaign, decision_number=decision_number, decision_date=decision_date
    )
    council._history_user = user
    council.save()
    return council


def _sync_permissions(member: CouncilMember) -> None:
    """Guardian grants of one member: closing the rounds for chair and secretaries, and
    viewing every assessment of the campaign except those of the member's own units."""
    campaign = member.council.campaign
    person = member.user
    if member.role in CLOSING_ROLES:
        assign_perm(CLOSE_PERM, person, campaign)
    else:
        remove_perm(CLOSE_PERM, person, campaign)
    assessments = Assessment.objects.filter(campaign=campaign)
    own = assessments.filter(unit_id__in=permissions.conflict_unit_ids(person))
    if own.exists():
        remove_perm(VIEW_PERM, person, own)
    others = assessments.exclude(pk__in=own.values("pk"))
    if others.exists():
        assign_perm(VIEW_PERM, person, others)


def _revoke_permissions(member: CouncilMember) -> None:
    campaign = member.council.campaign
    remove_perm(CLOSE_PERM, member.user, campaign)
    assessments = Assessment.objects.filter(campaign=campaign)
    if assessments.exists():
        remove_perm(VIEW_PERM, member.user, assessments)


def _check_role(role: str) -> None:
    if role not in CouncilRole.values:
        raise ValidationError(_("Unknown council role “%(role)s”.") % {"role": role})


@transaction.atomic
def member_add(
    *, council: Council, user, member_user, role: str = CouncilRole.MEMBER
) -> CouncilMember:
    """Add a person of an agency to the council; grants what their role needs."""
    if not permissions.can_manage_council(user, council.campaign):
        raise PermissionDenied(_("Only the campaign's organizer can change the council."))
    _check_role(role)
    errors = []
    if not member_user.is_active:
        errors.append(_("%(person)s is not an active user.") % {"person": _person(member_user)})
    if member_user.agency_id is None:
        errors.append(
            _("%(person)s does not belong to an agency; council members come from agencies.")
            % {"person": _person(member_user)}
        )
    if CouncilMember.objects.filter(council=council, user=member_user).exists():
        errors.append(
            _("%(person)s is already a member of the council.") % {"person": _person(member_user)}
        )
    _refuse(errors)
    member = CouncilMember(council=council, user=member_user, role=role)
    member._history_user = user
    member.save()
    member_user.groups.add(Group.objects.get_or_create(name=Role.COUNCIL_MEMBER)[0])
    _sync_permissions(member)
    return member


@transaction.atomic
def member_set_role(*, member: CouncilMember, user, role: str) -> CouncilMember:
    if not permissions.can_manage_council(user, member.council.campaign):
        raise PermissionDenied(_("Only the campaign's organizer can change the council."))
    _check_role(role)
    member = CouncilMember.objects.select_for_update().select_related("council").get(pk=member.pk)
    if member.role != role:
        member.role = role
        member._history_user = user
        member.save(update_fields=["role"])
    _sync_permissions(member)
    return member


@transaction.atomic
def member_remove(*, member: CouncilMember, user) -> None:
    """Remove a member who has recorded nothing; their assignments go with them."""
    if not permissions.can_manage_council(user, member.council.campaign):
        raise PermissionDenied(_("Only the campaign's organizer can change the council."))
    if Appraisal.objects.filter(member=member).exists():
        raise ValidationError(
            _("%(person)s has already recorded appraisals and cannot be removed.")
            % {"person": _person(member.user)}
        )
    _revoke_permissions(member)
    member._history_user = user
    member.delete()


@transaction.atomic
def council_sync_permissions(*, council: Council) -> None:
    """Grant again to every member, e.g. after units were added to the campaign."""
    for member in CouncilMember.objects.filter(council=council).select_related(
        "user", "user__agency", "council__campaign"
    ):
        _sync_permissions(member)


# --- assignments -------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAssignment:
    """One assignment to write: a member, an indicator and its units (empty: all)."""

    member: CouncilMember
    indicator: Indicator
    units: tuple[AdministrativeUnit, ...] = ()


def _check_planned(council: Council, planned: list[PlannedAssignment]) -> None:
    """Members of this council, indicators of its set, assessed units, no own unit."""
    campaign = council.campaign
    assessed = set(Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    errors = []
    foreign_members = sorted(
        {str(p.member.user) for p in planned if p.member.council_id != council.pk}
    )
    if foreign_members:
        errors.append(
            _("Not members of this council: %(people)s.") % {"people": ", ".join(foreign_members)}
        )
    set_ids = set(
        Indicator.objects.filter(
            pk__in=[p.indicator.pk for p in planned],
            pillar__indicator_set_id=campaign.indicator_set_id,
        ).values_list("pk", flat=True)
    )
    foreign = sorted(
        {p.indicator.code for p in planned if p.indicator.pk not in set_ids}, key=natural_key
    )
    if foreign:
        errors.append(
            _("Not indicators of this campaign's set: %(codes)s.") % {"codes": ", ".join(foreign)}
        )
    not_assessed = sorted({u.name for p in planned for u in p.units if u.pk not in assessed})
    if not_assessed:
        errors.append(
            _("These units are not assessed in this campaign: %(units)s.")
            % {"units": ", ".join(not_assessed)}
        )
    for person, units in sorted(
        {
            (str(p.member.user), u.name)
            for p in planned
            for u in p.units
            if permissions.is_conflicted(p.member.user, u.pk)
        }
    ):
        errors.append(
            _("%(person)s belongs to %(unit)s and cannot appraise it.")
            % {"person": person, "unit": units}
        )
    _refuse(errors)


def _write_planned(planned: list[PlannedAssignment], user) -> list[Assignment]:
    written = []
    for item in planned:
        assignment = Assignment.objects.filter(member=item.member, indicator=item.indicator).first()
        if assignment is not None:
            assignment.member, assignment.indicator = item.member, item.indicator  # no query
        else:
            assignment = Assignment(member=item.member, indicator=item.indicator)
            assignment._history_user = user
            assignment.save()
        wanted = {unit.pk for unit in item.units}
        if wanted != set(assignment.units.values_list("pk", flat=True)):
            assignment._history_user = user
            assignment.units.set(wanted)
        written.append(assignment)
    return written


def _indicators(indicators: Iterable[Indicator], pillars: Iterable[Pillar]) -> list[Indicator]:
    chosen = {indicator.pk: indicator for indicator in indicators}
    pillar_ids = [pillar.pk for pillar in pillars]
    if pillar_ids:
        for indicator in Indicator.objects.filter(pillar_id__in=pillar_ids):
            chosen.setdefault(indicator.pk, indicator)
    return sorted(chosen.values(), key=lambda indicator: natural_key(indicator.code))


def assignment_set(
    *,
    council: Council,
    user,
    member: CouncilMember,
    indicators: Iterable[Indicator] = (),
    pillars: Iterable[Pillar] = (),
    units: Iterable[AdministrativeUnit] = (),
) -> list[Assignment]:
    """Assign indicators (whole pillars, or single ones) to a member, in ``units`` (empty: all).

    An indicator the member already has gets the new units; other assignments
    of the member stay. A unit the member belongs to is refused.
    """
    chosen = _indicators(indicators, pillars)
    if not chosen:
        raise ValidationError(_("Choose at least one indicator or pillar to assign."))
    units = tuple({unit.pk: unit for unit in units}.values())
    return assignments_apply(
        council=council,
        user=user,
        planned=[PlannedAssignment(member, indicator, units) for indicator in chosen],
    )


def assignments_apply(
    *, council: Council, user, planned: Iterable[PlannedAssignment]
) -> list[Assignment]:
    """Write many assignments at once (a proposal, an imported sheet): all of them or none."""
    if not permissions.can_assign(user, council):
        raise PermissionDenied(
            _("Only the organizer or the council's chair or secretary can assign indicators.")
        )
    planned = list(planned)
    with transaction.atomic():
        _check_planned(council, planned)
        return _write_planned(planned, user)


@transaction.atomic
def assignment_remove(
    *,
    council: Council,
    user,
    member: CouncilMember,
    indicators: Iterable[Indicator] = (),
    pillars: Iterable[Pillar] = (),
) -> int:
    """Take indicators away from a member; their recorded appraisals stay."""
    if not permissions.can_assign(user, council):
        raise PermissionDenied(
            _("Only the organizer or the council's chair or secretary can assign indicators.")
        )
    if member.council_id != council.pk:
        raise ValidationError(
            _("Not members of this council: %(people)s.") % {"people": member.user}
        )
    ids = [indicator.pk for indicator in _indicators(indicators, pillars)]
    removed = 0
    for assignment in Assignment.objects.filter(member=member, indicator_id__in=ids).select_related(
        "indicator"
    ):
        assignment.member = member
        assignment._history_user = user
        assignment.delete()
        removed += 1
    return removed


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


@dataclass
class Proposal:
    """What ``assignment_propose_from_verifiers`` suggests; nothing is written."""

    planned: list[PlannedAssignment] = field(default_factory=list)
    # (code, verifier text) of indicators no member's agency matches
    unmatched: list[tuple[str, str]] = field(default_factory=list)


ROLE_PREFERENCE = {CouncilRole.MEMBER: 0, CouncilRole.SECRETARY: 1, CouncilRole.CHAIR: 2}


def assignment_propose_from_verifiers(*, council: Council, user) -> Proposal:
    """Propose each unassigned indicator to a member of its verifying agency.

    ``Indicator.verifier`` is matched to the member's ``Agency.name`` (case,
    spacing and Unicode form ignored; several agencies may be separated by
    ";" or new lines). Among several members of one agency the least loaded
    is proposed (plain members before secretaries and the chair). Indicators
    already assigned in the council are left as they are. Applies nothing:
    pass ``proposal.planned`` to ``assignments_apply``.
    """
    if not permissions.can_assign(user, council):
        raise PermissionDenied(
            _("Only the organizer or the council's chair or secretary can assign indicators.")
        )
    members = list(
        CouncilMember.objects.filter(council=council).select_related("user", "user__agency")
    )
    load = {member.pk: member.assignments.count() for member in members}
    by_agency: dict[str, list[CouncilMember]] = {}
    for member in members:
        by_agency.setdefault(_normalize(member.user.agency.name), []).append(member)
    assigned = set(
        Assignment.objects.filter(member__council=council).values_list("indicator_id", flat=True)
    )
    indicators = sorted(
        Indicator.objects.filter(pillar__indicator_set_id=council.campaign.indicator_set_id),
        key=lambda indicator: natural_key(indicator.code),
    )
    proposal = Proposal()
    for indicator in indicators:
        if indicator.pk in assigned:
            continue
        names = [_normalize(part) for part in re.split(r"[;\n]", indicator.verifier or "")]
        candidates = [member for name in names if name for member in by_agency.get(name, [])]
        if not candidates:
            proposal.unmatched.append((indicator.code, indicator.verifier))
            continue
        chosen = min(candidates, key=lambda m: (load[m.pk], ROLE_PREFERENCE[m.role], m.pk))
        load[chosen.pk] += 1
        proposal.planned.append(PlannedAssignment(chosen, indicator))
    return proposal


# --- appraisals ----------------------------------------------------------------------


def _wrong_state(assessment: Assessment, what: str) -> str:
    return _("%(what)s is not possible now: the assessment is “%(state)s”.") % {
        "what": what,
        "state": assessment.get_state_display(),
    }


def _round_problems(assessment: Assessment, response: Response, round_: int, at) -> list[str]:
    if round_ == Round.ONE:
        if assessment.state != AssessmentState.CONFIRMED:
            return [_wrong_state(assessment, _("Round-1 appraisal"))]
        problem = windows.window_problem(assessment.campaign, PhaseKind.ROUND_1, at)
        return [problem] if problem else []
    if assessment.state != AssessmentState.EXPLANATION:
        return [_wrong_state(assessment, _("Round-2 appraisal"))]
    problems = []
    if not windows.has_closed(assessment.campaign, PhaseKind.EXPLANATION, at):
        problems.append(_("Round-2 appraisal starts once the explanation window has closed."))
    else:
        problem = windows.window_problem(assessment.campaign, PhaseKind.ROUND_2, at)
        if problem:
            problems.append(problem)
    if not Explanation.objects.filter(
        response=response, status=ExplanationStatus.SUBMITTED
    ).exists():
        problems.append(
            _(
                "Only indicators the unit disputed are appraised again in round 2; %(code)s keeps "
                "its round-1 score."
            )
            % {"code": response.indicator.code}
        )
    return problems


def _appraised_score(response: Response, assessment: Assessment, inputs, score) -> tuple:
    """The score from the verified inputs (the indicator's rule) or as given, checked."""
    if (inputs is None) == (score is None):
        raise ValidationError(_("Give either the verified inputs or a score, not both."))
    indicator = response.indicator
    if inputs is not None:
        if not isinstance(inputs, Mapping):
            raise ValidationError(_("The verified inputs are not in the expected form."))
        inputs = dict(inputs)
        return inputs, indicator.score(inputs, assessment.general_info)
    value = scoring.to_decimal(score, what=_("Score"))
    if value < 0 or value > indicator.max_points:
        raise ValidationError(
            _("The score must be between 0 and %(max)s.") % {"max": indicator.max_points}
        )
    return None, value.quantize(scoring.SCORE_PLACES)


def appraisal_record(
    *,
    response: Response,
    member_user,
    round: int,  # noqa: A002 - the word of the domain
    inputs: Mapping[str, Any] | None = None,
    score: Any = None,
    comment: str = "",
    at=None,
) -> Appraisal:
    """Record (or correct) the member's appraisal of one response in one round.

    Round 1 while the unit is Confirmed and the round-1 window is open; round 2
    while it is in Explanation, after the explanation window, inside the
    round-2 window, and only for an indicator the unit disputed. A round-1
    score that differs from the self score needs a comment; a round-2 score
    always does. Each round is its own row: round 2 never touches round 1.
    """
    if round not in Round.values:
        raise ValidationError(_("An appraisal is of round 1 or round 2."))
    with transaction.atomic():
        assessment = _lock_assessment(response.assessment_id)
        response = Response.objects.select_related("indicator").get(pk=response.pk)
        response.assessment = assessment
        if permissions.is_conflicted(member_user, assessment.unit_id):
            raise PermissionDenied(
                _("You cannot appraise %(unit)s: you belong to it.") % {"unit": assessment.unit}
            )
        if not permissions.can_appraise(member_user, response):
            raise PermissionDenied(
                _("Only a council member assigned to this indicator in this unit can appraise it.")
            )
        _refuse(_round_problems(assessment, response, round, at))
        inputs, value = _appraised_score(response, assessment, inputs, score)
        comment = (comment or "").strip()
        if round == Round.ONE and value != response.self_score and not comment:
            self_score = "–" if response.self_score is None else response.self_score
            raise ValidationError(
                _("The score differs from the self score (%(self)s): explain why in a comment.")
                % {"self": self_score}
            )
        if round == Round.TWO and not comment:
            raise ValidationError(_("A round-2 appraisal needs a comment on the explanation."))
        member = CouncilMember.objects.get(
            council__campaign_id=assessment.campaign_id, user=member_user
        )
        appraisal = Appraisal.objects.filter(response=response, round=round, member=member).first()
        if appraisal is None:
            appraisal = Appraisal(response=response, round=round, member=member)
        elif (appraisal.inputs, appraisal.score, appraisal.comment) == (inputs, value, comment):
            return appraisal
        appraisal.response, appraisal.member = response, member  # loaded already: no query
        appraisal.inputs, appraisal.score, appraisal.comment = inputs, value, comment
        appraisal._history_user = member_user
        appraisal.save()
        return appraisal


# --- explanations --------------------------------------------------------------------


def _lock_for_explanation(response: Response, user, at) -> tuple[Response, Explanation | None]:
    assessment = _lock_assessment(response.assessment_id)
    response = Response.objects.select_related("indicator").get(pk=response.pk)
    response.assessment = assessment
    if not permissions.can_explain(user, response):
        raise PermissionDenied(_("Only an officer of the unit can explain its indicators."))
    if assessment.state != AssessmentState.EXPLANATION:
        _refuse([_wrong_state(assessment, _("Explanation"))])
    problem = windows.window_problem(assessment.campaign, PhaseKind.EXPLANATION, at)
    _refuse([problem] if problem else [])
    explanation = Explanation.objects.select_for_update().filter(response=response).first()
    if explanation is not None:
        explanation.response = response  # loaded, with its assessment: no query for it
    return response, explanation


def _clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the explanation."))
    if len(text) > EXPLANATION_MAX_CHARS:
        raise ValidationError(
            _("An explanation can be at most %(max)s characters; this one has %(count)s.")
            % {"max": EXPLANATION_MAX_CHARS, "count": len(text)}
        )
    return text


def explanation_save_draft(*, response: Response, user, text: str, at=None) -> Explanation:
    """Save the unit's explanation of one indicator as a draft, while the window is open."""
    text = _clean_text(text)
    with transaction.atomic():
        response, explanation = _lock_for_explanation(response, user, at)
        if explanation is not None and explanation.is_submitted:
            raise ValidationError(
                _("This explanation is already submitted; submit it again to change it.")
            )
        explanation = explanation or Explanation(response=response)
        explanation.text = text
        explanation.updated_by = user
        explanation._history_user = user
        explanation.save()
        return explanation


def explanation_submit(
    *, response: Response, user, text: str | None = None, at=None
) -> Explanation:
    """Submit (or submit again) the explanation: the indicator is disputed for round 2.

    ``text`` replaces the draft's text; without it the draft is submitted as it is.
    """
    with transaction.atomic():
        response, explanation = _lock_for_explanation(response, user, at)
        if text is None and explanation is None:
            raise ValidationError(_("Write the explanation."))
        text = _clean_text(explanation.text if text is None else text)
        explanation = explanation or Explanation(response=response)
        explanation.text = text
        explanation.status = ExplanationStatus.SUBMITTED
        explanation.submitted_at = at or timezone.now()
        explanation.updated_by = user
        explanation._history_user = user
        explanation.save()
        return explanation


# --- closing the rounds ----------------------------------------------------------------


def close_round_one(*, assessment: Assessment, user) -> Assessment:
    """Chair or secretary: Confirmed → Appraised-1 once every indicator has a round-1 score.

    Refused with the missing indicators and their owners ("code — members").
    """
    return assessment_services.assessment_close_round_one(assessment=assessment, user=user)


def close_round_two(*, assessment: Assessment, user) -> Assessment:
    """Chair or secretary: Explanation → Appraised-2 once every disputed one is re-appraised."""
    return assessment_services.assessment_close_round_two(assessment=assessment, user=user)
