"""Running the computation: idempotent, a fixed number of queries, recorded, safe in parallel."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from rankings import services
from rankings.models import PillarScore, RankingRun, RunStatus, ScoreSummary, Stage
from tests.rankings.helpers import (
    campaign_of,
    needs_postgresql,
    result_rows,
    score_everything,
    trimmed_commune_set,
)


def test_running_twice_gives_identical_rows(world):
    services.campaign_recompute(campaign=world.campaign)
    first = result_rows(world.campaign)
    services.campaign_recompute(campaign=world.campaign)
    assert result_rows(world.campaign) == first
    # 6 units × 3 stages; 4 pillar rows and 4 sub-index rows each; 4 rankings each
    assert [len(first[table]) for table in ("summaries", "pillars", "sub_indices", "rankings")] == [
        18,
        72,
        72,
        72,
    ]
    assert list(RankingRun.objects.values_list("status", flat=True)) == ["succeeded"] * 2


def test_only_the_chosen_stages_are_replaced(world):
    services.campaign_recompute(campaign=world.campaign)
    before = dict(ScoreSummary.objects.values_list("pk", "stage"))
    services.campaign_recompute(campaign=world.campaign, stages=[Stage.FINAL])
    after = dict(ScoreSummary.objects.values_list("pk", "stage"))
    kept = {pk for pk, stage in before.items() if stage != Stage.FINAL}
    assert kept <= after.keys()  # self and round-1 rows untouched
    assert not {pk for pk, stage in before.items() if stage == Stage.FINAL} & after.keys()
    assert sorted(after.values()) == sorted(before.values())


def queries_for(communes: int) -> list[str]:
    campaign = campaign_of(trimmed_commune_set(name=f"Bộ {communes} xã"), communes=communes)
    # Round-2 changes in a unit make the round-2 subqueries find something too.
    score_everything(campaign, self_scores={}, round_1={}, round_2={"Xã A": {"1.1": "10"}})
    with CaptureQueriesContext(connection) as captured:
        services.campaign_recompute(campaign=campaign)
    assert ScoreSummary.objects.filter(campaign=campaign).count() == 3 * communes
    return [query["sql"] for query in captured.captured_queries]


def test_the_number_of_queries_does_not_grow_with_the_units(db):
    three, twelve = queries_for(3), queries_for(12)
    assert len(three) == len(twelve)
    # run, savepoint, lock, [PostgreSQL: work_mem], 4 deletes, 1 pillar insert for the
    # three stages, summaries + band update, sub-indices, 2 ranking inserts, release,
    # run finished
    assert len(three) == 15 + (connection.vendor == "postgresql")


def test_a_failed_run_is_recorded_and_changes_nothing(world, monkeypatch):
    services.campaign_recompute(campaign=world.campaign)
    before = result_rows(world.campaign)

    def boom(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "_insert_rankings", boom)
    with pytest.raises(RuntimeError):
        services.campaign_recompute(campaign=world.campaign, stages=[Stage.FINAL])
    failed = RankingRun.objects.first()
    assert (failed.status, failed.error, failed.stages) == (
        RunStatus.FAILED,
        "RuntimeError: the disk is full",
        ["final"],
    )
    assert failed.finished_at is not None
    assert result_rows(world.campaign) == before


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_give_the_rows_of_one(world):
    needs_postgresql("Two concurrent transactions")
    services.campaign_recompute(campaign=world.campaign)
    alone = result_rows(world.campaign)
    start, errors = threading.Barrier(2), []

    def run():
        try:
            start.wait()
            services.campaign_recompute(campaign=world.campaign)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert result_rows(world.campaign) == alone
    assert RankingRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 3
    # The second run waited for the first, then replaced its rows: one run's rows remain.
    assert ScoreSummary.objects.values("computed_at").distinct().count() == 1


def test_the_maxima_are_the_sets(world):
    # The pillar maxima are summed from the units' responses (one per indicator);
    # they must be the set's own (indicators.models: bonus and unscored excluded).
    from indicators.models import Pillar

    services.campaign_recompute(campaign=world.campaign, stages=[Stage.SELF])
    set_max = dict(
        Pillar.objects.filter(indicator_set=world.indicator_set)
        .with_max_points()
        .values_list("code", "total_max")
    )
    stored = set(PillarScore.objects.values_list("pillar__code", "max_points"))
    assert stored == {(code, set_max[code]) for code in ("1", "7", "8", "9")}
    assert set(ScoreSummary.objects.values_list("max_points", flat=True)) == {
        world.indicator_set.max_points()
    }


def test_closing_rounds_for_many_units_in_one_transaction_queues_one_computation(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from assessments.models import AssessmentState
    from rankings import tasks
    from rankings.apps import _recompute_after_round

    queued = []
    monkeypatch.setattr(tasks.recompute_campaign, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        for assessment in world.assessments.values():
            _recompute_after_round(None, assessment, AssessmentState.APPRAISED_2)
        _recompute_after_round(None, world.assessments["Xã A"], AssessmentState.APPRAISED_1)
        _recompute_after_round(None, world.assessments["Xã A"], AssessmentState.EXPLANATION)
    assert queued == [
        (world.campaign.pk, ["round_1", "final"]),
        (world.campaign.pk, ["round_1"]),
    ]


@pytest.mark.django_db
def test_postgresqls_latest_appraisals_are_the_portable_ones(world, monkeypatch):
    """PostgreSQL finds the latest appraisals with DISTINCT ON, SQLite by numbering them
    (ROW_NUMBER): on PostgreSQL both must give the very same rows, ties included."""
    from django.utils import timezone

    from councils.models import Appraisal, Round
    from tests.rankings.helpers import responses_by_unit

    needs_postgresql("DISTINCT ON")
    # Xã A 1.1 (20 points, 20 in round 1): two round-2 appraisals updated at the same
    # moment; the later one (higher pk), 5, counts, not 10.
    a_11 = responses_by_unit(world.campaign)["Xã A"]["1.1"]
    for member, score in ((world.chair, 10), (world.police, 5)):
        Appraisal.objects.create(response=a_11, round=Round.TWO, member=member, score=score)
    Appraisal.objects.filter(response=a_11, round=Round.TWO).update(updated_at=timezone.now())

    services.campaign_recompute(campaign=world.campaign)
    distinct_on = result_rows(world.campaign)
    portable = services.LATEST_APPRAISALS_SQL[None]
    monkeypatch.setitem(services.LATEST_APPRAISALS_SQL, "postgresql", portable)
    services.campaign_recompute(campaign=world.campaign)
    assert result_rows(world.campaign) == distinct_on
    final_a = [row for row in distinct_on["summaries"] if row[:2] == ("final", "Xã A")]
    assert [row[2] for row in final_a] == [185]  # 200 − 20 + 5
