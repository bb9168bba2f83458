"""The providers' endpoints: only their campaigns, units and figures; bulk submission with
per-row results, idempotent by the client's key."""

import json
import threading
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from api.models import IdempotentRequest
from assessments.models import Assessment, AuditEntry, InputSource, Response
from providers import services as provider_services
from providers.models import ProvidedFigure
from tests.api.conftest import api, token_for
from tests.rankings.helpers import needs_postgresql

NOT_YOURS = "Your agency provides no figures in a campaign with this id."


def campaigns_url():
    return "/api/v1/provider/campaigns"


def figures_url(campaign_id):
    return f"/api/v1/provider/campaigns/{campaign_id}/figures"


def submit(client, campaign_id, rows, key="lan-gui-1", **extra):
    return client.post(
        figures_url(campaign_id),
        json.dumps({"rows": rows}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **extra,
    )


def unit_ref(unit):
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def written(world) -> tuple:
    """Everything a submission may write: figures, histories, inputs, audit, stored answers."""
    return (
        ProvidedFigure.objects.count(),
        ProvidedFigure.history.count(),
        Response.history.count(),
        Assessment.history.count(),
        AuditEntry.objects.count(),
        IdempotentRequest.objects.count(),
        tuple(Response.objects.order_by("pk").values_list("inputs", "self_score", "version")),
        tuple(Assessment.objects.order_by("pk").values_list("general_info", flat=True)),
    )


# --- reading -----------------------------------------------------------------------------------


def test_a_provider_lists_its_campaigns_with_what_it_provides(world):
    viettel = api(token_for(world.people.viettel)).get(campaigns_url())
    assert viettel.status_code == 200
    assert viettel.json() == [
        {
            "id": world.campaign.pk,
            "name": world.campaign.name,
            "year": world.campaign.year,
            "organizing_unit": unit_ref(world.district),
            "assignments": [
                {
                    "id": world.fibre_assignment.pk,
                    "kind": "indicator",
                    "code": "3.2",
                    "name": world.fibre.name,
                    "method": "ratio",
                    "inputs": ["a"],  # b is the households figure of the unit
                    "units": 2,
                    "missing": 2,
                }
            ],
        }
    ]
    statistics = api(token_for(world.people.statistics)).get(campaigns_url()).json()
    assert statistics[0]["assignments"] == [
        {
            "id": world.households_assignment.pk,
            "kind": "field",
            "code": "tong_so_ho_gia_dinh",
            "name": world.households.name,
            "method": None,
            "inputs": [],
            "units": 3,
            "missing": 3,
        }
    ]


def test_what_a_provider_owes_is_paged_with_what_it_sent(world):
    client = api(token_for(world.people.statistics))
    submit(
        client,
        world.campaign.pk,
        [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}],
    )
    figure = ProvidedFigure.objects.get()
    first = client.get(figures_url(world.campaign.pk), {"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (3, 1, 2, 2)
    households = {"kind": "field", "code": "tong_so_ho_gia_dinh", "name": world.households.name}
    assert body["items"] == [
        {
            "unit": unit_ref(world.a),
            "figure": households,
            "status": "sent",
            "value": {"value": "400"},
            "channel": "api",
            "provided_at": DjangoJSONEncoder().default(figure.provided_at),
            "provided_by": str(world.people.statistics),
            "prefilled": True,
        },
        {
            "unit": unit_ref(world.b),
            "figure": households,
            "status": "missing",
            "value": None,
            "channel": None,
            "provided_at": None,
            "provided_by": None,
            "prefilled": None,
        },
    ]
    second = client.get(figures_url(world.campaign.pk), {"page_size": 2, "page": 2}).json()
    assert [(i["unit"]["name"], i["status"]) for i in second["items"]] == [("Xã C", "missing")]
    past_the_end = client.get(figures_url(world.campaign.pk), {"page_size": 2, "page": 3}).json()
    assert (past_the_end["items"], past_the_end["count"]) == ([], 3)
    missing = client.get(figures_url(world.campaign.pk), {"missing": "true"}).json()
    assert [i["unit"]["name"] for i in missing["items"]] == ["Xã B", "Xã C"]
    sent = client.get(figures_url(world.campaign.pk), {"missing": "false"}).json()
    assert [i["unit"]["name"] for i in sent["items"]] == ["Xã A"]


def test_a_page_size_above_the_maximum_is_refused(world, settings):
    response = api(token_for(world.people.statistics)).get(
        figures_url(world.campaign.pk), {"page_size": settings.API_MAX_PAGE_SIZE + 1}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid: see errors for each field."
    assert [error["loc"] for error in body["errors"]] == [["query", "page_size"]]


def test_a_provider_reads_only_the_units_of_its_assignment(world):
    """Viettel provides 3.2 for communes A and B: commune C is nowhere in its answers."""
    client = api(token_for(world.people.viettel))
    owed = client.get(figures_url(world.campaign.pk)).json()
    assert [(i["unit"]["name"], i["figure"]["code"]) for i in owed["items"]] == [
        ("Xã A", "3.2"),
        ("Xã B", "3.2"),
    ]
    assert owed["count"] == 2
    assert (
        client.get(figures_url(world.campaign.pk), {"figure": "tong_so_ho_gia_dinh"}).json()[
            "items"
        ]
        == []
    )


def test_a_campaign_without_an_assignment_of_the_agency_does_not_exist_for_it(world):
    provider_services.provider_assignment_delete(
        user=world.people.organizer, assignment=world.households_assignment
    )
    client = api(token_for(world.people.statistics))
    before = written(world)
    for response in (
        client.get(figures_url(world.campaign.pk)),
        submit(
            client,
            world.campaign.pk,
            [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 1}],
        ),
        client.get(figures_url(world.campaign.pk + 1000)),
    ):
        assert (response.status_code, response.json()) == (404, {"detail": NOT_YOURS})
    assert client.get(campaigns_url()).json() == []
    assert written(world) == before


@pytest.mark.parametrize("person", ["officer_a", "viettel_without_role", "organizer"])
def test_a_token_of_someone_who_is_not_a_data_provider_is_refused(world, person):
    client = api(token_for(getattr(world.people, person)))
    before = written(world)
    message = "Only a data provider's people can use these endpoints."
    for response in (
        client.get(campaigns_url()),
        client.get(figures_url(world.campaign.pk)),
        submit(
            client, world.campaign.pk, [{"unit": world.a.pk, "indicator": "3.2", "value": {"a": 1}}]
        ),
    ):
        assert (response.status_code, response.json()) == (403, {"detail": message})
    assert written(world) == before


# --- writing ---------------------------------------------------------------------------------


def test_bulk_rows_get_their_own_results_and_prefill_the_assigned_units_only(world):
    statistics = api(token_for(world.people.statistics))
    households = [
        {"unit": unit.pk, "field": "tong_so_ho_gia_dinh", "value": "400"}
        for unit in (world.a, world.b, world.c)
    ]
    assert submit(statistics, world.campaign.pk, households).json()["created"] == 3
    viettel = api(token_for(world.people.viettel))
    response = submit(
        viettel,
        world.campaign.pk,
        [
            {"unit": world.a.pk, "indicator": "3.2", "value": {"a": 300}},
            {"unit": str(world.b.pk), "indicator": "3.2", "value": {"a": "100"}},
            {"unit": world.c.pk, "indicator": "3.2", "value": {"a": 50}},  # not Viettel's unit
            {"unit": world.a.pk, "indicator": "1.1", "value": True},  # not Viettel's figure
            {"unit": 999999, "indicator": "3.2", "value": {"a": 1}},  # no such unit
            {"unit": world.b.pk, "indicator": "3.2", "field": "tong_so_ho_gia_dinh", "value": 1},
            {"unit": world.a.pk, "indicator": "3.2", "value": {"a": 500}},  # 500 of 400
        ],
    )
    assert response.status_code == 200
    assert response.get("Idempotent-Replayed") is None
    body = response.json()
    assert {
        k: body[k] for k in ("campaign", "rows", "created", "updated", "unchanged", "errors")
    } == {
        "campaign": world.campaign.pk,
        "rows": 7,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": 5,
    }
    assert [
        (r["index"], r["unit_name"], r["status"], r["prefilled"], r["messages"])
        for r in body["results"]
    ] == [
        (0, "Xã A", "created", True, []),
        (1, "Xã B", "created", True, []),
        (
            2,
            "",
            "error",
            False,
            [f"Your agency does not provide “3.2” for unit “{world.c.pk}” in this campaign."],
        ),
        (
            3,
            "",
            "error",
            False,
            [f"Your agency does not provide “1.1” for unit “{world.a.pk}” in this campaign."],
        ),
        (
            4,
            "",
            "error",
            False,
            ["Your agency does not provide “3.2” for unit “999999” in this campaign."],
        ),
        (5, "", "error", False, ["Give either an indicator code or a general information code."]),
        (6, "", "error", False, ["This unit and figure appear twice; send each once."]),
    ]
    a, b, c = (
        Response.objects.get(assessment=world.assessments[unit.name], indicator__code="3.2")
        for unit in (world.a, world.b, world.c)
    )
    assert (a.inputs, a.self_score, a.inputs_source, a.inputs_agency_id) == (
        {"a": "300"},
        Decimal("15.00"),
        InputSource.PROVIDED,
        world.viettel.pk,
    )
    assert (b.inputs, b.self_score) == ({"a": "100"}, Decimal("5.00"))
    assert (c.inputs, c.self_score, c.version) == ({}, None, 0)
    assert not ProvidedFigure.objects.filter(
        assignment=world.fibre_assignment, assessment=world.assessments[world.c.name]
    ).exists()
    # the history names the token's person
    assert a.history.latest().history_user == world.people.viettel


def test_the_same_request_sent_again_changes_nothing_and_gets_the_same_answer(world):
    client = api(token_for(world.people.statistics))
    rows = [
        {"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": "400"},
        {"unit": world.b.pk, "field": "tong_so_ho_gia_dinh", "value": "-3"},
    ]
    first = submit(client, world.campaign.pk, rows, key="3f0c-lan-1")
    assert first.status_code == 200
    assert [(r["status"], r["messages"]) for r in first.json()["results"]] == [
        ("created", []),
        ("error", ["Tổng số hộ gia đình trên địa bàn cannot be negative."]),
    ]
    after_first = written(world)
    history = (ProvidedFigure.history.count(), Response.history.count(), Assessment.history.count())

    again = submit(client, world.campaign.pk, rows, key="3f0c-lan-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert written(world) == after_first
    assert (
        ProvidedFigure.history.count(),
        Response.history.count(),
        Assessment.history.count(),
    ) == history

    # the same body with another spelling of the same JSON is the same request
    spaced = client.post(
        figures_url(world.campaign.pk),
        json.dumps({"rows": rows}, indent=4),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="3f0c-lan-1",
    )
    assert spaced.json() == first.json()
    assert written(world) == after_first


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(world):
    client = api(token_for(world.people.statistics))
    submit(
        client,
        world.campaign.pk,
        [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}],
        key="k",
    )
    before = written(world)
    response = submit(
        client,
        world.campaign.pk,
        [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 401}],
        key="k",
    )
    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "This Idempotency-Key was used before for a different request. "
            "Send new figures under a new key."
        },
    )
    assert written(world) == before
    assert Assessment.objects.get(pk=world.assessments["Xã A"].pk).general_info == {
        "tong_so_ho_gia_dinh": "400"
    }


