"""Small helpers of the councils tests: responses, and units put in a phase."""

from assessments.models import Assessment, AssessmentState, PhaseKind, Response
from tests.factories import force_state, set_window


def response_of(assessment: Assessment, code: str) -> Response:
    return Response.objects.select_related("indicator", "assessment").get(
        assessment=assessment, indicator__code=code
    )


def fresh(assessment: Assessment) -> Assessment:
    return Assessment.objects.get(pk=assessment.pk)


def in_round_one(world, *assessments) -> None:
    """Confirmed units, round-1 window open."""
    for assessment in assessments or (world.assessment_a, world.assessment_b):
        force_state(assessment, AssessmentState.CONFIRMED)
    set_window(world.campaign, PhaseKind.ROUND_1, "open")


def in_explanation(world, *assessments, window: str = "open") -> None:
    for assessment in assessments or (world.assessment_a, world.assessment_b):
        force_state(assessment, AssessmentState.EXPLANATION)
    set_window(world.campaign, PhaseKind.EXPLANATION, window)


def in_round_two(world, *assessments) -> None:
    in_explanation(world, *assessments, window="closed")
    set_window(world.campaign, PhaseKind.ROUND_2, "open")
