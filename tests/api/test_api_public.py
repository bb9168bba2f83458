"""The published results through the API: anonymous, the same snapshot as the public pages,
nothing of an unpublished campaign; lists paged; decimals as exact strings."""

from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from assessments.models import AssessmentState
from councils.models import Appraisal, Round
from rankings import selectors as ranking_selectors
from rankings import services as ranking_services
from tests.api.conftest import DECISION, api
from tests.factories import force_state
from tests.rankings.helpers import responses_by_unit

# tests/rankings/test_publication.py: FINAL_DTI (name, value, rank), bands of the set
DTI = [
    (1, "100.00", "Xuất sắc", "Xã A"),
    (2, "95.00", "Xuất sắc", "Xã B"),
    (3, "87.50", "Tốt", "Xã C"),
    (4, "80.00", "Tốt", "Xã D"),
    (5, "75.00", "Khá", "Xã E"),
    (5, "75.00", "Khá", "Xã F"),
]


def base(campaign_id):
    return f"/api/v1/results/campaigns/{campaign_id}"


def test_published_campaigns_are_listed_and_unpublished_ones_are_not(published, world):
    response = api().get("/api/v1/results/campaigns")
    assert response.status_code == 200
    campaign, publication = published.campaign, published.publication
    assert response.json() == {
        "items": [
            {
                "id": campaign.pk,
                "name": campaign.name,
                "year": campaign.year,
                "organizing_unit": {
                    "id": campaign.organizing_unit.pk,
                    "code": "",
                    "name": "Huyện Thử",
                },
                "indicator_set": {
                    "id": campaign.indicator_set.pk,
                    "name": campaign.indicator_set.name,
                    "decimal_places": 2,
                },
                "publication": {
                    "version": 1,
                    "decision_number": "1234/QĐ-UBND",
                    "decision_date": "2026-11-25",
                    "published_at": DjangoJSONEncoder().default(publication.published_at),
                    "correction_reason": "",
                },
            }
        ],
        "count": 1,
        "page": 1,
        "page_size": 100,
        "pages": 1,
    }


def test_a_campaign_says_its_versions_and_rankings(published):
    body = api().get(base(published.campaign.pk)).json()
    assert [v["version"] for v in body["versions"]] == [1]
    assert body["rankings"] == [
        {"kind": "dti", "label": "Digital Transformation Index (DTI)", "units": 6},
        {"kind": "cqs", "label": "Digital government", "units": 6},
        {"kind": "kts", "label": "Digital economy", "units": 6},
        {"kind": "xhs", "label": "Digital society", "units": 6},
    ]


def test_the_dti_ranking_is_paged_by_rank_then_name_with_exact_values(published):
    client = api()
    first = client.get(f"{base(published.campaign.pk)}/rankings/dti", {"page_size": 4}).json()
    second = client.get(
        f"{base(published.campaign.pk)}/rankings/dti", {"page_size": 4, "page": 2}
    ).json()
    assert (first["count"], first["pages"], second["page"]) == (6, 2, 2)
    rows = [
        (row["rank"], row["value"], row["band"], row["unit"]["name"])
        for row in first["items"] + second["items"]
    ]
    assert rows == DTI
    a = first["items"][0]
    assert a["assessment_id"] == published.assessments["Xã A"].pk
    assert a["unit"]["id"] == published.assessments["Xã A"].unit_id


def test_the_ranking_is_the_public_pages_table(published):
    """The same rows, ranks and values as the public page's (rankings.selectors)."""
    tabs = ranking_selectors.published_ranking_page(publication=published.publication).rankings
    for kind in [tab.kind for tab in tabs]:
        table = ranking_selectors.published_ranking_page(
            publication=published.publication, kind=kind
        )
        body = api().get(f"{base(published.campaign.pk)}/rankings/{kind}").json()
        assert [(r["rank"], Decimal(r["value"]), r["unit"]["name"]) for r in body["items"]] == [
            (row.rank, row.value, row.unit_name) for row in table.rows
        ]
        if kind != "dti":
            assert {row["band"] for row in body["items"]} == {None}


