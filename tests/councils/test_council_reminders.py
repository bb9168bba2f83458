"""Appraisal e-mails: member reminders before each round closes, unit notices, never twice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from assessments import services as assessment_services
from assessments.models import AssessmentState, Phase, PhaseKind
from councils import services, tasks
from councils.models import Notice, NoticeKind, Round
from councils.reminders import council_reminders_send
from tests.councils.helpers import fresh, in_explanation, in_round_one, response_of
from tests.factories import force_state, set_window

S = AssessmentState


def closing_in(world, kind, left: timedelta):
    now = timezone.now()
    Phase.objects.filter(campaign=world.campaign, kind=kind).update(
        opens_at=now - timedelta(days=5), closes_at=now + left
    )
    return now


def explanation_open_for_ten_days(world) -> None:
    """An explanation window far from its end: no closing reminder gets in the way."""
    closing_in(world, PhaseKind.EXPLANATION, timedelta(days=10))


def results_already_told(world, assessment) -> None:
    Notice.objects.create(
        kind=NoticeKind.RESULTS_AVAILABLE,
        phase=Phase.objects.get(campaign=world.campaign, kind=PhaseKind.EXPLANATION),
        assessment=assessment,
        recipients="(test)",
    )


def run(callbacks, now=None) -> int:
    with callbacks(execute=True):
        return council_reminders_send(now=now)


def record_all(world, member_user, assessment, codes, round_=Round.ONE):
    for code in codes:
        services.appraisal_record(
            response=response_of(assessment, code),
            member_user=member_user,
            round=round_,
            score=response_of(assessment, code).self_score,
        )


# --- members ---------------------------------------------------------------------------


def test_members_with_unfinished_round_one_get_one_reminder_three_days_before(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    in_round_one(world)
    # The police member has finished; the chair and the postman have not.
    for assessment in (world.assessment_a, world.assessment_b):
        record_all(world, world.people.police, assessment, ["2.1", "2.2"])
    now = closing_in(world, PhaseKind.ROUND_1, timedelta(days=2, hours=12))

    assert run(django_capture_on_commit_callbacks, now) == 2

    by_person = {mail.to[0]: mail for mail in mailoutbox}
    assert set(by_person) == {world.people.chair.email, world.people.postman.email}
    chair = by_person[world.people.chair.email]
    assert chair.subject == "[DTI] Còn 3 ngày là hết hạn thẩm định vòng 1: còn 4 chỉ số"
    assert "- Xã A: 1.1, 1.2" in chair.body
    assert "- Xã B: 1.1, 1.2" in chair.body
    postman = by_person[world.people.postman.email]
    # commune A is the postman's own unit: never theirs to appraise, never in a reminder
    assert "Xã A" not in postman.body
    assert "- Xã B: 1.1, 1.2" in postman.body


def test_the_reminder_is_never_sent_twice_and_the_one_day_one_comes_once_more(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    in_round_one(world)
    now = closing_in(world, PhaseKind.ROUND_1, timedelta(days=2))
    first = run(django_capture_on_commit_callbacks, now)
    assert first == 3  # chair, police, postman
    assert run(django_capture_on_commit_callbacks, now + timedelta(hours=1)) == 0
    assert tasks.send_council_reminders.apply().get() == 0  # the beat task: nothing new
    assert len(mailoutbox) == 3

    assert run(django_capture_on_commit_callbacks, now + timedelta(days=1, hours=1)) == 3
    assert run(django_capture_on_commit_callbacks, now + timedelta(days=1, hours=2)) == 0
    subjects = sorted({mail.subject.split(":")[0] for mail in mailoutbox[3:]})
    assert subjects == ["[DTI] Còn 1 ngày là hết hạn thẩm định vòng 1"]
    assert Notice.objects.filter(kind=NoticeKind.MEMBER_ONE_DAY).count() == 3


@pytest.mark.parametrize("left", [timedelta(days=4), timedelta(hours=-1)])
def test_nothing_outside_the_last_three_days_of_the_round(
    assigned, mailoutbox, django_capture_on_commit_callbacks, left
):
    in_round_one(assigned)
    now = closing_in(assigned, PhaseKind.ROUND_1, left)
    assert run(django_capture_on_commit_callbacks, now) == 0
    assert mailoutbox == []


def test_round_two_reminds_only_members_with_disputed_indicators_left(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    in_round_one(world, world.assessment_a)
    record_all(world, world.people.chair, world.assessment_a, ["1.1", "1.2"])
    record_all(world, world.people.police, world.assessment_a, ["2.1", "2.2"])
    in_explanation(world, world.assessment_a)
    services.explanation_submit(
        response=response_of(world.assessment_a, "2.1"),
        user=world.people.officer,
        text="Đã họp đủ 4 lần, xin xem biên bản bổ sung.",
    )
    in_explanation(world, world.assessment_a, window="closed")
    results_already_told(world, world.assessment_a)
    now = closing_in(world, PhaseKind.ROUND_2, timedelta(hours=20))

    assert run(django_capture_on_commit_callbacks, now) == 1
    (mail,) = [m for m in mailoutbox if "vòng 2" in m.subject]
    assert mail.to == [world.people.police.email]
    assert mail.subject == "[DTI] Còn 1 ngày là hết hạn thẩm định vòng 2: còn 1 chỉ số"
    assert "- Xã A: 2.1" in mail.body


# --- units -----------------------------------------------------------------------------


def test_opening_the_explanation_tells_the_unit_once_after_commit(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    force_state(world.assessment_a, S.APPRAISED_1)
    explanation_open_for_ten_days(world)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.assessment_open_explanation(
            assessment=world.assessment_a, user=world.people.organizer
        )
    assert fresh(world.assessment_a).state == S.EXPLANATION
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [world.people.officer.email]
    assert mail.subject == "[DTI] Xã A: đã có kết quả thẩm định vòng 1"
    closes = Phase.objects.get(campaign=world.campaign, kind=PhaseKind.EXPLANATION).closes_at
    assert timezone.localtime(closes).strftime("%d/%m/%Y %H:%M") in mail.body

    # The hourly job finds the notice already sent.
    assert run(django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1


def test_the_calendar_opening_the_explanation_tells_the_unit_too(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    force_state(world.assessment_b, S.APPRAISED_1)
    set_window(world.campaign, PhaseKind.EXPLANATION, "open")
    with django_capture_on_commit_callbacks(execute=True):
        assert assessment_services.explanations_open_due() == 1
    assert [m.to for m in mailoutbox] == [[world.people.other_officer.email]]


def test_units_in_explanation_are_told_before_the_window_closes(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    in_explanation(world, world.assessment_a)
    force_state(world.assessment_b, S.APPRAISED_2)
    results_already_told(world, world.assessment_a)
    now = closing_in(world, PhaseKind.EXPLANATION, timedelta(hours=23))
    assert run(django_capture_on_commit_callbacks, now) == 1
    assert run(django_capture_on_commit_callbacks, now + timedelta(hours=1)) == 0
    (mail,) = mailoutbox
    assert mail.to == [world.people.officer.email]
    assert mail.subject == "[DTI] Xã A: còn 1 ngày là hết hạn giải trình"


def test_a_results_notice_lost_to_a_crash_is_sent_by_the_hourly_job(
    assigned, mailoutbox, django_capture_on_commit_callbacks
):
    in_explanation(assigned, assigned.assessment_a)  # moved without the transition's notice
    explanation_open_for_ten_days(assigned)
    assert run(django_capture_on_commit_callbacks) == 1
    assert mailoutbox[0].subject == "[DTI] Xã A: đã có kết quả thẩm định vòng 1"


# --- the organizer opens the explanation on the rounds page ---------------------------


def test_the_organizer_opens_the_explanation_from_the_rounds_page(
    client, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    world = assigned
    force_state(world.assessment_a, S.APPRAISED_1)
    url = reverse("councils:rounds", args=[world.campaign.pk])

    client.force_login(world.people.chair)
    assert b'data-testid="open-explanation"' not in client.get(url).content
    refused = client.post(url, {"assessment": world.assessment_a.pk, "action": "open_explanation"})
    assert refused.status_code == 400
    assert fresh(world.assessment_a).state == S.APPRAISED_1

    client.force_login(world.people.organizer)
    set_window(world.campaign, PhaseKind.EXPLANATION, "not_yet")
    with override("en"):
        early = client.post(
            url,
            {"assessment": world.assessment_a.pk, "action": "open_explanation"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert early.status_code == 400
    assert fresh(world.assessment_a).state == S.APPRAISED_1
    assert mailoutbox == []

    set_window(world.campaign, PhaseKind.EXPLANATION, "open")
    assert b'data-testid="open-explanation"' in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"assessment": world.assessment_a.pk, "action": "open_explanation"})
    assert done.status_code == 302
    assert fresh(world.assessment_a).state == S.EXPLANATION
    assert [m.to for m in mailoutbox] == [[world.people.officer.email]]
