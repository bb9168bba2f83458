"""The assessment state machine: every transition × role × window, and every other guard.

Allowed transitions change the state and write exactly one log row; refused
ones raise with a message and change nothing (state and log as before).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import selectors, services
from assessments.models import (
    STATE_ORDER,
    AssessmentState,
    AssessmentTransition,
    PhaseKind,
    Response,
)
from tests.assessments.helpers import complete, fresh, log_count
from tests.factories import force_state, set_window

S = AssessmentState
SELF, EXPLANATION = PhaseKind.SELF_ASSESSMENT, PhaseKind.EXPLANATION

ROLES = [
    "officer",
    "leader",
    "other_officer",
    "other_leader",
    "department_officer",
    "organizer",
    "other_organizer",
    "administrator",
    "council_member",
    "council_closer",
]


def run(name, world, user):
    assessment = world.assessment
    if name == "submit":
        return services.assessment_submit(assessment=assessment, user=user)
    if name == "return_for_editing":
        return services.assessment_return_for_editing(
            assessment=assessment, user=user, reason="Xem lại chỉ số 1.2"
        )
    if name == "confirm":
        return services.assessment_confirm(assessment=assessment, user=user)
    if name == "close_round_one":
        return services.assessment_close_round_one(assessment=assessment, user=user)
    if name == "open_explanation":
        return services.assessment_open_explanation(assessment=assessment, user=user)
    if name == "close_round_two":
        return services.assessment_close_round_two(assessment=assessment, user=user)
    if name == "publish":
        return services.campaign_publish(campaign=world.campaign, user=user)
    if name == "reopen":
        return services.assessment_reopen(
            assessment=assessment, user=user, to_state=S.OPEN, reason="Đơn vị nhập nhầm số liệu"
        )
    raise AssertionError(name)


# name: (source, target, the one role allowed, the window it needs, shapes that satisfy it)
TRANSITIONS = {
    "submit": (S.OPEN, S.SELF_ASSESSED, "officer", SELF, {"open", "grace"}),
    "return_for_editing": (S.SELF_ASSESSED, S.OPEN, "leader", SELF, {"open", "grace"}),
    "confirm": (S.SELF_ASSESSED, S.CONFIRMED, "leader", SELF, {"open", "grace"}),
    "close_round_one": (S.CONFIRMED, S.APPRAISED_1, "council_closer", None, None),
    "open_explanation": (
        S.APPRAISED_1,
        S.EXPLANATION,
        "organizer",
        EXPLANATION,
        {"open", "grace"},
    ),
    "close_round_two": (S.EXPLANATION, S.APPRAISED_2, "council_closer", EXPLANATION, {"closed"}),
    "publish": (S.APPRAISED_2, S.PUBLISHED, "organizer", None, None),
    "reopen": (S.CONFIRMED, S.OPEN, "administrator", None, None),
}
SHAPES = ["open", "grace", "closed", "not_yet"]


def table():
    for name, (_source, _target, allowed_role, window, good) in TRANSITIONS.items():
        for role in ROLES:
            for shape in SHAPES if window else [None]:
                allowed = role == allowed_role and (window is None or shape in good)
                yield pytest.param(name, role, shape, allowed, id=f"{name}-{role}-{shape}")


def prepare(world, name, shape):
    source, _target, _role, window, _good = TRANSITIONS[name]
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, source)
    if name == "publish":
        force_state(world.other_assessment, S.APPRAISED_2)
    # Every other window is open, so that only the one under test decides.
    set_window(world.campaign, SELF, "open")
    set_window(world.campaign, EXPLANATION, "closed" if name == "close_round_two" else "open")
    if window is not None:
        set_window(world.campaign, window, shape)


@pytest.mark.parametrize(("name", "role", "shape", "allowed"), list(table()))
def test_transition_by_role_and_window(world, councils_ready, name, role, shape, allowed):
    prepare(world, name, shape)
    source, target, *_rest = TRANSITIONS[name]
    user = getattr(world.people, role)
    before = log_count()

    if allowed:
        run(name, world, user)
        assert fresh(world.assessment).state == target
        entry = AssessmentTransition.objects.filter(assessment=world.assessment).get()
        assert (entry.name, entry.from_state, entry.to_state, entry.by) == (
            name,
            source,
            target,
            user,
        )
        assert timezone.now() - entry.at < timedelta(minutes=1)
    else:
        with pytest.raises((PermissionDenied, ValidationError)) as excinfo:
            run(name, world, user)
        message = (
            " ".join(excinfo.value.messages)
            if isinstance(excinfo.value, ValidationError)
            else str(excinfo.value)
        )
        assert len(message) > 10
        assert fresh(world.assessment).state == source
        assert log_count() == before


def wrong_sources():
    for name, (source, *_rest) in TRANSITIONS.items():
        if name == "reopen":
            wrong = [S.OPEN]
        elif name == "publish":
            # Publication is campaign-wide: a unit already published is simply left as it is.
            wrong = STATE_ORDER[: STATE_ORDER.index(S.APPRAISED_2)]
        else:
            wrong = [state for state in STATE_ORDER if state != source]
        for state in wrong:
            yield pytest.param(name, state, id=f"{name}-from-{state}")


@pytest.mark.parametrize(("name", "state"), list(wrong_sources()))
def test_transition_from_a_wrong_state_is_refused(world, councils_ready, name, state):
    prepare(world, name, TRANSITIONS[name][4] and sorted(TRANSITIONS[name][4])[0])
    force_state(world.assessment, state)
    role = TRANSITIONS[name][2]

    with pytest.raises(ValidationError) as excinfo:
        run(name, world, getattr(world.people, role))

    expected = "not appraised in round 2" if name == "publish" else "not possible"
    assert expected in excinfo.value.messages[0]
    assert fresh(world.assessment).state == state
    assert log_count() == 0


# --- completeness guards -------------------------------------------------------


def test_submit_lists_unanswered_indicators_and_missing_evidence(world):
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    assert excinfo.value.messages == [
        "Indicators not answered yet: 1.1, 1.2, 2.1, 2.2.",
        "Indicators still missing their required evidence: 1.1.",
    ]
    assert fresh(world.assessment).state == S.OPEN
    assert log_count() == 0


def test_submit_needs_the_mandatory_evidence_even_when_everything_is_answered(world):
    Response.objects.filter(assessment=world.assessment).update(self_score=1, version=1)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    assert excinfo.value.messages == ["Indicators still missing their required evidence: 1.1."]


def test_submit_out_of_window_reports_the_closing_time(world):
    complete(world.assessment, world.people.officer)
    phase = set_window(world.campaign, SELF, "closed")
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    local = timezone.localtime(phase.closes_at).strftime("%d/%m/%Y %H:%M")
    assert excinfo.value.messages == [f"The self-assessment window closed at {local}."]


def test_without_the_councils_app_round_one_cannot_close(world):
    """The honest default: no appraisal exists, so every indicator misses its round-1 score."""
    assert selectors.councils_ready_for_round_one_close(world.assessment) == [
        "1.1",
        "1.2",
        "2.1",
        "2.2",
    ]
    force_state(world.assessment, S.CONFIRMED)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_close_round_one(
            assessment=world.assessment, user=world.people.council_closer
        )
    assert excinfo.value.messages == ["Indicators without a round-1 score: 1.1, 1.2, 2.1, 2.2."]
    assert fresh(world.assessment).state == S.CONFIRMED


def test_round_one_closes_when_the_councils_hook_reports_nothing_missing(world, monkeypatch):
    seen = []
    monkeypatch.setattr(
        selectors.hooks, "round_one_missing", lambda assessment: seen.append(assessment.pk) or []
    )
    force_state(world.assessment, S.CONFIRMED)
    services.assessment_close_round_one(
        assessment=world.assessment, user=world.people.council_closer
    )
    assert seen == [world.assessment.pk]
    assert fresh(world.assessment).state == S.APPRAISED_1


def test_round_two_waits_for_disputed_indicators(world, councils_ready, monkeypatch):
    monkeypatch.setattr(selectors.hooks, "round_two_missing", lambda assessment: ["2.1"])
    force_state(world.assessment, S.EXPLANATION)
    set_window(world.campaign, EXPLANATION, "closed")
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_close_round_two(
            assessment=world.assessment, user=world.people.council_closer
        )
    assert excinfo.value.messages == ["Disputed indicators not re-appraised yet: 2.1."]
    assert fresh(world.assessment).state == S.EXPLANATION


def test_publication_waits_for_every_unit_and_the_rankings(world, monkeypatch):
    force_state(world.assessment, S.APPRAISED_2)
    force_state(world.other_assessment, S.EXPLANATION)
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_publish(campaign=world.campaign, user=world.people.organizer)
    assert excinfo.value.messages == [
        "1 units of the campaign are not appraised in round 2 yet.",
        "The rankings have not been computed yet.",
    ]
    assert fresh(world.assessment).state == S.APPRAISED_2
    assert log_count() == 0


def test_publication_publishes_every_unit_at_once(world, councils_ready):
    force_state(world.assessment, S.APPRAISED_2)
    force_state(world.other_assessment, S.APPRAISED_2)
    assert services.campaign_publish(campaign=world.campaign, user=world.people.organizer) == 2
    assert fresh(world.assessment).state == S.PUBLISHED
    assert fresh(world.other_assessment).state == S.PUBLISHED
    assert log_count() == 2


# --- the unit side, end to end -----------------------------------------------------


def test_officer_submits_leader_returns_officer_resubmits_leader_confirms(world):
    officer, leader = world.people.officer, world.people.leader
    complete(world.assessment, officer)
    services.assessment_submit(assessment=world.assessment, user=officer)
    services.assessment_return_for_editing(
        assessment=world.assessment, user=leader, reason="Chỉ số 1.2 thiếu biên bản họp"
    )
    services.assessment_submit(assessment=world.assessment, user=officer)
    confirmed = services.assessment_confirm(assessment=world.assessment, user=leader)

    assert confirmed.state == S.CONFIRMED
    log = list(
        AssessmentTransition.objects.filter(assessment=world.assessment).values_list(
            "name", "from_state", "to_state", "by", "reason"
        )
    )
    assert log == [
        ("submit", "open", "self_assessed", officer.pk, ""),
        ("return_for_editing", "self_assessed", "open", leader.pk, "Chỉ số 1.2 thiếu biên bản họp"),
        ("submit", "open", "self_assessed", officer.pk, ""),
        ("confirm", "self_assessed", "confirmed", leader.pk, ""),
    ]


def test_a_confirmed_self_assessment_is_locked(world):
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, S.CONFIRMED)
    response = Response.objects.filter(assessment=world.assessment).first()
    with pytest.raises(ValidationError) as excinfo:
        services.response_save(
            response_id=response.pk,
            user=world.people.officer,
            inputs={"value": True},
            expected_version=1,
        )
    assert excinfo.value.messages == [
        "The self-assessment can be changed only while it is open; it is now “Confirmed”."
    ]


# --- reopening ----------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_needs_a_written_reason(world, reason):
    force_state(world.assessment, S.CONFIRMED)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_reopen(
            assessment=world.assessment,
            user=world.people.administrator,
            to_state=S.OPEN,
            reason=reason,
        )
    assert excinfo.value.messages == ["Reopening needs a written reason."]
    assert fresh(world.assessment).state == S.CONFIRMED
    assert log_count() == 0


@pytest.mark.parametrize("target", [S.CONFIRMED, S.APPRAISED_1, S.PUBLISHED])
def test_reopening_goes_only_to_an_earlier_state(world, target):
    force_state(world.assessment, S.CONFIRMED)
    with pytest.raises(ValidationError):
        services.assessment_reopen(
            assessment=world.assessment,
            user=world.people.administrator,
            to_state=target,
            reason="Lý do",
        )
    assert fresh(world.assessment).state == S.CONFIRMED


def test_reopening_keeps_the_reason_and_may_extend_the_window(world):
    complete(world.assessment, world.people.officer)
    force_state(world.assessment, S.APPRAISED_1)
    set_window(world.campaign, SELF, "closed")
    until = timezone.now() + timedelta(days=2)

    services.assessment_reopen(
        assessment=world.assessment,
        user=world.people.administrator,
        to_state=S.OPEN,
        reason="Theo Công văn 45/UBND: xã được bổ sung tài liệu",
        extend_until=until,
    )

    reopened = fresh(world.assessment)
    assert (reopened.state, reopened.extended_until) == (S.OPEN, until)
    entry = AssessmentTransition.objects.get(assessment=world.assessment)
    assert (entry.name, entry.from_state, entry.to_state, entry.reason) == (
        "reopen",
        "appraised_1",
        "open",
        "Theo Công văn 45/UBND: xã được bổ sung tài liệu",
    )
    # The campaign's window is closed, but this unit may submit until the extension ends.
    services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    assert fresh(world.assessment).state == S.SELF_ASSESSED


def test_an_extension_is_only_for_a_reopened_self_assessment(world):
    force_state(world.assessment, S.APPRAISED_2)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_reopen(
            assessment=world.assessment,
            user=world.people.administrator,
            to_state=S.CONFIRMED,
            reason="Thẩm định lại",
            extend_until=timezone.now() + timedelta(days=1),
        )
    assert excinfo.value.messages == [
        "Only a reopened self-assessment can have its window extended."
    ]


# --- the calendar and the log --------------------------------------------------------


def test_the_calendar_opens_the_explanation_of_appraised_units(world):
    force_state(world.assessment, S.APPRAISED_1)
    set_window(world.campaign, EXPLANATION, "not_yet")
    assert services.explanations_open_due() == 0
    set_window(world.campaign, EXPLANATION, "open")

    assert services.explanations_open_due() == 1
    assert services.explanations_open_due() == 0

    assert fresh(world.assessment).state == S.EXPLANATION
    assert fresh(world.other_assessment).state == S.OPEN
    entry = AssessmentTransition.objects.get()
    assert (entry.name, entry.by) == ("open_explanation", None)


def test_the_transition_log_is_append_only(world):
    complete(world.assessment, world.people.officer)
    services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    entry = AssessmentTransition.objects.get()
    entry.reason = "sửa"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AssessmentTransition.objects.update(reason="sửa")
    with pytest.raises(ValidationError):
        AssessmentTransition.objects.all().delete()
    assert AssessmentTransition.objects.get().reason == ""


def test_the_state_cannot_be_assigned_directly(world):
    assessment = fresh(world.assessment)
    with pytest.raises(AttributeError):
        assessment.state = S.PUBLISHED
