"""Reads on campaigns, assessments and responses, shaped for services and pages.

Everything over many units is one set-based query (aggregates, subqueries),
never a query per unit: a province's campaign has thousands of responses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from indicators.models import Indicator, natural_key

from .models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    DepartmentAssignment,
    Evidence,
    EvidencePhase,
    Phase,
    PhaseKind,
    Response,
    Role,
    User,
)
from .permissions import is_department_officer_of, is_unit_officer_of

# --- what the later apps (councils, rankings) will answer ---------------------


def _no_appraisals_yet(assessment: Assessment) -> list[str]:
    # Without the councils app no indicator has a round-1 score.
    codes = Indicator.objects.filter(
        pillar__indicator_set_id=assessment.campaign.indicator_set_id
    ).values_list("code", flat=True)
    return sorted(codes, key=natural_key)


def _nothing_disputed(assessment: Assessment) -> list[str]:
    return []


def _rankings_not_computed(campaign: Campaign) -> list[str]:
    return [gettext("The rankings have not been computed yet.")]


@dataclass
class LaterAppHooks:
    """Answers the assessment guards need from apps that come later.

    The councils app sets ``round_one_missing`` (codes of indicators without a
    round-1 score from their assigned member) and ``round_two_missing`` (codes
    of disputed indicators not re-appraised) in its ``AppConfig.ready()``; the
    rankings app sets ``rankings_not_ready`` (messages; empty when the
    campaign's rankings are computed). Until then the defaults answer
    honestly: nothing is appraised, nothing disputed, no ranking computed.
    Tests replace them with fakes (``monkeypatch.setattr(hooks, ...)``).
    """

    round_one_missing: Callable[[Assessment], list[str]] = _no_appraisals_yet
    round_two_missing: Callable[[Assessment], list[str]] = _nothing_disputed
    rankings_not_ready: Callable[[Campaign], list[str]] = _rankings_not_computed


hooks = LaterAppHooks()


def councils_ready_for_round_one_close(assessment: Assessment) -> list[str]:
    """Codes of the indicators still missing a round-1 score (empty: round 1 may close)."""
    return list(hooks.round_one_missing(assessment))


def councils_ready_for_round_two_close(assessment: Assessment) -> list[str]:
    """Codes of the disputed indicators not re-appraised yet (empty: round 2 may close)."""
    return list(hooks.round_two_missing(assessment))


def rankings_ready_for_publication(campaign: Campaign) -> list[str]:
    return list(hooks.rankings_not_ready(campaign))


# --- units and campaigns -------------------------------------------------------


def default_units(*, organizing_unit: AdministrativeUnit, tier: str) -> QuerySet:
    """The active units under the organizer at the set's tier, with or without districts."""
    return AdministrativeUnit.objects.descendants_of(organizing_unit).filter(
        level=tier, is_active=True
    )


@dataclass(frozen=True)
class Missing:
    """What keeps a self-assessment from being submitted (indicator codes)."""

    unanswered: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.unanswered and not self.evidence


def _missing_evidence(responses: QuerySet) -> QuerySet:
    """Responses whose indicator requires evidence and that have none from the self-assessment."""
    return responses.filter(indicator__evidence_mandatory=True).exclude(
        Exists(Evidence.objects.filter(response=OuterRef("pk"), phase=EvidencePhase.SELF))
    )


def missing_by_assessment(*, assessments: QuerySet) -> dict[int, Missing]:
    """Unanswered indicators and missing required evidence of many assessments, in 2 queries."""
    responses = Response.objects.filter(assessment__in=assessments.values("pk"))
    unanswered = defaultdict(list)
    for assessment_id, code in responses.filter(self_score__isnull=True).values_list(
        "assessment_id", "indicator__code"
    ):
        unanswered[assessment_id].append(code)
    evidence = defaultdict(list)
    for assessment_id, code in _missing_evidence(responses).values_list(
        "assessment_id", "indicator__code"
    ):
        evidence[assessment_id].append(code)
    return {
        pk: Missing(
            unanswered=sorted(unanswered[pk], key=natural_key),
            evidence=sorted(evidence[pk], key=natural_key),
        )
        for pk in set(unanswered) | set(evidence)
    }


def assessment_missing(*, assessment: Assessment) -> Missing:
    found = missing_by_assessment(assessments=Assessment.objects.filter(pk=assessment.pk))
    return found.get(assessment.pk, Missing())


@dataclass(frozen=True)
class UnitProgress:
    assessment_id: int
    unit_id: int
    unit_name: str
    state: str
    answered: int
    total: int
    missing_evidence: int
    late: bool

    @property
    def state_label(self) -> str:
        return AssessmentState(self.state).label


@dataclass(frozen=True)
class CampaignProgress:
    by_state: dict[str, int]
    units: list[UnitProgress]
    deadline: datetime | None

    @property
    def late_units(self) -> list[UnitProgress]:
        return [unit for unit in self.units if unit.late]


NOT_CONFIRMED = (AssessmentState.OPEN, AssessmentState.SELF_ASSESSED)


def campaign_progress(*, campaign: Campaign, now: datetime | None = None) -> CampaignProgress:
    """Units per state and each unit's answered / total, missing evidence, lateness: 3 queries.

    A unit is late when the self-assessment deadline (closing time, grace not
    counted) has passed and its leader has not confirmed.
    """
    now = now or timezone.now()
    deadline = (
        Phase.objects.filter(campaign=campaign, kind=PhaseKind.SELF_ASSESSMENT)
        .values_list("closes_at", flat=True)
        .first()
    )
    total = Indicator.objects.filter(pillar__indicator_set_id=campaign.indicator_set_id).count()
    missing_evidence = (
        _missing_evidence(Response.objects.filter(assessment=OuterRef("pk")))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Assessment.objects.filter(campaign=campaign)
        .annotate(
            answered=Count("responses", filter=Q(responses__self_score__isnull=False)),
            missing_evidence=Coalesce(Subquery(missing_evidence, output_field=IntegerField()), 0),
        )
        .order_by("unit__name")
        .values("pk", "unit_id", "unit__name", "state", "answered", "missing_evidence")
    )
    past_deadline = deadline is not None and now >= deadline
    units = [
        UnitProgress(
            assessment_id=row["pk"],
            unit_id=row["unit_id"],
            unit_name=row["unit__name"],
            state=row["state"],
            answered=row["answered"],
            total=total,
            missing_evidence=row["missing_evidence"],
            late=past_deadline and row["state"] in NOT_CONFIRMED,
        )
        for row in rows
    ]
    by_state = dict.fromkeys(AssessmentState.values, 0)
    for unit in units:
        by_state[unit.state] += 1
    return CampaignProgress(by_state=by_state, units=units, deadline=deadline)


# --- assessments and responses -------------------------------------------------


def editable_indicator_ids(*, user, assessment: Assessment) -> frozenset[int] | None:
    """Indicators ``user`` may edit in ``assessment``: None means all, else the assigned ones.

    The same rule as ``permissions.can_edit_response``, for a whole page in one query.
    """
    if is_unit_officer_of(user, assessment):
        return None
    if not is_department_officer_of(user, assessment):
        return frozenset()
    return frozenset(
        DepartmentAssignment.objects.filter(
            campaign_id=assessment.campaign_id, agency_id=user.agency_id
        ).values_list("indicator_id", flat=True)
    )


def assessment_transitions(*, assessment: Assessment) -> QuerySet:
    return AssessmentTransition.objects.filter(assessment=assessment).select_related("by")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: Any
    what: str  # "inputs", "self_score", "note" or "evidence"
    before: Any
    after: Any


RESPONSE_FIELDS = ("inputs", "self_score", "note")
BLANK_RESPONSE = {"inputs": {}, "self_score": None, "note": ""}


def response_history(*, response: Response) -> list[HistoryEntry]:
    """Every change of the response's inputs, score, note and evidence, oldest first: 2 queries.

    Responses are created blank in bulk, so the first change is compared with a blank response.
    """
    entries = []
    previous = BLANK_RESPONSE
    for record in response.history.select_related("history_user").order_by(
        "history_date", "history_id"
    ):
        current = {name: getattr(record, name) for name in RESPONSE_FIELDS}
        for name in RESPONSE_FIELDS:
            if current[name] != previous[name]:
                entries.append(
                    HistoryEntry(
                        at=record.history_date,
                        by=record.history_user,
                        what=name,
                        before=previous[name],
                        after=current[name],
                    )
                )
        previous = current
    evidence_records = (
        Evidence.history.filter(response_id=response.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record in evidence_records:
        if record.history_type == "+":
            before, after = None, str(record.instance)
        elif record.history_type == "-":
            before, after = str(record.instance), None
        else:
            continue
        entries.append(
            HistoryEntry(
                at=record.history_date,
                by=record.history_user,
                what="evidence",
                before=before,
                after=after,
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


def reminder_recipients(*, unit_ids) -> dict[int, list[str]]:
    """E-mail addresses of the officers and leaders acting for each unit, in 1 query."""
    people = (
        User.objects.filter(
            is_active=True,
            groups__name__in=[Role.UNIT_OFFICER, Role.UNIT_LEADER],
        )
        .filter(Q(unit_id__in=unit_ids, agency__isnull=True) | Q(agency__unit_id__in=unit_ids))
        .exclude(email="")
        .values_list("email", "unit_id", "agency__unit_id")
        .distinct()
    )
    found = defaultdict(set)
    for email, unit_id, agency_unit_id in people:
        found[unit_id or agency_unit_id].add(email)
    return {unit_id: sorted(emails) for unit_id, emails in found.items()}
