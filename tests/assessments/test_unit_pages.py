"""The unit's pages: self-assessment, autosave, preview, history, evidence, submit, confirm."""

import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import AssessmentState, Evidence, PhaseKind, Response
from indicators.models import Indicator
from tests.assessments.helpers import complete, fresh
from tests.conftest import PASSWORD
from tests.factories import (
    UserFactory,
    force_state,
    open_campaign,
    set_window,
    sized_set,
    unit_tree,
)

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client, settings):
    """Pages in English (the msgids) unless a test asks for Vietnamese."""
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


def response_of(world, code) -> Response:
    return Response.objects.select_related("indicator").get(
        assessment=world.assessment, indicator__code=code
    )


def url(name, *args):
    return reverse(f"assessments:{name}", args=args)


def card_urls(world, code="1.1"):
    response = response_of(world, code)
    a, i = world.assessment.pk, response.indicator_id
    return response, a, i


# --- pages render, permissions --------------------------------------------------------


def test_self_assessment_page_renders_for_the_officer(client, world):
    client.force_login(world.people.officer)
    page = client.get(url("assessment_detail", world.assessment.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="indicator-card"') == 4
    assert 'data-code="1.2"' in html
    assert "0 of 4 indicators answered" in html
    assert 'hx-trigger="input changed delay:400ms"' in html
    assert "Submit the self-assessment results" in html
    assert 'data-testid="read-only-banner"' not in html


def test_review_page_renders_for_the_leader(client, world):
    client.force_login(world.people.leader)
    page = client.get(url("assessment_review", world.assessment.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm the figures" in html
    # Open, not submitted yet: the button is disabled and says why.
    assert 'data-testid="confirm-problems"' in html
    assert "only after the officer has submitted" in html


def _every_url(world, private_root):
    response, a, i = card_urls(world)
    evidence = services.evidence_add_file(
        response=response,
        user=world.people.officer,
        uploaded_file=SimpleUploadedFile("bien-ban.pdf", PDF),
    )
    return [
        ("get", url("assessment_detail", a)),
        ("post", url("response_save", a, i)),
        ("get", url("response_save", a, i)),
        ("post", url("response_preview", a, i)),
        ("get", url("response_history", a, i)),
        ("post", url("general_info_save", a)),
        ("post", url("evidence_add", a, i)),
        ("post", url("evidence_remove", evidence.pk)),
        ("get", url("evidence_download", evidence.pk)),
        ("post", url("assessment_submit", a)),
        ("get", url("assessment_review", a)),
        ("post", url("assessment_review", a)),
    ]


def test_another_communes_officer_gets_404_on_every_url(client, world, private_root):
    urls = _every_url(world, private_root)
    client.force_login(world.people.other_officer)
    for method, address in urls:
        answer = getattr(client, method)(address, {"kind": "link", "url": "https://a.vn"})
        assert (method, address, answer.status_code) == (method, address, 404)
    assert Evidence.objects.count() == 1
    assert fresh(world.assessment).state == AssessmentState.OPEN


def test_another_communes_leader_gets_404_too(client, world, private_root):
    urls = _every_url(world, private_root)
    client.force_login(world.people.other_leader)
    assert {getattr(client, m)(u).status_code for m, u in urls} == {404}


def test_anonymous_is_sent_to_the_login_page(client, world, private_root):
    for method, address in _every_url(world, private_root):
        answer = getattr(client, method)(address)
        assert answer.status_code == 302
        assert answer["Location"] == f"{reverse('login')}?next={quote(address)}"


# --- saving, preview, conflicts -----------------------------------------------------


def test_htmx_save_round_trip_stores_the_engines_score(client, world):
    response, a, i = card_urls(world, "1.2")  # tiers: 4 → 20, 2 → 10
    client.force_login(world.people.officer)
    answer = client.post(
        url("response_save", a, i),
        {"expected_version": "0", "value": "3,0", "note": " Biên bản họp "},
        **HTMX,
    )
    assert answer.status_code == 200
    stored = Response.objects.get(pk=response.pk)
    assert stored.inputs == {"value": "3.0"}
    assert stored.self_score == response.indicator.score({"value": "3.0"}) == Decimal("10.00")
    assert stored.note == "Biên bản họp"
    assert stored.version == 1
    html = answer.content.decode()
    assert 'name="expected_version" value="1"' in html
    assert "Saved at " + timezone.localtime(stored.updated_at).strftime("%H:%M") in html
    assert (
        'id="progress" aria-labelledby="progress-title" data-testid="progress" hx-swap-oob="true"'
        in html
    )
    assert (
        'id="actions" aria-labelledby="actions-title" data-testid="actions" hx-swap-oob="true"'
        in html
    )
    assert "1 of 4 indicators answered" in html
    # The answer is what changed, out of band: not the card, whose fields the person
    # may be typing in (htmx is told to swap nothing in place).
    assert answer.headers["HX-Reswap"] == "none"
    assert 'data-testid="indicator-card"' not in html
    assert f'id="score-{response.pk}" hx-swap-oob="innerHTML"' in html
    assert "Self score: 10 / 20" in html
    assert f'id="badges-{response.pk}" hx-swap-oob="true"' in html
    assert 'data-testid="status">answered<' in html
    assert f'id="prov-{response.pk}" hx-swap-oob="true"' in html
    assert 'data-source="typed"' in html
    assert (
        f'<input type="hidden" name="expected_version" value="1" '
        f'id="r{response.pk}-expected_version" hx-swap-oob="true">'
    ) in html


def test_a_save_without_htmx_or_after_a_conflict_answers_with_the_whole_card(client, world):
    response, a, i = card_urls(world, "1.2")
    client.force_login(world.people.officer)
    plain = client.post(url("response_save", a, i), {"expected_version": "0", "value": "4"})
    assert "HX-Reswap" not in plain.headers
    assert plain.content.decode().count('data-testid="indicator-card"') == 1
    kept = client.post(
        url("response_save", a, i),
        {"expected_version": "0", "confirm_version": "1", "value": "2"},
        **HTMX,
    )
    assert "HX-Reswap" not in kept.headers  # the conflict panel must go: the card again
    assert kept.content.decode().count('data-testid="indicator-card"') == 1
    assert Response.objects.get(pk=response.pk).version == 2
    # A refused save shows its errors in the card, which then asks for the whole card
    # back, so that the next save clears them.
    refused = client.post(
        url("response_save", a, i), {"expected_version": "2", "value": "-1"}, **HTMX
    ).content.decode()
    assert Response.objects.get(pk=response.pk).version == 2
    assert """hx-vals='{"redraw": "1"}'""" in refused
    redrawn = client.post(
        url("response_save", a, i), {"expected_version": "2", "value": "3", "redraw": "1"}, **HTMX
    )
    assert "HX-Reswap" not in redrawn.headers
    assert """hx-vals='{"redraw": "1"}'""" not in redrawn.content.decode()
    assert Response.objects.get(pk=response.pk).version == 3


def test_decimal_input_accepts_comma_and_point(client, world):
    response, a, i = card_urls(world, "2.1")  # manual, max 15
    client.force_login(world.people.officer)
    client.post(url("response_save", a, i), {"expected_version": "0", "value": "12,5"}, **HTMX)
    assert Response.objects.get(pk=response.pk).self_score == Decimal("12.50")
    client.post(url("response_save", a, i), {"expected_version": "1", "value": "7.25"}, **HTMX)
    assert Response.objects.get(pk=response.pk).self_score == Decimal("7.25")


def test_preview_computes_without_saving_and_explains_bad_input(client, world):
    response, a, i = card_urls(world, "2.1")
    client.force_login(world.people.officer)
    ok = client.post(url("response_preview", a, i), {"expected_version": "0", "value": "12,5"})
    assert ok.status_code == 200
    assert "Score: 12.50 / 15" in ok.content.decode()
    too_much = client.post(url("response_preview", a, i), {"expected_version": "0", "value": "99"})
    assert "The score 99 is more than the maximum 15.00." in too_much.content.decode()
    not_a_number = client.get(
        url("response_preview", a, i), {"expected_version": "0", "value": "x"}
    )
    assert "“x” is not a number." in not_a_number.content.decode()
    assert Response.objects.get(pk=response.pk).version == 0


def test_a_stale_save_shows_the_other_value_and_changes_nothing(client, world):
    response, a, i = card_urls(world, "1.2")
    colleague = UserFactory(unit=world.a, roles=["unit_officer"], full_name="Lê Thị Cúc")
    services.response_save(
        user=colleague, response_id=response.pk, expected_version=0, inputs={"value": "4"}
    )
    client.force_login(world.people.officer)
    answer = client.post(
        url("response_save", a, i), {"expected_version": "0", "value": "2"}, **HTMX
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-testid="conflict"' in html
    assert "Lê Thị Cúc saved this indicator at" in html
    assert 'data-testid="conflict-value">4 → 20 points' in html
    assert "Keep my value" in html and "Use the new value" in html
    assert '"confirm_version": "1"' in html
    stored = Response.objects.get(pk=response.pk)
    assert (stored.inputs, stored.self_score, stored.version) == ({"value": "4"}, Decimal("20"), 1)

    # "Keep my value" re-saves with the version the conflict showed.
    kept = client.post(
        url("response_save", a, i),
        {"expected_version": "0", "confirm_version": "1", "value": "2"},
        **HTMX,
    )
    assert 'data-testid="conflict"' not in kept.content.decode()
    stored = Response.objects.get(pk=response.pk)
    assert (stored.inputs, stored.self_score, stored.version) == ({"value": "2"}, Decimal("10"), 2)


def test_every_method_saves_through_the_form(client, world, make_indicator_set):
    indicator_set = make_indicator_set(name="Bộ đủ phương pháp")
    campaign = open_campaign(
        organizer=world.people.organizer, indicator_set=indicator_set, units=[world.a]
    )
    assessment = campaign.assessments.get()
    services.assessment_set_general_info(
        assessment=assessment, user=world.people.officer, values={"so_cbcc": "40"}
    )
    client.force_login(world.people.officer)
    answers = {
        "1.1": ({"value": "3"}, Decimal("15")),
        "1.2": ({"a": "3", "b": "4"}, Decimal("15")),
        "1.3": ({"option": "b"}, Decimal("10")),
        "1.4": ({"checked": ["a", "b"]}, Decimal("10")),
        "1.5": ({"value": "yes"}, Decimal("10")),
        "2.1": ({"a": "30"}, Decimal("15")),  # b = so_cbcc from the general information
        "2.2": ({"value": "2"}, Decimal("10")),
        "2.3": ({"value": "7,5"}, Decimal("7.5")),
    }
    for code, (data, score) in answers.items():
        indicator = Indicator.objects.get(pillar__indicator_set=indicator_set, code=code)
        answer = client.post(
            url("response_save", assessment.pk, indicator.pk),
            {"expected_version": "0", **data},
            **HTMX,
        )
        assert answer.status_code == 200
        stored = Response.objects.get(assessment=assessment, indicator=indicator)
        assert (code, stored.self_score) == (code, score)
    page = client.get(url("assessment_detail", assessment.pk)).content.decode()
    assert 'data-testid="general-info-value">40<' in page
    assert 'data-testid="illustrative-badge"' in page


# --- history --------------------------------------------------------------------------


def test_history_lists_who_when_before_after(client, world):
    response, a, i = card_urls(world, "1.2")
    services.response_save(
        user=world.people.officer,
        response_id=response.pk,
        expected_version=0,
        inputs={"value": "2"},
    )
    services.response_save(
        user=world.people.officer,
        response_id=response.pk,
        expected_version=1,
        inputs={"value": "4"},
    )
    client.force_login(world.people.leader)
    html = client.get(url("response_history", a, i), **HTMX).content.decode()
    assert html.count("<tr>") == 5  # head + 2 × (inputs, score)
    assert str(world.people.officer) in html
    assert "<td>Self score</td>" in html


# --- evidence ------------------------------------------------------------------------


def test_evidence_file_citation_link_add_and_remove(client, world, private_root):
    response, a, i = card_urls(world, "1.1")
    client.force_login(world.people.officer)
    added = client.post(
        url("evidence_add", a, i),
        {"kind": "file", "file": SimpleUploadedFile("Biên bản họp.pdf", PDF)},
        **HTMX,
    )
    assert added.status_code == 200
    assert "Biên bản họp.pdf" in added.content.decode()
    client.post(
        url("evidence_add", a, i),
        {
            "kind": "citation",
            "number": "12/QĐ-UBND",
            "date": "01/03/2025",
            "issuer": "UBND xã A",
            "summary": "Kiện toàn Ban chỉ đạo",
        },
        **HTMX,
    )
    client.post(url("evidence_add", a, i), {"kind": "link", "url": "https://xa-a.gov.vn"}, **HTMX)
    kinds = list(Evidence.objects.filter(response=response).values_list("kind", flat=True))
    assert kinds == ["file", "citation", "link"]
    page = client.get(url("assessment_detail", a)).content.decode()
    assert "12/QĐ-UBND" in page and "01/03/2025" in page and "https://xa-a.gov.vn" in page

    refused = client.post(url("evidence_add", a, i), {"kind": "link", "url": "ftp://x"}, **HTMX)
    assert "Enter a web address starting with http:// or https://." in refused.content.decode()
    # A link the form itself refuses is reported too, never shown as added.
    long = client.post(
        url("evidence_add", a, i), {"kind": "link", "url": "https://" + "a" * 2000}, **HTMX
    )
    assert "Ensure this value has at most 2000 characters (it has 2008)." in (long.content.decode())
    assert long.context["evidence_added"] is False
    assert Evidence.objects.filter(response=response, kind="link").count() == 1
    bad = client.post(
        url("evidence_add", a, i),
        {"kind": "file", "file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 64)},
        **HTMX,
    )
    assert "This kind of file is not accepted." in bad.content.decode()

    link = Evidence.objects.get(response=response, kind="link")
    client.post(url("evidence_remove", link.pk), **HTMX)
    assert Evidence.objects.filter(response=response).count() == 2


def test_evidence_download_streams_the_bytes_with_safe_headers(client, world, private_root):
    response, a, i = card_urls(world, "1.1")
    long_name = "Biên bản họp Ban chỉ đạo chuyển đổi số " * 8 + "ký.pdf"
    long_name = long_name[-300:]
    assert len(long_name) == 300
    evidence = services.evidence_add_file(
        response=response,
        user=world.people.officer,
        uploaded_file=SimpleUploadedFile(long_name, PDF),
    )
    client.force_login(world.people.leader)
    answer = client.get(url("evidence_download", evidence.pk))
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == PDF
    assert answer["Content-Type"] == "application/pdf"
    assert answer["X-Content-Type-Options"] == "nosniff"
    disposition = answer["Content-Disposition"]
    assert disposition == "inline; filename*=utf-8''" + quote(evidence.original_name)
    assert len(evidence.original_name) == 255 and evidence.original_name.endswith(".pdf")
    assert "\n" not in disposition and '"' not in disposition


def test_non_pdf_downloads_as_an_attachment(client, world, private_root):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    response, a, i = card_urls(world, "1.1")
    evidence = services.evidence_add_file(
        response=response,
        user=world.people.officer,
        uploaded_file=SimpleUploadedFile('bao"cao\r\n.docx', buffer.getvalue()),
    )
    client.force_login(world.people.officer)
    answer = client.get(url("evidence_download", evidence.pk))
    assert answer["Content-Disposition"] == 'attachment; filename="bao\\"cao.docx"'
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")


# --- submit, confirm, read-only -----------------------------------------------------


def test_submit_outside_the_window_is_refused_with_the_message(client, world):
    complete(world.assessment, world.people.officer)
    phase = set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "closed")
    client.force_login(world.people.officer)
    answer = client.post(url("assessment_submit", world.assessment.pk), follow=True)
    closed = timezone.localtime(phase.closes_at).strftime("%d/%m/%Y %H:%M")
    assert f"The self-assessment window closed at {closed}." in answer.content.decode()
    assert fresh(world.assessment).state == AssessmentState.OPEN
    assert world.assessment.transitions.count() == 0


def test_leader_confirms_then_the_page_is_read_only_and_refuses_saves(client, world):
    complete(world.assessment, world.people.officer)
    client.force_login(world.people.officer)
    submitted = client.post(url("assessment_submit", world.assessment.pk), follow=True)
    assert fresh(world.assessment).state == AssessmentState.SELF_ASSESSED
    assert "The self-assessment has been submitted" in submitted.content.decode()

    world.people.leader.set_password(PASSWORD)
    world.people.leader.save()
    client.force_login(world.people.leader)
    review = client.get(url("assessment_review", world.assessment.pk)).content.decode()
    assert 'data-testid="confirm-problems"' not in review
    assert 'data-testid="total">3 / 45' in review  # 1.1, 1.2, 2.1 at 1 point; 2.2 is a bonus
    # (3 + the 1-point bonus, added as the set's rule says) ÷ 45 = 8.89 %, as the rankings
    assert 'data-testid="total-percent">8.89\u00a0%' in review
    # Confirming cannot be undone: the leader types their password again.
    confirmed = client.post(
        url("assessment_review", world.assessment.pk),
        {"action": "confirm", "password": PASSWORD},
        follow=True,
    )
    assert fresh(world.assessment).state == AssessmentState.CONFIRMED
    html = confirmed.content.decode()
    assert "The self-assessment results were confirmed by the leader at" in html
    assert "they can no longer be changed." in html
    assert 'data-testid="answer-form"' not in html

    response, a, i = card_urls(world, "1.2")
    client.force_login(world.people.officer)
    refused = client.post(
        url("response_save", a, i), {"expected_version": "1", "value": "4"}, **HTMX
    )
    assert "The self-assessment can be changed only while it is open" in refused.content.decode()
    assert Response.objects.get(pk=response.pk).version == 1


def test_leader_returns_with_a_reason(client, world):
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    client.force_login(world.people.leader)
    client.post(
        url("assessment_review", world.assessment.pk),
        {"action": "return", "reason": "Bổ sung biên bản"},
    )
    assert fresh(world.assessment).state == AssessmentState.OPEN
    assert world.assessment.transitions.get().reason == "Bổ sung biên bản"

    # The officer is told, on the page they work on, who returned it and why.
    client.force_login(world.people.officer)
    page = client.get(url("assessment_detail", world.assessment.pk)).content.decode()
    assert 'data-testid="returned-banner"' in page
    assert f"{world.people.leader} returned the self-assessment for editing at" in page
    assert "Reason: Bổ sung biên bản" in page
    # Once submitted again, the old return is history, not news.
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    page = client.get(url("assessment_detail", world.assessment.pk)).content.decode()
    assert 'data-testid="returned-banner"' not in page


def test_the_officer_cannot_confirm(client, world):
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    client.force_login(world.people.officer)
    page = client.get(url("assessment_review", world.assessment.pk)).content.decode()
    assert "Only a leader of the unit can confirm its self-assessment." in page
    client.post(url("assessment_review", world.assessment.pk), {"action": "confirm"})
    assert fresh(world.assessment).state == AssessmentState.SELF_ASSESSED


def test_vietnamese_numbers_on_the_review_page(client, world, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    Response.objects.filter(assessment=world.assessment, indicator__code="1.2").update(
        inputs={"value": "2"}, self_score=Decimal("10")
    )
    client.force_login(world.people.leader)
    html = client.get(url("assessment_review", world.assessment.pk)).content.decode()
    assert "33,33\u00a0%" in html  # pillar 1: 10 / 30
    assert "22,22\u00a0%" in html  # all: 10 / 45
    assert "Xác nhận số liệu" in html


# --- the filter and the query count ---------------------------------------------------


def test_filter_shows_only_incomplete_indicators(client, world):
    Response.objects.filter(assessment=world.assessment, indicator__code="1.2").update(
        inputs={"value": "2"}, self_score=Decimal("10")
    )
    client.force_login(world.people.officer)
    html = client.get(url("assessment_detail", world.assessment.pk), {"incomplete": "1"})
    codes = [c for c in ("1.1", "1.2", "2.1", "2.2") if f'data-code="{c}"' in html.content.decode()]
    assert codes == ["1.1", "2.1", "2.2"]


def test_a_large_set_comes_a_pillar_or_so_a_page(client, db):
    from assessments.selectors import CARDS_PER_PAGE

    tree = unit_tree(communes=1)
    commune = tree["communes"][0]
    organizer = UserFactory(unit=tree["district"], roles=["organizer"])
    assessment = _campaign_with(40, organizer).assessments.get()  # 4 pillars of 10
    assert CARDS_PER_PAGE < 20  # so that two pillars of 10 do not share a page
    officer = UserFactory(unit=commune, roles=["unit_officer"])
    one = Response.objects.get(assessment=assessment, indicator__code="2.2")
    services.response_save(
        user=officer, response_id=one.pk, expected_version=0, inputs={"value": "5"}
    )
    client.force_login(officer)

    def codes(html):
        return re.findall(r'data-testid="indicator-card" data-code="([^"]+)"', html)

    first = client.get(url("assessment_detail", assessment.pk)).content.decode()
    assert {code.split(".")[0] for code in codes(first)} == {"1"}
    assert len(codes(first)) == 10
    links = re.findall(r'data-testid="pillar-link" data-page="(\d)">\s*<a href="([^"]*)"', first)
    assert links == [
        ("1", f"#pillar-{assessment.campaign.indicator_set.pillars.get(code='1').pk}"),
        *[
            (
                str(n),
                f"?trang={n}#pillar-{assessment.campaign.indicator_set.pillars.get(code=str(n)).pk}",
            )
            for n in (2, 3, 4)
        ],
    ]
    assert "Pillars (page 1 of 4)" in first
    assert 'data-testid="pillar-next"' in first and 'data-testid="pillar-previous"' not in first
    assert "1/10 answered" in first  # pillar 2: the one saved

    second = client.get(url("assessment_detail", assessment.pk), {"trang": "2"}).content.decode()
    assert {code.split(".")[0] for code in codes(second)} == {"2"}
    assert 'data-testid="pillar-previous"' in second
    # Not a page number, or past the end: the first page, the last one.
    assert codes(
        client.get(url("assessment_detail", assessment.pk), {"trang": "x"}).content.decode()
    ) == codes(first)
    last = client.get(url("assessment_detail", assessment.pk), {"trang": "99"}).content.decode()
    assert {code.split(".")[0] for code in codes(last)} == {"4"}
    # The progress and the submit button count every pillar, whatever the page.
    assert "1 of 40 indicators answered" in second


def test_only_incomplete_pages_what_is_left(client, db):
    tree = unit_tree(communes=1)
    commune = tree["communes"][0]
    organizer = UserFactory(unit=tree["district"], roles=["organizer"])
    assessment = _campaign_with(40, organizer).assessments.get()
    officer = UserFactory(unit=commune, roles=["unit_officer"])
    done = Response.objects.filter(assessment=assessment, indicator__pillar__code__in=["1", "2"])
    done.update(inputs={"value": "1"}, self_score=Decimal("1.00"), version=1)
    for response in done.filter(indicator__evidence_mandatory=True):
        services.evidence_add_link(response=response, user=officer, url="https://xa.gov.vn")
    client.force_login(officer)
    html = client.get(url("assessment_detail", assessment.pk), {"incomplete": "1"}).content.decode()
    shown = re.findall(r'data-testid="indicator-card" data-code="([^"]+)"', html)
    assert {code.split(".")[0] for code in shown} == {"3"}
    # Complete pillars are named, without a link; the others keep the filter in theirs.
    assert re.search(r'data-page="0">\s*<span class="text-secondary">1\.', html)
    assert "?trang=2&amp;incomplete=1#pillar-" in html


def _campaign_with(indicators: int, organizer):
    return open_campaign(organizer=organizer, indicator_set=sized_set(indicators=indicators))


@pytest.mark.parametrize("who", ["officer", "leader"])
def test_query_count_is_the_same_for_10_and_80_indicators(
    client, db, django_assert_num_queries, who
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tree = unit_tree(communes=1)
    commune = tree["communes"][0]
    organizer = UserFactory(unit=tree["district"], roles=["organizer"])
    colleague = UserFactory(unit=commune, roles=["unit_officer"])
    pages = []
    for size in (10, 80):
        assessment = _campaign_with(size, organizer).assessments.get()
        first, second = Response.objects.filter(assessment=assessment).order_by("pk")[:2]
        services.response_save(
            user=colleague, response_id=first.pk, expected_version=0, inputs={"value": True}
        )
        services.evidence_add_link(response=second, user=colleague, url="https://xa.gov.vn")
        pages.append(assessment)
    client.force_login(UserFactory(unit=commune, roles=[f"unit_{who}"]))
    client.get(url("assessment_detail", pages[0].pk))  # the session, once

    with CaptureQueriesContext(connection) as small:
        answer = client.get(url("assessment_detail", pages[0].pk))
    assert answer.content.decode().count('data-testid="indicator-card"') == 10
    # 80 indicators come a pillar or so a page (at most CARDS_PER_PAGE cards unless one
    # pillar has more): every page costs the same queries, and the pages show all 80.
    shown = []
    for number in (1, 2, 3, 4):
        with django_assert_num_queries(len(small)):
            answer = client.get(url("assessment_detail", pages[1].pk), {"trang": number})
        html = answer.content.decode()
        assert html.count('data-testid="pillar-link"') == 4
        shown += re.findall(r'data-testid="indicator-card" data-code="([^"]+)"', html)
    assert len(shown) == len(set(shown)) == 80


def test_a_window_not_open_yet_makes_the_page_read_only(client, world):
    set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "not_yet")
    client.force_login(world.people.officer)
    html = client.get(url("assessment_detail", world.assessment.pk)).content.decode()
    assert 'data-testid="read-only-banner"' in html
    assert "The self-assessment window opens at" in html
    assert 'data-testid="answer-form"' not in html


def test_general_info_saves_and_rescores_the_ratio(client, world, make_indicator_set):
    indicator_set = make_indicator_set(name="Bộ có thông tin chung")
    campaign = open_campaign(
        organizer=world.people.organizer, indicator_set=indicator_set, units=[world.a]
    )
    assessment = campaign.assessments.get()
    ratio = Response.objects.get(assessment=assessment, indicator__code="2.1")
    client.force_login(world.people.officer)
    missing = client.post(
        url("response_preview", assessment.pk, ratio.indicator_id),
        {"expected_version": "0", "a": "30"},
    )
    assert "General information “so_cbcc” has not been entered yet." in missing.content.decode()

    answer = client.post(url("general_info_save", assessment.pk), {"so_cbcc": "40"}, follow=True)
    assert "The general information has been saved." in answer.content.decode()
    assert fresh(assessment).general_info == {"so_cbcc": "40"}
    client.post(
        url("response_save", assessment.pk, ratio.indicator_id),
        {"expected_version": "0", "a": "30"},
        **HTMX,
    )
    assert Response.objects.get(pk=ratio.pk).self_score == Decimal("15.00")
    client.post(url("general_info_save", assessment.pk), {"so_cbcc": "60"})
    assert Response.objects.get(pk=ratio.pk).self_score == Decimal("10.00")

    bad = client.post(url("general_info_save", assessment.pk), {"so_cbcc": "-1"}, follow=True)
    assert "cannot be negative." in bad.content.decode()
    assert fresh(assessment).general_info == {"so_cbcc": "60"}

    client.force_login(world.people.other_officer)
    assert client.post(url("general_info_save", assessment.pk), {"so_cbcc": "1"}).status_code == 404


def test_an_extension_shows_the_units_own_deadline_on_its_page_and_at_home(client, world):
    from datetime import timedelta

    from django.utils import timezone as tz

    until = tz.now() + timedelta(days=30)
    type(world.assessment).objects.filter(pk=world.assessment.pk).update(extended_until=until)
    client.force_login(world.people.officer)
    local = tz.localtime(until).strftime("%d/%m/%Y %H:%M")
    page = client.get(url("assessment_detail", world.assessment.pk)).content.decode()
    assert f"Extended for this unit until {local}." in page
    home = client.get(reverse("home")).content.decode()
    assert f"closes {local}" in home


def test_the_evidence_forms_come_when_add_evidence_is_opened(client, world):
    response, a, i = card_urls(world, "1.1")
    forms_url = url("evidence_forms", a, i)
    client.force_login(world.people.officer)
    page = client.get(url("assessment_detail", a)).content.decode()
    # The page carries where to load them from, not the forms.
    assert f'hx-get="{forms_url}" hx-trigger="toggle once"' in page
    assert 'data-testid="evidence-file-form"' not in page

    forms = client.get(forms_url, **HTMX).content.decode()
    for form in ("file", "citation", "link"):
        assert f'data-testid="evidence-{form}-form"' in forms
    assert forms.count(f'hx-post="{url("evidence_add", a, i)}"') == 3
    assert f'id="file-{response.pk}"' in forms

    # The leader reads the page: no forms, the reason instead.
    client.force_login(world.people.leader)
    read_only = client.get(forms_url, **HTMX).content.decode()
    assert 'data-testid="evidence-file-form"' not in read_only
    assert "only the unit&#x27;s officers can change it." in read_only
    # Another commune's officer: the indicator does not exist for them.
    client.force_login(world.people.other_officer)
    assert client.get(forms_url, **HTMX).status_code == 404


def test_a_refused_upload_brings_the_card_back_with_its_forms_open(client, world):
    response, a, i = card_urls(world, "1.1")
    client.force_login(world.people.officer)
    html = client.post(url("evidence_add", a, i), {"kind": "file"}, **HTMX).content.decode()
    assert 'data-testid="evidence-errors"' in html
    assert '<details class="dti-evidence-add mb-2" open>' in html
    assert 'data-testid="evidence-file-form"' in html
