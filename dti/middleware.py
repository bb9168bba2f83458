import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user picked another language with the switcher.

    Django's own middleware follows the browser's Accept-Language, and many
    office PCs run an English Windows: officials would get an English site
    they never asked for. Only the language cookie (set by /i18n/setlang/)
    changes the language here.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


# --- session lifetime -----------------------------------------------------------

SIGNED_IN_AT = "dti_signed_in_at"
SEEN_AT = "dti_seen_at"
# The last request's time is written at most this often (seconds), so that
# reading pages does not write the session on every request.
SEEN_RESOLUTION = 60


def now_seconds() -> int:
    """The clock of the session limits (tests shift it)."""
    return int(time.time())


def mark_signed_in(sender, request, user, **kwargs):
    """``user_logged_in``: the session's lifetime starts now."""
    session = getattr(request, "session", None)
    if session is not None:
        now = now_seconds()
        session[SIGNED_IN_AT] = now
        session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Ends a session after ``SESSION_IDLE_TIMEOUT`` seconds without a request, or
    ``SESSION_COOKIE_AGE`` seconds after signing in, whichever comes first.

    Django alone cannot do both: its expiry moves forward whenever the session is
    saved. Here the time of signing in and of the last request are kept in the
    session; a request past either limit is signed out first and then goes on as
    an anonymous one (a page that needs a sign-in sends the person to the login
    page; htmx is told to go there too), with a message saying why.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                if request.headers.get("HX-Request") == "true":
                    current = request.headers.get("HX-Current-URL") or ""
                    parts = urlsplit(current)
                    current = parts.path + (f"?{parts.query}" if parts.query else "")
                    current = current or request.get_full_path()
                    answer = HttpResponse(status=204)
                    answer["HX-Redirect"] = redirect_to_login(current).url
                    return answer
        return self.get_response(request)

    def _expired(self, request) -> str | None:
        session = request.session
        now = now_seconds()
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(SEEN_AT)
        if not isinstance(signed_in, int) or not isinstance(seen, int):
            # A session from before these limits: they start now.
            session[SIGNED_IN_AT] = signed_in if isinstance(signed_in, int) else now
            session[SEEN_AT] = now
            return None
        if now - signed_in >= settings.SESSION_COOKIE_AGE:
            return gettext(
                "Your session has ended: it lasts at most %(hours)s hours. Sign in again."
            ) % {"hours": _hours(settings.SESSION_COOKIE_AGE)}
        idle = settings.SESSION_IDLE_TIMEOUT
        if idle > 0 and now - seen >= idle:
            return gettext(
                "You were signed out after %(minutes)s minutes without activity. Sign in again."
            ) % {"minutes": max(idle // 60, 1)}
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return None


def _hours(seconds: int) -> str:
    hours = seconds / 3600
    return str(int(hours)) if hours == int(hours) else f"{hours:.1f}"
