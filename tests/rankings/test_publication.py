"""Publishing a campaign: one transaction, an immutable snapshot, corrections as new versions,
and public pages that show nothing unpublished."""

import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments.models import Assessment, AssessmentState
from councils.models import Appraisal, Round
from rankings import services
from rankings.models import Publication, PublishedResult
from tests.factories import UserFactory, force_state
from tests.rankings.helpers import responses_by_unit

S = AssessmentState
DECISION = {
    "decision_number": "1234/QĐ-UBND",
    "decision_date": date(2026, 11, 25),
    "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
}
FINAL_DTI = [
    ("Xã A", D("100.0000"), 1),
    ("Xã B", D("95.0000"), 2),
    ("Xã C", D("87.5000"), 3),
    ("Xã D", D("80.0000"), 4),
    ("Xã E", D("75.0000"), 5),
    ("Xã F", D("75.0000"), 5),
]


def appraised(world) -> None:
    for assessment in world.assessments.values():
        force_state(assessment, S.APPRAISED_2)


def publish(world, user=None, **fields):
    return services.campaign_publish(
        campaign=world.campaign,
        user=user or world.campaign.created_by,
        **{**DECISION, **fields},
    )


def states(world) -> set[str]:
    return set(Assessment.objects.filter(campaign=world.campaign).values_list("state", flat=True))


# --- the service ------------------------------------------------------------------------


def test_publishing_moves_every_unit_and_snapshots_the_final_results(world):
    appraised(world)
    publication = publish(world)

    assert publication.version == 1
    assert states(world) == {S.PUBLISHED}
    rows = sorted(
        publication.results.values_list("unit_name", "dti_value", "dti_rank"),
        key=lambda row: (row[2], row[0]),
    )
    assert rows == FINAL_DTI
    b = publication.results.get(unit_name="Xã B")
    assert (b.band_name, b.cqs_rank, b.kts_rank, b.xhs_rank) == ("Xuất sắc", 2, 3, 2)
    assert (b.cqs_value, b.kts_value, b.xhs_value) == (D("90.0000"), D("90.0000"), D("90.0000"))
    assert [(p["code"], p["value"]) for p in b.pillars] == [
        ("1", "80.0000"),
        ("7", "100.0000"),
        ("8", "100.0000"),
        ("9", "100.0000"),
    ]
    by_code = {item["code"]: item for item in b.indicators}
    # 8.1: self 0, round 1 10, round 2 20 → final 20
    assert {k: by_code["8.1"][k] for k in ("self", "round_1", "round_2", "final")} == {
        "self": "0.00",
        "round_1": "10.00",
        "round_2": "20.00",
        "final": "20.00",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("decision_number", " ", "Enter the number of the decision that publishes the rankings."),
        ("decision_date", None, "Enter the date of the decision."),
        ("signer_name", "", "Enter who signs the decision and as what."),
    ],
)
def test_a_publication_needs_its_decision(world, field, value, message):
    appraised(world)
    with pytest.raises(ValidationError) as refused:
        publish(world, **{field: value})
    assert refused.value.messages == [message]
    assert not Publication.objects.exists()
    assert states(world) == {S.APPRAISED_2}


def test_only_the_organizer_publishes(world):
    appraised(world)
    with pytest.raises(PermissionDenied):
        publish(world, user=UserFactory(roles=["organizer"]))
    assert not Publication.objects.exists()
    assert states(world) == {S.APPRAISED_2}


def test_publishing_is_refused_while_a_unit_is_not_appraised_in_round_two(world):
    appraised(world)
    force_state(world.assessments["Xã F"], S.EXPLANATION)
    with pytest.raises(ValidationError) as refused:
        publish(world)
    assert refused.value.messages == ["1 units of the campaign are not appraised in round 2 yet."]
    assert not Publication.objects.exists()
    assert not PublishedResult.objects.exists()
    assert states(world) == {S.APPRAISED_2, S.EXPLANATION}