def test_keys_belong_to_their_person(world):
    """Two people may use the same key: each gets the answer to their own request."""
    rows = [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}]
    statistics = submit(api(token_for(world.people.statistics)), world.campaign.pk, rows, key="k")
    viettel = submit(api(token_for(world.people.viettel)), world.campaign.pk, rows, key="k")
    assert statistics.json()["created"] == 1
    assert viettel.json()["errors"] == 1
    assert IdempotentRequest.objects.count() == 2


def test_a_new_key_with_figures_already_sent_reports_them_unchanged(world):
    client = api(token_for(world.people.statistics))
    rows = [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}]
    submit(client, world.campaign.pk, rows, key="lan-1")
    before = written(world)
    response = submit(client, world.campaign.pk, rows, key="lan-2")
    assert [r["status"] for r in response.json()["results"]] == ["unchanged"]
    assert written(world)[:5] == before[:5]  # only the new key's answer is stored
    assert IdempotentRequest.objects.count() == 2


def test_the_key_is_required_and_bounded(world):
    client = api(token_for(world.people.statistics))
    rows = [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}]
    missing = client.post(
        figures_url(world.campaign.pk), json.dumps({"rows": rows}), content_type="application/json"
    )
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["errors"]] == [["header", "Idempotency-Key"]]
    too_long = submit(client, world.campaign.pk, rows, key="k" * 101)
    assert too_long.status_code == 422
    assert not ProvidedFigure.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("{not json", 400, "The request body is not valid JSON."),
        (json.dumps({"rows": []}), 422, "The request is not valid: see errors for each field."),
        (json.dumps({}), 422, "The request is not valid: see errors for each field."),
        (json.dumps({"rows": "3.2"}), 422, "The request is not valid: see errors for each field."),
    ],
)
def test_a_body_that_is_not_a_list_of_rows_is_refused(world, body, status, detail):
    client = api(token_for(world.people.statistics))
    response = client.post(
        figures_url(world.campaign.pk),
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert not IdempotentRequest.objects.exists()


def test_at_most_api_max_rows_per_request(world, settings):
    client = api(token_for(world.people.statistics))
    row = {"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}
    response = submit(client, world.campaign.pk, [row] * (settings.API_MAX_ROWS + 1))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "payload", "rows"]]
    assert not ProvidedFigure.objects.exists()


def test_a_body_larger_than_the_site_accepts_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    client = api(token_for(world.people.statistics))
    row = {"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 400}
    response = submit(client, world.campaign.pk, [row] * 10)
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "The request is too large: send the rows in several requests."},
    )
    assert not ProvidedFigure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_twice_at_once_is_saved_once(world):
    """Two requests with one key at the same moment (a client retrying too early): the
    second waits for the first and gets its answer. PostgreSQL: real concurrent sessions."""
    needs_postgresql("concurrent requests")
    token = token_for(world.people.statistics)
    rows = [
        {"unit": unit.pk, "field": "tong_so_ho_gia_dinh", "value": 400}
        for unit in (world.a, world.b, world.c)
    ]
    start = threading.Barrier(2)
    answers = []

    def send():
        try:
            start.wait()
            answers.append(submit(api(token), world.campaign.pk, rows, key="cung-luc"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert answers[0].json()["created"] == 3
    assert ProvidedFigure.objects.count() == 3
    assert ProvidedFigure.history.count() == 3
    assert IdempotentRequest.objects.count() == 1
