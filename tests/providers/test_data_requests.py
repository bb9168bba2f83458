"""Data requests: a council member asks an agency, the agency answers, once, with files.

Who may ask, answer, withdraw, see and download; the due date; files judged by
their content and never left without their row (or a row without its file);
the audit rows; the e-mails, sent once and only after commit.
"""

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from assessments.models import AssessmentState, AuditAction, AuditEntry
from councils import services as council_services
from providers import permissions, selectors, services
from providers.models import DataRequest, DataRequestFile
from tests.factories import force_state
from tests.providers import data_requests_world
from tests.providers.data_requests_world import EXE, PDF, PNG, answer, ask, in_days, upload

# the fixtures of the data request tests
asked = data_requests_world.asked
private_root = data_requests_world.private_root

ASK_REFUSAL = (
    "Only a member of the campaign's council who may see this indicator can ask an agency "
    "for data about it."
)
ACCEPTED = (
    "This kind of file is not accepted. Accepted: PDF, Word (.docx), Word 97–2003 (.doc), "
    "Excel (.xlsx), Excel 97–2003 (.xls), JPEG, PNG."
)


def person(asked, name):
    return AnonymousUser() if name == "anonymous" else getattr(asked.people, name)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- asking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit", "may"),
    [
        ("member", "a", True),  # assigned 3.2: appraises it
        ("colleague", "a", True),  # not assigned: sees it through the council's grant
        ("postman", "a", False),  # belongs to commune A (its post office): the conflict rule
        ("postman", "b", True),
        ("organizer", "a", False),
        ("officer_a", "a", False),
        ("police", "a", False),
        ("viettel", "a", False),
        ("admin", "a", False),
        ("anonymous", "a", False),
    ],
)
def test_who_may_ask(asked, name, unit, may):
    response = asked.response_a if unit == "a" else asked.response_b
    user = person(asked, name)
    assert permissions.can_ask_for_data(user, response) is may
    if may:
        data_request = ask(asked, user=user, response=response)
        assert (data_request.status, data_request.asked_by) == ("open", user)
    else:
        with pytest.raises(PermissionDenied) as refused:
            ask(asked, user=user, response=response)
        assert str(refused.value) == ASK_REFUSAL
        assert DataRequest.objects.count() == 0


def test_a_member_removed_from_the_council_may_no_longer_ask_nor_see(asked):
    by_colleague = ask(asked, user=asked.people.colleague)
    by_member = ask(asked)
    council_services.member_remove(member=asked.members.colleague, user=asked.people.organizer)
    colleague = type(asked.people.colleague).objects.get(pk=asked.people.colleague.pk)
    assert permissions.can_ask_for_data(colleague, asked.response_a) is False
    # their own question and its answer stay theirs; the others' are the council's
    assert permissions.can_view_data_request(colleague, by_colleague) is True
    assert permissions.can_view_data_request(colleague, by_member) is False


def test_a_request_is_kept_with_its_history_and_an_audit_row(asked, settings):
    settings.LANGUAGE_CODE = "en"  # the audit summary is written in the site's language
    data_request = ask(asked, due_date=in_days(5))

    stored = DataRequest.objects.get()
    assert (
        stored.response,
        stored.agency,
        stored.asked_by,
        stored.question,
        stored.due_date,
        stored.status,
        stored.answer,
        stored.answered_by,
    ) == (
        asked.response_a,
        asked.police,
        asked.people.member,
        "Số thuê bao cáp quang của xã tại ngày 30/9?",
        in_days(5),
        "open",
        "",
        None,
    )
    history = list(stored.history.all())
    assert [(h.history_type, h.history_user, h.status) for h in history] == [
        ("+", asked.people.member, "open")
    ]
    entry = AuditEntry.objects.get(action=AuditAction.DATA_REQUEST)
    assert (
        entry.campaign_id,
        entry.unit_id,
        entry.actor,
        entry.object_type,
        entry.object_id,
        entry.summary,
        entry.details,
    ) == (
        asked.campaign.pk,
        asked.world.a.pk,
        asked.people.member,
        "providers.datarequest",
        data_request.pk,
        f"Indicator 3.2: data asked of Công an huyện Thử, due {in_days(5):%d/%m/%Y}",
        {
            "event": "asked",
            "indicator": "3.2",
            "agency": "Công an huyện Thử",
            "due_date": in_days(5).isoformat(),
        },
    )


