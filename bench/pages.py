"""Page benchmark: queries and server time of the pages a deadline rush hits, one user.

Each page is requested through Django's test client in this process (no
network, DEBUG off): once with the queries captured, then ``repeat`` times
timed, after two warm-up requests. The time is the whole request inside
Django: middleware, session, views, queries, templates.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

QUERY_TARGET = 15
P95_TARGET_MS = 150
SLOW_SECONDS = 3


@dataclass
class Page:
    name: str
    url: str
    user: object | None  # None: anonymous
    htmx: bool = False  # asked as the page's htmx asks (HX-Request)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was measured."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.5)) - 1))
    return ordered[index]


def pages_of(generated) -> list[Page]:
    from django.urls import reverse

    from assessments.models import Assessment, AssessmentState

    campaign = generated.campaign
    officer = generated.officers[0]
    own = Assessment.objects.get(campaign=campaign, unit=officer.unit)
    assert own.state == AssessmentState.OPEN, "the first officers' units stay open"
    member = generated.members[1]  # the chair is members[0]; members[1] appraises pillar 1
    organizer = generated.organizer
    pk = campaign.pk
    detail = reverse("assessments:assessment_detail", args=[own.pk])
    largest, cards = _largest_page(own, officer)
    return [
        Page("self-assessment page (81 indicators), first page", detail, officer),
        Page(
            f"self-assessment page (81 indicators), largest page ({cards} cards)",
            f"{detail}?trang={largest}",
            officer,
        ),
        Page("member workbench", reverse("councils:workbench", args=[pk]), member.user),
        # The figure the workbench asks for once it is shown (htmx), its own request.
        Page(
            "member workbench, overall progress (asked after the page)",
            reverse("councils:workbench", args=[pk]) + "?progress=overall",
            member.user,
            htmx=True,
        ),
        Page("public rankings page", reverse("rankings:results_campaign", args=[pk]), None),
        Page("organizer dashboard", reverse("rankings:campaign_dashboard", args=[pk]), organizer),
        Page(
            "organizer provisional rankings",
            reverse("rankings:campaign_rankings", args=[pk]),
            organizer,
        ),
        Page(
            "organizer campaign progress",
            reverse("assessments:campaign_detail", args=[pk]),
            organizer,
        ),
    ]


def _largest_page(assessment, user) -> tuple[int, int]:
    """The self-assessment page (``?trang=``) with the most cards, and how many."""
    from assessments import selectors

    first = selectors.assessment_page(assessment=assessment, user=user)
    sizes = {}
    for number in range(1, first.pages + 1):
        page = selectors.assessment_page(assessment=assessment, user=user, page=str(number))
        sizes[number] = sum(len(row.cards) for row in page.pillars)
    largest = max(sizes, key=lambda n: (sizes[n], -n))
    return largest, sizes[largest]


def measure(page: Page, *, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client

    client = Client(headers={"HX-Request": "true"} if page.htmx else None)
    if page.user is not None:
        client.force_login(page.user)
    for _ in range(2):
        response = client.get(page.url)
        if response.status_code != 200:
            raise AssertionError(f"{page.name}: {page.url} answered {response.status_code}")
    # Counted as they reach the database (DEBUG is off, so Django keeps no query log).
    statements = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)
    ):
        started = time.perf_counter()
        client.get(page.url)
        first = time.perf_counter() - started
    if first > SLOW_SECONDS:
        # Far beyond the target: one more timed request, not thirty.
        repeat = 1
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(page.url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "page": page.name,
        "url": page.url,
        "queries": len(statements),
        "bytes": len(response.content),
        "requests": repeat,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
    }


def run(generated, *, repeat: int = 30) -> list[dict]:
    return [measure(page, repeat=repeat) for page in pages_of(generated)]
