"""schemathesis against the served schema: no 500, and every answer as the schema says.

The schema is the one the site serves (/api/v1/openapi.json, read through
the WSGI application). Every operation is run anonymously and with a data
provider's token, on a database holding a published campaign (six communes,
tests/rankings/helpers.py) in which the provider's agency owes indicator
1.2 of every commune. Half of the generated ids are replaced by real ones,
so that the answers with data are checked too, not only the 404s. The world
is built once for the module (each example's writes are rolled back with its
test) and the examples are few: the suite stays fast on two cores. CI runs
this on PostgreSQL.
"""

import secrets

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode

from api.models import ApiToken
from api.selectors import key_hash
from assessments.models import AssessmentState
from indicators.models import Indicator
from providers import services as provider_services
from rankings import services as ranking_services
from tests.api.conftest import DECISION
from tests.factories import AgencyFactory, UserFactory, force_state
from tests.rankings.helpers import build_world

EXAMPLES = 10
TOKEN = "dti_" + secrets.token_urlsafe(32)
# The limits are tested in test_api_throttling.py; here they would only turn answers into 429s.
NO_LIMITS = {"API_THROTTLE_ANON": None, "API_THROTTLE_TOKEN": None, "API_THROTTLE_BULK": None}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture(scope="module")
def schema_world(django_db_setup, django_db_blocker):
    """Built once, inside a transaction rolled back at the end of the module."""
    limits = override_settings(**NO_LIMITS)
    limits.enable()
    # Requests reach the WSGI application directly, not through the test client: keep
    # Django from closing the test's connection (inside its transaction) after each one,
    # as the test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            world = build_world()
            for assessment in world.assessments.values():
                force_state(assessment, AssessmentState.APPRAISED_2)
            ranking_services.campaign_publish(
                campaign=world.campaign, user=world.campaign.created_by, **DECISION
            )
            telecom = AgencyFactory(name="Viettel Huyện Thử", kind="telecom")
            provider = UserFactory(agency=telecom, roles=["data_provider"])
            provider_services.provider_assignment_create(
                user=world.campaign.created_by,
                campaign=world.campaign,
                agency=telecom,
                indicator=Indicator.objects.get(
                    pillar__indicator_set=world.indicator_set, code="1.2"
                ),
            )
            # The token is known before the world (schemathesis makes some cases at collection).
            ApiToken.objects.create(
                user=provider, name="Hệ thống thử", prefix=TOKEN[:12], key_hash=key_hash(TOKEN)
            )
            world.ids = {
                "campaign_id": [world.campaign.pk],
                "assessment_id": [a.pk for a in world.assessments.values()],
            }
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        limits.disable()
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


class ProviderToken:
    """schemathesis' own auth: it leaves the token out of the cases that test its absence."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def steer(case, ids) -> None:
    """In valid cases, every other generated id becomes a real one."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    for name, choices in ids.items():
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            case.path_parameters[name] = choices[value // 2 % len(choices)]


LIMITS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@LIMITS
def test_anonymous_callers_get_no_500_and_only_what_the_schema_says(case, schema_world, db):
    steer(case, schema_world.ids)
    case.call_and_validate()


@schema.parametrize()
@schema.auth.apply(ProviderToken, refresh_interval=None)
@LIMITS
def test_a_providers_token_gets_no_500_and_only_what_the_schema_says(case, schema_world, db):
    steer(case, schema_world.ids)
    case.call_and_validate()
