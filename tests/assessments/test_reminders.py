"""Reminders 3 days and 1 day before the self-assessment closes, each sent once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from assessments import tasks
from assessments.models import AssessmentState, Phase, PhaseKind, ReminderSent, Response
from assessments.services import reminders_send
from tests.factories import UserFactory, force_state


@pytest.fixture
def deadline(world):
    now = timezone.now()
    closes = now + timedelta(days=2, hours=12)
    Phase.objects.filter(campaign=world.campaign, kind=PhaseKind.SELF_ASSESSMENT).update(
        opens_at=now - timedelta(days=20), closes_at=closes
    )
    return closes


def send(now, callbacks):
    with callbacks(execute=True):
        return reminders_send(now=now)


def test_three_days_before_each_unconfirmed_unit_gets_one_mail_listing_what_is_missing(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    force_state(world.other_assessment, AssessmentState.CONFIRMED)
    Response.objects.filter(assessment=world.assessment, indicator__code="2.1").update(
        self_score=5, version=1
    )

    assert send(deadline - timedelta(days=2, hours=12), django_capture_on_commit_callbacks) == 1

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == sorted([world.people.officer.email, world.people.leader.email])
    assert mail.subject == "[DTI] Xã A: còn 3 ngày là hết hạn tự đánh giá"
    assert "Các chỉ số chưa nhập (3): 1.1, 1.2, 2.2." in mail.body
    assert "Các chỉ số còn thiếu tài liệu kiểm chứng bắt buộc (1): 1.1." in mail.body
    local = timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")
    assert f"Thời hạn tự đánh giá kết thúc lúc {local}." in mail.body
    sent = ReminderSent.objects.get()
    assert (sent.assessment, sent.kind) == (world.assessment, "3d")


def test_running_again_sends_nothing(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    now = deadline - timedelta(days=2)
    assert send(now, django_capture_on_commit_callbacks) == 2
    assert send(now + timedelta(hours=1), django_capture_on_commit_callbacks) == 0
    assert send(now + timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 2


def test_one_day_before_comes_once_more(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    send(deadline - timedelta(days=2), django_capture_on_commit_callbacks)
    assert send(deadline - timedelta(hours=20), django_capture_on_commit_callbacks) == 2
    assert send(deadline - timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    assert [m.subject for m in mailoutbox[2:]] == [
        "[DTI] Xã A: còn 1 ngày là hết hạn tự đánh giá",
        "[DTI] Xã B: còn 1 ngày là hết hạn tự đánh giá",
    ]
    assert sorted(ReminderSent.objects.values_list("kind", flat=True)) == ["1d", "1d", "3d", "3d"]


@pytest.mark.parametrize(
    "before", [timedelta(days=4), timedelta(seconds=0), timedelta(hours=-1)], ids=str
)
def test_nothing_outside_the_three_days(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks, before
):
    assert send(deadline - before, django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_confirmed_units_get_nothing(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    force_state(world.assessment, AssessmentState.CONFIRMED)
    force_state(world.other_assessment, AssessmentState.APPRAISED_1)
    assert send(deadline - timedelta(days=2), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_a_submitted_complete_unit_is_told_the_leader_must_confirm(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.assessments.helpers import complete

    complete(world.assessment, world.people.officer)
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    force_state(world.other_assessment, AssessmentState.CONFIRMED)
    send(deadline - timedelta(days=2), django_capture_on_commit_callbacks)
    body = mailoutbox[0].body
    assert "Kết quả tự đánh giá đã được gửi: lãnh đạo đơn vị cần xác nhận." in body
    assert "chưa nhập" not in body


def test_a_unit_nobody_can_be_mailed_for_is_tried_again_later(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    world.people.officer.__class__.objects.filter(unit=world.a).update(email="")
    assert send(deadline - timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert not ReminderSent.objects.filter(assessment=world.assessment).exists()
    UserFactory(unit=world.a, roles=["unit_officer"], email="can-bo@xa-a.gov.vn")
    assert (
        send(deadline - timedelta(days=2) + timedelta(hours=1), django_capture_on_commit_callbacks)
        == 1
    )
    assert mailoutbox[-1].to == ["can-bo@xa-a.gov.vn"]


def test_the_mail_leaves_only_on_commit(
    world, deadline, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders_send(now=deadline - timedelta(days=2))
    assert mailoutbox == []
    assert len(callbacks) == 2


def test_the_beat_task_runs_hourly_and_wraps_the_service(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    schedule = settings.CELERY_BEAT_SCHEDULE["self-assessment-reminders"]
    assert schedule == {
        "task": "assessments.tasks.send_self_assessment_reminders",
        "schedule": 3600.0,
    }
    now = timezone.now()
    Phase.objects.filter(campaign=world.campaign, kind=PhaseKind.SELF_ASSESSMENT).update(
        opens_at=now - timedelta(days=20), closes_at=now + timedelta(hours=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        # Called directly: in CI the broker is real and no worker runs in the test process.
        assert tasks.send_self_assessment_reminders() == 2
    assert len(mailoutbox) == 2
