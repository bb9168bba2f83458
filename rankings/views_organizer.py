"""The organizer's rankings pages: provisional rankings, computations, scorecards, dashboard
and publication.

For the campaign's organizer and for administrators only; everyone else gets a
404, as if the campaign did not exist (anonymous people are sent to log in).
Publishing itself is the organizer's: ``services.campaign_publish`` refuses
anyone else, and its refusals are shown on the page unchanged.

Thin views: reads through ``selectors``, writes through ``services``. Every
page is a fixed number of queries, whatever the number of units.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from assessments import permissions as assessment_permissions
from assessments.models import Assessment, AssessmentState, Campaign
from assessments.views import refusal_messages
from councils import selectors as council_selectors

from . import selectors, services
from .forms import PublishForm
from .models import RankingKind, RunStatus, Stage

logger = logging.getLogger(__name__)

RUNS_SHOWN = 20
NOT_QUEUED_MESSAGE = gettext_lazy(
    "The job queue (Redis) does not answer, so the computation could not be queued. "
    "It will be queued again automatically within the hour; you may also try again later."
)
RUNS_ON_RANKINGS_PAGE = 1  # the latest only, with a link to the others
STAGE_PARAM = "giai-doan"
AFTER_PARAM = "sau"  # a computation was queued after the run of this id (0: none before)


def _campaign(request, pk: int) -> Campaign:
    campaign = get_object_or_404(
        Campaign.objects.select_related("organizing_unit", "indicator_set"), pk=pk
    )
    if not assessment_permissions.can_view_campaign(request.user, campaign):
        raise Http404
    return campaign


def _stage(request) -> str:
    wanted = request.GET.get(STAGE_PARAM)
    return wanted if wanted in Stage.values else Stage.FINAL


def _base(campaign: Campaign, **extra) -> dict:
    return {
        "campaign": campaign,
        "places": campaign.indicator_set.decimal_places,
        "stages": Stage.choices,
        **extra,
    }


# --- 1. the provisional rankings -------------------------------------------------------


@login_required
def campaign_rankings(request, pk):
    """One ranking of a stage at a time, 100 rows a page (``?xep-hang=cqs&trang=2``).

    The other rankings and the stages are links that keep each other; a ranking
    that is not the stage's is a 404.
    """
    campaign = _campaign(request, pk)
    stage = _stage(request)
    try:
        found = selectors.ranking_page(
            campaign=campaign,
            stage=stage,
            kind=request.GET.get(selectors.RANKING_PARAM),
            page=request.GET.get(selectors.PAGE_PARAM),
        )
    except selectors.NoSuchRanking:
        raise Http404 from None
    # Each row links to its unit's scorecard: one reverse() for the page, not one a row.
    head, _zero, tail = reverse("rankings:campaign_scorecard", args=[campaign.pk, 0]).rpartition(
        "/0/"
    )
    for entry in found.entries:
        entry.url = f"{head}/{entry.assessment_id}/{tail}"
    return render(
        request,
        "rankings/organizer/rankings.html",
        _base(
            campaign,
            stage=stage,
            stage_label=Stage(stage).label,
            ranking=found,
            computed_at=found.computed_at,
            not_ready=selectors.rankings_not_ready(campaign),
            **_runs_context(campaign, limit=RUNS_ON_RANKINGS_PAGE),
        ),
    )


# --- 2. computing on demand, and the runs ----------------------------------------------


def _number(value, default: int) -> int:
    return min(int(value), RUNS_SHOWN) if value and value.isdigit() and int(value) else default


def _runs_context(campaign: Campaign, *, limit: int, after: int | None = None) -> dict:
    """The runs, newest first, and whether the page should keep asking (every 2 s).

    It asks while the newest run is running, and after a computation was
    queued (``after``: the newest run's id then, 0 if none) until a newer run
    appears: with a real worker the run starts only once a worker takes it.
    """
    runs = selectors.ranking_runs(campaign=campaign, limit=limit)
    latest = runs[0] if runs else None
    queued = after is not None and (latest is None or latest.pk <= after)
    # A run abandoned by a killed worker is not waited for: it shows as abandoned.
    running = latest is not None and latest.status == RunStatus.RUNNING and not latest.is_abandoned
    query = f"n={limit}" + (f"&{AFTER_PARAM}={after}" if queued else "")
    return {
        "runs": runs,
        "latest_run": latest,
        "queued": queued,
        "polling": queued or running,
        "poll_url": f"{reverse('rankings:campaign_runs', args=[campaign.pk])}?{query}",
        "runs_limit": limit,
        "runs_on_own_page": limit == RUNS_SHOWN,
    }


@login_required
def campaign_runs(request, pk):
    """The computations; asked by htmx, only their panel (polled while one is under way)."""
    campaign = _campaign(request, pk)
    after = request.GET.get(AFTER_PARAM, "")
    context = _base(
        campaign,
        **_runs_context(
            campaign,
            limit=_number(request.GET.get("n"), RUNS_SHOWN),
            after=int(after) if after.isdigit() else None,
        ),
    )
    if request.htmx:
        # A poll that finds the computation over says so, with a link to the new tables.
        context["just_finished"] = not context["polling"]
        return render(request, "rankings/organizer/_runs.html", context)
    return render(request, "rankings/organizer/runs.html", context)


@login_required
@require_POST
def campaign_recompute(request, pk):
    """Queue the computation of every stage; run eagerly (tests, the demo) it is done on return.

    Safe to press twice: the service locks the campaign and replaces the rows.
    """
    campaign = _campaign(request, pk)
    latest = selectors.latest_run(campaign=campaign)
    after = latest.pk if latest else 0
    # Never raises: Redis down records a run "not queued", queued again by the hourly beat.
    outcome = services.recompute_queue(campaign_id=campaign.pk)
    failed, not_queued = outcome == "failed", outcome == "not_queued"
    limit = _number(request.POST.get("n"), RUNS_SHOWN)
    if request.htmx:
        queued_after = None if not_queued else after
        context = _base(campaign, **_runs_context(campaign, limit=limit, after=queued_after))
        context["just_finished"] = not context["polling"] and not failed and not not_queued
        context["failed_now"] = failed
        context["not_queued_now"] = not_queued
        return render(request, "rankings/organizer/_runs.html", context)
    newest = selectors.latest_run(campaign=campaign)
    if not_queued:
        messages.error(request, NOT_QUEUED_MESSAGE)
        return redirect("rankings:campaign_runs", pk=campaign.pk)
    if failed:
        messages.error(
            request,
            _("The computation could not be started or it failed: see the list of computations."),
        )
    elif newest is not None and newest.pk > after and newest.status == RunStatus.SUCCEEDED:
        messages.success(request, _("The rankings have been computed."))  # run eagerly
    else:
        messages.success(request, _("The computation of the rankings has been queued."))
    url = reverse("rankings:campaign_runs", args=[campaign.pk])
    return redirect(f"{url}?{AFTER_PARAM}={after}")


# --- 3. a unit's scorecard ---------------------------------------------------------------


def _short_stage_labels() -> dict[str, str]:
    # Column headers: the full names ("Final (after appraisal)") do not fit on a phone.
    return {Stage.SELF: _("Self-assessment"), Stage.ROUND_1: _("Round 1"), Stage.FINAL: _("Final")}


@dataclass(frozen=True)
class Line:
    """One pillar or sub-index with its score at each computed stage (None: no row)."""

    code: str
    name: str
    cells: list


@login_required
def campaign_scorecard(request, pk, assessment_pk):
    campaign = _campaign(request, pk)
    assessment = get_object_or_404(
        Assessment.objects.select_related("unit"), pk=assessment_pk, campaign=campaign
    )
    assessment.campaign = campaign
    results = selectors.unit_results(assessment=assessment)
    stages = [result.stage for result in results]
    pillars: dict[int, Line] = {}
    sub_indices: dict[int, Line] = {}
    for column, result in enumerate(results):
        for row in result.pillars:
            line = pillars.setdefault(
                row.pillar_id, Line(row.pillar.code, row.pillar.name, [None] * len(results))
            )
            line.cells[column] = row
        for row in result.sub_indices:
            line = sub_indices.setdefault(
                row.sub_index_id,
                Line(row.sub_index.code, row.sub_index.name, [None] * len(results)),
            )
            line.cells[column] = row
    ranks = [
        (kind.label, [result.ranks.get(kind.value) for result in results])
        for kind in RankingKind
        if any(kind.value in result.ranks for result in results)
    ]
    return render(
        request,
        "rankings/organizer/scorecard.html",
        _base(
            campaign,
            assessment=assessment,
            results=results,
            stage_columns=[(_short_stage_labels()[stage], Stage(stage).label) for stage in stages],
            pillars=list(pillars.values()),
            sub_indices=list(sub_indices.values()),
            ranks=ranks,
            scores=council_selectors.final_scores(assessment=assessment),
        ),
    )


# --- 4. the dashboard --------------------------------------------------------------------

BIN_WIDTH = selectors.BIN_WIDTH

# The charts' geometry, in SVG user units: each SVG scales to the width of its card,
# so at 375 px one unit is about one pixel.
CHART_WIDTH = 320
COLUMN_HEIGHT = 120  # the tallest column of the histogram
ROW_HEIGHT = 34  # a horizontal bar: its label above, the bar and its figure below
BAR_ROOM = CHART_WIDTH - 4 - 64  # the longest horizontal bar; its figure goes to the right


@dataclass(frozen=True)
class Bar:
    label: str
    value: object  # what the bar says: a count or a percentage
    x: int
    y: int
    width: int
    height: int
    text_x: int  # where its figure is written
    text_y: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    width: int = CHART_WIDTH
    room: int = BAR_ROOM
    baseline: int = 0
    ticks: tuple = ()  # (x, label) under the baseline


def _histogram(counts: list[int]) -> Chart:
    """One column per bin, the fullest COLUMN_HEIGHT tall, its count above it."""
    left, gap, top = 8, 4, 16
    step = (CHART_WIDTH - 2 * left) // len(counts)
    fullest = max(counts, default=0) or 1
    bars = []
    for number, count in enumerate(counts):
        height = round(count * COLUMN_HEIGHT / fullest)
        x = left + number * step
        y = top + COLUMN_HEIGHT - height
        low = number * BIN_WIDTH
        label = f"{low}–{low + BIN_WIDTH}" if number < len(counts) - 1 else f"≥ {low}"
        bars.append(Bar(label, count, x + gap // 2, y, step - gap, height, x + step // 2, y - 4))
    baseline = top + COLUMN_HEIGHT
    ticks = tuple((left + number * step, number * BIN_WIDTH) for number in range(len(counts) + 1))
    return Chart(bars, height=baseline + 20, baseline=baseline, ticks=ticks)


def _rows(values: list[tuple[str, object, Decimal | int | None]], scale) -> Chart:
    """One horizontal bar per (label, figure, amount); ``scale`` is a full-length amount."""
    left = 4
    bars = []
    for number, (label, figure, amount) in enumerate(values):
        length = min(round(Decimal(amount or 0) * BAR_ROOM / scale), BAR_ROOM) if scale else 0
        top = number * ROW_HEIGHT
        bars.append(Bar(label, figure, left, top + 16, length, 12, left + BAR_ROOM + 6, top + 26))
    return Chart(bars, height=max(len(bars), 1) * ROW_HEIGHT)


@login_required
def campaign_dashboard(request, pk):
    campaign = _campaign(request, pk)
    averages = selectors.final_pillar_averages(campaign=campaign)
    states = selectors.units_by_state(campaign=campaign)
    most_units = max((units for _state, _label, units in states), default=0)
    return render(
        request,
        "rankings/organizer/dashboard.html",
        _base(
            campaign,
            overview=selectors.dti_overview(campaign=campaign),
            histogram=_histogram(selectors.dti_distribution(campaign=campaign)),
            pillar_averages=averages,
            pillar_chart=_rows(
                [(f"{p.code}. {p.name}", p.average, p.average) for p in averages], Decimal(100)
            ),
            states=states,
            state_chart=_rows([(label, units, units) for _s, label, units in states], most_units),
            total_units=sum(units for _state, _label, units in states),
            not_ready=selectors.rankings_not_ready(campaign),
        ),
    )


# --- 5. publishing --------------------------------------------------------------------------


def _publish_context(request, campaign: Campaign, form: PublishForm, **extra) -> dict:
    behind = list(
        Assessment.objects.filter(campaign=campaign)
        .exclude(state__in=selectors.APPRAISED)
        .select_related("unit")
        .order_by("unit__name")
    )
    waiting = Assessment.objects.filter(
        campaign=campaign, state=AssessmentState.APPRAISED_2
    ).count()
    return _base(
        campaign,
        form=form,
        behind=behind,
        waiting=waiting,
        not_ready=selectors.rankings_not_ready(campaign),
        may_publish=assessment_permissions.can_publish(request.user, campaign),
        **extra,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_publish(request, pk):
    campaign = _campaign(request, pk)
    versions = selectors.publication_versions(campaign_id=campaign.pk)
    last = versions[-1] if versions else None
    options = {"correction": last is not None}
    errors: list[str] = []
    if request.method == "POST":
        form = PublishForm(request.POST, request=request, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                publication = services.campaign_publish(
                    campaign=campaign,
                    user=request.user,
                    decision_number=data["decision_number"],
                    decision_date=data["decision_date"],
                    signer_title=data["signer_title"],
                    signer_name=data["signer_name"],
                    reason=data.get("reason", ""),
                )
            except (ValidationError, PermissionDenied) as exc:
                errors = refusal_messages(exc)
            else:
                messages.success(
                    request,
                    _("The results are published (version %(version)s).")
                    % {"version": publication.version},
                )
                return redirect("rankings:results_campaign", campaign_pk=campaign.pk)
        for message in errors:
            form.add_error(None, message)
        status = 400
    else:
        initial = {"decision_date": timezone.localdate()}
        if last is not None:
            initial.update(signer_title=last.signer_title, signer_name=last.signer_name)
        form = PublishForm(initial=initial, **options)
        status = 200
    return render(
        request,
        "rankings/organizer/publish.html",
        _publish_context(request, campaign, form, versions=versions, last=last),
        status=status,
    )
