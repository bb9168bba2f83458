"""Reads on councils, assignments and appraisals, shaped for services, hooks and pages.

Every read here is a fixed number of queries, whatever the number of units,
indicators or members: a province's campaign has thousands of responses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import gettext

from assessments import provenance
from assessments.models import Assessment, AssessmentState, Response
from dti.paging import Page, page_number
from indicators.models import Indicator, natural_key
from providers.provenance import FIELDS as PROVIDED_FIELDS
from providers.provenance import provided_of, with_provided

from .models import (
    Appraisal,
    Assignment,
    Council,
    CouncilMember,
    Explanation,
    ExplanationStatus,
    Round,
)
from .permissions import appraisable_responses, conflict_unit_ids, covering_assignments


def council_of(campaign) -> Council | None:
    return Council.objects.filter(campaign=campaign).first()


def _submitted_explanation() -> Exists:
    return Exists(
        Explanation.objects.filter(response=OuterRef("pk"), status=ExplanationStatus.SUBMITTED)
    )


def _has_appraisal(round_: int) -> Exists:
    return Exists(Appraisal.objects.filter(response=OuterRef("pk"), round=round_))


# --- what closing a round needs ---------------------------------------------------


@dataclass(frozen=True)
class MissingScore:
    """An indicator of one unit still without its score, and who is assigned to it."""

    code: str
    owners: list[str]

    def __str__(self):
        if self.owners:
            return f"{self.code} — {' / '.join(self.owners)}"
        return gettext("%(code)s — not assigned") % {"code": self.code}


def _owners(assessment: Assessment, indicator_ids) -> dict[int, list[str]]:
    """Names of the non-conflicted members assigned to each indicator in the unit: 1 query."""
    rows = (
        covering_assignments(unit=assessment.unit_id)
        .filter(
            member__council__campaign_id=assessment.campaign_id,
            indicator_id__in=indicator_ids,
        )
        .values_list("indicator_id", "member__user__full_name", "member__user__username")
        .distinct()
    )
    owners = defaultdict(set)
    for indicator_id, full_name, username in rows:
        owners[indicator_id].add(full_name or username)
    return {pk: sorted(names) for pk, names in owners.items()}


def _missing(assessment: Assessment, responses) -> list[MissingScore]:
    found = list(responses.values_list("indicator_id", "indicator__code"))
    owners = _owners(assessment, [indicator_id for indicator_id, _code in found])
    missing = [MissingScore(code, owners.get(indicator_id, [])) for indicator_id, code in found]
    return sorted(missing, key=lambda item: natural_key(item.code))


def round_one_missing(*, assessment: Assessment) -> list[MissingScore]:
    """Indicators of the unit without any round-1 appraisal, with their owners: 2 queries."""
    responses = Response.objects.filter(assessment=assessment).exclude(_has_appraisal(Round.ONE))
    return _missing(assessment, responses)


def round_two_missing(*, assessment: Assessment) -> list[MissingScore]:
    """Disputed indicators of the unit without a round-2 appraisal, with their owners."""
    responses = (
        Response.objects.filter(assessment=assessment)
        .filter(_submitted_explanation())
        .exclude(_has_appraisal(Round.TWO))
    )
    return _missing(assessment, responses)


def _as_texts(assessment: Assessment, missing: list[MissingScore]) -> list[str]:
    # Without a council nobody can own anything yet: the bare codes say it all.
    if not Council.objects.filter(campaign_id=assessment.campaign_id).exists():
        return [item.code for item in missing]
    return [str(item) for item in missing]


def round_one_missing_texts(assessment: Assessment) -> list[str]:
    """The ``round_one_missing`` hook of ``assessments.selectors``: "code — owners"."""
    return _as_texts(assessment, round_one_missing(assessment=assessment))


def round_two_missing_texts(assessment: Assessment) -> list[str]:
    """The ``round_two_missing`` hook of ``assessments.selectors``: "code — owners"."""
    return _as_texts(assessment, round_two_missing(assessment=assessment))


def is_disputed(response: Response) -> bool:
    return Explanation.objects.filter(
        response=response, status=ExplanationStatus.SUBMITTED
    ).exists()


# --- scores ----------------------------------------------------------------------


@dataclass(frozen=True)
class AppraisedValue:
    score: Decimal
    comment: str
    by: str


@dataclass(frozen=True)
class FinalScore:
    """Self, round-1, round-2 and final score of one indicator of one unit."""

    response_id: int
    indicator_id: int
    code: str
    name: str
    max_points: Decimal
    self_score: Decimal | None
    round_1: AppraisedValue | None
    round_2: AppraisedValue | None
    disputed: bool
    # Where the unit's inputs came from (assessments.provenance), and the indicator.
    provenance: Any = None
    indicator: Any = None

    @property
    def final(self) -> Decimal | None:
        """The latest appraisal; an undisputed indicator keeps its round-1 score."""
        latest = self.round_2 or self.round_1
        return latest.score if latest else None


def _latest_appraisals(responses) -> dict[tuple[int, int], AppraisedValue]:
    """The latest appraisal of each (response, round): 1 query."""
    rows = (
        Appraisal.objects.filter(response__in=responses)
        .order_by("updated_at", "pk")
        .values_list(
            "response_id",
            "round",
            "score",
            "comment",
            "member__user__full_name",
            "member__user__username",
        )
    )
    latest = {}
    for response_id, round_, score, comment, full_name, username in rows:
        latest[(response_id, round_)] = AppraisedValue(score, comment, full_name or username)
    return latest


def final_scores(*, assessment: Assessment) -> list[FinalScore]:
    """Every indicator of the unit with its self, round-1, round-2 and final score: 2 queries."""
    responses = with_provided(
        Response.objects.filter(assessment=assessment)
        .select_related("indicator", "inputs_agency", "updated_by")
        .annotate(disputed=_submitted_explanation())
    )
    appraised = _latest_appraisals(Response.objects.filter(assessment=assessment).values("pk"))
    rows = [
        FinalScore(
            response_id=response.pk,
            indicator_id=response.indicator_id,
            code=response.indicator.code,
            name=response.indicator.name,
            max_points=response.indicator.max_points,
            self_score=response.self_score,
            round_1=appraised.get((response.pk, Round.ONE)),
            round_2=appraised.get((response.pk, Round.TWO)),
            disputed=response.disputed,
            provenance=provenance.of_response(response, provided=provided_of(response)),
            indicator=response.indicator,
        )
        for response in responses
    ]
    return sorted(rows, key=lambda row: natural_key(row.code))


# --- coverage and load ----------------------------------------------------------


@dataclass(frozen=True)
class Uncovered:
    """An indicator that nobody may appraise in some (or all) of the assessed units."""

    indicator_id: int
    code: str
    name: str
    units: list[str]
    all_units: bool


@dataclass(frozen=True)
class MemberLoad:
    member: CouncilMember
    indicators: int  # assigned indicators
    cells: int  # unit × indicator pairs to appraise, own units excluded
    appraised: int  # round-1 appraisals recorded


@dataclass(frozen=True)
class Coverage:
    uncovered: list[Uncovered] = field(default_factory=list)
    loads: list[MemberLoad] = field(default_factory=list)

    @property
    def unassigned_codes(self) -> list[str]:
        return [item.code for item in self.uncovered]


def coverage(*, council: Council) -> Coverage:
    """Indicators left without an appraiser (per unit) and each member's load: 5 queries."""
    campaign_id = council.campaign_id
    covering = covering_assignments(
        indicator=OuterRef("indicator_id"), unit=OuterRef("assessment__unit_id")
    ).filter(member__council=council)
    uncovered_rows = (
        Response.objects.filter(assessment__campaign_id=campaign_id)
        .exclude(Exists(covering))
        .values_list("indicator_id", "indicator__code", "indicator__name", "assessment__unit__name")
    )
    assessed_units = set(
        Assessment.objects.filter(campaign_id=campaign_id).values_list("unit_id", flat=True)
    )
    by_indicator: dict[int, dict[str, Any]] = {}
    for indicator_id, code, name, unit_name in uncovered_rows:
        entry = by_indicator.setdefault(indicator_id, {"code": code, "name": name, "units": []})
        entry["units"].append(unit_name)
    uncovered = sorted(
        (
            Uncovered(
                indicator_id=indicator_id,
                code=entry["code"],
                name=entry["name"],
                units=sorted(entry["units"]),
                all_units=len(entry["units"]) == len(assessed_units),
            )
            for indicator_id, entry in by_indicator.items()
        ),
        key=lambda item: natural_key(item.code),
    )

    members = list(
        CouncilMember.objects.filter(council=council).select_related("user", "user__agency")
    )
    assignments = (
        Assignment.objects.filter(member__council=council)
        .annotate(n_units=Count("units"))
        .values_list("member_id", "n_units")
    )
    per_member = defaultdict(list)
    for member_id, n_units in assignments:
        per_member[member_id].append(n_units)
    appraised = dict(
        Appraisal.objects.filter(member__council=council, round=Round.ONE)
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    loads = []
    for member in members:
        all_units = len(assessed_units - conflict_unit_ids(member.user))
        counts = per_member.get(member.pk, [])
        loads.append(
            MemberLoad(
                member=member,
                indicators=len(counts),
                cells=sum(n or all_units for n in counts),
                appraised=appraised.get(member.pk, 0),
            )
        )
    return Coverage(uncovered=uncovered, loads=loads)


# --- the member's workbench ------------------------------------------------------


@dataclass(frozen=True)
class WorkbenchRow:
    """One unit × one assigned indicator, as the member appraises it."""

    response_id: int
    assessment_id: int
    unit_id: int
    unit_name: str
    state: str
    indicator_id: int
    code: str
    name: str
    max_points: Decimal
    method: str
    self_inputs: dict
    self_score: Decimal | None
    round_1: AppraisedValue | None
    round_2: AppraisedValue | None
    disputed: bool
    provenance: Any = None  # where the unit's inputs came from (assessments.provenance)

    @property
    def final(self) -> Decimal | None:
        latest = self.round_2 or self.round_1
        return latest.score if latest else None

    @property
    def differs_from_self(self) -> bool:
        return self.final is not None and self.final != self.self_score

    @property
    def awaiting_round(self) -> int | None:
        """The round this row still waits for (None: nothing to do now)."""
        if self.state == AssessmentState.CONFIRMED and self.round_1 is None:
            return Round.ONE
        if self.state == AssessmentState.EXPLANATION and self.disputed and self.round_2 is None:
            return Round.TWO
        return None


# The same rules as ``WorkbenchRow``'s properties, in SQL, over responses annotated by
# ``_flagged`` (``final_score`` only where ``differs`` asks for it).
IN_ROUND_TWO = Q(assessment__state=AssessmentState.EXPLANATION, disputed=True)
AWAITING = Q(assessment__state=AssessmentState.CONFIRMED, has_round_1=False) | (
    IN_ROUND_TWO & Q(has_round_2=False)
)
DIFFERS = Q(final_score__isnull=False) & (
    Q(self_score__isnull=True)
    | Q(final_score__lt=F("self_score"))
    | Q(final_score__gt=F("self_score"))
)


# What ``_provenance_of_values`` reads of each row, besides its inputs and self score.
PROVENANCE_VALUES = (
    "inputs_source",
    "inputs_agency__name",
    "provided_change_note",
    "updated_at",
    "updated_by__full_name",
    "updated_by__username",
    *PROVIDED_FIELDS,
)


def _provenance_of_values(row: dict):
    found = provenance.build(
        source=row["inputs_source"],
        inputs=row["inputs"],
        agency=row["inputs_agency__name"] or "",
        by=row["updated_by__full_name"] or row["updated_by__username"] or "",
        at=row["updated_at"],
        note=row["provided_change_note"],
        provided=provided_of(row),
        entered=bool(row["inputs"]) or row["self_score"] is not None,
    )
    return provenance.shown(found)


def _final_score() -> Subquery:
    """The latest appraisal's score: round 2's if there is one, else round 1's."""
    return Subquery(
        Appraisal.objects.filter(response=OuterRef("pk"))
        .order_by("-round", "-updated_at", "-pk")
        .values("score")[:1]
    )


def _flagged(responses, *, final: bool = False):
    flagged = responses.annotate(
        disputed=_submitted_explanation(),
        has_round_1=_has_appraisal(Round.ONE),
        has_round_2=_has_appraisal(Round.TWO),
    )
    return flagged.annotate(final_score=_final_score()) if final else flagged


def _row_filter(*, pillar=None, differs_from_self=False, not_yet_appraised=False) -> Q | None:
    """The rows the filters keep, as one condition (None: every row)."""
    conditions = []
    if pillar is not None:
        conditions.append(Q(indicator__pillar=pillar))
    if differs_from_self:
        conditions.append(DIFFERS)
    if not_yet_appraised:
        conditions.append(AWAITING)
    if not conditions:
        return None
    found = conditions[0]
    for condition in conditions[1:]:
        found &= condition
    return found


def _appraisable(member: CouncilMember, scope: Q | None):
    if scope is None:
        return appraisable_responses(member)
    return Response.objects.filter(scope)


def member_workbench(
    *,
    member: CouncilMember,
    unit=None,
    assessment_ids=None,
    response_ids=None,
    pillar=None,
    differs_from_self: bool = False,
    not_yet_appraised: bool = False,
    scope: Q | None = None,
) -> list[WorkbenchRow]:
    """The member's rows (unit × assigned indicator, own units never): 2 queries.

    ``unit``, ``assessment_ids`` (a page of units) and ``response_ids`` narrow
    them down; ``differs_from_self`` keeps rows whose latest appraisal differs
    from the self score; ``not_yet_appraised`` keeps rows still waiting for the
    round the unit is in (round 1 while Confirmed, round 2 for disputed ones).
    The filters run in the database, as the page's unit list counts them.
    ``scope``: the member's ``appraisable_condition`` when the caller has it.
    """
    responses = _appraisable(member, scope)
    if unit is not None:
        responses = responses.filter(assessment__unit=unit)
    if assessment_ids is not None:
        responses = responses.filter(assessment_id__in=list(assessment_ids))
    if response_ids is not None:
        responses = responses.filter(pk__in=list(response_ids))
    kept = _row_filter(
        pillar=pillar, differs_from_self=differs_from_self, not_yet_appraised=not_yet_appraised
    )
    responses = _flagged(responses, final=differs_from_self)
    if kept is not None:
        responses = responses.filter(kept)
    rows_qs = with_provided(responses).values(
        *PROVENANCE_VALUES,
        "pk",
        "assessment_id",
        "assessment__unit_id",
        "assessment__unit__name",
        "assessment__state",
        "indicator_id",
        "indicator__code",
        "indicator__name",
        "indicator__max_points",
        "indicator__method",
        "inputs",
        "self_score",
        "disputed",
    )
    rows = list(rows_qs)
    # By the rows' own ids: the planner guesses badly how many responses the subquery keeps.
    appraised = _latest_appraisals([row["pk"] for row in rows])
    result = [
        WorkbenchRow(
            response_id=row["pk"],
            assessment_id=row["assessment_id"],
            unit_id=row["assessment__unit_id"],
            unit_name=row["assessment__unit__name"],
            state=row["assessment__state"],
            indicator_id=row["indicator_id"],
            code=row["indicator__code"],
            name=row["indicator__name"],
            max_points=row["indicator__max_points"],
            method=row["indicator__method"],
            self_inputs=row["inputs"],
            self_score=row["self_score"],
            round_1=appraised.get((row["pk"], Round.ONE)),
            round_2=appraised.get((row["pk"], Round.TWO)),
            disputed=row["disputed"],
            provenance=_provenance_of_values(row),
        )
        for row in rows
    ]
    return sorted(result, key=lambda item: (item.unit_name, natural_key(item.code)))


def indicators_of(council: Council):
    return Indicator.objects.filter(pillar__indicator_set_id=council.campaign.indicator_set_id)


# --- the pages ---------------------------------------------------------------------


def memberships_of(user) -> list[CouncilMember]:
    """The person's memberships, newest campaign first: 1 query."""
    if not (user and user.is_authenticated):
        return []
    return list(
        CouncilMember.objects.filter(user=user)
        .select_related("council__campaign", "council__campaign__organizing_unit")
        .order_by("-council__campaign__year", "-council__campaign_id")
    )


def member_candidates(council: Council):
    """Active people of agencies not yet in the council."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, agency__isnull=False)
        .exclude(council_memberships__council=council)
        .select_related("agency")
        .order_by("agency__name", "full_name", "username")
    )


def council_members(council: Council) -> list[CouncilMember]:
    return list(
        CouncilMember.objects.filter(council=council)
        .select_related("user", "user__agency", "user__unit")
        .annotate(n_appraisals=Count("appraisals", distinct=True))
        .order_by("role", "user__full_name", "user__username")
    )


@dataclass(frozen=True)
class MatrixCell:
    member_id: int
    indicator_id: int
    assigned: bool
    units: list[str]  # empty: every unit


@dataclass
class MatrixRow:
    indicator: Indicator
    cells: list[MatrixCell]


@dataclass
class MatrixPillar:
    pillar: Any
    rows: list[MatrixRow]


@dataclass
class Matrix:
    members: list[CouncilMember]
    pillars: list[MatrixPillar]


def assignment_matrix(*, council: Council) -> Matrix:
    """Indicators grouped by pillar × members, with each assignment's units: 4 queries."""
    from indicators.models import Pillar

    members = list(
        CouncilMember.objects.filter(council=council)
        .select_related("user", "user__agency")
        .order_by("role", "user__full_name", "user__username")
    )
    pillars = sorted(
        Pillar.objects.filter(indicator_set_id=council.campaign.indicator_set_id),
        key=lambda p: natural_key(p.code),
    )
    by_pillar = defaultdict(list)
    for indicator in indicators_of(council):
        by_pillar[indicator.pillar_id].append(indicator)
    assigned: dict[tuple[int, int], list[str]] = {}
    for assignment in Assignment.objects.filter(member__council=council).prefetch_related("units"):
        assigned[(assignment.member_id, assignment.indicator_id)] = sorted(
            unit.name for unit in assignment.units.all()
        )

    def row(indicator) -> MatrixRow:
        return MatrixRow(
            indicator,
            [
                MatrixCell(
                    member.pk,
                    indicator.pk,
                    (member.pk, indicator.pk) in assigned,
                    assigned.get((member.pk, indicator.pk), []),
                )
                for member in members
            ],
        )

    return Matrix(
        members=members,
        pillars=[
            MatrixPillar(
                p, [row(i) for i in sorted(by_pillar[p.pk], key=lambda i: natural_key(i.code))]
            )
            for p in pillars
        ],
    )


def campaign_assessments(*, council: Council) -> list[Assessment]:
    """The campaign's assessments with their units, by unit name: 1 query."""
    return list(
        Assessment.objects.filter(campaign_id=council.campaign_id)
        .select_related("unit")
        .order_by("unit__name")
    )


def evidence_by_response(response_ids) -> dict[int, list]:
    """Every evidence item of the responses, oldest first: 1 query."""
    from assessments.models import Evidence

    found = defaultdict(list)
    for item in Evidence.objects.filter(response_id__in=list(response_ids)).order_by(
        "created_at", "pk"
    ):
        found[item.response_id].append(item)
    return found


def explanations_by_response(response_ids) -> dict[int, Explanation]:
    """The units' explanations of the responses: 1 query."""
    return {
        item.response_id: item
        for item in Explanation.objects.filter(response_id__in=list(response_ids))
    }


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    unit_name: str
    total: int
    done: int
    assessment_id: int | None = None

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 100


# A page of the workbench holds about this many rows: as many whole units as fit (a
# member assigned a pillar everywhere has ~10 rows a unit, one assigned everything ~80).
WORKBENCH_ROWS_PER_PAGE = 30
WORKBENCH_MAX_UNITS_PER_PAGE = 20
WORKBENCH_PAGE_PARAMETER = "trang"


@dataclass(frozen=True)
class WorkbenchUnits:
    """One page of the member's units, each with its progress.

    ``assigned``: the member has rows somewhere (else the page says nothing is
    assigned yet). The overall progress is ``workbench_progress``: the page
    asks for it on its own.
    """

    units: list[UnitProgress]
    page: Page
    assigned: bool


# Progress: a row is done once the round it needs has a score (``WorkbenchRow``: round 2
# for a disputed indicator of a unit in Explanation, round 1 otherwise).
#
# Whether a row needs round 2 is asked of its explanation with the unit's state tested
# inside the subquery (an outer column against a constant): PostgreSQL skips the look-up
# outside Explanation (about 5 % of a campaign's units).
NEEDS_ROUND_TWO = Exists(
    Explanation.objects.filter(
        Exact(OuterRef("assessment__state"), AssessmentState.EXPLANATION),
        response=OuterRef("pk"),
        status=ExplanationStatus.SUBMITTED,
    )
)
ROUND_NEEDED = Case(When(NEEDS_ROUND_TWO, then=Value(Round.TWO)), default=Value(Round.ONE))


def _appraised(round_) -> Exists:
    """An appraisal of the row in that round, whoever recorded it (an index look-up)."""
    return Exists(Appraisal.objects.filter(response=OuterRef("pk"), round=round_))


def _with_round_done(responses):
    return responses.annotate(round_needed=ROUND_NEEDED).annotate(
        round_done=_appraised(OuterRef("round_needed"))
    )


def _rows(condition: Q | None = None) -> Count:
    return Count("pk", filter=condition)


def workbench_progress(*, member: CouncilMember, scope: Q | None = None) -> UnitProgress:
    """The member's progress over all their rows, whatever the filters: 1 query.

    One aggregate with a look-up per row (the round the row needs has a score,
    whoever recorded it): for a member assigned a pillar in every commune of
    the country, 33,000 look-ups. ``scope``: as for ``member_workbench``.
    """
    found = _with_round_done(_appraisable(member, scope)).aggregate(
        total=_rows(), done=_rows(Q(round_done=True))
    )
    return UnitProgress(0, "", found["total"], found["done"])


def _first_of_unit(responses) -> Subquery:
    """The unit's first row among ``responses`` (None: it has none), asked per unit.

    A scalar subquery, so the database looks into each unit's own rows and
    stops at the first: never a count of every row, nor a hash of every row of
    the indicators (which other campaigns on the same indicator set share).
    """
    return Subquery(responses.filter(assessment=OuterRef("pk")).values("pk")[:1])


def _kept(responses, *, pillar, differs_from_self: bool, not_yet_appraised: bool):
    """The unit's first row that the filters (``member_workbench``'s) keep, or None."""
    if pillar is not None:
        responses = responses.filter(indicator__pillar=pillar)
    if differs_from_self:
        # Whether the latest appraisal differs: each row's own test, only when asked.
        kept = _row_filter(differs_from_self=True, not_yet_appraised=not_yet_appraised)
        return _first_of_unit(_flagged(responses, final=True).filter(kept))
    if not not_yet_appraised:
        return _first_of_unit(responses)
    # "Not yet appraised" (``AWAITING``): only units in Confirmed or Explanation wait.
    waiting_one = responses.filter(~_appraised(Round.ONE))
    waiting_two = responses.filter(explanation__status=ExplanationStatus.SUBMITTED).filter(
        ~_appraised(Round.TWO)
    )
    return Case(
        When(state=AssessmentState.CONFIRMED, then=_first_of_unit(waiting_one)),
        When(state=AssessmentState.EXPLANATION, then=_first_of_unit(waiting_two)),
        default=Value(None),
    )


def workbench_units(
    *,
    member: CouncilMember,
    page: str | None = None,
    name: str = "",
    pillar=None,
    differs_from_self: bool = False,
    not_yet_appraised: bool = False,
    scope: Q | None = None,
) -> WorkbenchUnits:
    """One page of the member's units, each with its progress: 2 queries (1 if none is listed).

    The first lists the campaign's units with, for each, whether the member has
    a row there, whether one waits for round 2 (a disputed indicator of a unit
    in Explanation) and whether the filters (``member_workbench``'s) keep one:
    a look-up in the unit's own rows that stops at the first found, not a count.
    The units listed are those with a row the filters keep and whose name
    contains ``name``: the units waiting for round 2 first, then by name, as
    many a page as make about ``WORKBENCH_ROWS_PER_PAGE`` rows (a unit has a
    row per indicator assigned to the member). The second counts the rows and
    those done (the round the row needs has a score, whoever recorded it) of
    the page's units only. ``scope``: as for ``member_workbench``.
    """
    responses = _appraisable(member, scope)
    filtered = differs_from_self or not_yet_appraised or pillar is not None
    found = {
        "mine": _first_of_unit(responses),
        "round_two": Case(
            When(
                state=AssessmentState.EXPLANATION,
                then=_first_of_unit(
                    responses.filter(explanation__status=ExplanationStatus.SUBMITTED)
                ),
            ),
            default=Value(None),
        ),
        # Rows a unit has: one per indicator assigned (the page's size, not a figure shown).
        "indicators": Subquery(
            Assignment.objects.filter(member=member)
            .values("member")
            .annotate(n=Count("indicator", distinct=True))
            .values("n")
        ),
    }
    if filtered:
        found["kept"] = _kept(
            responses,
            pillar=pillar,
            differs_from_self=differs_from_self,
            not_yet_appraised=not_yet_appraised,
        )
    units_of_campaign = (
        Assessment.objects.filter(campaign_id=member.council.campaign_id)
        .annotate(**found)
        .order_by("unit__name", "pk")
        .values("pk", "unit_id", "unit__name", *found)
    )
    every = [row for row in units_of_campaign if row["mine"] is not None]
    needle = name.casefold()
    listed = [
        row
        for row in every
        if (not filtered or row["kept"] is not None)
        and (not needle or needle in row["unit__name"].casefold())
    ]
    # The units waiting for round 2 first; by name within each part (a stable sort).
    listed.sort(key=lambda row: row["round_two"] is None)
    rows_per_unit = max(1, every[0]["indicators"] or 1) if every else 1
    per_page = max(1, min(WORKBENCH_MAX_UNITS_PER_PAGE, WORKBENCH_ROWS_PER_PAGE // rows_per_unit))
    number, pages = page_number(page, total=len(listed), per_page=per_page)
    start = (number - 1) * per_page
    shown = listed[start : start + per_page]
    counted = {}
    if shown:
        counted = {
            assessment_id: (total, done)
            for assessment_id, total, done in _with_round_done(responses)
            .filter(assessment_id__in=[row["pk"] for row in shown])
            .values("assessment_id")
            .annotate(total=_rows(), done=_rows(Q(round_done=True)))
            .values_list("assessment_id", "total", "done")
        }
    units = [
        UnitProgress(
            unit_id=row["unit_id"],
            unit_name=row["unit__name"],
            total=counted.get(row["pk"], (0, 0))[0],
            done=counted.get(row["pk"], (0, 0))[1],
            assessment_id=row["pk"],
        )
        for row in shown
    ]
    return WorkbenchUnits(
        units=units,
        page=Page(
            kind="units",
            label=gettext("Units to appraise"),
            number=number,
            pages=pages,
            total=len(listed),
            per_page=per_page,
            shown=len(units),
            parameter=WORKBENCH_PAGE_PARAMETER,
            noun="units",
        ),
        assigned=bool(every),
    )


def workbench_unit(*, member: CouncilMember, asked: str | None):
    """The unit asked for (``?unit=``) if the member may appraise there, else None: 0–1 query."""
    asked = (asked or "").strip()
    if not (asked.isascii() and asked.isdigit()):
        return None
    found = (
        Assessment.objects.filter(campaign_id=member.council.campaign_id, unit_id=int(asked))
        .exclude(unit_id__in=conflict_unit_ids(member.user))
        .select_related("unit")
        .first()
    )
    return found.unit if found else None
