"""The appraisal pages: the council, the assignment matrix, the member's workbench,
closing the rounds, the unit's explanation and the appraisal results.

Thin views: they find the objects (404 for whoever may not see them, as
``permissions`` says), turn forms into the services' arguments and show the
services' refusals unchanged. Reads come from ``selectors``.
"""

from __future__ import annotations

import base64
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from assessments import permissions as assessment_permissions
from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments import windows
from assessments.forms import ResponseForm
from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    Campaign,
    PhaseKind,
    Response,
)
from assessments.views import _inputs_text, evidence_add_from_post, refusal_messages
from indicators.models import Pillar

from . import excel, permissions, selectors, services
from .forms import (
    AppraisalForm,
    AssignForm,
    CouncilForm,
    ExplanationForm,
    ImportForm,
    MemberAddForm,
    MemberRoleForm,
)
from .models import EXPLANATION_MAX_CHARS, CouncilMember, Round

IMPORT_SESSION_KEY = "councils_import_%s"
UNIT_SEES_SCORES = (
    AssessmentState.EXPLANATION,
    AssessmentState.APPRAISED_2,
    AssessmentState.PUBLISHED,
)


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("organizing_unit", "indicator_set"), pk=pk
    )


def _council_or_404(campaign: Campaign):
    council = selectors.council_of(campaign)
    if council is None:
        raise Http404
    council.campaign = campaign
    return council


# --- the member's list of councils ------------------------------------------------------


@login_required
def my_councils(request):
    memberships = selectors.memberships_of(request.user)
    return render(request, "councils/my_councils.html", {"memberships": memberships})


# --- 1. the council and its members (organizer) ---------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def council_manage(request, campaign_pk):
    campaign = _campaign(campaign_pk)
    if not permissions.can_manage_council(request.user, campaign):
        raise Http404
    council = selectors.council_of(campaign)
    errors: list[str] = []
    council_form = CouncilForm(request.POST if request.POST.get("action") == "create" else None)
    add_form = None
    if council is not None:
        council.campaign = campaign
        add_form = MemberAddForm(
            request.POST if request.POST.get("action") == "add" else None,
            candidates=selectors.member_candidates(council),
        )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create" and council is None:
                if council_form.is_valid():
                    services.council_create(
                        campaign=campaign,
                        user=request.user,
                        decision_number=council_form.cleaned_data["decision_number"],
                        decision_date=council_form.cleaned_data["decision_date"],
                    )
                    messages.success(request, _("The appraisal council has been formed."))
                    return redirect("councils:council_manage", campaign_pk=campaign.pk)
            elif action == "add" and council is not None:
                if add_form.is_valid():
                    services.member_add(
                        council=council,
                        user=request.user,
                        member_user=add_form.cleaned_data["user"],
                        role=add_form.cleaned_data["role"],
                    )
                    messages.success(request, _("The member has been added."))
                    return redirect("councils:council_manage", campaign_pk=campaign.pk)
            elif action in ("role", "remove") and council is not None:
                member = get_object_or_404(
                    CouncilMember.objects.select_related("council__campaign", "user"),
                    pk=request.POST.get("member"),
                    council=council,
                )
                if action == "remove":
                    services.member_remove(member=member, user=request.user)
                    messages.success(request, _("The member has been removed."))
                    return redirect("councils:council_manage", campaign_pk=campaign.pk)
                role_form = MemberRoleForm(request.POST)
                if role_form.is_valid():
                    services.member_set_role(
                        member=member, user=request.user, role=role_form.cleaned_data["role"]
                    )
                    messages.success(request, _("The role has been changed."))
                    return redirect("councils:council_manage", campaign_pk=campaign.pk)
                errors += [e for es in role_form.errors.values() for e in es]
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            errors += refusal_messages(exc)
    return render(
        request,
        "councils/council_manage.html",
        {
            "campaign": campaign,
            "council": council,
            "council_form": council_form,
            "add_form": add_form,
            "members": selectors.council_members(council) if council else [],
            "role_choices": MemberRoleForm.base_fields["role"].choices,
            "errors": errors,
        },
    )


# --- 2. the assignment matrix ------------------------------------------------------------


