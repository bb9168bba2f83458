"""The API's worlds: the providers' district (tests/providers/conftest.py) and a published one.

``world``: three communes on the QĐ 922 commune set; Viettel provides 3.2
(households with fibre, a ratio whose whole is the households figure) for
communes A and B, the statistics office the households figure for all three.
``published``: the six hand-scored communes of tests/rankings/helpers.py,
appraised and published (version 1).
"""

import uuid
from datetime import date

import pytest
from django.test import Client

from api import services as api_services
from assessments.models import AssessmentState
from rankings import services as ranking_services
from tests.factories import force_state
from tests.providers.conftest import world  # noqa: F401  (the providers' world)
from tests.rankings.helpers import build_world

DECISION = {
    "decision_number": "1234/QĐ-UBND",
    "decision_date": date(2026, 11, 25),
    "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
}


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its requests in a cache of its own (locmem, also when CI sets
    REDIS_URL): a limit reached by one test never refuses the next one's requests."""
    alias = f"api-throttle-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": alias},
    }
    settings.API_THROTTLE_CACHE = alias


@pytest.fixture
def published(db):
    """The rankings world (tests/rankings/helpers.py), every unit appraised, published."""
    found = build_world()
    for assessment in found.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    found.publication = ranking_services.campaign_publish(
        campaign=found.campaign, user=found.campaign.created_by, **DECISION
    )
    return found


def token_for(user, name="Hệ thống thử") -> str:
    return api_services.token_create(user=user, name=name)[1]


def api(token: str | None = None, *, language: str | None = "en") -> Client:
    """A client that sends ``token`` (if any) and, by default, the English language cookie
    (messages are asserted as their English msgids)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client(**headers)
    if language:
        client.cookies["django_language"] = language
    return client
