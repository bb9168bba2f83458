"""Rate limits of the API: anonymous callers per address, tokens each apart, bulk submissions.

Fixed windows counted with the cache's atomic ``incr`` in the cache named by
``settings.API_THROTTLE_CACHE``: with Redis (``REDIS_URL``) every gunicorn
worker counts in the same place, so a limit is the limit of the site, not of
one worker. The rates are read from the settings at each request
(``API_THROTTLE_ANON``, ``API_THROTTLE_TOKEN``, ``API_THROTTLE_BULK``; None: no
limit). A refused request is 429 with ``Retry-After`` (the seconds until the
window ends) and a JSON message. If the cache cannot be reached, requests are
let through and the failure is logged: the limits protect the site, they must
not take it down.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from django.conf import settings
from django.core.cache import caches
from ninja.throttling import BaseThrottle

from dti.auth import client_ip

logger = logging.getLogger(__name__)


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"60/min"`` → (60, 60 seconds); None for no limit (the settings checked the form)."""
    if not rate:
        return None
    count, _sep, period = rate.partition("/")
    return int(count), settings.RATE_PERIODS[period]


class RateThrottle(BaseThrottle):
    """A limit of ``settings.<setting>`` requests per window for each ``ident``."""

    scope = ""
    setting = ""
    # What the last check of this thread found, for ``wait`` (called right after it):
    # one throttle object serves every request of its operation.
    _last = threading.local()

    def ident(self, request) -> str | None:  # pragma: no cover - each subclass says
        raise NotImplementedError

    def allow_request(self, request) -> bool:
        self._last.wait = None
        rate = parse_rate(getattr(settings, self.setting, None))
        ident = self.ident(request)
        if rate is None or ident is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        key = f"api-throttle:{self.scope}:{ident}:{limit}/{period}:{window}"
        cache = caches[settings.API_THROTTLE_CACHE]
        try:
            cache.add(key, 0, timeout=period + 1)
            try:
                used = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=period + 1)
                used = 1
        except Exception:  # the cache is down: let the request through, say so in the log
            logger.exception("API rate limit not counted: the cache did not answer")
            return True
        if used <= limit:
            return True
        self._last.wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        wait = getattr(self._last, "wait", None)
        return None if wait is None else max(1, math.ceil(wait))


class AnonymousThrottle(RateThrottle):
    """Requests without a token, per client address (``TRUSTED_PROXY_COUNT`` says which)."""

    scope = "anon"
    setting = "API_THROTTLE_ANON"

    def ident(self, request) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return client_ip(request) or "unknown"


class TokenThrottle(RateThrottle):
    """Requests with a token, per token."""

    scope = "token"
    setting = "API_THROTTLE_TOKEN"

    def ident(self, request) -> str | None:
        token = getattr(request, "auth", None)
        return None if token is None else token.key_hash[:16]


class BulkThrottle(TokenThrottle):
    """Bulk submissions, per token, on top of its general limit."""

    scope = "bulk"
    setting = "API_THROTTLE_BULK"
