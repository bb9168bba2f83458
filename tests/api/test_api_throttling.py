"""Rate limits: anonymous callers per address, tokens each apart, bulk submissions on top;
429 with Retry-After and a JSON message; the cache down lets requests through."""

import json
import uuid
from unittest import mock

import pytest

from api import throttling
from api.models import IdempotentRequest
from tests.api.conftest import api, token_for
from tests.rankings.helpers import skip_or_fail

RESULTS = "/api/v1/results/campaigns"
CAMPAIGNS = "/api/v1/provider/campaigns"


def assert_throttled(response, period: int):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= period
    assert response.json() == {
        "detail": f"Too many requests: wait {wait} seconds, then send this request again."
    }


def test_anonymous_callers_are_limited_per_address(db, settings):
    settings.API_THROTTLE_ANON = "3/min"
    client = api()
    assert [client.get(RESULTS).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(client.get(RESULTS), 60)
    # another address has its own count
    assert client.get(RESULTS, REMOTE_ADDR="10.0.0.9").status_code == 200
    # X-Forwarded-For from the client is not trusted (TRUSTED_PROXY_COUNT=0): still refused
    assert client.get(RESULTS, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(db, settings):
    settings.API_THROTTLE_ANON = "1/min"
    settings.TRUSTED_PROXY_COUNT = 1
    client = api()
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    assert client.get(RESULTS, **first).status_code == 200
    assert client.get(RESULTS, **first).status_code == 429
    assert client.get(RESULTS, **second).status_code == 200


def test_each_token_has_its_own_limit(world, settings):
    settings.API_THROTTLE_TOKEN = "2/min"
    settings.API_THROTTLE_ANON = "1/min"
    viettel = api(token_for(world.people.viettel))
    statistics = api(token_for(world.people.statistics))
    assert [viettel.get(CAMPAIGNS).status_code for _ in range(2)] == [200, 200]
    assert_throttled(viettel.get(CAMPAIGNS), 60)
    assert statistics.get(CAMPAIGNS).status_code == 200
    # a second token of the same person counts apart too
    assert (
        api(token_for(world.people.viettel, name="Hệ thống khác")).get(CAMPAIGNS).status_code == 200
    )
    # token requests do not use up the anonymous callers' limit of the address
    assert api().get(RESULTS).status_code == 200


def test_bulk_submissions_have_a_limit_of_their_own(world, settings):
    settings.API_THROTTLE_BULK = "1/hour"
    client = api(token_for(world.people.statistics))
    url = f"/api/v1/provider/campaigns/{world.campaign.pk}/figures"
    body = json.dumps({"rows": [{"unit": world.a.pk, "field": "tong_so_ho_gia_dinh", "value": 4}]})
    sent = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a")
    assert sent.status_code == 200
    refused = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b")
    assert_throttled(refused, 3600)
    assert IdempotentRequest.objects.count() == 1
    # reading is still allowed
    assert client.get(CAMPAIGNS).status_code == 200


def test_no_limit_when_turned_off(db, settings):
    settings.API_THROTTLE_ANON = None
    client = api()
    assert {client.get(RESULTS).status_code for _ in range(30)} == {200}


@pytest.mark.parametrize("rate", ["60/min", "off"])
def test_a_cache_that_does_not_answer_lets_requests_through(db, settings, rate):
    settings.CACHES = {
        **settings.CACHES,
        "unreachable": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers Redis
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.API_THROTTLE_CACHE = "unreachable"
    settings.API_THROTTLE_ANON = None if rate == "off" else rate
    with mock.patch.object(throttling.logger, "exception") as logged:
        assert api().get(RESULTS).status_code == 200
    expected = (
        [] if rate == "off" else [mock.call("API rate limit not counted: the cache did not answer")]
    )
    assert logged.call_args_list == expected


def test_a_malformed_rate_stops_the_settings(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from dti.settings import env_rate

    monkeypatch.setenv("API_THROTTLE_ANON", "nhieu/phut")
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_ANON='nhieu/phut'"):
        env_rate("API_THROTTLE_ANON", "60/min")
    monkeypatch.setenv("API_THROTTLE_ANON", "100/Hour")
    assert env_rate("API_THROTTLE_ANON", "60/min") == "100/hour"
    monkeypatch.setenv("API_THROTTLE_ANON", "off")
    assert env_rate("API_THROTTLE_ANON", "60/min") is None


def test_with_redis_every_worker_counts_in_the_same_place(db, settings):
    """Two gunicorn workers are two cache clients of one Redis: a limit is the site's.

    Needs Redis (REDIS_URL, as CI and production set it): skipped without it
    locally, a failure in CI.
    """
    if not settings.REDIS_URL:
        skip_or_fail("the shared count needs Redis (REDIS_URL=redis://…)")
    shared = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": settings.REDIS_URL,
        "KEY_PREFIX": f"api-throttle-test-{uuid.uuid4().hex}",
    }
    settings.CACHES = {**settings.CACHES, "worker-1": dict(shared), "worker-2": dict(shared)}
    settings.API_THROTTLE_ANON = "3/min"
    client = api()
    settings.API_THROTTLE_CACHE = "worker-1"
    assert [client.get(RESULTS).status_code for _ in range(2)] == [200, 200]
    settings.API_THROTTLE_CACHE = "worker-2"
    assert client.get(RESULTS).status_code == 200
    assert_throttled(client.get(RESULTS), 60)
