"""The audit log: every state change, score change, appraisal, assignment change and
publication leaves exactly one entry, in the change's transaction; nobody can change or
delete an entry (Python, and PostgreSQL's trigger); the organizer reads and exports it."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from assessments import audit, services
from assessments.models import AssessmentState, AuditAction, AuditEntry, PhaseKind, Response
from councils import services as council_services
from councils.models import Round
from indicators.models import Indicator
from rankings import services as ranking_services
from tests.assessments.helpers import complete, fresh
from tests.factories import AgencyFactory, UserFactory, force_state, set_window
from tests.rankings.helpers import needs_postgresql

S = AssessmentState


@pytest.fixture(autouse=True)
def summaries_in_english(settings):
    """Summaries are written in the site's language; the tests read them as their msgids."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


class Log:
    """The entries written since it was opened, oldest first."""

    def __init__(self):
        self.after = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0

    def entries(self):
        return list(AuditEntry.objects.filter(pk__gt=self.after).order_by("pk"))

    def rows(self):
        return [(e.action, e.actor_id, e.unit_id, e.summary) for e in self.entries()]


def response_of(assessment, code) -> Response:
    return Response.objects.get(assessment=assessment, indicator__code=code)


def log_url(world, name="campaign_audit_log"):
    return reverse(f"assessments:{name}", args=[world.campaign.pk])


# --- what leaves an entry -------------------------------------------------------------------


def test_submit_and_confirm_each_leave_one_entry(world):
    people, assessment = world.people, world.assessment
    complete(assessment, people.officer)
    log = Log()
    services.assessment_submit(assessment=assessment, user=people.officer)
    services.assessment_confirm(assessment=assessment, user=people.leader)
    assert log.rows() == [
        (
            AuditAction.SUBMIT,
            people.officer.pk,
            world.a.pk,
            "Submit: Open for self-assessment → Self-assessed",
        ),
        (AuditAction.CONFIRM, people.leader.pk, world.a.pk, "Confirm: Self-assessed → Confirmed"),
    ]
    submitted, confirmed = log.entries()
    assert submitted.campaign_id == world.campaign.pk
    assert submitted.actor_name == str(people.officer)
    assert (submitted.object_type, submitted.object_id) == ("assessments.assessment", assessment.pk)
    assert confirmed.details == {"from": "self_assessed", "to": "confirmed", "reason": ""}


def test_a_return_and_a_reopen_keep_their_reasons(world):
    people, assessment = world.people, world.assessment
    force_state(assessment, S.SELF_ASSESSED)
    log = Log()
    services.assessment_return_for_editing(
        assessment=assessment, user=people.leader, reason="Bổ sung biên bản"
    )
    force_state(assessment, S.CONFIRMED)
    services.assessment_reopen(
        assessment=assessment, user=people.administrator, to_state=S.OPEN, reason="Sai số liệu"
    )
    returned, reopened = log.entries()
    assert returned.action == AuditAction.RETURN_FOR_EDITING
    assert returned.summary.endswith("· reason: Bổ sung biên bản")
    assert (reopened.action, reopened.actor_id) == (AuditAction.REOPEN, people.administrator.pk)
    assert reopened.details["reason"] == "Sai số liệu"


def test_a_refused_transition_leaves_nothing(world):
    log = Log()
    with pytest.raises(ValidationError):  # nothing answered yet
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    assert log.entries() == []


def test_each_score_change_leaves_one_entry_with_before_and_after(world):
    officer = world.people.officer
    response = response_of(world.assessment, "2.1")  # manual, 0 to 15
    log = Log()
    services.response_save(
        user=officer, response_id=response.pk, expected_version=0, inputs={"value": "12"}
    )
    services.response_save(
        user=officer, response_id=response.pk, expected_version=1, inputs={"value": "7.5"}
    )
    # the same answer again changes nothing, and logs nothing
    services.response_save(
        user=officer, response_id=response.pk, expected_version=2, inputs={"value": "7.5"}
    )
    first, second = log.entries()
    assert (first.action, first.actor_id, first.unit_id) == (
        AuditAction.RESPONSE_CHANGED,
        officer.pk,
        world.a.pk,
    )
    assert first.summary == "Indicator 2.1: self score — → 12.00"
    assert second.summary == "Indicator 2.1: self score 12.00 → 7.50"
    assert second.details["changes"]["self_score"] == {"before": "12.00", "after": "7.50"}
    assert second.details["changes"]["inputs"] == {
        "before": {"value": "12"},
        "after": {"value": "7.5"},
    }
    assert (second.object_type, second.object_id) == ("assessments.response", response.pk)


