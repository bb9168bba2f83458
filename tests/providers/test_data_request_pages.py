"""The data request pages: asking from a response, the agency's inbox, the request page
with its answer form, the file download, the member's list, and where requests show."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from providers.models import DataRequest, DataRequestFile
from tests.providers import data_requests_world
from tests.providers.data_requests_world import EXE, PDF, PNG, answer, ask, in_days, upload

# the fixtures of the data request tests
asked = data_requests_world.asked
private_root = data_requests_world.private_root


def client_of(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def ask_url(response):
    return reverse("providers:request_ask", kwargs={"response_pk": response.pk})


def detail_url(data_request):
    return reverse("providers:request_detail", kwargs={"pk": data_request.pk})


def text_of(page) -> str:
    return page.content.decode()


# --- asking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("member", 200),
        ("colleague", 200),
        ("postman", 404),
        ("organizer", 404),
        ("officer_a", 404),
        ("police", 404),
        ("admin", 404),
    ],
)
def test_the_ask_page_is_for_the_council_members_who_see_the_response(asked, name, status):
    page = client_of(getattr(asked.people, name)).get(ask_url(asked.response_a))
    assert page.status_code == status


def test_the_ask_page_needs_a_sign_in(asked):
    page = client_of().get(ask_url(asked.response_a))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))


def test_asking_from_the_page(asked):
    client = client_of(asked.people.member)
    page = client.get(ask_url(asked.response_a))
    offered = [str(a) for a in page.context["form"].fields["agency"].queryset]
    assert offered == ["Chi cục Thống kê Huyện Thử", "Công an huyện Thử", "Viettel Huyện Thử"]
    assert page.context["form"]["due_date"].value() == in_days(7)

    sent = client.post(
        ask_url(asked.response_a),
        {
            "agency": asked.police.pk,
            "due_date": in_days(4).strftime("%d/%m/%Y"),
            "question": "Số hộ có cáp quang?",
        },
    )
    assert sent.status_code == 302
    assert sent["Location"] == ask_url(asked.response_a) + "#requests"
    stored = DataRequest.objects.get()
    assert (stored.agency, stored.due_date, stored.question, stored.asked_by) == (
        asked.police,
        in_days(4),
        "Số hộ có cáp quang?",
        asked.people.member,
    )
    thread = client.get(sent["Location"])
    assert [r.pk for r in thread.context["data_requests"]] == [stored.pk]
    assert "Số hộ có cáp quang?" in text_of(thread)


@pytest.mark.parametrize(
    ("due_date", "message"),
    [
        (in_days(-1).strftime("%d/%m/%Y"), "The due date cannot be in the past."),
        ("31/02/2025", "Enter the due date as dd/mm/yyyy."),
        ("", "Enter the due date (dd/mm/yyyy)."),
    ],
)
def test_a_bad_due_date_is_refused_and_the_question_kept(asked, due_date, message):
    page = client_of(asked.people.member).post(
        ask_url(asked.response_a),
        {"agency": asked.police.pk, "due_date": due_date, "question": "Số hộ có cáp quang?"},
    )
    assert page.status_code == 400
    assert page.context["errors"] == [message]
    assert "Số hộ có cáp quang?" in text_of(page)
    assert DataRequest.objects.count() == 0


def test_an_agency_not_offered_is_refused(asked):
    page = client_of(asked.people.member).post(
        ask_url(asked.response_a),
        {"agency": asked.culture.pk, "due_date": in_days(3).strftime("%d/%m/%Y"), "question": "?"},
    )
    assert page.status_code == 400
    assert page.context["errors"] == ["Choose one of the agencies listed."]
    assert DataRequest.objects.count() == 0


# --- the request page, the answer and the files ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("member", 200),
        ("colleague", 200),
        ("organizer", 200),
        ("police", 200),
        ("police_without_role", 404),
        ("viettel", 404),
        ("postman", 404),
        ("officer_a", 404),
        ("admin", 404),
    ],
)
def test_who_opens_the_request_page(asked, name, status):
    data_request = ask(asked)
    page = client_of(getattr(asked.people, name)).get(detail_url(data_request))
    assert page.status_code == status
    if status == 200:
        assert page.context["can_answer"] is (name == "police")
        assert page.context["can_withdraw"] is (name == "member")


def test_the_agency_answers_with_files_and_the_asker_downloads_them(asked):
    data_request = ask(asked)
    police = client_of(asked.people.police)
    sent = police.post(
        detail_url(data_request),
        {
            "action": "answer",
            "answer": "1.234 thuê bao.",
            "files": [upload("Báo cáo.pdf"), upload("anh.png", PNG)],
        },
    )
    assert sent.status_code == 302
    assert sent["Location"] == detail_url(data_request)
    stored = DataRequest.objects.get()
    assert (stored.status, stored.answer) == ("answered", "1.234 thuê bao.")
    pdf, png = DataRequestFile.objects.order_by("pk")

    page = client_of(asked.people.member).get(detail_url(data_request))
    assert page.context["files"] == [pdf, png]
    assert page.context["can_answer"] is False
    assert "1.234 thuê bao." in text_of(page)

    url = reverse("providers:request_file_download", kwargs={"pk": pdf.pk})
    download = client_of(asked.people.member).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == "inline; filename*=utf-8''B%C3%A1o%20c%C3%A1o.pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("member", 200),
        ("organizer", 200),
        ("police_second", 200),
        ("viettel", 404),
        ("officer_a", 404),
        ("postman", 404),
        ("admin", 404),
        (None, 302),
    ],
)
def test_who_downloads_a_file(asked, name, status):
    data_request = ask(asked)
    answer(asked, data_request, files=[upload("so-lieu.png", PNG)])
    url = reverse(
        "providers:request_file_download", kwargs={"pk": DataRequestFile.objects.get().pk}
    )
    user = getattr(asked.people, name) if name else None
    download = client_of(user).get(url)
    assert download.status_code == status
    if status == 200:
        assert download["Content-Disposition"] == 'inline; filename="so-lieu.png"'


def test_an_unknown_file_is_not_found(asked):
    page = client_of(asked.people.member).get(
        reverse("providers:request_file_download", kwargs={"pk": 999999})
    )
    assert page.status_code == 404


def test_a_bad_file_is_refused_and_the_answer_text_kept(asked, private_root):
    data_request = ask(asked)
    page = client_of(asked.people.police).post(
        detail_url(data_request),
        {
            "action": "answer",
            "answer": "Số liệu kèm theo.",
            "files": [upload("tot.pdf"), upload("hoa-don.pdf", EXE)],
        },
    )
    assert page.status_code == 400
    assert page.context["errors"] == [
        "“hoa-don.pdf”: This kind of file is not accepted. Accepted: PDF, Word (.docx), "
        "Word 97–2003 (.doc), Excel (.xlsx), Excel 97–2003 (.xls), JPEG, PNG."
    ]
    assert "Số liệu kèm theo.</textarea>" in text_of(page)
    assert DataRequest.objects.get().status == "open"
    assert DataRequestFile.objects.count() == 0
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))


def test_answering_twice_is_refused_on_the_page(asked):
    data_request = ask(asked)
    answer(asked, data_request, text="Lần đầu.")
    page = client_of(asked.people.police_second).post(
        detail_url(data_request), {"action": "answer", "answer": "Lần hai."}
    )
    assert page.status_code == 400
    assert page.context["errors"][0].startswith("This request was already answered on ")
    assert DataRequest.objects.get().answer == "Lần đầu."


def test_someone_who_sees_the_request_but_may_not_answer_is_told_why(asked):
    data_request = ask(asked)
    page = client_of(asked.people.organizer).post(
        detail_url(data_request), {"action": "answer", "answer": "?"}
    )
    assert page.status_code == 400
    assert page.context["errors"] == [
        "Only the people of Công an huyện Thử with the data provider role can answer this request."
    ]


def test_the_member_who_asked_withdraws_from_the_page(asked):
    data_request = ask(asked)
    refused = client_of(asked.people.colleague).post(
        detail_url(data_request), {"action": "withdraw"}
    )
    assert refused.status_code == 400
    assert refused.context["errors"] == [
        "Only the council member who asked can withdraw this request."
    ]
    done = client_of(asked.people.member).post(detail_url(data_request), {"action": "withdraw"})
    assert done.status_code == 302
    assert DataRequest.objects.get().status == "withdrawn"


def test_an_unknown_action_is_not_found(asked):
    data_request = ask(asked)
    page = client_of(asked.people.member).post(detail_url(data_request), {"action": "delete"})
    assert page.status_code == 404
    assert DataRequest.objects.get().status == "open"


# --- the agency's inbox --------------------------------------------------------------------


def test_the_inbox_is_for_data_providers(asked):
    url = reverse("providers:request_inbox")
    assert client_of(asked.people.police).get(url).status_code == 200
    for name in ("member", "organizer", "officer_a", "police_without_role", "admin"):
        assert client_of(getattr(asked.people, name)).get(url).status_code == 404, name


def test_the_inbox_boxes(asked):
    waiting = ask(asked)
    overdue = ask(asked, response=asked.response_b)
    DataRequest.objects.filter(pk=overdue.pk).update(due_date=in_days(-1))
    answered = ask(asked, response=asked.response_c)
    answer(asked, answered)
    ask(asked, agency=asked.viettel)
    client = client_of(asked.people.police)
    url = reverse("providers:request_inbox")

    page = client.get(url)
    assert page.context["box"] == "open"
    assert page.context["boxes"] == [("open", 1), ("overdue", 1), ("answered", 1), ("withdrawn", 0)]
    assert [r.pk for r in page.context["rows"]] == [waiting.pk]
    assert [r.pk for r in client.get(url, {"box": "overdue"}).context["rows"]] == [overdue.pk]
    assert [r.pk for r in client.get(url, {"box": "answered"}).context["rows"]] == [answered.pk]
    assert client.get(url, {"box": "nonsense"}).context["box"] == "open"


def test_the_inbox_is_paged(asked):
    for _ in range(27):
        ask(asked)
    client = client_of(asked.people.police)
    url = reverse("providers:request_inbox")
    first = client.get(url)
    assert len(first.context["rows"]) == 25
    assert (first.context["page"].number, first.context["page"].pages) == (1, 2)
    second = client.get(url, {"trang": "2"})
    assert len(second.context["rows"]) == 2
    assert client.get(url, {"trang": "99"}).context["page"].number == 2


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("providers:request_inbox"))
    assert page.status_code == 200
    return len(queries.captured_queries)


def test_the_inbox_costs_the_same_queries_for_3_and_12_requests(asked):
    client = client_of(asked.people.police)
    responses = [asked.response_a, asked.response_b, asked.response_c]
    for response in responses:
        ask(asked, response=response)
    with_three = _inbox_queries(client)
    for index in range(9):
        user = asked.people.colleague if index % 2 else asked.people.member
        ask(asked, response=responses[index % 3], user=user)
    assert DataRequest.objects.count() == 12
    assert _inbox_queries(client) == with_three
    # session, user, roles, agency (its name), the counts, the page's rows
    assert with_three == 6


# --- the member's list, the history page, the home page, the workbench ---------------------


def test_the_member_lists_their_own_requests(asked):
    mine = ask(asked)
    ask(asked, user=asked.people.colleague)
    url = reverse("providers:member_requests", kwargs={"campaign_pk": asked.campaign.pk})
    page = client_of(asked.people.member).get(url)
    assert page.status_code == 200
    assert [r.pk for r in page.context["rows"]] == [mine.pk]
    for name in ("police", "organizer", "officer_a"):
        assert client_of(getattr(asked.people, name)).get(url).status_code == 404, name


def _history(asked, user):
    assessment = asked.response_a.assessment
    url = reverse(
        "assessments:response_history",
        kwargs={"pk": assessment.pk, "indicator_id": asked.response_a.indicator_id},
    )
    return client_of(user).get(url)


def test_the_history_page_shows_the_requests_to_those_who_may_see_them(asked):
    data_request = ask(asked)
    answer(asked, data_request, text="1.234 thuê bao.", files=[upload("so-lieu.pdf")])
    for name in ("member", "colleague", "organizer"):
        page = _history(asked, getattr(asked.people, name))
        assert page.status_code == 200
        text = text_of(page)
        assert 'data-testid="response-requests"' in text, name
        assert "1.234 thuê bao." in text and "so-lieu.pdf" in text, name
    unit_page = _history(asked, asked.people.officer_a)
    assert unit_page.status_code == 200
    assert 'data-testid="response-requests"' not in text_of(unit_page)
    assert "1.234 thuê bao." not in text_of(unit_page)


def test_the_home_page_card_of_a_data_provider(asked):
    ask(asked)
    overdue = ask(asked, response=asked.response_b)
    DataRequest.objects.filter(pk=overdue.pk).update(due_date=in_days(-1))
    page = client_of(asked.people.police).get(reverse("home"))
    assert page.context["data_request_counts"] == {
        "open": 1,
        "overdue": 1,
        "answered": 0,
        "withdrawn": 0,
    }
    assert "Appraisal councils' requests to your agency: 1 waiting, 1 overdue, 0 answered." in (
        text_of(page)
    )
    assert f'href="{reverse("providers:request_inbox")}?box=overdue"' in text_of(page)
    member_home = client_of(asked.people.member).get(reverse("home"))
    assert "data_request_counts" not in member_home.context


def test_the_workbench_links_each_row_to_the_ask_page(asked):
    page = client_of(asked.people.member).get(
        reverse("councils:workbench", kwargs={"campaign_pk": asked.campaign.pk})
    )
    assert page.status_code == 200
    assert f'href="{ask_url(asked.response_a)}" data-testid="ask-data"' in text_of(page)