def test_a_due_date_in_the_past_is_refused_and_today_is_accepted(asked):
    with pytest.raises(ValidationError) as refused:
        ask(asked, due_date=in_days(-1))
    assert refused.value.messages == ["The due date cannot be in the past."]
    assert DataRequest.objects.count() == 0
    assert AuditEntry.objects.filter(action=AuditAction.DATA_REQUEST).count() == 0

    assert ask(asked, due_date=in_days(0)).due_date == in_days(0)


def test_what_is_missing_is_said_at_once(asked):
    with pytest.raises(ValidationError) as refused:
        services.data_request_ask(
            user=asked.people.member,
            response=asked.response_a,
            agency=None,
            question="   ",
            due_date=None,
        )
    assert refused.value.messages == [
        "Choose the agency to ask.",
        "Write what the agency should provide.",
        "Enter the due date (dd/mm/yyyy).",
    ]
    with pytest.raises(ValidationError) as refused:
        ask(asked, question="x" * (services.QUESTION_MAX_CHARS + 1))
    assert refused.value.messages == ["The question is too long: at most 5000 characters."]
    assert DataRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("agency", "message"),
    [
        (
            "culture",
            "Nobody at Phòng Văn hóa và Thông tin Huyện Thử can answer in the system yet: ask "
            "the administrator to give one of its people the data provider role.",
        ),
        (
            "post_a",
            "Bưu điện văn hóa xã A belongs to Xã A, the unit assessed: the unit answers the "
            "council through its explanation.",
        ),
    ],
)
def test_an_agency_nobody_can_answer_for_is_refused(asked, agency, message):
    with pytest.raises(ValidationError) as refused:
        ask(asked, agency=getattr(asked, agency))
    assert refused.value.messages == [message]
    assert DataRequest.objects.count() == 0


def test_the_agencies_offered(asked):
    offered = list(selectors.askable_agencies(response=asked.response_a))
    # The statistics office, the police and Viettel have data providers; the culture
    # office none; the post office of commune A belongs to the unit assessed.
    statistics = asked.world.statistics
    assert offered == [statistics, asked.police, asked.viettel]
    on_b = list(selectors.askable_agencies(response=asked.response_b))
    assert on_b == [asked.post_a, statistics, asked.police, asked.viettel]


def test_nothing_is_asked_once_the_results_are_published(asked):
    force_state(asked.response_a.assessment, AssessmentState.PUBLISHED)
    with pytest.raises(ValidationError) as refused:
        ask(asked)
    assert refused.value.messages == [
        "The results of Xã A are published: no more data can be asked about them."
    ]


# --- answering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "may"),
    [
        ("police", True),
        ("police_second", True),
        ("police_without_role", False),
        ("police_inactive", False),
        ("viettel", False),  # a data provider of another agency
        ("member", False),  # the one who asked
        ("organizer", False),
        ("officer_a", False),
        ("anonymous", False),
    ],
)
def test_who_may_answer(asked, name, may):
    data_request = ask(asked)
    user = person(asked, name)
    assert permissions.can_answer_data_request(user, data_request) is may
    if may:
        assert answer(asked, data_request, user=user).status == "answered"
    else:
        with pytest.raises(PermissionDenied) as refused:
            answer(asked, data_request, user=user)
        assert str(refused.value) == (
            "Only the people of Công an huyện Thử with the data provider role can answer this "
            "request."
        )
        assert DataRequest.objects.get().status == "open"