def test_a_correction_is_a_new_version_with_a_reason_and_the_old_one_stays(world):
    appraised(world)
    first = publish(world)
    # The council corrects Xã E: 1.1 re-appraised to 20 (the unit is reopened to Appraised-2).
    force_state(world.assessments["Xã E"], S.APPRAISED_2)
    e_11 = responses_by_unit(world.campaign)["Xã E"]["1.1"]
    Appraisal.objects.create(response=e_11, round=Round.TWO, member=world.chair, score=D(20))

    with pytest.raises(ValidationError) as refused:
        publish(world)
    assert refused.value.messages == [
        "The results were published already: a correction needs a written reason."
    ]
    assert Publication.objects.count() == 1

    second = publish(world, reason="Sửa điểm chỉ số 1.1 của Xã E theo biên bản bổ sung.")
    assert second.version == 2
    assert states(world) == {S.PUBLISHED}
    assert sorted(
        second.results.values_list("unit_name", "dti_value", "dti_rank"),
        key=lambda row: (row[2], row[0]),
    ) == [
        ("Xã A", D("100.0000"), 1),
        ("Xã B", D("95.0000"), 2),
        ("Xã C", D("87.5000"), 3),
        ("Xã D", D("80.0000"), 4),
        ("Xã E", D("80.0000"), 4),  # 1.1: 10 → 20, (155 + 5) ÷ 2 = 80
        ("Xã F", D("75.0000"), 6),
    ]
    # Version 1 is exactly what was published then.
    assert (
        sorted(
            first.results.values_list("unit_name", "dti_value", "dti_rank"),
            key=lambda row: (row[2], row[0]),
        )
        == FINAL_DTI
    )


def test_published_rows_cannot_be_changed(world):
    appraised(world)
    publication = publish(world)
    result = publication.results.first()
    result.dti_rank = 99
    with pytest.raises(ValueError):
        result.save()
    publication.reason = "sửa"
    with pytest.raises(ValueError):
        publication.save()


# --- the public pages --------------------------------------------------------------------


def urls(world) -> dict[str, str]:
    pk = world.campaign.pk
    a = world.assessments["Xã A"].pk
    return {
        "campaign": reverse("rankings:results_campaign", args=[pk]),
        "unit": reverse("rankings:results_unit", args=[pk, a]),
    }


def test_nothing_unpublished_is_reachable(client, world):
    appraised(world)
    for url in urls(world).values():
        assert client.get(url).status_code == 404
    index = client.get(reverse("rankings:results_index"))
    assert index.status_code == 200
    assert b'data-testid="nothing-published"' in index.content


def test_anonymous_visitors_read_the_published_rankings(client, world):
    appraised(world)
    publish(world)
    page = client.get(urls(world)["campaign"])
    assert page.status_code == 200
    ranking = page.context["ranking"]
    # One ranking at a time, the DTI first; the four are links (tabs) to each other.
    assert [tab.kind for tab in ranking.rankings] == ["dti", "cqs", "kts", "xhs"]
    assert ranking.current.kind == "dti"
    dti = [(r.unit_name, r.rank) for r in ranking.rows]
    assert dti == [
        ("Xã A", 1),
        ("Xã B", 2),
        ("Xã C", 3),
        ("Xã D", 4),
        ("Xã E", 5),
        ("Xã F", 5),
    ]
    html = page.content.decode()
    assert "87,50\u00a0%" in html  # Vietnamese decimal comma, the set's two places
    assert "1234/QĐ-UBND" in html
    index = client.get(reverse("rankings:results_index"))
    assert world.campaign.name in index.content.decode()


def test_the_public_scorecard_names_strengths_and_weaknesses(client, world):
    appraised(world)
    publish(world)
    url = reverse("rankings:results_unit", args=[world.campaign.pk, world.assessments["Xã F"].pk])
    page = client.get(url)
    assert page.status_code == 200
    # F: pillars 1 = 60 %, 7 = 100 %, 8 = 100 %, 9 = 40 %; averages over the six units:
    # 1 = (100+80+90+100+50+60)/6 = 80, 7 = (100+100+80+80+85+100)/6 = 90.83,
    # 8 = (100+100+100+70+85+100)/6 = 92.5, 9 = (100+100+80+70+70+40)/6 = 76.67
    strengths = [p.code for p in page.context["strengths"]]
    weaknesses = [p.code for p in page.context["weaknesses"]]
    assert strengths == ["7", "8"]
    assert weaknesses == ["1", "9"]