def test_evidence_added_and_removed(world):
    officer = world.people.officer
    response = response_of(world.assessment, "1.1")
    log = Log()
    evidence = services.evidence_add_citation(
        response=response,
        user=officer,
        number="12/QĐ-UBND",
        date=date(2024, 3, 1),
        issuer="UBND xã",
    )
    services.evidence_remove(evidence=evidence, user=officer)
    assert [(e.action, e.summary) for e in log.entries()] == [
        (
            AuditAction.EVIDENCE_ADDED,
            "Indicator 1.1: evidence added, document 12/QĐ-UBND of UBND xã",
        ),
        (
            AuditAction.EVIDENCE_REMOVED,
            "Indicator 1.1: evidence removed, document 12/QĐ-UBND of UBND xã",
        ),
    ]


@pytest.fixture
def council(world):
    """The campaign's council: a police member from a district agency."""
    police = UserFactory(full_name="Công an Minh", agency=AgencyFactory(unit=world.district))
    council = council_services.council_create(
        campaign=world.campaign, user=world.people.organizer, decision_number="99/QĐ-UBND"
    )
    member = council_services.member_add(
        council=council, user=world.people.organizer, member_user=police
    )
    return council, member, police


def test_assignments_added_changed_and_removed(world, council):
    council, member, police = council
    organizer = world.people.organizer
    indicator = Indicator.objects.get(
        pillar__indicator_set=world.campaign.indicator_set, code="1.2"
    )
    log = Log()
    council_services.assignment_set(
        council=council, user=organizer, member=member, indicators=[indicator]
    )
    council_services.assignment_set(
        council=council, user=organizer, member=member, indicators=[indicator], units=[world.b]
    )
    council_services.assignment_remove(
        council=council, user=organizer, member=member, indicators=[indicator]
    )
    rows = [(e.action, e.actor_id, e.summary) for e in log.entries()]
    assert rows == [
        (AuditAction.ASSIGNMENT_ADDED, organizer.pk, "Indicator 1.2 assigned to Công an Minh"),
        (
            AuditAction.ASSIGNMENT_CHANGED,
            organizer.pk,
            f"Indicator 1.2, Công an Minh: now also in {world.b.name}",
        ),
        (
            AuditAction.ASSIGNMENT_REMOVED,
            organizer.pk,
            "Indicator 1.2 no longer assigned to Công an Minh",
        ),
    ]
    assert all(e.campaign_id == world.campaign.pk for e in log.entries())


def test_council_members_added_and_their_roles(world, council):
    council, member, police = council
    log = Log()
    council_services.member_set_role(member=member, user=world.people.organizer, role="secretary")
    (changed,) = log.entries()
    assert changed.action == AuditAction.MEMBER_CHANGED
    assert changed.summary == "Công an Minh is now Secretary of the council (was Member)"
    added = AuditEntry.objects.get(action=AuditAction.MEMBER_ADDED)
    assert added.summary == "Công an Minh added to the council as Member"


def test_each_appraisal_leaves_one_entry_and_a_correction_its_before(world, council):
    council, member, police = council
    organizer = world.people.organizer
    council_services.assignment_set(
        council=council,
        user=organizer,
        member=member,
        indicators=Indicator.objects.filter(
            pillar__indicator_set=world.campaign.indicator_set, code="2.1"
        ),
    )
    response = response_of(world.assessment, "2.1")
    Response.objects.filter(pk=response.pk).update(inputs={"value": "10"}, self_score=10)
    force_state(world.assessment, S.CONFIRMED)
    set_window(world.campaign, PhaseKind.ROUND_1, "open")
    log = Log()
    council_services.appraisal_record(
        response=response, member_user=police, round=Round.ONE, score="10"
    )
    council_services.appraisal_record(
        response=response, member_user=police, round=Round.ONE, score="8", comment="Thiếu sổ"
    )
    first, correction = log.entries()
    assert (first.action, first.actor_id, first.unit_id) == (
        AuditAction.APPRAISAL_RECORDED,
        police.pk,
        world.a.pk,
    )
    assert first.summary == "Indicator 2.1, Round 1: score 10.00 (self score 10.00)"
    assert correction.summary == "Indicator 2.1, Round 1: score 10.00 → 8.00"
    assert correction.details["changes"]["score"] == {"before": "10.00", "after": "8.00"}
    assert correction.details["changes"]["comment"] == {"before": "", "after": "Thiếu sổ"}


