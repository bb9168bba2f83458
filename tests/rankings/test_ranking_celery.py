"""The Celery task on the real stack: a worker process, Redis and PostgreSQL.

The worker is a separate process, so it must see the test's rows: the test
commits them (``transaction=True``) in the PostgreSQL test database and
points the worker there. SQLite's test database lives in memory, inside this
process, so locally the test is skipped without PostgreSQL or Redis; in CI
(CI=true) it fails instead.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal as D
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from rankings.models import RankingRun, RunStatus
from rankings.tasks import recompute_campaign
from tests.rankings.helpers import needs_postgresql, result_rows, skip_or_fail

CELERY = Path(sys.executable).with_name("celery")
WORKER_DEADLINE = 120  # seconds; a guard against a worker that never answers, not a timing


def test_database_url() -> str:
    """The URL of the database this test runs in (pytest-django's test_… database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def wait_for(result, worker: subprocess.Popen, log: Path):
    deadline = time.monotonic() + WORKER_DEADLINE
    while not result.ready():
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker stopped ({worker.returncode}):\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"No answer from the Celery worker:\n{log.read_text()}")
        time.sleep(0.2)
    return result.get(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_what_an_eager_run_computes(world):
    needs_postgresql("A worker process reading the test database")
    if not settings.REDIS_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        skip_or_fail("A Celery worker needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    # A queue of this test's own, so that no other worker takes the task.
    queue = f"rankings-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "dti.settings",
    }
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log.name)
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
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        result = recompute_campaign.apply_async(args=[world.campaign.pk], queue=queue)
        run_id = wait_for(result, worker, log_path)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        log_path.unlink(missing_ok=True)
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)

    by_worker = result_rows(world.campaign)
    assert RankingRun.objects.get(pk=run_id).status == RunStatus.SUCCEEDED
    assert [row[2:] for row in by_worker["rankings"] if row[:2] == ("final", "dti")] == [
        ("Xã A", D(100), 1),
        ("Xã B", D(95), 2),
        ("Xã C", D("87.5"), 3),
        ("Xã D", D(80), 4),
        ("Xã E", D(75), 5),
        ("Xã F", D(75), 5),
    ]
    # The same task run in this process (Celery's eager apply) writes the same rows.
    eager = recompute_campaign.apply(args=[world.campaign.pk]).get()
    assert eager != run_id
    assert result_rows(world.campaign) == by_worker