def test_a_unit_of_another_campaign_or_a_bad_version_is_a_404(client, world):
    appraised(world)
    publish(world)
    pk = world.campaign.pk
    assert client.get(reverse("rankings:results_unit", args=[pk, 999999])).status_code == 404
    assert client.get(urls(world)["campaign"] + "?phien-ban=2").status_code == 404
    assert client.get(urls(world)["campaign"] + "?phien-ban=x").status_code == 404
    assert client.get(urls(world)["campaign"] + "?phien-ban=1").status_code == 200


def test_an_older_version_stays_readable_and_says_it_was_replaced(client, world):
    appraised(world)
    publish(world)
    force_state(world.assessments["Xã E"], S.APPRAISED_2)
    publish(world, reason="Sửa điểm của Xã E.")
    current = client.get(urls(world)["campaign"])
    assert b'data-testid="correction"' in current.content
    assert "Sửa điểm của Xã E." in current.content.decode()
    old = client.get(urls(world)["campaign"] + "?phien-ban=1")
    assert b'data-testid="old-version"' in old.content


def _published_campaign_of(units: int):
    from tests.rankings.helpers import campaign_of, trimmed_commune_set

    campaign = campaign_of(trimmed_commune_set(name=f"Bộ chỉ số {units}"), communes=units)
    for assessment in Assessment.objects.filter(campaign=campaign):
        force_state(assessment, S.APPRAISED_2)
    services.campaign_publish(campaign=campaign, user=campaign.created_by, **DECISION)
    return campaign


# the publication, the rankings' row counts, the page's rows, the versions
PUBLIC_CAMPAIGN_QUERIES = 4


@pytest.mark.parametrize("units", [3, 12])
@pytest.mark.parametrize("query", ["", "?xep-hang=xhs&trang=2"])
def test_the_public_rankings_page_queries_do_not_grow_with_the_units(
    client, db, django_assert_num_queries, units, query
):
    campaign = _published_campaign_of(units)
    url = reverse("rankings:results_campaign", args=[campaign.pk])
    with django_assert_num_queries(PUBLIC_CAMPAIGN_QUERIES):
        page = client.get(url + query)
    assert page.status_code == 200
    assert len(page.context["ranking"].rows) == units


def shown(client, url: str, query: str = ""):
    """(page, the ranking shown, its rows as (unit, rank) and the rows' HTML)."""
    page = client.get(url + query)
    assert page.status_code == 200
    ranking = page.context["ranking"]
    return page, ranking, [(r.unit_name, r.rank) for r in ranking.rows]


def tab_links(html: str) -> dict[str, str]:
    """The ranking tabs' links, by kind."""
    nav = html.split('data-testid="ranking-tabs"', 1)[1].split("</ul>", 1)[0]
    return dict((kind, href) for href, kind in re.findall(r'href="([^"]*)" data-kind="(\w+)"', nav))


def test_each_ranking_is_chosen_by_a_link_and_shows_every_row(client, world):
    appraised(world)
    publish(world)
    url = urls(world)["campaign"]
    page, ranking, rows = shown(client, url)
    html = page.content.decode()
    # The tabs are plain links (no script needed); the one shown is marked as current.
    assert tab_links(html) == {
        "dti": "?xep-hang=dti#rankings",
        "cqs": "?xep-hang=cqs#rankings",
        "kts": "?xep-hang=kts#rankings",
        "xhs": "?xep-hang=xhs#rankings",
    }
    assert 'active" aria-current="page" href="?xep-hang=dti#rankings"' in html
    assert html.count('data-testid="ranking-table"') == 1
    # Each ranking is its own table, with the ranks of helpers.py (RANKS of test_documents).
    page, ranking, rows = shown(client, url, "?xep-hang=cqs")
    assert ranking.current.kind == "cqs" and ranking.current.label == "Chính quyền số"
    assert rows == [
        ("Xã A", 1),
        ("Xã B", 2),
        ("Xã D", 2),
        ("Xã C", 4),
        ("Xã F", 5),
        ("Xã E", 6),
    ]
    html = page.content.decode()
    assert 'data-kind="cqs"' in html and 'data-testid="ranking-table" data-kind="dti"' not in html
    assert 'active" aria-current="page" href="?xep-hang=cqs#rankings"' in html
    table = html.split('data-testid="ranking-table"', 1)[1].split("</section>", 1)[0]
    assert "Xếp loại" not in table  # the bands: in the DTI only
    # Every row links to its unit's public scorecard.
    b = reverse("rankings:results_unit", args=[world.campaign.pk, world.assessments["Xã B"].pk])
    assert f'<a href="{b}">Xã B</a>' in html
    assert shown(client, url, "?xep-hang=xhs")[2][2:4] == [("Xã C", 3), ("Xã D", 3)]