def test_publication_leaves_one_entry_per_unit_and_one_for_the_results(world):
    organizer = world.people.organizer
    for assessment in (world.assessment, world.other_assessment):
        force_state(assessment, S.APPRAISED_2)
    log = Log()
    publication = ranking_services.campaign_publish(
        campaign=world.campaign,
        user=organizer,
        decision_number="1234/QĐ-UBND",
        decision_date=date(2026, 11, 25),
        signer_title="KT. CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
    )
    entries = log.entries()
    assert sorted((e.action, e.unit_id) for e in entries) == sorted(
        [
            (AuditAction.PUBLISH, world.a.pk),
            (AuditAction.PUBLISH, world.b.pk),
            (AuditAction.RESULTS_PUBLISHED, None),
        ]
    )
    results = entries[-1]
    assert results.action == AuditAction.RESULTS_PUBLISHED
    assert results.actor_id == organizer.pk
    assert results.summary == "Results published (version 1), decision 1234/QĐ-UBND of 25/11/2026"
    assert (results.object_type, results.object_id) == ("rankings.publication", publication.pk)
    assert results.details["signer_name"] == "Nguyễn Văn An"


def test_the_entry_is_in_the_changes_transaction(world):
    """A change rolled back takes its entry with it: no entry without its change."""
    complete(world.assessment, world.people.officer)
    log = Log()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
        assert len(log.entries()) == 1
        raise RuntimeError("the database fails after the transition")
    assert log.entries() == []
    assert fresh(world.assessment).state == S.OPEN


# --- append-only --------------------------------------------------------------------------------


def an_entry(world) -> AuditEntry:
    return audit.record(
        action=AuditAction.CALENDAR_CHANGED,
        summary="Lịch thay đổi",
        campaign_id=world.campaign.pk,
        actor=world.people.organizer,
    )