def test_an_answer_with_files_is_stored_privately(asked, private_root, settings):
    settings.LANGUAGE_CODE = "en"
    data_request = ask(asked)
    answered = answer(
        asked,
        data_request,
        text="  1.234 thuê bao cáp quang tại ngày 30/9.  ",
        files=[upload("Báo cáo thuê bao.pdf"), upload("anh.png", PNG)],
    )

    stored = DataRequest.objects.get()
    assert (stored.status, stored.answer, stored.answered_by) == (
        "answered",
        "1.234 thuê bao cáp quang tại ngày 30/9.",
        asked.people.police,
    )
    assert stored.answered_at is not None and answered.answered_at == stored.answered_at
    files = list(DataRequestFile.objects.order_by("pk"))
    assert [(f.original_name, f.size, f.sha256, f.content_type, f.uploaded_by) for f in files] == [
        (
            "Báo cáo thuê bao.pdf",
            len(PDF),
            hashlib.sha256(PDF).hexdigest(),
            "application/pdf",
            asked.people.police,
        ),
        ("anh.png", len(PNG), hashlib.sha256(PNG).hexdigest(), "image/png", asked.people.police),
    ]
    for row, content, suffix in zip(files, (PDF, PNG), (".pdf", ".png"), strict=True):
        assert row.file.name.startswith(f"data-requests/{stored.pk}/")
        assert row.file.name.endswith(suffix)
        path = Path(row.file.path).resolve()
        assert path.is_relative_to(private_root.resolve())
        assert path.read_bytes() == content
    assert stored_files(private_root) == sorted(Path(f.file.path).resolve() for f in files)
    assert [h.status for h in stored.history.order_by("history_date", "history_id")] == [
        "open",
        "answered",
    ]
    entry = AuditEntry.objects.filter(action=AuditAction.DATA_REQUEST).latest("pk")
    assert entry.summary == "Indicator 3.2: Công an huyện Thử answered the data request, files: 2"
    assert entry.actor == asked.people.police
    assert entry.details["event"] == "answered"
    assert entry.details["files"] == [
        {"name": "Báo cáo thuê bao.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": 735},
        {"name": "anh.png", "sha256": hashlib.sha256(PNG).hexdigest(), "size": 72},
    ]


def test_an_answer_is_given_once(asked, private_root):
    data_request = ask(asked)
    first = answer(asked, data_request, text="Lần đầu.", files=[upload()])
    with pytest.raises(ValidationError) as refused:
        answer(
            asked,
            data_request,
            user=asked.people.police_second,
            text="Lần hai.",
            files=[upload("khac.png", PNG)],
        )
    assert refused.value.messages[0].startswith("This request was already answered on ")
    assert refused.value.messages[0].endswith("; an answer cannot be changed.")
    stored = DataRequest.objects.get()
    assert (stored.answer, stored.answered_by, stored.answered_at) == (
        "Lần đầu.",
        asked.people.police,
        first.answered_at,
    )
    assert DataRequestFile.objects.count() == 1
    assert len(stored_files(private_root)) == 1


def test_an_answer_needs_its_text(asked):
    data_request = ask(asked)
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request, text=" \n ", files=[upload()])
    assert refused.value.messages == ["Write the answer."]
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request, text="x" * (services.ANSWER_MAX_CHARS + 1))
    assert refused.value.messages == ["The answer is too long: at most 10000 characters."]
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request, files=[upload(f"{n}.pdf", PDF + bytes([n])) for n in range(11)])
    assert refused.value.messages == ["Attach at most 10 files to one answer."]
    assert DataRequest.objects.get().status == "open"
    assert DataRequestFile.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bao-cao.pdf", EXE, f"“bao-cao.pdf”: {ACCEPTED}"),  # an executable renamed
        ("trang.html", b"<html><script>alert(1)</script></html>", f"“trang.html”: {ACCEPTED}"),
        ("anh.pdf", PNG, "“anh.pdf”: The file's content (PNG) does not match its name “anh.pdf”."),
        ("rong.pdf", b"", "“rong.pdf”: The file is empty."),
    ],
)
def test_files_are_judged_by_their_content_and_a_bad_one_saves_nothing(
    asked, private_root, name, content, message
):
    data_request = ask(asked)
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request, files=[upload("tot.pdf"), upload(name, content)])
    assert refused.value.messages == [message]
    stored = DataRequest.objects.get()
    assert (stored.status, stored.answer, stored.answered_by) == ("open", "", None)
    assert DataRequestFile.objects.count() == 0
    assert stored_files(private_root) == []


def test_a_file_without_an_extension_gets_the_one_of_its_content(asked):
    data_request = ask(asked)
    answer(asked, data_request, files=[upload("bien-ban", PDF)])
    row = DataRequestFile.objects.get()
    assert (row.original_name, row.content_type) == ("bien-ban.pdf", "application/pdf")


