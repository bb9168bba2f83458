"""The demo campaigns of ``load_demo`` (``dti.demo``): this year's with a unit in every
state but Published, both appraisal rounds, every role's pages; last year's published, with
its public pages; a second run that changes nothing."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from assessments import windows
from assessments.models import (
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    Evidence,
    EvidenceKind,
    EvidencePhase,
    PhaseKind,
    Response,
)
from assessments.services import campaign_create
from councils.models import Appraisal, Council, CouncilRole, Explanation, ExplanationStatus
from dti import demo
from indicators.models import IndicatorSet, SetStatus
from indicators.services import indicator_set_activate, indicator_set_copy
from providers.models import ProvidedFigure, ProviderAssignment
from rankings.models import Publication, PublishedResult

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-dti-2024"
S = AssessmentState


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(*args) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "assessments": Assessment.objects.count(),
        "responses": Response.objects.count(),
        "response_history": Response.history.count(),
        "evidence": Evidence.objects.count(),
        "appraisals": Appraisal.objects.count(),
        "appraisal_history": Appraisal.history.count(),
        "explanations": Explanation.objects.count(),
        "transitions": AssessmentTransition.objects.count(),
        "campaigns": Campaign.objects.count(),
        "sets": IndicatorSet.objects.count(),
        "users": demo.User.objects.count(),
        "publications": Publication.objects.count(),
        "published_results": PublishedResult.objects.count(),
    }


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class TestDemoCampaign(TestCase):
    """The demo is loaded once for the class; every test starts from it again.

    ``campaign`` is this year's, ``previous`` last year's (published).
    """

    @classmethod
    def setUpTestData(cls):
        cls.output = run_demo()
        year = timezone.localdate().year
        cls.campaign = Campaign.objects.get(name=demo.campaign_name(year))
        cls.previous = Campaign.objects.get(name=demo.campaign_name(year - 1))

    def setUp(self):
        self.units = {
            a.unit.name: a for a in self.campaign.assessments.select_related("unit", "campaign")
        }

    def test_a_unit_in_every_state_but_published(self):
        campaign, units = self.campaign, self.units
        assert campaign.year == timezone.localdate().year
        assert campaign.organizing_unit.name == "Trà Bồng"
        assert campaign.indicator_set.tier == "commune"
        assert campaign.indicator_set.status == SetStatus.FROZEN
        assert {name: units[name].state for name, _state in demo.PLAN} == dict(demo.PLAN)
        states = campaign.assessments.values_list("state", flat=True)
        assert set(states) == set(S) - {S.PUBLISHED}
        # The fixture sets stay active; each campaign froze its year's copy.
        fixture_sets = IndicatorSet.objects.exclude(
            pk__in=[campaign.indicator_set_id, self.previous.indicator_set_id]
        )
        assert set(fixture_sets.values_list("status", flat=True)) == {SetStatus.ACTIVE}

    def test_every_state_change_is_in_the_log(self):
        for assessment in self.units.values():
            log = list(assessment.transitions.all())
            assert [row.from_state for row in log[1:]] == [row.to_state for row in log[:-1]]
            assert (log[-1].to_state if log else S.OPEN) == assessment.state
            assert all(row.by_id for row in log)
        transitions = AssessmentTransition.objects.filter(assessment__campaign=self.campaign)
        reopened = transitions.filter(name="reopen")
        assert reopened.count() == 4
        assert not reopened.filter(reason="")
        assert transitions.filter(name="return_for_editing").exists()

    def test_answers_are_scored_by_the_engine_with_their_history(self):
        answered = Response.objects.filter(
            assessment__campaign=self.campaign, self_score__isnull=False
        ).select_related("indicator", "assessment")
        for response in answered:
            assert response.inputs
            assert response.self_score == response.indicator.score(
                response.inputs, response.assessment.general_info
            )
            if response.inputs_source == "typed":
                assert response.updated_by.unit_id == response.assessment.unit_id
            else:  # a figure a data provider sent
                assert response.updated_by.has_role("data_provider")
        assert Response.history.filter(assessment__campaign=self.campaign).count() > len(answered)
        assert not Assessment.objects.filter(campaign=self.campaign, general_info={}).exists()
        # Required evidence is there for every unit that submitted.
        missing = Response.objects.filter(
            assessment__campaign=self.campaign, indicator__evidence_mandatory=True
        ).exclude(evidence__phase=EvidencePhase.SELF)
        assert not missing.exists()

    def test_the_demo_officer_can_continue_their_open_self_assessment(self):
        home = self.units[demo.HOME_COMMUNE]
        assert home.state == S.OPEN
        responses = Response.objects.filter(assessment=home)
        assert 0 < responses.filter(self_score__isnull=False).count() < responses.count()
        assert home.editing_problems(EvidencePhase.SELF) == []
        for assessment in self.units.values():
            if assessment.state in (S.OPEN, S.SELF_ASSESSED):
                assert assessment.extended_until > timezone.now()

    def test_round_one_scores_every_indicator_with_comments_where_it_differs(self):
        appraised = [a for a in self.units.values() if a.state in demo.APPRAISED]
        assert len(appraised) == 10
        assert not Response.objects.filter(assessment__in=appraised).exclude(appraisals__round=1)
        round_one = Appraisal.objects.filter(
            round=1, response__assessment__campaign=self.campaign
        ).select_related("response")
        assert round_one.count() == sum(a.responses.count() for a in appraised)
        differing = [a for a in round_one if a.score != a.response.self_score]
        assert differing and all(a.comment for a in differing)

    def test_explanations_with_evidence_and_round_two_of_the_disputes(self):
        disputed = Response.objects.filter(
            assessment__campaign=self.campaign, explanation__status=ExplanationStatus.SUBMITTED
        )
        assert disputed.filter(assessment__state=S.EXPLANATION).exists()
        assert not disputed.exclude(assessment__state__in=demo.EXPLAINED)
        evidence = Evidence.objects.filter(response__in=disputed, phase=EvidencePhase.EXPLANATION)
        assert set(evidence.values_list("kind", flat=True)) == {
            EvidenceKind.CITATION,
            EvidenceKind.LINK,
        }
        round_two = Appraisal.objects.filter(round=2, response__assessment__campaign=self.campaign)
        assert round_two.exists()
        assert not round_two.exclude(response__in=disputed)
        assert all(round_two.values_list("comment", flat=True))
        assert not disputed.filter(assessment__state=S.APPRAISED_2).exclude(appraisals__round=2)
        # Some disputes still wait for their second look: the council has work to do now.
        assert disputed.filter(assessment__state=S.EXPLANATION).exclude(appraisals__round=2)

    def test_the_calendar_is_in_round_two(self):
        campaign = self.campaign
        assert windows.has_closed(campaign, PhaseKind.SELF_ASSESSMENT)
        assert windows.has_closed(campaign, PhaseKind.EXPLANATION)
        assert windows.is_open(campaign, PhaseKind.ROUND_2)

    def test_the_council_has_its_chair_secretary_and_the_demo_members(self):
        council = Council.objects.get(campaign=self.campaign)
        roles = dict(council.members.values_list("user__username", "role"))
        assert roles == {username: role for username, role, _pillars in demo.COUNCIL}
        assert roles["congan"] == roles["noivu"] == CouncilRole.MEMBER
        unassigned = self.campaign.indicator_set.pillars.annotate(
            n=Count("indicators", filter=Q(indicators__council_assignments__isnull=True))
        ).filter(n__gt=0)
        assert not unassigned.exists()

    def test_the_summary_says_which_unit_is_where_and_which_login_to_use(self):
        with translation.override("en"):
            for name, state in demo.PLAN:
                line = next(line for line in self.output.splitlines() if line.startswith(name))
                assert str(S(state).label) in line
                assert demo.officer_username(name) in line
        for username in ("vhtt", "traxuan.canbo", "traxuan.lanhdao", "trabui.canbo"):
            assert username in self.output
        for username, _role, _pillars in demo.COUNCIL:
            assert username in self.output

    def test_the_data_providers_owe_and_sent_figures_one_of_them_prefilled(self):
        assignments = ProviderAssignment.objects.filter(campaign=self.campaign)
        assert sorted(
            (a.agency.name, a.indicator.code if a.indicator_id else f"@{a.info_field.code}")
            for a in assignments
        ) == [
            ("Chi cục Thống kê Trà Bồng", "8.1"),
            ("Chi cục Thống kê Trà Bồng", "@tong_so_ho_gia_dinh"),
            ("Viettel Trà Bồng", "3.3"),
        ]
        figures = ProvidedFigure.objects.filter(assignment__campaign=self.campaign)
        assert figures.count() == (16 - 2) + (16 - 1) + (8 - 3)
        prefilled = figures.filter(prefilled=True)
        assert [(f.assessment.unit.name, f.assignment.indicator.code) for f in prefilled] == [
            (demo.HOME_COMMUNE, "8.1")
        ]
        home = Response.objects.get(assessment=self.units[demo.HOME_COMMUNE], indicator__code="8.1")
        assert (home.inputs_source, home.inputs_agency.name) == (
            "provided",
            "Chi cục Thống kê Trà Bồng",
        )
        self.pages_of(
            "thongke",
            [
                reverse("home"),
                reverse("providers:my_campaigns"),
                reverse("providers:figures", args=[self.campaign.pk]),
            ],
        )
        sheet = self.client.get(reverse("providers:sheet_template", args=[self.campaign.pk]))
        assert sheet.status_code == 200
        self.pages_of("viettel", [reverse("providers:figures", args=[self.campaign.pk])])
        self.pages_of("vhtt", [reverse("providers:campaign_providers", args=[self.campaign.pk])])
        assert "thongke" in self.output and "viettel" in self.output

    def test_a_second_run_changes_nothing(self):
        before = counts()
        second = run_demo()
        assert counts() == before
        assert "already present, unchanged" in second
        assert "created." not in second

    def pages_of(self, username, urls):
        self.client.logout()
        assert self.client.login(username=username, password=DEMO_PASSWORD), username
        pages = []
        for url in urls:
            response = self.client.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
            pages.append(response.content.decode())
        return pages

    def test_the_organizer_s_pages(self):
        pk = self.campaign.pk
        pages = self.pages_of(
            "vhtt",
            [
                reverse("home"),
                reverse("assessments:campaign_list"),
                reverse("assessments:campaign_detail", args=[pk]),
                reverse("assessments:campaign_calendar", args=[pk]),
                reverse("assessments:campaign_units", args=[pk]),
                reverse("assessments:assessment_detail", args=[self.units["Trà Bình"].pk]),
                reverse("councils:council_manage", args=[pk]),
                reverse("councils:assignment_matrix", args=[pk]),
                reverse("councils:rounds", args=[pk]),
            ],
        )
        assert self.campaign.name in pages[0]
        assert all(name in pages[2] for name, _state in demo.PLAN)

    def test_the_unit_officer_s_and_leader_s_pages(self):
        home = self.units[demo.HOME_COMMUNE]
        self.pages_of(
            "traxuan.canbo",
            [reverse("home"), reverse("assessments:assessment_detail", args=[home.pk])],
        )
        self.pages_of(
            "traxuan.lanhdao",
            [reverse("home"), reverse("assessments:assessment_review", args=[home.pk])],
        )
        waiting = self.units["Trà Thanh"]
        self.pages_of(
            "trathanh.lanhdao", [reverse("assessments:assessment_review", args=[waiting.pk])]
        )

    def test_the_explanation_and_results_pages(self):
        explaining = self.units["Trà Bùi"]
        pages = self.pages_of(
            "trabui.canbo",
            [
                reverse("home"),
                reverse("councils:explanation", args=[explaining.pk]),
                reverse("councils:results", args=[explaining.pk]),
            ],
        )
        for explanation in Explanation.objects.filter(response__assessment=explaining):
            assert explanation.text in pages[1]
        self.pages_of(
            "trabinh.lanhdao", [reverse("councils:results", args=[self.units["Trà Bình"].pk])]
        )

    def test_the_council_s_pages(self):
        pk = self.campaign.pk
        self.pages_of(
            "hd.chutich",
            [
                reverse("home"),
                reverse("councils:rounds", args=[pk]),
                reverse("councils:workbench", args=[pk]),
            ],
        )
        self.pages_of(
            "hd.thuky",
            [
                reverse("councils:rounds", args=[pk]),
                reverse("councils:assignment_matrix", args=[pk]),
            ],
        )
        self.pages_of("noivu", [reverse("councils:workbench", args=[pk])])
        pages = self.pages_of(
            "congan",
            [
                reverse("home"),
                reverse("councils:my_councils"),
                reverse("councils:workbench", args=[pk]),
            ],
        )
        # The member's disputed indicators wait on the workbench, with the unit's explanation.
        waiting = Explanation.objects.filter(
            status=ExplanationStatus.SUBMITTED,
            response__assessment__state=S.EXPLANATION,
            response__indicator__council_assignments__member__user__username="congan",
        ).exclude(response__appraisals__round=2)
        assert waiting.exists()
        assert all(explanation.text in pages[2] for explanation in waiting)

    def test_the_administrator_sees_the_campaign(self):
        self.pages_of("admin", [reverse("assessments:campaign_detail", args=[self.campaign.pk])])

    # --- last year's campaign, published ---------------------------------------------

    def test_last_year_s_campaign_has_every_commune_published(self):
        previous = self.previous
        assert previous.year == self.campaign.year - 1
        assert previous.organizing_unit_id == self.campaign.organizing_unit_id
        # Its own copy of the fixture's commune set, frozen by the campaign.
        indicator_set = previous.indicator_set
        assert indicator_set.year == previous.year
        assert indicator_set.name == self.campaign.indicator_set.name
        assert indicator_set.status == SetStatus.FROZEN
        assessments = previous.assessments.select_related("unit")
        assert {a.unit.name for a in assessments} == set(self.units)
        assert set(assessments.values_list("state", flat=True)) == {S.PUBLISHED}

    def test_last_year_went_all_the_way_through_both_rounds(self):
        previous = self.previous
        for assessment in previous.assessments.all():
            log = list(assessment.transitions.values_list("name", flat=True))
            assert log[0] == "submit"
            assert log[-5:] == [
                "confirm",
                "close_round_one",
                "open_explanation",
                "close_round_two",
                "publish",
            ]
        returned = AssessmentTransition.objects.filter(
            assessment__campaign=previous, name="return_for_editing"
        )
        assert returned.count() == 1
        responses = Response.objects.filter(assessment__campaign=previous)
        assert not responses.filter(self_score__isnull=True).exists()
        assert not Assessment.objects.filter(campaign=previous, general_info={}).exists()
        # Round 1 scores every indicator, with a comment wherever it found less.
        round_one = Appraisal.objects.filter(
            round=1, response__assessment__campaign=previous
        ).select_related("response")
        assert round_one.count() == responses.count()
        lowered = [a for a in round_one if a.score != a.response.self_score]
        assert len(lowered) >= 3 * len(self.units)
        assert all(a.score < a.response.self_score and a.comment for a in lowered)
        # Each appraisal has its history row, in the name of the member who made it.
        history = Appraisal.history.filter(response__assessment__campaign=previous)
        assert history.filter(round=1).count() == round_one.count()
        assert not history.filter(history_user__isnull=True).exists()
        # A few communes disputed; round 2 re-appraised every dispute, with a comment.
        disputed = responses.filter(explanation__status=ExplanationStatus.SUBMITTED)
        disputing = disputed.values("assessment").distinct().count()
        assert 3 <= disputing < len(self.units)
        round_two = Appraisal.objects.filter(round=2, response__assessment__campaign=previous)
        assert round_two.count() == disputed.count()
        assert all(round_two.values_list("comment", flat=True))
        assert {a.score == a.response.self_score for a in round_two} == {True, False}

    def test_last_year_s_publication_ranks_every_commune(self):
        publication = Publication.objects.get(campaign=self.previous)
        assert publication.version == 1
        assert publication.decision_number.endswith("/QĐ-UBND")
        assert publication.decision_date == date(self.previous.year, 11, 28)
        assert publication.signer_title == "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
        assert publication.signer_name
        results = list(publication.results.all())
        assert {r.assessment_id for r in results} == set(
            self.previous.assessments.values_list("pk", flat=True)
        )
        values = [r.dti_value for r in results]
        # Highest first; equal values share a rank and the next one is skipped.
        for result in results:
            assert result.dti_rank == 1 + sum(value > result.dti_value for value in values)
            assert result.band_name
            assert None not in (result.cqs_rank, result.kts_rank, result.xhs_rank)
            assert (
                len(result.indicators)
                == Response.objects.filter(assessment_id=result.assessment_id).count()
            )
        assert min(r.dti_rank for r in results) == 1
        # Spread out over the table.
        assert max(values) - min(values) > 15
        assert len(set(values)) > len(values) * 3 // 4

    def test_last_year_s_answers_are_not_this_year_s(self):
        def self_points(campaign):
            return dict(
                Response.objects.filter(assessment__campaign=campaign)
                .values_list("assessment__unit__name")
                .annotate(points=Sum("self_score"))
            )

        this_year, last_year = self_points(self.campaign), self_points(self.previous)
        changed = [name for name in this_year if this_year[name] != last_year[name]]
        assert len(changed) == len(self.units)

    def test_the_public_pages_answer_without_login(self):
        self.client.logout()
        publication = Publication.objects.get(campaign=self.previous)
        first = publication.results.order_by("dti_rank", "unit_name")[0]
        pk = self.previous.pk
        pages = []
        for url in [
            reverse("rankings:results_index"),
            reverse("rankings:results_campaign", args=[pk]),
            reverse("rankings:results_unit", args=[pk, first.assessment_id]),
        ]:
            response = self.client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            pages.append(response.content.decode())
        assert self.previous.name in pages[0]
        assert all(name in pages[1] for name in self.units)
        assert first.unit_name in pages[2]
        # This year's campaign is not published: it has no public page.
        this_year = reverse("rankings:results_campaign", args=[self.campaign.pk])
        assert self.client.get(this_year).status_code == 404

    def test_the_summary_names_the_published_campaign_and_the_public_url(self):
        assert self.previous.name in self.output
        assert "Published demo campaign" in self.output
        assert reverse("rankings:results_index") in self.output
        assert reverse("rankings:results_campaign", args=[self.previous.pk]) in self.output


def test_no_campaign_and_no_users_build_no_campaign():
    run_demo("--no-campaign")
    assert not Campaign.objects.exists()
    assert IndicatorSet.objects.count() == 2
    run_demo("--no-users", "--no-campaign")
    assert not Campaign.objects.exists()


def test_no_demo_campaign_beside_the_district_s_own_campaigns_of_those_years():
    run_demo("--no-campaign")
    year = timezone.localdate().year
    base = IndicatorSet.objects.get(tier="commune")
    now = timezone.now()
    own = []
    for campaign_year in (year - 1, year):
        indicator_set = base
        if base.year != campaign_year:
            indicator_set = indicator_set_copy(indicator_set=base, year=campaign_year)
        if indicator_set.status == SetStatus.DRAFT:
            indicator_set = indicator_set_activate(indicator_set=indicator_set)
        own.append(
            campaign_create(
                organizer=demo.User.objects.get(username="vhtt"),
                name=f"Đợt đánh giá của huyện năm {campaign_year}",
                year=campaign_year,
                indicator_set=indicator_set,
                phases={
                    PhaseKind.SELF_ASSESSMENT: {
                        "opens_at": now,
                        "closes_at": now + timedelta(days=30),
                    }
                },
            )
        )
    output = run_demo()
    assert set(Campaign.objects.all()) == set(own)
    assert "the demo campaign was not created" in output
    assert "the published demo campaign was not created" in output