def test_one_units_scorecard(published):
    b = published.assessments["Xã B"]
    response = api().get(f"{base(published.campaign.pk)}/scorecards/{b.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["unit"] == {"id": b.unit_id, "code": "", "name": "Xã B"}
    assert body["points"] == {"achieved": "190.00", "bonus": "0.00", "max": "200.00"}
    assert body["dti"] == {"value": "95.00", "rank": 2, "band": "Xuất sắc"}
    assert body["sub_indices"] == [
        {"kind": "cqs", "label": "Digital government", "value": "90.00", "rank": 2},
        {"kind": "kts", "label": "Digital economy", "value": "90.00", "rank": 3},
        {"kind": "xhs", "label": "Digital society", "value": "90.00", "rank": 2},
    ]
    assert [(p["code"], p["achieved"], p["max"], p["value"]) for p in body["pillars"]] == [
        ("1", "40.00", "50.00", "80.00"),
        ("7", "50.00", "50.00", "100.00"),
        ("8", "50.00", "50.00", "100.00"),
        ("9", "50.00", "50.00", "100.00"),
    ]
    by_code = {item["code"]: item for item in body["indicators"]}
    assert {k: by_code["8.1"][k] for k in ("max", "self_score", "round_1", "round_2", "final")} == {
        "max": "20.00",
        "self_score": "0.00",
        "round_1": "10.00",
        "round_2": "20.00",
        "final": "20.00",
    }
    assert len(body["indicators"]) == 14


def test_nothing_of_an_unpublished_campaign(world, published):
    """The providers' campaign is open, not published: no result anywhere (404)."""
    client = api()
    unpublished = world.campaign.pk
    assessment = world.assessments["Xã A"].pk
    message = {"detail": "No published results of this campaign (or of this version)."}
    for url in (
        base(unpublished),
        f"{base(unpublished)}/rankings/dti",
        f"{base(unpublished)}/scorecards/{assessment}",
        base(10**12),
    ):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, message), url
    # an assessment of another campaign under a published one
    mixed = client.get(f"{base(published.campaign.pk)}/scorecards/{assessment}")
    assert (mixed.status_code, mixed.json()) == (
        404,
        {"detail": "No published result of this unit in this campaign."},
    )
    # and an appraised campaign that is not published yet: its rankings stay private
    published_ids = [item["id"] for item in client.get("/api/v1/results/campaigns").json()["items"]]
    assert published_ids == [published.campaign.pk]


def test_an_unknown_ranking_or_page_is_refused(published):
    client = api()
    unknown = client.get(f"{base(published.campaign.pk)}/rankings/abc")
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["errors"]] == [["path", "kind"]]
    for query in ({"page": 0}, {"page_size": 0}, {"page": "x"}):
        response = client.get(f"{base(published.campaign.pk)}/rankings/dti", query)
        assert response.status_code == 422, query
    past = client.get(f"{base(published.campaign.pk)}/rankings/dti", {"page": 7}).json()
    assert (past["items"], past["count"], past["pages"]) == ([], 6, 1)


def test_older_versions_stay_readable(published):
    """A correction is version 2; version 1 keeps what was published first."""
    force_state(published.assessments["Xã E"], AssessmentState.APPRAISED_2)
    e_11 = responses_by_unit(published.campaign)["Xã E"]["1.1"]
    Appraisal.objects.create(response=e_11, round=Round.TWO, member=published.chair, score=20)
    ranking_services.campaign_publish(
        campaign=published.campaign,
        user=published.campaign.created_by,
        reason="Sửa điểm chỉ số 1.1 của Xã E.",
        **DECISION,
    )
    client = api()
    e = published.assessments["Xã E"].pk
    newest = client.get(f"{base(published.campaign.pk)}/scorecards/{e}").json()
    first = client.get(f"{base(published.campaign.pk)}/scorecards/{e}", {"version": 1}).json()
    assert (newest["publication"]["version"], newest["dti"]["value"], newest["dti"]["rank"]) == (
        2,
        "80.00",
        4,
    )
    assert newest["publication"]["correction_reason"] == "Sửa điểm chỉ số 1.1 của Xã E."
    assert (first["publication"]["version"], first["dti"]["value"], first["dti"]["rank"]) == (
        1,
        "75.00",
        5,
    )
    detail = client.get(base(published.campaign.pk)).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    missing = client.get(base(published.campaign.pk), {"version": 3})
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["openapi.json", "docs"])
def test_the_schema_and_the_docs_are_served(db, path):
    response = api().get(f"/api/v1/{path}")
    assert response.status_code == 200


def test_the_docs_load_nothing_from_another_site(db):
    page = api().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "/static/ninja/swagger-ui.css" in page
    assert "cdn" not in page.lower()
    assert '"validatorUrl": null' in page  # Swagger UI would fetch a badge from swagger.io


def test_a_ranking_page_costs_the_same_queries_whatever_the_units(
    published, django_assert_num_queries
):
    """The publication, the rankings' counts, the table's count, one page of rows."""
    client = api()
    url = f"{base(published.campaign.pk)}/rankings/dti"
    with django_assert_num_queries(4) as queries:
        client.get(url, {"page_size": 2})
    assert "LIMIT 2" in queries.captured_queries[-1]["sql"]