def test_the_same_file_twice_is_kept_once(asked, private_root):
    data_request = ask(asked)
    answer(asked, data_request, files=[upload("a.pdf"), upload("b.pdf")])
    assert list(DataRequestFile.objects.values_list("original_name", flat=True)) == ["a.pdf"]
    assert len(stored_files(private_root)) == 1


def test_a_storage_failure_leaves_neither_a_file_nor_a_row(asked, private_root, monkeypatch):
    data_request = ask(asked)
    real_save = FileSystemStorage._save
    calls = []

    def second_save_fails(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", second_save_fails)
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request, files=[upload("a.pdf"), upload("b.png", PNG)])
    assert refused.value.messages == [
        "The file could not be stored, so nothing was saved. Try again later."
    ]
    assert len(calls) == 2
    assert stored_files(private_root) == []
    assert DataRequestFile.objects.count() == 0
    assert DataRequest.objects.get().status == "open"


def test_a_failure_after_the_files_are_written_takes_them_away(asked, private_root, monkeypatch):
    data_request = ask(asked)

    def audit_fails(*args, **kwargs):
        raise RuntimeError("the connection was lost")

    monkeypatch.setattr(services, "_record_request", audit_fails)
    with pytest.raises(RuntimeError):
        answer(asked, data_request, files=[upload("a.pdf"), upload("b.png", PNG)])
    assert stored_files(private_root) == []
    assert DataRequestFile.objects.count() == 0
    assert DataRequest.objects.get().status == "open"


# --- withdrawing -------------------------------------------------------------------------


def test_the_member_who_asked_withdraws_an_open_request(asked):
    data_request = ask(asked)
    for name in ("colleague", "police", "organizer"):
        with pytest.raises(PermissionDenied) as refused:
            services.data_request_withdraw(user=person(asked, name), data_request=data_request)
        assert str(refused.value) == "Only the council member who asked can withdraw this request."
    withdrawn = services.data_request_withdraw(user=asked.people.member, data_request=data_request)
    assert withdrawn.status == DataRequest.objects.get().status == "withdrawn"
    assert AuditEntry.objects.filter(action=AuditAction.DATA_REQUEST).count() == 2

    with pytest.raises(ValidationError) as refused:
        services.data_request_withdraw(user=asked.people.member, data_request=data_request)
    assert refused.value.messages == [
        "This request is “Withdrawn”: it can be withdrawn only while it waits."
    ]
    with pytest.raises(ValidationError) as refused:
        answer(asked, data_request)
    assert refused.value.messages == [
        "This request was withdrawn by the council member who asked; it cannot be answered."
    ]
    assert DataRequest.objects.get().answer == ""


def test_an_answered_request_cannot_be_withdrawn(asked):
    data_request = ask(asked)
    answer(asked, data_request)
    with pytest.raises(ValidationError) as refused:
        services.data_request_withdraw(user=asked.people.member, data_request=data_request)
    assert refused.value.messages == [
        "This request is “Answered”: it can be withdrawn only while it waits."
    ]
    assert DataRequest.objects.get().status == "answered"


# --- who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("member", True),  # asked
        ("colleague", True),  # a council member who may see the response
        ("postman", False),  # a council member of commune A
        ("organizer", True),
        ("police", True),
        ("police_second", True),
        ("police_without_role", False),
        ("police_inactive", False),
        ("viettel", False),  # a data provider of another agency
        ("statistics", False),
        ("officer_a", False),  # the unit assessed
        ("officer_c", False),
        ("admin", False),
        ("anonymous", False),
    ],
)
def test_who_sees_a_request_its_answer_and_its_files(asked, name, sees):
    data_request = ask(asked)
    answer(asked, data_request, files=[upload()])
    request_file = DataRequestFile.objects.get()
    user = person(asked, name)
    assert permissions.can_view_data_request(user, data_request) is sees
    assert permissions.can_download_data_request_file(user, request_file) is sees
    shown = selectors.response_requests(user=user, response=asked.response_a)
    assert [r.pk for r in shown] == ([data_request.pk] if sees else [])


def test_an_agency_sees_only_what_it_was_asked(asked):
    to_police = ask(asked)
    to_viettel = ask(asked, agency=asked.viettel)
    mine = ask(asked, user=asked.people.colleague, agency=asked.viettel)

    def seen(name):
        return [
            r.pk
            for r in selectors.response_requests(
                user=person(asked, name), response=asked.response_a
            )
        ]

    assert seen("police") == [to_police.pk]
    assert seen("viettel") == [to_viettel.pk, mine.pk]
    assert seen("member") == [to_police.pk, to_viettel.pk, mine.pk]
    assert seen("organizer") == [to_police.pk, to_viettel.pk, mine.pk]
    assert seen("officer_a") == []


