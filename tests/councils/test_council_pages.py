"""The appraisal pages: council, assignments, workbench, rounds, explanation, results."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, AssessmentState
from councils import selectors, services
from councils.models import Appraisal, Assignment, CouncilMember, CouncilRole, Explanation
from tests.councils.helpers import fresh, in_explanation, in_round_one, response_of
from tests.factories import (
    AgencyFactory,
    UserFactory,
    assessment_set,
    open_campaign,
    sized_set,
    unit_tree,
)

S = AssessmentState
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(client, user):
    client.force_login(user)
    return client


def status(client, user, url) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def urls(world) -> dict:
    pk = world.campaign.pk
    return {
        "manage": reverse("councils:council_manage", args=[pk]),
        "matrix": reverse("councils:assignment_matrix", args=[pk]),
        "rounds": reverse("councils:rounds", args=[pk]),
        "workbench": reverse("councils:workbench", args=[pk]),
        "export": reverse("councils:assignment_export", args=[pk]),
    }


# --- who sees which page -------------------------------------------------------------


def test_each_page_renders_for_its_role_and_is_a_404_for_others(client, assigned):
    u = urls(assigned)
    p = assigned.people
    expected = {
        # person: manage, matrix, rounds, workbench, export
        "organizer": (200, 200, 200, 404, 200),
        "chair": (404, 200, 200, 200, 200),
        "secretary": (404, 200, 200, 200, 200),
        "police": (404, 404, 404, 200, 404),
        "officer": (404, 404, 404, 404, 404),
        "outsider": (404, 404, 404, 404, 404),
    }
    for name, codes in expected.items():
        user = getattr(p, name)
        got = tuple(
            status(client, user, u[page])
            for page in ("manage", "matrix", "rounds", "workbench", "export")
        )
        assert got == codes, name


def test_anonymous_people_are_sent_to_the_login_page(client, assigned):
    for url in urls(assigned).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_member_cannot_open_the_workbench_of_another_campaign(client, assigned):
    other_set = assessment_set()
    other_organizer = UserFactory(agency=AgencyFactory(unit=assigned.district), roles=["organizer"])
    other = open_campaign(organizer=other_organizer, indicator_set=other_set, name="Khác")
    services.council_create(campaign=other, user=other_organizer, decision_number="9/QĐ")
    as_user(client, assigned.people.police)
    assert client.get(reverse("councils:workbench", args=[other.pk])).status_code == 404
    assert client.get(reverse("councils:workbench", args=[assigned.campaign.pk])).status_code == 200


def test_a_member_cannot_appraise_their_own_unit_through_the_page(client, assigned):
    in_round_one(assigned)
    as_user(client, assigned.people.postman)  # belongs to Xã A, assigned pillar 1 everywhere
    page = client.get(reverse("councils:workbench", args=[assigned.campaign.pk]))
    units = {row.unit_name for row in page.context["rows"]}
    assert units == {"Xã B"}
    own = response_of(assigned.assessment_a, "1.1")
    response = client.post(
        reverse("councils:appraisal_save", args=[assigned.campaign.pk, own.pk]),
        {"score": "10", "comment": ""},
        **HTMX,
    )
    assert response.status_code == 404
    assert not Appraisal.objects.filter(response=own).exists()


# --- the council page ---------------------------------------------------------------


def test_the_organizer_forms_the_council_and_manages_its_members(client, db):
    tree = unit_tree()
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=tree["district"])
    organizer = UserFactory(agency=culture, roles=["organizer"])
    person = UserFactory(full_name="Cán bộ Bình", agency=culture)
    campaign = open_campaign(organizer=organizer)
    url = reverse("councils:council_manage", args=[campaign.pk])
    as_user(client, organizer)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "create", "decision_number": "55/QĐ-UBND", "decision_date": "01/02/2025"}
    )
    assert response.status_code == 302
    council = campaign.__class__.objects.get(pk=campaign.pk).council
    assert (council.decision_number, str(council.decision_date)) == ("55/QĐ-UBND", "2025-02-01")
    client.post(url, {"action": "add", "user": person.pk, "role": "member"})
    member = CouncilMember.objects.get(council=council, user=person)
    client.post(url, {"action": "role", "member": member.pk, "role": "secretary"})
    assert CouncilMember.objects.get(pk=member.pk).role == CouncilRole.SECRETARY
    client.post(url, {"action": "remove", "member": member.pk})
    assert not CouncilMember.objects.filter(pk=member.pk).exists()


def test_adding_someone_twice_shows_the_services_refusal(client, assigned):
    url = reverse("councils:council_manage", args=[assigned.campaign.pk])
    as_user(client, assigned.people.organizer)
    # the form offers only people not yet members: the service's check stays the backstop
    response = client.post(url, {"action": "add", "user": assigned.people.police.pk, "role": "x"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


# --- the assignment matrix --------------------------------------------------------------


def test_the_matrix_assigns_a_whole_pillar_and_toggles_a_cell(client, world):
    url = reverse("councils:assignment_matrix", args=[world.campaign.pk])
    as_user(client, world.people.organizer)
    page = client.get(url)
    assert page.context["coverage"].unassigned_codes == ["1.1", "1.2", "2.1", "2.2"]
    client.post(
        url,
        {"action": "assign", "member": world.members.police.pk, "pillar": world.pillars["2"].pk},
    )
    assert sorted(
        Assignment.objects.filter(member=world.members.police).values_list(
            "indicator__code", flat=True
        )
    ) == ["2.1", "2.2"]
    cell = f"{world.members.police.pk}:{world.indicators['2.2'].pk}"
    client.post(url, {"action": "toggle", "cell": cell})
    assert list(
        Assignment.objects.filter(member=world.members.police).values_list(
            "indicator__code", flat=True
        )
    ) == ["2.1"]
    page = client.get(url)
    assert page.context["coverage"].unassigned_codes == ["1.1", "1.2", "2.2"]


def test_the_matrix_shows_a_conflict_refused_by_the_services(client, world):
    url = reverse("councils:assignment_matrix", args=[world.campaign.pk])
    as_user(client, world.people.organizer)
    response = client.post(
        url,
        {
            "action": "assign",
            "member": world.members.postman.pk,
            "pillar": world.pillars["1"].pk,
            "units": [world.a.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["errors"] == ["Bưu tá An belongs to Xã A and cannot appraise it."]
    assert not Assignment.objects.filter(member=world.members.postman).exists()


def test_propose_from_verifiers_shows_the_proposal_then_applies_it(client, world):
    url = reverse("councils:assignment_matrix", args=[world.campaign.pk])
    as_user(client, world.people.organizer)
    shown = client.post(url, {"action": "propose"})
    planned = [(p.indicator.code, str(p.member.user)) for p in shown.context["proposal"].planned]
    assert planned == [("1.1", "Thư ký Lan"), ("1.2", "Chủ tịch Hà"), ("2.1", "Công an Minh")]
    assert not Assignment.objects.exists()
    client.post(url, {"action": "propose_apply"})
    assert sorted(Assignment.objects.values_list("indicator__code", flat=True)) == [
        "1.1",
        "1.2",
        "2.1",
    ]


def test_excel_export_then_import_previews_and_applies(client, assigned):
    import io

    from openpyxl import load_workbook

    as_user(client, assigned.people.organizer)
    exported = client.get(reverse("councils:assignment_export", args=[assigned.campaign.pk]))
    workbook = load_workbook(io.BytesIO(exported.content))
    sheet = workbook["Phân công"]
    # take 2.2 away from the police officer
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "2.2":
            row[2].value = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "phan-cong.xlsx"
    url = reverse("councils:assignment_import", args=[assigned.campaign.pk])
    preview = client.post(url, {"file": buffer})
    assert [(c.code, c.person) for c in preview.context["import_preview"].gone] == [
        ("2.2", "Công an Minh")
    ]
    assert Assignment.objects.filter(indicator__code="2.2").exists()
    applied = client.post(url, {"action": "apply"})
    assert applied.status_code == 302
    assert not Assignment.objects.filter(indicator__code="2.2").exists()


# --- the workbench ------------------------------------------------------------------


def test_recording_a_round_one_appraisal_through_the_page(client, assigned):
    in_round_one(assigned)
    target = response_of(assigned.assessment_b, "2.1")  # self score 10
    url = reverse("councils:appraisal_save", args=[assigned.campaign.pk, target.pk])
    as_user(client, assigned.people.police)
    refused = client.post(url, {"score": "8", "comment": ""}, **HTMX)
    assert refused.status_code == 200
    assert refused.context["row"].form_errors == [
        "The score differs from the self score (10.00): explain why in a comment."
    ]
    assert not Appraisal.objects.filter(response=target).exists()
    recorded = client.post(url, {"score": "8", "comment": "Thiếu biên bản."}, **HTMX)
    assert recorded.status_code == 200
    assert 'data-testid="row-saved"' in recorded.content.decode()
    appraisal = Appraisal.objects.get(response=target)
    assert (appraisal.round, appraisal.score, appraisal.comment, appraisal.member) == (
        1,
        Decimal("8.00"),
        "Thiếu biên bản.",
        assigned.members.police,
    )
    page = client.get(reverse("councils:workbench", args=[assigned.campaign.pk]))
    row = next(r for r in page.context["rows"] if r.response_id == target.pk)
    assert row.round_1.score == Decimal("8.00")
    assert _overall(client, reverse("councils:workbench", args=[assigned.campaign.pk])) == (1, 4)


def test_recording_verified_inputs_scores_them_by_the_rule(client, assigned):
    in_round_one(assigned)
    target = response_of(assigned.assessment_b, "1.1")  # yes/no, self yes = 10
    url = reverse("councils:appraisal_save", args=[assigned.campaign.pk, target.pk])
    as_user(client, assigned.people.chair)
    client.post(
        url,
        {"use_inputs": "1", f"v{target.pk}-value": "no", "comment": "Không có kế hoạch."},
        **HTMX,
    )
    appraisal = Appraisal.objects.get(response=target)
    assert (appraisal.inputs, appraisal.score) == ({"value": False}, Decimal("0.00"))


def test_the_workbench_filters(client, assigned):
    in_round_one(assigned)
    services.appraisal_record(
        response=response_of(assigned.assessment_b, "2.1"),
        member_user=assigned.people.police,
        round=1,
        score="8",
        comment="Thiếu.",
    )
    url = reverse("councils:workbench", args=[assigned.campaign.pk])
    as_user(client, assigned.people.police)

    def codes(**params):
        rows = client.get(url, params).context["rows"]
        return [(r.unit_name, r.code) for r in rows]

    assert codes() == [("Xã A", "2.1"), ("Xã A", "2.2"), ("Xã B", "2.1"), ("Xã B", "2.2")]
    assert codes(unit=assigned.b.pk) == [("Xã B", "2.1"), ("Xã B", "2.2")]
    assert codes(differs="1") == [("Xã B", "2.1")]
    assert codes(pending="1") == [("Xã A", "2.1"), ("Xã A", "2.2"), ("Xã B", "2.2")]
    assert codes(pillar=assigned.pillars["1"].pk) == []


def _campaign_sized(*, units: int, indicators: int):
    tree = unit_tree(communes=units)
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=tree["district"])
    organizer = UserFactory(agency=culture, roles=["organizer"])
    police = UserFactory(full_name="Công an", agency=AgencyFactory(unit=tree["district"]))
    campaign = open_campaign(organizer=organizer, indicator_set=sized_set(indicators=indicators))
    council = services.council_create(campaign=campaign, user=organizer, decision_number="1/QĐ")
    member = services.member_add(council=council, user=organizer, member_user=police)
    for pillar in campaign.indicator_set.pillars.all():
        services.assignment_set(council=council, user=organizer, member=member, pillars=[pillar])
    Assessment.objects.filter(campaign=campaign).update(state=S.CONFIRMED)
    return campaign, organizer, police


def _queries(client, user, url) -> tuple[int, object]:
    as_user(client, user)
    client.get(url)  # warm the session and the content types
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    return len(queries), page


def _overall(client, url) -> tuple[int, int]:
    """The member's overall progress, as the page asks for it once shown (htmx)."""
    fragment = client.get(url, {"progress": "overall"}, **HTMX)
    assert fragment.status_code == 200
    assert 'data-testid="rows"' not in fragment.content.decode()  # the figure alone
    assert "HX-Request" in fragment["Vary"]  # never the page's cached copy, nor the reverse
    overall = fragment.context["overall"]
    return overall.done, overall.total


