"""The organizer's rankings pages: provisional rankings, computations, scorecards, the
dashboard and the publish form. The world and its numbers are those of helpers.py."""

import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, AssessmentState
from rankings import services
from rankings.models import Publication, RankingRun, RunStatus, Stage
from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, UserFactory, force_state, unit_tree
from tests.rankings.helpers import campaign_of, score_everything, trimmed_commune_set

S = AssessmentState
HTMX = {"HTTP_HX_REQUEST": "true"}
PAGES = ["rankings", "runs", "scorecard", "dashboard", "publish"]
DECISION = {
    "decision_number": "1234/QĐ-UBND",
    "decision_date": "25/11/2026",
    "signer_title": "KT. CHỦ TỊCH\r\nPHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
    # Publishing cannot be undone: the organizer types their password again.
    "password": PASSWORD,
}


@pytest.fixture(autouse=True)
def eager_celery(monkeypatch):
    """The page's recompute runs in-process here, as in the demo, even when CI sets
    REDIS_URL: no worker listens in these tests (the real worker has its own test)."""
    from dti.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def urls(world) -> dict[str, str]:
    pk = world.campaign.pk
    a = world.assessments["Xã A"].pk
    return {
        "rankings": reverse("rankings:campaign_rankings", args=[pk]),
        "runs": reverse("rankings:campaign_runs", args=[pk]),
        "scorecard": reverse("rankings:campaign_scorecard", args=[pk, a]),
        "dashboard": reverse("rankings:campaign_dashboard", args=[pk]),
        "publish": reverse("rankings:campaign_publish", args=[pk]),
        "recompute": reverse("rankings:campaign_recompute", args=[pk]),
    }


def organizer(world):
    return world.campaign.created_by


