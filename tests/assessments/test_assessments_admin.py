"""The admin shows campaigns and their data read-mostly; the transition log cannot be edited."""

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import AssessmentTransition, Response
from tests.assessments.helpers import complete

MODELS = [
    "administrativeunit",
    "agency",
    "user",
    "campaign",
    "assessment",
    "assessmenttransition",
    "response",
    "evidence",
    "departmentassignment",
    "remindersent",
]


@pytest.fixture
def logged(world):
    complete(world.assessment, world.people.officer)
    services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    return AssessmentTransition.objects.get()


@pytest.mark.parametrize("model", MODELS)
def test_every_list_opens(admin_client, logged, model):
    assert admin_client.get(reverse(f"admin:assessments_{model}_changelist")).status_code == 200


def test_the_pages_of_one_assessment_open(admin_client, world, logged):
    for name, obj in [
        ("campaign", world.campaign),
        ("assessment", world.assessment),
        ("assessmenttransition", logged),
        ("response", Response.objects.filter(assessment=world.assessment).first()),
    ]:
        url = reverse(f"admin:assessments_{name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, name
    history = reverse("admin:assessments_assessment_history", args=[world.assessment.pk])
    assert admin_client.get(history).status_code == 200


def test_campaigns_and_log_rows_are_not_added_or_changed_in_the_admin(admin_client, logged):
    assert admin_client.get(reverse("admin:assessments_campaign_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:assessments_assessmenttransition_add")).status_code == 403
    )
    delete = reverse("admin:assessments_assessmenttransition_delete", args=[logged.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AssessmentTransition.objects.count() == 1
