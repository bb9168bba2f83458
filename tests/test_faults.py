"""Faults: Redis down, the database failing halfway, a worker killed, an upload cut off.

* Redis down: sign-in, the unit's page, saving, closing a round and asking for a
  computation all work; what could not be queued is recorded as "not queued",
  shown to the organizer, and queued again by the hourly beat; queuing fails
  within seconds instead of hanging a page.
* The database failing in the middle of a transition, a publication, an
  import or a rescoring leaves no partial state: every table's rows are as
  they were (state, transition log, histories, audit log).
* A worker killed during a computation leaves the previous results intact (one
  transaction); its run counts as abandoned after RANKING_RUN_STALE_MINUTES,
  the next run replaces it, and gives what an uninterrupted run gives. With
  PostgreSQL and Redis (CI) a real worker process is killed with SIGKILL.
* An upload cut off or failing at any step leaves no row without a file and
  no file without a row.

The transactional tests (``transaction=True``) commit for real, so that
rollbacks and commit failures are the database's own.
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F
from django.http import UnreadablePostError
from django.test.client import encode_multipart
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from assessments import services as assessment_services
from assessments.models import (
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Evidence,
    Response,
)
from councils import excel as council_excel
from councils.models import Appraisal, Assignment
from indicators import excel as indicator_excel
from indicators.models import Indicator, IndicatorSet
from rankings import services as ranking_services
from rankings import tasks as ranking_tasks
from rankings.models import Publication, RankingRun, RunStatus, ScoreSummary
from tests import campaign_flow
from tests.conftest import PASSWORD
from tests.factories import force_state
from tests.rankings import helpers as ranking_helpers

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = campaign_flow.PDF


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def row_counts() -> dict[str, int]:
    """The number of rows of every table of the project (histories and audit log included)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"assessments", "councils", "indicators", "rankings"}
    }


# --- Redis down -----------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Redis unreachable: the cache on a closed port, and the queue refusing every task."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    app = ranking_tasks.recompute_campaign.app
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    refused = []

    def unreachable(*args, **kwargs):
        refused.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ranking_tasks.recompute_campaign, "delay", unreachable)
    monkeypatch.setattr(ranking_tasks.recompute_campaign, "apply_async", unreachable)
    return refused


def test_sessions_and_sign_in_never_depend_on_redis():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