def test_the_inbox_counts_by_box(asked):
    ask(asked)
    ask(asked, response=asked.response_b)
    overdue = ask(asked, response=asked.response_c)
    DataRequest.objects.filter(pk=overdue.pk).update(due_date=in_days(-2))
    answered = ask(asked, user=asked.people.colleague)
    answer(asked, answered)
    withdrawn = ask(asked, response=asked.response_b)
    services.data_request_withdraw(user=asked.people.member, data_request=withdrawn)
    ask(asked, agency=asked.viettel)  # another agency's

    assert selectors.inbox_counts(user=asked.people.police) == {
        "open": 2,
        "overdue": 1,
        "answered": 1,
        "withdrawn": 1,
    }
    rows, page = selectors.agency_inbox(
        user=asked.people.police,
        box="overdue",
        page=None,
        counts=selectors.inbox_counts(user=asked.people.police),
    )
    assert [r.pk for r in rows] == [overdue.pk]
    assert (page.number, page.pages, page.total) == (1, 1, 1)


# --- e-mails -----------------------------------------------------------------------------


def test_the_agency_is_mailed_once_after_commit(
    asked, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        data_request = ask(asked, due_date=in_days(3))
    assert mailoutbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    (mail,) = mailoutbox
    # the agency's active data providers with an address; not the one without the role
    assert mail.to == ["a.lieu@congan.vn", "so.lieu@congan.vn"]
    assert mail.subject == "[DTI] The appraisal council asks for data: Xã A, indicator 3.2"
    assert mail.body.splitlines() == [
        "The appraisal council asks Công an huyện Thử for a figure.",
        f"Campaign: {asked.campaign}",
        "Unit: Xã A",
        f"Indicator: 3.2. {asked.response_a.indicator.name}",
        "Asked by: Công an Minh",
        f"Answer by: {in_days(3):%d/%m/%Y}",
        "",
        "Question:",
        "Số thuê bao cáp quang của xã tại ngày 30/9?",
        "",
        "Sign in to the DTI system and open “Data requests” on the home page to answer; files "
        "can be attached there.",
        "",
        "This message was sent automatically by the DTI assessment system.",
    ]
    assert data_request.pk == DataRequest.objects.get().pk


def test_the_member_who_asked_is_mailed_the_answer_once(
    asked, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    data_request = ask(asked)  # its mail stays in the test's transaction, never sent
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answered = answer(asked, data_request, text="1.234 thuê bao.", files=[upload()])
    assert len(callbacks) == 1
    (mail,) = mailoutbox
    assert mail.to == ["minh@congan.vn"]
    assert mail.subject == "[DTI] Công an huyện Thử answered your data request: Xã A, indicator 3.2"
    at = timezone.localtime(answered.answered_at)
    assert mail.body.splitlines() == [
        f"Campaign: {asked.campaign}",
        "Unit: Xã A",
        f"Indicator: 3.2. {asked.response_a.indicator.name}",
        "",
        "Your question:",
        "Số thuê bao cáp quang của xã tại ngày 30/9?",
        "",
        f"Answer of Số liệu Công an ({at:%d/%m/%Y %H:%M}):",
        "1.234 thuê bao.",
        "",
        "Files attached to the answer: 1. Open the request in the DTI system to read them.",
        "",
        "This message was sent automatically by the DTI assessment system.",
    ]


def test_a_refusal_mails_nobody(asked, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            ask(asked, due_date=in_days(-1))
        data_request = ask(asked)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            answer(asked, data_request, files=[upload("x.pdf", EXE)])
        with pytest.raises(PermissionDenied):
            answer(asked, data_request, user=asked.people.viettel)
    assert callbacks == []
    assert mailoutbox == []


def test_the_mail_is_written_in_the_site_language(
    asked, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(asked)
    lines = mailoutbox[0].body.splitlines()
    assert f"Đợt đánh giá: {asked.campaign}" in lines
    assert "Đơn vị: Xã A" in lines