def _assigning(request, campaign_pk):
    campaign = _campaign(campaign_pk)
    council = selectors.council_of(campaign)
    if council is None:
        if permissions.can_manage_council(request.user, campaign):
            return campaign, None
        raise Http404
    council.campaign = campaign
    if not permissions.can_assign(request.user, council):
        raise Http404
    return campaign, council


def _assign_form(council, data=None) -> AssignForm:
    return AssignForm(
        data,
        members=CouncilMember.objects.filter(council=council).select_related("user__agency"),
        pillars=Pillar.objects.filter(indicator_set_id=council.campaign.indicator_set_id),
        indicators=selectors.indicators_of(council),
        units=AdministrativeUnit.objects.filter(
            assessments__campaign_id=council.campaign_id
        ).order_by("name"),
    )


def _matrix_context(request, campaign, council, **extra) -> dict:
    return {
        "campaign": campaign,
        "council": council,
        "matrix": selectors.assignment_matrix(council=council),
        "coverage": selectors.coverage(council=council),
        "assign_form": extra.pop("assign_form", None) or _assign_form(council),
        "import_form": extra.pop("import_form", None) or ImportForm(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def assignment_matrix(request, campaign_pk):
    campaign, council = _assigning(request, campaign_pk)
    if council is None:
        messages.info(request, _("Form the appraisal council first."))
        return redirect("councils:council_manage", campaign_pk=campaign.pk)
    extra: dict = {"errors": []}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("assign", "unassign"):
                form = _assign_form(council, request.POST)
                extra["assign_form"] = form
                if form.is_valid():
                    data = form.cleaned_data
                    pillars = [data["pillar"]] if data["pillar"] else []
                    if action == "assign":
                        services.assignment_set(
                            council=council,
                            user=request.user,
                            member=data["member"],
                            indicators=data["indicators"],
                            pillars=pillars,
                            units=data["units"],
                        )
                        messages.success(request, _("The indicators have been assigned."))
                    else:
                        services.assignment_remove(
                            council=council,
                            user=request.user,
                            member=data["member"],
                            indicators=data["indicators"],
                            pillars=pillars,
                        )
                        messages.success(request, _("The assignments have been removed."))
                    return redirect("councils:assignment_matrix", campaign_pk=campaign.pk)
                extra["errors"] += [e for es in form.errors.values() for e in es]
            elif action == "toggle":
                member_pk, _sep, indicator_pk = request.POST.get("cell", "").partition(":")
                member = get_object_or_404(CouncilMember, pk=member_pk or 0, council=council)
                indicator = get_object_or_404(
                    selectors.indicators_of(council), pk=indicator_pk or 0
                )
                if member.assignments.filter(indicator=indicator).exists():
                    services.assignment_remove(
                        council=council, user=request.user, member=member, indicators=[indicator]
                    )
                else:
                    services.assignment_set(
                        council=council, user=request.user, member=member, indicators=[indicator]
                    )
                return redirect(
                    f"{request.path}#pillar-{indicator.pillar_id}",
                )
            elif action == "propose":
                extra["proposal"] = services.assignment_propose_from_verifiers(
                    council=council, user=request.user
                )
            elif action == "propose_apply":
                proposal = services.assignment_propose_from_verifiers(
                    council=council, user=request.user
                )
                services.assignments_apply(
                    council=council, user=request.user, planned=proposal.planned
                )
                messages.success(
                    request,
                    _("%(count)s proposed assignments have been applied.")
                    % {"count": len(proposal.planned)},
                )
                return redirect("councils:assignment_matrix", campaign_pk=campaign.pk)
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            extra["errors"] += refusal_messages(exc)
    return render(
        request,
        "councils/assignment_matrix.html",
        _matrix_context(request, campaign, council, **extra),
    )


@login_required
def assignment_export(request, campaign_pk):
    campaign, council = _assigning(request, campaign_pk)
    if council is None:
        raise Http404
    content = excel.export_assignments(council=council)
    result = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    result["Content-Disposition"] = f'attachment; filename="phan-cong-{campaign.pk}.xlsx"'
    return result


@login_required
@require_POST
def assignment_import(request, campaign_pk):
    """Upload → preview of the changes; apply → every change at once, or none."""
    campaign, council = _assigning(request, campaign_pk)
    if council is None:
        raise Http404
    key = IMPORT_SESSION_KEY % council.pk
    if request.POST.get("action") == "apply":
        stored = request.session.get(key)
        if not stored:
            messages.error(request, _("Upload the sheet again: its preview has expired."))
            return redirect("councils:assignment_matrix", campaign_pk=campaign.pk)
        preview = excel.import_preview(
            council=council, fileobj=io.BytesIO(base64.b64decode(stored))
        )
        try:
            excel.import_apply(council=council, user=request.user, preview=preview)
        except (PermissionDenied, ValidationError) as exc:
            return render(
                request,
                "councils/assignment_matrix.html",
                _matrix_context(request, campaign, council, errors=refusal_messages(exc)),
            )
        request.session.pop(key, None)
        messages.success(request, _("The assignment sheet has been applied."))
        return redirect("councils:assignment_matrix", campaign_pk=campaign.pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "councils/assignment_matrix.html",
            _matrix_context(request, campaign, council, import_form=form, errors=[]),
        )
    content = form.cleaned_data["file"].read()
    preview = excel.import_preview(council=council, fileobj=io.BytesIO(content))
    if not preview.errors and preview.has_changes:
        request.session[key] = base64.b64encode(content).decode("ascii")
    return render(
        request,
        "councils/assignment_matrix.html",
        _matrix_context(request, campaign, council, import_preview=preview, errors=[]),
    )


# --- 3. the member's workbench ---------------------------------------------------------


def _membership(request, campaign_pk) -> CouncilMember:
    member = permissions.membership(request.user, campaign_pk)
    if member is None:
        raise Http404
    return member


def _editable_round(row) -> int | None:
    if row.state == AssessmentState.CONFIRMED:
        return Round.ONE
    if row.state == AssessmentState.EXPLANATION and row.disputed:
        return Round.TWO
    return None


class _Line:
    """A workbench row (frozen, from the selector) with what the page adds around it."""

    def __init__(self, row, **extra):
        self.row = row
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self.__dict__["row"], name)


def round_windows_closed(campaign) -> dict[int, str]:
    """Why a round cannot be recorded now, by round (absent: its window is open).

    The services refuse the same; the page asks first so that it offers no form
    that can only be refused.
    """
    closed = {}
    problem = windows.window_problem(campaign, PhaseKind.ROUND_1)
    if problem:
        closed[Round.ONE] = problem
    if not windows.has_closed(campaign, PhaseKind.EXPLANATION):
        closed[Round.TWO] = _("Round-2 appraisal starts once the explanation window has closed.")
    else:
        problem = windows.window_problem(campaign, PhaseKind.ROUND_2)
        if problem:
            closed[Round.TWO] = problem
    return closed


def _decorate(rows, indicators, evidence, explanations, closed=None) -> list[_Line]:
    """What each row shows beside the selector's values: inputs in words, evidence, forms."""
    lines = []
    closed = closed or {}
    for row in rows:
        indicator = indicators[row.indicator_id]
        row_round = _editable_round(row)
        if row_round in closed:
            row_round = None  # its window is not open: no form to be refused
        current = row.round_2 if row_round == Round.TWO else row.round_1
        # The forms only where the row offers one (most rows of a page have nothing to record).
        form = inputs_form = None
        if row_round is not None:
            form = AppraisalForm(
                initial={
                    "score": current.score if current else None,
                    "comment": current.comment if current else "",
                },
                auto_id=f"a{row.response_id}-%s",
            )
            if indicator.method != "manual":
                inputs_form = ResponseForm(
                    None,
                    indicator=indicator,
                    prefix=f"v{row.response_id}",
                    auto_id=f"v{row.response_id}-%s",
                )
        lines.append(
            _Line(
                row,
                indicator=indicator,
                self_text=_inputs_text(indicator, row.self_inputs),
                evidence=evidence.get(row.response_id, []),
                explanation=explanations.get(row.response_id),
                edit_round=row_round,
                form_errors=[],
                saved=False,
                inputs_form=inputs_form,
                form=form,
            )
        )
    return lines


WORKBENCH_NAME_MAX = 100
# ``?progress=overall``: the member's overall progress. Asked by htmx once the page is
# shown, the fragment alone; without JavaScript, the whole page with the figure in it.
WORKBENCH_PROGRESS_PARAMETER = "progress"
WORKBENCH_PROGRESS_OVERALL = "overall"


@login_required
@vary_on_headers("HX-Request")  # ``?progress=overall`` answers htmx with the fragment alone
def workbench(request, campaign_pk):
    """The member's rows, one page of units at a time (``?trang=``), with their progress.

    The filters (unit, unit name, pillar, "differs from self", "not yet
    appraised") stay in the query string, so the pager and the unit links keep
    them; every count is the database's, whatever the number of units. How
    many of all the member's rows are done (a look-up per row: 33,000 for a
    member assigned a pillar in every commune) is its own request
    (``?progress=overall``), which the page makes once it is shown.
    """
    member = _membership(request, campaign_pk)
    council = member.council
    scope = permissions.appraisable_condition(member)
    overall_asked = request.GET.get(WORKBENCH_PROGRESS_PARAMETER) == WORKBENCH_PROGRESS_OVERALL
    if overall_asked and request.htmx:
        return render(
            request,
            "councils/workbench_progress.html",
            {"overall": selectors.workbench_progress(member=member, scope=scope)},
        )
    # The set's indicators with their pillars, in one query: the rows' rules, and the pillar
    # filter (a pillar without indicators has no row to keep).
    indicators = {i.pk: i for i in selectors.indicators_of(council).select_related("pillar")}
    pillars = sorted(
        {i.pillar_id: i.pillar for i in indicators.values()}.values(),
        key=lambda p: [int(x) if x.isdigit() else x for x in p.code.split(".")],
    )
    unit = selectors.workbench_unit(member=member, asked=request.GET.get("unit"))
    pillar = next((p for p in pillars if str(p.pk) == request.GET.get("pillar")), None)
    differs = request.GET.get("differs") == "1"
    pending = request.GET.get("pending") == "1"
    name = " ".join(request.GET.get("q", "").split())[:WORKBENCH_NAME_MAX]
    row_filters = {
        "pillar": pillar,
        "differs_from_self": differs,
        "not_yet_appraised": pending,
        "scope": scope,
    }
    listing = selectors.workbench_units(
        member=member,
        page=request.GET.get(selectors.WORKBENCH_PAGE_PARAMETER),
        name=name,
        **row_filters,
    )
    if unit is not None:
        rows = selectors.member_workbench(member=member, unit=unit, **row_filters)
    else:
        rows = selectors.member_workbench(
            member=member,
            assessment_ids=[item.assessment_id for item in listing.units],
            **row_filters,
        )
        # In the order of the unit list: the units waiting for round 2 first.
        order = {item.assessment_id: i for i, item in enumerate(listing.units)}
        rows.sort(key=lambda r: order[r.assessment_id])
    # Round 2 first: the indicators the unit disputed and that wait for their second look.
    rows.sort(key=lambda r: not (r.state == AssessmentState.EXPLANATION and r.disputed))
    ids = [row.response_id for row in rows]
    # One query for the calendar, however many windows the page asks about.
    prefetch_related_objects([council.campaign], "phases")
    closed = round_windows_closed(council.campaign)
    rows = _decorate(
        rows,
        indicators,
        selectors.evidence_by_response(ids),
        selectors.explanations_by_response(ids),
        closed,
    )
    return render(
        request,
        "councils/workbench.html",
        {
            "campaign": council.campaign,
            "council": council,
            "member": member,
            "rows": rows,
            "pillars": pillars,
            "selected_unit": unit,
            "filters": {
                "unit": unit.pk if unit else None,
                "pillar": pillar.pk if pillar else None,
                "differs": differs,
                "pending": pending,
                "q": name,
            },
            # Without JavaScript the figure is asked for with the page; else the page
            # asks for it once it is shown.
            "overall": (
                selectors.workbench_progress(member=member, scope=scope) if overall_asked else None
            ),
            "assigned": listing.assigned,
            "progress_parameter": WORKBENCH_PROGRESS_PARAMETER,
            "progress_overall": WORKBENCH_PROGRESS_OVERALL,
            "per_unit": listing.units,
            "unit_page": listing.page,
            # ``permissions.can_assign``, without asking for the membership again.
            "can_close": member.closes_rounds
            or permissions.can_manage_council(request.user, council.campaign),
            "closed_rounds": sorted(closed.items()),
        },
    )


@login_required
@require_POST
def appraisal_save(request, campaign_pk, response_pk):
    """Record one row's appraisal (htmx): the row comes back with the result or the refusal."""
    member = _membership(request, campaign_pk)
    council = member.council
    response = (
        permissions.appraisable_responses(member)
        .select_related("indicator", "assessment__unit")
        .filter(pk=response_pk)
        .first()
    )
    if response is None:
        raise Http404
    form = AppraisalForm(request.POST, auto_id=f"a{response.pk}-%s")
    errors: list[str] = []
    indicator = response.indicator
    inputs_form = None
    if form.is_valid():
        data = form.cleaned_data
        inputs = score = None
        if data["use_inputs"] and indicator.method != "manual":
            inputs_form = ResponseForm(
                request.POST,
                indicator=indicator,
                prefix=f"v{response.pk}",
                auto_id=f"v{response.pk}-%s",
            )
            inputs_form.fields["expected_version"].required = False
            if inputs_form.is_valid():
                inputs = inputs_form.inputs() or {}
            else:
                errors += [e for es in inputs_form.errors.values() for e in es]
        else:
            score = data["score"] or None
            if score is None:
                errors.append(_("Enter the appraised score."))
        if not errors:
            row_round = (
                Round.TWO if response.assessment.state == AssessmentState.EXPLANATION else Round.ONE
            )
            try:
                services.appraisal_record(
                    response=response,
                    member_user=request.user,
                    round=row_round,
                    inputs=inputs,
                    score=score,
                    comment=data["comment"],
                )
            except (PermissionDenied, ValidationError) as exc:
                errors += refusal_messages(exc)
    else:
        errors += [e for es in form.errors.values() for e in es]
    rows = selectors.member_workbench(member=member, response_ids=[response.pk])
    if not rows:
        raise Http404
    rows = _decorate(
        rows,
        {indicator.pk: indicator},
        selectors.evidence_by_response([response.pk]),
        selectors.explanations_by_response([response.pk]),
    )
    row = rows[0]
    if errors:
        row.form = form
        if inputs_form is not None:
            row.inputs_form = inputs_form
        row.form_errors = errors
    else:
        row.saved = True
    template = "councils/_row.html"
    context = {"row": row, "campaign": council.campaign, "member": member}
    if not request.htmx:
        for message in errors:
            messages.error(request, message)
        if not errors:
            messages.success(request, _("The appraisal has been recorded."))
        return redirect("councils:workbench", campaign_pk=council.campaign_id)
    return render(request, template, context, status=200)


# --- 4. closing the rounds (chair, secretary) ------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request, campaign_pk):
    campaign = _campaign(campaign_pk)
    council = selectors.council_of(campaign)
    if council is None or not permissions.can_assign(request.user, council):
        raise Http404
    council.campaign = campaign
    refusals: dict[int, list[str]] = {}
    if request.method == "POST":
        assessment = get_object_or_404(
            Assessment.objects.select_related("campaign", "unit"),
            pk=request.POST.get("assessment") or 0,
            campaign=campaign,
        )
        action = request.POST.get("action")
        step = {
            "close_1": services.close_round_one,
            "open_explanation": assessment_services.assessment_open_explanation,
            "close_2": services.close_round_two,
        }.get(action)
        if step is None:
            raise Http404
        try:
            step(assessment=assessment, user=request.user)
        except (PermissionDenied, ValidationError) as exc:
            refusals[assessment.pk] = refusal_messages(exc)
        else:
            done = (
                _("The explanation is open for %(unit)s; the unit has been notified.")
                if action == "open_explanation"
                else _("The round has been closed for %(unit)s.")
            )
            messages.success(request, done % {"unit": assessment.unit.name})
            return redirect("councils:rounds", campaign_pk=campaign.pk)
    assessments = selectors.campaign_assessments(council=council)
    for assessment in assessments:
        assessment.refusal = refusals.get(assessment.pk, [])
        assessment.campaign = campaign
    return render(
        request,
        "councils/rounds.html",
        {
            "campaign": campaign,
            "council": council,
            "assessments": assessments,
            "may_close": assessment_permissions.can_close_round(
                request.user, Assessment(campaign=campaign)
            ),
            "may_open_explanation": assessment_permissions.can_open_explanation(
                request.user, Assessment(campaign=campaign)
            ),
            "explanation_window": windows.phase_of(campaign, PhaseKind.EXPLANATION),
            "S": AssessmentState,
        },
        status=400 if refusals else 200,
    )


# --- 5. the unit's explanation and the results ---------------------------------------


def _unit_side(user, assessment) -> bool:
    return (
        assessment_permissions.is_unit_officer_of(user, assessment)
        or assessment_permissions.is_unit_leader_of(user, assessment)
        or assessment_permissions.is_department_officer_of(user, assessment)
    )


def _assessment(pk) -> Assessment:
    return get_object_or_404(
        Assessment.objects.select_related("campaign", "campaign__indicator_set", "unit"), pk=pk
    )


def _explanation_context(request, assessment, **extra) -> dict:
    scores = selectors.final_scores(assessment=assessment)
    ids = [row.response_id for row in scores]
    explanations = selectors.explanations_by_response(ids)
    evidence = selectors.evidence_by_response(ids)
    problems = assessment.editing_problems("explanation")
    editable = not problems
    allowed = assessment_selectors.editable_indicator_ids(user=request.user, assessment=assessment)
    may_edit = {
        row.response_id
        for row in scores
        if editable and (allowed is None or row.indicator_id in allowed)
    }
    forms_errors = extra.pop("row_errors", {})
    posted = extra.pop("posted", {})
    rows = []
    for row in scores:
        explanation = explanations.get(row.response_id)
        rows.append(
            {
                "score": row,
                "explanation": explanation,
                "evidence": evidence.get(row.response_id, []),
                "editable": row.response_id in may_edit,
                "errors": forms_errors.get(row.response_id, []),
                "text": posted.get(row.response_id, explanation.text if explanation else ""),
                "open": bool(explanation)
                or (row.round_1 is not None and row.round_1.score != row.self_score),
            }
        )
    return {
        "assessment": assessment,
        "campaign": assessment.campaign,
        "rows": rows,
        "read_only_reasons": problems,
        "window": windows.phase_of(assessment.campaign, PhaseKind.EXPLANATION),
        "max_chars": EXPLANATION_MAX_CHARS,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def explanation(request, assessment_pk):
    assessment = _assessment(assessment_pk)
    if not (_unit_side(request.user, assessment) and assessment.state in UNIT_SEES_SCORES):
        raise Http404
    row_errors: dict[int, list[str]] = {}
    posted: dict[int, str] = {}
    if request.method == "POST":
        response = get_object_or_404(
            Response.objects.select_related("indicator"),
            pk=request.POST.get("response") or 0,
            assessment=assessment,
        )
        response.assessment = assessment
        action = request.POST.get("action")
        form = ExplanationForm(request.POST)
        text = request.POST.get("text", "")
        try:
            if action in ("draft", "submit"):
                form.is_valid()
                text = form.cleaned_data.get("text", text)
                if action == "draft":
                    services.explanation_save_draft(response=response, user=request.user, text=text)
                    messages.success(
                        request,
                        _("The explanation of %(code)s has been saved as a draft.")
                        % {"code": response.indicator.code},
                    )
                else:
                    services.explanation_submit(response=response, user=request.user, text=text)
                    messages.success(
                        request,
                        _("The explanation of %(code)s has been submitted to the council.")
                        % {"code": response.indicator.code},
                    )
            elif action == "evidence":
                # In Explanation the evidence services store phase "explanation".
                evidence_add_from_post(request, response)
                messages.success(request, _("The evidence has been added."))
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            row_errors[response.pk] = refusal_messages(exc)
            posted[response.pk] = text
        else:
            return redirect(
                f"{request.path}#explain-{response.pk}",
            )
    context = _explanation_context(request, assessment, row_errors=row_errors, posted=posted)
    return render(request, "councils/explanation.html", context, status=400 if row_errors else 200)


@login_required
def results(request, assessment_pk):
    """Self, round-1, round-2 and final scores: for the unit (from Explanation on), the council."""
    assessment = _assessment(assessment_pk)
    if _unit_side(request.user, assessment):
        if assessment.state not in UNIT_SEES_SCORES:
            raise Http404
    elif not assessment_permissions.can_view_assessment(request.user, assessment):
        raise Http404
    scores = selectors.final_scores(assessment=assessment)
    return render(
        request,
        "councils/results.html",
        {
            "assessment": assessment,
            "campaign": assessment.campaign,
            "scores": scores,
            "unit_side": _unit_side(request.user, assessment),
        },
    )