# session, user, membership (council, campaign, agency), assignments, indicators (with
# their pillars), the units (listing, the page's progress), rows ×2, windows, evidence,
# explanations, roles. The overall progress is its own request: session, user,
# membership, assignments, progress.
WORKBENCH_QUERIES = 13
WORKBENCH_PROGRESS_QUERIES = 5
MATRIX_QUERIES = 24  # session, user, campaign, council, matrix 5, coverage 6, bulk form 8, …


@pytest.mark.parametrize(("units", "indicators"), [(2, 8), (10, 40), (30, 4)])
def test_the_workbench_queries_grow_with_neither_units_nor_indicators(
    client, db, units, indicators, django_assert_num_queries
):
    campaign, _organizer, police = _campaign_sized(units=units, indicators=indicators)
    url = reverse("councils:workbench", args=[campaign.pk])
    as_user(client, police)
    client.get(url)  # warm the session and the content types
    with django_assert_num_queries(WORKBENCH_QUERIES):
        page = client.get(url)
    shown = page.context["unit_page"].shown
    assert page.context["unit_page"].total == units
    assert len(page.context["rows"]) == shown * indicators
    assert shown == max(1, min(units, selectors.WORKBENCH_ROWS_PER_PAGE // indicators))
    assert page.context["overall"] is None  # asked for after the page
    assert f'hx-get="{url}?progress=overall"' in page.content.decode()
    with django_assert_num_queries(WORKBENCH_PROGRESS_QUERIES):
        assert _overall(client, url) == (0, units * indicators)
    # A unit chosen and every filter on: one query more, to find the unit.
    pillar = campaign.indicator_set.pillars.order_by("code").first()
    unit = Assessment.objects.filter(campaign=campaign).order_by("unit__name").last().unit
    filtered = {"unit": unit.pk, "pillar": pillar.pk, "pending": "1", "q": "X"}
    with django_assert_num_queries(WORKBENCH_QUERIES + 1):
        page = client.get(url, filtered)
    assert {row.unit_name for row in page.context["rows"]} == {unit.name}
    # Without JavaScript the overall progress comes with the page: one query more.
    with django_assert_num_queries(WORKBENCH_QUERIES + 2):
        page = client.get(url, {**filtered, "progress": "overall"})
    assert page.context["overall"].total == units * indicators


def test_the_workbench_pages_its_units_and_keeps_the_filters(client, db):
    campaign, _organizer, police = _campaign_sized(units=30, indicators=4)
    url = reverse("councils:workbench", args=[campaign.pk])
    names = sorted(
        Assessment.objects.filter(campaign=campaign).values_list("unit__name", flat=True)
    )
    as_user(client, police)

    def page_of(**params):
        page = client.get(url, params)
        assert page.status_code == 200
        listed = [unit.unit_name for unit in page.context["per_unit"]]
        if "unit" not in params:
            assert {row.unit_name for row in page.context["rows"]} == set(listed)
        return page, listed

    # 4 rows a unit: 7 units (28 rows) a page, 5 pages.
    assert selectors.WORKBENCH_ROWS_PER_PAGE == 30
    first, listed = page_of()
    paging = first.context["unit_page"]
    assert (paging.number, paging.pages, paging.total, paging.per_page) == (1, 5, 30, 7)
    assert listed == names[:7]
    assert len(first.context["rows"]) == 28
    html = first.content.decode()
    assert "Units 1–7 of 30" in html
    assert 'href="?trang=2#table-units"' in html
    assert page_of(trang="5")[1] == names[28:]
    assert page_of(trang="99")[0].context["unit_page"].number == 5  # past the end: the last
    assert page_of(trang="x")[1] == names[:7]  # not a number: the first
    # The filters stay in the pager's and the units' links; choosing a unit keeps the page.
    second, listed = page_of(pending="1", trang="2")
    html = second.content.decode()
    assert 'href="?pending=1&amp;trang=3#table-units"' in html
    unit_pk = second.context["per_unit"][0].unit_id
    assert f'href="?pending=1&amp;trang=2&amp;unit={unit_pk}"' in html
    one, listed = page_of(pending="1", trang="2", unit=unit_pk)
    assert {row.unit_name for row in one.context["rows"]} == {names[7]}
    assert 'href="?pending=1&amp;trang=2"' in one.content.decode()  # back to the list
    # The name filter pages only the units it keeps.
    only, listed = page_of(q=names[29])
    assert listed == [names[29]]
    assert only.context["unit_page"].total == 1
    assert _overall(client, url) == (0, 120)  # every row, whatever the filters
    # Without JavaScript the page offers a link that asks for the figure with the page.
    assert 'href="?q=' in only.content.decode()
    whole, listed = page_of(q=names[29], progress="overall")
    assert listed == [names[29]]
    assert (whole.context["overall"].done, whole.context["overall"].total) == (0, 120)
    assert 'data-testid="progress-overall">0/120<' in whole.content.decode()


def test_a_member_with_nothing_assigned_is_told_so(client, assigned):
    url = reverse("councils:workbench", args=[assigned.campaign.pk])
    as_user(client, assigned.people.secretary)
    page = client.get(url)
    assert (page.context["per_unit"], page.context["rows"]) == ([], [])
    assert "Nothing is assigned to you yet." in page.content.decode()
    assert _overall(client, url) == (0, 0)
    # A filter that keeps nothing, for a member with rows: the filters, not the assignment.
    as_user(client, assigned.people.police)
    page = client.get(url, {"q": "no such unit"})
    assert page.context["per_unit"] == []
    assert "No unit matches these filters." in page.content.decode()


def test_the_workbench_counts_each_unit_in_sql_and_lists_round_two_first(client, assigned):
    from django.utils import timezone

    from tests.councils.helpers import in_round_two

    in_round_one(assigned)
    b_21 = response_of(assigned.assessment_b, "2.1")
    services.appraisal_record(
        response=b_21, member_user=assigned.people.police, round=1, score="8", comment="Thiếu."
    )
    url = reverse("councils:workbench", args=[assigned.campaign.pk])
    as_user(client, assigned.people.police)

    def progress():
        page = client.get(url)
        units = [(u.unit_name, u.done, u.total) for u in page.context["per_unit"]]
        return units, _overall(client, url)

    assert progress() == ([("Xã A", 0, 2), ("Xã B", 1, 2)], (1, 4))
    # Xã B disputes 2.1: its round-2 row waits, and the unit comes first.
    Explanation.objects.create(
        response=b_21, text="Đủ biên bản.", status="submitted", submitted_at=timezone.now()
    )
    in_round_two(assigned, assigned.assessment_b)
    assert progress() == ([("Xã B", 0, 2), ("Xã A", 0, 2)], (0, 4))
    pending = client.get(url, {"pending": "1"}).context["rows"]
    assert [(r.unit_name, r.code) for r in pending][:1] == [("Xã B", "2.1")]
    services.appraisal_record(
        response=b_21, member_user=assigned.people.police, round=2, score="10", comment="Đủ."
    )
    assert progress() == ([("Xã B", 1, 2), ("Xã A", 0, 2)], (1, 4))


@pytest.mark.parametrize(("units", "indicators"), [(2, 8), (10, 40)])
def test_the_matrix_queries_grow_with_neither_units_nor_indicators(client, db, units, indicators):
    campaign, organizer, _police = _campaign_sized(units=units, indicators=indicators)
    url = reverse("councils:assignment_matrix", args=[campaign.pk])
    count, page = _queries(client, organizer, url)
    assert page.content.decode().count('data-testid="cell"') == indicators
    assert count == MATRIX_QUERIES


# --- closing the rounds ----------------------------------------------------------------


def test_close_round_one_refused_lists_the_missing_codes_then_succeeds(client, assigned):
    in_round_one(assigned)
    a = assigned.assessment_a
    url = reverse("councils:rounds", args=[assigned.campaign.pk])
    as_user(client, assigned.people.secretary)
    refused = client.post(url, {"assessment": a.pk, "action": "close_1"})
    assert refused.status_code == 400
    row = next(x for x in refused.context["assessments"] if x.pk == a.pk)
    assert row.refusal == [
        "Indicators without a round-1 score: 1.1 — Chủ tịch Hà, 1.2 — Chủ tịch Hà, "
        "2.1 — Công an Minh, 2.2 — Công an Minh."
    ]
    assert "1.1 — Chủ tịch Hà" in refused.content.decode()
    assert fresh(a).state == S.CONFIRMED
    owner = {"1": assigned.people.chair, "2": assigned.people.police}
    for code in ("1.1", "1.2", "2.1", "2.2"):
        response = response_of(a, code)
        services.appraisal_record(
            response=response,
            member_user=owner[code[0]],
            round=1,
            score=str(response.self_score),
        )
    done = client.post(url, {"assessment": a.pk, "action": "close_1"})
    assert done.status_code == 302
    assert fresh(a).state == S.APPRAISED_1


def test_a_plain_member_sees_no_closing_page(client, assigned):
    in_round_one(assigned)
    as_user(client, assigned.people.police)
    url = reverse("councils:rounds", args=[assigned.campaign.pk])
    response = client.post(url, {"assessment": assigned.assessment_a.pk, "action": "close_1"})
    assert response.status_code == 404


# --- the explanation ------------------------------------------------------------------


def test_the_explanation_page_saves_a_draft_and_submits(client, assigned):
    in_round_one(assigned)
    target = response_of(assigned.assessment_a, "2.1")
    services.appraisal_record(
        response=target, member_user=assigned.people.police, round=1, score="5", comment="Thiếu."
    )
    in_explanation(assigned, assigned.assessment_a)
    url = reverse("councils:explanation", args=[assigned.assessment_a.pk])
    as_user(client, assigned.people.officer)
    page = client.get(url)
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r["score"].code == "2.1")
    assert (row["score"].self_score, row["score"].round_1.score, row["editable"]) == (
        Decimal("10.00"),
        Decimal("5.00"),
        True,
    )
    assert "at most 2000 characters" in page.content.decode()
    draft = client.post(url, {"response": target.pk, "action": "draft", "text": "Nháp"})
    assert draft.status_code == 302
    explanation = Explanation.objects.get(response=target)
    assert (explanation.text, explanation.status) == ("Nháp", "draft")
    submitted = client.post(
        url, {"response": target.pk, "action": "submit", "text": "Đã có biên bản họp."}
    )
    assert submitted.status_code == 302
    explanation.refresh_from_db()
    assert (explanation.text, explanation.status) == ("Đã có biên bản họp.", "submitted")
    too_long = client.post(url, {"response": target.pk, "action": "submit", "text": "x" * 2001})
    assert too_long.status_code == 400
    row = next(r for r in too_long.context["rows"] if r["score"].code == "2.1")
    assert row["errors"] == ["An explanation can be at most 2000 characters; this one has 2001."]


def test_the_explanation_page_adds_evidence_of_the_explanation_phase(client, assigned):
    in_explanation(assigned, assigned.assessment_a)
    target = response_of(assigned.assessment_a, "1.2")
    url = reverse("councils:explanation", args=[assigned.assessment_a.pk])
    as_user(client, assigned.people.officer)
    client.post(
        url,
        {"response": target.pk, "action": "evidence", "kind": "link", "url": "https://xa-a.vn/bb"},
    )
    evidence = target.evidence.get()
    assert (evidence.phase, evidence.url) == ("explanation", "https://xa-a.vn/bb")


def test_the_explanation_page_is_for_the_unit_and_read_only_after_the_window(client, assigned):
    url = reverse("councils:explanation", args=[assigned.assessment_a.pk])
    in_round_one(assigned)
    assert status(client, assigned.people.officer, url) == 404  # not in Explanation yet
    in_explanation(assigned, assigned.assessment_a)
    assert status(client, assigned.people.officer, url) == 200
    assert status(client, assigned.people.other_officer, url) == 404
    assert status(client, assigned.people.police, url) == 404
    in_explanation(assigned, assigned.assessment_a, window="closed")
    client.force_login(assigned.people.officer)
    page = client.get(url)
    assert page.context["read_only_reasons"]
    assert not any(row["editable"] for row in page.context["rows"])
    assert 'data-testid="explain-form"' not in page.content.decode()
    target = response_of(assigned.assessment_a, "1.2")
    refused = client.post(url, {"response": target.pk, "action": "draft", "text": "Muộn"})
    assert refused.status_code == 400
    assert not Explanation.objects.exists()


def test_the_results_page_for_the_unit_and_the_council(client, assigned):
    in_round_one(assigned)
    target = response_of(assigned.assessment_a, "2.1")
    services.appraisal_record(
        response=target, member_user=assigned.people.police, round=1, score="5", comment="Thiếu."
    )
    url = reverse("councils:results", args=[assigned.assessment_a.pk])
    assert status(client, assigned.people.officer, url) == 404  # the unit waits for Explanation
    assert status(client, assigned.people.police, url) == 200
    assert status(client, assigned.people.postman, url) == 404  # their own unit
    in_explanation(assigned, assigned.assessment_a)
    client.force_login(assigned.people.officer)
    page = client.get(url)
    row = next(r for r in page.context["scores"] if r.code == "2.1")
    assert (row.self_score, row.final) == (Decimal("10.00"), Decimal("5.00"))


def test_the_member_list_links_to_the_workbench(client, assigned):
    as_user(client, assigned.people.police)
    page = client.get(reverse("councils:my_councils"))
    assert [m.council_id for m in page.context["memberships"]] == [assigned.council.pk]
    assert reverse("councils:workbench", args=[assigned.campaign.pk]) in page.content.decode()


def test_the_workbench_offers_no_form_once_the_rounds_window_has_closed(client, assigned):
    from assessments.models import PhaseKind
    from tests.factories import set_window

    in_round_one(assigned)
    url = reverse("councils:workbench", args=[assigned.campaign.pk])
    as_user(client, assigned.people.police)
    assert client.get(url).content.decode().count('data-testid="record"') == 4
    set_window(assigned.campaign, PhaseKind.ROUND_1, "closed")
    page = client.get(url).content.decode()
    assert page.count('data-testid="record"') == 0
    assert 'data-testid="closed-rounds"' in page
