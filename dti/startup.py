"""Checks a serving process makes before it takes its first request."""

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MISSING = "SECRET_KEY must be set when DEBUG is off."


def require_secret_key() -> None:
    """Refuse to serve with DEBUG off and no SECRET_KEY (the settings allow it for
    commands that sign nothing; a web process signs sessions and CSRF tokens)."""
    from django.conf import settings

    try:
        key = settings.SECRET_KEY  # Django raises on an empty key
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise ImproperlyConfigured(SECRET_KEY_MISSING)