@pytest.mark.django_db
def test_with_redis_down_people_sign_in_work_and_are_told_what_waits(
    client, redis_down, private_root, django_capture_on_commit_callbacks
):
    world = campaign_flow.build_world()
    people = world.people
    people.officer.set_password(PASSWORD)
    people.officer.save()

    signed_in = client.post(
        reverse("login"), {"username": people.officer.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    page = client.get(reverse("assessments:assessment_detail", args=[world.assessment.pk]))
    assert page.status_code == 200
    response = Response.objects.get(assessment=world.assessment, indicator__code="2.1")
    saved = client.post(
        reverse("assessments:response_save", args=[world.assessment.pk, response.indicator_id]),
        {"value": "7", "note": "", "expected_version": "0"},
        **HTMX,
    )
    assert saved.status_code == 200
    assert Response.objects.get(pk=response.pk).self_score == Decimal("7.00")

    campaign_flow.self_assess(world)
    campaign_flow.appraise_round_one_ready(world)
    client.force_login(people.chair)
    with django_capture_on_commit_callbacks(execute=True):
        closed = client.post(
            reverse("councils:rounds", args=[world.campaign.pk]),
            {"assessment": world.assessment.pk, "action": "close_1"},
        )
    assert closed.status_code == 302  # the round is closed whatever the queue says
    assert Assessment.objects.get(pk=world.assessment.pk).state == AssessmentState.APPRAISED_1
    assert redis_down == [(world.campaign.pk, ["round_1"])]
    waiting = RankingRun.objects.get()
    assert (waiting.status, waiting.stages) == (RunStatus.NOT_QUEUED, ["round_1"])
    assert waiting.finished_at is not None and "OperationalError" in waiting.error

    client.force_login(people.organizer)
    rankings = client.get(reverse("rankings:campaign_rankings", args=[world.campaign.pk]))
    assert rankings.status_code == 200
    assert 'data-testid="run-not-queued"' in rankings.content.decode()
    asked = client.post(
        reverse("rankings:campaign_recompute", args=[world.campaign.pk]), follow=True
    )
    assert asked.status_code == 200
    assert "The job queue (Redis) does not answer" in asked.content.decode()
    panel = client.post(
        reverse("rankings:campaign_recompute", args=[world.campaign.pk]), {"n": "5"}, **HTMX
    )
    html = panel.content.decode()
    assert 'data-testid="run-not-queued"' in html and 'hx-trigger="every 2s"' not in html
    assert RankingRun.objects.filter(status=RunStatus.NOT_QUEUED).count() == 3


@pytest.mark.django_db
def test_the_hourly_beat_queues_again_what_redis_did_not_take(monkeypatch):
    world = ranking_helpers.build_world()
    app = ranking_tasks.recompute_campaign.app
    with monkeypatch.context() as down:
        down.setitem(app.conf, "task_always_eager", False)
        down.setattr(
            ranking_tasks.recompute_campaign,
            "delay",
            lambda *a, **k: (_ for _ in ()).throw(OperationalError("refused")),
        )
        assert ranking_services.recompute_queue(campaign_id=world.campaign.pk) == "not_queued"
    assert not ScoreSummary.objects.exists()
    # Redis is back (here: tasks run eagerly); the beat finds the campaign and queues it.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    assert ranking_tasks.requeue_waiting_computations() == 1
    latest = RankingRun.objects.first()
    assert latest.status == RunStatus.SUCCEEDED
    assert ScoreSummary.objects.filter(campaign=world.campaign).count() == 18
    assert ranking_tasks.requeue_waiting_computations() == 0  # nothing waits any more


def test_queuing_with_redis_unreachable_fails_within_seconds():
    """A real Celery publish to a closed port: refused quickly, not after 20 retries."""
    code = textwrap.dedent(
        """
        import time, django
        django.setup()
        from rankings.tasks import recompute_campaign
        started = time.monotonic()
        try:
            recompute_campaign.delay(1)
        except Exception as exc:
            print("refused", type(exc).__name__, round(time.monotonic() - started, 2))
        else:
            print("queued")
        """
    )
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "dti.settings",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = [item for item in out.stdout.splitlines() if item.startswith(("refused", "queued"))]
    assert line and line[-1].startswith("refused"), out.stdout + out.stderr
    assert float(line[-1].split()[-1]) < 5


# --- the database failing halfway ---------------------------------------------------------------


def failing(message="the disk is full"):
    def fail(*args, **kwargs):
        raise DatabaseError(message)

    return fail


@pytest.mark.django_db(transaction=True)
def test_a_transition_whose_log_row_fails_changes_nothing(monkeypatch, private_root):
    world = campaign_flow.build_world()
    for response in Response.objects.filter(assessment=world.assessment).select_related(
        "indicator"
    ):
        assessment_services.response_save(
            user=world.people.officer,
            response_id=response.pk,
            expected_version=response.version,
            inputs=campaign_flow.ANSWERS[response.indicator.code],
        )
    assessment_services.evidence_add_citation(
        response=Response.objects.get(assessment=world.assessment, indicator__code="1.1"),
        user=world.people.officer,
        number="12/QĐ-UBND",
        date=timezone.localdate(),
        issuer="UBND xã",
    )
    before = row_counts()
    monkeypatch.setattr(AssessmentTransition.objects, "create", failing())
    with pytest.raises(DatabaseError):
        assessment_services.assessment_submit(
            assessment=world.assessment, user=world.people.officer
        )
    assert Assessment.objects.get(pk=world.assessment.pk).state == AssessmentState.OPEN
    assert row_counts() == before  # no transition, no history row, no audit entry
    monkeypatch.undo()
    assessment_services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    assert AssessmentTransition.objects.filter(assessment=world.assessment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_publication_whose_snapshot_fails_publishes_nothing(monkeypatch):
    world = ranking_helpers.build_world()
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    ranking_services.campaign_recompute(campaign=world.campaign)
    before = row_counts()
    monkeypatch.setattr(ranking_services, "_snapshot", failing())
    with pytest.raises(DatabaseError):
        ranking_services.campaign_publish(
            campaign=world.campaign,
            user=world.campaign.created_by,
            decision_number="1/QĐ",
            decision_date=timezone.localdate(),
            signer_title="Chủ tịch",
            signer_name="An",
        )
    assert row_counts() == before
    assert not Publication.objects.exists()
    assert set(Assessment.objects.values_list("state", flat=True)) == {AssessmentState.APPRAISED_2}


@pytest.mark.django_db(transaction=True)
def test_an_indicator_set_import_that_fails_while_saving_leaves_no_set(monkeypatch):
    content = indicator_excel.export_indicator_set(campaign_flow.assessment_set())
    IndicatorSet.objects.all().delete()
    before = row_counts()
    monkeypatch.setattr(Indicator.objects, "bulk_create", failing())
    with pytest.raises(DatabaseError):
        indicator_excel.import_indicator_set(_bytes(content), name="Bộ lỗi giữa chừng")
    assert row_counts() == before


def _bytes(content: bytes):
    import io

    return io.BytesIO(content)


@pytest.mark.django_db(transaction=True)
def test_an_assignment_sheet_that_fails_halfway_assigns_nothing(monkeypatch):
    world = campaign_flow.build_world()
    campaign_flow.form_council(world)
    sheet = council_excel.export_assignments(council=world.council)
    # The sheet given back with the chair's pillar moved to the member: removals and additions.
    from openpyxl import load_workbook

    workbook = load_workbook(_bytes(sheet))
    for row in workbook[council_excel.SHEET].iter_rows(min_row=2):
        if row[2].value == world.people.chair.username:
            row[2].value = world.people.member.username
    out = _bytes(b"")
    workbook.save(out)
    preview = council_excel.import_preview(council=world.council, fileobj=_bytes(out.getvalue()))
    assert preview.has_changes and not preview.errors
    before = row_counts()
    original = Assignment.delete
    calls = []

    def second_delete_fails(self, *args, **kwargs):
        calls.append(self.pk)
        if len(calls) == 2:
            raise DatabaseError("connection lost")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Assignment, "delete", second_delete_fails)
    with pytest.raises(DatabaseError):
        council_excel.import_apply(
            council=world.council, user=world.people.organizer, preview=preview
        )
    assert len(calls) == 2
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_new_general_information_whose_rescoring_fails_changes_nothing(monkeypatch):
    world = campaign_flow.build_world()
    ratio_world = _ratio_set(world)
    officer = world.people.officer
    assessment_services.assessment_set_general_info(
        assessment=ratio_world, user=officer, values={"so_cbcc": "40"}
    )
    for code in ("1.1", "1.2"):
        response = Response.objects.get(assessment=ratio_world, indicator__code=code)
        assessment_services.response_save(
            user=officer, response_id=response.pk, expected_version=0, inputs={"a": "10"}
        )
    before = row_counts()
    calls = []
    original = assessment_services._store

    def second_store_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise DatabaseError("connection lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(assessment_services, "_store", second_store_fails)
    with pytest.raises(DatabaseError):
        assessment_services.assessment_set_general_info(
            assessment=ratio_world, user=officer, values={"so_cbcc": "20"}
        )
    assert row_counts() == before
    assert Assessment.objects.get(pk=ratio_world.pk).general_info == {"so_cbcc": "40"}


def _ratio_set(world) -> Assessment:
    from indicators.models import GeneralInfoField
    from indicators.services import indicator_set_activate
    from tests.factories import (
        IndicatorFactory,
        IndicatorSetFactory,
        PillarFactory,
        open_campaign,
    )

    indicator_set = IndicatorSetFactory(name="Bộ tỷ lệ")
    pillar = PillarFactory(indicator_set=indicator_set, code="1")
    GeneralInfoField.objects.create(indicator_set=indicator_set, code="so_cbcc", name="CBCC")
    for code in ("1.1", "1.2"):
        IndicatorFactory(
            pillar=pillar,
            code=code,
            method="ratio",
            max_points=Decimal("10"),
            rule={"a": {"label": "a"}, "b": {"field": "so_cbcc"}, "if_b_zero": "zero"},
        )
    indicator_set_activate(indicator_set=indicator_set)
    campaign = open_campaign(organizer=world.people.organizer, indicator_set=indicator_set)
    return campaign.assessments.get(unit=world.a)


# --- a worker killed during a computation -------------------------------------------------------


def time_passes(*, minutes: int) -> None:
    """Every run started and finished that much earlier: the clock moved on."""
    shift = timedelta(minutes=minutes)
    RankingRun.objects.update(started_at=F("started_at") - shift)
    RankingRun.objects.exclude(finished_at=None).update(finished_at=F("finished_at") - shift)


class Killed(BaseException):
    """What a SIGKILL does to the process: nothing after this point runs, not even `except`."""


def _changed_appraisal(world) -> None:
    """A round-2 change after the first computation, so that a new run has new rows."""
    Appraisal.objects.filter(
        response__assessment=world.assessments["Xã F"], response__indicator__code="9.1"
    ).update(score=Decimal("5"))


@pytest.mark.django_db
def test_a_run_interrupted_in_its_transaction_keeps_the_previous_results(monkeypatch):
    world = ranking_helpers.build_world()
    ranking_services.campaign_recompute(campaign=world.campaign)
    previous = ranking_helpers.result_rows(world.campaign)
    _changed_appraisal(world)

    def shutdown(*args, **kwargs):
        raise SystemExit(1)  # a worker's warm shutdown in the middle of the inserts

    monkeypatch.setattr(ranking_services, "_insert_rankings", shutdown)
    with pytest.raises(SystemExit):
        ranking_services.campaign_recompute(campaign=world.campaign)
    assert ranking_helpers.result_rows(world.campaign) == previous
    assert RankingRun.objects.first().status == RunStatus.FAILED
    monkeypatch.undo()
    ranking_services.campaign_recompute(campaign=world.campaign)
    again = ranking_helpers.result_rows(world.campaign)
    ranking_services.campaign_recompute(campaign=world.campaign)
    assert again != previous and ranking_helpers.result_rows(world.campaign) == again


@pytest.mark.django_db
def test_a_killed_run_is_abandoned_after_the_stale_time_and_the_next_run_replaces_it(
    client, monkeypatch, settings
):
    world = ranking_helpers.build_world()
    ranking_services.campaign_recompute(campaign=world.campaign)
    previous = ranking_helpers.result_rows(world.campaign)
    _changed_appraisal(world)

    def kill(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(ranking_services, "_insert_rankings", kill)
        patched.setattr(ranking_services, "_finish", kill)  # the process is gone: no record
        with pytest.raises(Killed):
            ranking_services.campaign_recompute(campaign=world.campaign)
    killed = RankingRun.objects.first()
    assert killed.status == RunStatus.RUNNING and not killed.is_abandoned
    assert ranking_helpers.result_rows(world.campaign) == previous  # rolled back, intact

    client.force_login(world.campaign.created_by)
    runs = reverse("rankings:campaign_runs", args=[world.campaign.pk])
    assert 'hx-trigger="every 2s"' in client.get(runs, **HTMX).content.decode()  # still running

    time_passes(minutes=settings.RANKING_RUN_STALE_MINUTES + 1)
    html = client.get(runs, **HTMX).content.decode()
    assert 'data-testid="run-abandoned"' in html
    assert 'hx-trigger="every 2s"' not in html and "disabled" not in html.split("</form>")[0]
    page = client.get(runs).content.decode()
    assert "Abandoned" in page

    run_id = ranking_tasks.recompute_campaign.apply(args=[world.campaign.pk]).get()
    killed.refresh_from_db()
    assert killed.status == RunStatus.FAILED and killed.error.startswith("Abandoned")
    assert RankingRun.objects.get(pk=run_id).status == RunStatus.SUCCEEDED
    after_kill = ranking_helpers.result_rows(world.campaign)
    ranking_services.campaign_recompute(campaign=world.campaign)  # uninterrupted
    assert after_kill != previous
    assert ranking_helpers.result_rows(world.campaign) == after_kill


def test_the_hourly_beat_abandons_stale_runs_everywhere(db, settings):
    world = ranking_helpers.build_world()
    old = timezone.now() - timedelta(minutes=settings.RANKING_RUN_STALE_MINUTES + 5)
    stale = RankingRun.objects.create(campaign=world.campaign, stages=["final"], started_at=old)
    fresh = RankingRun.objects.create(campaign=world.campaign, stages=["final"])
    ranking_tasks.requeue_waiting_computations()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (RunStatus.FAILED, RunStatus.RUNNING)


def _backends_waiting_for_a_lock(deadline: float) -> list[int]:
    """The sessions of the test database waiting for a lock: the worker's, once it is there."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            pids = [row[0] for row in cursor.fetchall()]
        if pids:
            return pids
        assert time.monotonic() < deadline, "the worker never reached the computation's lock"
        time.sleep(0.2)


def _drop_test_queue(queue: str) -> None:
    """Best effort: the killed worker's unacknowledged message must not come back anywhere."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(queue)
    for tag, payload in client.hscan_iter("unacked"):
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_killed_mid_computation_leaves_the_results_and_the_next_run_replaces_it():
    """PostgreSQL and Redis (CI): a Celery worker process is killed with SIGKILL mid-run."""
    from tests.rankings.test_ranking_celery import CELERY, test_database_url

    ranking_helpers.needs_postgresql("A worker process reading the test database")
    if not settings.REDIS_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        ranking_helpers.skip_or_fail(
            "A Celery worker needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0"
        )
    world = ranking_helpers.build_world()
    ranking_services.campaign_recompute(campaign=world.campaign)
    previous = ranking_helpers.result_rows(world.campaign)
    first_run = RankingRun.objects.get()
    _changed_appraisal(world)

    queue = f"faults-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "dti.settings",
    }
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    worker = None
    try:
        # Hold the campaign's row lock: the worker's run starts, then waits inside its
        # transaction at the lock, where it is killed.
        with transaction.atomic():
            # NO KEY UPDATE: the worker may still insert its run (a foreign key to the
            # campaign), and then waits for the computation's own FOR UPDATE lock.
            type(world.campaign).objects.select_for_update(no_key=True).get(pk=world.campaign.pk)
            worker = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
                [
                    str(CELERY),
                    "-A",
                    "dti",
                    "worker",
                    "-P",
                    "solo",
                    "-c",
                    "1",
                    "--loglevel=warning",
                    "-Q",
                    queue,
                    "-n",
                    f"{queue}@%h",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],  # fmt: skip
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            ranking_tasks.recompute_campaign.apply_async(args=[world.campaign.pk], queue=queue)
            deadline = time.monotonic() + 120
            while not RankingRun.objects.exclude(pk=first_run.pk).exists():
                assert worker.poll() is None, Path(log.name).read_text()
                assert time.monotonic() < deadline, Path(log.name).read_text()
                time.sleep(0.2)
            waiting = _backends_waiting_for_a_lock(deadline)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            # The server ends a dead client's session when it notices (TCP keepalive);
            # here at once, so that its transaction is rolled back before the lock is free.
            with connection.cursor() as cursor:
                for pid in waiting:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)
        _drop_test_queue(queue)
        connections.close_all()

    killed = RankingRun.objects.exclude(pk=first_run.pk).get()
    assert killed.status == RunStatus.RUNNING
    assert ranking_helpers.result_rows(world.campaign) == previous

    time_passes(minutes=settings.RANKING_RUN_STALE_MINUTES + 1)
    ranking_tasks.recompute_campaign.apply(args=[world.campaign.pk]).get()
    killed.refresh_from_db()
    assert killed.status == RunStatus.FAILED
    after_kill = ranking_helpers.result_rows(world.campaign)
    ranking_services.campaign_recompute(campaign=world.campaign)
    assert after_kill != previous
    assert ranking_helpers.result_rows(world.campaign) == after_kill


# --- an upload cut off halfway -----------------------------------------------------------------


@pytest.fixture
def upload_world(db, private_root):
    world = campaign_flow.build_world()
    world.response = Response.objects.get(assessment=world.assessment, indicator__code="1.1")
    return world


def add(world, uploaded):
    return assessment_services.evidence_add_file(
        response=world.response, user=world.people.officer, uploaded_file=uploaded
    )


def test_a_body_cut_off_in_the_file_stores_nothing(client, upload_world, private_root):
    world = upload_world
    client.force_login(world.people.officer)
    body = encode_multipart(
        "GrEnZe", {"kind": "file", "file": SimpleUploadedFile("a.pdf", PDF + b"x" * 5000)}
    )
    url = reverse(
        "assessments:evidence_add", args=[world.assessment.pk, world.response.indicator_id]
    )
    answer = client.generic(
        "POST",
        url,
        body[: len(body) // 2],
        content_type="multipart/form-data; boundary=GrEnZe",
        **HTMX,
    )
    assert answer.status_code == 200
    assert "Choose a file to attach." in answer.content.decode()
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


def test_a_connection_lost_while_reading_stores_nothing(upload_world, private_root):
    class CutOff(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            yield self.read(1000)
            raise UnreadablePostError("the client went away")

    with pytest.raises(UnreadablePostError):
        add(upload_world, CutOff("a.pdf", PDF * 10))
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


def test_a_write_that_fails_halfway_leaves_neither_the_part_nor_a_row(
    client, upload_world, private_root, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    original = FileSystemStorage._save

    def half_then_full_disk(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF[: len(PDF) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", half_then_full_disk)
    world = upload_world
    client.force_login(world.people.officer)
    answer = client.post(
        reverse(
            "assessments:evidence_add", args=[world.assessment.pk, world.response.indicator_id]
        ),
        {"kind": "file", "file": SimpleUploadedFile("qd.pdf", PDF)},
        **HTMX,
    )
    assert answer.status_code == 200
    assert "The file could not be stored, so nothing was saved." in answer.content.decode()
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []
    monkeypatch.setattr(FileSystemStorage, "_save", original)
    evidence = add(world, SimpleUploadedFile("qd.pdf", PDF))  # the retry succeeds
    assert stored_files(private_root) == [Path(evidence.file.path)]


def test_a_row_that_cannot_be_written_takes_its_file_away(upload_world, private_root, monkeypatch):
    monkeypatch.setattr(Evidence, "save", failing("connection lost"))
    with pytest.raises(DatabaseError):
        add(upload_world, SimpleUploadedFile("qd.pdf", PDF))
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_takes_the_file_away(private_root, monkeypatch):
    world = campaign_flow.build_world()
    response = Response.objects.get(assessment=world.assessment, indicator__code="1.1")
    default = connections["default"]
    original = default.commit
    commits = []

    def commit_fails_once(*args, **kwargs):
        commits.append(1)
        if len(commits) == 2:  # the lock check commits first; the row's commit fails
            raise DatabaseError("server closed the connection unexpectedly")
        return original(*args, **kwargs)

    before = row_counts()
    monkeypatch.setattr(default, "commit", commit_fails_once)
    with pytest.raises(DatabaseError):
        assessment_services.evidence_add_file(
            response=response,
            user=world.people.officer,
            uploaded_file=SimpleUploadedFile("qd.pdf", PDF),
        )
    monkeypatch.undo()
    assert len(commits) == 2
    assert row_counts() == before
    assert stored_files(private_root) == []


@pytest.mark.django_db
def test_every_file_has_its_row_and_every_row_its_file(upload_world, private_root, monkeypatch):
    """After a mix of good, refused and failing uploads, files and rows match one to one."""
    world = upload_world
    add(world, SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(ValidationError):
        add(world, SimpleUploadedFile("b.pdf", b"MZ" + b"\x00" * 100))
    with monkeypatch.context() as broken:
        broken.setattr(Evidence, "save", failing())
        with pytest.raises(DatabaseError):
            add(world, SimpleUploadedFile("c.pdf", PDF + b"%c"))
    add(world, SimpleUploadedFile("d.pdf", PDF + b"%d"))
    rows = {Path(e.file.path).resolve() for e in Evidence.objects.all()}
    assert rows == {p.resolve() for p in stored_files(private_root)}
    assert len(rows) == 2
