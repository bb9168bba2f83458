"""The phase calendar: opening, closing, grace, time zones."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assessments import windows
from assessments.models import Phase, PhaseKind

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
OPENS = datetime(2024, 11, 1, 7, 30, tzinfo=HCM)
CLOSES = datetime(2024, 11, 20, 17, 0, tzinfo=HCM)


@pytest.fixture
def campaign(world):
    Phase.objects.filter(campaign=world.campaign).delete()
    Phase.objects.create(
        campaign=world.campaign,
        kind=PhaseKind.SELF_ASSESSMENT,
        opens_at=OPENS,
        closes_at=CLOSES,
        grace_minutes=30,
    )
    return world.campaign


@pytest.mark.parametrize(
    ("at", "open_", "closed"),
    [
        (OPENS - timedelta(seconds=1), False, False),
        (OPENS, True, False),
        (CLOSES - timedelta(seconds=1), True, False),
        (CLOSES, True, False),  # the grace period
        (CLOSES + timedelta(minutes=29, seconds=59), True, False),
        (CLOSES + timedelta(minutes=30), False, True),
    ],
)
def test_a_window_is_open_from_its_opening_until_its_closing_plus_grace(
    campaign, at, open_, closed
):
    assert windows.is_open(campaign, PhaseKind.SELF_ASSESSMENT, at) is open_
    assert windows.has_closed(campaign, PhaseKind.SELF_ASSESSMENT, at) is closed


def test_the_same_moment_in_another_time_zone_gives_the_same_answer(campaign):
    utc_moment = datetime(2024, 11, 20, 10, 15, tzinfo=ZoneInfo("UTC"))  # 17:15 in Hà Nội
    assert windows.is_open(campaign, PhaseKind.SELF_ASSESSMENT, utc_moment)


def test_a_naive_moment_is_refused(campaign):
    with pytest.raises(ValueError, match="timezone-aware"):
        windows.is_open(campaign, PhaseKind.SELF_ASSESSMENT, datetime(2024, 11, 5, 8, 0))


def test_messages_give_local_times(campaign):
    kind = PhaseKind.SELF_ASSESSMENT
    assert windows.window_problem(campaign, kind, OPENS - timedelta(days=1)) == (
        "The self-assessment window opens at 01/11/2024 07:30."
    )
    assert windows.window_problem(campaign, kind, OPENS) is None
    assert windows.window_problem(campaign, kind, CLOSES + timedelta(hours=1)) == (
        "The self-assessment window closed at 20/11/2024 17:00."
    )
    assert windows.window_problem(campaign, PhaseKind.EXPLANATION, OPENS) == (
        "The explanation window has not been scheduled."
    )
    assert not windows.is_open(campaign, PhaseKind.EXPLANATION, OPENS)