def with_password(user):
    """The person can type ``PASSWORD`` where the page asks for it again."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def status(client, user, url, method="get") -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url).status_code


def appraised(world) -> None:
    for assessment in world.assessments.values():
        force_state(assessment, S.APPRAISED_2)


# --- who may see the pages -------------------------------------------------------------


def test_each_page_is_the_organizers_and_the_administrators_and_a_404_for_others(client, world):
    u = urls(world)
    other_tree = unit_tree(communes=1)
    people = {
        "organizer": (organizer(world), 200),
        "administrator": (UserFactory(roles=["administrator"]), 200),
        "unit officer": (
            UserFactory(unit=world.assessments["Xã A"].unit, roles=["unit_officer"]),
            404,
        ),
        "unit leader": (
            UserFactory(unit=world.assessments["Xã A"].unit, roles=["unit_leader"]),
            404,
        ),
        "council member": (world.police.user, 404),
        "council chair": (world.chair.user, 404),
        "organizer of another district": (
            UserFactory(agency=AgencyFactory(unit=other_tree["district"]), roles=["organizer"]),
            404,
        ),
    }
    for name, (user, expected) in people.items():
        got = {page: status(client, user, u[page]) for page in PAGES}
        assert got == dict.fromkeys(PAGES, expected), name
        if expected == 404:
            assert status(client, user, u["recompute"], "post") == 404, name
    assert not RankingRun.objects.exists()


def test_anonymous_people_are_sent_to_the_login_page(client, world):
    for name, url in urls(world).items():
        response = client.post(url) if name == "recompute" else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_a_unit_of_another_campaign_has_no_scorecard_here(client, world):
    other = campaign_of(trimmed_commune_set(name="Bộ khác"), communes=1)
    foreign = Assessment.objects.get(campaign=other)
    client.force_login(organizer(world))
    url = reverse("rankings:campaign_scorecard", args=[world.campaign.pk, foreign.pk])
    assert client.get(url).status_code == 404


def test_the_campaign_page_links_to_the_rankings_pages(client, world):
    client.force_login(organizer(world))
    page = client.get(reverse("assessments:campaign_detail", args=[world.campaign.pk]))
    html = page.content.decode()
    u = urls(world)
    for testid, url in (
        ("rankings-link", u["rankings"]),
        ("dashboard-link", u["dashboard"]),
        ("publish-link", u["publish"]),
    ):
        assert f'href="{url}" data-testid="{testid}"' in html


# --- 1. the provisional rankings ----------------------------------------------------------


def table_rows(html: str, kind: str) -> list[tuple[str, str, str]]:
    """(unit, rank, value) of one ranking table as the page shows it."""
    section = html.split(f'data-testid="ranking-table" data-kind="{kind}"', 1)[1]
    section = section.split("</section>", 1)[0]
    return re.findall(
        r'data-unit="([^"]+)">\s*<td[^>]*data-testid="rank">(\d+)</td>.*?'
        r'data-testid="value">([^<]+)</td>',
        section,
        flags=re.S,
    )


def test_the_provisional_tables_show_the_hand_computed_final_ranks(client, world):
    appraised(world)
    services.campaign_recompute(campaign=world.campaign)
    client.force_login(organizer(world))
    page = client.get(urls(world)["rankings"])
    assert page.status_code == 200
    assert page.context["stage"] == Stage.FINAL
    html = page.content.decode()
    assert 'data-testid="provisional"' in html
    assert "Provisional — not public." in html
    # One ranking at a time, the DTI first; the others are links (tabs) at the same stage.
    assert html.count('data-testid="ranking-table"') == 1
    assert [tab.kind for tab in page.context["ranking"].rankings] == ["dti", "cqs", "kts", "xhs"]
    # The DTI shows each unit's band (Xuất sắc ≥ 90, Tốt ≥ 80, helpers.py).
    bands = [(e.unit_name, e.band_name) for e in page.context["ranking"].entries]
    assert bands[:4] == [
        ("Xã A", "Xuất sắc"),
        ("Xã B", "Xuất sắc"),
        ("Xã C", "Tốt"),
        ("Xã D", "Tốt"),
    ]
    assert "<td>Xuất sắc</td>" in html

    def rows(kind):
        return table_rows(
            client.get(urls(world)["rankings"], {"xep-hang": kind}).content.decode(), kind
        )

    # test_ranking_hand_computed.RANKINGS[final]
    assert table_rows(html, "dti") == [
        ("Xã A", "1", "100.00\xa0%"),
        ("Xã B", "2", "95.00\xa0%"),
        ("Xã C", "3", "87.50\xa0%"),
        ("Xã D", "4", "80.00\xa0%"),
        ("Xã E", "5", "75.00\xa0%"),
        ("Xã F", "5", "75.00\xa0%"),
    ]
    assert [(unit, rank) for unit, rank, _value in rows("cqs")] == [
        ("Xã A", "1"),
        ("Xã B", "2"),
        ("Xã D", "2"),
        ("Xã C", "4"),
        ("Xã F", "5"),
        ("Xã E", "6"),
    ]
    assert [(unit, rank) for unit, rank, _value in rows("kts")] == [
        ("Xã A", "1"),
        ("Xã C", "2"),
        ("Xã B", "3"),
        ("Xã D", "4"),
        ("Xã F", "5"),
        ("Xã E", "6"),
    ]
    assert [(unit, rank) for unit, rank, _value in rows("xhs")] == [
        ("Xã A", "1"),
        ("Xã B", "2"),
        ("Xã C", "3"),
        ("Xã D", "3"),
        ("Xã E", "5"),
        ("Xã F", "6"),
    ]
    # each unit links to its scorecard; up to date, with the time of the computation
    scorecard = reverse(
        "rankings:campaign_scorecard", args=[world.campaign.pk, world.assessments["Xã B"].pk]
    )
    assert f'href="{scorecard}"' in html
    assert page.context["not_ready"] == []
    assert page.context["computed_at"] is not None
    assert 'data-testid="not-ready"' not in html


def test_the_stage_is_chosen_and_an_unknown_one_is_the_final_stage(client, world):
    appraised(world)
    services.campaign_recompute(campaign=world.campaign)
    client.force_login(organizer(world))
    url = urls(world)["rankings"]
    self_stage = client.get(url, {"giai-doan": "self"})
    # RANKINGS[self]: B and C share rank 2 at 85 %, D is 4th
    assert table_rows(self_stage.content.decode(), "dti")[1:4] == [
        ("Xã B", "2", "85.00\xa0%"),
        ("Xã C", "2", "85.00\xa0%"),
        ("Xã D", "4", "80.00\xa0%"),
    ]
    round_1 = client.get(url, {"giai-doan": "round_1"})
    assert table_rows(round_1.content.decode(), "dti")[3:5] == [
        ("Xã D", "4", "75.00\xa0%"),
        ("Xã F", "4", "75.00\xa0%"),
    ]
    assert client.get(url, {"giai-doan": "x"}).context["stage"] == Stage.FINAL
    # A ranking is chosen at a stage; the stages' links keep it (from its first page).
    page = client.get(url, {"giai-doan": "round_1", "xep-hang": "kts", "trang": "1"})
    assert page.context["ranking"].current.kind == "kts"
    html = page.content.decode()
    assert 'href="?giai-doan=self&amp;xep-hang=kts" data-stage="self"' in html
    assert 'href="?giai-doan=round_1&amp;xep-hang=cqs#rankings" data-kind="cqs"' in html


def test_an_unknown_ranking_is_a_404_at_any_stage(client, world):
    client.force_login(organizer(world))
    url = urls(world)["rankings"]
    # Nothing computed yet: a known ranking has nothing to show, an unknown one is none.
    assert client.get(url, {"xep-hang": "kts"}).context["ranking"].current is None
    assert client.get(url, {"xep-hang": "nothing"}).status_code == 404
    appraised(world)
    services.campaign_recompute(campaign=world.campaign)
    for name in ("nothing", "DTI", "", "giai-doan"):
        assert client.get(url, {"xep-hang": name}).status_code == 404, name
    assert client.get(url, {"xep-hang": "xhs", "giai-doan": "self"}).status_code == 200


def test_before_any_computation_and_once_out_of_date_the_page_says_so(client, world):
    client.force_login(organizer(world))
    url = urls(world)["rankings"]
    page = client.get(url)
    assert page.context["ranking"].current is None
    assert page.context["ranking"].entries == []
    assert page.context["not_ready"] == ["The rankings have not been computed yet."]
    assert 'data-testid="no-rankings"' in page.content.decode()
    services.campaign_recompute(campaign=world.campaign)
    # an appraisal saved after the computation makes the final rankings out of date
    appraisal = world.chair.appraisals.first()
    appraisal.save()
    page = client.get(url)
    assert page.context["not_ready"][0].startswith("The rankings are out of date")
    assert 'data-testid="not-ready"' in page.content.decode()


# --- 2. computing on demand ----------------------------------------------------------------


def test_recompute_creates_a_succeeded_run_and_lists_it(client, world):
    appraised(world)
    client.force_login(organizer(world))
    u = urls(world)
    response = client.post(u["recompute"])
    assert response.status_code == 302
    assert response["Location"] == f"{u['runs']}?sau=0"
    run = RankingRun.objects.get()
    assert (run.status, run.stages, run.error) == (RunStatus.SUCCEEDED, Stage.values, "")
    page = client.get(response["Location"])
    assert page.context["runs"] == [run]
    assert page.context["polling"] is False  # done: nothing to poll
    html = page.content.decode()
    assert 'data-status="succeeded"' in html
    assert 'hx-trigger="every 2s"' not in html
    # the rankings now exist
    assert len(client.get(u["rankings"]).context["ranking"].rankings) == 4


def test_recompute_by_htmx_answers_with_the_runs_panel(client, world):
    client.force_login(organizer(world))
    u = urls(world)
    response = client.post(u["recompute"], {"n": "5"}, **HTMX)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "rankings/organizer/_runs.html"
    html = response.content.decode()
    assert 'data-testid="show-new-rankings"' in html
    assert 'hx-trigger="every 2s"' not in html
    assert RankingRun.objects.get().status == RunStatus.SUCCEEDED


def test_the_runs_panel_polls_while_a_run_is_running_and_stops_when_done(client, world):
    client.force_login(organizer(world))
    u = urls(world)
    run = RankingRun.objects.create(campaign=world.campaign, stages=Stage.values)
    html = client.get(u["runs"]).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{u["runs"]}?n=20"' in html
    assert 'data-status="running"' in html
    # the rankings page shows the same panel, polling too
    assert 'hx-trigger="every 2s"' in client.get(u["rankings"]).content.decode()
    run.status, run.finished_at = RunStatus.FAILED, run.started_at
    run.error = "RuntimeError: the disk is full"
    run.save()
    poll = client.get(u["runs"], {"n": "20"}, **HTMX)
    html = poll.content.decode()
    assert 'hx-trigger="every 2s"' not in html
    assert "RuntimeError: the disk is full" in html
    assert 'data-status="failed"' in html


def test_a_queued_computation_is_polled_until_its_run_appears(client, world, monkeypatch):
    """With a real worker the run row appears only when the worker starts the task."""
    from rankings import tasks

    queued = []
    monkeypatch.setattr(tasks.recompute_campaign, "delay", lambda *args: queued.append(args))
    client.force_login(organizer(world))
    u = urls(world)
    response = client.post(u["recompute"], {"n": "5"}, **HTMX)
    assert queued == [(world.campaign.pk,)]
    html = response.content.decode()
    assert f'hx-get="{u["runs"]}?n=5&amp;sau=0"' in html
    assert "Queued" in html
    services.campaign_recompute(campaign=world.campaign)  # the worker
    done = client.get(u["runs"], {"n": "5", "sau": "0"}, **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' not in done
    assert 'data-testid="show-new-rankings"' in done


def test_a_failed_eager_run_is_shown_with_its_error(client, world, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "_insert_rankings", boom)
    client.force_login(organizer(world))
    response = client.post(urls(world)["recompute"], follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The computation could not be started or it failed" in html
    assert "RuntimeError: the disk is full" in html
    assert RankingRun.objects.get().status == RunStatus.FAILED


def test_recompute_takes_only_posts(client, world):
    client.force_login(organizer(world))
    assert client.get(urls(world)["recompute"]).status_code == 405


# --- 3. the scorecard -------------------------------------------------------------------------


def test_the_scorecard_shows_every_stage_and_every_indicators_scores(client, world):
    services.campaign_recompute(campaign=world.campaign)
    client.force_login(organizer(world))
    b = world.assessments["Xã B"]
    page = client.get(reverse("rankings:campaign_scorecard", args=[world.campaign.pk, b.pk]))
    assert page.status_code == 200
    context = page.context
    assert [r.stage for r in context["results"]] == Stage.values
    # Xã B: DTI 85 / 90 / 95; pillar 8: 30 / 40 / 50 points of 50
    assert [r.summary.value for r in context["results"]] == [D(85), D(90), D(95)]
    p8 = next(line for line in context["pillars"] if line.code == "8")
    assert [cell.achieved_points for cell in p8.cells] == [D(30), D(40), D(50)]
    kts = next(line for line in context["sub_indices"] if line.code == "kts")
    assert [cell.value for cell in kts.cells] == [D(70), D(80), D(90)]
    ranks = dict(context["ranks"])
    assert [entry.rank for entry in ranks["Digital Transformation Index (DTI)"]] == [2, 2, 2]
    html = page.content.decode()
    row = html.split('data-code="8.1"', 1)[1].split("</tr>", 1)[0]
    # 8.1: self 0, round 1 10, round 2 20, final 20
    figures = r'data-testid="(self|round-1|round-2|final)">(?:<span[^>]*>[^<]*</span>)?\s*([^<]+)<'
    assert re.findall(figures, row) == [
        ("self", "0"),
        ("round-1", "10"),
        ("round-2", "20"),
        ("final", "20"),
    ]
    assert "95.00\xa0%" in html


def test_the_scorecard_before_any_computation(client, world):
    client.force_login(organizer(world))
    page = client.get(urls(world)["scorecard"])
    assert page.status_code == 200
    assert page.context["results"] == []
    assert 'data-testid="not-computed"' in page.content.decode()
    assert len(page.context["scores"]) == 14  # 3 + 5 (KK included) + 3 + 3


# --- 4. the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_draws_the_distribution_the_pillars_and_the_progress(client, world):
    services.campaign_recompute(campaign=world.campaign)
    appraised(world)
    # B is still in its explanation: not in the final figures (its 0 % would mislead).
    force_state(world.assessments["Xã B"], S.EXPLANATION)
    client.force_login(organizer(world))
    page = client.get(urls(world)["dashboard"])
    assert page.status_code == 200
    html = page.content.decode()
    # final DTI without B: 100, 87.5, 80, 75, 75 → bins 70–80: 2, 80–90: 2, ≥ 90: 1
    bins = {bar.label: bar.value for bar in page.context["histogram"].bars}
    assert bins == {
        "0–10": 0,
        "10–20": 0,
        "20–30": 0,
        "30–40": 0,
        "40–50": 0,
        "50–60": 0,
        "60–70": 0,
        "70–80": 2,
        "80–90": 2,
        "≥ 90": 1,
    }
    # final pillar points of A, C, D, E, F (×2 = %): P1 50 45 50 25 30 → 80 %;
    # P7 50 40 40 42.5 50 → 89 %; P8 50 50 35 42.5 50 → 91 %; P9 50 40 35 35 20 → 72 %
    averages = {p.code: p.average for p in page.context["pillar_averages"]}
    assert averages == {"1": D("80.00"), "7": D("89.00"), "8": D("91.00"), "9": D("72.00")}
    overview = page.context["overview"]
    # (100 + 87.5 + 80 + 75 + 75) ÷ 5 = 83.5
    assert (overview["units"], overview["average"]) == (5, D("83.50"))
    states = {state: units for state, _label, units in page.context["states"]}
    assert states[S.OPEN] == 0
    assert (states[S.APPRAISED_2], states[S.EXPLANATION], states[S.PUBLISHED]) == (5, 1, 0)
    # inline SVG, each with a text alternative and a table
    assert html.count("<svg") == 3
    assert html.count('role="img"') == 3
    assert html.count("<desc") == 3
    for testid in ("distribution-table", "pillars-table", "states-table"):
        assert f'data-testid="{testid}"' in html
    assert "70–80: 2; 80–90: 2; ≥ 90: 1." in html
    assert "<script" not in html.split("</header>", 1)[1]


def test_the_dashboard_without_results(client, world):
    client.force_login(organizer(world))
    page = client.get(urls(world)["dashboard"])
    assert page.status_code == 200
    assert page.context["overview"]["units"] == 0
    assert page.content.decode().count("<svg") == 1  # the progress only


# --- 5. publishing ------------------------------------------------------------------------------


def test_the_publish_form_shows_what_is_not_ready_yet(client, world):
    force_state(world.assessments["Xã F"], S.EXPLANATION)
    client.force_login(organizer(world))
    page = client.get(urls(world)["publish"])
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'data-testid="publish-button" disabled', html)
    assert [a.unit.name for a in page.context["behind"]] == [
        "Xã A",
        "Xã B",
        "Xã C",
        "Xã D",
        "Xã E",
        "Xã F",
    ]
    assert 'data-testid="readiness-units" data-ready="false"' in html
    assert 'data-testid="readiness-rankings" data-ready="false"' in html
    assert "The rankings have not been computed yet." in html
    for testid in (
        "publish-decision-number",
        "publish-decision-date",
        "publish-signer-title",
        "publish-signer-name",
        "publish-button",
    ):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="publish-reason"' not in html  # a first publication gives no reason


def test_the_publish_form_refuses_without_a_decision_number_and_keeps_what_was_typed(client, world):
    appraised(world)
    client.force_login(with_password(organizer(world)))
    response = client.post(urls(world)["publish"], {**DECISION, "decision_number": " "})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Enter the number of the decision that publishes the rankings."
    ]
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert 'value="25/11/2026"' in html
    assert 'value="Nguyễn Văn An"' in html
    assert "KT. CHỦ TỊCH\r\nPHÓ CHỦ TỊCH</textarea>" in html
    assert not Publication.objects.exists()
    assert set(Assessment.objects.values_list("state", flat=True)) == {S.APPRAISED_2}


def test_the_publish_form_shows_the_services_refusal_while_units_are_behind(client, world):
    appraised(world)
    force_state(world.assessments["Xã F"], S.EXPLANATION)
    client.force_login(with_password(organizer(world)))
    response = client.post(urls(world)["publish"], DECISION)
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any("not appraised in round 2" in error for error in errors)
    assert 'value="1234/QĐ-UBND"' in response.content.decode()
    assert not Publication.objects.exists()


def test_a_wrong_date_is_a_field_error(client, world):
    appraised(world)
    client.force_login(with_password(organizer(world)))
    response = client.post(urls(world)["publish"], {**DECISION, "decision_date": "31/02/2026"})
    assert response.status_code == 400
    assert response.context["form"].errors["decision_date"] == ["Enter a valid date."]
    assert 'value="31/02/2026"' in response.content.decode()


def test_publishing_then_a_correction_that_needs_a_reason(client, world):
    appraised(world)
    client.force_login(with_password(organizer(world)))
    url = urls(world)["publish"]
    response = client.post(url, DECISION)
    public = reverse("rankings:results_campaign", args=[world.campaign.pk])
    assert response.status_code == 302
    assert response["Location"] == public
    publication = Publication.objects.get()
    assert (publication.version, publication.decision_number, str(publication.decision_date)) == (
        1,
        "1234/QĐ-UBND",
        "2026-11-25",
    )
    assert publication.signer_title == "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    assert set(Assessment.objects.values_list("state", flat=True)) == {S.PUBLISHED}
    assert client.get(public).status_code == 200

    # a correction: an administrator reopened Xã B, the council appraised it again
    page = client.get(url)
    assert 'data-testid="readiness-waiting" data-ready="false"' in page.content.decode()
    force_state(world.assessments["Xã B"], S.APPRAISED_2)
    # the form now asks for a reason, and the service refuses without one
    page = client.get(url)
    html = page.content.decode()
    assert 'data-testid="publish-reason"' in html
    assert 'data-testid="publication" data-version="1"' in html
    assert page.context["form"].initial["signer_name"] == "Nguyễn Văn An"
    correction = {**DECISION, "decision_number": "1300/QĐ-UBND", "reason": ""}
    refused = client.post(url, correction)
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "The results were published already: a correction needs a written reason."
    ]
    assert 'value="1300/QĐ-UBND"' in refused.content.decode()
    assert Publication.objects.count() == 1
    done = client.post(url, {**correction, "reason": "Sửa điểm chỉ số 8.1 của Xã B."})
    assert done.status_code == 302
    latest = Publication.objects.order_by("-version").first()
    assert (latest.version, latest.reason) == (2, "Sửa điểm chỉ số 8.1 của Xã B.")
    assert set(Assessment.objects.values_list("state", flat=True)) == {S.PUBLISHED}


def test_an_administrator_sees_the_publish_page_but_cannot_publish(client, world):
    appraised(world)
    admin = with_password(UserFactory(roles=["administrator"]))
    client.force_login(admin)
    url = urls(world)["publish"]
    page = client.get(url)
    html = page.content.decode()
    assert 'data-testid="organizer-only"' in html
    assert "<fieldset disabled>" in html
    refused = client.post(url, DECISION)
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "Only the campaign's organizer can publish its results."
    ]
    assert not Publication.objects.exists()


# --- queries: constant whatever the number of units ---------------------------------------------


def sized(communes: int):
    campaign = campaign_of(trimmed_commune_set(name=f"Bộ {communes} xã"), communes=communes)
    score_everything(campaign, self_scores={}, round_1={}, round_2={"Xã A": {"1.1": "10"}})
    for assessment in Assessment.objects.filter(campaign=campaign):
        force_state(assessment, S.APPRAISED_2)
    services.campaign_recompute(campaign=campaign)
    return campaign


def queries(client, user, url) -> tuple[int, object]:
    client.force_login(user)
    client.get(url)  # warm the caches (content types, the session)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    assert page.status_code == 200
    return len(captured), page


# session, user, campaign, roles, agency (the organizer's unit); the ranking (2: the
# rankings' sizes, the page's rows with their places; the DTI also its rows' bands);
# rankings_not_ready (the final results' count, 4 "changed since"); the runs (1)
RANKINGS_QUERIES = 14
SUB_INDEX_RANKING_QUERIES = 13
# session, user, campaign, roles, agency; distribution, pillar averages, states, overview
# (1 each); rankings_not_ready (5)
DASHBOARD_QUERIES = 14


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [
        ("campaign_rankings", "", RANKINGS_QUERIES),
        ("campaign_rankings", "?xep-hang=kts&trang=2", SUB_INDEX_RANKING_QUERIES),
        ("campaign_dashboard", "", DASHBOARD_QUERIES),
    ],
)
def test_the_queries_grow_not_with_the_units(client, db, page, query, expected):
    counts = []
    for communes in (3, 12):
        campaign = sized(communes)
        count, response = queries(
            client, campaign.created_by, reverse(f"rankings:{page}", args=[campaign.pk]) + query
        )
        if page == "campaign_rankings":
            assert len(response.context["ranking"].entries) == communes
        else:
            assert response.context["overview"]["units"] == communes
        counts.append(count)
    assert counts[0] == counts[1]
    assert counts[0] == expected


def test_the_provisional_rankings_are_paged_like_the_public_ones(client, db, monkeypatch):
    from rankings import selectors

    campaign = sized(12)
    url = reverse("rankings:campaign_rankings", args=[campaign.pk])
    client.force_login(campaign.created_by)
    whole = selectors.rankings_by_kind(campaign=campaign, stage=Stage.FINAL)
    monkeypatch.setattr(selectors, "ORGANIZER_PAGE_ROWS", 5)

    def shown(**params):
        page = client.get(url, params)
        assert page.status_code == 200
        found = page.context["ranking"]
        return page, (
            found.current.kind,
            found.page.number,
            found.page.pages,
            [(e.rank, e.unit_name) for e in found.entries],
        )

    def expected(kind, number, start, end):
        return (kind, number, 3, [(e.rank, e.assessment.unit.name) for e in whole[kind][start:end]])

    page, table = shown()
    assert [tab.kind for tab in page.context["ranking"].rankings] == list(whole)
    assert table == expected("dti", 1, 0, 5)
    html = page.content.decode()
    assert "Rows 1–5 of 12" in html
    assert 'href="?trang=2#table-dti"' in html
    # The page is the chosen ranking's; the stage and the ranking stay in the links.
    page, table = shown(**{"giai-doan": "final", "xep-hang": "cqs", "trang": "2"})
    assert table == expected("cqs", 2, 5, 10)
    html = page.content.decode()
    assert 'href="?giai-doan=final&amp;xep-hang=cqs&amp;trang=3#table-cqs"' in html
    assert shown(**{"xep-hang": "cqs", "trang": "3"})[1] == expected("cqs", 3, 10, 12)
    assert shown(**{"xep-hang": "kts", "trang": "2"})[1] == expected("kts", 2, 5, 10)
    assert shown(**{"trang": "99"})[1] == expected("dti", 3, 10, 12)
    assert shown(**{"trang": "-1"})[1] == expected("dti", 1, 0, 5)