def test_an_entry_cannot_be_changed_or_deleted_from_python(world):
    entry = an_entry(world)
    entry.summary = "Đã sửa"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="Đã sửa")
    with pytest.raises(ValidationError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.summary == "Lịch thay đổi"


def test_its_campaign_and_actor_cannot_be_deleted_from_under_it(world):
    from django.db.models import ProtectedError

    entry = an_entry(world)
    with pytest.raises(ProtectedError), transaction.atomic():
        world.people.organizer.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_update_and_delete_of_an_entry_in_sql(world):
    """Even SQL that bypasses the models is refused, by the trigger of migration 0004."""
    needs_postgresql("The audit log's append-only trigger")
    entry = an_entry(world)
    table = AuditEntry._meta.db_table
    for statement in (
        f"UPDATE {table} SET summary = 'Đã sửa' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Lịch thay đổi"


# --- the page and the export ---------------------------------------------------------------------


def many(world, count: int, **fields) -> None:
    units = [world.a, world.b]
    AuditEntry.objects.bulk_create(
        audit.entry(
            action=AuditAction.RESPONSE_CHANGED,
            summary=f"Indicator 2.1: self score {n} → {n + 1}",
            campaign_id=world.campaign.pk,
            unit_id=units[n % 2].pk,
            actor=world.people.officer,
            **fields,
        )
        for n in range(count)
    )


def test_who_may_read_the_log_and_export_it(client, world, council):
    _council, _member, police = council
    an_entry(world)
    urls = [
        log_url(world),
        log_url(world, "campaign_audit_xlsx"),
        log_url(world, "campaign_audit_csv"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    people = world.people
    expected = {
        "organizer": (people.organizer, 200),
        "administrator": (people.administrator, 200),
        "commune officer": (people.officer, 404),
        "commune leader": (people.leader, 404),
        "council member": (police, 404),
        "organizer of another unit": (people.other_organizer, 404),
    }
    for name, (user, status) in expected.items():
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [status] * 3, name


def test_the_campaign_page_links_to_the_log(client, world):
    client.force_login(world.people.organizer)
    page = client.get(reverse("assessments:campaign_detail", args=[world.campaign.pk]))
    assert f'href="{log_url(world)}" data-testid="audit-log-link"' in page.content.decode()


def test_the_page_shows_the_newest_first_fifty_at_a_time_and_filters(client, world):
    many(world, 60)  # and the campaign's opening, the oldest
    client.force_login(world.people.organizer)
    page = client.get(log_url(world))
    assert page.status_code == 200
    entries = page.context["entries"]
    assert len(entries) == 50
    assert [e.pk for e in entries] == sorted((e.pk for e in entries), reverse=True)
    html = page.content.decode()
    assert html.count('data-testid="audit-entry"') == 50
    assert "Entries: 61" in html  # with the campaign's opening
    older = client.get(log_url(world) + "?trang=2")
    assert len(older.context["entries"]) == 11
    assert older.context["entries"][-1].action == AuditAction.CAMPAIGN_CREATED

    by_unit = client.get(log_url(world) + f"?don-vi={world.b.pk}")
    assert {e.unit_id for e in by_unit.context["entries"]} == {world.b.pk}
    assert by_unit.context["page"].paginator.count == 30
    by_action = client.get(log_url(world) + "?hanh-dong=campaign_created")
    assert [e.action for e in by_action.context["entries"]] == [AuditAction.CAMPAIGN_CREATED]
    by_actor = client.get(log_url(world) + f"?nguoi={world.people.officer.pk}")
    assert by_actor.context["page"].paginator.count == 60
    by_username = client.get(log_url(world) + "?nguoi=" + world.people.organizer.username)
    assert [e.action for e in by_username.context["entries"]] == [AuditAction.CAMPAIGN_CREATED]
    by_name = client.get(log_url(world) + "?nguoi=" + str(world.people.officer))
    assert by_name.context["page"].paginator.count == 60


def test_the_page_is_a_fixed_number_of_queries(client, world):
    client.force_login(world.people.organizer)
    counts = []
    for size in (10, 190):
        many(world, size)
        client.get(log_url(world))  # warm: the session and the user
        with CaptureQueriesContext(connection) as queries:
            assert client.get(log_url(world)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 10


def test_the_excel_export_has_every_filtered_entry_and_runs_no_formula(client, world):
    many(world, 3)
    audit.record(
        action=AuditAction.DEPARTMENTS_ASSIGNED,
        summary='=HYPERLINK("http://evil.example","Bấm vào đây")',
        campaign_id=world.campaign.pk,
        unit_id=world.a.pk,
        actor=world.people.organizer,
    )
    client.force_login(world.people.organizer)
    response = client.get(log_url(world, "campaign_audit_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Time", "Unit", "By", "Action", "What changed")
    assert len(rows) == 1 + 5  # 3 + the hostile one + the campaign's opening
    hostile = sheet.cell(row=2, column=5)  # newest first
    assert hostile.value == '=HYPERLINK("http://evil.example","Bấm vào đây")'
    assert hostile.data_type == "s"
    assert hostile.quotePrefix
    assert rows[1][1] == world.a.name
    assert rows[1][3] == "Indicators assigned to a department"

    only_b = client.get(log_url(world, "campaign_audit_xlsx") + f"?don-vi={world.b.pk}")
    sheet = load_workbook(io.BytesIO(only_b.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [world.b.name]


def test_the_csv_export_escapes_formulas(client, world):
    audit.record(
        action=AuditAction.DEPARTMENTS_ASSIGNED,
        summary="=1+2",
        campaign_id=world.campaign.pk,
        actor=world.people.organizer,
    )
    client.force_login(world.people.organizer)
    response = client.get(log_url(world, "campaign_audit_csv"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][4] == "What changed"
    assert rows[1][4] == "'=1+2"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_admin_lists_the_log_read_only(client, world):
    entry = an_entry(world)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:assessments_auditentry_changelist")).status_code == 200
    change = reverse("admin:assessments_auditentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"summary": "Đã sửa"})
    delete = reverse("admin:assessments_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Lịch thay đổi"


def test_summaries_are_written_in_the_site_language(world, settings):
    settings.LANGUAGE_CODE = "vi"
    complete(world.assessment, world.people.officer)
    log = Log()
    with translation.override("en"):  # whatever the language of the person's page
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    (entry,) = log.entries()
    assert entry.summary == "Gửi kết quả tự đánh giá: Đang tự đánh giá → Đã tự đánh giá"


# --- cost ------------------------------------------------------------------------------------


def test_an_entry_costs_one_insert_and_no_select(world):
    """The values before come from the loaded instance, the names from what the service
    loaded: auditing a score change adds exactly its INSERT, whatever else happens."""
    from simple_history.signals import post_create_historical_record

    officer = world.people.officer

    def save(code):
        response = response_of(world.assessment, code)
        with CaptureQueriesContext(connection) as queries:
            services.response_save(
                user=officer, response_id=response.pk, expected_version=0, inputs={"value": "5"}
            )
        return [query["sql"] for query in queries]

    save("1.2")  # warm: the officer's roles are read once
    audited = save("2.1")
    post_create_historical_record.disconnect(
        sender=Response.history.model, dispatch_uid="audit-assessments.response"
    )
    try:
        unaudited = save("2.2")
    finally:
        audit.connect()
    extra = [sql for sql in audited if "assessments_auditentry" in sql]
    assert len(extra) == 1 and extra[0].startswith("INSERT")
    assert len(audited) == len(unaudited) + 1