def test_an_unknown_ranking_is_a_404_not_an_error(client, world):
    appraised(world)
    publish(world)
    url = urls(world)["campaign"]
    for name in ("abc", "DTI", "", "trang", "dti'--"):
        assert client.get(url, {"xep-hang": name}).status_code == 404, name
    assert client.get(url, {"xep-hang": "kts"}).status_code == 200


def test_a_ranking_the_set_does_not_define_is_a_404(client, world):
    appraised(world)
    publish(world)
    # A set without the digital-society sub-index publishes no such ranking.
    PublishedResult.objects.update(xhs_rank=None, xhs_value=None)
    url = urls(world)["campaign"]
    page = client.get(url)
    assert [tab.kind for tab in page.context["ranking"].rankings] == ["dti", "cqs", "kts"]
    assert 'data-kind="xhs"' not in page.content.decode()
    assert client.get(url, {"xep-hang": "xhs"}).status_code == 404


def test_an_older_version_keeps_its_version_in_every_link(client, world):
    appraised(world)
    publish(world)
    force_state(world.assessments["Xã E"], S.APPRAISED_2)
    publish(world, reason="Sửa điểm của Xã E.")
    url = urls(world)["campaign"]
    page, ranking, rows = shown(client, url, "?phien-ban=1&xep-hang=kts")
    assert page.context["publication"].version == 1 and ranking.current.kind == "kts"
    html = page.content.decode()
    assert tab_links(html)["dti"] == "?phien-ban=1&amp;xep-hang=dti#rankings"
    a = reverse("rankings:results_unit", args=[world.campaign.pk, world.assessments["Xã A"].pk])
    assert f'<a href="{a}?phien-ban=1">Xã A</a>' in html
    # The other version, same ranking; the newest needs no version in its row links.
    assert '<a href="?phien-ban=2&amp;xep-hang=kts">2</a>' in html
    page, ranking, rows = shown(client, url, "?phien-ban=2&xep-hang=kts")
    assert f'<a href="{a}">Xã A</a>' in page.content.decode()


def test_a_ranking_is_paged_and_keeps_the_ranking_and_the_version(client, world, monkeypatch):
    from rankings import selectors

    appraised(world)
    publish(world)
    monkeypatch.setattr(selectors, "PUBLIC_PAGE_ROWS", 4)
    url = urls(world)["campaign"]

    page, ranking, rows = shown(client, url)
    assert rows == [("Xã A", 1), ("Xã B", 2), ("Xã C", 3), ("Xã D", 4)]
    assert (ranking.page.number, ranking.page.pages, ranking.page.total) == (1, 2, 6)
    html = page.content.decode()
    assert 'href="?trang=2#table-dti"' in html and "Hàng 1–4 / 6" in html
    # The second page of a ranking keeps the ranking and the version asked for.
    page, ranking, rows = shown(client, url, "?xep-hang=cqs&trang=2&phien-ban=1")
    assert ranking.current.kind == "cqs"
    assert rows == [("Xã F", 5), ("Xã E", 6)]
    html = page.content.decode()
    assert "Hàng 5–6 / 6" in html
    assert 'href="?xep-hang=cqs&amp;trang=1&amp;phien-ban=1#table-cqs"' in html
    # Another ranking starts at its first page.
    assert tab_links(html)["dti"] == "?xep-hang=dti&amp;phien-ban=1#rankings"
    # Anything that is not a page gives the first page, past the end the last one.
    assert shown(client, url, "?trang=abc")[2][0] == ("Xã A", 1)
    assert shown(client, url, "?trang=-3")[2][0] == ("Xã A", 1)
    assert shown(client, url, "?trang=99")[1].page.number == 2
